// A model's tensors as real numbers: the values of a float or per-tensor
// quantized tensor as doubles (integers dequantized with their scale and zero
// point). Shared by per-layer debugging and the evaluation harness; samples
// go the other way in runtime/dataset_runner.h (input_batch).
// Not: per-channel tensors, requantization between integer types.
#pragma once

#include <vector>

#include "core/array.h"
#include "core/status.h"
#include "ir/graph.h"

namespace tfc::analysis {

// Float32 as is; int8/uint8/int16 per-tensor quantized dequantized.
Expected<std::vector<double>> real_values(const Array& a, const ir::Tensor& t);

}  // namespace tfc::analysis
