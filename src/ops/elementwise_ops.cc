// Shape rules and kernels of the elementwise family: broadcasting arithmetic
// (ADD, SUB, MUL, DIV, MAXIMUM, MINIMUM, SQUARED_DIFFERENCE, PRELU), unary
// activations and math, SOFTMAX / LOG_SOFTMAX, QUANTIZE, DEQUANTIZE and
// DENSIFY. Each _shape validates what LiteRT's Prepare checks (and the
// quantization parameters it trusts) and sizes the output; each _eval runs the
// kernel in kernels/elementwise_ref.h or kernels/sparse_ref.h.
// Float32 math (ADD / SUB / MUL also int32, which converters emit for shape
// arithmetic), and the quantized integer forms LiteRT runs (int8, uint8,
// int16x8; kernels in kernels/elementwise_int.h): ADD, SUB, MUL, MAXIMUM,
// MINIMUM, LOGISTIC, TANH, RELU, RELU6, RELU_N1_TO_1, LEAKY_RELU, PRELU,
// HARD_SWISH, GELU, EXP, SOFTMAX. QUANTIZE is float32 -> int8 / uint8 / int16
// per tensor, or a requantize between those integer types; DEQUANTIZE is
// float16 / int8 / uint8 / int16 -> float32.
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <vector>

#include "kernels/elementwise_int.h"
#include "kernels/elementwise_ref.h"
#include "kernels/sparse_ref.h"
#include "ops/op_util.h"
#include "ops/registry.h"
#include "ir/sparsity.h"

namespace tfc::ops {

namespace {

using kernels::BinaryOp;
using kernels::UnaryOp;

// Broadcasting ops accept up to rank 6, as LiteRT's broadcast kernels do.
constexpr size_t kMaxBroadcastRank = 6;

// ---- Broadcasting binary ops ------------------------------------------------

// Two inputs of one dtype from `dtypes`, output of that dtype, shapes that
// broadcast (NumPy rules) up to rank 6; the output takes the broadcast shape.
Status broadcast_shape_rule(OpContext& ctx, std::initializer_list<DType> dtypes) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 2, 2, 1));
  TFC_RETURN_IF_ERROR(require_dtype(ctx, 0, dtypes));
  TFC_RETURN_IF_ERROR(require_same_dtype(ctx, 0, 1));
  TFC_RETURN_IF_ERROR(check_output_dtype(ctx, 0, ctx.input_dtype(0)));
  for (int i = 0; i < 2; ++i) {
    if (ctx.input_shape(i).size() > kMaxBroadcastRank) {
      return ctx.error("input {} ('{}') has rank {}, more than the supported {}", i, ctx.input_tensor(i).name,
                       ctx.input_shape(i).size(), kMaxBroadcastRank);
    }
  }
  std::vector<int32_t> out;
  if (!kernels::broadcast_shape(ctx.input_shape(0), ctx.input_shape(1), out)) {
    return ctx.error("input shapes {} ('{}') and {} ('{}') do not broadcast", shape_str(ctx.input_shape(0)),
                     ctx.input_tensor(0).name, shape_str(ctx.input_shape(1)), ctx.input_tensor(1).name);
  }
  ctx.set_output_shape(0, std::move(out));
  return Status::ok();
}

using IntTypes = Types<int8_t, uint8_t, int16_t>;

// Pot-scale option of ADD / SUB (schema default true); other ops have none.
template <typename T>
bool pot_scale_int16(const OpContext& ctx) {
  if constexpr (std::is_same_v<T, tflite::AddOptionsT> || std::is_same_v<T, tflite::SubOptionsT>) {
    return options_or_default<T>(ctx).pot_scale_int16;
  } else {
    return false;
  }
}

// The quantized forms of ADD / SUB / MUL: every tensor quantized per tensor,
// a fused activation that clamps (NONE, RELU, RELU6, RELU_N1_TO_1); int16
// symmetric (SUB's general int16 path allows zero points); the int16
// power-of-two path of ADD / SUB only where LiteRT accepts it.
Status check_int_arithmetic(const OpContext& ctx, BinaryOp op, tflite::ActivationFunctionType act, bool pot) {
  const bool int16 = ctx.input_dtype(0) == DType::kInt16;
  kernels::QParams q[3];
  bool pot_applies = false;
  if (int16 && (op == BinaryOp::kAdd || op == BinaryOp::kSub) && pot) {
    TFC_ASSIGN_OR_RETURN(q[0], int_qparams(ctx, ctx.input_tensor(0), false));
    TFC_ASSIGN_OR_RETURN(q[1], int_qparams(ctx, ctx.input_tensor(1), false));
    TFC_ASSIGN_OR_RETURN(q[2], int_qparams(ctx, ctx.output_tensor(0), false));
    const kernels::PotCheck c = kernels::int16_pot_check(q[0], q[1], q[2], true);
    pot_applies = c.applies;
    if (c.applies && !c.usable) {
      return ctx.error("int16 power-of-two scales {}, {} -> {}: one input's scale must equal the output's and the "
                       "other's must not be larger (set pot_scale_int16 false for general scales)",
                       q[0].scale, q[1].scale, q[2].scale);
    }
  }
  const bool symmetric = op != BinaryOp::kSub || pot_applies;
  TFC_RETURN_IF_ERROR(int_qparams(ctx, ctx.input_tensor(0), symmetric).status());
  TFC_RETURN_IF_ERROR(int_qparams(ctx, ctx.input_tensor(1), symmetric).status());
  TFC_RETURN_IF_ERROR(int_qparams(ctx, ctx.output_tensor(0), symmetric).status());
  if (act != tflite::ActivationFunctionType_NONE && act != tflite::ActivationFunctionType_RELU &&
      act != tflite::ActivationFunctionType_RELU6 && act != tflite::ActivationFunctionType_RELU_N1_TO_1) {
    return unsupported("{}: fused activation {} is not supported with {} tensors", ctx.op_name(),
                       tflite::EnumNameActivationFunctionType(act), dtype_name(ctx.input_dtype(0)));
  }
  return Status::ok();
}

// ADD / SUB / MUL / DIV: float32 (and int32 where `int32_too`; int8, uint8 and
// int16 quantized where `quantized_too`), with the fused activation of options
// type T.
template <typename T>
Status arithmetic_shape(OpContext& ctx, BinaryOp op, bool int32_too, bool quantized_too) {
  if (quantized_too) {
    TFC_RETURN_IF_ERROR(broadcast_shape_rule(
        ctx, {DType::kFloat32, DType::kInt32, DType::kInt8, DType::kUInt8, DType::kInt16}));
  } else if (int32_too) {
    TFC_RETURN_IF_ERROR(broadcast_shape_rule(ctx, {DType::kFloat32, DType::kInt32}));
  } else {
    TFC_RETURN_IF_ERROR(broadcast_shape_rule(ctx, {DType::kFloat32}));
  }
  const tflite::ActivationFunctionType act = options_or_default<T>(ctx).fused_activation_function;
  TFC_RETURN_IF_ERROR(check_activation(ctx, act));
  if (is_quantized_int(ctx.input_dtype(0))) {
    return check_int_arithmetic(ctx, op, act, pot_scale_int16<T>(ctx));
  }
  return Status::ok();
}

Status int_binary_eval(OpContext& ctx, BinaryOp op, kernels::Activation act, bool pot) {
  // Parameters were validated by the shape rule; read them without the int16
  // zero-point restriction (SUB's general path allows any).
  TFC_ASSIGN_OR_RETURN(const kernels::QParams qa, int_qparams(ctx, ctx.input_tensor(0), false));
  TFC_ASSIGN_OR_RETURN(const kernels::QParams qb, int_qparams(ctx, ctx.input_tensor(1), false));
  TFC_ASSIGN_OR_RETURN(const kernels::QParams qo, int_qparams(ctx, ctx.output_tensor(0), false));
  visit(IntTypes{}, ctx.input_dtype(0), [&](auto tag) {
    using V = decltype(tag);
    const V* a = ctx.input<V>(0);
    const V* b = ctx.input<V>(1);
    V* out = ctx.output<V>(0);
    switch (op) {
      case BinaryOp::kAdd:
      case BinaryOp::kSub:
        kernels::add_sub<V>(op == BinaryOp::kSub, a, ctx.input_shape(0), qa, b, ctx.input_shape(1), qb, qo, act, pot,
                            ctx.arithmetic(), out, ctx.output_shape(0));
        break;
      case BinaryOp::kMul:
        kernels::mul<V>(a, ctx.input_shape(0), qa, b, ctx.input_shape(1), qb, qo, act, out, ctx.output_shape(0));
        break;
      case BinaryOp::kMaximum:
      case BinaryOp::kMinimum:
        kernels::max_min<V>(op == BinaryOp::kMaximum, a, ctx.input_shape(0), b, ctx.input_shape(1), out,
                            ctx.output_shape(0));
        break;
      default: break;
    }
  });
  return Status::ok();
}

Status binary_eval(OpContext& ctx, BinaryOp op, kernels::Activation act) {
  if (ctx.input_dtype(0) == DType::kInt32) {
    kernels::binary(op, ctx.input<int32_t>(0), ctx.input_shape(0), ctx.input<int32_t>(1), ctx.input_shape(1), act,
                    ctx.output<int32_t>(0), ctx.output_shape(0));
  } else {
    kernels::binary(op, ctx.input<float>(0), ctx.input_shape(0), ctx.input<float>(1), ctx.input_shape(1), act,
                    ctx.output<float>(0), ctx.output_shape(0));
  }
  return Status::ok();
}

template <typename T>
Status arithmetic_eval(OpContext& ctx, BinaryOp op) {
  const kernels::Activation act = to_activation(options_or_default<T>(ctx).fused_activation_function);
  if (is_quantized_int(ctx.input_dtype(0))) return int_binary_eval(ctx, op, act, pot_scale_int16<T>(ctx));
  return binary_eval(ctx, op, act);
}

// ---- Unary float ops ----------------------------------------------------------

// One float32 input, float32 output of the same shape.
Status unary_shape_rule(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 1, 1, 1));
  TFC_RETURN_IF_ERROR(require_dtype(ctx, 0, {DType::kFloat32}));
  TFC_RETURN_IF_ERROR(check_output_dtype(ctx, 0, DType::kFloat32));
  ctx.set_output_shape(0, ctx.input_shape(0));
  return Status::ok();
}

Status unary_eval(OpContext& ctx, UnaryOp op) {
  kernels::unary(op, ctx.input<float>(0), ctx.output<float>(0), ir::num_elements(ctx.input_shape(0)));
  return Status::ok();
}

// SOFTMAX / LOG_SOFTMAX: a unary op on rank >= 1 (rows along the last axis).
Status last_axis_shape_rule(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(unary_shape_rule(ctx));
  if (ctx.input_shape(0).empty()) {
    return ctx.error("input '{}' is a scalar; expected rank >= 1 (the op runs over the last axis)",
                     ctx.input_tensor(0).name);
  }
  return Status::ok();
}

// (outer, depth) view of the input for the last-axis kernels.
int64_t outer_size(const ir::Shape& s) { return s.back() == 0 ? 0 : ir::num_elements(s) / s.back(); }

// ---- QUANTIZE / DEQUANTIZE ------------------------------------------------------

// Zero points converted to int32, each within [lo, hi] of the integer type.
Expected<std::vector<int32_t>> zero_points(const OpContext& ctx, const ir::Tensor& t, int64_t lo, int64_t hi) {
  std::vector<int32_t> out;
  for (int64_t z : t.quantization->zero_point) {
    if (z < lo || z > hi) {
      return ctx.error("tensor '{}' ({}) has zero point {}, outside [{}, {}]", t.name, dtype_name(t.dtype), z, lo,
                       hi);
    }
    out.push_back(static_cast<int32_t>(z));
  }
  return out;
}

// Where a zero point of integer dtype t may lie: the type's range, except
// that int16 quantization is symmetric (LiteRT's QUANTIZE and DEQUANTIZE
// require zero point 0).
std::pair<int64_t, int64_t> zero_point_range(DType t) {
  switch (t) {
    case DType::kInt8: return {std::numeric_limits<int8_t>::min(), std::numeric_limits<int8_t>::max()};
    case DType::kUInt8: return {std::numeric_limits<uint8_t>::min(), std::numeric_limits<uint8_t>::max()};
    default: return {0, 0};
  }
}

Status check_scales(const OpContext& ctx, const ir::Tensor& t) {
  for (float s : t.quantization->scale) {
    if (!(s > 0.0f) || !std::isfinite(s)) {
      return ctx.error("tensor '{}' ({}) has quantization scale {}, expected a positive finite value", t.name,
                       dtype_name(t.dtype), s);
    }
  }
  return Status::ok();
}

// Per-tensor or per-channel (along quantization axis) parameters of the
// quantized tensor t of shape `shape`.
Status check_dequantize_params(const OpContext& ctx, const ir::Tensor& t, const ir::Shape& shape) {
  if (!t.is_quantized()) return ctx.error("input '{}' ({}) has no quantization scale", t.name, dtype_name(t.dtype));
  const ir::Quantization& q = *t.quantization;
  if (q.zero_point.size() != q.scale.size()) {
    return ctx.error("input '{}' has {} scales but {} zero points", t.name, q.scale.size(), q.zero_point.size());
  }
  TFC_RETURN_IF_ERROR(check_scales(ctx, t));
  if (q.scale.size() == 1) return Status::ok();
  if (q.axis < 0 || static_cast<size_t>(q.axis) >= shape.size()) {
    return ctx.error("input '{}' is quantized per channel along axis {}, outside its rank {}", t.name, q.axis,
                     shape.size());
  }
  if (static_cast<int64_t>(q.scale.size()) != shape[q.axis]) {
    return ctx.error("input '{}' has {} scales, but its dim {} (quantization axis) is {}", t.name, q.scale.size(),
                     q.axis, shape[q.axis]);
  }
  return Status::ok();
}

template <typename Q>
Status quantize_to(OpContext& ctx) {
  const ir::Quantization& q = *ctx.output_tensor(0).quantization;
  kernels::quantize(ctx.input<float>(0), ir::num_elements(ctx.input_shape(0)), q.scale[0],
                    static_cast<int32_t>(q.zero_point[0]), ctx.output<Q>(0));
  return Status::ok();
}

template <typename Q>
Status dequantize_from(OpContext& ctx) {
  const ir::Tensor& t = ctx.input_tensor(0);
  const auto [lo, hi] = zero_point_range(t.dtype);
  TFC_ASSIGN_OR_RETURN(const std::vector<int32_t> zp, zero_points(ctx, t, lo, hi));
  kernels::dequantize(ctx.input<Q>(0), ctx.input_shape(0), t.quantization->scale, zp, t.quantization->axis,
                      ctx.output<float>(0));
  return Status::ok();
}

// ---- DENSIFY ---------------------------------------------------------------------

}  // namespace

// ---- ADD, SUB, MUL, DIV -------------------------------------------------------

Status add_shape(OpContext& ctx) { return arithmetic_shape<tflite::AddOptionsT>(ctx, BinaryOp::kAdd, true, true); }
Status add_eval(OpContext& ctx) { return arithmetic_eval<tflite::AddOptionsT>(ctx, BinaryOp::kAdd); }
Status sub_shape(OpContext& ctx) { return arithmetic_shape<tflite::SubOptionsT>(ctx, BinaryOp::kSub, true, true); }
Status sub_eval(OpContext& ctx) { return arithmetic_eval<tflite::SubOptionsT>(ctx, BinaryOp::kSub); }
Status mul_shape(OpContext& ctx) { return arithmetic_shape<tflite::MulOptionsT>(ctx, BinaryOp::kMul, true, true); }
Status mul_eval(OpContext& ctx) { return arithmetic_eval<tflite::MulOptionsT>(ctx, BinaryOp::kMul); }
Status div_shape(OpContext& ctx) { return arithmetic_shape<tflite::DivOptionsT>(ctx, BinaryOp::kDiv, false, false); }
Status div_eval(OpContext& ctx) { return arithmetic_eval<tflite::DivOptionsT>(ctx, BinaryOp::kDiv); }

// ---- MAXIMUM, MINIMUM, SQUARED_DIFFERENCE, PRELU ------------------------------------

namespace {

// MAXIMUM / MINIMUM compare raw values: quantized inputs and output must share
// one scale and zero point (LiteRT's kernel does not rescale).
Status max_min_shape(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(
      broadcast_shape_rule(ctx, {DType::kFloat32, DType::kInt8, DType::kUInt8, DType::kInt16}));
  if (!is_quantized_int(ctx.input_dtype(0))) return Status::ok();
  for (int i = 0; i < 2; ++i) TFC_RETURN_IF_ERROR(int_qparams(ctx, ctx.input_tensor(i), false).status());
  TFC_RETURN_IF_ERROR(int_qparams(ctx, ctx.output_tensor(0), false).status());
  TFC_RETURN_IF_ERROR(require_same_quantization(ctx, ctx.input_tensor(0), ctx.output_tensor(0)));
  return require_same_quantization(ctx, ctx.input_tensor(1), ctx.output_tensor(0));
}
Status max_min_eval(OpContext& ctx, BinaryOp op) {
  if (is_quantized_int(ctx.input_dtype(0))) return int_binary_eval(ctx, op, kernels::Activation::kNone, false);
  return binary_eval(ctx, op, kernels::Activation::kNone);
}

}  // namespace

Status maximum_shape(OpContext& ctx) { return max_min_shape(ctx); }
Status maximum_eval(OpContext& ctx) { return max_min_eval(ctx, BinaryOp::kMaximum); }
Status minimum_shape(OpContext& ctx) { return max_min_shape(ctx); }
Status minimum_eval(OpContext& ctx) { return max_min_eval(ctx, BinaryOp::kMinimum); }
Status squared_difference_shape(OpContext& ctx) { return broadcast_shape_rule(ctx, {DType::kFloat32}); }
Status squared_difference_eval(OpContext& ctx) {
  return binary_eval(ctx, BinaryOp::kSquaredDifference, kernels::Activation::kNone);
}

// PRELU: input 0 is x, input 1 alpha, which must broadcast into x's shape
// (LiteRT keeps the output at the input's shape). float32, or int8 / uint8
// with every tensor quantized per tensor.
Status prelu_shape(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(broadcast_shape_rule(ctx, {DType::kFloat32, DType::kInt8, DType::kUInt8}));
  if (ctx.output_shape(0) != ctx.input_shape(0)) {
    return ctx.error("alpha '{}' of shape {} does not broadcast into the input's shape {}", ctx.input_tensor(1).name,
                     shape_str(ctx.input_shape(1)), shape_str(ctx.input_shape(0)));
  }
  if (ctx.input_dtype(0) == DType::kFloat32) return Status::ok();
  for (int i = 0; i < 2; ++i) TFC_RETURN_IF_ERROR(int_qparams(ctx, ctx.input_tensor(i), true).status());
  return int_qparams(ctx, ctx.output_tensor(0), true).status();
}
Status prelu_eval(OpContext& ctx) {
  if (ctx.input_dtype(0) != DType::kFloat32) {
    TFC_ASSIGN_OR_RETURN(const kernels::QParams qx, int_qparams(ctx, ctx.input_tensor(0), true));
    TFC_ASSIGN_OR_RETURN(const kernels::QParams qa, int_qparams(ctx, ctx.input_tensor(1), true));
    TFC_ASSIGN_OR_RETURN(const kernels::QParams qo, int_qparams(ctx, ctx.output_tensor(0), true));
    visit(Types<int8_t, uint8_t>{}, ctx.input_dtype(0), [&](auto tag) {
      using V = decltype(tag);
      kernels::prelu<V>(ctx.input<V>(0), ctx.input_shape(0), qx, ctx.input<V>(1), ctx.input_shape(1), qa, qo,
                        ctx.output<V>(0), ctx.output_shape(0));
    });
    return Status::ok();
  }
  kernels::prelu(ctx.input<float>(0), ctx.input_shape(0), ctx.input<float>(1), ctx.input_shape(1),
                 ctx.output<float>(0), ctx.output_shape(0));
  return Status::ok();
}

namespace {

// ---- Quantized unary ops ----------------------------------------------------------

// A fixed output quantization an op requires (LOGISTIC, TANH, SOFTMAX).
struct FixedOutput {
  float scale;
  int32_t zero_point;
};

Status check_fixed_output(const OpContext& ctx, kernels::QParams qo, FixedOutput f) {
  if (std::abs(qo.scale - f.scale) <= 0.001f * f.scale && qo.zero_point == f.zero_point) return Status::ok();
  return ctx.error("output '{}' ({}) is quantized with scale {} and zero point {}; {} needs scale {} and zero point {}",
                   ctx.output_tensor(0).name, dtype_name(ctx.output_dtype(0)), qo.scale, qo.zero_point,
                   ctx.op_name(), f.scale, f.zero_point);
}

// One quantized input of `dtypes`, output of the same dtype and shape, both
// quantized per tensor (int16 symmetric); `fixed` when the op requires a
// fixed output quantization for the output's dtype.
Status int_unary_shape(OpContext& ctx, std::initializer_list<DType> dtypes, FixedOutput (*fixed)(DType) = nullptr) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 1, 1, 1));
  TFC_RETURN_IF_ERROR(require_dtype(ctx, 0, dtypes));
  TFC_RETURN_IF_ERROR(check_output_dtype(ctx, 0, ctx.input_dtype(0)));
  TFC_RETURN_IF_ERROR(int_qparams(ctx, ctx.input_tensor(0), true).status());
  TFC_ASSIGN_OR_RETURN(const kernels::QParams qo, int_qparams(ctx, ctx.output_tensor(0), true));
  if (fixed) TFC_RETURN_IF_ERROR(check_fixed_output(ctx, qo, fixed(ctx.output_dtype(0))));
  ctx.set_output_shape(0, ctx.input_shape(0));
  return Status::ok();
}

FixedOutput logistic_output(DType t) {
  switch (t) {
    case DType::kInt8: return {1.0f / 256, -128};
    case DType::kUInt8: return {1.0f / 256, 0};
    default: return {1.0f / 32768, 0};
  }
}
FixedOutput tanh_output(DType t) {
  switch (t) {
    case DType::kInt8: return {1.0f / 128, 0};
    case DType::kUInt8: return {1.0f / 128, 128};
    default: return {1.0f / 32768, 0};
  }
}

Status int_unary_lut_eval(OpContext& ctx, kernels::IntUnary f) {
  TFC_ASSIGN_OR_RETURN(const kernels::QParams qi, int_qparams(ctx, ctx.input_tensor(0), true));
  TFC_ASSIGN_OR_RETURN(const kernels::QParams qo, int_qparams(ctx, ctx.output_tensor(0), true));
  visit(IntTypes{}, ctx.input_dtype(0), [&](auto tag) {
    using V = decltype(tag);
    kernels::unary_lut<V>(f, ctx.input<V>(0), ir::num_elements(ctx.input_shape(0)), qi, qo, ctx.output<V>(0));
  });
  return Status::ok();
}

// RELU, RELU6, RELU_N1_TO_1: rescale and clamp to [lo, hi] (real values).
Status int_relu_eval(OpContext& ctx, float lo, float hi) {
  TFC_ASSIGN_OR_RETURN(const kernels::QParams qi, int_qparams(ctx, ctx.input_tensor(0), true));
  TFC_ASSIGN_OR_RETURN(const kernels::QParams qo, int_qparams(ctx, ctx.output_tensor(0), true));
  visit(IntTypes{}, ctx.input_dtype(0), [&](auto tag) {
    using V = decltype(tag);
    kernels::relu_x<V>(ctx.input<V>(0), ir::num_elements(ctx.input_shape(0)), qi, qo, lo, hi, ctx.output<V>(0));
  });
  return Status::ok();
}

// Float ops keep their float rule; integer ones go through int_unary_shape.
Status unary_or_int_shape(OpContext& ctx, std::initializer_list<DType> int_dtypes,
                          FixedOutput (*fixed)(DType) = nullptr) {
  if (ctx.num_inputs() == 1 && ctx.has_input(0) && is_quantized_int(ctx.input_dtype(0))) {
    return int_unary_shape(ctx, int_dtypes, fixed);
  }
  return unary_shape_rule(ctx);
}

constexpr float kInf = std::numeric_limits<float>::infinity();

}  // namespace

// ---- Unary activations and math ------------------------------------------------

Status logistic_shape(OpContext& ctx) {
  return unary_or_int_shape(ctx, {DType::kInt8, DType::kUInt8, DType::kInt16}, logistic_output);
}
Status logistic_eval(OpContext& ctx) {
  if (is_quantized_int(ctx.input_dtype(0))) return int_unary_lut_eval(ctx, kernels::IntUnary::kLogistic);
  return unary_eval(ctx, UnaryOp::kLogistic);
}
Status tanh_shape(OpContext& ctx) {
  return unary_or_int_shape(ctx, {DType::kInt8, DType::kUInt8, DType::kInt16}, tanh_output);
}
Status tanh_eval(OpContext& ctx) {
  if (is_quantized_int(ctx.input_dtype(0))) return int_unary_lut_eval(ctx, kernels::IntUnary::kTanh);
  return unary_eval(ctx, UnaryOp::kTanh);
}
Status relu_shape(OpContext& ctx) { return unary_or_int_shape(ctx, {DType::kInt8, DType::kUInt8, DType::kInt16}); }
Status relu_eval(OpContext& ctx) {
  if (is_quantized_int(ctx.input_dtype(0))) return int_relu_eval(ctx, 0.0f, kInf);
  return unary_eval(ctx, UnaryOp::kRelu);
}
Status relu6_shape(OpContext& ctx) { return unary_or_int_shape(ctx, {DType::kInt8, DType::kUInt8, DType::kInt16}); }
Status relu6_eval(OpContext& ctx) {
  if (is_quantized_int(ctx.input_dtype(0))) return int_relu_eval(ctx, 0.0f, 6.0f);
  return unary_eval(ctx, UnaryOp::kRelu6);
}
Status relu_n1_to_1_shape(OpContext& ctx) { return unary_or_int_shape(ctx, {DType::kInt8, DType::kUInt8}); }
Status relu_n1_to_1_eval(OpContext& ctx) {
  if (is_quantized_int(ctx.input_dtype(0))) return int_relu_eval(ctx, -1.0f, 1.0f);
  return unary_eval(ctx, UnaryOp::kReluN1To1);
}
// HARD_SWISH int8 / uint8: LiteRT's fixed-point kernel, which needs the
// output scale at least about in.scale / 128.
Status hard_swish_shape(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(unary_or_int_shape(ctx, {DType::kInt8, DType::kUInt8}));
  if (!is_quantized_int(ctx.input_dtype(0))) return Status::ok();
  TFC_ASSIGN_OR_RETURN(const kernels::QParams qi, int_qparams(ctx, ctx.input_tensor(0), true));
  TFC_ASSIGN_OR_RETURN(const kernels::QParams qo, int_qparams(ctx, ctx.output_tensor(0), true));
  const float m = (1.0f / 128.0f) * qi.scale / qo.scale;
  if (kernels::quantize_multiplier(static_cast<double>(m)).shift > 0) {
    return ctx.error("input scale {} and output scale {}: the output multiplier in.scale / (128 out.scale) must be "
                     "below 1",
                     qi.scale, qo.scale);
  }
  return Status::ok();
}
Status hard_swish_eval(OpContext& ctx) {
  if (is_quantized_int(ctx.input_dtype(0))) {
    TFC_ASSIGN_OR_RETURN(const kernels::QParams qi, int_qparams(ctx, ctx.input_tensor(0), true));
    TFC_ASSIGN_OR_RETURN(const kernels::QParams qo, int_qparams(ctx, ctx.output_tensor(0), true));
    visit(Types<int8_t, uint8_t>{}, ctx.input_dtype(0), [&](auto tag) {
      using V = decltype(tag);
      kernels::hard_swish<V>(ctx.input<V>(0), ir::num_elements(ctx.input_shape(0)), qi, qo, ctx.output<V>(0));
    });
    return Status::ok();
  }
  return unary_eval(ctx, UnaryOp::kHardSwish);
}
Status exp_shape(OpContext& ctx) { return unary_or_int_shape(ctx, {DType::kInt8, DType::kUInt8}); }
Status exp_eval(OpContext& ctx) {
  if (is_quantized_int(ctx.input_dtype(0))) return int_unary_lut_eval(ctx, kernels::IntUnary::kExp);
  return unary_eval(ctx, UnaryOp::kExp);
}
Status sqrt_shape(OpContext& ctx) { return unary_shape_rule(ctx); }
Status sqrt_eval(OpContext& ctx) { return unary_eval(ctx, UnaryOp::kSqrt); }
Status rsqrt_shape(OpContext& ctx) { return unary_shape_rule(ctx); }
Status rsqrt_eval(OpContext& ctx) { return unary_eval(ctx, UnaryOp::kRsqrt); }

// GELU: GeluOptions.approximate picks the tanh approximation (default: exact).
Status gelu_shape(OpContext& ctx) { return unary_or_int_shape(ctx, {DType::kInt8, DType::kUInt8}); }
Status gelu_eval(OpContext& ctx) {
  const bool approximate = options_or_default<tflite::GeluOptionsT>(ctx).approximate;
  if (is_quantized_int(ctx.input_dtype(0))) {
    return int_unary_lut_eval(ctx, approximate ? kernels::IntUnary::kGeluApproximate : kernels::IntUnary::kGelu);
  }
  return unary_eval(ctx, approximate ? UnaryOp::kGeluApproximate : UnaryOp::kGelu);
}

// LEAKY_RELU: LeakyReluOptions.alpha (default 0).
Status leaky_relu_shape(OpContext& ctx) {
  return unary_or_int_shape(ctx, {DType::kInt8, DType::kUInt8, DType::kInt16});
}
Status leaky_relu_eval(OpContext& ctx) {
  const float alpha = options_or_default<tflite::LeakyReluOptionsT>(ctx).alpha;
  if (is_quantized_int(ctx.input_dtype(0))) {
    TFC_ASSIGN_OR_RETURN(const kernels::QParams qi, int_qparams(ctx, ctx.input_tensor(0), true));
    TFC_ASSIGN_OR_RETURN(const kernels::QParams qo, int_qparams(ctx, ctx.output_tensor(0), true));
    visit(IntTypes{}, ctx.input_dtype(0), [&](auto tag) {
      using V = decltype(tag);
      kernels::leaky_relu<V>(ctx.input<V>(0), ir::num_elements(ctx.input_shape(0)), qi, qo, alpha,
                             ctx.output<V>(0));
    });
    return Status::ok();
  }
  kernels::leaky_relu(ctx.input<float>(0), alpha, ctx.output<float>(0), ir::num_elements(ctx.input_shape(0)));
  return Status::ok();
}

// ---- SOFTMAX, LOG_SOFTMAX ---------------------------------------------------------

// SOFTMAX: SoftmaxOptions.beta; without options LiteRT runs with beta 0
// (its zero-filled params), which the schema default reproduces. Quantized:
// int8 -> int8 (output 1/256, zero point -128), int8 -> int16 (1/65536,
// -32768), uint8 -> uint8 (1/256, 0), int16 -> int16 (1/32768, 0), as
// LiteRT's Prepare requires.
Status softmax_shape(OpContext& ctx) {
  if (ctx.num_inputs() != 1 || !ctx.has_input(0) || !is_quantized_int(ctx.input_dtype(0))) {
    return last_axis_shape_rule(ctx);
  }
  TFC_RETURN_IF_ERROR(check_arity(ctx, 1, 1, 1));
  const DType in = ctx.input_dtype(0), out = ctx.output_dtype(0);
  const bool ok_pair = (in == DType::kInt8 && (out == DType::kInt8 || out == DType::kInt16)) ||
                       (in == DType::kUInt8 && out == DType::kUInt8) || (in == DType::kInt16 && out == DType::kInt16);
  if (!ok_pair) {
    return unsupported("{}: {} input with {} output is not supported (int8 -> int8 / int16, uint8 -> uint8, "
                       "int16 -> int16)",
                       ctx.op_name(), dtype_name(in), dtype_name(out));
  }
  if (ctx.input_shape(0).empty()) {
    return ctx.error("input '{}' is a scalar; expected rank >= 1 (the op runs over the last axis)",
                     ctx.input_tensor(0).name);
  }
  TFC_RETURN_IF_ERROR(int_qparams(ctx, ctx.input_tensor(0), true).status());
  TFC_ASSIGN_OR_RETURN(const kernels::QParams qo, int_qparams(ctx, ctx.output_tensor(0), false));
  FixedOutput f{1.0f / 256, in == DType::kUInt8 ? 0 : -128};
  if (out == DType::kInt16) f = in == DType::kInt8 ? FixedOutput{1.0f / 65536, -32768} : FixedOutput{1.0f / 32768, 0};
  TFC_RETURN_IF_ERROR(check_fixed_output(ctx, qo, f));
  ctx.set_output_shape(0, ctx.input_shape(0));
  return Status::ok();
}
Status softmax_eval(OpContext& ctx) {
  const ir::Shape& s = ctx.input_shape(0);
  const float beta = options_or_default<tflite::SoftmaxOptionsT>(ctx).beta;
  if (is_quantized_int(ctx.input_dtype(0))) {
    TFC_ASSIGN_OR_RETURN(const kernels::QParams qi, int_qparams(ctx, ctx.input_tensor(0), true));
    TFC_ASSIGN_OR_RETURN(const kernels::QParams qo, int_qparams(ctx, ctx.output_tensor(0), false));
    visit(IntTypes{}, ctx.input_dtype(0), [&](auto in_tag) {
      using In = decltype(in_tag);
      visit(IntTypes{}, ctx.output_dtype(0), [&](auto out_tag) {
        using Out = decltype(out_tag);
        kernels::softmax<In, Out>(ctx.input<In>(0), outer_size(s), s.back(), qi, beta, qo, ctx.output<Out>(0));
      });
    });
    return Status::ok();
  }
  kernels::softmax(ctx.input<float>(0), outer_size(s), s.back(), beta, ctx.output<float>(0));
  return Status::ok();
}

Status log_softmax_shape(OpContext& ctx) { return last_axis_shape_rule(ctx); }
Status log_softmax_eval(OpContext& ctx) {
  const ir::Shape& s = ctx.input_shape(0);
  kernels::log_softmax(ctx.input<float>(0), outer_size(s), s.back(), ctx.output<float>(0));
  return Status::ok();
}

// ---- QUANTIZE, DEQUANTIZE ----------------------------------------------------------

// QUANTIZE: int8 / uint8 / int16 -> int8 / uint8 / int16 (requantize), or
// float32 -> int8 / uint8 / int16 with the output tensor's single
// scale and zero point (int16: zero point 0), as LiteRT's Prepare requires.
Status quantize_shape(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 1, 1, 1));
  const ir::Tensor& out = ctx.output_tensor(0);
  if (is_quantized_int(ctx.input_dtype(0))) {
    // Requantize between integer types (LiteRT's Requantize); int16 symmetric.
    if (!is_quantized_int(out.dtype)) {
      return unsupported("{}: output '{}' has dtype {}; a {} input requantizes to int8, uint8 or int16",
                         ctx.op_name(), out.name, dtype_name(out.dtype), dtype_name(ctx.input_dtype(0)));
    }
    TFC_RETURN_IF_ERROR(int_qparams(ctx, ctx.input_tensor(0), true).status());
    TFC_RETURN_IF_ERROR(int_qparams(ctx, out, true).status());
    ctx.set_output_shape(0, ctx.input_shape(0));
    return Status::ok();
  }
  if (ctx.input_dtype(0) != DType::kFloat32) {
    return unsupported("{}: input 0 ('{}') has dtype {}; expected float32, int8, uint8 or int16", ctx.op_name(),
                       ctx.input_tensor(0).name, dtype_name(ctx.input_dtype(0)));
  }
  if (!is_one_of(out.dtype, {DType::kInt8, DType::kUInt8, DType::kInt16})) {
    return unsupported("{}: output '{}' has dtype {}; expected int8, uint8 or int16", ctx.op_name(), out.name,
                       dtype_name(out.dtype));
  }
  if (!out.is_quantized() || out.quantization->scale.size() != 1 || out.quantization->zero_point.size() != 1) {
    return ctx.error("output '{}' ({}) needs exactly one scale and zero point (per-tensor quantization)", out.name,
                     dtype_name(out.dtype));
  }
  TFC_RETURN_IF_ERROR(check_scales(ctx, out));
  const auto [lo, hi] = zero_point_range(out.dtype);
  TFC_RETURN_IF_ERROR(zero_points(ctx, out, lo, hi).status());
  ctx.set_output_shape(0, ctx.input_shape(0));
  return Status::ok();
}

Status quantize_eval(OpContext& ctx) {
  if (is_quantized_int(ctx.input_dtype(0))) {
    TFC_ASSIGN_OR_RETURN(const kernels::QParams qi, int_qparams(ctx, ctx.input_tensor(0), true));
    TFC_ASSIGN_OR_RETURN(const kernels::QParams qo, int_qparams(ctx, ctx.output_tensor(0), true));
    visit(IntTypes{}, ctx.input_dtype(0), [&](auto in_tag) {
      using In = decltype(in_tag);
      visit(IntTypes{}, ctx.output_dtype(0), [&](auto out_tag) {
        using Out = decltype(out_tag);
        kernels::requantize<In, Out>(ctx.input<In>(0), ir::num_elements(ctx.input_shape(0)), qi, qo,
                                     ctx.output<Out>(0));
      });
    });
    return Status::ok();
  }
  switch (ctx.output_dtype(0)) {
    case DType::kInt8: return quantize_to<int8_t>(ctx);
    case DType::kUInt8: return quantize_to<uint8_t>(ctx);
    default: return quantize_to<int16_t>(ctx);
  }
}

// DEQUANTIZE: float16 -> float32 (exact), or int8 / uint8 / int16 -> float32
// per tensor or per channel along the input's quantization axis.
Status dequantize_shape(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 1, 1, 1));
  const DType t = ctx.input_dtype(0);
  TFC_RETURN_IF_ERROR(require_dtype(ctx, 0, {DType::kFloat16, DType::kInt8, DType::kUInt8, DType::kInt16}));
  TFC_RETURN_IF_ERROR(check_output_dtype(ctx, 0, DType::kFloat32));
  if (t != DType::kFloat16) {
    const ir::Tensor& in = ctx.input_tensor(0);
    TFC_RETURN_IF_ERROR(check_dequantize_params(ctx, in, ctx.input_shape(0)));
    const auto [lo, hi] = zero_point_range(t);
    TFC_RETURN_IF_ERROR(zero_points(ctx, in, lo, hi).status());
  }
  ctx.set_output_shape(0, ctx.input_shape(0));
  return Status::ok();
}

Status dequantize_eval(OpContext& ctx) {
  switch (ctx.input_dtype(0)) {
    case DType::kFloat16:
      kernels::dequantize_f16(ctx.input<uint16_t>(0), ir::num_elements(ctx.input_shape(0)), ctx.output<float>(0));
      return Status::ok();
    case DType::kInt8: return dequantize_from<int8_t>(ctx);
    case DType::kUInt8: return dequantize_from<uint8_t>(ctx);
    default: return dequantize_from<int16_t>(ctx);
  }
}

// ---- DENSIFY ---------------------------------------------------------------------

// DENSIFY: a sparse constant (float32, float16 or int8) -> its dense tensor of
// the same dtype and shape (the tensor's shape is the dense one).
Status densify_shape(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 1, 1, 1));
  const DType t = ctx.input_dtype(0);
  TFC_RETURN_IF_ERROR(require_dtype(ctx, 0, {DType::kFloat32, DType::kFloat16, DType::kInt8}));
  TFC_RETURN_IF_ERROR(check_output_dtype(ctx, 0, t));
  const ir::Tensor& in = ctx.input_tensor(0);
  if (!in.sparsity) return ctx.error("input '{}' ({}) carries no sparsity parameters", in.name, dtype_name(t));
  TFC_ASSIGN_OR_RETURN(const kernels::SparseFormat format, ir::sparse_format_of(in));
  const Expected<int64_t> count = kernels::sparse_value_count(format, ctx.input_shape(0));
  if (!count) return ctx.error("input '{}' has invalid sparsity: {}", in.name, count.status().message());
  ctx.set_output_shape(0, ctx.input_shape(0));
  return Status::ok();
}

Status densify_eval(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const kernels::SparseFormat format, ir::sparse_format_of(ctx.input_tensor(0)));
  kernels::densify(format, ctx.input_shape(0), ctx.input_data(0), dtype_size(ctx.input_dtype(0)),
                   ctx.output_data(0));
  return Status::ok();
}

}  // namespace tfc::ops
