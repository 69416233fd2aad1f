// quantize, mode fp16 (see passes.h): float32 constants become float16
// constants behind DEQUANTIZE ops, as the TFLite converter writes them for
// supported_types=[tf.float16].
#include <algorithm>
#include <cstring>

#include "kernels/fp16.h"
#include "passes/graph_edit.h"
#include "passes/passes.h"

namespace tfc::passes {
namespace {

// The DEQUANTIZE version the converter writes for a float16 input.
constexpr int32_t kDequantizeFp16Version = 3;

bool is_float_constant(const ir::Model& model, const ir::Tensor& t) {
  return t.dtype == DType::kFloat32 && model.is_constant(t) && !t.sparsity && !t.is_variable && !t.is_quantized();
}

std::vector<uint8_t> to_half_bytes(std::span<const uint8_t> float_bytes) {
  const size_t n = float_bytes.size() / sizeof(float);
  std::vector<uint8_t> out(n * sizeof(uint16_t));
  for (size_t i = 0; i < n; ++i) {
    float f;
    std::memcpy(&f, float_bytes.data() + i * sizeof(float), sizeof(float));
    const uint16_t h = kernels::float_to_half(f);
    std::memcpy(out.data() + i * sizeof(uint16_t), &h, sizeof(uint16_t));
  }
  return out;
}

// Moves constant `id` of subgraph `s` into a new float16 constant and makes a
// new DEQUANTIZE op, placed before the first op that reads `id`, produce it.
Status convert_to_fp16(ir::Model& model, int s, ir::TensorId id, int first_reader) {
  ir::Tensor half;
  {
    const ir::Tensor& t = model.subgraphs[s].tensors[id];
    half.name = t.name + "_fp16";
    half.dtype = DType::kFloat16;
    half.shape = t.shape;
    half.has_rank = t.has_rank;
    half.quantization = t.quantization;  // absent or empty, as on the original
  }
  auto bytes = to_half_bytes(model.constant_data(model.subgraphs[s].tensors[id]));
  TFC_ASSIGN_OR_RETURN(const ir::TensorId half_id, add_constant(model, s, std::move(half), std::move(bytes)));
  ir::Subgraph& g = model.subgraphs[s];
  g.tensors[id].buffer = 0;  // now computed by the DEQUANTIZE op
  ir::Op dequantize;
  dequantize.code = {tflite::BuiltinOperator_DEQUANTIZE, "", kDequantizeFp16Version};
  dequantize.inputs = {half_id};
  dequantize.outputs = {id};
  insert_op_before(g, first_reader, std::move(dequantize));
  return Status::ok();
}

}  // namespace

Status quantize_fp16(ir::Model& model) {
  bool converted = false;
  for (size_t s = 0; s < model.subgraphs.size(); ++s) {
    const ir::Subgraph& g = model.subgraphs[s];  // convert_to_fp16 appends to it
    const auto original_tensors = static_cast<ir::TensorId>(g.tensors.size());
    for (ir::TensorId id = 0; id < original_tensors; ++id) {
      if (!is_float_constant(model, g.tensors[id])) continue;
      if (std::find(g.inputs.begin(), g.inputs.end(), id) != g.inputs.end()) continue;
      const std::vector<int> readers = consumers(g, id);
      if (readers.empty()) continue;
      TFC_RETURN_IF_ERROR(convert_to_fp16(model, static_cast<int>(s), id, readers.front()));
      converted = true;
    }
  }
  if (converted) unify_op_versions(model, tflite::BuiltinOperator_DEQUANTIZE);
  remove_unused_buffers(model);
  return Status::ok();
}

}  // namespace tfc::passes
