// Gradient rules of the elementwise family against finite differences.
#include <functional>

#include "grad_check.h"

namespace tfc::test {
namespace {

using Op = tflite::BuiltinOperator;
using Act = tflite::ActivationFunctionType;

// Pairs of input shapes that broadcast, in both directions, up to rank 6.
struct ShapePair {
  ir::Shape a, b;
};
const std::vector<ShapePair> kBroadcastPairs = {
    {{2, 3, 4}, {2, 3, 4}}, {{2, 3, 4}, {4}}, {{4}, {2, 3, 4}}, {{2, 1, 4}, {1, 3, 1}}, {{2, 3}, {}}, {{}, {2, 3}},
    {{3, 1}, {2, 1, 4}},    {{2, 1, 2, 1, 2, 1}, {1, 2, 1, 2, 1, 2}},
};

// Fewer pairs for the fused activations: each of their outputs is one more
// chance of a value within the difference step of a kink.
const std::vector<ShapePair> kActivationPairs = {{{2, 3, 4}, {4}}, {{2, 1, 4}, {1, 3, 1}}, {{}, {2, 3}}};

// Value ranges of a binary op's two inputs.
struct Ranges {
  float a_lo, a_hi, b_lo, b_hi;
};

// Sets op options (or none) on a check.
using SetOptions = std::function<void(GradCheck&)>;

// Checks `op` on every pair of shapes, with gradients for both inputs, only a, and only b.
void check_binary(Op op, Ranges r, const SetOptions& set_options = [](GradCheck&) {},
                  const std::vector<ShapePair>& pairs = kBroadcastPairs) {
  uint32_t seed = 1;
  for (const ShapePair& p : pairs) {
    for (const auto [wa, wb] : {std::pair{true, true}, {true, false}, {false, true}}) {
      SCOPED_TRACE(testing::Message() << "shapes " << ::testing::PrintToString(p.a) << " and "
                                      << ::testing::PrintToString(p.b) << ", wrt a " << wa << ", wrt b " << wb);
      GradCheck g(op, seed++);
      g.random(p.a, r.a_lo, r.a_hi, wa).random(p.b, r.b_lo, r.b_hi, wb);
      set_options(g);
      g.check();
    }
  }
}

// The same tensor as both inputs of `op`.
void check_same_input(Op op, float lo, float hi, const SetOptions& set_options = [](GradCheck&) {}) {
  GradCheck g(op, 7);
  g.random({2, 3}, lo, hi).same_as(0);
  set_options(g);
  g.check();
}

template <typename Options>
SetOptions with_activation(Act act) {
  return [act](GradCheck& g) {
    Options o;
    o.fused_activation_function = act;
    g.options(o);
  };
}

// The float kernels clamp for RELU, RELU6 and RELU_N1_TO_1 and, as LiteRT's,
// leave values alone for TANH and SIGN_BIT; the gradients must agree.
const Act kActivations[] = {Act::ActivationFunctionType_RELU, Act::ActivationFunctionType_RELU6,
                            Act::ActivationFunctionType_RELU_N1_TO_1, Act::ActivationFunctionType_TANH,
                            Act::ActivationFunctionType_SIGN_BIT};

// Every fused activation on kActivationPairs, for options type Options.
template <typename Options>
void check_activations(Op op, Ranges r) {
  for (Act act : kActivations) {
    SCOPED_TRACE(tflite::EnumNameActivationFunctionType(act));
    check_binary(op, r, with_activation<Options>(act), kActivationPairs);
  }
}

TEST(GradElementwise, Relu) {
  // Values away from the kink at 0 (finite differences straddling it are meaningless).
  GradCheck g(tflite::BuiltinOperator_RELU);
  g.f32({2, 3}, {-0.9f, -0.5f, 0.3f, 0.7f, -0.2f, 1.5f});
  g.check();
}

TEST(GradElementwise, Add) {
  check_binary(tflite::BuiltinOperator_ADD, {-1, 1, -1, 1});
  check_activations<tflite::AddOptionsT>(tflite::BuiltinOperator_ADD, {-4, 4, -4, 4});
  check_same_input(tflite::BuiltinOperator_ADD, -1, 1);
}

TEST(GradElementwise, Sub) {
  check_binary(tflite::BuiltinOperator_SUB, {-1, 1, -1, 1});
  check_activations<tflite::SubOptionsT>(tflite::BuiltinOperator_SUB, {-4, 4, -4, 4});
  check_same_input(tflite::BuiltinOperator_SUB, -1, 1);
}

TEST(GradElementwise, Mul) {
  check_binary(tflite::BuiltinOperator_MUL, {-2, 2, -2, 2});
  check_activations<tflite::MulOptionsT>(tflite::BuiltinOperator_MUL, {-3, 3, -3, 3});
  check_same_input(tflite::BuiltinOperator_MUL, -2, 2);
}

TEST(GradElementwise, Div) {
  // Divisors away from 0.
  check_binary(tflite::BuiltinOperator_DIV, {-2, 2, 0.5f, 2});
  check_binary(tflite::BuiltinOperator_DIV, {-2, 2, -2, -0.5f});
  check_activations<tflite::DivOptionsT>(tflite::BuiltinOperator_DIV, {-4, 4, 0.5f, 2});
  check_same_input(tflite::BuiltinOperator_DIV, 0.5f, 2);
}

TEST(GradElementwise, MaximumMinimum) {
  check_binary(tflite::BuiltinOperator_MAXIMUM, {-1, 1, -1, 1});
  check_binary(tflite::BuiltinOperator_MINIMUM, {-1, 1, -1, 1});
  // max(x, x) = x: the tie's gradient goes to one input only, so it is counted once.
  check_same_input(tflite::BuiltinOperator_MAXIMUM, -1, 1);
  check_same_input(tflite::BuiltinOperator_MINIMUM, -1, 1);
}

// The gradients of MAXIMUM / MINIMUM at a = [1, 2, 3], b = [2, 2, 2] (a tie
// in the middle), run by hand: finite differences cannot see where a tie's
// gradient goes. TensorFlow sends it to the first input.
std::pair<std::vector<float>, std::vector<float>> max_min_grads(Op code) {
  ir::Op op;
  op.code.builtin = code;
  ir::Tensor t;
  t.name = "t";
  t.dtype = DType::kFloat32;
  std::vector<float> a = {1, 2, 3}, b = {2, 2, 2}, y(3), dy = {1, 1, 1}, da(3, 0.0f), db(3, 0.0f);
  ops::TensorSlot sa{&t, {3}, a.data()}, sb{&t, {3}, b.data()}, sy{&t, {3}, y.data()};
  ops::OpContext fwd(op, {&sa, &sb}, {&sy}, kernels::kDefaultRequantization);
  std::vector<float> scratch;
  const std::vector<const float*> dys = {dy.data()};
  const std::vector<float*> dxs = {da.data(), db.data()};
  ops::GradContext g(fwd, dys, dxs, &scratch);
  const Status s = ops::find_op(code)->grad(g);
  EXPECT_TRUE(s.is_ok()) << s.message();
  return {da, db};
}

TEST(GradElementwise, MaximumMinimumTiesGoToTheFirstInput) {
  const auto [max_a, max_b] = max_min_grads(tflite::BuiltinOperator_MAXIMUM);
  EXPECT_EQ(max_a, (std::vector<float>{0, 1, 1}));
  EXPECT_EQ(max_b, (std::vector<float>{1, 0, 0}));
  const auto [min_a, min_b] = max_min_grads(tflite::BuiltinOperator_MINIMUM);
  EXPECT_EQ(min_a, (std::vector<float>{1, 1, 0}));
  EXPECT_EQ(min_b, (std::vector<float>{0, 0, 1}));
}

TEST(GradElementwise, NonFloatInputIsNotDifferentiable) {
  ir::Op op;
  op.code.builtin = tflite::BuiltinOperator_ADD;
  ir::Tensor t;
  t.name = "shape_part";
  t.dtype = DType::kInt32;
  std::vector<int32_t> a = {1, 2}, y(2);
  std::vector<float> dy = {1, 1}, da(2, 0.0f);
  ops::TensorSlot sa{&t, {2}, a.data()}, sy{&t, {2}, y.data()};
  ops::OpContext fwd(op, {&sa, &sa}, {&sy}, kernels::kDefaultRequantization);
  std::vector<float> scratch;
  const std::vector<const float*> dys = {dy.data()};
  const std::vector<float*> dxs = {da.data(), nullptr}, none_needed = {nullptr, nullptr};
  ops::GradContext g(fwd, dys, dxs, &scratch);
  const Status s = ops::add_grad(g);
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_NE(s.message().find("shape_part"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("int32"), std::string::npos) << s.message();
  // No input asks for a gradient: nothing to refuse.
  ops::GradContext none(fwd, dys, none_needed, &scratch);
  EXPECT_TRUE(ops::add_grad(none).is_ok());
}

TEST(GradElementwise, SquaredDifference) {
  check_binary(tflite::BuiltinOperator_SQUARED_DIFFERENCE, {-1, 1, -1, 1});
  // (x - x)^2 = 0 everywhere: the two contributions cancel.
  check_same_input(tflite::BuiltinOperator_SQUARED_DIFFERENCE, -1, 1);
}

TEST(GradElementwise, Prelu) {
  // alpha per channel, shaped [1, 1, C], a scalar-like [1], and full.
  const std::vector<ShapePair> shapes = {
      {{2, 3, 4}, {4}}, {{1, 2, 2, 3}, {1, 1, 3}}, {{3, 2}, {1}}, {{2, 3}, {2, 3}}};
  uint32_t seed = 11;
  for (const ShapePair& p : shapes) {
    for (const auto [wx, wa] : {std::pair{true, true}, {true, false}, {false, true}}) {
      GradCheck g(tflite::BuiltinOperator_PRELU, seed++);
      g.random(p.a, -1, 1, wx).random(p.b, 0.1f, 0.5f, wa);
      g.check();
    }
  }
}

// A unary op on a few shapes with values in [lo, hi).
void check_unary(Op op, float lo, float hi, const SetOptions& set_options = [](GradCheck&) {}) {
  uint32_t seed = 3;
  for (const ir::Shape& s : {ir::Shape{}, ir::Shape{7}, ir::Shape{2, 3, 4}}) {
    GradCheck g(op, seed++);
    g.random(s, lo, hi);
    set_options(g);
    g.check();
  }
}

TEST(GradElementwise, LogisticTanh) {
  check_unary(tflite::BuiltinOperator_LOGISTIC, -4, 4);
  check_unary(tflite::BuiltinOperator_TANH, -3, 3);
}

TEST(GradElementwise, ClampingActivations) {
  // Away from the kinks at -1, 0, 1 and 6.
  GradCheck relu6(tflite::BuiltinOperator_RELU6);
  relu6.f32({8}, {-2.0f, -0.3f, 0.2f, 1.7f, 3.0f, 5.8f, 6.4f, 9.0f}).check();
  GradCheck n1(tflite::BuiltinOperator_RELU_N1_TO_1);
  n1.f32({2, 3}, {-2.0f, -0.8f, -0.1f, 0.4f, 0.9f, 1.3f}).check();
}

TEST(GradElementwise, LeakyRelu) {
  for (float alpha : {0.0f, 0.2f, 1.5f}) {
    GradCheck g(tflite::BuiltinOperator_LEAKY_RELU);
    tflite::LeakyReluOptionsT o;
    o.alpha = alpha;
    g.f32({2, 3}, {-2.0f, -0.5f, -0.1f, 0.1f, 0.6f, 3.0f}).options(o).check();
  }
  // Without options alpha is 0 (a RELU).
  GradCheck g(tflite::BuiltinOperator_LEAKY_RELU);
  g.f32({3}, {-1.0f, 0.5f, 2.0f}).check();
}

TEST(GradElementwise, HardSwish) {
  // Every piece, away from the kinks at -3 and 3.
  GradCheck g(tflite::BuiltinOperator_HARD_SWISH);
  g.f32({2, 4}, {-5.0f, -3.2f, -2.8f, -1.0f, 0.3f, 2.7f, 3.3f, 6.0f}).check();
}

TEST(GradElementwise, Gelu) {
  for (bool approximate : {false, true}) {
    check_unary(tflite::BuiltinOperator_GELU, -4, 4, [approximate](GradCheck& g) {
      tflite::GeluOptionsT o;
      o.approximate = approximate;
      g.options(o);
    });
  }
  check_unary(tflite::BuiltinOperator_GELU, -4, 4);  // no options: exact
  // The two derivatives differ by up to about 9e-4 near |x| = 2: a larger
  // step and tighter bounds tell them apart.
  for (bool approximate : {false, true}) {
    GradCheck g(tflite::BuiltinOperator_GELU);
    tflite::GeluOptionsT o;
    o.approximate = approximate;
    g.f32({6}, {-2.2f, -2.0f, -1.8f, 1.8f, 2.0f, 2.2f}).options(o);
    g.check(/*eps=*/1e-2, /*rtol=*/1e-3, /*atol=*/1e-4);
  }
}

TEST(GradElementwise, ExpSqrtRsqrt) {
  check_unary(tflite::BuiltinOperator_EXP, -2, 2);
  check_unary(tflite::BuiltinOperator_SQRT, 0.3f, 4);
  check_unary(tflite::BuiltinOperator_RSQRT, 0.3f, 4);
}

TEST(GradElementwise, Softmax) {
  uint32_t seed = 5;
  for (float beta : {1.0f, 0.5f, 2.5f}) {
    for (const ir::Shape& s : {ir::Shape{5}, ir::Shape{2, 3, 4}, ir::Shape{3, 1}}) {
      GradCheck g(tflite::BuiltinOperator_SOFTMAX, seed++);
      tflite::SoftmaxOptionsT o;
      o.beta = beta;
      g.random(s, -2, 2).options(o).check();
    }
  }
}

TEST(GradElementwise, LogSoftmax) {
  uint32_t seed = 9;
  for (const ir::Shape& s : {ir::Shape{5}, ir::Shape{2, 3, 4}, ir::Shape{3, 1}}) {
    GradCheck g(tflite::BuiltinOperator_LOG_SOFTMAX, seed++);
    g.random(s, -2, 2).check();
  }
}

}  // namespace
}  // namespace tfc::test
