// Reference kernels of the math family (ops/math_ops.cc): ARG_MAX / ARG_MIN,
// REDUCE_MAX / MIN / PROD, unary and binary math, ADD_N, L2_NORMALIZATION,
// CUMSUM and TOPK_V2. Each follows the matching TFLite builtin kernel
// (tensorflow/lite/kernels/*.cc and kernels/internal/reference/*.h).
// Templates instantiated (in math_ref.cc) for the element types LiteRT
// supports for that op; integers wrap in two's complement.
// Not here: quantized (rescaling) arithmetic (elementwise_int.h), MEAN and SUM
// (shape_ref.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "kernels/common.h"

namespace tfc::kernels {

// ---- ARG_MAX / ARG_MIN -------------------------------------------------------
// input: in_dims; output: in_dims without `axis`, the index along `axis` of the
// largest (is_max) or smallest value; ties give the first index (strict
// comparisons, as TFLite's std::greater / std::less). T: float, uint8_t
// (also bool data), int8_t, int16_t, int32_t; Index: int32_t, int64_t.
template <typename T, typename Index>
void arg_min_max(const T* in, Dims in_dims, int axis, bool is_max, Index* out);

// ---- REDUCE_MAX / REDUCE_MIN / REDUCE_PROD -----------------------------------
enum class ReduceOp : int8_t {
  kMax,   // start at the type's lowest(); out = out > in ? out : in
  kMin,   // start at the type's max();    out = out < in ? out : in
          // (so a NaN input replaces the running value, as in LiteRT)
  kProd,  // start at 1;                   out = out * in (integers wrap)
};
// `axes` are non-negative input axes (repeats count once); input: in_dims;
// output: in_dims with every reduced dim taken as 1. Elements are combined in
// row-major input order, as TFLite's reference reducer. An empty reduction
// gives the start value. T: float, int8_t, uint8_t, int16_t, int32_t, int64_t
// (kProd: float, int32_t, int64_t).
template <typename T>
void reduce(ReduceOp op, const T* in, Dims in_dims, std::span<const int32_t> axes, T* out);

// ---- Unary math (n elements, any shape) --------------------------------------
enum class MathUnaryOp : int8_t {
  kAbs,     // |x|
  kNeg,     // -x (integers wrap)
  kSquare,  // x * x
  kLog,     // ln x
  kFloor,   // floor x
  kCeil,    // ceil x
  kRound,   // nearest, ties to even (TFLite's RoundToNearest: floor, then +1
            // when the fraction is above 0.5 or exactly 0.5 with an odd floor)
  kSign,    // 1, -1, 0 (also for -0); NaN stays NaN
  kSin,     // sin x
  kCos,     // cos x
  kElu,     // x < 0 ? exp(x) - 1 : x
};
// T: float (every op), int32_t (kAbs, kNeg, kSign), int64_t (kNeg).
template <typename T>
void math_unary(MathUnaryOp op, const T* in, T* out, int64_t n);

// ---- Binary math (broadcasting as compare) ------------------------------------
enum class MathBinaryOp : int8_t {
  kPow,       // float: std::pow(a, b); integer: a^b by repeated squaring
              // (b >= 0, checked by the caller; wraps)
  kFloorDiv,  // floor(double(a) / double(b)) (b != 0, checked by the caller)
  kFloorMod,  // r = a mod b truncated (fmod for float); r + b when r != 0 and
              // r, b differ in sign (integers: b != 0, checked by the caller)
};
// T: float (all), int32_t (all), int16_t and int8_t (kFloorDiv, kFloorMod),
// int64_t (kFloorMod).
template <typename T>
void math_binary(MathBinaryOp op, const T* a, Dims a_dims, const T* b, Dims b_dims, T* out, Dims out_dims);

// ---- ADD_N, L2_NORMALIZATION, CUMSUM, TOPK_V2 ---------------------------------

// out[i] = inputs[0][i] + inputs[1][i] + ... (in input order); n elements each.
// T: float, int32_t (wraps).
template <typename T>
void add_n(std::span<const T* const> inputs, int64_t n, T* out);

// input and output: dims; along the last axis,
//   out = x / max(sqrt(sum(x^2)), 1e-6)   (TFLite's float L2Normalization).
void l2_normalization(const float* in, Dims dims, float* out);

// input and output: dims; running sums along `axis` in index order (backwards
// when `reverse`); `exclusive` leaves out the element itself (the first sum
// is 0). T: float, int32_t, int64_t.
template <typename T>
void cumsum(const T* in, Dims dims, int axis, bool exclusive, bool reverse, T* out);

// input: (R..., n); values, indices: (R..., k) with 0 <= k <= n: per row the k
// largest values in decreasing order, ties by lower index first (TFLite's
// TopContainer order). T: float, uint8_t, int8_t, int32_t, int64_t;
// Index: int32_t, int16_t.
template <typename T, typename Index>
void top_k(const T* in, Dims in_dims, int32_t k, T* values, Index* indices);

}  // namespace tfc::kernels
