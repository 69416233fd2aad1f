// Shape rules and evaluation of the misc family: SHAPE, PACK, UNPACK, CAST,
// ARG_MAX / ARG_MIN, REDUCE_MAX / MIN / PROD, SPLIT_V, TILE, MIRROR_PAD,
// GATHER_ND, FILL, BROADCAST_TO, ZEROS_LIKE, RANGE, SELECT /
// SELECT_V2, the comparisons, LOGICAL_AND / OR / NOT, unary math (ABS, NEG,
// SQUARE, LOG, FLOOR, CEIL, ROUND, SIGN, SIN, COS, ELU), POW, FLOOR_DIV,
// FLOOR_MOD, ADD_N, L2_NORMALIZATION, SPACE_TO_BATCH_ND / BATCH_TO_SPACE_ND,
// CUMSUM, REVERSE_V2 and TOPK_V2. Each _shape checks what LiteRT's Prepare
// checks (dtypes, ranks, option values, and the values of shape-like inputs)
// and sizes the outputs; each _eval runs the kernel in kernels/misc_ref.h.
// Integer dtypes where LiteRT's kernel takes them; quantized tensors only
// where raw values give the same answer (data movement, min / max, argmax,
// comparisons of identically quantized inputs). Not here: requantizing
// arithmetic, string tensors.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include <fmt/ranges.h>

#include "kernels/misc_ref.h"
#include "ops/registry.h"

namespace tfc::ops {
namespace {

using kernels::MathBinaryOp;
using kernels::MathUnaryOp;
constexpr DType kF32 = DType::kFloat32;

// ---- Shared checks and readers ------------------------------------------------

std::string shape_str(const ir::Shape& s) { return fmt::format("[{}]", fmt::join(s, ", ")); }

// min_inputs..max_inputs inputs (the first min_inputs present) and `outputs` outputs.
Status check_arity(const OpContext& ctx, int min_inputs, int max_inputs, int outputs) {
  if (ctx.num_inputs() < min_inputs || ctx.num_inputs() > max_inputs) {
    return min_inputs == max_inputs
               ? ctx.error("expected {} inputs, got {}", min_inputs, ctx.num_inputs())
               : ctx.error("expected {} to {} inputs, got {}", min_inputs, max_inputs, ctx.num_inputs());
  }
  for (int i = 0; i < min_inputs; ++i) {
    if (!ctx.has_input(i)) return ctx.error("required input {} is missing", i);
  }
  if (ctx.num_outputs() != outputs) return ctx.error("expected {} outputs, got {}", outputs, ctx.num_outputs());
  return Status::ok();
}

Status require_dtype(const OpContext& ctx, int i, std::initializer_list<DType> allowed) {
  if (std::find(allowed.begin(), allowed.end(), ctx.input_dtype(i)) == allowed.end()) return ctx.unsupported_dtype(i);
  return Status::ok();
}

Status require_rank(const OpContext& ctx, int i, size_t rank) {
  if (ctx.input_shape(i).size() == rank) return Status::ok();
  return ctx.error("input {} ('{}') must have rank {}, got rank {}", i, ctx.input_tensor(i).name, rank,
                   ctx.input_shape(i).size());
}

Status require_same_dtype(const OpContext& ctx, int i, int j) {
  if (ctx.input_dtype(i) == ctx.input_dtype(j)) return Status::ok();
  return ctx.error("input {} ('{}') has dtype {}, but input {} ('{}') has {}", j, ctx.input_tensor(j).name,
                   dtype_name(ctx.input_dtype(j)), i, ctx.input_tensor(i).name, dtype_name(ctx.input_dtype(i)));
}

Status check_output_dtype(const OpContext& ctx, int o, DType expected) {
  if (ctx.output_dtype(o) == expected) return Status::ok();
  return ctx.error("output {} ('{}') has dtype {}, expected {}", o, ctx.output_tensor(o).name,
                   dtype_name(ctx.output_dtype(o)), dtype_name(expected));
}

// Every output has input i's dtype.
Status check_outputs_match(const OpContext& ctx, int i) {
  for (int o = 0; o < ctx.num_outputs(); ++o) TFC_RETURN_IF_ERROR(check_output_dtype(ctx, o, ctx.input_dtype(i)));
  return Status::ok();
}

// Bytes per element of input i; types without a fixed size are unsupported.
Expected<size_t> element_size(const OpContext& ctx, int i) {
  const size_t size = dtype_size(ctx.input_dtype(i));
  if (size == 0) return ctx.unsupported_dtype(i);
  return size;
}

// Input i must hold exactly `count` elements (checked before its value is read).
Status require_count(const OpContext& ctx, int i, int64_t count) {
  const int64_t n = ir::num_elements(ctx.input_shape(i));
  if (n == count) return Status::ok();
  return ctx.error("input {} ('{}') must hold {} value{}, got {}", i, ctx.input_tensor(i).name, count,
                   count == 1 ? "" : "s", n);
}

// The values of integer input i (int32 or int64; int16 too when `allow_int16`),
// widened to int64. Static inference of a non-constant tensor gets value_needed(i).
Expected<std::vector<int64_t>> int_values(OpContext& ctx, int i, bool allow_int16 = false) {
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

// The one integer held by input i.
Expected<int64_t> int_scalar(OpContext& ctx, int i) {
  TFC_RETURN_IF_ERROR(require_count(ctx, i, 1));
  TFC_ASSIGN_OR_RETURN(const std::vector<int64_t> values, int_values(ctx, i));
  return values[0];
}

bool fits_int32(int64_t v) {
  return v >= std::numeric_limits<int32_t>::min() && v <= std::numeric_limits<int32_t>::max();
}

// Axis in [-rank, rank) mapped to [0, rank).
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

// Non-negative dims from int64 values (a requested shape).
Expected<ir::Shape> dims_from(const OpContext& ctx, const std::vector<int64_t>& values) {
  ir::Shape dims;
  for (int64_t v : values) {
    if (v < 0 || !fits_int32(v)) return ctx.error("dim {} of the requested shape is invalid", v);
    dims.push_back(static_cast<int32_t>(v));
  }
  return dims;
}

bool same_quantization(const ir::Tensor& a, const ir::Tensor& b) {
  if (!a.is_quantized() && !b.is_quantized()) return true;
  if (a.is_quantized() != b.is_quantized()) return false;
  const int64_t za = a.quantization->zero_point.empty() ? 0 : a.quantization->zero_point[0];
  const int64_t zb = b.quantization->zero_point.empty() ? 0 : b.quantization->zero_point[0];
  return a.quantization->scale == b.quantization->scale && za == zb;
}

// Ops that work on raw integer values need both tensors quantized alike.
Status require_same_quantization(const OpContext& ctx, const ir::Tensor& a, const ir::Tensor& b) {
  if (same_quantization(a, b)) return Status::ok();
  return unsupported("{}: '{}' and '{}' are quantized differently; requantizing is not supported", ctx.op_name(),
                     a.name, b.name);
}

template <typename T>
const T& options_or_default(const OpContext& ctx) {
  static const T kDefaults{};
  const T* o = ctx.op().options_as<T>();
  return o ? *o : kDefaults;
}

// NumPy broadcast shape of several inputs.
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

// ---- Dispatch on element types --------------------------------------------------

template <typename T> struct DTypeOf;
template <> struct DTypeOf<float> { static constexpr DType value = DType::kFloat32; };
template <> struct DTypeOf<int32_t> { static constexpr DType value = DType::kInt32; };
template <> struct DTypeOf<int64_t> { static constexpr DType value = DType::kInt64; };
template <> struct DTypeOf<int16_t> { static constexpr DType value = DType::kInt16; };
template <> struct DTypeOf<int8_t> { static constexpr DType value = DType::kInt8; };
template <> struct DTypeOf<uint8_t> { static constexpr DType value = DType::kUInt8; };

template <typename... Ts> struct Types {};

// Calls f(T{}) for the C++ type T of `t` among Ts (bool data goes as uint8_t).
// The shape rule has checked that `t` is one of them.
template <typename... Ts, typename F>
void visit(Types<Ts...>, DType t, F&& f) {
  if (t == DType::kBool) t = DType::kUInt8;
  (void)((t == DTypeOf<Ts>::value ? (f(Ts{}), true) : false) || ...);
}

// ---- PACK / UNPACK ----------------------------------------------------------------

// Inputs of one dtype and shape, quantized as the output; returns the axis.
Expected<int> resolve_pack(OpContext& ctx) {
  const int n = ctx.num_inputs();
  if (n < 1) return ctx.error("expected at least one input");
  TFC_RETURN_IF_ERROR(check_arity(ctx, n, n, 1));
  const auto* o = ctx.op().options_as<tflite::PackOptionsT>();
  if (o != nullptr && o->values_count != n) return ctx.error("values_count {} but {} inputs", o->values_count, n);
  TFC_RETURN_IF_ERROR(element_size(ctx, 0).status());
  TFC_RETURN_IF_ERROR(check_outputs_match(ctx, 0));
  for (int i = 0; i < n; ++i) {
    TFC_RETURN_IF_ERROR(require_same_dtype(ctx, 0, i));
    TFC_RETURN_IF_ERROR(require_same_quantization(ctx, ctx.input_tensor(i), ctx.output_tensor(0)));
    if (ctx.input_shape(i) != ctx.input_shape(0)) {
      return ctx.error("input {} ('{}') has shape {}, input 0 has {}", i, ctx.input_tensor(i).name,
                       shape_str(ctx.input_shape(i)), shape_str(ctx.input_shape(0)));
    }
  }
  return resolve_axis(ctx, o != nullptr ? o->axis : 0, ctx.input_shape(0).size() + 1);
}

// The input's rank >= 1 and dim `axis` equals the number of outputs; returns the axis.
Expected<int> resolve_unpack(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 1, 1, ctx.num_outputs()));
  TFC_RETURN_IF_ERROR(element_size(ctx, 0).status());
  TFC_RETURN_IF_ERROR(check_outputs_match(ctx, 0));
  const ir::Shape& in = ctx.input_shape(0);
  if (in.empty()) return ctx.error("the input must have rank >= 1");
  const auto& o = options_or_default<tflite::UnpackOptionsT>(ctx);
  TFC_ASSIGN_OR_RETURN(const int axis, resolve_axis(ctx, o.axis, in.size()));
  if (in[axis] != ctx.num_outputs() || (ctx.op().options_as<tflite::UnpackOptionsT>() && o.num != in[axis])) {
    return ctx.error("dim {} of the input is {}, but num is {} and there are {} outputs", axis, in[axis], o.num,
                     ctx.num_outputs());
  }
  if (ctx.num_outputs() == 0) return ctx.error("the input is empty along axis {}", axis);
  return axis;
}

// ---- CAST ----------------------------------------------------------------------------

std::optional<kernels::CastType> cast_type(DType t) {
  switch (t) {
    case DType::kFloat32: return kernels::CastType::kFloat32;
    case DType::kInt32: return kernels::CastType::kInt32;
    case DType::kInt64: return kernels::CastType::kInt64;
    case DType::kInt16: return kernels::CastType::kInt16;
    case DType::kInt8: return kernels::CastType::kInt8;
    case DType::kUInt8: return kernels::CastType::kUInt8;
    case DType::kBool: return kernels::CastType::kBool;
    default: return std::nullopt;
  }
}

// ---- ARG_MAX / ARG_MIN -------------------------------------------------------------

using ArgTypes = Types<float, uint8_t, int8_t, int32_t>;

// Returns the normalized axis; Options is ArgMaxOptionsT or ArgMinOptionsT.
template <typename Options>
Expected<int> resolve_arg(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 2, 2, 1));
  TFC_RETURN_IF_ERROR(require_dtype(ctx, 0, {DType::kFloat32, DType::kUInt8, DType::kInt8, DType::kInt32}));
  const DType out = ctx.output_dtype(0);
  if (out != DType::kInt32 && out != DType::kInt64) {
    return ctx.error("output has dtype {}; output_type must be int32 or int64", dtype_name(out));
  }
  const Options* o = ctx.op().options_as<Options>();
  if (o != nullptr && static_cast<int>(o->output_type) != static_cast<int>(out)) {
    return ctx.error("output_type {} does not match the output dtype {}", tflite::EnumNameTensorType(o->output_type),
                     dtype_name(out));
  }
  if (ctx.input_shape(0).empty()) return ctx.error("the input must have rank >= 1");
  TFC_ASSIGN_OR_RETURN(const int64_t axis, int_scalar(ctx, 1));
  return resolve_axis(ctx, axis, ctx.input_shape(0).size());
}

template <typename Options>
Status arg_shape(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const int axis, resolve_arg<Options>(ctx));
  ir::Shape out = ctx.input_shape(0);
  out.erase(out.begin() + axis);
  ctx.set_output_shape(0, std::move(out));
  return Status::ok();
}

template <typename Options>
Status arg_eval(OpContext& ctx, bool is_max) {
  TFC_ASSIGN_OR_RETURN(const int axis, resolve_arg<Options>(ctx));
  visit(ArgTypes{}, ctx.input_dtype(0), [&](auto tag) {
    using T = decltype(tag);
    if (ctx.output_dtype(0) == DType::kInt32) {
      kernels::arg_min_max(ctx.input<T>(0), ctx.input_shape(0), axis, is_max, ctx.output<int32_t>(0));
    } else {
      kernels::arg_min_max(ctx.input<T>(0), ctx.input_shape(0), axis, is_max, ctx.output<int64_t>(0));
    }
  });
  return Status::ok();
}

// ---- REDUCE_MAX / REDUCE_MIN / REDUCE_PROD --------------------------------------------

using ReduceTypes = Types<float, int8_t, uint8_t, int16_t, int32_t, int64_t>;

struct Reduction {
  std::vector<int32_t> axes;  // normalized, possibly repeated
  ir::Shape out_shape;
};

// LiteRT's reducer rule: axes may be negative or repeated; keep_dims keeps the
// reduced dims as 1. MAX / MIN on quantized tensors need the output quantized
// as the input; PROD takes float32, int32 and int64 only.
Expected<Reduction> resolve_reduction(OpContext& ctx, kernels::ReduceOp op) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 2, 2, 1));
  if (op == kernels::ReduceOp::kProd) {
    TFC_RETURN_IF_ERROR(require_dtype(ctx, 0, {DType::kFloat32, DType::kInt32, DType::kInt64}));
    if (ctx.input_tensor(0).is_quantized()) return ctx.unsupported_dtype(0);
  } else {
    TFC_RETURN_IF_ERROR(require_dtype(
        ctx, 0, {DType::kFloat32, DType::kInt8, DType::kUInt8, DType::kInt16, DType::kInt32, DType::kInt64}));
    TFC_RETURN_IF_ERROR(require_same_quantization(ctx, ctx.input_tensor(0), ctx.output_tensor(0)));
  }
  TFC_RETURN_IF_ERROR(check_outputs_match(ctx, 0));
  TFC_ASSIGN_OR_RETURN(const std::vector<int64_t> axes, int_values(ctx, 1));
  const ir::Shape& in = ctx.input_shape(0);
  Reduction r;
  std::vector<bool> reduced(in.size(), false);
  for (int64_t a : axes) {
    TFC_ASSIGN_OR_RETURN(const int axis, resolve_axis(ctx, a, in.size()));
    r.axes.push_back(axis);
    reduced[axis] = true;
  }
  const bool keep_dims = options_or_default<tflite::ReducerOptionsT>(ctx).keep_dims;
  for (size_t d = 0; d < in.size(); ++d) {
    if (!reduced[d]) r.out_shape.push_back(in[d]);
    else if (keep_dims) r.out_shape.push_back(1);
  }
  return r;
}

Status reduce_shape_impl(OpContext& ctx, kernels::ReduceOp op) {
  TFC_ASSIGN_OR_RETURN(Reduction r, resolve_reduction(ctx, op));
  ctx.set_output_shape(0, std::move(r.out_shape));
  return Status::ok();
}

Status reduce_eval_impl(OpContext& ctx, kernels::ReduceOp op) {
  TFC_ASSIGN_OR_RETURN(const Reduction r, resolve_reduction(ctx, op));
  visit(ReduceTypes{}, ctx.input_dtype(0), [&](auto tag) {
    using T = decltype(tag);
    kernels::reduce(op, ctx.input<T>(0), ctx.input_shape(0), r.axes, ctx.output<T>(0));
  });
  return Status::ok();
}

// ---- SPLIT_V ------------------------------------------------------------------------

struct SplitPlan {
  int axis = 0;
  std::vector<int32_t> sizes;
};

// size_splits: one size per output, at most one -1 (takes the rest); the sizes
// must add up to the input's dim along `axis` (a scalar input).
Expected<SplitPlan> resolve_split_v(OpContext& ctx) {
  const int n = ctx.num_outputs();
  TFC_RETURN_IF_ERROR(check_arity(ctx, 3, 3, n));
  if (n < 1) return ctx.error("expected at least one output");
  const auto* o = ctx.op().options_as<tflite::SplitVOptionsT>();
  if (o != nullptr && o->num_splits != n) return ctx.error("num_splits {} but {} outputs", o->num_splits, n);
  TFC_RETURN_IF_ERROR(element_size(ctx, 0).status());
  TFC_RETURN_IF_ERROR(check_outputs_match(ctx, 0));
  TFC_RETURN_IF_ERROR(require_rank(ctx, 1, 1));
  TFC_RETURN_IF_ERROR(require_count(ctx, 1, n));
  TFC_ASSIGN_OR_RETURN(const int64_t raw_axis, int_scalar(ctx, 2));
  TFC_ASSIGN_OR_RETURN(const std::vector<int64_t> sizes, int_values(ctx, 1));
  const ir::Shape& in = ctx.input_shape(0);
  SplitPlan plan;
  TFC_ASSIGN_OR_RETURN(plan.axis, resolve_axis(ctx, raw_axis, in.size()));
  std::optional<size_t> inferred;
  int64_t known = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] == -1 && !inferred) {
      inferred = i;
    } else if (sizes[i] < 0 || sizes[i] > in[plan.axis]) {
      return ctx.error("size_splits [{}] are invalid for dim {} of size {}", fmt::join(sizes, ", "), plan.axis,
                       in[plan.axis]);
    } else {
      known += sizes[i];
    }
    plan.sizes.push_back(static_cast<int32_t>(sizes[i]));
  }
  if (inferred && known <= in[plan.axis]) plan.sizes[*inferred] = static_cast<int32_t>(in[plan.axis] - known);
  if ((inferred && known > in[plan.axis]) || (!inferred && known != in[plan.axis])) {
    return ctx.error("size_splits [{}] do not add up to dim {} of size {}", fmt::join(sizes, ", "), plan.axis,
                     in[plan.axis]);
  }
  return plan;
}

// ---- TILE / MIRROR_PAD / BROADCAST_TO ---------------------------------------------------

// multiples: one non-negative value per input dim.
Expected<std::vector<int32_t>> resolve_tile(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 2, 2, 1));
  TFC_RETURN_IF_ERROR(element_size(ctx, 0).status());
  TFC_RETURN_IF_ERROR(check_outputs_match(ctx, 0));
  TFC_RETURN_IF_ERROR(require_rank(ctx, 1, 1));
  const ir::Shape& in = ctx.input_shape(0);
  TFC_RETURN_IF_ERROR(require_count(ctx, 1, static_cast<int64_t>(in.size())));
  TFC_ASSIGN_OR_RETURN(const std::vector<int64_t> values, int_values(ctx, 1));
  std::vector<int32_t> multiples;
  for (size_t d = 0; d < in.size(); ++d) {
    if (values[d] < 0 || !fits_int32(values[d]) || !fits_int32(values[d] * in[d])) {
      return ctx.error("multiple {} of dim {} (size {}) is invalid", values[d], d, in[d]);
    }
    multiples.push_back(static_cast<int32_t>(values[d]));
  }
  return multiples;
}

struct MirrorPlan {
  std::vector<int32_t> before, after;
  bool symmetric = false;
};

// paddings: (rank, 2); REFLECT pads at most dim - 1 per side, SYMMETRIC at most dim.
Expected<MirrorPlan> resolve_mirror_pad(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 2, 2, 1));
  TFC_RETURN_IF_ERROR(element_size(ctx, 0).status());
  TFC_RETURN_IF_ERROR(check_outputs_match(ctx, 0));
  const ir::Shape& in = ctx.input_shape(0);
  const ir::Shape& pads = ctx.input_shape(1);
  if (pads.size() != 2 || pads[0] != static_cast<int32_t>(in.size()) || pads[1] != 2) {
    return ctx.error("paddings '{}' must have shape [{}, 2], got {}", ctx.input_tensor(1).name, in.size(),
                     shape_str(pads));
  }
  const tflite::MirrorPadMode mode = options_or_default<tflite::MirrorPadOptionsT>(ctx).mode;
  if (mode != tflite::MirrorPadMode_REFLECT && mode != tflite::MirrorPadMode_SYMMETRIC) {
    return ctx.error("mode {} is not REFLECT or SYMMETRIC", static_cast<int>(mode));
  }
  TFC_ASSIGN_OR_RETURN(const std::vector<int64_t> values, int_values(ctx, 1));
  MirrorPlan plan;
  plan.symmetric = mode == tflite::MirrorPadMode_SYMMETRIC;
  for (size_t d = 0; d < in.size(); ++d) {
    const int64_t limit = plan.symmetric ? in[d] : in[d] - 1;
    const int64_t before = values[2 * d], after = values[2 * d + 1];
    if (before < 0 || after < 0 || before > limit || after > limit) {
      return ctx.error("padding ({}, {}) of dim {} (size {}) must be in [0, {}] in {} mode", before, after, d, in[d],
                       limit, plan.symmetric ? "SYMMETRIC" : "REFLECT");
    }
    plan.before.push_back(static_cast<int32_t>(before));
    plan.after.push_back(static_cast<int32_t>(after));
  }
  return plan;
}

// The requested shape: rank <= 8, each input dim (aligned right) 1 or equal.
Expected<ir::Shape> resolve_broadcast_to(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 2, 2, 1));
  TFC_RETURN_IF_ERROR(element_size(ctx, 0).status());
  TFC_RETURN_IF_ERROR(check_outputs_match(ctx, 0));
  TFC_RETURN_IF_ERROR(require_rank(ctx, 1, 1));
  TFC_ASSIGN_OR_RETURN(const std::vector<int64_t> values, int_values(ctx, 1));
  TFC_ASSIGN_OR_RETURN(ir::Shape out, dims_from(ctx, values));
  const ir::Shape& in = ctx.input_shape(0);
  bool ok = out.size() <= 8 && in.size() <= out.size();
  for (size_t k = 0; ok && k < in.size(); ++k) {
    const int32_t d = in[in.size() - 1 - k];
    ok = d == 1 || d == out[out.size() - 1 - k];
  }
  if (!ok) return ctx.error("input shape {} cannot broadcast to {}", shape_str(in), shape_str(out));
  return out;
}

// ---- GATHER_ND ---------------------------------------------------------------------

// params rank >= 1; indices (I..., nd) of int16/int32/int64 with nd <= params rank.
Status check_gather_nd(const OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 2, 2, 1));
  TFC_RETURN_IF_ERROR(element_size(ctx, 0).status());
  TFC_RETURN_IF_ERROR(check_outputs_match(ctx, 0));
  TFC_RETURN_IF_ERROR(require_dtype(ctx, 1, {DType::kInt16, DType::kInt32, DType::kInt64}));
  const ir::Shape& params = ctx.input_shape(0);
  const ir::Shape& indices = ctx.input_shape(1);
  if (params.empty() || indices.empty()) return ctx.error("params and indices must have rank >= 1");
  if (indices.back() > static_cast<int32_t>(params.size())) {
    return ctx.error("indices '{}' address {} dims, params have rank {}", ctx.input_tensor(1).name, indices.back(),
                     params.size());
  }
  return Status::ok();
}

// ---- SELECT / SELECT_V2 -------------------------------------------------------------

Status check_select_types(const OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 3, 3, 1));
  TFC_RETURN_IF_ERROR(require_dtype(ctx, 0, {DType::kBool}));
  TFC_RETURN_IF_ERROR(require_dtype(ctx, 1, {DType::kBool, DType::kFloat32, DType::kUInt8, DType::kInt8,
                                             DType::kInt16, DType::kInt32, DType::kInt64}));
  TFC_RETURN_IF_ERROR(require_same_dtype(ctx, 1, 2));
  return check_outputs_match(ctx, 1);
}

// SELECT (v1): x and y of one shape; the condition of that shape too, or a
// scalar, or a vector over x's first dim. Returns the condition's dims as the
// kernel broadcasts them.
Expected<ir::Shape> select_v1_condition(const OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_select_types(ctx));
  const ir::Shape &cond = ctx.input_shape(0), &x = ctx.input_shape(1), &y = ctx.input_shape(2);
  if (x != y) return ctx.error("x {} and y {} must have the same shape", shape_str(x), shape_str(y));
  if (cond == x || cond.empty()) return cond;
  if (cond.size() == 1 && !x.empty() && cond[0] == x[0]) {
    ir::Shape dims(x.size(), 1);
    dims[0] = cond[0];
    return dims;
  }
  return ctx.error("condition {} must match x {}, be a scalar, or a vector over its first dim", shape_str(cond),
                   shape_str(x));
}

// ---- Comparisons, logic, math ------------------------------------------------------------

using CompareTypes = Types<float, int8_t, uint8_t, int16_t, int32_t, int64_t>;

// Two broadcastable inputs of one dtype (bool only for EQUAL / NOT_EQUAL),
// quantized alike; bool output.
Status compare_shape(OpContext& ctx, bool allow_bool) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 2, 2, 1));
  if (allow_bool && ctx.input_dtype(0) == DType::kBool) {
    TFC_RETURN_IF_ERROR(require_dtype(ctx, 0, {DType::kBool}));
  } else {
    TFC_RETURN_IF_ERROR(require_dtype(
        ctx, 0, {DType::kFloat32, DType::kInt8, DType::kUInt8, DType::kInt16, DType::kInt32, DType::kInt64}));
  }
  TFC_RETURN_IF_ERROR(require_same_dtype(ctx, 0, 1));
  TFC_RETURN_IF_ERROR(require_same_quantization(ctx, ctx.input_tensor(0), ctx.input_tensor(1)));
  TFC_RETURN_IF_ERROR(check_output_dtype(ctx, 0, DType::kBool));
  TFC_ASSIGN_OR_RETURN(ir::Shape out, broadcast_inputs(ctx, {0, 1}));
  ctx.set_output_shape(0, std::move(out));
  return Status::ok();
}

Status compare_eval(OpContext& ctx, kernels::CompareOp op) {
  visit(CompareTypes{}, ctx.input_dtype(0), [&](auto tag) {
    using T = decltype(tag);
    kernels::compare(op, ctx.input<T>(0), ctx.input_shape(0), ctx.input<T>(1), ctx.input_shape(1),
                     ctx.output<uint8_t>(0), ctx.output_shape(0));
  });
  return Status::ok();
}

Status logical_shape(OpContext& ctx, int inputs) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, inputs, inputs, 1));
  for (int i = 0; i < inputs; ++i) TFC_RETURN_IF_ERROR(require_dtype(ctx, i, {DType::kBool}));
  TFC_RETURN_IF_ERROR(check_output_dtype(ctx, 0, DType::kBool));
  TFC_ASSIGN_OR_RETURN(ir::Shape out, inputs == 1 ? broadcast_inputs(ctx, {0}) : broadcast_inputs(ctx, {0, 1}));
  ctx.set_output_shape(0, std::move(out));
  return Status::ok();
}

Status logical_eval(OpContext& ctx, kernels::LogicalOp op) {
  kernels::logical(op, ctx.input<uint8_t>(0), ctx.input_shape(0), ctx.input<uint8_t>(1), ctx.input_shape(1),
                   ctx.output<uint8_t>(0), ctx.output_shape(0));
  return Status::ok();
}

using MathTypes = Types<float, int32_t, int64_t, int16_t, int8_t>;

// One unquantized input of a dtype in `types`; output of its dtype and shape.
Status math_unary_shape(OpContext& ctx, std::initializer_list<DType> types) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 1, 1, 1));
  TFC_RETURN_IF_ERROR(require_dtype(ctx, 0, types));
  if (ctx.input_tensor(0).is_quantized()) return ctx.unsupported_dtype(0);
  TFC_RETURN_IF_ERROR(check_outputs_match(ctx, 0));
  ctx.set_output_shape(0, ctx.input_shape(0));
  return Status::ok();
}

Status math_unary_eval(OpContext& ctx, kernels::MathUnaryOp op) {
  visit(Types<float, int32_t, int64_t>{}, ctx.input_dtype(0), [&](auto tag) {
    using T = decltype(tag);
    kernels::math_unary(op, ctx.input<T>(0), ctx.output<T>(0), ir::num_elements(ctx.input_shape(0)));
  });
  return Status::ok();
}

// Two unquantized broadcastable inputs of one dtype in `types`.
Status math_binary_shape(OpContext& ctx, std::initializer_list<DType> types) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 2, 2, 1));
  TFC_RETURN_IF_ERROR(require_dtype(ctx, 0, types));
  TFC_RETURN_IF_ERROR(require_same_dtype(ctx, 0, 1));
  if (ctx.input_tensor(0).is_quantized() || ctx.input_tensor(1).is_quantized()) return ctx.unsupported_dtype(0);
  TFC_RETURN_IF_ERROR(check_outputs_match(ctx, 0));
  TFC_ASSIGN_OR_RETURN(ir::Shape out, broadcast_inputs(ctx, {0, 1}));
  ctx.set_output_shape(0, std::move(out));
  return Status::ok();
}

// LiteRT's Eval checks: FLOOR_DIV refuses a zero divisor (float too),
// integer FLOOR_MOD a zero divisor, integer POW a negative exponent.
template <typename T>
Status check_operand(const OpContext& ctx, kernels::MathBinaryOp op, const T* b, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const bool zero = b[i] == T{0};
    if (op == MathBinaryOp::kFloorDiv && zero) return ctx.error("division by zero");
    if constexpr (std::is_integral_v<T>) {
      if (op == MathBinaryOp::kFloorMod && zero) return ctx.error("integer division by zero");
      if (op == MathBinaryOp::kPow && b[i] < 0) return ctx.error("integer power with a negative exponent ({})", b[i]);
    }
  }
  return Status::ok();
}

Status math_binary_eval(OpContext& ctx, kernels::MathBinaryOp op) {
  Status status;
  visit(MathTypes{}, ctx.input_dtype(0), [&](auto tag) {
    using T = decltype(tag);
    status = check_operand(ctx, op, ctx.input<T>(1), ir::num_elements(ctx.input_shape(1)));
    if (!status.is_ok()) return;
    kernels::math_binary(op, ctx.input<T>(0), ctx.input_shape(0), ctx.input<T>(1), ctx.input_shape(1),
                         ctx.output<T>(0), ctx.output_shape(0));
  });
  return status;
}

// ---- SPACE_TO_BATCH_ND / BATCH_TO_SPACE_ND --------------------------------------------

struct BlockPlan {
  std::vector<int32_t> block, before;
  ir::Shape out_shape;
};

// block_shape: (M) int32 >= 1; paddings / crops: (M, 2) int32 >= 0; the input
// has rank >= M + 2 (batch, M spatial dims, at least one more).
Expected<BlockPlan> resolve_block_op(OpContext& ctx, bool to_batch) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 3, 3, 1));
  TFC_RETURN_IF_ERROR(element_size(ctx, 0).status());
  TFC_RETURN_IF_ERROR(check_outputs_match(ctx, 0));
  TFC_RETURN_IF_ERROR(require_dtype(ctx, 1, {DType::kInt32}));
  TFC_RETURN_IF_ERROR(require_dtype(ctx, 2, {DType::kInt32}));
  TFC_RETURN_IF_ERROR(require_rank(ctx, 1, 1));
  const int32_t m = ctx.input_shape(1)[0];
  const ir::Shape& in = ctx.input_shape(0);
  const ir::Shape& pads = ctx.input_shape(2);
  if (pads.size() != 2 || pads[0] != m || pads[1] != 2) {
    return ctx.error("{} '{}' must have shape [{}, 2], got {}", to_batch ? "paddings" : "crops",
                     ctx.input_tensor(2).name, m, shape_str(pads));
  }
  if (static_cast<int64_t>(in.size()) < m + 2) {
    return ctx.error("the input has rank {}; {} spatial dims need rank >= {}", in.size(), m, m + 2);
  }
  TFC_ASSIGN_OR_RETURN(const std::vector<int64_t> block, int_values(ctx, 1));
  TFC_ASSIGN_OR_RETURN(const std::vector<int64_t> edges, int_values(ctx, 2));
  BlockPlan plan;
  plan.out_shape = in;
  int64_t blocks = 1;
  for (int32_t k = 0; k < m; ++k) {
    const int64_t b = block[k], lo = edges[2 * k], hi = edges[2 * k + 1];
    const int64_t size = to_batch ? in[k + 1] + lo + hi : in[k + 1] * b - lo - hi;
    if (b < 1 || lo < 0 || hi < 0 || size < 0 || (to_batch && size % b != 0) || !fits_int32(size)) {
      return ctx.error("block {} with {} ({}, {}) does not fit spatial dim {} of size {}", b,
                       to_batch ? "paddings" : "crops", lo, hi, k + 1, in[k + 1]);
    }
    plan.block.push_back(static_cast<int32_t>(b));
    plan.before.push_back(static_cast<int32_t>(lo));
    plan.out_shape[k + 1] = static_cast<int32_t>(to_batch ? size / b : size);
    blocks *= b;
    if (!fits_int32(blocks)) return ctx.error("block shape [{}] is too large", fmt::join(block, ", "));
  }
  if (to_batch ? !fits_int32(in[0] * blocks) : in[0] % blocks != 0) {
    return ctx.error("batch {} does not fit the block size {}", in[0], blocks);
  }
  plan.out_shape[0] = static_cast<int32_t>(to_batch ? in[0] * blocks : in[0] / blocks);
  return plan;
}

// ---- CUMSUM / REVERSE_V2 / TOPK_V2 ---------------------------------------------------

// CUMSUM: float32 / int32 / int64 input, one int32 / int64 axis.
Status check_cumsum(const OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 2, 2, 1));
  TFC_RETURN_IF_ERROR(require_dtype(ctx, 0, {DType::kFloat32, DType::kInt32, DType::kInt64}));
  if (ctx.input_tensor(0).is_quantized()) return ctx.unsupported_dtype(0);
  TFC_RETURN_IF_ERROR(check_outputs_match(ctx, 0));
  TFC_RETURN_IF_ERROR(require_dtype(ctx, 1, {DType::kInt32, DType::kInt64}));
  return require_count(ctx, 1, 1);
}

Expected<int> cumsum_axis(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const int64_t axis, int_scalar(ctx, 1));
  return resolve_axis(ctx, axis, ctx.input_shape(0).size());
}

// REVERSE_V2: int32 axes, at most the input's rank, which is at most 8.
Status check_reverse(const OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 2, 2, 1));
  TFC_RETURN_IF_ERROR(element_size(ctx, 0).status());
  TFC_RETURN_IF_ERROR(check_outputs_match(ctx, 0));
  TFC_RETURN_IF_ERROR(require_dtype(ctx, 1, {DType::kInt32}));
  TFC_RETURN_IF_ERROR(require_rank(ctx, 1, 1));
  const size_t rank = ctx.input_shape(0).size();
  if (rank > 8 || static_cast<size_t>(ctx.input_shape(1)[0]) > rank) {
    return ctx.error("{} axes for an input of rank {} (at most 8)", ctx.input_shape(1)[0], rank);
  }
  return Status::ok();
}

// The axes, normalized and sorted; LiteRT requires them distinct and contiguous.
Expected<std::vector<int32_t>> reverse_axes(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const std::vector<int64_t> values, int_values(ctx, 1));
  std::vector<int32_t> axes;
  for (int64_t v : values) {
    TFC_ASSIGN_OR_RETURN(const int a, resolve_axis(ctx, v, ctx.input_shape(0).size()));
    axes.push_back(a);
  }
  std::sort(axes.begin(), axes.end());
  for (size_t i = 1; i < axes.size(); ++i) {
    if (axes[i] != axes[i - 1] + 1) return ctx.error("axes [{}] are not contiguous", fmt::join(values, ", "));
  }
  return axes;
}

using TopKTypes = Types<float, uint8_t, int8_t, int32_t, int64_t>;

// k: one int32 (or int16) in [0, last dim]; values output of the input's
// dtype, indices int32 (or int16).
Expected<int32_t> resolve_top_k(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 2, 2, 2));
  TFC_RETURN_IF_ERROR(
      require_dtype(ctx, 0, {DType::kFloat32, DType::kUInt8, DType::kInt8, DType::kInt32, DType::kInt64}));
  TFC_RETURN_IF_ERROR(check_output_dtype(ctx, 0, ctx.input_dtype(0)));
  if (ctx.output_dtype(1) != DType::kInt32 && ctx.output_dtype(1) != DType::kInt16) {
    return ctx.error("indices output has dtype {}, expected int32 or int16", dtype_name(ctx.output_dtype(1)));
  }
  TFC_RETURN_IF_ERROR(require_dtype(ctx, 1, {DType::kInt32, DType::kInt16}));
  TFC_RETURN_IF_ERROR(require_count(ctx, 1, 1));
  const ir::Shape& in = ctx.input_shape(0);
  if (in.empty()) return ctx.error("the input must have rank >= 1");
  TFC_ASSIGN_OR_RETURN(const std::vector<int64_t> k, int_values(ctx, 1, /*allow_int16=*/true));
  if (k[0] < 0 || k[0] > in.back()) return ctx.error("k = {} is not in [0, {}]", k[0], in.back());
  return static_cast<int32_t>(k[0]);
}

}  // namespace

// ---- SHAPE ---------------------------------------------------------------------------

// The input's dims as int32 or int64 (ShapeOptions.out_type, which must match
// the output tensor).
Status shape_of_shape(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 1, 1, 1));
  const DType out = ctx.output_dtype(0);
  if (out != DType::kInt32 && out != DType::kInt64) {
    return ctx.error("output has dtype {}; out_type must be int32 or int64", dtype_name(out));
  }
  const auto* o = ctx.op().options_as<tflite::ShapeOptionsT>();
  if (o != nullptr && static_cast<int>(o->out_type) != static_cast<int>(out)) {
    return ctx.error("out_type {} does not match the output dtype {}", tflite::EnumNameTensorType(o->out_type),
                     dtype_name(out));
  }
  ctx.set_output_shape(0, {static_cast<int32_t>(ctx.input_shape(0).size())});
  return Status::ok();
}

Status shape_of_eval(OpContext& ctx) {
  const ir::Shape& in = ctx.input_shape(0);
  for (size_t d = 0; d < in.size(); ++d) {
    if (ctx.output_dtype(0) == DType::kInt32) ctx.output<int32_t>(0)[d] = in[d];
    else ctx.output<int64_t>(0)[d] = in[d];
  }
  return Status::ok();
}

// ---- PACK / UNPACK -------------------------------------------------------------------

Status pack_shape(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const int axis, resolve_pack(ctx));
  ir::Shape out = ctx.input_shape(0);
  out.insert(out.begin() + axis, ctx.num_inputs());
  ctx.set_output_shape(0, std::move(out));
  return Status::ok();
}

Status pack_eval(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const int axis, resolve_pack(ctx));
  std::vector<const void*> inputs;
  for (int i = 0; i < ctx.num_inputs(); ++i) inputs.push_back(ctx.input_data(i));
  kernels::pack(inputs, ctx.input_shape(0), axis, dtype_size(ctx.input_dtype(0)), ctx.output_data(0));
  return Status::ok();
}

Status unpack_shape(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const int axis, resolve_unpack(ctx));
  ir::Shape out = ctx.input_shape(0);
  out.erase(out.begin() + axis);
  for (int o = 0; o < ctx.num_outputs(); ++o) ctx.set_output_shape(o, out);
  return Status::ok();
}

Status unpack_eval(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const int axis, resolve_unpack(ctx));
  std::vector<void*> outputs;
  for (int o = 0; o < ctx.num_outputs(); ++o) outputs.push_back(ctx.output_data(o));
  kernels::unpack(ctx.input_data(0), ctx.input_shape(0), axis, outputs, dtype_size(ctx.input_dtype(0)));
  return Status::ok();
}

// ---- CAST ------------------------------------------------------------------------------

// Between float32, int32, int64, int16, int8, uint8 and bool (the tensors'
// dtypes decide, as in LiteRT; CastOptions are not consulted).
Status cast_shape(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 1, 1, 1));
  if (!cast_type(ctx.input_dtype(0))) return ctx.unsupported_dtype(0);
  if (!cast_type(ctx.output_dtype(0))) {
    return unsupported("{}: output '{}' has dtype {}, which this op does not support", ctx.op_name(),
                       ctx.output_tensor(0).name, dtype_name(ctx.output_dtype(0)));
  }
  ctx.set_output_shape(0, ctx.input_shape(0));
  return Status::ok();
}

Status cast_eval(OpContext& ctx) {
  kernels::cast(ctx.input_data(0), *cast_type(ctx.input_dtype(0)), ctx.output_data(0),
                *cast_type(ctx.output_dtype(0)), ir::num_elements(ctx.input_shape(0)));
  return Status::ok();
}

// ---- ARG_MAX / ARG_MIN -------------------------------------------------------------------

Status arg_max_shape(OpContext& ctx) { return arg_shape<tflite::ArgMaxOptionsT>(ctx); }
Status arg_max_eval(OpContext& ctx) { return arg_eval<tflite::ArgMaxOptionsT>(ctx, true); }
Status arg_min_shape(OpContext& ctx) { return arg_shape<tflite::ArgMinOptionsT>(ctx); }
Status arg_min_eval(OpContext& ctx) { return arg_eval<tflite::ArgMinOptionsT>(ctx, false); }

// ---- REDUCE_MAX / REDUCE_MIN / REDUCE_PROD ------------------------------------------------

Status reduce_max_shape(OpContext& ctx) { return reduce_shape_impl(ctx, kernels::ReduceOp::kMax); }
Status reduce_max_eval(OpContext& ctx) { return reduce_eval_impl(ctx, kernels::ReduceOp::kMax); }
Status reduce_min_shape(OpContext& ctx) { return reduce_shape_impl(ctx, kernels::ReduceOp::kMin); }
Status reduce_min_eval(OpContext& ctx) { return reduce_eval_impl(ctx, kernels::ReduceOp::kMin); }
Status reduce_prod_shape(OpContext& ctx) { return reduce_shape_impl(ctx, kernels::ReduceOp::kProd); }
Status reduce_prod_eval(OpContext& ctx) { return reduce_eval_impl(ctx, kernels::ReduceOp::kProd); }

// ---- SPLIT_V ----------------------------------------------------------------------------

Status split_v_shape(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const SplitPlan plan, resolve_split_v(ctx));
  for (int o = 0; o < ctx.num_outputs(); ++o) {
    ir::Shape out = ctx.input_shape(0);
    out[plan.axis] = plan.sizes[o];
    ctx.set_output_shape(o, std::move(out));
  }
  return Status::ok();
}

Status split_v_eval(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const SplitPlan plan, resolve_split_v(ctx));
  std::vector<void*> outputs;
  for (int o = 0; o < ctx.num_outputs(); ++o) outputs.push_back(ctx.output_data(o));
  kernels::split_v(ctx.input_data(0), ctx.input_shape(0), plan.axis, plan.sizes, outputs,
                   dtype_size(ctx.input_dtype(0)));
  return Status::ok();
}

// ---- TILE / MIRROR_PAD / BROADCAST_TO ---------------------------------------------------------

Status tile_shape(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const std::vector<int32_t> multiples, resolve_tile(ctx));
  ir::Shape out = ctx.input_shape(0);
  for (size_t d = 0; d < out.size(); ++d) out[d] *= multiples[d];
  ctx.set_output_shape(0, std::move(out));
  return Status::ok();
}

Status tile_eval(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const std::vector<int32_t> multiples, resolve_tile(ctx));
  kernels::tile(ctx.input_data(0), ctx.input_shape(0), multiples, dtype_size(ctx.input_dtype(0)),
                ctx.output_data(0));
  return Status::ok();
}

Status mirror_pad_shape(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const MirrorPlan plan, resolve_mirror_pad(ctx));
  ir::Shape out = ctx.input_shape(0);
  for (size_t d = 0; d < out.size(); ++d) out[d] += plan.before[d] + plan.after[d];
  ctx.set_output_shape(0, std::move(out));
  return Status::ok();
}

Status mirror_pad_eval(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const MirrorPlan plan, resolve_mirror_pad(ctx));
  kernels::mirror_pad(ctx.input_data(0), ctx.input_shape(0), plan.before, plan.after, plan.symmetric,
                      dtype_size(ctx.input_dtype(0)), ctx.output_data(0));
  return Status::ok();
}

Status broadcast_to_shape(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(ir::Shape out, resolve_broadcast_to(ctx));
  ctx.set_output_shape(0, std::move(out));
  return Status::ok();
}

Status broadcast_to_eval(OpContext& ctx) {
  kernels::broadcast_to(ctx.input_data(0), ctx.input_shape(0), ctx.output_shape(0), dtype_size(ctx.input_dtype(0)),
                        ctx.output_data(0));
  return Status::ok();
}

// ---- GATHER_ND --------------------------------------------------------------------------

// Output: indices.shape[:-1] + params.shape[nd:].
Status gather_nd_shape(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_gather_nd(ctx));
  const ir::Shape& params = ctx.input_shape(0);
  const ir::Shape& indices = ctx.input_shape(1);
  ir::Shape out(indices.begin(), indices.end() - 1);
  out.insert(out.end(), params.begin() + indices.back(), params.end());
  ctx.set_output_shape(0, std::move(out));
  return Status::ok();
}

// Every index must lie within its params dim (LiteRT refuses the model otherwise).
Status gather_nd_eval(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const std::vector<int64_t> indices, int_values(ctx, 1, /*allow_int16=*/true));
  const ir::Shape& params = ctx.input_shape(0);
  const size_t nd = static_cast<size_t>(ctx.input_shape(1).back());
  for (size_t k = 0; k < indices.size(); ++k) {
    const int32_t dim = params[k % nd];
    if (indices[k] < 0 || indices[k] >= dim) {
      return ctx.error("index {} of '{}' is out of bounds for a dim of size {}", indices[k], ctx.input_tensor(1).name,
                       dim);
    }
  }
  kernels::gather_nd(ctx.input_data(0), params, indices.data(), ctx.input_shape(1), dtype_size(ctx.input_dtype(0)),
                     ctx.output_data(0));
  return Status::ok();
}

// ---- FILL / ZEROS_LIKE ------------------------------------------------------------

// dims: a vector of non-negative int32 / int64; value: a scalar whose dtype the
// output takes.
Status fill_shape(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 2, 2, 1));
  TFC_RETURN_IF_ERROR(require_rank(ctx, 0, 1));
  TFC_RETURN_IF_ERROR(require_rank(ctx, 1, 0));
  TFC_RETURN_IF_ERROR(element_size(ctx, 1).status());
  TFC_RETURN_IF_ERROR(check_outputs_match(ctx, 1));
  TFC_ASSIGN_OR_RETURN(const std::vector<int64_t> values, int_values(ctx, 0));
  TFC_ASSIGN_OR_RETURN(ir::Shape out, dims_from(ctx, values));
  ctx.set_output_shape(0, std::move(out));
  return Status::ok();
}

Status fill_eval(OpContext& ctx) {
  kernels::fill(ctx.input_data(1), dtype_size(ctx.input_dtype(1)), ir::num_elements(ctx.output_shape(0)),
                ctx.output_data(0));
  return Status::ok();
}

Status zeros_like_shape(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 1, 1, 1));
  TFC_RETURN_IF_ERROR(require_dtype(ctx, 0, {DType::kFloat32, DType::kInt32, DType::kInt64}));
  TFC_RETURN_IF_ERROR(check_outputs_match(ctx, 0));
  ctx.set_output_shape(0, ctx.input_shape(0));
  return Status::ok();
}

Status zeros_like_eval(OpContext& ctx) {
  visit(Types<float, int32_t, int64_t>{}, ctx.input_dtype(0), [&](auto tag) {
    using T = decltype(tag);
    const T zero{};
    kernels::fill(&zero, sizeof(T), ir::num_elements(ctx.input_shape(0)), ctx.output_data(0));
  });
  return Status::ok();
}

// ---- RANGE ------------------------------------------------------------------------------

namespace {

// LiteRT's GetSize: delta != 0 and pointing from start towards limit;
// integers: ceil(|limit - start| / |delta|); float: ceil(|(limit - start) / delta|).
template <typename T>
Expected<int64_t> range_size(const OpContext& ctx, T start, T limit, T delta) {
  if (delta == 0 || !((start >= limit && delta < 0) || (start <= limit && delta > 0))) {
    return ctx.error("range from {} to {} by {} is invalid", start, limit, delta);
  }
  double size;
  if constexpr (std::is_integral_v<T>) {
    const uint64_t span = limit >= start ? static_cast<uint64_t>(limit) - static_cast<uint64_t>(start)
                                         : static_cast<uint64_t>(start) - static_cast<uint64_t>(limit);
    const uint64_t step = delta > 0 ? static_cast<uint64_t>(delta) : uint64_t{0} - static_cast<uint64_t>(delta);
    size = static_cast<double>(span / step + (span % step != 0 ? 1 : 0));
  } else {
    size = std::ceil(std::abs((limit - start) / delta));
  }
  if (!(size <= std::numeric_limits<int32_t>::max())) return ctx.error("range of {} elements is too large", size);
  return static_cast<int64_t>(size);
}

// Scalars start, limit, delta of one dtype (int32, int64 or float32).
Status check_range(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 3, 3, 1));
  TFC_RETURN_IF_ERROR(require_dtype(ctx, 0, {DType::kInt32, DType::kInt64, DType::kFloat32}));
  for (int i = 0; i < 3; ++i) {
    TFC_RETURN_IF_ERROR(require_same_dtype(ctx, 0, i));
    TFC_RETURN_IF_ERROR(require_rank(ctx, i, 0));
  }
  TFC_RETURN_IF_ERROR(check_outputs_match(ctx, 0));
  for (int i = 0; i < 3; ++i) {
    if (ctx.input_data(i) == nullptr) return ctx.value_needed(i);
  }
  return Status::ok();
}

}  // namespace

Status range_shape(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_range(ctx));
  Status status;
  visit(Types<int32_t, int64_t, float>{}, ctx.input_dtype(0), [&](auto tag) {
    using T = decltype(tag);
    const Expected<int64_t> n = range_size(ctx, ctx.input<T>(0)[0], ctx.input<T>(1)[0], ctx.input<T>(2)[0]);
    if (n) ctx.set_output_shape(0, {static_cast<int32_t>(*n)});
    status = n.status();
  });
  return status;
}

Status range_eval(OpContext& ctx) {
  visit(Types<int32_t, int64_t, float>{}, ctx.input_dtype(0), [&](auto tag) {
    using T = decltype(tag);
    kernels::range(ctx.input<T>(0)[0], ctx.input<T>(2)[0], ir::num_elements(ctx.output_shape(0)), ctx.output<T>(0));
  });
  return Status::ok();
}

// ---- SELECT / SELECT_V2 ------------------------------------------------------------------

Status select_shape(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(select_v1_condition(ctx).status());
  ctx.set_output_shape(0, ctx.input_shape(1));
  return Status::ok();
}

Status select_eval(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const ir::Shape cond, select_v1_condition(ctx));
  kernels::select_elements(ctx.input<uint8_t>(0), cond, ctx.input_data(1), ctx.input_shape(1), ctx.input_data(2),
                           ctx.input_shape(2), dtype_size(ctx.input_dtype(1)), ctx.output_data(0),
                           ctx.output_shape(0));
  return Status::ok();
}

// The three inputs broadcast together (NumPy rules).
Status select_v2_shape(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_select_types(ctx));
  TFC_ASSIGN_OR_RETURN(ir::Shape out, broadcast_inputs(ctx, {0, 1, 2}));
  ctx.set_output_shape(0, std::move(out));
  return Status::ok();
}

Status select_v2_eval(OpContext& ctx) {
  kernels::select_elements(ctx.input<uint8_t>(0), ctx.input_shape(0), ctx.input_data(1), ctx.input_shape(1),
                           ctx.input_data(2), ctx.input_shape(2), dtype_size(ctx.input_dtype(1)),
                           ctx.output_data(0), ctx.output_shape(0));
  return Status::ok();
}

// ---- Comparisons and logic ------------------------------------------------------------------

Status less_shape(OpContext& ctx) { return compare_shape(ctx, false); }
Status less_eval(OpContext& ctx) { return compare_eval(ctx, kernels::CompareOp::kLess); }
Status less_equal_shape(OpContext& ctx) { return compare_shape(ctx, false); }
Status less_equal_eval(OpContext& ctx) { return compare_eval(ctx, kernels::CompareOp::kLessEqual); }
Status greater_shape(OpContext& ctx) { return compare_shape(ctx, false); }
Status greater_eval(OpContext& ctx) { return compare_eval(ctx, kernels::CompareOp::kGreater); }
Status greater_equal_shape(OpContext& ctx) { return compare_shape(ctx, false); }
Status greater_equal_eval(OpContext& ctx) { return compare_eval(ctx, kernels::CompareOp::kGreaterEqual); }
Status equal_shape(OpContext& ctx) { return compare_shape(ctx, true); }
Status equal_eval(OpContext& ctx) { return compare_eval(ctx, kernels::CompareOp::kEqual); }
Status not_equal_shape(OpContext& ctx) { return compare_shape(ctx, true); }
Status not_equal_eval(OpContext& ctx) { return compare_eval(ctx, kernels::CompareOp::kNotEqual); }

Status logical_and_shape(OpContext& ctx) { return logical_shape(ctx, 2); }
Status logical_and_eval(OpContext& ctx) { return logical_eval(ctx, kernels::LogicalOp::kAnd); }
Status logical_or_shape(OpContext& ctx) { return logical_shape(ctx, 2); }
Status logical_or_eval(OpContext& ctx) { return logical_eval(ctx, kernels::LogicalOp::kOr); }
Status logical_not_shape(OpContext& ctx) { return logical_shape(ctx, 1); }
Status logical_not_eval(OpContext& ctx) {
  kernels::logical_not(ctx.input<uint8_t>(0), ctx.output<uint8_t>(0), ir::num_elements(ctx.input_shape(0)));
  return Status::ok();
}

// ---- Unary math ---------------------------------------------------------------------------

Status abs_shape(OpContext& ctx) { return math_unary_shape(ctx, {kF32, DType::kInt32}); }
Status abs_eval(OpContext& ctx) { return math_unary_eval(ctx, MathUnaryOp::kAbs); }
Status neg_shape(OpContext& ctx) { return math_unary_shape(ctx, {kF32, DType::kInt32, DType::kInt64}); }
Status neg_eval(OpContext& ctx) { return math_unary_eval(ctx, MathUnaryOp::kNeg); }
Status square_shape(OpContext& ctx) { return math_unary_shape(ctx, {kF32}); }
Status square_eval(OpContext& ctx) { return math_unary_eval(ctx, MathUnaryOp::kSquare); }
Status log_shape(OpContext& ctx) { return math_unary_shape(ctx, {kF32}); }
Status log_eval(OpContext& ctx) { return math_unary_eval(ctx, MathUnaryOp::kLog); }
Status floor_shape(OpContext& ctx) { return math_unary_shape(ctx, {kF32}); }
Status floor_eval(OpContext& ctx) { return math_unary_eval(ctx, MathUnaryOp::kFloor); }
Status ceil_shape(OpContext& ctx) { return math_unary_shape(ctx, {kF32}); }
Status ceil_eval(OpContext& ctx) { return math_unary_eval(ctx, MathUnaryOp::kCeil); }
Status round_shape(OpContext& ctx) { return math_unary_shape(ctx, {kF32}); }
Status round_eval(OpContext& ctx) { return math_unary_eval(ctx, MathUnaryOp::kRound); }
Status sign_shape(OpContext& ctx) { return math_unary_shape(ctx, {kF32, DType::kInt32}); }
Status sign_eval(OpContext& ctx) { return math_unary_eval(ctx, MathUnaryOp::kSign); }
Status sin_shape(OpContext& ctx) { return math_unary_shape(ctx, {kF32}); }
Status sin_eval(OpContext& ctx) { return math_unary_eval(ctx, MathUnaryOp::kSin); }
Status cos_shape(OpContext& ctx) { return math_unary_shape(ctx, {kF32}); }
Status cos_eval(OpContext& ctx) { return math_unary_eval(ctx, MathUnaryOp::kCos); }
Status elu_shape(OpContext& ctx) { return math_unary_shape(ctx, {kF32}); }
Status elu_eval(OpContext& ctx) { return math_unary_eval(ctx, MathUnaryOp::kElu); }

// ---- Binary math ----------------------------------------------------------------------------

Status pow_shape(OpContext& ctx) { return math_binary_shape(ctx, {kF32, DType::kInt32}); }
Status pow_eval(OpContext& ctx) { return math_binary_eval(ctx, MathBinaryOp::kPow); }
Status floor_div_shape(OpContext& ctx) {
  return math_binary_shape(ctx, {kF32, DType::kInt32, DType::kInt16, DType::kInt8});
}
Status floor_div_eval(OpContext& ctx) { return math_binary_eval(ctx, MathBinaryOp::kFloorDiv); }
Status floor_mod_shape(OpContext& ctx) {
  return math_binary_shape(ctx, {kF32, DType::kInt32, DType::kInt64, DType::kInt16, DType::kInt8});
}
Status floor_mod_eval(OpContext& ctx) { return math_binary_eval(ctx, MathBinaryOp::kFloorMod); }

// ---- ADD_N / L2_NORMALIZATION -----------------------------------------------------------------

// At least two inputs of one shape and dtype (float32 or int32).
Status add_n_shape(OpContext& ctx) {
  const int n = ctx.num_inputs();
  if (n < 2) return ctx.error("expected at least 2 inputs, got {}", n);
  TFC_RETURN_IF_ERROR(check_arity(ctx, n, n, 1));
  TFC_RETURN_IF_ERROR(require_dtype(ctx, 0, {kF32, DType::kInt32}));
  if (ctx.input_tensor(0).is_quantized()) return ctx.unsupported_dtype(0);
  for (int i = 1; i < n; ++i) {
    TFC_RETURN_IF_ERROR(require_same_dtype(ctx, 0, i));
    if (ctx.input_shape(i) != ctx.input_shape(0)) {
      return ctx.error("input {} ('{}') has shape {}, input 0 has {}", i, ctx.input_tensor(i).name,
                       shape_str(ctx.input_shape(i)), shape_str(ctx.input_shape(0)));
    }
  }
  TFC_RETURN_IF_ERROR(check_outputs_match(ctx, 0));
  ctx.set_output_shape(0, ctx.input_shape(0));
  return Status::ok();
}

Status add_n_eval(OpContext& ctx) {
  visit(Types<float, int32_t>{}, ctx.input_dtype(0), [&](auto tag) {
    using T = decltype(tag);
    std::vector<const T*> inputs;
    for (int i = 0; i < ctx.num_inputs(); ++i) inputs.push_back(ctx.input<T>(i));
    kernels::add_n<T>(inputs, ir::num_elements(ctx.input_shape(0)), ctx.output<T>(0));
  });
  return Status::ok();
}

// Float32 of rank 1 to 4, no fused activation (LiteRT refuses one).
Status l2_normalization_shape(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(math_unary_shape(ctx, {kF32}));
  const size_t rank = ctx.input_shape(0).size();
  if (rank < 1 || rank > 4) return ctx.error("the input has rank {}; expected 1 to 4", rank);
  const auto act = options_or_default<tflite::L2NormOptionsT>(ctx).fused_activation_function;
  if (act != tflite::ActivationFunctionType_NONE) {
    return ctx.error("fused_activation_function {} is not supported (LiteRT accepts NONE only)",
                     static_cast<int>(act));
  }
  return Status::ok();
}

Status l2_normalization_eval(OpContext& ctx) {
  kernels::l2_normalization(ctx.input<float>(0), ctx.input_shape(0), ctx.output<float>(0));
  return Status::ok();
}

// ---- SPACE_TO_BATCH_ND / BATCH_TO_SPACE_ND ------------------------------------------------------

Status space_to_batch_nd_shape(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(BlockPlan plan, resolve_block_op(ctx, true));
  ctx.set_output_shape(0, std::move(plan.out_shape));
  return Status::ok();
}

// Padding takes the output zero point for quantized uint8 / int8, else zero.
Status space_to_batch_nd_eval(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const BlockPlan plan, resolve_block_op(ctx, true));
  const size_t elem = dtype_size(ctx.input_dtype(0));
  std::vector<uint8_t> pad(elem, 0);
  const ir::Tensor& out = ctx.output_tensor(0);
  const DType t = ctx.input_dtype(0);
  if ((t == DType::kUInt8 || t == DType::kInt8) && out.is_quantized() && !out.quantization->zero_point.empty()) {
    pad[0] = static_cast<uint8_t>(out.quantization->zero_point[0]);
  }
  kernels::space_to_batch_nd(ctx.input_data(0), ctx.input_shape(0), plan.block, plan.before, pad.data(), elem,
                             ctx.output_data(0), ctx.output_shape(0));
  return Status::ok();
}

Status batch_to_space_nd_shape(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(BlockPlan plan, resolve_block_op(ctx, false));
  ctx.set_output_shape(0, std::move(plan.out_shape));
  return Status::ok();
}

Status batch_to_space_nd_eval(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const BlockPlan plan, resolve_block_op(ctx, false));
  kernels::batch_to_space_nd(ctx.input_data(0), ctx.input_shape(0), plan.block, plan.before,
                             dtype_size(ctx.input_dtype(0)), ctx.output_data(0), ctx.output_shape(0));
  return Status::ok();
}

// ---- CUMSUM / REVERSE_V2 / TOPK_V2 -----------------------------------------------------------------

// The output shape does not depend on the axis; it is checked when known.
Status cumsum_shape(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_cumsum(ctx));
  if (ctx.input_data(1) != nullptr) TFC_RETURN_IF_ERROR(cumsum_axis(ctx).status());
  ctx.set_output_shape(0, ctx.input_shape(0));
  return Status::ok();
}

Status cumsum_eval(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const int axis, cumsum_axis(ctx));
  const auto& o = options_or_default<tflite::CumsumOptionsT>(ctx);
  visit(Types<float, int32_t, int64_t>{}, ctx.input_dtype(0), [&](auto tag) {
    using T = decltype(tag);
    kernels::cumsum(ctx.input<T>(0), ctx.input_shape(0), axis, o.exclusive, o.reverse, ctx.output<T>(0));
  });
  return Status::ok();
}

// The output shape does not depend on the axes; they are checked when known.
Status reverse_v2_shape(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_reverse(ctx));
  if (ctx.input_data(1) != nullptr) TFC_RETURN_IF_ERROR(reverse_axes(ctx).status());
  ctx.set_output_shape(0, ctx.input_shape(0));
  return Status::ok();
}

Status reverse_v2_eval(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const std::vector<int32_t> axes, reverse_axes(ctx));
  kernels::reverse(ctx.input_data(0), ctx.input_shape(0), axes, dtype_size(ctx.input_dtype(0)), ctx.output_data(0));
  return Status::ok();
}

Status topk_v2_shape(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const int32_t k, resolve_top_k(ctx));
  ir::Shape out = ctx.input_shape(0);
  out.back() = k;
  ctx.set_output_shape(0, out);
  ctx.set_output_shape(1, std::move(out));
  return Status::ok();
}

Status topk_v2_eval(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const int32_t k, resolve_top_k(ctx));
  visit(TopKTypes{}, ctx.input_dtype(0), [&](auto tag) {
    using T = decltype(tag);
    if (ctx.output_dtype(1) == DType::kInt32) {
      kernels::top_k(ctx.input<T>(0), ctx.input_shape(0), k, ctx.output<T>(0), ctx.output<int32_t>(1));
    } else {
      kernels::top_k(ctx.input<T>(0), ctx.input_shape(0), k, ctx.output<T>(0), ctx.output<int16_t>(1));
    }
  });
  return Status::ok();
}

}  // namespace tfc::ops
