// fuse-hard-swish (see passes.h): the op chains of x * relu6(x + 3) / 6 become
// one HARD_SWISH, in the forms the TFLite converter (TF 2.21) recognises,
// found by converting each form:
//   (x * r) / 6, (x * r) * (1/6)            with x the first operand
//   x * (r / 6), x * (r * (1/6)), (r / 6) * x, (r * (1/6)) * x
// where r is RELU6(x + 3) (or an ADD of 3 with fused RELU6) and constants may
// be either operand of a MUL or ADD. (r * x) / 6 and (x / 6) * r stay as they are.
#include <optional>

#include "passes/graph_edit.h"
#include "passes/op_pattern.h"
#include "passes/passes.h"

namespace tfc::passes {
namespace {

using B = tflite::BuiltinOperator;
constexpr float kTolerance = 1e-6f;

// Ops of one match: inner ones, removed by the rewrite.
struct Match {
  ir::TensorId x = ir::kNoTensor;
  std::vector<int> inner;
};

// The x of relu6(x + 3) when op `reader` reads it as `id`.
ir::TensorId relu6_x_plus_3(const ir::Model& m, int s, ir::TensorId id, int reader, std::vector<int>& inner) {
  const ir::Subgraph& g = m.subgraphs[static_cast<size_t>(s)];
  int add = inner_producer(m, s, id, B::BuiltinOperator_ADD, reader, tflite::ActivationFunctionType_RELU6);
  if (add < 0) {
    const int relu6 = inner_producer(m, s, id, B::BuiltinOperator_RELU6, reader);
    if (relu6 < 0 || g.ops[static_cast<size_t>(relu6)].inputs.size() != 1) return ir::kNoTensor;
    add = inner_producer(m, s, g.ops[static_cast<size_t>(relu6)].inputs[0], B::BuiltinOperator_ADD, relu6);
    if (add < 0) return ir::kNoTensor;
    inner.push_back(relu6);
  }
  inner.push_back(add);
  return input_beside_scalar(m, g, g.ops[static_cast<size_t>(add)], 3.0f, true, kTolerance);
}

// The input of `op` (a MUL by 1/6 or DIV by 6), or kNoTensor.
ir::TensorId sixth_of(const ir::Model& m, const ir::Subgraph& g, const ir::Op& op) {
  if (fused_activation_of(op) != tflite::ActivationFunctionType_NONE) return ir::kNoTensor;
  if (op.code.builtin == B::BuiltinOperator_MUL) return input_beside_scalar(m, g, op, 1.0f / 6.0f, true, kTolerance);
  if (op.code.builtin == B::BuiltinOperator_DIV) return input_beside_scalar(m, g, op, 6.0f, false, kTolerance);
  return ir::kNoTensor;
}

// (x * r) / 6 and (x * r) * (1/6), rooted at op `root`.
std::optional<Match> product_then_sixth(const ir::Model& m, int s, int root) {
  const ir::Subgraph& g = m.subgraphs[static_cast<size_t>(s)];
  Match match;
  const int prod = inner_producer(m, s, sixth_of(m, g, g.ops[static_cast<size_t>(root)]), B::BuiltinOperator_MUL, root);
  if (prod < 0 || g.ops[static_cast<size_t>(prod)].inputs.size() != 2) return std::nullopt;
  match.inner.push_back(prod);
  match.x = g.ops[static_cast<size_t>(prod)].inputs[0];
  const ir::TensorId r = g.ops[static_cast<size_t>(prod)].inputs[1];
  if (relu6_x_plus_3(m, s, r, prod, match.inner) != match.x) return std::nullopt;
  return match;
}

// x * (r / 6), x * (r * (1/6)) and the same with x second, rooted at `root`.
std::optional<Match> x_times_sixth(const ir::Model& m, int s, int root) {
  const ir::Subgraph& g = m.subgraphs[static_cast<size_t>(s)];
  const ir::Op& op = g.ops[static_cast<size_t>(root)];
  if (op.code.builtin != B::BuiltinOperator_MUL || op.inputs.size() != 2 ||
      fused_activation_of(op) != tflite::ActivationFunctionType_NONE) {
    return std::nullopt;
  }
  for (size_t h_at : {1, 0}) {
    Match match;
    match.x = op.inputs[1 - h_at];
    const ir::TensorId h = op.inputs[h_at];
    int sixth = inner_producer(m, s, h, B::BuiltinOperator_MUL, root);
    if (sixth < 0) sixth = inner_producer(m, s, h, B::BuiltinOperator_DIV, root);
    if (sixth < 0) continue;
    match.inner.push_back(sixth);
    const ir::TensorId r = sixth_of(m, g, g.ops[static_cast<size_t>(sixth)]);
    if (r != ir::kNoTensor && relu6_x_plus_3(m, s, r, sixth, match.inner) == match.x) return match;
  }
  return std::nullopt;
}

bool fuse_at(ir::Model& m, int s, int root) {
  ir::Subgraph& g = m.subgraphs[static_cast<size_t>(s)];
  const ir::Op& op = g.ops[static_cast<size_t>(root)];
  if (op.outputs.size() != 1 || g.tensors[op.outputs[0]].dtype != DType::kFloat32) return false;
  std::optional<Match> match = product_then_sixth(m, s, root);
  if (!match) match = x_times_sixth(m, s, root);
  if (!match || match->x == ir::kNoTensor || g.tensors[match->x].dtype != DType::kFloat32) return false;
  ir::Op hard_swish;
  hard_swish.code.builtin = B::BuiltinOperator_HARD_SWISH;
  hard_swish.inputs = {match->x};
  hard_swish.outputs = op.outputs;
  replace_pattern(g, root, match->inner, std::move(hard_swish));
  return true;
}

}  // namespace

Expected<int> fuse_hard_swish(ir::Model& model) {
  const int fused = rewrite_all(model, fuse_at);
  remove_unused_tensors(model);
  remove_unused_buffers(model);
  return fused;
}

}  // namespace tfc::passes
