// fold-batchnorm: per-channel MUL / ADD / SUB of constants after conv,
// depthwise, fully connected and transpose conv fold into weights and bias.
// Each graph is built from random weights and run by the reference interpreter
// before and after the pass on the same random input; cases the converter does
// not fold must stay as they are.
#include <gtest/gtest.h>

#include <functional>

#include <nlohmann/json.hpp>

#include "ir/verify.h"
#include "passes/pass.h"
#include "passes/passes.h"
#include "fusion_test_util.h"

namespace tfc {
namespace {

using importers::GraphBuilder;
using test::options;
using test::random_constant;
using BO = tflite::BuiltinOperator;

// Runs fold-batchnorm on `m`, checks the model, its outputs against the
// unfolded model's and the op count; returns how many ops it removed.
int fold_and_compare(ir::Model& m) {
  const auto inputs = test::random_inputs(m, 7);
  const auto before = test::run_reference(m, inputs);
  const auto ops = static_cast<int>(m.subgraphs[0].ops.size());
  const auto removed = passes::fold_batch_norms(m);
  EXPECT_TRUE(removed.has_value()) << removed.status().message();
  if (!removed.has_value()) return -1;
  const Status valid = ir::verify_model(m);
  EXPECT_TRUE(valid.is_ok()) << valid.message();
  EXPECT_EQ(ops - static_cast<int>(m.subgraphs[0].ops.size()), *removed);
  EXPECT_TRUE(test::outputs_close(before, test::run_reference(m, inputs)));
  return *removed;
}

ir::TensorId conv(GraphBuilder& b, ir::TensorId x, ir::Shape weights, bool bias, const std::string& name,
                  tflite::ActivationFunctionType a = tflite::ActivationFunctionType_NONE) {
  const ir::TensorId w = random_constant(b, name + "/w", weights, 11);
  const ir::TensorId bi = bias ? random_constant(b, name + "/b", {weights[0]}, 12) : ir::kNoTensor;
  auto y = b.op1(BO::BuiltinOperator_CONV_2D, {x, w, bi}, options(test::conv_options(a)), name);
  EXPECT_TRUE(y.has_value()) << y.status().message();
  return *y;
}

ir::TensorId binary(GraphBuilder& b, BO op, ir::TensorId x, ir::TensorId y, const std::string& name) {
  auto z = b.op1(op, {x, y}, {}, name);
  EXPECT_TRUE(z.has_value()) << z.status().message();
  return *z;
}

// An ADD with fused activation `a`.
ir::TensorId add_with(GraphBuilder& b, ir::TensorId x, ir::TensorId y, tflite::ActivationFunctionType a,
                      const std::string& name) {
  tflite::AddOptionsT o;
  o.fused_activation_function = a;
  auto z = b.op1(BO::BuiltinOperator_ADD, {x, y}, options(o), name);
  EXPECT_TRUE(z.has_value()) << z.status().message();
  return *z;
}

const ir::Op& only_op(const ir::Model& m) {
  EXPECT_EQ(m.subgraphs[0].ops.size(), 1u);
  return m.subgraphs[0].ops.at(0);
}

bool has_tensor(const ir::Model& m, const std::string& name) {
  for (const auto& t : m.subgraphs[0].tensors) {
    if (t.name == name) return true;
  }
  return false;
}

TEST(FoldBatchNorm, ConvMulAddFoldIntoWeightsAndANewBias) {
  GraphBuilder b;
  const ir::TensorId x = b.input("x", DType::kFloat32, {1, 6, 6, 3});
  const ir::TensorId y = conv(b, x, {4, 3, 3, 3}, false, "conv");
  const ir::TensorId s = random_constant(b, "bn/scale", {4}, 21, 0.5f, 1.5f);
  const ir::TensorId t = random_constant(b, "bn/offset", {4}, 22);
  b.set_outputs({binary(b, BO::BuiltinOperator_ADD, binary(b, BO::BuiltinOperator_MUL, y, s, "bn/mul"), t, "bn")});
  ir::Model m = test::finish(b);
  EXPECT_EQ(fold_and_compare(m), 2);
  const ir::Op& op = only_op(m);
  EXPECT_EQ(op.code.builtin, BO::BuiltinOperator_CONV_2D);
  ASSERT_EQ(op.inputs.size(), 3u);
  EXPECT_NE(op.inputs[2], ir::kNoTensor);
  EXPECT_EQ(test::output_names(m), std::vector<std::string>{"bn"});
  // The old weights and constants went with their buffers: empty, weights, bias.
  EXPECT_FALSE(has_tensor(m, "conv/w"));
  EXPECT_FALSE(has_tensor(m, "bn/scale"));
  EXPECT_EQ(m.buffers.size(), 3u);
}

TEST(FoldBatchNorm, ChainOfAddMulSubDivOnAConvWithBias) {
  GraphBuilder b;
  const ir::TensorId x = b.input("x", DType::kFloat32, {1, 5, 5, 2});
  ir::TensorId y = conv(b, x, {3, 3, 3, 2}, true, "conv");
  y = binary(b, BO::BuiltinOperator_ADD, y, random_constant(b, "k1", {3}, 31), "add");
  y = binary(b, BO::BuiltinOperator_MUL, random_constant(b, "k2", {1, 1, 1, 3}, 32), y, "mul");  // constant first
  y = binary(b, BO::BuiltinOperator_SUB, y, random_constant(b, "k3", {}, 33), "sub");            // scalar
  y = binary(b, BO::BuiltinOperator_DIV, y, random_constant(b, "k4", {3}, 34, 0.5f, 2.0f), "out");
  b.set_outputs({y});
  ir::Model m = test::finish(b);
  EXPECT_EQ(fold_and_compare(m), 4);
  EXPECT_EQ(only_op(m).code.builtin, BO::BuiltinOperator_CONV_2D);
  EXPECT_EQ(test::output_names(m), std::vector<std::string>{"out"});
}

// The ADD's RELU6 moves to the conv, as the converter fuses it there.
TEST(FoldBatchNorm, TheLastOpsActivationMovesToTheConv) {
  GraphBuilder b;
  const ir::TensorId x = b.input("x", DType::kFloat32, {1, 4, 4, 2});
  ir::TensorId y = conv(b, x, {3, 3, 3, 2}, false, "conv");
  y = binary(b, BO::BuiltinOperator_MUL, y, random_constant(b, "s", {3}, 34, 1.0f, 4.0f), "mul");
  b.set_outputs({add_with(b, y, random_constant(b, "t", {3}, 35, 1.0f, 3.0f),
                          tflite::ActivationFunctionType_RELU6, "out")});
  ir::Model m = test::finish(b);
  EXPECT_EQ(fold_and_compare(m), 2);
  const auto* o = only_op(m).options_as<tflite::Conv2DOptionsT>();
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->fused_activation_function, tflite::ActivationFunctionType_RELU6);
}

TEST(FoldBatchNorm, DepthwiseWithMultiplierFoldsAlongTheLastAxis) {
  GraphBuilder b;
  const ir::TensorId x = b.input("x", DType::kFloat32, {1, 5, 5, 3});
  tflite::DepthwiseConv2DOptionsT o;
  o.padding = tflite::Padding_VALID;
  o.stride_w = o.stride_h = 1;
  o.depth_multiplier = 2;
  auto y = b.op1(BO::BuiltinOperator_DEPTHWISE_CONV_2D,
                 {x, random_constant(b, "dw/w", {1, 3, 3, 6}, 41), ir::kNoTensor}, options(o), "dw");
  ASSERT_TRUE(y.has_value()) << y.status().message();
  const ir::TensorId z = binary(b, BO::BuiltinOperator_MUL, *y, random_constant(b, "s", {6}, 42, 0.5f, 2.0f), "mul");
  b.set_outputs({binary(b, BO::BuiltinOperator_ADD, random_constant(b, "t", {1}, 43), z, "out")});
  ir::Model m = test::finish(b);
  EXPECT_EQ(fold_and_compare(m), 2);
  EXPECT_EQ(only_op(m).code.builtin, BO::BuiltinOperator_DEPTHWISE_CONV_2D);
}

ir::TensorId fully_connected(GraphBuilder& b, ir::TensorId x, int32_t units, int32_t depth) {
  auto y = b.op1(BO::BuiltinOperator_FULLY_CONNECTED,
                 {x, random_constant(b, "fc/w", {units, depth}, 51), ir::kNoTensor},
                 options(tflite::FullyConnectedOptionsT{}), "fc");
  EXPECT_TRUE(y.has_value()) << y.status().message();
  return *y;
}

// As the converter: a MUL alone scales the weights and makes no bias.
TEST(FoldBatchNorm, FullyConnectedMulMakesNoBias) {
  GraphBuilder b;
  const ir::TensorId x = b.input("x", DType::kFloat32, {2, 5});
  const ir::TensorId y = fully_connected(b, x, 4, 5);
  b.set_outputs({binary(b, BO::BuiltinOperator_MUL, y, random_constant(b, "s", {4}, 52), "out")});
  ir::Model m = test::finish(b);
  EXPECT_EQ(fold_and_compare(m), 1);
  const ir::Op& op = only_op(m);
  EXPECT_TRUE(op.inputs.size() < 3 || op.inputs[2] == ir::kNoTensor);
}

TEST(FoldBatchNorm, FullyConnectedAddThenMul) {
  GraphBuilder b;
  const ir::TensorId x = b.input("x", DType::kFloat32, {3, 5});
  ir::TensorId y = fully_connected(b, x, 4, 5);
  y = binary(b, BO::BuiltinOperator_ADD, y, random_constant(b, "t", {4}, 53), "bias_add");
  b.set_outputs({binary(b, BO::BuiltinOperator_MUL, y, random_constant(b, "s", {4}, 54), "out")});
  ir::Model m = test::finish(b);
  EXPECT_EQ(fold_and_compare(m), 2);
  EXPECT_EQ(only_op(m).inputs.size(), 3u);
}

// TRANSPOSE_CONV takes its bias as input 3, from version 3 on.
TEST(FoldBatchNorm, TransposeConvGetsABiasAndVersion3) {
  GraphBuilder b;
  const ir::TensorId x = b.input("x", DType::kFloat32, {1, 4, 4, 3});
  tflite::TransposeConvOptionsT o;
  o.padding = tflite::Padding_SAME;
  o.stride_w = o.stride_h = 2;
  auto y = b.op1(BO::BuiltinOperator_TRANSPOSE_CONV,
                 {b.constant_i32("shape", {4}, {1, 8, 8, 4}), random_constant(b, "tc/w", {4, 3, 3, 3}, 61), x},
                 options(o), "tc", DType::kFloat32);
  ASSERT_TRUE(y.has_value()) << y.status().message();
  const ir::TensorId z = binary(b, BO::BuiltinOperator_ADD, *y, random_constant(b, "t", {4}, 62), "add");
  b.set_outputs({binary(b, BO::BuiltinOperator_MUL, z, random_constant(b, "s", {4}, 63), "out")});
  ir::Model m = test::finish(b);
  EXPECT_EQ(fold_and_compare(m), 2);
  const ir::Op& op = only_op(m);
  ASSERT_EQ(op.inputs.size(), 4u);
  EXPECT_NE(op.inputs[3], ir::kNoTensor);
  EXPECT_EQ(op.code.version, 3);
}

// Two convs share their weights; each folds its own scale into its own copy.
TEST(FoldBatchNorm, SharedWeightsAreCopiedPerOp) {
  GraphBuilder b;
  const ir::TensorId x = b.input("x", DType::kFloat32, {1, 4, 4, 2});
  const ir::TensorId w = random_constant(b, "w", {3, 1, 1, 2}, 71);
  const auto conv_of = [&](const std::string& name) {
    auto y = b.op1(BO::BuiltinOperator_CONV_2D, {x, w, ir::kNoTensor}, options(test::conv_options()), name);
    EXPECT_TRUE(y.has_value());
    return *y;
  };
  const ir::TensorId a = binary(b, BO::BuiltinOperator_MUL, conv_of("c1"), random_constant(b, "s1", {3}, 72), "o1");
  const ir::TensorId c = binary(b, BO::BuiltinOperator_MUL, conv_of("c2"), random_constant(b, "s2", {3}, 73), "o2");
  b.set_outputs({a, c});
  ir::Model m = test::finish(b);
  EXPECT_EQ(fold_and_compare(m), 2);
  EXPECT_EQ(m.subgraphs[0].ops.size(), 2u);
  EXPECT_FALSE(has_tensor(m, "w"));
}

TEST(FoldBatchNorm, RunsByNameFromTheRegistry) {
  GraphBuilder b;
  const ir::TensorId x = b.input("x", DType::kFloat32, {1, 3, 3, 2});
  b.set_outputs({binary(b, BO::BuiltinOperator_ADD, conv(b, x, {2, 1, 1, 2}, false, "conv"),
                        random_constant(b, "t", {2}, 81), "out")});
  ir::Model m = test::finish(b);
  const Status s = passes::run_pass(m, "fold-batchnorm", nlohmann::json());
  ASSERT_TRUE(s.is_ok()) << s.message();
  EXPECT_EQ(m.subgraphs[0].ops.size(), 1u);
}

// ---- What must stay as it is ---------------------------------------------------------

struct Unfoldable {
  const char* name;
  std::function<void(GraphBuilder&)> build;  // a conv [1,4,4,4] and what follows it
};

ir::TensorId conv4(GraphBuilder& b, tflite::ActivationFunctionType a = tflite::ActivationFunctionType_NONE) {
  return conv(b, b.input("x", DType::kFloat32, {1, 4, 4, 3}), {4, 3, 3, 3}, false, "conv", a);
}

const std::vector<Unfoldable>& unfoldable() {
  using A = tflite::ActivationFunctionType;
  static const std::vector<Unfoldable> kCases = {
      {"ConvOutputIsAGraphOutput",
       [](GraphBuilder& b) {
         const ir::TensorId y = conv4(b);
         b.set_outputs({binary(b, BO::BuiltinOperator_MUL, y, random_constant(b, "s", {4}, 1), "out"), y});
       }},
      {"ConvOutputHasTwoReaders",
       [](GraphBuilder& b) {
         const ir::TensorId y = conv4(b);
         b.set_outputs({binary(b, BO::BuiltinOperator_MUL, y, random_constant(b, "s", {4}, 1), "o1"),
                        binary(b, BO::BuiltinOperator_ADD, y, random_constant(b, "t", {4}, 2), "o2")});
       }},
      {"ScaleIsNotConstant",
       [](GraphBuilder& b) {
         const ir::TensorId y = conv4(b);
         const ir::TensorId s = b.input("s", DType::kFloat32, {4});
         b.set_outputs({binary(b, BO::BuiltinOperator_MUL, y, s, "out")});
       }},
      {"ConvHasAFusedActivation",
       [](GraphBuilder& b) {
         b.set_outputs({binary(b, BO::BuiltinOperator_MUL, conv4(b, A::ActivationFunctionType_RELU),
                               random_constant(b, "s", {4}, 1), "out")});
       }},
      {"ScaleOnTheHeightAxis",  // as many values as channels, but along H
       [](GraphBuilder& b) {
         b.set_outputs({binary(b, BO::BuiltinOperator_MUL, conv4(b), random_constant(b, "s", {4, 1, 1}, 1), "out")});
       }},
      {"OffsetOverTheWholeTensor",
       [](GraphBuilder& b) {
         b.set_outputs(
             {binary(b, BO::BuiltinOperator_ADD, conv4(b), random_constant(b, "t", {1, 4, 4, 4}, 1), "out")});
       }},
      {"ScaleRaisesTheRank",
       [](GraphBuilder& b) {
         b.set_outputs(
             {binary(b, BO::BuiltinOperator_MUL, conv4(b), random_constant(b, "s", {1, 1, 1, 1, 4}, 1), "out")});
       }},
      {"ConstantMinusConv",
       [](GraphBuilder& b) {
         b.set_outputs({binary(b, BO::BuiltinOperator_SUB, random_constant(b, "t", {4}, 1), conv4(b), "out")});
       }},
      {"ConstantOverConv",
       [](GraphBuilder& b) {
         b.set_outputs({binary(b, BO::BuiltinOperator_DIV, random_constant(b, "t", {4}, 1), conv4(b), "out")});
       }},
      {"WeightsAreNotConstant",
       [](GraphBuilder& b) {
         const ir::TensorId x = b.input("x", DType::kFloat32, {1, 4, 4, 3});
         const ir::TensorId w = b.input("w", DType::kFloat32, {4, 3, 3, 3});
         auto y = b.op1(BO::BuiltinOperator_CONV_2D, {x, w, ir::kNoTensor}, options(test::conv_options()), "conv");
         ASSERT_TRUE(y.has_value());
         b.set_outputs({binary(b, BO::BuiltinOperator_MUL, *y, random_constant(b, "s", {4}, 1), "out")});
       }},
      {"AddWithTanhTheConvCannotTake",
       [](GraphBuilder& b) {
         b.set_outputs({add_with(b, conv4(b), random_constant(b, "t", {4}, 1), A::ActivationFunctionType_TANH,
                                 "out")});
       }},
      {"MulBeforeTheConv",
       [](GraphBuilder& b) {
         const ir::TensorId x = b.input("x", DType::kFloat32, {1, 4, 4, 3});
         const ir::TensorId z = binary(b, BO::BuiltinOperator_MUL, x, random_constant(b, "s", {3}, 1), "mul");
         b.set_outputs({conv(b, z, {4, 3, 3, 3}, true, "out")});
       }},
  };
  return kCases;
}

class FoldBatchNormLeaves : public ::testing::TestWithParam<Unfoldable> {};

TEST_P(FoldBatchNormLeaves, TheGraphUnchanged) {
  GraphBuilder b;
  GetParam().build(b);
  ir::Model m = test::finish(b);
  const auto ops = test::op_counts(m);
  ASSERT_FALSE(ops.empty());
  EXPECT_EQ(fold_and_compare(m), 0);
  EXPECT_EQ(test::op_counts(m), ops);
}

INSTANTIATE_TEST_SUITE_P(Cases, FoldBatchNormLeaves, ::testing::ValuesIn(unfoldable()),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace tfc
