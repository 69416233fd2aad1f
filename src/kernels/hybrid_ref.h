// Hybrid (dynamic-range) kernels of the conv family: float32 input and output,
// int8 weights with per-tensor or per-channel scales, float32 bias. As LiteRT's
// builtin hybrid kernels (fully_connected.cc EvalHybrid, conv.cc EvalHybrid /
// EvalHybridPerChannel, depthwise_conv.cc EvalHybridPerChannel,
// transpose_conv.cc EvalHybrid):
//   1. each batch row of the input is quantized to int8 at run time —
//      symmetric (scale = max|x| / 127, zero point 0) or asymmetric (scale =
//      (max(x,0) - min(x,0)) / 255, nudged zero point), see quantize_row_*;
//   2. acc (int32) = sum w * (q - zero_point) over the row / window;
//   3. out = act(float(acc) * scale + bias) with scale = row_scale * w_scale
//      (float products, in LiteRT's order).
// Which input quantization each op uses is LiteRT's choice: FULLY_CONNECTED
// by its asymmetric_quantize_inputs option; CONV_2D symmetric with per-tensor
// weights and asymmetric with per-channel weights; DEPTHWISE_CONV_2D and
// TRANSPOSE_CONV asymmetric. Geometry and layouts as kernels/conv_ref.h.
//
// Not here: full-integer kernels (kernels/conv_int.h), validation (ops/).
#pragma once

#include <cstdint>
#include <span>

#include "kernels/conv_ref.h"

namespace tfc::kernels {

// One row's run-time quantization: q = clamp(round(x / scale) + zero_point).
struct RowQuant {
  float scale = 1.0f;
  int32_t zero_point = 0;
};

// LiteRT's SymmetricQuantizeFloats: range = max(|min|, |max|); an all-zero
// row gives q = 0 and scale 1; else scale = range / 127 and
// q = clamp(round(x * (127 / range)), -127, 127).
RowQuant quantize_row_symmetric(const float* x, int64_t n, int8_t* q);

// LiteRT's AsymmetricQuantizeFloats: rmin = min(0, min x), rmax = max(0, max
// x) (double); equal gives q = 0, scale 1, zero point 0; else scale =
// (rmax - rmin) / 255, zero point from the closer end nudged into [-128, 127],
// q = clamp(round(zp + x * (1 / scale)), -128, 127) in float.
RowQuant quantize_row_asymmetric(const float* x, int64_t n, int8_t* q);

// Weight scales: one (per tensor) or one per output channel.
using WeightScales = std::span<const float>;

// FULLY_CONNECTED. input (rows, depth); weights (units, depth); output (rows, units).
void hybrid_fully_connected(Activation activation, bool asymmetric_inputs, const float* input, int64_t rows,
                            int32_t depth, const int8_t* weights, int32_t units, WeightScales scales,
                            const float* bias, float* output);

// CONV_2D (per-tensor weights: symmetric inputs; per-channel: asymmetric).
// Grouped filters are accepted (LiteRT runs them through the per-channel path).
void hybrid_conv2d(const ConvParams& p, const float* input, Dims input_dims, const int8_t* filter, Dims filter_dims,
                   WeightScales scales, const float* bias, float* output, Dims output_dims);

// DEPTHWISE_CONV_2D (asymmetric inputs; a single scale is broadcast).
void hybrid_depthwise_conv2d(const ConvParams& p, const float* input, Dims input_dims, const int8_t* filter,
                             Dims filter_dims, WeightScales scales, const float* bias, float* output,
                             Dims output_dims);

// TRANSPOSE_CONV (asymmetric inputs; a single scale is broadcast). filter
// (Cout, KH, KW, Cin); output dims given. Unlike the others, LiteRT's
// HybridTransposeConv sums in float: out = act(bias[oc] + sum, in input order
// (iy, ix, c), of float((q - zp) * w) * w_scale[oc] * row_scale).
void hybrid_transpose_conv(const TransposeConvParams& p, const float* input, Dims input_dims, const int8_t* filter,
                           Dims filter_dims, WeightScales scales, const float* bias, float* output,
                           Dims output_dims);

}  // namespace tfc::kernels
