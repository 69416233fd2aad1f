// Reference kernels of the shape and data-movement family: reductions (MEAN,
// SUM), PAD, TRANSPOSE, strided and plain slices, CONCATENATION, SPLIT,
// GATHER, the two RESIZE ops, DEPTH_TO_SPACE and SPACE_TO_DEPTH, following
// TFLite's builtin kernels. Pure functions on buffers and dims: callers
// (ops/shape_ops.cc, ops/slice_ops.cc) validate inputs and size the outputs.
// Data-movement kernels copy elements of `elem_size` bytes, so any fixed-size
// dtype works; the reductions and RESIZE_BILINEAR are arithmetic (float32;
// SUM also int32).
// Not here: RESHAPE, SQUEEZE and EXPAND_DIMS, which only copy the buffer;
// the backward kernels (shape_grad_ref.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "kernels/common.h"
#include "kernels/index_util.h"

namespace tfc::kernels {

// ---- Reductions (TFLite's REDUCE_SUM / MEAN) --------------------------------
// `axes` are non-negative input axes; repeats are allowed and count once.
// input: in_dims; output: in_dims with every reduced dim taken as 1 (the same
// elements whether the caller keeps or drops those dims).
// Sums accumulate in the element type in row-major input order, as TFLite's
// reference does (int32 wraps around). MEAN divides the float sum by the
// number of reduced elements; an empty input gives NaN, as in TFLite.
void reduce_sum(const float* in, Dims in_dims, std::span<const int32_t> axes, float* out);
void reduce_sum(const int32_t* in, Dims in_dims, std::span<const int32_t> axes, int32_t* out);
void reduce_mean(const float* in, Dims in_dims, std::span<const int32_t> axes, float* out);

// ---- PAD / PADV2 ------------------------------------------------------------
// input: in_dims; output: in_dims[d] + before[d] + after[d] along each d.
// Positions outside the input get the `elem_size` bytes at `pad_value`.
void pad(const void* in, Dims in_dims, std::span<const int32_t> before, std::span<const int32_t> after,
         const void* pad_value, size_t elem_size, void* out);

// ---- TRANSPOSE --------------------------------------------------------------
// input: in_dims; output: (in_dims[perm[0]], ..., in_dims[perm[r-1]]), i.e.
// output[i0, ..., ir-1] = input[j] with j[perm[k]] = ik.
void transpose(const void* in, Dims in_dims, std::span<const int32_t> perm, size_t elem_size, void* out);

// ---- STRIDED_SLICE / SLICE --------------------------------------------------
// One axis of a strided slice, already resolved (masks, negative indices and
// clamping applied): positions start, start + stride, ... while they stay
// before `stop` (after it for a negative stride).
struct SliceAxis {
  int32_t start = 0;
  int32_t stop = 0;
  int32_t stride = 1;
};

// Number of positions an axis visits.
int64_t slice_axis_count(const SliceAxis& a);
// How a strided slice walks its input: the output dims, the input offset of
// the first element and the input offset step per output index, per dim.
struct SliceWalk {
  std::vector<int32_t> out_dims;
  int64_t first = 0;
  std::vector<int64_t> step;
};
SliceWalk slice_walk(Dims in_dims, std::span<const SliceAxis> axes);

// input: in_dims (one SliceAxis per dim); output: (slice_axis_count(axes[d]))
// per dim, in row-major order. A rank-0 input copies its one element.
void strided_slice(const void* in, Dims in_dims, std::span<const SliceAxis> axes, size_t elem_size, void* out);

// ---- CONCATENATION / SPLIT --------------------------------------------------
// inputs[i]: in_dims[i], all equal except along `axis`;
// output: those dims with dim `axis` summed. Rank-0 inputs act as shape (1).
void concatenation(std::span<const void* const> inputs, std::span<const Dims> in_dims, int axis, size_t elem_size,
                   void* out);

// input: in_dims, dim `axis` a multiple of outputs.size();
// outputs[i]: in_dims with dim `axis` divided by outputs.size(), holding the
// i-th consecutive block along `axis`.
void split(const void* in, Dims in_dims, int axis, std::span<void* const> outputs, size_t elem_size);

// Applies a fused activation to every element, in place (CONCATENATION's
// fused_activation_function on float outputs).
void activate_in_place(std::span<float> data, Activation act);

// GATHER's walk: f(src, dst, inner) for each gathered row, copying input
// elements [src, src + inner) to output elements [dst, dst + inner) (GATHER
// forward; its gradient adds the other way).
template <typename F>
void for_each_gather_row(Dims in_dims, int axis, int batch_dims, const int64_t* indices, Dims idx_dims, F&& f) {
  const int64_t batch = product(in_dims, 0, batch_dims);
  const int64_t outer = product(in_dims, batch_dims, axis);
  const int64_t axis_size = in_dims[axis];
  const int64_t inner = product(in_dims, axis + 1, in_dims.size());
  const int64_t num_idx = product(idx_dims, batch_dims, idx_dims.size());
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t j = 0; j < num_idx; ++j) {
        f(((b * outer + o) * axis_size + indices[b * num_idx + j]) * inner, ((b * outer + o) * num_idx + j) * inner,
          inner);
      }
    }
  }
}

// ---- GATHER -----------------------------------------------------------------
// TFLite's GATHER with batch_dims (0 <= batch_dims <= axis):
// input: (B..., O..., in_dims[axis], I...) where B = in_dims[0:batch_dims],
//        O = in_dims[batch_dims:axis], I = in_dims[axis+1:];
// indices: (B..., J...), each in [0, in_dims[axis]) (checked by the caller);
// output: (B..., O..., J..., I...) with
//   output[b, o, j, i] = input[b, o, indices[b, j], i].
void gather(const void* in, Dims in_dims, int axis, int batch_dims, const int64_t* indices, Dims idx_dims,
            size_t elem_size, void* out);

// ---- RESIZE_BILINEAR / RESIZE_NEAREST_NEIGHBOR ------------------------------
// input: (N, H, W, C); output: (N, out_h, out_w, C).
// Source coordinate of output row y (TFLite's reference):
//   scale = align_corners && out > 1 ? (in - 1) / (out - 1) : in / out
//   src   = half_pixel_centers ? (y + 0.5) * scale - 0.5 : y * scale
// Bilinear: rows y0 = max(floor(src), 0) and y1 = min(ceil(src), H - 1),
// weights from src - y0 (likewise along x). Float32 only.
void resize_bilinear(const float* in, Dims in_dims, int32_t out_h, int32_t out_w, bool align_corners,
                     bool half_pixel_centers, float* out);

// Nearest: src = (y + (half_pixel_centers ? 0.5 : 0)) * scale, then
// round-half-away-from-zero when align_corners else floor, capped at H - 1.
// Any dtype.
void resize_nearest_neighbor(const void* in, Dims in_dims, int32_t out_h, int32_t out_w, bool align_corners,
                             bool half_pixel_centers, size_t elem_size, void* out);

// ---- DEPTH_TO_SPACE / SPACE_TO_DEPTH (NHWC, TFLite's DCR order) -------------
// input: (N, H, W, C); output: (N, H * bs, W * bs, C / (bs * bs)) with
//   output[n, h * bs + dy, w * bs + dx, c] = input[n, h, w, (dy * bs + dx) * C_out + c].
void depth_to_space(const void* in, Dims in_dims, int32_t block_size, size_t elem_size, void* out);

// input: (N, H, W, C); output: (N, H / bs, W / bs, C * bs * bs) with
//   output[n, h, w, (dy * bs + dx) * C + c] = input[n, h * bs + dy, w * bs + dx, c].
void space_to_depth(const void* in, Dims in_dims, int32_t block_size, size_t elem_size, void* out);

}  // namespace tfc::kernels
