// Gradient rules of the elementwise family (ops/elementwise_ops.cc): binary ops with broadcasting, activations, softmax.
// Contract: ops/grad_context.h. Reference backward kernels; tested against
// central finite differences (tests/cpp/grad_check.h). Float32 only: an input
// of another dtype that needs a gradient is refused (not_differentiable).
// The derivatives follow the forward kernels in kernels/elementwise_ref.cc and,
// at ties and kinks, TensorFlow's gradient functions (math_grad.py, nn_grad.py).
#include <cmath>

#include "ops/grad_util.h"
#include "ops/op_util.h"
#include "ops/registry.h"

namespace tfc::ops {

namespace {

// ---- Binary ops ------------------------------------------------------------------------

// dL/dz of ADD / SUB / MUL / DIV, where y = act(z) is the output and act the
// fused activation of options type T. The float kernel only clamps (LiteRT's
// CalculateActivationRange): TANH and SIGN_BIT leave z as it is.
template <typename T>
Expected<const float*> arithmetic_pre_activation_grad(GradContext& ctx, const float* dy) {
  const auto act = to_activation(options_or_default<T>(ctx.forward()).fused_activation_function);
  return pre_activation_grad(ctx, applied_activation(act), dy);
}

// ADD / SUB: dz summed into each input over its broadcast dims (negated into b for SUB).
template <typename T>
Status add_sub_grad(GradContext& ctx, float b_sign) {
  TFC_RETURN_IF_ERROR(require_float_grads(ctx));
  const float* dy = ctx.output_grad(0);
  if (!dy || !ctx.any_input_needs_grad()) return Status::ok();
  TFC_ASSIGN_OR_RETURN(const float* dz, arithmetic_pre_activation_grad<T>(ctx, dy));
  const float sign[2] = {1.0f, b_sign};
  for (int i = 0; i < 2; ++i) {
    if (ctx.needs_grad(i)) {
      add_broadcast_grad(dz, ctx.output_shape(0), sign[i], ctx.input_grad(i), ctx.input_shape(i));
    }
  }
  return Status::ok();
}

// A binary op without fused activation: dz = dy.
template <typename DA, typename DB>
Status plain_binary_grad(GradContext& ctx, DA&& da, DB&& db) {
  TFC_RETURN_IF_ERROR(require_float_grads(ctx));
  const float* dy = ctx.output_grad(0);
  if (!dy || !ctx.any_input_needs_grad()) return Status::ok();
  broadcast_binary_grad(ctx, dy, da, db);
  return Status::ok();
}

// ---- Unary ops ---------------------------------------------------------------------------

// Passes dy where lo < x < hi (TensorFlow's Relu6Grad tests the input so).
Status clamp_grad(GradContext& ctx, float lo, float hi) {
  return unary_grad(ctx, [lo, hi](float x, float, float g) { return x > lo && x < hi ? g : 0.0f; });
}

// d/dx of 0.5 x erfc(-x / sqrt(2)): Phi(x) + x phi(x).
float gelu_derivative(float x) {
  constexpr float kSqrtHalf = 0.7071067811865476f;     // 1 / sqrt(2)
  constexpr float kInvSqrt2Pi = 0.3989422804014327f;   // 1 / sqrt(2 pi)
  return 0.5f * std::erfc(-x * kSqrtHalf) + x * kInvSqrt2Pi * std::exp(-0.5f * x * x);
}

// d/dx of 0.5 x (1 + tanh(u)), u = sqrt(2 / pi) (x + 0.044715 x^3).
float gelu_approximate_derivative(float x) {
  constexpr float kSqrt2OverPi = 0.7978845608028654f;  // sqrt(2 / pi)
  constexpr float kCubic = 0.044715f;
  const float t = std::tanh(kSqrt2OverPi * (x + kCubic * x * x * x));
  const float du = kSqrt2OverPi * (1.0f + 3.0f * kCubic * x * x);
  return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * du;
}

// ---- Last-axis ops -------------------------------------------------------------------------

// f(y_row, dy_row, dx_row, depth) for every row of the last axis of a float32
// unary op of rank >= 1.
template <typename F>
Status row_grad(GradContext& ctx, F&& f) {
  TFC_RETURN_IF_ERROR(require_float_grads(ctx));
  float* dx = ctx.input_grad(0);
  const float* dy = ctx.output_grad(0);
  if (!dx || !dy) return Status::ok();
  const ir::Shape& s = ctx.output_shape(0);
  const int64_t depth = s.back();
  const int64_t rows = depth == 0 ? 0 : ir::num_elements(s) / depth;
  const float* y = ctx.output<float>(0);
  for (int64_t r = 0; r < rows; ++r) f(y + r * depth, dy + r * depth, dx + r * depth, depth);
  return Status::ok();
}

}  // namespace

Status add_grad(GradContext& ctx) { return add_sub_grad<tflite::AddOptionsT>(ctx, 1.0f); }

Status sub_grad(GradContext& ctx) { return add_sub_grad<tflite::SubOptionsT>(ctx, -1.0f); }

Status mul_grad(GradContext& ctx) {
  TFC_RETURN_IF_ERROR(require_float_grads(ctx));
  const float* dy = ctx.output_grad(0);
  if (!dy || !ctx.any_input_needs_grad()) return Status::ok();
  TFC_ASSIGN_OR_RETURN(const float* dz, arithmetic_pre_activation_grad<tflite::MulOptionsT>(ctx, dy));
  broadcast_binary_grad(
      ctx, dz, [](float, float b, float g) { return g * b; }, [](float a, float, float g) { return g * a; });
  return Status::ok();
}

Status div_grad(GradContext& ctx) {
  TFC_RETURN_IF_ERROR(require_float_grads(ctx));
  const float* dy = ctx.output_grad(0);
  if (!dy || !ctx.any_input_needs_grad()) return Status::ok();
  TFC_ASSIGN_OR_RETURN(const float* dz, arithmetic_pre_activation_grad<tflite::DivOptionsT>(ctx, dy));
  broadcast_binary_grad(
      ctx, dz, [](float, float b, float g) { return g / b; },
      [](float a, float b, float g) { return -g * a / (b * b); });
  return Status::ok();
}

// TensorFlow's MaximumGrad: the gradient goes to a where a >= b (ties to a), else to b.
Status maximum_grad(GradContext& ctx) {
  return plain_binary_grad(
      ctx, [](float a, float b, float g) { return a >= b ? g : 0.0f; },
      [](float a, float b, float g) { return a >= b ? 0.0f : g; });
}

// TensorFlow's MinimumGrad: the gradient goes to a where a <= b (ties to a), else to b.
Status minimum_grad(GradContext& ctx) {
  return plain_binary_grad(
      ctx, [](float a, float b, float g) { return a <= b ? g : 0.0f; },
      [](float a, float b, float g) { return a <= b ? 0.0f : g; });
}

Status squared_difference_grad(GradContext& ctx) {
  return plain_binary_grad(
      ctx, [](float a, float b, float g) { return 2.0f * (a - b) * g; },
      [](float a, float b, float g) { return -2.0f * (a - b) * g; });
}

// PRELU: y = x >= 0 ? x : alpha x, alpha broadcast into x's shape (summed back).
Status prelu_grad(GradContext& ctx) {
  return plain_binary_grad(
      ctx, [](float x, float alpha, float g) { return x >= 0.0f ? g : g * alpha; },
      [](float x, float, float g) { return x >= 0.0f ? 0.0f : g * x; });
}

Status logistic_grad(GradContext& ctx) {
  return unary_grad(ctx, [](float, float y, float g) { return g * y * (1.0f - y); });
}

Status tanh_grad(GradContext& ctx) {
  return unary_grad(ctx, [](float, float y, float g) { return g * (1.0f - y * y); });
}

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

Status relu6_grad(GradContext& ctx) { return clamp_grad(ctx, 0.0f, 6.0f); }

Status relu_n1_to_1_grad(GradContext& ctx) { return clamp_grad(ctx, -1.0f, 1.0f); }

// TensorFlow's LeakyReluGrad: dy where x > 0, alpha dy elsewhere.
Status leaky_relu_grad(GradContext& ctx) {
  const float alpha = options_or_default<tflite::LeakyReluOptionsT>(ctx.forward()).alpha;
  return unary_grad(ctx, [alpha](float x, float, float g) { return x > 0.0f ? g : alpha * g; });
}

// y = x relu6(x + 3) / 6: 0 below -3, 1 above 3, (2x + 3) / 6 between.
Status hard_swish_grad(GradContext& ctx) {
  return unary_grad(ctx, [](float x, float, float g) {
    if (x < -3.0f) return 0.0f;
    if (x > 3.0f) return g;
    return g * (2.0f * x + 3.0f) * (1.0f / 6.0f);
  });
}

// GeluOptions.approximate picks the tanh form, as the forward does.
Status gelu_grad(GradContext& ctx) {
  if (options_or_default<tflite::GeluOptionsT>(ctx.forward()).approximate) {
    return unary_grad(ctx, [](float x, float, float g) { return g * gelu_approximate_derivative(x); });
  }
  return unary_grad(ctx, [](float x, float, float g) { return g * gelu_derivative(x); });
}

Status exp_grad(GradContext& ctx) {
  return unary_grad(ctx, [](float, float y, float g) { return g * y; });
}

Status sqrt_grad(GradContext& ctx) {
  return unary_grad(ctx, [](float, float y, float g) { return 0.5f * g / y; });
}

// y = x^(-1/2): dy/dx = -y^3 / 2.
Status rsqrt_grad(GradContext& ctx) {
  return unary_grad(ctx, [](float, float y, float g) { return -0.5f * g * y * y * y; });
}

// y = softmax(beta x) along the last axis: dx = beta y (dy - sum(dy y)).
Status softmax_grad(GradContext& ctx) {
  const float beta = options_or_default<tflite::SoftmaxOptionsT>(ctx.forward()).beta;
  return row_grad(ctx, [beta](const float* y, const float* dy, float* dx, int64_t depth) {
    float dot = 0.0f;
    for (int64_t c = 0; c < depth; ++c) dot += dy[c] * y[c];
    for (int64_t c = 0; c < depth; ++c) dx[c] += beta * y[c] * (dy[c] - dot);
  });
}

// y = x - log(sum(exp(x))) along the last axis: dx = dy - exp(y) sum(dy).
Status log_softmax_grad(GradContext& ctx) {
  return row_grad(ctx, [](const float* y, const float* dy, float* dx, int64_t depth) {
    float sum = 0.0f;
    for (int64_t c = 0; c < depth; ++c) sum += dy[c];
    for (int64_t c = 0; c < depth; ++c) dx[c] += dy[c] - std::exp(y[c]) * sum;
  });
}

}  // namespace tfc::ops
