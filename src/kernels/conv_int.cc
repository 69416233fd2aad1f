// Integer kernels of the conv family (see conv_int.h for the arithmetic).
// Straight loops over NHWC buffers, mirroring the float kernels' geometry.
#include "kernels/conv_int.h"

#include <algorithm>
#include <limits>
#include <type_traits>

namespace tfc::kernels {
namespace {

inline int64_t offset4(Dims dims, int64_t a, int64_t b, int64_t c, int64_t d) {
  return ((a * dims[1] + b) * dims[2] + c) * dims[3] + d;
}

// Rescales an accumulator to T: multiplier (int32 or int64 form by Acc),
// output zero point, clamp.
template <typename T, typename Acc>
inline T requantize(Acc acc, const IntConvQuant& q, int64_t channel) {
  int32_t v = 0;
  if constexpr (std::is_same_v<Acc, int64_t>) {
    if (q.int64_with_int32_rescale) {
      const auto narrowed = static_cast<int32_t>(std::clamp<int64_t>(acc, std::numeric_limits<int32_t>::min(),
                                                                     std::numeric_limits<int32_t>::max()));
      v = multiply_by_quantized_multiplier(narrowed, q.multiplier(channel));
    } else {
      v = multiply_by_quantized_multiplier(acc, q.multiplier(channel));
    }
  } else {
    if (std::is_same_v<T, int8_t> && q.requantization == Requantization::kFloat)
      return static_cast<T>(requantize_float(acc, q.float_scale(channel), q.output_zero_point, q.range));
    v = multiply_by_quantized_multiplier(acc, q.multiplier(channel));
  }
  v += q.output_zero_point;
  v = std::max(v, q.range.min);
  v = std::min(v, q.range.max);
  return static_cast<T>(v);
}

}  // namespace

std::vector<QuantizedMultiplier> conv_multipliers(float input_scale, std::span<const float> weight_scales,
                                                  float output_scale, int32_t channels) {
  std::vector<QuantizedMultiplier> out(static_cast<size_t>(std::max(channels, 0)));
  for (int32_t c = 0; c < channels; ++c) {
    const double w = weight_scales.size() == 1 ? weight_scales[0] : weight_scales[static_cast<size_t>(c)];
    out[c] = quantize_multiplier(static_cast<double>(input_scale) * w / static_cast<double>(output_scale));
  }
  return out;
}

std::vector<float> conv_float_scales(float input_scale, std::span<const float> weight_scales, float output_scale,
                                     int32_t channels) {
  std::vector<float> out(static_cast<size_t>(std::max(channels, 0)));
  for (int32_t c = 0; c < channels; ++c) {
    const float w = weight_scales.size() == 1 ? weight_scales[0] : weight_scales[static_cast<size_t>(c)];
    out[static_cast<size_t>(c)] = float_requant_scale(input_scale, w, output_scale);
  }
  return out;
}

template <typename T, typename Acc>
void conv2d_int(const ConvParams& p, const IntConvQuant& q, const T* input, Dims input_dims, const int8_t* filter,
                Dims filter_dims, const Acc* bias, T* output, Dims output_dims) {
  const int32_t batches = input_dims[0], in_h = input_dims[1], in_w = input_dims[2], in_c = input_dims[3];
  const int32_t out_c = filter_dims[0], k_h = filter_dims[1], k_w = filter_dims[2], group_c = filter_dims[3];
  const int32_t out_h = output_dims[1], out_w = output_dims[2];
  const int32_t filters_per_group = out_c / (in_c / group_c);
  const int32_t pad_t = window_padding_before(in_h, k_h, p.stride_h, p.dilation_h, out_h);
  const int32_t pad_l = window_padding_before(in_w, k_w, p.stride_w, p.dilation_w, out_w);
  const Acc in_off = -q.input_zero_point;

  for (int32_t n = 0; n < batches; ++n)
    for (int32_t oy = 0; oy < out_h; ++oy)
      for (int32_t ox = 0; ox < out_w; ++ox)
        for (int32_t oc = 0; oc < out_c; ++oc) {
          const int32_t first_in_c = (oc / filters_per_group) * group_c;
          Acc acc = 0;
          for (int32_t ky = 0; ky < k_h; ++ky) {
            const int32_t iy = oy * p.stride_h - pad_t + ky * p.dilation_h;
            if (iy < 0 || iy >= in_h) continue;
            for (int32_t kx = 0; kx < k_w; ++kx) {
              const int32_t ix = ox * p.stride_w - pad_l + kx * p.dilation_w;
              if (ix < 0 || ix >= in_w) continue;
              const T* in_px = input + offset4(input_dims, n, iy, ix, first_in_c);
              const int8_t* taps = filter + offset4(filter_dims, oc, ky, kx, 0);
              for (int32_t c = 0; c < group_c; ++c) acc += (static_cast<Acc>(in_px[c]) + in_off) * taps[c];
            }
          }
          if (bias) acc += bias[oc];
          output[offset4(output_dims, n, oy, ox, oc)] = requantize<T>(acc, q, oc);
        }
}

template <typename T, typename Acc>
void depthwise_conv2d_int(const ConvParams& p, const IntConvQuant& q, const T* input, Dims input_dims,
                          const int8_t* filter, Dims filter_dims, const Acc* bias, T* output, Dims output_dims) {
  const int32_t batches = input_dims[0], in_h = input_dims[1], in_w = input_dims[2], in_c = input_dims[3];
  const int32_t k_h = filter_dims[1], k_w = filter_dims[2], out_c = filter_dims[3];
  const int32_t out_h = output_dims[1], out_w = output_dims[2];
  const int32_t multiplier = out_c / in_c;
  const int32_t pad_t = window_padding_before(in_h, k_h, p.stride_h, p.dilation_h, out_h);
  const int32_t pad_l = window_padding_before(in_w, k_w, p.stride_w, p.dilation_w, out_w);
  const Acc in_off = -q.input_zero_point;
  std::vector<Acc> acc(out_c);

  for (int32_t n = 0; n < batches; ++n)
    for (int32_t oy = 0; oy < out_h; ++oy)
      for (int32_t ox = 0; ox < out_w; ++ox) {
        std::fill(acc.begin(), acc.end(), Acc{0});
        for (int32_t ky = 0; ky < k_h; ++ky) {
          const int32_t iy = oy * p.stride_h - pad_t + ky * p.dilation_h;
          if (iy < 0 || iy >= in_h) continue;
          for (int32_t kx = 0; kx < k_w; ++kx) {
            const int32_t ix = ox * p.stride_w - pad_l + kx * p.dilation_w;
            if (ix < 0 || ix >= in_w) continue;
            const T* in_px = input + offset4(input_dims, n, iy, ix, 0);
            const int8_t* taps = filter + offset4(filter_dims, 0, ky, kx, 0);
            for (int32_t oc = 0; oc < out_c; ++oc)
              acc[oc] += (static_cast<Acc>(in_px[oc / multiplier]) + in_off) * taps[oc];
          }
        }
        T* out_px = output + offset4(output_dims, n, oy, ox, 0);
        for (int32_t oc = 0; oc < out_c; ++oc)
          out_px[oc] = requantize<T>(acc[oc] + (bias ? bias[oc] : Acc{0}), q, oc);
      }
}

template <typename T, typename Acc>
void transpose_conv_int(const TransposeConvParams& p, const IntConvQuant& q, const T* input, Dims input_dims,
                        const int8_t* filter, Dims filter_dims, const Acc* bias, T* output, Dims output_dims) {
  const int32_t in_h = input_dims[1], in_w = input_dims[2], in_c = input_dims[3];
  const int32_t k_h = filter_dims[1], k_w = filter_dims[2];
  const int32_t batches = output_dims[0], out_h = output_dims[1], out_w = output_dims[2], out_c = output_dims[3];
  const int32_t pad_t =
      window_padding_before(out_h, k_h, p.stride_h, 1, window_output_size(p.padding, out_h, k_h, p.stride_h, 1));
  const int32_t pad_l =
      window_padding_before(out_w, k_w, p.stride_w, 1, window_output_size(p.padding, out_w, k_w, p.stride_w, 1));
  const Acc in_off = -q.input_zero_point;

  for (int32_t n = 0; n < batches; ++n)
    for (int32_t oy = 0; oy < out_h; ++oy)
      for (int32_t ox = 0; ox < out_w; ++ox)
        for (int32_t oc = 0; oc < out_c; ++oc) {
          Acc acc = 0;
          for (int32_t ky = 0; ky < k_h; ++ky) {
            const int32_t ty = oy + pad_t - ky;
            if (ty < 0 || ty % p.stride_h != 0 || ty / p.stride_h >= in_h) continue;
            for (int32_t kx = 0; kx < k_w; ++kx) {
              const int32_t tx = ox + pad_l - kx;
              if (tx < 0 || tx % p.stride_w != 0 || tx / p.stride_w >= in_w) continue;
              const T* in_px = input + offset4(input_dims, n, ty / p.stride_h, tx / p.stride_w, 0);
              const int8_t* taps = filter + offset4(filter_dims, oc, ky, kx, 0);
              for (int32_t c = 0; c < in_c; ++c) acc += (static_cast<Acc>(in_px[c]) + in_off) * taps[c];
            }
          }
          if (bias) acc += bias[oc];
          output[offset4(output_dims, n, oy, ox, oc)] = requantize<T>(acc, q, oc);
        }
}

template <typename T, typename Acc>
void fully_connected_int(const IntConvQuant& q, const T* input, int64_t rows, int32_t depth, const int8_t* weights,
                         int32_t units, const Acc* bias, T* output) {
  const Acc in_off = -q.input_zero_point;
  for (int64_t r = 0; r < rows; ++r)
    for (int32_t u = 0; u < units; ++u) {
      const T* x = input + r * depth;
      const int8_t* w = weights + int64_t{u} * depth;
      Acc acc = 0;
      for (int32_t d = 0; d < depth; ++d) acc += (static_cast<Acc>(x[d]) + in_off) * w[d];
      if (bias) acc += bias[u];
      output[r * units + u] = requantize<T>(acc, q, u);
    }
}

template <typename T, typename Acc>
void batch_matmul_int(const IntConvQuant& q, const T* lhs, Dims lhs_dims, bool adj_x, const T* rhs, Dims rhs_dims,
                      bool adj_y, T* output, Dims output_dims) {
  const size_t lr = lhs_dims.size(), rr = rhs_dims.size(), orank = output_dims.size();
  const int32_t m = output_dims[orank - 2], n = output_dims[orank - 1];
  const int32_t k = adj_x ? lhs_dims[lr - 2] : lhs_dims[lr - 1];
  const Dims out_batch = output_dims.first(orank - 2);
  const std::vector<int64_t> lhs_strides = broadcast_strides(lhs_dims.first(lr - 2), out_batch);
  const std::vector<int64_t> rhs_strides = broadcast_strides(rhs_dims.first(rr - 2), out_batch);
  const Acc lhs_off = -q.input_zero_point, rhs_off = -q.weight_zero_point;
  const int64_t batches = flat_size(out_batch);
  for (int64_t batch = 0; batch < batches; ++batch) {
    int64_t li = 0, ri = 0;
    for (int64_t d = static_cast<int64_t>(out_batch.size()) - 1, rest = batch; d >= 0; --d) {
      const int64_t i = rest % out_batch[d];
      rest /= out_batch[d];
      li += i * lhs_strides[d];
      ri += i * rhs_strides[d];
    }
    const T* a = lhs + li * m * k;  // (M, K), or (K, M) when adj_x
    const T* b = rhs + ri * k * n;  // (K, N), or (N, K) when adj_y
    T* out = output + batch * m * n;
    for (int32_t i = 0; i < m; ++i)
      for (int32_t j = 0; j < n; ++j) {
        Acc acc = 0;
        for (int32_t t = 0; t < k; ++t) {
          const Acc av = a[adj_x ? int64_t{t} * m + i : int64_t{i} * k + t];
          const Acc bv = b[adj_y ? int64_t{j} * k + t : int64_t{t} * n + j];
          acc += (av + lhs_off) * (bv + rhs_off);
        }
        out[int64_t{i} * n + j] = requantize<T>(acc, q, 0);
      }
  }
}

template <typename T>
void average_pool2d_int(const PoolParams& p, IntRange range, const T* input, Dims input_dims, T* output,
                        Dims output_dims) {
  const int32_t batches = input_dims[0], in_h = input_dims[1], in_w = input_dims[2], channels = input_dims[3];
  const int32_t out_h = output_dims[1], out_w = output_dims[2];
  const int32_t pad_t = window_padding_before(in_h, p.filter_h, p.stride_h, 1, out_h);
  const int32_t pad_l = window_padding_before(in_w, p.filter_w, p.stride_w, 1, out_w);
  for (int32_t n = 0; n < batches; ++n)
    for (int32_t oy = 0; oy < out_h; ++oy)
      for (int32_t ox = 0; ox < out_w; ++ox) {
        const int32_t y0 = std::max(oy * p.stride_h - pad_t, 0);
        const int32_t y1 = std::min(oy * p.stride_h - pad_t + p.filter_h, in_h);
        const int32_t x0 = std::max(ox * p.stride_w - pad_l, 0);
        const int32_t x1 = std::min(ox * p.stride_w - pad_l + p.filter_w, in_w);
        const int32_t count = (y1 - y0) * (x1 - x0);
        for (int32_t c = 0; c < channels; ++c) {
          int32_t acc = 0;
          for (int32_t iy = y0; iy < y1; ++iy)
            for (int32_t ix = x0; ix < x1; ++ix) acc += input[offset4(input_dims, n, iy, ix, c)];
          // Round to nearest, halves away from zero (LiteRT's integer AveragePool).
          if (count > 0) acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
          acc = std::min(std::max(acc, range.min), range.max);
          output[offset4(output_dims, n, oy, ox, c)] = static_cast<T>(acc);
        }
      }
}

template <typename T>
void max_pool2d_int(const PoolParams& p, IntRange range, const T* input, Dims input_dims, T* output,
                    Dims output_dims) {
  const int32_t batches = input_dims[0], in_h = input_dims[1], in_w = input_dims[2], channels = input_dims[3];
  const int32_t out_h = output_dims[1], out_w = output_dims[2];
  const int32_t pad_t = window_padding_before(in_h, p.filter_h, p.stride_h, 1, out_h);
  const int32_t pad_l = window_padding_before(in_w, p.filter_w, p.stride_w, 1, out_w);
  for (int32_t n = 0; n < batches; ++n)
    for (int32_t oy = 0; oy < out_h; ++oy)
      for (int32_t ox = 0; ox < out_w; ++ox) {
        const int32_t y0 = std::max(oy * p.stride_h - pad_t, 0);
        const int32_t y1 = std::min(oy * p.stride_h - pad_t + p.filter_h, in_h);
        const int32_t x0 = std::max(ox * p.stride_w - pad_l, 0);
        const int32_t x1 = std::min(ox * p.stride_w - pad_l + p.filter_w, in_w);
        for (int32_t c = 0; c < channels; ++c) {
          int32_t best = std::numeric_limits<T>::lowest();
          for (int32_t iy = y0; iy < y1; ++iy)
            for (int32_t ix = x0; ix < x1; ++ix)
              best = std::max<int32_t>(best, input[offset4(input_dims, n, iy, ix, c)]);
          best = std::min(std::max(best, range.min), range.max);
          output[offset4(output_dims, n, oy, ox, c)] = static_cast<T>(best);
        }
      }
}

#define TFC_CONV_INT_INSTANTIATE(T, Acc)                                                                        \
  template void conv2d_int<T, Acc>(const ConvParams&, const IntConvQuant&, const T*, Dims, const int8_t*, Dims, \
                                   const Acc*, T*, Dims);                                                      \
  template void depthwise_conv2d_int<T, Acc>(const ConvParams&, const IntConvQuant&, const T*, Dims,          \
                                             const int8_t*, Dims, const Acc*, T*, Dims);                       \
  template void transpose_conv_int<T, Acc>(const TransposeConvParams&, const IntConvQuant&, const T*, Dims,   \
                                           const int8_t*, Dims, const Acc*, T*, Dims);                         \
  template void fully_connected_int<T, Acc>(const IntConvQuant&, const T*, int64_t, int32_t, const int8_t*,    \
                                            int32_t, const Acc*, T*);                                          \
  template void batch_matmul_int<T, Acc>(const IntConvQuant&, const T*, Dims, bool, const T*, Dims, bool, T*,  \
                                         Dims);

TFC_CONV_INT_INSTANTIATE(int8_t, int32_t)
TFC_CONV_INT_INSTANTIATE(int16_t, int32_t)
TFC_CONV_INT_INSTANTIATE(int16_t, int64_t)
#undef TFC_CONV_INT_INSTANTIATE

template void average_pool2d_int<int8_t>(const PoolParams&, IntRange, const int8_t*, Dims, int8_t*, Dims);
template void average_pool2d_int<int16_t>(const PoolParams&, IntRange, const int16_t*, Dims, int16_t*, Dims);
template void max_pool2d_int<int8_t>(const PoolParams&, IntRange, const int8_t*, Dims, int8_t*, Dims);
template void max_pool2d_int<int16_t>(const PoolParams&, IntRange, const int16_t*, Dims, int16_t*, Dims);

}  // namespace tfc::kernels
