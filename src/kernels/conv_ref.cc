// Reference kernels of the conv family (see conv_ref.h for each kernel's
// definition and buffer shapes). Straight loops over NHWC buffers; windows skip
// the taps that fall in the padding. Not here: validation, output sizing.
#include "kernels/conv_ref.h"

#include <algorithm>
#include <limits>
#include <vector>

namespace tfc::kernels {
namespace {

// The clamp of a fused activation (TFLite's CalculateActivationRange).
struct ActivationRange {
  float lo = std::numeric_limits<float>::lowest();
  float hi = std::numeric_limits<float>::max();

  explicit ActivationRange(Activation a) {
    switch (a) {
      case Activation::kRelu: lo = 0.0f; break;
      case Activation::kRelu6: lo = 0.0f; hi = 6.0f; break;
      case Activation::kReluN1To1: lo = -1.0f; hi = 1.0f; break;
      default: break;  // NONE; TANH and SIGN_BIT are not applied by these kernels
    }
  }
  // Same operand order as TFLite's ActivationFunctionWithMinMax, so NaN passes.
  float operator()(double x) const { return std::min(std::max(static_cast<float>(x), lo), hi); }
};

// Flat offset of element (a, b, c, d) of a rank-4 row-major buffer.
inline int64_t offset4(Dims dims, int64_t a, int64_t b, int64_t c, int64_t d) {
  return ((a * dims[1] + b) * dims[2] + c) * dims[3] + d;
}

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

// Runs the pooling window over every output element: out = act(window(n, c,
// y0, y1, x0, x1)), with [y0, y1) x [x0, x1) the window clipped to the input.
template <typename Window>
void pool2d(const PoolParams& p, Dims input_dims, float* output, Dims output_dims, Window&& window) {
  const int32_t batches = input_dims[0], in_h = input_dims[1], in_w = input_dims[2], channels = input_dims[3];
  const int32_t out_h = output_dims[1], out_w = output_dims[2];
  const int32_t pad_t = window_padding_before(in_h, p.filter_h, p.stride_h, 1, out_h);
  const int32_t pad_l = window_padding_before(in_w, p.filter_w, p.stride_w, 1, out_w);
  const ActivationRange act(p.activation);

  for (int32_t n = 0; n < batches; ++n)
    for (int32_t oy = 0; oy < out_h; ++oy)
      for (int32_t ox = 0; ox < out_w; ++ox) {
        const int32_t y0 = std::max(oy * p.stride_h - pad_t, 0);
        const int32_t y1 = std::min(oy * p.stride_h - pad_t + p.filter_h, in_h);
        const int32_t x0 = std::max(ox * p.stride_w - pad_l, 0);
        const int32_t x1 = std::min(ox * p.stride_w - pad_l + p.filter_w, in_w);
        for (int32_t c = 0; c < channels; ++c)
          output[offset4(output_dims, n, oy, ox, c)] = act(window(n, c, y0, y1, x0, x1));
      }
}

}  // namespace

void conv2d(const ConvParams& p, const float* input, Dims input_dims, const float* filter, Dims filter_dims,
            const float* bias, float* output, Dims output_dims) {
  const int32_t batches = input_dims[0], in_h = input_dims[1], in_w = input_dims[2], in_c = input_dims[3];
  const int32_t out_c = filter_dims[0], k_h = filter_dims[1], k_w = filter_dims[2], group_c = filter_dims[3];
  const int32_t out_h = output_dims[1], out_w = output_dims[2];
  const int32_t filters_per_group = out_c / (in_c / group_c);
  const int32_t pad_t = window_padding_before(in_h, k_h, p.stride_h, p.dilation_h, out_h);
  const int32_t pad_l = window_padding_before(in_w, k_w, p.stride_w, p.dilation_w, out_w);
  const ActivationRange act(p.activation);

  for (int32_t n = 0; n < batches; ++n)
    for (int32_t oy = 0; oy < out_h; ++oy)
      for (int32_t ox = 0; ox < out_w; ++ox)
        for (int32_t oc = 0; oc < out_c; ++oc) {
          const int32_t first_in_c = (oc / filters_per_group) * group_c;
          double acc = bias ? bias[oc] : 0.0;
          for (int32_t ky = 0; ky < k_h; ++ky) {
            const int32_t iy = oy * p.stride_h - pad_t + ky * p.dilation_h;
            if (iy < 0 || iy >= in_h) continue;
            for (int32_t kx = 0; kx < k_w; ++kx) {
              const int32_t ix = ox * p.stride_w - pad_l + kx * p.dilation_w;
              if (ix < 0 || ix >= in_w) continue;
              acc += dot(input + offset4(input_dims, n, iy, ix, first_in_c),
                         filter + offset4(filter_dims, oc, ky, kx, 0), group_c);
            }
          }
          output[offset4(output_dims, n, oy, ox, oc)] = act(acc);
        }
}

void depthwise_conv2d(const ConvParams& p, const float* input, Dims input_dims, const float* filter,
                      Dims filter_dims, const float* bias, float* output, Dims output_dims) {
  const int32_t batches = input_dims[0], in_h = input_dims[1], in_w = input_dims[2], in_c = input_dims[3];
  const int32_t k_h = filter_dims[1], k_w = filter_dims[2], out_c = filter_dims[3];
  const int32_t out_h = output_dims[1], out_w = output_dims[2];
  const int32_t multiplier = out_c / in_c;
  const int32_t pad_t = window_padding_before(in_h, k_h, p.stride_h, p.dilation_h, out_h);
  const int32_t pad_l = window_padding_before(in_w, k_w, p.stride_w, p.dilation_w, out_w);
  const ActivationRange act(p.activation);
  std::vector<double> acc(out_c);  // the sums of one output pixel, (Cout)

  for (int32_t n = 0; n < batches; ++n)
    for (int32_t oy = 0; oy < out_h; ++oy)
      for (int32_t ox = 0; ox < out_w; ++ox) {
        for (int32_t oc = 0; oc < out_c; ++oc) acc[oc] = bias ? bias[oc] : 0.0;
        for (int32_t ky = 0; ky < k_h; ++ky) {
          const int32_t iy = oy * p.stride_h - pad_t + ky * p.dilation_h;
          if (iy < 0 || iy >= in_h) continue;
          for (int32_t kx = 0; kx < k_w; ++kx) {
            const int32_t ix = ox * p.stride_w - pad_l + kx * p.dilation_w;
            if (ix < 0 || ix >= in_w) continue;
            const float* in_px = input + offset4(input_dims, n, iy, ix, 0);
            const float* taps = filter + offset4(filter_dims, 0, ky, kx, 0);
            for (int32_t oc = 0; oc < out_c; ++oc) acc[oc] += static_cast<double>(in_px[oc / multiplier]) * taps[oc];
          }
        }
        float* out_px = output + offset4(output_dims, n, oy, ox, 0);
        for (int32_t oc = 0; oc < out_c; ++oc) out_px[oc] = act(acc[oc]);
      }
}

void transpose_conv(const TransposeConvParams& p, const float* input, Dims input_dims, const float* filter,
                    Dims filter_dims, const float* bias, float* output, Dims output_dims) {
  const int32_t in_h = input_dims[1], in_w = input_dims[2], in_c = input_dims[3];
  const int32_t k_h = filter_dims[1], k_w = filter_dims[2];
  const int32_t batches = output_dims[0], out_h = output_dims[1], out_w = output_dims[2], out_c = output_dims[3];
  // The padding of the forward conv that maps the output size back to the input.
  const int32_t pad_t =
      window_padding_before(out_h, k_h, p.stride_h, 1, window_output_size(p.padding, out_h, k_h, p.stride_h, 1));
  const int32_t pad_l =
      window_padding_before(out_w, k_w, p.stride_w, 1, window_output_size(p.padding, out_w, k_w, p.stride_w, 1));
  const ActivationRange act(p.activation);

  for (int32_t n = 0; n < batches; ++n)
    for (int32_t oy = 0; oy < out_h; ++oy)
      for (int32_t ox = 0; ox < out_w; ++ox)
        for (int32_t oc = 0; oc < out_c; ++oc) {
          double acc = bias ? bias[oc] : 0.0;
          for (int32_t ky = 0; ky < k_h; ++ky) {
            const int32_t ty = oy + pad_t - ky;  // = iy * stride_h for a contributing input row
            if (ty < 0 || ty % p.stride_h != 0 || ty / p.stride_h >= in_h) continue;
            for (int32_t kx = 0; kx < k_w; ++kx) {
              const int32_t tx = ox + pad_l - kx;
              if (tx < 0 || tx % p.stride_w != 0 || tx / p.stride_w >= in_w) continue;
              acc += dot(input + offset4(input_dims, n, ty / p.stride_h, tx / p.stride_w, 0),
                         filter + offset4(filter_dims, oc, ky, kx, 0), in_c);
            }
          }
          output[offset4(output_dims, n, oy, ox, oc)] = act(acc);
        }
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

  // Matrix-index strides of each operand over the output's batch dims (0 where broadcast).
  const std::vector<int64_t> lhs_strides = broadcast_strides(lhs_batch, out_batch);
  const std::vector<int64_t> rhs_strides = broadcast_strides(rhs_batch, out_batch);
  const int64_t batches = flat_size(out_batch);
  for (int64_t batch = 0; batch < batches; ++batch) {
    int64_t lhs_index = 0, rhs_index = 0;
    for (int64_t d = static_cast<int64_t>(out_batch.size()) - 1, rest = batch; d >= 0; --d) {
      const int64_t i = rest % out_batch[d];
      rest /= out_batch[d];
      lhs_index += i * lhs_strides[d];
      rhs_index += i * rhs_strides[d];
    }
    const float* a_mat = a + lhs_index * m * k;
    const float* b_mat = b + rhs_index * n * k;
    float* out_mat = output + batch * m * n;
    for (int32_t i = 0; i < m; ++i)
      for (int32_t j = 0; j < n; ++j)
        out_mat[int64_t{i} * n + j] = static_cast<float>(dot(a_mat + int64_t{i} * k, b_mat + int64_t{j} * k, k));
  }
}

void average_pool2d(const PoolParams& p, const float* input, Dims input_dims, float* output, Dims output_dims) {
  pool2d(p, input_dims, output, output_dims, [&](int32_t n, int32_t c, int32_t y0, int32_t y1, int32_t x0, int32_t x1) {
    double sum = 0.0;
    for (int32_t iy = y0; iy < y1; ++iy)
      for (int32_t ix = x0; ix < x1; ++ix) sum += input[offset4(input_dims, n, iy, ix, c)];
    return sum / (static_cast<double>(y1 - y0) * (x1 - x0));
  });
}

void max_pool2d(const PoolParams& p, const float* input, Dims input_dims, float* output, Dims output_dims) {
  pool2d(p, input_dims, output, output_dims, [&](int32_t n, int32_t c, int32_t y0, int32_t y1, int32_t x0, int32_t x1) {
    float best = std::numeric_limits<float>::lowest();
    for (int32_t iy = y0; iy < y1; ++iy)
      for (int32_t ix = x0; ix < x1; ++ix) best = std::max(best, input[offset4(input_dims, n, iy, ix, c)]);
    return best;
  });
}

}  // namespace tfc::kernels
