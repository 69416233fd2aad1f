// Reference kernels of the shape and data-movement family (see shape_ref.h):
// plain loops over row-major multi-indices, one element (elem_size bytes) at a
// time. Not here: validation and output sizing, done by ops/shape_ops.cc
// and ops/slice_ops.cc.
#include "kernels/shape_ref.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/broadcast.h"
#include "kernels/index_util.h"
#include "kernels/resize_util.h"

namespace tfc::kernels {
namespace {

// out[o] = sum of the inputs that reduce to o, accumulated in Acc in row-major
// input order (TFLite's ReduceGeneric order).
template <typename T, typename Acc>
void reduce_sum_impl(const T* in, Dims in_dims, std::span<const int32_t> axes, T* out) {
  const DimArray<int32_t> out_dims = reduction_of(in_dims, axes).out_dims;
  // The input walked against its reduced shape: o is where element i reduces to.
  if constexpr (std::is_same_v<T, Acc>) {  // summed in place
    std::fill_n(out, flat_size(out_dims), T{0});
    for_each_broadcast<1>(in_dims, {Dims(out_dims)}, [&](int64_t i, const std::array<int64_t, 1>& o) {
      out[o[0]] += in[i];
    });
  } else {
    std::vector<Acc> acc(flat_size(out_dims), Acc{0});
    for_each_broadcast<1>(in_dims, {Dims(out_dims)}, [&](int64_t i, const std::array<int64_t, 1>& o) {
      acc[o[0]] += static_cast<Acc>(in[i]);
    });
    for (size_t o = 0; o < acc.size(); ++o) out[o] = static_cast<T>(acc[o]);
  }
}

}  // namespace

void reduce_sum(const float* in, Dims in_dims, std::span<const int32_t> axes, float* out) {
  reduce_sum_impl<float, float>(in, in_dims, axes, out);
}

void reduce_sum(const int32_t* in, Dims in_dims, std::span<const int32_t> axes, int32_t* out) {
  // Unsigned accumulation: int32 overflow wraps around, as in TFLite.
  reduce_sum_impl<int32_t, uint32_t>(in, in_dims, axes, out);
}

void reduce_mean(const float* in, Dims in_dims, std::span<const int32_t> axes, float* out) {
  const int64_t out_count = flat_size(reduction_of(in_dims, axes).out_dims);
  const int64_t in_count = flat_size(in_dims);
  if (in_count == 0) {
    std::fill(out, out + out_count, std::numeric_limits<float>::quiet_NaN());
    return;
  }
  reduce_sum(in, in_dims, axes, out);
  const float reduced_count = static_cast<float>(in_count / out_count);
  for (int64_t o = 0; o < out_count; ++o) out[o] /= reduced_count;
}

void pad(const void* in, Dims in_dims, std::span<const int32_t> before, std::span<const int32_t> after,
         const void* pad_value, size_t elem_size, void* out) {
  std::vector<int32_t> out_dims(in_dims.size());
  for (size_t d = 0; d < in_dims.size(); ++d) out_dims[d] = in_dims[d] + before[d] + after[d];
  const int64_t out_count = flat_size(out_dims);
  for (int64_t o = 0; o < out_count; ++o) copy_elems(out, o, pad_value, 0, 1, elem_size);

  const std::vector<int64_t> out_strides = strides_of(out_dims);
  int64_t origin = 0;  // output offset of input element (0, ..., 0)
  for (size_t d = 0; d < in_dims.size(); ++d) origin += before[d] * out_strides[d];
  std::vector<int32_t> idx(in_dims.size(), 0);
  const int64_t n = flat_size(in_dims);
  for (int64_t i = 0; i < n; ++i) {
    copy_elems(out, origin + flat_offset(idx, out_strides), in, i, 1, elem_size);
    next_index(idx, in_dims);
  }
}

void transpose(const void* in, Dims in_dims, std::span<const int32_t> perm, size_t elem_size, void* out) {
  const std::vector<int64_t> in_strides = strides_of(in_dims);
  std::vector<int32_t> out_dims(perm.size());
  std::vector<int64_t> src_strides(perm.size());  // input stride of each output dim
  for (size_t k = 0; k < perm.size(); ++k) {
    out_dims[k] = in_dims[perm[k]];
    src_strides[k] = in_strides[perm[k]];
  }
  std::vector<int32_t> idx(out_dims.size(), 0);
  const int64_t n = flat_size(out_dims);
  for (int64_t o = 0; o < n; ++o) {
    copy_elems(out, o, in, flat_offset(idx, src_strides), 1, elem_size);
    next_index(idx, out_dims);
  }
}

int64_t slice_axis_count(const SliceAxis& a) {
  const int64_t span = static_cast<int64_t>(a.stop) - a.start;
  if (a.stride > 0) return span > 0 ? (span + a.stride - 1) / a.stride : 0;
  return span < 0 ? (-span + (-static_cast<int64_t>(a.stride)) - 1) / -static_cast<int64_t>(a.stride) : 0;
}

SliceWalk slice_walk(Dims in_dims, std::span<const SliceAxis> axes) {
  const std::vector<int64_t> in_strides = strides_of(in_dims);
  SliceWalk w;
  w.out_dims.resize(axes.size());
  w.step.resize(axes.size());
  for (size_t d = 0; d < axes.size(); ++d) {
    w.out_dims[d] = static_cast<int32_t>(slice_axis_count(axes[d]));
    w.first += axes[d].start * in_strides[d];
    w.step[d] = axes[d].stride * in_strides[d];
  }
  return w;
}

void strided_slice(const void* in, Dims in_dims, std::span<const SliceAxis> axes, size_t elem_size, void* out) {
  const SliceWalk w = slice_walk(in_dims, axes);
  std::vector<int32_t> idx(w.out_dims.size(), 0);
  const int64_t n = flat_size(w.out_dims);
  for (int64_t o = 0; o < n; ++o) {
    copy_elems(out, o, in, w.first + flat_offset(idx, w.step), 1, elem_size);
    next_index(idx, w.out_dims);
  }
}

void concatenation(std::span<const void* const> inputs, std::span<const Dims> in_dims, int axis, size_t elem_size,
                   void* out) {
  const Dims first = in_dims[0];
  const int64_t outer = product(first, 0, axis);
  const int64_t inner = product(first, axis + 1, first.size());
  int64_t o = 0;
  for (int64_t b = 0; b < outer; ++b) {
    for (size_t i = 0; i < inputs.size(); ++i) {
      const int64_t block = (in_dims[i].empty() ? 1 : in_dims[i][axis]) * inner;
      copy_elems(out, o, inputs[i], b * block, block, elem_size);
      o += block;
    }
  }
}

void split(const void* in, Dims in_dims, int axis, std::span<void* const> outputs, size_t elem_size) {
  const int64_t outer = product(in_dims, 0, axis);
  const int64_t slice = in_dims[axis] / static_cast<int64_t>(outputs.size());
  const int64_t block = slice * product(in_dims, axis + 1, in_dims.size());  // one output's run per outer index
  int64_t i = 0;
  for (int64_t b = 0; b < outer; ++b) {
    for (void* output : outputs) {
      copy_elems(output, b * block, in, i, block, elem_size);
      i += block;
    }
  }
}

void activate_in_place(std::span<float> data, Activation act) {
  for (float& x : data) x = apply_activation(x, act);
}

void gather(const void* in, Dims in_dims, int axis, int batch_dims, const int64_t* indices, Dims idx_dims,
            size_t elem_size, void* out) {
  for_each_gather_row(in_dims, axis, batch_dims, indices, idx_dims, [&](int64_t src, int64_t dst, int64_t inner) {
    copy_elems(out, dst, in, src, inner, elem_size);
  });
}

void resize_bilinear(const float* in, Dims in_dims, int32_t out_h, int32_t out_w, bool align_corners,
                     bool half_pixel_centers, float* out) {
  const int32_t batches = in_dims[0], in_h = in_dims[1], in_w = in_dims[2], depth = in_dims[3];
  const float scale_y = resize_scale(in_h, out_h, align_corners);
  const float scale_x = resize_scale(in_w, out_w, align_corners);
  auto at = [&](int32_t b, int32_t y, int32_t x, int32_t c) {
    return in[((static_cast<int64_t>(b) * in_h + y) * in_w + x) * depth + c];
  };
  float* dst = out;
  for (int32_t b = 0; b < batches; ++b) {
    for (int32_t y = 0; y < out_h; ++y) {
      const LerpAxis ly = bilinear_axis(y, scale_y, half_pixel_centers, in_h);
      const float dy = ly.pos - static_cast<float>(ly.lo);
      for (int32_t x = 0; x < out_w; ++x) {
        const LerpAxis lx = bilinear_axis(x, scale_x, half_pixel_centers, in_w);
        const float dx = lx.pos - static_cast<float>(lx.lo);
        for (int32_t c = 0; c < depth; ++c) {
          *dst++ = at(b, ly.lo, lx.lo, c) * (1 - dy) * (1 - dx) + at(b, ly.hi, lx.lo, c) * dy * (1 - dx) +
                   at(b, ly.lo, lx.hi, c) * (1 - dy) * dx + at(b, ly.hi, lx.hi, c) * dy * dx;
        }
      }
    }
  }
}

void resize_nearest_neighbor(const void* in, Dims in_dims, int32_t out_h, int32_t out_w, bool align_corners,
                             bool half_pixel_centers, size_t elem_size, void* out) {
  const int32_t batches = in_dims[0], in_h = in_dims[1], in_w = in_dims[2], depth = in_dims[3];
  int64_t o = 0;
  for (int32_t b = 0; b < batches; ++b) {
    for (int32_t y = 0; y < out_h; ++y) {
      const int32_t sy = nearest_index(y, in_h, out_h, align_corners, half_pixel_centers);
      for (int32_t x = 0; x < out_w; ++x) {
        const int32_t sx = nearest_index(x, in_w, out_w, align_corners, half_pixel_centers);
        const int64_t src = ((static_cast<int64_t>(b) * in_h + sy) * in_w + sx) * depth;
        copy_elems(out, o, in, src, depth, elem_size);
        o += depth;
      }
    }
  }
}

void depth_to_space(const void* in, Dims in_dims, int32_t block_size, size_t elem_size, void* out) {
  const int32_t batches = in_dims[0], in_h = in_dims[1], in_w = in_dims[2], in_c = in_dims[3];
  const int32_t bs = block_size, out_h = in_h * bs, out_w = in_w * bs, out_c = in_c / (bs * bs);
  int64_t o = 0;
  for (int32_t b = 0; b < batches; ++b) {
    for (int32_t y = 0; y < out_h; ++y) {
      for (int32_t x = 0; x < out_w; ++x) {
        // output[b, y, x, 0:out_c] is one contiguous run of the input's depth.
        const int32_t c0 = ((y % bs) * bs + x % bs) * out_c;
        const int64_t src = ((static_cast<int64_t>(b) * in_h + y / bs) * in_w + x / bs) * in_c + c0;
        copy_elems(out, o, in, src, out_c, elem_size);
        o += out_c;
      }
    }
  }
}

void space_to_depth(const void* in, Dims in_dims, int32_t block_size, size_t elem_size, void* out) {
  const int32_t batches = in_dims[0], in_h = in_dims[1], in_w = in_dims[2], in_c = in_dims[3];
  const int32_t bs = block_size, out_h = in_h / bs, out_w = in_w / bs, out_c = in_c * bs * bs;
  int64_t i = 0;
  for (int32_t b = 0; b < batches; ++b) {
    for (int32_t y = 0; y < in_h; ++y) {
      for (int32_t x = 0; x < in_w; ++x) {
        // input[b, y, x, 0:in_c] lands as one contiguous run of the output's depth.
        const int32_t c0 = ((y % bs) * bs + x % bs) * in_c;
        const int64_t dst = ((static_cast<int64_t>(b) * out_h + y / bs) * out_w + x / bs) * out_c + c0;
        copy_elems(out, dst, in, i, in_c, elem_size);
        i += in_c;
      }
    }
  }
}

}  // namespace tfc::kernels
