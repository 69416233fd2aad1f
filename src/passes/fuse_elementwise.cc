// fuse-relu-clip, fuse-squared-difference, fuse-rsqrt (see passes.h):
// elementwise op chains the TFLite converter (TF 2.21) rewrites into one op,
// found by converting each form:
//   MAXIMUM(x, 0)                              -> RELU
//   MINIMUM(MAXIMUM(x, 0), 6), either nesting  -> RELU6
//   MINIMUM(MAXIMUM(x, -1), 1), either nesting -> RELU_N1_TO_1
//   SQUARE(SUB(x, y))                          -> SQUARED_DIFFERENCE(x, y)
//   DIV(x, SQRT(y))                            -> MUL(x, RSQRT(y)); DIV(1, SQRT(y)) -> RSQRT(y)
// Constants may be either operand where the op commutes, and may be any shape
// of one repeated value that leaves x's shape as it is. An inner op that other
// ops also read stays for them (the converter does the same); MINIMUM(MAXIMUM(x,
// 0), 1) and a lone MINIMUM stay as they are.
#include <algorithm>
#include <cmath>

#include "passes/graph_edit.h"
#include "passes/op_pattern.h"
#include "passes/passes.h"

namespace tfc::passes {
namespace {

using B = tflite::BuiltinOperator;
using A = tflite::ActivationFunctionType;

const ir::Op& op_at(const ir::Model& m, int s, int i) {
  return m.subgraphs[static_cast<size_t>(s)].ops[static_cast<size_t>(i)];
}

// Whether `t` is a float32 constant whose every element is `value`.
bool is_uniform(const ir::Model& m, const ir::Tensor& t, float value) {
  if (!is_plain_float_constant(m, t)) return false;
  const std::vector<float> v = float_constant(m, t);
  return !v.empty() && std::all_of(v.begin(), v.end(), [&](float e) { return e == value; });
}

// For binary op `op` (MAXIMUM / MINIMUM: commutative), the float32 input beside
// a constant whose every element is `value`, when the op's output has that
// input's shape; else kNoTensor.
ir::TensorId beside_uniform(const ir::Model& m, const ir::Subgraph& g, const ir::Op& op, float value) {
  if (op.inputs.size() != 2 || op.outputs.size() != 1) return ir::kNoTensor;
  for (size_t c : {1, 0}) {
    const ir::TensorId k = op.inputs[c], x = op.inputs[1 - c];
    if (k == ir::kNoTensor || x == ir::kNoTensor || g.tensors[x].dtype != DType::kFloat32) continue;
    if (g.tensors[op.outputs[0]].shape == g.tensors[x].shape && is_uniform(m, g.tensors[k], value)) return x;
  }
  return ir::kNoTensor;
}

// Removes those of `ops` whose output nothing reads any more.
void remove_unread(ir::Model& m, int s, std::vector<int> ops) {
  ir::Subgraph& g = m.subgraphs[static_cast<size_t>(s)];
  std::erase_if(ops, [&](int i) {
    const ir::TensorId out = g.ops[static_cast<size_t>(i)].outputs[0];
    return !consumers(g, out).empty() || is_graph_output(m, s, out);
  });
  remove_ops(g, ops);
}

// Replaces op `root` by unary op `builtin` of `x` writing root's output; the
// inner ops `inner` go when nothing else reads them.
void replace_by_unary(ir::Model& m, int s, int root, B builtin, ir::TensorId x, std::vector<int> inner) {
  ir::Subgraph& g = m.subgraphs[static_cast<size_t>(s)];
  ir::Op unary;
  unary.code.builtin = builtin;
  unary.inputs = {x};
  unary.outputs = g.ops[static_cast<size_t>(root)].outputs;
  g.ops[static_cast<size_t>(root)] = std::move(unary);
  remove_unread(m, s, std::move(inner));
}

// ---- fuse-relu-clip ----------------------------------------------------------------

struct Clip {
  float lo, hi;
  B builtin;
};
constexpr Clip kClips[] = {{0.0f, 6.0f, B::BuiltinOperator_RELU6}, {-1.0f, 1.0f, B::BuiltinOperator_RELU_N1_TO_1}};

// The x of the lower bound `y` of a clip to [c.lo, c.hi]: MAXIMUM(x, lo), or
// RELU(x) when lo is 0 (a MAXIMUM this pass rewrote already). Records its op.
ir::TensorId lower_bound_of(const ir::Model& m, int s, ir::TensorId y, const Clip& c, int& in) {
  const ir::Subgraph& g = m.subgraphs[static_cast<size_t>(s)];
  in = y == ir::kNoTensor ? -1 : producer(g, y);
  if (in < 0) return ir::kNoTensor;
  const ir::Op& op = op_at(m, s, in);
  if (op.code.builtin == B::BuiltinOperator_MAXIMUM) return beside_uniform(m, g, op, c.lo);
  const bool relu = op.code.builtin == B::BuiltinOperator_RELU && c.lo == 0.0f && op.inputs.size() == 1;
  return relu ? op.inputs[0] : ir::kNoTensor;
}

// The x of the upper bound `y` of a clip: MINIMUM(x, hi). Records its op.
ir::TensorId upper_bound_of(const ir::Model& m, int s, ir::TensorId y, const Clip& c, int& in) {
  const ir::Subgraph& g = m.subgraphs[static_cast<size_t>(s)];
  in = y == ir::kNoTensor ? -1 : producer(g, y);
  if (in < 0 || op_at(m, s, in).code.builtin != B::BuiltinOperator_MINIMUM) return ir::kNoTensor;
  return beside_uniform(m, g, op_at(m, s, in), c.hi);
}

// MINIMUM(MAXIMUM(x, lo), hi) or MAXIMUM(MINIMUM(x, hi), lo) rooted at `root`,
// else MAXIMUM(x, 0).
bool fuse_clip_at(ir::Model& m, int s, int root) {
  const ir::Subgraph& g = m.subgraphs[static_cast<size_t>(s)];
  const ir::Op& op = op_at(m, s, root);
  const bool min_outside = op.code.builtin == B::BuiltinOperator_MINIMUM;
  if (!min_outside && op.code.builtin != B::BuiltinOperator_MAXIMUM) return false;
  for (const Clip& c : kClips) {
    const ir::TensorId y = beside_uniform(m, g, op, min_outside ? c.hi : c.lo);
    int in = -1;
    const ir::TensorId x = min_outside ? lower_bound_of(m, s, y, c, in) : upper_bound_of(m, s, y, c, in);
    if (x == ir::kNoTensor) continue;
    replace_by_unary(m, s, root, c.builtin, x, {in});
    return true;
  }
  const ir::TensorId x = min_outside ? ir::kNoTensor : beside_uniform(m, g, op, 0.0f);
  if (x == ir::kNoTensor) return false;
  replace_by_unary(m, s, root, B::BuiltinOperator_RELU, x, {});
  return true;
}

// ---- fuse-squared-difference -------------------------------------------------------

bool fuse_squared_difference_at(ir::Model& m, int s, int root) {
  ir::Subgraph& g = m.subgraphs[static_cast<size_t>(s)];
  const ir::Op& op = g.ops[static_cast<size_t>(root)];
  if (op.code.builtin != B::BuiltinOperator_SQUARE || op.inputs.size() != 1 || op.outputs.size() != 1) return false;
  const int sub = op.inputs[0] == ir::kNoTensor ? -1 : producer(g, op.inputs[0]);
  if (sub < 0) return false;
  const ir::Op& d = g.ops[static_cast<size_t>(sub)];
  if (d.code.builtin != B::BuiltinOperator_SUB || d.inputs.size() != 2 || d.outputs.size() != 1 ||
      fused_activation_of(d) != A::ActivationFunctionType_NONE || g.tensors[d.outputs[0]].dtype != DType::kFloat32) {
    return false;
  }
  ir::Op sq;
  sq.code.builtin = B::BuiltinOperator_SQUARED_DIFFERENCE;
  sq.inputs = d.inputs;
  sq.outputs = op.outputs;
  g.ops[static_cast<size_t>(root)] = std::move(sq);
  remove_unread(m, s, {sub});
  return true;
}

// ---- fuse-rsqrt --------------------------------------------------------------------

bool fuse_rsqrt_at(ir::Model& m, int s, int root) {
  ir::Subgraph& g = m.subgraphs[static_cast<size_t>(s)];
  const ir::Op& op = g.ops[static_cast<size_t>(root)];
  if (op.code.builtin != B::BuiltinOperator_DIV || op.inputs.size() != 2 || op.outputs.size() != 1 ||
      fused_activation_of(op) != A::ActivationFunctionType_NONE || op.inputs[1] == ir::kNoTensor) {
    return false;
  }
  const int sqrt = producer(g, op.inputs[1]);
  if (sqrt < 0 || g.ops[static_cast<size_t>(sqrt)].code.builtin != B::BuiltinOperator_SQRT ||
      g.ops[static_cast<size_t>(sqrt)].inputs.size() != 1 || g.tensors[op.inputs[1]].dtype != DType::kFloat32) {
    return false;
  }
  const ir::TensorId y = g.ops[static_cast<size_t>(sqrt)].inputs[0], x = op.inputs[0];
  if (x != ir::kNoTensor && is_uniform(m, g.tensors[x], 1.0f) && g.tensors[op.outputs[0]].shape == g.tensors[y].shape) {
    replace_by_unary(m, s, root, B::BuiltinOperator_RSQRT, y, {sqrt});
    return true;
  }
  // x * rsqrt(y): a new tensor for rsqrt(y), beside the SQRT's output.
  ir::Tensor r = g.tensors[op.inputs[1]];
  r.name = unique_tensor_name(g, r.name + "/rsqrt");
  r.buffer = 0;
  const ir::TensorId rid = add_tensor(g, std::move(r));
  ir::Op mul;
  mul.code.builtin = B::BuiltinOperator_MUL;
  mul.inputs = {x, rid};
  mul.outputs = op.outputs;
  mul.options.Set(tflite::MulOptionsT{});
  g.ops[static_cast<size_t>(root)] = std::move(mul);
  ir::Op rsqrt;
  rsqrt.code.builtin = B::BuiltinOperator_RSQRT;
  rsqrt.inputs = {y};
  rsqrt.outputs = {rid};
  insert_op_before(g, root, std::move(rsqrt));
  remove_unread(m, s, {sqrt});
  return true;
}

}  // namespace

Expected<int> fuse_relu_clips(ir::Model& model) {
  const int fused = rewrite_all(model, fuse_clip_at);
  remove_unused_tensors(model);
  remove_unused_buffers(model);
  return fused;
}

Expected<int> fuse_squared_differences(ir::Model& model) {
  const int fused = rewrite_all(model, fuse_squared_difference_at);
  remove_unused_tensors(model);
  return fused;
}

Expected<int> fuse_rsqrt(ir::Model& model) {
  const int fused = rewrite_all(model, fuse_rsqrt_at);
  remove_unused_tensors(model);
  remove_unused_buffers(model);
  return fused;
}

}  // namespace tfc::passes
