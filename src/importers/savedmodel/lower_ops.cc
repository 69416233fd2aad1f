// The lowering table: one function per TensorFlow op type, each adding the
// TFLite ops the converter makes for it (weights transposed into TFLite's
// layouts, which folds, since weights are constants). Fused activations and
// bias / batch-norm folding are left to the passes that run after lowering.
#include <algorithm>
#include <climits>
#include <cmath>

#include "importers/savedmodel/lower.h"
#include "importers/savedmodel/tf_proto.h"

namespace tfc::importers::savedmodel {
namespace {

using tflite::BuiltinOperator;
using Op = BuiltinOperator;

template <typename Options>
tflite::BuiltinOptionsUnion options(Options o) {
  tflite::BuiltinOptionsUnion u;
  u.Set(std::move(o));
  return u;
}

// ---- Helpers ---------------------------------------------------------------

Expected<tflite::Padding> padding_of(const Lowering& l) {
  const std::string p = l.attr_string("padding");
  if (p == "SAME") return tflite::Padding_SAME;
  if (p == "VALID") return tflite::Padding_VALID;
  return unsupported("padding '{}' is not supported (SAME or VALID)", p);
}

Status check_nhwc(const Lowering& l) {
  const std::string f = l.attr_string("data_format", "NHWC");
  if (f != "NHWC" && f != "NWC") return unsupported("data_format {} is not supported (NHWC only)", f);
  return Status::ok();
}

// A 4-element NHWC attribute's H and W ([1, h, w, 1]).
Expected<std::pair<int32_t, int32_t>> hw_of(const Lowering& l, const std::string& key) {
  const auto v = l.attr_ints(key);
  if (v.empty()) return std::pair<int32_t, int32_t>{1, 1};
  if (v.size() != 4 || v[0] != 1 || v[3] != 1 || v[1] < 1 || v[2] < 1 || v[1] > INT32_MAX || v[2] > INT32_MAX) {
    return invalid_argument("attribute '{}' must be [1, h, w, 1] with h, w >= 1", key);
  }
  return std::pair<int32_t, int32_t>{static_cast<int32_t>(v[1]), static_cast<int32_t>(v[2])};
}

// (Names are taken by value: a reference into the graph's tensors would not
// survive the constants added here.)
Expected<ir::TensorId> transpose(Lowering& l, ir::TensorId x, std::vector<int32_t> perm, std::string name) {
  const auto n = static_cast<int32_t>(perm.size());
  ir::TensorId p = l.b.constant_i32(name + "/perm", {n}, std::move(perm));
  return l.b.op1(Op::BuiltinOperator_TRANSPOSE, {x, p}, options(tflite::TransposeOptionsT{}), name);
}

Expected<ir::TensorId> reshape(Lowering& l, ir::TensorId x, std::vector<int32_t> shape, std::string name) {
  ir::TensorId s = l.b.constant_i32(name + "/shape", {static_cast<int32_t>(shape.size())}, shape);
  tflite::ReshapeOptionsT o;
  o.new_shape = shape;
  return l.b.op1(Op::BuiltinOperator_RESHAPE, {x, s}, options(std::move(o)), name);
}

Expected<ir::TensorId> zeros_bias(Lowering& l, int32_t n) {
  return l.b.constant_f32(l.name() + "/bias", {n}, std::vector<float>(static_cast<size_t>(n), 0.0f));
}

// A VALID conv reading a PAD (constant, spatial only) that pads exactly as
// SAME would: the conv reads the PAD's input with SAME padding instead (the
// converter's fold of Keras's ZeroPadding2D before strided convs). `x` and
// `padding` are updated; the PAD is dropped when nothing else reads it.
void fold_same_pad(Lowering& l, ir::TensorId& x, tflite::Padding& padding, std::pair<int32_t, int32_t> kernel,
                   std::pair<int32_t, int32_t> strides, std::pair<int32_t, int32_t> dilations) {
  const int p = l.b.producer(x);
  if (padding != tflite::Padding_VALID || p < 0) return;
  const ir::Op& pad = l.b.op_at(p);
  if (pad.code.builtin != Op::BuiltinOperator_PAD || pad.inputs.size() != 2 || !l.b.is_constant(pad.inputs[1]) ||
      l.b.dtype(pad.inputs[1]) != DType::kInt32) {
    return;
  }
  const ir::TensorId in = pad.inputs[0];
  const auto pads = l.b.values<int32_t>(pad.inputs[1]);  // [4, 2]
  const ir::Shape& shape = l.b.shape(in);
  if (shape.size() != 4 || pads.size() != 8 || pads[0] || pads[1] || pads[6] || pads[7]) return;
  const int32_t k[2] = {kernel.first, kernel.second}, s[2] = {strides.first, strides.second},
                d[2] = {dilations.first, dilations.second};
  for (int i = 0; i < 2; ++i) {
    const int64_t size = shape[static_cast<size_t>(1 + i)], out = (size + s[i] - 1) / s[i];
    const int64_t total = std::max<int64_t>((out - 1) * s[i] + int64_t{k[i] - 1} * d[i] + 1 - size, 0);
    if (pads[static_cast<size_t>(2 + 2 * i)] != total / 2 || pads[static_cast<size_t>(3 + 2 * i)] != total - total / 2) {
      return;
    }
  }
  x = in;
  padding = tflite::Padding_SAME;
}

// ---- Ops -------------------------------------------------------------------

Status lower_nothing(Lowering&) { return Status::ok(); }

Status lower_const(Lowering& l) {
  const auto* v = l.attr("value");
  if (!v || !v->has_tensor()) return invalid_argument("Const without a tensor value");
  TFC_ASSIGN_OR_RETURN(Array a, array_from_tensor_proto(v->tensor(), "constant"));
  return l.set(l.b.constant(l.name(), a));
}

Status lower_read_variable(Lowering& l) {
  const auto* from = l.input_def(0);
  if (!from || from->op() != "VarHandleOp") {
    return unsupported("reads a resource that is not a captured variable ({})", from ? from->op() : "none");
  }
  return l.set(l.variable(from->name(), l.name()));
}

// GATHER of input 1's indices from `params` along `axis` (GatherV2, ResourceGather).
Status gather(Lowering& l, ir::TensorId params, int32_t axis) {
  TFC_ASSIGN_OR_RETURN(ir::TensorId indices, l.in(1));
  tflite::GatherOptionsT o;
  o.axis = axis;
  TFC_ASSIGN_OR_RETURN(int64_t batch_dims, l.attr_int("batch_dims", 0));
  o.batch_dims = static_cast<int32_t>(batch_dims);
  return l.set(l.b.op1(Op::BuiltinOperator_GATHER, {params, indices}, options(o), l.out_name()));
}

Status lower_resource_gather(Lowering& l) {
  const auto* from = l.input_def(0);
  if (!from || from->op() != "VarHandleOp") return unsupported("gathers from a resource that is not a variable");
  TFC_ASSIGN_OR_RETURN(ir::TensorId params, l.variable(from->name(), from->name()));
  return gather(l, params, 0);
}

template <int32_t kOp>
Status lower_unary(Lowering& l) {
  TFC_ASSIGN_OR_RETURN(ir::TensorId x, l.in(0));
  return l.set(l.b.op1(kOp, {x}, {}, l.out_name()));
}

template <int32_t kOp, typename Options = tflite::AddOptionsT>
Status lower_binary(Lowering& l) {
  TFC_ASSIGN_OR_RETURN(ir::TensorId x, l.in(0));
  TFC_ASSIGN_OR_RETURN(ir::TensorId y, l.in(1));
  return l.set(l.b.op1(kOp, {x, y}, options(Options{}), l.out_name()));
}

template <int32_t kOp>
Status lower_compare(Lowering& l) {
  TFC_ASSIGN_OR_RETURN(ir::TensorId x, l.in(0));
  TFC_ASSIGN_OR_RETURN(ir::TensorId y, l.in(1));
  return l.set(l.b.op1(kOp, {x, y}, {}, l.out_name(), DType::kBool));
}

// BiasAdd of a conv / dense seen through a SQUEEZE or RESHAPE that keeps its
// channels last (Keras's Conv1D: EXPAND_DIMS, CONV_2D, SQUEEZE, BiasAdd): the
// bias joins the conv's own, as the converter folds it. True when folded.
Expected<bool> fold_bias_through_reshape(Lowering& l, ir::TensorId x, ir::TensorId bias) {
  const int reshape = l.b.producer(x);
  if (reshape < 0 || l.readers_of_input(0) != 1 || !l.b.is_constant(bias) || l.b.dtype(bias) != DType::kFloat32) {
    return false;
  }
  const ir::Op& r = l.b.op_at(reshape);
  if (r.code.builtin != Op::BuiltinOperator_SQUEEZE && r.code.builtin != Op::BuiltinOperator_RESHAPE) return false;
  const ir::TensorId conv_out = r.inputs[0];
  const int c = l.b.producer(conv_out);
  if (c < 0 || l.b.num_consumers(conv_out) != 1) return false;
  const ir::Op& conv = l.b.op_at(c);
  const auto op = conv.code.builtin;
  if ((op != Op::BuiltinOperator_CONV_2D && op != Op::BuiltinOperator_DEPTHWISE_CONV_2D) || conv.inputs.size() != 3 ||
      conv.inputs[2] == ir::kNoTensor || !l.b.is_constant(conv.inputs[2])) {
    return false;
  }
  const ir::Shape& in = l.b.shape(conv_out);
  const ir::Shape& out = l.b.shape(x);
  const auto old_bias = l.b.values<float>(conv.inputs[2]);
  const auto add = l.b.values<float>(bias);
  if (in.empty() || out.empty() || in.back() != out.back() || add.size() != old_bias.size() ||
      static_cast<int32_t>(add.size()) != in.back()) {
    return false;
  }
  std::vector<float> sum(add.size());
  for (size_t i = 0; i < sum.size(); ++i) sum[i] = old_bias[i] + add[i];
  const auto n = static_cast<int32_t>(sum.size());
  const ir::TensorId folded = l.b.constant_f32(l.name() + "/bias", {n}, std::move(sum));
  l.b.op_at(c).inputs[2] = folded;
  return true;
}

Status lower_bias_add(Lowering& l) {
  TFC_RETURN_IF_ERROR(check_nhwc(l));
  TFC_ASSIGN_OR_RETURN(ir::TensorId x, l.in(0));
  TFC_ASSIGN_OR_RETURN(ir::TensorId bias, l.in(1));
  TFC_ASSIGN_OR_RETURN(bool folded, fold_bias_through_reshape(l, x, bias));
  if (folded) {
    l.b.rename(x, l.name());
    l.set(std::vector<ir::TensorId>{x});
    return Status::ok();
  }
  return lower_binary<Op::BuiltinOperator_ADD>(l);
}

// Exact GELU as Keras writes it, 0.5 x * erfc(-x / sqrt(2)), its tanh form,
// and hard swish,
// x * relu6(x + 3) / 6: the final Mul becomes one GELU / HARD_SWISH op (as the
// converter makes); the ops before it that nothing else reads are dropped.
Status lower_mul(Lowering& l) {
  if (auto x = l.gelu_input()) {
    return l.set(l.b.op1(Op::BuiltinOperator_GELU, {*x}, options(tflite::GeluOptionsT{}), l.out_name()));
  }
  if (auto x = l.gelu_tanh_input()) {
    tflite::GeluOptionsT o;
    o.approximate = true;
    return l.set(l.b.op1(Op::BuiltinOperator_GELU, {*x}, options(o), l.out_name()));
  }
  if (auto x = l.hard_swish_input()) return l.set(l.b.op1(Op::BuiltinOperator_HARD_SWISH, {*x}, {}, l.out_name()));
  // A product with a scalar 1 (Keras's swish beta) is its other operand.
  TFC_ASSIGN_OR_RETURN(ir::TensorId a, l.in(0));
  TFC_ASSIGN_OR_RETURN(ir::TensorId c, l.in(1));
  for (int i = 0; i < 2; ++i, std::swap(a, c)) {
    if (l.b.is_constant(c) && l.b.dtype(c) == DType::kFloat32 && l.b.dtype(a) == DType::kFloat32 &&
        l.b.values<float>(c) == std::vector<float>{1.0f} && l.b.shape(c).size() <= l.b.shape(a).size()) {
      l.set(std::vector<ir::TensorId>{a});
      return Status::ok();
    }
  }
  return lower_binary<Op::BuiltinOperator_MUL, tflite::MulOptionsT>(l);
}

// x / k with a float32 constant k of no zero is x * (1 / k), as the converter
// writes it; other quotients stay DIV.
Status lower_real_div(Lowering& l) {
  TFC_ASSIGN_OR_RETURN(ir::TensorId x, l.in(0));
  TFC_ASSIGN_OR_RETURN(ir::TensorId k, l.in(1));
  if (!l.b.is_constant(k) || l.b.dtype(k) != DType::kFloat32 || l.b.dtype(x) != DType::kFloat32) {
    return l.set(l.b.op1(Op::BuiltinOperator_DIV, {x, k}, options(tflite::DivOptionsT{}), l.out_name()));
  }
  std::vector<float> inverse = l.b.values<float>(k);
  for (float& v : inverse) {
    if (v == 0.0f) return l.set(l.b.op1(Op::BuiltinOperator_DIV, {x, k}, options(tflite::DivOptionsT{}), l.out_name()));
    v = 1.0f / v;
  }
  auto r = l.b.constant_f32(l.name() + "/reciprocal", l.b.shape(k), std::move(inverse));
  return l.set(l.b.op1(Op::BuiltinOperator_MUL, {x, r}, options(tflite::MulOptionsT{}), l.out_name()));
}

// Erfc has no TFLite op: it is lowered only inside the GELU pattern (lower_mul).
Status lower_erfc(Lowering& l) { return Status::ok(); }

template <int32_t kOp, typename Options>
Status lower_space_batch(Lowering& l) {
  TFC_ASSIGN_OR_RETURN(ir::TensorId x, l.in(0));
  TFC_ASSIGN_OR_RETURN(ir::TensorId block, l.const_i32(1));
  TFC_ASSIGN_OR_RETURN(ir::TensorId pads, l.const_i32(2));
  return l.set(l.b.op1(kOp, {x, block, pads}, options(Options{}), l.out_name()));
}

Status lower_softmax(Lowering& l) {
  TFC_ASSIGN_OR_RETURN(ir::TensorId x, l.in(0));
  tflite::SoftmaxOptionsT o;
  o.beta = 1.0f;
  return l.set(l.b.op1(Op::BuiltinOperator_SOFTMAX, {x}, options(o), l.out_name()));
}

Status lower_leaky_relu(Lowering& l) {
  TFC_ASSIGN_OR_RETURN(ir::TensorId x, l.in(0));
  tflite::LeakyReluOptionsT o;
  TFC_ASSIGN_OR_RETURN(o.alpha, l.attr_float("alpha", 0.2f));
  return l.set(l.b.op1(Op::BuiltinOperator_LEAKY_RELU, {x}, options(o), l.out_name()));
}

// softplus(x) = log(exp(x) + 1)
Status lower_softplus(Lowering& l) {
  TFC_ASSIGN_OR_RETURN(ir::TensorId x, l.in(0));
  TFC_ASSIGN_OR_RETURN(auto e, l.b.op1(Op::BuiltinOperator_EXP, {x}, {}, l.name() + "/exp"));
  auto one = l.b.constant_f32(l.name() + "/one", {}, {1.0f});
  TFC_ASSIGN_OR_RETURN(auto s, l.b.op1(Op::BuiltinOperator_ADD, {e, one}, options(tflite::AddOptionsT{}), l.name() + "/add"));
  return l.set(l.b.op1(Op::BuiltinOperator_LOG, {s}, {}, l.out_name()));
}

// selu(x) = x > 0 ? scale * x : scale * alpha * (exp(x) - 1), in the
// converter's ops (GREATER, MUL, EXP, SUB, MUL, SELECT_V2).
Status lower_selu(Lowering& l) {
  constexpr float kAlpha = 1.6732632423543772f, kScale = 1.0507009873554805f;
  TFC_ASSIGN_OR_RETURN(ir::TensorId x, l.in(0));
  const std::string n = l.name();
  auto zero = l.b.constant_f32(n + "/zero", {}, {0.0f});
  TFC_ASSIGN_OR_RETURN(auto pos, l.b.op1(Op::BuiltinOperator_GREATER, {x, zero}, {}, n + "/greater", DType::kBool));
  auto s = l.b.constant_f32(n + "/scale", {}, {kScale});
  TFC_ASSIGN_OR_RETURN(auto scaled, l.b.op1(Op::BuiltinOperator_MUL, {x, s}, options(tflite::MulOptionsT{}), n + "/mul"));
  TFC_ASSIGN_OR_RETURN(auto e, l.b.op1(Op::BuiltinOperator_EXP, {x}, {}, n + "/exp"));
  auto one = l.b.constant_f32(n + "/one", {}, {1.0f});
  TFC_ASSIGN_OR_RETURN(auto em1, l.b.op1(Op::BuiltinOperator_SUB, {e, one}, options(tflite::SubOptionsT{}), n + "/sub"));
  auto sa = l.b.constant_f32(n + "/scale_alpha", {}, {kScale * kAlpha});
  TFC_ASSIGN_OR_RETURN(auto neg, l.b.op1(Op::BuiltinOperator_MUL, {em1, sa}, options(tflite::MulOptionsT{}), n + "/mul_1"));
  return l.set(l.b.op1(Op::BuiltinOperator_SELECT_V2, {pos, scaled, neg}, {}, l.out_name(), DType::kFloat32));
}

Status lower_conv2d(Lowering& l) {
  TFC_RETURN_IF_ERROR(check_nhwc(l));
  TFC_ASSIGN_OR_RETURN(ir::TensorId x, l.in(0));
  TFC_ASSIGN_OR_RETURN(ir::TensorId filter, l.in(1));  // [kh, kw, cin, cout]
  if (l.b.shape(filter).size() != 4) return invalid_argument("filter must have rank 4");
  TFC_ASSIGN_OR_RETURN(const tflite::Padding padding, padding_of(l));
  TFC_ASSIGN_OR_RETURN(auto strides, hw_of(l, "strides"));
  TFC_ASSIGN_OR_RETURN(auto dilations, hw_of(l, "dilations"));
  auto o = conv_window<tflite::Conv2DOptionsT>(padding, strides, dilations);
  const int32_t cout = l.b.shape(filter)[3];
  fold_same_pad(l, x, o.padding, {l.b.shape(filter)[0], l.b.shape(filter)[1]}, strides, dilations);
  TFC_ASSIGN_OR_RETURN(auto w, transpose(l, filter, {3, 0, 1, 2}, l.b.tensor(filter).name));  // [cout, kh, kw, cin]
  TFC_ASSIGN_OR_RETURN(auto bias, zeros_bias(l, cout));
  return l.set(l.b.op1(Op::BuiltinOperator_CONV_2D, {x, w, bias}, options(o), l.out_name()));
}

Status lower_depthwise(Lowering& l) {
  TFC_RETURN_IF_ERROR(check_nhwc(l));
  TFC_ASSIGN_OR_RETURN(ir::TensorId x, l.in(0));
  TFC_ASSIGN_OR_RETURN(ir::TensorId filter, l.in(1));  // [kh, kw, cin, multiplier]
  const ir::Shape fs = l.b.shape(filter);
  if (fs.size() != 4) return invalid_argument("filter must have rank 4");
  if (int64_t{fs[2]} * fs[3] > INT32_MAX) return invalid_argument("filter [.., {}, {}] has too many channels", fs[2], fs[3]);
  TFC_ASSIGN_OR_RETURN(const tflite::Padding padding, padding_of(l));
  TFC_ASSIGN_OR_RETURN(auto strides, hw_of(l, "strides"));
  TFC_ASSIGN_OR_RETURN(auto dilations, hw_of(l, "dilations"));
  auto o = conv_window<tflite::DepthwiseConv2DOptionsT>(padding, strides, dilations);
  o.depth_multiplier = fs[3];
  fold_same_pad(l, x, o.padding, {fs[0], fs[1]}, strides, dilations);
  TFC_ASSIGN_OR_RETURN(auto w, reshape(l, filter, {1, fs[0], fs[1], fs[2] * fs[3]}, l.b.tensor(filter).name));
  TFC_ASSIGN_OR_RETURN(auto bias, zeros_bias(l, fs[2] * fs[3]));
  return l.set(l.b.op1(Op::BuiltinOperator_DEPTHWISE_CONV_2D, {x, w, bias}, options(o), l.out_name()));
}

Status lower_conv_backprop_input(Lowering& l) {
  TFC_RETURN_IF_ERROR(check_nhwc(l));
  TFC_ASSIGN_OR_RETURN(ir::TensorId sizes, l.const_i32(0));
  TFC_ASSIGN_OR_RETURN(ir::TensorId filter, l.in(1));  // [kh, kw, cout, cin]
  TFC_ASSIGN_OR_RETURN(ir::TensorId x, l.in(2));
  if (l.b.shape(filter).size() != 4) return invalid_argument("filter must have rank 4");
  TFC_ASSIGN_OR_RETURN(auto dilations, hw_of(l, "dilations"));
  if (dilations.first != 1 || dilations.second != 1) return unsupported("dilated transposed convolution");
  tflite::TransposeConvOptionsT o;
  TFC_ASSIGN_OR_RETURN(o.padding, padding_of(l));
  TFC_ASSIGN_OR_RETURN(auto strides, hw_of(l, "strides"));
  o.stride_h = strides.first;
  o.stride_w = strides.second;
  TFC_ASSIGN_OR_RETURN(auto w, transpose(l, filter, {2, 0, 1, 3}, l.b.tensor(filter).name));  // [cout, kh, kw, cin]
  TFC_ASSIGN_OR_RETURN(auto bias, zeros_bias(l, l.b.shape(filter)[2]));
  return l.set(l.b.op1(Op::BuiltinOperator_TRANSPOSE_CONV, {sizes, w, x, bias}, options(o), l.out_name(), l.b.dtype(x), 3));
}

// x @ y as FULLY_CONNECTED when y is a constant matrix (the converter's
// choice), BATCH_MATMUL otherwise.
Status lower_matmul_of(Lowering& l, bool adj_x, bool adj_y) {
  TFC_ASSIGN_OR_RETURN(ir::TensorId x, l.in(0));
  TFC_ASSIGN_OR_RETURN(ir::TensorId y, l.in(1));
  if (l.b.is_constant(y) && l.b.shape(y).size() == 2 && !adj_x) {
    ir::TensorId w = y;  // FULLY_CONNECTED weights: [out, in]
    if (!adj_y) {
      TFC_ASSIGN_OR_RETURN(w, transpose(l, y, {1, 0}, l.b.tensor(y).name));
    }
    tflite::FullyConnectedOptionsT o;
    o.keep_num_dims = l.b.shape(x).size() > 2;
    return l.set(l.b.op1(Op::BuiltinOperator_FULLY_CONNECTED, {x, w, ir::kNoTensor}, options(o), l.out_name()));
  }
  tflite::BatchMatMulOptionsT o;
  o.adj_x = adj_x;
  o.adj_y = adj_y;
  return l.set(l.b.op1(Op::BuiltinOperator_BATCH_MATMUL, {x, y}, options(o), l.out_name()));
}

Status lower_matmul(Lowering& l) { return lower_matmul_of(l, l.attr_bool("transpose_a"), l.attr_bool("transpose_b")); }
Status lower_batch_matmul(Lowering& l) { return lower_matmul_of(l, l.attr_bool("adj_x"), l.attr_bool("adj_y")); }

// Einsum's common dense form "<batch>c,cd-><batch>d": a matmul on the last axis.
Status lower_einsum(Lowering& l) {
  const std::string eq = l.attr_string("equation");
  const size_t comma = eq.find(','), arrow = eq.find("->");
  if (l.num_inputs() != 2 || comma == std::string::npos || arrow == std::string::npos || arrow < comma) {
    return unsupported("einsum '{}' is not a supported form", eq);
  }
  const std::string a = eq.substr(0, comma), w = eq.substr(comma + 1, arrow - comma - 1), out = eq.substr(arrow + 2);
  if (a.size() >= 2 && w.size() == 2 && a.back() == w[0] && out == a.substr(0, a.size() - 1) + w[1] &&
      a.find('.') == std::string::npos) {
    return lower_matmul_of(l, false, false);
  }
  return unsupported("einsum '{}' is not a supported form (\"...c,cd->...d\")", eq);
}

Status lower_fused_batch_norm(Lowering& l) {
  TFC_RETURN_IF_ERROR(check_nhwc(l));
  if (l.attr_bool("is_training")) return unsupported("batch norm in training mode");
  std::vector<ir::TensorId> in;
  for (int i = 0; i < 5; ++i) {
    TFC_ASSIGN_OR_RETURN(ir::TensorId t, l.in(i));
    in.push_back(t);
  }
  TFC_ASSIGN_OR_RETURN(float eps, l.attr_float("epsilon", 1e-4f));
  const std::string n = l.name();
  auto& b = l.b;
  auto e = b.constant_f32(n + "/epsilon", {}, {eps});
  TFC_ASSIGN_OR_RETURN(auto var_eps, b.op1(Op::BuiltinOperator_ADD, {in[4], e}, options(tflite::AddOptionsT{}), n + "/add"));
  TFC_ASSIGN_OR_RETURN(auto inv, b.op1(Op::BuiltinOperator_RSQRT, {var_eps}, {}, n + "/rsqrt"));
  TFC_ASSIGN_OR_RETURN(auto scale, b.op1(Op::BuiltinOperator_MUL, {inv, in[1]}, options(tflite::MulOptionsT{}), n + "/scale"));
  TFC_ASSIGN_OR_RETURN(auto ms, b.op1(Op::BuiltinOperator_MUL, {in[3], scale}, options(tflite::MulOptionsT{}), n + "/mean_scaled"));
  TFC_ASSIGN_OR_RETURN(auto offset, b.op1(Op::BuiltinOperator_SUB, {in[2], ms}, options(tflite::SubOptionsT{}), n + "/offset"));
  TFC_ASSIGN_OR_RETURN(auto y, b.op1(Op::BuiltinOperator_MUL, {in[0], scale}, options(tflite::MulOptionsT{}), n + "/mul"));
  TFC_ASSIGN_OR_RETURN(auto out, b.op1(Op::BuiltinOperator_ADD, {y, offset}, options(tflite::AddOptionsT{}), l.out_name()));
  l.set({out, in[3], in[4], in[3], in[4], in[3]});
  return Status::ok();
}

template <int32_t kOp>
Status lower_pool(Lowering& l) {
  TFC_RETURN_IF_ERROR(check_nhwc(l));
  TFC_ASSIGN_OR_RETURN(ir::TensorId x, l.in(0));
  tflite::Pool2DOptionsT o;
  TFC_ASSIGN_OR_RETURN(o.padding, padding_of(l));
  TFC_ASSIGN_OR_RETURN(auto k, hw_of(l, "ksize"));
  TFC_ASSIGN_OR_RETURN(auto s, hw_of(l, "strides"));
  o.filter_height = k.first;
  o.filter_width = k.second;
  o.stride_h = s.first;
  o.stride_w = s.second;
  return l.set(l.b.op1(kOp, {x}, options(o), l.out_name()));
}

template <int32_t kOp>
Status lower_reduce(Lowering& l) {
  TFC_ASSIGN_OR_RETURN(ir::TensorId x, l.in(0));
  TFC_ASSIGN_OR_RETURN(ir::TensorId axes, l.const_i32(1));
  tflite::ReducerOptionsT o;
  o.keep_dims = l.attr_bool("keep_dims");
  return l.set(l.b.op1(kOp, {x, axes}, options(o), l.out_name()));
}

Status lower_reshape(Lowering& l) {
  TFC_ASSIGN_OR_RETURN(ir::TensorId x, l.in(0));
  TFC_ASSIGN_OR_RETURN(ir::TensorId shape, l.const_i32(1));
  tflite::ReshapeOptionsT o;
  if (ir::num_elements(l.b.shape(shape)) == 0) {  // to a scalar: the shape is in the options
    return l.set(l.b.op1(Op::BuiltinOperator_RESHAPE, {x}, options(o), l.out_name()));
  }
  if (l.b.is_constant(shape)) o.new_shape = l.b.values<int32_t>(shape);
  return l.set(l.b.op1(Op::BuiltinOperator_RESHAPE, {x, shape}, options(o), l.out_name()));
}

Status lower_squeeze(Lowering& l) {
  TFC_ASSIGN_OR_RETURN(ir::TensorId x, l.in(0));
  tflite::SqueezeOptionsT o;
  for (int64_t d : l.attr_ints("squeeze_dims")) o.squeeze_dims.push_back(static_cast<int32_t>(d));
  return l.set(l.b.op1(Op::BuiltinOperator_SQUEEZE, {x}, options(o), l.out_name()));
}

// Ops whose second (and later) inputs are integer constants TFLite takes as int32.
template <int32_t kOp, typename Options>
Status lower_with_int_args(Lowering& l) {
  std::vector<ir::TensorId> ins;
  TFC_ASSIGN_OR_RETURN(ir::TensorId x, l.in(0));
  ins.push_back(x);
  for (int i = 1; i < l.num_inputs(); ++i) {
    TFC_ASSIGN_OR_RETURN(ir::TensorId t, l.const_i32(i));
    ins.push_back(t);
  }
  return l.set(l.b.op1(kOp, ins, options(Options{}), l.out_name()));
}

Status lower_strided_slice(Lowering& l) {
  std::vector<ir::TensorId> ins;
  TFC_ASSIGN_OR_RETURN(ir::TensorId x, l.in(0));
  ins.push_back(x);
  for (int i = 1; i < 4; ++i) {
    TFC_ASSIGN_OR_RETURN(ir::TensorId t, l.const_i32(i));
    ins.push_back(t);
  }
  tflite::StridedSliceOptionsT o;
  TFC_ASSIGN_OR_RETURN(int64_t begin, l.attr_int("begin_mask", 0));
  TFC_ASSIGN_OR_RETURN(int64_t end, l.attr_int("end_mask", 0));
  TFC_ASSIGN_OR_RETURN(int64_t ellipsis, l.attr_int("ellipsis_mask", 0));
  TFC_ASSIGN_OR_RETURN(int64_t new_axis, l.attr_int("new_axis_mask", 0));
  TFC_ASSIGN_OR_RETURN(int64_t shrink, l.attr_int("shrink_axis_mask", 0));
  o.begin_mask = static_cast<int32_t>(begin);
  o.end_mask = static_cast<int32_t>(end);
  o.ellipsis_mask = static_cast<int32_t>(ellipsis);
  o.new_axis_mask = static_cast<int32_t>(new_axis);
  o.shrink_axis_mask = static_cast<int32_t>(shrink);
  return l.set(l.b.op1(Op::BuiltinOperator_STRIDED_SLICE, ins, options(o), l.out_name()));
}

Status lower_concat(Lowering& l) {
  const int n = l.num_inputs() - 1;  // the last input is the axis
  if (n < 1) return invalid_argument("ConcatV2 without values");
  TFC_ASSIGN_OR_RETURN(auto axis, l.const_ints(n));
  if (axis.size() != 1) return invalid_argument("axis must be a scalar");
  std::vector<ir::TensorId> ins;
  for (int i = 0; i < n; ++i) {
    TFC_ASSIGN_OR_RETURN(ir::TensorId t, l.in(i));
    ins.push_back(t);
  }
  const auto rank = static_cast<int64_t>(l.b.shape(ins[0]).size());
  if (axis[0] < -rank || axis[0] >= rank) return invalid_argument("axis {} out of range for rank {}", axis[0], rank);
  tflite::ConcatenationOptionsT o;
  o.axis = static_cast<int32_t>(axis[0] < 0 ? axis[0] + rank : axis[0]);
  return l.set(l.b.op1(Op::BuiltinOperator_CONCATENATION, ins, options(o), l.out_name()));
}

Status lower_pack(Lowering& l) {
  std::vector<ir::TensorId> ins;
  for (int i = 0; i < l.num_inputs(); ++i) {
    TFC_ASSIGN_OR_RETURN(ir::TensorId t, l.in(i));
    ins.push_back(t);
  }
  if (ins.empty()) return invalid_argument("Pack without values");
  tflite::PackOptionsT o;
  TFC_ASSIGN_OR_RETURN(int64_t axis, l.attr_int("axis", 0));
  const auto rank = static_cast<int64_t>(l.b.shape(ins[0]).size()) + 1;
  if (axis < -rank || axis >= rank) return invalid_argument("axis {} out of range", axis);
  o.axis = static_cast<int32_t>(axis < 0 ? axis + rank : axis);
  o.values_count = static_cast<int32_t>(ins.size());
  return l.set(l.b.op1(Op::BuiltinOperator_PACK, ins, options(o), l.out_name()));
}

Status lower_pad(Lowering& l) {
  TFC_ASSIGN_OR_RETURN(ir::TensorId x, l.in(0));
  TFC_ASSIGN_OR_RETURN(ir::TensorId pads, l.const_i32(1));
  if (l.num_inputs() == 3) {
    TFC_ASSIGN_OR_RETURN(ir::TensorId value, l.in(2));
    return l.set(l.b.op1(Op::BuiltinOperator_PADV2, {x, pads, value}, options(tflite::PadV2OptionsT{}), l.out_name()));
  }
  return l.set(l.b.op1(Op::BuiltinOperator_PAD, {x, pads}, options(tflite::PadOptionsT{}), l.out_name()));
}

Status lower_mirror_pad(Lowering& l) {
  TFC_ASSIGN_OR_RETURN(ir::TensorId x, l.in(0));
  TFC_ASSIGN_OR_RETURN(ir::TensorId pads, l.const_i32(1));
  tflite::MirrorPadOptionsT o;
  const std::string mode = l.attr_string("mode");
  if (mode == "REFLECT") {
    o.mode = tflite::MirrorPadMode_REFLECT;
  } else if (mode == "SYMMETRIC") {
    o.mode = tflite::MirrorPadMode_SYMMETRIC;
  } else {
    return unsupported("mirror pad mode '{}'", mode);
  }
  return l.set(l.b.op1(Op::BuiltinOperator_MIRROR_PAD, {x, pads}, options(o), l.out_name()));
}

template <int32_t kOp, typename Options>
Status lower_resize(Lowering& l) {
  TFC_ASSIGN_OR_RETURN(ir::TensorId x, l.in(0));
  TFC_ASSIGN_OR_RETURN(ir::TensorId size, l.const_i32(1));
  Options o;
  o.align_corners = l.attr_bool("align_corners");
  o.half_pixel_centers = l.attr_bool("half_pixel_centers");
  return l.set(l.b.op1(kOp, {x, size}, options(o), l.out_name()));
}

Status lower_cast(Lowering& l) {
  TFC_ASSIGN_OR_RETURN(ir::TensorId x, l.in(0));
  TFC_ASSIGN_OR_RETURN(DType to, l.attr_dtype("DstT"));
  if (to == l.b.dtype(x)) {
    l.set(std::vector<ir::TensorId>{x});
    return Status::ok();
  }
  tflite::CastOptionsT o;
  o.in_data_type = static_cast<tflite::TensorType>(l.b.dtype(x));
  o.out_data_type = static_cast<tflite::TensorType>(to);
  return l.set(l.b.op1(Op::BuiltinOperator_CAST, {x}, options(o), l.out_name(), to));
}

// Shape of a tensor: always static here (a dynamic batch is fixed), so a constant.
Status lower_shape(Lowering& l) {
  TFC_ASSIGN_OR_RETURN(ir::TensorId x, l.in(0));
  DType out = DType::kInt32;  // the attribute's default
  if (l.attr("out_type")) {
    TFC_ASSIGN_OR_RETURN(out, l.attr_dtype("out_type"));
  }
  Array a;
  a.dtype = out;
  a.shape = {static_cast<int64_t>(l.b.shape(x).size())};
  for (int32_t d : l.b.shape(x)) {
    if (out == DType::kInt64) {
      const int64_t v = d;
      a.data.insert(a.data.end(), reinterpret_cast<const uint8_t*>(&v), reinterpret_cast<const uint8_t*>(&v) + 8);
    } else if (out == DType::kInt32) {
      a.data.insert(a.data.end(), reinterpret_cast<const uint8_t*>(&d), reinterpret_cast<const uint8_t*>(&d) + 4);
    } else {
      return invalid_argument("Shape out_type must be int32 or int64");
    }
  }
  return l.set(l.b.constant(l.name(), a));
}

Status lower_gather(Lowering& l) {
  TFC_ASSIGN_OR_RETURN(ir::TensorId params, l.in(0));
  TFC_ASSIGN_OR_RETURN(auto axis, l.const_ints(2));
  if (axis.size() != 1) return invalid_argument("axis must be a scalar");
  return gather(l, params, static_cast<int32_t>(axis[0]));
}

template <int32_t kOp>
Status lower_arg_reduce(Lowering& l) {
  TFC_ASSIGN_OR_RETURN(ir::TensorId x, l.in(0));
  TFC_ASSIGN_OR_RETURN(ir::TensorId axis, l.const_i32(1));
  TFC_ASSIGN_OR_RETURN(DType out, l.attr_dtype("output_type"));
  if constexpr (kOp == Op::BuiltinOperator_ARG_MAX) {
    tflite::ArgMaxOptionsT o;
    o.output_type = static_cast<tflite::TensorType>(out);
    return l.set(l.b.op1(kOp, {x, axis}, options(o), l.out_name(), out));
  } else {
    tflite::ArgMinOptionsT o;
    o.output_type = static_cast<tflite::TensorType>(out);
    return l.set(l.b.op1(kOp, {x, axis}, options(o), l.out_name(), out));
  }
}

Status lower_fill(Lowering& l) {
  TFC_ASSIGN_OR_RETURN(ir::TensorId dims, l.const_i32(0));
  TFC_ASSIGN_OR_RETURN(ir::TensorId value, l.in(1));
  return l.set(l.b.op1(Op::BuiltinOperator_FILL, {dims, value}, {}, l.out_name(), l.b.dtype(value)));
}

Status lower_range(Lowering& l) {
  std::vector<ir::TensorId> ins;
  for (int i = 0; i < 3; ++i) {
    TFC_ASSIGN_OR_RETURN(ir::TensorId t, l.in(i));
    ins.push_back(t);
  }
  return l.set(l.b.op1(Op::BuiltinOperator_RANGE, ins, {}, l.out_name()));
}

Status lower_select(Lowering& l) {
  std::vector<ir::TensorId> ins;
  for (int i = 0; i < 3; ++i) {
    TFC_ASSIGN_OR_RETURN(ir::TensorId t, l.in(i));
    ins.push_back(t);
  }
  return l.set(l.b.op1(Op::BuiltinOperator_SELECT_V2, ins, {}, l.out_name(), l.b.dtype(ins[1])));
}

}  // namespace

const std::map<std::string, LowerFn, std::less<>>& lowering_table() {
  static const std::map<std::string, LowerFn, std::less<>> kTable = {
      // Structure: inputs and variables are bound before lowering.
      {"NoOp", lower_nothing},
      {"VarHandleOp", lower_nothing},
      {"Placeholder", lower_nothing},
      {"Const", lower_const},
      {"ReadVariableOp", lower_read_variable},
      {"ResourceGather", lower_resource_gather},
      // Convolutions and matrix products.
      {"Conv2D", lower_conv2d},
      {"DepthwiseConv2dNative", lower_depthwise},
      {"Conv2DBackpropInput", lower_conv_backprop_input},
      {"MatMul", lower_matmul},
      {"BatchMatMulV2", lower_batch_matmul},
      {"BatchMatMulV3", lower_batch_matmul},
      {"Einsum", lower_einsum},
      {"FusedBatchNormV3", lower_fused_batch_norm},
      // Activations and elementwise math.
      {"Relu", lower_unary<Op::BuiltinOperator_RELU>},
      {"Relu6", lower_unary<Op::BuiltinOperator_RELU6>},
      {"Elu", lower_unary<Op::BuiltinOperator_ELU>},
      {"Selu", lower_selu},
      {"Sigmoid", lower_unary<Op::BuiltinOperator_LOGISTIC>},
      {"Tanh", lower_unary<Op::BuiltinOperator_TANH>},
      {"Softmax", lower_softmax},
      {"LogSoftmax", lower_unary<Op::BuiltinOperator_LOG_SOFTMAX>},
      {"LeakyRelu", lower_leaky_relu},
      {"Softplus", lower_softplus},
      {"Square", lower_unary<Op::BuiltinOperator_SQUARE>},
      {"Sqrt", lower_unary<Op::BuiltinOperator_SQRT>},
      {"Rsqrt", lower_unary<Op::BuiltinOperator_RSQRT>},
      {"Exp", lower_unary<Op::BuiltinOperator_EXP>},
      {"Log", lower_unary<Op::BuiltinOperator_LOG>},
      {"Abs", lower_unary<Op::BuiltinOperator_ABS>},
      {"Neg", lower_unary<Op::BuiltinOperator_NEG>},
      {"Floor", lower_unary<Op::BuiltinOperator_FLOOR>},
      {"Ceil", lower_unary<Op::BuiltinOperator_CEIL>},
      {"Round", lower_unary<Op::BuiltinOperator_ROUND>},
      {"Sign", lower_unary<Op::BuiltinOperator_SIGN>},
      {"Sin", lower_unary<Op::BuiltinOperator_SIN>},
      {"Cos", lower_unary<Op::BuiltinOperator_COS>},
      {"LogicalNot", lower_unary<Op::BuiltinOperator_LOGICAL_NOT>},
      {"AddV2", lower_binary<Op::BuiltinOperator_ADD>},
      {"Add", lower_binary<Op::BuiltinOperator_ADD>},
      {"BiasAdd", lower_bias_add},
      {"Sub", lower_binary<Op::BuiltinOperator_SUB, tflite::SubOptionsT>},
      {"Mul", lower_mul},
      {"Erfc", lower_erfc},
      {"RealDiv", lower_real_div},
      {"Maximum", lower_binary<Op::BuiltinOperator_MAXIMUM, tflite::MaximumMinimumOptionsT>},
      {"Minimum", lower_binary<Op::BuiltinOperator_MINIMUM, tflite::MaximumMinimumOptionsT>},
      {"SquaredDifference", lower_binary<Op::BuiltinOperator_SQUARED_DIFFERENCE, tflite::SquaredDifferenceOptionsT>},
      {"Pow", lower_binary<Op::BuiltinOperator_POW, tflite::PowOptionsT>},
      {"FloorDiv", lower_binary<Op::BuiltinOperator_FLOOR_DIV, tflite::FloorDivOptionsT>},
      {"FloorMod", lower_binary<Op::BuiltinOperator_FLOOR_MOD, tflite::FloorModOptionsT>},
      {"Less", lower_compare<Op::BuiltinOperator_LESS>},
      {"LessEqual", lower_compare<Op::BuiltinOperator_LESS_EQUAL>},
      {"Greater", lower_compare<Op::BuiltinOperator_GREATER>},
      {"GreaterEqual", lower_compare<Op::BuiltinOperator_GREATER_EQUAL>},
      {"Equal", lower_compare<Op::BuiltinOperator_EQUAL>},
      {"NotEqual", lower_compare<Op::BuiltinOperator_NOT_EQUAL>},
      {"LogicalAnd", lower_compare<Op::BuiltinOperator_LOGICAL_AND>},
      {"LogicalOr", lower_compare<Op::BuiltinOperator_LOGICAL_OR>},
      {"SelectV2", lower_select},
      {"Select", lower_select},
      // Pooling and reductions.
      {"MaxPool", lower_pool<Op::BuiltinOperator_MAX_POOL_2D>},
      {"AvgPool", lower_pool<Op::BuiltinOperator_AVERAGE_POOL_2D>},
      {"Mean", lower_reduce<Op::BuiltinOperator_MEAN>},
      {"Sum", lower_reduce<Op::BuiltinOperator_SUM>},
      {"Max", lower_reduce<Op::BuiltinOperator_REDUCE_MAX>},
      {"Min", lower_reduce<Op::BuiltinOperator_REDUCE_MIN>},
      {"Prod", lower_reduce<Op::BuiltinOperator_REDUCE_PROD>},
      {"ArgMax", lower_arg_reduce<Op::BuiltinOperator_ARG_MAX>},
      {"ArgMin", lower_arg_reduce<Op::BuiltinOperator_ARG_MIN>},
      // Shapes and data movement.
      {"Reshape", lower_reshape},
      {"Squeeze", lower_squeeze},
      {"ExpandDims", lower_with_int_args<Op::BuiltinOperator_EXPAND_DIMS, tflite::ExpandDimsOptionsT>},
      {"Transpose", lower_with_int_args<Op::BuiltinOperator_TRANSPOSE, tflite::TransposeOptionsT>},
      {"Tile", lower_with_int_args<Op::BuiltinOperator_TILE, tflite::TileOptionsT>},
      {"BroadcastTo", lower_with_int_args<Op::BuiltinOperator_BROADCAST_TO, tflite::BroadcastToOptionsT>},
      {"Slice", lower_with_int_args<Op::BuiltinOperator_SLICE, tflite::SliceOptionsT>},
      {"StridedSlice", lower_strided_slice},
      {"ConcatV2", lower_concat},
      {"Pack", lower_pack},
      {"Pad", lower_pad},
      {"PadV2", lower_pad},
      {"MirrorPad", lower_mirror_pad},
      {"ResizeBilinear", lower_resize<Op::BuiltinOperator_RESIZE_BILINEAR, tflite::ResizeBilinearOptionsT>},
      {"ResizeNearestNeighbor",
       lower_resize<Op::BuiltinOperator_RESIZE_NEAREST_NEIGHBOR, tflite::ResizeNearestNeighborOptionsT>},
      {"SpaceToBatchND", lower_space_batch<Op::BuiltinOperator_SPACE_TO_BATCH_ND, tflite::SpaceToBatchNDOptionsT>},
      {"BatchToSpaceND", lower_space_batch<Op::BuiltinOperator_BATCH_TO_SPACE_ND, tflite::BatchToSpaceNDOptionsT>},
      {"Cast", lower_cast},
      {"Shape", lower_shape},
      {"GatherV2", lower_gather},
      {"Fill", lower_fill},
      {"Range", lower_range},
  };
  return kTable;
}

}  // namespace tfc::importers::savedmodel
