// fold-dequantize (see passes.h): DEQUANTIZE ops of constants become float32
// constants. The values come from the DEQUANTIZE op's own shape rule and
// reference kernel (ops/), so the folded model computes exactly what the
// original did.
#include <fmt/ranges.h>

#include "ops/registry.h"
#include "passes/graph_edit.h"
#include "passes/passes.h"

namespace tfc::passes {
namespace {

bool is_foldable(const ir::Model& model, const ir::Subgraph& g, const ir::Op& op) {
  if (op.code.builtin != tflite::BuiltinOperator_DEQUANTIZE || op.inputs.size() != 1 || op.outputs.size() != 1) {
    return false;
  }
  if (op.inputs[0] == ir::kNoTensor) return false;
  const ir::Tensor& in = g.tensors[op.inputs[0]];
  return model.is_constant(in) && !in.sparsity && !in.is_variable;
}

// Runs the DEQUANTIZE reference kernel on the op's constant input; returns the
// float32 bytes of its output. Errors name the op and tensor.
Expected<std::vector<uint8_t>> dequantized_bytes(const ir::Model& model, const ir::Subgraph& g, const ir::Op& op) {
  const ir::Tensor& in = g.tensors[op.inputs[0]];
  const ir::Tensor& out = g.tensors[op.outputs[0]];
  const auto constant = model.constant_data(in);
  std::vector<uint8_t> in_bytes(constant.begin(), constant.end());  // a private, aligned copy
  ops::TensorSlot in_slot{&in, in.shape, in_bytes.data()};
  ops::TensorSlot out_slot{&out, {}, nullptr};
  ops::OpContext ctx(op, {&in_slot}, {&out_slot}, kernels::kDefaultRequantization);
  TFC_RETURN_IF_ERROR(ops::dequantize_shape(ctx));
  if (out_slot.shape != out.shape) {
    return ctx.error("output '{}' has shape [{}] but its constant input '{}' has shape [{}]", out.name,
                     fmt::join(out.shape, ","), in.name, fmt::join(in.shape, ","));
  }
  std::vector<uint8_t> out_bytes(ir::num_elements(out.shape) * sizeof(float));
  out_slot.data = out_bytes.data();
  TFC_RETURN_IF_ERROR(ops::dequantize_eval(ctx));
  return out_bytes;
}

}  // namespace

Status fold_dequantize(ir::Model& model) {
  for (ir::Subgraph& g : model.subgraphs) {
    std::vector<int> folded;
    for (size_t i = 0; i < g.ops.size(); ++i) {
      const ir::Op& op = g.ops[i];
      if (!is_foldable(model, g, op)) continue;
      auto bytes = dequantized_bytes(model, g, op);
      if (!bytes) return bytes.status().with_context(fmt::format("fold-dequantize: op {}", i));
      g.tensors[op.outputs[0]].buffer = add_buffer(model, std::move(*bytes));
      folded.push_back(static_cast<int>(i));
    }
    remove_ops(g, folded);
  }
  remove_unused_tensors(model);
  remove_unused_buffers(model);
  return Status::ok();
}

}  // namespace tfc::passes
