// fuse-gelu (see passes.h): the op chain of GELU's tanh approximation,
//   (x * 0.5) * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * pow(x, 3))))
// becomes one GELU with approximate = true, in the form the TFLite converter
// (TF 2.21) recognises, found by converting each form: constants may be either
// operand of a MUL or ADD, but the half of x comes first in the outer MUL and
// x first in the inner ADD (the converter leaves the other orders as they are).
// The exact form needs ERF, which tfcompress's IR cannot hold, so an importer
// sees it whole or not at all.
#include <cmath>
#include <numbers>

#include "passes/graph_edit.h"
#include "passes/op_pattern.h"
#include "passes/passes.h"

namespace tfc::passes {
namespace {

using B = tflite::BuiltinOperator;
constexpr float kTolerance = 1e-6f;

// One step down a chain: the op writing `id` for `reader` when it is `builtin`
// with a scalar constant `value` beside it; returns the other input and
// records the op in `inner`. kNoTensor when the step does not match.
ir::TensorId step(const ir::Model& m, int s, ir::TensorId id, int& reader, B builtin, float value,
                  std::vector<int>& inner) {
  const int p = inner_producer(m, s, id, builtin, reader);
  if (p < 0) return ir::kNoTensor;
  inner.push_back(p);
  reader = p;
  const ir::Subgraph& g = m.subgraphs[static_cast<size_t>(s)];
  return input_beside_scalar(m, g, g.ops[static_cast<size_t>(p)], value, true, kTolerance);
}

// Whether `id`, read by op `reader`, is x + 0.044715 * pow(x, 3).
bool is_cubic_term(const ir::Model& m, int s, ir::TensorId id, int reader, ir::TensorId x, std::vector<int>& inner) {
  const ir::Subgraph& g = m.subgraphs[static_cast<size_t>(s)];
  const int add = inner_producer(m, s, id, B::BuiltinOperator_ADD, reader);
  if (add < 0 || g.ops[static_cast<size_t>(add)].inputs.size() != 2 || g.ops[static_cast<size_t>(add)].inputs[0] != x)
    return false;
  inner.push_back(add);
  int at = add;
  const ir::TensorId term = g.ops[static_cast<size_t>(add)].inputs[1];
  const ir::TensorId cube = step(m, s, term, at, B::BuiltinOperator_MUL, 0.044715f, inner);
  const int pow = inner_producer(m, s, cube, B::BuiltinOperator_POW, at);
  if (pow < 0) return false;
  inner.push_back(pow);
  const ir::Op& p = g.ops[static_cast<size_t>(pow)];
  const int rank = static_cast<int>(g.tensors[x].shape.size());
  return p.inputs.size() == 2 && p.inputs[0] == x && is_scalar_constant(m, g, p.inputs[1], 3.0f, rank, kTolerance);
}

bool fuse_at(ir::Model& m, int s, int root) {
  ir::Subgraph& g = m.subgraphs[static_cast<size_t>(s)];
  const ir::Op& op = g.ops[static_cast<size_t>(root)];
  if (op.code.builtin != B::BuiltinOperator_MUL || op.inputs.size() != 2 || op.outputs.size() != 1 ||
      fused_activation_of(op) != tflite::ActivationFunctionType_NONE) {
    return false;
  }
  std::vector<int> inner;
  int at = root;
  const ir::TensorId x = step(m, s, op.inputs[0], at, B::BuiltinOperator_MUL, 0.5f, inner);
  if (x == ir::kNoTensor || g.tensors[x].dtype != DType::kFloat32) return false;
  at = root;
  const ir::TensorId t = step(m, s, op.inputs[1], at, B::BuiltinOperator_ADD, 1.0f, inner);
  const int tanh = inner_producer(m, s, t, B::BuiltinOperator_TANH, at);
  if (tanh < 0 || g.ops[static_cast<size_t>(tanh)].inputs.size() != 1) return false;
  inner.push_back(tanh);
  at = tanh;
  const float k = static_cast<float>(std::sqrt(2.0 / std::numbers::pi));
  const ir::TensorId scaled = g.ops[static_cast<size_t>(tanh)].inputs[0];
  const ir::TensorId cubic = step(m, s, scaled, at, B::BuiltinOperator_MUL, k, inner);
  if (!is_cubic_term(m, s, cubic, at, x, inner)) return false;
  ir::Op gelu;
  gelu.code.builtin = B::BuiltinOperator_GELU;
  gelu.inputs = {x};
  gelu.outputs = op.outputs;
  tflite::GeluOptionsT options;
  options.approximate = true;
  gelu.options.Set(std::move(options));
  replace_pattern(g, root, inner, std::move(gelu));
  return true;
}

}  // namespace

Expected<int> fuse_gelu(ir::Model& model) {
  const int fused = rewrite_all(model, fuse_at);
  remove_unused_tensors(model);
  remove_unused_buffers(model);
  return fused;
}

}  // namespace tfc::passes
