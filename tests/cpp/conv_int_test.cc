// Tests of the integer (int8, int16x8) and hybrid kernels of the conv family
// (kernels/conv_int.h, kernels/hybrid_ref.h) run through ops/conv_ops.cc with
// OpHarness. Expected values come from the real-number formula: operands
// dequantized, the float kernel or a loop written here, the result quantized
// with the output's scale and zero point and clamped to the activation's
// range. The fixed-point rescale of LiteRT (double rounding, Q31 multiplier)
// may differ from that by one step near a tie, so random cases allow one step
// and hand-worked cases pin the exact rounding. Also: every validation error.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <tuple>
#include <vector>

#include "kernels/conv_int.h"
#include "kernels/conv_ref.h"
#include "kernels/hybrid_ref.h"
#include "ops/registry.h"
#include "op_harness.h"
#include "test_util.h"

namespace tfc {
namespace {

using kernels::Activation;
using test::OpHarness;

// ---- helpers ----------------------------------------------------------------

template <typename T>
std::vector<T> random_ints(size_t n, int lo, int hi, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> dist(lo, hi);
  std::vector<T> v(n);
  for (T& x : v) x = static_cast<T>(dist(rng));
  return v;
}

template <typename T>
std::vector<float> dequantize(const std::vector<T>& q, float scale, int32_t zp) {
  std::vector<float> v(q.size());
  for (size_t i = 0; i < q.size(); ++i) v[i] = (static_cast<float>(q[i]) - zp) * scale;
  return v;
}

// Per-channel weights dequantized along `axis` of a rank-4 (or rank-2) tensor.
std::vector<float> dequantize_weights(const std::vector<int8_t>& q, const ir::Shape& shape, int axis,
                                      const std::vector<float>& scales) {
  int64_t inner = 1;
  for (size_t d = axis + 1; d < shape.size(); ++d) inner *= shape[d];
  std::vector<float> v(q.size());
  for (size_t i = 0; i < q.size(); ++i) {
    const size_t c = scales.size() == 1 ? 0 : (i / inner) % shape[axis];
    v[i] = static_cast<float>(q[i]) * scales[c];
  }
  return v;
}

// The real result quantized and clamped as the activation's range.
template <typename T>
std::vector<int32_t> quantize_real(const std::vector<float>& real, float scale, int32_t zp, Activation a) {
  const kernels::IntRange r = kernels::activation_range<T>(a, scale, zp);
  std::vector<int32_t> q(real.size());
  for (size_t i = 0; i < real.size(); ++i) {
    const double v = std::round(static_cast<double>(real[i]) / scale) + zp;
    q[i] = static_cast<int32_t>(std::clamp<double>(v, r.min, r.max));
  }
  return q;
}

// Largest |got - want| in steps, and the fraction equal.
template <typename T>
std::pair<int32_t, double> step_diff(const std::vector<T>& got, const std::vector<int32_t>& want) {
  EXPECT_EQ(got.size(), want.size());
  int32_t worst = 0;
  size_t same = 0;
  for (size_t i = 0; i < std::min(got.size(), want.size()); ++i) {
    worst = std::max(worst, std::abs(int32_t{got[i]} - want[i]));
    same += got[i] == want[i];
  }
  return {worst, want.empty() ? 1.0 : static_cast<double>(same) / want.size()};
}

void set_per_channel(OpHarness& h, const std::vector<float>& scales, int axis) {
  ir::Quantization q;
  q.scale = scales;
  q.zero_point.assign(scales.size(), 0);
  q.axis = axis;
  h.last().quantization = q;
}

tflite::Conv2DOptionsT conv_opts(tflite::Padding pad, int sh, int sw, tflite::ActivationFunctionType act =
                                                                          tflite::ActivationFunctionType_NONE,
                                 int dh = 1, int dw = 1) {
  tflite::Conv2DOptionsT o;
  o.padding = pad;
  o.stride_h = sh;
  o.stride_w = sw;
  o.dilation_h_factor = dh;
  o.dilation_w_factor = dw;
  o.fused_activation_function = act;
  return o;
}

tflite::DepthwiseConv2DOptionsT dw_opts(tflite::Padding pad, int s, tflite::ActivationFunctionType act =
                                                                        tflite::ActivationFunctionType_NONE) {
  tflite::DepthwiseConv2DOptionsT o;
  o.padding = pad;
  o.stride_h = o.stride_w = s;
  o.dilation_h_factor = o.dilation_w_factor = 1;
  o.fused_activation_function = act;
  return o;
}

tflite::Pool2DOptionsT pool_opts(tflite::Padding pad, int s, int f, tflite::ActivationFunctionType act =
                                                                        tflite::ActivationFunctionType_NONE) {
  tflite::Pool2DOptionsT o;
  o.padding = pad;
  o.stride_h = o.stride_w = s;
  o.filter_height = o.filter_width = f;
  o.fused_activation_function = act;
  return o;
}

// ---- CONV_2D int8 -------------------------------------------------------------

// Random int8 conv with per-channel weights and a bias, against the real formula.
void check_conv_int8(tflite::Conv2DOptionsT o, ir::Shape in_shape, ir::Shape f_shape, uint32_t seed,
                     kernels::Requantization arithmetic = kernels::Requantization::kFixedPoint) {
  const float in_scale = 0.037f, out_scale = 0.11f;
  const int32_t in_zp = -7, out_zp = 5;
  const int32_t oc = f_shape[0];
  std::vector<float> w_scales(oc);
  for (int32_t c = 0; c < oc; ++c) w_scales[c] = 0.01f + 0.003f * c;
  const auto x = random_ints<int8_t>(ir::num_elements(in_shape), -128, 127, seed);
  const auto w = random_ints<int8_t>(ir::num_elements(f_shape), -127, 127, seed + 1);
  const auto b = random_ints<int32_t>(oc, -3000, 3000, seed + 2);

  OpHarness h(tflite::BuiltinOperator_CONV_2D);
  h.arithmetic(arithmetic);
  h.output(DType::kInt8).quantized(out_scale, out_zp);
  h.options(o);
  h.input(DType::kInt8, in_shape, x).quantized(in_scale, in_zp);
  h.input(DType::kInt8, f_shape, w);
  set_per_channel(h, w_scales, 0);
  h.input(DType::kInt32, {oc}, b);
  ASSERT_OK(h.run(ops::conv2d_shape, ops::conv2d_eval));

  // Real formula: the float kernel on dequantized operands.
  std::vector<float> bias_real(oc);
  for (int32_t c = 0; c < oc; ++c) bias_real[c] = static_cast<float>(b[c] * (double(in_scale) * w_scales[c]));
  const auto xr = dequantize(x, in_scale, in_zp);
  const auto wr = dequantize_weights(w, f_shape, 0, w_scales);
  std::vector<float> real(ir::num_elements(h.out_shape()));
  kernels::ConvParams p{static_cast<kernels::Padding>(o.padding), o.stride_h, o.stride_w, o.dilation_h_factor,
                        o.dilation_w_factor, Activation::kNone};
  kernels::conv2d(p, xr.data(), in_shape, wr.data(), f_shape, bias_real.data(), real.data(), h.out_shape());
  const auto want = quantize_real<int8_t>(real, out_scale, out_zp, static_cast<Activation>(o.fused_activation_function));
  const auto [worst, exact] = step_diff(h.out<int8_t>(), want);
  EXPECT_LE(worst, 1);
  EXPECT_GE(exact, 0.9);
}

TEST(ConvInt8, PerChannelValidMatchesRealFormula) {
  check_conv_int8(conv_opts(tflite::Padding_VALID, 1, 1), {1, 5, 5, 3}, {4, 3, 3, 3}, 1);
}

TEST(ConvInt8, SameStrideDilationBatchReluMatchRealFormula) {
  check_conv_int8(conv_opts(tflite::Padding_SAME, 2, 1, tflite::ActivationFunctionType_RELU), {2, 6, 5, 2},
                  {3, 2, 3, 2}, 7);
  check_conv_int8(conv_opts(tflite::Padding_SAME, 1, 1, tflite::ActivationFunctionType_RELU6, 2, 2), {1, 6, 6, 2},
                  {2, 3, 3, 2}, 9);
}

TEST(ConvInt8, GroupedMatchesRealFormula) {
  check_conv_int8(conv_opts(tflite::Padding_VALID, 1, 1), {1, 4, 4, 4}, {4, 2, 2, 2}, 11);
}

// 1x1 conv, hand-worked: input zero point 1, scale 0.5; weights per channel
// (0.25, 0.5); output scale 1, zero point -3.
// Channel 0: (3-1)*0.5 * 4*0.25 + bias 4*0.125 = 1 + 0.5 = 1.5 -> 2 - 3 = -1.
// Channel 1: (3-1)*0.5 * (-6)*0.5 + bias 0 = -3 -> -3 - 3 = -6.
TEST(ConvInt8, HandWorkedPerChannelWithZeroPoints) {
  OpHarness h(tflite::BuiltinOperator_CONV_2D);
  h.output(DType::kInt8).quantized(1.0f, -3);
  h.options(conv_opts(tflite::Padding_VALID, 1, 1));
  h.input(DType::kInt8, {1, 1, 1, 1}, std::vector<int8_t>{3}).quantized(0.5f, 1);
  h.input(DType::kInt8, {2, 1, 1, 1}, std::vector<int8_t>{4, -6});
  set_per_channel(h, {0.25f, 0.5f}, 0);
  h.input(DType::kInt32, {2}, std::vector<int32_t>{4, 0});
  ASSERT_OK(h.run(ops::conv2d_shape, ops::conv2d_eval));
  EXPECT_EQ(h.out<int8_t>(), (std::vector<int8_t>{-1, -6}));
}

// M = 0.25 (all scales 1 but the weights' 0.25): LiteRT's int32 rescale
// rounds twice (high multiply, then shift). acc 1 (0.25): the high multiply
// rounds 0.5 up to 1, the shift keeps 1, where one rounding would give 0;
// acc -1: the high multiply's nudge rounds -0.5 to 0. acc 2 (0.5) -> 1,
// acc 3 (0.75) -> 1.
TEST(ConvInt8, RescaleRoundsTwiceLikeLiteRT) {
  OpHarness h(tflite::BuiltinOperator_CONV_2D);
  h.output(DType::kInt8).quantized(1.0f, 0);
  h.options(conv_opts(tflite::Padding_VALID, 1, 1));
  h.input(DType::kInt8, {1, 1, 4, 1}, std::vector<int8_t>{1, -1, 2, 3}).quantized(1.0f, 0);
  h.input(DType::kInt8, {1, 1, 1, 1}, std::vector<int8_t>{1}).quantized(0.25f, 0);
  ASSERT_OK(h.run(ops::conv2d_shape, ops::conv2d_eval));
  EXPECT_EQ(h.out<int8_t>(), (std::vector<int8_t>{1, 0, 1, 1}));
}

// RELU6 with output scale 0.1, zero point -10: range [q(0), q(6)] = [-10, 50];
// NONE saturates at int8's ends.
TEST(ConvInt8, ActivationClampsToQuantizedRange) {
  for (auto [act, lo, hi] : {std::tuple{tflite::ActivationFunctionType_RELU6, -10, 50},
                             std::tuple{tflite::ActivationFunctionType_RELU, -10, 127},
                             std::tuple{tflite::ActivationFunctionType_RELU_N1_TO_1, -20, 0},
                             std::tuple{tflite::ActivationFunctionType_NONE, -128, 127}}) {
    OpHarness h(tflite::BuiltinOperator_CONV_2D);
    h.output(DType::kInt8).quantized(0.1f, -10);
    h.options(conv_opts(tflite::Padding_VALID, 1, 1, act));
    // Real values -100, -0.5, 0.3, 100.
    h.input(DType::kInt8, {1, 1, 4, 1}, std::vector<int8_t>{-100, -1, 1, 100}).quantized(1.0f, 0);
    h.input(DType::kInt8, {1, 1, 1, 1}, std::vector<int8_t>{1}).quantized(1.0f, 0);
    h.input(DType::kInt32, {1}, std::vector<int32_t>{0});
    h.last().dtype = DType::kInt32;
    ASSERT_OK(h.run(ops::conv2d_shape, ops::conv2d_eval));
    const auto out = h.out<int8_t>();
    // Unclamped: -100/0.1 - 10 -> -1010, -1 -> -20, 1 -> 0, 100 -> 990.
    const std::vector<int32_t> raw{-1010, -20, 0, 990};
    for (size_t i = 0; i < out.size(); ++i) EXPECT_EQ(out[i], std::clamp(raw[i], lo, hi)) << i;
  }
}

// ---- CONV_2D int16x8 -------------------------------------------------------------

// M = 0.25 again: an int64 bias selects LiteRT's int64 rescale (Q15
// multiplier, one rounding, halves up): acc -2 -> 0 and 2 -> 1, acc 1 -> 0.
// An int32 bias keeps the int32 double-rounding rescale: -2 -> -1, 1 -> 1.
TEST(ConvInt16, BiasDtypePicksTheAccumulatorAndItsRounding) {
  for (DType bias : {DType::kInt64, DType::kInt32}) {
    OpHarness h(tflite::BuiltinOperator_CONV_2D);
    h.output(DType::kInt16).quantized(1.0f, 0);
    h.options(conv_opts(tflite::Padding_VALID, 1, 1));
    h.input(DType::kInt16, {1, 1, 3, 1}, std::vector<int16_t>{-2, 2, 1}).quantized(1.0f, 0);
    h.input(DType::kInt8, {1, 1, 1, 1}, std::vector<int8_t>{1}).quantized(0.25f, 0);
    if (bias == DType::kInt64) h.i64({1}, {0});
    else h.i32({1}, {0});
    ASSERT_OK(h.run(ops::conv2d_shape, ops::conv2d_eval));
    if (bias == DType::kInt64) EXPECT_EQ(h.out<int16_t>(), (std::vector<int16_t>{0, 1, 0}));
    else EXPECT_EQ(h.out<int16_t>(), (std::vector<int16_t>{-1, 1, 1}));
  }
}

TEST(ConvInt16, PerChannelMatchesRealFormula) {
  const ir::Shape in_shape{1, 5, 4, 2}, f_shape{3, 3, 3, 2};
  const auto x = random_ints<int16_t>(40, -30000, 30000, 3);
  const auto w = random_ints<int8_t>(54, -127, 127, 4);
  const std::vector<float> ws{0.002f, 0.003f, 0.0045f};
  const float in_scale = 0.0003f, out_scale = 0.0021f;
  OpHarness h(tflite::BuiltinOperator_CONV_2D);
  h.output(DType::kInt16).quantized(out_scale, 0);
  h.options(conv_opts(tflite::Padding_SAME, 1, 1, tflite::ActivationFunctionType_RELU));
  h.input(DType::kInt16, in_shape, x).quantized(in_scale, 0);
  h.input(DType::kInt8, f_shape, w);
  set_per_channel(h, ws, 0);
  h.i64({3}, {100000, -5000, 0});
  ASSERT_OK(h.run(ops::conv2d_shape, ops::conv2d_eval));
  std::vector<float> br{static_cast<float>(100000 * double(in_scale) * ws[0]),
                        static_cast<float>(-5000 * double(in_scale) * ws[1]), 0.0f};
  const auto xr = dequantize(x, in_scale, 0);
  const auto wr = dequantize_weights(w, f_shape, 0, ws);
  std::vector<float> real(ir::num_elements(h.out_shape()));
  kernels::conv2d({kernels::Padding::kSame, 1, 1, 1, 1, Activation::kNone}, xr.data(), in_shape, wr.data(), f_shape,
                  br.data(), real.data(), h.out_shape());
  const auto [worst, exact] = step_diff(h.out<int16_t>(), quantize_real<int16_t>(real, out_scale, 0, Activation::kRelu));
  EXPECT_LE(worst, 1);
  EXPECT_GE(exact, 0.9);
}

// ---- DEPTHWISE_CONV_2D ------------------------------------------------------------

template <typename T, typename B>
void check_depthwise(DType dt, DType bias_dt, int32_t in_zp, int32_t out_zp, float in_scale, float out_scale,
                     int lo, int hi, uint32_t seed,
                     kernels::Requantization arithmetic = kernels::Requantization::kFixedPoint) {
  const ir::Shape in_shape{2, 5, 5, 2}, f_shape{1, 3, 3, 4};  // multiplier 2
  const auto x = random_ints<T>(ir::num_elements(in_shape), lo, hi, seed);
  const auto w = random_ints<int8_t>(36, -127, 127, seed + 1);
  const std::vector<float> ws{0.01f, 0.02f, 0.015f, 0.005f};
  const std::vector<B> b{B{200}, B{-300}, B{0}, B{50}};
  OpHarness h(tflite::BuiltinOperator_DEPTHWISE_CONV_2D);
  h.arithmetic(arithmetic);
  h.output(dt).quantized(out_scale, out_zp);
  h.options(dw_opts(tflite::Padding_SAME, 2, tflite::ActivationFunctionType_RELU6));
  h.input(dt, in_shape, x).quantized(in_scale, in_zp);
  h.input(DType::kInt8, f_shape, w);
  set_per_channel(h, ws, 3);
  h.input(bias_dt, {4}, b);
  ASSERT_OK(h.run(ops::depthwise_conv2d_shape, ops::depthwise_conv2d_eval));
  std::vector<float> br(4);
  for (int c = 0; c < 4; ++c) br[c] = static_cast<float>(double(b[c]) * in_scale * ws[c]);
  const auto xr = dequantize(x, in_scale, in_zp);
  const auto wr = dequantize_weights(w, f_shape, 3, ws);
  std::vector<float> real(ir::num_elements(h.out_shape()));
  kernels::depthwise_conv2d({kernels::Padding::kSame, 2, 2, 1, 1, Activation::kNone}, xr.data(), in_shape, wr.data(),
                            f_shape, br.data(), real.data(), h.out_shape());
  const auto [worst, exact] = step_diff(h.out<T>(), quantize_real<T>(real, out_scale, out_zp, Activation::kRelu6));
  EXPECT_LE(worst, 1);
  EXPECT_GE(exact, 0.9);
}

TEST(DepthwiseInt8, PerChannelMultiplierTwoMatchesRealFormula) {
  check_depthwise<int8_t, int32_t>(DType::kInt8, DType::kInt32, 3, -20, 0.05f, 0.04f, -128, 127, 21);
}

TEST(DepthwiseInt16, PerChannelMatchesRealFormula) {
  check_depthwise<int16_t, int64_t>(DType::kInt16, DType::kInt64, 0, 0, 0.0002f, 0.0003f, -20000, 20000, 23);
}

// ---- FULLY_CONNECTED --------------------------------------------------------------

template <typename T, typename B>
void check_fc(DType dt, DType bias_dt, std::vector<float> ws, bool keep_num_dims, int32_t in_zp, int32_t out_zp,
              float in_scale, float out_scale, int lo, int hi,
              kernels::Requantization arithmetic = kernels::Requantization::kFixedPoint) {
  const int32_t units = 3, depth = 5;
  const ir::Shape in_shape = keep_num_dims ? ir::Shape{2, 2, depth} : ir::Shape{4, depth};
  const auto x = random_ints<T>(4 * depth, lo, hi, 31);
  const auto w = random_ints<int8_t>(units * depth, -127, 127, 32);
  const std::vector<B> b{B{500}, B{-700}, B{3}};
  tflite::FullyConnectedOptionsT o;
  o.keep_num_dims = keep_num_dims;
  o.fused_activation_function = tflite::ActivationFunctionType_RELU;
  OpHarness h(tflite::BuiltinOperator_FULLY_CONNECTED);
  h.arithmetic(arithmetic);
  h.output(dt).quantized(out_scale, out_zp);
  h.options(o);
  h.input(dt, in_shape, x).quantized(in_scale, in_zp);
  h.input(DType::kInt8, {units, depth}, w);
  set_per_channel(h, ws, 0);
  h.input(bias_dt, {units}, b);
  ASSERT_OK(h.run(ops::fully_connected_shape, ops::fully_connected_eval));
  EXPECT_EQ(h.out_shape(), keep_num_dims ? (ir::Shape{2, 2, units}) : (ir::Shape{4, units}));
  std::vector<float> real(4 * units);
  for (int r = 0; r < 4; ++r)
    for (int u = 0; u < units; ++u) {
      const float s = ws.size() == 1 ? ws[0] : ws[u];
      double acc = double(b[u]) * in_scale * s;
      for (int d = 0; d < depth; ++d) acc += (double(x[r * depth + d]) - in_zp) * in_scale * w[u * depth + d] * s;
      real[r * units + u] = static_cast<float>(acc);
    }
  const auto [worst, exact] = step_diff(h.out<T>(), quantize_real<T>(real, out_scale, out_zp, Activation::kRelu));
  EXPECT_LE(worst, 1);
  EXPECT_GE(exact, 0.9);
}

TEST(FullyConnectedInt8, PerTensorAndPerChannelMatchRealFormula) {
  check_fc<int8_t, int32_t>(DType::kInt8, DType::kInt32, {0.02f}, false, -5, 7, 0.03f, 0.05f, -128, 127);
  check_fc<int8_t, int32_t>(DType::kInt8, DType::kInt32, {0.02f, 0.01f, 0.04f}, true, 9, -2, 0.03f, 0.05f, -128, 127);
}

TEST(FullyConnectedInt16, Int64AndInt32BiasMatchRealFormula) {
  check_fc<int16_t, int64_t>(DType::kInt16, DType::kInt64, {0.02f}, false, 0, 0, 0.001f, 0.002f, -30000, 30000);
  check_fc<int16_t, int32_t>(DType::kInt16, DType::kInt32, {0.02f, 0.01f, 0.04f}, true, 0, 0, 0.001f, 0.002f, -3000,
                             3000);
}

// ---- Pools ---------------------------------------------------------------------------

// Sums 5 and -5 over 2 taps round away from zero (3, -3); 4/2 = 2; a window of
// 3 taps summing 4 gives 1 (1.33).
TEST(AveragePoolInt8, RoundsHalfAwayFromZero) {
  OpHarness h(tflite::BuiltinOperator_AVERAGE_POOL_2D);
  h.output(DType::kInt8).quantized(0.5f, 1);
  h.options(pool_opts(tflite::Padding_VALID, 1, 1));
  tflite::Pool2DOptionsT o = pool_opts(tflite::Padding_VALID, 2, 2);
  o.filter_height = 1;
  o.stride_h = 1;
  h.options(o);
  h.input(DType::kInt8, {1, 2, 4, 1}, std::vector<int8_t>{2, 3, 1, 1, -2, -3, 4, -2}).quantized(0.5f, 1);
  ASSERT_OK(h.run(ops::average_pool2d_shape, ops::average_pool2d_eval));
  EXPECT_EQ(h.out<int8_t>(), (std::vector<int8_t>{3, 1, -3, 1}));
}

TEST(AveragePoolInt16, SamePaddingCountsOnlyInsideTapsAndClamps) {
  OpHarness h(tflite::BuiltinOperator_AVERAGE_POOL_2D);
  h.output(DType::kInt16).quantized(0.01f, 0);
  h.options(pool_opts(tflite::Padding_SAME, 2, 2, tflite::ActivationFunctionType_RELU_N1_TO_1));
  // 3x3 input: windows {0,1,3,4}, {2,5}, {6,7}, {8}.
  h.input(DType::kInt16, {1, 3, 3, 1}, std::vector<int16_t>{10, 20, 301, 30, 40, 300, -500, -503, 77})
      .quantized(0.01f, 0);
  ASSERT_OK(h.run(ops::average_pool2d_shape, ops::average_pool2d_eval));
  // 25; 300.5 -> 301 clamped to 100; -501.5 -> -502 clamped to -100; 77.
  EXPECT_EQ(h.out<int16_t>(), (std::vector<int16_t>{25, 100, -100, 77}));
}

TEST(MaxPoolInt8, MaxThenActivationClamp) {
  OpHarness h(tflite::BuiltinOperator_MAX_POOL_2D);
  h.output(DType::kInt8).quantized(0.1f, -20);
  h.options(pool_opts(tflite::Padding_VALID, 2, 2, tflite::ActivationFunctionType_RELU));
  h.input(DType::kInt8, {1, 2, 4, 1}, std::vector<int8_t>{-50, -30, 5, 100, -40, -25, -128, 0}).quantized(0.1f, -20);
  ASSERT_OK(h.run(ops::max_pool2d_shape, ops::max_pool2d_eval));
  EXPECT_EQ(h.out<int8_t>(), (std::vector<int8_t>{-20, 100}));  // max -25 clamped up to q(0) = -20
}

TEST(MaxPoolInt16, Max) {
  OpHarness h(tflite::BuiltinOperator_MAX_POOL_2D);
  h.output(DType::kInt16).quantized(0.5f, 0);
  h.options(pool_opts(tflite::Padding_SAME, 2, 2));
  h.input(DType::kInt16, {1, 1, 3, 1}, std::vector<int16_t>{-32768, -3, 7}).quantized(0.5f, 0);
  ASSERT_OK(h.run(ops::max_pool2d_shape, ops::max_pool2d_eval));
  EXPECT_EQ(h.out<int16_t>(), (std::vector<int16_t>{-3, 7}));
}

// ---- BATCH_MATMUL and TRANSPOSE_CONV ---------------------------------------------------

TEST(BatchMatMulInt8, AdjointsAndZeroPointsMatchRealFormula) {
  for (bool adj_x : {false, true})
    for (bool adj_y : {false, true}) {
      const int m = 2, k = 3, n = 4;
      const auto a = random_ints<int8_t>(2 * m * k, -128, 127, 41);
      const auto b = random_ints<int8_t>(k * n, -128, 127, 42);
      tflite::BatchMatMulOptionsT o;
      o.adj_x = adj_x;
      o.adj_y = adj_y;
      OpHarness h(tflite::BuiltinOperator_BATCH_MATMUL);
      h.output(DType::kInt8).quantized(0.5f, 3);
      h.options(o);
      h.input(DType::kInt8, adj_x ? ir::Shape{2, k, m} : ir::Shape{2, m, k}, a).quantized(0.04f, -3);
      h.input(DType::kInt8, adj_y ? ir::Shape{n, k} : ir::Shape{k, n}, b).quantized(0.05f, 4);
      ASSERT_OK(h.run(ops::batch_matmul_shape, ops::batch_matmul_eval));
      ASSERT_EQ(h.out_shape(), (ir::Shape{2, m, n}));
      std::vector<float> real(2 * m * n);
      for (int bt = 0; bt < 2; ++bt)
        for (int i = 0; i < m; ++i)
          for (int j = 0; j < n; ++j) {
            double acc = 0;
            for (int t = 0; t < k; ++t) {
              const int av = a[bt * m * k + (adj_x ? t * m + i : i * k + t)];
              const int bv = b[adj_y ? j * k + t : t * n + j];
              acc += (av + 3) * 0.04 * (bv - 4) * 0.05;
            }
            real[(bt * m + i) * n + j] = static_cast<float>(acc);
          }
      const auto [worst, exact] = step_diff(h.out<int8_t>(), quantize_real<int8_t>(real, 0.5f, 3, Activation::kNone));
      EXPECT_LE(worst, 1) << adj_x << adj_y;
    }
}

TEST(TransposeConvInt8, MatchesRealFormula) {
  const ir::Shape in_shape{1, 3, 3, 2}, f_shape{2, 3, 3, 2};
  const auto x = random_ints<int8_t>(18, -128, 127, 51);
  const auto w = random_ints<int8_t>(36, -127, 127, 52);
  const std::vector<float> ws{0.01f, 0.02f};
  tflite::TransposeConvOptionsT o;
  o.padding = tflite::Padding_SAME;
  o.stride_h = o.stride_w = 2;
  OpHarness h(tflite::BuiltinOperator_TRANSPOSE_CONV);
  h.output(DType::kInt8).quantized(0.07f, -4);
  h.options(o);
  h.i32({4}, {1, 6, 6, 2});
  h.input(DType::kInt8, f_shape, w);
  set_per_channel(h, ws, 0);
  h.input(DType::kInt8, in_shape, x).quantized(0.03f, 2);
  h.input(DType::kInt32, {2}, std::vector<int32_t>{1000, -1000});
  ASSERT_OK(h.run(ops::transpose_conv_shape, ops::transpose_conv_eval));
  std::vector<float> br{static_cast<float>(1000 * 0.03 * 0.01), static_cast<float>(-1000 * 0.03 * 0.02)};
  const auto xr = dequantize(x, 0.03f, 2);
  const auto wr = dequantize_weights(w, f_shape, 0, ws);
  std::vector<float> real(72);
  kernels::transpose_conv({kernels::Padding::kSame, 2, 2, Activation::kNone}, xr.data(), in_shape, wr.data(), f_shape,
                          br.data(), real.data(), h.out_shape());
  const auto [worst, exact] = step_diff(h.out<int8_t>(), quantize_real<int8_t>(real, 0.07f, -4, Activation::kNone));
  EXPECT_LE(worst, 1);
  EXPECT_GE(exact, 0.9);
}

// ---- Float (XNNPACK-compatible) requantization ------------------------------------------

// The arithmetic alone: float(acc) * scale clamped to [min - zp, max - zp],
// rounded half to even, plus zp.
TEST(FloatRequantization, TiesRoundToEvenAfterClamping) {
  const kernels::IntRange full{-128, 127};
  // acc * 0.5 = 0.5, 1.5, 2.5, -0.5, -1.5, -2.5 -> 0, 2, 2, 0, -2, -2.
  const std::vector<std::pair<int32_t, int32_t>> ties{{1, 0}, {3, 2}, {5, 2}, {-1, 0}, {-3, -2}, {-5, -2}};
  for (auto [acc, want] : ties) EXPECT_EQ(kernels::requantize_float(acc, 0.5f, 0, full), want) << acc;
  // The zero point is added after rounding: 2.5 -> 2, + 7 = 9 (not rne(9.5) = 10).
  EXPECT_EQ(kernels::requantize_float(5, 0.5f, 7, full), 9);
  EXPECT_EQ(kernels::requantize_float(5, 0.5f, -3, full), -1);
  // Clamped in float before rounding: with zp -10 the bounds are [-118, 137];
  // 137.5 clamps to 137 (-> 127), -118.5 clamps to -118 (-> -128).
  EXPECT_EQ(kernels::requantize_float(275, 0.5f, -10, full), 127);
  EXPECT_EQ(kernels::requantize_float(-237, 0.5f, -10, full), -128);
  // A narrower activation range [-10, 50] with zp -10: 60.5 -> 60 -> 50; 0.5 -> 0 -> -10.
  EXPECT_EQ(kernels::requantize_float(121, 0.5f, -10, {-10, 50}), 50);
  EXPECT_EQ(kernels::requantize_float(1, 0.5f, -10, {-10, 50}), -10);
  // Far out of range (and past int32 once scaled) saturates.
  EXPECT_EQ(kernels::requantize_float(std::numeric_limits<int32_t>::max(), 200.0f, 0, full), 127);
  EXPECT_EQ(kernels::requantize_float(std::numeric_limits<int32_t>::min(), 200.0f, 0, full), -128);
  // The accumulator is rounded to float first: 2^24 + 3 becomes 2^24 + 4
  // (tie to even), so * 2^-2 gives 4194305 before clamping to the range.
  EXPECT_EQ(kernels::requantize_float((1 << 24) + 3, 0.25f, 0, {std::numeric_limits<int32_t>::min() + 1,
                                                                 std::numeric_limits<int32_t>::max() - 1}),
            4194305);
}

// The scale is computed in float32, input * weight first, then / output.
TEST(FloatRequantization, ScaleIsFloat32InputTimesWeightOverOutput) {
  const float in = 0.0039215689f, w = 0.0123f, out = 0.0478f;
  const float product = in * w;
  EXPECT_EQ(kernels::float_requant_scale(in, w, out), product / out);
  const auto scales = kernels::conv_float_scales(in, std::vector<float>{w, 2 * w}, out, 2);
  ASSERT_EQ(scales.size(), 2u);
  EXPECT_EQ(scales[0], product / out);
  EXPECT_EQ(scales[1], (in * (2 * w)) / out);
  EXPECT_EQ(kernels::conv_float_scales(in, std::vector<float>{w}, out, 3).size(), 3u);
}

// Activation bounds quantized as rne(bound / scale + zp): RELU_N1_TO_1 with
// scale 2, zp 0 gives rne(-0.5) = 0 and rne(0.5) = 0, where the reference
// range (half away from zero) is [-1, 1]. With zp 1: [rne(0.5), rne(1.5)] = [0, 2].
TEST(FloatRequantization, ActivationRangeRoundsBoundsHalfToEven) {
  const auto f = kernels::activation_range_float<int8_t>(Activation::kReluN1To1, 2.0f, 0);
  EXPECT_EQ(f.min, 0);
  EXPECT_EQ(f.max, 0);
  const auto r = kernels::activation_range<int8_t>(Activation::kReluN1To1, 2.0f, 0);
  EXPECT_EQ(r.min, -1);
  EXPECT_EQ(r.max, 1);
  const auto g = kernels::activation_range_float<int8_t>(Activation::kReluN1To1, 2.0f, 1);
  EXPECT_EQ(g.min, 0);
  EXPECT_EQ(g.max, 2);
  const auto relu6 = kernels::activation_range_float<int8_t>(Activation::kRelu6, 0.1f, -10);
  EXPECT_EQ(relu6.min, -10);
  EXPECT_EQ(relu6.max, 50);
  const auto none = kernels::activation_range_float<int8_t>(Activation::kNone, 0.1f, -10);
  EXPECT_EQ(none.min, -128);
  EXPECT_EQ(none.max, 127);
  const auto relu = kernels::activation_range_float<int8_t>(Activation::kRelu, 1e-3f, 100);
  EXPECT_EQ(relu.min, 100);
  EXPECT_EQ(relu.max, 127);
}

// Through CONV_2D with M = 0.5, inputs 1, 3, 5, -1, -3 (ties 0.5 ... -1.5):
// float rounds them to even (0, 2, 2, 0, -2); the fixed-point high multiply
// rounds positive ties up and negative ties toward zero (1, 2, 3, 0, -1).
TEST(FloatRequantization, ConvTiesDifferFromFixedPoint) {
  auto run = [](kernels::Requantization r) {
    OpHarness h(tflite::BuiltinOperator_CONV_2D);
    h.arithmetic(r);
    h.output(DType::kInt8).quantized(1.0f, 0);
    h.options(conv_opts(tflite::Padding_VALID, 1, 1));
    h.input(DType::kInt8, {1, 1, 5, 1}, std::vector<int8_t>{1, 3, 5, -1, -3}).quantized(1.0f, 0);
    h.input(DType::kInt8, {1, 1, 1, 1}, std::vector<int8_t>{1}).quantized(0.5f, 0);
    EXPECT_TRUE(h.run(ops::conv2d_shape, ops::conv2d_eval).is_ok());
    return h.out<int8_t>();
  };
  EXPECT_EQ(run(kernels::Requantization::kFloat), (std::vector<int8_t>{0, 2, 2, 0, -2}));
  EXPECT_EQ(run(kernels::Requantization::kFixedPoint), (std::vector<int8_t>{1, 2, 3, 0, -1}));
}

// int16x8 ignores the arithmetic (XNNPACK does not take 16x8 ops): M = 0.25,
// int64 bias, one rounding with halves up: acc 2 (0.5) -> 1 either way.
TEST(FloatRequantization, Int16IgnoresTheSetting) {
  for (auto r : {kernels::Requantization::kFloat, kernels::Requantization::kFixedPoint}) {
    OpHarness h(tflite::BuiltinOperator_CONV_2D);
    h.arithmetic(r);
    h.output(DType::kInt16).quantized(1.0f, 0);
    h.options(conv_opts(tflite::Padding_VALID, 1, 1));
    h.input(DType::kInt16, {1, 1, 2, 1}, std::vector<int16_t>{2, 6}).quantized(1.0f, 0);
    h.input(DType::kInt8, {1, 1, 1, 1}, std::vector<int8_t>{1}).quantized(0.25f, 0);
    h.input(DType::kInt64, {1}, std::vector<int64_t>{0});
    ASSERT_OK(h.run(ops::conv2d_shape, ops::conv2d_eval));
    EXPECT_EQ(h.out<int16_t>(), (std::vector<int16_t>{1, 2}));  // 0.5 -> 1, 1.5 -> 2 (halves up)
  }
}

// The random cases of the conv family, float mode: still within one step of
// the real formula (both modes approximate it to within a tie).
TEST(FloatRequantization, ConvDepthwiseFullyConnectedTransposeMatchRealFormula) {
  const auto f = kernels::Requantization::kFloat;
  check_conv_int8(conv_opts(tflite::Padding_VALID, 1, 1), {1, 5, 5, 3}, {4, 3, 3, 3}, 1, f);
  check_conv_int8(conv_opts(tflite::Padding_SAME, 2, 1, tflite::ActivationFunctionType_RELU), {2, 6, 5, 2},
                  {3, 2, 3, 2}, 7, f);
  check_conv_int8(conv_opts(tflite::Padding_VALID, 1, 1), {1, 4, 4, 4}, {4, 2, 2, 2}, 11, f);
  check_depthwise<int8_t, int32_t>(DType::kInt8, DType::kInt32, 3, -20, 0.05f, 0.04f, -128, 127, 21, f);
  check_fc<int8_t, int32_t>(DType::kInt8, DType::kInt32, {0.02f}, false, -5, 7, 0.03f, 0.05f, -128, 127, f);
  check_fc<int8_t, int32_t>(DType::kInt8, DType::kInt32, {0.02f, 0.01f, 0.04f}, true, 9, -2, 0.03f, 0.05f, -128, 127,
                            f);
}

// Float mode against the fixed-point mode on many random per-channel cases:
// never more than one step apart.
TEST(FloatRequantization, WithinOneStepOfFixedPoint) {
  const ir::Shape in_shape{2, 7, 7, 8}, f_shape{16, 3, 3, 8};
  std::vector<float> ws(16);
  for (int c = 0; c < 16; ++c) ws[c] = 0.0007f * (1 + c % 5) + 0.0001f * c;
  const auto x = random_ints<int8_t>(ir::num_elements(in_shape), -128, 127, 61);
  const auto w = random_ints<int8_t>(ir::num_elements(f_shape), -127, 127, 62);
  const auto b = random_ints<int32_t>(16, -20000, 20000, 63);
  auto run = [&](kernels::Requantization r) {
    OpHarness h(tflite::BuiltinOperator_CONV_2D);
    h.arithmetic(r);
    h.output(DType::kInt8).quantized(0.021f, -17);
    h.options(conv_opts(tflite::Padding_SAME, 1, 1, tflite::ActivationFunctionType_RELU6));
    h.input(DType::kInt8, in_shape, x).quantized(0.0392f, 12);
    h.input(DType::kInt8, f_shape, w);
    set_per_channel(h, ws, 0);
    h.input(DType::kInt32, {16}, b);
    EXPECT_TRUE(h.run(ops::conv2d_shape, ops::conv2d_eval).is_ok());
    return h.out<int8_t>();
  };
  const auto a = run(kernels::Requantization::kFloat), f = run(kernels::Requantization::kFixedPoint);
  ASSERT_EQ(a.size(), f.size());
  size_t same = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_LE(std::abs(int{a[i]} - int{f[i]}), 1) << i;
    same += a[i] == f[i];
  }
  EXPECT_GE(static_cast<double>(same) / a.size(), 0.95);
}

// ---- Hybrid -------------------------------------------------------------------------------

// Symmetric row quantization, hand-worked: range 1, q = round(x * 127).
TEST(HybridQuantize, SymmetricAndAsymmetricRows) {
  const std::vector<float> x{1.0f, -0.5f, 0.25f, 0.0f};
  std::vector<int8_t> q(4);
  const kernels::RowQuant s = kernels::quantize_row_symmetric(x.data(), 4, q.data());
  EXPECT_FLOAT_EQ(s.scale, 1.0f / 127);
  EXPECT_EQ(s.zero_point, 0);
  EXPECT_EQ(q, (std::vector<int8_t>{127, -64, 32, 0}));  // -63.5 rounds away from zero
  // Asymmetric: rmin -0.5, rmax 1, scale 1.5/255; zero point from min:
  // -128 + 0.5/scale = -43, so q = round(-43 + x * 170): 127, -128, 8, -43.
  const std::vector<float> y{1.0f, -0.5f, 0.3f, 0.0f};
  const kernels::RowQuant a = kernels::quantize_row_asymmetric(y.data(), 4, q.data());
  EXPECT_FLOAT_EQ(a.scale, static_cast<float>(1.5 / 255));
  EXPECT_EQ(a.zero_point, -43);
  EXPECT_EQ(q, (std::vector<int8_t>{127, -128, 8, -43}));
  // Positive-only row: rmin 0, zero point -128.
  const std::vector<float> pos{0.0f, 2.55f};
  EXPECT_EQ(kernels::quantize_row_asymmetric(pos.data(), 2, q.data()).zero_point, -128);
  EXPECT_EQ(q[0], -128);
  EXPECT_EQ(q[1], 127);
  // All zero: scale 1, q 0.
  const std::vector<float> z(3, 0.0f);
  EXPECT_EQ(kernels::quantize_row_symmetric(z.data(), 3, q.data()).scale, 1.0f);
  EXPECT_EQ(kernels::quantize_row_asymmetric(z.data(), 3, q.data()).scale, 1.0f);
}

// Hybrid FC, hand-worked: x (1, -0.5, 0.25, 0) -> q (127, -64, 32, 0), row
// scale 1/127; weights (2, 1, -4, 3) * 0.5: dot = 254 - 64 - 128 = 62;
// out = 0.25 + 62 * (1/127 * 0.5).
TEST(HybridFullyConnected, SymmetricHandWorked) {
  OpHarness h(tflite::BuiltinOperator_FULLY_CONNECTED);
  h.output(DType::kFloat32);
  h.f32({1, 4}, {1.0f, -0.5f, 0.25f, 0.0f});
  h.input(DType::kInt8, {1, 4}, std::vector<int8_t>{2, 1, -4, 3}).quantized(0.5f, 0);
  h.f32({1}, {0.25f});
  ASSERT_OK(h.run(ops::fully_connected_shape, ops::fully_connected_eval));
  EXPECT_FLOAT_EQ(h.out()[0], 0.25f + 62.0f * (1.0f / 127 * 0.5f));
}

// Asymmetric inputs (the converter's FC option), per channel, batch 3, relu:
// close to the float result on dequantized weights (error below half an input
// step times sum |w|), and equal to the formula written out here.
TEST(HybridFullyConnected, AsymmetricPerChannelMatchesFormula) {
  const int rows = 3, depth = 6, units = 2;
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> d(-2.0f, 3.0f);
  std::vector<float> x(rows * depth);
  for (float& v : x) v = d(rng);
  const auto w = random_ints<int8_t>(units * depth, -127, 127, 6);
  const std::vector<float> ws{0.01f, 0.03f};
  tflite::FullyConnectedOptionsT o;
  o.asymmetric_quantize_inputs = true;
  o.fused_activation_function = tflite::ActivationFunctionType_RELU;
  OpHarness h(tflite::BuiltinOperator_FULLY_CONNECTED);
  h.output(DType::kFloat32);
  h.options(o);
  h.f32({rows, depth}, x);
  h.input(DType::kInt8, {units, depth}, w);
  set_per_channel(h, ws, 0);
  h.f32({units}, {0.5f, -1.0f});
  ASSERT_OK(h.run(ops::fully_connected_shape, ops::fully_connected_eval));
  const auto out = h.out();
  for (int r = 0; r < rows; ++r) {
    std::vector<int8_t> q(depth);
    const kernels::RowQuant rq = kernels::quantize_row_asymmetric(x.data() + r * depth, depth, q.data());
    for (int u = 0; u < units; ++u) {
      int32_t acc = 0;
      double real = u == 0 ? 0.5 : -1.0, wabs = 0;
      for (int k = 0; k < depth; ++k) {
        acc += w[u * depth + k] * (q[k] - rq.zero_point);
        real += double(x[r * depth + k]) * w[u * depth + k] * ws[u];
        wabs += std::abs(w[u * depth + k] * ws[u]);
      }
      const float want = std::max(0.0f, (u == 0 ? 0.5f : -1.0f) + static_cast<float>(acc) * (rq.scale * ws[u]));
      EXPECT_FLOAT_EQ(out[r * units + u], want);
      EXPECT_NEAR(out[r * units + u], std::max(0.0, real), 0.5 * rq.scale * wabs + 1e-6);
    }
  }
}

// Hybrid convs against the float kernels on dequantized weights: per-tensor
// CONV_2D (symmetric inputs), per-channel CONV_2D and DEPTHWISE (asymmetric).
TEST(HybridConv, PerTensorPerChannelAndDepthwiseCloseToFloat) {
  const ir::Shape in_shape{2, 5, 5, 2};
  std::mt19937 rng(8);
  std::uniform_real_distribution<float> d(-1.0f, 2.0f);
  std::vector<float> x(ir::num_elements(in_shape));
  for (float& v : x) v = d(rng);
  for (int variant = 0; variant < 3; ++variant) {
    const bool dw = variant == 2;
    const ir::Shape f_shape = dw ? ir::Shape{1, 3, 3, 2} : ir::Shape{3, 3, 3, 2};
    const int32_t oc = dw ? 2 : 3;
    const std::vector<float> ws = variant == 0 ? std::vector<float>{0.02f} : std::vector<float>(oc, 0.0f);
    std::vector<float> scales = ws;
    if (variant != 0)
      for (int c = 0; c < oc; ++c) scales[c] = 0.01f * (c + 1);
    const auto w = random_ints<int8_t>(ir::num_elements(f_shape), -127, 127, 9 + variant);
    std::vector<float> bias(oc);
    for (int c = 0; c < oc; ++c) bias[c] = 0.1f * c - 0.05f;
    OpHarness h(dw ? tflite::BuiltinOperator_DEPTHWISE_CONV_2D : tflite::BuiltinOperator_CONV_2D);
    h.output(DType::kFloat32);
    if (dw) h.options(dw_opts(tflite::Padding_SAME, 1));
    else h.options(conv_opts(tflite::Padding_SAME, 2, 2, tflite::ActivationFunctionType_RELU6));
    h.f32(in_shape, x);
    h.input(DType::kInt8, f_shape, w);
    set_per_channel(h, scales, dw ? 3 : 0);
    h.f32({oc}, bias);
    ASSERT_OK(h.run(dw ? ops::depthwise_conv2d_shape : ops::conv2d_shape,
                    dw ? ops::depthwise_conv2d_eval : ops::conv2d_eval));
    const auto wr = dequantize_weights(w, f_shape, dw ? 3 : 0, scales);
    std::vector<float> real(ir::num_elements(h.out_shape()));
    if (dw)
      kernels::depthwise_conv2d({kernels::Padding::kSame, 1, 1, 1, 1, Activation::kNone}, x.data(), in_shape,
                                wr.data(), f_shape, bias.data(), real.data(), h.out_shape());
    else
      kernels::conv2d({kernels::Padding::kSame, 2, 2, 1, 1, Activation::kRelu6}, x.data(), in_shape, wr.data(),
                      f_shape, bias.data(), real.data(), h.out_shape());
    const auto out = h.out();
    // Input step (range 3 / 255 or 2 / 127) times the largest sum |w| of a window.
    for (size_t i = 0; i < out.size(); ++i) EXPECT_NEAR(out[i], real[i], 0.5 * (2.0 / 127) * 18 * 127 * 0.03) << i;
  }
}

// Per-channel hybrid conv, hand-worked: one pixel x (-1, 3): asymmetric
// rmin -1, rmax 3, scale 4/255, zero point from min -128 + 63.75 -> -64;
// q = round(-64 + x * 63.75) = (-128, 127) (127.25 rounds to 127);
// weights (1, 1) scale 0.5: acc = (-128 + 64) + (127 + 64) = 127;
// out = 127 * 0.5 * (4/255).
TEST(HybridConv, PerChannelHandWorked) {
  OpHarness h(tflite::BuiltinOperator_CONV_2D);
  h.output(DType::kFloat32);
  h.options(conv_opts(tflite::Padding_VALID, 1, 1));
  h.f32({1, 1, 1, 2}, {-1.0f, 3.0f});
  h.input(DType::kInt8, {2, 1, 1, 2}, std::vector<int8_t>{1, 1, 0, 0});
  set_per_channel(h, {0.5f, 0.25f}, 0);
  ASSERT_OK(h.run(ops::conv2d_shape, ops::conv2d_eval));
  const auto out = h.out();
  EXPECT_FLOAT_EQ(out[0], 127.0f * 0.5f * static_cast<float>(4.0 / 255));
  EXPECT_EQ(out[1], 0.0f);
}

// ---- Errors ------------------------------------------------------------------------------

// An int8 CONV_2D 1x1 with one knob broken by `edit`.
Status conv_int8_with(const std::function<void(OpHarness&, int)>& edit) {
  OpHarness h(tflite::BuiltinOperator_CONV_2D);
  h.output(DType::kInt8).quantized(0.1f, 0);
  edit(h, -1);
  h.options(conv_opts(tflite::Padding_VALID, 1, 1));
  h.input(DType::kInt8, {1, 2, 2, 2}, std::vector<int8_t>(8, 1)).quantized(0.1f, 0);
  edit(h, 0);
  h.input(DType::kInt8, {3, 1, 1, 2}, std::vector<int8_t>(6, 1)).quantized(0.1f, 0);
  edit(h, 1);
  h.input(DType::kInt32, {3}, std::vector<int32_t>(3, 0));
  edit(h, 2);
  return h.shape(ops::conv2d_shape);
}

TEST(ConvIntErrors, QuantizationParametersAreValidated) {
  EXPECT_OK(conv_int8_with([](OpHarness&, int) {}));
  auto at = [](int which, std::function<void(ir::Tensor&)> f) {
    return [which, f](OpHarness& h, int i) {
      if (i == which) f(h.last());
    };
  };
  test::expect_error(conv_int8_with(at(0, [](ir::Tensor& t) { t.quantization.reset(); })), "no quantization");
  test::expect_error(conv_int8_with(at(-1, [](ir::Tensor& t) { t.quantization.reset(); })), "no quantization");
  test::expect_error(conv_int8_with(at(0, [](ir::Tensor& t) { t.quantization->scale = {0.1f, 0.2f}; })),
                     "per tensor");
  test::expect_error(conv_int8_with(at(0, [](ir::Tensor& t) { t.quantization->scale = {-0.1f}; })), "positive");
  test::expect_error(conv_int8_with(at(-1, [](ir::Tensor& t) { t.quantization->scale = {NAN}; })), "positive");
  test::expect_error(conv_int8_with(at(0, [](ir::Tensor& t) { t.quantization->zero_point = {300}; })),
                     "outside int8");
  test::expect_error(conv_int8_with(at(1, [](ir::Tensor& t) { t.quantization->zero_point = {2}; })), "symmetric");
  test::expect_error(conv_int8_with(at(1, [](ir::Tensor& t) { t.quantization->scale = {0.1f, 0.1f}; })),
                     "expected 1 or 3");
  test::expect_error(conv_int8_with(at(1,
                                       [](ir::Tensor& t) {
                                         t.quantization->scale = {0.1f, 0.1f, 0.1f};
                                         t.quantization->zero_point = {0, 0, 0};
                                         t.quantization->axis = 3;
                                       })),
                     "axis 3");
  test::expect_error(conv_int8_with(at(1, [](ir::Tensor& t) { t.quantization->scale = {0.0f}; })), "positive");
  const Status unq = conv_int8_with(at(1, [](ir::Tensor& t) { t.quantization.reset(); }));
  EXPECT_EQ(unq.code(), StatusCode::kUnsupported);
  const Status bias64 = conv_int8_with(at(2, [](ir::Tensor& t) { t.dtype = DType::kInt64; }));
  EXPECT_EQ(bias64.code(), StatusCode::kUnsupported);
  test::expect_error(bias64, "bias");
  test::expect_error(conv_int8_with(at(-1, [](ir::Tensor& t) { t.dtype = DType::kInt16; })), "");
}

TEST(ConvIntErrors, DtypeCombinationsAndActivations) {
  auto conv = [](DType in, DType w, DType out, tflite::ActivationFunctionType act, DType bias = DType::kInt32) {
    OpHarness h(tflite::BuiltinOperator_CONV_2D);
    h.output(out).quantized(0.1f, 0);
    h.options(conv_opts(tflite::Padding_VALID, 1, 1, act));
    h.unknown(in, {1, 2, 2, 1}).quantized(0.1f, 0);
    h.unknown(w, {1, 1, 1, 1}).quantized(0.1f, 0);
    h.unknown(bias, {1});
    return h.shape(ops::conv2d_shape);
  };
  const auto none = tflite::ActivationFunctionType_NONE;
  EXPECT_OK(conv(DType::kInt16, DType::kInt8, DType::kInt16, none, DType::kInt64));
  EXPECT_OK(conv(DType::kInt16, DType::kInt8, DType::kInt16, none, DType::kInt32));
  EXPECT_EQ(conv(DType::kInt8, DType::kUInt8, DType::kInt8, none).code(), StatusCode::kUnsupported);
  EXPECT_EQ(conv(DType::kInt8, DType::kInt16, DType::kInt8, none).code(), StatusCode::kUnsupported);
  EXPECT_EQ(conv(DType::kUInt8, DType::kInt8, DType::kUInt8, none).code(), StatusCode::kUnsupported);
  EXPECT_EQ(conv(DType::kInt8, DType::kFloat32, DType::kInt8, none).code(), StatusCode::kUnsupported);
  EXPECT_EQ(conv(DType::kInt8, DType::kInt8, DType::kInt16, none).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(conv(DType::kInt8, DType::kInt8, DType::kInt8, tflite::ActivationFunctionType_TANH).code(),
            StatusCode::kUnsupported);
  EXPECT_EQ(conv(DType::kFloat32, DType::kInt8, DType::kFloat32, none, DType::kInt32).code(),
            StatusCode::kUnsupported);  // hybrid takes a float bias
  // int16 activations with a zero point.
  OpHarness h(tflite::BuiltinOperator_CONV_2D);
  h.output(DType::kInt16).quantized(0.1f, 0);
  h.options(conv_opts(tflite::Padding_VALID, 1, 1));
  h.unknown(DType::kInt16, {1, 2, 2, 1}).quantized(0.1f, 3);
  h.unknown(DType::kInt8, {1, 1, 1, 1}).quantized(0.1f, 0);
  test::expect_error(h.shape(ops::conv2d_shape), "zero point 0");
}

TEST(DepthwiseIntErrors, Int16TakesOnlyInt64BiasAndAxis3) {
  auto dw = [](DType bias, int axis) {
    OpHarness h(tflite::BuiltinOperator_DEPTHWISE_CONV_2D);
    h.output(DType::kInt16).quantized(0.1f, 0);
    h.options(dw_opts(tflite::Padding_VALID, 1));
    h.unknown(DType::kInt16, {1, 2, 2, 2}).quantized(0.1f, 0);
    h.unknown(DType::kInt8, {1, 1, 1, 2});
    set_per_channel(h, {0.1f, 0.2f}, axis);
    h.unknown(bias, {2});
    return h.shape(ops::depthwise_conv2d_shape);
  };
  EXPECT_OK(dw(DType::kInt64, 3));
  EXPECT_EQ(dw(DType::kInt32, 3).code(), StatusCode::kUnsupported);
  test::expect_error(dw(DType::kInt64, 0), "axis");
}

TEST(PoolIntErrors, InputAndOutputQuantizedAlike) {
  auto pool = [](float out_scale, int out_zp, DType out = DType::kInt8) {
    OpHarness h(tflite::BuiltinOperator_AVERAGE_POOL_2D);
    h.output(out).quantized(out_scale, out_zp);
    h.options(pool_opts(tflite::Padding_VALID, 1, 1));
    h.unknown(DType::kInt8, {1, 2, 2, 1}).quantized(0.1f, 2);
    return h.shape(ops::average_pool2d_shape);
  };
  EXPECT_OK(pool(0.1f, 2));
  test::expect_error(pool(0.2f, 2), "quantized alike");
  test::expect_error(pool(0.1f, 3), "quantized alike");
  EXPECT_FALSE(pool(0.1f, 2, DType::kInt16).is_ok());
  OpHarness h(tflite::BuiltinOperator_MAX_POOL_2D);
  h.output(DType::kInt8);
  h.options(pool_opts(tflite::Padding_VALID, 1, 1));
  h.unknown(DType::kInt8, {1, 2, 2, 1});
  test::expect_error(h.shape(ops::max_pool2d_shape), "no quantization");
}

TEST(OtherIntErrors, BatchMatMulAndTransposeConv) {
  OpHarness b(tflite::BuiltinOperator_BATCH_MATMUL);
  b.output(DType::kInt8).quantized(0.1f, 0);
  b.unknown(DType::kInt8, {2, 3}).quantized(0.1f, 0);
  b.unknown(DType::kInt16, {3, 2}).quantized(0.1f, 0);
  EXPECT_EQ(b.shape(ops::batch_matmul_shape).code(), StatusCode::kUnsupported);

  OpHarness hy(tflite::BuiltinOperator_BATCH_MATMUL);
  hy.output(DType::kFloat32);
  hy.unknown(DType::kFloat32, {2, 3});
  hy.unknown(DType::kInt8, {3, 2}).quantized(0.1f, 0);
  test::expect_error(hy.shape(ops::batch_matmul_shape), "hybrid");

  tflite::TransposeConvOptionsT o;
  o.padding = tflite::Padding_VALID;
  o.stride_h = o.stride_w = 1;
  OpHarness t(tflite::BuiltinOperator_TRANSPOSE_CONV);
  t.output(DType::kFloat32);
  t.options(o);
  t.i32({4}, {1, 2, 2, 1});
  t.unknown(DType::kInt8, {1, 1, 1, 1}).quantized(0.1f, 0);
  t.unknown(DType::kFloat32, {1, 2, 2, 1});
  // Hybrid TRANSPOSE_CONV runs (kernels/hybrid_ref.h); its int8 weights still
  // need quantization parameters.
  const Status ok = t.shape(ops::transpose_conv_shape);
  EXPECT_TRUE(ok.is_ok()) << ok.message();
  OpHarness tu(tflite::BuiltinOperator_TRANSPOSE_CONV);
  tu.output(DType::kFloat32);
  tu.options(o);
  tu.i32({4}, {1, 2, 2, 1});
  tu.unknown(DType::kInt8, {1, 1, 1, 1});
  tu.unknown(DType::kFloat32, {1, 2, 2, 1});
  test::expect_error(tu.shape(ops::transpose_conv_shape), "quantization parameters");
}

TEST(FullyConnectedIntErrors, PerChannelScaleCountAndTanh) {
  auto fc = [](std::vector<float> scales, tflite::ActivationFunctionType act) {
    tflite::FullyConnectedOptionsT o;
    o.fused_activation_function = act;
    OpHarness h(tflite::BuiltinOperator_FULLY_CONNECTED);
    h.output(DType::kInt8).quantized(0.1f, 0);
    h.options(o);
    h.unknown(DType::kInt8, {2, 4}).quantized(0.1f, 0);
    h.unknown(DType::kInt8, {3, 4});
    set_per_channel(h, scales, 0);
    return h.shape(ops::fully_connected_shape);
  };
  EXPECT_OK(fc({0.1f, 0.2f, 0.3f}, tflite::ActivationFunctionType_RELU));
  test::expect_error(fc({0.1f, 0.2f}, tflite::ActivationFunctionType_NONE), "expected 1 or 3");
  EXPECT_EQ(fc({0.1f}, tflite::ActivationFunctionType_TANH).code(), StatusCode::kUnsupported);
}

}  // namespace
}  // namespace tfc
