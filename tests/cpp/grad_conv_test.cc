// Gradient rules of the conv family (ops/conv_grad.cc) against finite
// differences, on small random shapes covering each option: strides 1 and 2,
// dilation 2, SAME and VALID, odd sizes, batches of 2-3, with and without
// bias, each fused activation (pre-activations kept away from its kinks).
// GradCheck starts every input gradient at 0.25 and subtracts it back, so
// every check also fails a rule that assigns instead of adding; the
// *AddsInto* tests name that property for each op. Plus the tie rule of
// MAX_POOL_2D's backward kernel (kernels/conv_grad_ref.h).
#include <algorithm>
#include <cmath>
#include <numeric>

#include "grad_check.h"
#include "kernels/conv_grad_ref.h"

namespace tfc::test {
namespace {

using Act = tflite::ActivationFunctionType;
constexpr Act kNone = tflite::ActivationFunctionType_NONE;
constexpr Act kRelu = tflite::ActivationFunctionType_RELU;
constexpr Act kRelu6 = tflite::ActivationFunctionType_RELU6;
constexpr Act kReluN1To1 = tflite::ActivationFunctionType_RELU_N1_TO_1;
constexpr Act kTanh = tflite::ActivationFunctionType_TANH;
constexpr tflite::Padding kSame = tflite::Padding_SAME;
constexpr tflite::Padding kValid = tflite::Padding_VALID;

// ---- Activations: pre-activations away from the kinks -------------------------

// Where a clipping activation has no derivative (TANH is not applied by the
// float conv kernels, so it has none).
std::vector<float> kinks(Act a) {
  switch (a) {
    case kRelu: return {0.0f};
    case kRelu6: return {0.0f, 6.0f};
    case kReluN1To1: return {-1.0f, 1.0f};
    default: return {};
  }
}

// Every value at least `margin` from each kink, and each kink with values on
// both sides (so that the clip is exercised).
bool straddles_cleanly(const std::vector<float>& values, const std::vector<float>& ks, float margin) {
  for (float k : ks) {
    bool below = false, above = false;
    for (float v : values) {
      if (std::fabs(v - k) < margin) return false;
      below |= v < k;
      above |= v > k;
    }
    if (!below || !above) return false;
  }
  return !values.empty();
}

// Builds the op with `build(g, a, seed)` from seeds 1, 2, ... until the same
// op without activation yields pre-activations that straddle a's kinks at
// least 0.01 away (a finite-difference step of 1e-3 moves them by at most
// 1e-3 * |weight or input| <= 8e-3 here), then checks the gradient with
// activation a.
template <typename Build>
void check_activation(tflite::BuiltinOperator code, Act a, Build build) {
  for (uint32_t seed = 1; seed <= 200; ++seed) {
    GradCheck pre(code, seed);
    build(pre, kNone, seed);
    if (!straddles_cleanly(pre.forward_values(), kinks(a), 0.01f)) continue;
    GradCheck g(code, seed);
    build(g, a, seed);
    g.check();
    return;
  }
  FAIL() << "no seed keeps the pre-activations clear of the kinks of activation " << static_cast<int>(a);
}

// ---- CONV_2D ------------------------------------------------------------------

struct ConvCase {
  ir::Shape input, filter;
  tflite::Padding padding;
  int stride, dilation;
  bool bias;
};

tflite::Conv2DOptionsT conv_options(const ConvCase& c, Act a) {
  tflite::Conv2DOptionsT o;
  o.padding = c.padding;
  o.stride_h = o.stride_w = c.stride;
  o.dilation_h_factor = o.dilation_w_factor = c.dilation;
  o.fused_activation_function = a;
  return o;
}

void build_conv(GradCheck& g, const ConvCase& c, Act a, float input_range = 1.0f) {
  g.random(c.input, -input_range, input_range).random(c.filter);
  if (c.bias) g.random({c.filter[0]});
  g.options(conv_options(c, a));
}

const ConvCase kConvCases[] = {
    {{2, 5, 5, 3}, {4, 3, 3, 3}, kSame, 1, 1, true},
    {{3, 7, 6, 2}, {3, 3, 3, 2}, kValid, 2, 1, false},
    {{2, 6, 5, 3}, {3, 2, 3, 3}, kSame, 2, 1, true},   // even height: padding only after
    {{2, 7, 7, 2}, {2, 3, 3, 2}, kSame, 1, 2, true},
    {{2, 7, 8, 2}, {3, 3, 2, 2}, kValid, 2, 2, false},
    {{2, 5, 5, 4}, {4, 3, 3, 2}, kSame, 1, 1, true},   // two groups
    {{3, 3, 3, 2}, {2, 1, 1, 2}, kValid, 1, 1, true},  // 1x1
};

TEST(GradConv, Conv2DStridesDilationPadding) {
  uint32_t seed = 1;
  for (const ConvCase& c : kConvCases) {
    SCOPED_TRACE(testing::Message() << "case " << seed);
    GradCheck g(tflite::BuiltinOperator_CONV_2D, seed++);
    build_conv(g, c, kNone);
    g.check();
  }
}

TEST(GradConv, Conv2DActivations) {
  const ConvCase c{{2, 5, 5, 3}, {3, 3, 3, 3}, kSame, 2, 1, true};
  for (Act a : {kRelu, kRelu6, kReluN1To1, kTanh}) {
    SCOPED_TRACE(testing::Message() << "activation " << static_cast<int>(a));
    check_activation(tflite::BuiltinOperator_CONV_2D, a,
                     [&](GradCheck& g, Act act, uint32_t) { build_conv(g, c, act, a == kRelu6 ? 3.0f : 1.0f); });
  }
}

TEST(GradConv, Conv2DAddsIntoGradients) {
  GradCheck g(tflite::BuiltinOperator_CONV_2D, 7);
  build_conv(g, {{1, 3, 3, 2}, {2, 2, 2, 2}, kValid, 1, 1, true}, kNone);
  g.check();
}

// ---- DEPTHWISE_CONV_2D --------------------------------------------------------

tflite::DepthwiseConv2DOptionsT depthwise_options(const ConvCase& c, Act a) {
  tflite::DepthwiseConv2DOptionsT o;
  o.padding = c.padding;
  o.stride_h = o.stride_w = c.stride;
  o.dilation_h_factor = o.dilation_w_factor = c.dilation;
  o.depth_multiplier = c.filter[3] / c.input[3];
  o.fused_activation_function = a;
  return o;
}

void build_depthwise(GradCheck& g, const ConvCase& c, Act a, float input_range = 1.0f) {
  g.random(c.input, -input_range, input_range).random(c.filter);
  if (c.bias) g.random({c.filter[3]});
  g.options(depthwise_options(c, a));
}

const ConvCase kDepthwiseCases[] = {
    {{2, 5, 5, 3}, {1, 3, 3, 3}, kSame, 1, 1, true},
    {{3, 7, 6, 2}, {1, 3, 3, 4}, kValid, 2, 1, false},  // multiplier 2
    {{2, 6, 5, 2}, {1, 3, 2, 6}, kSame, 2, 1, true},    // multiplier 3
    {{2, 7, 7, 2}, {1, 3, 3, 2}, kSame, 1, 2, true},
    {{2, 8, 7, 1}, {1, 2, 3, 2}, kValid, 2, 2, false},
};

TEST(GradConv, DepthwiseStridesDilationPaddingMultiplier) {
  uint32_t seed = 1;
  for (const ConvCase& c : kDepthwiseCases) {
    SCOPED_TRACE(testing::Message() << "case " << seed);
    GradCheck g(tflite::BuiltinOperator_DEPTHWISE_CONV_2D, seed++);
    build_depthwise(g, c, kNone);
    g.check();
  }
}

TEST(GradConv, DepthwiseActivations) {
  const ConvCase c{{2, 5, 5, 2}, {1, 3, 3, 4}, kSame, 1, 1, true};
  for (Act a : {kRelu, kRelu6, kReluN1To1, kTanh}) {
    SCOPED_TRACE(testing::Message() << "activation " << static_cast<int>(a));
    check_activation(tflite::BuiltinOperator_DEPTHWISE_CONV_2D, a,
                     [&](GradCheck& g, Act act, uint32_t) { build_depthwise(g, c, act, a == kRelu6 ? 6.0f : 1.0f); });
  }
}

TEST(GradConv, DepthwiseAddsIntoGradients) {
  GradCheck g(tflite::BuiltinOperator_DEPTHWISE_CONV_2D, 7);
  build_depthwise(g, {{1, 3, 3, 2}, {1, 2, 2, 4}, kValid, 1, 1, true}, kNone);
  g.check();
}

// ---- TRANSPOSE_CONV -----------------------------------------------------------
// Inputs: output_shape, weights (Cout, KH, KW, Cin), input (N, H, W, Cin), bias.

struct TransposeCase {
  ir::Shape input, filter, output;
  tflite::Padding padding;
  int stride;
  bool bias;
};

void build_transpose(GradCheck& g, const TransposeCase& c, Act a, float input_range = 1.0f) {
  g.i32({4}, std::vector<int32_t>(c.output.begin(), c.output.end()));
  g.random(c.filter).random(c.input, -input_range, input_range);
  if (c.bias) g.random({c.filter[0]});
  tflite::TransposeConvOptionsT o;
  o.padding = c.padding;
  o.stride_h = o.stride_w = c.stride;
  o.fused_activation_function = a;
  g.options(o);
}

const TransposeCase kTransposeCases[] = {
    {{2, 3, 3, 2}, {3, 3, 3, 2}, {2, 3, 3, 3}, kSame, 1, true},
    {{2, 3, 4, 2}, {2, 3, 3, 2}, {2, 6, 8, 2}, kSame, 2, false},
    {{3, 3, 2, 3}, {2, 3, 2, 3}, {3, 7, 4, 2}, kValid, 2, true},
    {{2, 2, 3, 1}, {2, 3, 3, 1}, {2, 4, 5, 2}, kValid, 1, true},
    {{2, 3, 3, 2}, {2, 3, 3, 2}, {2, 5, 5, 2}, kSame, 2, true},  // SAME, output one short of H * stride
};

TEST(GradConv, TransposeConvStridesPadding) {
  uint32_t seed = 1;
  for (const TransposeCase& c : kTransposeCases) {
    SCOPED_TRACE(testing::Message() << "case " << seed);
    GradCheck g(tflite::BuiltinOperator_TRANSPOSE_CONV, seed++);
    build_transpose(g, c, kNone);
    g.check();
  }
}

TEST(GradConv, TransposeConvActivations) {
  const TransposeCase c{{2, 3, 3, 3}, {2, 3, 3, 3}, {2, 6, 6, 2}, kSame, 2, true};
  for (Act a : {kRelu, kRelu6, kReluN1To1, kTanh}) {
    SCOPED_TRACE(testing::Message() << "activation " << static_cast<int>(a));
    check_activation(tflite::BuiltinOperator_TRANSPOSE_CONV, a,
                     [&](GradCheck& g, Act act, uint32_t) { build_transpose(g, c, act, a == kRelu6 ? 6.0f : 1.0f); });
  }
}

TEST(GradConv, TransposeConvAddsIntoGradients) {
  GradCheck g(tflite::BuiltinOperator_TRANSPOSE_CONV, 7);
  build_transpose(g, {{1, 2, 2, 2}, {2, 2, 2, 2}, {1, 4, 4, 2}, kValid, 2, true}, kNone);
  g.check();
}

// ---- FULLY_CONNECTED ----------------------------------------------------------

struct FcCase {
  ir::Shape input, weights;
  bool keep_num_dims, bias;
};

void build_fc(GradCheck& g, const FcCase& c, Act a, float input_range = 1.0f) {
  g.random(c.input, -input_range, input_range).random(c.weights);
  if (c.bias) g.random({c.weights[0]});
  tflite::FullyConnectedOptionsT o;
  o.keep_num_dims = c.keep_num_dims;
  o.fused_activation_function = a;
  g.options(o);
}

const FcCase kFcCases[] = {
    {{3, 5}, {4, 5}, false, true},
    {{2, 3, 5}, {3, 5}, false, false},   // rank 3 flattened to (6, 5)
    {{2, 3, 5}, {4, 5}, true, true},     // rank 3 kept: (2, 3, 4)
    {{2, 2, 6}, {2, 3}, false, true},    // rows of the weights' depth, not the last dim
    {{2, 7}, {3, 7}, true, false},
};

TEST(GradConv, FullyConnectedShapes) {
  uint32_t seed = 1;
  for (const FcCase& c : kFcCases) {
    SCOPED_TRACE(testing::Message() << "case " << seed);
    GradCheck g(tflite::BuiltinOperator_FULLY_CONNECTED, seed++);
    build_fc(g, c, kNone);
    g.check();
  }
}

TEST(GradConv, FullyConnectedActivations) {
  const FcCase c{{3, 2, 8}, {5, 8}, true, true};
  for (Act a : {kRelu, kRelu6, kReluN1To1}) {
    SCOPED_TRACE(testing::Message() << "activation " << static_cast<int>(a));
    check_activation(tflite::BuiltinOperator_FULLY_CONNECTED, a,
                     [&](GradCheck& g, Act act, uint32_t) { build_fc(g, c, act, a == kRelu6 ? 6.0f : 1.0f); });
  }
}

TEST(GradConv, FullyConnectedAddsIntoGradients) {
  GradCheck g(tflite::BuiltinOperator_FULLY_CONNECTED, 7);
  build_fc(g, {{2, 3}, {2, 3}, false, true}, kNone);
  g.check();
}

// ---- BATCH_MATMUL -------------------------------------------------------------

struct MatMulCase {
  ir::Shape lhs, rhs;
  bool adj_x, adj_y;
};

void build_matmul(GradCheck& g, const MatMulCase& c) {
  g.random(c.lhs).random(c.rhs);
  tflite::BatchMatMulOptionsT o;
  o.adj_x = c.adj_x;
  o.adj_y = c.adj_y;
  g.options(o);
}

const MatMulCase kMatMulCases[] = {
    {{3, 4}, {4, 5}, false, false},
    {{2, 4, 3}, {2, 4, 5}, true, false},
    {{2, 3, 4}, {2, 5, 4}, false, true},
    {{4, 3}, {5, 4}, true, true},
    {{2, 1, 3, 4}, {3, 4, 2}, false, false},  // batch dims broadcast both ways: (2, 3)
    {{3, 4}, {2, 2, 4, 3}, false, false},     // lhs shared by every batch
    {{3, 2, 4, 3}, {1, 5, 4}, true, true},    // rhs broadcast over both batch dims
};

TEST(GradConv, BatchMatMulAdjointsBroadcast) {
  uint32_t seed = 1;
  for (const MatMulCase& c : kMatMulCases) {
    SCOPED_TRACE(testing::Message() << "case " << seed);
    GradCheck g(tflite::BuiltinOperator_BATCH_MATMUL, seed++);
    build_matmul(g, c);
    g.check();
  }
}

TEST(GradConv, BatchMatMulAddsIntoGradients) {
  GradCheck g(tflite::BuiltinOperator_BATCH_MATMUL, 7);
  build_matmul(g, {{2, 3}, {3, 2}, false, false});
  g.check();
}

// ---- AVERAGE_POOL_2D and MAX_POOL_2D ------------------------------------------

struct PoolCase {
  ir::Shape input;
  int filter_h, filter_w, stride;
  tflite::Padding padding;
};

tflite::Pool2DOptionsT pool_options(const PoolCase& c, Act a) {
  tflite::Pool2DOptionsT o;
  o.padding = c.padding;
  o.stride_h = o.stride_w = c.stride;
  o.filter_height = c.filter_h;
  o.filter_width = c.filter_w;
  o.fused_activation_function = a;
  return o;
}

const PoolCase kPoolCases[] = {
    {{2, 5, 5, 3}, 3, 3, 1, kSame},
    {{3, 6, 5, 2}, 2, 2, 2, kValid},
    {{2, 5, 7, 2}, 3, 2, 2, kSame},  // windows cut by the padding: fewer taps
    {{2, 7, 6, 1}, 3, 3, 2, kValid},
};

// Distinct values lo + step * (i + 1/2), shuffled: no two taps of a window
// within a finite-difference step of each other, and with lo an integer and
// step 0.025 or 0.05, none within 0.0125 of an integer (the kinks).
std::vector<float> distinct_values(const ir::Shape& shape, uint32_t seed, float lo, float step) {
  const int64_t n = ir::num_elements(shape);
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = lo + step * (static_cast<float>(i) + 0.5f);
  std::mt19937 rng(seed);
  std::shuffle(v.begin(), v.end(), rng);
  return v;
}

TEST(GradConv, AveragePoolStridesPadding) {
  uint32_t seed = 1;
  for (const PoolCase& c : kPoolCases) {
    SCOPED_TRACE(testing::Message() << "case " << seed);
    GradCheck g(tflite::BuiltinOperator_AVERAGE_POOL_2D, seed++);
    g.random(c.input).options(pool_options(c, kNone));
    g.check();
  }
}

TEST(GradConv, AveragePoolActivations) {
  const PoolCase c{{2, 5, 5, 3}, 2, 2, 2, kSame};
  for (Act a : {kRelu, kRelu6, kReluN1To1, kTanh}) {
    SCOPED_TRACE(testing::Message() << "activation " << static_cast<int>(a));
    const float range = a == kRelu6 ? 8.0f : 2.0f;
    check_activation(tflite::BuiltinOperator_AVERAGE_POOL_2D, a, [&](GradCheck& g, Act act, uint32_t) {
      g.random(c.input, -range, range).options(pool_options(c, act));
    });
  }
}

TEST(GradConv, AveragePoolAddsIntoGradients) {
  GradCheck g(tflite::BuiltinOperator_AVERAGE_POOL_2D, 7);
  g.random({1, 3, 3, 2}).options(pool_options({{1, 3, 3, 2}, 2, 2, 1, kValid}, kNone));
  g.check();
}

TEST(GradConv, MaxPoolStridesPadding) {
  uint32_t seed = 1;
  for (const PoolCase& c : kPoolCases) {
    SCOPED_TRACE(testing::Message() << "case " << seed);
    GradCheck g(tflite::BuiltinOperator_MAX_POOL_2D, seed);
    g.f32(c.input, distinct_values(c.input, seed++, -1.0f, 0.025f)).options(pool_options(c, kNone));
    g.check();
  }
}

TEST(GradConv, MaxPoolActivations) {
  const PoolCase c{{2, 5, 5, 3}, 2, 2, 2, kSame};
  for (Act a : {kRelu, kRelu6, kReluN1To1, kTanh}) {
    SCOPED_TRACE(testing::Message() << "activation " << static_cast<int>(a));
    // 150 values from -2 to 1.75 (-1 to 6.5 for RELU6): the maxima straddle each kink.
    const float lo = a == kRelu6 ? -1.0f : -2.0f, step = a == kRelu6 ? 0.05f : 0.025f;
    check_activation(tflite::BuiltinOperator_MAX_POOL_2D, a, [&](GradCheck& g, Act act, uint32_t seed) {
      g.f32(c.input, distinct_values(c.input, seed, lo, step)).options(pool_options(c, act));
    });
  }
}

TEST(GradConv, MaxPoolAddsIntoGradients) {
  GradCheck g(tflite::BuiltinOperator_MAX_POOL_2D, 7);
  const PoolCase c{{1, 3, 3, 2}, 2, 2, 1, kValid};
  g.f32(c.input, distinct_values(c.input, 7, -1.0f, 0.025f)).options(pool_options(c, kNone));
  g.check();
}

// Ties: the gradient of each window goes to its first maximum in walk order
// (ky outer, kx inner), as TensorFlow's MaxPoolGrad routes it.
TEST(GradConv, MaxPoolTiesGoToTheFirstMaximum) {
  const int32_t in_dims[] = {1, 3, 3, 1};
  const int32_t out_dims[] = {1, 2, 2, 1};
  const std::vector<float> input = {1, 1, 0,   //
                                    1, 1, 1,   //
                                    0, 1, 1};  // every 2x2 window holds several 1s
  const std::vector<float> dout = {1, 2, 3, 4};
  std::vector<float> dinput(9, 0.5f);  // added into
  kernels::PoolParams p;
  p.filter_h = p.filter_w = 2;
  kernels::max_pool2d_backward(p, input.data(), in_dims, dout.data(), out_dims, dinput.data());
  // Windows at (0,0), (0,1), (1,0), (1,1): first 1 at (0,0), (0,1), (1,0), (1,1).
  const std::vector<float> expected = {1.5f, 2.5f, 0.5f,  //
                                       3.5f, 4.5f, 0.5f,  //
                                       0.5f, 0.5f, 0.5f};
  EXPECT_EQ(dinput, expected);
}

}  // namespace
}  // namespace tfc::test
