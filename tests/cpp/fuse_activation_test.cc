// fuse-activation: RELU / RELU6 / RELU_N1_TO_1 fuse into the op before them
// exactly where the TFLite converter fuses them. Every op of the pass's table
// with every activation, run by the reference interpreter before and after
// the pass on the same random input; the fusions the converter does not make
// and the graphs no fusion may touch stay as they are.
#include <gtest/gtest.h>

#include <functional>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "ir/verify.h"
#include "passes/op_pattern.h"
#include "passes/pass.h"
#include "passes/passes.h"
#include "fusion_test_util.h"

namespace tfc {
namespace {

using importers::GraphBuilder;
using test::options;
using test::random_constant;
using A = tflite::ActivationFunctionType;
using BO = tflite::BuiltinOperator;

// Runs fuse-activation on `m`, checks the model and its outputs against the
// unfused model's; returns how many activations it fused.
int fuse_and_compare(ir::Model& m) {
  const auto inputs = test::random_inputs(m, 3);
  const auto before = test::run_reference(m, inputs);
  const auto ops = static_cast<int>(m.subgraphs[0].ops.size());
  const auto fused = passes::fuse_activations(m);
  EXPECT_TRUE(fused.has_value()) << fused.status().message();
  if (!fused.has_value()) return -1;
  const Status valid = ir::verify_model(m);
  EXPECT_TRUE(valid.is_ok()) << valid.message();
  EXPECT_EQ(ops - static_cast<int>(m.subgraphs[0].ops.size()), *fused);
  EXPECT_TRUE(test::outputs_close(before, test::run_reference(m, inputs)));
  return *fused;
}

// Op `op` writing a float32 tensor `name`.
ir::TensorId add_op(GraphBuilder& b, BO op, std::vector<ir::TensorId> in, tflite::BuiltinOptionsUnion o,
                    const std::string& name) {
  auto y = b.op1(op, std::move(in), std::move(o), name, DType::kFloat32);
  EXPECT_TRUE(y.has_value()) << y.status().message();
  return y.has_value() ? *y : ir::kNoTensor;
}

tflite::Pool2DOptionsT pool_options() {
  tflite::Pool2DOptionsT o;
  o.padding = tflite::Padding_VALID;
  o.stride_w = o.stride_h = o.filter_width = o.filter_height = 2;
  return o;
}

// An op that may take a fused activation, reading x [1, 4, 4, 4].
struct Producer {
  const char* name;
  BO builtin;
  std::function<ir::TensorId(GraphBuilder&, ir::TensorId)> build;
};

const std::vector<Producer>& producers() {
  static const std::vector<Producer> kProducers = {
      {"Conv", BO::BuiltinOperator_CONV_2D,
       [](GraphBuilder& b, ir::TensorId x) {
         return add_op(b, BO::BuiltinOperator_CONV_2D, {x, random_constant(b, "w", {4, 3, 3, 4}, 1),
                       random_constant(b, "b", {4}, 2)}, options(test::conv_options()), "y");
       }},
      {"Depthwise", BO::BuiltinOperator_DEPTHWISE_CONV_2D,
       [](GraphBuilder& b, ir::TensorId x) {
         tflite::DepthwiseConv2DOptionsT o;
         o.padding = tflite::Padding_SAME;
         o.stride_w = o.stride_h = o.depth_multiplier = 1;
         return add_op(b, BO::BuiltinOperator_DEPTHWISE_CONV_2D,
                       {x, random_constant(b, "w", {1, 3, 3, 4}, 1), ir::kNoTensor}, options(o), "y");
       }},
      {"FullyConnected", BO::BuiltinOperator_FULLY_CONNECTED,
       [](GraphBuilder& b, ir::TensorId x) {
         return add_op(b, BO::BuiltinOperator_FULLY_CONNECTED, {x, random_constant(b, "w", {5, 4}, 1),
                       random_constant(b, "b", {5}, 2)}, options(tflite::FullyConnectedOptionsT{}), "y");
       }},
      {"TransposeConv", BO::BuiltinOperator_TRANSPOSE_CONV,
       [](GraphBuilder& b, ir::TensorId x) {
         tflite::TransposeConvOptionsT o;
         o.padding = tflite::Padding_SAME;
         o.stride_w = o.stride_h = 2;
         return add_op(b, BO::BuiltinOperator_TRANSPOSE_CONV,
                       {b.constant_i32("shape", {4}, {1, 8, 8, 3}), random_constant(b, "w", {3, 3, 3, 4}, 1), x},
                       options(o), "y");
       }},
      {"Add", BO::BuiltinOperator_ADD,
       [](GraphBuilder& b, ir::TensorId x) {
         return add_op(b, BO::BuiltinOperator_ADD, {x, random_constant(b, "k", {4}, 1)}, {}, "y");
       }},
      {"Sub", BO::BuiltinOperator_SUB,
       [](GraphBuilder& b, ir::TensorId x) {
         return add_op(b, BO::BuiltinOperator_SUB, {x, x}, options(tflite::SubOptionsT{}), "y");
       }},
      {"Mul", BO::BuiltinOperator_MUL,
       [](GraphBuilder& b, ir::TensorId x) {
         return add_op(b, BO::BuiltinOperator_MUL, {x, random_constant(b, "k", {1, 4, 4, 4}, 1, -3, 3)}, {}, "y");
       }},
      {"Div", BO::BuiltinOperator_DIV,
       [](GraphBuilder& b, ir::TensorId x) {
         return add_op(b, BO::BuiltinOperator_DIV, {x, random_constant(b, "k", {4}, 1, 0.25f, 2.0f)}, {}, "y");
       }},
      {"MaxPool", BO::BuiltinOperator_MAX_POOL_2D,
       [](GraphBuilder& b, ir::TensorId x) {
         return add_op(b, BO::BuiltinOperator_MAX_POOL_2D, {x}, options(pool_options()), "y");
       }},
      {"AveragePool", BO::BuiltinOperator_AVERAGE_POOL_2D,
       [](GraphBuilder& b, ir::TensorId x) {
         return add_op(b, BO::BuiltinOperator_AVERAGE_POOL_2D, {x}, options(pool_options()), "y");
       }},
      {"Concatenation", BO::BuiltinOperator_CONCATENATION,
       [](GraphBuilder& b, ir::TensorId x) {
         tflite::ConcatenationOptionsT o;
         o.axis = 3;
         return add_op(b, BO::BuiltinOperator_CONCATENATION, {x, x}, options(o), "y");
       }},
  };
  return kProducers;
}

const Producer& producer_named(std::string_view name) {
  for (const Producer& p : producers()) {
    if (p.name == name) return p;
  }
  throw std::runtime_error("no producer " + std::string(name));
}

BO activation_op(A a) {
  switch (a) {
    case A::ActivationFunctionType_RELU: return BO::BuiltinOperator_RELU;
    case A::ActivationFunctionType_RELU6: return BO::BuiltinOperator_RELU6;
    case A::ActivationFunctionType_RELU_N1_TO_1: return BO::BuiltinOperator_RELU_N1_TO_1;
    default: return BO::BuiltinOperator_TANH;
  }
}

// x -> producer -> activation op `act` -> graph output "act".
ir::Model producer_then(const Producer& p, BO act) {
  GraphBuilder b;
  const ir::TensorId x = b.input("x", DType::kFloat32, {1, 4, 4, 4});
  b.set_outputs({add_op(b, act, {p.build(b, x)}, {}, "act")});
  return test::finish(b);
}

// Where the converter fuses (the pass's table, checked against TF 2.21).
struct Fusable {
  const char* producer;
  A activation;
  int32_t version;  // of the fused op
};

std::vector<Fusable> fusable() {
  std::vector<Fusable> out;
  for (const char* p : {"Conv", "Depthwise", "FullyConnected", "Add", "Sub", "Mul", "Div", "MaxPool",
                        "AveragePool"}) {
    for (A a : {A::ActivationFunctionType_RELU, A::ActivationFunctionType_RELU6,
                A::ActivationFunctionType_RELU_N1_TO_1}) {
      out.push_back({p, a, 1});
    }
  }
  out.push_back({"TransposeConv", A::ActivationFunctionType_RELU, 4});
  out.push_back({"TransposeConv", A::ActivationFunctionType_RELU6, 4});
  return out;
}

class FuseActivation : public ::testing::TestWithParam<Fusable> {};

TEST_P(FuseActivation, IntoTheOpBefore) {
  const Fusable& f = GetParam();
  const Producer& p = producer_named(f.producer);
  ir::Model m = producer_then(p, activation_op(f.activation));
  EXPECT_EQ(fuse_and_compare(m), 1);
  ASSERT_EQ(m.subgraphs[0].ops.size(), 1u);
  const ir::Op& op = m.subgraphs[0].ops[0];
  EXPECT_EQ(op.code.builtin, p.builtin);
  EXPECT_EQ(passes::fused_activation_of(op), f.activation);
  EXPECT_EQ(op.code.version, f.version);
  EXPECT_EQ(test::output_names(m), std::vector<std::string>{"act"});
}

INSTANTIATE_TEST_SUITE_P(ConverterTable, FuseActivation, ::testing::ValuesIn(fusable()), [](const auto& info) {
  return std::string(info.param.producer) + "_" +
         tflite::EnumNameActivationFunctionType(info.param.activation);
});

// ---- What must stay as it is ---------------------------------------------------------

struct Unfusable {
  const char* name;
  std::function<ir::Model()> build;
};

ir::Model conv_relu_with(const std::function<void(GraphBuilder&, ir::TensorId conv, ir::TensorId relu)>& outputs,
                         A conv_activation = A::ActivationFunctionType_NONE) {
  GraphBuilder b;
  const ir::TensorId x = b.input("x", DType::kFloat32, {1, 4, 4, 4});
  const ir::TensorId y = add_op(b, BO::BuiltinOperator_CONV_2D, {x, random_constant(b, "w", {4, 1, 1, 4}, 1),
                                ir::kNoTensor}, options(test::conv_options(conv_activation)), "y");
  outputs(b, y, add_op(b, BO::BuiltinOperator_RELU, {y}, {}, "act"));
  return test::finish(b);
}

const std::vector<Unfusable>& unfusable() {
  static const std::vector<Unfusable> kCases = {
      {"TanhAfterConv", [] { return producer_then(producer_named("Conv"), BO::BuiltinOperator_TANH); }},
      {"TanhAfterAdd", [] { return producer_then(producer_named("Add"), BO::BuiltinOperator_TANH); }},
      {"ReluAfterConcatenation",
       [] { return producer_then(producer_named("Concatenation"), BO::BuiltinOperator_RELU); }},
      {"ReluN1To1AfterTransposeConv",
       [] { return producer_then(producer_named("TransposeConv"), BO::BuiltinOperator_RELU_N1_TO_1); }},
      {"ConvAlreadyHasAnActivation",
       [] {
         return conv_relu_with([](GraphBuilder& b, ir::TensorId, ir::TensorId r) { b.set_outputs({r}); },
                               A::ActivationFunctionType_RELU6);
       }},
      {"ConvOutputIsAGraphOutput",
       [] { return conv_relu_with([](GraphBuilder& b, ir::TensorId y, ir::TensorId r) { b.set_outputs({r, y}); }); }},
      {"ConvOutputHasTwoReaders",
       [] {
         return conv_relu_with([](GraphBuilder& b, ir::TensorId y, ir::TensorId r) {
           b.set_outputs({r, add_op(b, BO::BuiltinOperator_RELU6, {y}, {}, "act2")});
         });
       }},
      {"ReluOfAGraphInput",
       [] {
         GraphBuilder b;
         b.set_outputs({add_op(b, BO::BuiltinOperator_RELU, {b.input("x", DType::kFloat32, {4})}, {}, "act")});
         return test::finish(b);
       }},
  };
  return kCases;
}

class FuseActivationLeaves : public ::testing::TestWithParam<Unfusable> {};

TEST_P(FuseActivationLeaves, TheGraphUnchanged) {
  ir::Model m = GetParam().build();
  const auto ops = test::op_counts(m);
  ASSERT_FALSE(ops.empty());
  EXPECT_EQ(fuse_and_compare(m), 0);
  EXPECT_EQ(test::op_counts(m), ops);
}

INSTANTIATE_TEST_SUITE_P(Cases, FuseActivationLeaves, ::testing::ValuesIn(unfusable()),
                         [](const auto& info) { return std::string(info.param.name); });

// Both passes in one recipe, as an importer's output would go through them:
// conv, BatchNormalization (MUL, ADD), RELU6 become one CONV_2D.
TEST(FuseActivation, AfterFoldBatchNormInARecipe) {
  GraphBuilder b;
  const ir::TensorId x = b.input("x", DType::kFloat32, {1, 4, 4, 4});
  ir::TensorId y = add_op(b, BO::BuiltinOperator_CONV_2D, {x, random_constant(b, "w", {4, 3, 3, 4}, 1), ir::kNoTensor},
                          options(test::conv_options()), "conv");
  y = add_op(b, BO::BuiltinOperator_MUL, {y, random_constant(b, "s", {4}, 2)}, {}, "bn/mul");
  y = add_op(b, BO::BuiltinOperator_ADD, {y, random_constant(b, "t", {4}, 3)}, {}, "bn");
  b.set_outputs({add_op(b, BO::BuiltinOperator_RELU6, {y}, {}, "relu6")});
  ir::Model m = test::finish(b);
  const auto inputs = test::random_inputs(m, 5);
  const auto before = test::run_reference(m, inputs);
  const nlohmann::json recipe = {{"passes", {{{"name", "fold-batchnorm"}}, {{"name", "fuse-activation"}}}}};
  const Status s = passes::run_recipe(m, recipe);
  ASSERT_TRUE(s.is_ok()) << s.message();
  ASSERT_EQ(m.subgraphs[0].ops.size(), 1u);
  EXPECT_EQ(passes::fused_activation_of(m.subgraphs[0].ops[0]), A::ActivationFunctionType_RELU6);
  EXPECT_EQ(test::output_names(m), std::vector<std::string>{"relu6"});
  EXPECT_TRUE(test::outputs_close(before, test::run_reference(m, inputs)));
}

}  // namespace
}  // namespace tfc
