// The training graph (train/train_graph.h) on committed fixtures: parameters
// by the rule for .tflite files and by TrainingState for Keras imports,
// re-batching (a batch of N computes what N batch-1 runs of the original model
// do), batch norm in training mode, noise inputs, freeze globs, and export
// (unchanged values give the original outputs; changed values show up).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <random>

#include "importers/import.h"
#include "io/npy.h"
#include "kernels/fp16.h"
#include "passes/graph_edit.h"
#include "runtime/interpreter.h"
#include "test_util.h"
#include "train/train_graph.h"

namespace tfc {
namespace {

using train::TrainGraph;

std::string model_path(const std::string& name) {
  if (name.find('/') == std::string::npos) return (test::fixtures_dir() / "models" / (name + ".tflite")).string();
  return (test::fixtures_dir() / "keras" / name).string();
}

importers::Imported import(const std::string& name) {
  auto m = importers::import_model(model_path(name));
  EXPECT_TRUE(m.has_value()) << name << ": " << m.status().message();
  return m.has_value() ? std::move(*m) : importers::Imported{};
}

// Random values for an input of `t`'s shape with batch `batch` (small non-negative integers for integer inputs).
Array random_input(const ir::Tensor& t, int batch, uint32_t seed) {
  Array a;
  a.dtype = t.dtype;
  for (int32_t d : t.shape) a.shape.push_back(d);
  if (!a.shape.empty()) a.shape[0] = batch;
  a.data.resize(static_cast<size_t>(a.num_elements()) * dtype_size(t.dtype));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (int64_t i = 0; i < a.num_elements(); ++i) {
    if (t.dtype == DType::kFloat32) a.as<float>()[i] = u(rng);
    else if (t.dtype == DType::kInt32) a.as<int32_t>()[i] = static_cast<int32_t>(rng() % 8);
    else if (t.dtype == DType::kInt64) a.as<int64_t>()[i] = static_cast<int64_t>(rng() % 8);
  }
  return a;
}

// Rows [i, i + n) of dim 0.
Array rows(const Array& a, int i, int n) {
  Array s = a;
  s.shape[0] = n;
  const size_t row = a.data.size() / static_cast<size_t>(a.shape[0]);
  s.data.assign(a.data.begin() + static_cast<std::ptrdiff_t>(row * i),
                a.data.begin() + static_cast<std::ptrdiff_t>(row * (i + n)));
  return s;
}
Array sample(const Array& a, int i) { return rows(a, i, 1); }

std::vector<Array> run(const ir::Model& model, const std::vector<Array>& inputs) {
  runtime::InterpreterOptions o;
  o.kernels = runtime::Kernels::kReference;
  auto out = runtime::run_model(model, inputs, 0, o);
  EXPECT_TRUE(out.has_value()) << out.status().message();
  return out.has_value() ? *out : std::vector<Array>{};
}

std::vector<float> floats(const Array& a) {
  std::vector<float> v(static_cast<size_t>(a.num_elements()));
  std::memcpy(v.data(), a.data.data(), v.size() * sizeof(float));
  return v;
}

// max |a - b| / max(1, max |a|).
double relative_difference(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return INFINITY;
  double diff = 0, scale = 1;
  for (size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, static_cast<double>(std::fabs(a[i] - b[i])));
    scale = std::max(scale, static_cast<double>(std::fabs(a[i])));
  }
  return diff / scale;
}

// The current values of the graph's parameters.
std::vector<Array> parameter_values(const TrainGraph& g) {
  std::vector<Array> out;
  for (const auto& p : g.params) {
    const ir::Tensor& t = g.model.subgraphs[0].tensors[p.tensor];
    Array a;
    for (int32_t d : t.shape) a.shape.push_back(d);
    auto bytes = g.model.constant_data(t);
    a.data.assign(bytes.begin(), bytes.end());
    out.push_back(std::move(a));
  }
  return out;
}

// Inputs of `model` with batch `batch`, then the graph's noise inputs as the identity (1 for MUL, 0 for ADD).
std::vector<Array> inputs_for(const TrainGraph& g, int batch, uint32_t seed) {
  std::vector<Array> in;
  const auto& sg = g.model.subgraphs[0];
  for (size_t i = 0; i < sg.inputs.size(); ++i) {
    const ir::Tensor& t = sg.tensors[sg.inputs[i]];
    in.push_back(random_input(t, batch, seed + static_cast<uint32_t>(i)));
    if (static_cast<int>(i) >= g.num_data_inputs) {
      const bool add = g.noise[i - static_cast<size_t>(g.num_data_inputs)].additive;
      for (int64_t k = 0; k < in.back().num_elements(); ++k) in.back().as<float>()[k] = add ? 0.0f : 1.0f;
    }
  }
  return in;
}

const train::Parameter* find_param(const TrainGraph& g, const std::string& name) {
  for (const auto& p : g.params) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

// A batch of N through the training graph (no TrainingState: inference ops)
// gives, per sample, what a batch-1 run of the original model gives (runs of
// the model's own batch b: then N = chunks * b).
void expect_batch_matches_single_runs(const std::string& name, int chunks) {
  SCOPED_TRACE(name);
  const importers::Imported m = import(name);
  const auto& sg0 = m.model.subgraphs[0];
  const int b = sg0.tensors[sg0.inputs[0]].shape[0];
  const int batch = chunks * b;
  train::TrainGraphOptions o;
  o.batch = batch;
  auto g = train::build_train_graph(m.model, nullptr, o);
  ASSERT_TRUE(g.has_value()) << g.status().message();
  EXPECT_FALSE(g->params.empty());
  const std::vector<Array> in = inputs_for(*g, batch, 7);
  const std::vector<Array> batched = run(g->model, in);
  ASSERT_EQ(batched.size(), m.model.subgraphs[0].outputs.size());
  for (int i = 0; i < chunks; ++i) {
    std::vector<Array> one;
    for (const auto& a : in) one.push_back(rows(a, i * b, b));
    const std::vector<Array> single = run(m.model, one);
    for (size_t k = 0; k < single.size(); ++k) {
      EXPECT_LE(relative_difference(floats(single[k]), floats(rows(batched[k], i * b, b))), 1e-6)
          << "output " << k << " chunk " << i;
    }
  }
}

TEST(TrainGraph, TflitePlainParameters) {
  const importers::Imported m = import("cnn_fmnist");
  auto g = train::build_train_graph(m.model, nullptr, {});
  ASSERT_TRUE(g.has_value()) << g.status().message();
  const auto& sg = g->model.subgraphs[0];
  int weights = 0;
  for (const auto& p : g->params) {
    const ir::Tensor& t = sg.tensors[p.tensor];
    EXPECT_EQ(t.name, p.name);
    EXPECT_EQ(t.dtype, DType::kFloat32);
    EXPECT_TRUE(g->model.is_constant(t));
    EXPECT_EQ(p.stored_dtype, DType::kFloat32);
    EXPECT_FALSE(p.frozen);
    weights += t.shape.size() >= 2 ? 1 : 0;
  }
  // Every conv / dense weight and bias operand, nothing else.
  int expected = 0;
  for (const auto& op : sg.ops) {
    const int32_t b = op.code.builtin;
    if (b == tflite::BuiltinOperator_CONV_2D || b == tflite::BuiltinOperator_FULLY_CONNECTED) {
      expected += op.inputs.size() > 2 && op.inputs[2] != ir::kNoTensor ? 2 : 1;
    }
  }
  EXPECT_EQ(static_cast<int>(g->params.size()), expected);
  EXPECT_GE(weights, 2);
  EXPECT_EQ(g->num_data_inputs, 1);
  EXPECT_TRUE(g->noise.empty());
  EXPECT_TRUE(g->batch_norms.empty());
}

TEST(TrainGraph, Float16WeightsTrainInFloat32) {
  const importers::Imported m = import("cnn_fmnist_fp16");
  auto g = train::build_train_graph(m.model, nullptr, {});
  ASSERT_TRUE(g.has_value()) << g.status().message();
  int halves = 0;
  for (const auto& op : g->model.subgraphs[0].ops) EXPECT_NE(op.code.builtin, tflite::BuiltinOperator_DEQUANTIZE);
  for (const auto& p : g->params) halves += p.stored_dtype == DType::kFloat16 ? 1 : 0;
  EXPECT_GE(halves, 4);
  // Unchanged values export to the same model bytes' values; a change shows up rounded to float16.
  std::vector<Array> values = parameter_values(*g);
  auto same = train::export_inference(m.model, nullptr, *g, values);
  ASSERT_TRUE(same.has_value()) << same.status().message();
  auto bytes_of = [](const ir::Model& model, const std::string& name) {
    for (const auto& t : model.subgraphs[0].tensors) {
      if (t.name == name) return std::vector<uint8_t>(model.constant_data(t).begin(), model.constant_data(t).end());
    }
    return std::vector<uint8_t>{};
  };
  for (const auto& p : g->params) {
    EXPECT_FALSE(bytes_of(m.model, p.name).empty()) << p.name;
    EXPECT_EQ(bytes_of(m.model, p.name), bytes_of(*same, p.name)) << p.name;
  }
  size_t k = 0;
  while (g->params[k].stored_dtype != DType::kFloat16) ++k;
  values[k].as<float>()[0] = 0.1f;
  auto changed = train::export_inference(m.model, nullptr, *g, values);
  ASSERT_TRUE(changed.has_value()) << changed.status().message();
  for (const auto& t : changed->subgraphs[0].tensors) {
    if (t.name != g->params[k].name) continue;
    ASSERT_EQ(t.dtype, DType::kFloat16);
    uint16_t h;
    std::memcpy(&h, changed->constant_data(t).data(), 2);
    EXPECT_EQ(h, kernels::float_to_half(0.1f));
  }
}

TEST(TrainGraph, RebatchedTfliteMatchesSingleRuns) {
  for (const char* name : {"cnn_fmnist", "cnn_fmnist_fp16", "mlp_fmnist", "mobilenet_fmnist", "resnet_style", "ops_conv"}) {
    expect_batch_matches_single_runs(name, 3);
  }
}

TEST(TrainGraph, RebatchedKerasMatchesSingleRuns) {
  for (const char* name : {"conv2d_bn/model.keras", "audio_conv1d/model.keras", "residual_bn/model.keras",
                           "nested_models/model.keras", "dropout_family/model.keras", "text_embedding/model.keras",
                           "reshape_einsum/model.keras", "upsample_decoder/model.keras", "merge_multi_io/model.keras",
                           "activations/model.keras", "sequential_cnn/model.keras", "dense_mlp/model.keras"}) {
    expect_batch_matches_single_runs(name, 2);
  }
}

TEST(TrainGraph, BatchOutOfRangeIsRefused) {
  const importers::Imported m = import("mlp_fmnist");
  train::TrainGraphOptions o;
  o.batch = 0;
  auto g = train::build_train_graph(m.model, nullptr, o);
  ASSERT_FALSE(g.has_value());
  EXPECT_EQ(g.status().code(), StatusCode::kInvalidArgument);
}

TEST(TrainGraph, FreezeGlobs) {
  const importers::Imported m = import("conv2d_bn/model.keras");
  train::TrainGraphOptions o;
  o.freeze = {"*/stem*", "*logits?BiasAdd*"};
  auto g = train::build_train_graph(m.model, &m.training, o);
  ASSERT_TRUE(g.has_value()) << g.status().message();
  int frozen = 0;
  for (const auto& p : g->params) {
    const bool expect = p.name.find("/stem") != std::string::npos || p.name.find("logits/BiasAdd") != std::string::npos;
    EXPECT_EQ(p.frozen, expect) << p.name;
    frozen += p.frozen ? 1 : 0;
  }
  EXPECT_GE(frozen, 3);  // stem_bn's gamma and beta, the stem kernel
}

TEST(TrainGraph, TfliteExportRoundTripAndChange) {
  for (const char* name : {"cnn_fmnist", "resnet_style", "mobilenet_fmnist"}) {
    SCOPED_TRACE(name);
    const importers::Imported m = import(name);
    auto g = train::build_train_graph(m.model, nullptr, {});
    ASSERT_TRUE(g.has_value()) << g.status().message();
    std::vector<Array> values = parameter_values(*g);
    auto same = train::export_inference(m.model, nullptr, *g, values);
    ASSERT_TRUE(same.has_value()) << same.status().message();
    const std::vector<Array> in = {random_input(m.model.subgraphs[0].tensors[m.model.subgraphs[0].inputs[0]], 1, 3)};
    const auto a = run(m.model, in), b = run(*same, in);
    ASSERT_EQ(a.size(), b.size());
    for (size_t k = 0; k < a.size(); ++k) EXPECT_EQ(floats(a[k]), floats(b[k]));
    // The last parameter (the classifier's bias) changed: the output moves by the change before any softmax.
    values.back().as<float>()[0] += 1.0f;
    auto changed = train::export_inference(m.model, nullptr, *g, values);
    ASSERT_TRUE(changed.has_value()) << changed.status().message();
    for (const auto& t : changed->subgraphs[0].tensors) {
      if (t.name == g->params.back().name) {
        EXPECT_EQ(passes::float_constant(*changed, t), floats(values.back()));
      }
    }
    EXPECT_NE(floats(run(*changed, in)[0]), floats(a[0]));
  }
}

// The values of tensor `id` after a run of `g` on `in` (every tensor kept).
std::vector<Array> run_keeping(const ir::Model& model, const std::vector<Array>& in, const std::vector<ir::TensorId>& ids,
                               std::vector<Array>& outputs) {
  runtime::InterpreterOptions o;
  o.kernels = runtime::Kernels::kReference;
  o.preserve_all_tensors = true;
  auto interp = runtime::Interpreter::create(model, 0, o);
  EXPECT_TRUE(interp.has_value()) << interp.status().message();
  if (!interp.has_value()) return {};
  for (size_t i = 0; i < in.size(); ++i) EXPECT_TRUE((*interp)->set_input(static_cast<int>(i), in[i]).is_ok());
  const Status s = (*interp)->invoke();
  EXPECT_TRUE(s.is_ok()) << s.message();
  for (int i = 0; i < (*interp)->num_outputs(); ++i) outputs.push_back((*interp)->output(i));
  std::vector<Array> out;
  for (ir::TensorId id : ids) out.push_back((*interp)->tensor_value(id));
  return out;
}

// Training mode normalizes with the batch's statistics: with the moving
// statistics set to them, the exported inference model computes, per sample,
// what the training forward computed for the batch. Checks the statistics
// ops, the restored kernels, the moved activations and the refold together.
void expect_training_forward_matches_export(const std::string& name, size_t expected_batch_norms) {
  SCOPED_TRACE(name);
  const importers::Imported m = import(name);
  train::TrainGraphOptions o;
  o.batch = 4;
  auto g = train::build_train_graph(m.model, &m.training, o);
  ASSERT_TRUE(g.has_value()) << g.status().message();
  ASSERT_EQ(g->batch_norms.size(), expected_batch_norms);
  std::vector<ir::TensorId> stats;
  for (const auto& bn : g->batch_norms) {
    ASSERT_NE(bn.batch_mean, ir::kNoTensor);
    stats.push_back(bn.batch_mean);
    stats.push_back(bn.batch_variance);
  }
  const std::vector<Array> in = inputs_for(*g, 4, 11);
  std::vector<Array> trained;
  const std::vector<Array> values = run_keeping(g->model, in, stats, trained);
  ASSERT_EQ(values.size(), stats.size());
  for (size_t i = 0; i < g->batch_norms.size(); ++i) {
    auto& bn = g->batch_norms[i];
    ASSERT_EQ(values[2 * i].num_elements(), bn.moving_mean.num_elements());
    bn.moving_mean.data = values[2 * i].data;
    bn.moving_variance.data = values[2 * i + 1].data;
  }
  auto exported = train::export_inference(m.model, &m.training, *g, parameter_values(*g));
  ASSERT_TRUE(exported.has_value()) << exported.status().message();
  for (int i = 0; i < 4; ++i) {
    std::vector<Array> one;
    for (int k = 0; k < g->num_data_inputs; ++k) one.push_back(sample(in[static_cast<size_t>(k)], i));
    const std::vector<Array> out = run(*exported, one);
    for (size_t k = 0; k < out.size(); ++k) {
      EXPECT_LE(relative_difference(floats(sample(trained[k], i)), floats(out[k])), 1e-4) << "output " << k;
    }
  }
}

TEST(TrainGraph, BatchNormTrainingForwardMatchesExport) {
  expect_training_forward_matches_export("conv2d_bn/model.keras", 4);
  expect_training_forward_matches_export("residual_bn/model.keras", 3);
  expect_training_forward_matches_export("audio_conv1d/model.keras", 1);
  expect_training_forward_matches_export("sequential_cnn/model.keras", 1);
  expect_training_forward_matches_export("dense_mlp/model.keras", 1);
  expect_training_forward_matches_export("normalized_sequential/model.keras", 1);
}

TEST(TrainGraph, BatchNormParameters) {
  const importers::Imported m = import("conv2d_bn/model.keras");
  auto g = train::build_train_graph(m.model, &m.training, {});
  ASSERT_TRUE(g.has_value()) << g.status().message();
  EXPECT_NE(find_param(*g, "conv2d_bn/stem_bn/gamma"), nullptr);
  EXPECT_NE(find_param(*g, "conv2d_bn/stem_bn/beta"), nullptr);
  EXPECT_NE(find_param(*g, "conv2d_bn/proj_bn/gamma"), nullptr);
  EXPECT_EQ(find_param(*g, "conv2d_bn/proj_bn/beta"), nullptr);  // center=False
  for (const auto& bn : g->batch_norms) {
    ASSERT_FALSE(bn.kernel.empty()) << bn.layer;  // all four fold into a conv
    EXPECT_NE(find_param(*g, bn.kernel), nullptr) << bn.kernel;
    EXPECT_EQ(bn.moving_of, -1);
  }
  for (const auto& op : g->model.subgraphs[0].ops) EXPECT_NE(op.code.builtin, tflite::BuiltinOperator_DEQUANTIZE);
}

TEST(TrainGraph, LayerCalledTwiceSharesParameters) {
  const importers::Imported m = import("nested_models/model.keras");
  auto g = train::build_train_graph(m.model, &m.training, {});
  ASSERT_TRUE(g.has_value()) << g.status().message();
  ASSERT_EQ(g->batch_norms.size(), 2u);
  EXPECT_EQ(g->batch_norms[0].moving_of, -1);
  EXPECT_EQ(g->batch_norms[1].moving_of, 0);
  EXPECT_EQ(g->batch_norms[0].gamma, g->batch_norms[1].gamma);
  EXPECT_EQ(g->batch_norms[0].kernel, g->batch_norms[1].kernel);
  EXPECT_NE(g->batch_norms[0].batch_mean, g->batch_norms[1].batch_mean);
  int gammas = 0;
  for (const auto& p : g->params) gammas += p.name == g->batch_norms[0].gamma ? 1 : 0;
  EXPECT_EQ(gammas, 1);
}

TEST(TrainGraph, FrozenBatchNormUsesMovingStatistics) {
  const importers::Imported m = import("conv2d_bn/model.keras");
  train::TrainGraphOptions o;
  o.freeze = {"*_bn/*"};
  o.batch = 2;
  auto g = train::build_train_graph(m.model, &m.training, o);
  ASSERT_TRUE(g.has_value()) << g.status().message();
  for (const auto& bn : g->batch_norms) EXPECT_EQ(bn.batch_mean, ir::kNoTensor) << bn.layer;
  // Inference arithmetic then: per sample as the original model.
  const std::vector<Array> in = inputs_for(*g, 2, 5);
  const std::vector<Array> batched = run(g->model, in);
  for (int i = 0; i < 2; ++i) {
    const std::vector<Array> single = run(m.model, {sample(in[0], i)});
    EXPECT_LE(relative_difference(floats(single[0]), floats(sample(batched[0], i))), 1e-5);
  }
}

TEST(TrainGraph, KerasExportRoundTripAndChange) {
  for (const char* name : {"conv2d_bn/model.keras", "residual_bn/model.keras", "nested_models/model.keras",
                           "dropout_family/model.keras", "dense_mlp/model.keras", "audio_conv1d/model.keras"}) {
    SCOPED_TRACE(name);
    const importers::Imported m = import(name);
    auto g = train::build_train_graph(m.model, &m.training, {});
    ASSERT_TRUE(g.has_value()) << g.status().message();
    std::vector<Array> values = parameter_values(*g);
    auto same = train::export_inference(m.model, &m.training, *g, values);
    ASSERT_TRUE(same.has_value()) << same.status().message();
    EXPECT_EQ(same->subgraphs[0].ops.size(), m.model.subgraphs[0].ops.size());
    std::vector<Array> in;
    for (ir::TensorId id : m.model.subgraphs[0].inputs) in.push_back(random_input(m.model.subgraphs[0].tensors[id], 1, 9));
    const auto a = run(m.model, in), b = run(*same, in);
    ASSERT_EQ(a.size(), b.size());
    for (size_t k = 0; k < a.size(); ++k) EXPECT_LE(relative_difference(floats(a[k]), floats(b[k])), 1e-6);
    for (auto& v : values) {
      for (int64_t i = 0; i < v.num_elements(); ++i) v.as<float>()[i] *= 1.5f;
    }
    auto changed = train::export_inference(m.model, &m.training, *g, values);
    ASSERT_TRUE(changed.has_value()) << changed.status().message();
    EXPECT_GT(relative_difference(floats(a[0]), floats(run(*changed, in)[0])), 1e-3);
  }
}

TEST(TrainGraph, NoiseInputs) {
  const importers::Imported m = import("dropout_family/model.keras");
  train::TrainGraphOptions o;
  o.batch = 3;
  auto g = train::build_train_graph(m.model, &m.training, o);
  ASSERT_TRUE(g.has_value()) << g.status().message();
  ASSERT_EQ(g->num_data_inputs, 2);
  ASSERT_EQ(g->noise.size(), 5u);  // ActivityRegularization adds none
  const auto& sg = g->model.subgraphs[0];
  ASSERT_EQ(sg.inputs.size(), 7u);
  std::map<std::string, ir::Shape> shapes;
  for (const auto& n : g->noise) {
    EXPECT_EQ(sg.inputs[static_cast<size_t>(g->num_data_inputs) + static_cast<size_t>(&n - g->noise.data())], n.tensor);
    shapes[n.class_name] = sg.tensors[n.tensor].shape;
    EXPECT_EQ(n.additive, n.class_name == "GaussianNoise") << n.layer;
    if (n.class_name == "Dropout") {
      EXPECT_FLOAT_EQ(n.rate, 0.5f);
    }
    if (n.class_name == "GaussianNoise") {
      EXPECT_FLOAT_EQ(n.rate, 0.1f);
    }
  }
  EXPECT_EQ(shapes["SpatialDropout2D"], (ir::Shape{3, 1, 1, 24}));
  EXPECT_EQ(shapes["SpatialDropout1D"], (ir::Shape{3, 1, 1, 32}));  // before the Conv1D's squeeze
  EXPECT_EQ(shapes["GaussianNoise"], (ir::Shape{3, 14, 14, 24}));
  EXPECT_EQ(shapes["Dropout"], (ir::Shape{3, 80}));
  EXPECT_EQ(g->noise.back().class_name, "Dropout");  // the last layer: its mask is the last input
  // Identity noise: per sample the inference outputs. A zero mask before the
  // last dense layer: every sample gives that layer's bias alone.
  std::vector<Array> in = inputs_for(*g, 3, 21);
  const std::vector<Array> batched = run(g->model, in);
  for (int i = 0; i < 3; ++i) {
    const std::vector<Array> single = run(m.model, {sample(in[0], i), sample(in[1], i)});
    EXPECT_LE(relative_difference(floats(single[0]), floats(sample(batched[0], i))), 1e-6);
  }
  Array& drop = in.back();
  std::fill(drop.data.begin(), drop.data.end(), 0);
  const std::vector<float> dropped = floats(run(g->model, in)[0]);
  for (int i = 1; i < 3; ++i) {
    for (int k = 0; k < 5; ++k) EXPECT_EQ(dropped[static_cast<size_t>(5 * i + k)], dropped[static_cast<size_t>(k)]);
  }
}

// Keras 3's own training-mode forward (fixtures/train/make_train_fixtures.py):
// batch statistics, biased variance, epsilon inside the square root, the
// folded producer's own kernel and bias, activations after the normalization.
TEST(TrainGraph, BatchNormTrainingForwardMatchesKeras) {
  auto golden = read_npz((test::fixtures_dir() / "train" / "bn_training.npz").string());
  ASSERT_TRUE(golden.has_value()) << golden.status().message();
  auto array = [&](const std::string& name) -> const Array* {
    for (const auto& a : *golden) {
      if (a.name == name) return &a.array;
    }
    return nullptr;
  };
  for (const char* name : {"conv2d_bn", "residual_bn", "audio_conv1d", "sequential_cnn", "nested_models"}) {
    SCOPED_TRACE(name);
    const Array* x = array(std::string(name) + "/x");
    const Array* y = array(std::string(name) + "/y");
    ASSERT_TRUE(x && y);
    const importers::Imported m = import(std::string(name) + "/model.keras");
    train::TrainGraphOptions o;
    o.batch = x->shape[0];
    auto g = train::build_train_graph(m.model, &m.training, o);
    ASSERT_TRUE(g.has_value()) << g.status().message();
    const std::vector<Array> out = run(g->model, {*x});
    ASSERT_EQ(out.size(), 1u);
    EXPECT_LE(relative_difference(floats(*y), floats(out[0])), 1e-4);
  }
}

}  // namespace
}  // namespace tfc
