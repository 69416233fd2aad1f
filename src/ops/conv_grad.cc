// Gradient rules of the conv family (ops/conv_ops.cc): convolutions, matmuls, pooling.
// Contract: ops/grad_context.h. Each rule takes the fused activation's
// backward (ops/grad_util.h) into dL/d(pre-activation), then adds the
// reference backward kernels' results (kernels/conv_grad_ref.h) into the
// gradients of the float inputs that need one: data input, weights, bias.
// Float32 only. Tested against central finite differences
// (tests/cpp/grad_conv_test.cc).
#include <initializer_list>

#include "kernels/conv_grad_ref.h"
#include "ops/conv_options.h"
#include "ops/grad_util.h"
#include "ops/registry.h"

namespace tfc::ops {
namespace {

// Every present input among `indices` is float32 (else: no gradient).
Status require_float_inputs(const GradContext& ctx, std::initializer_list<int> indices) {
  for (int i : indices)
    if (ctx.has_input(i) && ctx.input_dtype(i) != DType::kFloat32) return ctx.not_differentiable(i);
  return Status::ok();
}

// dL/d(pre-activation output) of output 0, or nullptr when no gradient reaches
// the output or no input needs one. The float kernels apply only the clipping
// activations (kernels/conv_ref.h: TANH and SIGN_BIT are ignored, as in
// LiteRT), so those two pass the gradient through as the forward passes the
// value. Without an activation this is the output gradient itself; otherwise
// it lives in ctx.scratch().
Expected<const float*> conv_pre_activation_grad(GradContext& ctx, kernels::Activation a) {
  const float* dy = ctx.output_grad(0);
  if (!dy || !ctx.any_input_needs_grad()) return static_cast<const float*>(nullptr);
  return pre_activation_grad(ctx, applied_activation(a), dy);
}

// Adds the bias gradient (the sum of dz over every axis but the last) when
// input `bias` is present and needs one.
void add_bias_grad(GradContext& ctx, int bias, const float* dz) {
  float* db = ctx.input_grad(bias);
  if (!db) return;
  const int32_t channels = ctx.output_shape(0).back();
  const int64_t rows = channels == 0 ? 0 : ir::num_elements(ctx.output_shape(0)) / channels;
  kernels::bias_backward(dz, rows, channels, db);
}

}  // namespace

// Inputs: 0 input (N, H, W, Cin), 1 filter (Cout, KH, KW, Cin / groups), 2 optional bias (Cout).
Status conv2d_grad(GradContext& ctx) {
  TFC_RETURN_IF_ERROR(require_float_inputs(ctx, {0, 1, 2}));
  const kernels::ConvParams p = conv_params(options_or_default<tflite::Conv2DOptionsT>(ctx.forward()));
  TFC_ASSIGN_OR_RETURN(const float* dz, conv_pre_activation_grad(ctx, p.activation));
  if (!dz) return Status::ok();
  if (float* dx = ctx.input_grad(0))
    kernels::conv2d_backward_input(p, dz, ctx.output_shape(0), ctx.input<float>(1), ctx.input_shape(1), dx,
                                   ctx.input_shape(0));
  if (float* dw = ctx.input_grad(1))
    kernels::conv2d_backward_filter(p, ctx.input<float>(0), ctx.input_shape(0), dz, ctx.output_shape(0), dw,
                                    ctx.input_shape(1));
  add_bias_grad(ctx, 2, dz);
  return Status::ok();
}

// Inputs: 0 input (N, H, W, C), 1 filter (1, KH, KW, C*M), 2 optional bias (C*M).
Status depthwise_conv2d_grad(GradContext& ctx) {
  TFC_RETURN_IF_ERROR(require_float_inputs(ctx, {0, 1, 2}));
  const kernels::ConvParams p = conv_params(options_or_default<tflite::DepthwiseConv2DOptionsT>(ctx.forward()));
  TFC_ASSIGN_OR_RETURN(const float* dz, conv_pre_activation_grad(ctx, p.activation));
  if (!dz) return Status::ok();
  if (float* dx = ctx.input_grad(0))
    kernels::depthwise_conv2d_backward_input(p, dz, ctx.output_shape(0), ctx.input<float>(1), ctx.input_shape(1), dx,
                                             ctx.input_shape(0));
  if (float* dw = ctx.input_grad(1))
    kernels::depthwise_conv2d_backward_filter(p, ctx.input<float>(0), ctx.input_shape(0), dz, ctx.output_shape(0),
                                              dw, ctx.input_shape(1));
  add_bias_grad(ctx, 2, dz);
  return Status::ok();
}

// Inputs: 0 output_shape (int32, no gradient), 1 weights (Cout, KH, KW, Cin),
// 2 input (N, H, W, Cin), 3 optional bias (Cout).
Status transpose_conv_grad(GradContext& ctx) {
  TFC_RETURN_IF_ERROR(require_float_inputs(ctx, {1, 2, 3}));
  const kernels::TransposeConvParams p = transpose_conv_params(ctx.forward());
  TFC_ASSIGN_OR_RETURN(const float* dz, conv_pre_activation_grad(ctx, p.activation));
  if (!dz) return Status::ok();
  if (float* dx = ctx.input_grad(2))
    kernels::transpose_conv_backward_input(p, dz, ctx.output_shape(0), ctx.input<float>(1), ctx.input_shape(1), dx,
                                           ctx.input_shape(2));
  if (float* dw = ctx.input_grad(1))
    kernels::transpose_conv_backward_filter(p, ctx.input<float>(2), ctx.input_shape(2), dz, ctx.output_shape(0), dw,
                                            ctx.input_shape(1));
  add_bias_grad(ctx, 3, dz);
  return Status::ok();
}

// Inputs: 0 input (any rank, read as (rows, depth)), 1 weights (units, depth),
// 2 optional bias (units); the output is (rows, units) in either
// keep_num_dims form.
Status fully_connected_grad(GradContext& ctx) {
  TFC_RETURN_IF_ERROR(require_float_inputs(ctx, {0, 1, 2}));
  const auto& o = options_or_default<tflite::FullyConnectedOptionsT>(ctx.forward());
  TFC_ASSIGN_OR_RETURN(const float* dz, conv_pre_activation_grad(ctx, to_activation(o.fused_activation_function)));
  if (!dz) return Status::ok();
  const int32_t units = ctx.input_shape(1)[0], depth = ctx.input_shape(1)[1];
  const int64_t rows = fully_connected_rows(ctx.forward());
  if (float* dx = ctx.input_grad(0))
    kernels::fully_connected_backward_input(dz, rows, units, ctx.input<float>(1), depth, dx);
  if (float* dw = ctx.input_grad(1))
    kernels::fully_connected_backward_weights(ctx.input<float>(0), rows, depth, dz, units, dw);
  add_bias_grad(ctx, 2, dz);
  return Status::ok();
}

// Inputs: 0 lhs, 1 rhs (batch dims broadcast); no activation.
Status batch_matmul_grad(GradContext& ctx) {
  TFC_RETURN_IF_ERROR(require_float_inputs(ctx, {0, 1}));
  const float* dy = ctx.output_grad(0);
  if (!dy || !ctx.any_input_needs_grad()) return Status::ok();
  const auto& o = options_or_default<tflite::BatchMatMulOptionsT>(ctx.forward());
  kernels::batch_matmul_backward(ctx.input<float>(0), ctx.input_shape(0), o.adj_x, ctx.input<float>(1),
                                 ctx.input_shape(1), o.adj_y, dy, ctx.output_shape(0), ctx.input_grad(0),
                                 ctx.input_grad(1));
  return Status::ok();
}

Status average_pool2d_grad(GradContext& ctx) {
  TFC_RETURN_IF_ERROR(require_float_inputs(ctx, {0}));
  const kernels::PoolParams p = pool_params(ctx.forward());
  TFC_ASSIGN_OR_RETURN(const float* dz, conv_pre_activation_grad(ctx, p.activation));
  if (!dz) return Status::ok();
  kernels::average_pool2d_backward(p, dz, ctx.output_shape(0), ctx.input_grad(0), ctx.input_shape(0));
  return Status::ok();
}

Status max_pool2d_grad(GradContext& ctx) {
  TFC_RETURN_IF_ERROR(require_float_inputs(ctx, {0}));
  const kernels::PoolParams p = pool_params(ctx.forward());
  TFC_ASSIGN_OR_RETURN(const float* dz, conv_pre_activation_grad(ctx, p.activation));
  if (!dz) return Status::ok();
  kernels::max_pool2d_backward(p, ctx.input<float>(0), ctx.input_shape(0), dz, ctx.output_shape(0),
                               ctx.input_grad(0));
  return Status::ok();
}

}  // namespace tfc::ops
