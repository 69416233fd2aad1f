// Implementation of dataset_runner.h: batch bounds, input conversion and the
// loop.
#include "runtime/dataset_runner.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "io/dataset.h"
#include "kernels/elementwise_ref.h"

namespace tfc::runtime {
namespace {

// `x` as a quantized integer input takes float samples: as QUANTIZE would.
Expected<Array> quantize_for(const Array& x, const ir::Tensor& input) {
  if (x.dtype != DType::kFloat32 || !input.is_quantized()) {
    return invalid_argument("samples are {} but the model input '{}' is {}", dtype_name(x.dtype), input.name,
                            dtype_name(input.dtype));
  }
  Array out{input.dtype, x.shape, {}};
  out.data.resize(static_cast<size_t>(x.num_elements()) * dtype_size(input.dtype));
  const float s = input.quantization->scale[0];
  const int32_t zp = input.quantization->zero_point.empty() ? 0 : static_cast<int32_t>(input.quantization->zero_point[0]);
  switch (input.dtype) {
    case DType::kInt8: kernels::quantize(x.as<float>(), x.num_elements(), s, zp, out.as<int8_t>()); break;
    case DType::kUInt8: kernels::quantize(x.as<float>(), x.num_elements(), s, zp, out.as<uint8_t>()); break;
    case DType::kInt16: kernels::quantize(x.as<float>(), x.num_elements(), s, zp, out.as<int16_t>()); break;
    default: return unsupported("model input '{}' has dtype {}", input.name, dtype_name(input.dtype));
  }
  return out;
}

// `batch` reshaped to the input's per-sample shape when only the shape differs;
// left as it is for an input with dynamic dims (Interpreter::set_input checks).
Status reshape_for(Array& batch, const ir::Tensor& input) {
  const std::vector<int64_t> sample(input.shape.begin() + (input.shape.empty() ? 0 : 1), input.shape.end());
  const std::vector<int64_t> have(batch.shape.begin() + 1, batch.shape.end());
  if (have == sample) return Status::ok();
  int64_t want = 1, got = 1;
  for (int64_t d : sample) want *= d;
  for (int64_t d : have) got *= d;
  const bool dynamic = std::any_of(input.shape_signature.begin() + (input.shape_signature.empty() ? 0 : 1),
                                   input.shape_signature.end(), [](int32_t d) { return d < 0; });
  if (dynamic && want != got) return Status::ok();  // the interpreter resizes the input
  if (input.shape.empty() || want != got) {
    return invalid_argument("a sample has shape [{}] but the model input '{}' takes [{}] per sample",
                            fmt::join(have, ", "), input.name, fmt::join(sample, ", "));
  }
  const int64_t rows = batch.shape[0];
  batch.shape = {rows};
  batch.shape.insert(batch.shape.end(), sample.begin(), sample.end());
  return Status::ok();
}

// The samples the run covers and the size of its batches.
struct Plan {
  int64_t samples = 0;
  int64_t batch = 1;
};

Expected<Plan> plan_run(const Array& samples, const DatasetRunOptions& o) {
  if (o.batch_size < 1) return invalid_argument("batch size must be at least 1, got {}", o.batch_size);
  if (samples.shape.empty()) return invalid_argument("{} samples: a scalar, not samples along the first dim", o.what);
  Plan p{samples.shape[0], o.batch_size};
  if (o.max_samples > 0) p.samples = std::min(p.samples, o.max_samples);
  if (o.last_batch == LastBatch::kDrop) p.samples -= p.samples % p.batch;
  return p;
}

}  // namespace

int64_t fixed_batch_size(const ir::Model& model, int subgraph) {
  if (subgraph < 0 || static_cast<size_t>(subgraph) >= model.subgraphs.size()) return 1;
  const ir::Subgraph& g = model.subgraphs[subgraph];
  if (g.inputs.size() != 1) return 1;
  const ir::Tensor& t = g.tensors[g.inputs[0]];
  if (t.shape.empty() || t.shape[0] <= 1) return 1;
  if (!t.shape_signature.empty() && t.shape_signature[0] < 0) return 1;
  return t.shape[0];
}

Expected<Array> input_batch(const Array& samples, int64_t begin, int64_t end, int64_t rows, const ir::Tensor& input) {
  TFC_ASSIGN_OR_RETURN(Array x, slice_batch(samples, begin, end));
  TFC_RETURN_IF_ERROR(reshape_for(x, input));
  if (x.dtype != input.dtype) {
    TFC_ASSIGN_OR_RETURN(x, quantize_for(x, input));
  }
  const int64_t real = end - begin;
  if (rows <= real || real == 0) return x;
  const size_t row_bytes = x.data.size() / static_cast<size_t>(real);
  const std::vector<uint8_t> last(x.data.end() - static_cast<std::ptrdiff_t>(row_bytes), x.data.end());
  for (int64_t i = real; i < rows; ++i) x.data.insert(x.data.end(), last.begin(), last.end());
  x.shape[0] = rows;
  return x;
}

Status run_dataset(std::span<Interpreter* const> models, const Array& samples, const DatasetRunOptions& options,
                   const std::function<Status(const Batch&)>& after_invoke) {
  TFC_ASSIGN_OR_RETURN(const Plan plan, plan_run(samples, options));
  std::optional<ProgressBar> bar;
  if (!options.progress_label.empty()) bar.emplace(options.progress_label, plan.samples, options.progress);
  for (int64_t begin = 0; begin < plan.samples; begin += plan.batch) {
    Batch b{begin, std::min(plan.samples, begin + plan.batch), 0};
    b.rows = options.last_batch == LastBatch::kPad ? plan.batch : b.end - b.begin;
    for (size_t m = 0; m < models.size(); ++m) {
      std::string where = fmt::format("{} samples [{}, {})", options.what, b.begin, b.end);
      if (m < options.model_names.size()) where = options.model_names[m] + ", " + where;
      auto x = input_batch(samples, b.begin, b.end, b.rows, models[m]->input_tensor(0));
      if (!x) return x.status().with_context(where);
      TFC_RETURN_IF_ERROR(models[m]->set_input(0, *x).with_context(where));
      TFC_RETURN_IF_ERROR(models[m]->invoke().with_context(where));
    }
    if (after_invoke) TFC_RETURN_IF_ERROR(after_invoke(b));
    if (bar) bar->update(b.end);
  }
  if (bar) bar->finish();
  return Status::ok();
}

}  // namespace tfc::runtime
