// Reference backward kernels of the conv family (see conv_grad_ref.h for each
// kernel's definition and buffer shapes). Each walks the forward window
// (kernels/window.h) once per output pixel and scatters into a double
// accumulator the size of the gradient, which is then added into the
// caller's buffer. Not here: fused activations, validation.
#include "kernels/conv_grad_ref.h"

#include <memory>
#include <vector>

#include "kernels/broadcast.h"
#include "kernels/window.h"

namespace tfc::kernels {
namespace {

// A gradient summed in double (n zeros), added into `out` (n floats) once.
// Its buffer is this thread's, kept from call to call (one per accumulator
// alive at once), so that a training step after the first allocates nothing
// here; it holds the largest gradient the thread has summed.
class Accumulator {
 public:
  explicit Accumulator(int64_t n) : acc_(buffer(depth_++)) { acc_.assign(static_cast<size_t>(n), 0.0); }
  ~Accumulator() { --depth_; }
  Accumulator(const Accumulator&) = delete;
  Accumulator& operator=(const Accumulator&) = delete;
  double& operator[](int64_t i) { return acc_[static_cast<size_t>(i)]; }
  double* at(int64_t i) { return acc_.data() + i; }
  void add_into(float* out) const {
    for (size_t i = 0; i < acc_.size(); ++i) out[i] += static_cast<float>(acc_[i]);
  }

 private:
  static std::vector<double>& buffer(size_t level) {
    thread_local std::vector<std::unique_ptr<std::vector<double>>> buffers;
    while (buffers.size() <= level) buffers.push_back(std::make_unique<std::vector<double>>());
    return *buffers[level];
  }
  static thread_local size_t depth_;
  std::vector<double>& acc_;
};
thread_local size_t Accumulator::depth_ = 0;

// acc[i] += scale * v[i] for i < n.
inline void axpy(double* acc, double scale, const float* v, int64_t n) {
  for (int64_t i = 0; i < n; ++i) acc[i] += scale * v[i];
}

Window conv_window(const ConvParams& p, Dims input_dims, Dims filter_dims, Dims output_dims) {
  return forward_window(input_dims[1], input_dims[2], output_dims[1], output_dims[2], filter_dims[1], filter_dims[2],
                        p.stride_h, p.stride_w, p.dilation_h, p.dilation_w);
}

Window pool_window(const PoolParams& p, Dims input_dims, Dims output_dims) {
  return forward_window(input_dims[1], input_dims[2], output_dims[1], output_dims[2], p.filter_h, p.filter_w,
                        p.stride_h, p.stride_w);
}

// f(n, oc, d, ky, kx, iy, ix, first_in_c) for every output element (n, oy,
// ox, oc) with a non-zero gradient d and every tap of it inside the input: the pairs
// (output element, input pixel) a (grouped) CONV_2D or TRANSPOSE_CONV links
// through filter[oc,ky,kx,:] and the input channels from first_in_c on.
template <typename F>
void for_each_conv_link(const Window& w, int32_t batches, int32_t group_c, int32_t filters_per_group,
                        const float* dout, Dims output_dims, F&& f) {
  const int32_t out_c = output_dims[3];
  for_each_output(w, batches, [&](int32_t n, int32_t oy, int32_t ox) {
    const PixelTaps pixel = pixel_taps(w, oy, ox);
    const float* d_px = dout + offset4(output_dims, n, oy, ox, 0);
    for (int32_t oc = 0; oc < out_c; ++oc) {
      const double d = d_px[oc];
      if (d == 0.0) continue;
      const int32_t first_in_c = (oc / filters_per_group) * group_c;
      for_each_tap(pixel, [&](int32_t ky, int32_t kx, int32_t iy, int32_t ix) {
        f(n, oc, d, ky, kx, iy, ix, first_in_c);
      });
    }
  });
}

int32_t filters_per_group(Dims input_dims, Dims filter_dims) {
  return filter_dims[0] / (input_dims[3] / filter_dims[3]);
}

}  // namespace

void conv2d_backward_input(const ConvParams& p, const float* dout, Dims output_dims, const float* filter,
                           Dims filter_dims, float* dinput, Dims input_dims) {
  const int32_t group_c = filter_dims[3];
  Accumulator acc(flat_size(input_dims));  // (N, H, W, Cin)
  for_each_conv_link(conv_window(p, input_dims, filter_dims, output_dims), input_dims[0], group_c,
                     filters_per_group(input_dims, filter_dims), dout, output_dims,
                     [&](int32_t n, int32_t oc, double d, int32_t ky, int32_t kx, int32_t iy, int32_t ix, int32_t c0) {
                       axpy(acc.at(offset4(input_dims, n, iy, ix, c0)), d,
                            filter + offset4(filter_dims, oc, ky, kx, 0), group_c);
                     });
  acc.add_into(dinput);
}

void conv2d_backward_filter(const ConvParams& p, const float* input, Dims input_dims, const float* dout,
                            Dims output_dims, float* dfilter, Dims filter_dims) {
  const int32_t group_c = filter_dims[3];
  Accumulator acc(flat_size(filter_dims));  // (Cout, KH, KW, Cin / groups)
  for_each_conv_link(conv_window(p, input_dims, filter_dims, output_dims), input_dims[0], group_c,
                     filters_per_group(input_dims, filter_dims), dout, output_dims,
                     [&](int32_t n, int32_t oc, double d, int32_t ky, int32_t kx, int32_t iy, int32_t ix, int32_t c0) {
                       axpy(acc.at(offset4(filter_dims, oc, ky, kx, 0)), d,
                            input + offset4(input_dims, n, iy, ix, c0), group_c);
                     });
  acc.add_into(dfilter);
}

void depthwise_conv2d_backward_input(const ConvParams& p, const float* dout, Dims output_dims, const float* filter,
                                     Dims filter_dims, float* dinput, Dims input_dims) {
  const int32_t out_c = filter_dims[3], multiplier = out_c / input_dims[3];
  const Window w = conv_window(p, input_dims, filter_dims, output_dims);
  Accumulator acc(flat_size(input_dims));  // (N, H, W, C)
  for_each_output(w, input_dims[0], [&](int32_t n, int32_t oy, int32_t ox) {
    const float* d_px = dout + offset4(output_dims, n, oy, ox, 0);
    for_each_tap(w, oy, ox, [&](int32_t ky, int32_t kx, int32_t iy, int32_t ix) {
      double* in_px = acc.at(offset4(input_dims, n, iy, ix, 0));
      const float* taps = filter + offset4(filter_dims, 0, ky, kx, 0);
      for (int32_t oc = 0; oc < out_c; ++oc) in_px[oc / multiplier] += static_cast<double>(d_px[oc]) * taps[oc];
    });
  });
  acc.add_into(dinput);
}

void depthwise_conv2d_backward_filter(const ConvParams& p, const float* input, Dims input_dims, const float* dout,
                                      Dims output_dims, float* dfilter, Dims filter_dims) {
  const int32_t out_c = filter_dims[3], multiplier = out_c / input_dims[3];
  const Window w = conv_window(p, input_dims, filter_dims, output_dims);
  Accumulator acc(flat_size(filter_dims));  // (1, KH, KW, C*M)
  for_each_output(w, input_dims[0], [&](int32_t n, int32_t oy, int32_t ox) {
    const float* d_px = dout + offset4(output_dims, n, oy, ox, 0);
    for_each_tap(w, oy, ox, [&](int32_t ky, int32_t kx, int32_t iy, int32_t ix) {
      const float* in_px = input + offset4(input_dims, n, iy, ix, 0);
      double* taps = acc.at(offset4(filter_dims, 0, ky, kx, 0));
      for (int32_t oc = 0; oc < out_c; ++oc) taps[oc] += static_cast<double>(d_px[oc]) * in_px[oc / multiplier];
    });
  });
  acc.add_into(dfilter);
}

void transpose_conv_backward_input(const TransposeConvParams& p, const float* dout, Dims output_dims,
                                   const float* filter, Dims filter_dims, float* dinput, Dims input_dims) {
  const int32_t in_c = input_dims[3];
  const Window w = transposed_window(p.padding, input_dims[1], input_dims[2], output_dims[1], output_dims[2],
                                     filter_dims[1], filter_dims[2], p.stride_h, p.stride_w);
  Accumulator acc(flat_size(input_dims));  // (N, H, W, Cin)
  for_each_conv_link(w, output_dims[0], in_c, output_dims[3], dout, output_dims,
                     [&](int32_t n, int32_t oc, double d, int32_t ky, int32_t kx, int32_t iy, int32_t ix, int32_t) {
                       axpy(acc.at(offset4(input_dims, n, iy, ix, 0)), d,
                            filter + offset4(filter_dims, oc, ky, kx, 0), in_c);
                     });
  acc.add_into(dinput);
}

void transpose_conv_backward_filter(const TransposeConvParams& p, const float* input, Dims input_dims,
                                    const float* dout, Dims output_dims, float* dfilter, Dims filter_dims) {
  const int32_t in_c = input_dims[3];
  const Window w = transposed_window(p.padding, input_dims[1], input_dims[2], output_dims[1], output_dims[2],
                                     filter_dims[1], filter_dims[2], p.stride_h, p.stride_w);
  Accumulator acc(flat_size(filter_dims));  // (Cout, KH, KW, Cin)
  for_each_conv_link(w, output_dims[0], in_c, output_dims[3], dout, output_dims,
                     [&](int32_t n, int32_t oc, double d, int32_t ky, int32_t kx, int32_t iy, int32_t ix, int32_t) {
                       axpy(acc.at(offset4(filter_dims, oc, ky, kx, 0)), d,
                            input + offset4(input_dims, n, iy, ix, 0), in_c);
                     });
  acc.add_into(dfilter);
}

void bias_backward(const float* dout, int64_t rows, int32_t channels, float* dbias) {
  Accumulator acc(channels);  // (channels)
  for (int64_t r = 0; r < rows; ++r) axpy(acc.at(0), 1.0, dout + r * channels, channels);
  acc.add_into(dbias);
}

void fully_connected_backward_input(const float* dout, int64_t rows, int32_t units, const float* weights,
                                    int32_t depth, float* dinput) {
  Accumulator acc(rows * depth);  // (rows, depth)
  for (int64_t r = 0; r < rows; ++r)
    for (int32_t u = 0; u < units; ++u)
      axpy(acc.at(r * depth), dout[r * units + u], weights + int64_t{u} * depth, depth);
  acc.add_into(dinput);
}

void fully_connected_backward_weights(const float* input, int64_t rows, int32_t depth, const float* dout,
                                      int32_t units, float* dweights) {
  Accumulator acc(int64_t{units} * depth);  // (units, depth)
  for (int64_t r = 0; r < rows; ++r)
    for (int32_t u = 0; u < units; ++u)
      axpy(acc.at(int64_t{u} * depth), dout[r * units + u], input + r * depth, depth);
  acc.add_into(dweights);
}

void batch_matmul_backward(const float* lhs, Dims lhs_dims, bool adj_x, const float* rhs, Dims rhs_dims, bool adj_y,
                           const float* dout, Dims output_dims, float* dlhs, float* drhs) {
  const size_t lhs_rank = lhs_dims.size(), rhs_rank = rhs_dims.size(), out_rank = output_dims.size();
  const int64_t m = output_dims[out_rank - 2], n = output_dims[out_rank - 1];
  const int64_t k = adj_x ? lhs_dims[lhs_rank - 2] : lhs_dims[lhs_rank - 1];
  // Flat positions, within one matrix, of lhs'[i, kk] and rhs'[kk, j].
  auto a_at = [&](int64_t i, int64_t kk) { return adj_x ? kk * m + i : i * k + kk; };
  auto b_at = [&](int64_t kk, int64_t j) { return adj_y ? j * k + kk : kk * n + j; };
  Accumulator da(dlhs ? flat_size(lhs_dims) : 0), db(drhs ? flat_size(rhs_dims) : 0);
  for_each_broadcast<2>(output_dims.first(out_rank - 2), {lhs_dims.first(lhs_rank - 2), rhs_dims.first(rhs_rank - 2)},
                        [&](int64_t batch, const std::array<int64_t, 2>& mat) {
                          const float* a = lhs + mat[0] * m * k;   // (M, K) or (K, M)
                          const float* b = rhs + mat[1] * k * n;   // (K, N) or (N, K)
                          const float* d = dout + batch * m * n;   // (M, N)
                          for (int64_t i = 0; i < m; ++i)
                            for (int64_t j = 0; j < n; ++j) {
                              const double g = d[i * n + j];
                              for (int64_t kk = 0; kk < k; ++kk) {
                                if (dlhs) da[mat[0] * m * k + a_at(i, kk)] += g * b[b_at(kk, j)];
                                if (drhs) db[mat[1] * k * n + b_at(kk, j)] += g * a[a_at(i, kk)];
                              }
                            }
                        });
  if (dlhs) da.add_into(dlhs);
  if (drhs) db.add_into(drhs);
}

void average_pool2d_backward(const PoolParams& p, const float* dout, Dims output_dims, float* dinput,
                             Dims input_dims) {
  const Window w = pool_window(p, input_dims, output_dims);
  const int32_t channels = input_dims[3];
  Accumulator acc(flat_size(input_dims));  // (N, H, W, C)
  for_each_output(w, input_dims[0], [&](int32_t n, int32_t oy, int32_t ox) {
    const PixelTaps pixel = pixel_taps(w, oy, ox);
    const double share = 1.0 / (static_cast<double>(pixel.y.count) * pixel.x.count);
    const float* d_px = dout + offset4(output_dims, n, oy, ox, 0);
    for_each_tap(pixel, [&](int32_t, int32_t, int32_t iy, int32_t ix) {
      axpy(acc.at(offset4(input_dims, n, iy, ix, 0)), share, d_px, channels);
    });
  });
  acc.add_into(dinput);
}

void max_pool2d_backward(const PoolParams& p, const float* input, Dims input_dims, const float* dout,
                         Dims output_dims, float* dinput) {
  const Window w = pool_window(p, input_dims, output_dims);
  const int32_t channels = input_dims[3];
  thread_local std::vector<int64_t> best_at;  // (C): flat input position of the first max (kept, as Accumulator's)
  best_at.resize(static_cast<size_t>(channels));
  Accumulator acc(flat_size(input_dims));                        // (N, H, W, C)
  for_each_output(w, input_dims[0], [&](int32_t n, int32_t oy, int32_t ox) {
    bool first = true;
    for_each_tap(w, oy, ox, [&](int32_t, int32_t, int32_t iy, int32_t ix) {
      const int64_t px = offset4(input_dims, n, iy, ix, 0);
      for (int32_t c = 0; c < channels; ++c)
        if (first || input[px + c] > input[best_at[c]]) best_at[c] = px + c;
      first = false;
    });
    const float* d_px = dout + offset4(output_dims, n, oy, ox, 0);
    for (int32_t c = 0; c < channels; ++c) acc[best_at[c]] += d_px[c];
  });
  acc.add_into(dinput);
}

}  // namespace tfc::kernels
