// Shape rules and evaluation of the comparison ops: SELECT / SELECT_V2,
// LESS, LESS_EQUAL, GREATER, GREATER_EQUAL, EQUAL, NOT_EQUAL and LOGICAL_AND /
// OR / NOT. Each _shape checks what LiteRT's Prepare checks and sizes the
// output (NumPy broadcasting); each _eval runs the kernel in
// kernels/compare_ref.h. Quantized inputs are compared as raw values, so both
// must be quantized alike.
#include <cstdint>

#include "kernels/compare_ref.h"
#include "ops/op_util.h"
#include "ops/registry.h"

namespace tfc::ops {
namespace {

// ---- SELECT / SELECT_V2 -------------------------------------------------------------

Status check_select_types(const OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 3, 3, 1));
  TFC_RETURN_IF_ERROR(require_dtype(ctx, 0, {DType::kBool}));
  TFC_RETURN_IF_ERROR(require_dtype(ctx, 1, {DType::kBool, DType::kFloat32, DType::kUInt8, DType::kInt8,
                                             DType::kInt16, DType::kInt32, DType::kInt64}));
  TFC_RETURN_IF_ERROR(require_same_dtype(ctx, 1, 2));
  return check_outputs_match(ctx, 1);
}

// SELECT (v1): x and y of one shape; the condition of that shape too, or a
// scalar, or a vector over x's first dim. Returns the condition's dims as the
// kernel broadcasts them.
Expected<ir::Shape> select_v1_condition(const OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_select_types(ctx));
  const ir::Shape &cond = ctx.input_shape(0), &x = ctx.input_shape(1), &y = ctx.input_shape(2);
  if (x != y) return ctx.error("x {} and y {} must have the same shape", shape_str(x), shape_str(y));
  if (cond == x || cond.empty()) return cond;
  if (cond.size() == 1 && !x.empty() && cond[0] == x[0]) {
    ir::Shape dims(x.size(), 1);
    dims[0] = cond[0];
    return dims;
  }
  return ctx.error("condition {} must match x {}, be a scalar, or a vector over its first dim", shape_str(cond),
                   shape_str(x));
}

// ---- Comparisons and logic ---------------------------------------------------------

using CompareTypes = Types<float, int8_t, uint8_t, int16_t, int32_t, int64_t>;

// Two broadcastable inputs of one dtype (bool only for EQUAL / NOT_EQUAL),
// quantized alike; bool output.
Status compare_shape(OpContext& ctx, bool allow_bool) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 2, 2, 1));
  if (allow_bool && ctx.input_dtype(0) == DType::kBool) {
    TFC_RETURN_IF_ERROR(require_dtype(ctx, 0, {DType::kBool}));
  } else {
    TFC_RETURN_IF_ERROR(require_dtype(
        ctx, 0, {DType::kFloat32, DType::kInt8, DType::kUInt8, DType::kInt16, DType::kInt32, DType::kInt64}));
  }
  TFC_RETURN_IF_ERROR(require_same_dtype(ctx, 0, 1));
  TFC_RETURN_IF_ERROR(require_same_quantization(ctx, ctx.input_tensor(0), ctx.input_tensor(1)));
  TFC_RETURN_IF_ERROR(check_output_dtype(ctx, 0, DType::kBool));
  TFC_ASSIGN_OR_RETURN(ir::Shape out, broadcast_inputs(ctx, {0, 1}));
  ctx.set_output_shape(0, std::move(out));
  return Status::ok();
}

Status compare_eval(OpContext& ctx, kernels::CompareOp op) {
  visit(CompareTypes{}, ctx.input_dtype(0), [&](auto tag) {
    using T = decltype(tag);
    kernels::compare(op, ctx.input<T>(0), ctx.input_shape(0), ctx.input<T>(1), ctx.input_shape(1),
                     ctx.output<uint8_t>(0), ctx.output_shape(0));
  });
  return Status::ok();
}

Status logical_shape(OpContext& ctx, int inputs) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, inputs, inputs, 1));
  for (int i = 0; i < inputs; ++i) TFC_RETURN_IF_ERROR(require_dtype(ctx, i, {DType::kBool}));
  TFC_RETURN_IF_ERROR(check_output_dtype(ctx, 0, DType::kBool));
  TFC_ASSIGN_OR_RETURN(ir::Shape out, inputs == 1 ? broadcast_inputs(ctx, {0}) : broadcast_inputs(ctx, {0, 1}));
  ctx.set_output_shape(0, std::move(out));
  return Status::ok();
}

Status logical_eval(OpContext& ctx, kernels::LogicalOp op) {
  kernels::logical(op, ctx.input<uint8_t>(0), ctx.input_shape(0), ctx.input<uint8_t>(1), ctx.input_shape(1),
                   ctx.output<uint8_t>(0), ctx.output_shape(0));
  return Status::ok();
}

}  // namespace

// ---- SELECT / SELECT_V2 ------------------------------------------------------------------

Status select_shape(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(select_v1_condition(ctx).status());
  ctx.set_output_shape(0, ctx.input_shape(1));
  return Status::ok();
}

Status select_eval(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const ir::Shape cond, select_v1_condition(ctx));
  kernels::select_elements(ctx.input<uint8_t>(0), cond, ctx.input_data(1), ctx.input_shape(1), ctx.input_data(2),
                           ctx.input_shape(2), dtype_size(ctx.input_dtype(1)), ctx.output_data(0),
                           ctx.output_shape(0));
  return Status::ok();
}

// The three inputs broadcast together (NumPy rules).
Status select_v2_shape(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_select_types(ctx));
  TFC_ASSIGN_OR_RETURN(ir::Shape out, broadcast_inputs(ctx, {0, 1, 2}));
  ctx.set_output_shape(0, std::move(out));
  return Status::ok();
}

Status select_v2_eval(OpContext& ctx) {
  kernels::select_elements(ctx.input<uint8_t>(0), ctx.input_shape(0), ctx.input_data(1), ctx.input_shape(1),
                           ctx.input_data(2), ctx.input_shape(2), dtype_size(ctx.input_dtype(1)),
                           ctx.output_data(0), ctx.output_shape(0));
  return Status::ok();
}

// ---- Comparisons and logic ------------------------------------------------------------------

Status less_shape(OpContext& ctx) { return compare_shape(ctx, false); }
Status less_eval(OpContext& ctx) { return compare_eval(ctx, kernels::CompareOp::kLess); }
Status less_equal_shape(OpContext& ctx) { return compare_shape(ctx, false); }
Status less_equal_eval(OpContext& ctx) { return compare_eval(ctx, kernels::CompareOp::kLessEqual); }
Status greater_shape(OpContext& ctx) { return compare_shape(ctx, false); }
Status greater_eval(OpContext& ctx) { return compare_eval(ctx, kernels::CompareOp::kGreater); }
Status greater_equal_shape(OpContext& ctx) { return compare_shape(ctx, false); }
Status greater_equal_eval(OpContext& ctx) { return compare_eval(ctx, kernels::CompareOp::kGreaterEqual); }
Status equal_shape(OpContext& ctx) { return compare_shape(ctx, true); }
Status equal_eval(OpContext& ctx) { return compare_eval(ctx, kernels::CompareOp::kEqual); }
Status not_equal_shape(OpContext& ctx) { return compare_shape(ctx, true); }
Status not_equal_eval(OpContext& ctx) { return compare_eval(ctx, kernels::CompareOp::kNotEqual); }

Status logical_and_shape(OpContext& ctx) { return logical_shape(ctx, 2); }
Status logical_and_eval(OpContext& ctx) { return logical_eval(ctx, kernels::LogicalOp::kAnd); }
Status logical_or_shape(OpContext& ctx) { return logical_shape(ctx, 2); }
Status logical_or_eval(OpContext& ctx) { return logical_eval(ctx, kernels::LogicalOp::kOr); }
Status logical_not_shape(OpContext& ctx) { return logical_shape(ctx, 1); }
Status logical_not_eval(OpContext& ctx) {
  kernels::logical_not(ctx.input<uint8_t>(0), ctx.output<uint8_t>(0), ir::num_elements(ctx.input_shape(0)));
  return Status::ok();
}

}  // namespace tfc::ops
