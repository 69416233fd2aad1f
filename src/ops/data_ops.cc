// Shape rules and evaluation of the data ops: SHAPE, PACK, UNPACK, CAST,
// SPLIT_V, TILE, MIRROR_PAD, BROADCAST_TO, GATHER_ND, FILL, ZEROS_LIKE, RANGE,
// SPACE_TO_BATCH_ND / BATCH_TO_SPACE_ND and REVERSE_V2. Each _shape checks
// what LiteRT's Prepare checks (dtypes, ranks, option values, and the values
// of shape-like inputs) and sizes the outputs; each _eval runs the kernel in
// kernels/data_ref.h. Data movement takes any fixed-size dtype, quantized
// tensors moved byte for byte. The plans the gradient rules share are
// declared in ops/data_plans.h. Not here: string tensors.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <type_traits>
#include <vector>

#include <fmt/ranges.h>

#include "kernels/data_ref.h"
#include "ops/data_plans.h"
#include "ops/op_util.h"
#include "ops/registry.h"

namespace tfc::ops {

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

// ---- SPLIT_V ------------------------------------------------------------------------

// size_splits: one size per output, at most one -1 (takes the rest); the sizes
// must add up to the input's dim along `axis` (a scalar input).
Expected<SplitVPlan> resolve_split_v(OpContext& ctx) {
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
  SplitVPlan plan;
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

// ---- MIRROR_PAD ----------------------------------------------------------------------

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

namespace {

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

// ---- TILE / BROADCAST_TO ---------------------------------------------------------------

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

// ---- REVERSE_V2 --------------------------------------------------------------------

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

// ---- SPLIT_V ----------------------------------------------------------------------------

Status split_v_shape(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const SplitVPlan plan, resolve_split_v(ctx));
  for (int o = 0; o < ctx.num_outputs(); ++o) {
    ir::Shape out = ctx.input_shape(0);
    out[plan.axis] = plan.sizes[o];
    ctx.set_output_shape(o, std::move(out));
  }
  return Status::ok();
}

Status split_v_eval(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const SplitVPlan plan, resolve_split_v(ctx));
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

// ---- REVERSE_V2 --------------------------------------------------------------------

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

}  // namespace tfc::ops
