// Tests of the XNNPACK-compatible int8 MEAN (kernels/xnn_reduce.h): the
// float32 scale, rounding half to even after the float clamp, and a global
// average over H and W against the real mean.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "kernels/xnn_reduce.h"

namespace tfc {
namespace {

TEST(XnnMean, ScaleIsRatioTimesReciprocalCount) {
  const float in = 0.0235294122f, out = 0.0114319883f;
  const float ratio = in / out;
  const float inv = 1.0f / 49.0f;
  EXPECT_EQ(kernels::xnn_mean_scale(in, out, 49), ratio * inv);
}

// Scale 0.5: sums 1, 3, 5, -1, -3 are ties rounded to even (0, 2, 2, 0, -2),
// then shifted by the zero point; out-of-range values clamp before rounding.
TEST(XnnMean, TiesToEvenAndClamp) {
  EXPECT_EQ(kernels::xnn_mean_requantize(1, 0.5f, 0), 0);
  EXPECT_EQ(kernels::xnn_mean_requantize(3, 0.5f, 0), 2);
  EXPECT_EQ(kernels::xnn_mean_requantize(5, 0.5f, 0), 2);
  EXPECT_EQ(kernels::xnn_mean_requantize(-1, 0.5f, 0), 0);
  EXPECT_EQ(kernels::xnn_mean_requantize(-3, 0.5f, 0), -2);
  EXPECT_EQ(kernels::xnn_mean_requantize(5, 0.5f, -7), -5);
  // zp 10: the float bounds are [-138, 117]; 117.5 -> 117 -> 127; -138.5 -> -138 -> -128.
  EXPECT_EQ(kernels::xnn_mean_requantize(235, 0.5f, 10), 127);
  EXPECT_EQ(kernels::xnn_mean_requantize(-277, 0.5f, 10), -128);
  EXPECT_EQ(kernels::xnn_mean_requantize(int64_t{1} << 40, 1.0f, 0), 127);
}

// Hand-worked: a (1, 2, 2, 1) input 1, 2, 3, 4 with zp 0, scales 1: the mean
// 2.5 rounds to 2 (even); with input zp 1 the sum of (q - 1) is 6, 1.5 -> 2.
TEST(XnnMean, HandWorkedGlobalAverage) {
  const std::vector<int8_t> x{1, 2, 3, 4};
  const std::vector<int32_t> dims{1, 2, 2, 1}, axes{1, 2};
  int8_t y = 0;
  kernels::xnn_mean_int8(x.data(), dims, axes, {1.0f, 0}, {1.0f, 0}, &y);
  EXPECT_EQ(y, 2);
  kernels::xnn_mean_int8(x.data(), dims, axes, {1.0f, 1}, {1.0f, 0}, &y);
  EXPECT_EQ(y, 2);
  kernels::xnn_mean_int8(x.data(), dims, axes, {1.0f, 1}, {1.0f, -3}, &y);
  EXPECT_EQ(y, -1);
}

// Random (2, 5, 7, 3) inputs reduced over H and W: every output within a
// hair of the real mean's nearest value, and equal away from ties.
TEST(XnnMean, GlobalAverageMatchesRealMean) {
  const std::vector<int32_t> dims{2, 5, 7, 3}, axes{2, 1};
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> dist(-128, 127);
  std::vector<int8_t> x(2 * 5 * 7 * 3);
  for (auto& v : x) v = static_cast<int8_t>(dist(rng));
  const kernels::QParams in{0.0235f, -20}, out{0.0114f, -100};
  std::vector<int8_t> y(6);
  kernels::xnn_mean_int8(x.data(), dims, axes, in, out, y.data());
  for (int b = 0; b < 2; ++b)
    for (int c = 0; c < 3; ++c) {
      double sum = 0;
      for (int h = 0; h < 5; ++h)
        for (int w = 0; w < 7; ++w) sum += x[((b * 5 + h) * 7 + w) * 3 + c] - in.zero_point;
      const double real = sum * in.scale / 35.0 / out.scale;
      const double want = std::clamp(std::nearbyint(real) + out.zero_point, -128.0, 127.0);
      if (std::abs(std::abs(real - std::floor(real)) - 0.5) > 1e-3) {
        EXPECT_EQ(y[b * 3 + c], want) << b << c;
      }
      EXPECT_LE(std::abs(y[b * 3 + c] - want), 1.0);
    }
}

// Reduced axes of size 0 give the output zero point.
TEST(XnnMean, EmptyReductionGivesZeroPoint) {
  const std::vector<int32_t> dims{1, 0, 2}, axes{1};
  std::vector<int8_t> y(2, 0);
  kernels::xnn_mean_int8(nullptr, dims, axes, {1.0f, 0}, {0.5f, 9}, y.data());
  EXPECT_EQ(y, (std::vector<int8_t>{9, 9}));
}

}  // namespace
}  // namespace tfc
