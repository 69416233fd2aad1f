// Parameters of a training graph (train_steps.h): float16 weights behind
// DEQUANTIZE become float32 constants, the rule that says which constant
// operands are parameters when no TrainingState names them, the collection of
// the parameters in order of first use, freeze globs, and the small graph
// helpers the other steps share.
// Not here: batch norm and noise rewrites (train_batchnorm.cc, train_noise.cc).
#include <fnmatch.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "kernels/fp16.h"
#include "passes/graph_edit.h"
#include "passes/op_pattern.h"
#include "train/train_steps.h"

namespace tfc::train::detail {
namespace {

using B = tflite::BuiltinOperator;

// Gives tensor `id` of subgraph 0 a buffer no other tensor of the model uses.
void own_buffer(ir::Model& model, ir::TensorId id) {
  ir::Tensor& t = model.subgraphs[0].tensors[id];
  int users = 0;
  for (const auto& sg : model.subgraphs) {
    for (const auto& other : sg.tensors) users += other.buffer == t.buffer ? 1 : 0;
  }
  if (users > 1) t.buffer = passes::add_buffer(model, model.buffers[t.buffer].data);
}

}  // namespace

Expected<ir::TensorId> Emitter::op(int32_t builtin, std::vector<ir::TensorId> inputs, tflite::BuiltinOptionsUnion options,
                                   const std::string& name) {
  TFC_ASSIGN_OR_RETURN(ir::TensorId id, b_.op1(builtin, std::move(inputs), std::move(options),
                                               fresh_name(b_.model(), name), DType::kFloat32));
  ir::Subgraph& g = b_.graph();
  ir::Op made = std::move(g.ops.back());
  g.ops.pop_back();
  passes::insert_op_before(g, at_++, std::move(made));
  return id;
}

std::string fresh_name(const ir::Model& model, const std::string& base) {
  return passes::unique_tensor_name(model.subgraphs[0], base);
}

ir::TensorId find_tensor(const ir::Model& model, const std::string& name) {
  const auto& ts = model.subgraphs[0].tensors;
  for (size_t i = 0; i < ts.size(); ++i) {
    if (ts[i].name == name) return static_cast<ir::TensorId>(i);
  }
  return ir::kNoTensor;
}

void redirect_readers(ir::Model& model, ir::TensorId from, ir::TensorId to, int skip) {
  ir::Subgraph& g = model.subgraphs[0];
  for (size_t i = static_cast<size_t>(skip) + 1; i < g.ops.size(); ++i) {
    std::replace(g.ops[i].inputs.begin(), g.ops[i].inputs.end(), from, to);
  }
  std::replace(g.outputs.begin(), g.outputs.end(), from, to);
  for (auto& sig : model.signature_defs) {
    if (sig.subgraph_index != 0) continue;
    for (auto& e : sig.outputs) {
      if (e.tensor_index == static_cast<uint32_t>(from)) e.tensor_index = static_cast<uint32_t>(to);
    }
  }
}

Status dequantize_weights(ir::Model& model, std::map<std::string, DType>& stored) {
  ir::Subgraph& g = model.subgraphs[0];
  std::vector<int> folded;
  for (size_t i = 0; i < g.ops.size(); ++i) {
    const ir::Op& op = g.ops[i];
    if (op.code.builtin != B::BuiltinOperator_DEQUANTIZE || op.inputs.size() != 1 || op.outputs.size() != 1) continue;
    const ir::Tensor& w = g.tensors[op.inputs[0]];
    const auto bytes = model.constant_data(w);
    if (w.dtype != DType::kFloat16 || w.sparsity || w.is_quantized() ||
        bytes.size() != static_cast<size_t>(ir::num_elements(w.shape)) * 2) {
      continue;
    }
    const bool only_dequantize = std::all_of(g.ops.begin(), g.ops.end(), [&](const ir::Op& o) {
      return o.code.builtin == B::BuiltinOperator_DEQUANTIZE ||
             std::find(o.inputs.begin(), o.inputs.end(), op.inputs[0]) == o.inputs.end();
    });
    if (!only_dequantize || g.tensors[op.outputs[0]].dtype != DType::kFloat32) continue;
    std::vector<float> values(bytes.size() / 2);
    for (size_t k = 0; k < values.size(); ++k) {
      uint16_t h;
      std::memcpy(&h, bytes.data() + 2 * k, 2);
      values[k] = kernels::half_to_float(h);
    }
    const std::string name = w.name;
    ir::Tensor& out = g.tensors[op.outputs[0]];
    out.buffer = passes::add_buffer(model, passes::to_bytes(values));
    out.name = name;
    g.tensors[op.inputs[0]].name += "/float16";  // unused now; removed with the op
    stored[name] = DType::kFloat16;
    folded.push_back(static_cast<int>(i));
  }
  passes::remove_ops(g, folded);
  return Status::ok();
}

bool is_parameter_operand(const ir::Model& model, const ir::Op& op, size_t input) {
  const ir::Subgraph& g = model.subgraphs[0];
  if (op.inputs[input] == ir::kNoTensor || op.outputs.empty()) return false;
  const ir::Tensor& t = g.tensors[op.inputs[input]];
  if (!passes::is_plain_float_constant(model, t) || g.tensors[op.outputs[0]].dtype != DType::kFloat32) return false;
  switch (op.code.builtin) {
    case B::BuiltinOperator_CONV_2D:
    case B::BuiltinOperator_DEPTHWISE_CONV_2D:
    case B::BuiltinOperator_FULLY_CONNECTED: return input == 1 || input == 2;
    case B::BuiltinOperator_TRANSPOSE_CONV: return input == 1 || input == 3;
    case B::BuiltinOperator_BATCH_MATMUL: return input <= 1;
    case B::BuiltinOperator_PRELU: return input == 1;
    case B::BuiltinOperator_GATHER: return input == 0;
    case B::BuiltinOperator_ADD:
    case B::BuiltinOperator_SUB:
    case B::BuiltinOperator_MUL:
    case B::BuiltinOperator_DIV: return ir::num_elements(t.shape) > 1;
    default: return false;
  }
}

Status set_constant(ir::Model& model, ir::TensorId id, std::vector<uint8_t> bytes, DType dtype) {
  ir::Tensor& t = model.subgraphs[0].tensors[id];
  if (t.dtype != dtype || model.constant_data(t).size() != bytes.size()) {
    return invalid_argument("tensor '{}' ({}, {} bytes) cannot take {} bytes of {}", t.name, dtype_name(t.dtype),
                            model.constant_data(t).size(), bytes.size(), dtype_name(dtype));
  }
  own_buffer(model, id);
  model.buffers[t.buffer].data = std::move(bytes);
  return Status::ok();
}

bool matches_any(const std::vector<std::string>& patterns, const std::string& name) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::string& p) { return ::fnmatch(p.c_str(), name.c_str(), 0) == 0; });
}

void collect_parameters(TrainGraph& graph, bool by_name, const std::vector<std::string>& names,
                        const std::map<std::string, DType>& stored, const std::vector<std::string>& freeze) {
  const std::set<std::string> wanted(names.begin(), names.end());
  std::set<ir::TensorId> seen;
  for (size_t i = 0; i < graph.model.subgraphs[0].ops.size(); ++i) {
    const ir::Op& op = graph.model.subgraphs[0].ops[i];
    for (size_t k = 0; k < op.inputs.size(); ++k) {
      const ir::TensorId id = op.inputs[k];
      if (id == ir::kNoTensor || seen.count(id)) continue;
      const ir::Tensor& t = graph.model.subgraphs[0].tensors[id];
      const bool param = by_name ? wanted.count(t.name) && passes::is_plain_float_constant(graph.model, t)
                                 : is_parameter_operand(graph.model, op, k);
      if (!param) continue;
      seen.insert(id);
      own_buffer(graph.model, id);
      const auto s = stored.find(t.name);
      graph.params.push_back({t.name, id, s == stored.end() ? DType::kFloat32 : s->second, matches_any(freeze, t.name)});
    }
  }
}

}  // namespace tfc::train::detail
