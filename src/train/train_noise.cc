// Dropout-family layers in training mode (train_steps.h). Each active layer
// becomes a MUL by (or ADD of) a noise tensor that is a new graph input, read
// right after the tensor it applies to, by every reader of that tensor:
//   Dropout, SpatialDropout1D/2D/3D   x * mask (mask in {0, 1 / (1 - rate)}, in
//                                     the noise shape: SpatialDropout's is
//                                     [N, 1, .., 1, C], channels last)
//   GaussianNoise                     x + noise (normal, stddev = rate)
//   GaussianDropout                   x * noise (normal, mean 1, stddev sqrt(rate / (1 - rate)))
//   AlphaDropout                      x * scale + shift: two inputs, the MUL's
//                                     then the ADD's, from one mask (Keras 3:
//                                     scale = a * kept, shift = a * (1 - kept) * alpha_p + b)
// A layer with rate 0 is the identity in training too (Keras skips it), and
// ActivityRegularization adds a loss term, no noise: neither adds an input.
// Not here: what the noise values are each step (the trainer's).
#include <fmt/format.h>

#include "passes/graph_edit.h"
#include "train/train_steps.h"

namespace tfc::train::detail {
namespace {

using B = tflite::BuiltinOperator;

template <typename T>
tflite::BuiltinOptionsUnion options_of(T o) {
  tflite::BuiltinOptionsUnion u;
  u.Set(std::move(o));
  return u;
}

// For each noise input of a class, whether it is added (else multiplied); empty for an unknown class.
std::vector<bool> noise_ops(const std::string& class_name) {
  if (class_name == "Dropout" || class_name.rfind("SpatialDropout", 0) == 0 || class_name == "GaussianDropout") {
    return {false};
  }
  if (class_name == "GaussianNoise") return {true};
  if (class_name == "AlphaDropout") return {false, true};
  return {};
}

Expected<ir::Shape> noise_shape(const importers::DropoutRecord& d, const ir::Shape& x) {
  if (d.class_name.rfind("SpatialDropout", 0) == 0) {
    if (x.size() < 3) return unsupported("{} '{}': input of rank {}", d.class_name, d.layer, x.size());
    ir::Shape s(x.size(), 1);
    s.front() = x.front();
    s.back() = x.back();
    return s;
  }
  if (d.noise_shape.empty() || d.class_name == "GaussianNoise" || d.class_name == "GaussianDropout") return x;
  if (d.noise_shape.size() != x.size()) {
    return invalid_argument("{} '{}': noise shape of rank {} for an input of rank {}", d.class_name, d.layer,
                            d.noise_shape.size(), x.size());
  }
  ir::Shape s = x;
  for (size_t i = 1; i < s.size(); ++i) {
    if (d.noise_shape[i] >= 0) s[i] = d.noise_shape[i];
  }
  return s;
}

}  // namespace

Status insert_noise(importers::GraphBuilder& b, const importers::TrainingState& state, TrainGraph& graph,
                    std::vector<std::string>& input_names) {
  std::map<std::string, ir::TensorId> now;  // a record's tensor -> the tensor that carries it after earlier noise
  for (const importers::DropoutRecord& d : state.dropouts) {
    if (d.class_name == "ActivityRegularization" || d.rate <= 0) continue;
    const std::vector<bool> kinds = noise_ops(d.class_name);
    if (kinds.empty()) return unsupported("layer '{}': no training form for class {}", d.layer, d.class_name);
    const auto it = now.find(d.tensor);
    const ir::TensorId x = it != now.end() ? it->second : find_tensor(b.model(), d.tensor);
    if (x == ir::kNoTensor) return unsupported("{} '{}': its tensor '{}' is not in the model", d.class_name, d.layer, d.tensor);
    TFC_ASSIGN_OR_RETURN(const ir::Shape shape, noise_shape(d, b.shape(x)));
    Emitter em(b, passes::producer(b.graph(), x) + 1);
    ir::TensorId y = x;
    for (const bool additive : kinds) {
      const std::string name = fresh_name(b.model(), d.layer + (additive ? "/noise_add" : "/noise_mul"));
      const ir::TensorId n = b.input(name, DType::kFloat32, shape);
      const int32_t op = additive ? B::BuiltinOperator_ADD : B::BuiltinOperator_MUL;
      auto o = additive ? options_of(tflite::AddOptionsT{}) : options_of(tflite::MulOptionsT{});
      TFC_ASSIGN_OR_RETURN(y, em.op(op, {y, n}, std::move(o), d.layer + (additive ? "/add" : "/mul")));
      graph.noise.push_back({d.layer, d.class_name, ir::kNoTensor, d.rate, additive});
      input_names.push_back(name);
    }
    redirect_readers(b.model(), x, y, em.at() - 1);
    now[d.tensor] = y;
  }
  return Status::ok();
}

}  // namespace tfc::train::detail
