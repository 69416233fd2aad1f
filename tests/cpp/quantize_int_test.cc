// The full-integer quantize pass (passes/quantize_int.cc) on small hand-built
// graphs whose expected parameters follow from the TFLite quantization spec by
// hand: activation scale/zero point from a range, per-channel weights, int32 /
// int64 bias at input scale x weight scale, fixed SOFTMAX output parameters,
// QUANTIZE / DEQUANTIZE at float boundaries, integer model inputs/outputs,
// ops kept float and ops that cannot be quantized.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "ir/verify.h"
#include "passes/graph_edit.h"
#include "passes/passes.h"

namespace tfc {
namespace {

using tflite::BuiltinOperator;

::testing::AssertionResult is_ok(const Status& s) {
  if (s.is_ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << s.message();
}

template <typename T>
std::vector<uint8_t> bytes_of(const std::vector<T>& v) {
  std::vector<uint8_t> b(v.size() * sizeof(T));
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

template <typename T>
std::vector<T> values_of(const ir::Model& m, const ir::Tensor& t) {
  const auto bytes = m.constant_data(t);
  std::vector<T> v(bytes.size() / sizeof(T));
  std::memcpy(v.data(), bytes.data(), bytes.size());
  return v;
}

ir::Tensor tensor(std::string name, ir::Shape shape) {
  ir::Tensor t;
  t.name = std::move(name);
  t.shape = std::move(shape);
  t.has_rank = true;
  return t;
}

// x [1, 4] -> FULLY_CONNECTED(w [3, 4], b [3]) -> logits [1, 3] -> SOFTMAX -> probs [1, 3]
struct Mlp {
  ir::Model m;
  ir::TensorId x, w, b, logits, probs;
};

Mlp make_mlp() {
  Mlp r;
  r.m.buffers.resize(1);
  r.m.subgraphs.resize(1);
  ir::Subgraph& g = r.m.subgraphs[0];
  r.x = passes::add_tensor(g, tensor("x", {1, 4}));
  r.w = *passes::add_constant(r.m, 0, tensor("w", {3, 4}),
                              bytes_of<float>({1.5f, -2, 0.5f, 0, 0.25f, 0.25f, -0.1f, 0, 0, 0, 0, 0}));
  r.b = *passes::add_constant(r.m, 0, tensor("b", {3}), bytes_of<float>({0.1f, -0.2f, 0.3f}));
  r.logits = passes::add_tensor(g, tensor("logits", {1, 3}));
  r.probs = passes::add_tensor(g, tensor("probs", {1, 3}));
  ir::Op fc;
  fc.code.builtin = BuiltinOperator::BuiltinOperator_FULLY_CONNECTED;
  fc.inputs = {r.x, r.w, r.b};
  fc.outputs = {r.logits};
  fc.options.Set(tflite::FullyConnectedOptionsT{});
  ir::Op sm;
  sm.code.builtin = BuiltinOperator::BuiltinOperator_SOFTMAX;
  sm.inputs = {r.logits};
  sm.outputs = {r.probs};
  tflite::SoftmaxOptionsT so;
  so.beta = 1.0f;
  sm.options.Set(so);
  g.ops = {fc, sm};
  g.inputs = {r.x};
  g.outputs = {r.probs};
  return r;
}

passes::FullIntegerOptions options_for(const Mlp& r) {
  passes::FullIntegerOptions o;
  o.ranges[r.x] = {-1.0, 3.0};
  o.ranges[r.logits] = {-4.0, 6.0};
  o.ranges[r.probs] = {0.0, 1.0};
  return o;
}

const ir::Tensor* find(const ir::Model& m, const std::string& name) {
  for (const auto& t : m.subgraphs[0].tensors) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

std::vector<std::string> op_names(const ir::Model& m) {
  std::vector<std::string> v;
  for (const auto& op : m.subgraphs[0].ops) v.push_back(ir::op_name(op.code));
  return v;
}

TEST(ActivationQParams, FollowTheSpec) {
  // int8: scale (max - min) / 255, zero point -128 - min / scale, rounded.
  auto [s, zp] = passes::activation_qparams(-1.0, 3.0, DType::kInt8);
  EXPECT_FLOAT_EQ(s, 4.0f / 255.0f);
  EXPECT_EQ(zp, static_cast<int32_t>(std::round(-128.0 + 1.0 / (4.0 / 255.0))));
  // A range that excludes 0 is widened to hold it.
  std::tie(s, zp) = passes::activation_qparams(2.0, 5.0, DType::kInt8);
  EXPECT_FLOAT_EQ(s, 5.0f / 255.0f);
  EXPECT_EQ(zp, -128);
  std::tie(s, zp) = passes::activation_qparams(-5.0, -2.0, DType::kInt8);
  EXPECT_EQ(zp, 127);
  // int16: symmetric, zero point 0.
  std::tie(s, zp) = passes::activation_qparams(-1.0, 3.0, DType::kInt16);
  EXPECT_FLOAT_EQ(s, 3.0f / 32767.0f);
  EXPECT_EQ(zp, 0);
  // A constant-zero tensor still gets a positive scale.
  std::tie(s, zp) = passes::activation_qparams(0.0, 0.0, DType::kInt8);
  EXPECT_GT(s, 0.0f);
}

TEST(QuantizeInt, Int8MlpLayoutAndParameters) {
  Mlp r = make_mlp();
  const auto opts = options_for(r);
  auto report = passes::quantize_full_integer(r.m, opts);
  ASSERT_TRUE(report.has_value()) << report.status().message();
  EXPECT_EQ(report->quantized_ops, 2);
  EXPECT_TRUE(report->float_ops.empty());
  ASSERT_TRUE(is_ok(ir::verify_model(r.m)));
  EXPECT_EQ(op_names(r.m), (std::vector<std::string>{"QUANTIZE", "FULLY_CONNECTED", "SOFTMAX", "DEQUANTIZE"}));
  const ir::Subgraph& g = r.m.subgraphs[0];
  // The graph input and output stay float with their names.
  EXPECT_EQ(g.tensors[g.inputs[0]].name, "x");
  EXPECT_EQ(g.tensors[g.inputs[0]].dtype, DType::kFloat32);
  EXPECT_EQ(g.tensors[g.outputs[0]].name, "probs");
  EXPECT_EQ(g.tensors[g.outputs[0]].dtype, DType::kFloat32);
  // Input twin: the range's parameters.
  const ir::Op& fc = g.ops[1];
  const ir::Tensor& xq = g.tensors[fc.inputs[0]];
  ASSERT_EQ(xq.dtype, DType::kInt8);
  const float sx = 4.0f / 255.0f;
  EXPECT_FLOAT_EQ(xq.quantization->scale[0], sx);
  // Weights: per channel (axis 0), scale max|w_c| / 127, zero point 0.
  const ir::Tensor& w = g.tensors[fc.inputs[1]];
  ASSERT_EQ(w.dtype, DType::kInt8);
  ASSERT_EQ(w.quantization->scale.size(), 3u);
  EXPECT_EQ(w.quantization->axis, 0);
  EXPECT_FLOAT_EQ(w.quantization->scale[0], 2.0f / 127.0f);
  EXPECT_FLOAT_EQ(w.quantization->scale[1], 0.25f / 127.0f);
  EXPECT_EQ(values_of<int8_t>(r.m, w)[0], 95);    // 1.5 / (2/127) = 95.25
  EXPECT_EQ(values_of<int8_t>(r.m, w)[1], -127);
  EXPECT_EQ(values_of<int8_t>(r.m, w)[6], -51);   // -0.1 / (0.25/127) = -50.8
  // The all-zero channel still gets a positive scale.
  EXPECT_GT(w.quantization->scale[2], 0.0f);
  // Bias: int32 at sx * sw[c].
  const ir::Tensor& b = g.tensors[fc.inputs[2]];
  ASSERT_EQ(b.dtype, DType::kInt32);
  const auto bq = values_of<int32_t>(r.m, b);
  EXPECT_EQ(bq[0], static_cast<int32_t>(std::round(0.1 / (double(sx) * (2.0f / 127.0f)))));
  EXPECT_EQ(bq[1], static_cast<int32_t>(std::round(-0.2 / (double(sx) * (0.25f / 127.0f)))));
  EXPECT_FLOAT_EQ(b.quantization->scale[1], sx * (0.25f / 127.0f));
  // Logits keep their name, become int8 with their range's parameters.
  const ir::Tensor* logits = find(r.m, "logits");
  ASSERT_NE(logits, nullptr);
  EXPECT_EQ(logits->dtype, DType::kInt8);
  EXPECT_FLOAT_EQ(logits->quantization->scale[0], 10.0f / 255.0f);
  // SOFTMAX's output: the spec's fixed 1/256, -128, whatever the range.
  const ir::Tensor& pq = g.tensors[g.ops[2].outputs[0]];
  EXPECT_EQ(pq.dtype, DType::kInt8);
  EXPECT_FLOAT_EQ(pq.quantization->scale[0], 1.0f / 256.0f);
  EXPECT_EQ(pq.quantization->zero_point[0], -128);
  EXPECT_EQ(g.ops[3].inputs[0], g.ops[2].outputs[0]);
  // Float weights and bias are gone.
  for (const auto& t : g.tensors) {
    if (r.m.is_constant(t)) EXPECT_NE(t.dtype, DType::kFloat32) << t.name;
  }
}

TEST(QuantizeInt, PerTensorWeightsGiveOneBiasScale) {
  Mlp r = make_mlp();
  auto o = options_for(r);
  o.per_tensor = true;
  ASSERT_TRUE(passes::quantize_full_integer(r.m, o).has_value());
  const ir::Subgraph& g = r.m.subgraphs[0];
  const ir::Op& fc = g.ops[1];
  ASSERT_EQ(g.tensors[fc.inputs[1]].quantization->scale.size(), 1u);
  EXPECT_FLOAT_EQ(g.tensors[fc.inputs[1]].quantization->scale[0], 2.0f / 127.0f);  // max |w| over the tensor
  const ir::Tensor& b = g.tensors[fc.inputs[2]];
  ASSERT_EQ(b.quantization->scale.size(), 1u);
  EXPECT_FLOAT_EQ(b.quantization->scale[0], (4.0f / 255.0f) * (2.0f / 127.0f));
  EXPECT_EQ(values_of<int32_t>(r.m, b).size(), 3u);
}

TEST(QuantizeInt, Int16x8UsesInt64BiasAndSymmetricActivations) {
  Mlp r = make_mlp();
  auto o = options_for(r);
  o.activations = DType::kInt16;
  ASSERT_TRUE(passes::quantize_full_integer(r.m, o).has_value());
  ASSERT_TRUE(is_ok(ir::verify_model(r.m)));
  const ir::Subgraph& g = r.m.subgraphs[0];
  const ir::Op& fc = g.ops[1];
  EXPECT_EQ(g.tensors[fc.inputs[0]].dtype, DType::kInt16);
  EXPECT_EQ(g.tensors[fc.inputs[0]].quantization->zero_point[0], 0);
  EXPECT_FLOAT_EQ(g.tensors[fc.inputs[0]].quantization->scale[0], 3.0f / 32767.0f);
  EXPECT_EQ(g.tensors[fc.inputs[1]].dtype, DType::kInt8);
  EXPECT_EQ(g.tensors[fc.inputs[2]].dtype, DType::kInt64);
  EXPECT_EQ(fc.options_as<tflite::FullyConnectedOptionsT>()->quantized_bias_type, tflite::TensorType_INT64);
  EXPECT_FLOAT_EQ(g.tensors[g.ops[2].outputs[0]].quantization->scale[0], 1.0f / 32768.0f);
  EXPECT_EQ(g.tensors[g.ops[2].outputs[0]].quantization->zero_point[0], 0);
}

TEST(QuantizeInt, IntegerModelInputsAndOutputs) {
  Mlp r = make_mlp();
  auto o = options_for(r);
  o.io = DType::kInt8;
  ASSERT_TRUE(passes::quantize_full_integer(r.m, o).has_value());
  ASSERT_TRUE(is_ok(ir::verify_model(r.m)));
  EXPECT_EQ(op_names(r.m), (std::vector<std::string>{"FULLY_CONNECTED", "SOFTMAX"}));
  const ir::Subgraph& g = r.m.subgraphs[0];
  EXPECT_EQ(g.tensors[g.inputs[0]].dtype, DType::kInt8);
  EXPECT_EQ(g.tensors[g.inputs[0]].name, "x");
  EXPECT_EQ(g.tensors[g.outputs[0]].dtype, DType::kInt8);
  EXPECT_EQ(g.tensors[g.outputs[0]].name, "probs");

  Mlp u = make_mlp();
  o = options_for(u);
  o.io = DType::kUInt8;
  ASSERT_TRUE(passes::quantize_full_integer(u.m, o).has_value());
  ASSERT_TRUE(is_ok(ir::verify_model(u.m)));
  EXPECT_EQ(op_names(u.m), (std::vector<std::string>{"QUANTIZE", "FULLY_CONNECTED", "SOFTMAX", "QUANTIZE"}));
  const ir::Subgraph& ug = u.m.subgraphs[0];
  const ir::Tensor& in = ug.tensors[ug.inputs[0]];
  EXPECT_EQ(in.dtype, DType::kUInt8);
  // uint8 = int8 shifted by 128, same scale.
  EXPECT_EQ(in.quantization->zero_point[0], ug.tensors[ug.ops[1].inputs[0]].quantization->zero_point[0] + 128);
  EXPECT_EQ(ug.tensors[ug.outputs[0]].quantization->zero_point[0], 0);  // softmax -128 + 128
}

TEST(QuantizeInt, KeepFloatAndMissingRangesLeaveOpsFloat) {
  Mlp r = make_mlp();
  auto o = options_for(r);
  o.keep_float = {"SOFTMAX"};
  auto report = passes::quantize_full_integer(r.m, o);
  ASSERT_TRUE(report.has_value());
  ASSERT_TRUE(is_ok(ir::verify_model(r.m)));
  EXPECT_EQ(report->quantized_ops, 1);
  ASSERT_EQ(report->float_ops.size(), 1u);
  EXPECT_EQ(report->float_ops[0].op, "SOFTMAX");
  EXPECT_NE(report->float_ops[0].reason.find("kept float"), std::string::npos);
  EXPECT_EQ(op_names(r.m), (std::vector<std::string>{"QUANTIZE", "FULLY_CONNECTED", "DEQUANTIZE", "SOFTMAX"}));
  // The softmax reads the dequantized logits; the int8 logits keep the name.
  const ir::Subgraph& g = r.m.subgraphs[0];
  EXPECT_EQ(g.tensors[g.ops[3].inputs[0]].dtype, DType::kFloat32);
  EXPECT_EQ(g.tensors[g.ops[1].outputs[0]].name, "logits");

  // Without a range for the logits the FC stays float; softmax is then fed by
  // a QUANTIZE of the float logits... which also lack a range: all float.
  Mlp m2 = make_mlp();
  o = options_for(m2);
  o.ranges.erase(m2.logits);
  report = passes::quantize_full_integer(m2.m, o);
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->quantized_ops, 0);
  ASSERT_EQ(report->float_ops.size(), 2u);
  EXPECT_NE(report->float_ops[0].reason.find("no calibration range for output 'logits'"), std::string::npos)
      << report->float_ops[0].reason;
  EXPECT_EQ(op_names(m2.m), (std::vector<std::string>{"FULLY_CONNECTED", "SOFTMAX"}));
}

TEST(QuantizeInt, BadOptionsAreErrors) {
  Mlp r = make_mlp();
  auto o = options_for(r);
  o.io = DType::kInt16;  // int16 io with int8 activations
  EXPECT_FALSE(passes::quantize_full_integer(r.m, o).has_value());
  o = options_for(r);
  o.ranges[r.x] = {2.0, 1.0};
  EXPECT_FALSE(passes::quantize_full_integer(r.m, o).has_value());
  o = options_for(r);
  o.ranges[999] = {0.0, 1.0};
  EXPECT_FALSE(passes::quantize_full_integer(r.m, o).has_value());
  EXPECT_FALSE(passes::parse_io_type("uint8", DType::kInt16).has_value());
  EXPECT_EQ(*passes::parse_io_type("int16", DType::kInt16), DType::kInt16);
}

}  // namespace
}  // namespace tfc
