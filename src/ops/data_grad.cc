// Gradient rules of the misc data family (ops/data_ops.cc).
// Contract: ops/grad_context.h. Reference backward kernels; tested against
// central finite differences (tests/cpp/grad_check.h).
#include "ops/registry.h"

namespace tfc::ops {

Status pack_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status unpack_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status split_v_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status tile_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status mirror_pad_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

Status broadcast_to_grad(GradContext& ctx) { return unsupported("{}: gradient rule not implemented", ctx.op_name()); }

}  // namespace tfc::ops
