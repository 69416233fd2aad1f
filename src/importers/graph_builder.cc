#include "importers/graph_builder.h"

#include <map>

#include "ir/verify.h"
#include "ops/registry.h"
#include "passes/graph_edit.h"

namespace tfc::importers {

GraphBuilder::GraphBuilder(BuilderOptions options) : options_(options) {
  model_.version = 3;
  model_.buffers.emplace_back();  // buffer 0: the empty buffer
  model_.subgraphs.emplace_back();
  model_.subgraphs[0].name = "main";
}

ir::TensorId GraphBuilder::input(std::string name, DType dtype, ir::Shape shape, ir::Shape signature) {
  ir::Tensor t;
  t.name = std::move(name);
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.shape_signature = std::move(signature);
  t.has_rank = true;
  ir::TensorId id = passes::add_tensor(graph(), std::move(t));
  graph().inputs.push_back(id);
  return id;
}

Expected<ir::TensorId> GraphBuilder::constant(std::string name, const Array& value) {
  ir::Shape shape;
  for (int64_t d : value.shape) {
    if (d < 0 || d > INT32_MAX) return invalid_argument("constant '{}': dim {} out of range", name, d);
    shape.push_back(static_cast<int32_t>(d));
  }
  TFC_ASSIGN_OR_RETURN(int64_t bytes, ir::dense_byte_size(value.dtype, shape));
  if (static_cast<int64_t>(value.data.size()) != bytes) {
    return invalid_argument("constant '{}': {} bytes for {} of {} elements ({} expected)", name, value.data.size(),
                            dtype_name(value.dtype), value.num_elements(), bytes);
  }
  ir::Tensor t;
  t.name = std::move(name);
  t.dtype = value.dtype;
  t.shape = std::move(shape);
  t.has_rank = true;
  t.buffer = passes::add_buffer(model_, value.data);
  return passes::add_tensor(graph(), std::move(t));
}

ir::TensorId GraphBuilder::plain_constant(std::string name, DType dtype, ir::Shape shape,
                                          std::vector<uint8_t> bytes) {
  ir::Tensor t;
  t.name = std::move(name);
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.has_rank = true;
  t.buffer = passes::add_buffer(model_, std::move(bytes));
  return passes::add_tensor(graph(), std::move(t));
}

ir::TensorId GraphBuilder::constant_f32(std::string name, ir::Shape shape, std::vector<float> values) {
  return plain_constant(std::move(name), DType::kFloat32, std::move(shape), passes::to_bytes(values));
}

ir::TensorId GraphBuilder::constant_i32(std::string name, ir::Shape shape, std::vector<int32_t> values) {
  return plain_constant(std::move(name), DType::kInt32, std::move(shape), passes::to_bytes(values));
}

bool GraphBuilder::is_constant(ir::TensorId id) const { return model_.is_constant(tensor(id)); }

std::span<const uint8_t> GraphBuilder::constant_data(ir::TensorId id) const {
  return model_.constant_data(tensor(id));
}

void GraphBuilder::rename(ir::TensorId id, std::string name) {
  graph().tensors.at(static_cast<size_t>(id)).name = std::move(name);
}

int GraphBuilder::producer(ir::TensorId id) const { return passes::producer(graph(), id); }

int GraphBuilder::num_consumers(ir::TensorId id) const {
  return static_cast<int>(passes::consumers(graph(), id).size());
}

Expected<std::vector<ir::TensorId>> GraphBuilder::op(int32_t builtin, std::vector<ir::TensorId> inputs,
                                                     tflite::BuiltinOptionsUnion options,
                                                     std::vector<std::string> output_names,
                                                     std::vector<DType> output_dtypes, int32_t version) {
  const ops::OpDef* def = ops::find_op(builtin);
  if (!def) return unsupported("op {} has no shape rule in tfcompress", tflite::EnumNameBuiltinOperator(
                                                                             static_cast<tflite::BuiltinOperator>(builtin)));
  ir::Op op;
  op.code.builtin = builtin;
  op.code.version = version;
  op.inputs = std::move(inputs);
  op.options = std::move(options);
  for (ir::TensorId id : op.inputs) {
    if (id != ir::kNoTensor && (id < 0 || static_cast<size_t>(id) >= graph().tensors.size())) {
      return internal_error("{}: input tensor id {} out of range", def->name, id);
    }
  }
  std::vector<ir::Tensor> outs(output_names.size());
  for (size_t i = 0; i < outs.size(); ++i) {
    outs[i].name = std::move(output_names[i]);
    outs[i].has_rank = true;
    if (i < output_dtypes.size()) {
      outs[i].dtype = output_dtypes[i];
    } else if (!op.inputs.empty() && op.inputs[0] != ir::kNoTensor) {
      outs[i].dtype = tensor(op.inputs[0]).dtype;
    }
  }
  // Shapes from the op's shape rule, with constant inputs' values known.
  std::vector<ops::TensorSlot> in_slots, out_slots(outs.size());
  bool all_constant = false;
  std::vector<ops::TensorSlot*> in_ptrs = bind_inputs(op, in_slots, &all_constant), out_ptrs;
  for (size_t i = 0; i < outs.size(); ++i) {
    out_slots[i].tensor = &outs[i];
    out_ptrs.push_back(&out_slots[i]);
  }
  {
    ops::OpContext ctx(op, in_ptrs, out_ptrs, kernels::Requantization::kFloat);
    Status s = def->shape(ctx);
    if (!s.is_ok()) return s;
  }
  for (size_t i = 0; i < outs.size(); ++i) {
    outs[i].shape = out_slots[i].shape;
    outs[i].shape_signature.clear();
  }
  if (options_.fold_constants && all_constant) return fold(op, std::move(outs));
  std::vector<ir::TensorId> ids;
  for (auto& t : outs) ids.push_back(passes::add_tensor(graph(), std::move(t)));
  op.outputs = ids;
  graph().ops.push_back(std::move(op));
  return ids;
}

std::vector<ops::TensorSlot*> GraphBuilder::bind_inputs(const ir::Op& op, std::vector<ops::TensorSlot>& slots,
                                                        bool* all_constant) const {
  slots.assign(op.inputs.size(), {});
  std::vector<ops::TensorSlot*> ptrs;
  *all_constant = !op.inputs.empty();
  for (size_t i = 0; i < op.inputs.size(); ++i) {
    if (op.inputs[i] == ir::kNoTensor) {
      ptrs.push_back(nullptr);
      continue;
    }
    const ir::Tensor& t = tensor(op.inputs[i]);
    slots[i].tensor = &t;
    slots[i].shape = t.shape;
    auto data = model_.constant_data(t);
    slots[i].data = data.empty() ? nullptr : const_cast<uint8_t*>(data.data());
    // An empty constant (zero elements) counts as known.
    if (data.empty() && !(t.buffer != 0 && ir::num_elements(t.shape) == 0)) *all_constant = false;
    ptrs.push_back(&slots[i]);
  }
  return ptrs;
}

Expected<std::vector<ir::TensorId>> GraphBuilder::fold(const ir::Op& op, std::vector<ir::Tensor> outs) {
  const ops::OpDef* def = ops::find_op(op.code.builtin);
  std::vector<ops::TensorSlot> in_slots, out_slots(outs.size());
  bool all_constant = false;
  std::vector<ops::TensorSlot*> in_ptrs = bind_inputs(op, in_slots, &all_constant), out_ptrs;
  std::vector<std::vector<uint8_t>> out_data(outs.size());
  for (size_t i = 0; i < outs.size(); ++i) {
    TFC_ASSIGN_OR_RETURN(int64_t bytes, ir::dense_byte_size(outs[i].dtype, outs[i].shape));
    out_data[i].assign(static_cast<size_t>(bytes) + 1, 0);  // +1: a valid pointer for empty tensors
    out_slots[i].tensor = &outs[i];
    out_slots[i].shape = outs[i].shape;
    out_slots[i].data = out_data[i].data();
    out_ptrs.push_back(&out_slots[i]);
  }
  ops::OpContext ctx(op, in_ptrs, out_ptrs, kernels::Requantization::kFloat);
  TFC_RETURN_IF_ERROR(def->eval(ctx));
  std::vector<ir::TensorId> ids;
  for (size_t i = 0; i < outs.size(); ++i) {
    outs[i].shape = out_slots[i].shape;
    TFC_ASSIGN_OR_RETURN(int64_t bytes, ir::dense_byte_size(outs[i].dtype, outs[i].shape));
    out_data[i].resize(static_cast<size_t>(bytes));
    outs[i].buffer = passes::add_buffer(model_, std::move(out_data[i]));
    ids.push_back(passes::add_tensor(graph(), std::move(outs[i])));
  }
  return ids;
}

Expected<ir::TensorId> GraphBuilder::op1(int32_t builtin, std::vector<ir::TensorId> inputs,
                                         tflite::BuiltinOptionsUnion options, std::string output_name,
                                         std::optional<DType> output_dtype, int32_t version) {
  std::vector<DType> dtypes;
  if (output_dtype) dtypes.push_back(*output_dtype);
  TFC_ASSIGN_OR_RETURN(auto ids, op(builtin, std::move(inputs), std::move(options), {std::move(output_name)},
                                    std::move(dtypes), version));
  return ids[0];
}

void GraphBuilder::set_outputs(std::vector<ir::TensorId> outputs) { graph().outputs = std::move(outputs); }

void GraphBuilder::set_signature(std::string key, std::vector<std::string> input_names,
                                 std::vector<std::string> output_names) {
  signature_key_ = std::move(key);
  input_names_ = std::move(input_names);
  output_names_ = std::move(output_names);
}

Expected<ir::Model> GraphBuilder::finish() {
  ir::Subgraph& g = graph();
  // Signature def: the given names, or the tensors' names.
  ir::SignatureDef sig;
  sig.key = signature_key_;
  sig.subgraph_index = 0;
  for (size_t i = 0; i < g.inputs.size(); ++i) {
    sig.inputs.push_back({i < input_names_.size() ? input_names_[i] : g.tensors[g.inputs[i]].name,
                          static_cast<uint32_t>(g.inputs[i])});
  }
  for (size_t i = 0; i < g.outputs.size(); ++i) {
    sig.outputs.push_back({i < output_names_.size() ? output_names_[i] : fmt::format("output_{}", i),
                           static_cast<uint32_t>(g.outputs[i])});
  }
  model_.signature_defs = {sig};
  // Ops no output depends on are dropped (e.g. a branch whose result is unused).
  std::vector<bool> live(g.tensors.size(), false);
  for (ir::TensorId id : g.outputs) live[id] = true;
  std::vector<int> dead;
  for (int i = static_cast<int>(g.ops.size()) - 1; i >= 0; --i) {
    const ir::Op& o = g.ops[static_cast<size_t>(i)];
    bool used = false;
    for (ir::TensorId id : o.outputs) used = used || live[id];
    if (!used) {
      dead.push_back(i);
      continue;
    }
    for (ir::TensorId id : o.inputs) {
      if (id != ir::kNoTensor) live[id] = true;
    }
  }
  passes::remove_ops(g, dead);
  passes::remove_unused_tensors(model_);
  passes::remove_unused_buffers(model_);
  std::map<int32_t, bool> builtins;
  for (const auto& o : g.ops) builtins[o.code.builtin] = true;
  for (auto& [b, _] : builtins) passes::unify_op_versions(model_, b);
  TFC_RETURN_IF_ERROR(ir::verify_model(model_));
  return std::move(model_);
}

}  // namespace tfc::importers
