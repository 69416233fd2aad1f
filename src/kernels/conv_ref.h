// Reference kernels of the conv family: CONV_2D (grouped too), DEPTHWISE_CONV_2D,
// TRANSPOSE_CONV, FULLY_CONNECTED, BATCH_MATMUL, AVERAGE_POOL_2D and MAX_POOL_2D,
// float32 only, following TFLite's builtin kernels (tensorflow/lite/kernels/
// internal/reference/{conv,depthwiseconv_float,transpose_conv,fully_connected,
// batch_matmul,pooling}.h). Pure functions on buffers and dims: callers
// (ops/conv_ops.cc) validate inputs and size the outputs from the window rules
// in kernels/common.h. Not here: quantized or hybrid (int8-weight) variants.
//
// Dot products accumulate in double, so each output is the exact sum rounded
// once; LiteRT's float sums (in an order that depends on its optimized path)
// differ from it only by float rounding.
//
// Fused activations clamp as TFLite's CalculateActivationRange does: RELU to
// [0, max], RELU6 to [0, 6], RELU_N1_TO_1 to [-1, 1], and every other value
// (NONE, and TANH / SIGN_BIT, which these float kernels ignore) to the finite
// float range [lowest, max]. NaN passes through.
#pragma once

#include <cstdint>

#include "kernels/common.h"

namespace tfc::kernels {

// Geometry and activation of CONV_2D and DEPTHWISE_CONV_2D.
struct ConvParams {
  Padding padding = Padding::kValid;
  int32_t stride_h = 1, stride_w = 1;
  int32_t dilation_h = 1, dilation_w = 1;
  Activation activation = Activation::kNone;
};

// Geometry and activation of AVERAGE_POOL_2D and MAX_POOL_2D.
struct PoolParams {
  Padding padding = Padding::kValid;
  int32_t stride_h = 1, stride_w = 1;
  int32_t filter_h = 1, filter_w = 1;
  Activation activation = Activation::kNone;
};

// Geometry and activation of TRANSPOSE_CONV (no dilation in TFLite).
struct TransposeConvParams {
  Padding padding = Padding::kValid;
  int32_t stride_h = 1, stride_w = 1;
  Activation activation = Activation::kNone;
};

// CONV_2D. input: (N, H, W, Cin); filter: (Cout, KH, KW, Cin / groups) with
// groups = Cin / filter_dims[3] and Cout a multiple of groups; bias: (Cout) or
// nullptr for zeros; output: (N, OH, OW, Cout) with OH, OW from
// window_output_size. Output channel oc reads the input channels of group
// oc / (Cout / groups):
//   out[n,y,x,oc] = act(bias[oc] + sum_{ky,kx,c} in[n, y*sh - pt + ky*dh,
//                        x*sw - pl + kx*dw, g*Cg + c] * filter[oc,ky,kx,c])
// where taps outside the input are zero (pt, pl: padding before, TFLite's rule).
void conv2d(const ConvParams& p, const float* input, Dims input_dims, const float* filter, Dims filter_dims,
            const float* bias, float* output, Dims output_dims);

// DEPTHWISE_CONV_2D. input: (N, H, W, Cin); filter: (1, KH, KW, Cout) with
// Cout = Cin * M (M, the depth multiplier, is derived from the dims as LiteRT
// does, not taken from the op's options); bias: (Cout) or nullptr; output:
// (N, OH, OW, Cout). Output channel oc = c * M + m filters input channel c:
//   out[n,y,x,oc] = act(bias[oc] + sum_{ky,kx} in[n, y*sh - pt + ky*dh,
//                        x*sw - pl + kx*dw, oc / M] * filter[0,ky,kx,oc])
void depthwise_conv2d(const ConvParams& p, const float* input, Dims input_dims, const float* filter,
                      Dims filter_dims, const float* bias, float* output, Dims output_dims);

// TRANSPOSE_CONV. input: (N, H, W, Cin); filter: (Cout, KH, KW, Cin); bias:
// (Cout) or nullptr; output: (N, OH, OW, Cout), its size given by the op's
// output_shape input. Padding is computed as for a forward conv from the
// output size to the input size (pt = window_padding_before(OH, KH, sh, 1,
// window_output_size(padding, OH, KH, sh, 1))). Each input element is scattered
// over the output window it came from; written as the equivalent gather:
//   out[n,y,x,oc] = act(bias[oc] + sum over ky, kx, c with y + pt - ky = iy*sh,
//                        x + pl - kx = ix*sw, (iy, ix) inside the input, of
//                        in[n,iy,ix,c] * filter[oc,ky,kx,c])
void transpose_conv(const TransposeConvParams& p, const float* input, Dims input_dims, const float* filter,
                    Dims filter_dims, const float* bias, float* output, Dims output_dims);

// FULLY_CONNECTED. input: (rows, depth) — the op's input flattened; weights:
// (units, depth); bias: (units) or nullptr; output: (rows, units).
//   out[r,u] = act(bias[u] + sum_d in[r,d] * weights[u,d])
void fully_connected(Activation activation, const float* input, int64_t rows, int32_t depth, const float* weights,
                     int32_t units, const float* bias, float* output);

// BATCH_MATMUL. lhs: (..., M, K), or (..., K, M) when adj_x; rhs: (..., K, N),
// or (..., N, K) when adj_y; ranks 2..5. output: (B..., M, N), where the batch
// dims B are lhs's and rhs's broadcast together (NumPy rules, aligned at the
// right). out[b,i,j] = sum_k lhs'[b,i,k] * rhs'[b,k,j], the primes meaning the
// adjoint (transpose) when the flag is set and broadcast batch indices.
void batch_matmul(const float* lhs, Dims lhs_dims, bool adj_x, const float* rhs, Dims rhs_dims, bool adj_y,
                  float* output, Dims output_dims);

// AVERAGE_POOL_2D. input: (N, H, W, C); output: (N, OH, OW, C). The mean of
// the window's taps that fall inside the input (padding is not counted, as in
// TFLite), then the activation. Each window must hold at least one tap, which
// window_output_size guarantees for filter sizes >= 1.
void average_pool2d(const PoolParams& p, const float* input, Dims input_dims, float* output, Dims output_dims);

// MAX_POOL_2D. input: (N, H, W, C); output: (N, OH, OW, C). The maximum of the
// window's taps inside the input (starting from the lowest float, as TFLite
// does), then the activation.
void max_pool2d(const PoolParams& p, const float* input, Dims input_dims, float* output, Dims output_dims);

}  // namespace tfc::kernels
