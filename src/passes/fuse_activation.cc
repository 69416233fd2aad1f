// fuse-activation (see passes.h): a standalone RELU, RELU6 or RELU_N1_TO_1
// after an op whose fused activation is NONE becomes that op's fused
// activation, in exactly the cases the TFLite converter fuses (the table of
// fused_activation_version, op_pattern.h).
#include <algorithm>

#include "passes/graph_edit.h"
#include "passes/op_pattern.h"
#include "passes/passes.h"

namespace tfc::passes {
namespace {

using tflite::ActivationFunctionType;
using tflite::BuiltinOperator;

// The fused activation a standalone activation op stands for, or NONE.
ActivationFunctionType activation_of(int32_t builtin) {
  switch (builtin) {
    case BuiltinOperator::BuiltinOperator_RELU: return tflite::ActivationFunctionType_RELU;
    case BuiltinOperator::BuiltinOperator_RELU6: return tflite::ActivationFunctionType_RELU6;
    case BuiltinOperator::BuiltinOperator_RELU_N1_TO_1: return tflite::ActivationFunctionType_RELU_N1_TO_1;
    default: return tflite::ActivationFunctionType_NONE;
  }
}

// ADD, SUB, MUL and DIV may carry no options (all defaults); they get them.
void ensure_options(ir::Op& op) {
  if (op.options.value != nullptr) return;
  switch (op.code.builtin) {
    case BuiltinOperator::BuiltinOperator_ADD: op.options.Set(tflite::AddOptionsT{}); break;
    case BuiltinOperator::BuiltinOperator_SUB: op.options.Set(tflite::SubOptionsT{}); break;
    case BuiltinOperator::BuiltinOperator_MUL: op.options.Set(tflite::MulOptionsT{}); break;
    case BuiltinOperator::BuiltinOperator_DIV: op.options.Set(tflite::DivOptionsT{}); break;
    default: break;
  }
}

// Fuses the activation op at `index` into its input's producer when the
// converter would; returns whether it did (the activation op is then gone).
bool fuse_one(ir::Model& model, int subgraph, int index) {
  ir::Subgraph& g = model.subgraphs[static_cast<size_t>(subgraph)];
  const ir::Op& act = g.ops[static_cast<size_t>(index)];
  const ActivationFunctionType a = activation_of(act.code.builtin);
  if (a == tflite::ActivationFunctionType_NONE || act.inputs.size() != 1 || act.outputs.size() != 1) return false;
  const ir::TensorId x = act.inputs[0];
  if (x == ir::kNoTensor || g.tensors[x].dtype != DType::kFloat32) return false;
  if (g.tensors[act.outputs[0]].dtype != DType::kFloat32) return false;
  const int p = producer(g, x);
  if (p < 0 || sole_reader(model, subgraph, x) != index) return false;
  ir::Op& op = g.ops[static_cast<size_t>(p)];
  const int32_t version = fused_activation_version(op.code.builtin, a);
  if (version == 0 || op.outputs.size() != 1) return false;
  ensure_options(op);
  ActivationFunctionType* field = fused_activation(op);
  if (field == nullptr || *field != tflite::ActivationFunctionType_NONE) return false;
  *field = a;
  op.code.version = std::max(op.code.version, version);
  op.outputs[0] = act.outputs[0];
  const int removed[] = {index};
  remove_ops(g, removed);
  return true;
}

}  // namespace

Expected<int> fuse_activations(ir::Model& model) {
  int fused = 0;
  for (size_t s = 0; s < model.subgraphs.size(); ++s) {
    for (size_t i = 0; i < model.subgraphs[s].ops.size();) {
      if (fuse_one(model, static_cast<int>(s), static_cast<int>(i))) {
        ++fused;
      } else {
        ++i;
      }
    }
  }
  remove_unused_tensors(model);
  return fused;
}

}  // namespace tfc::passes
