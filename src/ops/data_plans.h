// The validated parameters ("plans") some data-family ops run with: built by
// their shape rules and kernels (ops/data_ops.cc) and by their gradient rules
// (ops/data_grad.cc), so that backward walks the very elements forward did.
// Each check returns an error naming the op and tensor.
#pragma once

#include <cstdint>
#include <vector>

#include "ops/op_context.h"

namespace tfc::ops {

// PACK: inputs of one dtype and shape; the axis the output gains, in [0, rank].
Expected<int> resolve_pack(OpContext& ctx);

// UNPACK: the axis (in [0, rank)) whose dim equals the number of outputs.
Expected<int> resolve_unpack(OpContext& ctx);

// SPLIT_V: input 0 the value, input 1 the size of each output along the axis
// (input 2), one -1 resolved to the rest.
struct SplitVPlan {
  int axis = 0;
  std::vector<int32_t> sizes;
};
Expected<SplitVPlan> resolve_split_v(OpContext& ctx);

// MIRROR_PAD: elements added before and after each dim, mirrored REFLECT or
// SYMMETRIC (kernels::mirror_pad).
struct MirrorPlan {
  std::vector<int32_t> before, after;
  bool symmetric = false;
};
Expected<MirrorPlan> resolve_mirror_pad(OpContext& ctx);

}  // namespace tfc::ops
