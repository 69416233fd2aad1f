// build_train_graph and export_inference (train_graph.h): the order of the
// steps (train_steps.h) and writing trained values back into an inference model.
// Not here: the steps themselves (train_params.cc, train_rebatch.cc,
// train_batchnorm.cc, train_noise.cc).
#include "train/train_graph.h"

#include <cstring>
#include <map>
#include <set>

#include <fmt/format.h>

#include "kernels/fp16.h"
#include "passes/graph_edit.h"
#include "train/train_steps.h"

namespace tfc::train {
namespace {

// Resolves the names recorded while the graph was edited into tensor ids of
// the final (renumbered) graph.
Status resolve_ids(TrainGraph& graph, const std::vector<std::pair<std::string, std::string>>& stat_names,
                   const std::vector<std::string>& noise_names) {
  auto id_of = [&](const std::string& name) {
    return name.empty() ? ir::kNoTensor : detail::find_tensor(graph.model, name);
  };
  for (size_t i = 0; i < graph.batch_norms.size(); ++i) {
    graph.batch_norms[i].batch_mean = id_of(stat_names[i].first);
    graph.batch_norms[i].batch_variance = id_of(stat_names[i].second);
  }
  for (size_t i = 0; i < graph.noise.size(); ++i) graph.noise[i].tensor = id_of(noise_names[i]);
  return Status::ok();
}

// The bytes of `values` in `dtype` (float32, or float16 rounded as the converter rounds).
std::vector<uint8_t> stored_bytes(const std::vector<float>& values, DType dtype) {
  if (dtype == DType::kFloat32) return passes::to_bytes(values);
  std::vector<uint16_t> half(values.size());
  for (size_t i = 0; i < values.size(); ++i) half[i] = kernels::float_to_half(values[i]);
  return passes::to_bytes(half);
}

// The constant of subgraph 0 called `name` holding `n` values (names may repeat in a .tflite), or kNoTensor.
ir::TensorId stored_tensor(const ir::Model& model, const std::string& name, int64_t n) {
  const auto& ts = model.subgraphs[0].tensors;
  for (size_t i = 0; i < ts.size(); ++i) {
    if (ts[i].name == name && model.is_constant(ts[i]) && ir::num_elements(ts[i].shape) == n) {
      return static_cast<ir::TensorId>(i);
    }
  }
  return ir::kNoTensor;
}

}  // namespace

Expected<TrainGraph> build_train_graph(const ir::Model& inference, const importers::TrainingState* state,
                                       const TrainGraphOptions& options) {
  if (inference.subgraphs.empty()) return invalid_argument("the model has no subgraph");
  importers::GraphBuilder b(importers::BuilderOptions{.fold_constants = false});
  b.model() = inference;
  std::map<std::string, DType> stored;
  TFC_RETURN_IF_ERROR(detail::dequantize_weights(b.model(), stored));
  TFC_RETURN_IF_ERROR(detail::rebatch(b.model(), options.batch));
  TrainGraph graph;
  graph.num_data_inputs = static_cast<int>(b.graph().inputs.size());
  std::vector<std::string> names;
  std::vector<std::pair<std::string, std::string>> stat_names;
  std::vector<std::string> noise_names;
  if (state) {
    names = state->trainable;
    TFC_RETURN_IF_ERROR(detail::rebuild_batch_norms(b, *state, options, graph, names, stat_names));
    TFC_RETURN_IF_ERROR(detail::insert_noise(b, *state, graph, noise_names));
  }
  graph.model = std::move(b.model());
  passes::remove_unused_tensors(graph.model);
  passes::remove_unused_buffers(graph.model);
  detail::collect_parameters(graph, state != nullptr, names, stored, options.freeze);
  TFC_RETURN_IF_ERROR(resolve_ids(graph, stat_names, noise_names));
  return graph;
}

Expected<ir::Model> export_inference(const ir::Model& inference, const importers::TrainingState* state,
                                     const TrainGraph& graph, const std::vector<Array>& values) {
  if (values.size() != graph.params.size()) {
    return invalid_argument("export: {} values for {} parameters", values.size(), graph.params.size());
  }
  std::map<std::string, const Array*> by_name;
  for (size_t i = 0; i < values.size(); ++i) {
    const Parameter& p = graph.params[i];
    const ir::Tensor& t = graph.model.subgraphs[0].tensors[p.tensor];
    if (values[i].dtype != DType::kFloat32 || values[i].num_elements() != ir::num_elements(t.shape)) {
      return invalid_argument("export: parameter '{}' needs {} float32 values, got {} of {}", p.name,
                              ir::num_elements(t.shape), values[i].num_elements(), dtype_name(values[i].dtype));
    }
    by_name[p.name] = &values[i];
  }
  ir::Model out = inference;
  std::set<std::string> written;
  if (state) TFC_RETURN_IF_ERROR(detail::refold_batch_norms(out, *state, graph, by_name, written));
  for (const Parameter& p : graph.params) {
    if (written.count(p.name)) continue;
    const Array& v = *by_name[p.name];
    const ir::TensorId id = stored_tensor(out, p.name, v.num_elements());
    if (id == ir::kNoTensor) {
      return invalid_argument("export: parameter '{}' is no constant of {} values in the inference model", p.name,
                              v.num_elements());
    }
    std::vector<float> f(static_cast<size_t>(v.num_elements()));
    std::memcpy(f.data(), v.data.data(), f.size() * sizeof(float));
    TFC_RETURN_IF_ERROR(detail::set_constant(out, id, stored_bytes(f, p.stored_dtype), p.stored_dtype)
                            .with_context(fmt::format("export: parameter '{}'", p.name)));
  }
  // Equal constants one tensor again, as the importer leaves them; what nothing reads goes.
  if (state) passes::share_identical_constants(out);
  passes::remove_unused_tensors(out);
  passes::remove_unused_buffers(out);
  return out;
}

}  // namespace tfc::train
