// Passes: the registry and recipes, the graph-editing helpers, symmetric int8
// weight math, fold-dequantize, and quantize (fp16, dynamic) checked against
// what the TFLite converter writes for the same network (fixtures/models:
// cnn_fmnist, cnn_fmnist_fp16, cnn_fmnist_dynamic).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <random>

#include <nlohmann/json.hpp>

#include "io/npy.h"
#include "io/tflite_reader.h"
#include "io/tflite_writer.h"
#include "ir/verify.h"
#include "kernels/fp16.h"
#include "kernels/quantize_ref.h"
#include "passes/graph_edit.h"
#include "passes/pass.h"
#include "passes/passes.h"
#include "runtime/interpreter.h"
#include "model_builder.h"
#include "test_util.h"

namespace tfc {
namespace {

using nlohmann::json;
using tflite::BuiltinOperator;

::testing::AssertionResult is_ok(const Status& s) {
  if (s.is_ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << s.message();
}

// ---- Helpers: fixtures, running, reading constants ---------------------------------

ir::Model load_fixture(const std::string& name) {
  auto m = io::read_tflite((test::fixtures_dir() / "models" / (name + ".tflite")).string());
  EXPECT_TRUE(m.has_value()) << name << ": " << m.status().message();
  return m.has_value() ? std::move(*m) : ir::Model{};
}

// The golden Fashion-MNIST images (4 x 28 x 28 x 1) of cnn_fmnist.
Array golden_images() {
  auto arrays = read_npz((test::fixtures_dir() / "golden" / "cnn_fmnist.npz").string());
  EXPECT_TRUE(arrays.has_value()) << arrays.status().message();
  for (auto& a : *arrays) {
    if (a.name == "input_0") return a.array;
  }
  ADD_FAILURE() << "no input_0";
  return {};
}

std::vector<float> run_cnn(const ir::Model& m) {
  auto out = runtime::run_model(m, {golden_images()});
  EXPECT_TRUE(out.has_value()) << out.status().message();
  if (!out.has_value()) return {};
  const Array& a = (*out)[0];
  return {a.as<float>(), a.as<float>() + a.num_elements()};
}

std::map<std::string, int> op_histogram(const ir::Model& m) {
  std::map<std::string, int> h;
  for (const auto& g : m.subgraphs) {
    for (const auto& op : g.ops) ++h[ir::op_name(op.code)];
  }
  return h;
}

int count_constants(const ir::Model& m, DType dtype) {
  int n = 0;
  for (const auto& t : m.subgraphs[0].tensors) n += m.is_constant(t) && t.dtype == dtype;
  return n;
}

template <typename T>
std::vector<T> values(const ir::Model& m, const ir::Tensor& t) {
  const auto bytes = m.constant_data(t);
  std::vector<T> v(bytes.size() / sizeof(T));
  std::memcpy(v.data(), bytes.data(), bytes.size());
  return v;
}

const ir::Tensor* find_tensor(const ir::Model& m, const std::string& name) {
  for (const auto& t : m.subgraphs[0].tensors) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

// The ops of subgraph 0 other than DEQUANTIZE, in order.
std::vector<const ir::Op*> compute_ops(const ir::Model& m) {
  std::vector<const ir::Op*> out;
  for (const auto& op : m.subgraphs[0].ops) {
    if (op.code.builtin != BuiltinOperator::BuiltinOperator_DEQUANTIZE) out.push_back(&op);
  }
  return out;
}

// The constant an op input comes from: itself, or the constant input of the
// DEQUANTIZE op that produces it.
const ir::Tensor* source_constant(const ir::Model& m, ir::TensorId id) {
  const auto& g = m.subgraphs[0];
  const int p = passes::producer(g, id);
  if (p >= 0 && g.ops[p].code.builtin == BuiltinOperator::BuiltinOperator_DEQUANTIZE) {
    return &g.tensors[g.ops[p].inputs[0]];
  }
  return m.is_constant(g.tensors[id]) ? &g.tensors[id] : nullptr;
}

// ModelBuilder (synthetic one-subgraph models): model_builder.h.
using test::ModelBuilder;

// ---- Symmetric int8 weight math --------------------------------------------------------

TEST(QuantizeRef, PerTensorScaleRoundsTiesToEven) {
  const std::vector<float> w = {127.0f, 2.5f, -3.5f, 0.0f, -127.0f, 0.49f};
  std::vector<int8_t> q(w.size());
  EXPECT_EQ(kernels::quantize_symmetric_per_tensor(w.data(), static_cast<int64_t>(w.size()), q.data()), 1.0f);
  EXPECT_EQ(q, (std::vector<int8_t>{127, 2, -4, 0, -127, 0}));
}

TEST(QuantizeRef, PerChannelAlongAnyAxis) {
  // (2, 3): axis 0 -> rows, axis 1 -> columns.
  const std::vector<float> w = {1.0f, -2.0f, 0.5f, 0.0f, 0.0f, 0.0f};
  const std::vector<int32_t> dims = {2, 3};
  std::vector<int8_t> q(6);
  const auto rows = kernels::quantize_symmetric_per_channel(w.data(), dims, 0, q.data());
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], 2.0f / 127.0f);
  EXPECT_EQ(rows[1], kernels::kMinSymmetricHalfRange / 127.0f) << "all-zero channel: the converter's minimum range";
  EXPECT_EQ(q, (std::vector<int8_t>{64, -127, 32, 0, 0, 0}));
  const auto cols = kernels::quantize_symmetric_per_channel(w.data(), dims, 1, q.data());
  ASSERT_EQ(cols.size(), 3u);
  EXPECT_EQ(cols[0], 1.0f / 127.0f);
  EXPECT_EQ(cols[1], 2.0f / 127.0f);
  EXPECT_EQ(cols[2], 0.5f / 127.0f);
  EXPECT_EQ(q, (std::vector<int8_t>{127, -127, 127, 0, 0, 0}));
}

// ---- Graph-editing helpers -------------------------------------------------------------

TEST(GraphEdit, ConsumersProducerAndInsert) {
  ModelBuilder b;
  const auto x = b.input("x", {4});
  const auto y = b.tensor("y", {4});
  const auto z = b.output("z", {4});
  b.op(BuiltinOperator::BuiltinOperator_RELU, {x}, {y});
  b.op(BuiltinOperator::BuiltinOperator_ADD, {y, y}, {z});
  EXPECT_EQ(passes::consumers(b.g(), y), std::vector<int>{1});
  EXPECT_EQ(passes::consumers(b.g(), x), std::vector<int>{0});
  EXPECT_TRUE(passes::consumers(b.g(), z).empty());
  EXPECT_EQ(passes::producer(b.g(), z), 1);
  EXPECT_EQ(passes::producer(b.g(), x), -1);
  ir::Op relu6;
  relu6.code.builtin = BuiltinOperator::BuiltinOperator_RELU6;
  EXPECT_EQ(passes::insert_op_before(b.g(), 1, relu6), 1);
  EXPECT_EQ(b.g().ops[1].code.builtin, BuiltinOperator::BuiltinOperator_RELU6);
  EXPECT_EQ(passes::producer(b.g(), z), 2);
}

TEST(GraphEdit, AddConstantChecksTheByteSize) {
  ir::Model m;
  m.buffers.emplace_back();
  m.subgraphs.emplace_back();
  ir::Tensor t;
  t.name = "w";
  t.shape = {2, 2};
  EXPECT_FALSE(passes::add_constant(m, 0, t, std::vector<uint8_t>(12)).has_value());
  auto id = passes::add_constant(m, 0, t, std::vector<uint8_t>(16, 1));
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(m.constant_data(m.subgraphs[0].tensors[*id]).size(), 16u);
  EXPECT_EQ(m.subgraphs[0].tensors[*id].buffer, 1u);
}

TEST(GraphEdit, RemoveUnusedTensorsRemapsOpsSubgraphIoAndSignatures) {
  ModelBuilder b;
  b.tensor("dead0", {1});
  const auto x = b.input("x", {4});
  b.tensor("dead1", {1});
  const auto scratch = b.tensor("scratch", {4});
  const auto y = b.tensor("y", {4});
  const auto only_in_signature = b.tensor("sig_only", {1});
  const auto z = b.output("z", {4});
  b.op(BuiltinOperator::BuiltinOperator_RELU, {x}, {y}).intermediates = {scratch};
  b.op(BuiltinOperator::BuiltinOperator_ADD, {y, ir::kNoTensor}, {z});
  const auto index = [](ir::TensorId id) { return static_cast<uint32_t>(id); };
  b.m.signature_defs.push_back(
      {"serving", "", 0, {{"x", index(x)}}, {{"z", index(z)}, {"extra", index(only_in_signature)}}});
  EXPECT_EQ(passes::remove_unused_tensors(b.m), 2);
  const auto& g = b.g();
  std::vector<std::string> names;
  for (const auto& t : g.tensors) names.push_back(t.name);
  EXPECT_EQ(names, (std::vector<std::string>{"x", "scratch", "y", "sig_only", "z"}));
  EXPECT_EQ(g.inputs, std::vector<ir::TensorId>{0});
  EXPECT_EQ(g.outputs, std::vector<ir::TensorId>{4});
  EXPECT_EQ(g.ops[0].inputs, std::vector<ir::TensorId>{0});
  EXPECT_EQ(g.ops[0].outputs, std::vector<ir::TensorId>{2});
  EXPECT_EQ(g.ops[0].intermediates, std::vector<ir::TensorId>{1});
  EXPECT_EQ(g.ops[1].inputs, (std::vector<ir::TensorId>{2, ir::kNoTensor}));
  const auto& sd = b.m.signature_defs[0];
  EXPECT_EQ(sd.inputs[0].tensor_index, 0u);
  EXPECT_EQ(sd.outputs[0].tensor_index, 4u);
  EXPECT_EQ(sd.outputs[1].tensor_index, 3u);
  EXPECT_TRUE(is_ok(ir::verify_model(b.m)));
}

TEST(GraphEdit, RemoveUnusedBuffersKeepsBufferZeroAndMetadata) {
  ModelBuilder b;
  const auto unused = b.constant<float>("unused", {1}, DType::kFloat32, {1.0f});        // buffer 1
  const auto w = b.constant<float>("w", {2}, DType::kFloat32, {2.0f, 3.0f});             // buffer 2
  const uint32_t meta = passes::add_buffer(b.m, {'m', 'd'});                              // buffer 3
  const uint32_t meta2 = passes::add_buffer(b.m, {'x'});                                  // buffer 4
  passes::add_buffer(b.m, {'z'});                                                          // buffer 5: unused
  b.m.metadata.push_back({"min_runtime_version", meta});
  b.m.metadata_buffer.push_back(static_cast<int32_t>(meta2));
  const auto out = b.output("out", {2});
  b.op(BuiltinOperator::BuiltinOperator_RELU, {w}, {out});
  b.g().tensors[unused].buffer = 0;  // its constant is no longer referred to
  EXPECT_EQ(passes::remove_unused_buffers(b.m), 2);
  ASSERT_EQ(b.m.buffers.size(), 4u);
  EXPECT_TRUE(b.m.buffers[0].data.empty());
  EXPECT_EQ(values<float>(b.m, b.g().tensors[w]), (std::vector<float>{2.0f, 3.0f}));
  EXPECT_EQ(b.m.buffers[b.m.metadata[0].buffer].data, (std::vector<uint8_t>{'m', 'd'}));
  EXPECT_EQ(b.m.buffers[b.m.metadata_buffer[0]].data, (std::vector<uint8_t>{'x'}));
  EXPECT_TRUE(is_ok(ir::verify_model(b.m)));
}

TEST(GraphEdit, UnifyOpVersionsTakesTheMaximum) {
  ModelBuilder b;
  const auto x = b.input("x", {4});
  const auto y = b.tensor("y", {4});
  const auto z = b.output("z", {4});
  b.op(BuiltinOperator::BuiltinOperator_RELU, {x}, {y}, 1);
  b.op(BuiltinOperator::BuiltinOperator_RELU, {y}, {z}, 3);
  passes::unify_op_versions(b.m, BuiltinOperator::BuiltinOperator_RELU);
  EXPECT_EQ(b.g().ops[0].code.version, 3);
  EXPECT_EQ(b.g().ops[1].code.version, 3);
}

// ---- Registry and recipes ----------------------------------------------------------------

TEST(PassRegistry, ListsThePassesOnce) {
  std::vector<std::string> names;
  for (const auto& p : passes::all_passes()) names.push_back(std::string(p.name));
  EXPECT_EQ(names, (std::vector<std::string>{"fold-dequantize", "fold-batchnorm", "fuse-activation",
                                               "fuse-hard-swish", "fuse-gelu", "fold-pad", "fold-reshapes",
                                               "merge-duplicate-ops", "fuse-relu-clip", "fuse-squared-difference",
                                               "fuse-rsqrt", "fuse-prelu", "hoist-channel-ops", "converter-fusions",
                                               "quantize"}));
  ASSERT_NE(passes::find_pass("quantize"), nullptr);
  EXPECT_FALSE(passes::find_pass("quantize")->summary.empty());
  EXPECT_EQ(passes::find_pass("nope"), nullptr);
}

TEST(PassRegistry, UnknownPassesAndOptionsAreErrorsNamingThem) {
  ir::Model m = load_fixture("cnn_fmnist");
  Status s = passes::run_pass(m, "frobnicate", json::object());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("frobnicate"), std::string::npos) << s.message();
  s = passes::run_pass(m, "quantize", {{"mode", "fp16"}, {"bits", 4}});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("'quantize'"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("'bits'"), std::string::npos) << s.message();
  s = passes::run_pass(m, "fold-dequantize", {{"mode", "fp16"}});
  EXPECT_NE(s.message().find("fold-dequantize"), std::string::npos) << s.message();
  EXPECT_EQ(passes::run_pass(m, "quantize", {{"mode", 16}}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(passes::run_pass(m, "quantize", json::object()).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(passes::run_pass(m, "quantize", {{"mode", "int4"}}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(passes::run_pass(m, "quantize", {{"mode", "dynamic"}, {"min_elements", -1}}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(passes::run_pass(m, "quantize", {{"mode", "dynamic"}, {"per_tensor", "yes"}}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(passes::run_pass(m, "quantize", {{"mode", "fp16"}, {"per_tensor", true}}).code(),
            StatusCode::kInvalidArgument);
  // int8 / int16x8 without data are refused, as are bad calibration options.
  s = passes::run_pass(m, "quantize", {{"mode", "int8"}});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("representative"), std::string::npos) << s.message();
  s = passes::run_pass(m, "quantize", {{"mode", "int8"}, {"representative", "x.npz"}, {"method", "median"}});
  EXPECT_NE(s.message().find("'median'"), std::string::npos) << s.message();
  s = passes::run_pass(m, "quantize", {{"mode", "int16x8"}, {"representative", "x.npz"}, {"io", "uint8"}});
  EXPECT_NE(s.message().find("uint8"), std::string::npos) << s.message();
  s = passes::run_pass(m, "quantize", {{"mode", "int8"}, {"representative", "x.npz"}, {"keep_float", "SOFTMAX"}});
  EXPECT_NE(s.message().find("keep_float"), std::string::npos) << s.message();
  s = passes::run_pass(m, "quantize", {{"mode", "int8"}, {"representative", "/nonexistent/x.npz"}});
  EXPECT_FALSE(s.is_ok());
  // None of the failures touched the model.
  EXPECT_EQ(io::serialize_tflite(m).value(), io::serialize_tflite(load_fixture("cnn_fmnist")).value());
}

TEST(PassRecipe, MalformedRecipesAreRejectedBeforeAnythingRuns) {
  const json bad[] = {
      json::array(),
      json::object(),
      {{"passes", "quantize"}},
      {{"passes", json::array({json{{"mode", "fp16"}}})}},
      {{"passes", json::array({json{{"name", 3}}})}},
      {{"passes", json::array({json{{"name", "quantize"}, {"mode", "fp16"}}})}, {"version", 2}},
      {{"passes", json::array({json{{"name", "fold-dequantize"}}, json{{"name", "quantize"}, {"colour", "red"}}})}},
      {{"passes", json::array({json{{"name", "fold-dequantize"}}, json{{"name", "prune"}}})}},
  };
  const auto original = io::serialize_tflite(load_fixture("cnn_fmnist_fp16")).value();
  for (const json& recipe : bad) {
    SCOPED_TRACE(recipe.dump());
    EXPECT_EQ(passes::check_recipe(recipe).code(), StatusCode::kInvalidArgument);
    ir::Model m = load_fixture("cnn_fmnist_fp16");
    EXPECT_EQ(passes::run_recipe(m, recipe).code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(io::serialize_tflite(m).value(), original) << "a rejected recipe must not run its first steps";
  }
  const Status s = passes::check_recipe(
      {{"passes", json::array({json{{"name", "fold-dequantize"}}, json{{"name", "quantize"}, {"colour", "red"}}})}});
  EXPECT_NE(s.message().find("step 1"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("'colour'"), std::string::npos) << s.message();
}

TEST(PassRecipe, RunsStepsInOrderLikeRunPass) {
  const json recipe = json::parse(R"({"passes": [{"name": "fold-dequantize"}, {"name": "quantize", "mode": "fp16"}]})");
  EXPECT_TRUE(is_ok(passes::check_recipe(recipe)));
  ir::Model by_recipe = load_fixture("cnn_fmnist_fp16");
  ASSERT_TRUE(is_ok(passes::run_recipe(by_recipe, recipe)));
  ir::Model by_hand = load_fixture("cnn_fmnist_fp16");
  ASSERT_TRUE(is_ok(passes::run_pass(by_hand, "fold-dequantize", nullptr)));
  ASSERT_TRUE(is_ok(passes::run_pass(by_hand, "quantize", {{"mode", "fp16"}})));
  EXPECT_EQ(io::serialize_tflite(by_recipe).value(), io::serialize_tflite(by_hand).value());
}

// ---- fold-dequantize -------------------------------------------------------------------------

TEST(FoldDequantize, Fp16ModelBecomesFloatWithTheSameOutputs) {
  const ir::Model fp16 = load_fixture("cnn_fmnist_fp16");
  ir::Model folded = fp16;
  ASSERT_TRUE(is_ok(passes::run_pass(folded, "fold-dequantize", nullptr)));
  const ir::Model original = load_fixture("cnn_fmnist");
  EXPECT_EQ(op_histogram(folded), op_histogram(original));
  EXPECT_EQ(folded.subgraphs[0].tensors.size(), original.subgraphs[0].tensors.size());
  EXPECT_EQ(count_constants(folded, DType::kFloat16), 0);
  EXPECT_EQ(count_constants(folded, DType::kFloat32), count_constants(original, DType::kFloat32));
  ASSERT_EQ(folded.metadata.size(), fp16.metadata.size());
  for (size_t i = 0; i < fp16.metadata.size(); ++i) {
    EXPECT_EQ(folded.buffers[folded.metadata[i].buffer].data, fp16.buffers[fp16.metadata[i].buffer].data);
  }
  // Exactly the outputs of the DEQUANTIZE-ing model.
  const auto ours = run_cnn(folded);
  EXPECT_EQ(ours, run_cnn(fp16));
  // Each folded weight is the float16 rounding of the float model's weight.
  const auto a = compute_ops(folded);
  const auto b = compute_ops(original);
  ASSERT_EQ(a.size(), b.size());
  int compared = 0;
  for (size_t k = 0; k < a.size(); ++k) {
    for (size_t j = 0; j < a[k]->inputs.size(); ++j) {
      const ir::Tensor& ta = folded.subgraphs[0].tensors[a[k]->inputs[j]];
      const ir::Tensor& tb = original.subgraphs[0].tensors[b[k]->inputs[j]];
      if (!original.is_constant(tb) || tb.dtype != DType::kFloat32) continue;
      std::vector<float> rounded = values<float>(original, tb);
      for (float& v : rounded) v = kernels::half_to_float(kernels::float_to_half(v));
      EXPECT_EQ(values<float>(folded, ta), rounded) << tb.name;
      ++compared;
    }
  }
  EXPECT_EQ(compared, 8);
  // Signature defs still name the same input and output tensors.
  const auto& sd = folded.signature_defs.at(0);
  EXPECT_EQ(folded.subgraphs[0].tensors[sd.inputs[0].tensor_index].name, "serving_default_image:0");
  EXPECT_EQ(sd.outputs[0].tensor_index, static_cast<uint32_t>(folded.subgraphs[0].outputs[0]));
}

TEST(FoldDequantize, Int8PerChannelConstantAndNonConstantInputs) {
  ModelBuilder b;
  ir::Quantization q;
  q.scale = {0.5f, 0.25f};
  q.zero_point = {0, 2};
  q.axis = 0;
  const auto w = b.constant<int8_t>("w_int8", {2, 2}, DType::kInt8, {1, -3, 6, 2}, q);
  const auto w_float = b.tensor("w", {2, 2});
  const auto x = b.input("x", {2, 2});
  const auto xq = b.tensor("xq", {2, 2}, DType::kInt8);
  b.g().tensors[xq].quantization = ir::Quantization{{}, {}, {1.0f}, {0}};
  const auto x_float = b.tensor("x_float", {2, 2});
  const auto sum = b.output("sum", {2, 2});
  b.op(BuiltinOperator::BuiltinOperator_DEQUANTIZE, {w}, {w_float}, 2);
  b.op(BuiltinOperator::BuiltinOperator_QUANTIZE, {x}, {xq});
  b.op(BuiltinOperator::BuiltinOperator_DEQUANTIZE, {xq}, {x_float}, 2);
  b.op(BuiltinOperator::BuiltinOperator_ADD, {w_float, x_float}, {sum});
  ASSERT_TRUE(is_ok(passes::fold_dequantize(b.m)));
  const auto& g = b.g();
  ASSERT_EQ(g.ops.size(), 3u) << "only the DEQUANTIZE of a constant folds";
  EXPECT_EQ(g.ops[0].code.builtin, BuiltinOperator::BuiltinOperator_QUANTIZE);
  EXPECT_EQ(g.ops[1].code.builtin, BuiltinOperator::BuiltinOperator_DEQUANTIZE);
  const ir::Tensor* folded = find_tensor(b.m, "w");
  ASSERT_NE(folded, nullptr);
  EXPECT_EQ(values<float>(b.m, *folded), (std::vector<float>{0.5f, -1.5f, 1.0f, 0.0f}));
  EXPECT_EQ(find_tensor(b.m, "w_int8"), nullptr) << "the old constant is removed";
  EXPECT_EQ(b.m.buffers.size(), 2u) << "and its buffer";
  EXPECT_TRUE(is_ok(ir::verify_model(b.m)));
}

TEST(FoldDequantize, BadQuantizationIsAnErrorNamingTheTensor) {
  ModelBuilder b;
  const auto w = b.constant<int8_t>("w_int8", {2}, DType::kInt8, {1, 2});  // no scale
  const auto out = b.output("w", {2});
  b.op(BuiltinOperator::BuiltinOperator_DEQUANTIZE, {w}, {out});
  const Status s = passes::fold_dequantize(b.m);
  EXPECT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("w_int8"), std::string::npos) << s.message();
}

// ---- quantize, mode fp16 ---------------------------------------------------------------------

TEST(QuantizeFp16, GivesTheConvertersStructureAndWeights) {
  ir::Model ours = load_fixture("cnn_fmnist");
  ASSERT_TRUE(is_ok(passes::run_pass(ours, "quantize", {{"mode", "fp16"}})));
  const ir::Model converter = load_fixture("cnn_fmnist_fp16");
  EXPECT_EQ(op_histogram(ours), op_histogram(converter));
  EXPECT_EQ(ours.subgraphs[0].tensors.size(), converter.subgraphs[0].tensors.size());
  EXPECT_EQ(count_constants(ours, DType::kFloat16), 8);
  EXPECT_EQ(count_constants(ours, DType::kFloat32), 0);
  for (const auto& op : ours.subgraphs[0].ops) {
    if (op.code.builtin == BuiltinOperator::BuiltinOperator_DEQUANTIZE) EXPECT_EQ(op.code.version, 3);
  }
  // Every weight and bias is the converter's float16 constant, bit for bit.
  const auto a = compute_ops(ours);
  const auto b = compute_ops(converter);
  ASSERT_EQ(a.size(), b.size());
  int compared = 0;
  for (size_t k = 0; k < a.size(); ++k) {
    ASSERT_EQ(a[k]->code.builtin, b[k]->code.builtin);
    for (size_t j = 0; j < a[k]->inputs.size(); ++j) {
      const ir::Tensor* ca = source_constant(ours, a[k]->inputs[j]);
      const ir::Tensor* cb = source_constant(converter, b[k]->inputs[j]);
      ASSERT_EQ(ca == nullptr, cb == nullptr);
      if (!ca) continue;
      EXPECT_EQ(ca->dtype, cb->dtype) << cb->name;
      EXPECT_EQ(values<uint8_t>(ours, *ca), values<uint8_t>(converter, *cb)) << cb->name;
      ++compared;
    }
  }
  EXPECT_EQ(compared, 9);  // 8 float16 weights / biases and the int32 reshape shape
  const auto bytes = io::serialize_tflite(ours).value();
  const auto converter_size = std::filesystem::file_size(test::fixtures_dir() / "models" / "cnn_fmnist_fp16.tflite");
  EXPECT_LE(std::abs(static_cast<double>(bytes.size()) / converter_size - 1.0), 0.02)
      << bytes.size() << " vs " << converter_size;
}

TEST(QuantizeFp16, OutputsStayWithin1e3OfFloatAndFoldBackExactly) {
  const ir::Model original = load_fixture("cnn_fmnist");
  ir::Model half = original;
  ASSERT_TRUE(is_ok(passes::quantize_fp16(half)));
  const auto ref = run_cnn(original);
  const auto ours = run_cnn(half);
  ASSERT_EQ(ours.size(), ref.size());
  for (size_t i = 0; i < ref.size(); ++i) EXPECT_NEAR(ours[i], ref[i], 1e-3 * std::max(1.0f, std::fabs(ref[i])));
  ir::Model folded = half;
  ASSERT_TRUE(is_ok(passes::fold_dequantize(folded)));
  EXPECT_EQ(run_cnn(folded), ours);
  // A second fp16 pass finds nothing left to convert.
  ir::Model twice = half;
  ASSERT_TRUE(is_ok(passes::quantize_fp16(twice)));
  EXPECT_EQ(io::serialize_tflite(twice).value(), io::serialize_tflite(half).value());
}

// ---- quantize, mode dynamic ------------------------------------------------------------------

// Checks that tensor `name` is int8 with scale max|w_c| / 127 per channel c
// along `axis` (-1: one scale) and q = round(w / scale), w from `float_model`.
void expect_symmetric_int8(const ir::Model& float_model, const ir::Model& quantized, const std::string& name,
                           int32_t axis) {
  SCOPED_TRACE(name);
  const ir::Tensor* f = find_tensor(float_model, name);
  const ir::Tensor* t = find_tensor(quantized, name);
  ASSERT_TRUE(f && t);
  ASSERT_EQ(t->dtype, DType::kInt8);
  ASSERT_TRUE(t->is_quantized());
  const auto& q = *t->quantization;
  const auto w = values<float>(float_model, *f);
  const auto v = values<int8_t>(quantized, *t);
  const int64_t channels = axis < 0 ? 1 : f->shape[axis];
  int64_t inner = static_cast<int64_t>(w.size());  // elements per channel step (row-major)
  if (axis >= 0) inner = ir::num_elements(std::span(f->shape).subspan(axis + 1));
  ASSERT_EQ(q.scale.size(), static_cast<size_t>(channels));
  EXPECT_EQ(q.zero_point, std::vector<int64_t>(channels, 0));
  if (axis >= 0) EXPECT_EQ(q.axis, axis);
  const auto channel = [&](size_t i) { return static_cast<int64_t>(i) / inner % channels; };
  std::vector<float> max_abs(channels, 0.0f);
  for (size_t i = 0; i < w.size(); ++i) max_abs[channel(i)] = std::max(max_abs[channel(i)], std::fabs(w[i]));
  for (int64_t c = 0; c < channels; ++c) EXPECT_EQ(q.scale[c], max_abs[c] / 127.0f) << "channel " << c;
  for (size_t i = 0; i < w.size(); ++i) {
    const float s = q.scale[channel(i)];
    ASSERT_LE(std::fabs(v[i] * s - w[i]), 0.5f * s * 1.0001f) << "element " << i;
  }
}

TEST(QuantizeDynamic, CnnQuantizesExactlyTheWeightsTheRuleNames) {
  const ir::Model original = load_fixture("cnn_fmnist");
  ir::Model ours = original;
  ASSERT_TRUE(is_ok(passes::run_pass(ours, "quantize", {{"mode", "dynamic"}})));
  // conv2d_1 (32x3x3x16 = 4608) and dense (64x1152) have >= 1024 elements;
  // conv2d (144), dense_1 (640) and all biases stay float32.
  expect_symmetric_int8(original, ours, "cnn_fmnist/conv2d_1/Conv2D", 0);
  expect_symmetric_int8(original, ours, "cnn_fmnist/dense/MatMul", 0);
  EXPECT_EQ(count_constants(ours, DType::kInt8), 2);
  EXPECT_EQ(count_constants(ours, DType::kFloat32), count_constants(original, DType::kFloat32) - 2);
  for (const char* name : {"cnn_fmnist/conv2d/Conv2D", "cnn_fmnist/dense_1/MatMul"}) {
    EXPECT_EQ(values<float>(ours, *find_tensor(ours, name)), values<float>(original, *find_tensor(original, name)));
  }
  EXPECT_EQ(op_histogram(ours), op_histogram(original));
  for (const auto& op : ours.subgraphs[0].ops) {
    if (op.code.builtin == BuiltinOperator::BuiltinOperator_CONV_2D) EXPECT_EQ(op.code.version, 5);
    if (op.code.builtin == BuiltinOperator::BuiltinOperator_FULLY_CONNECTED) EXPECT_EQ(op.code.version, 12);
  }
  EXPECT_TRUE(compute_ops(ours)[5]->options_as<tflite::FullyConnectedOptionsT>()->asymmetric_quantize_inputs);
  EXPECT_FALSE(compute_ops(ours)[6]->options_as<tflite::FullyConnectedOptionsT>()->asymmetric_quantize_inputs);
  EXPECT_EQ(ours.buffers.size(), original.buffers.size());
}

TEST(QuantizeDynamic, MatchesTheConvertersDynamicRangeModel) {
  ir::Model ours = load_fixture("cnn_fmnist");
  ASSERT_TRUE(is_ok(passes::quantize_dynamic_range(ours, {})));
  const ir::Model converter = load_fixture("cnn_fmnist_dynamic");
  int compared = 0;
  for (const auto& t : converter.subgraphs[0].tensors) {
    const ir::Tensor* mine = find_tensor(ours, t.name);
    ASSERT_NE(mine, nullptr) << t.name;
    EXPECT_EQ(mine->dtype, t.dtype) << t.name;
    if (t.dtype != DType::kInt8) continue;
    EXPECT_EQ(values<int8_t>(ours, *mine), values<int8_t>(converter, t)) << t.name;
    EXPECT_EQ(mine->quantization->scale, t.quantization->scale) << t.name;
    EXPECT_EQ(mine->quantization->zero_point, t.quantization->zero_point) << t.name;
    EXPECT_EQ(mine->quantization->axis, t.quantization->axis) << t.name;
    ++compared;
  }
  EXPECT_EQ(compared, 2);
  const auto a = compute_ops(ours);
  const auto b = compute_ops(converter);
  ASSERT_EQ(a.size(), b.size());
  for (size_t k = 0; k < a.size(); ++k) {
    EXPECT_EQ(a[k]->code, b[k]->code) << "op " << k;
    const auto* fa = a[k]->options_as<tflite::FullyConnectedOptionsT>();
    const auto* fb = b[k]->options_as<tflite::FullyConnectedOptionsT>();
    if (fa && fb) EXPECT_EQ(fa->asymmetric_quantize_inputs, fb->asymmetric_quantize_inputs) << "op " << k;
  }
}

TEST(QuantizeDynamic, PerTensorAndMinElementsOptions) {
  const ir::Model original = load_fixture("cnn_fmnist");
  ir::Model per_tensor = original;
  ASSERT_TRUE(is_ok(passes::run_pass(per_tensor, "quantize", {{"mode", "dynamic"}, {"per_tensor", true}})));
  expect_symmetric_int8(original, per_tensor, "cnn_fmnist/dense/MatMul", -1);
  expect_symmetric_int8(original, per_tensor, "cnn_fmnist/conv2d_1/Conv2D", 0);  // conv stays per channel
  for (const auto* op : compute_ops(per_tensor)) {
    if (op->code.builtin == BuiltinOperator::BuiltinOperator_FULLY_CONNECTED) EXPECT_EQ(op->code.version, 9);
  }
  ir::Model small = original;
  ASSERT_TRUE(is_ok(passes::run_pass(small, "quantize", {{"mode", "dynamic"}, {"min_elements", 100}})));
  EXPECT_EQ(count_constants(small, DType::kInt8), 4);
  expect_symmetric_int8(original, small, "cnn_fmnist/conv2d/Conv2D", 0);
  ir::Model none = original;
  ASSERT_TRUE(is_ok(passes::run_pass(none, "quantize", {{"mode", "dynamic"}, {"min_elements", 1 << 20}})));
  EXPECT_EQ(io::serialize_tflite(none).value(), io::serialize_tflite(original).value());
}

TEST(QuantizeDynamic, DepthwiseTransposeConvAndBatchMatmul) {
  ModelBuilder b;
  const auto x = b.input("x", {1, 4, 4, 128});
  const auto dw = b.weights("dw", {1, 3, 3, 128}, 1);
  const auto dw_bias = b.weights("dw_bias", {128}, 2);
  const auto y = b.tensor("y", {1, 4, 4, 128});
  b.op(BuiltinOperator::BuiltinOperator_DEPTHWISE_CONV_2D, {x, dw, dw_bias}, {y}, 1);
  const auto shape = b.constant<int32_t>("shape", {4}, DType::kInt32, {1, 8, 8, 16});
  const auto tw = b.weights("tw", {16, 3, 3, 128}, 3);
  const auto z = b.tensor("z", {1, 8, 8, 16});
  b.op(BuiltinOperator::BuiltinOperator_TRANSPOSE_CONV, {shape, tw, y}, {z}, 1);
  const auto rhs = b.weights("rhs", {2, 16, 40}, 4);
  const auto lhs = b.input("lhs", {2, 5, 16});
  const auto mm = b.output("mm", {2, 5, 40});
  b.op(BuiltinOperator::BuiltinOperator_BATCH_MATMUL, {lhs, rhs}, {mm}, 1);
  b.g().outputs.push_back(z);
  const ir::Model original = b.m;
  ASSERT_TRUE(is_ok(passes::quantize_dynamic_range(b.m, {})));
  expect_symmetric_int8(original, b.m, "dw", 3);
  expect_symmetric_int8(original, b.m, "tw", 0);
  expect_symmetric_int8(original, b.m, "rhs", -1);
  EXPECT_EQ(find_tensor(b.m, "dw_bias")->dtype, DType::kFloat32);
  const auto& ops = b.g().ops;
  EXPECT_EQ(ops[0].code.version, 6);
  EXPECT_EQ(ops[1].code.version, 2);
  EXPECT_EQ(ops[2].code.version, 4);
  ASSERT_NE(ops[2].options_as<tflite::BatchMatMulOptionsT>(), nullptr);
  EXPECT_TRUE(ops[2].options_as<tflite::BatchMatMulOptionsT>()->asymmetric_quantize_inputs);
  EXPECT_TRUE(is_ok(ir::verify_model(b.m)));
}

TEST(QuantizeDynamic, WeightsAlsoReadOtherwiseStayFloat) {
  ModelBuilder b;
  const auto x = b.input("x", {1, 64});
  const auto w = b.weights("w", {32, 64});
  const auto y = b.output("y", {1, 32});
  b.op(BuiltinOperator::BuiltinOperator_FULLY_CONNECTED, {x, w, ir::kNoTensor}, {y});
  const auto w2 = b.weights("w2", {32, 64}, 7);
  const auto y2 = b.output("y2", {1, 32});
  const auto sum = b.output("sum", {32, 64});
  b.op(BuiltinOperator::BuiltinOperator_FULLY_CONNECTED, {x, w2, ir::kNoTensor}, {y2});
  b.op(BuiltinOperator::BuiltinOperator_ADD, {w2, w2}, {sum});  // w2 is also read as data
  const ir::Model original = b.m;
  ASSERT_TRUE(is_ok(passes::quantize_dynamic_range(b.m, {})));
  expect_symmetric_int8(original, b.m, "w", 0);
  EXPECT_EQ(find_tensor(b.m, "w2")->dtype, DType::kFloat32);
  ASSERT_NE(b.g().ops[0].options_as<tflite::FullyConnectedOptionsT>(), nullptr) << "options created";
  EXPECT_TRUE(b.g().ops[0].options_as<tflite::FullyConnectedOptionsT>()->asymmetric_quantize_inputs);
  EXPECT_EQ(b.g().ops[1].code.version, 12) << "one operator code per builtin, as the converter writes";
  EXPECT_EQ(b.g().ops[1].options_as<tflite::FullyConnectedOptionsT>(), nullptr);
}

}  // namespace
}  // namespace tfc
