// The oneDNN backward kernels (runtime/fast/dnnl_backward.h) against the
// reference backward kernels (kernels/conv_grad_ref.h) on random shapes:
// CONV_2D (grouped too), DEPTHWISE_CONV_2D (multipliers 1-3) and
// FULLY_CONNECTED, input, weight and bias gradients, each added into a
// buffer that starts non-zero. Within 1e-4 of the largest magnitude. And
// the training-mode batch normalization against its formula in double.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/conv_grad_ref.h"
#include "kernels/conv_ref.h"
#include "kernels/window.h"
#include "runtime/fast/dnnl_backward.h"
#include "runtime/fast/float_loops.h"

// libgomp's: the calling thread's team for oneDNN.
extern "C" void omp_set_num_threads(int);

namespace tfc::test {
namespace {

using kernels::Padding;

std::vector<float> random_values(size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

size_t count(const std::vector<int32_t>& dims) {
  size_t n = 1;
  for (int32_t d : dims) n *= static_cast<size_t>(d);
  return n;
}

void expect_close(const std::vector<float>& fast, const std::vector<float>& ref, const char* what) {
  ASSERT_EQ(fast.size(), ref.size());
  float scale = 0.0f;
  for (float r : ref) scale = std::max(scale, std::fabs(r));
  for (size_t i = 0; i < ref.size(); ++i)
    ASSERT_LE(std::fabs(fast[i] - ref[i]), 1e-4f * scale) << what << " element " << i << ": fast " << fast[i]
                                                           << ", reference " << ref[i];
}

struct ConvCase {
  std::vector<int32_t> input, filter;
  Padding padding;
  int32_t stride, dilation;
  bool depthwise;
};

void check_conv(const ConvCase& c, uint32_t seed) {
  std::mt19937 rng(seed);
  kernels::ConvParams p{c.padding, c.stride, c.stride, c.dilation, c.dilation, kernels::Activation::kNone};
  const int32_t out_c = c.depthwise ? c.filter[3] : c.filter[0];
  const int32_t oh = kernels::window_output_size(c.padding, c.input[1], c.filter[1], c.stride, c.dilation);
  const int32_t ow = kernels::window_output_size(c.padding, c.input[2], c.filter[2], c.stride, c.dilation);
  const std::vector<int32_t> out = {c.input[0], oh, ow, out_c};
  const std::vector<float> input = random_values(count(c.input), rng);
  const std::vector<float> filter = random_values(count(c.filter), rng);
  const std::vector<float> dout = random_values(count(out), rng);
  const std::vector<float> din0 = random_values(input.size(), rng), dw0 = random_values(filter.size(), rng);
  const std::vector<float> db0 = random_values(static_cast<size_t>(out_c), rng);

  std::vector<float> din = din0, dw = dw0, db = db0;
  if (c.depthwise) {
    kernels::depthwise_conv2d_backward_input(p, dout.data(), out, filter.data(), c.filter, din.data(), c.input);
    kernels::depthwise_conv2d_backward_filter(p, input.data(), c.input, dout.data(), out, dw.data(), c.filter);
  } else {
    kernels::conv2d_backward_input(p, dout.data(), out, filter.data(), c.filter, din.data(), c.input);
    kernels::conv2d_backward_filter(p, input.data(), c.input, dout.data(), out, dw.data(), c.filter);
  }
  kernels::bias_backward(dout.data(), static_cast<int64_t>(count(out)) / out_c, out_c, db.data());

  auto fast = runtime::fast::ConvBackward::create(p, c.depthwise, c.input, c.filter, out);
  ASSERT_TRUE(fast.has_value()) << fast.status().message();
  std::vector<float> fdin = din0, fdw = dw0, fdb = db0;
  ASSERT_TRUE((*fast)->backward_data(dout.data(), filter.data(), fdin.data()).is_ok());
  ASSERT_TRUE((*fast)->backward_weights(input.data(), dout.data(), fdw.data(), fdb.data()).is_ok());
  expect_close(fdin, din, "input gradient");
  expect_close(fdw, dw, "filter gradient");
  expect_close(fdb, db, "bias gradient");
  // A second call adds again (no state left from the first).
  ASSERT_TRUE((*fast)->backward_data(dout.data(), filter.data(), fdin.data()).is_ok());
  for (size_t i = 0; i < din.size(); ++i) din[i] += din[i] - din0[i];
  expect_close(fdin, din, "input gradient, twice");
  // Written rather than added: the gradient alone, whatever the buffer held.
  std::vector<float> written(din0.size(), 7.0f), alone(din0.size());
  for (size_t i = 0; i < din.size(); ++i) alone[i] = (din[i] - din0[i]) / 2;
  ASSERT_TRUE((*fast)->backward_data(dout.data(), filter.data(), written.data(), false).is_ok());
  expect_close(written, alone, "input gradient, written");
}

TEST(GradFast, Conv2DMatchesReference) {
  const ConvCase cases[] = {
      {{2, 9, 9, 8}, {16, 3, 3, 8}, Padding::kSame, 1, 1, false},
      {{3, 11, 10, 5}, {7, 3, 3, 5}, Padding::kValid, 2, 1, false},
      {{2, 10, 9, 6}, {4, 3, 2, 6}, Padding::kSame, 2, 1, false},
      {{2, 9, 9, 4}, {6, 3, 3, 4}, Padding::kSame, 1, 2, false},
      {{2, 7, 8, 3}, {5, 3, 3, 3}, Padding::kValid, 2, 2, false},  // width 8: one column unread
      {{2, 8, 8, 8}, {8, 3, 3, 4}, Padding::kSame, 1, 1, false},   // two groups
      {{1, 7, 7, 16}, {24, 1, 1, 16}, Padding::kValid, 1, 1, false},
      {{4, 16, 16, 64}, {40, 3, 3, 64}, Padding::kValid, 2, 1, false},  // one row and column unread
  };
  for (int threads : {1, 2}) {
    omp_set_num_threads(threads);
    uint32_t seed = 1;
    for (const ConvCase& c : cases) {
      SCOPED_TRACE(testing::Message() << "case " << seed << ", " << threads << " threads");
      check_conv(c, seed++);
    }
  }
  omp_set_num_threads(1);
}

TEST(GradFast, DepthwiseMatchesReference) {
  const ConvCase cases[] = {
      {{2, 9, 9, 8}, {1, 3, 3, 8}, Padding::kSame, 1, 1, true},
      {{3, 11, 10, 4}, {1, 3, 3, 8}, Padding::kValid, 2, 1, true},  // multiplier 2
      {{2, 10, 9, 3}, {1, 3, 3, 9}, Padding::kSame, 2, 1, true},    // multiplier 3
      {{2, 9, 9, 5}, {1, 3, 3, 5}, Padding::kSame, 1, 2, true},
  };
  uint32_t seed = 11;
  for (const ConvCase& c : cases) {
    SCOPED_TRACE(testing::Message() << "case " << seed);
    check_conv(c, seed++);
  }
}

TEST(GradFast, FullyConnectedMatchesReference) {
  const struct { int64_t rows; int32_t depth, units; } cases[] = {{1, 7, 5}, {6, 33, 17}, {32, 64, 10}};
  uint32_t seed = 21;
  for (const auto& c : cases) {
    SCOPED_TRACE(testing::Message() << "rows " << c.rows << ", depth " << c.depth << ", units " << c.units);
    std::mt19937 rng(seed++);
    const auto input = random_values(static_cast<size_t>(c.rows * c.depth), rng);
    const auto weights = random_values(static_cast<size_t>(c.units * c.depth), rng);
    const auto dout = random_values(static_cast<size_t>(c.rows * c.units), rng);
    const auto din0 = random_values(input.size(), rng), dw0 = random_values(weights.size(), rng);
    const auto db0 = random_values(static_cast<size_t>(c.units), rng);
    std::vector<float> din = din0, dw = dw0, db = db0;
    kernels::fully_connected_backward_input(dout.data(), c.rows, c.units, weights.data(), c.depth, din.data());
    kernels::fully_connected_backward_weights(input.data(), c.rows, c.depth, dout.data(), c.units, dw.data());
    kernels::bias_backward(dout.data(), c.rows, c.units, db.data());
    const runtime::fast::FcBackward fast(c.rows, c.depth, c.units);
    std::vector<float> fdin = din0, fdw = dw0, fdb = db0;
    ASSERT_TRUE(fast.backward_data(dout.data(), weights.data(), fdin.data()).is_ok());
    ASSERT_TRUE(fast.backward_weights(input.data(), dout.data(), fdw.data(), fdb.data()).is_ok());
    expect_close(fdin, din, "input gradient");
    expect_close(fdw, dw, "weights gradient");
    expect_close(fdb, db, "bias gradient");
  }
}

// The training fast path's float loops against their scalar forms, bit for
// bit, on values at the bounds, NaN and infinities, long enough to be shared
// by two threads.
TEST(GradFast, FloatLoopsMatchTheirScalarForms) {
  std::mt19937 rng(4);
  const int64_t n = 100003;
  std::vector<float> x = random_values(static_cast<size_t>(n), rng), dy = random_values(static_cast<size_t>(n), rng);
  const float special[] = {0.0f, -0.0f, 6.0f, -1.0f, 1.0f, NAN, INFINITY, -INFINITY};
  for (size_t i = 0; i < x.size(); i += 7) x[i] = special[(i / 7) % 8];
  for (float& v : x) v *= (&v - x.data()) % 7 == 0 ? 1.0f : 8.0f;
  auto same = [](const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
  };
  for (int threads : {1, 2}) {
    omp_set_num_threads(threads);
    for (const auto [lo, hi] : {std::pair{0.0f, 6.0f}, {-1.0f, 1.0f}, {0.0f, INFINITY}}) {
      SCOPED_TRACE(testing::Message() << lo << ".." << hi << ", " << threads << " threads");
      std::vector<float> y(x.size()), want(x.size());
      runtime::fast::clamp_forward(x.data(), n, lo, hi, y.data());
      for (int64_t i = 0; i < n; ++i) want[i] = x[i] < lo ? lo : (x[i] > hi ? hi : x[i]);
      EXPECT_TRUE(same(y, want)) << "clamp_forward";
      std::vector<float> dx(dy), wdx(dy);
      runtime::fast::clamp_backward(x.data(), dy.data(), n, lo, hi, dx.data());
      for (int64_t i = 0; i < n; ++i) wdx[i] += x[i] > lo && x[i] < hi ? dy[i] : 0.0f;
      EXPECT_TRUE(same(dx, wdx)) << "clamp_backward";
      runtime::fast::gate_backward(x.data(), dy.data(), n, lo, hi, dx.data());
      for (int64_t i = 0; i < n; ++i) wdx[i] = x[i] > lo && (std::isinf(hi) || x[i] < hi) ? dy[i] : 0.0f;
      EXPECT_TRUE(same(dx, wdx)) << "gate_backward";
    }
    std::vector<float> out(dy), want(dy);
    runtime::fast::add_into(out.data(), x.data(), n);
    for (int64_t i = 0; i < n; ++i) want[i] += x[i];
    EXPECT_TRUE(same(out, want)) << "add_into";
  }
  omp_set_num_threads(1);
}

// MAX_POOL_2D and AVERAGE_POOL_2D on oneDNN against the reference kernels
// and their backward: SAME padding (the average over the taps inside), VALID
// with a remainder, overlapping windows, and for max, windows of equal values
// (ReLU's zeros: the first maximum takes the gradient), 1 and 2 threads.
TEST(GradFast, PoolingMatchesReference) {
  struct PoolCase {
    std::vector<int32_t> input;
    kernels::PoolParams p;
  };
  const PoolCase cases[] = {
      {{2, 8, 8, 16}, {Padding::kValid, 2, 2, 2, 2}},
      {{3, 9, 7, 5}, {Padding::kSame, 2, 2, 3, 3}},
      {{2, 11, 10, 32}, {Padding::kValid, 2, 2, 3, 3}},
      {{1, 6, 6, 8}, {Padding::kSame, 1, 1, 3, 2}},
  };
  std::mt19937 rng(5);
  for (int threads : {1, 2}) {
    omp_set_num_threads(threads);
    for (const PoolCase& c : cases) {
      for (bool max : {true, false}) {
        SCOPED_TRACE(testing::Message() << (max ? "max " : "average ") << c.input[1] << "x" << c.input[2] << ", "
                                        << threads << " threads");
        const int32_t oh = kernels::window_output_size(c.p.padding, c.input[1], c.p.filter_h, c.p.stride_h, 1);
        const int32_t ow = kernels::window_output_size(c.p.padding, c.input[2], c.p.filter_w, c.p.stride_w, 1);
        const std::vector<int32_t> out = {c.input[0], oh, ow, c.input[3]};
        std::vector<float> input = random_values(count(c.input), rng);
        for (float& v : input) v = std::max(v, 0.0f);  // half zeros: ties
        const std::vector<float> dout = random_values(count(out), rng), din0 = random_values(input.size(), rng);
        std::vector<float> want(count(out)), got(count(out)), din = din0, fdin = din0;
        if (max) {
          kernels::max_pool2d(c.p, input.data(), c.input, want.data(), out);
          kernels::max_pool2d_backward(c.p, input.data(), c.input, dout.data(), out, din.data());
        } else {
          kernels::average_pool2d(c.p, input.data(), c.input, want.data(), out);
          kernels::average_pool2d_backward(c.p, dout.data(), out, din.data(), c.input);
        }
        auto fast = runtime::fast::PoolTraining::create(c.p, max, c.input, out);
        ASSERT_TRUE(fast.has_value()) << fast.status().message();
        ASSERT_TRUE((*fast)->forward(input.data(), got.data()).is_ok());
        ASSERT_TRUE((*fast)->backward(dout.data(), fdin.data()).is_ok());
        if (max) {
          EXPECT_EQ(got, want);
        } else {
          expect_close(got, want, "output");
        }
        expect_close(fdin, din, "input gradient");
        std::vector<float> written(din0.size(), 7.0f), alone(din0.size());
        for (size_t i = 0; i < din.size(); ++i) alone[i] = din[i] - din0[i];
        ASSERT_TRUE((*fast)->backward(dout.data(), written.data(), false).is_ok());
        expect_close(written, alone, "input gradient, written");
      }
    }
  }
  omp_set_num_threads(1);
}

// Batch normalization of (rows, C) in double: y, mean, biased variance, and
// for dL/dy the gradients of x, gamma and beta through the batch statistics.
struct BatchNormDouble {
  std::vector<float> y, mean, variance, dx, dgamma, dbeta;
  BatchNormDouble(const std::vector<float>& x, const std::vector<float>& gamma, const std::vector<float>& beta,
                  const std::vector<float>& dy, size_t rows, size_t c, double eps)
      : y(x.size()), mean(c), variance(c), dx(x.size()), dgamma(c), dbeta(c) {
    for (size_t k = 0; k < c; ++k) {
      double m = 0, v = 0, sdy = 0, sdyx = 0;
      for (size_t r = 0; r < rows; ++r) m += x[r * c + k];
      m /= static_cast<double>(rows);
      for (size_t r = 0; r < rows; ++r) v += (x[r * c + k] - m) * (x[r * c + k] - m);
      v /= static_cast<double>(rows);
      const double inv = 1.0 / std::sqrt(v + eps);
      for (size_t r = 0; r < rows; ++r) {
        const double xhat = (x[r * c + k] - m) * inv;
        y[r * c + k] = static_cast<float>(gamma[k] * xhat + beta[k]);
        sdy += dy[r * c + k];
        sdyx += dy[r * c + k] * xhat;
      }
      for (size_t r = 0; r < rows; ++r) {
        const double xhat = (x[r * c + k] - m) * inv;
        dx[r * c + k] = static_cast<float>(gamma[k] * inv * (dy[r * c + k] - sdy / rows - xhat * sdyx / rows));
      }
      mean[k] = static_cast<float>(m);
      variance[k] = static_cast<float>(v);
      dgamma[k] = static_cast<float>(sdyx);
      dbeta[k] = static_cast<float>(sdy);
    }
  }
};

TEST(GradFast, BatchNormTrainingMatchesItsFormula) {
  std::mt19937 rng(9);
  for (const auto [rows, c, threads, scale, shift] :
       {std::tuple{4096, 32, 1, true, true}, {4096, 32, 2, true, true}, {64, 48, 2, true, false}, {64, 48, 1, true, false},
        {5, 7, 1, false, true}, {300, 16, 2, false, false}}) {
    SCOPED_TRACE(testing::Message() << rows << " x " << c << ", " << threads << " threads, scale " << scale << ", shift "
                                    << shift);
    omp_set_num_threads(threads);
    const size_t n = static_cast<size_t>(rows) * static_cast<size_t>(c);
    std::vector<float> x = random_values(n, rng), dy = random_values(n, rng);
    for (float& v : x) v = 3.0f * v + 0.5f;
    std::vector<float> gamma = random_values(static_cast<size_t>(c), rng);
    std::vector<float> beta = random_values(static_cast<size_t>(c), rng);
    if (!scale) std::fill(gamma.begin(), gamma.end(), 1.0f);
    if (!shift) std::fill(beta.begin(), beta.end(), 0.0f);
    const BatchNormDouble want(x, gamma, beta, dy, static_cast<size_t>(rows), static_cast<size_t>(c), 1e-3);
    auto bn = runtime::fast::BatchNormTraining::create(rows, c, 1e-3f, scale, shift);
    ASSERT_TRUE(bn.has_value()) << bn.status().message();
    std::vector<float> y(n), mean(static_cast<size_t>(c)), variance(static_cast<size_t>(c));
    ASSERT_TRUE((*bn)->forward(x.data(), gamma.data(), beta.data(), y.data(), mean.data(), variance.data()).is_ok());
    expect_close(y, want.y, "y");
    expect_close(mean, want.mean, "mean");
    expect_close(variance, want.variance, "variance");
    // Into buffers that start non-zero: dx overwritten, then added; dgamma and dbeta added.
    std::vector<float> dx(n, 5.0f), dgamma(static_cast<size_t>(c), 1.0f), dbeta(static_cast<size_t>(c), -1.0f);
    ASSERT_TRUE((*bn)->backward(x.data(), mean.data(), variance.data(), gamma.data(), dy.data(), dx.data(), false,
                                dgamma.data(), dbeta.data()).is_ok());
    expect_close(dx, want.dx, "dx");
    ASSERT_TRUE((*bn)->backward(x.data(), mean.data(), variance.data(), gamma.data(), dy.data(), dx.data(), true,
                                nullptr, nullptr).is_ok());
    for (float& v : dx) v *= 0.5f;
    expect_close(dx, want.dx, "dx added");
    for (int k = 0; k < c; ++k) {
      dgamma[static_cast<size_t>(k)] -= 1.0f;
      dbeta[static_cast<size_t>(k)] += 1.0f;
    }
    if (scale) expect_close(dgamma, want.dgamma, "dgamma");
    if (shift) expect_close(dbeta, want.dbeta, "dbeta");
  }
  omp_set_num_threads(1);
}

}  // namespace
}  // namespace tfc::test
