// Gradient rules of the misc data family (ops/data_ops.cc): PACK, UNPACK,
// SPLIT_V, TILE, MIRROR_PAD, BROADCAST_TO.
// Contract: ops/grad_context.h. Each rule resolves the plan its forward ran
// with (ops/data_plans.h) and calls a reference backward kernel
// (kernels/data_grad_ref.h, and shape_grad_ref.h's block kernels); tested
// against central finite differences (tests/cpp/grad_check.h). Only float32
// data inputs get gradients; size, axis, multiples and paddings inputs have
// none, and asking for one is an error.
#include <vector>

#include "kernels/data_grad_ref.h"
#include "kernels/shape_grad_ref.h"
#include "ops/data_plans.h"
#include "ops/grad_util.h"
#include "ops/registry.h"

namespace tfc::ops {

// dy cut along the new axis into one slice per input.
Status pack_grad(GradContext& ctx) {
  TFC_RETURN_IF_ERROR(require_float_grads(ctx));
  const float* dy = ctx.output_grad(0);
  if (!dy || !ctx.any_input_needs_grad()) return Status::ok();
  TFC_ASSIGN_OR_RETURN(const int axis, resolve_pack(plan_context(ctx)));
  std::vector<float*> parts;
  for (int i = 0; i < ctx.num_inputs(); ++i) parts.push_back(ctx.input_grad(i));
  const std::vector<int32_t> sizes(parts.size(), 1);
  kernels::add_whole_to_parts(dy, ctx.output_shape(0), axis, sizes, parts);
  return Status::ok();
}

// The outputs' gradients stacked back along the axis (missing ones: zero).
Status unpack_grad(GradContext& ctx) {
  TFC_RETURN_IF_ERROR(require_float_grads(ctx));
  float* dx = ctx.input_grad(0);
  if (!dx) return Status::ok();
  TFC_ASSIGN_OR_RETURN(const int axis, resolve_unpack(plan_context(ctx)));
  std::vector<const float*> parts;
  for (int o = 0; o < ctx.num_outputs(); ++o) parts.push_back(ctx.output_grad(o));
  const std::vector<int32_t> sizes(parts.size(), 1);
  kernels::add_parts_to_whole(parts, ctx.input_shape(0), axis, sizes, dx);
  return Status::ok();
}

// The outputs' gradients laid side by side along the axis (missing ones: zero).
Status split_v_grad(GradContext& ctx) {
  TFC_RETURN_IF_ERROR(require_float_grads(ctx));
  float* dx = ctx.input_grad(0);
  if (!dx) return Status::ok();
  TFC_ASSIGN_OR_RETURN(const SplitVPlan plan, resolve_split_v(plan_context(ctx)));
  std::vector<const float*> parts;
  for (int o = 0; o < ctx.num_outputs(); ++o) parts.push_back(ctx.output_grad(o));
  kernels::add_parts_to_whole(parts, ctx.input_shape(0), plan.axis, plan.sizes, dx);
  return Status::ok();
}

// Every tile's gradient added back into the input (the multiples are the
// output's dims over the input's).
Status tile_grad(GradContext& ctx) {
  TFC_RETURN_IF_ERROR(require_float_grads(ctx));
  float* dx = ctx.input_grad(0);
  const float* dy = ctx.output_grad(0);
  if (!dx || !dy) return Status::ok();
  kernels::tile_backward(dy, ctx.input_shape(0), ctx.output_shape(0), dx);
  return Status::ok();
}

// Each padded element's gradient added into the element it mirrors.
Status mirror_pad_grad(GradContext& ctx) {
  TFC_RETURN_IF_ERROR(require_float_grads(ctx));
  float* dx = ctx.input_grad(0);
  const float* dy = ctx.output_grad(0);
  if (!dx || !dy) return Status::ok();
  TFC_ASSIGN_OR_RETURN(const MirrorPlan plan, resolve_mirror_pad(plan_context(ctx)));
  kernels::mirror_pad_backward(dy, ctx.input_shape(0), plan.before, plan.after, plan.symmetric, dx);
  return Status::ok();
}

// dy summed over the broadcast dims.
Status broadcast_to_grad(GradContext& ctx) {
  TFC_RETURN_IF_ERROR(require_float_grads(ctx));
  float* dx = ctx.input_grad(0);
  const float* dy = ctx.output_grad(0);
  if (!dx || !dy) return Status::ok();
  kernels::broadcast_to_backward(dy, ctx.input_shape(0), ctx.output_shape(0), dx);
  return Status::ok();
}

}  // namespace tfc::ops
