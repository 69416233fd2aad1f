// converter-fusions (see passes.h): every converter fusion pass, in the order
// that lets each see what the one before made (clips become RELU6 before hard
// swish looks for it; batch norms fold before activations fuse).
#include "passes/passes.h"

namespace tfc::passes {

Expected<int> fuse_like_converter(ir::Model& model) {
  using Pass = Expected<int> (*)(ir::Model&);
  static constexpr Pass kOrder[] = {fold_pads,        fuse_prelu,       fuse_relu_clips, fuse_squared_differences,
                                    fuse_rsqrt,       fuse_hard_swish,  fuse_gelu,       hoist_channel_ops,
                                    fold_batch_norms, fuse_activations, fold_reshapes,   merge_duplicate_ops};
  int total = 0;
  for (Pass pass : kOrder) {
    TFC_ASSIGN_OR_RETURN(const int n, pass(model));
    total += n;
  }
  return total;
}

}  // namespace tfc::passes
