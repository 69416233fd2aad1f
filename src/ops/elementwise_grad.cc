// Gradient rules of the elementwise family (ops/elementwise_ops.cc): binary ops with broadcasting, activations, softmax.
// Contract: ops/grad_context.h. Reference backward kernels; tested against
// central finite differences (tests/cpp/grad_check.h).
#include "ops/registry.h"

namespace tfc::ops {

Status add_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status sub_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status mul_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status div_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status maximum_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status minimum_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status squared_difference_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status logistic_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status tanh_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status relu_grad(GradContext& ctx) {
  if (ctx.input_dtype(0) != DType::kFloat32) return ctx.not_differentiable(0);
  float* dx = ctx.input_grad(0);
  const float* dy = ctx.output_grad(0);
  if (!dx || !dy) return Status::ok();
  const float* y = ctx.output<float>(0);
  const int64_t n = ir::num_elements(ctx.output_shape(0));
  for (int64_t i = 0; i < n; ++i) dx[i] += y[i] > 0.0f ? dy[i] : 0.0f;
  return Status::ok();
}

Status relu6_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status relu_n1_to_1_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status leaky_relu_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status prelu_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status hard_swish_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status gelu_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status exp_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status sqrt_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status rsqrt_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status softmax_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status log_softmax_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

}  // namespace tfc::ops
