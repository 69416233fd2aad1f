// Gradient rules of the math family against finite differences, and the
// reductions' ties and zeros against TensorFlow's rules computed by hand.
#include <random>
#include <vector>

#include "grad_check.h"
#include "grad_random.h"

namespace tfc::test {
namespace {

// A unary op on a few shapes with values in [lo, hi).
void check_unary(tflite::BuiltinOperator op, float lo, float hi) {
  uint32_t seed = 1;
  for (const ir::Shape& s : {ir::Shape{}, ir::Shape{5}, ir::Shape{2, 3, 2}}) {
    GradCheck g(op, seed++);
    g.random(s, lo, hi).check();
  }
}

TEST(GradMath, Elu) {
  // Both pieces, away from the kink at 0.
  GradCheck g(tflite::BuiltinOperator_ELU);
  g.f32({2, 3}, {-3.0f, -1.0f, -0.2f, 0.1f, 0.8f, 2.5f}).check();
  check_unary(tflite::BuiltinOperator_ELU, -3, -0.1f);
}

TEST(GradMath, Abs) {
  GradCheck g(tflite::BuiltinOperator_ABS);
  g.f32({2, 3}, {-3.0f, -1.0f, -0.2f, 0.1f, 0.8f, 2.5f}).check();
}

TEST(GradMath, NegSquare) {
  check_unary(tflite::BuiltinOperator_NEG, -2, 2);
  check_unary(tflite::BuiltinOperator_SQUARE, -2, 2);
}

TEST(GradMath, Log) { check_unary(tflite::BuiltinOperator_LOG, 0.2f, 5); }

TEST(GradMath, AddN) {
  GradCheck three(tflite::BuiltinOperator_ADD_N);
  three.random({2, 3}).random({2, 3}, -1, 1, false).random({2, 3}).check();
  // One tensor listed twice receives the gradient twice.
  GradCheck twice(tflite::BuiltinOperator_ADD_N, 2);
  twice.random({4}).random({4}).same_as(0).check();
}

TEST(GradMath, L2Normalization) {
  uint32_t seed = 1;
  for (const ir::Shape& s : {ir::Shape{5}, ir::Shape{3, 4}, ir::Shape{2, 1, 3}, ir::Shape{1, 2, 2, 3}}) {
    GradCheck g(tflite::BuiltinOperator_L2_NORMALIZATION, seed++);
    g.random(s, -2, 2).check();
  }
}

TEST(GradMath, L2NormalizationBelowEpsilon) {
  // |x| < 1e-6: the forward divides by the floor 1e-6, so dy/dx = 1 / 1e-6
  // (a step that keeps |x| below the floor).
  GradCheck g(tflite::BuiltinOperator_L2_NORMALIZATION);
  g.f32({4}, {1e-8f, -2e-8f, 3e-8f, 0.5e-8f});
  g.check(/*eps=*/1e-9, /*rtol=*/1e-2, /*atol=*/1e-3);
}

tflite::ReducerOptionsT reducer(bool keep_dims) {
  tflite::ReducerOptionsT o;
  o.keep_dims = keep_dims;
  return o;
}

// `op` over random axes (some negative, one repeated; int32 or int64) of
// random shapes, keep_dims both ways, on values from `values`.
template <typename Values>
void check_reduction(tflite::BuiltinOperator op, int max_rank, Values values) {
  std::mt19937 rng(21);
  for (int trial = 0; trial < 4; ++trial) {
    for (bool keep : {false, true}) {
      const ir::Shape s = random_shape(rng, 1, max_rank);
      const std::vector<int32_t> axes = random_axes(rng, static_cast<int>(s.size()));
      SCOPED_TRACE(testing::Message() << "trial " << trial << " keep_dims " << keep);
      GradCheck g(op, 200 + trial);
      g.f32(s, values(rng, ir::num_elements(s)));
      if (trial % 2) {
        g.i64({static_cast<int32_t>(axes.size())}, std::vector<int64_t>(axes.begin(), axes.end()));
      } else {
        g.i32({static_cast<int32_t>(axes.size())}, axes);
      }
      g.options(reducer(keep)).check();
    }
  }
}

std::vector<float> uniform_values(std::mt19937& rng, int64_t n) {
  std::uniform_real_distribution<float> u(-1.5f, 1.5f);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = u(rng);
  return v;
}

TEST(GradMath, ReduceMaxAndMinOverAnyAxes) {
  // Distinct values: no ties, so the max / min moves with one element.
  check_reduction(tflite::BuiltinOperator_REDUCE_MAX, 4, distinct_values);
  check_reduction(tflite::BuiltinOperator_REDUCE_MIN, 4, distinct_values);
}

TEST(GradMath, ReduceMaxAndMinOfEverything) {
  std::mt19937 rng(22);
  for (auto op : {tflite::BuiltinOperator_REDUCE_MAX, tflite::BuiltinOperator_REDUCE_MIN}) {
    GradCheck all(op);
    all.f32({2, 3, 2}, distinct_values(rng, 12)).i32({3}, {0, -2, 2}).options(reducer(false)).check();
    EXPECT_TRUE(all.out_shape().empty());
  }
}

TEST(GradMath, ReduceMaxTiesShareTheGradient) {
  // TensorFlow's _MinOrMaxGrad: dx = (x == y) / (number of ties) * dy.
  GradCheck g(tflite::BuiltinOperator_REDUCE_MAX);
  g.f32({2, 3}, {1.0f, 3.0f, 3.0f, 2.0f, 2.0f, 2.0f}).i32({1}, {1}).options(reducer(false));
  const std::vector<float> dx = g.gradient(0, {0.6f, 0.9f});
  const float third = 1.0f / 3.0f * 0.9f;
  const std::vector<float> want = {0.0f, 0.5f * 0.6f, 0.5f * 0.6f, third, third, third};
  ASSERT_EQ(dx.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_FLOAT_EQ(dx[i], want[i]) << "element " << i;
}

TEST(GradMath, ReduceMinTiesShareTheGradient) {
  // Columns (axis -2, keep_dims): a tie of two, a single minimum, a tie of two.
  GradCheck g(tflite::BuiltinOperator_REDUCE_MIN);
  g.f32({2, 3}, {-1.0f, 4.0f, 0.0f, -1.0f, 5.0f, 0.0f}).i32({1}, {-2}).options(reducer(true));
  const std::vector<float> dx = g.gradient(0, {0.5f, -0.7f, 0.25f});
  const std::vector<float> want = {0.25f, -0.7f, 0.125f, 0.25f, 0.0f, 0.125f};
  ASSERT_EQ(dx.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_FLOAT_EQ(dx[i], want[i]) << "element " << i;
  // Every element equal, every axis: each gets a quarter.
  GradCheck all(tflite::BuiltinOperator_REDUCE_MIN);
  all.f32({2, 2}, {2.0f, 2.0f, 2.0f, 2.0f}).i32({2}, {0, 1}).options(reducer(false));
  for (float v : all.gradient(0, {0.8f})) EXPECT_FLOAT_EQ(v, 0.25f * 0.8f);
}

TEST(GradMath, ReduceProdOverAnyAxes) {
  // The product is linear in each element, so central differences are exact
  // up to rounding, zeros included.
  check_reduction(tflite::BuiltinOperator_REDUCE_PROD, 3, uniform_values);
  GradCheck zeros(tflite::BuiltinOperator_REDUCE_PROD);
  zeros.f32({2, 3}, {2.0f, 0.0f, 3.0f, 0.0f, 0.0f, 5.0f}).i32({1}, {-1}).options(reducer(true)).check();
}

TEST(GradMath, ReduceProdWithZeros) {
  // dx = dy * the product of the others: one zero passes the others' product
  // to it alone, two zeros give 0 everywhere.
  GradCheck g(tflite::BuiltinOperator_REDUCE_PROD);
  g.f32({2, 3}, {2.0f, 0.0f, 3.0f, 0.0f, 0.0f, 5.0f}).i32({1}, {1}).options(reducer(false));
  const std::vector<float> dx = g.gradient(0, {0.5f, 2.0f});
  const std::vector<float> want = {0.0f, 3.0f, 0.0f, 0.0f, 0.0f, 0.0f};
  ASSERT_EQ(dx.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_FLOAT_EQ(dx[i], want[i]) << "element " << i;
}

}  // namespace
}  // namespace tfc::test
