// Small graph-rewriting helpers the passes share: adding buffers, tensors,
// constants and ops, finding who reads or writes a tensor, and removing ops,
// tensors and buffers while every remaining reference (op inputs / outputs /
// intermediates, subgraph inputs / outputs, signature defs, metadata) stays
// valid. Tensor ids of a subgraph are positions in Subgraph::tensors, so
// removing tensors renumbers the rest; callers must not hold ids across a
// remove_unused_tensors call.
// Not here: any pass's logic (passes.h), structural checks (ir/verify.h).
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "core/status.h"
#include "ir/graph.h"

namespace tfc::passes {

// Appends a buffer holding `data`; returns its index.
uint32_t add_buffer(ir::Model& model, std::vector<uint8_t> data);

// Appends `tensor` to the subgraph; returns its id.
ir::TensorId add_tensor(ir::Subgraph& graph, ir::Tensor tensor);

// Adds `tensor` (name, dtype, shape, quantization) to subgraph `subgraph` as a
// constant holding `data` in a new buffer; `data` must be the dense byte size of
// its dtype and shape. Returns its id.
Expected<ir::TensorId> add_constant(ir::Model& model, int subgraph, ir::Tensor tensor, std::vector<uint8_t> data);

// The values of float32 constant `t` (empty for a non-constant).
std::vector<float> float_constant(const ir::Model& model, const ir::Tensor& t);

// The bytes of a vector of plain values, as a buffer holds them.
template <typename T>
std::vector<uint8_t> to_bytes(const std::vector<T>& values) {
  std::vector<uint8_t> bytes(values.size() * sizeof(T));
  if (!bytes.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

// Float32 constant `t` as symmetric int8 weights (zero point 0; the rule of
// kernels/quantize_ref.h): one scale per channel along `axis`, or per tensor
// when axis < 0. InvalidArgument when a weight is not finite.
struct SymmetricWeights {
  std::vector<int8_t> values;
  ir::Quantization quantization;  // scales, zero points 0, axis
};
Expected<SymmetricWeights> quantize_weights_symmetric(const ir::Model& model, const ir::Tensor& t, int32_t axis);

// Inserts `op` so that it runs just before op `before` (graph.ops.size()
// appends). Returns the new op's index; ops from `before` on move up by one.
int insert_op_before(ir::Subgraph& graph, int before, ir::Op op);

// Indices of the ops that read `id` (each op once, in execution order).
std::vector<int> consumers(const ir::Subgraph& graph, ir::TensorId id);
// Index of the op that writes `id`, or -1 (a constant or a subgraph input).
int producer(const ir::Subgraph& graph, ir::TensorId id);

// Gives every op of builtin `builtin`, in all subgraphs, the highest version any
// of them has: the converter writes one operator code per builtin op, with the
// maximum version its ops need (its UpdateOpVersion), so hybrid and float ops of
// one kind share a version.
void unify_op_versions(ir::Model& model, int32_t builtin);

// Constants of equal dtype, shape, quantization and bytes become one tensor in
// every subgraph (the first; ops read it instead of the others), as the
// converter writes them: a layer called twice reads one set of weights.
// Returns how many tensors were merged away.
int share_identical_constants(ir::Model& model);

// Removes the ops at these indices (any order, duplicates ignored).
void remove_ops(ir::Subgraph& graph, std::span<const int> op_indices);

// Removes, in every subgraph, the tensors that no op (input, output,
// intermediate), subgraph input / output list or signature def refers to, and
// renumbers the rest everywhere. Returns how many were removed.
int remove_unused_tensors(ir::Model& model);

// Removes the buffers that no tensor, metadata entry or metadata_buffer entry
// refers to (buffer 0, the empty buffer, always stays) and renumbers the rest
// everywhere. Returns how many were removed.
int remove_unused_buffers(ir::Model& model);

}  // namespace tfc::passes
