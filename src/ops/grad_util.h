// Helpers the gradient rules share (ops/*_grad.cc).
#pragma once

#include <cstdint>

#include "core/status.h"
#include "kernels/common.h"

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

}  // namespace tfc::ops
