// The trainer's re-initialization (--reinit): Keras's glorot_uniform limits
// by the reading op's layout, including a depthwise kernel with a depth
// multiplier (Keras's fans of [H, W, C, M]: H*W*C in, H*W*M out).
#include <gtest/gtest.h>

#include <cmath>

#include "importers/import.h"
#include "test_util.h"
#include "train/trainer.h"

namespace tfc {
namespace {

float largest(const std::vector<float>& v) {
  float m = 0.0f;
  for (float x : v) m = std::max(m, std::fabs(x));
  return m;
}

TEST(Trainer, ReinitUsesKerasGlorotLimits) {
  auto m = importers::import_model((test::fixtures_dir() / "keras" / "conv2d_bn" / "model.keras").string());
  ASSERT_TRUE(m.has_value()) << m.status().message();
  train::TrainerOptions o;
  o.batch = 2;
  o.reinit = true;
  o.seed = 3;
  auto opt = train::make_optimizer({});
  ASSERT_TRUE(opt.has_value()) << opt.status().message();
  auto t = train::Trainer::create(m->model, &m->training, o, std::move(*opt));
  ASSERT_TRUE(t.has_value()) << t.status().message();
  // name -> Keras's limit sqrt(6 / (fan_in + fan_out))
  const std::pair<const char*, double> kernels[] = {
      {"conv2d_bn/sep/separable_conv2d/depthwise/kernel", std::sqrt(6.0 / (9 * 32 + 9 * 2))},  // 3x3, C 32, M 2
      {"conv2d_bn/down/kernel", std::sqrt(6.0 / (9 * 64 + 9 * 40))},                          // 3x3, 64 -> 40
      {"conv2d_bn/logits/MatMul", std::sqrt(6.0 / (48 + 10))},                                 // dense 48 -> 10
  };
  for (const auto& [name, limit] : kernels) {
    SCOPED_TRACE(name);
    const train::ParamBuffer* p = nullptr;
    for (const auto& b : (*t)->params()) {
      if (b.name == name) p = &b;
    }
    ASSERT_NE(p, nullptr);
    // Uniform in (-limit, limit): the largest of hundreds of draws lies close to the limit.
    EXPECT_LE(largest(p->value), limit);
    EXPECT_GE(largest(p->value), 0.9 * limit);
  }
}

}  // namespace
}  // namespace tfc
