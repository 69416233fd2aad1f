// Shape rules and evaluation of the shape and data-movement ops: MEAN, SUM,
// PAD, PADV2, RESHAPE, SQUEEZE, EXPAND_DIMS, TRANSPOSE, CONCATENATION, SPLIT,
// GATHER, RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR, DEPTH_TO_SPACE,
// SPACE_TO_DEPTH (STRIDED_SLICE and SLICE: slice_ops.cc). Validation, option
// defaults, index clamping and output shapes follow LiteRT's builtin kernels;
// the loops live in kernels/shape_ref. Quantized int8 / uint8 / int16
// tensors are moved byte for byte; MEAN, SUM, RESIZE_BILINEAR and
// CONCATENATION of differently quantized inputs compute on them with the
// integer kernels of kernels/shape_int.h (MEAN / SUM also float32, SUM
// int32; RESIZE_BILINEAR float32).
// The plans the gradient rules share are declared in ops/shape_plans.h.
#include <cstring>
#include <initializer_list>
#include <optional>
#include <vector>

#include <fmt/ranges.h>

#include "kernels/shape_int.h"
#include "kernels/shape_ref.h"
#include "kernels/xnn_reduce.h"
#include "ops/op_util.h"
#include "ops/registry.h"
#include "ops/shape_plans.h"

namespace tfc::ops {
namespace {

using IntTypes = Types<int8_t, uint8_t, int16_t>;

// ---- Shared helpers --------------------------------------------------------

// Copies input i's bytes to output o (RESHAPE, SQUEEZE, EXPAND_DIMS); nothing
// to do when the runtime lets the output share the input's buffer.
Status copy_input_to_output(OpContext& ctx, int i, int o) {
  TFC_ASSIGN_OR_RETURN(const size_t elem, element_size(ctx, i));
  const int64_t n = ir::num_elements(ctx.input_shape(i));
  if (n > 0 && ctx.output_data(o) != ctx.input_data(i)) std::memcpy(ctx.output_data(o), ctx.input_data(i), n * elem);
  return Status::ok();
}

// ---- MEAN / SUM -------------------------------------------------------------

// An input of one of `dtypes`, reduced along the axes of input 1
// (resolve_reduction_axes: LiteRT's reducer rule).
Expected<Reduction> resolve_reduction(OpContext& ctx, std::initializer_list<DType> dtypes) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 2, 2, 1));
  TFC_RETURN_IF_ERROR(require_dtype(ctx, 0, dtypes));
  TFC_RETURN_IF_ERROR(check_outputs_match(ctx, 0));
  return resolve_reduction_axes(ctx);
}

}  // namespace

// ---- PAD / PADV2 ------------------------------------------------------------

// Paddings: (rank, 2) int32/int64, non-negative; PADV2's optional constant
// value: one element of the input's dtype.
Expected<PadAmounts> resolve_padding(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 2, 3, 1));
  TFC_RETURN_IF_ERROR(check_outputs_match(ctx, 0));
  const ir::Shape& in = ctx.input_shape(0);
  const ir::Shape& pads = ctx.input_shape(1);
  if (pads.size() != 2 || pads[0] != static_cast<int32_t>(in.size()) || pads[1] != 2) {
    return ctx.error("paddings '{}' must have shape ({}, 2), got [{}]", ctx.input_tensor(1).name, in.size(),
                     fmt::join(pads, ", "));
  }
  if (ctx.has_input(2)) {
    if (ctx.input_dtype(2) != ctx.input_dtype(0)) {
      return ctx.error("constant value '{}' has dtype {}, the input has {}", ctx.input_tensor(2).name,
                       dtype_name(ctx.input_dtype(2)), dtype_name(ctx.input_dtype(0)));
    }
    if (ir::num_elements(ctx.input_shape(2)) != 1) {
      return ctx.error("constant value '{}' must hold one element", ctx.input_tensor(2).name);
    }
  }
  TFC_ASSIGN_OR_RETURN(const std::vector<int64_t> values, int_values(ctx, 1));
  PadAmounts p;
  for (size_t d = 0; d < in.size(); ++d) {
    const int64_t before = values[2 * d], after = values[2 * d + 1];
    if (before < 0 || after < 0 || !fits_int32(before) || !fits_int32(after) ||
        !fits_int32(in[d] + before + after)) {
      return ctx.error("padding ({}, {}) of dim {} must be non-negative and fit int32", before, after, d);
    }
    p.before.push_back(static_cast<int32_t>(before));
    p.after.push_back(static_cast<int32_t>(after));
  }
  return p;
}

namespace {

// The fill value's bytes: PADV2's constant, else the output zero point for
// uint8 and quantized int8/int16 (LiteRT's EvalInt), else zero.
std::vector<uint8_t> pad_value_bytes(OpContext& ctx, size_t elem) {
  std::vector<uint8_t> bytes(elem, 0);
  if (ctx.has_input(2)) {
    std::memcpy(bytes.data(), ctx.input_data(2), elem);
    return bytes;
  }
  const ir::Tensor& out = ctx.output_tensor(0);
  const int64_t zero_point = out.is_quantized() && !out.quantization->zero_point.empty()
                                 ? out.quantization->zero_point[0]
                                 : 0;
  const DType t = ctx.input_dtype(0);
  if (t == DType::kUInt8) bytes[0] = static_cast<uint8_t>(zero_point);
  if (t == DType::kInt8) bytes[0] = static_cast<uint8_t>(static_cast<int8_t>(zero_point));
  if (t == DType::kInt16) {
    const int16_t v = static_cast<int16_t>(zero_point);
    std::memcpy(bytes.data(), &v, sizeof v);
  }
  return bytes;
}

Status pad_shape_impl(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const PadAmounts p, resolve_padding(ctx));
  TFC_RETURN_IF_ERROR(element_size(ctx, 0).status());
  ir::Shape out = ctx.input_shape(0);
  for (size_t d = 0; d < out.size(); ++d) out[d] += p.before[d] + p.after[d];
  ctx.set_output_shape(0, std::move(out));
  return Status::ok();
}

Status pad_eval_impl(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const PadAmounts p, resolve_padding(ctx));
  TFC_ASSIGN_OR_RETURN(const size_t elem, element_size(ctx, 0));
  const std::vector<uint8_t> value = pad_value_bytes(ctx, elem);
  kernels::pad(ctx.input_data(0), ctx.input_shape(0), p.before, p.after, value.data(), elem, ctx.output_data(0));
  return Status::ok();
}

// ---- RESHAPE ----------------------------------------------------------------

// The requested shape: the 2nd input when it is a vector (LiteRT reads it only
// then; an empty vector means a scalar), else ReshapeOptions.new_shape, where
// the legacy [0] also means a scalar; no options at all mean a scalar.
Expected<std::vector<int64_t>> requested_shape(OpContext& ctx) {
  if (ctx.has_input(1) && ctx.input_shape(1).size() == 1) return int_values(ctx, 1);
  const auto* opts = ctx.op().options_as<tflite::ReshapeOptionsT>();
  if (opts == nullptr || opts->new_shape == std::vector<int32_t>{0}) return std::vector<int64_t>{};
  return std::vector<int64_t>(opts->new_shape.begin(), opts->new_shape.end());
}

// LiteRT's rule: one -1 dim takes the remaining elements (zero-sized dims are
// skipped when dividing); the element counts must then match.
Expected<ir::Shape> infer_reshape(const OpContext& ctx, const std::vector<int64_t>& requested) {
  const int64_t in_count = ir::num_elements(ctx.input_shape(0));
  int64_t in_nonzero = 1;
  for (int32_t d : ctx.input_shape(0)) in_nonzero *= d != 0 ? d : 1;
  int64_t out_count = 1, out_nonzero = 1;
  std::optional<size_t> stretch;
  for (size_t i = 0; i < requested.size(); ++i) {
    const int64_t d = requested[i];
    if (d == -1 && stretch) return ctx.error("new shape [{}] has more than one -1", fmt::join(requested, ", "));
    if (d == -1) {
      stretch = i;
      continue;
    }
    if (d < 0 || !fits_int32(d)) {
      return ctx.error("new shape [{}] has an invalid dim {}", fmt::join(requested, ", "), d);
    }
    out_count *= d;
    out_nonzero *= d != 0 ? d : 1;
  }
  ir::Shape out(requested.begin(), requested.end());
  if (stretch) {
    const int64_t inferred = (in_count == 0 && out_count != 0) ? 0 : in_nonzero / out_nonzero;
    out[*stretch] = static_cast<int32_t>(inferred);
    out_count *= inferred;
  }
  if (out_count != in_count) {
    return ctx.error("cannot reshape [{}] ({} elements) to [{}] ({} elements)", fmt::join(ctx.input_shape(0), ", "),
                     in_count, fmt::join(requested, ", "), out_count);
  }
  return out;
}

}  // namespace

// ---- TRANSPOSE --------------------------------------------------------------

// TRANSPOSE's perm: a permutation of [0, rank), rank <= 6 (LiteRT's limit).
Expected<std::vector<int32_t>> transpose_perm(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 2, 2, 1));
  TFC_RETURN_IF_ERROR(check_outputs_match(ctx, 0));
  const size_t rank = ctx.input_shape(0).size();
  if (rank > 6) return ctx.error("input rank {} exceeds 6", rank);
  TFC_RETURN_IF_ERROR(require_rank(ctx, 1, 1));
  TFC_ASSIGN_OR_RETURN(const std::vector<int64_t> values, int_values(ctx, 1));
  std::vector<bool> seen(rank, false);
  bool valid = values.size() == rank;
  for (size_t k = 0; valid && k < rank; ++k) {
    valid = values[k] >= 0 && values[k] < static_cast<int64_t>(rank) && !seen[values[k]];
    if (valid) seen[values[k]] = true;
  }
  if (!valid) return ctx.error("perm [{}] is not a permutation of {} dims", fmt::join(values, ", "), rank);
  return std::vector<int32_t>(values.begin(), values.end());
}

// ---- CONCATENATION ----------------------------------------------------------

// LiteRT's rule: same dtype and rank, dims equal except along `axis` (which
// may be negative); rank-0 inputs concatenate into a vector.
Expected<Concat> resolve_concat(OpContext& ctx) {
  if (ctx.num_inputs() < 1) return ctx.error("expected at least one input");
  TFC_RETURN_IF_ERROR(check_arity(ctx, ctx.num_inputs(), ctx.num_inputs(), 1));
  TFC_RETURN_IF_ERROR(check_outputs_match(ctx, 0));
  const auto& opts = options_or_default<tflite::ConcatenationOptionsT>(ctx);
  Concat c;
  const ir::Shape& first = ctx.input_shape(0);
  if (!first.empty() || opts.axis != 0) {
    TFC_ASSIGN_OR_RETURN(c.axis, resolve_axis(ctx, opts.axis, first.size()));
  }
  c.activation = to_activation(opts.fused_activation_function);
  if (c.activation != kernels::Activation::kNone && ctx.input_dtype(0) != DType::kFloat32) {
    return ctx.error("a fused activation needs float32, the inputs are {}", dtype_name(ctx.input_dtype(0)));
  }
  if (is_quantized_int(ctx.input_dtype(0)) && ctx.output_tensor(0).is_quantized()) {
    TFC_RETURN_IF_ERROR(int_qparams(ctx, ctx.output_tensor(0), true).status());
  }
  c.out_shape = kernels::DimArray<int32_t>(first.empty() ? 1 : first.size(), 0);
  std::copy(first.begin(), first.end(), c.out_shape.begin());
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    const ir::Shape& s = ctx.input_shape(i);
    if (ctx.input_dtype(i) != ctx.input_dtype(0)) {
      return ctx.error("input {} ('{}') has dtype {}, input 0 has {}", i, ctx.input_tensor(i).name,
                       dtype_name(ctx.input_dtype(i)), dtype_name(ctx.input_dtype(0)));
    }
    if (is_quantized_int(ctx.input_dtype(0)) && ctx.output_tensor(0).is_quantized()) {
      // Inputs quantized differently from the output are rescaled to it.
      TFC_RETURN_IF_ERROR(int_qparams(ctx, ctx.input_tensor(i), true).status());
    } else if (!same_quantization(ctx.input_tensor(i), ctx.output_tensor(0))) {
      return unsupported("{}: input {} ('{}') is quantized differently from the output; requantizing is not supported",
                         ctx.op_name(), i, ctx.input_tensor(i).name);
    }
    bool compatible = s.size() == first.size();
    for (size_t d = 0; compatible && d < s.size(); ++d) compatible = static_cast<int>(d) == c.axis || s[d] == first[d];
    if (!compatible) {
      return ctx.error("input {} ('{}') has shape [{}], incompatible with [{}] along axis {}", i,
                       ctx.input_tensor(i).name, fmt::join(s, ", "), fmt::join(first, ", "), c.axis);
    }
    if (i > 0 || first.empty()) c.out_shape[c.axis] += s.empty() ? 1 : s[c.axis];
  }
  return c;
}

// ---- SPLIT ------------------------------------------------------------------

// Input 0 is the axis (one int), input 1 the value; num_splits outputs.
Expected<SplitPlan> plan_split(OpContext& ctx) {
  const int num_splits = options_or_default<tflite::SplitOptionsT>(ctx).num_splits;
  if (num_splits <= 0) return ctx.error("num_splits must be positive, got {}", num_splits);
  TFC_RETURN_IF_ERROR(check_arity(ctx, 2, 2, num_splits));
  TFC_RETURN_IF_ERROR(check_outputs_match(ctx, 1));
  TFC_ASSIGN_OR_RETURN(const int64_t raw_axis, int_scalar_after_read(ctx, 0));
  const ir::Shape& in = ctx.input_shape(1);
  TFC_ASSIGN_OR_RETURN(const int axis, resolve_axis(ctx, raw_axis, in.size()));
  if (in[axis] % num_splits != 0) {
    return ctx.error("dim {} of size {} does not split evenly into {}", axis, in[axis], num_splits);
  }
  SplitPlan p{axis, in};
  p.out_shape[axis] /= num_splits;
  return p;
}

// ---- GATHER -----------------------------------------------------------------

// LiteRT's rule: axis and batch_dims may be negative (batch_dims relative to
// the indices' rank); 0 <= batch_dims <= axis; the batch dims must agree.
Expected<GatherPlan> plan_gather(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 2, 2, 1));
  TFC_RETURN_IF_ERROR(check_outputs_match(ctx, 0));
  TFC_RETURN_IF_ERROR(require_dtype(ctx, 1, {DType::kInt16, DType::kInt32, DType::kInt64}));
  const auto& opts = options_or_default<tflite::GatherOptionsT>(ctx);
  const ir::Shape& in = ctx.input_shape(0);
  const ir::Shape& idx = ctx.input_shape(1);
  TFC_ASSIGN_OR_RETURN(const int axis, resolve_axis(ctx, opts.axis, in.size()));
  int64_t batch_dims = opts.batch_dims;
  if (batch_dims < 0) batch_dims += static_cast<int64_t>(idx.size());
  if (batch_dims < 0 || batch_dims > axis || batch_dims > static_cast<int64_t>(idx.size())) {
    return ctx.error("batch_dims {} must be in [0, min(axis {}, indices rank {})]", batch_dims, axis, idx.size());
  }
  GatherPlan p{axis, static_cast<int>(batch_dims)};
  for (int d = 0; d < p.batch_dims; ++d) {
    if (in[d] != idx[d]) return ctx.error("batch dim {} differs: input {} vs indices {}", d, in[d], idx[d]);
  }
  return p;
}

ir::Shape gather_out_shape(const OpContext& ctx, const GatherPlan& p) {
  const ir::Shape& in = ctx.input_shape(0);
  const ir::Shape& idx = ctx.input_shape(1);
  ir::Shape out(in.begin(), in.begin() + p.axis);
  out.insert(out.end(), idx.begin() + p.batch_dims, idx.end());
  out.insert(out.end(), in.begin() + p.axis + 1, in.end());
  return out;
}

Status gather_indices(OpContext& ctx, const GatherPlan& p, std::vector<int64_t>& out) {
  if (ctx.input_data(1) == nullptr) return ctx.value_needed(1);
  const DType t = ctx.input_dtype(1);
  out.resize(static_cast<size_t>(ir::num_elements(ctx.input_shape(1))));
  for (size_t k = 0; k < out.size(); ++k) {
    if (t == DType::kInt32) out[k] = ctx.input<int32_t>(1)[k];
    if (t == DType::kInt64) out[k] = ctx.input<int64_t>(1)[k];
    if (t == DType::kInt16) out[k] = ctx.input<int16_t>(1)[k];
  }
  const int32_t limit = ctx.input_shape(0)[p.axis];
  for (int64_t index : out) {
    if (index < 0 || index >= limit) return ctx.error("gather index {} is out of range [0, {})", index, limit);
  }
  return Status::ok();
}

namespace {

// ---- RESIZE_* ---------------------------------------------------------------

struct ResizePlan {
  int32_t out_h = 0, out_w = 0;
  bool align_corners = false, half_pixel_centers = false;
  ir::Shape out_shape;
};

// Input (N, H, W, C), size a 2-vector (new_height, new_width).
template <typename Options>
Expected<ResizePlan> plan_resize(OpContext& ctx, int64_t min_size) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 2, 2, 1));
  TFC_RETURN_IF_ERROR(check_outputs_match(ctx, 0));
  TFC_RETURN_IF_ERROR(require_rank(ctx, 0, 4));
  TFC_RETURN_IF_ERROR(require_rank(ctx, 1, 1));
  if (ctx.input_shape(1)[0] != 2) return ctx.error("size must hold 2 values, got {}", ctx.input_shape(1)[0]);
  TFC_ASSIGN_OR_RETURN(const std::vector<int64_t> size, int_values(ctx, 1));
  for (int64_t s : size) {
    if (s < min_size || !fits_int32(s)) return ctx.error("output size {} must be at least {}", s, min_size);
  }
  ResizePlan p;
  p.out_h = static_cast<int32_t>(size[0]);
  p.out_w = static_cast<int32_t>(size[1]);
  if (const auto* opts = ctx.op().options_as<Options>()) {
    p.align_corners = opts->align_corners;
    p.half_pixel_centers = opts->half_pixel_centers;
  }
  const ir::Shape& in = ctx.input_shape(0);
  p.out_shape = {in[0], p.out_h, p.out_w, in[3]};
  return p;
}

// ---- DEPTH_TO_SPACE / SPACE_TO_DEPTH ----------------------------------------

template <typename Options>
Expected<int32_t> block_size(const OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 1, 1, 1));
  TFC_RETURN_IF_ERROR(check_outputs_match(ctx, 0));
  TFC_RETURN_IF_ERROR(require_rank(ctx, 0, 4));
  const int32_t bs = options_or_default<Options>(ctx).block_size;
  if (bs < 1) return ctx.error("block_size must be at least 1, got {}", bs);
  return bs;
}

}  // namespace

// ---- Registered functions ---------------------------------------------------

namespace {

// MEAN / SUM of quantized integers: input and output quantized per tensor
// (int16 symmetric).
Status check_int_reduction(const OpContext& ctx) {
  if (!is_quantized_int(ctx.input_dtype(0))) return Status::ok();
  TFC_RETURN_IF_ERROR(int_qparams(ctx, ctx.input_tensor(0), true).status());
  return int_qparams(ctx, ctx.output_tensor(0), true).status();
}

Status int_reduction_eval(OpContext& ctx, bool mean, const Reduction& r) {
  TFC_ASSIGN_OR_RETURN(const kernels::QParams qi, int_qparams(ctx, ctx.input_tensor(0), true));
  TFC_ASSIGN_OR_RETURN(const kernels::QParams qo, int_qparams(ctx, ctx.output_tensor(0), true));
  if (mean && ctx.input_dtype(0) == DType::kInt8 && ctx.arithmetic() == kernels::Requantization::kFloat) {
    // LiteRT's default (XNNPACK) int8 mean: float scale, rounding half to even.
    kernels::xnn_mean_int8(ctx.input<int8_t>(0), ctx.input_shape(0), r.axes, qi, qo, ctx.output<int8_t>(0));
    return Status::ok();
  }
  visit(IntTypes{}, ctx.input_dtype(0), [&](auto tag) {
    using V = decltype(tag);
    kernels::reduce_mean_sum<V>(mean, ctx.input<V>(0), ctx.input_shape(0), r.axes, qi, qo, ctx.output<V>(0));
  });
  return Status::ok();
}
}  // namespace

Status mean_shape(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(Reduction r,
                       resolve_reduction(ctx, {DType::kFloat32, DType::kInt8, DType::kUInt8, DType::kInt16}));
  TFC_RETURN_IF_ERROR(check_int_reduction(ctx));
  ctx.set_output_shape(0, r.out_shape(ctx));
  return Status::ok();
}

Status mean_eval(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const Reduction r,
                       resolve_reduction(ctx, {DType::kFloat32, DType::kInt8, DType::kUInt8, DType::kInt16}));
  if (is_quantized_int(ctx.input_dtype(0))) return int_reduction_eval(ctx, true, r);
  kernels::reduce_mean(ctx.input<float>(0), ctx.input_shape(0), r.axes, ctx.output<float>(0));
  return Status::ok();
}

Status sum_shape(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(Reduction r, resolve_reduction(ctx, {DType::kFloat32, DType::kInt32, DType::kInt8,
                                                            DType::kUInt8, DType::kInt16}));
  TFC_RETURN_IF_ERROR(check_int_reduction(ctx));
  ctx.set_output_shape(0, r.out_shape(ctx));
  return Status::ok();
}

Status sum_eval(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const Reduction r, resolve_reduction(ctx, {DType::kFloat32, DType::kInt32, DType::kInt8,
                                                                  DType::kUInt8, DType::kInt16}));
  if (is_quantized_int(ctx.input_dtype(0))) return int_reduction_eval(ctx, false, r);
  if (ctx.input_dtype(0) == DType::kInt32) {
    kernels::reduce_sum(ctx.input<int32_t>(0), ctx.input_shape(0), r.axes, ctx.output<int32_t>(0));
  } else {
    kernels::reduce_sum(ctx.input<float>(0), ctx.input_shape(0), r.axes, ctx.output<float>(0));
  }
  return Status::ok();
}

Status pad_shape(OpContext& ctx) { return pad_shape_impl(ctx); }
Status pad_eval(OpContext& ctx) { return pad_eval_impl(ctx); }
Status padv2_shape(OpContext& ctx) { return pad_shape_impl(ctx); }
Status padv2_eval(OpContext& ctx) { return pad_eval_impl(ctx); }

Status reshape_shape(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 1, 2, 1));
  TFC_RETURN_IF_ERROR(check_outputs_match(ctx, 0));
  TFC_RETURN_IF_ERROR(element_size(ctx, 0).status());
  TFC_ASSIGN_OR_RETURN(const std::vector<int64_t> requested, requested_shape(ctx));
  TFC_ASSIGN_OR_RETURN(ir::Shape out, infer_reshape(ctx, requested));
  ctx.set_output_shape(0, std::move(out));
  return Status::ok();
}

Status reshape_eval(OpContext& ctx) { return copy_input_to_output(ctx, 0, 0); }

// SQUEEZE: removes the listed dims (negative allowed; each must be 1), or
// every dim of 1 when squeeze_dims is empty.
Status squeeze_shape(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 1, 1, 1));
  TFC_RETURN_IF_ERROR(check_outputs_match(ctx, 0));
  TFC_RETURN_IF_ERROR(element_size(ctx, 0).status());
  const ir::Shape& in = ctx.input_shape(0);
  const auto* opts = ctx.op().options_as<tflite::SqueezeOptionsT>();
  std::vector<bool> drop(in.size(), false);
  if (opts == nullptr || opts->squeeze_dims.empty()) {
    for (size_t d = 0; d < in.size(); ++d) drop[d] = in[d] == 1;
  } else {
    for (int32_t raw : opts->squeeze_dims) {
      const std::optional<int> d = normalize_axis(raw, in.size());
      if (!d || in[*d] != 1) {
        return ctx.error("cannot squeeze dim {} of shape [{}]", raw, fmt::join(in, ", "));
      }
      drop[*d] = true;
    }
  }
  ir::Shape out;
  for (size_t d = 0; d < in.size(); ++d) {
    if (!drop[d]) out.push_back(in[d]);
  }
  ctx.set_output_shape(0, std::move(out));
  return Status::ok();
}

Status squeeze_eval(OpContext& ctx) { return copy_input_to_output(ctx, 0, 0); }

// EXPAND_DIMS: inserts a dim of 1 at `axis` in [-(rank + 1), rank].
Status expand_dims_shape(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 2, 2, 1));
  TFC_RETURN_IF_ERROR(check_outputs_match(ctx, 0));
  TFC_RETURN_IF_ERROR(element_size(ctx, 0).status());
  TFC_ASSIGN_OR_RETURN(const int64_t raw_axis, int_scalar_after_read(ctx, 1));
  ir::Shape out = ctx.input_shape(0);
  const std::optional<int> axis = normalize_axis(raw_axis, out.size() + 1);
  if (!axis) return ctx.error("axis {} is out of range for input rank {}", raw_axis, out.size());
  out.insert(out.begin() + *axis, 1);
  ctx.set_output_shape(0, std::move(out));
  return Status::ok();
}

Status expand_dims_eval(OpContext& ctx) { return copy_input_to_output(ctx, 0, 0); }

Status transpose_shape(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const std::vector<int32_t> perm, transpose_perm(ctx));
  TFC_RETURN_IF_ERROR(element_size(ctx, 0).status());
  ir::Shape out;
  for (int32_t p : perm) out.push_back(ctx.input_shape(0)[p]);
  ctx.set_output_shape(0, std::move(out));
  return Status::ok();
}

Status transpose_eval(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const std::vector<int32_t> perm, transpose_perm(ctx));
  TFC_ASSIGN_OR_RETURN(const size_t elem, element_size(ctx, 0));
  kernels::transpose(ctx.input_data(0), ctx.input_shape(0), perm, elem, ctx.output_data(0));
  return Status::ok();
}

Status concatenation_shape(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(Concat c, resolve_concat(ctx));
  TFC_RETURN_IF_ERROR(element_size(ctx, 0).status());
  ctx.set_output_shape(0, ir::Shape(c.out_shape.begin(), c.out_shape.end()));
  return Status::ok();
}

Status concatenation_eval(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const Concat c, resolve_concat(ctx));
  TFC_ASSIGN_OR_RETURN(const size_t elem, element_size(ctx, 0));
  const auto n = static_cast<size_t>(ctx.num_inputs());
  kernels::DimArray<const void*> inputs(n);  // in place up to 16 inputs
  kernels::DimArray<kernels::Dims> dims(n);
  for (size_t i = 0; i < n; ++i) {
    inputs[i] = ctx.input_data(static_cast<int>(i));
    dims[i] = ctx.input_shape(static_cast<int>(i));
  }
  bool rescale = false;
  for (int i = 0; i < ctx.num_inputs(); ++i) rescale |= !same_quantization(ctx.input_tensor(i), ctx.output_tensor(0));
  if (rescale) {
    std::vector<kernels::QParams> q;
    for (int i = 0; i < ctx.num_inputs(); ++i) {
      TFC_ASSIGN_OR_RETURN(const kernels::QParams qi, int_qparams(ctx, ctx.input_tensor(i), true));
      q.push_back(qi);
    }
    TFC_ASSIGN_OR_RETURN(const kernels::QParams qo, int_qparams(ctx, ctx.output_tensor(0), true));
    visit(IntTypes{}, ctx.input_dtype(0), [&](auto tag) {
      using V = decltype(tag);
      std::vector<const V*> typed;
      for (const void* p : inputs) typed.push_back(static_cast<const V*>(p));
      kernels::concatenation<V>(typed, dims, q, c.axis, qo, ctx.output<V>(0));
    });
    return Status::ok();
  }
  kernels::concatenation(inputs, dims, c.axis, elem, ctx.output_data(0));
  if (c.activation != kernels::Activation::kNone) {
    kernels::activate_in_place({ctx.output<float>(0), static_cast<size_t>(kernels::flat_size(c.out_shape))},
                               c.activation);
  }
  return Status::ok();
}

Status split_shape(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const SplitPlan p, plan_split(ctx));
  TFC_RETURN_IF_ERROR(element_size(ctx, 1).status());
  for (int o = 0; o < ctx.num_outputs(); ++o) ctx.set_output_shape(o, p.out_shape);
  return Status::ok();
}

Status split_eval(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const SplitPlan p, plan_split(ctx));
  TFC_ASSIGN_OR_RETURN(const size_t elem, element_size(ctx, 1));
  std::vector<void*> outputs;
  for (int o = 0; o < ctx.num_outputs(); ++o) outputs.push_back(ctx.output_data(o));
  kernels::split(ctx.input_data(1), ctx.input_shape(1), p.axis, outputs, elem);
  return Status::ok();
}

Status gather_shape(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(GatherPlan p, plan_gather(ctx));
  TFC_RETURN_IF_ERROR(element_size(ctx, 0).status());
  ctx.set_output_shape(0, gather_out_shape(ctx, p));
  return Status::ok();
}

// Indices must lie in [0, dim) along the axis; LiteRT rejects negative ones.
Status gather_eval(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const GatherPlan p, plan_gather(ctx));
  TFC_ASSIGN_OR_RETURN(const size_t elem, element_size(ctx, 0));
  thread_local std::vector<int64_t> indices;  // kept from call to call
  TFC_RETURN_IF_ERROR(gather_indices(ctx, p, indices));
  kernels::gather(ctx.input_data(0), ctx.input_shape(0), p.axis, p.batch_dims, indices.data(), ctx.input_shape(1),
                  elem, ctx.output_data(0));
  return Status::ok();
}

Status resize_bilinear_shape(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(ResizePlan p, plan_resize<tflite::ResizeBilinearOptionsT>(ctx, 1));
  TFC_RETURN_IF_ERROR(require_dtype(ctx, 0, {DType::kFloat32, DType::kInt8, DType::kUInt8, DType::kInt16}));
  if (is_quantized_int(ctx.input_dtype(0))) {
    // Interpolates raw values: input and output quantized alike.
    TFC_RETURN_IF_ERROR(int_qparams(ctx, ctx.input_tensor(0), true).status());
    TFC_RETURN_IF_ERROR(int_qparams(ctx, ctx.output_tensor(0), true).status());
    TFC_RETURN_IF_ERROR(require_same_quantization(ctx, ctx.input_tensor(0), ctx.output_tensor(0)));
  }
  if (p.align_corners && p.half_pixel_centers) {
    return ctx.error("half_pixel_centers and align_corners cannot both be set");
  }
  ctx.set_output_shape(0, std::move(p.out_shape));
  return Status::ok();
}

Status resize_bilinear_eval(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const ResizePlan p, plan_resize<tflite::ResizeBilinearOptionsT>(ctx, 1));
  if (is_quantized_int(ctx.input_dtype(0))) {
    visit(IntTypes{}, ctx.input_dtype(0), [&](auto tag) {
      using V = decltype(tag);
      kernels::resize_bilinear_int<V>(ctx.input<V>(0), ctx.input_shape(0), p.out_h, p.out_w, p.align_corners,
                                      p.half_pixel_centers, ctx.output<V>(0));
    });
    return Status::ok();
  }
  kernels::resize_bilinear(ctx.input<float>(0), ctx.input_shape(0), p.out_h, p.out_w, p.align_corners,
                           p.half_pixel_centers, ctx.output<float>(0));
  return Status::ok();
}

Status resize_nearest_neighbor_shape(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(ResizePlan p, plan_resize<tflite::ResizeNearestNeighborOptionsT>(ctx, 0));
  TFC_RETURN_IF_ERROR(element_size(ctx, 0).status());
  ctx.set_output_shape(0, std::move(p.out_shape));
  return Status::ok();
}

Status resize_nearest_neighbor_eval(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const ResizePlan p, plan_resize<tflite::ResizeNearestNeighborOptionsT>(ctx, 0));
  TFC_ASSIGN_OR_RETURN(const size_t elem, element_size(ctx, 0));
  kernels::resize_nearest_neighbor(ctx.input_data(0), ctx.input_shape(0), p.out_h, p.out_w, p.align_corners,
                                   p.half_pixel_centers, elem, ctx.output_data(0));
  return Status::ok();
}

Status depth_to_space_shape(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const int32_t bs, block_size<tflite::DepthToSpaceOptionsT>(ctx));
  TFC_RETURN_IF_ERROR(element_size(ctx, 0).status());
  const ir::Shape& in = ctx.input_shape(0);
  if (in[3] % (bs * bs) != 0) return ctx.error("depth {} is not a multiple of block_size² = {}", in[3], bs * bs);
  ctx.set_output_shape(0, {in[0], in[1] * bs, in[2] * bs, in[3] / (bs * bs)});
  return Status::ok();
}

Status depth_to_space_eval(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const int32_t bs, block_size<tflite::DepthToSpaceOptionsT>(ctx));
  TFC_ASSIGN_OR_RETURN(const size_t elem, element_size(ctx, 0));
  kernels::depth_to_space(ctx.input_data(0), ctx.input_shape(0), bs, elem, ctx.output_data(0));
  return Status::ok();
}

Status space_to_depth_shape(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const int32_t bs, block_size<tflite::SpaceToDepthOptionsT>(ctx));
  TFC_RETURN_IF_ERROR(element_size(ctx, 0).status());
  const ir::Shape& in = ctx.input_shape(0);
  if (in[1] % bs != 0 || in[2] % bs != 0) {
    return ctx.error("height {} and width {} must be multiples of block_size {}", in[1], in[2], bs);
  }
  ctx.set_output_shape(0, {in[0], in[1] / bs, in[2] / bs, in[3] * bs * bs});
  return Status::ok();
}

Status space_to_depth_eval(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const int32_t bs, block_size<tflite::SpaceToDepthOptionsT>(ctx));
  TFC_ASSIGN_OR_RETURN(const size_t elem, element_size(ctx, 0));
  kernels::space_to_depth(ctx.input_data(0), ctx.input_shape(0), bs, elem, ctx.output_data(0));
  return Status::ok();
}

}  // namespace tfc::ops
