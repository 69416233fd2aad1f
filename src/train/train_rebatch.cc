// Re-batching a graph (train_steps.h): the inputs' batch dim becomes the
// training batch, constant operands that spell out the old batch (RESHAPE's
// shape and new_shape, TRANSPOSE_CONV's output shape, BROADCAST_TO's shape,
// SLICE's size, STRIDED_SLICE's end) are rewritten, and every op's shape rule
// runs again in order. A tensor computed from an input carries the batch: its
// new shape must be its old one with dim 0 scaled by batch / old batch, else
// the op moved or reduced the batch and re-batching is refused (a batch of N
// must compute what N separate runs do).
// Not here: anything training-specific (batch norm, noise: train_batchnorm.cc, train_noise.cc).
#include <cstring>

#include <fmt/format.h>

#include "ops/registry.h"
#include "passes/graph_edit.h"
#include "passes/op_pattern.h"
#include "train/train_steps.h"

namespace tfc::train::detail {
namespace {

using B = tflite::BuiltinOperator;

std::vector<int32_t> int32_values(const ir::Model& model, const ir::Tensor& t) {
  auto bytes = model.constant_data(t);
  std::vector<int32_t> v(bytes.size() / sizeof(int32_t));
  if (!v.empty()) std::memcpy(v.data(), bytes.data(), v.size() * sizeof(int32_t));
  return v;
}

// Points input `at` of `op` at a new int32 constant like the old one holding `values`.
Status replace_int_operand(ir::Model& model, ir::Op& op, size_t at, const std::vector<int32_t>& values) {
  ir::Subgraph& g = model.subgraphs[0];
  ir::Tensor t = g.tensors[op.inputs[at]];
  t.buffer = 0;
  t.name = passes::unique_tensor_name(g, t.name + "/batch");
  TFC_ASSIGN_OR_RETURN(op.inputs[at], passes::add_constant(model, 0, std::move(t), passes::to_bytes(values)));
  return Status::ok();
}

// Rewrites the int32 constant operand `at` of `op` when its element `index`
// is the old batch (`when_old`); `value` is the new element.
Status rewrite_element(ir::Model& model, ir::Op& op, size_t at, size_t index, int32_t old_value, int32_t value) {
  if (op.inputs.size() <= at || op.inputs[at] == ir::kNoTensor) return Status::ok();
  const ir::Tensor& t = model.subgraphs[0].tensors[op.inputs[at]];
  if (t.dtype != DType::kInt32 || !model.is_constant(t)) return Status::ok();
  std::vector<int32_t> v = int32_values(model, t);
  if (v.size() <= index || v[index] != old_value) return Status::ok();
  v[index] = value;
  return replace_int_operand(model, op, at, v);
}

// The constant operands of `op` that pin the old batch `b0`, rewritten for `batch`.
Status unpin(ir::Model& model, ir::Op& op, int32_t b0, int32_t batch) {
  const ir::Subgraph& g = model.subgraphs[0];
  switch (op.code.builtin) {
    case B::BuiltinOperator_RESHAPE:
      if (auto* o = op.options_as<tflite::ReshapeOptionsT>(); o && !o->new_shape.empty() && o->new_shape[0] == b0) {
        o->new_shape[0] = batch;
      }
      return rewrite_element(model, op, 1, 0, b0, batch);
    case B::BuiltinOperator_TRANSPOSE_CONV: return rewrite_element(model, op, 0, 0, b0, batch);
    case B::BuiltinOperator_BROADCAST_TO: return rewrite_element(model, op, 1, 0, b0, batch);
    case B::BuiltinOperator_SLICE: {
      if (op.inputs.size() < 3 || op.inputs[1] == ir::kNoTensor || !model.is_constant(g.tensors[op.inputs[1]])) break;
      const auto begin = int32_values(model, g.tensors[op.inputs[1]]);
      if (!begin.empty() && begin[0] == 0) return rewrite_element(model, op, 2, 0, b0, -1);
      break;
    }
    case B::BuiltinOperator_STRIDED_SLICE: {
      const auto* o = op.options_as<tflite::StridedSliceOptionsT>();
      if (!o || (o->end_mask & 1) || op.inputs.size() < 3) break;
      return rewrite_element(model, op, 2, 0, b0, batch);
    }
    default: break;
  }
  return Status::ok();
}

// Runs `op`'s shape rule on the current shapes (constants with their values);
// the outputs' shapes are set. Where the rule needs a value not known before
// running, the outputs keep `fallback` (their old shapes, batch scaled).
Status infer(ir::Model& model, const ir::Op& op, const std::vector<ir::Shape>& fallback) {
  ir::Subgraph& g = model.subgraphs[0];
  const ops::OpDef* def = ops::find_op(op.code);
  if (!def) return unsupported("{}: no shape rule in tfcompress", ir::op_name(op.code));
  std::vector<ops::TensorSlot> in(op.inputs.size()), out(op.outputs.size());
  std::vector<ops::TensorSlot*> in_ptrs, out_ptrs;
  for (size_t i = 0; i < op.inputs.size(); ++i) {
    if (op.inputs[i] == ir::kNoTensor) {
      in_ptrs.push_back(nullptr);
      continue;
    }
    const ir::Tensor& t = g.tensors[op.inputs[i]];
    auto data = model.constant_data(t);
    in[i] = {&t, t.shape, data.empty() ? nullptr : const_cast<uint8_t*>(data.data())};
    in_ptrs.push_back(&in[i]);
  }
  for (size_t i = 0; i < op.outputs.size(); ++i) {
    out[i] = {&g.tensors[op.outputs[i]], g.tensors[op.outputs[i]].shape, nullptr};
    out_ptrs.push_back(&out[i]);
  }
  ops::OpContext ctx(op, in_ptrs, out_ptrs, kernels::Requantization::kFloat);
  const Status s = def->shape(ctx);
  if (!s.is_ok() && !ctx.value_missing()) return s;
  for (size_t i = 0; i < op.outputs.size(); ++i) {
    g.tensors[op.outputs[i]].shape = s.is_ok() ? out[i].shape : fallback[i];
  }
  return Status::ok();
}

// `old` with dim 0 scaled from batch b0 to `batch`.
ir::Shape scaled(ir::Shape old, int32_t b0, int32_t batch) {
  if (!old.empty()) old[0] = static_cast<int32_t>(static_cast<int64_t>(old[0]) / b0 * batch);
  return old;
}

// Re-batches op `index`; `carries` marks the tensors computed from the inputs.
Status rebatch_op(ir::Model& model, size_t index, int32_t b0, int32_t batch, std::vector<bool>& carries) {
  ir::Subgraph& g = model.subgraphs[0];
  ir::Op& op = g.ops[index];
  bool carried = false;
  for (ir::TensorId id : op.inputs) carried = carried || (id != ir::kNoTensor && carries[static_cast<size_t>(id)]);
  if (!carried) return Status::ok();  // constants only: shapes stay
  TFC_RETURN_IF_ERROR(unpin(model, op, b0, batch));
  std::vector<ir::Shape> old, expected;
  for (ir::TensorId id : op.outputs) {
    old.push_back(g.tensors[id].shape);
    expected.push_back(scaled(old.back(), b0, batch));
  }
  TFC_RETURN_IF_ERROR(infer(model, op, expected).with_context(fmt::format("re-batching op {}", index)));
  // SHAPE and RANK describe the batch; they do not carry it.
  const bool describes = op.code.builtin == B::BuiltinOperator_SHAPE || op.code.builtin == B::BuiltinOperator_RANK;
  for (size_t i = 0; i < op.outputs.size(); ++i) {
    const ir::Tensor& t = g.tensors[op.outputs[i]];
    carries[static_cast<size_t>(op.outputs[i])] = !describes;
    if (describes || t.shape == expected[i]) continue;
    return unsupported("re-batching to {}: op {} ({}) output '{}' has shape [{}] for [{}] at batch {}; the op moves or "
                       "reduces the batch dimension",
                       batch, index, ir::op_name(op.code), t.name, fmt::join(t.shape, ","), fmt::join(old[i], ","), b0);
  }
  return Status::ok();
}

}  // namespace

Status rebatch(ir::Model& model, int64_t batch) {
  if (batch < 1 || batch > INT32_MAX) return invalid_argument("batch must be between 1 and 2^31-1 (got {})", batch);
  ir::Subgraph& g = model.subgraphs[0];
  int32_t b0 = 0;
  for (ir::TensorId id : g.inputs) {
    const ir::Tensor& t = g.tensors[id];
    if (t.shape.empty()) continue;
    if (b0 != 0 && t.shape[0] != b0) {
      return unsupported("re-batching: inputs disagree on the batch ('{}' has {}, another {})", t.name, t.shape[0], b0);
    }
    b0 = t.shape[0];
  }
  if (b0 <= 0) return unsupported("re-batching: no input has a batch dimension");
  const auto new_batch = static_cast<int32_t>(batch);
  std::vector<bool> carries(g.tensors.size(), false);
  for (ir::TensorId id : g.inputs) {
    ir::Tensor& t = g.tensors[id];
    if (t.shape.empty()) continue;
    t.shape[0] = new_batch;
    carries[static_cast<size_t>(id)] = true;
  }
  for (size_t i = 0; i < g.ops.size(); ++i) {
    carries.resize(g.tensors.size(), false);  // unpin may add constants
    TFC_RETURN_IF_ERROR(rebatch_op(model, i, b0, new_batch, carries));
  }
  return Status::ok();
}

}  // namespace tfc::train::detail
