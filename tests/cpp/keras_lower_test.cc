// lower_keras_model: configs written here (both dialects), weights made here,
// lowered and run by the reference interpreter against values computed here
// in double (a Dense layer's matmul by hand, a naive convolution, ...). Also
// nested models, Sequential, the dropout / batch-norm records and the errors
// for weights whose shape disagrees with the config.
#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include <gtest/gtest.h>

#include "importers/keras/keras_lower.h"
#include "runtime/interpreter.h"

namespace tfc::importers::keras {
namespace {

using json = nlohmann::json;

Array f32(std::vector<int64_t> shape, const std::vector<float>& v) {
  Array a;
  a.shape = std::move(shape);
  a.data.resize(v.size() * sizeof(float));
  std::memcpy(a.data.data(), v.data(), a.data.size());
  return a;
}

Array random_f32(std::vector<int64_t> shape, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = d(rng);
  return f32(std::move(shape), v);
}

std::vector<float> values(const Array& a) {
  std::vector<float> v(static_cast<size_t>(a.num_elements()));
  std::memcpy(v.data(), a.data.data(), v.size() * sizeof(float));
  return v;
}

void expect_close(const Array& got, const std::vector<double>& want, const std::string& what) {
  ASSERT_EQ(static_cast<size_t>(got.num_elements()), want.size()) << what;
  const auto g = values(got);
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_NEAR(g[i], want[i], 1e-5 * std::max(1.0, std::abs(want[i]))) << what << " at " << i;
  }
}

// A Keras 3 layer entry called on `args` (tensor refs; a list of refs for merge layers).
json k3_ref(const std::string& layer) {
  return {{"class_name", "__keras_tensor__"}, {"config", {{"keras_history", {layer, 0, 0}}}}};
}
json k3_layer(const std::string& cls, const std::string& name, json config, const std::vector<std::string>& inputs,
              bool as_list = false) {
  config["name"] = name;
  json args = json::array();
  for (const auto& i : inputs) args.push_back(k3_ref(i));
  if (as_list) args = json::array({args});
  json nodes = inputs.empty() ? json::array() : json::array({{{"args", args}, {"kwargs", json::object()}}});
  return {{"class_name", cls}, {"config", config}, {"name", name}, {"inbound_nodes", nodes}};
}
json k3_input(const std::string& name, std::vector<json> shape, const std::string& dtype = "float32") {
  json s = json::array({nullptr});
  for (auto& d : shape) s.push_back(d);
  return k3_layer("InputLayer", name, {{"batch_shape", s}, {"dtype", dtype}}, {});
}
json functional(const std::string& name, json layers, json inputs, json outputs) {
  return {{"class_name", "Functional"},
          {"config", {{"name", name}, {"layers", layers}, {"input_layers", inputs}, {"output_layers", outputs}}}};
}

void set_weights(KerasModel& m, const std::map<std::string, std::vector<Array>>& weights) {
  for (auto& l : m.layers) {
    auto it = weights.find(l.name);
    if (it != weights.end()) l.weights = it->second;
    if (l.nested) set_weights(*l.nested, weights);
  }
}

Expected<Imported> lower(const json& cfg, int version, const std::map<std::string, std::vector<Array>>& weights,
                         int batch = 1) {
  TFC_ASSIGN_OR_RETURN(KerasModel m, parse_model_config(cfg, version));
  set_weights(m, weights);
  ImportOptions o;
  o.batch = batch;
  return lower_keras_model(m, o);
}

std::vector<Array> run(const ir::Model& model, const std::vector<Array>& inputs) {
  runtime::InterpreterOptions o;
  o.kernels = runtime::Kernels::kReference;
  auto it = runtime::Interpreter::create(model, 0, o);
  EXPECT_TRUE(it.has_value()) << it.status().message();
  if (!it.has_value()) return {};
  for (size_t i = 0; i < inputs.size(); ++i) {
    Status s = (*it)->set_input(static_cast<int>(i), inputs[i]);
    EXPECT_TRUE(s.is_ok()) << s.message();
  }
  Status s = (*it)->invoke();
  EXPECT_TRUE(s.is_ok()) << s.message();
  std::vector<Array> out;
  for (int i = 0; i < (*it)->num_outputs(); ++i) out.push_back((*it)->output(i));
  return out;
}

std::vector<std::string> op_names(const ir::Model& m) {
  std::vector<std::string> out;
  for (const auto& op : m.subgraphs[0].ops) out.push_back(ir::op_name(op.code));
  return out;
}

// One layer on one input of shape `shape` (batch 1 first), lowered (Keras 3 dialect) and run on `x`.
Array run_layer(const std::string& cls, json config, std::vector<json> shape, const Array& x,
                std::vector<Array> weights = {}, int version = 3, ir::Model* lowered = nullptr) {
  json cfg = functional("m", {k3_input("x", shape), k3_layer(cls, "l", config, {"x"})}, {"x", 0, 0}, {"l", 0, 0});
  auto imp = lower(cfg, version, {{"l", std::move(weights)}});
  EXPECT_TRUE(imp.has_value()) << imp.status().message();
  if (!imp.has_value()) return {};
  auto out = run(imp->model, {x});
  if (lowered) *lowered = std::move(imp->model);
  return out.empty() ? Array{} : out[0];
}

// --- Dense, both dialects -------------------------------------------------

std::vector<double> dense_ref(const Array& x, const Array& k, const Array& b, int batch, int in, int units, bool relu) {
  const auto xv = values(x), kv = values(k), bv = values(b);
  std::vector<double> y;
  for (int n = 0; n < batch; ++n) {
    for (int u = 0; u < units; ++u) {
      double s = bv[static_cast<size_t>(u)];
      for (int i = 0; i < in; ++i) s += double(xv[static_cast<size_t>(n * in + i)]) * kv[static_cast<size_t>(i * units + u)];
      y.push_back(relu ? std::max(s, 0.0) : s);
    }
  }
  return y;
}

TEST(KerasLower, DenseKeras3MatchesHandMatmulWithStaticBatch) {
  json cfg = functional("m", {k3_input("x", {3}), k3_layer("Dense", "dense", {{"units", 4}, {"activation", "relu"}}, {"x"})},
                        {"x", 0, 0}, {"dense", 0, 0});
  Array k = random_f32({3, 4}, 1), b = random_f32({4}, 2), x = random_f32({2, 3}, 3);
  auto imp = lower(cfg, 3, {{"dense", {k, b}}}, 2);
  ASSERT_TRUE(imp.has_value()) << imp.status().message();
  const ir::Tensor& in = imp->model.subgraphs[0].tensors[imp->model.subgraphs[0].inputs[0]];
  EXPECT_EQ(in.shape, (ir::Shape{2, 3}));
  EXPECT_EQ(in.shape_signature, (ir::Shape{-1, 3}));
  auto out = run(imp->model, {x});
  ASSERT_EQ(out.size(), 1u);
  expect_close(out[0], dense_ref(x, k, b, 2, 3, 4, true), "dense");
  ASSERT_EQ(op_names(imp->model), (std::vector<std::string>{"FULLY_CONNECTED"}));  // RELU fused
  EXPECT_EQ(imp->model.subgraphs[0].ops[0].options_as<tflite::FullyConnectedOptionsT>()->fused_activation_function,
            tflite::ActivationFunctionType_RELU);
  EXPECT_EQ(imp->training.trainable, (std::vector<std::string>{"m/dense/MatMul", "m/dense/BiasAdd/bias"}));
}

TEST(KerasLower, DenseKeras2FunctionalAndSequential) {
  Array k = random_f32({3, 2}, 4), b = random_f32({2}, 5), x = random_f32({1, 3}, 6);
  json functional2 = {
      {"class_name", "Functional"},
      {"config",
       {{"name", "f2"},
        {"layers",
         {{{"class_name", "InputLayer"}, {"name", "inp"}, {"config", {{"name", "inp"}, {"batch_input_shape", {nullptr, 3}}, {"dtype", "float32"}}},
           {"inbound_nodes", json::array()}},
          {{"class_name", "Dense"}, {"name", "d"}, {"config", {{"name", "d"}, {"units", 2}, {"activation", "linear"}}},
           {"inbound_nodes", {{{"inp", 0, 0, json::object()}}}}},
          {{"class_name", "Dropout"}, {"name", "drop"}, {"config", {{"name", "drop"}, {"rate", 0.25}}},
           {"inbound_nodes", {{{"d", 0, 0, {{"training", false}}}}}}}}},
        {"input_layers", {{"inp", 0, 0}}},
        {"output_layers", {{"drop", 0, 0}}}}}};
  json sequential2 = {{"class_name", "Sequential"},
                      {"config", {{"name", "s2"},
                                  {"layers", {{{"class_name", "Dense"}, {"config", {{"name", "d"}, {"units", 2}, {"batch_input_shape", {nullptr, 3}}}}},
                                              {{"class_name", "Dropout"}, {"config", {{"name", "drop"}, {"rate", 0.25}}}}}}}}};
  for (const json& cfg : {functional2, sequential2}) {
    auto imp = lower(cfg, 2, {{"d", {k, b}}});
    ASSERT_TRUE(imp.has_value()) << imp.status().message();
    EXPECT_EQ(op_names(imp->model), (std::vector<std::string>{"FULLY_CONNECTED"}));
    expect_close(run(imp->model, {x}).at(0), dense_ref(x, k, b, 1, 3, 2, false), cfg["class_name"]);
    ASSERT_EQ(imp->training.dropouts.size(), 1u);
    EXPECT_EQ(imp->training.dropouts[0].layer, "drop");
    EXPECT_EQ(imp->training.dropouts[0].class_name, "Dropout");
    EXPECT_FLOAT_EQ(imp->training.dropouts[0].rate, 0.25f);
    EXPECT_EQ(imp->training.dropouts[0].tensor, imp->model.subgraphs[0].tensors[imp->model.subgraphs[0].outputs[0]].name);
  }
}

TEST(KerasLower, DropoutRecordFollowsAFusedActivation) {
  // Dense -> Dropout -> ReLU: the ReLU fuses into the dense; the dropout's tensor is then the fused op's output.
  json cfg = functional("m", {k3_input("x", {3}), k3_layer("Dense", "d", {{"units", 2}}, {"x"}),
                              k3_layer("SpatialDropout1D", "drop", {{"rate", 0.5}}, {"d"}), k3_layer("ReLU", "r", json::object(), {"drop"})},
                        {"x", 0, 0}, {"r", 0, 0});
  auto imp = lower(cfg, 3, {{"d", {random_f32({3, 2}, 1), random_f32({2}, 2)}}});
  ASSERT_TRUE(imp.has_value()) << imp.status().message();
  const ir::Subgraph& g = imp->model.subgraphs[0];
  ASSERT_EQ(op_names(imp->model), (std::vector<std::string>{"FULLY_CONNECTED"}));
  ASSERT_EQ(imp->training.dropouts.size(), 1u);
  EXPECT_EQ(imp->training.dropouts[0].class_name, "SpatialDropout1D");
  EXPECT_EQ(imp->training.dropouts[0].tensor, g.tensors[g.ops[0].outputs[0]].name);
}

TEST(KerasLower, Keras3SequentialAndNestedModelInlined) {
  Array k1 = random_f32({4, 3}, 7), b1 = random_f32({3}, 8), k2 = random_f32({3, 2}, 9), b2 = random_f32({2}, 10);
  json inner = {{"class_name", "Sequential"},
                {"name", "inner"},
                {"config", {{"name", "inner"},
                            {"layers", {{{"class_name", "InputLayer"}, {"config", {{"name", "ix"}, {"batch_shape", {nullptr, 4}}}}},
                                        {{"class_name", "Dense"}, {"config", {{"name", "d1"}, {"units", 3}, {"activation", "relu"}}}}}}}},
                {"inbound_nodes", {{{"args", {k3_ref("x")}}, {"kwargs", json::object()}}}}};
  json cfg = functional("outer", {k3_input("x", {4}), inner, k3_layer("Dense", "d2", {{"units", 2}}, {"inner"})}, {"x", 0, 0},
                        {"d2", 0, 0});
  auto imp = lower(cfg, 3, {{"d1", {k1, b1}}, {"d2", {k2, b2}}});
  ASSERT_TRUE(imp.has_value()) << imp.status().message();
  Array x = random_f32({1, 4}, 11);
  const auto h = dense_ref(x, k1, b1, 1, 4, 3, true);
  Array hx = f32({1, 3}, std::vector<float>(h.begin(), h.end()));
  expect_close(run(imp->model, {x}).at(0), dense_ref(hx, k2, b2, 1, 3, 2, false), "nested");
  bool scoped = false;
  for (const auto& t : imp->model.subgraphs[0].tensors) scoped = scoped || t.name.rfind("outer/inner/d1/", 0) == 0;
  EXPECT_TRUE(scoped) << "tensor names carry the nested model's scope";
}

TEST(KerasLower, WeightShapeDisagreeingWithConfigNamesLayerAndWeight) {
  json cfg = functional("m", {k3_input("x", {3}), k3_layer("Dense", "dense_7", {{"units", 4}}, {"x"})}, {"x", 0, 0},
                        {"dense_7", 0, 0});
  auto imp = lower(cfg, 3, {{"dense_7", {random_f32({3, 5}, 1), random_f32({4}, 2)}}});
  ASSERT_FALSE(imp.has_value());
  EXPECT_EQ(imp.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(imp.status().message().find("dense_7"), std::string::npos) << imp.status().message();
  EXPECT_NE(imp.status().message().find("'kernel' has shape [3, 5]"), std::string::npos) << imp.status().message();
  auto missing = lower(cfg, 3, {});
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
}

TEST(KerasLower, ChannelsFirstAndUnknownDimsAreRefused) {
  json cfg = functional("m", {k3_input("x", {4, 4, 3}), k3_layer("MaxPooling2D", "p", {{"data_format", "channels_first"}}, {"x"})},
                        {"x", 0, 0}, {"p", 0, 0});
  auto imp = lower(cfg, 3, {});
  ASSERT_FALSE(imp.has_value());
  EXPECT_EQ(imp.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(imp.status().message().find("channels_first"), std::string::npos);
  json dyn = functional("m", {k3_input("x", {nullptr, 3}), k3_layer("Flatten", "f", json::object(), {"x"})}, {"x", 0, 0}, {"f", 0, 0});
  auto d = lower(dyn, 3, {});
  ASSERT_FALSE(d.has_value());
  EXPECT_EQ(d.status().code(), StatusCode::kUnsupported);
}

// --- Convolutions ------------------------------------------------------------

// NHWC conv, kernel (kh,kw,cin,cout), stride s, "same" or "valid" (TF's padding), batch 1.
std::vector<double> conv_ref(const Array& x, int h, int w, int cin, const Array& k, int kh, int kw, int cout, int s,
                             bool same, const Array* bias, int* oh_out = nullptr, int* ow_out = nullptr) {
  const int oh = same ? (h + s - 1) / s : (h - kh) / s + 1, ow = same ? (w + s - 1) / s : (w - kw) / s + 1;
  const int ph = same ? std::max((oh - 1) * s + kh - h, 0) / 2 : 0, pw = same ? std::max((ow - 1) * s + kw - w, 0) / 2 : 0;
  const auto xv = values(x), kv = values(k);
  std::vector<double> y;
  for (int i = 0; i < oh; ++i)
    for (int j = 0; j < ow; ++j)
      for (int o = 0; o < cout; ++o) {
        double acc = bias ? values(*bias)[static_cast<size_t>(o)] : 0.0;
        for (int a = 0; a < kh; ++a)
          for (int b = 0; b < kw; ++b) {
            const int r = i * s + a - ph, c = j * s + b - pw;
            if (r < 0 || r >= h || c < 0 || c >= w) continue;
            for (int ci = 0; ci < cin; ++ci)
              acc += double(xv[static_cast<size_t>((r * w + c) * cin + ci)]) * kv[static_cast<size_t>(((a * kw + b) * cin + ci) * cout + o)];
          }
        y.push_back(acc);
      }
  if (oh_out) *oh_out = oh;
  if (ow_out) *ow_out = ow;
  return y;
}

TEST(KerasLower, Conv2DBatchNormReluFoldedWithRecord) {
  Array k = random_f32({3, 3, 2, 3}, 12), x = random_f32({1, 5, 5, 2}, 13);
  Array gamma = random_f32({3}, 14, 0.5f, 1.5f), beta = random_f32({3}, 15), mean = random_f32({3}, 16),
        var = random_f32({3}, 17, 0.5f, 2.0f);
  json cfg = functional("m",
                        {k3_input("x", {5, 5, 2}),
                         k3_layer("Conv2D", "conv", {{"filters", 3}, {"kernel_size", {3, 3}}, {"strides", {2, 2}}, {"padding", "same"}, {"use_bias", false}}, {"x"}),
                         k3_layer("BatchNormalization", "bn", {{"axis", -1}, {"epsilon", 0.001}, {"momentum", 0.9}}, {"conv"}),
                         k3_layer("ReLU", "relu", json::object(), {"bn"})},
                        {"x", 0, 0}, {"relu", 0, 0});
  auto imp = lower(cfg, 3, {{"conv", {k}}, {"bn", {gamma, beta, mean, var}}});
  ASSERT_TRUE(imp.has_value()) << imp.status().message();
  auto y = conv_ref(x, 5, 5, 2, k, 3, 3, 3, 2, true, nullptr);
  const auto g = values(gamma), be = values(beta), mu = values(mean), va = values(var);
  for (size_t i = 0; i < y.size(); ++i) {
    const size_t ch = i % 3;
    y[i] = std::max(0.0, (y[i] - mu[ch]) / std::sqrt(double(va[ch]) + 0.001) * g[ch] + be[ch]);
  }
  expect_close(run(imp->model, {x}).at(0), y, "conv+bn+relu");
  ASSERT_EQ(imp->training.batch_norms.size(), 1u);
  const BatchNormRecord& r = imp->training.batch_norms[0];
  EXPECT_EQ(r.layer, "bn");
  EXPECT_FLOAT_EQ(r.momentum, 0.9f);
  EXPECT_FLOAT_EQ(r.epsilon, 0.001f);
  EXPECT_EQ(r.axis, 3);
  EXPECT_EQ(values(r.moving_variance), va);
  EXPECT_EQ(r.kernel.shape, (std::vector<int64_t>{3, 3, 3, 2}));  // the conv's IR weights (out,kh,kw,in) before folding
  EXPECT_EQ(r.bias.shape, (std::vector<int64_t>{3}));
  // Folded as the converter folds it: one CONV_2D with RELU fused, which the record names.
  const ir::Subgraph& sg = imp->model.subgraphs[0];
  ASSERT_EQ(op_names(imp->model), (std::vector<std::string>{"CONV_2D"}));
  EXPECT_EQ(sg.ops[0].options_as<tflite::Conv2DOptionsT>()->fused_activation_function, tflite::ActivationFunctionType_RELU);
  EXPECT_EQ(r.folded_into, sg.tensors[sg.ops[0].outputs[0]].name);
  // The fused op's output names every layer it came from, as the converter's names do.
  EXPECT_EQ(r.folded_into, "m/relu/Relu;m/bn/batchnorm/add_1;m/bn/batchnorm/mul;m/conv/convolution");
  EXPECT_EQ(r.output, r.folded_into);
  EXPECT_TRUE(r.input.empty());
  EXPECT_EQ(r.folded_weights, sg.tensors[sg.ops[0].inputs[1]].name);
  EXPECT_EQ(r.folded_bias, sg.tensors[sg.ops[0].inputs[2]].name);
  EXPECT_NE(std::find(imp->training.trainable.begin(), imp->training.trainable.end(), r.folded_weights),
            imp->training.trainable.end());
}

TEST(KerasLower, BatchNormWithNothingToFoldIntoStaysMulAdd) {
  Array gamma = random_f32({3}, 18, 0.5f, 1.5f), beta = random_f32({3}, 19), mean = random_f32({3}, 20),
        var = random_f32({3}, 21, 0.5f, 2.0f), x = random_f32({1, 3, 2}, 22);
  // Over axis 1 of a (batch, 3, 2) input: per-row constants.
  json cfg = functional("m", {k3_input("x", {3, 2}), k3_layer("BatchNormalization", "bn", {{"axis", 1}}, {"x"})}, {"x", 0, 0},
                        {"bn", 0, 0});
  auto imp = lower(cfg, 3, {{"bn", {gamma, beta, mean, var}}});
  ASSERT_TRUE(imp.has_value()) << imp.status().message();
  EXPECT_EQ(op_names(imp->model), (std::vector<std::string>{"MUL", "ADD"}));
  const auto g = values(gamma), be = values(beta), mu = values(mean), va = values(var), xv = values(x);
  std::vector<double> want;
  for (size_t i = 0; i < xv.size(); ++i) want.push_back((xv[i] - mu[i / 2]) / std::sqrt(double(va[i / 2]) + 1e-3) * g[i / 2] + be[i / 2]);
  expect_close(run(imp->model, {x}).at(0), want, "bn axis 1");
  const BatchNormRecord& r = imp->training.batch_norms.at(0);
  EXPECT_EQ(r.axis, 1);
  EXPECT_EQ(r.input, "serving_default_x:0");
  EXPECT_TRUE(r.folded_into.empty());
  EXPECT_TRUE(r.kernel.data.empty());
}

TEST(KerasLower, ZeroPaddingAsSameIsAbsorbedIntoTheConv) {
  Array k = random_f32({3, 3, 2, 2}, 23), b = random_f32({2}, 24), x = random_f32({1, 6, 6, 2}, 25);
  json cfg = functional("m",
                        {k3_input("x", {6, 6, 2}), k3_layer("ZeroPadding2D", "pad", {{"padding", {{0, 1}, {0, 1}}}}, {"x"}),
                         k3_layer("Conv2D", "conv", {{"filters", 2}, {"kernel_size", 3}, {"strides", 2}, {"padding", "valid"}}, {"pad"})},
                        {"x", 0, 0}, {"conv", 0, 0});
  auto imp = lower(cfg, 3, {{"conv", {k, b}}});
  ASSERT_TRUE(imp.has_value()) << imp.status().message();
  EXPECT_EQ(op_names(imp->model), (std::vector<std::string>{"CONV_2D"}));
  expect_close(run(imp->model, {x}).at(0), conv_ref(x, 6, 6, 2, k, 3, 3, 2, 2, true, &b), "pad+valid == same");
}

TEST(KerasLower, Keras3OpLayersWithConstants) {
  // keras.ops on Keras tensors: 2 - relu6(x + 3) * (1 / 6), saved as op layers with numbers among the args.
  json add = k3_layer("Add", "add", json::object(), {"x"});
  add["inbound_nodes"][0]["args"].push_back(3.0);
  json relu = k3_layer("ReLU", "r6", {{"max_value", 6.0}}, {"add"});
  json mul = k3_layer("Multiply", "mul", json::object(), {"r6"});
  mul["inbound_nodes"][0]["args"].push_back(1.0 / 6.0);
  json sub = k3_layer("Subtract", "sub", json::object(), {"mul"});
  sub["inbound_nodes"][0]["args"] = json::array({2.0, sub["inbound_nodes"][0]["args"][0]});
  json cfg = functional("m", {k3_input("x", {8}), add, relu, mul, sub}, {"x", 0, 0}, {"sub", 0, 0});
  auto imp = lower(cfg, 3, {});
  ASSERT_TRUE(imp.has_value()) << imp.status().message();
  Array x = random_f32({1, 8}, 26, -5.0f, 5.0f);
  std::vector<double> want;
  for (float v : values(x)) want.push_back(2.0 - std::clamp(v + 3.0, 0.0, 6.0) / 6.0);
  expect_close(run(imp->model, {x}).at(0), want, "op layers");
}

// A tf_keras TFOpLambda entry: `function` on the tensor (or "_CONSTANT_VALUE" constant) `first`, other arguments in `kwargs`.
json tf_op(const std::string& name, const std::string& function, json first, json kwargs) {
  first.push_back(kwargs);
  return {{"class_name", "TFOpLambda"},
          {"name", name},
          {"config", {{"name", name}, {"trainable", true}, {"dtype", "float32"}, {"function", function}}},
          {"inbound_nodes", json::array({first})}};
}

TEST(KerasLower, Keras2TFOpLambdasWithConstantsAndTensors) {
  // tf_keras: mean((2 - relu6(x + 3) * (1 / 6)) * x / (x * x + 1), axis 1), as TFOpLambda layers.
  json input = {{"class_name", "InputLayer"}, {"name", "x"},
                {"config", {{"name", "x"}, {"batch_input_shape", {nullptr, 8}}}}, {"inbound_nodes", json::array()}};
  json layers = json::array({
      input,
      tf_op("add", "__operators__.add", {"x", 0, 0}, {{"y", 3.0}, {"name", nullptr}}),
      tf_op("r6", "nn.relu6", {"add", 0, 0}, {{"name", nullptr}}),
      tf_op("mul", "math.multiply", {"r6", 0, 0}, {{"y", 1.0 / 6.0}, {"name", nullptr}}),
      tf_op("sub", "math.subtract", {"_CONSTANT_VALUE", -1, 2.0}, {{"y", {"mul", 0, 0}}, {"name", nullptr}}),
      tf_op("mul2", "math.multiply", {"sub", 0, 0}, {{"y", {"x", 0, 0}}, {"name", nullptr}}),
      tf_op("sq", "math.multiply", {"x", 0, 0}, {{"y", {"x", 0, 0}}}),
      tf_op("sq1", "math.add", {"sq", 0, 0}, {{"y", 1.0}}),
      tf_op("div", "math.truediv", {"mul2", 0, 0}, {{"y", {"sq1", 0, 0}}, {"name", nullptr}}),
      tf_op("mean", "math.reduce_mean", {"div", 0, 0}, {{"axis", 1}, {"keepdims", true}, {"name", nullptr}}),
  });
  json cfg = functional("m", layers, {{"x", 0, 0}}, {{"mean", 0, 0}});
  auto imp = lower(cfg, 2, {});
  ASSERT_TRUE(imp.has_value()) << imp.status().message();
  Array x = random_f32({1, 8}, 27, -5.0f, 5.0f);
  double sum = 0;
  for (float v : values(x)) sum += (2.0 - std::clamp(v + 3.0, 0.0, 6.0) / 6.0) * v / (double(v) * v + 1.0);
  expect_close(run(imp->model, {x}).at(0), {sum / 8.0}, "TFOpLambda chain");
}

TEST(KerasLower, Keras2TFOpLambdaShapesConcatTransposeReshape) {
  json input = {{"class_name", "InputLayer"}, {"name", "x"},
                {"config", {{"name", "x"}, {"batch_input_shape", {nullptr, 2, 3}}}}, {"inbound_nodes", json::array()}};
  json concat = tf_op("cat", "concat", {"x", 0, 0}, {{"axis", -1}});
  concat["inbound_nodes"] = json::array({json::array({json::array({"x", 0, 0, {{"axis", -1}}}),
                                                      json::array({"x", 0, 0, {{"axis", -1}}})})});
  json layers = json::array({
      input, concat,                                                                  // (1, 2, 6)
      tf_op("tr", "compat.v1.transpose", {"cat", 0, 0}, {{"perm", {0, 2, 1}}}),       // (1, 6, 2)
      tf_op("rs", "reshape", {"tr", 0, 0}, {{"shape", {-1, 12}}, {"name", nullptr}}),  // (1, 12)
  });
  auto imp = lower(functional("m", layers, {{"x", 0, 0}}, {{"rs", 0, 0}}), 2, {});
  ASSERT_TRUE(imp.has_value()) << imp.status().message();
  Array x = random_f32({1, 2, 3}, 28, -1.0f, 1.0f);
  const auto v = values(x);
  std::vector<double> want;
  for (int j = 0; j < 6; ++j) {
    for (int i = 0; i < 2; ++i) want.push_back(v[static_cast<size_t>(i * 3 + j % 3)]);
  }
  expect_close(run(imp->model, {x}).at(0), want, "concat, transpose, reshape");
}

TEST(KerasLower, Keras2TFOpLambdaNotLoweredIsNamedWithItsFunction) {
  json input = {{"class_name", "InputLayer"}, {"name", "x"},
                {"config", {{"name", "x"}, {"batch_input_shape", {nullptr, 4}}}}, {"inbound_nodes", json::array()}};
  json layers = json::array({
      input,
      tf_op("cs", "math.cumsum", {"x", 0, 0}, {{"axis", 1}}),
      tf_op("add", "math.add", {"cs", 0, 0}, {{"y", {1.0, 2.0, 3.0, 4.0}}}),  // a list constant: not lowered
  });
  auto m = parse_model_config(functional("m", layers, {{"x", 0, 0}}, {{"add", 0, 0}}), 2);
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(m.status().message().find("'cs' (TFOpLambda tf.math.cumsum"), std::string::npos) << m.status().message();
  EXPECT_NE(m.status().message().find("'add' (TFOpLambda tf.math.add"), std::string::npos) << m.status().message();
}

TEST(KerasLower, SharedNestedModelReadsOneSetOfWeights) {
  json inner = functional("inner", {k3_input("ix", {4}), k3_layer("Dense", "d", {{"units", 4}}, {"ix"})}, {"ix", 0, 0}, {"d", 0, 0});
  inner["name"] = "inner";
  inner["inbound_nodes"] = json::array({{{"args", {k3_ref("x")}}, {"kwargs", json::object()}},
                                        {{"args", {{{"class_name", "__keras_tensor__"}, {"config", {{"keras_history", {"inner", 0, 0}}}}}}},
                                         {"kwargs", json::object()}}});
  json cfg = functional("outer", {k3_input("x", {4}), inner}, {"x", 0, 0}, {"inner", 1, 0});
  Array k = random_f32({4, 4}, 27), b = random_f32({4}, 28), x = random_f32({1, 4}, 29);
  auto imp = lower(cfg, 3, {{"d", {k, b}}});
  ASSERT_TRUE(imp.has_value()) << imp.status().message();
  const ir::Subgraph& g = imp->model.subgraphs[0];
  ASSERT_EQ(op_names(imp->model), (std::vector<std::string>{"FULLY_CONNECTED", "FULLY_CONNECTED"}));
  EXPECT_EQ(g.ops[0].inputs[1], g.ops[1].inputs[1]);  // one weights tensor
  const auto h = dense_ref(x, k, b, 1, 4, 4, false);
  expect_close(run(imp->model, {x}).at(0), dense_ref(f32({1, 4}, std::vector<float>(h.begin(), h.end())), k, b, 1, 4, 4, false),
               "dense twice");
}

TEST(KerasLower, Conv1DCausalAndSeparableAndDepthwise) {
  {  // Conv1D causal, dilation 2: y[t] = sum_k x[t - (K-1-k)*d] w[k]
    Array k = random_f32({3, 2, 4}, 20), b = random_f32({4}, 21), x = random_f32({1, 7, 2}, 22);
    ir::Model m;
    Array y = run_layer("Conv1D", {{"filters", 4}, {"kernel_size", 3}, {"padding", "causal"}, {"dilation_rate", 2}}, {7, 2}, x, {k, b}, 3, &m);
    const auto xv = values(x), kv = values(k), bv = values(b);
    std::vector<double> want;
    for (int t = 0; t < 7; ++t)
      for (int o = 0; o < 4; ++o) {
        double s = bv[o];
        for (int kk = 0; kk < 3; ++kk) {
          const int src = t - (2 - kk) * 2;
          if (src < 0) continue;
          for (int c = 0; c < 2; ++c) s += double(xv[src * 2 + c]) * kv[(kk * 2 + c) * 4 + o];
        }
        want.push_back(s);
      }
    expect_close(y, want, "conv1d causal");
  }
  {  // DepthwiseConv2D multiplier 2 == a conv with a block-diagonal kernel
    Array k = random_f32({3, 3, 2, 2}, 23), x = random_f32({1, 4, 4, 2}, 24);
    Array y = run_layer("DepthwiseConv2D", {{"kernel_size", 3}, {"depth_multiplier", 2}, {"padding", "valid"}, {"use_bias", false}}, {4, 4, 2}, x, {k});
    std::vector<float> full(3 * 3 * 2 * 4, 0.0f);
    const auto kv = values(k);
    for (int a = 0; a < 9; ++a)
      for (int c = 0; c < 2; ++c)
        for (int mlt = 0; mlt < 2; ++mlt) full[(a * 2 + c) * 4 + c * 2 + mlt] = kv[(a * 2 + c) * 2 + mlt];
    expect_close(y, conv_ref(x, 4, 4, 2, f32({3, 3, 2, 4}, full), 3, 3, 4, 1, false, nullptr), "depthwise");
  }
  {  // SeparableConv2D = depthwise then 1x1
    Array dk = random_f32({3, 3, 2, 1}, 25), pk = random_f32({1, 1, 2, 3}, 26), b = random_f32({3}, 27), x = random_f32({1, 4, 4, 2}, 28);
    Array y = run_layer("SeparableConv2D", {{"filters", 3}, {"kernel_size", 3}, {"padding", "same"}}, {4, 4, 2}, x, {dk, pk, b});
    std::vector<float> full(3 * 3 * 2 * 2, 0.0f);
    const auto dv = values(dk);
    for (int a = 0; a < 9; ++a)
      for (int c = 0; c < 2; ++c) full[(a * 2 + c) * 2 + c] = dv[a * 2 + c];
    auto d = conv_ref(x, 4, 4, 2, f32({3, 3, 2, 2}, full), 3, 3, 2, 1, true, nullptr);
    Array dx = f32({1, 4, 4, 2}, std::vector<float>(d.begin(), d.end()));
    expect_close(y, conv_ref(dx, 4, 4, 2, pk, 1, 1, 3, 1, false, &b), "separable");
  }
}

TEST(KerasLower, Conv2DTransposeScattersEachInputPixel) {
  Array k = random_f32({3, 3, 2, 3}, 30), b = random_f32({2}, 31), x = random_f32({1, 2, 2, 3}, 32);
  Array y = run_layer("Conv2DTranspose", {{"filters", 2}, {"kernel_size", 3}, {"strides", 2}, {"padding", "valid"}}, {2, 2, 3}, x, {k, b});
  // valid: out = (in - 1) * s + k = 5; out[i*s+a][j*s+c][o] += x[i][j][ci] * k[a][c][o][ci]
  std::vector<double> want(5 * 5 * 2);
  const auto xv = values(x), kv = values(k), bv = values(b);
  for (size_t i = 0; i < want.size(); ++i) want[i] = bv[i % 2];
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j)
      for (int a = 0; a < 3; ++a)
        for (int c = 0; c < 3; ++c)
          for (int o = 0; o < 2; ++o)
            for (int ci = 0; ci < 3; ++ci)
              want[((i * 2 + a) * 5 + (j * 2 + c)) * 2 + o] += double(xv[(i * 2 + j) * 3 + ci]) * kv[((a * 3 + c) * 2 + o) * 3 + ci];
  expect_close(y, want, "conv2d transpose");
}

// --- Activations -------------------------------------------------------------

double gelu(double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }
double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

// ("linear" alone would leave a graph without ops; Dense's "linear" is covered above.)
TEST(KerasLower, ActivationsByName) {
  Array x = random_f32({1, 16}, 40, -4.0f, 4.0f);
  const auto xv = values(x);
  const std::map<std::string, double (*)(double)> unary = {
      {"relu", [](double v) { return std::max(v, 0.0); }},
      {"relu6", [](double v) { return std::min(std::max(v, 0.0), 6.0); }},
      {"sigmoid", sigmoid},
      {"tanh", [](double v) { return std::tanh(v); }},
      {"elu", [](double v) { return v > 0 ? v : std::exp(v) - 1; }},
      {"selu", [](double v) { return 1.0507009873554805 * (v > 0 ? v : 1.6732632423543772 * (std::exp(v) - 1)); }},
      {"gelu", gelu},
      {"swish", [](double v) { return v * sigmoid(v); }},
      {"silu", [](double v) { return v * sigmoid(v); }},
      {"hard_swish", [](double v) { return v * std::min(std::max(v + 3, 0.0), 6.0) / 6; }},
      {"hard_sigmoid", [](double v) { return std::min(std::max(v + 3, 0.0), 6.0) / 6; }},
      {"softplus", [](double v) { return std::log1p(std::exp(v)); }},
      {"leaky_relu", [](double v) { return v > 0 ? v : 0.2 * v; }},
      {"exponential", [](double v) { return std::exp(v); }},
  };
  for (const auto& [name, f] : unary) {
    std::vector<double> want;
    for (float v : xv) want.push_back(f(v));
    expect_close(run_layer("Activation", {{"activation", name}}, {16}, x), want, name);
  }
  {  // Keras 2's hard_sigmoid: clip(0.2 x + 0.5, 0, 1)
    std::vector<double> want;
    for (float v : xv) want.push_back(std::min(std::max(0.2 * v + 0.5, 0.0), 1.0));
    expect_close(run_layer("Activation", {{"activation", "hard_sigmoid"}}, {16}, x, {}, 2), want, "keras2 hard_sigmoid");
  }
  for (const char* name : {"softmax", "log_softmax"}) {
    double mx = -1e30, sum = 0;
    for (float v : xv) mx = std::max(mx, double(v));
    for (float v : xv) sum += std::exp(v - mx);
    std::vector<double> want;
    for (float v : xv) want.push_back(std::string(name) == "softmax" ? std::exp(v - mx) / sum : v - mx - std::log(sum));
    expect_close(run_layer("Activation", {{"activation", name}}, {16}, x), want, name);
  }
}

TEST(KerasLower, ActivationLayers) {
  Array x = random_f32({1, 2, 2, 3}, 41, -3.0f, 3.0f);
  const auto xv = values(x);
  auto each = [&](auto f) {
    std::vector<double> w;
    for (float v : xv) w.push_back(f(double(v)));
    return w;
  };
  expect_close(run_layer("ReLU", {{"max_value", 2.0}, {"negative_slope", 0.1}, {"threshold", 0.5}}, {2, 2, 3}, x),
               each([](double v) { return (v > 0.5 ? std::min(v, 2.0) : 0.0) - 0.1 * std::max(0.5 - v, 0.0); }), "relu general");
  expect_close(run_layer("ReLU", {{"max_value", 6.0}}, {2, 2, 3}, x), each([](double v) { return std::clamp(v, 0.0, 6.0); }), "relu6");
  expect_close(run_layer("LeakyReLU", {{"negative_slope", 0.3}}, {2, 2, 3}, x), each([](double v) { return v > 0 ? v : 0.3 * v; }), "leaky");
  expect_close(run_layer("ELU", {{"alpha", 0.5}}, {2, 2, 3}, x), each([](double v) { return v > 0 ? v : 0.5 * (std::exp(v) - 1); }), "elu");
  Array alpha = random_f32({1, 1, 3}, 42);
  const auto av = values(alpha);
  std::vector<double> want;
  for (size_t i = 0; i < xv.size(); ++i) want.push_back(xv[i] > 0 ? xv[i] : av[i % 3] * xv[i]);
  expect_close(run_layer("PReLU", {{"shared_axes", {1, 2}}}, {2, 2, 3}, x, {alpha}), want, "prelu");
}

// --- Merge layers ------------------------------------------------------------

TEST(KerasLower, MergeLayersTakeListArguments) {
  Array a = random_f32({1, 4}, 50), b = random_f32({1, 4}, 51);
  const auto av = values(a), bv = values(b);
  const std::map<std::string, double (*)(double, double)> ops = {
      {"Add", [](double p, double q) { return p + q; }},       {"Subtract", [](double p, double q) { return p - q; }},
      {"Multiply", [](double p, double q) { return p * q; }},  {"Average", [](double p, double q) { return (p + q) / 2; }},
      {"Maximum", [](double p, double q) { return std::max(p, q); }}, {"Minimum", [](double p, double q) { return std::min(p, q); }}};
  for (const auto& [cls, f] : ops) {
    json cfg = functional("m", {k3_input("a", {4}), k3_input("b", {4}), k3_layer(cls, "op", json::object(), {"a", "b"}, true)},
                          {{"a", 0, 0}, {"b", 0, 0}}, {"op", 0, 0});
    auto imp = lower(cfg, 3, {});
    ASSERT_TRUE(imp.has_value()) << imp.status().message();
    std::vector<double> want;
    for (size_t i = 0; i < 4; ++i) want.push_back(f(av[i], bv[i]));
    expect_close(run(imp->model, {a, b}).at(0), want, cls);
  }
  json cat = functional("m", {k3_input("a", {4}), k3_input("b", {4}), k3_layer("Concatenate", "c", {{"axis", -1}}, {"a", "b"}, true),
                              k3_layer("Dot", "d", {{"axes", 1}}, {"a", "b"}, true)},
                        {{"a", 0, 0}, {"b", 0, 0}}, {{"c", 0, 0}, {"d", 0, 0}});
  auto imp = lower(cat, 3, {});
  ASSERT_TRUE(imp.has_value()) << imp.status().message();
  auto out = run(imp->model, {a, b});
  std::vector<double> want(av.begin(), av.end());
  want.insert(want.end(), bv.begin(), bv.end());
  expect_close(out.at(0), want, "concat");
  double dot = 0;
  for (size_t i = 0; i < 4; ++i) dot += double(av[i]) * bv[i];
  expect_close(out.at(1), {dot}, "dot");
  EXPECT_EQ(out.at(1).shape, (std::vector<int64_t>{1, 1}));
}

// --- Normalization ---------------------------------------------------------------

TEST(KerasLower, LayerNormalizationNormalizationRescaling) {
  Array x = random_f32({1, 3, 4}, 60, -2.0f, 2.0f), gamma = random_f32({4}, 61), beta = random_f32({4}, 62);
  const auto xv = values(x), g = values(gamma), be = values(beta);
  std::vector<double> want;
  for (int r = 0; r < 3; ++r) {
    double m = 0, v = 0;
    for (int i = 0; i < 4; ++i) m += xv[r * 4 + i] / 4.0;
    for (int i = 0; i < 4; ++i) v += (xv[r * 4 + i] - m) * (xv[r * 4 + i] - m) / 4.0;
    for (int i = 0; i < 4; ++i) want.push_back((xv[r * 4 + i] - m) / std::sqrt(v + 1e-3) * g[i] + be[i]);
  }
  expect_close(run_layer("LayerNormalization", {{"axis", -1}, {"epsilon", 1e-3}}, {3, 4}, x, {gamma, beta}), want, "layernorm");
  want.clear();
  const double mean[] = {0.5, -1, 2, 0}, var[] = {4, 1, 0.25, 9};
  for (size_t i = 0; i < xv.size(); ++i) want.push_back((xv[i] - mean[i % 4]) / std::sqrt(var[i % 4]));
  expect_close(run_layer("Normalization", {{"axis", -1}, {"mean", {0.5, -1, 2, 0}}, {"variance", {4, 1, 0.25, 9}}}, {3, 4}, x), want,
               "normalization");
  want.clear();
  for (float v : xv) want.push_back(v / 127.5 - 1);
  expect_close(run_layer("Rescaling", {{"scale", 1 / 127.5}, {"offset", -1.0}}, {3, 4}, x), want, "rescaling");
}

// --- Pooling, reshaping, resampling ---------------------------------------------

TEST(KerasLower, PoolingAndReshaping) {
  Array x = random_f32({1, 4, 4, 2}, 70);
  const auto xv = values(x);
  auto at = [&](int i, int j, int c) { return double(xv[static_cast<size_t>((i * 4 + j) * 2 + c)]); };
  std::vector<double> mx, avg, gap, gmp_keep;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j)
      for (int c = 0; c < 2; ++c) {
        const double v[] = {at(2 * i, 2 * j, c), at(2 * i, 2 * j + 1, c), at(2 * i + 1, 2 * j, c), at(2 * i + 1, 2 * j + 1, c)};
        mx.push_back(*std::max_element(v, v + 4));
        avg.push_back((v[0] + v[1] + v[2] + v[3]) / 4);
      }
  for (int c = 0; c < 2; ++c) {
    double s = 0, m = -1e30;
    for (int i = 0; i < 16; ++i) s += xv[i * 2 + c], m = std::max(m, double(xv[i * 2 + c]));
    gap.push_back(s / 16);
    gmp_keep.push_back(m);
  }
  expect_close(run_layer("MaxPooling2D", {{"pool_size", {2, 2}}}, {4, 4, 2}, x), mx, "maxpool");
  expect_close(run_layer("AveragePooling2D", {{"pool_size", 2}, {"strides", 2}}, {4, 4, 2}, x), avg, "avgpool");
  expect_close(run_layer("GlobalAveragePooling2D", json::object(), {4, 4, 2}, x), gap, "gap");
  ir::Model m;
  Array g = run_layer("GlobalMaxPooling2D", {{"keepdims", true}}, {4, 4, 2}, x, {}, 3, &m);
  expect_close(g, gmp_keep, "gmp");
  EXPECT_EQ(g.shape, (std::vector<int64_t>{1, 1, 1, 2}));
  std::vector<double> all(xv.begin(), xv.end());
  Array f = run_layer("Flatten", json::object(), {4, 4, 2}, x, {}, 3, &m);
  EXPECT_EQ(f.shape, (std::vector<int64_t>{1, 32}));
  EXPECT_EQ(op_names(m), (std::vector<std::string>{"RESHAPE"}));
  expect_close(f, all, "flatten");
  EXPECT_EQ(run_layer("Reshape", {{"target_shape", {-1, 2, 4}}}, {4, 4, 2}, x).shape, (std::vector<int64_t>{1, 4, 2, 4}));
  std::vector<double> perm;  // Permute((3, 1, 2)): (c, i, j)
  for (int c = 0; c < 2; ++c)
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 4; ++j) perm.push_back(at(i, j, c));
  expect_close(run_layer("Permute", {{"dims", {3, 1, 2}}}, {4, 4, 2}, x), perm, "permute");
  Array v = random_f32({1, 3}, 71);
  std::vector<double> rep;
  for (int r = 0; r < 2; ++r)
    for (float e : values(v)) rep.push_back(e);
  expect_close(run_layer("RepeatVector", {{"n", 2}}, {3}, v), rep, "repeat");
  Array s = random_f32({1, 6, 2}, 72);
  const auto sv = values(s);
  std::vector<double> mp1;
  for (int t = 0; t < 3; ++t)
    for (int c = 0; c < 2; ++c) mp1.push_back(std::max(sv[(2 * t) * 2 + c], sv[(2 * t + 1) * 2 + c]));
  expect_close(run_layer("MaxPooling1D", {{"pool_size", 2}}, {6, 2}, s), mp1, "maxpool1d");
}

TEST(KerasLower, PaddingCroppingUpsampling) {
  Array x = random_f32({1, 3, 3, 1}, 80);
  const auto xv = values(x);
  std::vector<double> pad(5 * 6, 0.0);  // ((1, 1), (2, 1))
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) pad[(i + 1) * 6 + (j + 2)] = xv[i * 3 + j];
  expect_close(run_layer("ZeroPadding2D", {{"padding", {{1, 1}, {2, 1}}}}, {3, 3, 1}, x), pad, "zeropad");
  expect_close(run_layer("Cropping2D", {{"cropping", {{1, 0}, {0, 1}}}}, {3, 3, 1}, x), {xv[3], xv[4], xv[6], xv[7]}, "crop");
  std::vector<double> up;
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 6; ++j) up.push_back(xv[(i / 2) * 3 + j / 2]);
  expect_close(run_layer("UpSampling2D", {{"size", {2, 2}}, {"interpolation", "nearest"}}, {3, 3, 1}, x), up, "upsample");
  // Bilinear with half-pixel centers: src = (dst + 0.5) / 2 - 0.5, clamped.
  auto lerp_src = [](int d, int n, int* i0, int* i1, double* f) {
    double s = std::max(0.0, (d + 0.5) / 2 - 0.5);
    *i0 = std::min(static_cast<int>(std::floor(s)), n - 1);
    *i1 = std::min(*i0 + 1, n - 1);
    *f = s - *i0;
  };
  std::vector<double> bil;
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 6; ++j) {
      int r0, r1, c0, c1;
      double fr, fc;
      lerp_src(i, 3, &r0, &r1, &fr);
      lerp_src(j, 3, &c0, &c1, &fc);
      auto v = [&](int r, int c) { return double(xv[r * 3 + c]); };
      bil.push_back((v(r0, c0) * (1 - fc) + v(r0, c1) * fc) * (1 - fr) + (v(r1, c0) * (1 - fc) + v(r1, c1) * fc) * fr);
    }
  expect_close(run_layer("UpSampling2D", {{"size", 2}, {"interpolation", "bilinear"}}, {3, 3, 1}, x), bil, "upsample bilinear");
  expect_close(run_layer("Resizing", {{"height", 6}, {"width", 6}}, {3, 3, 1}, x), bil, "resizing");
  Array s = random_f32({1, 2, 2}, 81);
  const auto sv = values(s);
  expect_close(run_layer("UpSampling1D", {{"size", 2}}, {2, 2}, s), {sv[0], sv[1], sv[0], sv[1], sv[2], sv[3], sv[2], sv[3]}, "upsample1d");
}

// --- Embedding, EinsumDense ----------------------------------------------------

TEST(KerasLower, EmbeddingAndEinsumDense) {
  Array table = random_f32({10, 3}, 90);
  Array ids = f32({1, 4}, {3, 0, 9, 3});
  ir::Model m;
  Array e = run_layer("Embedding", {{"input_dim", 10}, {"output_dim", 3}}, {4}, ids, {table}, 3, &m);
  EXPECT_EQ(op_names(m), (std::vector<std::string>{"CAST", "GATHER"}));
  const auto tv = values(table);
  std::vector<double> want;
  for (int id : {3, 0, 9, 3})
    for (int k = 0; k < 3; ++k) want.push_back(tv[id * 3 + k]);
  expect_close(e, want, "embedding");
  Array k = random_f32({4, 2, 3}, 91), b = random_f32({3}, 92), x = random_f32({1, 5, 4}, 93);
  Array y = run_layer("EinsumDense", {{"equation", "abc,cde->abde"}, {"output_shape", {nullptr, 2, 3}}, {"bias_axes", "e"}}, {5, 4}, x, {k, b}, 3, &m);
  EXPECT_EQ(y.shape, (std::vector<int64_t>{1, 5, 2, 3}));
  const auto xv = values(x), kv = values(k), bv = values(b);
  want.clear();
  for (int t = 0; t < 5; ++t)
    for (int d = 0; d < 2; ++d)
      for (int o = 0; o < 3; ++o) {
        double s = bv[o];
        for (int c = 0; c < 4; ++c) s += double(xv[t * 4 + c]) * kv[(c * 2 + d) * 3 + o];
        want.push_back(s);
      }
  expect_close(y, want, "einsum");
}

}  // namespace
}  // namespace tfc::importers::keras
