// Tests of the elementwise family: kernels/fp16.h (exhaustively over all 65536
// halves), kernels/elementwise_ref.h (against naive double-precision formulas
// and broadcasting written here independently, plus hand-worked cases for
// rounding, clamping and NaN rules), kernels/sparse_ref.h (hand-worked formats
// and random round trips through an encoder written here), and the shape
// rules and kernels of ops/elementwise_ops.cc run through an OpContext as the
// interpreter does. Not here: comparisons against LiteRT itself (the
// acceptance tests do that on converter output).
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <numbers>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/elementwise_ref.h"
#include "kernels/fp16.h"
#include "kernels/sparse_ref.h"
#include "ops/registry.h"
#include "op_harness.h"
#include "test_util.h"

namespace tfc {
namespace {

using kernels::Activation;
using kernels::BinaryOp;
using kernels::SparseDimFormat;
using kernels::SparseFormat;
using kernels::SparseLevel;
using kernels::UnaryOp;
using test::OpHarness;

constexpr float kFloatMax = std::numeric_limits<float>::max();
constexpr float kInf = std::numeric_limits<float>::infinity();
const float kNaN = std::nanf("");

// ---- helpers ----------------------------------------------------------------

void expect_error(const Status& s, StatusCode code, std::string_view fragment) {
  EXPECT_EQ(s.code(), code) << s.message();
  EXPECT_NE(s.message().find(fragment), std::string::npos) << "message: " << s.message();
}

std::vector<float> random_values(int64_t n, uint32_t seed, float scale = 4.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-scale, scale);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

// |actual - expected| <= rel * max(|expected|, floor).
void expect_close(const std::vector<float>& actual, const std::vector<double>& expected, double rel,
                  double floor = 1e-30) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    EXPECT_NEAR(actual[i], expected[i], rel * std::max(std::abs(expected[i]), floor)) << "at flat index " << i;
  }
}

int64_t count(const ir::Shape& s) { return ir::num_elements(s); }

// Element of `in` (dims in_dims) that NumPy broadcasting pairs with the output
// element at multi-index `out_index` (output rank >= input rank).
int64_t broadcast_source(const ir::Shape& in_dims, const std::vector<int32_t>& out_index) {
  const size_t skip = out_index.size() - in_dims.size();
  int64_t flat = 0;
  for (size_t d = 0; d < in_dims.size(); ++d) {
    flat = flat * in_dims[d] + (in_dims[d] == 1 ? 0 : out_index[skip + d]);
  }
  return flat;
}

std::vector<int32_t> unravel(int64_t flat, const ir::Shape& dims) {
  std::vector<int32_t> index(dims.size());
  for (size_t d = dims.size(); d-- > 0;) {
    index[d] = static_cast<int32_t>(flat % dims[d]);
    flat /= dims[d];
  }
  return index;
}

double naive_binary(BinaryOp op, double a, double b) {
  switch (op) {
    case BinaryOp::kAdd: return a + b;
    case BinaryOp::kSub: return a - b;
    case BinaryOp::kMul: return a * b;
    case BinaryOp::kDiv: return a / b;
    case BinaryOp::kMaximum: return std::max(a, b);
    case BinaryOp::kMinimum: return std::min(a, b);
    case BinaryOp::kSquaredDifference: return (a - b) * (a - b);
  }
  return 0;
}

double naive_activation(double x, Activation a) {
  switch (a) {
    case Activation::kRelu: return std::max(x, 0.0);
    case Activation::kRelu6: return std::min(std::max(x, 0.0), 6.0);
    case Activation::kReluN1To1: return std::min(std::max(x, -1.0), 1.0);
    default: return x;
  }
}

// ---- fp16 ---------------------------------------------------------------------

// The value a half encodes, from the IEEE definition.
double half_value(uint16_t h) {
  const double sign = (h & 0x8000) ? -1.0 : 1.0;
  const int exponent = (h >> 10) & 0x1f;
  const int mantissa = h & 0x3ff;
  if (exponent == 0x1f) return mantissa == 0 ? sign * INFINITY : NAN;
  if (exponent == 0) return sign * std::ldexp(mantissa, -24);
  return sign * std::ldexp(1024 + mantissa, exponent - 25);
}

bool half_is_nan(uint16_t h) { return (h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0; }

TEST(ElementwiseFp16, HalfToFloatMatchesTheDefinitionForAllHalves) {
  for (uint32_t h = 0; h <= 0xffff; ++h) {
    const float f = kernels::half_to_float(static_cast<uint16_t>(h));
    const double expected = half_value(static_cast<uint16_t>(h));
    if (std::isnan(expected)) {
      EXPECT_TRUE(std::isnan(f)) << h;
    } else {
      EXPECT_EQ(static_cast<double>(f), expected) << h;
      EXPECT_EQ(std::signbit(f), (h & 0x8000) != 0) << h;  // -0 stays -0
    }
  }
}

TEST(ElementwiseFp16, RoundTripIsIdentityForAllNonNaNHalves) {
  for (uint32_t h = 0; h <= 0xffff; ++h) {
    const auto half = static_cast<uint16_t>(h);
    if (half_is_nan(half)) {
      const uint16_t back = kernels::float_to_half(kernels::half_to_float(half));
      EXPECT_TRUE(half_is_nan(back)) << h;
      EXPECT_EQ(back & 0x8000, half & 0x8000) << h;
    } else {
      EXPECT_EQ(kernels::float_to_half(kernels::half_to_float(half)), half) << h;
    }
  }
}

// Between each pair of neighbouring positive halves (subnormal, normal and the
// boundary between them) the midpoint rounds to the even one and anything off
// the midpoint to the nearer one. Negative values mirror with the sign bit.
TEST(ElementwiseFp16, FloatToHalfRoundsToNearestEven) {
  for (uint16_t lo = 0; lo < 0x7bff; ++lo) {
    const uint16_t hi = lo + 1;
    const float mid = static_cast<float>((half_value(lo) + half_value(hi)) / 2);  // exact in float
    const uint16_t even = (lo & 1) ? hi : lo;
    EXPECT_EQ(kernels::float_to_half(mid), even) << lo;
    EXPECT_EQ(kernels::float_to_half(std::nextafter(mid, 0.0f)), lo) << lo;
    EXPECT_EQ(kernels::float_to_half(std::nextafter(mid, kInf)), hi) << lo;
    EXPECT_EQ(kernels::float_to_half(-mid), even | 0x8000) << lo;
  }
}

TEST(ElementwiseFp16, FloatToHalfEdgeValues) {
  EXPECT_EQ(kernels::float_to_half(0.0f), 0x0000);
  EXPECT_EQ(kernels::float_to_half(-0.0f), 0x8000);
  EXPECT_EQ(kernels::float_to_half(65504.0f), 0x7bff);                    // largest half
  EXPECT_EQ(kernels::float_to_half(std::nextafter(65520.0f, 0.0f)), 0x7bff);
  EXPECT_EQ(kernels::float_to_half(65520.0f), 0x7c00);                    // ties to even: infinity
  EXPECT_EQ(kernels::float_to_half(1e10f), 0x7c00);
  EXPECT_EQ(kernels::float_to_half(-kInf), 0xfc00);
  EXPECT_EQ(kernels::float_to_half(std::ldexp(1.0f, -24)), 0x0001);      // smallest subnormal
  EXPECT_EQ(kernels::float_to_half(std::ldexp(1.0f, -25)), 0x0000);      // half of it: ties to 0
  EXPECT_EQ(kernels::float_to_half(std::nextafter(std::ldexp(1.0f, -25), 1.0f)), 0x0001);
  EXPECT_EQ(kernels::float_to_half(std::numeric_limits<float>::denorm_min()), 0x0000);
  EXPECT_EQ(kernels::float_to_half(-std::numeric_limits<float>::denorm_min()), 0x8000);
  EXPECT_TRUE(half_is_nan(kernels::float_to_half(kNaN)));
  EXPECT_TRUE(half_is_nan(kernels::float_to_half(std::bit_cast<float>(0x7f800001u))));  // payload only in low bits
}

// ---- broadcasting binary kernels ----------------------------------------------

struct BroadcastCase {
  ir::Shape a, b;
};

const BroadcastCase kBroadcastCases[] = {
    {{2, 3, 4}, {2, 3, 4}},  {{2, 3, 4}, {4}},          {{2, 1, 4}, {3, 1}},
    {{}, {5}},               {{2, 3}, {}},              {{}, {}},
    {{1}, {1, 1, 1}},        {{3, 1, 2, 1, 2}, {1, 2, 1, 3, 1}},
    {{1, 2, 1, 3, 1, 2}, {2, 1, 4, 1, 5, 1}},           {{2, 0, 3}, {1, 3}},
};

TEST(ElementwiseKernel, BinaryFloatOpsBroadcastLikeNumPy) {
  const BinaryOp ops[] = {BinaryOp::kAdd,     BinaryOp::kSub,     BinaryOp::kMul,
                          BinaryOp::kDiv,     BinaryOp::kMaximum, BinaryOp::kMinimum,
                          BinaryOp::kSquaredDifference};
  const Activation acts[] = {Activation::kNone, Activation::kRelu, Activation::kRelu6, Activation::kReluN1To1};
  uint32_t seed = 1;
  for (const BroadcastCase& c : kBroadcastCases) {
    std::vector<int32_t> out_dims;
    ASSERT_TRUE(kernels::broadcast_shape(c.a, c.b, out_dims));
    const std::vector<float> a = random_values(count(c.a), seed++);
    const std::vector<float> b = random_values(count(c.b), seed++);
    for (BinaryOp op : ops) {
      for (Activation act : acts) {
        std::vector<float> out(static_cast<size_t>(count(out_dims)));
        kernels::binary(op, a.data(), c.a, b.data(), c.b, act, out.data(), out_dims);
        std::vector<double> expected(out.size());
        for (size_t i = 0; i < out.size(); ++i) {
          const std::vector<int32_t> idx = unravel(static_cast<int64_t>(i), out_dims);
          expected[i] = naive_activation(
              naive_binary(op, a[broadcast_source(c.a, idx)], b[broadcast_source(c.b, idx)]), act);
        }
        SCOPED_TRACE(testing::Message() << "op " << static_cast<int>(op) << " act " << static_cast<int>(act)
                                        << " rank " << out_dims.size());
        expect_close(out, expected, 1e-6, 1e-6);
      }
    }
  }
}

TEST(ElementwiseKernel, BinaryHandWorkedBroadcast) {
  // a: (2, 1) = [[1], [2]]; b: (3) = [10, 20, 30]; out: (2, 3).
  const std::vector<float> a = {1, 2}, b = {10, 20, 30};
  const ir::Shape da = {2, 1}, db = {3}, dout = {2, 3};
  std::vector<float> out(6);
  kernels::binary(BinaryOp::kSub, a.data(), da, b.data(), db, Activation::kNone, out.data(), dout);
  EXPECT_EQ(out, (std::vector<float>{-9, -19, -29, -8, -18, -28}));
  kernels::binary(BinaryOp::kSub, b.data(), db, a.data(), da, Activation::kRelu6, out.data(), dout);
  EXPECT_EQ(out, (std::vector<float>{6, 6, 6, 6, 6, 6}));
}

// TFLite clamps every float result to the activation range, [lowest, max] for
// NONE, so an overflow gives FLT_MAX, not inf; TANH / SIGN_BIT are ignored.
TEST(ElementwiseKernel, FloatActivationRangeFollowsTflite) {
  const std::vector<float> a = {3e38f, -3e38f, kNaN, -0.5f, 2.0f};
  const std::vector<float> b = {3e38f, -3e38f, 1.0f, 0.0f, 0.0f};
  const ir::Shape d = {5};
  std::vector<float> out(5);
  for (Activation act : {Activation::kNone, Activation::kTanh, Activation::kSignBit}) {
    kernels::binary(BinaryOp::kAdd, a.data(), d, b.data(), d, act, out.data(), d);
    EXPECT_EQ(out[0], kFloatMax);
    EXPECT_EQ(out[1], -kFloatMax);
    EXPECT_TRUE(std::isnan(out[2]));
    EXPECT_EQ(out[3], -0.5f);  // not tanh(-0.5), not a sign bit
    EXPECT_EQ(out[4], 2.0f);
  }
  kernels::binary(BinaryOp::kAdd, a.data(), d, b.data(), d, Activation::kRelu, out.data(), d);
  EXPECT_EQ(out[0], kFloatMax);
  EXPECT_EQ(out[1], 0.0f);
  EXPECT_TRUE(std::isnan(out[2]));
}

TEST(ElementwiseKernel, DivisionByZeroFollowsIeee) {
  const std::vector<float> a = {1, -1, 0}, b = {0, 0, 0};
  const ir::Shape d = {3};
  std::vector<float> out(3);
  kernels::binary(BinaryOp::kDiv, a.data(), d, b.data(), d, Activation::kRelu, out.data(), d);
  EXPECT_EQ(out[0], kFloatMax);  // +inf clamped to the RELU range [0, max]
  EXPECT_EQ(out[1], 0.0f);
  EXPECT_TRUE(std::isnan(out[2]));
}

// MAXIMUM is a > b ? a : b and MINIMUM a < b ? a : b: a NaN wins only as b.
TEST(ElementwiseKernel, MaximumMinimumNaNFollowsTheComparison) {
  const std::vector<float> a = {kNaN, 1.0f}, b = {1.0f, kNaN};
  const ir::Shape d = {2};
  std::vector<float> out(2);
  kernels::binary(BinaryOp::kMaximum, a.data(), d, b.data(), d, Activation::kNone, out.data(), d);
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_TRUE(std::isnan(out[1]));
  kernels::binary(BinaryOp::kMinimum, a.data(), d, b.data(), d, Activation::kNone, out.data(), d);
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_TRUE(std::isnan(out[1]));
}

TEST(ElementwiseKernel, Int32ArithmeticWrapsAndClamps) {
  constexpr int32_t kMax = std::numeric_limits<int32_t>::max(), kMin = std::numeric_limits<int32_t>::min();
  const std::vector<int32_t> a = {kMax, kMin, 196608, 7}, b = {1, 1, 327680, -9};
  const ir::Shape d = {4};
  std::vector<int32_t> out(4);
  kernels::binary(BinaryOp::kAdd, a.data(), d, b.data(), d, Activation::kNone, out.data(), d);
  EXPECT_EQ(out, (std::vector<int32_t>{kMin, kMin + 1, 524288, -2}));
  kernels::binary(BinaryOp::kSub, a.data(), d, b.data(), d, Activation::kNone, out.data(), d);
  EXPECT_EQ(out, (std::vector<int32_t>{kMax - 1, kMax, -131072, 16}));
  kernels::binary(BinaryOp::kMul, a.data(), d, b.data(), d, Activation::kNone, out.data(), d);
  EXPECT_EQ(out, (std::vector<int32_t>{kMax, kMin, 0, -63}));  // 196608 * 327680 = 2^36 * 15 wraps to 0
  kernels::binary(BinaryOp::kMul, a.data(), d, b.data(), d, Activation::kRelu6, out.data(), d);
  EXPECT_EQ(out, (std::vector<int32_t>{6, 0, 0, 0}));
  // Broadcast: (2, 1) * (3).
  const std::vector<int32_t> x = {2, -3}, y = {1, 2, 3};
  const ir::Shape dx = {2, 1}, dy = {3}, dout = {2, 3};
  std::vector<int32_t> prod(6);
  kernels::binary(BinaryOp::kMul, x.data(), dx, y.data(), dy, Activation::kReluN1To1, prod.data(), dout);
  EXPECT_EQ(prod, (std::vector<int32_t>{1, 1, 1, -1, -1, -1}));
}

TEST(ElementwiseKernel, PreluBroadcastsAlpha) {
  // input: (2, 2, 3); alpha: (3), one slope per channel.
  const std::vector<float> in = {-1, 2, -3, 4, -5, 6, 0, -0.5f, 1, -2, -2, -2};
  const std::vector<float> alpha = {0.1f, 0.2f, 0.3f};
  const ir::Shape din = {2, 2, 3}, dalpha = {3};
  std::vector<float> out(12);
  kernels::prelu(in.data(), din, alpha.data(), dalpha, out.data(), din);
  expect_close(out, {-0.1, 2, -0.9, 4, -1.0, 6, 0, -0.1, 1, -0.2, -0.4, -0.6}, 1e-6);
}

// ---- unary kernels ---------------------------------------------------------------

double naive_unary(UnaryOp op, double x) {
  switch (op) {
    case UnaryOp::kLogistic: return 1.0 / (1.0 + std::exp(-x));
    case UnaryOp::kTanh: return std::tanh(x);
    case UnaryOp::kRelu: return std::max(x, 0.0);
    case UnaryOp::kRelu6: return std::min(std::max(x, 0.0), 6.0);
    case UnaryOp::kReluN1To1: return std::min(std::max(x, -1.0), 1.0);
    case UnaryOp::kHardSwish: return x * std::min(std::max(x + 3.0, 0.0), 6.0) / 6.0;
    case UnaryOp::kGelu: return 0.5 * x * std::erfc(-x / std::sqrt(2.0));  // = x Phi(x), no cancellation
    case UnaryOp::kGeluApproximate:
      return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / std::numbers::pi) * (x + 0.044715 * x * x * x)));
    case UnaryOp::kExp: return std::exp(x);
    case UnaryOp::kSqrt: return std::sqrt(x);
    case UnaryOp::kRsqrt: return 1.0 / std::sqrt(x);
  }
  return 0;
}

std::vector<float> grid(float lo, float hi, int n) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) v[i] = lo + (hi - lo) * static_cast<float>(i) / static_cast<float>(n - 1);
  return v;
}

void check_unary(UnaryOp op, const std::vector<float>& in, double rel, double floor = 1e-30) {
  std::vector<float> out(in.size());
  kernels::unary(op, in.data(), out.data(), static_cast<int64_t>(in.size()));
  std::vector<double> expected(in.size());
  for (size_t i = 0; i < in.size(); ++i) expected[i] = naive_unary(op, in[i]);
  SCOPED_TRACE(testing::Message() << "unary op " << static_cast<int>(op));
  expect_close(out, expected, rel, floor);
}

TEST(ElementwiseKernel, UnaryOpsMatchTheirDefinitions) {
  const std::vector<float> x = grid(-12.0f, 12.0f, 2401);
  for (UnaryOp op : {UnaryOp::kTanh, UnaryOp::kRelu, UnaryOp::kRelu6, UnaryOp::kReluN1To1, UnaryOp::kHardSwish,
                     UnaryOp::kExp}) {
    check_unary(op, x, 1e-6, 1e-6);
  }
  // GELU: the exact form is relatively accurate everywhere (erfc, no
  // cancellation); the tanh form cancels in 1 + tanh for x << 0, leaving an
  // absolute error of a few 1e-7 there.
  check_unary(UnaryOp::kGelu, x, 2e-5);
  check_unary(UnaryOp::kGeluApproximate, x, 1e-5, 0.05);
  const std::vector<float> positive = grid(1e-6f, 1000.0f, 2001);
  check_unary(UnaryOp::kSqrt, positive, 1e-6);
  check_unary(UnaryOp::kRsqrt, positive, 1e-6);
}

// Accurate to float precision down to tiny outputs (LiteRT is; TFLite's
// reference kernel's exp(x) shortcut below -9 is off by up to 1.2e-4).
TEST(ElementwiseKernel, LogisticIsRelativelyAccurateForLargeNegativeInputs) {
  check_unary(UnaryOp::kLogistic, grid(-80.0f, 30.0f, 11001), 1e-6);
  const float big[] = {-200.0f, 100.0f};
  float out[2];
  kernels::unary(UnaryOp::kLogistic, big, out, 2);
  EXPECT_EQ(out[0], 0.0f);
  EXPECT_EQ(out[1], 1.0f);
}

TEST(ElementwiseKernel, UnarySpecialValues) {
  const float in[] = {-4.0f, kNaN, kInf, -kInf};
  float out[4];
  kernels::unary(UnaryOp::kSqrt, in, out, 4);
  EXPECT_TRUE(std::isnan(out[0]));
  EXPECT_TRUE(std::isnan(out[1]));
  EXPECT_EQ(out[2], kInf);
  kernels::unary(UnaryOp::kRelu6, in, out, 4);
  EXPECT_EQ(out[0], 0.0f);
  EXPECT_TRUE(std::isnan(out[1]));
  EXPECT_EQ(out[2], 6.0f);
  EXPECT_EQ(out[3], 0.0f);
  kernels::unary(UnaryOp::kHardSwish, in, out, 4);
  EXPECT_EQ(out[0], 0.0f);  // x <= -3
  const float zero[] = {0.0f};
  kernels::unary(UnaryOp::kRsqrt, zero, out, 1);
  EXPECT_EQ(out[0], kInf);
}

TEST(ElementwiseKernel, LeakyRelu) {
  const std::vector<float> in = {-2, -0.5f, 0, 3};
  std::vector<float> out(4);
  kernels::leaky_relu(in.data(), 0.2f, out.data(), 4);
  expect_close(out, {-0.4, -0.1, 0, 3}, 1e-6);
  kernels::leaky_relu(in.data(), 0.0f, out.data(), 4);  // LiteRT's default alpha
  EXPECT_EQ(out, (std::vector<float>{-0.0f, -0.0f, 0, 3}));
}

// ---- softmax ------------------------------------------------------------------------

std::vector<double> naive_softmax(const std::vector<float>& x, int depth, double beta, bool log) {
  std::vector<double> out(x.size());
  for (size_t row = 0; row < x.size() / depth; ++row) {
    double sum = 0;
    for (int c = 0; c < depth; ++c) sum += std::exp(beta * x[row * depth + c]);
    for (int c = 0; c < depth; ++c) {
      const double v = beta * x[row * depth + c];
      out[row * depth + c] = log ? v - std::log(sum) : std::exp(v) / sum;
    }
  }
  return out;
}

TEST(ElementwiseKernel, SoftmaxOverTheLastAxis) {
  // input: (2, 3) = [[1, 2, 3], [0, 0, ln 2]]
  const std::vector<float> in = {1, 2, 3, 0, 0, std::log(2.0f)};
  std::vector<float> out(6);
  kernels::softmax(in.data(), 2, 3, 1.0f, out.data());
  expect_close(out, naive_softmax(in, 3, 1.0, false), 1e-6);
  expect_close({out[3], out[4], out[5]}, {0.25, 0.25, 0.5}, 1e-6);
  kernels::softmax(in.data(), 2, 3, 0.5f, out.data());
  expect_close(out, naive_softmax(in, 3, 0.5, false), 1e-6);
  kernels::softmax(in.data(), 2, 3, 0.0f, out.data());  // beta 0: uniform
  expect_close(out, std::vector<double>(6, 1.0 / 3), 1e-6);
  const std::vector<float> random = random_values(7 * 33, 11, 8.0f);
  out.resize(random.size());
  kernels::softmax(random.data(), 7, 33, 1.7f, out.data());
  expect_close(out, naive_softmax(random, 33, 1.7, false), 1e-5, 1e-12);
}

TEST(ElementwiseKernel, SoftmaxIsStableForLargeLogits) {
  const std::vector<float> in = {1000, 1001, -1000};
  std::vector<float> out(3);
  kernels::softmax(in.data(), 1, 3, 1.0f, out.data());
  expect_close(out, {1 / (1 + std::exp(1.0)), 1 / (1 + std::exp(-1.0)), 0}, 1e-6, 1e-30);
  kernels::log_softmax(in.data(), 1, 3, out.data());
  expect_close(out, {-std::log1p(std::exp(1.0)), -std::log1p(std::exp(-1.0)), -2001 - std::log1p(std::exp(-1.0))},
               1e-6);
}

TEST(ElementwiseKernel, LogSoftmaxOverTheLastAxis) {
  const std::vector<float> in = random_values(5 * 17, 12, 6.0f);
  std::vector<float> out(in.size());
  kernels::log_softmax(in.data(), 5, 17, out.data());
  expect_close(out, naive_softmax(in, 17, 1.0, true), 1e-5, 0.1);
}

// ---- quantize / dequantize -------------------------------------------------------------

TEST(ElementwiseKernel, QuantizeRoundsHalfToEvenAndClamps) {
  // scale 0.5: x / scale = 2x exactly.
  const std::vector<float> in = {0.25f, 0.75f, 1.25f, -0.25f, -0.75f, -1.25f, 0.3f, 100.0f, -100.0f};
  std::vector<int8_t> q8(in.size());
  kernels::quantize(in.data(), static_cast<int64_t>(in.size()), 0.5f, 0, q8.data());
  EXPECT_EQ(q8, (std::vector<int8_t>{0, 2, 2, 0, -2, -2, 1, 127, -128}));
  kernels::quantize(in.data(), static_cast<int64_t>(in.size()), 0.5f, -10, q8.data());
  EXPECT_EQ(q8, (std::vector<int8_t>{-10, -8, -8, -10, -12, -12, -9, 127, -128}));
  std::vector<uint8_t> qu8(in.size());
  kernels::quantize(in.data(), static_cast<int64_t>(in.size()), 0.5f, 128, qu8.data());
  EXPECT_EQ(qu8, (std::vector<uint8_t>{128, 130, 130, 128, 126, 126, 129, 255, 0}));
  std::vector<int16_t> q16(in.size());
  kernels::quantize(in.data(), static_cast<int64_t>(in.size()), 0.001f, 0, q16.data());
  EXPECT_EQ(q16, (std::vector<int16_t>{250, 750, 1250, -250, -750, -1250, 300, 32767, -32768}));
}

// The quotient is x times the float reciprocal of the scale, as LiteRT
// computes it: these two inputs round differently than x / scale would.
TEST(ElementwiseKernel, QuantizeMultipliesByTheFloatReciprocal) {
  const float scale = 0.0137f;
  const float in[] = {std::bit_cast<float>(1017665657u),   // 0.02055: x * (1/s) = 1.4999999, x / s = 1.5
                      std::bit_cast<float>(1024215483u)};  // 0.03425: x * (1/s) = 2.5 (tie), x / s = 2.5000002
  int8_t out[2];
  kernels::quantize(in, 2, scale, 0, out);
  EXPECT_EQ(out[0], 1);
  EXPECT_EQ(out[1], 2);
}

TEST(ElementwiseKernel, QuantizeSaturatesInfinitiesAndMapsNaNToMax) {
  const float in[] = {kInf, -kInf, 3e9f, -3e9f, kNaN};
  int8_t q8[5];
  kernels::quantize(in, 5, 0.5f, 3, q8);
  EXPECT_EQ(std::vector<int8_t>(q8, q8 + 5), (std::vector<int8_t>{127, -128, 127, -128, 127}));
  int16_t q16[5];
  kernels::quantize(in, 5, 0.5f, 0, q16);
  EXPECT_EQ(std::vector<int16_t>(q16, q16 + 5), (std::vector<int16_t>{32767, -32768, 32767, -32768, 32767}));
}

TEST(ElementwiseKernel, DequantizePerTensor) {
  const std::vector<int8_t> q8 = {-128, -1, 0, 3, 127};
  const ir::Shape d = {5};
  const std::vector<float> scale = {0.25f};
  const std::vector<int32_t> zp = {3};
  std::vector<float> out(5);
  kernels::dequantize(q8.data(), d, scale, zp, 0, out.data());
  EXPECT_EQ(out, (std::vector<float>{-32.75f, -1.0f, -0.75f, 0.0f, 31.0f}));
  const std::vector<uint8_t> qu8 = {0, 128, 255, 1, 2};
  const std::vector<int32_t> zp128 = {128};
  kernels::dequantize(qu8.data(), d, scale, zp128, 0, out.data());
  EXPECT_EQ(out, (std::vector<float>{-32.0f, 0.0f, 31.75f, -31.75f, -31.5f}));
  const std::vector<int16_t> q16 = {-32768, -1, 0, 1, 32767};
  const std::vector<int32_t> zp0 = {0};
  kernels::dequantize(q16.data(), d, scale, zp0, 0, out.data());
  EXPECT_EQ(out, (std::vector<float>{-8192.0f, -0.25f, 0.0f, 0.25f, 8191.75f}));
}

TEST(ElementwiseKernel, DequantizePerChannelAlongEachAxis) {
  // input: (2, 3, 4), values q = flat index - 12.
  const ir::Shape d = {2, 3, 4};
  std::vector<int8_t> q(24);
  for (int i = 0; i < 24; ++i) q[i] = static_cast<int8_t>(i - 12);
  for (int32_t axis = 0; axis < 3; ++axis) {
    std::vector<float> scale;
    std::vector<int32_t> zp;
    for (int32_t c = 0; c < d[axis]; ++c) {
      scale.push_back(0.5f * static_cast<float>(c + 1));
      zp.push_back(c - 1);
    }
    std::vector<float> out(24);
    kernels::dequantize(q.data(), d, scale, zp, axis, out.data());
    std::vector<double> expected(24);
    for (int64_t i = 0; i < 24; ++i) {
      const int32_t c = unravel(i, d)[axis];
      expected[i] = scale[c] * (q[i] - zp[c]);
    }
    SCOPED_TRACE(testing::Message() << "axis " << axis);
    expect_close(out, expected, 0.0, 1.0);  // exact
  }
}

TEST(ElementwiseKernel, DequantizeFloat16) {
  const std::vector<uint16_t> h = {0x3c00, 0xc000, 0x0001, 0x7bff, 0xfc00};
  std::vector<float> out(5);
  kernels::dequantize_f16(h.data(), 5, out.data());
  EXPECT_EQ(out, (std::vector<float>{1.0f, -2.0f, std::ldexp(1.0f, -24), 65504.0f, -kInf}));
}

// ---- DENSIFY kernel --------------------------------------------------------------------------

SparseLevel dense_level(int32_t size) { return {SparseDimFormat::kDense, size, {}, {}}; }
SparseLevel csr_level(std::vector<int32_t> segments, std::vector<int32_t> indices) {
  return {SparseDimFormat::kSparseCsr, 0, std::move(segments), std::move(indices)};
}

std::vector<float> densify_f32(const SparseFormat& f, const ir::Shape& dims, const std::vector<float>& values) {
  const Expected<int64_t> n = kernels::sparse_value_count(f, dims);
  EXPECT_TRUE(n.has_value()) << n.status().message();
  if (!n) return {};
  EXPECT_EQ(*n, static_cast<int64_t>(values.size()));
  std::vector<float> out(static_cast<size_t>(count(dims)), kNaN);
  kernels::densify(f, dims, values.data(), sizeof(float), out.data());
  return out;
}

// The TFLite format documentation's example: a 4x4 matrix in CSR (dim 0
// dense, dim 1 sparse).
TEST(ElementwiseSparse, CsrMatrix) {
  // [[1, 0, 2, 0],
  //  [0, 0, 0, 0],
  //  [0, 3, 0, 4],
  //  [5, 0, 0, 0]]
  const SparseFormat f{{0, 1}, {}, {dense_level(4), csr_level({0, 2, 2, 4, 5}, {0, 2, 1, 3, 0})}};
  EXPECT_EQ(densify_f32(f, {4, 4}, {1, 2, 3, 4, 5}),
            (std::vector<float>{1, 0, 2, 0, 0, 0, 0, 0, 0, 3, 0, 4, 5, 0, 0, 0}));
  // The same matrix stored column-major (traversal 1, 0): CSC.
  const SparseFormat csc{{1, 0}, {}, {dense_level(4), csr_level({0, 2, 3, 4, 5}, {0, 3, 2, 0, 2})}};
  EXPECT_EQ(densify_f32(csc, {4, 4}, {1, 5, 3, 2, 4}),
            (std::vector<float>{1, 0, 2, 0, 0, 0, 0, 0, 0, 3, 0, 4, 5, 0, 0, 0}));
}

// A 2x8 matrix in 1x4 blocks: expanded dims (row, block column, column in
// block), the block dim dense, block columns sparse.
TEST(ElementwiseSparse, OneByFourBlocks) {
  // [[0, 0, 0, 0, 1, 2, 3, 4],
  //  [5, 6, 0, 8, 0, 0, 0, 0]]
  const SparseFormat f{{0, 1, 2}, {1}, {dense_level(2), csr_level({0, 1, 2}, {1, 0}), dense_level(4)}};
  EXPECT_EQ(densify_f32(f, {2, 8}, {1, 2, 3, 4, 5, 6, 0, 8}),
            (std::vector<float>{0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 0, 8, 0, 0, 0, 0}));
}

// An 8x2 matrix in 4x1 blocks, every level dense except the block rows.
TEST(ElementwiseSparse, FourByOneBlocks) {
  // rows 0-3: block (0, 1) = [1, 2, 3, 4]^T; rows 4-7: block (1, 0) = [5, 6, 7, 8]^T.
  const SparseFormat f{{0, 1, 2}, {0}, {dense_level(2), csr_level({0, 1, 2}, {1, 0}), dense_level(4)}};
  EXPECT_EQ(densify_f32(f, {8, 2}, {1, 2, 3, 4, 5, 6, 7, 8}),
            (std::vector<float>{0, 1, 0, 2, 0, 3, 0, 4, 5, 0, 6, 0, 7, 0, 8, 0}));
}

// Encoder written here (dense -> format) for random round trips: walks the
// expanded coordinates level by level; a CSR level keeps the coordinates whose
// subtree holds a non-zero.
struct Encoded {
  SparseFormat format;
  std::vector<int64_t> value_offsets;  // dense flat offset of each stored value
};

Encoded encode(const ir::Shape& dims, const std::vector<bool>& nonzero, const std::vector<int32_t>& traversal,
               const std::vector<int32_t>& block_map, const std::vector<int32_t>& block_sizes,
               const std::vector<SparseDimFormat>& formats) {
  const size_t n = dims.size(), k = block_map.size();
  std::vector<int32_t> block(n, 1);
  for (size_t b = 0; b < k; ++b) block[block_map[b]] = block_sizes[b];
  auto expand = [&](int64_t flat) {  // dense flat index -> expanded coordinates
    const std::vector<int32_t> c = unravel(flat, dims);
    std::vector<int32_t> e(n + k);
    for (size_t d = 0; d < n; ++d) e[d] = c[d] / block[d];
    for (size_t b = 0; b < k; ++b) e[n + b] = c[block_map[b]] % block_sizes[b];
    return e;
  };
  auto size_of = [&](int32_t e) { return e < static_cast<int32_t>(n) ? dims[e] / block[e] : block_sizes[e - n]; };
  // A position: the expanded coordinates fixed so far (-1: not yet).
  std::vector<std::vector<int32_t>> positions = {std::vector<int32_t>(n + k, -1)};
  auto subtree_nonzero = [&](const std::vector<int32_t>& pos) {
    for (int64_t i = 0; i < count(dims); ++i) {
      if (!nonzero[i]) continue;
      const std::vector<int32_t> e = expand(i);
      bool match = true;
      for (size_t j = 0; j < n + k; ++j) match = match && (pos[j] < 0 || pos[j] == e[j]);
      if (match) return true;
    }
    return false;
  };
  Encoded out{{traversal, block_map, {}}, {}};
  for (size_t p = 0; p < traversal.size(); ++p) {
    const int32_t e = traversal[p], size = size_of(e);
    std::vector<std::vector<int32_t>> next;
    SparseLevel level = formats[p] == SparseDimFormat::kDense ? dense_level(size) : csr_level({0}, {});
    for (const auto& pos : positions) {
      for (int32_t i = 0; i < size; ++i) {
        std::vector<int32_t> child = pos;
        child[e] = i;
        if (formats[p] == SparseDimFormat::kSparseCsr) {
          if (!subtree_nonzero(child)) continue;
          level.indices.push_back(i);
        }
        next.push_back(std::move(child));
      }
      if (formats[p] == SparseDimFormat::kSparseCsr) {
        level.segments.push_back(static_cast<int32_t>(level.indices.size()));
      }
    }
    out.format.levels.push_back(std::move(level));
    positions = std::move(next);
  }
  for (const auto& pos : positions) {
    int64_t flat = 0;
    for (size_t d = 0; d < n; ++d) {
      int32_t c = pos[d] * block[d];
      for (size_t b = 0; b < k; ++b) c += block_map[b] == static_cast<int32_t>(d) ? pos[n + b] : 0;
      flat = flat * dims[d] + c;
    }
    out.value_offsets.push_back(flat);
  }
  return out;
}

struct SparseCase {
  ir::Shape dims;
  std::vector<int32_t> traversal, block_map, block_sizes;
  std::vector<SparseDimFormat> formats;
};

// Round trips float32, float16 (as bits) and int8 tensors of random sparsity
// through encode() and densify().
template <typename T>
void check_round_trip(const SparseCase& c, double density, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const int64_t n = count(c.dims);
  std::vector<T> dense(static_cast<size_t>(n), T(0));
  std::vector<bool> nonzero(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    nonzero[i] = u(rng) < density;
    if (nonzero[i]) dense[i] = static_cast<T>(1 + (i % 100));
  }
  const Encoded e = encode(c.dims, nonzero, c.traversal, c.block_map, c.block_sizes, c.formats);
  std::vector<T> values;
  for (int64_t off : e.value_offsets) values.push_back(dense[off]);
  const Expected<int64_t> count_or = kernels::sparse_value_count(e.format, c.dims);
  ASSERT_TRUE(count_or.has_value()) << count_or.status().message();
  ASSERT_EQ(*count_or, static_cast<int64_t>(values.size()));
  std::vector<T> out(static_cast<size_t>(n), T(77));
  kernels::densify(e.format, c.dims, values.data(), sizeof(T), out.data());
  EXPECT_EQ(out, dense);
}

TEST(ElementwiseSparse, RandomRoundTrips) {
  using F = SparseDimFormat;
  const F D = F::kDense, S = F::kSparseCsr;
  const SparseCase cases[] = {
      {{5, 7}, {0, 1}, {}, {}, {D, S}},
      {{5, 7}, {1, 0}, {}, {}, {D, S}},
      {{5, 7}, {0, 1}, {}, {}, {S, S}},
      {{5, 7}, {0, 1}, {}, {}, {S, D}},
      {{8, 6}, {0, 1, 2}, {0}, {4}, {D, S, D}},
      {{4, 8}, {0, 1, 2}, {1}, {4}, {D, S, D}},
      {{8, 8}, {0, 1, 2, 3}, {0, 1}, {2, 4}, {D, S, D, D}},
      {{8, 8}, {1, 0, 3, 2}, {0, 1}, {2, 4}, {D, S, D, D}},
      {{8, 8}, {0, 1, 3, 2}, {0, 1}, {2, 4}, {S, S, D, D}},
      {{3, 4, 5}, {2, 0, 1}, {}, {}, {D, S, S}},
      {{2, 3, 4, 5}, {0, 1, 2, 3}, {}, {}, {D, S, D, S}},
      {{6, 4, 4}, {0, 1, 2, 3}, {2}, {2}, {D, D, S, D}},
      {{0, 3}, {0, 1}, {}, {}, {D, S}},
      {{}, {}, {}, {}, {}},
  };
  uint32_t seed = 100;
  for (const SparseCase& c : cases) {
    for (double density : {0.0, 0.3, 1.0}) {
      SCOPED_TRACE(testing::Message() << "case rank " << c.dims.size() << " levels " << c.formats.size()
                                      << " density " << density);
      check_round_trip<float>(c, density, seed++);
      check_round_trip<uint16_t>(c, density, seed++);  // float16 bits: 2-byte elements
      check_round_trip<int8_t>(c, density, seed++);
    }
  }
}

TEST(ElementwiseSparse, RejectsInvalidFormats) {
  const ir::Shape d = {4, 4};
  const auto csr = csr_level({0, 2, 2, 4, 5}, {0, 2, 1, 3, 0});
  struct Bad {
    SparseFormat format;
    ir::Shape dims;
    std::string_view fragment;
  };
  const Bad cases[] = {
      {{{0}, {}, {dense_level(4)}}, d, "traversal_order has 1 entries"},
      {{{0, 0}, {}, {dense_level(4), csr}}, d, "traversal_order 1"},
      {{{0, 1}, {}, {dense_level(4)}}, d, "dim_metadata has 1 entries"},
      {{{0, 1}, {}, {dense_level(3), csr}}, d, "dense_size 3"},
      {{{0, 1}, {}, {dense_level(4), csr_level({0, 2, 2, 4}, {0, 2, 1, 3})}}, d, "array_segments has 4 entries"},
      {{{0, 1}, {}, {dense_level(4), csr_level({1, 2, 2, 4, 5}, {0, 2, 1, 3, 0})}}, d, "starting at 1"},
      {{{0, 1}, {}, {dense_level(4), csr_level({0, 2, 1, 4, 5}, {0, 2, 1, 3, 0})}}, d, "decrease"},
      {{{0, 1}, {}, {dense_level(4), csr_level({0, 2, 2, 4, 6}, {0, 2, 1, 3, 0})}}, d, "array_indices has 5"},
      {{{0, 1}, {}, {dense_level(4), csr_level({0, 2, 2, 4, 5}, {0, 2, 1, 4, 0})}}, d, "array_indices[3] = 4"},
      {{{0, 1, 2}, {1}, {dense_level(4), dense_level(2), dense_level(3)}}, d, "block level 2"},
      {{{0, 1, 2}, {1}, {dense_level(4), dense_level(2), csr_level({0, 0}, {})}}, d, "block level 2"},
      {{{0, 1, 2}, {5}, {dense_level(4), dense_level(2), dense_level(2)}}, d, "block_map entry 5"},
      {{{0, 2, 1}, {1}, {dense_level(4), dense_level(2), dense_level(2)}}, d, "traversal_order 1"},
      {{{0, 1}, {}, {dense_level(4), {static_cast<SparseDimFormat>(7), 4, {}, {}}}}, d, "unknown dimension format"},
  };
  for (const Bad& c : cases) {
    const Expected<int64_t> r = kernels::sparse_value_count(c.format, c.dims);
    ASSERT_FALSE(r.has_value()) << c.fragment;
    expect_error(r.status(), StatusCode::kInvalidArgument, c.fragment);
  }
}

// ---- ops through an OpContext --------------------------------------------------------------

using test::quantization;

TEST(ElementwiseOp, AddBroadcastsWithFusedActivation) {
  OpHarness h(tflite::BuiltinOperator_ADD);
  h.output(DType::kFloat32);
  tflite::AddOptionsT o;
  o.fused_activation_function = tflite::ActivationFunctionType_RELU6;
  h.options(o);
  h.f32({2, 1, 3}, {1, -2, 3, 4, 5, 6});
  h.f32({2, 1}, {0.5f, 1.5f});
  ASSERT_OK(h.run(ops::add_shape, ops::add_eval));
  EXPECT_EQ(h.out_shape(), (ir::Shape{2, 2, 3}));
  EXPECT_EQ(h.out(), (std::vector<float>{1.5f, 0, 3.5f, 2.5f, 0, 4.5f, 4.5f, 5.5f, 6, 5.5f, 6, 6}));
}

TEST(ElementwiseOp, ArithmeticWithoutOptionsHasNoActivation) {
  OpHarness h(tflite::BuiltinOperator_SUB);
  h.output(DType::kFloat32);
  h.f32({2}, {1, 2});
  h.f32({}, {5});
  ASSERT_OK(h.run(ops::sub_shape, ops::sub_eval));
  EXPECT_EQ(h.out_shape(), (ir::Shape{2}));
  EXPECT_EQ(h.out(), (std::vector<float>{-4, -3}));
}

TEST(ElementwiseOp, Int32ShapeArithmetic) {
  OpHarness h(tflite::BuiltinOperator_MUL);
  h.input<int32_t>(DType::kInt32, {3}, {2, 3, 4});
  h.input<int32_t>(DType::kInt32, {1}, {-1});
  h.output(DType::kInt32);
  ASSERT_OK(h.run(ops::mul_shape, ops::mul_eval));
  EXPECT_EQ(h.out<int32_t>(), (std::vector<int32_t>{-2, -3, -4}));
}

TEST(ElementwiseOp, BinaryShapeErrors) {
  {
    OpHarness h(tflite::BuiltinOperator_DIV);  // int32 DIV is not supported
    h.input<int32_t>(DType::kInt32, {1}, {1});
    h.input<int32_t>(DType::kInt32, {1}, {1});
    h.output(DType::kInt32);
    expect_error(h.shape(ops::div_shape), StatusCode::kUnsupported, "int32");
  }
  {
    OpHarness h(tflite::BuiltinOperator_ADD);
    h.output(DType::kFloat32);
    h.f32({1}, {1});
    h.input<int32_t>(DType::kInt32, {1}, {1});
    expect_error(h.shape(ops::add_shape), StatusCode::kInvalidArgument, "input 1 ('in1') has dtype int32");
  }
  {
    OpHarness h(tflite::BuiltinOperator_MAXIMUM);
    h.output(DType::kFloat32);
    h.f32({2}, {1, 2});
    h.f32({3}, {1, 2, 3});
    expect_error(h.shape(ops::maximum_shape), StatusCode::kInvalidArgument, "[2] ('in0') and [3] ('in1')");
  }
  {
    OpHarness h(tflite::BuiltinOperator_MINIMUM);
    h.output(DType::kFloat32);
    h.f32({1, 1, 1, 1, 1, 1, 1}, {1});
    h.f32({1}, {1});
    expect_error(h.shape(ops::minimum_shape), StatusCode::kInvalidArgument, "rank 7");
  }
  {
    OpHarness h(tflite::BuiltinOperator_SQUARED_DIFFERENCE);
    h.output(DType::kFloat32);
    h.f32({1}, {1});
    expect_error(h.shape(ops::squared_difference_shape), StatusCode::kInvalidArgument, "expects 2 inputs, got 1");
  }
  {
    OpHarness h(tflite::BuiltinOperator_ADD);
    h.output(DType::kFloat32);
    h.f32({1}, {1});
    h.absent();
    expect_error(h.shape(ops::add_shape), StatusCode::kInvalidArgument, "input 1 is required");
  }
  {
    OpHarness h(tflite::BuiltinOperator_ADD);
    h.f32({1}, {1});
    h.f32({1}, {1});
    h.output(DType::kInt32);
    expect_error(h.shape(ops::add_shape), StatusCode::kInvalidArgument, "output has dtype int32, expected float32");
  }
  {
    OpHarness h(tflite::BuiltinOperator_MUL);
    h.output(DType::kFloat32);
    tflite::MulOptionsT o;
    o.fused_activation_function = static_cast<tflite::ActivationFunctionType>(9);
    h.options(o);
    h.f32({1}, {1});
    h.f32({1}, {1});
    expect_error(h.shape(ops::mul_shape), StatusCode::kInvalidArgument, "fused_activation_function 9");
  }
  {
    OpHarness h(tflite::BuiltinOperator_ADD);  // quantized inputs need a quantized output of their dtype
    h.output(DType::kFloat32);
    h.input<int8_t>(DType::kInt8, {1}, {1});
    h.input<int8_t>(DType::kInt8, {1}, {1});
    expect_error(h.shape(ops::add_shape), StatusCode::kInvalidArgument, "output has dtype float32, expected int8");
  }
}

TEST(ElementwiseOp, SquaredDifferenceAndMinimum) {
  OpHarness h(tflite::BuiltinOperator_SQUARED_DIFFERENCE);
  h.output(DType::kFloat32);
  h.f32({2, 1}, {1, 5});
  h.f32({2}, {2, 4});
  ASSERT_OK(h.run(ops::squared_difference_shape, ops::squared_difference_eval));
  EXPECT_EQ(h.out(), (std::vector<float>{1, 9, 9, 1}));
  OpHarness m(tflite::BuiltinOperator_MINIMUM);
  m.output(DType::kFloat32);
  m.f32({2, 1}, {1, 5});
  m.f32({2}, {2, 4});
  ASSERT_OK(m.run(ops::minimum_shape, ops::minimum_eval));
  EXPECT_EQ(m.out(), (std::vector<float>{1, 1, 2, 4}));
}

TEST(ElementwiseOp, PreluKeepsTheInputShape) {
  OpHarness h(tflite::BuiltinOperator_PRELU);
  h.output(DType::kFloat32);
  h.f32({2, 2}, {-1, 2, -3, 4});
  h.f32({1, 2}, {0.5f, 0.25f});
  ASSERT_OK(h.run(ops::prelu_shape, ops::prelu_eval));
  EXPECT_EQ(h.out_shape(), (ir::Shape{2, 2}));
  EXPECT_EQ(h.out(), (std::vector<float>{-0.5f, 2, -1.5f, 4}));
  OpHarness bad(tflite::BuiltinOperator_PRELU);
  bad.output(DType::kFloat32);
  bad.f32({3, 1}, {1, 2, 3});
  bad.f32({2}, {1, 2});
  expect_error(bad.shape(ops::prelu_shape), StatusCode::kInvalidArgument, "does not broadcast into the input's shape");
}

TEST(ElementwiseOp, UnaryOpsKeepShapeAndRejectOtherDtypes) {
  OpHarness h(tflite::BuiltinOperator_RELU6);
  h.output(DType::kFloat32);
  h.f32({2, 2}, {-1, 3, 7, 0.5f});
  ASSERT_OK(h.run(ops::relu6_shape, ops::relu6_eval));
  EXPECT_EQ(h.out_shape(), (ir::Shape{2, 2}));
  EXPECT_EQ(h.out(), (std::vector<float>{0, 3, 6, 0.5f}));
  OpHarness q(tflite::BuiltinOperator_LOGISTIC);
  q.input<int8_t>(DType::kInt8, {1}, {1});
  q.output(DType::kInt8);
  expect_error(q.shape(ops::logistic_shape), StatusCode::kInvalidArgument, "has no quantization parameters");
  OpHarness o(tflite::BuiltinOperator_TANH);
  o.f32({1}, {1});
  o.output(DType::kFloat16);
  expect_error(o.shape(ops::tanh_shape), StatusCode::kInvalidArgument, "output has dtype float16");
}

TEST(ElementwiseOp, LeakyReluAndGeluOptions) {
  OpHarness leaky(tflite::BuiltinOperator_LEAKY_RELU);  // no options: alpha 0
  leaky.output(DType::kFloat32);
  leaky.f32({2}, {-2, 2});
  ASSERT_OK(leaky.run(ops::leaky_relu_shape, ops::leaky_relu_eval));
  EXPECT_EQ(leaky.out(), (std::vector<float>{-0.0f, 2}));
  OpHarness leaky3(tflite::BuiltinOperator_LEAKY_RELU);
  leaky3.output(DType::kFloat32);
  tflite::LeakyReluOptionsT lo;
  lo.alpha = 0.3f;
  leaky3.options(lo);
  leaky3.f32({2}, {-2, 2});
  ASSERT_OK(leaky3.run(ops::leaky_relu_shape, ops::leaky_relu_eval));
  expect_close(leaky3.out(), {-0.6, 2}, 1e-6);

  const float x = -1.5f;
  OpHarness exact(tflite::BuiltinOperator_GELU);
  exact.output(DType::kFloat32);
  exact.f32({1}, {x});
  ASSERT_OK(exact.run(ops::gelu_shape, ops::gelu_eval));
  expect_close(exact.out(), {naive_unary(UnaryOp::kGelu, x)}, 1e-6);
  OpHarness approx(tflite::BuiltinOperator_GELU);
  approx.output(DType::kFloat32);
  tflite::GeluOptionsT go;
  go.approximate = true;
  approx.options(go);
  approx.f32({1}, {x});
  ASSERT_OK(approx.run(ops::gelu_shape, ops::gelu_eval));
  expect_close(approx.out(), {naive_unary(UnaryOp::kGeluApproximate, x)}, 1e-6);
  EXPECT_NE(exact.out()[0], approx.out()[0]);
}

TEST(ElementwiseOp, SoftmaxBetaAndRank) {
  OpHarness h(tflite::BuiltinOperator_SOFTMAX);
  h.output(DType::kFloat32);
  tflite::SoftmaxOptionsT o;
  o.beta = 2.0f;
  h.options(o);
  h.f32({2, 2}, {0, std::log(3.0f) / 2, 1, 1});
  ASSERT_OK(h.run(ops::softmax_shape, ops::softmax_eval));
  EXPECT_EQ(h.out_shape(), (ir::Shape{2, 2}));
  expect_close(h.out(), {0.25, 0.75, 0.5, 0.5}, 1e-6);
  OpHarness none(tflite::BuiltinOperator_SOFTMAX);  // LiteRT without options: beta 0
  none.output(DType::kFloat32);
  none.f32({3}, {0, 5, 10});
  ASSERT_OK(none.run(ops::softmax_shape, ops::softmax_eval));
  expect_close(none.out(), {1.0 / 3, 1.0 / 3, 1.0 / 3}, 1e-6);
  OpHarness scalar(tflite::BuiltinOperator_LOG_SOFTMAX);
  scalar.output(DType::kFloat32);
  scalar.f32({}, {1});
  expect_error(scalar.shape(ops::log_softmax_shape), StatusCode::kInvalidArgument, "is a scalar");
  OpHarness empty(tflite::BuiltinOperator_LOG_SOFTMAX);
  empty.output(DType::kFloat32);
  empty.f32({2, 0}, {});
  ASSERT_OK(empty.run(ops::log_softmax_shape, ops::log_softmax_eval));
  EXPECT_EQ(empty.out_shape(), (ir::Shape{2, 0}));
}

TEST(ElementwiseOp, QuantizeToEachType) {
  OpHarness h(tflite::BuiltinOperator_QUANTIZE);
  h.f32({5}, {-1, 0, 0.25f, 1, 100});
  h.output(DType::kUInt8);
  h.last().quantization = quantization({0.5f}, {10});
  ASSERT_OK(h.run(ops::quantize_shape, ops::quantize_eval));
  EXPECT_EQ(h.out_shape(), (ir::Shape{5}));
  EXPECT_EQ(h.out<uint8_t>(), (std::vector<uint8_t>{8, 10, 10, 12, 210}));
  OpHarness h8(tflite::BuiltinOperator_QUANTIZE);
  h8.f32({2}, {-1, 0.75f});
  h8.output(DType::kInt8);
  h8.last().quantization = quantization({0.5f}, {-3});
  ASSERT_OK(h8.run(ops::quantize_shape, ops::quantize_eval));
  EXPECT_EQ(h8.out<int8_t>(), (std::vector<int8_t>{-5, -1}));
  OpHarness h16(tflite::BuiltinOperator_QUANTIZE);
  h16.f32({2}, {-1, 0.75f});
  h16.output(DType::kInt16);
  h16.last().quantization = quantization({0.01f}, {0});
  ASSERT_OK(h16.run(ops::quantize_shape, ops::quantize_eval));
  EXPECT_EQ(h16.out<int16_t>(), (std::vector<int16_t>{-100, 75}));
}

TEST(ElementwiseOp, QuantizeShapeErrors) {
  struct Case {
    DType in, out;
    std::optional<ir::Quantization> q;
    StatusCode code;
    std::string_view fragment;
  };
  const Case cases[] = {
      {DType::kFloat32, DType::kInt8, std::nullopt, StatusCode::kInvalidArgument, "exactly one scale"},
      {DType::kFloat32, DType::kInt8, quantization({0.1f, 0.2f}, {0, 0}), StatusCode::kInvalidArgument,
       "exactly one scale"},
      {DType::kFloat32, DType::kInt8, quantization({0.0f}, {0}), StatusCode::kInvalidArgument, "scale 0"},
      {DType::kFloat32, DType::kInt8, quantization({0.1f}, {128}), StatusCode::kInvalidArgument, "zero point 128"},
      {DType::kFloat32, DType::kUInt8, quantization({0.1f}, {-1}), StatusCode::kInvalidArgument, "zero point -1"},
      {DType::kFloat32, DType::kInt16, quantization({0.1f}, {1}), StatusCode::kInvalidArgument, "zero point 1"},
      {DType::kFloat32, DType::kFloat16, quantization({0.1f}, {0}), StatusCode::kUnsupported, "float16"},
      {DType::kInt8, DType::kInt8, quantization({0.1f}, {0}), StatusCode::kInvalidArgument,
       "'in0' (int8) has no quantization parameters"},
      {DType::kInt32, DType::kInt8, quantization({0.1f}, {0}), StatusCode::kUnsupported, "dtype int32"},
  };
  for (const Case& c : cases) {
    OpHarness h(tflite::BuiltinOperator_QUANTIZE);
    h.input<uint8_t>(c.in, {4}, std::vector<uint8_t>(4 * dtype_size(c.in)));
    h.output(c.out);
    h.last().quantization = c.q;
    expect_error(h.shape(ops::quantize_shape), c.code, c.fragment);
  }
}

TEST(ElementwiseOp, DequantizeFloat16AndPerChannel) {
  OpHarness f16(tflite::BuiltinOperator_DEQUANTIZE);
  f16.output(DType::kFloat32);
  f16.input<uint16_t>(DType::kFloat16, {3}, {0x3c00, 0xb800, 0x7c00});
  ASSERT_OK(f16.run(ops::dequantize_shape, ops::dequantize_eval));
  EXPECT_EQ(f16.out(), (std::vector<float>{1.0f, -0.5f, kInf}));

  OpHarness pc(tflite::BuiltinOperator_DEQUANTIZE);  // (2, 3) int8, per channel along axis 1
  pc.output(DType::kFloat32);
  pc.input<int8_t>(DType::kInt8, {2, 3}, {1, 2, 3, -1, -2, -3});
  ir::Tensor& in = pc.last();
  in.quantization = quantization({0.5f, 1.0f, 2.0f}, {0, 1, -1}, 1);
  ASSERT_OK(pc.run(ops::dequantize_shape, ops::dequantize_eval));
  EXPECT_EQ(pc.out_shape(), (ir::Shape{2, 3}));
  EXPECT_EQ(pc.out(), (std::vector<float>{0.5f, 1, 8, -0.5f, -3, -4}));

  OpHarness pt(tflite::BuiltinOperator_DEQUANTIZE);  // uint8 per tensor
  pt.output(DType::kFloat32);
  pt.input<uint8_t>(DType::kUInt8, {3}, {0, 128, 255});
  ir::Tensor& u = pt.last();
  u.quantization = quantization({0.5f}, {128});
  ASSERT_OK(pt.run(ops::dequantize_shape, ops::dequantize_eval));
  EXPECT_EQ(pt.out(), (std::vector<float>{-64, 0, 63.5f}));
}

TEST(ElementwiseOp, DequantizeShapeErrors) {
  struct Case {
    DType in;
    std::optional<ir::Quantization> q;
    StatusCode code;
    std::string_view fragment;
  };
  const Case cases[] = {
      {DType::kInt8, std::nullopt, StatusCode::kInvalidArgument, "has no quantization scale"},
      {DType::kInt8, quantization({0.1f}, {}), StatusCode::kInvalidArgument, "1 scales but 0 zero points"},
      {DType::kInt8, quantization({0.1f, 0.2f}, {0, 0}, 2), StatusCode::kInvalidArgument, "axis 2, outside its rank 2"},
      {DType::kInt8, quantization({0.1f, 0.2f, 0.3f}, {0, 0, 0}, 1), StatusCode::kInvalidArgument,
       "3 scales, but its dim 1"},
      {DType::kInt8, quantization({-0.1f}, {0}), StatusCode::kInvalidArgument, "scale -0.1"},
      {DType::kInt8, quantization({0.1f}, {200}), StatusCode::kInvalidArgument, "zero point 200"},
      {DType::kInt16, quantization({0.1f}, {3}), StatusCode::kInvalidArgument, "zero point 3"},
      {DType::kFloat32, quantization({0.1f}, {0}), StatusCode::kUnsupported, "dtype float32"},
      {DType::kInt32, quantization({0.1f}, {0}), StatusCode::kUnsupported, "dtype int32"},
  };
  for (const Case& c : cases) {
    OpHarness h(tflite::BuiltinOperator_DEQUANTIZE);
    h.output(DType::kFloat32);
    h.input<uint8_t>(c.in, {2, 2}, std::vector<uint8_t>(4 * dtype_size(c.in)));
    ir::Tensor& in = h.last();
    in.quantization = c.q;
    expect_error(h.shape(ops::dequantize_shape), c.code, c.fragment);
  }
}

std::unique_ptr<tflite::DimensionMetadataT> dense_metadata(int32_t size) {
  auto m = std::make_unique<tflite::DimensionMetadataT>();
  m->format = tflite::DimensionType_DENSE;
  m->dense_size = size;
  return m;
}

// CSR metadata with segments as uint8 and indices as uint16 (the narrow index
// types of the format).
std::unique_ptr<tflite::DimensionMetadataT> csr_metadata(std::vector<uint8_t> segments,
                                                         std::vector<uint16_t> indices) {
  auto m = std::make_unique<tflite::DimensionMetadataT>();
  m->format = tflite::DimensionType_SPARSE_CSR;
  tflite::Uint8VectorT s;
  s.values = std::move(segments);
  m->array_segments.Set(std::move(s));
  tflite::Uint16VectorT i;
  i.values = std::move(indices);
  m->array_indices.Set(std::move(i));
  return m;
}

std::shared_ptr<const tflite::SparsityParametersT> csr_4x4_sparsity() {
  auto s = std::make_shared<tflite::SparsityParametersT>();
  s->traversal_order = {0, 1};
  s->dim_metadata.push_back(dense_metadata(4));
  s->dim_metadata.push_back(csr_metadata({0, 2, 2, 4, 5}, {0, 2, 1, 3, 0}));
  return s;
}

TEST(ElementwiseOp, DensifyConvertsTheSchemaFormat) {
  OpHarness h(tflite::BuiltinOperator_DENSIFY);
  // float16 values 1, 2, 3, 4, 5.
  h.input<uint16_t>(DType::kFloat16, {4, 4}, {0x3c00, 0x4000, 0x4200, 0x4400, 0x4500});
  ir::Tensor& in = h.last();
  in.sparsity = csr_4x4_sparsity();
  h.output(DType::kFloat16);
  ASSERT_OK(h.run(ops::densify_shape, ops::densify_eval));
  EXPECT_EQ(h.out_shape(), (ir::Shape{4, 4}));
  EXPECT_EQ(h.out<uint16_t>(),
            (std::vector<uint16_t>{0x3c00, 0, 0x4000, 0, 0, 0, 0, 0, 0, 0x4200, 0, 0x4400, 0x4500, 0, 0, 0}));
}

TEST(ElementwiseOp, DensifyShapeErrors) {
  {
    OpHarness h(tflite::BuiltinOperator_DENSIFY);
    h.output(DType::kFloat32);
    h.f32({2}, {1, 2});
    expect_error(h.shape(ops::densify_shape), StatusCode::kInvalidArgument, "carries no sparsity parameters");
  }
  {
    OpHarness h(tflite::BuiltinOperator_DENSIFY);
    h.output(DType::kFloat32);
    h.f32({5, 4}, {1, 2, 3, 4, 5});  // the metadata describes 4x4
    ir::Tensor& in = h.last();
    in.sparsity = csr_4x4_sparsity();
    expect_error(h.shape(ops::densify_shape), StatusCode::kInvalidArgument, "invalid sparsity: level 0: dense_size 4");
  }
  {
    OpHarness h(tflite::BuiltinOperator_DENSIFY);
    h.input<int32_t>(DType::kInt32, {4, 4}, {1, 2, 3, 4, 5});
    ir::Tensor& in = h.last();
    in.sparsity = csr_4x4_sparsity();
    h.output(DType::kInt32);
    expect_error(h.shape(ops::densify_shape), StatusCode::kUnsupported, "dtype int32");
  }
  {
    OpHarness h(tflite::BuiltinOperator_DENSIFY);
    h.output(DType::kFloat32);
    h.input<int8_t>(DType::kInt8, {4, 4}, {1, 2, 3, 4, 5});
    ir::Tensor& in = h.last();
    in.sparsity = csr_4x4_sparsity();
    expect_error(h.shape(ops::densify_shape), StatusCode::kInvalidArgument, "output has dtype float32, expected int8");
  }
}

}  // namespace
}  // namespace tfc
