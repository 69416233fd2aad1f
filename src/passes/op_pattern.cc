// Pattern queries of the fusion passes (see op_pattern.h).
#include "passes/op_pattern.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>
#include <vector>

#include <fmt/format.h>

#include "passes/graph_edit.h"

namespace tfc::passes {

bool is_graph_output(const ir::Model& model, int subgraph, ir::TensorId id) {
  const ir::Subgraph& g = model.subgraphs[static_cast<size_t>(subgraph)];
  if (std::find(g.outputs.begin(), g.outputs.end(), id) != g.outputs.end()) return true;
  for (const ir::SignatureDef& sd : model.signature_defs) {
    if (sd.subgraph_index != static_cast<uint32_t>(subgraph)) continue;
    for (const ir::TensorMapEntry& e : sd.outputs) {
      if (e.tensor_index == static_cast<uint32_t>(id)) return true;
    }
  }
  return false;
}

int sole_reader(const ir::Model& model, int subgraph, ir::TensorId id) {
  if (is_graph_output(model, subgraph, id)) return -1;
  const std::vector<int> readers = consumers(model.subgraphs[static_cast<size_t>(subgraph)], id);
  return readers.size() == 1 ? readers[0] : -1;
}

bool is_plain_float_constant(const ir::Model& model, const ir::Tensor& t) {
  return t.dtype == DType::kFloat32 && model.is_constant(t) && !t.sparsity && !t.is_variable && !t.is_quantized() &&
         model.constant_data(t).size() == static_cast<size_t>(ir::num_elements(t.shape)) * sizeof(float);
}

int32_t fused_activation_version(int32_t builtin, tflite::ActivationFunctionType a) {
  using B = tflite::BuiltinOperator;
  using A = tflite::ActivationFunctionType;
  struct Row {
    B op;
    std::vector<A> activations;
    int32_t version;
  };
  static const std::vector<A> kClipping = {A::ActivationFunctionType_RELU, A::ActivationFunctionType_RELU6,
                                           A::ActivationFunctionType_RELU_N1_TO_1};
  static const std::vector<Row> kTable = {
      {B::BuiltinOperator_CONV_2D, kClipping, 1},
      {B::BuiltinOperator_DEPTHWISE_CONV_2D, kClipping, 1},
      {B::BuiltinOperator_FULLY_CONNECTED, kClipping, 1},
      {B::BuiltinOperator_ADD, kClipping, 1},
      {B::BuiltinOperator_SUB, kClipping, 1},
      {B::BuiltinOperator_MUL, kClipping, 1},
      {B::BuiltinOperator_DIV, kClipping, 1},
      {B::BuiltinOperator_MAX_POOL_2D, kClipping, 1},
      {B::BuiltinOperator_AVERAGE_POOL_2D, kClipping, 1},
      {B::BuiltinOperator_TRANSPOSE_CONV, {A::ActivationFunctionType_RELU, A::ActivationFunctionType_RELU6}, 4},
  };
  for (const Row& r : kTable) {
    if (r.op == builtin && std::find(r.activations.begin(), r.activations.end(), a) != r.activations.end())
      return r.version;
  }
  return 0;
}

tflite::ActivationFunctionType* fused_activation(ir::Op& op) {
  auto* v = op.options.value;
  if (v == nullptr) return nullptr;
  switch (op.options.type) {
    case tflite::BuiltinOptions_Conv2DOptions: return &static_cast<tflite::Conv2DOptionsT*>(v)->fused_activation_function;
    case tflite::BuiltinOptions_DepthwiseConv2DOptions:
      return &static_cast<tflite::DepthwiseConv2DOptionsT*>(v)->fused_activation_function;
    case tflite::BuiltinOptions_FullyConnectedOptions:
      return &static_cast<tflite::FullyConnectedOptionsT*>(v)->fused_activation_function;
    case tflite::BuiltinOptions_TransposeConvOptions:
      return &static_cast<tflite::TransposeConvOptionsT*>(v)->fused_activation_function;
    case tflite::BuiltinOptions_AddOptions: return &static_cast<tflite::AddOptionsT*>(v)->fused_activation_function;
    case tflite::BuiltinOptions_SubOptions: return &static_cast<tflite::SubOptionsT*>(v)->fused_activation_function;
    case tflite::BuiltinOptions_MulOptions: return &static_cast<tflite::MulOptionsT*>(v)->fused_activation_function;
    case tflite::BuiltinOptions_DivOptions: return &static_cast<tflite::DivOptionsT*>(v)->fused_activation_function;
    case tflite::BuiltinOptions_ConcatenationOptions:
      return &static_cast<tflite::ConcatenationOptionsT*>(v)->fused_activation_function;
    case tflite::BuiltinOptions_Pool2DOptions: return &static_cast<tflite::Pool2DOptionsT*>(v)->fused_activation_function;
    case tflite::BuiltinOptions_L2NormOptions: return &static_cast<tflite::L2NormOptionsT*>(v)->fused_activation_function;
    default: return nullptr;
  }
}

tflite::ActivationFunctionType fused_activation_of(const ir::Op& op) {
  const auto* a = fused_activation(const_cast<ir::Op&>(op));
  return a ? *a : tflite::ActivationFunctionType_NONE;
}

int inner_producer(const ir::Model& model, int subgraph, ir::TensorId id, int32_t builtin, int reader) {
  if (id == ir::kNoTensor) return -1;
  const ir::Subgraph& g = model.subgraphs[static_cast<size_t>(subgraph)];
  const int p = producer(g, id);
  if (p < 0) return -1;
  const ir::Op& op = g.ops[static_cast<size_t>(p)];
  if (op.code.builtin != builtin || op.outputs.size() != 1) return -1;
  if (fused_activation_of(op) != tflite::ActivationFunctionType_NONE) return -1;
  return sole_reader(model, subgraph, id) == reader ? p : -1;
}

bool is_scalar_constant(const ir::Model& model, const ir::Subgraph& g, ir::TensorId id, float value, int rank,
                        float tolerance) {
  if (id == ir::kNoTensor) return false;
  const ir::Tensor& t = g.tensors[id];
  if (!is_plain_float_constant(model, t) || ir::num_elements(t.shape) != 1) return false;
  if (static_cast<int>(t.shape.size()) > rank) return false;
  return std::fabs(float_constant(model, t)[0] - value) <= tolerance;
}

ir::TensorId input_beside_scalar(const ir::Model& model, const ir::Subgraph& g, const ir::Op& op, float value,
                                 bool commutes, float tolerance) {
  if (op.inputs.size() != 2 || op.outputs.size() != 1) return ir::kNoTensor;
  const int rank = static_cast<int>(g.tensors[op.outputs[0]].shape.size());
  if (is_scalar_constant(model, g, op.inputs[1], value, rank, tolerance)) return op.inputs[0];
  if (commutes && is_scalar_constant(model, g, op.inputs[0], value, rank, tolerance)) return op.inputs[1];
  return ir::kNoTensor;
}

void replace_pattern(ir::Subgraph& g, int root, const std::vector<int>& inner, ir::Op op) {
  g.ops[static_cast<size_t>(root)] = std::move(op);
  remove_ops(g, inner);
}

std::string unique_tensor_name(const ir::Subgraph& graph, std::string_view base) {
  std::unordered_set<std::string_view> taken;
  for (const ir::Tensor& t : graph.tensors) taken.insert(t.name);
  if (!taken.count(base)) return std::string(base);
  for (int i = 1;; ++i) {
    std::string name = fmt::format("{}_{}", base, i);
    if (!taken.count(name)) return name;
  }
}

}  // namespace tfc::passes
