// Helpers the gradient rules share (ops/*_grad.cc).
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "core/status.h"
#include "kernels/broadcast.h"
#include "kernels/common.h"
#include "ops/grad_context.h"
#include "ops/op_util.h"

namespace tfc::ops {

// dL/d(pre-activation) of a fused activation, from y = act(pre) and dL/dy:
// RELU passes where y > 0, RELU6 where 0 < y < 6, RELU_N1_TO_1 where
// -1 < y < 1 (as TensorFlow's ReluGrad/Relu6Grad, which test the
// pre-activation, and agree away from the kinks), TANH scales by 1 - y^2.
// `out` may alias `dy`. kSignBit has no gradient.
inline Status fused_activation_grad(kernels::Activation a, const float* y, const float* dy, float* out, int64_t n) {
  switch (a) {
    case kernels::Activation::kNone:
      if (out != dy) {
        for (int64_t i = 0; i < n; ++i) out[i] = dy[i];
      }
      return Status::ok();
    case kernels::Activation::kRelu:
      for (int64_t i = 0; i < n; ++i) out[i] = y[i] > 0.0f ? dy[i] : 0.0f;
      return Status::ok();
    case kernels::Activation::kRelu6:
      for (int64_t i = 0; i < n; ++i) out[i] = y[i] > 0.0f && y[i] < 6.0f ? dy[i] : 0.0f;
      return Status::ok();
    case kernels::Activation::kReluN1To1:
      for (int64_t i = 0; i < n; ++i) out[i] = y[i] > -1.0f && y[i] < 1.0f ? dy[i] : 0.0f;
      return Status::ok();
    case kernels::Activation::kTanh:
      for (int64_t i = 0; i < n; ++i) out[i] = dy[i] * (1.0f - y[i] * y[i]);
      return Status::ok();
    case kernels::Activation::kSignBit:
      break;
  }
  return unsupported("the fused activation SIGN_BIT has no gradient");
}

// The forward context as the forward's plan helpers take it (ops/shape_plans.h,
// ops/data_plans.h take OpContext&, as the shape rules do). GradContext holds
// it non-const; the helpers only read it, every value known after forward.
inline OpContext& plan_context(GradContext& ctx) { return const_cast<OpContext&>(ctx.forward()); }

// not_differentiable(i) for the first input i that wants a gradient but is
// not float32 (integer data, or an index, shape or axis input); else ok.
inline Status require_float_grads(const GradContext& ctx) {
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    if (ctx.needs_grad(i) && ctx.has_input(i) && ctx.input_dtype(i) != DType::kFloat32) {
      return ctx.not_differentiable(i);
    }
  }
  return Status::ok();
}

// What a reduction's rule (MEAN, SUM, REDUCE_MAX / MIN / PROD) works on: its
// input's gradient, its output's, the element counts and the reduced axes;
// nullopt when nothing is to be added (no gradient wanted or given, an empty
// input).
struct ReductionGrad {
  float* dx;
  const float* dy;
  int64_t in_count, out_count;
  Reduction r;
};
inline Expected<std::optional<ReductionGrad>> reduction_grad_of(GradContext& ctx) {
  TFC_RETURN_IF_ERROR(require_float_grads(ctx));
  ReductionGrad g{ctx.input_grad(0), ctx.output_grad(0), ir::num_elements(ctx.input_shape(0)), 0, {}};
  if (!g.dx || !g.dy || g.in_count == 0) return std::optional<ReductionGrad>();
  TFC_ASSIGN_OR_RETURN(g.r, resolve_reduction_axes(plan_context(ctx)));
  g.out_count = ir::num_elements(ctx.output_shape(0));
  return std::optional<ReductionGrad>(std::move(g));
}

// The gradient of a float32 unary op (input 0, output 0 of the same shape):
// dx[i] += f(x[i], y[i], dy[i]) when input 0 needs one and dy reaches it.
template <typename F>
Status unary_grad(GradContext& ctx, F&& f) {
  TFC_RETURN_IF_ERROR(require_float_grads(ctx));
  float* dx = ctx.input_grad(0);
  const float* dy = ctx.output_grad(0);
  if (!dx || !dy) return Status::ok();
  const float* x = ctx.input<float>(0);
  const float* y = ctx.output<float>(0);
  const int64_t n = ir::num_elements(ctx.output_shape(0));
  for (int64_t i = 0; i < n; ++i) dx[i] += f(x[i], y[i], dy[i]);
  return Status::ok();
}

// The part of fused activation `a` that the float conv, pooling and
// arithmetic kernels apply: LiteRT's CalculateActivationRange clamps (RELU,
// RELU6, RELU_N1_TO_1); TANH and SIGN_BIT leave the value as it is (kNone).
inline kernels::Activation applied_activation(kernels::Activation a) {
  const bool clamps = a == kernels::Activation::kRelu || a == kernels::Activation::kRelu6 ||
                      a == kernels::Activation::kReluN1To1;
  return clamps ? a : kernels::Activation::kNone;
}

// dL/d(pre-activation) of an op whose output 0 went through the fused
// activation `a`: `dy` itself for kNone, else computed into scratch (output
// 0's size), which stays valid until the next scratch() call.
inline Expected<const float*> pre_activation_grad(GradContext& ctx, kernels::Activation a, const float* dy) {
  if (a == kernels::Activation::kNone) return dy;
  const int64_t n = ir::num_elements(ctx.output_shape(0));
  float* g = ctx.scratch(static_cast<size_t>(n));
  TFC_RETURN_IF_ERROR(fused_activation_grad(a, ctx.output<float>(0), dy, g, n));
  return static_cast<const float*>(g);
}

// The backward of broadcasting: acc[i] += scale * (the sum of g[o] over every
// position o of out_dims that broadcasting maps to element i of in_dims), i.e.
// the gradient of an operand summed over the dims it was repeated along.
// g: out_dims; acc: in_dims (which broadcast to out_dims).
inline void add_broadcast_grad(const float* g, kernels::Dims out_dims, float scale, float* acc,
                               kernels::Dims in_dims) {
  kernels::for_each_broadcast<1>(out_dims, {in_dims},
                                 [&](int64_t o, const std::array<int64_t, 1>& off) { acc[off[0]] += scale * g[o]; });
}

// The gradient of a broadcasting binary op z = f(a, b) (float32 inputs 0 and
// 1, output 0): for every output position o, with a and b the input elements
// broadcasting maps to it and g = dz[o], adds da(a, b, g) into input_grad(0)
// and db(a, b, g) into input_grad(1) at those elements (for the inputs that
// need one), so a broadcast input's gradient is summed over the repeated dims.
template <typename DA, typename DB>
void broadcast_binary_grad(GradContext& ctx, const float* dz, DA&& da, DB&& db) {
  const float* a = ctx.input<float>(0);
  const float* b = ctx.input<float>(1);
  float* ga = ctx.input_grad(0);
  float* gb = ctx.input_grad(1);
  kernels::for_each_broadcast<2>(ctx.output_shape(0), {ctx.input_shape(0), ctx.input_shape(1)},
                                 [&](int64_t o, const std::array<int64_t, 2>& off) {
                                   const float x = a[off[0]], y = b[off[1]];
                                   if (ga) ga[off[0]] += da(x, y, dz[o]);
                                   if (gb) gb[off[1]] += db(x, y, dz[o]);
                                 });
}

}  // namespace tfc::ops
