// Expands ops/op_list.def into the registry table.
#include "ops/registry.h"

#include <algorithm>
#include <vector>

namespace tfc::ops {
namespace {

const OpDef kOps[] = {
#define TFC_GRAD_FN_grad(fn) fn##_grad
#define TFC_GRAD_FN_none(fn) nullptr
#define TFC_OP(BUILTIN, fn, g) {tflite::BuiltinOperator_##BUILTIN, #BUILTIN, fn##_shape, fn##_eval, TFC_GRAD_FN_##g(fn)},
#include "ops/op_list.def"
#undef TFC_OP
#undef TFC_GRAD_FN_grad
#undef TFC_GRAD_FN_none
};

const std::vector<OpDef> kCustomOps = {
#define TFC_CUSTOM_OP(CODE, fn) {tflite::BuiltinOperator_CUSTOM, CODE, fn##_shape, fn##_eval, nullptr},
#include "ops/custom_op_list.def"
#undef TFC_CUSTOM_OP
};

}  // namespace

const OpDef* find_op(int32_t builtin) {
  auto it = std::find_if(std::begin(kOps), std::end(kOps), [&](const OpDef& d) { return d.builtin == builtin; });
  return it == std::end(kOps) ? nullptr : &*it;
}

const OpDef* find_op(const ir::OpCode& code) {
  if (!code.is_custom()) return find_op(code.builtin);
  auto it = std::find_if(kCustomOps.begin(), kCustomOps.end(),
                         [&](const OpDef& d) { return code.custom_code == d.name; });
  return it == kCustomOps.end() ? nullptr : &*it;
}

}  // namespace tfc::ops
