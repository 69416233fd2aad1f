// fuse-relu-clip, fuse-squared-difference, fuse-rsqrt: elementwise chains
// become the ops the TFLite converter writes for them (checked against TF
// 2.21), inner ops other readers need stay, other forms stay. Graphs run by
// the reference interpreter before and after each pass on the same random input.
#include <gtest/gtest.h>

#include <functional>

#include "ir/verify.h"
#include "passes/passes.h"
#include "fusion_test_util.h"

namespace tfc {
namespace {

using importers::GraphBuilder;
using BO = tflite::BuiltinOperator;
using Counts = std::map<std::string, int>;
using PassFn = Expected<int> (*)(ir::Model&);

ir::TensorId op(GraphBuilder& b, BO code, std::vector<ir::TensorId> in, const std::string& name) {
  auto y = b.op1(code, std::move(in), {}, name, DType::kFloat32);
  EXPECT_TRUE(y.has_value()) << y.status().message();
  return y.has_value() ? *y : ir::kNoTensor;
}

ir::TensorId scalar(GraphBuilder& b, const std::string& name, float v) { return b.constant_f32(name, {}, {v}); }

struct Case {
  const char* name;
  // Builds outputs from inputs x and y [2, 3, 4]; y > 0.
  std::function<std::vector<ir::TensorId>(GraphBuilder&, ir::TensorId, ir::TensorId)> build;
  int rewrites;   // the pass's count
  Counts after;  // ops after the pass
};

void check(const Case& c, PassFn pass) {
  SCOPED_TRACE(c.name);
  GraphBuilder b;
  const ir::TensorId x = b.input("x", DType::kFloat32, {2, 3, 4});
  const ir::TensorId in = b.input("y_in", DType::kFloat32, {2, 3, 4});
  const ir::TensorId y = op(b, BO::BuiltinOperator_ADD, {op(b, BO::BuiltinOperator_ABS, {in}, "abs"),
                                                         scalar(b, "half", 0.5f)}, "y");
  b.set_outputs(c.build(b, x, y));
  ir::Model m = test::finish(b);
  const std::vector<std::string> outputs = test::output_names(m);
  const bool has_abs = test::op_counts(m).count("ABS") > 0;
  const auto inputs = test::random_inputs(m, 13);
  const auto before = test::run_reference(m, inputs);
  const auto n = pass(m);
  ASSERT_TRUE(n.has_value()) << n.status().message();
  const Status valid = ir::verify_model(m);
  EXPECT_TRUE(valid.is_ok()) << valid.message();
  EXPECT_EQ(*n, c.rewrites);
  Counts after = c.after;
  if (has_abs) {  // y's ops, where y is used
    after["ABS"] += 1;
    after["ADD"] += 1;
  }
  EXPECT_EQ(test::op_counts(m), after);
  EXPECT_EQ(test::output_names(m), outputs);
  EXPECT_TRUE(test::outputs_close(before, test::run_reference(m, inputs)));
}

ir::TensorId max_of(GraphBuilder& b, ir::TensorId x, ir::TensorId k, const std::string& name) {
  return op(b, BO::BuiltinOperator_MAXIMUM, {x, k}, name);
}
ir::TensorId min_of(GraphBuilder& b, ir::TensorId x, ir::TensorId k, const std::string& name) {
  return op(b, BO::BuiltinOperator_MINIMUM, {x, k}, name);
}

TEST(FuseReluClip, TheConvertersRewrites) {
  const std::vector<Case> cases = {
      {"MAXIMUM(x, 0)", [](GraphBuilder& b, ir::TensorId x, ir::TensorId) {
         return std::vector{max_of(b, x, scalar(b, "zero", 0), "out")};
       }, 1, {{"RELU", 1}}},
      {"MAXIMUM(zeros[4], x)", [](GraphBuilder& b, ir::TensorId x, ir::TensorId) {
         return std::vector{max_of(b, b.constant_f32("zeros", {4}, {0, 0, 0, 0}), x, "out")};
       }, 1, {{"RELU", 1}}},
      {"MINIMUM(MAXIMUM(x, 0), 6)", [](GraphBuilder& b, ir::TensorId x, ir::TensorId) {
         return std::vector{min_of(b, max_of(b, x, scalar(b, "zero", 0), "m"), scalar(b, "six", 6), "out")};
       }, 2, {{"RELU6", 1}}},
      {"MAXIMUM(MINIMUM(x, 1), -1)", [](GraphBuilder& b, ir::TensorId x, ir::TensorId) {
         return std::vector{max_of(b, min_of(b, x, scalar(b, "one", 1), "m"), scalar(b, "minus_one", -1), "out")};
       }, 1, {{"RELU_N1_TO_1", 1}}},
      {"MAXIMUM(x, 0) also an output", [](GraphBuilder& b, ir::TensorId x, ir::TensorId) {
         const ir::TensorId m = max_of(b, x, scalar(b, "zero", 0), "m");
         return std::vector{min_of(b, m, scalar(b, "six", 6), "out"), m};
       }, 2, {{"RELU", 1}, {"RELU6", 1}}},
      {"MINIMUM(MAXIMUM(x, 0), 1): only the RELU", [](GraphBuilder& b, ir::TensorId x, ir::TensorId) {
         return std::vector{min_of(b, max_of(b, x, scalar(b, "zero", 0), "m"), scalar(b, "one", 1), "out")};
       }, 1, {{"RELU", 1}, {"MINIMUM", 1}}},
      {"MINIMUM(x, 6) alone", [](GraphBuilder& b, ir::TensorId x, ir::TensorId) {
         return std::vector{min_of(b, x, scalar(b, "six", 6), "out")};
       }, 0, {{"MINIMUM", 1}}},
      {"MAXIMUM(x, y)", [](GraphBuilder& b, ir::TensorId x, ir::TensorId y) {
         return std::vector{max_of(b, x, y, "out")};
       }, 0, {{"MAXIMUM", 1}}},
      {"MAXIMUM(x, [0, 0, 0, 0.5])", [](GraphBuilder& b, ir::TensorId x, ir::TensorId) {
         return std::vector{max_of(b, x, b.constant_f32("k", {4}, {0, 0, 0, 0.5f}), "out")};
       }, 0, {{"MAXIMUM", 1}}},
  };
  for (const Case& c : cases) check(c, passes::fuse_relu_clips);
}

TEST(FuseSquaredDifference, SquareOfADifference) {
  const std::vector<Case> cases = {
      {"SQUARE(SUB(x, y))", [](GraphBuilder& b, ir::TensorId x, ir::TensorId y) {
         return std::vector{op(b, BO::BuiltinOperator_SQUARE, {op(b, BO::BuiltinOperator_SUB, {x, y}, "d")}, "out")};
       }, 1, {{"SQUARED_DIFFERENCE", 1}}},
      {"the SUB read twice stays", [](GraphBuilder& b, ir::TensorId x, ir::TensorId y) {
         const ir::TensorId d = op(b, BO::BuiltinOperator_SUB, {x, y}, "d");
         return std::vector{op(b, BO::BuiltinOperator_SQUARE, {d}, "out"), d};
       }, 1, {{"SQUARED_DIFFERENCE", 1}, {"SUB", 1}}},
      {"SQUARE(ADD(x, y))", [](GraphBuilder& b, ir::TensorId x, ir::TensorId y) {
         return std::vector{op(b, BO::BuiltinOperator_SQUARE, {op(b, BO::BuiltinOperator_ADD, {x, y}, "d")}, "out")};
       }, 0, {{"SQUARE", 1}, {"ADD", 1}}},
  };
  for (const Case& c : cases) check(c, passes::fuse_squared_differences);
}

TEST(FuseRsqrt, DivisionByASquareRoot) {
  const std::vector<Case> cases = {
      {"x / SQRT(y)", [](GraphBuilder& b, ir::TensorId x, ir::TensorId y) {
         return std::vector{op(b, BO::BuiltinOperator_DIV, {x, op(b, BO::BuiltinOperator_SQRT, {y}, "r")}, "out")};
       }, 1, {{"RSQRT", 1}, {"MUL", 1}}},
      {"1 / SQRT(y)", [](GraphBuilder& b, ir::TensorId, ir::TensorId y) {
         return std::vector{
             op(b, BO::BuiltinOperator_DIV, {scalar(b, "one", 1), op(b, BO::BuiltinOperator_SQRT, {y}, "r")}, "out")};
       }, 1, {{"RSQRT", 1}}},
      {"the SQRT read twice stays", [](GraphBuilder& b, ir::TensorId x, ir::TensorId y) {
         const ir::TensorId r = op(b, BO::BuiltinOperator_SQRT, {y}, "r");
         return std::vector{op(b, BO::BuiltinOperator_DIV, {x, r}, "out"), r};
       }, 1, {{"RSQRT", 1}, {"MUL", 1}, {"SQRT", 1}}},
      {"SQRT(y) / x", [](GraphBuilder& b, ir::TensorId x, ir::TensorId y) {
         return std::vector{op(b, BO::BuiltinOperator_DIV, {op(b, BO::BuiltinOperator_SQRT, {y}, "r"), x}, "out")};
       }, 0, {{"SQRT", 1}, {"DIV", 1}}},
  };
  for (const Case& c : cases) check(c, passes::fuse_rsqrt);
}

}  // namespace
}  // namespace tfc
