// Shape rules and evaluation of the math ops: ARG_MAX / ARG_MIN, REDUCE_MAX /
// MIN / PROD, unary math (ABS, NEG, SQUARE, LOG, FLOOR, CEIL, ROUND, SIGN,
// SIN, COS, ELU), POW, FLOOR_DIV, FLOOR_MOD, ADD_N, L2_NORMALIZATION, CUMSUM
// and TOPK_V2. Each _shape checks what LiteRT's Prepare checks and sizes the
// outputs; each _eval runs the kernel in kernels/math_ref.h. Integer dtypes
// where LiteRT's kernel takes them; quantized tensors only where raw values
// give the same answer (REDUCE_MAX / MIN, ARG_MAX / MIN). Not here:
// requantizing arithmetic.
#include <cstdint>
#include <initializer_list>
#include <type_traits>
#include <vector>

#include "kernels/math_ref.h"
#include "ops/op_util.h"
#include "ops/registry.h"

namespace tfc::ops {
namespace {

using kernels::MathBinaryOp;
using kernels::MathUnaryOp;
constexpr DType kF32 = DType::kFloat32;

// ---- ARG_MAX / ARG_MIN -------------------------------------------------------------

using ArgTypes = Types<float, uint8_t, int8_t, int16_t, int32_t>;

// Returns the normalized axis; Options is ArgMaxOptionsT or ArgMinOptionsT.
template <typename Options>
Expected<int> resolve_arg(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 2, 2, 1));
  TFC_RETURN_IF_ERROR(
      require_dtype(ctx, 0, {DType::kFloat32, DType::kUInt8, DType::kInt8, DType::kInt16, DType::kInt32}));
  const DType out = ctx.output_dtype(0);
  if (out != DType::kInt32 && out != DType::kInt64) {
    return ctx.error("output has dtype {}; output_type must be int32 or int64", dtype_name(out));
  }
  const Options* o = ctx.op().options_as<Options>();
  if (o != nullptr && static_cast<int>(o->output_type) != static_cast<int>(out)) {
    return ctx.error("output_type {} does not match the output dtype {}", tflite::EnumNameTensorType(o->output_type),
                     dtype_name(out));
  }
  if (ctx.input_shape(0).empty()) return ctx.error("the input must have rank >= 1");
  TFC_ASSIGN_OR_RETURN(const int64_t axis, int_scalar(ctx, 1));
  return resolve_axis(ctx, axis, ctx.input_shape(0).size());
}

template <typename Options>
Status arg_shape(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const int axis, resolve_arg<Options>(ctx));
  ir::Shape out = ctx.input_shape(0);
  out.erase(out.begin() + axis);
  ctx.set_output_shape(0, std::move(out));
  return Status::ok();
}

template <typename Options>
Status arg_eval(OpContext& ctx, bool is_max) {
  TFC_ASSIGN_OR_RETURN(const int axis, resolve_arg<Options>(ctx));
  visit(ArgTypes{}, ctx.input_dtype(0), [&](auto tag) {
    using T = decltype(tag);
    if (ctx.output_dtype(0) == DType::kInt32) {
      kernels::arg_min_max(ctx.input<T>(0), ctx.input_shape(0), axis, is_max, ctx.output<int32_t>(0));
    } else {
      kernels::arg_min_max(ctx.input<T>(0), ctx.input_shape(0), axis, is_max, ctx.output<int64_t>(0));
    }
  });
  return Status::ok();
}

// ---- REDUCE_MAX / REDUCE_MIN / REDUCE_PROD --------------------------------------------

using ReduceTypes = Types<float, int8_t, uint8_t, int16_t, int32_t, int64_t>;

// LiteRT's reducer rule (resolve_reduction_axes). MAX / MIN on quantized
// tensors need the output quantized as the input; PROD takes float32, int32
// and int64 only.
Expected<Reduction> resolve_reduction(OpContext& ctx, kernels::ReduceOp op) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 2, 2, 1));
  if (op == kernels::ReduceOp::kProd) {
    TFC_RETURN_IF_ERROR(require_dtype(ctx, 0, {DType::kFloat32, DType::kInt32, DType::kInt64}));
    if (ctx.input_tensor(0).is_quantized()) return ctx.unsupported_dtype(0);
  } else {
    TFC_RETURN_IF_ERROR(require_dtype(
        ctx, 0, {DType::kFloat32, DType::kInt8, DType::kUInt8, DType::kInt16, DType::kInt32, DType::kInt64}));
    TFC_RETURN_IF_ERROR(require_same_quantization(ctx, ctx.input_tensor(0), ctx.output_tensor(0)));
  }
  TFC_RETURN_IF_ERROR(check_outputs_match(ctx, 0));
  return resolve_reduction_axes(ctx);
}

Status reduce_shape_impl(OpContext& ctx, kernels::ReduceOp op) {
  TFC_ASSIGN_OR_RETURN(Reduction r, resolve_reduction(ctx, op));
  ctx.set_output_shape(0, r.out_shape(ctx));
  return Status::ok();
}

Status reduce_eval_impl(OpContext& ctx, kernels::ReduceOp op) {
  TFC_ASSIGN_OR_RETURN(const Reduction r, resolve_reduction(ctx, op));
  visit(ReduceTypes{}, ctx.input_dtype(0), [&](auto tag) {
    using T = decltype(tag);
    kernels::reduce(op, ctx.input<T>(0), ctx.input_shape(0), r.axes, ctx.output<T>(0));
  });
  return Status::ok();
}

// ---- Unary and binary math ---------------------------------------------------------

using MathTypes = Types<float, int32_t, int64_t, int16_t, int8_t>;

// One unquantized input of a dtype in `types`; output of its dtype and shape.
Status math_unary_shape(OpContext& ctx, std::initializer_list<DType> types) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 1, 1, 1));
  TFC_RETURN_IF_ERROR(require_dtype(ctx, 0, types));
  if (ctx.input_tensor(0).is_quantized()) return ctx.unsupported_dtype(0);
  TFC_RETURN_IF_ERROR(check_outputs_match(ctx, 0));
  ctx.set_output_shape(0, ctx.input_shape(0));
  return Status::ok();
}

Status math_unary_eval(OpContext& ctx, kernels::MathUnaryOp op) {
  visit(Types<float, int32_t, int64_t>{}, ctx.input_dtype(0), [&](auto tag) {
    using T = decltype(tag);
    kernels::math_unary(op, ctx.input<T>(0), ctx.output<T>(0), ir::num_elements(ctx.input_shape(0)));
  });
  return Status::ok();
}

// Two unquantized broadcastable inputs of one dtype in `types`.
Status math_binary_shape(OpContext& ctx, std::initializer_list<DType> types) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 2, 2, 1));
  TFC_RETURN_IF_ERROR(require_dtype(ctx, 0, types));
  TFC_RETURN_IF_ERROR(require_same_dtype(ctx, 0, 1));
  if (ctx.input_tensor(0).is_quantized() || ctx.input_tensor(1).is_quantized()) return ctx.unsupported_dtype(0);
  TFC_RETURN_IF_ERROR(check_outputs_match(ctx, 0));
  TFC_ASSIGN_OR_RETURN(ir::Shape out, broadcast_inputs(ctx, {0, 1}));
  ctx.set_output_shape(0, std::move(out));
  return Status::ok();
}

// LiteRT's Eval checks: FLOOR_DIV refuses a zero divisor (float too),
// integer FLOOR_MOD a zero divisor, integer POW a negative exponent.
template <typename T>
Status check_operand(const OpContext& ctx, kernels::MathBinaryOp op, const T* b, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const bool zero = b[i] == T{0};
    if (op == MathBinaryOp::kFloorDiv && zero) return ctx.error("division by zero");
    if constexpr (std::is_integral_v<T>) {
      if (op == MathBinaryOp::kFloorMod && zero) return ctx.error("integer division by zero");
      if (op == MathBinaryOp::kPow && b[i] < 0) return ctx.error("integer power with a negative exponent ({})", b[i]);
    }
  }
  return Status::ok();
}

Status math_binary_eval(OpContext& ctx, kernels::MathBinaryOp op) {
  Status status;
  visit(MathTypes{}, ctx.input_dtype(0), [&](auto tag) {
    using T = decltype(tag);
    status = check_operand(ctx, op, ctx.input<T>(1), ir::num_elements(ctx.input_shape(1)));
    if (!status.is_ok()) return;
    kernels::math_binary(op, ctx.input<T>(0), ctx.input_shape(0), ctx.input<T>(1), ctx.input_shape(1),
                         ctx.output<T>(0), ctx.output_shape(0));
  });
  return status;
}

// ---- CUMSUM ------------------------------------------------------------------------

// CUMSUM: float32 / int32 / int64 input, one int32 / int64 axis.
Status check_cumsum(const OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 2, 2, 1));
  TFC_RETURN_IF_ERROR(require_dtype(ctx, 0, {DType::kFloat32, DType::kInt32, DType::kInt64}));
  if (ctx.input_tensor(0).is_quantized()) return ctx.unsupported_dtype(0);
  TFC_RETURN_IF_ERROR(check_outputs_match(ctx, 0));
  TFC_RETURN_IF_ERROR(require_dtype(ctx, 1, {DType::kInt32, DType::kInt64}));
  return require_count(ctx, 1, 1);
}

Expected<int> cumsum_axis(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const int64_t axis, int_scalar(ctx, 1));
  return resolve_axis(ctx, axis, ctx.input_shape(0).size());
}

// ---- TOPK_V2 -----------------------------------------------------------------------

using TopKTypes = Types<float, uint8_t, int8_t, int32_t, int64_t>;

// k: one int32 (or int16) in [0, last dim]; values output of the input's
// dtype, indices int32 (or int16).
Expected<int32_t> resolve_top_k(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 2, 2, 2));
  TFC_RETURN_IF_ERROR(
      require_dtype(ctx, 0, {DType::kFloat32, DType::kUInt8, DType::kInt8, DType::kInt32, DType::kInt64}));
  TFC_RETURN_IF_ERROR(check_output_dtype(ctx, 0, ctx.input_dtype(0)));
  if (ctx.output_dtype(1) != DType::kInt32 && ctx.output_dtype(1) != DType::kInt16) {
    return ctx.error("indices output has dtype {}, expected int32 or int16", dtype_name(ctx.output_dtype(1)));
  }
  TFC_RETURN_IF_ERROR(require_dtype(ctx, 1, {DType::kInt32, DType::kInt16}));
  TFC_RETURN_IF_ERROR(require_count(ctx, 1, 1));
  const ir::Shape& in = ctx.input_shape(0);
  if (in.empty()) return ctx.error("the input must have rank >= 1");
  TFC_ASSIGN_OR_RETURN(const std::vector<int64_t> k, int_values(ctx, 1, /*allow_int16=*/true));
  if (k[0] < 0 || k[0] > in.back()) return ctx.error("k = {} is not in [0, {}]", k[0], in.back());
  return static_cast<int32_t>(k[0]);
}

}  // namespace

// ---- ARG_MAX / ARG_MIN -------------------------------------------------------------------

Status arg_max_shape(OpContext& ctx) { return arg_shape<tflite::ArgMaxOptionsT>(ctx); }
Status arg_max_eval(OpContext& ctx) { return arg_eval<tflite::ArgMaxOptionsT>(ctx, true); }
Status arg_min_shape(OpContext& ctx) { return arg_shape<tflite::ArgMinOptionsT>(ctx); }
Status arg_min_eval(OpContext& ctx) { return arg_eval<tflite::ArgMinOptionsT>(ctx, false); }

// ---- REDUCE_MAX / REDUCE_MIN / REDUCE_PROD ------------------------------------------------

Status reduce_max_shape(OpContext& ctx) { return reduce_shape_impl(ctx, kernels::ReduceOp::kMax); }
Status reduce_max_eval(OpContext& ctx) { return reduce_eval_impl(ctx, kernels::ReduceOp::kMax); }
Status reduce_min_shape(OpContext& ctx) { return reduce_shape_impl(ctx, kernels::ReduceOp::kMin); }
Status reduce_min_eval(OpContext& ctx) { return reduce_eval_impl(ctx, kernels::ReduceOp::kMin); }
Status reduce_prod_shape(OpContext& ctx) { return reduce_shape_impl(ctx, kernels::ReduceOp::kProd); }
Status reduce_prod_eval(OpContext& ctx) { return reduce_eval_impl(ctx, kernels::ReduceOp::kProd); }

// ---- Unary math ---------------------------------------------------------------------------

Status abs_shape(OpContext& ctx) { return math_unary_shape(ctx, {kF32, DType::kInt32}); }
Status abs_eval(OpContext& ctx) { return math_unary_eval(ctx, MathUnaryOp::kAbs); }
Status neg_shape(OpContext& ctx) { return math_unary_shape(ctx, {kF32, DType::kInt32, DType::kInt64}); }
Status neg_eval(OpContext& ctx) { return math_unary_eval(ctx, MathUnaryOp::kNeg); }
Status square_shape(OpContext& ctx) { return math_unary_shape(ctx, {kF32}); }
Status square_eval(OpContext& ctx) { return math_unary_eval(ctx, MathUnaryOp::kSquare); }
Status log_shape(OpContext& ctx) { return math_unary_shape(ctx, {kF32}); }
Status log_eval(OpContext& ctx) { return math_unary_eval(ctx, MathUnaryOp::kLog); }
Status floor_shape(OpContext& ctx) { return math_unary_shape(ctx, {kF32}); }
Status floor_eval(OpContext& ctx) { return math_unary_eval(ctx, MathUnaryOp::kFloor); }
Status ceil_shape(OpContext& ctx) { return math_unary_shape(ctx, {kF32}); }
Status ceil_eval(OpContext& ctx) { return math_unary_eval(ctx, MathUnaryOp::kCeil); }
Status round_shape(OpContext& ctx) { return math_unary_shape(ctx, {kF32}); }
Status round_eval(OpContext& ctx) { return math_unary_eval(ctx, MathUnaryOp::kRound); }
Status sign_shape(OpContext& ctx) { return math_unary_shape(ctx, {kF32, DType::kInt32}); }
Status sign_eval(OpContext& ctx) { return math_unary_eval(ctx, MathUnaryOp::kSign); }
Status sin_shape(OpContext& ctx) { return math_unary_shape(ctx, {kF32}); }
Status sin_eval(OpContext& ctx) { return math_unary_eval(ctx, MathUnaryOp::kSin); }
Status cos_shape(OpContext& ctx) { return math_unary_shape(ctx, {kF32}); }
Status cos_eval(OpContext& ctx) { return math_unary_eval(ctx, MathUnaryOp::kCos); }
Status elu_shape(OpContext& ctx) { return math_unary_shape(ctx, {kF32}); }
Status elu_eval(OpContext& ctx) { return math_unary_eval(ctx, MathUnaryOp::kElu); }

// ---- Binary math ----------------------------------------------------------------------------

Status pow_shape(OpContext& ctx) { return math_binary_shape(ctx, {kF32, DType::kInt32}); }
Status pow_eval(OpContext& ctx) { return math_binary_eval(ctx, MathBinaryOp::kPow); }
Status floor_div_shape(OpContext& ctx) {
  return math_binary_shape(ctx, {kF32, DType::kInt32, DType::kInt16, DType::kInt8});
}
Status floor_div_eval(OpContext& ctx) { return math_binary_eval(ctx, MathBinaryOp::kFloorDiv); }
Status floor_mod_shape(OpContext& ctx) {
  return math_binary_shape(ctx, {kF32, DType::kInt32, DType::kInt64, DType::kInt16, DType::kInt8});
}
Status floor_mod_eval(OpContext& ctx) { return math_binary_eval(ctx, MathBinaryOp::kFloorMod); }

// ---- ADD_N / L2_NORMALIZATION -----------------------------------------------------------------

// At least two inputs of one shape and dtype (float32 or int32).
Status add_n_shape(OpContext& ctx) {
  const int n = ctx.num_inputs();
  if (n < 2) return ctx.error("expected at least 2 inputs, got {}", n);
  TFC_RETURN_IF_ERROR(check_arity(ctx, n, n, 1));
  TFC_RETURN_IF_ERROR(require_dtype(ctx, 0, {kF32, DType::kInt32}));
  if (ctx.input_tensor(0).is_quantized()) return ctx.unsupported_dtype(0);
  for (int i = 1; i < n; ++i) {
    TFC_RETURN_IF_ERROR(require_same_dtype(ctx, 0, i));
    if (ctx.input_shape(i) != ctx.input_shape(0)) {
      return ctx.error("input {} ('{}') has shape {}, input 0 has {}", i, ctx.input_tensor(i).name,
                       shape_str(ctx.input_shape(i)), shape_str(ctx.input_shape(0)));
    }
  }
  TFC_RETURN_IF_ERROR(check_outputs_match(ctx, 0));
  ctx.set_output_shape(0, ctx.input_shape(0));
  return Status::ok();
}

Status add_n_eval(OpContext& ctx) {
  visit(Types<float, int32_t>{}, ctx.input_dtype(0), [&](auto tag) {
    using T = decltype(tag);
    std::vector<const T*> inputs;
    for (int i = 0; i < ctx.num_inputs(); ++i) inputs.push_back(ctx.input<T>(i));
    kernels::add_n<T>(inputs, ir::num_elements(ctx.input_shape(0)), ctx.output<T>(0));
  });
  return Status::ok();
}

// Float32 of rank 1 to 4, no fused activation (LiteRT refuses one).
Status l2_normalization_shape(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(math_unary_shape(ctx, {kF32}));
  const size_t rank = ctx.input_shape(0).size();
  if (rank < 1 || rank > 4) return ctx.error("the input has rank {}; expected 1 to 4", rank);
  const auto act = options_or_default<tflite::L2NormOptionsT>(ctx).fused_activation_function;
  if (act != tflite::ActivationFunctionType_NONE) {
    return ctx.error("fused_activation_function {} is not supported (LiteRT accepts NONE only)",
                     static_cast<int>(act));
  }
  return Status::ok();
}

Status l2_normalization_eval(OpContext& ctx) {
  kernels::l2_normalization(ctx.input<float>(0), ctx.input_shape(0), ctx.output<float>(0));
  return Status::ok();
}

// ---- CUMSUM ------------------------------------------------------------------------

// The output shape does not depend on the axis; it is checked when known.
Status cumsum_shape(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_cumsum(ctx));
  if (ctx.input_data(1) != nullptr) TFC_RETURN_IF_ERROR(cumsum_axis(ctx).status());
  ctx.set_output_shape(0, ctx.input_shape(0));
  return Status::ok();
}

Status cumsum_eval(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const int axis, cumsum_axis(ctx));
  const auto& o = options_or_default<tflite::CumsumOptionsT>(ctx);
  visit(Types<float, int32_t, int64_t>{}, ctx.input_dtype(0), [&](auto tag) {
    using T = decltype(tag);
    kernels::cumsum(ctx.input<T>(0), ctx.input_shape(0), axis, o.exclusive, o.reverse, ctx.output<T>(0));
  });
  return Status::ok();
}

// ---- TOPK_V2 -----------------------------------------------------------------------

Status topk_v2_shape(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const int32_t k, resolve_top_k(ctx));
  ir::Shape out = ctx.input_shape(0);
  out.back() = k;
  ctx.set_output_shape(0, out);
  ctx.set_output_shape(1, std::move(out));
  return Status::ok();
}

Status topk_v2_eval(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const int32_t k, resolve_top_k(ctx));
  visit(TopKTypes{}, ctx.input_dtype(0), [&](auto tag) {
    using T = decltype(tag);
    if (ctx.output_dtype(1) == DType::kInt32) {
      kernels::top_k(ctx.input<T>(0), ctx.input_shape(0), k, ctx.output<T>(0), ctx.output<int32_t>(1));
    } else {
      kernels::top_k(ctx.input<T>(0), ctx.input_shape(0), k, ctx.output<T>(0), ctx.output<int16_t>(1));
    }
  });
  return Status::ok();
}

}  // namespace tfc::ops
