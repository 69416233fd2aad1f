// Shape rules and evaluation of the slicing ops of the shape family:
// STRIDED_SLICE and SLICE. Validation, index clamping and output shapes follow
// LiteRT's builtin kernels (BuildStridedSliceParams, StartForAxis/EndForAxis);
// the copy loop is kernels::strided_slice. Any fixed-size dtype, quantized
// tensors moved byte for byte.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include <fmt/ranges.h>

#include "kernels/shape_ref.h"
#include "ops/op_util.h"
#include "ops/registry.h"
#include "ops/shape_plans.h"

namespace tfc::ops {
namespace {

// ---- STRIDED_SLICE ----------------------------------------------------------

// One dim of the expanded slice spec.
struct SpecDim {
  enum Kind { kRange, kFull, kNewAxis } kind = kFull;
  int64_t begin = 0, end = 0, stride = 1;
  bool begin_mask = false, end_mask = false, shrink = false;
};

bool bit(int32_t mask, size_t i) { return i < 32 && (static_cast<uint32_t>(mask) >> i) & 1u; }

// Expands the spec (begin/end/strides and the masks) to one entry per output-
// side dim, as LiteRT's BuildStridedSliceParams: the ellipsis covers the dims
// the other entries leave, new_axis entries (not also ellipsis) insert a dim
// of 1, dims past the spec are taken whole, extra entries are ignored.
std::vector<SpecDim> expand_spec(const tflite::StridedSliceOptionsT& o, const std::vector<int64_t>& begin,
                                 const std::vector<int64_t>& end, const std::vector<int64_t>& strides,
                                 size_t rank) {
  const size_t n = begin.size();
  size_t num_new = 0;
  for (size_t i = 0; i < n; ++i) num_new += bit(o.new_axis_mask, i) && !bit(o.ellipsis_mask, i);
  const size_t effective = rank + num_new;
  std::vector<SpecDim> dims;
  for (size_t i = 0; i < n && dims.size() < effective; ++i) {
    if (bit(o.ellipsis_mask, i)) {
      const size_t covered = std::max<int64_t>(1, static_cast<int64_t>(effective) - static_cast<int64_t>(n) + 1);
      dims.insert(dims.end(), covered, SpecDim{});
    } else if (bit(o.new_axis_mask, i)) {
      dims.push_back({SpecDim::kNewAxis, 0, 1, 1});
    } else {
      dims.push_back({SpecDim::kRange, begin[i], end[i], strides[i], bit(o.begin_mask, i), bit(o.end_mask, i),
                      bit(o.shrink_axis_mask, i)});
    }
  }
  dims.resize(effective);  // drops what an oversized ellipsis added; pads with whole dims
  return dims;
}

int64_t clamp_index(int64_t v, int64_t stride, int64_t size) {
  return stride > 0 ? std::clamp<int64_t>(v, 0, size) : std::clamp<int64_t>(v, -1, size - 1);
}

// LiteRT's StartForAxis/EndForAxis (reference_ops, DynamicStridedSliceParams).
kernels::SliceAxis resolve_slice_axis(const SpecDim& s, int64_t size, bool offset) {
  int64_t start = s.begin < 0 ? s.begin + size : s.begin;
  start = clamp_index(start, s.stride, size);
  if (s.begin_mask) start = s.stride > 0 ? 0 : size - 1;
  int64_t stop;
  if (s.shrink) {
    stop = start >= size ? start : start + 1;
  } else {
    stop = offset ? s.end + start : s.end;
    if (stop < 0) stop += size;
    stop = clamp_index(stop, s.stride, size);
    if (s.end_mask) stop = s.stride > 0 ? size : -1;
  }
  return {static_cast<int32_t>(start), static_cast<int32_t>(stop), static_cast<int32_t>(s.stride)};
}

// LiteRT's output dim for a span (end - begin) walked with `stride`.
int64_t strided_count(int64_t span, int64_t stride) {
  if ((span < 0) != (stride < 0)) return 0;
  if (stride < 0) return (span + 1) / stride + 1;
  return span == 0 ? 0 : (span - 1) / stride + 1;
}

}  // namespace

Expected<StridedPlan> plan_strided_slice(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 4, 4, 1));
  TFC_RETURN_IF_ERROR(check_outputs_match(ctx, 0));
  for (int i = 1; i <= 3; ++i) TFC_RETURN_IF_ERROR(require_rank(ctx, i, 1));
  const int32_t n = ctx.input_shape(1)[0];
  if (ctx.input_shape(2)[0] != n || ctx.input_shape(3)[0] != n) {
    return ctx.error("begin, end and strides must have the same length, got {}, {} and {}", n,
                     ctx.input_shape(2)[0], ctx.input_shape(3)[0]);
  }
  if (n > 31) return ctx.error("at most 31 slice indices are supported, got {}", n);
  const auto& o = options_or_default<tflite::StridedSliceOptionsT>(ctx);
  int ellipses = 0;
  for (int i = 0; i < n; ++i) ellipses += bit(o.ellipsis_mask, i);
  if (ellipses > 1) return ctx.error("ellipsis_mask {} has more than one bit set", o.ellipsis_mask);

  TFC_ASSIGN_OR_RETURN(const std::vector<int64_t> strides, int_values(ctx, 3));
  TFC_ASSIGN_OR_RETURN(const std::vector<int64_t> end, int_values(ctx, 2));
  // With `offset` the output shape does not depend on begin (end is a size).
  std::vector<int64_t> begin(n, 0);
  const bool begin_known = !o.offset || ctx.input_data(1) != nullptr;
  if (begin_known) {
    TFC_ASSIGN_OR_RETURN(begin, int_values(ctx, 1));
  } else {
    TFC_RETURN_IF_ERROR(require_dtype(ctx, 1, {DType::kInt32, DType::kInt64}));
  }
  for (int i = 0; i < n; ++i) {
    if (strides[i] == 0 || strides[i] == std::numeric_limits<int32_t>::min() || !fits_int32(strides[i]) ||
        !fits_int32(begin[i]) || !fits_int32(end[i])) {
      return ctx.error("slice index {} (begin {}, end {}, stride {}) is invalid", i, begin[i], end[i], strides[i]);
    }
  }

  const ir::Shape& in = ctx.input_shape(0);
  StridedPlan plan;
  size_t next_input_dim = 0;
  int64_t visited = 1;  // elements the kernel will copy
  for (const SpecDim& s : expand_spec(o, begin, end, strides, in.size())) {
    const int64_t size = s.kind == SpecDim::kNewAxis ? 1 : in[next_input_dim++];
    const SpecDim full{SpecDim::kFull, 0, 0, 1, true, true, false};
    const kernels::SliceAxis axis = resolve_slice_axis(s.kind == SpecDim::kFull ? full : s, size, o.offset);
    plan.in_dims.push_back(static_cast<int32_t>(size));
    plan.axes.push_back(axis);
    visited *= kernels::slice_axis_count(axis);
    if (s.shrink) continue;
    const bool from_size = o.offset && s.kind == SpecDim::kRange;
    const int64_t span = from_size ? s.end : static_cast<int64_t>(axis.stop) - axis.start;
    plan.out_shape.push_back(static_cast<int32_t>(strided_count(span, axis.stride)));
  }
  // LiteRT leaves part of the output unwritten when the slice visits fewer
  // elements than its shape holds (a shrunk index out of range, an offset
  // slice running past the end); refuse instead.
  if (begin_known && visited != ir::num_elements(plan.out_shape)) {
    return ctx.error("slice visits {} elements of the input, but its output shape [{}] holds {}", visited,
                     fmt::join(plan.out_shape, ", "), ir::num_elements(plan.out_shape));
  }
  return plan;
}

// ---- SLICE ------------------------------------------------------------------

// LiteRT's rule: begin in [0, dim], size -1 means "to the end", else
// begin + size <= dim. Returns one SliceAxis per input dim.
Expected<std::vector<kernels::SliceAxis>> plan_slice(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 3, 3, 1));
  TFC_RETURN_IF_ERROR(check_outputs_match(ctx, 0));
  if (ctx.input_dtype(1) != ctx.input_dtype(2)) {
    return ctx.error("begin has dtype {} but size has dtype {}", dtype_name(ctx.input_dtype(1)),
                     dtype_name(ctx.input_dtype(2)));
  }
  const ir::Shape& in = ctx.input_shape(0);
  for (int i = 1; i <= 2; ++i) {
    TFC_RETURN_IF_ERROR(require_rank(ctx, i, 1));
    if (ctx.input_shape(i)[0] != static_cast<int32_t>(in.size())) {
      return ctx.error("input {} ('{}') must hold {} values (the input rank), got {}", i, ctx.input_tensor(i).name,
                       in.size(), ctx.input_shape(i)[0]);
    }
  }
  TFC_ASSIGN_OR_RETURN(const std::vector<int64_t> begin, int_values(ctx, 1));
  TFC_ASSIGN_OR_RETURN(const std::vector<int64_t> size, int_values(ctx, 2));
  std::vector<kernels::SliceAxis> axes;
  for (size_t d = 0; d < in.size(); ++d) {
    const int64_t b = begin[d];
    const int64_t s = size[d] == -1 ? in[d] - b : size[d];
    if (b < 0 || b > in[d] || s < 0 || b + s > in[d]) {
      return ctx.error("begin {} and size {} are out of range for dim {} of size {}", b, size[d], d, in[d]);
    }
    axes.push_back({static_cast<int32_t>(b), static_cast<int32_t>(b + s), 1});
  }
  return axes;
}

// ---- Registered functions ---------------------------------------------------

Status strided_slice_shape(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(StridedPlan plan, plan_strided_slice(ctx));
  TFC_RETURN_IF_ERROR(element_size(ctx, 0).status());
  ctx.set_output_shape(0, std::move(plan.out_shape));
  return Status::ok();
}

Status strided_slice_eval(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const StridedPlan plan, plan_strided_slice(ctx));
  TFC_ASSIGN_OR_RETURN(const size_t elem, element_size(ctx, 0));
  kernels::strided_slice(ctx.input_data(0), plan.in_dims, plan.axes, elem, ctx.output_data(0));
  return Status::ok();
}

Status slice_shape(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const std::vector<kernels::SliceAxis> axes, plan_slice(ctx));
  TFC_RETURN_IF_ERROR(element_size(ctx, 0).status());
  ir::Shape out;
  for (const kernels::SliceAxis& a : axes) out.push_back(a.stop - a.start);
  ctx.set_output_shape(0, std::move(out));
  return Status::ok();
}

Status slice_eval(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const std::vector<kernels::SliceAxis> axes, plan_slice(ctx));
  TFC_ASSIGN_OR_RETURN(const size_t elem, element_size(ctx, 0));
  kernels::strided_slice(ctx.input_data(0), ctx.input_shape(0), axes, elem, ctx.output_data(0));
  return Status::ok();
}

}  // namespace tfc::ops
