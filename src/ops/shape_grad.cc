// Gradient rules of the shape and data movement family (ops/shape_ops.cc, ops/slice_ops.cc).
// Contract: ops/grad_context.h. Each rule resolves the plan its forward ran
// with (ops/shape_plans.h) and calls the reference backward kernel
// (kernels/shape_grad_ref.h); tested against central finite differences
// (tests/cpp/grad_check.h). Only float32 data inputs get gradients; index,
// shape, axis and size inputs have none, and asking for one is an error.
#include <vector>

#include "kernels/shape_grad_ref.h"
#include "ops/grad_util.h"
#include "ops/op_util.h"
#include "ops/registry.h"
#include "ops/shape_plans.h"

namespace tfc::ops {
namespace {

// RESHAPE, SQUEEZE, EXPAND_DIMS: the buffer is unchanged, dx += dy.
Status copy_grad(GradContext& ctx) {
  TFC_RETURN_IF_ERROR(require_float_grads(ctx));
  float* dx = ctx.input_grad(0);
  const float* dy = ctx.output_grad(0);
  if (!dx || !dy) return Status::ok();
  const int64_t n = ir::num_elements(ctx.input_shape(0));
  for (int64_t i = 0; i < n; ++i) dx[i] += dy[i];
  return Status::ok();
}

// MEAN (divides by the reduced count, as the forward) and SUM.
Status reduction_grad(GradContext& ctx, bool mean) {
  TFC_ASSIGN_OR_RETURN(const std::optional<ReductionGrad> g, reduction_grad_of(ctx));
  if (!g) return Status::ok();
  const float divisor = mean ? static_cast<float>(g->in_count / g->out_count) : 1.0f;
  kernels::reduce_backward(g->dy, ctx.input_shape(0), g->r.axes, divisor, g->dx);
  return Status::ok();
}

// PAD and PADV2: the interior of dy. PADV2's constant value gets no gradient
// (as TensorFlow's PadV2 gradient).
Status pad_grad_impl(GradContext& ctx) {
  TFC_RETURN_IF_ERROR(require_float_grads(ctx));
  float* dx = ctx.input_grad(0);
  const float* dy = ctx.output_grad(0);
  if (!dx || !dy) return Status::ok();
  TFC_ASSIGN_OR_RETURN(const PadAmounts p, resolve_padding(plan_context(ctx)));
  kernels::pad_backward(dy, ctx.input_shape(0), p.before, p.after, dx);
  return Status::ok();
}

// dL/d(output 0) before the fused activation, in scratch memory when there is
// one (CONCATENATION).
Expected<const float*> before_activation(GradContext& ctx, kernels::Activation act) {
  const float* dy = ctx.output_grad(0);
  if (act == kernels::Activation::kNone) return dy;
  const int64_t n = ir::num_elements(ctx.output_shape(0));
  float* g = ctx.scratch(static_cast<size_t>(n));
  TFC_RETURN_IF_ERROR(fused_activation_grad(act, ctx.output<float>(0), dy, g, n));
  return static_cast<const float*>(g);
}

// RESIZE_BILINEAR / RESIZE_NEAREST_NEIGHBOR: the options the forward read
// (absent: both false); the output size is the output's shape.
template <typename Options>
Status resize_grad(GradContext& ctx, bool bilinear) {
  TFC_RETURN_IF_ERROR(require_float_grads(ctx));
  float* dx = ctx.input_grad(0);
  const float* dy = ctx.output_grad(0);
  if (!dx || !dy) return Status::ok();
  const Options& o = options_or_default<Options>(ctx.forward());
  const ir::Shape& out = ctx.output_shape(0);
  if (bilinear) {
    kernels::resize_bilinear_backward(dy, ctx.input_shape(0), out[1], out[2], o.align_corners,
                                      o.half_pixel_centers, dx);
  } else {
    kernels::resize_nearest_neighbor_backward(dy, ctx.input_shape(0), out[1], out[2], o.align_corners,
                                              o.half_pixel_centers, dx);
  }
  return Status::ok();
}

}  // namespace

Status mean_grad(GradContext& ctx) { return reduction_grad(ctx, /*mean=*/true); }

Status sum_grad(GradContext& ctx) { return reduction_grad(ctx, /*mean=*/false); }

Status pad_grad(GradContext& ctx) { return pad_grad_impl(ctx); }

Status padv2_grad(GradContext& ctx) { return pad_grad_impl(ctx); }

Status reshape_grad(GradContext& ctx) { return copy_grad(ctx); }

Status squeeze_grad(GradContext& ctx) { return copy_grad(ctx); }

Status expand_dims_grad(GradContext& ctx) { return copy_grad(ctx); }

Status transpose_grad(GradContext& ctx) {
  TFC_RETURN_IF_ERROR(require_float_grads(ctx));
  float* dx = ctx.input_grad(0);
  const float* dy = ctx.output_grad(0);
  if (!dx || !dy) return Status::ok();
  TFC_ASSIGN_OR_RETURN(const std::vector<int32_t> perm, transpose_perm(plan_context(ctx)));
  kernels::transpose_backward(dy, ctx.input_shape(0), perm, dx);
  return Status::ok();
}

Status strided_slice_grad(GradContext& ctx) {
  TFC_RETURN_IF_ERROR(require_float_grads(ctx));
  float* dx = ctx.input_grad(0);
  const float* dy = ctx.output_grad(0);
  if (!dx || !dy) return Status::ok();
  TFC_ASSIGN_OR_RETURN(const StridedPlan plan, plan_strided_slice(plan_context(ctx)));
  kernels::strided_slice_backward(dy, plan.in_dims, plan.axes, dx);
  return Status::ok();
}

Status slice_grad(GradContext& ctx) {
  TFC_RETURN_IF_ERROR(require_float_grads(ctx));
  float* dx = ctx.input_grad(0);
  const float* dy = ctx.output_grad(0);
  if (!dx || !dy) return Status::ok();
  TFC_ASSIGN_OR_RETURN(const std::vector<kernels::SliceAxis> axes, plan_slice(plan_context(ctx)));
  kernels::strided_slice_backward(dy, ctx.input_shape(0), axes, dx);
  return Status::ok();
}

// dy (through the fused activation) cut back into the inputs' blocks along
// the axis; rank-0 inputs hold one element each.
Status concatenation_grad(GradContext& ctx) {
  TFC_RETURN_IF_ERROR(require_float_grads(ctx));
  if (!ctx.any_input_needs_grad() || !ctx.output_grad(0)) return Status::ok();
  TFC_ASSIGN_OR_RETURN(const Concat c, resolve_concat(plan_context(ctx)));
  const auto n = static_cast<size_t>(ctx.num_inputs());
  kernels::DimArray<int32_t> sizes(n);  // in place up to 16 inputs
  kernels::DimArray<float*> parts(n);
  for (size_t i = 0; i < n; ++i) {
    const ir::Shape& s = ctx.input_shape(static_cast<int>(i));
    sizes[i] = s.empty() ? 1 : s[c.axis];
    parts[i] = ctx.input_grad(static_cast<int>(i));
  }
  TFC_ASSIGN_OR_RETURN(const float* dy, before_activation(ctx, c.activation));
  kernels::add_whole_to_parts(dy, c.out_shape, c.axis, sizes, parts);
  return Status::ok();
}

// The outputs' gradients laid side by side along the axis (input 1 is the value).
Status split_grad(GradContext& ctx) {
  TFC_RETURN_IF_ERROR(require_float_grads(ctx));
  float* dx = ctx.input_grad(1);
  if (!dx) return Status::ok();
  TFC_ASSIGN_OR_RETURN(const SplitPlan p, plan_split(plan_context(ctx)));
  std::vector<const float*> parts;
  for (int o = 0; o < ctx.num_outputs(); ++o) parts.push_back(ctx.output_grad(o));
  const std::vector<int32_t> sizes(parts.size(), p.out_shape[p.axis]);
  kernels::add_parts_to_whole(parts, ctx.input_shape(1), p.axis, sizes, dx);
  return Status::ok();
}

// Scatter-add into the rows the indices picked (repeated indices add up).
Status gather_grad(GradContext& ctx) {
  TFC_RETURN_IF_ERROR(require_float_grads(ctx));
  float* dx = ctx.input_grad(0);
  const float* dy = ctx.output_grad(0);
  if (!dx || !dy) return Status::ok();
  TFC_ASSIGN_OR_RETURN(const GatherPlan p, plan_gather(plan_context(ctx)));
  thread_local std::vector<int64_t> indices;  // kept from call to call
  TFC_RETURN_IF_ERROR(gather_indices(plan_context(ctx), p, indices));
  kernels::gather_backward(dy, ctx.input_shape(0), p.axis, p.batch_dims, indices.data(), ctx.input_shape(1), dx);
  return Status::ok();
}

Status resize_bilinear_grad(GradContext& ctx) {
  return resize_grad<tflite::ResizeBilinearOptionsT>(ctx, /*bilinear=*/true);
}

Status resize_nearest_neighbor_grad(GradContext& ctx) {
  return resize_grad<tflite::ResizeNearestNeighborOptionsT>(ctx, /*bilinear=*/false);
}

Status depth_to_space_grad(GradContext& ctx) {
  TFC_RETURN_IF_ERROR(require_float_grads(ctx));
  float* dx = ctx.input_grad(0);
  const float* dy = ctx.output_grad(0);
  if (!dx || !dy) return Status::ok();
  const int32_t bs = options_or_default<tflite::DepthToSpaceOptionsT>(ctx.forward()).block_size;
  kernels::depth_to_space_backward(dy, ctx.input_shape(0), bs, dx);
  return Status::ok();
}

Status space_to_depth_grad(GradContext& ctx) {
  TFC_RETURN_IF_ERROR(require_float_grads(ctx));
  float* dx = ctx.input_grad(0);
  const float* dy = ctx.output_grad(0);
  if (!dx || !dy) return Status::ok();
  const int32_t bs = options_or_default<tflite::SpaceToDepthOptionsT>(ctx.forward()).block_size;
  kernels::space_to_depth_backward(dy, ctx.input_shape(0), bs, dx);
  return Status::ok();
}

}  // namespace tfc::ops
