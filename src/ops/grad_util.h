// Helpers the gradient rules share (ops/*_grad.cc).
#pragma once

#include <cstdint>

#include "core/status.h"
#include "kernels/common.h"
#include "ops/grad_context.h"

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

}  // namespace tfc::ops
