// Reference kernels of the data family (ops/data_ops.cc): stacking and
// splitting (PACK, UNPACK, SPLIT_V), TILE, MIRROR_PAD, GATHER_ND, FILL,
// BROADCAST_TO, REVERSE_V2, the SPACE_TO_BATCH_ND / BATCH_TO_SPACE_ND pair,
// CAST and RANGE. Each follows the matching TFLite builtin kernel
// (tensorflow/lite/kernels/*.cc and kernels/internal/reference/*.h).
// Pure functions on buffers and dims: the ops validate inputs and size the
// outputs. Data-movement kernels copy elements of `elem_size` bytes, so any
// fixed-size dtype works. Booleans are stored as one byte, 0 or 1.
// Not here: the reshaping and slicing ops (shape_ref.h); the backward
// kernels (data_grad_ref.h).
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

}  // namespace tfc::kernels
