// Expands ops/op_list.def into the registry table.
#include "ops/registry.h"

#include <algorithm>

namespace tfc::ops {
namespace {

const OpDef kOps[] = {
#define TFC_OP(BUILTIN, fn) {tflite::BuiltinOperator_##BUILTIN, #BUILTIN, fn##_shape, fn##_eval},
#include "ops/op_list.def"
#undef TFC_OP
};

}  // namespace

const OpDef* find_op(int32_t builtin) {
  auto it = std::find_if(std::begin(kOps), std::end(kOps), [&](const OpDef& d) { return d.builtin == builtin; });
  return it == std::end(kOps) ? nullptr : &*it;
}

std::span<const OpDef> all_ops() { return kOps; }

}  // namespace tfc::ops
