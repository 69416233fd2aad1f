// Shared checks and readers of the op families (see op_util.h).
#include "ops/op_util.h"

#include <algorithm>
#include <cmath>

#include <fmt/ranges.h>

namespace tfc::ops {

std::string shape_str(const ir::Shape& s) { return fmt::format("[{}]", fmt::join(s, ", ")); }

bool is_one_of(DType t, std::initializer_list<DType> types) {
  return std::find(types.begin(), types.end(), t) != types.end();
}

// ---- Arity and dtypes ------------------------------------------------------------

Status check_arity(const OpContext& ctx, int min_inputs, int max_inputs, int outputs) {
  const int n = ctx.num_inputs();
  if (n < min_inputs || n > max_inputs) {
    return min_inputs == max_inputs
               ? ctx.error("expects {} input{}, got {}", min_inputs, min_inputs == 1 ? "" : "s", n)
               : ctx.error("expects {} to {} inputs, got {}", min_inputs, max_inputs, n);
  }
  for (int i = 0; i < min_inputs; ++i) {
    if (!ctx.has_input(i)) return ctx.error("input {} is required but absent", i);
  }
  if (ctx.num_outputs() != outputs) {
    return ctx.error("expected {} output{}, got {}", outputs, outputs == 1 ? "" : "s", ctx.num_outputs());
  }
  return Status::ok();
}

Status require_dtype(const OpContext& ctx, int i, std::initializer_list<DType> allowed) {
  if (is_one_of(ctx.input_dtype(i), allowed)) return Status::ok();
  return ctx.unsupported_dtype(i);
}

Status require_same_dtype(const OpContext& ctx, int i, int j) {
  if (ctx.input_dtype(i) == ctx.input_dtype(j)) return Status::ok();
  return ctx.error("input {} ('{}') has dtype {}, but input {} ('{}') has {}", j, ctx.input_tensor(j).name,
                   dtype_name(ctx.input_dtype(j)), i, ctx.input_tensor(i).name, dtype_name(ctx.input_dtype(i)));
}

Expected<size_t> element_size(const OpContext& ctx, int i) {
  const size_t size = dtype_size(ctx.input_dtype(i));
  if (size == 0) return ctx.unsupported_dtype(i);
  return size;
}

Status check_output_dtype(const OpContext& ctx, int o, DType expected) {
  if (ctx.output_dtype(o) == expected) return Status::ok();
  // ctx.error already names output 0.
  if (o == 0) {
    return ctx.error("output has dtype {}, expected {}", dtype_name(ctx.output_dtype(0)), dtype_name(expected));
  }
  return ctx.error("output {} ('{}') has dtype {}, expected {}", o, ctx.output_tensor(o).name,
                   dtype_name(ctx.output_dtype(o)), dtype_name(expected));
}

Status check_outputs_match(const OpContext& ctx, int i) {
  for (int o = 0; o < ctx.num_outputs(); ++o) {
    if (ctx.output_dtype(o) != ctx.input_dtype(i)) {
      return ctx.error("output {} ('{}') has dtype {} but input {} ('{}') has dtype {}", o,
                       ctx.output_tensor(o).name, dtype_name(ctx.output_dtype(o)), i, ctx.input_tensor(i).name,
                       dtype_name(ctx.input_dtype(i)));
    }
  }
  return Status::ok();
}

// ---- Ranks and element counts ------------------------------------------------------

Status require_rank(const OpContext& ctx, int i, size_t rank) {
  if (ctx.input_shape(i).size() == rank) return Status::ok();
  return ctx.error("input {} ('{}') must have rank {}, got rank {}", i, ctx.input_tensor(i).name, rank,
                   ctx.input_shape(i).size());
}

Status require_count(const OpContext& ctx, int i, int64_t count) {
  const int64_t n = ir::num_elements(ctx.input_shape(i));
  if (n == count) return Status::ok();
  return ctx.error("input {} ('{}') must hold {} value{}, got {}", i, ctx.input_tensor(i).name, count,
                   count == 1 ? "" : "s", n);
}

// ---- Integer inputs read as values ---------------------------------------------------

Expected<std::vector<int64_t>> int_values(OpContext& ctx, int i, bool allow_int16) {
  const DType t = ctx.input_dtype(i);
  if (t != DType::kInt32 && t != DType::kInt64 && !(allow_int16 && t == DType::kInt16)) {
    return ctx.unsupported_dtype(i);
  }
  if (ctx.input_data(i) == nullptr) return ctx.value_needed(i);
  const int64_t n = ir::num_elements(ctx.input_shape(i));
  std::vector<int64_t> values(n);
  for (int64_t k = 0; k < n; ++k) {
    if (t == DType::kInt32) values[k] = ctx.input<int32_t>(i)[k];
    if (t == DType::kInt64) values[k] = ctx.input<int64_t>(i)[k];
    if (t == DType::kInt16) values[k] = ctx.input<int16_t>(i)[k];
  }
  return values;
}

Expected<int64_t> int_scalar(OpContext& ctx, int i) {
  TFC_RETURN_IF_ERROR(require_count(ctx, i, 1));
  TFC_ASSIGN_OR_RETURN(const std::vector<int64_t> values, int_values(ctx, i));
  return values[0];
}

Expected<int64_t> int_scalar_after_read(OpContext& ctx, int i) {
  TFC_ASSIGN_OR_RETURN(const std::vector<int64_t> values, int_values(ctx, i));
  TFC_RETURN_IF_ERROR(require_count(ctx, i, 1));
  return values[0];
}

Expected<ir::Shape> dims_from(const OpContext& ctx, const std::vector<int64_t>& values) {
  ir::Shape dims;
  for (int64_t v : values) {
    if (v < 0 || !fits_int32(v)) return ctx.error("dim {} of the requested shape is invalid", v);
    dims.push_back(static_cast<int32_t>(v));
  }
  return dims;
}

// ---- Axes ------------------------------------------------------------------------------

std::optional<int> normalize_axis(int64_t axis, size_t rank) {
  const int64_t r = static_cast<int64_t>(rank);
  if (axis < -r || axis >= r) return std::nullopt;
  return static_cast<int>(axis < 0 ? axis + r : axis);
}

Expected<int> resolve_axis(const OpContext& ctx, int64_t axis, size_t rank) {
  const std::optional<int> a = normalize_axis(axis, rank);
  if (!a) return ctx.error("axis {} is out of range for rank {}", axis, rank);
  return *a;
}

Expected<Reduction> resolve_reduction_axes(OpContext& ctx) {
  const DType t = ctx.input_dtype(1);
  if (t != DType::kInt32 && t != DType::kInt64) return ctx.unsupported_dtype(1);
  if (ctx.input_data(1) == nullptr) return ctx.value_needed(1);
  const size_t rank = ctx.input_shape(0).size();
  Reduction r;
  r.axes = kernels::DimArray<int32_t>(static_cast<size_t>(ir::num_elements(ctx.input_shape(1))));
  for (size_t k = 0; k < r.axes.size(); ++k) {
    const int64_t a = t == DType::kInt32 ? ctx.input<int32_t>(1)[k] : ctx.input<int64_t>(1)[k];
    TFC_ASSIGN_OR_RETURN(r.axes[k], resolve_axis(ctx, a, rank));
  }
  r.keep_dims = options_or_default<tflite::ReducerOptionsT>(ctx).keep_dims;
  return r;
}

ir::Shape Reduction::out_shape(const OpContext& ctx) const {
  const ir::Shape& in = ctx.input_shape(0);
  std::vector<bool> reduced(in.size(), false);
  for (int32_t a : axes) reduced[static_cast<size_t>(a)] = true;
  ir::Shape out;
  for (size_t d = 0; d < in.size(); ++d) {
    if (!reduced[d]) out.push_back(in[d]);
    else if (keep_dims) out.push_back(1);
  }
  return out;
}

// ---- Broadcasting ------------------------------------------------------------------------

Expected<ir::Shape> broadcast_inputs(const OpContext& ctx, std::initializer_list<int> inputs) {
  ir::Shape out;
  for (int i : inputs) {
    std::vector<int32_t> next;
    if (!kernels::broadcast_shape(out, ctx.input_shape(i), next)) {
      return ctx.error("input {} ('{}') of shape {} does not broadcast with {}", i, ctx.input_tensor(i).name,
                       shape_str(ctx.input_shape(i)), shape_str(out));
    }
    out = std::move(next);
  }
  return out;
}

// ---- Quantization and fused activations ----------------------------------------------------

bool same_quantization(const ir::Tensor& a, const ir::Tensor& b) {
  if (!a.is_quantized() && !b.is_quantized()) return true;
  if (a.is_quantized() != b.is_quantized()) return false;
  const int64_t za = a.quantization->zero_point.empty() ? 0 : a.quantization->zero_point[0];
  const int64_t zb = b.quantization->zero_point.empty() ? 0 : b.quantization->zero_point[0];
  return a.quantization->scale == b.quantization->scale && za == zb;
}

Status require_same_quantization(const OpContext& ctx, const ir::Tensor& a, const ir::Tensor& b) {
  if (same_quantization(a, b)) return Status::ok();
  return unsupported("{}: '{}' and '{}' are quantized differently; requantizing is not supported", ctx.op_name(),
                     a.name, b.name);
}

Status check_activation(const OpContext& ctx, tflite::ActivationFunctionType a) {
  if (a >= tflite::ActivationFunctionType_MIN && a <= tflite::ActivationFunctionType_MAX) return Status::ok();
  return ctx.error("fused_activation_function {} is not a known activation", static_cast<int>(a));
}

// ---- Quantization of integer tensors --------------------------------------------

bool is_quantized_int(DType t) { return is_one_of(t, {DType::kInt8, DType::kUInt8, DType::kInt16}); }

// The per-tensor scale and zero point of integer tensor t as the integer
// kernels read them: present, one scale (per tensor), positive and finite,
// zero point within t's type; int16 zero point 0 when `symmetric_int16`
// (LiteRT's int16x8 kernels require it).
Expected<kernels::QParams> int_qparams(const OpContext& ctx, const ir::Tensor& t, bool symmetric_int16) {
  if (!t.is_quantized()) {
    return ctx.error("tensor '{}' ({}) has no quantization parameters; the integer kernel needs a scale and zero point",
                     t.name, dtype_name(t.dtype));
  }
  const ir::Quantization& q = *t.quantization;
  if (q.scale.size() != 1 || q.zero_point.size() > 1) {
    return ctx.error("tensor '{}' ({}) has {} scales; the integer kernel needs one (per-tensor quantization)", t.name,
                     dtype_name(t.dtype), q.scale.size());
  }
  const float scale = q.scale[0];
  if (!(scale > 0.0f) || !std::isfinite(scale)) {
    return ctx.error("tensor '{}' ({}) has quantization scale {}, expected a positive finite value", t.name,
                     dtype_name(t.dtype), scale);
  }
  const int64_t zp = q.zero_point.empty() ? 0 : q.zero_point[0];
  int64_t lo = 0, hi = 0;
  switch (t.dtype) {
    case DType::kInt8: lo = -128, hi = 127; break;
    case DType::kUInt8: lo = 0, hi = 255; break;
    case DType::kInt16: lo = symmetric_int16 ? 0 : -32768, hi = symmetric_int16 ? 0 : 32767; break;
    default: return ctx.error("tensor '{}' has dtype {}, not an integer quantized type", t.name, dtype_name(t.dtype));
  }
  if (zp < lo || zp > hi) {
    return ctx.error("tensor '{}' ({}) has zero point {}, outside [{}, {}]", t.name, dtype_name(t.dtype), zp, lo, hi);
  }
  return kernels::QParams{scale, static_cast<int32_t>(zp)};
}

}  // namespace tfc::ops
