// Integer kernels of the shape family (see shape_int.h for what each computes
// and which LiteRT kernel it follows).
#include "kernels/shape_int.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/broadcast.h"
#include "kernels/resize_util.h"

namespace tfc::kernels {
namespace {

template <typename T>
T saturate(int32_t v) {
  return static_cast<T>(std::clamp<int32_t>(v, std::numeric_limits<T>::min(), std::numeric_limits<T>::max()));
}

}  // namespace

// ---- CONCATENATION -------------------------------------------------------------------------------

template <typename T>
void concatenation(std::span<const T* const> inputs, std::span<const Dims> in_dims, std::span<const QParams> in_q,
                   int axis, QParams out_q, T* out) {
  // (outer, axis * inner) blocks per input, interleaved in the output.
  const Dims first = in_dims[0];
  int64_t outer = 1;
  for (int d = 0; d < axis; ++d) outer *= first[d];
  std::vector<int64_t> block(inputs.size());
  int64_t out_block = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    int64_t b = 1;
    for (size_t d = axis; d < in_dims[i].size(); ++d) b *= in_dims[i][d];
    block[i] = b;
    out_block += b;
  }
  const float inverse_output_scale = 1.0f / out_q.scale;
  for (int64_t o = 0; o < outer; ++o) {
    T* dst = out + o * out_block;
    for (size_t i = 0; i < inputs.size(); ++i) {
      const T* src = inputs[i] + o * block[i];
      if (in_q[i].scale == out_q.scale && in_q[i].zero_point == out_q.zero_point) {
        if (block[i] > 0) std::memcpy(dst, src, block[i] * sizeof(T));
      } else {
        const float scale = in_q[i].scale * inverse_output_scale;
        const float bias = static_cast<float>(-in_q[i].zero_point) * scale;
        for (int64_t j = 0; j < block[i]; ++j) {
          const int32_t v =
              static_cast<int32_t>(std::round(static_cast<float>(src[j]) * scale + bias)) + out_q.zero_point;
          dst[j] = saturate<T>(v);
        }
      }
      dst += block[i];
    }
  }
}

// ---- MEAN / SUM ------------------------------------------------------------------------------------

template <typename T>
void reduce_mean_sum(bool mean, const T* in, Dims in_dims, std::span<const int32_t> axes, QParams in_q,
                     QParams out_q, T* out) {
  const auto [out_dims, count] = reduction_of(in_dims, axes);
  const int64_t num_out = flat_size(out_dims);
  std::vector<int64_t> acc(num_out, 0);
  // The input walked against its reduced shape: o is where element i reduces to.
  for_each_broadcast<1>(in_dims, {Dims(out_dims)}, [&](int64_t i, const std::array<int64_t, 1>& o) {
    acc[o[0]] += static_cast<int32_t>(in[i]) - in_q.zero_point;
  });
  reduce_mean_sum_finish(mean, acc.data(), num_out, count, in_q, out_q, out);
}

template <typename T>
void reduce_mean_sum_finish(bool mean, const int64_t* acc, int64_t num_out, int64_t count, QParams in_q,
                            QParams out_q, T* out) {
  QuantizedMultiplier m = quantize_multiplier(static_cast<double>(in_q.scale) / static_cast<double>(out_q.scale));
  if (mean && count > 1) {
    int shift = 63 - __builtin_clzll(static_cast<uint64_t>(count));
    shift = std::min(shift, 32);
    shift = std::min(shift, 31 + m.shift);
    m.multiplier = static_cast<int32_t>((static_cast<int64_t>(m.multiplier) << shift) / count);
    m.shift -= shift;
  }
  for (int64_t o = 0; o < num_out; ++o) {
    const int32_t a = static_cast<int32_t>(std::clamp<int64_t>(acc[o], std::numeric_limits<int32_t>::min(),
                                                                std::numeric_limits<int32_t>::max()));
    int32_t v;
    if (mean && count == 0) {
      v = out_q.zero_point;
    } else if (m.shift < -31) {
      v = out_q.zero_point;
    } else {
      v = multiply_by_quantized_multiplier(a, m) + out_q.zero_point;
    }
    out[o] = saturate<T>(v);
  }
}

// ---- RESIZE_BILINEAR -----------------------------------------------------------------------------------

template <typename T>
void resize_bilinear_int(const T* in, Dims in_dims, int32_t out_h, int32_t out_w, bool align_corners,
                         bool half_pixel_centers, T* out) {
  const int32_t batches = in_dims[0], in_h = in_dims[1], in_w = in_dims[2], depth = in_dims[3];
  const int32_t hs = resize_scale_10(in_h, out_h, align_corners);
  const int32_t ws = resize_scale_10(in_w, out_w, align_corners);
  auto at = [&](int32_t b, int32_t y, int32_t x, int32_t c) -> int64_t {
    return in[((static_cast<int64_t>(b) * in_h + y) * in_w + x) * depth + c];
  };
  T* dst = out;
  for (int32_t b = 0; b < batches; ++b) {
    for (int32_t y = 0; y < out_h; ++y) {
      int32_t iy, y0, y1;
      interpolation_values(y, hs, half_pixel_centers, in_h, &iy, &y0, &y1);
      for (int32_t x = 0; x < out_w; ++x) {
        int32_t ix, x0, x1;
        interpolation_values(x, ws, half_pixel_centers, in_w, &ix, &x0, &x1);
        const int64_t wy1 = iy - (1 << 10) * y0, wy0 = (1 << 10) - wy1;
        const int64_t wx1 = ix - (1 << 10) * x0, wx0 = (1 << 10) - wx1;
        for (int32_t c = 0; c < depth; ++c) {
          const int64_t sum = at(b, y0, x0, c) * wy0 * wx0 + at(b, y1, x0, c) * wy1 * wx0 +
                              at(b, y0, x1, c) * wy0 * wx1 + at(b, y1, x1, c) * wy1 * wx1;
          const int64_t round = sum > 0 ? (1 << 19) : -(1 << 19);
          *dst++ = static_cast<T>((sum + round) / (1 << 20));
        }
      }
    }
  }
}

// ---- Instantiations ----------------------------------------------------------------------------------------

#define TFC_INST(T)                                                                                               \
  template void concatenation<T>(std::span<const T* const>, std::span<const Dims>, std::span<const QParams>, int, \
                                 QParams, T*);                                                                    \
  template void reduce_mean_sum<T>(bool, const T*, Dims, std::span<const int32_t>, QParams, QParams, T*);         \
  template void reduce_mean_sum_finish<T>(bool, const int64_t*, int64_t, int64_t, QParams, QParams, T*);          \
  template void resize_bilinear_int<T>(const T*, Dims, int32_t, int32_t, bool, bool, T*);
TFC_INST(int8_t)
TFC_INST(uint8_t)
TFC_INST(int16_t)
#undef TFC_INST

}  // namespace tfc::kernels
