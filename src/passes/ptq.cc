// The full-integer post-training quantization pipeline (see ptq.h).
#include "passes/ptq.h"

#include <cmath>
#include <cstring>

#include "calibration/observer.h"
#include "data/source.h"

namespace tfc::passes {
namespace {

template <typename T>
void to_float(const Array& in, float scale, float* out) {
  const T* v = in.as<T>();
  for (int64_t i = 0; i < in.num_elements(); ++i) out[i] = static_cast<float>(v[i]) * scale;
}

}  // namespace

Expected<Dataset> load_model_dataset(const ir::Model& model, const std::string& spec,
                                     std::optional<float> input_scale) {
  if (model.subgraphs.empty() || model.subgraphs[0].inputs.size() != 1) {
    return unsupported("{}: a dataset feeds models with one input; this one has {}", spec,
                       model.subgraphs.empty() ? 0 : model.subgraphs[0].inputs.size());
  }
  const ir::Tensor& input = model.subgraphs[0].tensors[model.subgraphs[0].inputs[0]];
  const std::vector<int64_t> input_shape(input.shape.begin(), input.shape.end());
  const data::SourceOptions images{data::image_options_for_input(input_shape, input.dtype)};
  TFC_ASSIGN_OR_RETURN(Dataset data, data::load_dataset(spec, input.name, images));
  Array& x = data.x;
  if (x.dtype != input.dtype) {
    const bool integer = x.dtype == DType::kUInt8 || x.dtype == DType::kInt8 || x.dtype == DType::kInt16 ||
                         x.dtype == DType::kInt32;
    if (input.dtype != DType::kFloat32 || !integer) {
      return invalid_argument("{}: samples are {}, but the model input '{}' is {}", spec, dtype_name(x.dtype),
                              input.name, dtype_name(input.dtype));
    }
    if (!input_scale) {
      return invalid_argument("{}: samples are {} but the model input '{}' is float32; say how to convert them, "
                              "e.g. --input-scale 0.00392156862745098 (1/255) for 8-bit images scaled to [0, 1]",
                              spec, dtype_name(x.dtype), input.name);
    }
    if (!std::isfinite(*input_scale) || *input_scale == 0) {
      return invalid_argument("input scale must be finite and non-zero, got {}", *input_scale);
    }
    Array f;
    f.dtype = DType::kFloat32;
    f.shape = x.shape;
    f.data.resize(static_cast<size_t>(x.num_elements()) * sizeof(float));
    float* out = f.as<float>();
    switch (x.dtype) {
      case DType::kUInt8: to_float<uint8_t>(x, *input_scale, out); break;
      case DType::kInt8: to_float<int8_t>(x, *input_scale, out); break;
      case DType::kInt16: to_float<int16_t>(x, *input_scale, out); break;
      default: to_float<int32_t>(x, *input_scale, out); break;
    }
    x = std::move(f);
  } else if (input_scale) {
    return invalid_argument("{}: --input-scale converts integer samples, but these are already {}", spec,
                            dtype_name(x.dtype));
  }
  // Per-sample shape: the input's without its batch dim, or the same count.
  int64_t want = 1;
  for (size_t i = 1; i < input.shape.size(); ++i) want *= input.shape[i];
  const int64_t n = data.num_samples();
  const int64_t have = n == 0 ? 0 : x.num_elements() / n;
  std::vector<int64_t> sample(x.shape.begin() + 1, x.shape.end());
  std::vector<int64_t> model_sample;
  for (size_t i = 1; i < input.shape.size(); ++i) model_sample.push_back(input.shape[i]);
  if (sample != model_sample) {
    if (input.shape.empty() || have != want) {
      return invalid_argument("{}: a sample has shape [{}] ({} values) but the model input '{}' takes [{}] per sample",
                              spec, fmt::join(sample, ", "), have, input.name, fmt::join(model_sample, ", "));
    }
    x.shape = {n};
    x.shape.insert(x.shape.end(), model_sample.begin(), model_sample.end());
  }
  return data;
}

Expected<IntegerPtqResult> quantize_integer_ptq(ir::Model& model, const IntegerPtqOptions& options) {
  if (!options.stats && options.stats_in.empty() && options.representative.empty()) {
    return invalid_argument(
        "full-integer quantization needs a representative dataset to calibrate activation ranges on "
        "(a few hundred samples like production inputs); give one, or statistics saved by an earlier run. "
        "Without data, use mode 'dynamic' (int8 weights, float activations) or 'fp16'");
  }
  TFC_RETURN_IF_ERROR(fold_dequantize(model));
  IntegerPtqResult result;
  std::optional<Dataset> data;
  TFC_ASSIGN_OR_RETURN(const calibration::ModelFingerprint fingerprint, calibration::fingerprint_model(model));
  if (options.stats) {
    TFC_RETURN_IF_ERROR(calibration::check_fingerprint(*options.stats, fingerprint));
    result.stats = *options.stats;
  } else if (!options.stats_in.empty()) {
    TFC_ASSIGN_OR_RETURN(result.stats, calibration::load_stats(options.stats_in, fingerprint));
  } else {
    TFC_ASSIGN_OR_RETURN(data, load_model_dataset(model, options.representative, options.input_scale));
    calibration::CalibrationOptions co;
    co.max_samples = options.max_samples;
    co.progress = options.progress;
    co.kernels = options.kernels;
    co.arithmetic = options.arithmetic;
    TFC_ASSIGN_OR_RETURN(result.stats, calibration::calibrate(model, *data, co));
    result.samples = result.stats.num_samples;
  }
  if (!options.stats_out.empty()) TFC_RETURN_IF_ERROR(calibration::save_stats(options.stats_out, result.stats));
  calibration::RangeOptions range = options.range;
  range.num_bits = options.quant.activations == DType::kInt16 ? 16 : 8;
  TFC_ASSIGN_OR_RETURN(const auto ranges, calibration::compute_ranges(result.stats, range));
  if (options.bias_correction) {
    if (!data) {
      if (options.representative.empty()) {
        return invalid_argument("bias correction measures mean activations on the representative dataset; give it "
                                "as well as the saved statistics");
      }
      TFC_ASSIGN_OR_RETURN(data, load_model_dataset(model, options.representative, options.input_scale));
    }
    // The ranges above belong to the uncorrected model's tensors, which keep
    // their ids: correcting a bias adds a constant and changes no activation id
    // before remove_unused_tensors, which removes only constants.
    TFC_ASSIGN_OR_RETURN(result.bias_corrected_ops,
                         correct_bias(model, *data, options.max_samples, options.quant.per_tensor,
                                      {.kernels = options.kernels, .arithmetic = options.arithmetic}));
  }
  FullIntegerOptions quant = options.quant;
  quant.ranges.clear();
  for (const auto& r : ranges) quant.ranges[r.index] = r.range;
  TFC_ASSIGN_OR_RETURN(result.report, quantize_full_integer(model, quant));
  result.representative = std::move(data);
  return result;
}

}  // namespace tfc::passes
