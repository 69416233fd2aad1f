// Gradient rules of the elementwise family against finite differences.
#include "grad_check.h"

namespace tfc::test {
namespace {

TEST(GradElementwise, Relu) {
  // Values away from the kink at 0 (finite differences straddling it are meaningless).
  GradCheck g(tflite::BuiltinOperator_RELU);
  g.f32({2, 3}, {-0.9f, -0.5f, 0.3f, 0.7f, -0.2f, 1.5f});
  g.check();
}

}  // namespace
}  // namespace tfc::test
