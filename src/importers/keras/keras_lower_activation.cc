// Keras activation layers -> TFLite: Activation (any built-in activation by
// name), ReLU with max_value / negative_slope / threshold (Keras' relu
// formula; the plain cases are RELU, RELU6, LEAKY_RELU), LeakyReLU, PReLU,
// ELU (ELU for alpha 1, else through SELECT_V2), Softmax on the last axis and
// GELU (exact or tanh form) from Keras 3's gelu op layer or tf_keras' tf.nn.gelu.
// Channel-wise, so applied before a 1-D conv's final RESHAPE (channelwise()).
// Not here: the activation table itself (keras_lower_util.cc).
#include "importers/keras/keras_lower_layers.h"

namespace tfc::importers::keras {

using tflite::BuiltinOperator;
using B = tflite::BuiltinOperator;

namespace {

std::vector<ir::TensorId> one(ir::TensorId t) { return {t}; }

// A float config value that may be null (absent).
Expected<std::optional<float>> optional_float(LowerContext& c, const char* key) {
  if (!c.layer.config.contains(key) || c.layer.config[key].is_null()) return std::optional<float>{};
  TFC_ASSIGN_OR_RETURN(float v, c.get_float(key, 0.0f));
  return std::optional<float>{v};
}

Expected<ir::TensorId> leaky(LowerContext& c, ir::TensorId x, float alpha) {
  tflite::LeakyReluOptionsT o;
  o.alpha = alpha;
  return c.b.op1(B::BuiltinOperator_LEAKY_RELU, {x}, options(o), c.name("LeakyRelu"));
}

// Keras relu(x, negative_slope, max_value, threshold) in general form:
// pos = x > threshold ? x : 0 (clipped at max_value); out = pos - slope * relu(threshold - x).
Expected<ir::TensorId> general_relu(LowerContext& c, ir::TensorId x, float slope, std::optional<float> max_value,
                                    float threshold) {
  ir::TensorId pos = x;
  if (threshold != 0.0f) {
    ir::TensorId th = c.b.constant_f32(c.name("threshold"), {}, {threshold});
    ir::TensorId zero = c.b.constant_f32(c.name("zeros"), {}, {0.0f});
    TFC_ASSIGN_OR_RETURN(ir::TensorId gt, c.b.op1(B::BuiltinOperator_GREATER, {x, th}, {}, c.name("Greater"), DType::kBool));
    TFC_ASSIGN_OR_RETURN(pos, c.b.op1(B::BuiltinOperator_SELECT_V2, {gt, x, zero}, {}, c.name("SelectV2"), DType::kFloat32));
  } else if (max_value && *max_value == 6.0f) {
    TFC_ASSIGN_OR_RETURN(pos, c.b.op1(B::BuiltinOperator_RELU6, {x}, {}, c.name("Relu6")));
    max_value.reset();
  } else {
    TFC_ASSIGN_OR_RETURN(pos, c.b.op1(B::BuiltinOperator_RELU, {x}, {}, c.name("Relu")));
  }
  if (max_value) {
    ir::TensorId mv = c.b.constant_f32(c.name("clip_by_value/y"), {}, {*max_value});
    TFC_ASSIGN_OR_RETURN(pos, c.b.op1(B::BuiltinOperator_MINIMUM, {pos, mv}, {}, c.name("clip_by_value")));
    if (threshold < 0.0f) {
      TFC_ASSIGN_OR_RETURN(pos, c.b.op1(B::BuiltinOperator_RELU, {pos}, {}, c.name("clip_by_value/Relu")));
    }
  }
  if (slope == 0.0f) return pos;
  ir::TensorId th = c.b.constant_f32(c.name("sub/x"), {}, {threshold});
  TFC_ASSIGN_OR_RETURN(ir::TensorId d, c.b.op1(B::BuiltinOperator_SUB, {th, x}, options(tflite::SubOptionsT{}), c.name("sub")));
  TFC_ASSIGN_OR_RETURN(ir::TensorId neg, c.b.op1(B::BuiltinOperator_RELU, {d}, {}, c.name("Relu_1")));
  TFC_ASSIGN_OR_RETURN(ir::TensorId sn, mul_const(c, neg, {slope}, {}, "mul"));
  return c.b.op1(B::BuiltinOperator_SUB, {pos, sn}, options(tflite::SubOptionsT{}), c.name("sub_1"));
}

}  // namespace

Expected<std::vector<ir::TensorId>> lower_activation(LowerContext& c, const std::vector<ir::TensorId>& in) {
  TFC_ASSIGN_OR_RETURN(std::string act, c.activation());
  TFC_ASSIGN_OR_RETURN(ir::TensorId y, channelwise(c, in[0], [&](ir::TensorId x) { return apply_activation(c, x, act); }));
  return one(y);
}

Expected<std::vector<ir::TensorId>> lower_relu(LowerContext& c, const std::vector<ir::TensorId>& in) {
  TFC_ASSIGN_OR_RETURN(std::optional<float> max_value, optional_float(c, "max_value"));
  TFC_ASSIGN_OR_RETURN(float slope, c.get_float("negative_slope", 0.0f));
  TFC_ASSIGN_OR_RETURN(float threshold, c.get_float("threshold", 0.0f));
  if (max_value && *max_value < 0.0f) return c.invalid("max_value {} is negative", *max_value);
  auto f = [&](ir::TensorId x) -> Expected<ir::TensorId> {
    if (slope != 0.0f && !max_value && threshold == 0.0f) return leaky(c, x, slope);
    return general_relu(c, x, slope, max_value, threshold);
  };
  TFC_ASSIGN_OR_RETURN(ir::TensorId y, channelwise(c, in[0], f));
  return one(y);
}

Expected<std::vector<ir::TensorId>> lower_leaky_relu(LowerContext& c, const std::vector<ir::TensorId>& in) {
  // Keras 3 names it negative_slope, Keras 2 alpha; both default to 0.3.
  TFC_ASSIGN_OR_RETURN(float alpha, c.get_float("alpha", 0.3f));
  TFC_ASSIGN_OR_RETURN(alpha, c.get_float("negative_slope", alpha));
  TFC_ASSIGN_OR_RETURN(ir::TensorId y, channelwise(c, in[0], [&](ir::TensorId x) { return leaky(c, x, alpha); }));
  return one(y);
}

Expected<std::vector<ir::TensorId>> lower_prelu(LowerContext& c, const std::vector<ir::TensorId>& in) {
  const ir::Shape xs = c.b.shape(in[0]);
  std::vector<int64_t> ashape(xs.begin() + 1, xs.end());
  const auto& shared = c.layer.config.value("shared_axes", nlohmann::json());
  if (shared.is_number_integer() || shared.is_array()) {
    for (const auto& a : shared.is_array() ? shared : nlohmann::json::array({shared})) {
      if (!a.is_number_integer() || a.get<int>() < 1 || a.get<size_t>() >= xs.size()) return c.invalid("shared_axes {} out of range", shared.dump());
      ashape[a.get<size_t>() - 1] = 1;
    }
  }
  TFC_ASSIGN_OR_RETURN(const Array* alpha, c.weight(0, "alpha", ashape));
  TFC_ASSIGN_OR_RETURN(ir::TensorId at, c.trainable_constant(c.name("alpha"), *alpha));
  TFC_ASSIGN_OR_RETURN(ir::TensorId y, c.b.op1(B::BuiltinOperator_PRELU, {in[0], at}, {}, c.name("PRelu")));
  return one(y);
}

Expected<std::vector<ir::TensorId>> lower_elu(LowerContext& c, const std::vector<ir::TensorId>& in) {
  TFC_ASSIGN_OR_RETURN(float alpha, c.get_float("alpha", 1.0f));
  auto f = [&](ir::TensorId x) -> Expected<ir::TensorId> {
    if (alpha == 1.0f) return c.b.op1(B::BuiltinOperator_ELU, {x}, {}, c.name("Elu"));
    ir::TensorId zero = c.b.constant_f32(c.name("zeros"), {}, {0.0f});
    TFC_ASSIGN_OR_RETURN(ir::TensorId gt, c.b.op1(B::BuiltinOperator_GREATER, {x, zero}, {}, c.name("Greater"), DType::kBool));
    TFC_ASSIGN_OR_RETURN(ir::TensorId e, c.b.op1(B::BuiltinOperator_EXP, {x}, {}, c.name("Exp")));
    TFC_ASSIGN_OR_RETURN(ir::TensorId em1, binary_const(c, B::BuiltinOperator_SUB, e, {1.0f}, {}, "sub"));
    TFC_ASSIGN_OR_RETURN(ir::TensorId neg, mul_const(c, em1, {alpha}, {}, "mul"));
    return c.b.op1(B::BuiltinOperator_SELECT_V2, {gt, x, neg}, {}, c.name("SelectV2"), DType::kFloat32);
  };
  TFC_ASSIGN_OR_RETURN(ir::TensorId y, channelwise(c, in[0], f));
  return one(y);
}

// Keras 3's gelu op layer (keras.ops.gelu on a Keras tensor) and tf_keras' tf.nn.gelu.
Expected<std::vector<ir::TensorId>> lower_gelu(LowerContext& c, const std::vector<ir::TensorId>& in) {
  tflite::GeluOptionsT o;
  TFC_ASSIGN_OR_RETURN(o.approximate, c.get_bool("approximate", false));
  TFC_ASSIGN_OR_RETURN(ir::TensorId y, channelwise(c, in[0], [&](ir::TensorId x) {
    return c.b.op1(B::BuiltinOperator_GELU, {x}, options(o), c.name("Gelu"));
  }));
  return one(y);
}

Expected<std::vector<ir::TensorId>> lower_softmax(LowerContext& c, const std::vector<ir::TensorId>& in) {
  const auto& a = c.layer.config.value("axis", nlohmann::json(-1));
  const bool single = a.is_number_integer() || (a.is_array() && a.size() == 1 && a[0].is_number_integer());
  if (!single) return c.refuse("axis {} is not supported (only the last axis)", a.dump());
  const size_t rank = c.b.shape(in[0]).size();
  TFC_ASSIGN_OR_RETURN(int axis, normalize_axis(c, a.is_array() ? a[0].get<int>() : a.get<int>(), rank));
  if (axis != static_cast<int>(rank) - 1) return c.refuse("axis {} is not supported (only the last axis)", a.dump());
  TFC_ASSIGN_OR_RETURN(ir::TensorId y, apply_activation(c, in[0], "softmax"));
  return one(y);
}

}  // namespace tfc::importers::keras
