// GraphBuilder: how importers make the IR. An importer adds graph inputs,
// constants and ops; each op's output shapes come from the op's own shape rule
// (ops/registry.h), so no importer repeats a shape rule, and an op whose inputs
// are all constants is computed at once by its reference kernel and becomes a
// constant (the converter's constant folding). Tensor names carry where a
// tensor came from (the Keras layer or TensorFlow node), as the converter's do.
// Not here: any file format (importers/keras, importers/savedmodel), writing.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/array.h"
#include "core/status.h"
#include "ir/graph.h"
#include "ops/op_context.h"

namespace tfc::importers {

struct BuilderOptions {
  bool fold_constants = true;  // compute ops whose inputs are all constants
};

class GraphBuilder {
 public:
  explicit GraphBuilder(BuilderOptions options = {});

  // A graph input. `signature` marks dynamic dims with -1 (empty = static).
  ir::TensorId input(std::string name, DType dtype, ir::Shape shape, ir::Shape signature = {});

  // A constant holding `value` (its dtype, shape and bytes; checked).
  Expected<ir::TensorId> constant(std::string name, const Array& value);
  ir::TensorId constant_f32(std::string name, ir::Shape shape, std::vector<float> values);
  ir::TensorId constant_i32(std::string name, ir::Shape shape, std::vector<int32_t> values);

  // Adds op `builtin` (TFLite version `version`) reading `inputs` (kNoTensor
  // for an absent optional input) with `options`. Outputs are named
  // `output_names`; their dtypes are `output_dtypes` (empty: the first input's
  // dtype for each) and their shapes come from the op's shape rule. With every
  // input constant and folding on, the op is computed now and its outputs are
  // constants. Returns the output ids.
  Expected<std::vector<ir::TensorId>> op(int32_t builtin, std::vector<ir::TensorId> inputs,
                                         tflite::BuiltinOptionsUnion options,
                                         std::vector<std::string> output_names,
                                         std::vector<DType> output_dtypes = {}, int32_t version = 1);
  // One-output form of op().
  Expected<ir::TensorId> op1(int32_t builtin, std::vector<ir::TensorId> inputs, tflite::BuiltinOptionsUnion options,
                             std::string output_name, std::optional<DType> output_dtype = {}, int32_t version = 1);

  const ir::Tensor& tensor(ir::TensorId id) const { return graph().tensors.at(static_cast<size_t>(id)); }
  const ir::Shape& shape(ir::TensorId id) const { return tensor(id).shape; }
  DType dtype(ir::TensorId id) const { return tensor(id).dtype; }
  bool is_constant(ir::TensorId id) const;
  std::span<const uint8_t> constant_data(ir::TensorId id) const;
  // The values of a constant (empty when `id` is not a constant of dtype T's size).
  template <typename T>
  std::vector<T> values(ir::TensorId id) const {
    auto bytes = constant_data(id);
    std::vector<T> v(bytes.size() / sizeof(T));
    if (!v.empty()) std::memcpy(v.data(), bytes.data(), v.size() * sizeof(T));
    return v;
  }
  // Renames a tensor (e.g. an output after the op that made it was fused).
  void rename(ir::TensorId id, std::string name);

  // The op that writes `id` (index into the ops), or -1.
  int producer(ir::TensorId id) const;
  ir::Op& op_at(int index) { return graph().ops.at(static_cast<size_t>(index)); }
  int num_ops() const { return static_cast<int>(graph().ops.size()); }
  // Number of ops that read `id` so far (graph outputs not counted).
  int num_consumers(ir::TensorId id) const;

  // Graph outputs, in order, and the signature def's names for inputs/outputs.
  void set_outputs(std::vector<ir::TensorId> outputs);
  void set_signature(std::string key, std::vector<std::string> input_names, std::vector<std::string> output_names);

  // The finished model: tensors and buffers nothing refers to are dropped,
  // one operator code per builtin with the highest version, a signature def.
  Expected<ir::Model> finish();

  ir::Model& model() { return model_; }
  ir::Subgraph& graph() { return model_.subgraphs[0]; }
  const ir::Subgraph& graph() const { return model_.subgraphs[0]; }

 private:
  Expected<std::vector<ir::TensorId>> fold(const ir::Op& op, std::vector<ir::Tensor> outputs);
  // Slots for op's inputs (constants with their values); *all_constant says
  // whether every input's value is known.
  std::vector<ops::TensorSlot*> bind_inputs(const ir::Op& op, std::vector<ops::TensorSlot>& slots,
                                            bool* all_constant) const;
  ir::TensorId plain_constant(std::string name, DType dtype, ir::Shape shape, std::vector<uint8_t> bytes);

  BuilderOptions options_;
  ir::Model model_;
  std::string signature_key_ = "serving_default";
  std::vector<std::string> input_names_, output_names_;
};

// The window of a CONV_2D or DEPTHWISE_CONV_2D (options type T): padding,
// strides and dilations (height, width), as both importers set them.
template <typename T>
T conv_window(tflite::Padding padding, std::pair<int32_t, int32_t> strides, std::pair<int32_t, int32_t> dilations) {
  T o;
  o.padding = padding;
  o.stride_h = strides.first;
  o.stride_w = strides.second;
  o.dilation_h_factor = dilations.first;
  o.dilation_w_factor = dilations.second;
  return o;
}

}  // namespace tfc::importers
