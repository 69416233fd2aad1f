// Reference backward kernels of the conv family (the forward kernels and their
// definitions: kernels/conv_ref.h), float32 only: for each forward kernel the
// gradients of its inputs from dL/d(output). Pure functions on buffers and
// dims; the gradient rules (ops/conv_grad.cc) choose which to call.
//
// Every kernel ADDS its result into the gradient buffer it is given (the
// trainer's contract, ops/grad_context.h). Sums accumulate in double and are
// added once, so each result is the exact sum rounded once (up to the add).
//
// `dout` is dL/d(pre-activation output): these kernels know nothing of fused
// activations (ops/grad_util.h applies their backward first), and the
// `activation` field of the params structs is ignored.
#pragma once

#include <cstdint>

#include "kernels/common.h"
#include "kernels/conv_ref.h"

namespace tfc::kernels {

// ---- CONV_2D (grouped too) -------------------------------------------------
// dout: (N, OH, OW, Cout); filter: (Cout, KH, KW, Cin / groups); input: (N, H, W, Cin).
//   dinput[n,iy,ix,g*Cg + c] += sum over (oy, ox, ky, kx, oc in group g) reading
//                               (iy, ix) of dout[n,oy,ox,oc] * filter[oc,ky,kx,c]
void conv2d_backward_input(const ConvParams& p, const float* dout, Dims output_dims, const float* filter,
                           Dims filter_dims, float* dinput, Dims input_dims);
//   dfilter[oc,ky,kx,c] += sum_{n,oy,ox} dout[n,oy,ox,oc] * input[n,iy,ix,g*Cg + c]
//                          over the taps (iy, ix) that fall inside the input.
void conv2d_backward_filter(const ConvParams& p, const float* input, Dims input_dims, const float* dout,
                            Dims output_dims, float* dfilter, Dims filter_dims);

// ---- DEPTHWISE_CONV_2D ------------------------------------------------------
// dout: (N, OH, OW, C*M); filter: (1, KH, KW, C*M); input: (N, H, W, C).
//   dinput[n,iy,ix,c] += sum over taps reading (iy, ix), m < M of
//                        dout[n,oy,ox,c*M + m] * filter[0,ky,kx,c*M + m]
void depthwise_conv2d_backward_input(const ConvParams& p, const float* dout, Dims output_dims, const float* filter,
                                     Dims filter_dims, float* dinput, Dims input_dims);
//   dfilter[0,ky,kx,oc] += sum_{n,oy,ox} dout[n,oy,ox,oc] * input[n,iy,ix,oc / M]
void depthwise_conv2d_backward_filter(const ConvParams& p, const float* input, Dims input_dims, const float* dout,
                                      Dims output_dims, float* dfilter, Dims filter_dims);

// ---- TRANSPOSE_CONV -----------------------------------------------------------
// dout: (N, OH, OW, Cout); filter: (Cout, KH, KW, Cin); input: (N, H, W, Cin).
// With the gather form of conv_ref.h:
//   dinput[n,iy,ix,c] += sum over (y, x, ky, kx, oc) gathering (iy, ix) of dout[n,y,x,oc] * filter[oc,ky,kx,c]
void transpose_conv_backward_input(const TransposeConvParams& p, const float* dout, Dims output_dims,
                                   const float* filter, Dims filter_dims, float* dinput, Dims input_dims);
//   dfilter[oc,ky,kx,c] += sum over (n, y, x) of dout[n,y,x,oc] * input[n,iy,ix,c]
void transpose_conv_backward_filter(const TransposeConvParams& p, const float* input, Dims input_dims,
                                    const float* dout, Dims output_dims, float* dfilter, Dims filter_dims);

// ---- Bias (any op adding a bias along the last axis) --------------------------
// dout: (rows, channels). dbias[c] += sum_r dout[r,c]
void bias_backward(const float* dout, int64_t rows, int32_t channels, float* dbias);

// ---- FULLY_CONNECTED ----------------------------------------------------------
// dout: (rows, units); weights: (units, depth); input: (rows, depth).
//   dinput[r,d] += sum_u dout[r,u] * weights[u,d]
void fully_connected_backward_input(const float* dout, int64_t rows, int32_t units, const float* weights,
                                    int32_t depth, float* dinput);
//   dweights[u,d] += sum_r dout[r,u] * input[r,d]
void fully_connected_backward_weights(const float* input, int64_t rows, int32_t depth, const float* dout,
                                      int32_t units, float* dweights);

// ---- BATCH_MATMUL -------------------------------------------------------------
// Operands and output as in batch_matmul (conv_ref.h); dout: output_dims.
// With out = lhs' rhs' per batch (primes: the adjoint where the flag is set):
//   dlhs' += dout rhs'^T and drhs' += lhs'^T dout, summed over the output
// batches that a broadcast operand matrix feeds. dlhs (lhs_dims) or drhs
// (rhs_dims) may be nullptr: that gradient is skipped.
void batch_matmul_backward(const float* lhs, Dims lhs_dims, bool adj_x, const float* rhs, Dims rhs_dims, bool adj_y,
                           const float* dout, Dims output_dims, float* dlhs, float* drhs);

// ---- AVERAGE_POOL_2D and MAX_POOL_2D ------------------------------------------
// dout: (N, OH, OW, C); input, dinput: (N, H, W, C).
// Average: each output's gradient is spread evenly over the window's taps
// inside the input (the count the forward divided by).
void average_pool2d_backward(const PoolParams& p, const float* dout, Dims output_dims, float* dinput,
                             Dims input_dims);
// Max: each output's gradient goes to one tap, the first maximum of its
// window in walk order (ky outer, kx inner, ascending), as TensorFlow's
// MaxPoolGrad routes ties.
void max_pool2d_backward(const PoolParams& p, const float* input, Dims input_dims, const float* dout,
                         Dims output_dims, float* dinput);

}  // namespace tfc::kernels
