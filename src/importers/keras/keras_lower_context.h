// What a Keras layer lowering sees: the GraphBuilder, the layer (config and
// weights), its input tensors, and helpers that read config values, check a
// weight's shape against the config before use, and name tensors as the
// converter does ("model/layer/Op"). One lowering function per layer class,
// registered in the table in keras_lower_table.cc.
// Not here: the walk over the model (keras_lower.cc).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "importers/graph_builder.h"
#include "importers/keras/keras_model.h"
#include "importers/training_state.h"

namespace tfc::importers::keras {

struct LowerContext {
  GraphBuilder& b;
  TrainingState& training;
  const Layer& layer;
  const LayerCall& call;
  std::string scope;  // "model/layer": the prefix of the tensors this layer makes
  int keras_version = 3;
  bool for_training = false;  // ImportOptions::training: keep zero biases / betas as trainable constants

  // "scope/op": a tensor name.
  std::string name(const std::string& op) const { return scope + "/" + op; }

  // Config values (a missing or null key gives the fallback; a wrong type is InvalidArgument).
  Expected<int> get_int(const char* key, int fallback) const;
  Expected<float> get_float(const char* key, float fallback) const;
  Expected<bool> get_bool(const char* key, bool fallback) const;
  Expected<std::string> get_string(const char* key, const std::string& fallback) const;
  // A list of ints, or one int repeated `n` times (kernel_size: 3 -> {3, 3}).
  Expected<std::vector<int>> get_ints(const char* key, size_t n, int fallback) const;
  // The layer's "activation" name ("linear" when absent).
  Expected<std::string> activation() const;
  // data_format must be channels_last (Unsupported otherwise).
  Status require_channels_last() const;

  // Weight `index` ("kernel", "bias"...), float32 with shape `expected`: InvalidArgument otherwise.
  Expected<const Array*> weight(size_t index, const char* what, const std::vector<int64_t>& expected) const;
  // The layer must hold exactly `n` weights.
  Status expect_weights(size_t n) const;
  // A constant from a weight (recorded as trainable).
  Expected<ir::TensorId> trainable_constant(const std::string& name, const Array& value);

  // Errors naming the layer.
  template <typename... Args>
  Status invalid(fmt::format_string<Args...> f, Args&&... args) const {
    return invalid_argument("layer '{}' ({}): {}", layer.name, layer.class_name,
                            fmt::format(f, std::forward<Args>(args)...));
  }
  template <typename... Args>
  Status refuse(fmt::format_string<Args...> f, Args&&... args) const {
    return unsupported("layer '{}' ({}): {}", layer.name, layer.class_name, fmt::format(f, std::forward<Args>(args)...));
  }
};

// A lowering: the layer's output tensors from its input tensors.
using LowerFn = Expected<std::vector<ir::TensorId>> (*)(LowerContext&, const std::vector<ir::TensorId>&);

// The lowering of a layer class, or nullptr (keras_lower_table.cc).
LowerFn find_lowering(const std::string& class_name);

// Options union holding `o`.
template <typename T>
tflite::BuiltinOptionsUnion options(T o) {
  tflite::BuiltinOptionsUnion u;
  u.Set(std::move(o));
  return u;
}

// Small IR helpers shared by the lowerings (keras_lower_util.cc).
// x `op` (ADD, SUB, MUL, DIV, ...) a constant of `shape` holding `k`.
Expected<ir::TensorId> binary_const(LowerContext& c, int32_t op, ir::TensorId x, std::vector<float> k, ir::Shape shape,
                                    const std::string& op_name);
// x * k and x + k; skipped (x returned) when the constant is the identity.
Expected<ir::TensorId> mul_const(LowerContext& c, ir::TensorId x, std::vector<float> k, ir::Shape shape,
                                 const std::string& op_name);
Expected<ir::TensorId> add_const(LowerContext& c, ir::TensorId x, std::vector<float> k, ir::Shape shape,
                                 const std::string& op_name);
Expected<ir::TensorId> reshape(LowerContext& c, ir::TensorId x, ir::Shape shape, const std::string& op_name);
// The input of the RESHAPE that ends a 1-D conv (EXPAND_DIMS, CONV_2D, RESHAPE) making `x`, when x is
// read by nothing else: channel-wise ops (batch norm, activations) go before that RESHAPE, where the
// converter folds and fuses them into the conv.
std::optional<ir::TensorId> before_squeeze(LowerContext& c, ir::TensorId x);
// `f(x)` for a channel-wise `f`, applied before a 1-D conv's trailing RESHAPE when there is one.
template <typename F>
Expected<ir::TensorId> channelwise(LowerContext& c, ir::TensorId x, F&& f) {
  const auto pre = before_squeeze(c, x);
  if (!pre) return f(x);
  const ir::Shape shape = c.b.shape(x);
  TFC_ASSIGN_OR_RETURN(ir::TensorId y, f(*pre));
  return reshape(c, y, shape, "Squeeze");
}
// Applies a Keras activation by name ("relu", "gelu", ...) as standalone ops.
Expected<ir::TensorId> apply_activation(LowerContext& c, ir::TensorId x, const std::string& activation);
bool is_known_activation(const std::string& activation);
// Float32 values of an Array.
std::vector<float> float_values(const Array& a);
// Keras "padding": "valid" | "same" -> TFLite Padding (Unsupported for others).
Expected<tflite::Padding> padding_of(const LowerContext& c, const std::string& padding);
// A rank-`rank` axis (negative counts from the end) checked to be in range.
Expected<int> normalize_axis(const LowerContext& c, int axis, size_t rank);

}  // namespace tfc::importers::keras
