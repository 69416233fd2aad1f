// fold-batchnorm (see passes.h): a MUL / DIV by, or an ADD / SUB of, a per-channel
// float32 constant after a CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED or
// TRANSPOSE_CONV with constant float32 weights folds into the weights' output
// channels and the bias, as the TFLite converter folds BatchNormalization and
// BiasAdd; an activation fused into the folded op moves to the weighted op.
// What the converter leaves alone stays: a MUL before the conv, a
// constant that is not per channel, a conv output read twice.
#include <algorithm>
#include <cmath>
#include <optional>

#include <fmt/format.h>

#include "passes/fold_batchnorm.h"
#include "passes/graph_edit.h"
#include "passes/op_pattern.h"
#include "passes/passes.h"

namespace tfc::passes {
namespace {

using tflite::BuiltinOperator;

// Where an op keeps its weights and bias, and its weights' output-channel axis.
struct WeightedOp {
  size_t weights = 1;
  size_t bias = 2;
  bool channels_last = false;  // axis 3 (DEPTHWISE_CONV_2D) rather than 0
  int32_t version_with_bias = 1;
};

std::optional<WeightedOp> weighted_op(int32_t builtin) {
  switch (builtin) {
    case BuiltinOperator::BuiltinOperator_CONV_2D:
    case BuiltinOperator::BuiltinOperator_FULLY_CONNECTED: return WeightedOp{};
    case BuiltinOperator::BuiltinOperator_DEPTHWISE_CONV_2D: return WeightedOp{1, 2, true, 1};
    // Inputs: output shape, weights, input, bias; the bias needs version 3.
    case BuiltinOperator::BuiltinOperator_TRANSPOSE_CONV: return WeightedOp{1, 3, false, 3};
    default: return std::nullopt;
  }
}

// A MUL, DIV, ADD or SUB reading a weighted op's output `y` and a constant that
// broadcasts over channels only (one value, or one per channel along the last
// axis), without changing y's shape.
// Its fused activation, if any, moves to the weighted op when the converter
// fuses that activation into it.
struct ChannelOp {
  int index = -1;          // the op
  int32_t builtin = 0;     // MUL, DIV, ADD or SUB
  std::vector<float> k;    // the constant, 1 or `channels` values
  tflite::ActivationFunctionType activation = tflite::ActivationFunctionType_NONE;
};

std::optional<ChannelOp> channel_op(const ir::Model& model, int subgraph, ir::TensorId y, int32_t channels,
                                    int32_t weighted_builtin) {
  const ir::Subgraph& g = model.subgraphs[static_cast<size_t>(subgraph)];
  const int reader = sole_reader(model, subgraph, y);
  if (reader < 0) return std::nullopt;
  const ir::Op& op = g.ops[static_cast<size_t>(reader)];
  const int32_t b = op.code.builtin;
  const bool scales = b == BuiltinOperator::BuiltinOperator_MUL || b == BuiltinOperator::BuiltinOperator_DIV;
  if (!scales && b != BuiltinOperator::BuiltinOperator_ADD && b != BuiltinOperator::BuiltinOperator_SUB) {
    return std::nullopt;
  }
  const tflite::ActivationFunctionType act = fused_activation_of(op);
  if (op.inputs.size() != 2 || op.outputs.size() != 1) return std::nullopt;
  if (act != tflite::ActivationFunctionType_NONE && fused_activation_version(weighted_builtin, act) == 0)
    return std::nullopt;
  // SUB and DIV fold only as y - k and y / k.
  const size_t k_at = op.inputs[0] == y ? 1 : 0;
  if (op.inputs[k_at] == y || op.inputs[k_at] == ir::kNoTensor) return std::nullopt;
  if ((b == BuiltinOperator::BuiltinOperator_SUB || b == BuiltinOperator::BuiltinOperator_DIV) && k_at != 1)
    return std::nullopt;
  const ir::Tensor& kt = g.tensors[op.inputs[k_at]];
  const ir::Tensor& yt = g.tensors[y];
  if (!is_plain_float_constant(model, kt) || kt.shape.size() > yt.shape.size()) return std::nullopt;
  const int64_t n = ir::num_elements(kt.shape);
  if (n != 1 && (n != channels || kt.shape.back() != channels)) return std::nullopt;
  if (g.tensors[op.outputs[0]].shape != yt.shape || g.tensors[op.outputs[0]].dtype != DType::kFloat32)
    return std::nullopt;
  return ChannelOp{reader, b, float_constant(model, kt), act};
}

// The weighted op at `index` when it may take a fold: float32 constant weights,
// a float32 constant bias or none, no fused activation.
bool foldable(const ir::Model& model, const ir::Subgraph& g, const ir::Op& op, const WeightedOp& w) {
  if (op.outputs.size() != 1 || op.inputs.size() <= w.weights || op.inputs[w.weights] == ir::kNoTensor) return false;
  if (fused_activation(const_cast<ir::Op&>(op)) == nullptr) return false;
  if (fused_activation_of(op) != tflite::ActivationFunctionType_NONE) return false;
  const ir::Tensor& wt = g.tensors[op.inputs[w.weights]];
  if (!is_plain_float_constant(model, wt) || wt.shape.empty()) return false;
  if (g.tensors[op.outputs[0]].dtype != DType::kFloat32) return false;
  if (op.inputs.size() > w.bias && op.inputs[w.bias] != ir::kNoTensor) {
    const ir::Tensor& bt = g.tensors[op.inputs[w.bias]];
    const int32_t channels = w.channels_last ? wt.shape.back() : wt.shape[0];
    if (!is_plain_float_constant(model, bt) || ir::num_elements(bt.shape) != channels) return false;
  }
  return true;
}

// Adds a copy of constant `like` holding `values`, with a fresh name from `base`.
Expected<ir::TensorId> add_float_constant(ir::Model& model, int subgraph, const ir::Tensor& like, std::string_view base,
                                          const std::vector<float>& values) {
  ir::Tensor t = like;
  t.name = unique_tensor_name(model.subgraphs[static_cast<size_t>(subgraph)], base);
  t.buffer = 0;
  return add_constant(model, subgraph, std::move(t), to_bytes(values));
}

// Gives the weighted op at `index` a new bias constant `bias`, named from `base`.
Status set_bias(ir::Model& model, int subgraph, int index, const WeightedOp& w, const std::string& base,
                const std::vector<float>& bias) {
  ir::Tensor like;
  like.dtype = DType::kFloat32;
  like.shape = {static_cast<int32_t>(bias.size())};
  like.has_rank = true;
  TFC_ASSIGN_OR_RETURN(const ir::TensorId id, add_float_constant(model, subgraph, like, base, bias));
  ir::Op& op = model.subgraphs[static_cast<size_t>(subgraph)].ops[static_cast<size_t>(index)];
  if (op.inputs.size() <= w.bias) op.inputs.resize(w.bias + 1, ir::kNoTensor);
  op.inputs[w.bias] = id;
  op.code.version = std::max(op.code.version, w.version_with_bias);
  return Status::ok();
}

// Folds `c` into the weighted op at `index`: its weights and bias change, it
// takes over c's output tensor, and c is removed.
Status fold_one(ir::Model& model, int subgraph, int index, const WeightedOp& w, const ChannelOp& c) {
  ir::Subgraph& g = model.subgraphs[static_cast<size_t>(subgraph)];
  const ir::Tensor wt = g.tensors[g.ops[static_cast<size_t>(index)].inputs[w.weights]];
  const int32_t channels = w.channels_last ? wt.shape.back() : wt.shape[0];
  const ir::Op& op = g.ops[static_cast<size_t>(index)];
  const bool has_bias = op.inputs.size() > w.bias && op.inputs[w.bias] != ir::kNoTensor;
  std::vector<float> bias = has_bias ? float_constant(model, g.tensors[op.inputs[w.bias]])
                                     : std::vector<float>(static_cast<size_t>(channels), 0.0f);
  const std::string out_name = g.tensors[g.ops[static_cast<size_t>(c.index)].outputs[0]].name;
  const bool scales = c.builtin == BuiltinOperator::BuiltinOperator_DIV || c.builtin == BuiltinOperator::BuiltinOperator_MUL;
  std::vector<float> weights = scales ? float_constant(model, wt) : std::vector<float>{};
  fold_channel_constant(weights, bias, w.channels_last, c.builtin, c.k);
  if (scales) {
    TFC_ASSIGN_OR_RETURN(const ir::TensorId id,
                         add_float_constant(model, subgraph, wt, out_name + "/weights", weights));
    g.ops[static_cast<size_t>(index)].inputs[w.weights] = id;
  }
  // As the converter: a MUL alone scales an existing bias but makes none.
  if (has_bias || !scales) TFC_RETURN_IF_ERROR(set_bias(model, subgraph, index, w, out_name + "/bias", bias));
  ir::Op& target = g.ops[static_cast<size_t>(index)];
  if (c.activation != tflite::ActivationFunctionType_NONE) {
    *fused_activation(target) = c.activation;
    target.code.version = std::max(target.code.version, fused_activation_version(target.code.builtin, c.activation));
  }
  target.outputs[0] = g.ops[static_cast<size_t>(c.index)].outputs[0];
  const int removed[] = {c.index};
  remove_ops(g, removed);
  return Status::ok();
}

// Folds every channel op that follows the weighted op at `index`; returns how many.
Expected<int> fold_into(ir::Model& model, int subgraph, int index) {
  int folded = 0;
  for (;;) {
    const ir::Subgraph& g = model.subgraphs[static_cast<size_t>(subgraph)];
    const ir::Op& op = g.ops[static_cast<size_t>(index)];
    const auto w = weighted_op(op.code.builtin);
    if (!w || !foldable(model, g, op, *w)) return folded;
    const ir::Tensor& wt = g.tensors[op.inputs[w->weights]];
    const auto c = channel_op(model, subgraph, op.outputs[0], w->channels_last ? wt.shape.back() : wt.shape[0],
                              op.code.builtin);
    if (!c) return folded;
    const Status s = fold_one(model, subgraph, index, *w, *c);
    if (!s) return s.with_context(fmt::format("fold-batchnorm: subgraph {} op {} ({})", subgraph, index,
                                              ir::op_name(op.code)));
    ++folded;
  }
}

}  // namespace

BatchNormAffine batch_norm_affine(const std::vector<float>& gamma, const std::vector<float>& beta,
                                  const std::vector<float>& mean, const std::vector<float>& variance, float epsilon) {
  BatchNormAffine a;
  a.scale.resize(gamma.size());
  a.shift.resize(gamma.size());
  for (size_t i = 0; i < gamma.size(); ++i) {
    a.scale[i] = gamma[i] / std::sqrt(variance[i] + epsilon);
    a.shift[i] = beta[i] - mean[i] * a.scale[i];
  }
  return a;
}

void fold_channel_constant(std::vector<float>& weights, std::vector<float>& bias, bool channels_last, int32_t builtin,
                           const std::vector<float>& k) {
  const auto channels = static_cast<int64_t>(bias.size());
  const auto k_of = [&](int64_t ch) { return k.size() == 1 ? k[0] : k[static_cast<size_t>(ch)]; };
  const bool divides = builtin == BuiltinOperator::BuiltinOperator_DIV;
  if (divides || builtin == BuiltinOperator::BuiltinOperator_MUL) {
    const auto scale = [&](float& v, int64_t ch) { v = divides ? v / k_of(ch) : v * k_of(ch); };
    const int64_t inner = channels == 0 ? 0 : static_cast<int64_t>(weights.size()) / channels;
    for (int64_t i = 0; i < static_cast<int64_t>(weights.size()); ++i) {
      scale(weights[static_cast<size_t>(i)], channels_last ? i % channels : i / inner);
    }
    for (int64_t ch = 0; ch < channels; ++ch) scale(bias[static_cast<size_t>(ch)], ch);
  } else {
    const float sign = builtin == BuiltinOperator::BuiltinOperator_SUB ? -1.0f : 1.0f;
    for (int64_t ch = 0; ch < channels; ++ch) bias[static_cast<size_t>(ch)] += sign * k_of(ch);
  }
}

Status give_bias(ir::Model& model, int subgraph, int index, const std::string& base, const std::vector<float>& bias) {
  const ir::Op& op = model.subgraphs[static_cast<size_t>(subgraph)].ops[static_cast<size_t>(index)];
  const auto w = weighted_op(op.code.builtin);
  if (!w) return invalid_argument("{} takes no bias", ir::op_name(op.code));
  return set_bias(model, subgraph, index, *w, base, bias);
}

std::optional<WeightsLayout> weights_layout(int32_t builtin) {
  const auto w = weighted_op(builtin);
  if (!w) return std::nullopt;
  return WeightsLayout{w->weights, w->bias, w->channels_last};
}

Expected<int> fold_batch_norms(ir::Model& model) {
  int removed = 0;
  for (size_t s = 0; s < model.subgraphs.size(); ++s) {
    for (size_t i = 0; i < model.subgraphs[s].ops.size(); ++i) {
      TFC_ASSIGN_OR_RETURN(const int n, fold_into(model, static_cast<int>(s), static_cast<int>(i)));
      removed += n;
    }
  }
  remove_unused_tensors(model);
  remove_unused_buffers(model);
  return removed;
}

}  // namespace tfc::passes
