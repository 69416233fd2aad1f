// merge-duplicate-ops (see passes.h): common subexpressions. Two ops of the
// same code, options and inputs compute the same values; the later one's
// readers read the earlier one's outputs and it is removed.
#include <map>
#include <set>
#include <string>

#include <flatbuffers/flatbuffers.h>

#include "passes/graph_edit.h"
#include "passes/op_pattern.h"
#include "passes/passes.h"

namespace tfc::passes {
namespace {

// Ops whose result is not a function of their inputs alone, or that act.
bool is_pure(const ir::Op& op) {
  using B = tflite::BuiltinOperator;
  static const std::set<int32_t> kImpure = {
      B::BuiltinOperator_CUSTOM,         B::BuiltinOperator_VAR_HANDLE,  B::BuiltinOperator_READ_VARIABLE,
      B::BuiltinOperator_ASSIGN_VARIABLE, B::BuiltinOperator_CALL_ONCE,  B::BuiltinOperator_RANDOM_UNIFORM,
      B::BuiltinOperator_RANDOM_STANDARD_NORMAL, B::BuiltinOperator_MULTINOMIAL, B::BuiltinOperator_WHILE,
      B::BuiltinOperator_IF,             B::BuiltinOperator_CALL};
  return !kImpure.count(op.code.builtin) && op.intermediates.empty() && op.options2.type == tflite::BuiltinOptions2_NONE;
}

// The op's code, inputs and serialized options: equal keys, equal results.
std::string key_of(const ir::Op& op) {
  flatbuffers::FlatBufferBuilder fbb;
  if (op.options.type != tflite::BuiltinOptions_NONE) {
    fbb.Finish(flatbuffers::Offset<flatbuffers::Table>(op.options.Pack(fbb).o));
  }
  std::string key = fmt::format("{}/{}/{}/{}|", op.code.builtin, op.code.custom_code, op.code.version,
                                static_cast<int>(op.options.type));
  for (ir::TensorId id : op.inputs) key += fmt::format("{},", id);
  key.append(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
  return key;
}

bool merge_one(ir::Model& model, int subgraph, int index) {
  ir::Subgraph& g = model.subgraphs[static_cast<size_t>(subgraph)];
  const ir::Op& dup = g.ops[static_cast<size_t>(index)];
  if (!is_pure(dup)) return false;
  for (ir::TensorId out : dup.outputs) {
    if (is_graph_output(model, subgraph, out)) return false;
  }
  const std::string key = key_of(dup);
  for (int i = 0; i < index; ++i) {
    const ir::Op& first = g.ops[static_cast<size_t>(i)];
    if (first.code != dup.code || first.inputs != dup.inputs || first.outputs.size() != dup.outputs.size() ||
        !is_pure(first) || key_of(first) != key) {
      continue;
    }
    std::map<ir::TensorId, ir::TensorId> to;
    for (size_t k = 0; k < dup.outputs.size(); ++k) to[dup.outputs[k]] = first.outputs[k];
    for (ir::Op& op : g.ops) {
      for (ir::TensorId& id : op.inputs) {
        if (auto it = to.find(id); it != to.end()) id = it->second;
      }
    }
    const int removed[] = {index};
    remove_ops(g, removed);
    return true;
  }
  return false;
}

}  // namespace

Expected<int> merge_duplicate_ops(ir::Model& model) {
  const int n = rewrite_all(model, merge_one);
  if (n > 0) {
    remove_unused_tensors(model);
    remove_unused_buffers(model);
  }
  return n;
}

}  // namespace tfc::passes
