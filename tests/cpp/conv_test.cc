// Tests of the conv family (kernels/conv_ref.h, ops/conv_ops.cc): hand-worked
// cases for padding, stride, dilation, groups, pooling and activation rules,
// randomized checks against naive double-precision formulas written here
// independently of the kernels, and the shape rules' outputs and errors run
// through an OpContext as the interpreter does. Not here: comparisons against
// LiteRT itself (the acceptance tests do that on converter output).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "kernels/conv_ref.h"
#include "ops/registry.h"
#include "op_harness.h"

namespace tfc {
namespace {

using kernels::Activation;
using kernels::Padding;
using test::OpHarness;

// ---- helpers ----------------------------------------------------------------

std::vector<float> random_values(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

std::vector<float> iota_values(int64_t n, float start = 1.0f) {
  std::vector<float> v(static_cast<size_t>(n));
  for (size_t i = 0; i < v.size(); ++i) v[i] = start + static_cast<float>(i);
  return v;
}

void expect_close(const std::vector<float>& actual, const std::vector<double>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i)
    EXPECT_NEAR(actual[i], expected[i], 1e-5 * std::max(1.0, std::abs(expected[i]))) << "at flat index " << i;
}

void expect_close(const std::vector<float>& actual, const std::vector<float>& expected) {
  expect_close(actual, std::vector<double>(expected.begin(), expected.end()));
}

// The fused activations as TFLite defines them for these float ops.
double activate(double x, Activation a) {
  switch (a) {
    case Activation::kRelu: return std::max(x, 0.0);
    case Activation::kRelu6: return std::min(std::max(x, 0.0), 6.0);
    case Activation::kReluN1To1: return std::min(std::max(x, -1.0), 1.0);
    default: return x;
  }
}

// TensorFlow's SAME rule: out = ceil(in / stride), padding split with the
// smaller half before. VALID pads nothing.
int32_t pad_before(Padding p, int32_t in, int32_t k, int32_t stride, int32_t dilation) {
  if (p == Padding::kValid) return 0;
  const int32_t out = (in + stride - 1) / stride;
  const int32_t total = std::max((out - 1) * stride + (k - 1) * dilation + 1 - in, 0);
  return total / 2;
}

int32_t out_size(Padding p, int32_t in, int32_t k, int32_t stride, int32_t dilation) {
  const int32_t effective = (k - 1) * dilation + 1;
  return p == Padding::kSame ? (in + stride - 1) / stride : (in - effective) / stride + 1;
}

// A rank-4 NHWC buffer read with zeros outside its H and W range.
struct Image {
  const float* data;
  int32_t n, h, w, c;
  double at(int32_t b, int32_t y, int32_t x, int32_t ch) const {
    if (y < 0 || y >= h || x < 0 || x >= w) return 0.0;
    return data[((int64_t{b} * h + y) * w + x) * c + ch];
  }
};

// Naive grouped, dilated conv. filter: (Cout, KH, KW, Cin / groups).
std::vector<double> naive_conv(const std::vector<float>& in, ir::Shape in_shape, const std::vector<float>& filter,
                               ir::Shape f_shape, const std::vector<float>& bias, const kernels::ConvParams& p) {
  const Image img{in.data(), in_shape[0], in_shape[1], in_shape[2], in_shape[3]};
  const int32_t cout = f_shape[0], kh = f_shape[1], kw = f_shape[2], cg = f_shape[3];
  const int32_t groups = img.c / cg, per_group = cout / groups;
  const int32_t oh = out_size(p.padding, img.h, kh, p.stride_h, p.dilation_h);
  const int32_t ow = out_size(p.padding, img.w, kw, p.stride_w, p.dilation_w);
  const int32_t pt = pad_before(p.padding, img.h, kh, p.stride_h, p.dilation_h);
  const int32_t pl = pad_before(p.padding, img.w, kw, p.stride_w, p.dilation_w);
  std::vector<double> out;
  for (int32_t b = 0; b < img.n; ++b)
    for (int32_t y = 0; y < oh; ++y)
      for (int32_t x = 0; x < ow; ++x)
        for (int32_t o = 0; o < cout; ++o) {
          double s = bias.empty() ? 0.0 : bias[o];
          for (int32_t i = 0; i < kh; ++i)
            for (int32_t j = 0; j < kw; ++j)
              for (int32_t c = 0; c < cg; ++c)
                s += img.at(b, y * p.stride_h + i * p.dilation_h - pt, x * p.stride_w + j * p.dilation_w - pl,
                            (o / per_group) * cg + c) *
                     filter[((int64_t{o} * kh + i) * kw + j) * cg + c];
          out.push_back(activate(s, p.activation));
        }
  return out;
}

// Naive depthwise conv. filter: (1, KH, KW, Cin * M).
std::vector<double> naive_depthwise(const std::vector<float>& in, ir::Shape in_shape, const std::vector<float>& filter,
                                    ir::Shape f_shape, const std::vector<float>& bias, const kernels::ConvParams& p) {
  const Image img{in.data(), in_shape[0], in_shape[1], in_shape[2], in_shape[3]};
  const int32_t kh = f_shape[1], kw = f_shape[2], cout = f_shape[3], m = cout / img.c;
  const int32_t oh = out_size(p.padding, img.h, kh, p.stride_h, p.dilation_h);
  const int32_t ow = out_size(p.padding, img.w, kw, p.stride_w, p.dilation_w);
  const int32_t pt = pad_before(p.padding, img.h, kh, p.stride_h, p.dilation_h);
  const int32_t pl = pad_before(p.padding, img.w, kw, p.stride_w, p.dilation_w);
  std::vector<double> out;
  for (int32_t b = 0; b < img.n; ++b)
    for (int32_t y = 0; y < oh; ++y)
      for (int32_t x = 0; x < ow; ++x)
        for (int32_t c = 0; c < img.c; ++c)
          for (int32_t k = 0; k < m; ++k) {
            const int32_t o = c * m + k;
            double s = bias.empty() ? 0.0 : bias[o];
            for (int32_t i = 0; i < kh; ++i)
              for (int32_t j = 0; j < kw; ++j)
                s += img.at(b, y * p.stride_h + i * p.dilation_h - pt, x * p.stride_w + j * p.dilation_w - pl, c) *
                     filter[(int64_t{i} * kw + j) * cout + o];
            out.push_back(activate(s, p.activation));
          }
  return out;
}

// Naive transpose conv as TFLite's reference states it: every input element
// scatters input * filter over its window of the output. filter: (Cout, KH, KW, Cin).
std::vector<double> naive_transpose_conv(const std::vector<float>& in, ir::Shape in_shape,
                                         const std::vector<float>& filter, ir::Shape f_shape,
                                         const std::vector<float>& bias, ir::Shape out_shape,
                                         const kernels::TransposeConvParams& p) {
  const int32_t n = in_shape[0], h = in_shape[1], w = in_shape[2], cin = in_shape[3];
  const int32_t cout = f_shape[0], kh = f_shape[1], kw = f_shape[2];
  const int32_t oh = out_shape[1], ow = out_shape[2];
  const int32_t pt = pad_before(p.padding, oh, kh, p.stride_h, 1);
  const int32_t pl = pad_before(p.padding, ow, kw, p.stride_w, 1);
  std::vector<double> out(static_cast<size_t>(int64_t{n} * oh * ow * cout), 0.0);
  for (int32_t b = 0; b < n; ++b)
    for (int32_t y = 0; y < h; ++y)
      for (int32_t x = 0; x < w; ++x)
        for (int32_t c = 0; c < cin; ++c)
          for (int32_t i = 0; i < kh; ++i)
            for (int32_t j = 0; j < kw; ++j)
              for (int32_t o = 0; o < cout; ++o) {
                const int32_t oy = y * p.stride_h - pt + i, ox = x * p.stride_w - pl + j;
                if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
                out[((int64_t{b} * oh + oy) * ow + ox) * cout + o] +=
                    double{in[((int64_t{b} * h + y) * w + x) * cin + c]} *
                    filter[((int64_t{o} * kh + i) * kw + j) * cin + c];
              }
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = activate(out[i] + (bias.empty() ? 0.0 : bias[i % cout]), p.activation);
  return out;
}

tflite::Conv2DOptionsT conv_options(tflite::Padding padding, int32_t stride_h, int32_t stride_w,
                                    int32_t dilation_h = 1, int32_t dilation_w = 1,
                                    tflite::ActivationFunctionType act = tflite::ActivationFunctionType_NONE) {
  tflite::Conv2DOptionsT o;
  o.padding = padding;
  o.stride_h = stride_h;
  o.stride_w = stride_w;
  o.dilation_h_factor = dilation_h;
  o.dilation_w_factor = dilation_w;
  o.fused_activation_function = act;
  return o;
}

tflite::Pool2DOptionsT pool_options(tflite::Padding padding, int32_t filter_h, int32_t filter_w, int32_t stride_h,
                                    int32_t stride_w,
                                    tflite::ActivationFunctionType act = tflite::ActivationFunctionType_NONE) {
  tflite::Pool2DOptionsT o;
  o.padding = padding;
  o.filter_height = filter_h;
  o.filter_width = filter_w;
  o.stride_h = stride_h;
  o.stride_w = stride_w;
  o.fused_activation_function = act;
  return o;
}

// ---- CONV_2D ------------------------------------------------------------------

TEST(ConvKernel, ValidTwoByTwoOfOnesSumsEachWindowPlusBias) {
  const std::vector<float> in = iota_values(9);  // 1..9 as a 3x3 image
  const std::vector<float> filter(4, 1.0f);
  const float bias = 1.0f;
  std::vector<float> out(4);
  const ir::Shape in_dims = {1, 3, 3, 1}, f_dims = {1, 2, 2, 1}, out_dims = {1, 2, 2, 1};
  kernels::conv2d({Padding::kValid, 1, 1, 1, 1, Activation::kNone}, in.data(), in_dims, filter.data(), f_dims, &bias,
                  out.data(), out_dims);
  expect_close(out, std::vector<float>{13, 17, 25, 29});
}

// SAME with stride 2 on 4x4 and a 3x3 filter pads 1 in total, all of it after
// (TensorFlow's rule), so the first window starts at the image's corner.
TEST(ConvKernel, SameStrideTwoPutsTheOddPaddingAfter) {
  const std::vector<float> in = iota_values(16);  // 1..16 as a 4x4 image
  const std::vector<float> filter(9, 1.0f);
  std::vector<float> out(4);
  const ir::Shape in_dims = {1, 4, 4, 1}, f_dims = {1, 3, 3, 1}, out_dims = {1, 2, 2, 1};
  kernels::conv2d({Padding::kSame, 2, 2, 1, 1, Activation::kNone}, in.data(), in_dims, filter.data(), f_dims, nullptr,
                  out.data(), out_dims);
  // rows/cols 0..2; cols 2..3; rows 2..3; rows 2..3 x cols 2..3.
  expect_close(out, std::vector<float>{54, 45, 72, 54});
}

TEST(ConvKernel, DilationSkipsInputs) {
  const std::vector<float> in = iota_values(25);  // 5x5
  const std::vector<float> filter = {1, 10, 100, 1000};
  std::vector<float> out(9);
  const ir::Shape in_dims = {1, 5, 5, 1}, f_dims = {1, 2, 2, 1}, out_dims = {1, 3, 3, 1};
  kernels::conv2d({Padding::kValid, 1, 1, 2, 2, Activation::kNone}, in.data(), in_dims, filter.data(), f_dims, nullptr,
                  out.data(), out_dims);
  // out[0,0] reads (0,0), (0,2), (2,0), (2,2) = 1, 3, 11, 13.
  EXPECT_FLOAT_EQ(out[0], 1 + 30 + 1100 + 13000);
}

TEST(ConvKernel, GroupsReadOnlyTheirChannels) {
  // 4 input channels, 2 groups of 2; output channel 0 sees channels 0-1, output 1 sees 2-3.
  const std::vector<float> in = {1, 2, 3, 4};
  const std::vector<float> filter = {1, 1, 1, 10};  // (2, 1, 1, 2)
  std::vector<float> out(2);
  const ir::Shape in_dims = {1, 1, 1, 4}, f_dims = {2, 1, 1, 2}, out_dims = {1, 1, 1, 2};
  kernels::conv2d({}, in.data(), in_dims, filter.data(), f_dims, nullptr, out.data(), out_dims);
  expect_close(out, std::vector<float>{3, 43});
}

TEST(ConvKernel, ActivationsClampLikeTflite) {
  const std::vector<float> in = {-3, 0.5f, 8};
  const std::vector<float> filter = {1};
  const ir::Shape dims = {1, 1, 3, 1}, f_dims = {1, 1, 1, 1};
  std::vector<float> out(3);
  auto run = [&](Activation a) {
    kernels::conv2d({Padding::kValid, 1, 1, 1, 1, a}, in.data(), dims, filter.data(), f_dims, nullptr, out.data(),
                    dims);
    return out;
  };
  expect_close(run(Activation::kRelu), std::vector<float>{0, 0.5f, 8});
  expect_close(run(Activation::kRelu6), std::vector<float>{0, 0.5f, 6});
  expect_close(run(Activation::kReluN1To1), std::vector<float>{-1, 0.5f, 1});
  // LiteRT's float conv has no tanh: CalculateActivationRange leaves TANH unclamped.
  expect_close(run(Activation::kTanh), std::vector<float>{-3, 0.5f, 8});
}

TEST(ConvKernel, NoneClampsInfinityToTheFloatRangeAndKeepsNan) {
  const std::vector<float> in = {std::numeric_limits<float>::infinity(), std::nanf("")};
  const std::vector<float> filter = {1};
  const ir::Shape dims = {1, 1, 2, 1}, f_dims = {1, 1, 1, 1};
  std::vector<float> out(2);
  kernels::conv2d({}, in.data(), dims, filter.data(), f_dims, nullptr, out.data(), dims);
  EXPECT_EQ(out[0], std::numeric_limits<float>::max());
  EXPECT_TRUE(std::isnan(out[1]));
}

struct ConvCase {
  ir::Shape in, filter;
  kernels::ConvParams p;
};

TEST(ConvKernel, MatchesNaiveFormulaOverPaddingStrideDilationGroups) {
  const std::vector<ConvCase> cases = {
      {{1, 5, 5, 3}, {4, 3, 3, 3}, {Padding::kSame, 1, 1, 1, 1, Activation::kNone}},
      {{2, 7, 6, 3}, {5, 3, 2, 3}, {Padding::kSame, 2, 2, 1, 1, Activation::kRelu}},
      {{1, 8, 9, 2}, {3, 3, 3, 2}, {Padding::kValid, 2, 3, 1, 1, Activation::kRelu6}},
      {{1, 9, 9, 2}, {2, 3, 3, 2}, {Padding::kSame, 1, 1, 2, 3, Activation::kNone}},
      {{1, 10, 7, 4}, {2, 2, 3, 4}, {Padding::kValid, 1, 2, 3, 2, Activation::kReluN1To1}},
      {{2, 6, 6, 6}, {4, 3, 3, 3}, {Padding::kSame, 2, 1, 1, 1, Activation::kNone}},  // 2 groups
      {{1, 5, 4, 6}, {6, 1, 2, 1}, {Padding::kSame, 1, 1, 1, 2, Activation::kNone}},  // 6 groups
      {{1, 4, 4, 1}, {1, 4, 4, 1}, {Padding::kSame, 3, 3, 1, 1, Activation::kNone}},
  };
  uint32_t seed = 1;
  for (const ConvCase& c : cases) {
    const std::vector<float> in = random_values(ir::num_elements(c.in), seed++);
    const std::vector<float> filter = random_values(ir::num_elements(c.filter), seed++);
    const std::vector<float> bias = random_values(c.filter[0], seed++);
    const ir::Shape out_dims = {c.in[0], out_size(c.p.padding, c.in[1], c.filter[1], c.p.stride_h, c.p.dilation_h),
                                out_size(c.p.padding, c.in[2], c.filter[2], c.p.stride_w, c.p.dilation_w),
                                c.filter[0]};
    std::vector<float> out(static_cast<size_t>(ir::num_elements(out_dims)));
    kernels::conv2d(c.p, in.data(), c.in, filter.data(), c.filter, bias.data(), out.data(), out_dims);
    SCOPED_TRACE(testing::Message() << "case with seed " << seed);
    expect_close(out, naive_conv(in, c.in, filter, c.filter, bias, c.p));
  }
}

TEST(ConvOp, SetsOutputShapeAndRunsWithOptions) {
  const ir::Shape in_shape = {2, 7, 5, 4}, f_shape = {6, 3, 3, 2};  // 2 groups
  const std::vector<float> in = random_values(ir::num_elements(in_shape), 11);
  const std::vector<float> filter = random_values(ir::num_elements(f_shape), 12);
  const std::vector<float> bias = random_values(6, 13);
  OpHarness h(tflite::BuiltinOperator_CONV_2D);
  h.output(DType::kFloat32);
  h.options(conv_options(tflite::Padding_SAME, 2, 1, 1, 2, tflite::ActivationFunctionType_RELU));
  h.f32(in_shape, in);
  h.f32(f_shape, filter);
  h.f32({6}, bias);
  ASSERT_OK(h.run(ops::conv2d_shape, ops::conv2d_eval));
  EXPECT_EQ(h.out_shape(), (ir::Shape{2, 4, 5, 6}));
  expect_close(h.out(), naive_conv(in, in_shape, filter, f_shape, bias,
                                   {Padding::kSame, 2, 1, 1, 2, Activation::kRelu}));
}

TEST(ConvOp, AbsentBiasMeansZero) {
  const std::vector<float> in = iota_values(9), filter(4, 1.0f);
  OpHarness h(tflite::BuiltinOperator_CONV_2D);
  h.output(DType::kFloat32);
  h.options(conv_options(tflite::Padding_VALID, 1, 1));
  h.f32({1, 3, 3, 1}, in);
  h.f32({1, 2, 2, 1}, filter);
  h.absent();
  ASSERT_OK(h.run(ops::conv2d_shape, ops::conv2d_eval));
  expect_close(h.out(), std::vector<float>{12, 16, 24, 28});
}

TEST(ConvOp, ShapeErrors) {
  auto conv = [](ir::Shape in, ir::Shape filter, ir::Shape bias, tflite::Conv2DOptionsT o,
                 DType weights = DType::kFloat32) {
    OpHarness h(tflite::BuiltinOperator_CONV_2D);
    h.output(DType::kFloat32);
    h.options(o);
    h.unknown(DType::kFloat32, in);
    h.unknown(weights, filter);
    h.unknown(DType::kFloat32, bias);
    return h.shape(ops::conv2d_shape);
  };
  const auto same = conv_options(tflite::Padding_SAME, 1, 1);
  EXPECT_OK(conv({1, 4, 4, 6}, {4, 3, 3, 3}, {4}, same));
  EXPECT_EQ(conv({1, 4, 4}, {4, 3, 3, 3}, {4}, same).code(), StatusCode::kInvalidArgument);      // input rank
  EXPECT_EQ(conv({1, 4, 4, 5}, {4, 3, 3, 3}, {4}, same).code(), StatusCode::kInvalidArgument);   // 5 % 3
  EXPECT_EQ(conv({1, 4, 4, 6}, {3, 3, 3, 3}, {3}, same).code(), StatusCode::kInvalidArgument);   // 3 % 2 groups
  EXPECT_EQ(conv({1, 4, 4, 3}, {4, 3, 3, 3}, {5}, same).code(), StatusCode::kInvalidArgument);   // bias size
  EXPECT_EQ(conv({1, 4, 4, 3}, {4, 3, 3, 3}, {4}, conv_options(tflite::Padding_SAME, 0, 1)).code(),
            StatusCode::kInvalidArgument);  // stride 0
  EXPECT_EQ(conv({1, 4, 4, 3}, {4, 3, 3, 3}, {4}, conv_options(tflite::Padding_SAME, 1, 1, 0, 1)).code(),
            StatusCode::kInvalidArgument);  // dilation 0
  EXPECT_EQ(conv({1, 1, 4, 3}, {4, 3, 3, 3}, {4}, conv_options(tflite::Padding_VALID, 1, 1)).code(),
            StatusCode::kInvalidArgument);  // window taller than the input plus one stride
  const Status hybrid = conv({1, 4, 4, 3}, {4, 3, 3, 3}, {4}, same, DType::kInt8);
  EXPECT_EQ(hybrid.code(), StatusCode::kUnsupported);
  EXPECT_NE(hybrid.message().find("hybrid"), std::string::npos) << hybrid.message();
  EXPECT_NE(hybrid.message().find("CONV_2D"), std::string::npos) << hybrid.message();
  EXPECT_EQ(conv({1, 4, 4, 3}, {4, 3, 3, 3}, {4}, same, DType::kFloat16).code(), StatusCode::kUnsupported);
}

// As in LiteRT, VALID with a window one larger than the input gives an empty output.
TEST(ConvOp, ValidWindowJustLargerThanTheInputGivesAnEmptyOutput) {
  OpHarness h(tflite::BuiltinOperator_CONV_2D);
  h.output(DType::kFloat32);
  h.options(conv_options(tflite::Padding_VALID, 1, 1));
  h.unknown(DType::kFloat32, {1, 2, 4, 3});
  h.unknown(DType::kFloat32, {4, 3, 3, 3});
  ASSERT_OK(h.shape(ops::conv2d_shape));
  EXPECT_EQ(h.out_shape(), (ir::Shape{1, 0, 2, 4}));
}

TEST(ConvOp, MissingOptionsUseSchemaDefaultsWhoseStrideZeroIsRejected) {
  OpHarness h(tflite::BuiltinOperator_CONV_2D);
  h.output(DType::kFloat32);
  h.unknown(DType::kFloat32, {1, 4, 4, 1});
  h.unknown(DType::kFloat32, {1, 1, 1, 1});
  const Status s = h.shape(ops::conv2d_shape);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("stride"), std::string::npos) << s.message();
}

TEST(ConvOp, RejectsNonFloatInputAndOutput) {
  OpHarness h(tflite::BuiltinOperator_CONV_2D);
  h.output(DType::kFloat32);
  h.options(conv_options(tflite::Padding_SAME, 1, 1));
  h.unknown(DType::kInt8, {1, 4, 4, 1});
  h.unknown(DType::kFloat32, {1, 1, 1, 1});
  EXPECT_EQ(h.shape(ops::conv2d_shape).code(), StatusCode::kUnsupported);

  OpHarness g(tflite::BuiltinOperator_CONV_2D);
  g.output(DType::kInt8);
  g.options(conv_options(tflite::Padding_SAME, 1, 1));
  g.unknown(DType::kFloat32, {1, 4, 4, 1});
  g.unknown(DType::kFloat32, {1, 1, 1, 1});
  EXPECT_EQ(g.shape(ops::conv2d_shape).code(), StatusCode::kInvalidArgument);
}

// ---- DEPTHWISE_CONV_2D --------------------------------------------------------

TEST(DepthwiseKernel, MultiplierTwoMapsChannelTimesMultiplier) {
  // One pixel, 2 channels, multiplier 2: outputs (c0*f0, c0*f1, c1*f2, c1*f3).
  const std::vector<float> in = {2, 3};
  const std::vector<float> filter = {1, 10, 100, 1000};
  std::vector<float> out(4);
  const ir::Shape in_dims = {1, 1, 1, 2}, f_dims = {1, 1, 1, 4}, out_dims = {1, 1, 1, 4};
  kernels::depthwise_conv2d({}, in.data(), in_dims, filter.data(), f_dims, nullptr, out.data(), out_dims);
  expect_close(out, std::vector<float>{2, 20, 300, 3000});
}

TEST(DepthwiseKernel, MatchesNaiveFormula) {
  const std::vector<ConvCase> cases = {
      {{1, 6, 6, 3}, {1, 3, 3, 3}, {Padding::kSame, 1, 1, 1, 1, Activation::kNone}},
      {{2, 7, 8, 2}, {1, 3, 3, 6}, {Padding::kSame, 2, 2, 1, 1, Activation::kRelu6}},
      {{1, 9, 9, 4}, {1, 3, 2, 4}, {Padding::kValid, 1, 2, 2, 1, Activation::kRelu}},
      {{1, 8, 5, 1}, {1, 2, 2, 3}, {Padding::kSame, 3, 1, 2, 2, Activation::kReluN1To1}},
  };
  uint32_t seed = 100;
  for (const ConvCase& c : cases) {
    const std::vector<float> in = random_values(ir::num_elements(c.in), seed++);
    const std::vector<float> filter = random_values(ir::num_elements(c.filter), seed++);
    const std::vector<float> bias = random_values(c.filter[3], seed++);
    const ir::Shape out_dims = {c.in[0], out_size(c.p.padding, c.in[1], c.filter[1], c.p.stride_h, c.p.dilation_h),
                                out_size(c.p.padding, c.in[2], c.filter[2], c.p.stride_w, c.p.dilation_w),
                                c.filter[3]};
    std::vector<float> out(static_cast<size_t>(ir::num_elements(out_dims)));
    kernels::depthwise_conv2d(c.p, in.data(), c.in, filter.data(), c.filter, bias.data(), out.data(), out_dims);
    SCOPED_TRACE(testing::Message() << "case with seed " << seed);
    expect_close(out, naive_depthwise(in, c.in, filter, c.filter, bias, c.p));
  }
}

// Converter output may carry depth_multiplier 0 or a stale value: the filter decides.
TEST(DepthwiseOp, DerivesTheMultiplierFromTheFilter) {
  const ir::Shape in_shape = {1, 5, 5, 2}, f_shape = {1, 3, 3, 6};
  const std::vector<float> in = random_values(ir::num_elements(in_shape), 21);
  const std::vector<float> filter = random_values(ir::num_elements(f_shape), 22);
  const std::vector<float> bias = random_values(6, 23);
  for (int32_t stated : {0, 1, 3, 7}) {
    tflite::DepthwiseConv2DOptionsT o;
    o.padding = tflite::Padding_SAME;
    o.stride_h = o.stride_w = 2;
    o.depth_multiplier = stated;
    OpHarness h(tflite::BuiltinOperator_DEPTHWISE_CONV_2D);
    h.output(DType::kFloat32);
    h.options(o);
    h.f32(in_shape, in);
    h.f32(f_shape, filter);
    h.f32({6}, bias);
    ASSERT_OK(h.run(ops::depthwise_conv2d_shape, ops::depthwise_conv2d_eval));
    EXPECT_EQ(h.out_shape(), (ir::Shape{1, 3, 3, 6}));
    expect_close(h.out(), naive_depthwise(in, in_shape, filter, f_shape, bias, {Padding::kSame, 2, 2, 1, 1}));
  }
}

TEST(DepthwiseOp, ShapeErrors) {
  auto dw = [](ir::Shape in, ir::Shape filter) {
    tflite::DepthwiseConv2DOptionsT o;
    o.stride_h = o.stride_w = 1;
    OpHarness h(tflite::BuiltinOperator_DEPTHWISE_CONV_2D);
    h.output(DType::kFloat32);
    h.options(o);
    h.unknown(DType::kFloat32, in);
    h.unknown(DType::kFloat32, filter);
    return h.shape(ops::depthwise_conv2d_shape);
  };
  EXPECT_OK(dw({1, 4, 4, 2}, {1, 3, 3, 4}));
  EXPECT_EQ(dw({1, 4, 4, 2}, {1, 3, 3, 3}).code(), StatusCode::kInvalidArgument);  // 3 % 2
  EXPECT_EQ(dw({1, 4, 4, 2}, {2, 3, 3, 4}).code(), StatusCode::kInvalidArgument);  // filter dim 0
  EXPECT_EQ(dw({1, 4, 4, 0}, {1, 3, 3, 4}).code(), StatusCode::kInvalidArgument);  // no input channels
}

// ---- TRANSPOSE_CONV -----------------------------------------------------------

TEST(TransposeConvKernel, ValidStrideTwoScattersWindowsThatOverlapOnEdges) {
  // 2x2 input, 3x3 filter of ones, stride 2, VALID: 5x5 output where the
  // shared row/column 2 sums two (or four) inputs.
  const std::vector<float> in = {1, 2, 3, 4};
  const std::vector<float> filter(9, 1.0f);
  std::vector<float> out(25);
  const ir::Shape in_dims = {1, 2, 2, 1}, f_dims = {1, 3, 3, 1}, out_dims = {1, 5, 5, 1};
  kernels::transpose_conv({Padding::kValid, 2, 2, Activation::kNone}, in.data(), in_dims, filter.data(), f_dims,
                          nullptr, out.data(), out_dims);
  expect_close(out, std::vector<float>{1, 1, 3, 2, 2,  //
                                       1, 1, 3, 2, 2,  //
                                       4, 4, 10, 6, 6, //
                                       3, 3, 7, 4, 4,  //
                                       3, 3, 7, 4, 4});
}

TEST(TransposeConvKernel, MatchesScatterFormula) {
  struct Case {
    ir::Shape in, filter, out;
    kernels::TransposeConvParams p;
  };
  const std::vector<Case> cases = {
      {{1, 4, 4, 3}, {2, 3, 3, 3}, {1, 8, 8, 2}, {Padding::kSame, 2, 2, Activation::kNone}},
      {{2, 3, 5, 2}, {3, 3, 3, 2}, {2, 5, 5, 3}, {Padding::kSame, 1, 1, Activation::kRelu}},
      {{1, 3, 3, 2}, {2, 4, 4, 2}, {1, 8, 8, 2}, {Padding::kValid, 2, 2, Activation::kNone}},
      {{1, 3, 4, 1}, {2, 3, 2, 1}, {1, 9, 8, 2}, {Padding::kValid, 3, 2, Activation::kRelu6}},
      {{1, 4, 4, 2}, {1, 5, 5, 2}, {1, 7, 7, 1}, {Padding::kSame, 2, 2, Activation::kNone}},  // odd output
  };
  uint32_t seed = 200;
  for (const Case& c : cases) {
    const std::vector<float> in = random_values(ir::num_elements(c.in), seed++);
    const std::vector<float> filter = random_values(ir::num_elements(c.filter), seed++);
    const std::vector<float> bias = random_values(c.filter[0], seed++);
    std::vector<float> out(static_cast<size_t>(ir::num_elements(c.out)));
    kernels::transpose_conv(c.p, in.data(), c.in, filter.data(), c.filter, bias.data(), out.data(), c.out);
    SCOPED_TRACE(testing::Message() << "case with seed " << seed);
    expect_close(out, naive_transpose_conv(in, c.in, filter, c.filter, bias, c.out, c.p));
  }
}

TEST(TransposeConvOp, ReadsOutputShapeAndOptionalBias) {
  const ir::Shape in_shape = {1, 3, 3, 2}, f_shape = {4, 3, 3, 2};
  const std::vector<float> in = random_values(ir::num_elements(in_shape), 31);
  const std::vector<float> filter = random_values(ir::num_elements(f_shape), 32);
  const std::vector<float> bias = random_values(4, 33);
  tflite::TransposeConvOptionsT o;
  o.padding = tflite::Padding_SAME;
  o.stride_h = o.stride_w = 2;
  o.fused_activation_function = tflite::ActivationFunctionType_RELU;
  for (bool with_bias : {false, true}) {
    OpHarness h(tflite::BuiltinOperator_TRANSPOSE_CONV);
    h.output(DType::kFloat32);
    h.options(o);
    h.i32({4}, {1, 6, 5, 4});
    h.f32(f_shape, filter);
    h.f32(in_shape, in);
    if (with_bias) h.f32({4}, bias);
    ASSERT_OK(h.run(ops::transpose_conv_shape, ops::transpose_conv_eval));
    EXPECT_EQ(h.out_shape(), (ir::Shape{1, 6, 5, 4}));
    expect_close(h.out(), naive_transpose_conv(in, in_shape, filter, f_shape, with_bias ? bias : std::vector<float>{},
                                               {1, 6, 5, 4}, {Padding::kSame, 2, 2, Activation::kRelu}));
  }
}

TEST(TransposeConvOp, ShapeNeedsTheOutputShapeValue) {
  tflite::TransposeConvOptionsT o;
  o.stride_h = o.stride_w = 1;
  OpHarness h(tflite::BuiltinOperator_TRANSPOSE_CONV);
  h.output(DType::kFloat32);
  h.options(o);
  h.unknown(DType::kInt32, {4});
  h.unknown(DType::kFloat32, {2, 3, 3, 1});
  h.unknown(DType::kFloat32, {1, 4, 4, 1});
  EXPECT_FALSE(h.shape(ops::transpose_conv_shape));
  EXPECT_TRUE(h.value_missing());
}

TEST(TransposeConvOp, ShapeErrors) {
  auto tc = [](DType shape_dtype, std::vector<int32_t> out, ir::Shape weights, ir::Shape in) {
    tflite::TransposeConvOptionsT o;
    o.stride_h = o.stride_w = 2;
    OpHarness h(tflite::BuiltinOperator_TRANSPOSE_CONV);
    h.output(DType::kFloat32);
    h.options(o);
    if (shape_dtype == DType::kInt32) {
      h.i32({static_cast<int32_t>(out.size())}, out);
    } else {
      h.unknown(shape_dtype, {static_cast<int32_t>(out.size())});
    }
    h.unknown(DType::kFloat32, weights);
    h.unknown(DType::kFloat32, in);
    return h.shape(ops::transpose_conv_shape);
  };
  EXPECT_OK(tc(DType::kInt32, {1, 8, 8, 2}, {2, 3, 3, 1}, {1, 4, 4, 1}));
  EXPECT_EQ(tc(DType::kInt64, {1, 8, 8, 2}, {2, 3, 3, 1}, {1, 4, 4, 1}).code(), StatusCode::kUnsupported);
  EXPECT_EQ(tc(DType::kInt32, {8, 8, 2}, {2, 3, 3, 1}, {1, 4, 4, 1}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(tc(DType::kInt32, {2, 8, 8, 2}, {2, 3, 3, 1}, {1, 4, 4, 1}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(tc(DType::kInt32, {1, 8, 8, 3}, {2, 3, 3, 1}, {1, 4, 4, 1}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(tc(DType::kInt32, {1, 8, 8, 2}, {2, 3, 3, 2}, {1, 4, 4, 1}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(tc(DType::kInt32, {1, -8, 8, 2}, {2, 3, 3, 1}, {1, 4, 4, 1}).code(), StatusCode::kInvalidArgument);
}

// ---- FULLY_CONNECTED ----------------------------------------------------------

TEST(FullyConnectedKernel, HandWorked) {
  const std::vector<float> in = {1, 2, 3, 4, 5, 6};          // (2, 3)
  const std::vector<float> weights = {1, 0, -1, 2, 2, 2};    // (2, 3)
  const std::vector<float> bias = {0.5f, -20};
  std::vector<float> out(4);
  kernels::fully_connected(Activation::kRelu, in.data(), 2, 3, weights.data(), 2, bias.data(), out.data());
  // row 0: 1-3+0.5 = -1.5 -> 0, 12-20 = -8 -> 0; row 1: 4-6+0.5 = -1.5 -> 0, 30-20 = 10.
  expect_close(out, std::vector<float>{0, 0, 0, 10});
}

std::vector<double> naive_fc(const std::vector<float>& in, const std::vector<float>& w, const std::vector<float>& b,
                             int32_t units, int32_t depth) {
  std::vector<double> out;
  for (size_t r = 0; r < in.size() / depth; ++r)
    for (int32_t u = 0; u < units; ++u) {
      double s = b.empty() ? 0.0 : b[u];
      for (int32_t d = 0; d < depth; ++d) s += double{in[r * depth + d]} * w[int64_t{u} * depth + d];
      out.push_back(s);
    }
  return out;
}

TEST(FullyConnectedOp, FlattensAnyRankToRowsOfTheWeightsDepth) {
  const std::vector<float> in = random_values(2 * 3 * 4 * 5, 41);
  const std::vector<float> w = random_values(7 * 20, 42);
  OpHarness h(tflite::BuiltinOperator_FULLY_CONNECTED);
  h.output(DType::kFloat32);
  h.options(tflite::FullyConnectedOptionsT{});
  h.f32({2, 3, 4, 5}, in);
  h.f32({7, 20}, w);  // depth 20 spans two of the input's dims
  ASSERT_OK(h.run(ops::fully_connected_shape, ops::fully_connected_eval));
  EXPECT_EQ(h.out_shape(), (ir::Shape{6, 7}));
  expect_close(h.out(), naive_fc(in, w, {}, 7, 20));
}

TEST(FullyConnectedOp, KeepNumDimsKeepsTheInputsLeadingDims) {
  const std::vector<float> in = random_values(2 * 3 * 5, 43);
  const std::vector<float> w = random_values(4 * 5, 44);
  const std::vector<float> b = random_values(4, 45);
  tflite::FullyConnectedOptionsT o;
  o.keep_num_dims = true;
  OpHarness h(tflite::BuiltinOperator_FULLY_CONNECTED);
  h.output(DType::kFloat32);
  h.options(o);
  h.f32({2, 3, 5}, in);
  h.f32({4, 5}, w);
  h.f32({4}, b);
  ASSERT_OK(h.run(ops::fully_connected_shape, ops::fully_connected_eval));
  EXPECT_EQ(h.out_shape(), (ir::Shape{2, 3, 4}));
  expect_close(h.out(), naive_fc(in, w, b, 4, 5));
}

TEST(FullyConnectedOp, ShapeErrors) {
  auto fc = [](ir::Shape in, ir::Shape w, tflite::FullyConnectedOptionsT o, DType w_dtype = DType::kFloat32) {
    OpHarness h(tflite::BuiltinOperator_FULLY_CONNECTED);
    h.output(DType::kFloat32);
    h.options(o);
    h.unknown(DType::kFloat32, in);
    h.unknown(w_dtype, w);
    return h.shape(ops::fully_connected_shape);
  };
  const tflite::FullyConnectedOptionsT plain;
  EXPECT_OK(fc({4, 6}, {3, 6}, plain));
  EXPECT_EQ(fc({4, 5}, {3, 6}, plain).code(), StatusCode::kInvalidArgument);   // 20 % 6
  EXPECT_EQ(fc({4, 6}, {3, 6, 1}, plain).code(), StatusCode::kInvalidArgument);  // weights rank
  tflite::FullyConnectedOptionsT keep;
  keep.keep_num_dims = true;
  EXPECT_EQ(fc({2, 3, 4}, {3, 6}, keep).code(), StatusCode::kInvalidArgument);  // last dim != depth
  tflite::FullyConnectedOptionsT shuffled;
  shuffled.weights_format = tflite::FullyConnectedOptionsWeightsFormat_SHUFFLED4x16INT8;
  const Status s = fc({4, 6}, {3, 6}, shuffled);
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_NE(s.message().find("weights_format"), std::string::npos) << s.message();
  tflite::FullyConnectedOptionsT tanh;
  tanh.fused_activation_function = tflite::ActivationFunctionType_TANH;
  EXPECT_EQ(fc({4, 6}, {3, 6}, tanh).code(), StatusCode::kUnsupported);  // LiteRT's Prepare rejects it too
  EXPECT_EQ(fc({4, 6}, {3, 6}, plain, DType::kInt8).code(), StatusCode::kUnsupported);
  EXPECT_EQ(fc({4, 6}, {3, 6}, plain, DType::kFloat16).code(), StatusCode::kUnsupported);
}

TEST(FullyConnectedOp, BiasMustHaveOneValuePerUnit) {
  OpHarness h(tflite::BuiltinOperator_FULLY_CONNECTED);
  h.output(DType::kFloat32);
  h.options(tflite::FullyConnectedOptionsT{});
  h.unknown(DType::kFloat32, {4, 6});
  h.unknown(DType::kFloat32, {3, 6});
  h.unknown(DType::kFloat32, {4});
  EXPECT_EQ(h.shape(ops::fully_connected_shape).code(), StatusCode::kInvalidArgument);
}

// ---- BATCH_MATMUL -------------------------------------------------------------

// out[b, i, j] = sum_k lhs(b, i, k) rhs(b, k, j) with NumPy batch broadcasting.
std::vector<double> naive_bmm(const std::vector<float>& lhs, ir::Shape ls, bool adj_x, const std::vector<float>& rhs,
                              ir::Shape rs, bool adj_y, ir::Shape out) {
  const size_t r = out.size();
  const int32_t m = out[r - 2], n = out[r - 1];
  const int32_t k = adj_x ? ls[ls.size() - 2] : ls.back();
  ls.insert(ls.begin(), r - ls.size(), 1);
  rs.insert(rs.begin(), r - rs.size(), 1);
  std::vector<double> result;
  std::vector<int32_t> idx(r - 2, 0);
  const int64_t batches = ir::num_elements(std::span(out).first(r - 2));
  for (int64_t b = 0; b < batches; ++b) {
    int64_t rest = b, lo = 0, ro = 0, lstride = 1, rstride = 1;
    for (int64_t d = static_cast<int64_t>(r) - 3; d >= 0; --d) {
      const int64_t i = rest % out[d];
      rest /= out[d];
      lo += (ls[d] == 1 ? 0 : i) * lstride;
      ro += (rs[d] == 1 ? 0 : i) * rstride;
      lstride *= ls[d];
      rstride *= rs[d];
    }
    const float* a = lhs.data() + lo * m * k;
    const float* c = rhs.data() + ro * k * n;
    for (int32_t i = 0; i < m; ++i)
      for (int32_t j = 0; j < n; ++j) {
        double s = 0;
        for (int32_t t = 0; t < k; ++t)
          s += double{adj_x ? a[t * m + i] : a[i * k + t]} * (adj_y ? c[j * k + t] : c[t * n + j]);
        result.push_back(s);
      }
  }
  return result;
}

TEST(BatchMatMulKernel, HandWorkedTwoByTwo) {
  const std::vector<float> a = {1, 2, 3, 4}, b = {5, 6, 7, 8};
  const ir::Shape dims = {2, 2};
  std::vector<float> out(4);
  kernels::batch_matmul(a.data(), dims, false, b.data(), dims, false, out.data(), dims);
  expect_close(out, std::vector<float>{19, 22, 43, 50});
  kernels::batch_matmul(a.data(), dims, true, b.data(), dims, true, out.data(), dims);
  expect_close(out, std::vector<float>{23, 31, 34, 46});  // a^T b^T
}

TEST(BatchMatMulOp, BroadcastsBatchDimsWithAdjointFlags) {
  struct Case {
    ir::Shape lhs, rhs;
    bool adj_x, adj_y;
    ir::Shape out;
  };
  const std::vector<Case> cases = {
      {{3, 4}, {4, 5}, false, false, {3, 5}},
      {{2, 1, 3, 4}, {5, 4, 6}, false, false, {2, 5, 3, 6}},
      {{2, 4, 3}, {1, 6, 4}, true, true, {2, 3, 6}},
      {{1, 2, 1, 4, 3}, {3, 4, 2}, true, false, {1, 2, 3, 3, 2}},
      {{6, 3, 4}, {4, 5}, false, false, {6, 3, 5}},
      {{3, 4}, {2, 5, 4}, false, true, {2, 3, 5}},
  };
  uint32_t seed = 300;
  for (const Case& c : cases) {
    const std::vector<float> lhs = random_values(ir::num_elements(c.lhs), seed++);
    const std::vector<float> rhs = random_values(ir::num_elements(c.rhs), seed++);
    tflite::BatchMatMulOptionsT o;
    o.adj_x = c.adj_x;
    o.adj_y = c.adj_y;
    OpHarness h(tflite::BuiltinOperator_BATCH_MATMUL);
    h.output(DType::kFloat32);
    h.options(o);
    h.f32(c.lhs, lhs);
    h.f32(c.rhs, rhs);
    ASSERT_OK(h.run(ops::batch_matmul_shape, ops::batch_matmul_eval));
    EXPECT_EQ(h.out_shape(), c.out);
    SCOPED_TRACE(testing::Message() << "case with seed " << seed);
    expect_close(h.out(), naive_bmm(lhs, c.lhs, c.adj_x, rhs, c.rhs, c.adj_y, c.out));
  }
}

TEST(BatchMatMulOp, ShapeErrors) {
  auto bmm = [](ir::Shape lhs, ir::Shape rhs, DType rhs_dtype = DType::kFloat32) {
    OpHarness h(tflite::BuiltinOperator_BATCH_MATMUL);
    h.output(DType::kFloat32);
    h.unknown(DType::kFloat32, lhs);
    h.unknown(rhs_dtype, rhs);
    return h.shape(ops::batch_matmul_shape);
  };
  EXPECT_OK(bmm({2, 3, 4}, {4, 5}));  // no options: adj_x = adj_y = false
  EXPECT_EQ(bmm({2, 3, 4}, {3, 5}).code(), StatusCode::kInvalidArgument);            // inner dims
  EXPECT_EQ(bmm({2, 3, 4}, {3, 4, 5}).code(), StatusCode::kInvalidArgument);         // batch 2 vs 3
  EXPECT_EQ(bmm({4}, {4, 5}).code(), StatusCode::kInvalidArgument);                  // rank 1
  EXPECT_EQ(bmm({1, 1, 1, 1, 3, 4}, {4, 5}).code(), StatusCode::kInvalidArgument);   // rank 6
  EXPECT_EQ(bmm({2, 3, 4}, {4, 5}, DType::kInt8).code(), StatusCode::kUnsupported);  // hybrid
}

// ---- AVERAGE_POOL_2D / MAX_POOL_2D ----------------------------------------------

// SAME 2x2 stride 1 on 3x3 pads one row and column after: edge windows hold
// fewer inputs and average only those.
TEST(PoolKernel, AverageCountsOnlyTapsInsideTheInput) {
  const std::vector<float> in = iota_values(9);  // 1..9
  std::vector<float> out(9);
  const ir::Shape dims = {1, 3, 3, 1};
  kernels::average_pool2d({Padding::kSame, 1, 1, 2, 2, Activation::kNone}, in.data(), dims, out.data(), dims);
  expect_close(out, std::vector<float>{3, 4, 4.5f, 6, 7, 7.5f, 7.5f, 8.5f, 9});
}

TEST(PoolKernel, MaxIgnoresPaddingEvenWhenAllInputsAreNegative) {
  const std::vector<float> in = {-5, -4, -3, -2, -1, -6, -7, -8, -9};
  std::vector<float> out(9);
  const ir::Shape dims = {1, 3, 3, 1};
  kernels::max_pool2d({Padding::kSame, 1, 1, 3, 3, Activation::kNone}, in.data(), dims, out.data(), dims);
  expect_close(out, std::vector<float>{-1, -1, -1, -1, -1, -1, -1, -1, -1});
  kernels::max_pool2d({Padding::kSame, 1, 1, 3, 3, Activation::kRelu}, in.data(), dims, out.data(), dims);
  expect_close(out, std::vector<float>(9, 0.0f));
}

TEST(PoolOp, AverageAndMaxOverChannelsWithStrideAndActivation) {
  const ir::Shape in_shape = {2, 5, 4, 3};
  std::vector<float> in = random_values(ir::num_elements(in_shape), 51);
  for (float& v : in) v *= 10.0f;  // so RELU6 clamps some averages
  const Image img{in.data(), 2, 5, 4, 3};
  for (bool average : {true, false}) {
    OpHarness h(average ? tflite::BuiltinOperator_AVERAGE_POOL_2D : tflite::BuiltinOperator_MAX_POOL_2D);
    h.output(DType::kFloat32);
    h.options(pool_options(tflite::Padding_SAME, 3, 2, 2, 2, tflite::ActivationFunctionType_RELU6));
    h.f32(in_shape, in);
    ASSERT_OK(average ? h.run(ops::average_pool2d_shape, ops::average_pool2d_eval)
                      : h.run(ops::max_pool2d_shape, ops::max_pool2d_eval));
    ASSERT_EQ(h.out_shape(), (ir::Shape{2, 3, 2, 3}));
    // SAME: height pads (3-1)*2+3-5 = 2 -> 1 before; width pads (2-1)*2+2-4 = 0.
    std::vector<double> expected;
    for (int32_t b = 0; b < 2; ++b)
      for (int32_t y = 0; y < 3; ++y)
        for (int32_t x = 0; x < 2; ++x)
          for (int32_t c = 0; c < 3; ++c) {
            double sum = 0, best = -1e30;
            int count = 0;
            for (int32_t i = 0; i < 3; ++i)
              for (int32_t j = 0; j < 2; ++j) {
                const int32_t iy = y * 2 - 1 + i, ix = x * 2 + j;
                if (iy < 0 || iy >= 5 || ix >= 4) continue;
                sum += img.at(b, iy, ix, c);
                best = std::max(best, img.at(b, iy, ix, c));
                ++count;
              }
            expected.push_back(activate(average ? sum / count : best, Activation::kRelu6));
          }
    expect_close(h.out(), expected);
  }
}

TEST(PoolOp, ShapeErrors) {
  auto pool = [](ir::Shape in, tflite::Pool2DOptionsT o) {
    OpHarness h(tflite::BuiltinOperator_MAX_POOL_2D);
    h.output(DType::kFloat32);
    h.options(o);
    h.unknown(DType::kFloat32, in);
    return h.shape(ops::max_pool2d_shape);
  };
  EXPECT_OK(pool({1, 4, 4, 2}, pool_options(tflite::Padding_VALID, 2, 2, 2, 2)));
  EXPECT_EQ(pool({4, 4, 2}, pool_options(tflite::Padding_VALID, 2, 2, 2, 2)).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(pool({1, 4, 4, 2}, pool_options(tflite::Padding_VALID, 0, 2, 2, 2)).code(),
            StatusCode::kInvalidArgument);  // filter 0
  EXPECT_EQ(pool({1, 4, 4, 2}, pool_options(tflite::Padding_VALID, 2, 2, 2, 0)).code(),
            StatusCode::kInvalidArgument);  // stride 0
  EXPECT_EQ(pool({1, 4, 4, 2}, pool_options(tflite::Padding_VALID, 6, 2, 1, 1)).code(),
            StatusCode::kInvalidArgument);  // window taller than the input
}

TEST(PoolOp, ValidOutputSize) {
  OpHarness h(tflite::BuiltinOperator_AVERAGE_POOL_2D);
  h.output(DType::kFloat32);
  h.options(pool_options(tflite::Padding_VALID, 3, 2, 2, 3));
  h.unknown(DType::kFloat32, {1, 7, 8, 5});
  ASSERT_OK(h.shape(ops::average_pool2d_shape));
  EXPECT_EQ(h.out_shape(), (ir::Shape{1, 3, 3, 5}));  // (7-3)/2+1, (8-2)/3+1
}

}  // namespace
}  // namespace tfc
