// TFLite flatbuffer -> graph IR. Verifies the flatbuffer, unpacks it with the
// schema's object API, moves every field into the IR, then checks what the
// verifier cannot: indices in range, sane shapes, buffer sizes that match.
#include "io/tflite_reader.h"

#include <flatbuffers/flatbuffers.h>

#include <limits>

#include "io/file_util.h"
#include "ir/verify.h"

namespace tfc::io {
namespace {

constexpr size_t kMaxFlatbufferSize = size_t{1} << 31;  // the format's 2 GiB limit

ir::Quantization convert_quantization(tflite::QuantizationParametersT& q) {
  ir::Quantization out;
  out.min = std::move(q.min);
  out.max = std::move(q.max);
  out.scale = std::move(q.scale);
  out.zero_point = std::move(q.zero_point);
  out.axis = q.quantized_dimension;
  out.details = std::move(q.details);
  return out;
}

ir::Tensor convert_tensor(tflite::TensorT& t) {
  ir::Tensor out;
  out.name = std::move(t.name);
  out.dtype = static_cast<DType>(t.type);
  out.shape = std::move(t.shape);
  out.shape_signature = std::move(t.shape_signature);
  out.has_rank = t.has_rank;
  out.buffer = t.buffer;
  out.is_variable = t.is_variable;
  if (t.quantization) out.quantization = convert_quantization(*t.quantization);
  if (t.sparsity) out.sparsity = std::shared_ptr<const tflite::SparsityParametersT>(t.sparsity.release());
  for (auto& v : t.variant_tensors) out.variant_tensors.emplace_back(v.release());
  out.external_buffer = t.external_buffer;
  return out;
}

Expected<ir::Op> convert_op(tflite::OperatorT& o, const std::vector<ir::OpCode>& codes, size_t index) {
  if (o.opcode_index >= codes.size()) {
    return invalid_argument("operator {} refers to operator code {}, but the model has {}", index, o.opcode_index,
                            codes.size());
  }
  ir::Op op;
  op.code = codes[o.opcode_index];
  op.inputs = std::move(o.inputs);
  op.outputs = std::move(o.outputs);
  op.intermediates = std::move(o.intermediates);
  op.options = std::move(o.builtin_options);
  op.options2 = std::move(o.builtin_options_2);
  // A union whose type names options the file does not hold (a damaged file)
  // has no options: keeping the type would make the writer dereference null.
  if (op.options.type != tflite::BuiltinOptions_NONE && op.options.value == nullptr) op.options.Reset();
  if (op.options2.type != tflite::BuiltinOptions2_NONE && op.options2.value == nullptr) op.options2.Reset();
  op.custom_options = std::move(o.custom_options);
  op.custom_options_format = static_cast<int8_t>(o.custom_options_format);
  op.mutating_variable_inputs = std::move(o.mutating_variable_inputs);
  op.large_custom_options_offset = o.large_custom_options_offset;
  op.large_custom_options_size = o.large_custom_options_size;
  op.debug_metadata_index = o.debug_metadata_index;
  return op;
}

// The format keeps the builtin code in two fields (an old 8-bit one and a
// 32-bit one); the effective code is the larger of the two.
ir::OpCode convert_opcode(const tflite::OperatorCodeT& c) {
  ir::OpCode code;
  code.builtin = std::max<int32_t>(c.builtin_code, c.deprecated_builtin_code);
  code.custom_code = c.custom_code;
  code.version = c.version;
  return code;
}

// Buffers stored after the flatbuffer (offset/size) are read into memory.
Status load_buffer(tflite::BufferT& b, std::span<const uint8_t> file, size_t index, ir::Buffer& out) {
  out.data = std::move(b.data);
  if (b.offset > 1) {
    if (b.size > file.size() || b.offset > file.size() - b.size) {
      return invalid_argument("buffer {} points at bytes {}..{} past the end of the file ({} bytes)", index, b.offset,
                              b.offset + b.size, file.size());
    }
    out.data.assign(file.begin() + static_cast<ptrdiff_t>(b.offset),
                    file.begin() + static_cast<ptrdiff_t>(b.offset + b.size));
  }
  return Status::ok();
}

Expected<ir::Model> convert_model(tflite::ModelT& m, std::span<const uint8_t> file) {
  ir::Model model;
  model.version = m.version;
  model.description = std::move(m.description);
  std::vector<ir::OpCode> codes;
  for (auto& c : m.operator_codes) codes.push_back(convert_opcode(*c));
  model.buffers.resize(m.buffers.size());
  for (size_t i = 0; i < m.buffers.size(); ++i) {
    TFC_RETURN_IF_ERROR(load_buffer(*m.buffers[i], file, i, model.buffers[i]));
  }
  for (auto& sg : m.subgraphs) {
    ir::Subgraph g;
    g.name = std::move(sg->name);
    g.inputs = std::move(sg->inputs);
    g.outputs = std::move(sg->outputs);
    g.debug_metadata_index = sg->debug_metadata_index;
    for (auto& t : sg->tensors) g.tensors.push_back(convert_tensor(*t));
    for (size_t i = 0; i < sg->operators.size(); ++i) {
      TFC_ASSIGN_OR_RETURN(ir::Op op, convert_op(*sg->operators[i], codes, i));
      g.ops.push_back(std::move(op));
    }
    model.subgraphs.push_back(std::move(g));
  }
  for (auto& md : m.metadata) model.metadata.push_back({std::move(md->name), md->buffer});
  model.metadata_buffer = std::move(m.metadata_buffer);
  for (auto& sd : m.signature_defs) {
    ir::SignatureDef def;
    def.key = std::move(sd->signature_key);
    def.deprecated_tag = std::move(sd->deprecated_tag);
    def.subgraph_index = sd->subgraph_index;
    for (auto& t : sd->inputs) def.inputs.push_back({std::move(t->name), t->tensor_index});
    for (auto& t : sd->outputs) def.outputs.push_back({std::move(t->name), t->tensor_index});
    model.signature_defs.push_back(std::move(def));
  }
  for (auto& g : m.external_buffer_groups) model.external_buffer_groups.push_back(std::move(g->name));
  for (auto& e : m.external_buffers) {
    model.external_buffers.push_back({e->id, e->group, e->offset, e->length, std::move(e->packing)});
  }
  return model;
}

}  // namespace

Expected<ir::Model> parse_tflite(std::span<const uint8_t> bytes) {
  if (bytes.size() < 8) return invalid_argument("not a TFLite model: only {} bytes", bytes.size());
  const size_t fb_size = std::min(bytes.size(), kMaxFlatbufferSize - 1);
  const uint8_t* data = bytes.data();
  if (!flatbuffers::BufferHasIdentifier(data, tflite::ModelIdentifier())) {
    return invalid_argument("not a TFLite model: file identifier is not '{}'", tflite::ModelIdentifier());
  }
  // Alignment is not checked: converter output is not always aligned, and the
  // object API copies every value out.
  flatbuffers::Verifier verifier(data, fb_size, /*max_depth=*/128, /*max_tables=*/100'000'000,
                                 /*check_alignment=*/false);
  if (!tflite::VerifyModelBuffer(verifier)) {
    return invalid_argument("corrupt TFLite model: the flatbuffer verifier rejected it (bad offsets or truncated)");
  }
  std::unique_ptr<tflite::ModelT> unpacked(tflite::GetModel(data)->UnPack());
  TFC_ASSIGN_OR_RETURN(ir::Model model, convert_model(*unpacked, bytes));
  TFC_RETURN_IF_ERROR(ir::verify_model(model));
  return model;
}

Expected<ir::Model> read_tflite(const std::string& path) {
  TFC_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, read_file(path));
  auto model = parse_tflite(bytes);
  if (!model) return model.status().with_context(path);
  return model;
}

}  // namespace tfc::io
