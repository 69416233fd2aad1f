// Gradient rules of the math family (ops/math_ops.cc).
// Contract: ops/grad_context.h. Reference backward kernels; tested against
// central finite differences (tests/cpp/grad_check.h). Float32 only: an input
// of another dtype that needs a gradient is refused (not_differentiable).
// The derivatives follow the forward kernels in kernels/math_ref.cc; the
// reductions' backward kernels are in kernels/math_grad_ref.h.
#include <cmath>

#include "kernels/math_grad_ref.h"
#include "ops/grad_util.h"
#include "ops/op_util.h"
#include "ops/registry.h"

namespace tfc::ops {

namespace {

// The forward's floor on the norm (kernels/math_ref.cc, l2_normalization).
constexpr float kL2Epsilon = 1e-6f;

// One row of L2_NORMALIZATION, y = x / max(|x|, eps): where |x| > eps,
// dx = (dy - y sum(dy y)) / |x|; where the floor holds, dx = dy / eps.
// x, y, dy, dx: (depth).
void l2_normalization_row_grad(const float* x, const float* y, const float* dy, float* dx, int64_t depth) {
  float squared = 0.0f;
  for (int64_t c = 0; c < depth; ++c) squared += x[c] * x[c];
  const float norm = std::sqrt(squared);
  if (!(norm > kL2Epsilon)) {
    for (int64_t c = 0; c < depth; ++c) dx[c] += dy[c] / kL2Epsilon;
    return;
  }
  float dot = 0.0f;
  for (int64_t c = 0; c < depth; ++c) dot += dy[c] * y[c];
  for (int64_t c = 0; c < depth; ++c) dx[c] += (dy[c] - y[c] * dot) / norm;
}

// REDUCE_MAX / REDUCE_MIN (ties share the gradient) and REDUCE_PROD over the
// axes the forward reduced (keep_dims does not change the element order).
Status reduction_grad(GradContext& ctx, bool prod) {
  TFC_ASSIGN_OR_RETURN(const std::optional<ReductionGrad> g, reduction_grad_of(ctx));
  if (!g) return Status::ok();
  const float* x = ctx.input<float>(0);
  if (prod) {
    float* scratch = ctx.scratch(static_cast<size_t>(g->in_count + g->out_count));
    kernels::reduce_prod_backward(x, ctx.input_shape(0), g->r.axes, g->dy, scratch, g->dx);
  } else {
    float* ties = ctx.scratch(static_cast<size_t>(g->out_count));
    kernels::reduce_min_max_backward(x, ctx.input_shape(0), g->r.axes, ctx.output<float>(0), g->dy, ties, g->dx);
  }
  return Status::ok();
}

}  // namespace

Status reduce_max_grad(GradContext& ctx) { return reduction_grad(ctx, /*prod=*/false); }

Status reduce_min_grad(GradContext& ctx) { return reduction_grad(ctx, /*prod=*/false); }

Status reduce_prod_grad(GradContext& ctx) { return reduction_grad(ctx, /*prod=*/true); }

// y = x < 0 ? exp(x) - 1 : x: dy/dx = y + 1 below 0, 1 elsewhere.
Status elu_grad(GradContext& ctx) {
  return unary_grad(ctx, [](float x, float y, float g) { return x < 0.0f ? g * (y + 1.0f) : g; });
}

// sign(x) dy (0 at x = 0, as TensorFlow's AbsGrad).
Status abs_grad(GradContext& ctx) {
  return unary_grad(ctx, [](float x, float, float g) { return x > 0.0f ? g : (x < 0.0f ? -g : 0.0f); });
}

Status neg_grad(GradContext& ctx) {
  return unary_grad(ctx, [](float, float, float g) { return -g; });
}

Status square_grad(GradContext& ctx) {
  return unary_grad(ctx, [](float x, float, float g) { return 2.0f * x * g; });
}

Status log_grad(GradContext& ctx) {
  return unary_grad(ctx, [](float x, float, float g) { return g / x; });
}

// Every input receives dy (the same tensor listed twice receives it twice).
Status add_n_grad(GradContext& ctx) {
  TFC_RETURN_IF_ERROR(require_float_grads(ctx));
  const float* dy = ctx.output_grad(0);
  if (!dy) return Status::ok();
  const int64_t n = ir::num_elements(ctx.output_shape(0));
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    float* dx = ctx.input_grad(i);
    if (!dx) continue;
    for (int64_t k = 0; k < n; ++k) dx[k] += dy[k];
  }
  return Status::ok();
}

// Row by row along the last axis (rank 1 to 4, checked by the shape rule).
Status l2_normalization_grad(GradContext& ctx) {
  TFC_RETURN_IF_ERROR(require_float_grads(ctx));
  float* dx = ctx.input_grad(0);
  const float* dy = ctx.output_grad(0);
  if (!dx || !dy) return Status::ok();
  const ir::Shape& s = ctx.input_shape(0);
  const int64_t depth = s.back();
  const int64_t rows = depth == 0 ? 0 : ir::num_elements(s) / depth;
  const float* x = ctx.input<float>(0);
  const float* y = ctx.output<float>(0);
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t at = r * depth;
    l2_normalization_row_grad(x + at, y + at, dy + at, dx + at, depth);
  }
  return Status::ok();
}

}  // namespace tfc::ops
