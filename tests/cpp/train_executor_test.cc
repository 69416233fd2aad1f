// The training executor: whole-graph gradients against finite differences,
// the gradient arena (a tensor read by several ops, an op reading one tensor
// twice), frozen parameters, and refusals before anything runs.
#include <cmath>
#include <random>

#include "model_builder.h"
#include "op_harness.h"
#include "train/executor.h"

namespace tfc::test {
namespace {

using train::Executor;
using train::TrainGraph;

Array random_array(ir::Shape shape, uint32_t seed) {
  Array a;
  a.shape.assign(shape.begin(), shape.end());
  a.data.resize(static_cast<size_t>(a.num_elements()) * 4);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (int64_t i = 0; i < a.num_elements(); ++i) a.as<float>()[i] = u(rng);
  return a;
}

// x[4,3] -> FC(w1[5,3], b1) -> RELU -> h ; h + h (ADD of one tensor twice) -> FC(w2[2,5]) -> y
// and h also read by MUL(h, w3) -> z: a second output (tensor read by several ops).
TrainGraph mlp() {
  ModelBuilder b;
  const auto x = b.input("x", {4, 3});
  const auto w1 = b.weights("w1", {5, 3}, 1);
  const auto b1 = b.weights("b1", {5}, 2);
  const auto h0 = b.tensor("h0", {4, 5});
  b.op(tflite::BuiltinOperator_FULLY_CONNECTED, {x, w1, b1}, {h0});
  const auto h = b.tensor("h", {4, 5});
  b.op(tflite::BuiltinOperator_RELU, {h0}, {h});
  const auto hh = b.tensor("hh", {4, 5});
  b.op(tflite::BuiltinOperator_ADD, {h, h}, {hh});
  const auto w2 = b.weights("w2", {2, 5}, 3);
  const auto y = b.output("y", {4, 2});
  b.op(tflite::BuiltinOperator_FULLY_CONNECTED, {hh, w2, ir::kNoTensor}, {y});
  const auto w3 = b.weights("w3", {5}, 4);
  const auto z = b.output("z", {4, 5});
  b.op(tflite::BuiltinOperator_MUL, {h, w3}, {z});
  TrainGraph tg;
  tg.model = std::move(b.m);
  tg.num_data_inputs = 1;
  for (auto [name, id] : {std::pair{"w1", w1}, {"b1", b1}, {"w2", w2}, {"w3", w3}}) {
    tg.params.push_back(train::Parameter{name, id, DType::kFloat32, false});
  }
  return tg;
}

// L = sum(wy * y) + sum(wz * z) for fixed random weights.
double loss(Executor& ex, const std::vector<float>& wy, const std::vector<float>& wz) {
  EXPECT_OK(ex.forward());
  double l = 0;
  for (size_t i = 0; i < wy.size(); ++i) l += static_cast<double>(wy[i]) * ex.output(0)[i];
  for (size_t i = 0; i < wz.size(); ++i) l += static_cast<double>(wz[i]) * ex.output(1)[i];
  return l;
}

TEST(TrainExecutor, WholeGraphGradientsMatchFiniteDifferences) {
  TrainGraph tg = mlp();
  auto ex = Executor::create(tg);
  ASSERT_TRUE(ex.has_value()) << ex.status().message();
  Executor& e = **ex;
  ASSERT_OK(e.set_input(0, random_array({4, 3}, 7)));
  const Array wy = random_array({4, 2}, 8), wz = random_array({4, 5}, 9);
  const std::vector<float> vy(wy.as<float>(), wy.as<float>() + 8), vz(wz.as<float>(), wz.as<float>() + 20);
  for (int rep = 0; rep < 2; ++rep) {  // a second step must give the same gradients (buffers re-zeroed)
    ASSERT_OK(e.forward());
    std::copy(vy.begin(), vy.end(), e.output_grad(0));
    std::copy(vz.begin(), vz.end(), e.output_grad(1));
    ASSERT_OK(e.backward());
  }
  for (auto& p : e.params()) {
    const std::vector<float> analytic = p.grad;
    for (size_t j = 0; j < p.value.size(); ++j) {
      const float saved = p.value[j];
      const float h = 1e-2f;
      p.value[j] = saved + h;
      const double lp = loss(e, vy, vz);
      p.value[j] = saved - h;
      const double lm = loss(e, vy, vz);
      p.value[j] = saved;
      const double numeric = (lp - lm) / (2.0 * h);
      EXPECT_NEAR(analytic[j], numeric, 2e-3 + 1e-2 * std::fabs(numeric)) << p.name << "[" << j << "]";
    }
  }
  EXPECT_GT(e.activation_bytes(), 0u);
  EXPECT_GT(e.gradient_bytes(), 0u);
}

TEST(TrainExecutor, FrozenParametersGetNoGradient) {
  TrainGraph tg = mlp();
  tg.params[0].frozen = true;  // w1
  auto ex = Executor::create(tg);
  ASSERT_TRUE(ex.has_value()) << ex.status().message();
  EXPECT_TRUE((*ex)->params()[0].grad.empty());
  EXPECT_FALSE((*ex)->params()[1].grad.empty());
}

TEST(TrainExecutor, SmallerBatchRuns) {
  TrainGraph tg = mlp();
  auto ex = Executor::create(tg);
  ASSERT_TRUE(ex.has_value());
  ASSERT_OK((*ex)->set_input(0, random_array({2, 3}, 3)));
  ASSERT_OK((*ex)->forward());
  EXPECT_EQ((*ex)->output_shape(0), (ir::Shape{2, 2}));
  expect_error((*ex)->set_input(0, random_array({5, 3}, 3)), "a batch of at most 4");
}

TEST(TrainExecutor, RefusesAnOpWithoutAGradientRuleByName) {
  ModelBuilder b;
  const auto x = b.input("x", {2, 3});
  const auto w = b.weights("w", {3, 3}, 1);
  const auto h = b.tensor("h", {2, 3});
  b.op(tflite::BuiltinOperator_FULLY_CONNECTED, {x, w, ir::kNoTensor}, {h});
  const auto y = b.output("y", {2, 3});
  b.op(tflite::BuiltinOperator_FLOOR, {h}, {y});
  TrainGraph tg;
  tg.model = std::move(b.m);
  tg.num_data_inputs = 1;
  tg.params.push_back(train::Parameter{"w", w, DType::kFloat32, false});
  auto ex = Executor::create(tg);
  ASSERT_FALSE(ex.has_value());
  expect_error(ex.status(), "FLOOR");
}

TEST(TrainExecutor, RefusesAModelWithoutTrainableParameters) {
  ModelBuilder b;
  const auto x = b.input("x", {2, 3});
  const auto y = b.output("y", {2, 3});
  b.op(tflite::BuiltinOperator_RELU, {x}, {y});
  TrainGraph tg;
  tg.model = std::move(b.m);
  tg.num_data_inputs = 1;
  auto ex = Executor::create(tg);
  ASSERT_FALSE(ex.has_value());
  expect_error(ex.status(), "no trainable float32 parameter");
}

}  // namespace
}  // namespace tfc::test
