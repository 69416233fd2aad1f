// fold-reshapes (see passes.h): RESHAPE, SQUEEZE or EXPAND_DIMS whose only
// reader is a RESHAPE disappears; the RESHAPE reads the first op's input.
#include "passes/graph_edit.h"
#include "passes/op_pattern.h"
#include "passes/passes.h"

namespace tfc::passes {
namespace {

bool is_shape_only(int32_t builtin) {
  return builtin == tflite::BuiltinOperator_RESHAPE || builtin == tflite::BuiltinOperator_SQUEEZE ||
         builtin == tflite::BuiltinOperator_EXPAND_DIMS;
}

bool same_quantization(const ir::Tensor& a, const ir::Tensor& b) {
  if (!a.is_quantized() && !b.is_quantized()) return true;
  return a.is_quantized() && b.is_quantized() && a.quantization->scale == b.quantization->scale &&
         a.quantization->zero_point == b.quantization->zero_point;
}

bool fold_one(ir::Model& model, int subgraph, int index) {
  ir::Subgraph& g = model.subgraphs[static_cast<size_t>(subgraph)];
  ir::Op& outer = g.ops[static_cast<size_t>(index)];
  if (outer.code.builtin != tflite::BuiltinOperator_RESHAPE || outer.inputs.empty()) return false;
  const ir::TensorId mid = outer.inputs[0];
  const int inner_index = producer(g, mid);
  if (inner_index < 0 || sole_reader(model, subgraph, mid) != index) return false;
  const ir::Op& inner = g.ops[static_cast<size_t>(inner_index)];
  if (!is_shape_only(inner.code.builtin) || inner.inputs.empty() || inner.inputs[0] == ir::kNoTensor) return false;
  const ir::TensorId source = inner.inputs[0];
  if (!same_quantization(g.tensors[source], g.tensors[mid])) return false;
  outer.inputs[0] = source;
  const int removed[] = {inner_index};
  remove_ops(g, removed);
  return true;
}

}  // namespace

Expected<int> fold_reshapes(ir::Model& model) {
  const int n = rewrite_all(model, fold_one);
  if (n > 0) {
    remove_unused_tensors(model);
    remove_unused_buffers(model);
  }
  return n;
}

}  // namespace tfc::passes
