// quantize, mode dynamic (see passes.h): int8 weights, float activations (the
// converter's dynamic-range quantization, optimizations=[DEFAULT] without a
// representative dataset). Op versions and options below were read off
// converter output (TensorFlow 2.21).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include "kernels/quantize_ref.h"
#include "passes/graph_edit.h"
#include "passes/passes.h"

namespace tfc::passes {
namespace {

// How one op kind takes int8 weights (its input 1) in its hybrid form.
struct HybridRule {
  int32_t builtin;
  int32_t channel_axis;    // output-channel axis of the weights; -1: one scale
  int32_t version;         // the op version the converter writes for the hybrid op
  bool asymmetric_inputs;  // the converter sets asymmetric_quantize_inputs
};

constexpr size_t kWeightsInput = 1;
constexpr int32_t kKeepFloat = -2;  // marks weights that must stay float32

constexpr HybridRule kHybridRules[] = {
    {tflite::BuiltinOperator_CONV_2D, 0, 5, false},            // weights OHWI
    {tflite::BuiltinOperator_DEPTHWISE_CONV_2D, 3, 6, false},  // weights 1HW(C*M)
    {tflite::BuiltinOperator_FULLY_CONNECTED, 0, 12, true},    // weights [out, in]
    {tflite::BuiltinOperator_BATCH_MATMUL, -1, 4, true},       // constant rhs
    {tflite::BuiltinOperator_TRANSPOSE_CONV, 0, 2, false},     // weights OHWI
};
// FULLY_CONNECTED with one weight scale (per_tensor) is version 9, not 12.
constexpr int32_t kFullyConnectedPerTensorVersion = 9;

const HybridRule* find_rule(const ir::Op& op) {
  for (const HybridRule& r : kHybridRules) {
    if (r.builtin == op.code.builtin) return &r;
  }
  return nullptr;
}

// The axis op's weights are quantized along, or -1 for one scale.
int32_t weight_axis(const HybridRule& rule, const DynamicRangeOptions& options) {
  if (rule.builtin == tflite::BuiltinOperator_FULLY_CONNECTED && options.per_tensor) return -1;
  return rule.channel_axis;
}

bool is_candidate(const ir::Model& model, const ir::Tensor& t, int32_t axis, const DynamicRangeOptions& options) {
  return t.dtype == DType::kFloat32 && model.is_constant(t) && !t.sparsity && !t.is_variable && !t.is_quantized() &&
         ir::num_elements(t.shape) >= options.min_elements && axis < static_cast<int32_t>(t.shape.size());
}

bool has_shuffled_weights(const ir::Op& op) {
  const auto* fc = op.options_as<tflite::FullyConnectedOptionsT>();
  return fc && fc->weights_format != tflite::FullyConnectedOptionsWeightsFormat_DEFAULT;
}

// The weight tensors of subgraph g to quantize, each with its axis: constants
// that every reader uses as the weights of a hybrid-capable op, with one axis.
std::map<ir::TensorId, int32_t> weights_to_quantize(const ir::Model& model, const ir::Subgraph& g,
                                                    const DynamicRangeOptions& options) {
  std::map<ir::TensorId, int32_t> axis_of;
  for (const ir::Op& op : g.ops) {
    const HybridRule* rule = find_rule(op);
    if (!rule || op.inputs.size() <= kWeightsInput || has_shuffled_weights(op)) continue;
    const ir::TensorId w = op.inputs[kWeightsInput];
    const int32_t axis = weight_axis(*rule, options);
    if (w == ir::kNoTensor || !is_candidate(model, g.tensors[w], axis, options)) continue;
    auto [it, inserted] = axis_of.emplace(w, axis);
    if (!inserted && it->second != axis) it->second = kKeepFloat;  // two readers want different axes: keep it float
  }
  // Any other use (another op, another input slot, a subgraph output) keeps it float.
  for (const ir::Op& op : g.ops) {
    for (size_t i = 0; i < op.inputs.size(); ++i) {
      auto it = axis_of.find(op.inputs[i]);
      if (it == axis_of.end()) continue;
      if (i != kWeightsInput || !find_rule(op) || has_shuffled_weights(op)) it->second = kKeepFloat;
    }
  }
  for (ir::TensorId id : g.outputs) {
    if (auto it = axis_of.find(id); it != axis_of.end()) it->second = kKeepFloat;
  }
  std::erase_if(axis_of, [](const auto& entry) { return entry.second == kKeepFloat; });
  return axis_of;
}

// Replaces float32 constant t's data with int8 values and its scales.
Status quantize_weights(ir::Model& model, ir::Tensor& t, int32_t axis) {
  TFC_ASSIGN_OR_RETURN(SymmetricWeights q, quantize_weights_symmetric(model, t, axis));
  t.dtype = DType::kInt8;
  t.quantization = std::move(q.quantization);
  t.buffer = add_buffer(model, to_bytes(q.values));
  return Status::ok();
}

// Gives a hybrid op the version and options the converter writes for it.
void make_hybrid(ir::Op& op, const HybridRule& rule, bool one_scale) {
  const bool fc = rule.builtin == tflite::BuiltinOperator_FULLY_CONNECTED;
  op.code.version = std::max(op.code.version, fc && one_scale ? kFullyConnectedPerTensorVersion : rule.version);
  if (!rule.asymmetric_inputs) return;
  if (fc) {
    if (!op.options_as<tflite::FullyConnectedOptionsT>()) op.options.Set(tflite::FullyConnectedOptionsT{});
    op.options_as<tflite::FullyConnectedOptionsT>()->asymmetric_quantize_inputs = true;
  } else if (rule.builtin == tflite::BuiltinOperator_BATCH_MATMUL) {
    if (!op.options_as<tflite::BatchMatMulOptionsT>()) op.options.Set(tflite::BatchMatMulOptionsT{});
    op.options_as<tflite::BatchMatMulOptionsT>()->asymmetric_quantize_inputs = true;
  }
}

}  // namespace

Status quantize_dynamic_range(ir::Model& model, const DynamicRangeOptions& options) {
  std::set<int32_t> hybrid_builtins;
  for (ir::Subgraph& g : model.subgraphs) {
    const auto weights = weights_to_quantize(model, g, options);
    for (const auto& [id, axis] : weights) TFC_RETURN_IF_ERROR(quantize_weights(model, g.tensors[id], axis));
    for (ir::Op& op : g.ops) {
      const HybridRule* rule = find_rule(op);
      if (!rule || op.inputs.size() <= kWeightsInput) continue;
      auto it = weights.find(op.inputs[kWeightsInput]);
      if (it == weights.end()) continue;
      make_hybrid(op, *rule, it->second < 0);
      hybrid_builtins.insert(rule->builtin);
    }
  }
  for (int32_t builtin : hybrid_builtins) unify_op_versions(model, builtin);
  remove_unused_buffers(model);
  return Status::ok();
}

}  // namespace tfc::passes
