// Integer kernels of the conv family (see conv_int.h for the arithmetic).
// Straight loops over NHWC buffers on the float kernels' windows
// (kernels/window.h).
#include "kernels/conv_int.h"

#include <algorithm>
#include <limits>
#include <type_traits>

#include "kernels/broadcast.h"
#include "kernels/window.h"

namespace tfc::kernels {
namespace {

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

// sum (x[c] + in_off) * w[c] for c in [0, n), in Acc. Blocks of 16 have the
// fixed trip count -O2's vectorizer needs and are summed as
// sum x * w + in_off * sum w, in int32 partial sums that are exact
// (|x * w| < 2^22 for 16-bit x); integer sums do not depend on their order.
template <typename Acc, typename T>
[[gnu::always_inline]] inline Acc int_dot(const T* x, const int8_t* w, int32_t n, Acc in_off) {
  static_assert(sizeof(T) <= 2);
  constexpr int32_t kBlock = 16;
  Acc acc = 0;
  int32_t c = 0;
  for (; c + kBlock <= n; c += kBlock) {
    int32_t xw = 0, w_sum = 0;
    for (int32_t b = 0; b < kBlock; ++b) {
      xw += int32_t{x[c + b]} * w[c + b];
      w_sum += w[c + b];
    }
    acc += xw + in_off * w_sum;
  }
  for (; c < n; ++c) acc += (static_cast<Acc>(x[c]) + in_off) * w[c];
  return acc;
}

// The pooling window of PoolParams (no dilation).
Window pool_window(const PoolParams& p, Dims input_dims, Dims output_dims) {
  return forward_window(input_dims[1], input_dims[2], output_dims[1], output_dims[2], p.filter_h, p.filter_w,
                        p.stride_h, p.stride_w);
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
  const int32_t in_c = input_dims[3];
  const int32_t out_c = filter_dims[0], group_c = filter_dims[3];
  const int32_t filters_per_group = out_c / (in_c / group_c);
  const Window w = forward_window(input_dims[1], input_dims[2], output_dims[1], output_dims[2], filter_dims[1],
                                  filter_dims[2], p.stride_h, p.stride_w, p.dilation_h, p.dilation_w);
  const int64_t in_row = int64_t{input_dims[2]} * in_c, filter_row = int64_t{filter_dims[2]} * group_c;
  const Acc in_off = -q.input_zero_point;
  for_each_output(w, input_dims[0], [&](int32_t n, int32_t oy, int32_t ox) {
    const PixelTaps pixel = pixel_taps(w, oy, ox);
    T* out_px = output + offset4(output_dims, n, oy, ox, 0);
    for (int32_t oc = 0; oc < out_c; ++oc) {
      const T* in_group = input + offset4(input_dims, n, 0, 0, (oc / filters_per_group) * group_c);
      const int8_t* taps = filter + offset4(filter_dims, oc, 0, 0, 0);
      Acc acc = 0;
      for_each_tap(pixel, [&](int32_t ky, int32_t kx, int32_t iy, int32_t ix) {
        acc += int_dot(in_group + iy * in_row + int64_t{ix} * in_c, taps + ky * filter_row + int64_t{kx} * group_c,
                       group_c, in_off);
      });
      if (bias) acc += bias[oc];
      out_px[oc] = requantize<T>(acc, q, oc);
    }
  });
}

template <typename T, typename Acc>
void depthwise_conv2d_int(const ConvParams& p, const IntConvQuant& q, const T* input, Dims input_dims,
                          const int8_t* filter, Dims filter_dims, const Acc* bias, T* output, Dims output_dims) {
  const int32_t in_c = input_dims[3], out_c = filter_dims[3];
  const int32_t multiplier = out_c / in_c;
  const Window w = forward_window(input_dims[1], input_dims[2], output_dims[1], output_dims[2], filter_dims[1],
                                  filter_dims[2], p.stride_h, p.stride_w, p.dilation_h, p.dilation_w);
  const Acc in_off = -q.input_zero_point;
  std::vector<Acc> acc(out_c);
  for_each_output(w, input_dims[0], [&](int32_t n, int32_t oy, int32_t ox) {
    std::fill(acc.begin(), acc.end(), Acc{0});
    for_each_tap(w, oy, ox, [&](int32_t ky, int32_t kx, int32_t iy, int32_t ix) {
      const T* in_px = input + offset4(input_dims, n, iy, ix, 0);
      const int8_t* taps = filter + offset4(filter_dims, 0, ky, kx, 0);
      for (int32_t oc = 0; oc < out_c; ++oc) acc[oc] += (static_cast<Acc>(in_px[oc / multiplier]) + in_off) * taps[oc];
    });
    T* out_px = output + offset4(output_dims, n, oy, ox, 0);
    for (int32_t oc = 0; oc < out_c; ++oc) out_px[oc] = requantize<T>(acc[oc] + (bias ? bias[oc] : Acc{0}), q, oc);
  });
}

template <typename T, typename Acc>
void transpose_conv_int(const TransposeConvParams& p, const IntConvQuant& q, const T* input, Dims input_dims,
                        const int8_t* filter, Dims filter_dims, const Acc* bias, T* output, Dims output_dims) {
  const int32_t in_c = input_dims[3], out_c = output_dims[3];
  const Window w = transposed_window(p.padding, input_dims[1], input_dims[2], output_dims[1], output_dims[2],
                                     filter_dims[1], filter_dims[2], p.stride_h, p.stride_w);
  const Acc in_off = -q.input_zero_point;
  for_each_output(w, output_dims[0], [&](int32_t n, int32_t oy, int32_t ox) {
    const PixelTaps pixel = pixel_taps(w, oy, ox);
    for (int32_t oc = 0; oc < out_c; ++oc) {
      Acc acc = 0;
      for_each_tap(pixel, [&](int32_t ky, int32_t kx, int32_t iy, int32_t ix) {
        acc += int_dot(input + offset4(input_dims, n, iy, ix, 0), filter + offset4(filter_dims, oc, ky, kx, 0), in_c,
                       in_off);
      });
      if (bias) acc += bias[oc];
      output[offset4(output_dims, n, oy, ox, oc)] = requantize<T>(acc, q, oc);
    }
  });
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
  const Acc lhs_off = -q.input_zero_point, rhs_off = -q.weight_zero_point;
  // Each output matrix with the operands' matrices broadcast over the batch dims.
  const std::array<Dims, 2> batch_dims{lhs_dims.first(lr - 2), rhs_dims.first(rr - 2)};
  for_each_broadcast<2>(out_batch, batch_dims, [&](int64_t batch, const std::array<int64_t, 2>& mat) {
    const T* a = lhs + mat[0] * m * k;  // (M, K), or (K, M) when adj_x
    const T* b = rhs + mat[1] * k * n;  // (K, N), or (N, K) when adj_y
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
  });
}

template <typename T>
void average_pool2d_int(const PoolParams& p, IntRange range, const T* input, Dims input_dims, T* output,
                        Dims output_dims) {
  const Window w = pool_window(p, input_dims, output_dims);
  const int32_t channels = input_dims[3];
  std::vector<int32_t> acc(static_cast<size_t>(channels));  // the sums of one output pixel, (C)
  for_each_output(w, input_dims[0], [&](int32_t n, int32_t oy, int32_t ox) {
    std::fill(acc.begin(), acc.end(), 0);
    int32_t count = 0;
    for_each_tap(w, oy, ox, [&](int32_t, int32_t, int32_t iy, int32_t ix) {
      const T* px = input + offset4(input_dims, n, iy, ix, 0);
      for (int32_t c = 0; c < channels; ++c) acc[c] += px[c];
      ++count;
    });
    T* out_px = output + offset4(output_dims, n, oy, ox, 0);
    for (int32_t c = 0; c < channels; ++c) {
      int32_t v = acc[c];
      // Round to nearest, halves away from zero (LiteRT's integer AveragePool).
      if (count > 0) v = v > 0 ? (v + count / 2) / count : (v - count / 2) / count;
      out_px[c] = static_cast<T>(std::min(std::max(v, range.min), range.max));
    }
  });
}

template <typename T>
void max_pool2d_int(const PoolParams& p, IntRange range, const T* input, Dims input_dims, T* output,
                    Dims output_dims) {
  const Window w = pool_window(p, input_dims, output_dims);
  const int32_t channels = input_dims[3];
  std::vector<int32_t> best(static_cast<size_t>(channels));  // (C)
  for_each_output(w, input_dims[0], [&](int32_t n, int32_t oy, int32_t ox) {
    std::fill(best.begin(), best.end(), int32_t{std::numeric_limits<T>::lowest()});
    for_each_tap(w, oy, ox, [&](int32_t, int32_t, int32_t iy, int32_t ix) {
      const T* px = input + offset4(input_dims, n, iy, ix, 0);
      for (int32_t c = 0; c < channels; ++c) best[c] = std::max<int32_t>(best[c], px[c]);
    });
    T* out_px = output + offset4(output_dims, n, oy, ox, 0);
    for (int32_t c = 0; c < channels; ++c)
      out_px[c] = static_cast<T>(std::min(std::max(best[c], range.min), range.max));
  });
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
