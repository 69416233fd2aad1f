// hoist-channel-ops (see passes.h): a per-channel op after a SQUEEZE / RESHAPE
// that keeps the channels last (Keras's Conv1D writes EXPAND_DIMS, CONV_2D,
// SQUEEZE) moves before it, next to the CONV_2D / DEPTHWISE_CONV_2D /
// FULLY_CONNECTED whose output the reshape reads (directly or through ops
// moved before), so that fold-batchnorm and
// fuse-activation can fold it as the TFLite converter does:
//   RESHAPE(conv) -> MUL/ADD/SUB/DIV by per-channel constant, RELU, RELU6,
//   RELU_N1_TO_1   becomes   conv -> that op -> RESHAPE.
// Only float32 ops whose constant is a scalar or has one element per channel
// (all other dims 1, rank at most the conv output's) move; the reshape must be
// read by that op alone.
#include "passes/graph_edit.h"
#include "passes/op_pattern.h"
#include "passes/passes.h"

namespace tfc::passes {
namespace {

using B = tflite::BuiltinOperator;

bool is_weighted(int32_t builtin) {
  return builtin == B::BuiltinOperator_CONV_2D || builtin == B::BuiltinOperator_DEPTHWISE_CONV_2D ||
         builtin == B::BuiltinOperator_FULLY_CONNECTED;
}

bool is_activation(int32_t builtin) {
  return builtin == B::BuiltinOperator_RELU || builtin == B::BuiltinOperator_RELU6 ||
         builtin == B::BuiltinOperator_RELU_N1_TO_1;
}

bool is_channel_arithmetic(int32_t builtin) {
  return builtin == B::BuiltinOperator_MUL || builtin == B::BuiltinOperator_ADD ||
         builtin == B::BuiltinOperator_SUB || builtin == B::BuiltinOperator_DIV;
}

// Whether constant `c` holds one value per channel of a tensor of shape `to`
// (or one value) and broadcasts to it without raising its rank.
bool per_channel(const ir::Model& m, const ir::Tensor& c, const ir::Shape& to) {
  if (!is_plain_float_constant(m, c) || c.shape.size() > to.size() || to.empty()) return false;
  for (size_t d = 0; d + 1 < c.shape.size(); ++d) {
    if (c.shape[d] != 1) return false;
  }
  return c.shape.empty() || c.shape.back() == 1 || c.shape.back() == to.back();
}

// The index of op `op`'s input that the reshape writes, when op can move.
int movable_input(const ir::Model& m, const ir::Subgraph& g, const ir::Op& op, ir::TensorId reshaped,
                  const ir::Shape& before) {
  if (op.outputs.size() != 1 || g.tensors[op.outputs[0]].dtype != DType::kFloat32) return -1;
  if (is_activation(op.code.builtin)) return op.inputs.size() == 1 && op.inputs[0] == reshaped ? 0 : -1;
  if (!is_channel_arithmetic(op.code.builtin) || op.inputs.size() != 2) return -1;
  const bool commutes = op.code.builtin == B::BuiltinOperator_MUL || op.code.builtin == B::BuiltinOperator_ADD;
  for (int at : {0, 1}) {
    if (op.inputs[static_cast<size_t>(at)] != reshaped) continue;
    if (at == 1 && !commutes) return -1;  // k - x, k / x stay
    const ir::TensorId c = op.inputs[static_cast<size_t>(1 - at)];
    if (c == ir::kNoTensor || !per_channel(m, g.tensors[c], before)) return -1;
    if (g.tensors[op.outputs[0]].shape != g.tensors[reshaped].shape) return -1;
    return at;
  }
  return -1;
}

// Whether `y` is written by a weighted op, directly or through ops this pass
// moved before (each read by the next alone).
bool from_weighted_op(const ir::Model& m, int s, ir::TensorId y) {
  const ir::Subgraph& g = m.subgraphs[static_cast<size_t>(s)];
  for (int w = producer(g, y); w >= 0; w = producer(g, y)) {
    const ir::Op& op = g.ops[static_cast<size_t>(w)];
    if (is_weighted(op.code.builtin)) return true;
    if (!is_activation(op.code.builtin) && !is_channel_arithmetic(op.code.builtin)) return false;
    ir::TensorId next = ir::kNoTensor;  // the input that is no constant
    for (ir::TensorId in : op.inputs) {
      if (in != ir::kNoTensor && !m.is_constant(g.tensors[in])) next = in;
    }
    if (next == ir::kNoTensor || sole_reader(m, s, next) != w) return false;
    y = next;
  }
  return false;
}

bool hoist_at(ir::Model& m, int s, int root) {
  ir::Subgraph& g = m.subgraphs[static_cast<size_t>(s)];
  const ir::Op& op = g.ops[static_cast<size_t>(root)];
  if (op.inputs.empty()) return false;
  for (const ir::TensorId in : op.inputs) {
    const int r = in == ir::kNoTensor ? -1 : producer(g, in);
    if (r < 0 || sole_reader(m, s, in) != root) continue;
    const ir::Op& reshape = g.ops[static_cast<size_t>(r)];
    if ((reshape.code.builtin != B::BuiltinOperator_SQUEEZE && reshape.code.builtin != B::BuiltinOperator_RESHAPE) ||
        reshape.inputs.empty() || reshape.outputs.size() != 1 || reshape.inputs[0] == ir::kNoTensor) {
      continue;
    }
    const ir::TensorId y = reshape.inputs[0];
    const ir::Shape& before = g.tensors[y].shape;
    const ir::Shape& after = g.tensors[in].shape;
    if (!from_weighted_op(m, s, y) || sole_reader(m, s, y) != r ||
        before.empty() || after.empty() || before.back() != after.back() || g.tensors[y].dtype != DType::kFloat32) {
      continue;
    }
    const int at = movable_input(m, g, op, in, before);
    if (at < 0) return false;
    // op reads y and writes a new tensor of y's shape; the reshape reads that
    // and writes op's output.
    ir::Tensor moved = g.tensors[y];
    moved.name = unique_tensor_name(g, g.tensors[op.outputs[0]].name + "/before_reshape");
    const ir::TensorId mid = add_tensor(g, std::move(moved));
    ir::Op hoisted = g.ops[static_cast<size_t>(root)];
    ir::Op reshaped = g.ops[static_cast<size_t>(r)];
    hoisted.inputs[static_cast<size_t>(at)] = y;
    reshaped.inputs[0] = mid;
    reshaped.outputs = hoisted.outputs;
    hoisted.outputs = {mid};
    g.ops[static_cast<size_t>(r)] = std::move(hoisted);
    g.ops[static_cast<size_t>(root)] = std::move(reshaped);
    return true;
  }
  return false;
}

}  // namespace

Expected<int> hoist_channel_ops(ir::Model& model) {
  const int moved = rewrite_all(model, hoist_at);
  remove_unused_tensors(model);
  return moved;
}

}  // namespace tfc::passes
