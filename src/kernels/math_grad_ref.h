// Reference backward kernels of the math family (ops/math_grad.cc): the
// reductions REDUCE_MAX / REDUCE_MIN / REDUCE_PROD, as TensorFlow's gradient
// functions compute them (tensorflow/python/ops/math_grad.py, _MinOrMaxGrad
// and _ProdGrad). Every kernel ADDS into its input gradient (dx += ...).
// Pure functions on buffers and dims, like math_ref.h; the rules resolve the
// axes as the forward does. Not here: the elementwise math rules (inline in
// ops/math_grad.cc), MEAN / SUM (shape_grad_ref.h).
#pragma once

#include <cstdint>
#include <span>

#include "kernels/common.h"

namespace tfc::kernels {

// `axes` are non-negative input axes (repeats count once); x and dx: in_dims;
// y and dy: in_dims with every reduced dim 1 (the forward's output).

// REDUCE_MAX / REDUCE_MIN backward: the elements equal to their group's
// result share its gradient equally (_MinOrMaxGrad):
//   dx[i] += (x[i] == y[o] ? 1 : 0) / ties[o] * dy[o]
// where ties[o] counts the elements of group o equal to y[o].
// ties: scratch of y's element count (overwritten).
void reduce_min_max_backward(const float* x, Dims in_dims, std::span<const int32_t> axes, const float* y,
                             const float* dy, float* ties, float* dx);

// REDUCE_PROD backward: the product of the group's other elements, taken as
// the exclusive product before the element times the exclusive product after
// it in row-major order (_ProdGrad's two exclusive cumprods; no division, so
// zeros are exact):
//   dx[i] += dy[o] * (before[i] * after[i])
// scratch: x's element count plus y's (overwritten).
void reduce_prod_backward(const float* x, Dims in_dims, std::span<const int32_t> axes, const float* dy,
                          float* scratch, float* dx);

}  // namespace tfc::kernels
