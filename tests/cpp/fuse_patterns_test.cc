// fuse-hard-swish, fuse-gelu, fold-pad, fuse-prelu and hoist-channel-ops:
// the op chains an importer writes for hard swish, GELU's tanh form, explicit
// padding, PReLU and Conv1D's per-channel ops become what the TFLite
// converter writes, in the forms it recognises (checked against TF 2.21), and
// other forms stay. Graphs from random weights, run by the reference
// interpreter before and after each pass on the same random input.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <numbers>

#include "ir/verify.h"
#include "passes/passes.h"
#include "fusion_test_util.h"

namespace tfc {
namespace {

using importers::GraphBuilder;
using test::options;
using test::random_constant;
using A = tflite::ActivationFunctionType;
using BO = tflite::BuiltinOperator;
using PassFn = Expected<int> (*)(ir::Model&);

// Runs `pass` on `m`, checks the model and its outputs against the model
// before; returns the pass's count.
int run_and_compare(ir::Model& m, PassFn pass) {
  const auto inputs = test::random_inputs(m, 9);
  const auto before = test::run_reference(m, inputs);
  const auto n = pass(m);
  EXPECT_TRUE(n.has_value()) << n.status().message();
  if (!n.has_value()) return -1;
  const Status valid = ir::verify_model(m);
  EXPECT_TRUE(valid.is_ok()) << valid.message();
  EXPECT_TRUE(test::outputs_close(before, test::run_reference(m, inputs)));
  return *n;
}

ir::TensorId op(GraphBuilder& b, BO code, std::vector<ir::TensorId> in, const std::string& name,
                tflite::BuiltinOptionsUnion o = {}) {
  auto y = b.op1(code, std::move(in), std::move(o), name, DType::kFloat32);
  EXPECT_TRUE(y.has_value()) << y.status().message();
  return y.has_value() ? *y : ir::kNoTensor;
}

ir::TensorId scalar(GraphBuilder& b, const std::string& name, float v) { return b.constant_f32(name, {}, {v}); }

// A graph x [2, 3, 4] -> f(x) -> output; the model after finish.
ir::Model graph_of(const std::function<ir::TensorId(GraphBuilder&, ir::TensorId)>& f, ir::Shape shape = {2, 3, 4}) {
  GraphBuilder b;
  const ir::TensorId x = b.input("x", DType::kFloat32, std::move(shape));
  b.set_outputs({f(b, x)});
  return test::finish(b);
}

struct Form {
  const char* name;
  std::function<ir::TensorId(GraphBuilder&, ir::TensorId)> build;  // writes tensor "out"
};

// Checks that each form becomes one op `builtin` writing "out"; returns that op.
void expect_fused(const Form& form, PassFn pass, BO builtin) {
  SCOPED_TRACE(form.name);
  ir::Model m = graph_of(form.build);
  EXPECT_EQ(run_and_compare(m, pass), 1);
  ASSERT_EQ(m.subgraphs[0].ops.size(), 1u);
  EXPECT_EQ(m.subgraphs[0].ops[0].code.builtin, builtin);
  EXPECT_EQ(test::output_names(m), std::vector<std::string>{"out"});
  EXPECT_EQ(m.subgraphs[0].tensors[m.subgraphs[0].ops[0].inputs.at(0)].name, "x");
}

void expect_unchanged(const Form& form, PassFn pass) {
  SCOPED_TRACE(form.name);
  ir::Model m = graph_of(form.build);
  const auto ops = test::op_counts(m);
  EXPECT_EQ(run_and_compare(m, pass), 0);
  EXPECT_EQ(test::op_counts(m), ops);
}

// ---- fuse-hard-swish -----------------------------------------------------------------

ir::TensorId relu6_x_plus_3(GraphBuilder& b, ir::TensorId x) {
  return op(b, BO::BuiltinOperator_RELU6, {op(b, BO::BuiltinOperator_ADD, {x, scalar(b, "three", 3)}, "add")}, "r");
}

TEST(FuseHardSwish, TheConvertersForms) {
  const std::vector<Form> forms = {
      {"(x * r) / 6",
       [](GraphBuilder& b, ir::TensorId x) {
         const ir::TensorId p = op(b, BO::BuiltinOperator_MUL, {x, relu6_x_plus_3(b, x)}, "p");
         return op(b, BO::BuiltinOperator_DIV, {p, scalar(b, "six", 6)}, "out");
       }},
      {"(1/6) * (x * r)",
       [](GraphBuilder& b, ir::TensorId x) {
         const ir::TensorId p = op(b, BO::BuiltinOperator_MUL, {x, relu6_x_plus_3(b, x)}, "p");
         return op(b, BO::BuiltinOperator_MUL, {b.constant_f32("sixth", {1}, {1.0f / 6}), p}, "out");
       }},
      {"x * (r / 6), r an ADD(3, x) with RELU6",
       [](GraphBuilder& b, ir::TensorId x) {
         tflite::AddOptionsT relu6;
         relu6.fused_activation_function = A::ActivationFunctionType_RELU6;
         const ir::TensorId r = op(b, BO::BuiltinOperator_ADD, {scalar(b, "three", 3), x}, "r", options(relu6));
         return op(b, BO::BuiltinOperator_MUL, {x, op(b, BO::BuiltinOperator_DIV, {r, scalar(b, "six", 6)}, "h")},
                   "out");
       }},
      {"(r * (1/6)) * x",
       [](GraphBuilder& b, ir::TensorId x) {
         const ir::TensorId h = op(b, BO::BuiltinOperator_MUL, {relu6_x_plus_3(b, x), scalar(b, "sixth", 1.0f / 6)},
                                   "h");
         return op(b, BO::BuiltinOperator_MUL, {h, x}, "out");
       }},
  };
  for (const Form& f : forms) expect_fused(f, passes::fuse_hard_swish, BO::BuiltinOperator_HARD_SWISH);
}

TEST(FuseHardSwish, OtherFormsStay) {
  const std::vector<Form> forms = {
      {"(r * x) / 6",
       [](GraphBuilder& b, ir::TensorId x) {
         const ir::TensorId p = op(b, BO::BuiltinOperator_MUL, {relu6_x_plus_3(b, x), x}, "p");
         return op(b, BO::BuiltinOperator_DIV, {p, scalar(b, "six", 6)}, "out");
       }},
      {"(x / 6) * r",
       [](GraphBuilder& b, ir::TensorId x) {
         const ir::TensorId h = op(b, BO::BuiltinOperator_DIV, {x, scalar(b, "six", 6)}, "h");
         return op(b, BO::BuiltinOperator_MUL, {h, relu6_x_plus_3(b, x)}, "out");
       }},
      {"x * relu6(x + 2) / 6",
       [](GraphBuilder& b, ir::TensorId x) {
         const ir::TensorId r = op(b, BO::BuiltinOperator_RELU6,
                                   {op(b, BO::BuiltinOperator_ADD, {x, scalar(b, "two", 2)}, "add")}, "r");
         const ir::TensorId p = op(b, BO::BuiltinOperator_MUL, {x, r}, "p");
         return op(b, BO::BuiltinOperator_DIV, {p, scalar(b, "six", 6)}, "out");
       }},
      {"y * relu6(x + 3) / 6",
       [](GraphBuilder& b, ir::TensorId x) {
         const ir::TensorId y = op(b, BO::BuiltinOperator_NEG, {x}, "y");
         const ir::TensorId p = op(b, BO::BuiltinOperator_MUL, {y, relu6_x_plus_3(b, x)}, "p");
         return op(b, BO::BuiltinOperator_DIV, {p, scalar(b, "six", 6)}, "out");
       }},
      {"relu6(x + 3) read twice",
       [](GraphBuilder& b, ir::TensorId x) {
         const ir::TensorId r = relu6_x_plus_3(b, x);
         const ir::TensorId p = op(b, BO::BuiltinOperator_MUL, {x, r}, "p");
         const ir::TensorId h = op(b, BO::BuiltinOperator_DIV, {p, scalar(b, "six", 6)}, "h");
         return op(b, BO::BuiltinOperator_ADD, {h, r}, "out");
       }},
  };
  for (const Form& f : forms) expect_unchanged(f, passes::fuse_hard_swish);
}

// ---- fuse-gelu -------------------------------------------------------------------------

// (x * 0.5) * (1 + tanh(k * (x + c * pow(x, 3)))) with choices of operand order.
struct GeluForm {
  bool half_first = true;       // (x * 0.5) is the outer MUL's first operand
  bool x_first = true;          // x is the inner ADD's first operand
  bool constants_first = false;  // the constants come first in MUL / ADD
  float cubic = 0.044715f;
};

ir::TensorId gelu_tanh(GraphBuilder& b, ir::TensorId x, GeluForm f) {
  const auto with = [&](BO code, ir::TensorId t, float v, const std::string& name) {
    const ir::TensorId c = scalar(b, name + "/c", v);
    return f.constants_first ? op(b, code, {c, t}, name) : op(b, code, {t, c}, name);
  };
  const ir::TensorId cube = op(b, BO::BuiltinOperator_POW, {x, scalar(b, "three", 3)}, "cube");
  const ir::TensorId term = with(BO::BuiltinOperator_MUL, cube, f.cubic, "term");
  const ir::TensorId sum = f.x_first ? op(b, BO::BuiltinOperator_ADD, {x, term}, "sum")
                                     : op(b, BO::BuiltinOperator_ADD, {term, x}, "sum");
  const float k = static_cast<float>(std::sqrt(2.0 / std::numbers::pi));
  const ir::TensorId t = op(b, BO::BuiltinOperator_TANH, {with(BO::BuiltinOperator_MUL, sum, k, "scaled")}, "tanh");
  const ir::TensorId one_plus = with(BO::BuiltinOperator_ADD, t, 1.0f, "one_plus");
  const ir::TensorId half = with(BO::BuiltinOperator_MUL, x, 0.5f, "half");
  return f.half_first ? op(b, BO::BuiltinOperator_MUL, {half, one_plus}, "out")
                      : op(b, BO::BuiltinOperator_MUL, {one_plus, half}, "out");
}

TEST(FuseGelu, TheTanhFormBecomesAnApproximateGelu) {
  for (bool constants_first : {false, true}) {
    GeluForm f;
    f.constants_first = constants_first;
    expect_fused({constants_first ? "constants first" : "constants second",
                  [f](GraphBuilder& b, ir::TensorId x) { return gelu_tanh(b, x, f); }},
                 passes::fuse_gelu, BO::BuiltinOperator_GELU);
  }
  ir::Model m = graph_of([](GraphBuilder& b, ir::TensorId x) { return gelu_tanh(b, x, {}); });
  ASSERT_EQ(passes::fuse_gelu(m).status().code(), StatusCode::kOk);
  const auto* o = m.subgraphs[0].ops.at(0).options_as<tflite::GeluOptionsT>();
  ASSERT_NE(o, nullptr);
  EXPECT_TRUE(o->approximate);
}

TEST(FuseGelu, OtherFormsStay) {
  GeluForm half_second, x_second, other_constant;
  half_second.half_first = false;
  x_second.x_first = false;
  other_constant.cubic = 0.05f;
  for (const auto& [name, f] : std::vector<std::pair<const char*, GeluForm>>{
           {"(1 + tanh(...)) * (x * 0.5)", half_second},
           {"tanh(k * (c * pow(x, 3) + x))", x_second},
           {"0.05 for 0.044715", other_constant}}) {
    expect_unchanged({name, [f](GraphBuilder& b, ir::TensorId x) { return gelu_tanh(b, x, f); }}, passes::fuse_gelu);
  }
}

// ---- fold-pad --------------------------------------------------------------------------

struct PadCase {
  const char* name;
  std::vector<int32_t> pads;  // 4 x 2
  int32_t kernel = 3, stride = 1, dilation = 1;
  BO conv = BO::BuiltinOperator_CONV_2D;
  tflite::Padding padding = tflite::Padding_VALID;
  ir::Shape input = {1, 8, 8, 4};
};

// x -> PAD -> conv (3 output channels, or depthwise) -> "out".
ir::Model pad_conv(const PadCase& c) {
  GraphBuilder b;
  const ir::TensorId x = b.input("x", DType::kFloat32, c.input);
  const ir::TensorId padded = op(b, BO::BuiltinOperator_PAD, {x, b.constant_i32("pads", {4, 2}, c.pads)}, "padded");
  const int32_t k = c.kernel, ch = b.shape(padded)[3];
  if (c.conv == BO::BuiltinOperator_CONV_2D) {
    tflite::Conv2DOptionsT o;
    o.padding = c.padding;
    o.stride_h = o.stride_w = c.stride;
    o.dilation_h_factor = o.dilation_w_factor = c.dilation;
    b.set_outputs({op(b, c.conv, {padded, random_constant(b, "w", {3, k, k, ch}, 1), ir::kNoTensor}, "out",
                      options(o))});
  } else {
    tflite::DepthwiseConv2DOptionsT o;
    o.padding = c.padding;
    o.stride_h = o.stride_w = c.stride;
    o.dilation_h_factor = o.dilation_w_factor = c.dilation;
    o.depth_multiplier = 1;
    b.set_outputs({op(b, c.conv, {padded, random_constant(b, "w", {1, k, k, ch}, 1), ir::kNoTensor}, "out",
                      options(o))});
  }
  return test::finish(b);
}

TEST(FoldPad, PaddingAsSameBecomesSame) {
  const std::vector<PadCase> cases = {
      {"1,1 before a 3x3", {0, 0, 1, 1, 1, 1, 0, 0}},
      {"0,1 before a 3x3 of stride 2", {0, 0, 0, 1, 0, 1, 0, 0}, 3, 2},
      {"2,2 before a 3x3 of dilation 2", {0, 0, 2, 2, 2, 2, 0, 0}, 3, 1, 2},
      {"0,1 before a depthwise 3x3 of stride 2", {0, 0, 0, 1, 0, 1, 0, 0}, 3, 2, 1,
       BO::BuiltinOperator_DEPTHWISE_CONV_2D},
      {"1,1 before a 3x3 of stride 2 on 9", {0, 0, 1, 1, 1, 1, 0, 0}, 3, 2, 1, BO::BuiltinOperator_CONV_2D,
       tflite::Padding_VALID, {1, 9, 9, 2}},
  };
  for (const PadCase& c : cases) {
    SCOPED_TRACE(c.name);
    ir::Model m = pad_conv(c);
    EXPECT_EQ(run_and_compare(m, passes::fold_pads), 1);
    ASSERT_EQ(m.subgraphs[0].ops.size(), 1u);
    const ir::Op& conv = m.subgraphs[0].ops[0];
    EXPECT_EQ(m.subgraphs[0].tensors[conv.inputs[0]].name, "x");
    const tflite::Padding p = c.conv == BO::BuiltinOperator_CONV_2D
                                  ? conv.options_as<tflite::Conv2DOptionsT>()->padding
                                  : conv.options_as<tflite::DepthwiseConv2DOptionsT>()->padding;
    EXPECT_EQ(p, tflite::Padding_SAME);
  }
}

TEST(FoldPad, OtherPaddingStays) {
  const std::vector<PadCase> cases = {
      {"2,2 before a 3x3", {0, 0, 2, 2, 2, 2, 0, 0}},
      {"1,1 before a 3x3 of stride 2 on 8", {0, 0, 1, 1, 1, 1, 0, 0}, 3, 2},
      {"1,1 before a SAME 3x3", {0, 0, 1, 1, 1, 1, 0, 0}, 3, 1, 1, BO::BuiltinOperator_CONV_2D, tflite::Padding_SAME},
      {"1,1 before a 1x1", {0, 0, 1, 1, 1, 1, 0, 0}, 1},
      {"1,1 on height only", {0, 0, 1, 1, 0, 0, 0, 0}},
      {"1,1 and channels too", {0, 0, 1, 1, 1, 1, 1, 1}},
  };
  for (const PadCase& c : cases) {
    SCOPED_TRACE(c.name);
    ir::Model m = pad_conv(c);
    const auto ops = test::op_counts(m);
    EXPECT_EQ(run_and_compare(m, passes::fold_pads), 0);
    EXPECT_EQ(test::op_counts(m), ops);
  }
}

// As the converter: the conv reads x, the PAD stays for the pooling op.
TEST(FoldPad, APadReadByAPoolStaysForIt) {
  GraphBuilder b;
  const ir::TensorId x = b.input("x", DType::kFloat32, {1, 6, 6, 2});
  const ir::TensorId padded =
      op(b, BO::BuiltinOperator_PAD, {x, b.constant_i32("pads", {4, 2}, {0, 0, 1, 1, 1, 1, 0, 0})}, "padded");
  tflite::Pool2DOptionsT pool;
  pool.padding = tflite::Padding_VALID;
  pool.stride_w = pool.stride_h = 1;
  pool.filter_width = pool.filter_height = 3;
  const ir::TensorId pooled = op(b, BO::BuiltinOperator_MAX_POOL_2D, {padded}, "pooled", options(pool));
  tflite::Conv2DOptionsT o = test::conv_options();
  o.padding = tflite::Padding_VALID;
  const ir::TensorId conv =
      op(b, BO::BuiltinOperator_CONV_2D, {padded, random_constant(b, "w", {2, 3, 3, 2}, 1), ir::kNoTensor}, "conv",
         options(o));
  b.set_outputs({conv, pooled});
  ir::Model m = test::finish(b);
  EXPECT_EQ(run_and_compare(m, passes::fold_pads), 1);
  EXPECT_EQ(test::op_counts(m), (std::map<std::string, int>{{"CONV_2D", 1}, {"MAX_POOL_2D", 1}, {"PAD", 1}}));
}

// ---- fuse-prelu ------------------------------------------------------------------------

// relu(x) and c * relu(-x) for a constant c of shape [4].
ir::TensorId negative_part(GraphBuilder& b, ir::TensorId x, bool constant_first, ir::TensorId of = ir::kNoTensor) {
  const ir::TensorId r = op(b, BO::BuiltinOperator_RELU,
                            {op(b, BO::BuiltinOperator_NEG, {of == ir::kNoTensor ? x : of}, "neg")}, "relu_neg");
  const ir::TensorId c = random_constant(b, "slope", {4}, 4);
  return op(b, BO::BuiltinOperator_MUL, constant_first ? std::vector{c, r} : std::vector{r, c}, "mul");
}

TEST(FusePrelu, TheKerasForms) {
  const std::vector<Form> forms = {
      {"relu(x) + c * relu(-x)",
       [](GraphBuilder& b, ir::TensorId x) {
         const ir::TensorId pos = op(b, BO::BuiltinOperator_RELU, {x}, "pos");
         return op(b, BO::BuiltinOperator_ADD, {pos, negative_part(b, x, true)}, "out");
       }},
      {"relu(-x) * c + relu(x)",
       [](GraphBuilder& b, ir::TensorId x) {
         const ir::TensorId neg = negative_part(b, x, false);
         return op(b, BO::BuiltinOperator_ADD, {neg, op(b, BO::BuiltinOperator_RELU, {x}, "pos")}, "out");
       }},
      {"relu(x) - a * relu(-x)",
       [](GraphBuilder& b, ir::TensorId x) {
         const ir::TensorId pos = op(b, BO::BuiltinOperator_RELU, {x}, "pos");
         return op(b, BO::BuiltinOperator_SUB, {pos, negative_part(b, x, true)}, "out");
       }},
  };
  for (const Form& f : forms) expect_fused(f, passes::fuse_prelu, BO::BuiltinOperator_PRELU);
}

TEST(FusePrelu, OtherFormsStay) {
  const std::vector<Form> forms = {
      {"a * relu(-x) - relu(x)",
       [](GraphBuilder& b, ir::TensorId x) {
         const ir::TensorId neg = negative_part(b, x, true);
         return op(b, BO::BuiltinOperator_SUB, {neg, op(b, BO::BuiltinOperator_RELU, {x}, "pos")}, "out");
       }},
      {"relu(x) + c * relu(-y)",
       [](GraphBuilder& b, ir::TensorId x) {
         const ir::TensorId y = op(b, BO::BuiltinOperator_TANH, {x}, "y");
         const ir::TensorId pos = op(b, BO::BuiltinOperator_RELU, {x}, "pos");
         return op(b, BO::BuiltinOperator_ADD, {pos, negative_part(b, x, true, y)}, "out");
       }},
      {"relu(x) read twice",
       [](GraphBuilder& b, ir::TensorId x) {
         const ir::TensorId pos = op(b, BO::BuiltinOperator_RELU, {x}, "pos");
         const ir::TensorId p = op(b, BO::BuiltinOperator_ADD, {pos, negative_part(b, x, true)}, "p");
         return op(b, BO::BuiltinOperator_MUL, {p, pos}, "out");
       }},
  };
  for (const Form& f : forms) expect_unchanged(f, passes::fuse_prelu);
}

// ---- hoist-channel-ops --------------------------------------------------------------------

// Keras's Conv1D with BatchNormalization and relu as an importer writes them:
// EXPAND_DIMS, CONV_2D, SQUEEZE, MUL, ADD, RELU on x [1, 8, 3].
ir::Model conv1d_bn_relu(BO reshape) {
  GraphBuilder b;
  const ir::TensorId x = b.input("x", DType::kFloat32, {1, 8, 3});
  const ir::TensorId e = op(b, BO::BuiltinOperator_EXPAND_DIMS, {x, b.constant_i32("axis", {}, {1})}, "expanded");
  tflite::Conv2DOptionsT o = test::conv_options();
  o.padding = tflite::Padding_SAME;
  ir::TensorId y = op(b, BO::BuiltinOperator_CONV_2D,
                      {e, random_constant(b, "w", {4, 1, 3, 3}, 1), random_constant(b, "bias", {4}, 5)}, "conv",
                      options(o));
  if (reshape == BO::BuiltinOperator_SQUEEZE) {
    tflite::SqueezeOptionsT sq;
    sq.squeeze_dims = {1};
    y = op(b, reshape, {y}, "squeezed", options(sq));
  } else {
    y = op(b, reshape, {y, b.constant_i32("shape", {3}, {1, 8, 4})}, "squeezed");
  }
  y = op(b, BO::BuiltinOperator_MUL, {y, random_constant(b, "scale", {4}, 2, 0.5f, 1.5f)}, "bn/mul",
         options(tflite::MulOptionsT{}));
  y = op(b, BO::BuiltinOperator_ADD, {random_constant(b, "offset", {4}, 3), y}, "bn", options(tflite::AddOptionsT{}));
  b.set_outputs({op(b, BO::BuiltinOperator_RELU, {y}, "out")});
  return test::finish(b);
}

TEST(HoistChannelOps, Conv1dBatchNormAndReluFoldIntoTheConv) {
  for (BO reshape : {BO::BuiltinOperator_SQUEEZE, BO::BuiltinOperator_RESHAPE}) {
    SCOPED_TRACE(tflite::EnumNameBuiltinOperator(reshape));
    ir::Model m = conv1d_bn_relu(reshape);
    EXPECT_EQ(run_and_compare(m, passes::hoist_channel_ops), 3);
    EXPECT_EQ(m.subgraphs[0].ops.back().code.builtin, reshape);
    EXPECT_EQ(test::output_names(m), std::vector<std::string>{"out"});
    EXPECT_EQ(run_and_compare(m, passes::fuse_like_converter), 3);  // MUL, ADD, RELU
    EXPECT_EQ(test::op_counts(m), (std::map<std::string, int>{{"CONV_2D", 1},
                                                              {"EXPAND_DIMS", 1},
                                                              {tflite::EnumNameBuiltinOperator(reshape), 1}}));
  }
}

TEST(HoistChannelOps, OpsThatAreNotPerChannelStay) {
  GraphBuilder b;
  const ir::TensorId x = b.input("x", DType::kFloat32, {1, 8, 3});
  const ir::TensorId e = op(b, BO::BuiltinOperator_EXPAND_DIMS, {x, b.constant_i32("axis", {}, {1})}, "expanded");
  ir::TensorId y = op(b, BO::BuiltinOperator_CONV_2D,
                      {e, random_constant(b, "w", {4, 1, 3, 3}, 1), ir::kNoTensor}, "conv",
                      options(test::conv_options()));
  y = op(b, BO::BuiltinOperator_RESHAPE, {y, b.constant_i32("shape", {3}, {1, 8, 4})}, "squeezed");
  y = op(b, BO::BuiltinOperator_MUL, {y, random_constant(b, "per_step", {8, 1}, 2)}, "by_step",
         options(tflite::MulOptionsT{}));  // one value per step, not per channel
  b.set_outputs({op(b, BO::BuiltinOperator_SUB, {scalar(b, "k", 1), y}, "out", options(tflite::SubOptionsT{}))});
  ir::Model m = test::finish(b);
  const auto ops = test::op_counts(m);
  EXPECT_EQ(run_and_compare(m, passes::hoist_channel_ops), 0);
  EXPECT_EQ(test::op_counts(m), ops);
}

// ---- converter-fusions -------------------------------------------------------------------

// An importer's plain graph: PAD, VALID conv, BatchNormalization as MUL and
// ADD, relu6 as MINIMUM(MAXIMUM(., 0), 6), hard swish as ops; the converter
// writes CONV_2D (SAME, RELU6) and HARD_SWISH for it.
TEST(ConverterFusions, MakeWhatTheConverterWrites) {
  GraphBuilder b;
  const ir::TensorId x = b.input("x", DType::kFloat32, {1, 6, 6, 3});
  const ir::TensorId padded =
      op(b, BO::BuiltinOperator_PAD, {x, b.constant_i32("pads", {4, 2}, {0, 0, 1, 1, 1, 1, 0, 0})}, "padded");
  tflite::Conv2DOptionsT o = test::conv_options();
  o.padding = tflite::Padding_VALID;
  ir::TensorId y = op(b, BO::BuiltinOperator_CONV_2D,
                      {padded, random_constant(b, "w", {4, 3, 3, 3}, 1), ir::kNoTensor}, "conv", options(o));
  y = op(b, BO::BuiltinOperator_MUL, {y, random_constant(b, "scale", {4}, 2, 0.5f, 1.5f)}, "bn/mul");
  y = op(b, BO::BuiltinOperator_ADD, {y, random_constant(b, "offset", {4}, 3)}, "bn");
  y = op(b, BO::BuiltinOperator_MAXIMUM, {y, scalar(b, "zero", 0)}, "max");
  const ir::TensorId r = op(b, BO::BuiltinOperator_MINIMUM, {y, scalar(b, "six", 6)}, "relu6");
  const ir::TensorId p = op(b, BO::BuiltinOperator_MUL, {r, relu6_x_plus_3(b, r)}, "p");
  b.set_outputs({op(b, BO::BuiltinOperator_DIV, {p, scalar(b, "six_again", 6)}, "out")});
  ir::Model m = test::finish(b);
  EXPECT_EQ(run_and_compare(m, passes::fuse_like_converter), 7);  // pad, 2 clips, hard swish, MUL, ADD, RELU6
  ASSERT_EQ(m.subgraphs[0].ops.size(), 2u);
  const ir::Op& conv = m.subgraphs[0].ops[0];
  ASSERT_NE(conv.options_as<tflite::Conv2DOptionsT>(), nullptr);
  EXPECT_EQ(conv.options_as<tflite::Conv2DOptionsT>()->padding, tflite::Padding_SAME);
  EXPECT_EQ(conv.options_as<tflite::Conv2DOptionsT>()->fused_activation_function, A::ActivationFunctionType_RELU6);
  EXPECT_EQ(m.subgraphs[0].tensors[conv.outputs[0]].name, "relu6");
  EXPECT_EQ(m.subgraphs[0].ops[1].code.builtin, BO::BuiltinOperator_HARD_SWISH);
  EXPECT_EQ(test::output_names(m), std::vector<std::string>{"out"});
}

}  // namespace
}  // namespace tfc
