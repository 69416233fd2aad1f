// Moving between a model's tensors and real numbers: the values of a float or
// per-tensor quantized tensor as doubles (integers dequantized with their scale
// and zero point), and float samples quantized the way a model's integer input
// takes them (as a QUANTIZE op would). Shared by per-layer debugging and the
// evaluation harness.
// Not: per-channel tensors, requantization between integer types.
#pragma once

#include <vector>

#include "core/array.h"
#include "core/status.h"
#include "ir/graph.h"

namespace tfc::analysis {

// Float32 as is; int8/uint8/int16 per-tensor quantized dequantized.
Expected<std::vector<double>> real_values(const Array& a, const ir::Tensor& t);

// `x` as model input `input` takes it: unchanged when the dtypes match, float
// samples quantized with the input's parameters when it is a quantized integer.
Expected<Array> to_input(const Array& x, const ir::Tensor& input);

}  // namespace tfc::analysis
