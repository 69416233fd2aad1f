// The training executor: whole-graph gradients against finite differences,
// the gradient arena (a tensor read by several ops, an op reading one tensor
// twice), frozen parameters, refusals before anything runs, the oneDNN
// fast path against the reference path on a small CNN, the clamps' gradient
// at their bounds, and the fused training-mode batch normalization against
// its op sequence on Keras fixtures.
#include <algorithm>
#include <cmath>
#include <random>

#include "importers/import.h"
#include "model_builder.h"
#include "op_harness.h"
#include "test_util.h"
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

// x[4,8,8,3] -> CONV_2D 3x3 SAME +b RELU -> DEPTHWISE 3x3 stride 2 SAME +b
// RELU6 -> CONV_2D 1x1 (no bias) -> RELU6 -> FC[5,128] +b RELU -> FC[3,5] +b -> y[4,3].
TrainGraph cnn() {
  ModelBuilder b;
  const auto x = b.input("x", {4, 8, 8, 3});
  std::vector<std::pair<const char*, ir::TensorId>> params;
  auto param = [&](const char* name, ir::Shape shape) {
    const auto id = b.weights(name, std::move(shape), static_cast<uint32_t>(params.size() + 11));
    params.emplace_back(name, id);
    return id;
  };
  const auto c1 = b.tensor("c1", {4, 8, 8, 6});
  b.op(tflite::BuiltinOperator_CONV_2D, {x, param("w1", {6, 3, 3, 3}), param("b1", {6})}, {c1})
      .options.Set(conv2d_options(tflite::Padding_SAME, 1, tflite::ActivationFunctionType_RELU));
  const auto d = b.tensor("d", {4, 4, 4, 6});
  tflite::DepthwiseConv2DOptionsT dw;
  dw.padding = tflite::Padding_SAME;
  dw.stride_h = dw.stride_w = 2;
  dw.depth_multiplier = 1;
  dw.fused_activation_function = tflite::ActivationFunctionType_RELU6;
  b.op(tflite::BuiltinOperator_DEPTHWISE_CONV_2D, {c1, param("wd", {1, 3, 3, 6}), param("bd", {6})}, {d})
      .options.Set(std::move(dw));
  const auto c2 = b.tensor("c2", {4, 4, 4, 8});
  b.op(tflite::BuiltinOperator_CONV_2D, {d, param("w2", {8, 1, 1, 6}), ir::kNoTensor}, {c2})
      .options.Set(conv2d_options(tflite::Padding_VALID, 1, tflite::ActivationFunctionType_NONE));
  const auto c2r = b.tensor("c2r", {4, 4, 4, 8});
  b.op(tflite::BuiltinOperator_RELU6, {c2}, {c2r});
  const auto f = b.tensor("f", {4, 5});
  tflite::FullyConnectedOptionsT fc;
  fc.fused_activation_function = tflite::ActivationFunctionType_RELU;
  b.op(tflite::BuiltinOperator_FULLY_CONNECTED, {c2r, param("wf", {5, 128}), param("bf", {5})}, {f})
      .options.Set(std::move(fc));
  const auto y = b.output("y", {4, 3});
  b.op(tflite::BuiltinOperator_FULLY_CONNECTED, {f, param("wo", {3, 5}), param("bo", {3})}, {y});
  TrainGraph tg;
  tg.model = std::move(b.m);
  tg.num_data_inputs = 1;
  for (auto [name, id] : params) tg.params.push_back(train::Parameter{name, id, DType::kFloat32, false});
  return tg;
}

// One step on `batch` rows of a fixed input with dL/dy fixed: y, then every
// parameter's gradient.
std::vector<std::vector<float>> cnn_step(const TrainGraph& tg, const train::ExecutorOptions& o, int batch,
                                         int expect_fast_ops) {
  auto ex = Executor::create(tg, o);
  EXPECT_TRUE(ex.has_value()) << ex.status().message();
  if (!ex.has_value()) return {};
  Executor& e = **ex;
  EXPECT_EQ(e.num_fast_ops(), expect_fast_ops);
  Array x = random_array({4, 8, 8, 3}, 21);
  x.shape[0] = batch;
  x.data.resize(static_cast<size_t>(x.num_elements()) * 4);
  EXPECT_OK(e.set_input(0, x));
  const Array wy = random_array({4, 3}, 22);
  std::vector<std::vector<float>> result;
  for (int rep = 0; rep < 2; ++rep) {  // the second step reuses every buffer
    EXPECT_OK(e.forward());
    std::copy(wy.as<float>(), wy.as<float>() + batch * 3, e.output_grad(0));
    EXPECT_OK(e.backward());
  }
  result.emplace_back(e.output(0), e.output(0) + batch * 3);
  for (const auto& p : e.params()) result.push_back(p.grad);
  return result;
}

// Each fast tensor within 1e-4 of the reference one, relative to the largest magnitude in it.
void expect_close(const std::vector<std::vector<float>>& fast, const std::vector<std::vector<float>>& ref) {
  ASSERT_EQ(fast.size(), ref.size());
  for (size_t t = 0; t < ref.size(); ++t) {
    ASSERT_EQ(fast[t].size(), ref[t].size());
    if (ref[t].empty()) continue;  // left out by the caller
    float scale = 0.0f;
    for (float v : ref[t]) scale = std::max(scale, std::fabs(v));
    EXPECT_GT(scale, 0.0f) << "tensor " << t;
    for (size_t i = 0; i < ref[t].size(); ++i)
      EXPECT_NEAR(fast[t][i], ref[t][i], 1e-4f * scale) << "tensor " << t << " [" << i << "]";
  }
}

TEST(TrainExecutor, FastPathMatchesTheReference) {
  const TrainGraph tg = cnn();
  const auto ref = cnn_step(tg, {.fast = false}, 4, 0);
  expect_close(cnn_step(tg, {}, 4, 6), ref);
  expect_close(cnn_step(tg, {.fast = true, .threads = 2}, 4, 6), ref);
  // A smaller batch: the convolutions fall back to the reference, FULLY_CONNECTED stays fast.
  expect_close(cnn_step(tg, {}, 2, 6), cnn_step(tg, {.fast = false}, 2, 0));
}

TEST(TrainExecutor, FastPathIsDeterministicForAThreadCount) {
  const TrainGraph tg = cnn();
  EXPECT_EQ(cnn_step(tg, {.fast = true, .threads = 2}, 4, 6), cnn_step(tg, {.fast = true, .threads = 2}, 4, 6));
}

// y = act(x + p), p = 0 a parameter [8]: p's gradient for dL/dy = 1 is where act passes the gradient.
std::vector<float> gates(tflite::BuiltinOperator act, tflite::ActivationFunctionType fused, bool fast,
                         const std::vector<float>& x) {
  ModelBuilder b;
  const auto in = b.input("x", {1, 8});
  const auto p = b.constant("p", {8}, DType::kFloat32, std::vector<float>(8, 0.0f));
  const bool separate = act != tflite::BuiltinOperator_ADD;
  const auto h = separate ? b.tensor("h", {1, 8}) : b.output("y", {1, 8});
  tflite::AddOptionsT add;
  add.fused_activation_function = fused;
  b.op(tflite::BuiltinOperator_ADD, {in, p}, {h}).options.Set(std::move(add));
  if (separate) b.op(act, {h}, {b.output("y", {1, 8})});
  TrainGraph tg;
  tg.model = std::move(b.m);
  tg.num_data_inputs = 1;
  tg.params.push_back(train::Parameter{"p", p, DType::kFloat32, false});
  auto ex = Executor::create(tg, {.fast = fast});
  EXPECT_TRUE(ex.has_value()) << ex.status().message();
  if (!ex.has_value()) return {};
  EXPECT_EQ((*ex)->num_fast_ops(), fast && act == tflite::BuiltinOperator_RELU6 ? 1 : 0);
  Array a;
  a.shape = {1, 8};
  a.data.resize(x.size() * 4);
  std::copy(x.begin(), x.end(), a.as<float>());
  EXPECT_OK((*ex)->set_input(0, a));
  EXPECT_OK((*ex)->forward());
  std::fill_n((*ex)->output_grad(0), 8, 1.0f);
  EXPECT_OK((*ex)->backward());
  return (*ex)->params()[0].grad;
}

// An input exactly on a bound stops the gradient, as TensorFlow's Relu6Grad (0 < x < 6) and ReluGrad
// (x > 0) do, on the fast path, the reference path and a fused activation alike: float32 rounding decides
// on which side of a bound an input near it falls (tests/python/test_train.py, TRAJECTORIES); the rule at
// the bound itself must be the same.
TEST(TrainExecutor, ClampsPassTheGradientStrictlyInsideTheirBounds) {
  const std::vector<float> x = {-1.0f, -0.0f, 0.0f, 1e-30f, 3.0f, 5.9999995f, 6.0f, 6.0000005f};
  const std::vector<float> relu6 = {0, 0, 0, 1, 1, 1, 0, 0}, relu = {0, 0, 0, 1, 1, 1, 1, 1};
  constexpr auto kNone = tflite::ActivationFunctionType_NONE;
  for (bool fast : {false, true}) {
    EXPECT_EQ(gates(tflite::BuiltinOperator_RELU6, kNone, fast, x), relu6) << "fast " << fast;
    EXPECT_EQ(gates(tflite::BuiltinOperator_RELU, kNone, fast, x), relu) << "fast " << fast;
  }
  EXPECT_EQ(gates(tflite::BuiltinOperator_ADD, tflite::ActivationFunctionType_RELU6, true, x), relu6);
  EXPECT_EQ(gates(tflite::BuiltinOperator_ADD, tflite::ActivationFunctionType_RELU, true, x), relu);
}

TEST(TrainExecutor, RefusesZeroThreads) {
  const TrainGraph tg = cnn();
  auto ex = Executor::create(tg, {.fast = true, .threads = 0});
  ASSERT_FALSE(ex.has_value());
  expect_error(ex.status(), "at least 1 thread");
}

// One step of a Keras fixture's training graph (batch norms in training mode,
// noise inputs at the identity) on `batch` rows, dL/dy fixed: the outputs,
// every batch mean and variance, then every trainable parameter's gradient.
std::vector<std::vector<float>> keras_step(const TrainGraph& tg, const train::ExecutorOptions& o, int batch,
                                           int expect_fused) {
  auto ex = Executor::create(tg, o);
  EXPECT_TRUE(ex.has_value()) << ex.status().message();
  if (!ex.has_value()) return {};
  Executor& e = **ex;
  EXPECT_EQ(e.num_fused_batch_norms(), expect_fused);
  for (int i = 0; i < e.num_inputs(); ++i) {
    ir::Shape shape = e.input_tensor(i).shape;
    shape[0] = batch;
    Array x = random_array(shape, 31 + static_cast<uint32_t>(i));
    if (i >= tg.num_data_inputs) {
      const float identity = tg.noise[static_cast<size_t>(i - tg.num_data_inputs)].additive ? 0.0f : 1.0f;
      std::fill(x.as<float>(), x.as<float>() + x.num_elements(), identity);
    }
    EXPECT_OK(e.set_input(i, x));
  }
  std::vector<std::vector<float>> result;
  for (int rep = 0; rep < 2; ++rep) {  // the second step reuses every buffer
    EXPECT_OK(e.forward());
    for (int k = 0; k < e.num_outputs(); ++k) {
      const int64_t n = ir::num_elements(e.output_shape(k));
      const Array wy = random_array({static_cast<int32_t>(n)}, 40 + static_cast<uint32_t>(k));
      std::copy(wy.as<float>(), wy.as<float>() + n, e.output_grad(k));
    }
    EXPECT_OK(e.backward());
  }
  for (int k = 0; k < e.num_outputs(); ++k) {
    result.emplace_back(e.output(k), e.output(k) + ir::num_elements(e.output_shape(k)));
  }
  for (const auto& bn : tg.batch_norms) {
    for (ir::TensorId t : {bn.batch_mean, bn.batch_variance}) {
      if (t != ir::kNoTensor) result.emplace_back(e.tensor_data(t), e.tensor_data(t) + ir::num_elements(e.tensor_shape(t)));
    }
  }
  for (const auto& p : e.params()) {
    if (!p.frozen) result.push_back(p.grad);
  }
  return result;
}

// The fused batch normalization (oneDNN) against the op sequence, everything
// else the same (threads, the oneDNN convolutions): folded into a conv or a
// dense, after a pool or an ADD, without center, a layer called twice, 1-D
// and 2-D data; a batch norm over axis 1 stays unfused. A smaller batch runs
// every group on the reference path: exactly the unfused results.
// A bias that a batch norm follows (through an ADD too) has an exact gradient
// of zero: both sides must give less than 1e-4 of the largest gradient.
// conv2d_bn's gradients before its last batch norm reach the loss through
// up to four batch norms and a global average pool, whose backward cancels
// most of what it gets (dL/dy is constant over the pooled positions): float32
// rounding, either way, grows past 1e-4 there (such stacks are judged against
// float64 in tests/python/test_train.py's GradientTape models), so only its
// forward and the gradients from its last conv on (center=False: NEG, not
// SUB) are compared, with one thread (with two, the oneDNN convolutions'
// rounding moves a ReLU gate either way).
TEST(TrainExecutor, FusedBatchNormMatchesTheOpSequence) {
  struct Case {
    const char* name;
    int fused;
    std::string compare_from;  // the first parameter whose gradient is compared ("": all)
    std::vector<int> threads;
    bool any_batch = true;  // false: a RESHAPE pins the batch (Flatten, Conv1D's squeeze)
  };
  const Case cases[] = {{"conv2d_bn", 4, "conv2d_bn/proj_bn/batchnorm/mul/weights", {1}},
                        {"residual_bn", 2, "", {1, 2}},
                        {"dense_mlp", 1, "", {1, 2}},
                        {"sequential_cnn", 1, "", {1, 2}, false},
                        {"audio_conv1d", 1, "", {1, 2}, false},
                        {"nested_models", 2, "", {1, 2}}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto m = importers::import_model((test::fixtures_dir() / "keras" / c.name / "model.keras").string());
    ASSERT_TRUE(m.has_value()) << m.status().message();
    train::TrainGraphOptions o;
    o.batch = 4;
    auto tg = train::build_train_graph(m->model, &m->training, o);
    ASSERT_TRUE(tg.has_value()) << tg.status().message();
    for (int threads : c.threads) {
      SCOPED_TRACE(testing::Message() << threads << " threads");
      auto want = keras_step(*tg, {.threads = threads, .fuse_batch_norm = false}, 4, 0);
      auto got = keras_step(*tg, {.threads = threads}, 4, c.fused);
      ASSERT_EQ(got.size(), want.size());
      size_t stats = want.size() - tg->params.size();
      for (size_t k = 0; k < tg->params.size() && !c.compare_from.empty() && tg->params[k].name != c.compare_from; ++k) {
        want[stats + k].clear();
        got[stats + k].clear();
      }
      float largest = 0.0f;
      for (size_t t = 1; t < want.size(); ++t) {
        for (float v : want[t]) largest = std::max(largest, std::fabs(v));
      }
      for (size_t t = 1; t < want.size(); ++t) {
        float size = 0.0f;
        for (float v : want[t]) size = std::max(size, std::fabs(v));
        if (size > 1e-4f * largest) continue;
        for (float v : got[t]) EXPECT_LE(std::fabs(v), 1e-4f * largest) << "tensor " << t;
        want[t].clear();
        got[t].clear();
      }
      expect_close(got, want);
      if (!c.any_batch) continue;
      EXPECT_EQ(keras_step(*tg, {.threads = threads}, 3, c.fused),
                keras_step(*tg, {.threads = threads, .fuse_batch_norm = false}, 3, 0));
    }
  }
}

}  // namespace
}  // namespace tfc::test
