// Gradient rules of the math family against finite differences.
#include "grad_check.h"

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

}  // namespace
}  // namespace tfc::test
