// The validated parameters ("plans") some shape-family ops run with: built by
// their shape rules and kernels (ops/shape_ops.cc, ops/slice_ops.cc) and by
// their gradient rules (ops/shape_grad.cc), so that backward walks the very
// elements forward did. Each check returns an error naming the op and tensor.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/broadcast.h"
#include "kernels/common.h"
#include "kernels/shape_ref.h"
#include "ops/op_context.h"

namespace tfc::ops {

// PAD / PADV2: elements added before and after each input dim (input 1, the
// (rank, 2) paddings); PADV2's optional constant value (input 2) checked.
struct PadAmounts {
  std::vector<int32_t> before, after;
};
Expected<PadAmounts> resolve_padding(OpContext& ctx);

// TRANSPOSE's perm (input 1): a permutation of [0, rank), rank <= 6.
Expected<std::vector<int32_t>> transpose_perm(OpContext& ctx);

// CONCATENATION: the axis (normalized; 0 for rank-0 inputs, which concatenate
// into a vector), the fused activation and the output shape.
struct Concat {
  int axis = 0;
  kernels::Activation activation = kernels::Activation::kNone;
  kernels::DimArray<int32_t> out_shape;  // in place: resolving allocates nothing
};
Expected<Concat> resolve_concat(OpContext& ctx);

// SPLIT: input 0 the axis, input 1 the value, cut into num_splits equal outputs.
struct SplitPlan {
  int axis = 0;
  ir::Shape out_shape;  // of every output
};
Expected<SplitPlan> plan_split(OpContext& ctx);

// GATHER: axis and batch_dims normalized (0 <= batch_dims <= axis).
struct GatherPlan {
  int axis = 0;
  int batch_dims = 0;
};
Expected<GatherPlan> plan_gather(OpContext& ctx);
ir::Shape gather_out_shape(const OpContext& ctx, const GatherPlan& p);
// The indices (input 1) as int64 into `out` (resized: a buffer the caller
// keeps allocates only while it grows), each checked against the axis.
Status gather_indices(OpContext& ctx, const GatherPlan& p, std::vector<int64_t>& out);

// STRIDED_SLICE: the slice spec (masks, negative indices, clamping) resolved
// to one kernels::SliceAxis per dim of in_dims — the input's dims with each
// new axis inserted as 1, which address the input's buffer unchanged.
struct StridedPlan {
  ir::Shape in_dims;
  std::vector<kernels::SliceAxis> axes;  // one per entry of in_dims
  ir::Shape out_shape;
};
Expected<StridedPlan> plan_strided_slice(OpContext& ctx);

// SLICE: one SliceAxis (stride 1) per input dim, from begin and size.
Expected<std::vector<kernels::SliceAxis>> plan_slice(OpContext& ctx);

}  // namespace tfc::ops
