// Per-layer quantization error: runs a float model and its quantized version
// on the same samples and compares every activation the two share by name (the
// quantize pass keeps float names on integer tensors), the integer values
// dequantized with their scale and zero point. The error at a layer includes
// what earlier layers passed on, as a user of the quantized model sees it.
// Metrics per tensor, over all samples: SNR in dB (10 log10 of signal power
// over error power), cosine similarity, max and mean absolute error, and the
// max error in quantization steps of that tensor.
// Not here: quantizing (passes/), choosing what to keep float (the CLI).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/progress.h"
#include "core/status.h"
#include "io/dataset.h"
#include "ir/graph.h"
#include "runtime/interpreter.h"

namespace tfc::analysis {

struct LayerError {
  std::string tensor;     // name shared by both models
  std::string op;         // the quantized model's producer op ("input" for a graph input)
  int op_index = -1;      // its index in the quantized model
  DType dtype = DType::kFloat32;  // in the quantized model
  double scale = 0;       // one quantization step (0 for float tensors)
  bool is_output = false; // a graph output of the float model
  int64_t count = 0;      // values compared
  double snr_db = 0, cosine = 0, max_abs = 0, mean_abs = 0, max_steps = 0;
};

struct LayerErrorOptions {
  int64_t max_samples = 0;  // 0: all
  ProgressMode progress = ProgressMode::kAuto;
  runtime::Kernels kernels = runtime::Kernels::kFast;  // the runtime's kernels that run both models
  kernels::Requantization arithmetic = kernels::kDefaultRequantization;  // InterpreterOptions::arithmetic
};

// `data` feeds both models' single input (float samples; a quantized model
// with an integer input gets them quantized with its input's parameters).
// Returns one entry per shared activation, sorted worst (lowest SNR) first.
Expected<std::vector<LayerError>> compare_layers(const ir::Model& float_model, const ir::Model& quantized_model,
                                                 const Dataset& data, const LayerErrorOptions& options = {});

nlohmann::json layer_errors_json(const std::vector<LayerError>& errors);
// A table of the `top` worst tensors (all when top <= 0), then the outputs.
std::string render_layer_errors(const std::vector<LayerError>& errors, int top);

}  // namespace tfc::analysis
