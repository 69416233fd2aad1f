// Reference backward kernels of the shape and data-movement family: for each
// forward kernel of shape_ref.h that moves or sums float32 elements, the
// kernel that sends dL/d(output) back to dL/d(input) along the same element
// mapping. Every kernel ADDS into its input gradient (dx += ...), so a tensor
// used several times accumulates; a forward position read several times (a
// repeated gather index, a bilinear corner) accumulates too.
// Pure functions on buffers and dims, like shape_ref.h; the gradient rules
// (ops/shape_grad.cc, ops/data_grad.cc) resolve the same plans as the forward.
// Not here: RESHAPE, SQUEEZE and EXPAND_DIMS (dx += dy).
#pragma once

#include <cstdint>
#include <span>

#include "kernels/common.h"
#include "kernels/shape_ref.h"

namespace tfc::kernels {

// ---- Reductions -------------------------------------------------------------
// MEAN / SUM backward: dx (in_dims) += dy / divisor, dy broadcast back over
// the reduced `axes` (dy: in_dims with every reduced dim 1; repeats count
// once). SUM: divisor 1; MEAN: the number of elements reduced into each output.
void reduce_backward(const float* dy, Dims in_dims, std::span<const int32_t> axes, float divisor, float* dx);

// ---- PAD / PADV2 ------------------------------------------------------------
// dx (in_dims) += the interior of dy (in_dims[d] + before[d] + after[d] per d).
void pad_backward(const float* dy, Dims in_dims, std::span<const int32_t> before, std::span<const int32_t> after,
                  float* dx);

// ---- TRANSPOSE --------------------------------------------------------------
// dx (in_dims) += dy (in_dims permuted by perm) transposed back.
void transpose_backward(const float* dy, Dims in_dims, std::span<const int32_t> perm, float* dx);

// ---- STRIDED_SLICE / SLICE --------------------------------------------------
// dx (in_dims) += dy (slice_axis_count(axes[d]) per d) at the positions the
// slice read; the positions are distinct.
void strided_slice_backward(const float* dy, Dims in_dims, std::span<const SliceAxis> axes, float* dx);

// ---- Blocks along an axis (CONCATENATION, SPLIT, SPLIT_V, PACK, UNPACK) ------
// A `whole` tensor of `dims` cut along `axis` into consecutive parts of
// sizes[k] (summing to dims[axis]); part k has dims with dims[axis] = sizes[k].
// parts[k] += part k of whole; a nullptr part is skipped.
// (CONCATENATION's backward; PACK's with sizes of 1.)
void add_whole_to_parts(const float* whole, Dims dims, int axis, std::span<const int32_t> sizes,
                        std::span<float* const> parts);
// whole += the parts laid side by side; a nullptr part counts as zero.
// (SPLIT's and SPLIT_V's backward; UNPACK's with sizes of 1.)
void add_parts_to_whole(std::span<const float* const> parts, Dims dims, int axis, std::span<const int32_t> sizes,
                        float* whole);

// ---- GATHER -----------------------------------------------------------------
// dx (in_dims) += dy scattered back as shape_ref.h's gather read it:
//   dx[b, o, indices[b, j], i] += dy[b, o, j, i]; repeated indices add up.
void gather_backward(const float* dy, Dims in_dims, int axis, int batch_dims, const int64_t* indices, Dims idx_dims,
                     float* dx);

// ---- RESIZE_BILINEAR / RESIZE_NEAREST_NEIGHBOR ------------------------------
// dx (N, H, W, C) += dy (N, out_h, out_w, C) sent back to the input pixels the
// forward read, with the forward's interpolation weights (bilinear) or whole
// (nearest); the options as in shape_ref.h.
void resize_bilinear_backward(const float* dy, Dims in_dims, int32_t out_h, int32_t out_w, bool align_corners,
                              bool half_pixel_centers, float* dx);
void resize_nearest_neighbor_backward(const float* dy, Dims in_dims, int32_t out_h, int32_t out_w,
                                      bool align_corners, bool half_pixel_centers, float* dx);

// ---- DEPTH_TO_SPACE / SPACE_TO_DEPTH ----------------------------------------
// dx (in_dims, the forward's input) += dy (the forward's output) moved back.
void depth_to_space_backward(const float* dy, Dims in_dims, int32_t block_size, float* dx);
void space_to_depth_backward(const float* dy, Dims in_dims, int32_t block_size, float* dx);

}  // namespace tfc::kernels
