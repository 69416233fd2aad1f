// merge-duplicate-ops: an op repeating an earlier op (same code, options and
// inputs) is removed and its readers read the earlier outputs; ops that differ
// in any of these, or whose output is a graph output, stay.
#include <gtest/gtest.h>

#include "fusion_test_util.h"
#include "passes/passes.h"

namespace tfc {
namespace {

using importers::GraphBuilder;
using tflite::BuiltinOperator;

ir::TensorId add(GraphBuilder& b, ir::TensorId x, ir::TensorId y, const std::string& name,
                 tflite::ActivationFunctionType a = tflite::ActivationFunctionType_NONE) {
  tflite::AddOptionsT o;
  o.fused_activation_function = a;
  auto z = b.op1(BuiltinOperator::BuiltinOperator_ADD, {x, y}, test::options(o), name);
  EXPECT_TRUE(z.has_value()) << z.status().message();
  return *z;
}

int merge_and_compare(ir::Model& m) {
  const auto inputs = test::random_inputs(m, 3);
  const auto before = test::run_reference(m, inputs);
  auto n = passes::merge_duplicate_ops(m);
  EXPECT_TRUE(n.has_value()) << n.status().message();
  EXPECT_TRUE(test::outputs_close(before, test::run_reference(m, inputs)));
  return n.has_value() ? *n : -1;
}

TEST(MergeDuplicateOps, RepeatedSumsAreComputedOnce) {
  // Keras: Add([a, b, c]) and Average([a, b, c]) both compute (a + b) + c.
  GraphBuilder b;
  const ir::TensorId x = b.input("a", DType::kFloat32, {2, 8});
  const ir::TensorId y = b.input("b", DType::kFloat32, {2, 8});
  const ir::TensorId z = b.input("c", DType::kFloat32, {2, 8});
  const ir::TensorId sum = add(b, add(b, x, y, "add/add"), z, "add/add_1");
  const ir::TensorId avg_sum = add(b, add(b, x, y, "avg/add"), z, "avg/add_1");
  auto avg = b.op1(BuiltinOperator::BuiltinOperator_MUL, {avg_sum, b.constant_f32("third", {}, {1.0f / 3})},
                   test::options(tflite::MulOptionsT{}), "avg/truediv");
  ASSERT_TRUE(avg.has_value());
  auto out = b.op1(BuiltinOperator::BuiltinOperator_SUB, {sum, *avg}, test::options(tflite::SubOptionsT{}), "out");
  ASSERT_TRUE(out.has_value());
  b.set_outputs({*out});
  ir::Model m = test::finish(b);
  EXPECT_EQ(merge_and_compare(m), 2);
  EXPECT_EQ(test::op_counts(m), (std::map<std::string, int>{{"ADD", 2}, {"MUL", 1}, {"SUB", 1}}));
}

TEST(MergeDuplicateOps, DifferentOptionsInputsOrGraphOutputsStay) {
  GraphBuilder b;
  const ir::TensorId x = b.input("a", DType::kFloat32, {2, 8});
  const ir::TensorId y = b.input("b", DType::kFloat32, {2, 8});
  const ir::TensorId plain = add(b, x, y, "plain");
  const ir::TensorId relu = add(b, x, y, "relu", tflite::ActivationFunctionType_RELU);  // other options
  const ir::TensorId swapped = add(b, y, x, "swapped");                                  // other input order
  const ir::TensorId out = add(b, x, y, "out");  // same as `plain`, but a graph output
  b.set_outputs({plain, relu, swapped, out});
  ir::Model m = test::finish(b);
  EXPECT_EQ(merge_and_compare(m), 0);
  EXPECT_EQ(m.subgraphs[0].ops.size(), 4u);
}

}  // namespace
}  // namespace tfc
