// Reference backward kernels of the shape family (see shape_grad_ref.h): each
// walks its forward kernel's loop (shape_ref.cc) and adds dy where the
// forward copied from. Not here: validation and plans (ops/shape_grad.cc).
#include "kernels/shape_grad_ref.h"

#include <array>
#include <vector>

#include "kernels/broadcast.h"
#include "kernels/index_util.h"
#include "kernels/resize_util.h"

namespace tfc::kernels {

void reduce_backward(const float* dy, Dims in_dims, std::span<const int32_t> axes, float divisor, float* dx) {
  const DimArray<int32_t> out_dims = reduction_of(in_dims, axes).out_dims;
  // The input walked against its reduced shape: o is where element i reduced to.
  for_each_broadcast<1>(in_dims, {Dims(out_dims)}, [&](int64_t i, const std::array<int64_t, 1>& o) {
    dx[i] += dy[o[0]] / divisor;
  });
}

void pad_backward(const float* dy, Dims in_dims, std::span<const int32_t> before, std::span<const int32_t> after,
                  float* dx) {
  std::vector<int32_t> out_dims(in_dims.size());
  for (size_t d = 0; d < in_dims.size(); ++d) out_dims[d] = in_dims[d] + before[d] + after[d];
  const std::vector<int64_t> out_strides = strides_of(out_dims);
  int64_t origin = 0;  // dy offset of input element (0, ..., 0)
  for (size_t d = 0; d < in_dims.size(); ++d) origin += before[d] * out_strides[d];
  for_each_index(in_dims, [&](int64_t i, const std::vector<int32_t>& idx) {
    dx[i] += dy[origin + flat_offset(idx, out_strides)];
  });
}

void transpose_backward(const float* dy, Dims in_dims, std::span<const int32_t> perm, float* dx) {
  const std::vector<int64_t> in_strides = strides_of(in_dims);
  std::vector<int32_t> out_dims(perm.size());
  std::vector<int64_t> src_strides(perm.size());  // input stride of each output dim
  for (size_t k = 0; k < perm.size(); ++k) {
    out_dims[k] = in_dims[perm[k]];
    src_strides[k] = in_strides[perm[k]];
  }
  for_each_index(out_dims, [&](int64_t o, const std::vector<int32_t>& idx) {
    dx[flat_offset(idx, src_strides)] += dy[o];
  });
}

void strided_slice_backward(const float* dy, Dims in_dims, std::span<const SliceAxis> axes, float* dx) {
  const SliceWalk w = slice_walk(in_dims, axes);
  for_each_index(w.out_dims, [&](int64_t o, const std::vector<int32_t>& idx) {
    dx[w.first + flat_offset(idx, w.step)] += dy[o];
  });
}

void add_whole_to_parts(const float* whole, Dims dims, int axis, std::span<const int32_t> sizes,
                        std::span<float* const> parts) {
  const int64_t outer = product(dims, 0, axis);
  const int64_t inner = product(dims, axis + 1, dims.size());
  const int64_t row = dims[axis] * inner;  // whole elements per outer index
  int64_t start = 0;
  for (size_t k = 0; k < parts.size(); ++k) {
    const int64_t block = sizes[k] * inner;  // part k's elements per outer index
    for (int64_t o = 0; parts[k] && o < outer; ++o) {
      for (int64_t j = 0; j < block; ++j) parts[k][o * block + j] += whole[o * row + start + j];
    }
    start += block;
  }
}

void add_parts_to_whole(std::span<const float* const> parts, Dims dims, int axis, std::span<const int32_t> sizes,
                        float* whole) {
  const int64_t outer = product(dims, 0, axis);
  const int64_t inner = product(dims, axis + 1, dims.size());
  const int64_t row = dims[axis] * inner;
  int64_t start = 0;
  for (size_t k = 0; k < parts.size(); ++k) {
    const int64_t block = sizes[k] * inner;
    for (int64_t o = 0; parts[k] && o < outer; ++o) {
      for (int64_t j = 0; j < block; ++j) whole[o * row + start + j] += parts[k][o * block + j];
    }
    start += block;
  }
}

void gather_backward(const float* dy, Dims in_dims, int axis, int batch_dims, const int64_t* indices, Dims idx_dims,
                     float* dx) {
  for_each_gather_row(in_dims, axis, batch_dims, indices, idx_dims, [&](int64_t src, int64_t dst, int64_t inner) {
    for (int64_t i = 0; i < inner; ++i) dx[src + i] += dy[dst + i];
  });
}

void resize_bilinear_backward(const float* dy, Dims in_dims, int32_t out_h, int32_t out_w, bool align_corners,
                              bool half_pixel_centers, float* dx) {
  const int32_t batches = in_dims[0], in_h = in_dims[1], in_w = in_dims[2], depth = in_dims[3];
  const float scale_y = resize_scale(in_h, out_h, align_corners);
  const float scale_x = resize_scale(in_w, out_w, align_corners);
  auto at = [&](int32_t b, int32_t y, int32_t x) {
    return dx + ((static_cast<int64_t>(b) * in_h + y) * in_w + x) * depth;
  };
  const float* g = dy;
  for (int32_t b = 0; b < batches; ++b) {
    for (int32_t y = 0; y < out_h; ++y) {
      const LerpAxis ly = bilinear_axis(y, scale_y, half_pixel_centers, in_h);
      const float fy = ly.pos - static_cast<float>(ly.lo);
      for (int32_t x = 0; x < out_w; ++x) {
        const LerpAxis lx = bilinear_axis(x, scale_x, half_pixel_centers, in_w);
        const float fx = lx.pos - static_cast<float>(lx.lo);
        // The forward's four corner weights; corners may coincide and then add up.
        const float w00 = (1 - fy) * (1 - fx), w10 = fy * (1 - fx), w01 = (1 - fy) * fx, w11 = fy * fx;
        float* p00 = at(b, ly.lo, lx.lo);
        float* p10 = at(b, ly.hi, lx.lo);
        float* p01 = at(b, ly.lo, lx.hi);
        float* p11 = at(b, ly.hi, lx.hi);
        for (int32_t c = 0; c < depth; ++c, ++g) {
          p00[c] += *g * w00;
          p10[c] += *g * w10;
          p01[c] += *g * w01;
          p11[c] += *g * w11;
        }
      }
    }
  }
}

void resize_nearest_neighbor_backward(const float* dy, Dims in_dims, int32_t out_h, int32_t out_w,
                                      bool align_corners, bool half_pixel_centers, float* dx) {
  const int32_t batches = in_dims[0], in_h = in_dims[1], in_w = in_dims[2], depth = in_dims[3];
  const float* g = dy;
  for (int32_t b = 0; b < batches; ++b) {
    for (int32_t y = 0; y < out_h; ++y) {
      const int32_t sy = nearest_index(y, in_h, out_h, align_corners, half_pixel_centers);
      for (int32_t x = 0; x < out_w; ++x) {
        const int32_t sx = nearest_index(x, in_w, out_w, align_corners, half_pixel_centers);
        float* to = dx + ((static_cast<int64_t>(b) * in_h + sy) * in_w + sx) * depth;
        for (int32_t c = 0; c < depth; ++c) to[c] += *g++;
      }
    }
  }
}

void depth_to_space_backward(const float* dy, Dims in_dims, int32_t block_size, float* dx) {
  const int32_t batches = in_dims[0], in_h = in_dims[1], in_w = in_dims[2], in_c = in_dims[3];
  const int32_t bs = block_size, out_h = in_h * bs, out_w = in_w * bs, out_c = in_c / (bs * bs);
  const float* g = dy;
  for (int32_t b = 0; b < batches; ++b) {
    for (int32_t y = 0; y < out_h; ++y) {
      for (int32_t x = 0; x < out_w; ++x) {
        // dy[b, y, x, 0:out_c] came from one contiguous run of the input's depth.
        const int32_t c0 = ((y % bs) * bs + x % bs) * out_c;
        float* to = dx + ((static_cast<int64_t>(b) * in_h + y / bs) * in_w + x / bs) * in_c + c0;
        for (int32_t c = 0; c < out_c; ++c) to[c] += *g++;
      }
    }
  }
}

void space_to_depth_backward(const float* dy, Dims in_dims, int32_t block_size, float* dx) {
  const int32_t batches = in_dims[0], in_h = in_dims[1], in_w = in_dims[2], in_c = in_dims[3];
  const int32_t bs = block_size, out_h = in_h / bs, out_w = in_w / bs, out_c = in_c * bs * bs;
  float* to = dx;
  for (int32_t b = 0; b < batches; ++b) {
    for (int32_t y = 0; y < in_h; ++y) {
      for (int32_t x = 0; x < in_w; ++x) {
        // dx[b, y, x, 0:in_c] went to one contiguous run of the output's depth.
        const int32_t c0 = ((y % bs) * bs + x % bs) * in_c;
        const float* from = dy + ((static_cast<int64_t>(b) * out_h + y / bs) * out_w + x / bs) * out_c + c0;
        for (int32_t c = 0; c < in_c; ++c) *to++ += from[c];
      }
    }
  }
}

}  // namespace tfc::kernels
