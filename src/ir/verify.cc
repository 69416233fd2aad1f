// Structural verification of the IR (see verify.h).
#include "ir/verify.h"

#include <fmt/ranges.h>

#include "ir/sparsity.h"

namespace tfc::ir {
namespace {

constexpr int kMaxRank = 16;

Status check_tensor_ids(const Subgraph& g, size_t sg_index, std::span<const TensorId> ids, bool allow_absent,
                        const std::string& where) {
  for (TensorId id : ids) {
    if (id == kNoTensor && allow_absent) continue;
    if (id < 0 || static_cast<size_t>(id) >= g.tensors.size()) {
      return invalid_argument("subgraph {}: {} refers to tensor {}, but the subgraph has {} tensors", sg_index, where,
                              id, g.tensors.size());
    }
  }
  return Status::ok();
}

Status check_tensor(const Model& m, const Tensor& t, size_t sg_index, size_t index) {
  const auto where = [&] { return fmt::format("subgraph {}, tensor {} ('{}')", sg_index, index, t.name); };
  if (!dtype_is_known(static_cast<int>(t.dtype))) {
    return invalid_argument("{}: unknown dtype code {}", where(), static_cast<int>(t.dtype));
  }
  if (t.shape.size() > kMaxRank) return invalid_argument("{}: rank {} exceeds {}", where(), t.shape.size(), kMaxRank);
  if (t.buffer >= m.buffers.size()) {
    return invalid_argument("{}: buffer index {} out of range ({} buffers)", where(), t.buffer, m.buffers.size());
  }
  auto bytes = dense_byte_size(t.dtype, t.shape);
  if (!bytes && dtype_size(t.dtype) != 0) return bytes.status().with_context(where());
  const auto& data = m.buffers[t.buffer].data;
  if (!data.empty() && !t.sparsity && bytes && dtype_size(t.dtype) != 0 &&
      static_cast<int64_t>(data.size()) != *bytes) {
    return invalid_argument("{}: constant has {} bytes but dtype {} and shape [{}] need {}", where(), data.size(),
                            dtype_name(t.dtype), fmt::join(t.shape, ","), *bytes);
  }
  if (!data.empty() && t.sparsity) TFC_RETURN_IF_ERROR(check_sparse_constant(t, data));
  if (t.quantization) {
    const auto& q = *t.quantization;
    if (!q.zero_point.empty() && q.zero_point.size() != q.scale.size()) {
      return invalid_argument("{}: {} scales but {} zero points", where(), q.scale.size(), q.zero_point.size());
    }
    if (q.scale.size() > 1 && (q.axis < 0 || static_cast<size_t>(q.axis) >= t.shape.size() ||
                               t.shape[q.axis] != static_cast<int32_t>(q.scale.size()))) {
      return invalid_argument("{}: {} per-channel scales do not match dim {} of shape [{}]", where(), q.scale.size(),
                              q.axis, fmt::join(t.shape, ","));
    }
  }
  return Status::ok();
}

Status check_subgraph(const Model& m, const Subgraph& g, size_t sg_index) {
  for (size_t i = 0; i < g.tensors.size(); ++i) TFC_RETURN_IF_ERROR(check_tensor(m, g.tensors[i], sg_index, i));
  TFC_RETURN_IF_ERROR(check_tensor_ids(g, sg_index, g.inputs, false, "its input list"));
  TFC_RETURN_IF_ERROR(check_tensor_ids(g, sg_index, g.outputs, false, "its output list"));
  for (size_t i = 0; i < g.ops.size(); ++i) {
    const Op& op = g.ops[i];
    const std::string where = fmt::format("op {} ({})", i, op_name(op.code));
    TFC_RETURN_IF_ERROR(check_tensor_ids(g, sg_index, op.inputs, true, where + " input"));
    TFC_RETURN_IF_ERROR(check_tensor_ids(g, sg_index, op.outputs, false, where + " output"));
    TFC_RETURN_IF_ERROR(check_tensor_ids(g, sg_index, op.intermediates, true, where + " intermediate"));
  }
  return Status::ok();
}

}  // namespace

Expected<int64_t> dense_byte_size(DType dtype, std::span<const int32_t> shape) {
  int64_t count = 1;
  for (int32_t d : shape) {
    if (d < 0) return invalid_argument("negative dimension {} in a static shape", d);
    if (__builtin_mul_overflow(count, static_cast<int64_t>(d), &count) || count > (int64_t{1} << 40)) {
      return invalid_argument("shape [{}] has too many elements", fmt::join(shape, ","));
    }
  }
  if (dtype == DType::kInt4 || dtype == DType::kUInt4) return (count + 1) / 2;
  if (dtype == DType::kInt2) return (count + 3) / 4;
  const int64_t size = static_cast<int64_t>(dtype_size(dtype));
  if (size == 0) return unsupported("dtype {} has no fixed element size", dtype_name(dtype));
  return count * size;
}

Status verify_model(const Model& m) {
  if (m.subgraphs.empty()) return invalid_argument("the model has no subgraphs");
  for (size_t i = 0; i < m.subgraphs.size(); ++i) TFC_RETURN_IF_ERROR(check_subgraph(m, m.subgraphs[i], i));
  for (const auto& md : m.metadata) {
    if (md.buffer >= m.buffers.size()) {
      return invalid_argument("metadata '{}' refers to buffer {}, but the model has {}", md.name, md.buffer,
                              m.buffers.size());
    }
  }
  for (int32_t b : m.metadata_buffer) {
    if (b < 0 || static_cast<size_t>(b) >= m.buffers.size()) {
      return invalid_argument("metadata_buffer entry {} out of range ({} buffers)", b, m.buffers.size());
    }
  }
  for (const auto& sd : m.signature_defs) {
    if (sd.subgraph_index >= m.subgraphs.size()) {
      return invalid_argument("signature '{}' refers to subgraph {}, but the model has {}", sd.key, sd.subgraph_index,
                              m.subgraphs.size());
    }
    const auto& g = m.subgraphs[sd.subgraph_index];
    for (const auto* list : {&sd.inputs, &sd.outputs}) {
      for (const auto& e : *list) {
        if (e.tensor_index >= g.tensors.size()) {
          return invalid_argument("signature '{}' entry '{}' refers to tensor {} out of range", sd.key, e.name,
                                  e.tensor_index);
        }
      }
    }
  }
  return Status::ok();
}

std::string op_name(const OpCode& code) {
  if (code.is_custom()) return code.custom_code.empty() ? std::string("CUSTOM") : code.custom_code;
  if (code.builtin < tflite::BuiltinOperator_MIN || code.builtin > tflite::BuiltinOperator_MAX) {
    return fmt::format("BUILTIN_{}", code.builtin);
  }
  const char* name = tflite::EnumNameBuiltinOperator(static_cast<tflite::BuiltinOperator>(code.builtin));
  return name && *name ? std::string(name) : fmt::format("BUILTIN_{}", code.builtin);
}

}  // namespace tfc::ir
