// The op registry: for each builtin op tfcompress implements, its shape rule,
// float reference kernel and (where it has one) gradient rule. Built from
// ops/op_list.def, the one list of ops.
#pragma once

#include "ops/grad_context.h"
#include "ops/op_context.h"

namespace tfc::ops {

struct OpDef {
  int32_t builtin;  // tflite::BuiltinOperator (CUSTOM for custom ops)
  const char* name; // builtin name, or the custom code
  Status (*shape)(OpContext&);
  Status (*eval)(OpContext&);
  Status (*grad)(GradContext&);  // nullptr: no gradient rule (training refuses graphs that need one)
};

// The definition for a builtin code, or nullptr if tfcompress cannot run it.
const OpDef* find_op(int32_t builtin);
// The definition for an op code: builtin by code, custom by custom code.
const OpDef* find_op(const ir::OpCode& code);

// Declarations of every op's functions, expanded from the list.
#define TFC_GRAD_DECL_grad(fn) Status fn##_grad(GradContext& ctx);
#define TFC_GRAD_DECL_none(fn)
#define TFC_OP(BUILTIN, fn, g) \
  Status fn##_shape(OpContext& ctx); \
  Status fn##_eval(OpContext& ctx); \
  TFC_GRAD_DECL_##g(fn)
#include "ops/op_list.def"
#undef TFC_OP
#undef TFC_GRAD_DECL_grad
#undef TFC_GRAD_DECL_none
#define TFC_CUSTOM_OP(CODE, fn) \
  Status fn##_shape(OpContext& ctx); \
  Status fn##_eval(OpContext& ctx);
#include "ops/custom_op_list.def"
#undef TFC_CUSTOM_OP

}  // namespace tfc::ops
