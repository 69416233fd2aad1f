// The graph IR: a model of subgraphs, each a list of tensors and ops that refer
// to tensors by id. Passes, the runtime, the trainer and the TFLite writer all
// work on this. The TFLite flatbuffer is its lossless serialization: every field
// of the format has a home here (op options use the schema's generated object
// types, so each op kind has its typed options struct).
// Not here: file parsing (io/), shape rules and kernels (ops/, kernels/).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "tflite_generated.h"

namespace tfc::ir {

using TensorId = int32_t;            // index into Subgraph::tensors
constexpr TensorId kNoTensor = -1;   // an absent optional op input
using Shape = std::vector<int32_t>;  // row-major dims; images are NHWC

// Quantization of a tensor: real = scale * (q - zero_point), per tensor (one
// scale) or per channel along `axis`; min/max hold the float range observed in
// calibration (or recorded by the converter).
struct Quantization {
  std::vector<float> min, max;
  std::vector<float> scale;
  std::vector<int64_t> zero_point;
  int32_t axis = 0;                       // quantized_dimension
  // Other schemes (custom, blockwise, multi-axis), carried through untouched.
  tflite::QuantizationDetailsUnion details;

  bool is_per_channel() const { return scale.size() > 1; }
  bool empty() const {
    return min.empty() && max.empty() && scale.empty() && zero_point.empty() &&
           details.type == tflite::QuantizationDetails_NONE;
  }
};

struct Tensor {
  std::string name;
  DType dtype = DType::kFloat32;
  Shape shape;
  Shape shape_signature;  // -1 marks a dynamic dim; empty when the file has none
  bool has_rank = false;
  uint32_t buffer = 0;    // index into Model::buffers; 0 is the empty buffer
  bool is_variable = false;
  std::optional<Quantization> quantization;  // present (possibly empty) as in the file
  // TFLite sparse storage (traversal order, block map, per-dim metadata); the
  // constant's buffer then holds only the non-zero values. Immutable, shared.
  std::shared_ptr<const tflite::SparsityParametersT> sparsity;
  std::vector<std::shared_ptr<const tflite::VariantSubTypeT>> variant_tensors;
  uint32_t external_buffer = 0;  // index into Model::external_buffers; 0 = none

  bool is_quantized() const { return quantization && !quantization->scale.empty(); }
};

struct OpCode {
  int32_t builtin = 0;            // tflite::BuiltinOperator
  std::string custom_code;        // for CUSTOM ops
  int32_t version = 1;

  bool is_custom() const { return builtin == tflite::BuiltinOperator_CUSTOM; }
  bool operator==(const OpCode&) const = default;
};

struct Op {
  OpCode code;
  std::vector<TensorId> inputs;   // kNoTensor for an absent optional input
  std::vector<TensorId> outputs;
  std::vector<TensorId> intermediates;
  tflite::BuiltinOptionsUnion options;    // typed options for the op kind
  tflite::BuiltinOptions2Union options2;  // second options union (StableHLO ops)
  std::vector<uint8_t> custom_options;
  int8_t custom_options_format = 0;       // FLEXBUFFERS
  std::vector<bool> mutating_variable_inputs;
  uint64_t large_custom_options_offset = 0;
  uint64_t large_custom_options_size = 0;
  int32_t debug_metadata_index = -1;

  // The op's options as type T (e.g. tflite::Conv2DOptionsT), or nullptr when
  // the op carries options of another type or none.
  template <typename T>
  const T* options_as() const {
    if (options.type != tflite::BuiltinOptionsTraits<typename T::TableType>::enum_value) return nullptr;
    return static_cast<const T*>(options.value);
  }
  template <typename T>
  T* options_as() {
    if (options.type != tflite::BuiltinOptionsTraits<typename T::TableType>::enum_value) return nullptr;
    return static_cast<T*>(options.value);
  }
};

struct Subgraph {
  std::string name;
  std::vector<Tensor> tensors;
  std::vector<TensorId> inputs;
  std::vector<TensorId> outputs;
  std::vector<Op> ops;  // in execution order
  int32_t debug_metadata_index = -1;
};

struct Buffer {
  std::vector<uint8_t> data;
  uint64_t offset = 0;  // data stored outside the flatbuffer (models > 2 GB)
  uint64_t size = 0;
};

struct Metadata {
  std::string name;
  uint32_t buffer = 0;
};

struct TensorMapEntry {
  std::string name;
  uint32_t tensor_index = 0;
};

struct SignatureDef {
  std::string key;
  std::string deprecated_tag;  // an old field of the format, carried through
  uint32_t subgraph_index = 0;
  std::vector<TensorMapEntry> inputs;
  std::vector<TensorMapEntry> outputs;
};

// Weights kept in files beside the model (the format's external buffers).
struct ExternalBuffer {
  uint32_t id = 0;
  uint32_t group = 0;  // index into Model::external_buffer_groups
  uint64_t offset = 0;
  uint64_t length = 0;
  std::string packing;
};

struct Model {
  uint32_t version = 3;
  std::string description;
  std::vector<Subgraph> subgraphs;
  std::vector<Buffer> buffers;  // buffers[0] is empty by convention
  std::vector<Metadata> metadata;
  std::vector<int32_t> metadata_buffer;
  std::vector<SignatureDef> signature_defs;
  std::vector<std::string> external_buffer_groups;
  std::vector<ExternalBuffer> external_buffers;

  // Constant bytes of a tensor (empty span for non-constant tensors).
  std::span<const uint8_t> constant_data(const Tensor& t) const {
    if (t.buffer >= buffers.size()) return {};
    return buffers[t.buffer].data;
  }
  bool is_constant(const Tensor& t) const { return !constant_data(t).empty(); }
};

// Number of elements of a shape (1 for a scalar). Callers validate dims first.
inline int64_t num_elements(std::span<const int32_t> shape) {
  int64_t n = 1;
  for (int32_t d : shape) n *= d;
  return n;
}

// Name of a builtin op code, e.g. "CONV_2D"; custom ops give their custom code.
std::string op_name(const OpCode& code);

}  // namespace tfc::ir
