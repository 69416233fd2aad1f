// Serializes the graph IR with the schema's generated builders (see
// tflite_writer.h). Operator codes are numbered in order of first use; buffers,
// tensors and ops keep their IR order.
#include "io/tflite_writer.h"

#include <map>

#include <flatbuffers/flatbuffers.h>

#include "io/file_util.h"
#include "ir/verify.h"

namespace tfc::io {
namespace {

using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

template <typename T>
auto vec_or_null(FlatBufferBuilder& fbb, const std::vector<T>& v) -> flatbuffers::Offset<flatbuffers::Vector<T>> {
  return v.empty() ? 0 : fbb.CreateVector(v);
}
Offset<flatbuffers::String> str_or_null(FlatBufferBuilder& fbb, const std::string& s) {
  return s.empty() ? 0 : fbb.CreateString(s);
}

Offset<tflite::QuantizationParameters> write_quantization(FlatBufferBuilder& fbb, const ir::Quantization& q) {
  auto min = vec_or_null(fbb, q.min);
  auto max = vec_or_null(fbb, q.max);
  auto scale = vec_or_null(fbb, q.scale);
  auto zero_point = vec_or_null(fbb, q.zero_point);
  auto details = q.details.Pack(fbb);
  tflite::QuantizationParametersBuilder b(fbb);
  b.add_min(min);
  b.add_max(max);
  b.add_scale(scale);
  b.add_zero_point(zero_point);
  b.add_details_type(q.details.type);
  b.add_details(details);
  b.add_quantized_dimension(q.axis);
  return b.Finish();
}

Offset<tflite::Tensor> write_tensor(FlatBufferBuilder& fbb, const ir::Tensor& t) {
  auto shape = fbb.CreateVector(t.shape);  // always present: an empty shape is a scalar
  auto name = str_or_null(fbb, t.name);
  Offset<tflite::QuantizationParameters> quant = t.quantization ? write_quantization(fbb, *t.quantization) : 0;
  Offset<tflite::SparsityParameters> sparsity =
      t.sparsity ? tflite::CreateSparsityParameters(fbb, t.sparsity.get()) : 0;
  auto signature = vec_or_null(fbb, t.shape_signature);
  Offset<flatbuffers::Vector<Offset<tflite::VariantSubType>>> variants = 0;
  if (!t.variant_tensors.empty()) {
    std::vector<Offset<tflite::VariantSubType>> v;
    for (const auto& vt : t.variant_tensors) v.push_back(tflite::CreateVariantSubType(fbb, vt.get()));
    variants = fbb.CreateVector(v);
  }
  tflite::TensorBuilder b(fbb);
  b.add_shape(shape);
  b.add_type(static_cast<tflite::TensorType>(t.dtype));
  b.add_buffer(t.buffer);
  b.add_name(name);
  b.add_quantization(quant);
  b.add_is_variable(t.is_variable);
  b.add_sparsity(sparsity);
  b.add_shape_signature(signature);
  b.add_has_rank(t.has_rank);
  b.add_variant_tensors(variants);
  b.add_external_buffer(t.external_buffer);
  return b.Finish();
}

Offset<tflite::Operator> write_op(FlatBufferBuilder& fbb, const ir::Op& op, uint32_t opcode_index) {
  auto inputs = fbb.CreateVector(op.inputs);  // always present, as LiteRT expects
  auto outputs = fbb.CreateVector(op.outputs);
  auto options = op.options.Pack(fbb);
  auto custom = vec_or_null(fbb, op.custom_options);
  Offset<flatbuffers::Vector<uint8_t>> mutating = 0;
  if (!op.mutating_variable_inputs.empty()) {
    std::vector<uint8_t> m(op.mutating_variable_inputs.begin(), op.mutating_variable_inputs.end());
    mutating = fbb.CreateVector(m);
  }
  auto intermediates = vec_or_null(fbb, op.intermediates);
  auto options2 = op.options2.Pack(fbb);
  tflite::OperatorBuilder b(fbb);
  b.add_opcode_index(opcode_index);
  b.add_inputs(inputs);
  b.add_outputs(outputs);
  b.add_builtin_options_type(op.options.type);
  b.add_builtin_options(options);
  b.add_custom_options(custom);
  b.add_custom_options_format(static_cast<tflite::CustomOptionsFormat>(op.custom_options_format));
  b.add_mutating_variable_inputs(mutating);
  b.add_intermediates(intermediates);
  b.add_large_custom_options_offset(op.large_custom_options_offset);
  b.add_large_custom_options_size(op.large_custom_options_size);
  b.add_builtin_options_2_type(op.options2.type);
  b.add_builtin_options_2(options2);
  b.add_debug_metadata_index(op.debug_metadata_index);
  return b.Finish();
}

// Operator-code table in order of first use across subgraphs.
std::vector<ir::OpCode> collect_opcodes(const ir::Model& m) {
  std::vector<ir::OpCode> codes;
  for (const auto& g : m.subgraphs) {
    for (const auto& op : g.ops) {
      if (std::find(codes.begin(), codes.end(), op.code) == codes.end()) codes.push_back(op.code);
    }
  }
  return codes;
}

Offset<tflite::SubGraph> write_subgraph(FlatBufferBuilder& fbb, const ir::Subgraph& g,
                                        const std::vector<ir::OpCode>& codes) {
  std::vector<Offset<tflite::Tensor>> tensors;
  for (const auto& t : g.tensors) tensors.push_back(write_tensor(fbb, t));
  std::vector<Offset<tflite::Operator>> ops;
  for (const auto& op : g.ops) {
    const auto index = std::find(codes.begin(), codes.end(), op.code) - codes.begin();
    ops.push_back(write_op(fbb, op, static_cast<uint32_t>(index)));
  }
  auto tensors_v = fbb.CreateVector(tensors);
  auto inputs = fbb.CreateVector(g.inputs);
  auto outputs = fbb.CreateVector(g.outputs);
  auto ops_v = fbb.CreateVector(ops);
  auto name = str_or_null(fbb, g.name);
  tflite::SubGraphBuilder b(fbb);
  b.add_tensors(tensors_v);
  b.add_inputs(inputs);
  b.add_outputs(outputs);
  b.add_operators(ops_v);
  b.add_name(name);
  b.add_debug_metadata_index(g.debug_metadata_index);
  return b.Finish();
}

Offset<tflite::Buffer> write_buffer(FlatBufferBuilder& fbb, const ir::Buffer& buf) {
  Offset<flatbuffers::Vector<uint8_t>> data = 0;
  if (!buf.data.empty()) {
    fbb.ForceVectorAlignment(buf.data.size(), sizeof(uint8_t), 16);
    data = fbb.CreateVector(buf.data);
  }
  tflite::BufferBuilder b(fbb);
  b.add_data(data);
  return b.Finish();
}

Offset<tflite::SignatureDef> write_signature(FlatBufferBuilder& fbb, const ir::SignatureDef& sd) {
  auto maps = [&](const std::vector<ir::TensorMapEntry>& entries) {
    std::vector<Offset<tflite::TensorMap>> v;
    for (const auto& e : entries) v.push_back(tflite::CreateTensorMap(fbb, fbb.CreateString(e.name), e.tensor_index));
    return fbb.CreateVector(v);
  };
  auto inputs = maps(sd.inputs);
  auto outputs = maps(sd.outputs);
  auto key = str_or_null(fbb, sd.key);
  auto tag = str_or_null(fbb, sd.deprecated_tag);
  tflite::SignatureDefBuilder b(fbb);
  b.add_inputs(inputs);
  b.add_outputs(outputs);
  b.add_signature_key(key);
  b.add_deprecated_tag(tag);
  b.add_subgraph_index(sd.subgraph_index);
  return b.Finish();
}

}  // namespace

Expected<std::vector<uint8_t>> serialize_tflite(const ir::Model& m) {
  TFC_RETURN_IF_ERROR(verify_model(m));
  size_t total = 0;
  for (const auto& b : m.buffers) total += b.data.size();
  if (total >= (size_t{1} << 31) - (size_t{64} << 20)) {
    return unsupported("model constants take {} bytes; files over 2 GiB are not supported yet", total);
  }
  FlatBufferBuilder fbb(total + (size_t{1} << 16));
  const auto codes = collect_opcodes(m);
  std::vector<Offset<tflite::OperatorCode>> code_offsets;
  for (const auto& c : codes) {
    auto custom = str_or_null(fbb, c.custom_code);
    const int8_t deprecated = static_cast<int8_t>(std::min<int32_t>(c.builtin, 127));
    code_offsets.push_back(tflite::CreateOperatorCode(fbb, deprecated, custom, c.version,
                                                      static_cast<tflite::BuiltinOperator>(c.builtin)));
  }
  std::vector<Offset<tflite::SubGraph>> subgraphs;
  for (const auto& g : m.subgraphs) subgraphs.push_back(write_subgraph(fbb, g, codes));
  std::vector<Offset<tflite::Buffer>> buffers;
  for (const auto& b : m.buffers) buffers.push_back(write_buffer(fbb, b));
  std::vector<Offset<tflite::Metadata>> metadata;
  for (const auto& md : m.metadata) metadata.push_back(tflite::CreateMetadata(fbb, fbb.CreateString(md.name), md.buffer));
  std::vector<Offset<tflite::SignatureDef>> signatures;
  for (const auto& sd : m.signature_defs) signatures.push_back(write_signature(fbb, sd));

  auto codes_v = fbb.CreateVector(code_offsets);
  auto subgraphs_v = fbb.CreateVector(subgraphs);
  auto description = str_or_null(fbb, m.description);
  auto buffers_v = fbb.CreateVector(buffers);
  auto metadata_buffer = vec_or_null(fbb, m.metadata_buffer);
  auto metadata_v = metadata.empty() ? 0 : fbb.CreateVector(metadata);
  auto signatures_v = signatures.empty() ? 0 : fbb.CreateVector(signatures);
  std::vector<Offset<tflite::ExternalBufferGroup>> groups;
  for (const auto& g : m.external_buffer_groups) groups.push_back(tflite::CreateExternalBufferGroup(fbb, str_or_null(fbb, g)));
  std::vector<Offset<tflite::ExternalBuffer>> externals;
  for (const auto& e : m.external_buffers) {
    externals.push_back(tflite::CreateExternalBuffer(fbb, e.id, e.group, e.offset, e.length, str_or_null(fbb, e.packing)));
  }
  auto groups_v = groups.empty() ? 0 : fbb.CreateVector(groups);
  auto externals_v = externals.empty() ? 0 : fbb.CreateVector(externals);
  tflite::ModelBuilder b(fbb);
  b.add_version(m.version);
  b.add_operator_codes(codes_v);
  b.add_subgraphs(subgraphs_v);
  b.add_description(description);
  b.add_buffers(buffers_v);
  b.add_metadata_buffer(metadata_buffer);
  b.add_metadata(metadata_v);
  b.add_signature_defs(signatures_v);
  b.add_external_buffer_groups(groups_v);
  b.add_external_buffers(externals_v);
  tflite::FinishModelBuffer(fbb, b.Finish());
  return std::vector<uint8_t>(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
}

Status write_tflite(const std::string& path, const ir::Model& model) {
  TFC_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, serialize_tflite(model));
  return write_file_durable(path, bytes).with_context("writing model");
}

}  // namespace tfc::io
