// Hybrid kernels of the conv family (see hybrid_ref.h for the arithmetic),
// on the float kernels' windows (kernels/window.h).
#include "kernels/hybrid_ref.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/window.h"

namespace tfc::kernels {
namespace {

// TfLiteRound: std::round on float.
inline int32_t round_f(float x) { return static_cast<int32_t>(std::round(x)); }

inline float channel_scale(WeightScales s, int64_t c) { return s.size() == 1 ? s[0] : s[static_cast<size_t>(c)]; }

// Quantizes every batch element of an NHWC input (row = H*W*C values).
std::vector<RowQuant> quantize_batches(const float* input, Dims dims, bool asymmetric, std::vector<int8_t>& q) {
  const int32_t batches = dims[0];
  const int64_t size = batches == 0 ? 0 : flat_size(dims) / batches;
  q.resize(static_cast<size_t>(flat_size(dims)));
  std::vector<RowQuant> rows(static_cast<size_t>(batches));
  for (int32_t b = 0; b < batches; ++b)
    rows[b] = asymmetric ? quantize_row_asymmetric(input + b * size, size, q.data() + b * size)
                         : quantize_row_symmetric(input + b * size, size, q.data() + b * size);
  return rows;
}

}  // namespace

RowQuant quantize_row_symmetric(const float* x, int64_t n, int8_t* q) {
  if (n <= 0) return {};
  const auto [mn, mx] = std::minmax_element(x, x + n);
  const float range = std::max(std::abs(*mn), std::abs(*mx));
  if (range == 0) {
    std::memset(q, 0, static_cast<size_t>(n));
    return {1.0f, 0};
  }
  const float inv = 127 / range;
  for (int64_t i = 0; i < n; ++i) q[i] = static_cast<int8_t>(std::clamp(round_f(x[i] * inv), -127, 127));
  return {range / 127, 0};
}

RowQuant quantize_row_asymmetric(const float* x, int64_t n, int8_t* q) {
  if (n <= 0) return {};
  const auto [mn, mx] = std::minmax_element(x, x + n);
  const double rmin = static_cast<double>(std::min(0.0f, *mn));
  const double rmax = static_cast<double>(std::max(0.0f, *mx));
  if (rmin == rmax) {
    std::memset(q, 0, static_cast<size_t>(n));
    return {1.0f, 0};
  }
  const double qmin = -128, qmax = 127;
  const double scale = (rmax - rmin) / (qmax - qmin);
  const double zp_from_min = qmin - rmin / scale;
  const double zp_from_max = qmax - rmax / scale;
  const double zp_from_min_error = std::abs(qmin) + std::abs(rmin / scale);
  const double zp_from_max_error = std::abs(qmax) + std::abs(rmax / scale);
  const double zp = zp_from_min_error < zp_from_max_error ? zp_from_min : zp_from_max;
  int32_t nudged = 0;
  if (zp <= qmin) nudged = -128;
  else if (zp >= qmax) nudged = 127;
  else nudged = static_cast<int8_t>(std::round(zp));
  const RowQuant r{static_cast<float>(scale), nudged};
  const float inv = 1.0f / r.scale;
  for (int64_t i = 0; i < n; ++i)
    q[i] = static_cast<int8_t>(std::clamp(round_f(static_cast<float>(nudged) + x[i] * inv), -128, 127));
  return r;
}

void hybrid_fully_connected(Activation activation, bool asymmetric_inputs, const float* input, int64_t rows,
                            int32_t depth, const int8_t* weights, int32_t units, WeightScales scales,
                            const float* bias, float* output) {
  const FloatClamp act(activation);
  const bool per_channel = scales.size() > 1;
  std::vector<int8_t> q(static_cast<size_t>(depth));
  std::vector<int32_t> row_sums(static_cast<size_t>(units), 0);
  for (int32_t u = 0; u < units; ++u)
    for (int32_t d = 0; d < depth; ++d) row_sums[u] += weights[int64_t{u} * depth + d];
  for (int64_t r = 0; r < rows; ++r) {
    const RowQuant rq = asymmetric_inputs ? quantize_row_asymmetric(input + r * depth, depth, q.data())
                                          : quantize_row_symmetric(input + r * depth, depth, q.data());
    // Per tensor, LiteRT folds the weight scale into the row's factor first.
    const float row_factor = per_channel ? rq.scale : rq.scale * scales[0];
    for (int32_t u = 0; u < units; ++u) {
      const int8_t* w = weights + int64_t{u} * depth;
      int32_t dot = 0;
      for (int32_t d = 0; d < depth; ++d) dot += int32_t{w[d]} * q[d];
      if (asymmetric_inputs) dot -= row_sums[u] * rq.zero_point;
      const float scale = per_channel ? row_factor * scales[u] : row_factor;
      const float b = bias ? bias[u] : 0.0f;
      output[r * units + u] = act(b + static_cast<float>(dot) * scale);
    }
  }
}

void hybrid_conv2d(const ConvParams& p, const float* input, Dims input_dims, const int8_t* filter, Dims filter_dims,
                   WeightScales scales, const float* bias, float* output, Dims output_dims) {
  const int32_t in_c = input_dims[3];
  const int32_t out_c = filter_dims[0], group_c = filter_dims[3];
  const int32_t filters_per_group = out_c / (in_c / group_c);
  const Window w = forward_window(input_dims[1], input_dims[2], output_dims[1], output_dims[2], filter_dims[1],
                                  filter_dims[2], p.stride_h, p.stride_w, p.dilation_h, p.dilation_w);
  const FloatClamp act(p.activation);
  // Per-tensor weights on an ungrouped filter take LiteRT's EvalHybrid
  // (symmetric); everything else its per-channel path (asymmetric).
  const bool per_channel = scales.size() > 1 || group_c != in_c;
  std::vector<int8_t> q;
  const std::vector<RowQuant> rq = quantize_batches(input, input_dims, per_channel, q);

  for_each_output(w, input_dims[0], [&](int32_t n, int32_t oy, int32_t ox) {
    const int32_t zp = rq[n].zero_point;
    const float batch_factor = per_channel ? rq[n].scale : rq[n].scale * scales[0];
    const PixelTaps pixel = pixel_taps(w, oy, ox);
    for (int32_t oc = 0; oc < out_c; ++oc) {
      const int32_t first_in_c = (oc / filters_per_group) * group_c;
      int32_t acc = 0;
      for_each_tap(pixel, [&](int32_t ky, int32_t kx, int32_t iy, int32_t ix) {
        const int8_t* in_px = q.data() + offset4(input_dims, n, iy, ix, first_in_c);
        const int8_t* taps = filter + offset4(filter_dims, oc, ky, kx, 0);
        for (int32_t c = 0; c < group_c; ++c) acc += int32_t{taps[c]} * (int32_t{in_px[c]} - zp);
      });
      // HybridConvPerChannel: acc * per_channel_scale * scaling_factor;
      // HybridConv: acc * (scaling_factor * filter_scale).
      float v = per_channel ? static_cast<float>(acc) * channel_scale(scales, oc) * batch_factor
                            : static_cast<float>(acc) * batch_factor;
      if (bias) v += bias[oc];
      output[offset4(output_dims, n, oy, ox, oc)] = act(v);
    }
  });
}

void hybrid_depthwise_conv2d(const ConvParams& p, const float* input, Dims input_dims, const int8_t* filter,
                             Dims filter_dims, WeightScales scales, const float* bias, float* output,
                             Dims output_dims) {
  const int32_t in_c = input_dims[3], out_c = filter_dims[3];
  const int32_t multiplier = out_c / in_c;
  const Window w = forward_window(input_dims[1], input_dims[2], output_dims[1], output_dims[2], filter_dims[1],
                                  filter_dims[2], p.stride_h, p.stride_w, p.dilation_h, p.dilation_w);
  const FloatClamp act(p.activation);
  std::vector<int8_t> q;
  const std::vector<RowQuant> rq = quantize_batches(input, input_dims, /*asymmetric=*/true, q);
  std::vector<int32_t> acc(static_cast<size_t>(out_c));

  for_each_output(w, input_dims[0], [&](int32_t n, int32_t oy, int32_t ox) {
    const int32_t zp = rq[n].zero_point;
    std::fill(acc.begin(), acc.end(), 0);
    for_each_tap(w, oy, ox, [&](int32_t ky, int32_t kx, int32_t iy, int32_t ix) {
      const int8_t* in_px = q.data() + offset4(input_dims, n, iy, ix, 0);
      const int8_t* taps = filter + offset4(filter_dims, 0, ky, kx, 0);
      for (int32_t oc = 0; oc < out_c; ++oc) acc[oc] += int32_t{taps[oc]} * (int32_t{in_px[oc / multiplier]} - zp);
    });
    float* out_px = output + offset4(output_dims, n, oy, ox, 0);
    for (int32_t oc = 0; oc < out_c; ++oc) {
      float v = static_cast<float>(acc[oc]);
      v *= channel_scale(scales, oc) * rq[n].scale;
      if (bias) v += bias[oc];
      out_px[oc] = act(v);
    }
  });
}

void hybrid_transpose_conv(const TransposeConvParams& p, const float* input, Dims input_dims, const int8_t* filter,
                           Dims filter_dims, WeightScales scales, const float* bias, float* output,
                           Dims output_dims) {
  const int32_t in_c = input_dims[3], out_c = output_dims[3];
  const Window w = transposed_window(p.padding, input_dims[1], input_dims[2], output_dims[1], output_dims[2],
                                     filter_dims[1], filter_dims[2], p.stride_h, p.stride_w);
  const FloatClamp act(p.activation);
  std::vector<int8_t> q;
  const std::vector<RowQuant> rq = quantize_batches(input, input_dims, /*asymmetric=*/true, q);

  for_each_output(w, output_dims[0], [&](int32_t n, int32_t oy, int32_t ox) {
    const int32_t zp = rq[n].zero_point;
    const PixelTaps t = pixel_taps(w, oy, ox);
    for (int32_t oc = 0; oc < out_c; ++oc) {
      const float cs = channel_scale(scales, oc);
      // LiteRT scatters the input in order (iy, ix, c), adding each product
      // scaled to float: transposed taps run ascending k, descending input,
      // so walk them backwards.
      float acc = 0.0f;
      for (int32_t j = t.y.count - 1; j >= 0; --j)
        for (int32_t i = t.x.count - 1; i >= 0; --i) {
          const int32_t ky = t.y.first + j * t.y.k_step, iy = t.y.input + j * t.y.i_step;
          const int32_t kx = t.x.first + i * t.x.k_step, ix = t.x.input + i * t.x.i_step;
          const int8_t* in_px = q.data() + offset4(input_dims, n, iy, ix, 0);
          const int8_t* taps = filter + offset4(filter_dims, oc, ky, kx, 0);
          for (int32_t c = 0; c < in_c; ++c)
            acc += static_cast<float>((int32_t{in_px[c]} - zp) * int32_t{taps[c]}) * cs * rq[n].scale;
        }
      if (bias) acc += bias[oc];
      output[offset4(output_dims, n, oy, ox, oc)] = act(acc);
    }
  });
}

}  // namespace tfc::kernels
