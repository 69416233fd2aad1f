// Graph-rewriting helpers (see graph_edit.h).
#include "passes/graph_edit.h"

#include <algorithm>
#include <cmath>
#include <string_view>
#include <unordered_map>

#include <fmt/ranges.h>

#include "ir/verify.h"
#include "kernels/quantize_ref.h"

namespace tfc::passes {
namespace {

// Maps old ids to new ones after removing the entries where keep[i] is false;
// removed entries map to -1.
std::vector<int64_t> compaction_map(const std::vector<bool>& keep) {
  std::vector<int64_t> map(keep.size(), -1);
  int64_t next = 0;
  for (size_t i = 0; i < keep.size(); ++i) {
    if (keep[i]) map[i] = next++;
  }
  return map;
}

template <typename T>
void compact(std::vector<T>& items, const std::vector<bool>& keep) {
  size_t out = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!keep[i]) continue;
    if (out != i) items[out] = std::move(items[i]);  // never self-move: it may empty the item
    ++out;
  }
  items.resize(out);
}

void remap_ids(std::vector<ir::TensorId>& ids, const std::vector<int64_t>& map) {
  for (ir::TensorId& id : ids) {
    if (id != ir::kNoTensor) id = static_cast<ir::TensorId>(map[id]);
  }
}

// Whether each tensor of subgraph `index` is referred to by anything.
std::vector<bool> used_tensors(const ir::Model& model, size_t index) {
  const ir::Subgraph& g = model.subgraphs[index];
  std::vector<bool> used(g.tensors.size(), false);
  const auto mark = [&](std::span<const ir::TensorId> ids) {
    for (ir::TensorId id : ids) {
      if (id != ir::kNoTensor) used[id] = true;
    }
  };
  mark(g.inputs);
  mark(g.outputs);
  for (const ir::Op& op : g.ops) {
    mark(op.inputs);
    mark(op.outputs);
    mark(op.intermediates);
  }
  for (const ir::SignatureDef& sd : model.signature_defs) {
    if (sd.subgraph_index != index) continue;
    for (const auto* entries : {&sd.inputs, &sd.outputs}) {
      for (const auto& e : *entries) used[e.tensor_index] = true;
    }
  }
  return used;
}

}  // namespace

uint32_t add_buffer(ir::Model& model, std::vector<uint8_t> data) {
  model.buffers.push_back(ir::Buffer{std::move(data)});
  return static_cast<uint32_t>(model.buffers.size() - 1);
}

ir::TensorId add_tensor(ir::Subgraph& graph, ir::Tensor tensor) {
  graph.tensors.push_back(std::move(tensor));
  return static_cast<ir::TensorId>(graph.tensors.size() - 1);
}

Expected<ir::TensorId> add_constant(ir::Model& model, int subgraph, ir::Tensor tensor, std::vector<uint8_t> data) {
  TFC_ASSIGN_OR_RETURN(const int64_t bytes, ir::dense_byte_size(tensor.dtype, tensor.shape));
  if (static_cast<int64_t>(data.size()) != bytes) {
    return internal_error("constant '{}': {} bytes given, but {} [{}] needs {}", tensor.name, data.size(),
                          dtype_name(tensor.dtype), fmt::join(tensor.shape, ","), bytes);
  }
  tensor.buffer = add_buffer(model, std::move(data));
  return add_tensor(model.subgraphs[subgraph], std::move(tensor));
}

std::vector<float> float_constant(const ir::Model& model, const ir::Tensor& t) {
  const auto bytes = model.constant_data(t);
  std::vector<float> v(bytes.size() / sizeof(float));
  if (!v.empty()) std::memcpy(v.data(), bytes.data(), v.size() * sizeof(float));
  return v;
}

Expected<SymmetricWeights> quantize_weights_symmetric(const ir::Model& model, const ir::Tensor& t, int32_t axis) {
  const std::vector<float> w = float_constant(model, t);
  if (!std::all_of(w.begin(), w.end(), [](float v) { return std::isfinite(v); })) {
    return invalid_argument("quantize: weights '{}' (float32) hold non-finite values", t.name);
  }
  SymmetricWeights out;
  out.values.resize(w.size());
  if (axis < 0) {
    out.quantization.scale = {
        kernels::quantize_symmetric_per_tensor(w.data(), static_cast<int64_t>(w.size()), out.values.data())};
  } else {
    out.quantization.scale = kernels::quantize_symmetric_per_channel(w.data(), t.shape, axis, out.values.data());
    out.quantization.axis = axis;
  }
  out.quantization.zero_point.assign(out.quantization.scale.size(), 0);
  return out;
}

int insert_op_before(ir::Subgraph& graph, int before, ir::Op op) {
  graph.ops.insert(graph.ops.begin() + before, std::move(op));
  return before;
}

std::vector<int> consumers(const ir::Subgraph& graph, ir::TensorId id) {
  std::vector<int> out;
  for (size_t i = 0; i < graph.ops.size(); ++i) {
    const auto& in = graph.ops[i].inputs;
    if (std::find(in.begin(), in.end(), id) != in.end()) out.push_back(static_cast<int>(i));
  }
  return out;
}

int producer(const ir::Subgraph& graph, ir::TensorId id) {
  for (size_t i = 0; i < graph.ops.size(); ++i) {
    const auto& out = graph.ops[i].outputs;
    if (std::find(out.begin(), out.end(), id) != out.end()) return static_cast<int>(i);
  }
  return -1;
}

void unify_op_versions(ir::Model& model, int32_t builtin) {
  int32_t version = 1;
  for (const ir::Subgraph& g : model.subgraphs) {
    for (const ir::Op& op : g.ops) {
      if (op.code.builtin == builtin) version = std::max(version, op.code.version);
    }
  }
  for (ir::Subgraph& g : model.subgraphs) {
    for (ir::Op& op : g.ops) {
      if (op.code.builtin == builtin) op.code.version = version;
    }
  }
}

void remove_ops(ir::Subgraph& graph, std::span<const int> op_indices) {
  std::vector<bool> keep(graph.ops.size(), true);
  for (int i : op_indices) keep[i] = false;
  compact(graph.ops, keep);
}

int remove_unused_tensors(ir::Model& model) {
  int removed = 0;
  for (size_t s = 0; s < model.subgraphs.size(); ++s) {
    const std::vector<bool> keep = used_tensors(model, s);
    const auto map = compaction_map(keep);
    ir::Subgraph& g = model.subgraphs[s];
    removed += static_cast<int>(std::count(keep.begin(), keep.end(), false));
    compact(g.tensors, keep);
    remap_ids(g.inputs, map);
    remap_ids(g.outputs, map);
    for (ir::Op& op : g.ops) {
      remap_ids(op.inputs, map);
      remap_ids(op.outputs, map);
      remap_ids(op.intermediates, map);
    }
    for (ir::SignatureDef& sd : model.signature_defs) {
      if (sd.subgraph_index != s) continue;
      for (auto* entries : {&sd.inputs, &sd.outputs}) {
        for (auto& e : *entries) e.tensor_index = static_cast<uint32_t>(map[e.tensor_index]);
      }
    }
  }
  return removed;
}

int remove_unused_buffers(ir::Model& model) {
  std::vector<bool> keep(model.buffers.size(), false);
  if (!keep.empty()) keep[0] = true;
  for (const ir::Subgraph& g : model.subgraphs) {
    for (const ir::Tensor& t : g.tensors) keep[t.buffer] = true;
  }
  for (const ir::Metadata& md : model.metadata) keep[md.buffer] = true;
  for (int32_t b : model.metadata_buffer) keep[b] = true;
  const auto map = compaction_map(keep);
  compact(model.buffers, keep);
  for (ir::Subgraph& g : model.subgraphs) {
    for (ir::Tensor& t : g.tensors) t.buffer = static_cast<uint32_t>(map[t.buffer]);
  }
  for (ir::Metadata& md : model.metadata) md.buffer = static_cast<uint32_t>(map[md.buffer]);
  for (int32_t& b : model.metadata_buffer) b = static_cast<int32_t>(map[b]);
  return static_cast<int>(std::count(keep.begin(), keep.end(), false));
}

int share_identical_constants(ir::Model& model) {
  int merged = 0;
  for (ir::Subgraph& g : model.subgraphs) {
    std::unordered_map<std::string_view, std::vector<ir::TensorId>> by_bytes;
    std::vector<ir::TensorId> same_as(g.tensors.size());
    for (size_t i = 0; i < g.tensors.size(); ++i) {
      same_as[i] = static_cast<ir::TensorId>(i);
      const ir::Tensor& t = g.tensors[i];
      const auto bytes = model.constant_data(t);
      if (bytes.empty() || t.sparsity || t.is_variable) continue;
      auto& seen = by_bytes[std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size())];
      for (ir::TensorId j : seen) {
        const ir::Tensor& u = g.tensors[static_cast<size_t>(j)];
        if (u.dtype == t.dtype && u.shape == t.shape && u.is_quantized() == t.is_quantized() &&
            (!t.is_quantized() || (u.quantization->scale == t.quantization->scale &&
                                   u.quantization->zero_point == t.quantization->zero_point &&
                                   u.quantization->axis == t.quantization->axis))) {
          same_as[i] = j;
          break;
        }
      }
      if (same_as[i] == static_cast<ir::TensorId>(i)) {
        seen.push_back(same_as[i]);
      } else {
        ++merged;
      }
    }
    for (auto& op : g.ops) {
      for (ir::TensorId& id : op.inputs) {
        if (id != ir::kNoTensor) id = same_as[static_cast<size_t>(id)];
      }
    }
  }
  if (merged > 0) {
    remove_unused_tensors(model);
    remove_unused_buffers(model);
  }
  return merged;
}

}  // namespace tfc::passes
