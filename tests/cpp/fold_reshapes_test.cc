// fold-reshapes: a reshape-like op read only by a RESHAPE merges into it; one
// read by anything else, or that is a graph output, stays. The reference
// interpreter gives the same outputs before and after.
#include <gtest/gtest.h>

#include "fusion_test_util.h"
#include "passes/passes.h"

namespace tfc {
namespace {

using importers::GraphBuilder;
using tflite::BuiltinOperator;

ir::TensorId reshape(GraphBuilder& b, ir::TensorId x, std::vector<int32_t> shape, const std::string& name) {
  const ir::TensorId s = b.constant_i32(name + "/shape", {static_cast<int32_t>(shape.size())}, shape);
  auto y = b.op1(BuiltinOperator::BuiltinOperator_RESHAPE, {x, s}, {}, name);
  EXPECT_TRUE(y.has_value()) << y.status().message();
  return *y;
}

ir::TensorId relu(GraphBuilder& b, ir::TensorId x, const std::string& name) {
  auto y = b.op1(BuiltinOperator::BuiltinOperator_RELU, {x}, {}, name);
  EXPECT_TRUE(y.has_value()) << y.status().message();
  return *y;
}

ir::TensorId squeeze(GraphBuilder& b, ir::TensorId x, std::vector<int32_t> dims, const std::string& name) {
  tflite::SqueezeOptionsT o;
  o.squeeze_dims = std::move(dims);
  auto y = b.op1(BuiltinOperator::BuiltinOperator_SQUEEZE, {x}, test::options(o), name);
  EXPECT_TRUE(y.has_value()) << y.status().message();
  return *y;
}

// Runs the pass on `m`; returns how many ops it removed, and checks the outputs kept their values and names.
int fold_and_compare(ir::Model& m) {
  const auto inputs = test::random_inputs(m, 7);
  const auto before = test::run_reference(m, inputs);
  const auto names = test::output_names(m);
  auto n = passes::fold_reshapes(m);
  EXPECT_TRUE(n.has_value()) << n.status().message();
  EXPECT_TRUE(test::outputs_close(before, test::run_reference(m, inputs)));
  EXPECT_EQ(test::output_names(m), names);
  return n.has_value() ? *n : -1;
}

TEST(FoldReshapes, ChainsBecomeOneReshape) {
  GraphBuilder b;
  const ir::TensorId x = b.input("x", DType::kFloat32, {2, 1, 6, 4});
  const ir::TensorId r = relu(b, x, "r");
  const ir::TensorId sq = squeeze(b, r, {1}, "squeeze");        // [2, 6, 4]
  const ir::TensorId mid = reshape(b, sq, {2, 3, 8}, "mid");     // [2, 3, 8]
  b.set_outputs({reshape(b, mid, {2, 24}, "flat")});              // [2, 24]
  ir::Model m = test::finish(b);
  EXPECT_EQ(fold_and_compare(m), 2);
  EXPECT_EQ(test::op_counts(m), (std::map<std::string, int>{{"RELU", 1}, {"RESHAPE", 1}}));
}

TEST(FoldReshapes, ShapesReadElsewhereOrGraphOutputsStay) {
  GraphBuilder b;
  const ir::TensorId x = b.input("x", DType::kFloat32, {2, 1, 6, 4});
  const ir::TensorId sq = squeeze(b, x, {1}, "squeeze");
  const ir::TensorId flat = reshape(b, sq, {2, 24}, "flat");
  const ir::TensorId other = relu(b, sq, "other");               // a second reader of the squeeze
  const ir::TensorId out1 = reshape(b, x, {2, 6, 4}, "out1");    // a graph output ...
  const ir::TensorId out2 = reshape(b, out1, {48}, "out2");      // ... read by a RESHAPE
  b.set_outputs({flat, other, out1, out2});
  ir::Model m = test::finish(b);
  const auto ops_before = test::op_counts(m);
  EXPECT_EQ(fold_and_compare(m), 0);
  EXPECT_EQ(test::op_counts(m), ops_before);
}

}  // namespace
}  // namespace tfc
