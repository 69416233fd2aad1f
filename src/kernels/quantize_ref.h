// Symmetric int8 quantization of float weights, as the TFLite converter does it
// for dynamic-range ("hybrid") and full-integer models: zero point 0, values in
// [-127, 127] (the int8 weight rule of the TFLite quantization spec,
// https://ai.google.dev/edge/litert/models/quantization_spec), one scale per
// tensor or one per channel along an axis. Pure functions on buffers and dims.
// Not here: activation quantization with calibrated ranges, the graph rewrite
// (passes/quantize_dynamic.cc), int8 -> float (elementwise_ref.h dequantize).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "kernels/common.h"

namespace tfc::kernels {

// The smallest half range a scale is computed from. The converter widens a
// range narrower than 1e-6 (kNearZeroTolerance in its quantization utils) so an
// all-zero channel still gets a positive scale: 5e-7 / 127.
constexpr float kMinSymmetricHalfRange = 5e-7f;

// scale = max(max|w|, kMinSymmetricHalfRange) / 127 over the whole tensor;
// q = round(w / scale) (in double, ties to even, as the converter's MLIR
// quantizer), clamped to [-127, 127]; callers reject non-finite weights (a NaN
// becomes 0). weights, out: n elements. Returns the scale.
float quantize_symmetric_per_tensor(const float* weights, int64_t n, int8_t* out);

// The same per channel along `axis` (dims[axis] scales, channel c's scale from
// the elements whose index along axis is c). weights, out: dims. Returns the
// scales, one per channel.
std::vector<float> quantize_symmetric_per_channel(const float* weights, Dims dims, int32_t axis, int8_t* out);

}  // namespace tfc::kernels
