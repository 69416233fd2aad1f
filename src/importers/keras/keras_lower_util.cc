// The helpers every Keras layer lowering shares (keras_lower_context.h):
// config readers, weight checks, constant arithmetic that skips identities as
// the converter's constant folding does, and the Keras activations as TFLite
// ops (the converter's patterns: swish = LOGISTIC + MUL, softplus = log(exp + 1),
// selu through SELECT_V2, Keras 3 hard_sigmoid = relu6(x + 3) / 6).
// Not here: the layer table (keras_lower_table.cc).
#include <cmath>

#include "importers/keras/keras_lower_context.h"

namespace tfc::importers::keras {

using tflite::BuiltinOperator;
using json = nlohmann::json;

namespace {

const json* config_value(const Layer& layer, const char* key) {
  if (!layer.config.contains(key) || layer.config[key].is_null()) return nullptr;
  return &layer.config[key];
}

std::string shape_str(const std::vector<int64_t>& s) { return fmt::format("[{}]", fmt::join(s, ", ")); }

}  // namespace

Expected<int> LowerContext::get_int(const char* key, int fallback) const {
  const json* v = config_value(layer, key);
  if (!v) return fallback;
  if (v->is_array() && v->size() == 1) v = &(*v)[0];
  if (!v->is_number_integer()) return invalid("config '{}' is not an integer: {}", key, v->dump());
  return v->get<int>();
}

Expected<float> LowerContext::get_float(const char* key, float fallback) const {
  const json* v = config_value(layer, key);
  if (!v) return fallback;
  if (!v->is_number()) return invalid("config '{}' is not a number: {}", key, v->dump());
  return v->get<float>();
}

Expected<bool> LowerContext::get_bool(const char* key, bool fallback) const {
  const json* v = config_value(layer, key);
  if (!v) return fallback;
  if (!v->is_boolean()) return invalid("config '{}' is not a boolean: {}", key, v->dump());
  return v->get<bool>();
}

Expected<std::string> LowerContext::get_string(const char* key, const std::string& fallback) const {
  const json* v = config_value(layer, key);
  if (!v) return fallback;
  if (!v->is_string()) return invalid("config '{}' is not a string: {}", key, v->dump());
  return v->get<std::string>();
}

Expected<std::vector<int>> LowerContext::get_ints(const char* key, size_t n, int fallback) const {
  const json* v = config_value(layer, key);
  if (!v) return std::vector<int>(n, fallback);
  if (v->is_number_integer()) return std::vector<int>(n, v->get<int>());
  if (!v->is_array() || v->size() != n) return invalid("config '{}' is not {} integers: {}", key, n, v->dump());
  std::vector<int> out;
  for (const auto& e : *v) {
    if (!e.is_number_integer()) return invalid("config '{}' is not {} integers: {}", key, n, v->dump());
    out.push_back(e.get<int>());
  }
  return out;
}

Expected<std::string> LowerContext::activation() const {
  const json* v = config_value(layer, "activation");
  if (!v) return std::string("linear");
  // Keras 3 may serialize a built-in activation as {"class_name": "function", "config": "relu"}.
  if (v->is_object() && v->contains("config") && (*v)["config"].is_string()) return (*v)["config"].get<std::string>();
  if (!v->is_string()) return invalid("activation {} is not a built-in Keras activation", v->dump());
  return v->get<std::string>();
}

Status LowerContext::require_channels_last() const {
  TFC_ASSIGN_OR_RETURN(std::string f, get_string("data_format", "channels_last"));
  if (f != "channels_last") return refuse("data_format '{}' is not supported (only channels_last)", f);
  return Status::ok();
}

Status LowerContext::expect_weights(size_t n) const {
  if (layer.weights.size() != n) return invalid("expected {} weight arrays from its config, found {}", n, layer.weights.size());
  return Status::ok();
}

Expected<const Array*> LowerContext::weight(size_t index, const char* what, const std::vector<int64_t>& expected) const {
  if (index >= layer.weights.size()) {
    return invalid("weight '{}' (variable {}) is missing: the layer holds {} weight arrays", what, index,
                   layer.weights.size());
  }
  const Array& a = layer.weights[index];
  if (a.dtype != DType::kFloat32) return unsupported("layer '{}': weight '{}' has dtype {} (float32 expected)", layer.name, what, dtype_name(a.dtype));
  if (a.shape != expected) {
    return invalid("weight '{}' has shape {}, but the config gives {}", what, shape_str(a.shape), shape_str(expected));
  }
  return &a;
}

Expected<ir::TensorId> LowerContext::trainable_constant(const std::string& tensor_name, const Array& value) {
  TFC_ASSIGN_OR_RETURN(ir::TensorId id, b.constant(tensor_name, value));
  training.trainable.push_back(tensor_name);
  return id;
}

std::vector<float> float_values(const Array& a) {
  std::vector<float> v(static_cast<size_t>(a.num_elements()));
  if (!v.empty() && a.data.size() == v.size() * sizeof(float)) std::memcpy(v.data(), a.data.data(), a.data.size());
  return v;
}

Expected<tflite::Padding> padding_of(const LowerContext& c, const std::string& padding) {
  if (padding == "valid") return tflite::Padding_VALID;
  if (padding == "same") return tflite::Padding_SAME;
  return c.refuse("padding '{}' is not supported here", padding);
}

Expected<int> normalize_axis(const LowerContext& c, int axis, size_t rank) {
  const int r = static_cast<int>(rank);
  if (axis < -r || axis >= r) return c.invalid("axis {} is out of range for rank {}", axis, rank);
  return axis < 0 ? axis + r : axis;
}

Expected<ir::TensorId> binary_const(LowerContext& c, int32_t op, ir::TensorId x, std::vector<float> k, ir::Shape shape,
                                    const std::string& op_name) {
  ir::TensorId kt = c.b.constant_f32(c.name(op_name) + "/y", std::move(shape), std::move(k));
  tflite::BuiltinOptionsUnion o;
  if (op == BuiltinOperator::BuiltinOperator_MUL) o = options(tflite::MulOptionsT{});
  if (op == BuiltinOperator::BuiltinOperator_ADD) o = options(tflite::AddOptionsT{});
  if (op == BuiltinOperator::BuiltinOperator_SUB) o = options(tflite::SubOptionsT{});
  if (op == BuiltinOperator::BuiltinOperator_DIV) o = options(tflite::DivOptionsT{});
  return c.b.op1(op, {x, kt}, std::move(o), c.name(op_name));
}

std::optional<ir::TensorId> before_squeeze(LowerContext& c, ir::TensorId x) {
  const int p = c.b.producer(x);
  if (p < 0 || c.b.num_consumers(x) != 0) return std::nullopt;
  const ir::Op& op = c.b.op_at(p);
  if (op.code.builtin != BuiltinOperator::BuiltinOperator_RESHAPE || op.inputs.empty()) return std::nullopt;
  const ir::TensorId pre = op.inputs[0];
  const std::string& n = c.b.tensor(x).name;
  const bool squeeze = n.size() >= 8 && n.compare(n.size() - 8, 8, "/Squeeze") == 0;
  const ir::Shape& ps = c.b.shape(pre);
  if (!squeeze || ps.size() != 4 || ps[1] != 1 || ps.back() != c.b.shape(x).back()) return std::nullopt;
  const int pp = c.b.producer(pre);
  if (pp < 0 || c.b.num_consumers(pre) != 1) return std::nullopt;
  return pre;
}

Expected<ir::TensorId> mul_const(LowerContext& c, ir::TensorId x, std::vector<float> k, ir::Shape shape,
                                 const std::string& op_name) {
  bool identity = true;
  for (float v : k) identity = identity && v == 1.0f;
  if (identity && ir::num_elements(shape) <= ir::num_elements(c.b.shape(x))) return x;
  return binary_const(c, BuiltinOperator::BuiltinOperator_MUL, x, std::move(k), std::move(shape), op_name);
}

Expected<ir::TensorId> add_const(LowerContext& c, ir::TensorId x, std::vector<float> k, ir::Shape shape,
                                 const std::string& op_name) {
  bool identity = true;
  for (float v : k) identity = identity && v == 0.0f;
  if (identity && ir::num_elements(shape) <= ir::num_elements(c.b.shape(x))) return x;
  return binary_const(c, BuiltinOperator::BuiltinOperator_ADD, x, std::move(k), std::move(shape), op_name);
}

Expected<ir::TensorId> reshape(LowerContext& c, ir::TensorId x, ir::Shape shape, const std::string& op_name) {
  if (c.b.shape(x) == shape) return x;
  ir::TensorId s = c.b.constant_i32(c.name(op_name) + "/shape", {static_cast<int32_t>(shape.size())}, shape);
  tflite::ReshapeOptionsT o;
  o.new_shape = shape;
  return c.b.op1(BuiltinOperator::BuiltinOperator_RESHAPE, {x, s}, options(std::move(o)), c.name(op_name));
}

namespace {

Expected<ir::TensorId> unary(LowerContext& c, int32_t op, ir::TensorId x, const std::string& op_name,
                             tflite::BuiltinOptionsUnion o = {}) {
  return c.b.op1(op, {x}, std::move(o), c.name(op_name));
}

// selu(x) = scale * x (x > 0), scale * alpha * (exp(x) - 1) otherwise.
Expected<ir::TensorId> selu(LowerContext& c, ir::TensorId x) {
  constexpr float kAlpha = 1.6732632423543772f, kScale = 1.0507009873554805f;
  ir::TensorId zero = c.b.constant_f32(c.name("Selu/zero"), {}, {0.0f});
  TFC_ASSIGN_OR_RETURN(ir::TensorId pos, c.b.op1(BuiltinOperator::BuiltinOperator_GREATER, {x, zero}, {},
                                                 c.name("Selu/Greater"), DType::kBool));
  TFC_ASSIGN_OR_RETURN(ir::TensorId scaled, mul_const(c, x, {kScale}, {}, "Selu/mul"));
  TFC_ASSIGN_OR_RETURN(ir::TensorId e, unary(c, BuiltinOperator::BuiltinOperator_EXP, x, "Selu/Exp"));
  TFC_ASSIGN_OR_RETURN(ir::TensorId em1, add_const(c, e, {-1.0f}, {}, "Selu/sub"));
  TFC_ASSIGN_OR_RETURN(ir::TensorId neg, mul_const(c, em1, {kScale * kAlpha}, {}, "Selu/mul_1"));
  return c.b.op1(BuiltinOperator::BuiltinOperator_SELECT_V2, {pos, scaled, neg}, {}, c.name("Selu"), DType::kFloat32);
}

// Keras 3: relu6(x + 3) / 6; Keras 2: clip(0.2 x + 0.5, 0, 1).
Expected<ir::TensorId> hard_sigmoid(LowerContext& c, ir::TensorId x) {
  if (c.keras_version >= 3) {
    TFC_ASSIGN_OR_RETURN(ir::TensorId a, add_const(c, x, {3.0f}, {}, "hard_sigmoid/add"));
    TFC_ASSIGN_OR_RETURN(ir::TensorId r, unary(c, BuiltinOperator::BuiltinOperator_RELU6, a, "hard_sigmoid/Relu6"));
    return mul_const(c, r, {1.0f / 6.0f}, {}, "hard_sigmoid/truediv");
  }
  TFC_ASSIGN_OR_RETURN(ir::TensorId m, mul_const(c, x, {0.2f}, {}, "hard_sigmoid/mul"));
  TFC_ASSIGN_OR_RETURN(ir::TensorId a, add_const(c, m, {0.5f}, {}, "hard_sigmoid/add"));
  ir::TensorId one = c.b.constant_f32(c.name("hard_sigmoid/one"), {}, {1.0f});
  TFC_ASSIGN_OR_RETURN(ir::TensorId lo, c.b.op1(BuiltinOperator::BuiltinOperator_MINIMUM, {a, one}, {},
                                                c.name("hard_sigmoid/Minimum")));
  return unary(c, BuiltinOperator::BuiltinOperator_RELU, lo, "hard_sigmoid/Relu");
}

}  // namespace

bool is_known_activation(const std::string& a) {
  static const char* const kKnown[] = {"linear", "relu", "relu6", "sigmoid", "tanh", "softmax", "log_softmax",
                                       "elu", "selu", "leaky_relu", "swish", "silu", "hard_swish", "hard_silu",
                                       "gelu", "hard_sigmoid", "softplus", "exponential"};
  for (const char* k : kKnown) {
    if (a == k) return true;
  }
  return false;
}

Expected<ir::TensorId> apply_activation(LowerContext& c, ir::TensorId x, const std::string& a) {
  using B = BuiltinOperator;
  if (a == "linear") return x;
  if (a == "relu") return unary(c, B::BuiltinOperator_RELU, x, "Relu");
  if (a == "relu6") return unary(c, B::BuiltinOperator_RELU6, x, "Relu6");
  if (a == "sigmoid") return unary(c, B::BuiltinOperator_LOGISTIC, x, "Sigmoid");
  if (a == "tanh") return unary(c, B::BuiltinOperator_TANH, x, "Tanh");
  if (a == "elu") return unary(c, B::BuiltinOperator_ELU, x, "Elu");
  if (a == "exponential") return unary(c, B::BuiltinOperator_EXP, x, "Exp");
  if (a == "hard_swish" || a == "hard_silu") return unary(c, B::BuiltinOperator_HARD_SWISH, x, "hard_swish");
  if (a == "selu") return selu(c, x);
  if (a == "hard_sigmoid") return hard_sigmoid(c, x);
  if (a == "softmax") {
    tflite::SoftmaxOptionsT o;
    o.beta = 1.0f;
    return unary(c, B::BuiltinOperator_SOFTMAX, x, "Softmax", options(o));
  }
  if (a == "log_softmax") return unary(c, B::BuiltinOperator_LOG_SOFTMAX, x, "LogSoftmax", options(tflite::LogSoftmaxOptionsT{}));
  if (a == "leaky_relu") {
    tflite::LeakyReluOptionsT o;
    o.alpha = 0.2f;
    return unary(c, B::BuiltinOperator_LEAKY_RELU, x, "LeakyRelu", options(o));
  }
  if (a == "gelu") {
    tflite::GeluOptionsT o;
    o.approximate = false;
    return unary(c, B::BuiltinOperator_GELU, x, "Gelu", options(o));
  }
  if (a == "swish" || a == "silu") {
    TFC_ASSIGN_OR_RETURN(ir::TensorId s, unary(c, B::BuiltinOperator_LOGISTIC, x, "Sigmoid"));
    return c.b.op1(B::BuiltinOperator_MUL, {x, s}, options(tflite::MulOptionsT{}), c.name("mul"));
  }
  if (a == "softplus") {
    TFC_ASSIGN_OR_RETURN(ir::TensorId e, unary(c, B::BuiltinOperator_EXP, x, "Softplus/Exp"));
    TFC_ASSIGN_OR_RETURN(ir::TensorId p, add_const(c, e, {1.0f}, {}, "Softplus/add"));
    return unary(c, B::BuiltinOperator_LOG, p, "Softplus");
  }
  return c.refuse("activation '{}' is not supported", a);
}

}  // namespace tfc::importers::keras
