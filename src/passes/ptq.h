// Full-integer post-training quantization from data: the pipeline the
// `quantize` command and the `quantize` pass (modes int8, int16x8) share.
// fold-dequantize (float16-weight models become float first) -> calibrate on
// the representative dataset, or load statistics saved by an earlier run ->
// clipping ranges by the chosen method -> optional bias correction ->
// quantize_full_integer.
// Not here: the rewrite itself (quantize_int.cc), statistics and range methods
// (calibration/), the representative-vs-validation check (the CLI runs it).
#pragma once

#include <optional>
#include <string>

#include "calibration/ranges.h"
#include "calibration/stats.h"
#include "core/progress.h"
#include "io/dataset.h"
#include "passes/passes.h"
#include "runtime/interpreter.h"

namespace tfc::passes {

struct IntegerPtqOptions {
  FullIntegerOptions quant;           // its ranges are filled in here
  std::string representative;         // dataset spec (io/dataset.h); needed unless stats_in is given
  std::optional<float> input_scale;   // multiply integer samples by this to feed a float input (e.g. 1/255)
  int64_t max_samples = 0;            // 0: every sample
  std::string stats_in;               // statistics from an earlier run of this model
  const calibration::CalibrationStats* stats = nullptr;  // or these, already in memory
  std::string stats_out;              // save the statistics here
  calibration::RangeOptions range;
  bool bias_correction = false;       // fold the mean weight-quantization error into the bias
  ProgressMode progress = ProgressMode::kAuto;
  runtime::Kernels kernels = runtime::Kernels::kFast;  // the runtime's kernels for calibration and bias correction
  kernels::Requantization arithmetic = kernels::kDefaultRequantization;  // InterpreterOptions::arithmetic
};

struct IntegerPtqResult {
  FullIntegerReport report;
  calibration::CalibrationStats stats;
  int64_t samples = 0;            // samples calibrated on (0 when statistics were loaded)
  int bias_corrected_ops = 0;
  std::optional<Dataset> representative;  // the samples, when they were loaded
};

// Loads `spec` (arrays matched to the input by name, then "x", then the only
// array: io/dataset.h; or an image folder, resized to the input's height,
// width and channels as uint8 pixels: data/source.h) and shapes its samples to feed `model`'s single input: integer
// samples are converted with `input_scale` when the input is float32 (and
// refused without it), and per-sample shapes with the same element count
// (e.g. [28, 28] for [28, 28, 1]) are reshaped.
Expected<Dataset> load_model_dataset(const ir::Model& model, const std::string& spec,
                                     std::optional<float> input_scale);

// Bias correction on float model `model` (subgraph 0, one input): for every
// CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED with float32 constant
// weights, subtracts from its bias (added when absent) the mean output shift
// that symmetric int8 weight quantization (per tensor or per channel, as the
// quantizer will do it) causes, given E[input] per channel measured on `data`.
// Tensor ids do not change (new biases are appended; the old ones are left for
// remove_unused_tensors). Returns how many ops were corrected.
// The model runs with `runtime`'s kernels and arithmetic (every tensor kept).
Expected<int> correct_bias(ir::Model& model, const Dataset& data, int64_t max_samples, bool per_tensor,
                           runtime::InterpreterOptions runtime = {});

Expected<IntegerPtqResult> quantize_integer_ptq(ir::Model& model, const IntegerPtqOptions& options);

}  // namespace tfc::passes
