// Reference kernels of the conv family (see conv_ref.h for each kernel's
// definition and buffer shapes). Straight loops over NHWC buffers; windows
// (kernels/window.h) skip the taps that fall in the padding. Not here:
// validation, output sizing.
#include "kernels/conv_ref.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "kernels/broadcast.h"
#include "kernels/window.h"

namespace tfc::kernels {
namespace {

// The clamp of a fused activation (FloatClamp; TANH and SIGN_BIT are not
// applied by these kernels) on a double accumulator rounded to float.
struct ActivationRange {
  FloatClamp clamp;
  explicit ActivationRange(Activation a) : clamp(a) {}
  float operator()(double x) const { return clamp(static_cast<float>(x)); }
};

inline double dot(const float* a, const float* b, int64_t n) {
  double acc = 0.0;
  for (int64_t i = 0; i < n; ++i) acc += static_cast<double>(a[i]) * b[i];
  return acc;
}

// Each of `count` row-major (rows, cols) matrices transposed to (cols, rows).
std::vector<float> transpose_matrices(const float* m, int64_t count, int32_t rows, int32_t cols) {
  std::vector<float> out(static_cast<size_t>(count * rows * cols));
  for (int64_t k = 0; k < count; ++k) {
    const float* src = m + k * rows * cols;
    float* dst = out.data() + k * rows * cols;
    for (int32_t r = 0; r < rows; ++r)
      for (int32_t c = 0; c < cols; ++c) dst[int64_t{c} * rows + r] = src[int64_t{r} * cols + c];
  }
  return out;
}

// The pooling window of PoolParams (no dilation).
Window pool_window(const PoolParams& p, Dims input_dims, Dims output_dims) {
  return forward_window(input_dims[1], input_dims[2], output_dims[1], output_dims[2], p.filter_h, p.filter_w,
                        p.stride_h, p.stride_w);
}

}  // namespace

void conv2d(const ConvParams& p, const float* input, Dims input_dims, const float* filter, Dims filter_dims,
            const float* bias, float* output, Dims output_dims) {
  const int32_t in_c = input_dims[3];
  const int32_t out_c = filter_dims[0], group_c = filter_dims[3];
  const int32_t filters_per_group = out_c / (in_c / group_c);
  const Window w = forward_window(input_dims[1], input_dims[2], output_dims[1], output_dims[2], filter_dims[1],
                                  filter_dims[2], p.stride_h, p.stride_w, p.dilation_h, p.dilation_w);
  const ActivationRange act(p.activation);
  for_each_output(w, input_dims[0], [&](int32_t n, int32_t oy, int32_t ox) {
    const PixelTaps pixel = pixel_taps(w, oy, ox);
    for (int32_t oc = 0; oc < out_c; ++oc) {
      const int32_t first_in_c = (oc / filters_per_group) * group_c;
      double acc = bias ? bias[oc] : 0.0;
      for_each_tap(pixel, [&](int32_t ky, int32_t kx, int32_t iy, int32_t ix) {
        acc += dot(input + offset4(input_dims, n, iy, ix, first_in_c), filter + offset4(filter_dims, oc, ky, kx, 0),
                   group_c);
      });
      output[offset4(output_dims, n, oy, ox, oc)] = act(acc);
    }
  });
}

void depthwise_conv2d(const ConvParams& p, const float* input, Dims input_dims, const float* filter,
                      Dims filter_dims, const float* bias, float* output, Dims output_dims) {
  const int32_t in_c = input_dims[3], out_c = filter_dims[3];
  const int32_t multiplier = out_c / in_c;
  const Window w = forward_window(input_dims[1], input_dims[2], output_dims[1], output_dims[2], filter_dims[1],
                                  filter_dims[2], p.stride_h, p.stride_w, p.dilation_h, p.dilation_w);
  const ActivationRange act(p.activation);
  thread_local std::vector<double> acc;  // the sums of one output pixel, (Cout); kept from call to call
  acc.resize(static_cast<size_t>(out_c));
  for_each_output(w, input_dims[0], [&](int32_t n, int32_t oy, int32_t ox) {
    for (int32_t oc = 0; oc < out_c; ++oc) acc[oc] = bias ? bias[oc] : 0.0;
    for_each_tap(w, oy, ox, [&](int32_t ky, int32_t kx, int32_t iy, int32_t ix) {
      const float* in_px = input + offset4(input_dims, n, iy, ix, 0);
      const float* taps = filter + offset4(filter_dims, 0, ky, kx, 0);
      for (int32_t oc = 0; oc < out_c; ++oc) acc[oc] += static_cast<double>(in_px[oc / multiplier]) * taps[oc];
    });
    float* out_px = output + offset4(output_dims, n, oy, ox, 0);
    for (int32_t oc = 0; oc < out_c; ++oc) out_px[oc] = act(acc[oc]);
  });
}

void transpose_conv(const TransposeConvParams& p, const float* input, Dims input_dims, const float* filter,
                    Dims filter_dims, const float* bias, float* output, Dims output_dims) {
  const int32_t in_c = input_dims[3], out_c = output_dims[3];
  const Window w = transposed_window(p.padding, input_dims[1], input_dims[2], output_dims[1], output_dims[2],
                                     filter_dims[1], filter_dims[2], p.stride_h, p.stride_w);
  const ActivationRange act(p.activation);
  for_each_output(w, output_dims[0], [&](int32_t n, int32_t oy, int32_t ox) {
    const PixelTaps pixel = pixel_taps(w, oy, ox);
    for (int32_t oc = 0; oc < out_c; ++oc) {
      double acc = bias ? bias[oc] : 0.0;
      for_each_tap(pixel, [&](int32_t ky, int32_t kx, int32_t iy, int32_t ix) {
        acc += dot(input + offset4(input_dims, n, iy, ix, 0), filter + offset4(filter_dims, oc, ky, kx, 0), in_c);
      });
      output[offset4(output_dims, n, oy, ox, oc)] = act(acc);
    }
  });
}

void fully_connected(Activation activation, const float* input, int64_t rows, int32_t depth, const float* weights,
                     int32_t units, const float* bias, float* output) {
  const ActivationRange act(activation);
  for (int64_t r = 0; r < rows; ++r)
    for (int32_t u = 0; u < units; ++u) {
      const double acc = (bias ? bias[u] : 0.0) + dot(input + r * depth, weights + int64_t{u} * depth, depth);
      output[r * units + u] = act(acc);
    }
}

void batch_matmul(const float* lhs, Dims lhs_dims, bool adj_x, const float* rhs, Dims rhs_dims, bool adj_y,
                  float* output, Dims output_dims) {
  const size_t lhs_rank = lhs_dims.size(), rhs_rank = rhs_dims.size(), out_rank = output_dims.size();
  const int32_t m = output_dims[out_rank - 2], n = output_dims[out_rank - 1];
  const int32_t k = adj_x ? lhs_dims[lhs_rank - 2] : lhs_dims[lhs_rank - 1];
  const Dims out_batch = output_dims.first(out_rank - 2);
  const Dims lhs_batch = lhs_dims.first(lhs_rank - 2);
  const Dims rhs_batch = rhs_dims.first(rhs_rank - 2);

  // Operands laid out so both are read along K: a as (..., M, K), b as (..., N, K).
  std::vector<float> lhs_t, rhs_t;
  const float* a = lhs;
  const float* b = rhs;
  if (adj_x) {
    lhs_t = transpose_matrices(lhs, flat_size(lhs_batch), k, m);
    a = lhs_t.data();
  }
  if (!adj_y) {
    rhs_t = transpose_matrices(rhs, flat_size(rhs_batch), k, n);
    b = rhs_t.data();
  }

  // Each output matrix with the operands' matrices broadcast over the batch dims.
  for_each_broadcast<2>(out_batch, {lhs_batch, rhs_batch}, [&](int64_t batch, const std::array<int64_t, 2>& mat) {
    const float* a_mat = a + mat[0] * m * k;
    const float* b_mat = b + mat[1] * n * k;
    float* out_mat = output + batch * m * n;
    for (int32_t i = 0; i < m; ++i)
      for (int32_t j = 0; j < n; ++j)
        out_mat[int64_t{i} * n + j] = static_cast<float>(dot(a_mat + int64_t{i} * k, b_mat + int64_t{j} * k, k));
  });
}

void average_pool2d(const PoolParams& p, const float* input, Dims input_dims, float* output, Dims output_dims) {
  const Window w = pool_window(p, input_dims, output_dims);
  const int32_t channels = input_dims[3];
  const ActivationRange act(p.activation);
  thread_local std::vector<double> sum;  // the sums of one output pixel, (C); kept from call to call
  sum.resize(static_cast<size_t>(channels));
  for_each_output(w, input_dims[0], [&](int32_t n, int32_t oy, int32_t ox) {
    std::fill(sum.begin(), sum.end(), 0.0);
    int32_t count = 0;
    for_each_tap(w, oy, ox, [&](int32_t, int32_t, int32_t iy, int32_t ix) {
      const float* px = input + offset4(input_dims, n, iy, ix, 0);
      for (int32_t c = 0; c < channels; ++c) sum[c] += px[c];
      ++count;
    });
    float* out_px = output + offset4(output_dims, n, oy, ox, 0);
    for (int32_t c = 0; c < channels; ++c) out_px[c] = act(sum[c] / static_cast<double>(count));
  });
}

void max_pool2d(const PoolParams& p, const float* input, Dims input_dims, float* output, Dims output_dims) {
  const Window w = pool_window(p, input_dims, output_dims);
  const int32_t channels = input_dims[3];
  const ActivationRange act(p.activation);
  thread_local std::vector<float> best;  // (C); kept from call to call
  best.resize(static_cast<size_t>(channels));
  for_each_output(w, input_dims[0], [&](int32_t n, int32_t oy, int32_t ox) {
    std::fill(best.begin(), best.end(), std::numeric_limits<float>::lowest());
    for_each_tap(w, oy, ox, [&](int32_t, int32_t, int32_t iy, int32_t ix) {
      const float* px = input + offset4(input_dims, n, iy, ix, 0);
      for (int32_t c = 0; c < channels; ++c) best[c] = std::max(best[c], px[c]);
    });
    float* out_px = output + offset4(output_dims, n, oy, ox, 0);
    for (int32_t c = 0; c < channels; ++c) out_px[c] = act(best[c]);
  });
}

}  // namespace tfc::kernels
