// Reference kernels of the "misc" family: the ops that converter output of
// vision models needs beside convolutions, elementwise arithmetic and the
// common reshaping ops — stacking and splitting (PACK, UNPACK, SPLIT_V),
// TILE, MIRROR_PAD, GATHER_ND, FILL, BROADCAST_TO, SELECT, REVERSE_V2, the
// SPACE_TO_BATCH_ND / BATCH_TO_SPACE_ND pair, RANGE, CAST, ARG_MAX / ARG_MIN,
// REDUCE_MAX / MIN / PROD, comparisons and logic, unary and binary math,
// ADD_N, L2_NORMALIZATION, CUMSUM and TOPK_V2. Each follows the matching
// TFLite builtin kernel (tensorflow/lite/kernels/*.cc and
// kernels/internal/reference/*.h).
// Pure functions on buffers and dims: callers (ops/data_ops.cc,
// ops/compare_ops.cc, ops/math_ops.cc) validate
// inputs and size the outputs. Data-movement kernels copy elements of
// `elem_size` bytes, so any fixed-size dtype works; math kernels are templates
// instantiated (in misc_ref.cc) for the element types LiteRT supports for that
// op. Booleans are stored as one byte, 0 or 1 (read: non-zero is true).
// Not here: quantized (rescaling) arithmetic.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "kernels/common.h"

namespace tfc::kernels {

// ---- Stacking and splitting --------------------------------------------------

// PACK: inputs[i]: in_dims each; output: in_dims with inputs.size() inserted at
// `axis` (0 <= axis <= rank), output[..., i, ...] = inputs[i][...].
void pack(std::span<const void* const> inputs, Dims in_dims, int axis, size_t elem_size, void* out);

// UNPACK: input: in_dims; outputs[i]: in_dims without dim `axis`
// (outputs.size() == in_dims[axis]), outputs[i][...] = input[..., i, ...].
void unpack(const void* in, Dims in_dims, int axis, std::span<void* const> outputs, size_t elem_size);

// SPLIT_V: input: in_dims; outputs[i]: in_dims with dim `axis` = sizes[i]
// (the sizes sum to in_dims[axis]), holding consecutive blocks along `axis`.
void split_v(const void* in, Dims in_dims, int axis, std::span<const int32_t> sizes, std::span<void* const> outputs,
             size_t elem_size);

// ---- Index-mapping data movement ---------------------------------------------

// TILE: input: in_dims; output: (in_dims[d] * multiples[d]) per d,
// output[i] = input[i mod in_dims] (per dim).
void tile(const void* in, Dims in_dims, std::span<const int32_t> multiples, size_t elem_size, void* out);

// MIRROR_PAD: input: in_dims; output: in_dims[d] + before[d] + after[d] per d.
// Position p of the padded axis reads input index p - before, mirrored at the
// edges: REFLECT (symmetric = false) excludes the edge element
// (-1 -> 1, n -> n - 2), SYMMETRIC includes it (-1 -> 0, n -> n - 1).
// Callers ensure before, after <= n - 1 (REFLECT) or <= n (SYMMETRIC).
void mirror_pad(const void* in, Dims in_dims, std::span<const int32_t> before, std::span<const int32_t> after,
                bool symmetric, size_t elem_size, void* out);

// BROADCAST_TO: input: in_dims (right-aligned, each 1 or equal);
// output: out_dims, output[i] = input[i with broadcast dims at 0].
void broadcast_to(const void* in, Dims in_dims, Dims out_dims, size_t elem_size, void* out);

// REVERSE_V2: input and output: dims; every axis in `axes` (distinct,
// in [0, rank)) is read backwards.
void reverse(const void* in, Dims dims, std::span<const int32_t> axes, size_t elem_size, void* out);

// GATHER_ND: params: params_dims; indices: (I..., nd) with nd <= rank;
// output: (I..., params_dims[nd:]), output[i, :] = params[indices[i, 0..nd), :].
// Callers check that every index lies within its dim.
void gather_nd(const void* params, Dims params_dims, const int64_t* indices, Dims indices_dims, size_t elem_size,
               void* out);

// SELECT / SELECT_V2 with NumPy broadcasting among the three operands:
// output[i] = cond[i] ? x[i] : y[i]. cond: cond_dims (bytes, non-zero true);
// x: x_dims; y: y_dims; output: out_dims (their broadcast shape).
void select_elements(const uint8_t* cond, Dims cond_dims, const void* x, Dims x_dims, const void* y, Dims y_dims,
                     size_t elem_size, void* out, Dims out_dims);

// FILL (and ZEROS_LIKE): `count` copies of the element at `value`.
void fill(const void* value, size_t elem_size, int64_t count, void* out);

// ---- SPACE_TO_BATCH_ND / BATCH_TO_SPACE_ND (TF's block order) ------------------
// With M spatial dims and block b = block[0..M):
// SPACE_TO_BATCH_ND: input: (N, S[0..M), R...); the spatial dims are padded by
// (pad_before, pad_after), then output: (N * prod(b), (S + pads) / b, R...) with
//   output[(k * N) + n, s, r] = padded[n, s * b + offset(k), r]
// where offset(k) is block position k unravelled row-major over b. Padded
// positions take the `elem_size` bytes at pad_value.
void space_to_batch_nd(const void* in, Dims in_dims, std::span<const int32_t> block,
                       std::span<const int32_t> pad_before, const void* pad_value, size_t elem_size, void* out,
                       Dims out_dims);
// BATCH_TO_SPACE_ND, the inverse with crops: input: (N * prod(b), S, R...);
// output: (N, S * b - crops, R...) with
//   output[n, t, r] = input[(k * N) + n, (t + crop_before) / b, r],
//   offset(k) = (t + crop_before) mod b.
void batch_to_space_nd(const void* in, Dims in_dims, std::span<const int32_t> block,
                       std::span<const int32_t> crop_before, size_t elem_size, void* out, Dims out_dims);

// ---- CAST --------------------------------------------------------------------
// Element types CAST converts between.
enum class CastType : int8_t { kFloat32, kInt32, kInt64, kInt16, kInt8, kUInt8, kBool };

// n elements of `from` to `to`, as TFLite's cast kernel:
//   float -> integer: truncates toward zero, saturating at the type's range
//     (+-inf too); NaN gives the type's maximum.
//   integer -> narrower integer: wraps (two's complement); -> float: nearest.
//   anything -> bool: value != 0 (NaN is true); bool -> anything: 0 or 1.
void cast(const void* in, CastType from, void* out, CastType to, int64_t n);

// ---- RANGE -------------------------------------------------------------------
// out[0] = start, out[i] = out[i-1] + delta (accumulated, as TFLite does);
// n elements. T: int32_t, int64_t, float.
template <typename T>
void range(T start, T delta, int64_t n, T* out);

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

// ---- Comparisons and logic (broadcasting, output bytes 0 / 1) ----------------
enum class CompareOp : int8_t { kLess, kLessEqual, kGreater, kGreaterEqual, kEqual, kNotEqual };

// out[i] = a[i] op b[i]. a: a_dims; b: b_dims; out: out_dims, their broadcast
// shape. T: float, int8_t, uint8_t (also bool data), int16_t, int32_t, int64_t.
template <typename T>
void compare(CompareOp op, const T* a, Dims a_dims, const T* b, Dims b_dims, uint8_t* out, Dims out_dims);

enum class LogicalOp : int8_t { kAnd, kOr };
// out[i] = a[i] && b[i] (kAnd) or a[i] || b[i] (kOr), broadcasting as compare.
void logical(LogicalOp op, const uint8_t* a, Dims a_dims, const uint8_t* b, Dims b_dims, uint8_t* out,
             Dims out_dims);
// out[i] = !in[i]; n elements.
void logical_not(const uint8_t* in, uint8_t* out, int64_t n);

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
