// Keras merge layers -> TFLite: Add, Subtract, Multiply, Maximum, Minimum (and
// the TrueDivide/Divide op layers) as
// a chain of the binary op over the inputs (or, for the Keras 3 op layers of
// the same names, the op with a constant: `x + 3.0`); Average as ADDs then a MUL by
// 1/n; Concatenate as CONCATENATION; Dot (axes over the non-batch dims of
// rank-2 or rank-3 inputs) as BATCH_MATMUL, the rank-2 case through
// EXPAND_DIMS and a final RESHAPE as the converter writes it.
// Not here: activations (keras_lower_activation.cc).
#include "importers/keras/keras_lower_layers.h"

namespace tfc::importers::keras {

using B = tflite::BuiltinOperator;

namespace {

// Keras 3 op layers (keras.ops on a Keras tensor: `x + 3.0`, `x * (1 / 6)`) save
// the constant among the call's args: one tensor and one number.
std::optional<std::pair<float, bool>> scalar_operand(const LowerContext& c) {
  const auto& args = c.call.args;
  if (!args.is_array() || args.size() != 2) return std::nullopt;
  for (size_t i = 0; i < 2; ++i) {
    if (args[i].is_number()) return std::make_pair(args[i].get<float>(), i == 0);
  }
  return std::nullopt;
}

Expected<std::vector<ir::TensorId>> chain(LowerContext& c, const std::vector<ir::TensorId>& in, int32_t op,
                                          tflite::BuiltinOptionsUnion (*opts)(), const char* name, size_t min_inputs = 2,
                                          size_t max_inputs = 1u << 20) {
  if (const auto k = scalar_operand(c); k && in.size() == 1) {
    ir::TensorId kt = c.b.constant_f32(c.name(std::string(name) + "/y"), {}, {k->first});
    std::vector<ir::TensorId> args = k->second ? std::vector<ir::TensorId>{kt, in[0]} : std::vector<ir::TensorId>{in[0], kt};
    TFC_ASSIGN_OR_RETURN(ir::TensorId y, c.b.op1(op, args, opts(), c.name(name), DType::kFloat32));
    return std::vector<ir::TensorId>{y};
  }
  if (in.size() < min_inputs || in.size() > max_inputs) {
    return c.invalid("takes {} to {} inputs, got {}", min_inputs, max_inputs, in.size());
  }
  ir::TensorId acc = in[0];
  for (size_t i = 1; i < in.size(); ++i) {
    TFC_ASSIGN_OR_RETURN(acc, c.b.op1(op, {acc, in[i]}, opts(), c.name(i == 1 ? std::string(name) : fmt::format("{}_{}", name, i - 1))));
  }
  return std::vector<ir::TensorId>{acc};
}

tflite::BuiltinOptionsUnion add_options() { return options(tflite::AddOptionsT{}); }
tflite::BuiltinOptionsUnion sub_options() { return options(tflite::SubOptionsT{}); }
tflite::BuiltinOptionsUnion mul_options() { return options(tflite::MulOptionsT{}); }
tflite::BuiltinOptionsUnion div_options() { return options(tflite::DivOptionsT{}); }
tflite::BuiltinOptionsUnion no_options() { return {}; }

}  // namespace

Expected<std::vector<ir::TensorId>> lower_add(LowerContext& c, const std::vector<ir::TensorId>& in) {
  return chain(c, in, B::BuiltinOperator_ADD, add_options, "add");
}
Expected<std::vector<ir::TensorId>> lower_subtract(LowerContext& c, const std::vector<ir::TensorId>& in) {
  return chain(c, in, B::BuiltinOperator_SUB, sub_options, "sub", 2, 2);
}
Expected<std::vector<ir::TensorId>> lower_multiply(LowerContext& c, const std::vector<ir::TensorId>& in) {
  return chain(c, in, B::BuiltinOperator_MUL, mul_options, "mul");
}
Expected<std::vector<ir::TensorId>> lower_divide(LowerContext& c, const std::vector<ir::TensorId>& in) {
  return chain(c, in, B::BuiltinOperator_DIV, div_options, "truediv", 2, 2);
}
Expected<std::vector<ir::TensorId>> lower_maximum(LowerContext& c, const std::vector<ir::TensorId>& in) {
  return chain(c, in, B::BuiltinOperator_MAXIMUM, no_options, "maximum");
}
Expected<std::vector<ir::TensorId>> lower_minimum(LowerContext& c, const std::vector<ir::TensorId>& in) {
  return chain(c, in, B::BuiltinOperator_MINIMUM, no_options, "minimum");
}

Expected<std::vector<ir::TensorId>> lower_average(LowerContext& c, const std::vector<ir::TensorId>& in) {
  TFC_ASSIGN_OR_RETURN(auto sum, chain(c, in, B::BuiltinOperator_ADD, add_options, "add"));
  TFC_ASSIGN_OR_RETURN(ir::TensorId y, mul_const(c, sum[0], {1.0f / static_cast<float>(in.size())}, {}, "truediv"));
  return std::vector<ir::TensorId>{y};
}

Expected<std::vector<ir::TensorId>> lower_concatenate(LowerContext& c, const std::vector<ir::TensorId>& in) {
  if (in.empty()) return c.invalid("takes at least one input");
  TFC_ASSIGN_OR_RETURN(int axis, c.get_int("axis", -1));
  TFC_ASSIGN_OR_RETURN(axis, normalize_axis(c, axis, c.b.shape(in[0]).size()));
  tflite::ConcatenationOptionsT o;
  o.axis = axis;
  TFC_ASSIGN_OR_RETURN(ir::TensorId y, c.b.op1(B::BuiltinOperator_CONCATENATION, in, options(o), c.name("concat")));
  return std::vector<ir::TensorId>{y};
}

namespace {

Expected<ir::TensorId> expand(LowerContext& c, ir::TensorId x, int axis, const std::string& name) {
  ir::TensorId a = c.b.constant_i32(c.name(name + "/dim"), {}, {axis});
  return c.b.op1(B::BuiltinOperator_EXPAND_DIMS, {x, a}, options(tflite::ExpandDimsOptionsT{}), c.name(name));
}

Expected<ir::TensorId> l2_normalize(LowerContext& c, ir::TensorId x, const std::string& name) {
  tflite::L2NormOptionsT o;
  return c.b.op1(B::BuiltinOperator_L2_NORMALIZATION, {x}, options(o), c.name(name));
}

}  // namespace

Expected<std::vector<ir::TensorId>> lower_dot(LowerContext& c, const std::vector<ir::TensorId>& in) {
  if (in.size() != 2) return c.invalid("takes 2 inputs, got {}", in.size());
  const size_t rank = c.b.shape(in[0]).size();
  if (rank != c.b.shape(in[1]).size() || (rank != 2 && rank != 3)) return c.refuse("only rank-2 or rank-3 inputs of equal rank are supported");
  TFC_ASSIGN_OR_RETURN(std::vector<int> axes, c.get_ints("axes", 2, -1));
  for (int& a : axes) {
    TFC_ASSIGN_OR_RETURN(a, normalize_axis(c, a, rank));
  }
  if (axes[0] == 0 || axes[1] == 0) return c.refuse("a dot over the batch axis is not supported");
  TFC_ASSIGN_OR_RETURN(bool normalize, c.get_bool("normalize", false));
  ir::TensorId x = in[0], y = in[1];
  if (normalize) {
    if (axes[0] != static_cast<int>(rank) - 1 || axes[1] != static_cast<int>(rank) - 1) return c.refuse("normalize=True is supported over the last axes only");
    TFC_ASSIGN_OR_RETURN(x, l2_normalize(c, x, "l2_normalize"));
    TFC_ASSIGN_OR_RETURN(y, l2_normalize(c, y, "l2_normalize_1"));
  }
  tflite::BatchMatMulOptionsT o;
  if (rank == 2) {  // (b,n).(b,n) -> (b,1,n) x (b,n,1) -> (b,1)
    TFC_ASSIGN_OR_RETURN(x, expand(c, x, 1, "ExpandDims"));
    TFC_ASSIGN_OR_RETURN(y, expand(c, y, 2, "ExpandDims_1"));
    TFC_ASSIGN_OR_RETURN(ir::TensorId m, c.b.op1(B::BuiltinOperator_BATCH_MATMUL, {x, y}, options(o), c.name("MatMul")));
    TFC_ASSIGN_OR_RETURN(ir::TensorId r, reshape(c, m, {c.b.shape(m)[0], 1}, "Reshape"));
    return std::vector<ir::TensorId>{r};
  }
  // (b,m,k) contracted on x's axis a0 and y's axis a1: adj_x when a0 == 1, adj_y when a1 == 2.
  o.adj_x = axes[0] == 1;
  o.adj_y = axes[1] == 2;
  TFC_ASSIGN_OR_RETURN(ir::TensorId m, c.b.op1(B::BuiltinOperator_BATCH_MATMUL, {x, y}, options(o), c.name("MatMul")));
  return std::vector<ir::TensorId>{m};
}

}  // namespace tfc::importers::keras
