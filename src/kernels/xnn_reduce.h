// XNNPACK-compatible int8 MEAN: the arithmetic LiteRT's default interpreter
// applies when its XNNPACK delegate takes an int8 MEAN (our reference kernel,
// kernels/shape_int.h reduce_mean_sum, follows LiteRT's builtin integer
// Mean instead, whose multiplier is pre-divided by the count with truncation
// and so lands one step off the real mean on a few percent of outputs).
//
//   acc = sum over the reduced elements of (q - in_zp)        (exact integer)
//   S   = (in_scale / out_scale) * (1 / float(n))              (float32, in that order)
//   out = out_zp + rne(clamp(float(acc) * S, -128 - out_zp, 127 - out_zp))
//
// with n the number of reduced elements and rne rounding half to even. Checked
// against LiteRT 2.3.0's default path on the global-average MEAN of the
// Fashion-MNIST MobileNet fixtures (96,000 outputs, all equal).
//
// Used only in the float (XNNPACK-compatible) requantization mode
// (Requantization::kFloat, kernels/quant_util.h); the caller picks the kernel.
#pragma once

#include <cstdint>
#include <span>

#include "kernels/common.h"
#include "kernels/quant_util.h"

namespace tfc::kernels {

// The float32 scale of an int8 mean over n elements.
float xnn_mean_scale(float input_scale, float output_scale, int64_t n);

// One output of the mean from its integer sum of (q - in_zp) over n elements.
int8_t xnn_mean_requantize(int64_t acc, float scale, int32_t output_zero_point);

// MEAN of an int8 tensor over `axes` (normalized to [0, rank), possibly
// repeated), keep_dims layout of the output (reduced dims of size 1; the
// caller may view it without them). An empty reduction (n == 0) gives out_zp.
void xnn_mean_int8(const int8_t* in, Dims in_dims, std::span<const int32_t> axes, QParams in_q, QParams out_q,
                   int8_t* out);

}  // namespace tfc::kernels
