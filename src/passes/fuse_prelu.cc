// fuse-prelu (see passes.h): the op chain of a parametric ReLU with constant
// slopes becomes one PRELU, as the TFLite converter (TF 2.21) writes for
// Keras's PReLU:
//   ADD(RELU(x), MUL(c, RELU(NEG(x))))   -> PRELU(x, -c)
//   SUB(RELU(x), MUL(a, RELU(NEG(x))))   -> PRELU(x, a)
// with either operand order of the ADD and MUL. Every inner op must be read
// only by the pattern (the converter leaves a shared RELU(x) as it is).
#include <optional>

#include "passes/graph_edit.h"
#include "passes/op_pattern.h"
#include "passes/passes.h"

namespace tfc::passes {
namespace {

using B = tflite::BuiltinOperator;

struct Match {
  ir::TensorId x = ir::kNoTensor;
  ir::TensorId slope = ir::kNoTensor;  // the constant the MUL reads
  std::vector<int> inner;
};

const ir::Op& op_at(const ir::Model& m, int s, int i) {
  return m.subgraphs[static_cast<size_t>(s)].ops[static_cast<size_t>(i)];
}

// The x of RELU(x) written to `id` and read only by `reader`; records the op.
ir::TensorId relu_input(const ir::Model& m, int s, ir::TensorId id, int reader, std::vector<int>& inner) {
  const int relu = inner_producer(m, s, id, B::BuiltinOperator_RELU, reader);
  if (relu < 0 || op_at(m, s, relu).inputs.size() != 1) return ir::kNoTensor;
  inner.push_back(relu);
  return op_at(m, s, relu).inputs[0];
}

// MUL(c, RELU(NEG(x))) written to `id` for `reader`, x being `x`.
bool negative_part(const ir::Model& m, int s, ir::TensorId id, ir::TensorId x, int reader, Match& match) {
  const ir::Subgraph& g = m.subgraphs[static_cast<size_t>(s)];
  const int mul = inner_producer(m, s, id, B::BuiltinOperator_MUL, reader);
  if (mul < 0 || op_at(m, s, mul).inputs.size() != 2) return false;
  for (size_t c_at : {0, 1}) {
    const ir::TensorId c = op_at(m, s, mul).inputs[c_at];
    if (c == ir::kNoTensor || !is_plain_float_constant(m, g.tensors[c])) continue;
    std::vector<int> inner = {mul};
    const ir::TensorId neg_x = relu_input(m, s, op_at(m, s, mul).inputs[1 - c_at], mul, inner);
    const int neg = inner_producer(m, s, neg_x, B::BuiltinOperator_NEG, inner.back());
    if (neg < 0 || op_at(m, s, neg).inputs != std::vector<ir::TensorId>{x}) continue;
    inner.push_back(neg);
    match.slope = c;
    match.inner.insert(match.inner.end(), inner.begin(), inner.end());
    return true;
  }
  return false;
}

std::optional<Match> match_at(const ir::Model& m, int s, int root) {
  const ir::Op& op = op_at(m, s, root);
  const bool add = op.code.builtin == B::BuiltinOperator_ADD;
  if ((!add && op.code.builtin != B::BuiltinOperator_SUB) || op.inputs.size() != 2 || op.outputs.size() != 1 ||
      fused_activation_of(op) != tflite::ActivationFunctionType_NONE) {
    return std::nullopt;
  }
  for (size_t pos_at : add ? std::vector<size_t>{0, 1} : std::vector<size_t>{0}) {
    Match match;
    match.x = relu_input(m, s, op.inputs[pos_at], root, match.inner);
    if (match.x == ir::kNoTensor) continue;
    if (negative_part(m, s, op.inputs[1 - pos_at], match.x, root, match)) return match;
  }
  return std::nullopt;
}

bool fuse_at(ir::Model& m, int s, int root) {
  std::optional<Match> match = match_at(m, s, root);
  if (!match) return false;
  ir::Subgraph& g = m.subgraphs[static_cast<size_t>(s)];
  const ir::Op& op = g.ops[static_cast<size_t>(root)];
  const ir::Tensor& x = g.tensors[match->x];
  if (x.dtype != DType::kFloat32 || g.tensors[op.outputs[0]].shape != x.shape) return false;
  std::vector<float> alpha = float_constant(m, g.tensors[match->slope]);
  if (op.code.builtin == B::BuiltinOperator_ADD) {
    for (float& a : alpha) a = -a;
  }
  ir::Tensor t = g.tensors[match->slope];
  t.name = unique_tensor_name(g, g.tensors[op.outputs[0]].name + "/alpha");
  auto alpha_id = add_constant(m, s, std::move(t), to_bytes(alpha));
  if (!alpha_id.has_value()) return false;
  ir::Op prelu;
  prelu.code.builtin = B::BuiltinOperator_PRELU;
  prelu.inputs = {match->x, *alpha_id};
  prelu.outputs = g.ops[static_cast<size_t>(root)].outputs;
  replace_pattern(g, root, match->inner, std::move(prelu));
  return true;
}

}  // namespace

Expected<int> fuse_prelu(ir::Model& model) {
  const int fused = rewrite_all(model, fuse_at);
  remove_unused_tensors(model);
  remove_unused_buffers(model);
  return fused;
}

}  // namespace tfc::passes
