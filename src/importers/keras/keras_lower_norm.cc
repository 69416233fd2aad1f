// Keras normalization layers -> TFLite. BatchNormalization (any axis but the
// batch) is emitted unfused as MUL + ADD by per-channel constants (scale = gamma / sqrt(var + eps),
// shift = beta - mean * scale) with a BatchNormRecord of its variables; the
// fold-batchnorm pass later folds it into the conv/dense before it, as the
// converter does. LayerNormalization follows Keras' own formula
// (x * inv + (beta - mean * inv), inv = rsqrt(var + eps) * gamma) in the
// converter's ops; Normalization is SUB + MUL, Rescaling MUL + ADD.
// Not here: the BN records' update after folding (keras_lower.cc).
#include <algorithm>
#include <cmath>

#include "importers/keras/keras_lower_layers.h"
#include "passes/fold_batchnorm.h"

namespace tfc::importers::keras {

using tflite::BuiltinOperator;

namespace {

// The layer's normalized axis, which must be the last one.
Status require_last_axis(LowerContext& c, size_t rank, int fallback) {
  const auto& a = c.layer.config.value("axis", nlohmann::json(fallback));
  const bool one = a.is_number_integer() || (a.is_array() && a.size() == 1 && a[0].is_number_integer());
  if (!one) return c.refuse("axis {} is not supported (only the last axis)", a.dump());
  TFC_ASSIGN_OR_RETURN(int axis, normalize_axis(c, a.is_array() ? a[0].get<int>() : a.get<int>(), rank));
  if (axis != static_cast<int>(rank) - 1) return c.refuse("axis {} is not supported (only the last axis)", a.dump());
  return Status::ok();
}

Array float_array(std::vector<float> v) {
  Array a;
  a.shape = {static_cast<int64_t>(v.size())};
  a.data.resize(v.size() * sizeof(float));
  std::memcpy(a.data.data(), v.data(), a.data.size());
  return a;
}

// The weights of the conv/dense that makes `x`, as IR constants before folding.
void producer_weights(LowerContext& c, ir::TensorId x, BatchNormRecord& r) {
  const int p = c.b.producer(x);
  if (p < 0) return;
  const ir::Op& op = c.b.op_at(p);
  using B = BuiltinOperator;
  const int32_t k = op.code.builtin;
  if (k != B::BuiltinOperator_CONV_2D && k != B::BuiltinOperator_DEPTHWISE_CONV_2D &&
      k != B::BuiltinOperator_FULLY_CONNECTED && k != B::BuiltinOperator_TRANSPOSE_CONV) {
    return;
  }
  const size_t bias_at = k == B::BuiltinOperator_TRANSPOSE_CONV ? 3 : 2;
  auto to_array = [&](ir::TensorId id) {
    Array a;
    if (id == ir::kNoTensor || !c.b.is_constant(id)) return a;
    a.dtype = c.b.dtype(id);
    for (int32_t d : c.b.shape(id)) a.shape.push_back(d);
    auto bytes = c.b.constant_data(id);
    a.data.assign(bytes.begin(), bytes.end());
    return a;
  };
  r.kernel = to_array(op.inputs.at(1));
  if (op.inputs.size() > bias_at) r.bias = to_array(op.inputs[bias_at]);
}

}  // namespace

Expected<std::vector<ir::TensorId>> lower_batch_norm(LowerContext& c, const std::vector<ir::TensorId>& in) {
  const ir::Shape xs = c.b.shape(in[0]);
  BatchNormRecord r;
  r.layer = c.layer.name;
  TFC_ASSIGN_OR_RETURN(int axis, c.get_int("axis", -1));
  TFC_ASSIGN_OR_RETURN(r.axis, normalize_axis(c, axis, xs.size()));
  if (r.axis == 0) return c.refuse("axis 0 (the batch) is not supported");
  TFC_ASSIGN_OR_RETURN(r.epsilon, c.get_float("epsilon", 1e-3f));
  TFC_ASSIGN_OR_RETURN(r.momentum, c.get_float("momentum", 0.99f));
  TFC_ASSIGN_OR_RETURN(r.center, c.get_bool("center", true));
  TFC_ASSIGN_OR_RETURN(r.scale, c.get_bool("scale", true));
  const int64_t ch = xs[static_cast<size_t>(r.axis)];
  TFC_RETURN_IF_ERROR(c.expect_weights(2 + (r.scale ? 1 : 0) + (r.center ? 1 : 0)));
  size_t at = 0;
  std::vector<float> ones(static_cast<size_t>(ch), 1.0f), zeros(static_cast<size_t>(ch), 0.0f);
  r.gamma = float_array(ones);
  r.beta = float_array(zeros);
  if (r.scale) {
    TFC_ASSIGN_OR_RETURN(const Array* gamma, c.weight(at++, "gamma", {ch}));
    r.gamma = *gamma;
  }
  if (r.center) {
    TFC_ASSIGN_OR_RETURN(const Array* beta, c.weight(at++, "beta", {ch}));
    r.beta = *beta;
  }
  TFC_ASSIGN_OR_RETURN(const Array* mean, c.weight(at++, "moving_mean", {ch}));
  TFC_ASSIGN_OR_RETURN(const Array* var, c.weight(at++, "moving_variance", {ch}));
  r.moving_mean = *mean;
  r.moving_variance = *var;
  const passes::BatchNormAffine affine = passes::batch_norm_affine(
      float_values(r.gamma), float_values(r.beta), float_values(*mean), float_values(*var), r.epsilon);
  const std::vector<float>& scale = affine.scale;
  const std::vector<float>& shift = affine.shift;
  r.scope = c.scope;
  r.input = c.b.tensor(in[0]).name;
  // Constants broadcast along the axis: (C) for the last axis, (C, 1, ..) before it.
  ir::Shape cs = {static_cast<int32_t>(ch)};
  cs.resize(xs.size() - static_cast<size_t>(r.axis), 1);
  // The record names the normalized value: before a 1-D conv's squeeze, where the passes fold it.
  auto mul_add = [&](ir::TensorId x) -> Expected<ir::TensorId> {
    TFC_ASSIGN_OR_RETURN(ir::TensorId s, mul_const(c, x, scale, cs, "batchnorm/mul"));
    TFC_ASSIGN_OR_RETURN(ir::TensorId y, add_const(c, s, shift, cs, "batchnorm/add_1"));
    r.output = c.b.tensor(y).name;
    return y;
  };
  ir::TensorId y;
  if (r.axis == static_cast<int>(xs.size()) - 1) {
    producer_weights(c, before_squeeze(c, in[0]).value_or(in[0]), r);
    TFC_ASSIGN_OR_RETURN(y, channelwise(c, in[0], mul_add));
  } else {
    TFC_ASSIGN_OR_RETURN(y, mul_add(in[0]));
  }
  c.training.batch_norms.push_back(std::move(r));
  return std::vector<ir::TensorId>{y};
}

Expected<std::vector<ir::TensorId>> lower_layer_norm(LowerContext& c, const std::vector<ir::TensorId>& in) {
  using B = BuiltinOperator;
  const ir::Shape xs = c.b.shape(in[0]);
  TFC_RETURN_IF_ERROR(require_last_axis(c, xs.size(), -1));
  TFC_ASSIGN_OR_RETURN(bool rms, c.get_bool("rms_scaling", false));
  if (rms) return c.refuse("rms_scaling is not supported");
  TFC_ASSIGN_OR_RETURN(float eps, c.get_float("epsilon", 1e-3f));
  TFC_ASSIGN_OR_RETURN(bool center, c.get_bool("center", true));
  TFC_ASSIGN_OR_RETURN(bool scale, c.get_bool("scale", true));
  const int64_t ch = xs.back();
  TFC_RETURN_IF_ERROR(c.expect_weights((scale ? 1 : 0) + (center ? 1 : 0)));
  ir::TensorId axes = c.b.constant_i32(c.name("moments/mean/reduction_indices"), {1}, {static_cast<int32_t>(xs.size()) - 1});
  tflite::ReducerOptionsT keep;
  keep.keep_dims = true;
  TFC_ASSIGN_OR_RETURN(ir::TensorId mean, c.b.op1(B::BuiltinOperator_MEAN, {in[0], axes}, options(keep), c.name("moments/mean")));
  TFC_ASSIGN_OR_RETURN(ir::TensorId neg, c.b.op1(B::BuiltinOperator_NEG, {mean}, {}, c.name("Neg")));
  TFC_ASSIGN_OR_RETURN(ir::TensorId sq, c.b.op1(B::BuiltinOperator_SQUARED_DIFFERENCE, {in[0], mean}, {},
                                                c.name("moments/SquaredDifference")));
  TFC_ASSIGN_OR_RETURN(ir::TensorId var, c.b.op1(B::BuiltinOperator_MEAN, {sq, axes}, options(keep), c.name("moments/variance")));
  TFC_ASSIGN_OR_RETURN(ir::TensorId ve, add_const(c, var, {eps}, {}, "add"));
  TFC_ASSIGN_OR_RETURN(ir::TensorId inv, c.b.op1(B::BuiltinOperator_RSQRT, {ve}, {}, c.name("Rsqrt")));
  size_t at = 0;
  if (scale) {
    TFC_ASSIGN_OR_RETURN(const Array* gamma, c.weight(at++, "gamma", {ch}));
    TFC_ASSIGN_OR_RETURN(ir::TensorId gt, c.trainable_constant(c.name("gamma"), *gamma));
    TFC_ASSIGN_OR_RETURN(inv, c.b.op1(B::BuiltinOperator_MUL, {inv, gt}, options(tflite::MulOptionsT{}), c.name("mul")));
  }
  TFC_ASSIGN_OR_RETURN(ir::TensorId xi, c.b.op1(B::BuiltinOperator_MUL, {in[0], inv}, options(tflite::MulOptionsT{}), c.name("mul_1")));
  TFC_ASSIGN_OR_RETURN(ir::TensorId res, c.b.op1(B::BuiltinOperator_MUL, {neg, inv}, options(tflite::MulOptionsT{}), c.name("mul_2")));
  if (center) {
    TFC_ASSIGN_OR_RETURN(const Array* beta, c.weight(at++, "beta", {ch}));
    const auto bv = float_values(*beta);
    // the converter drops a zero add (kept for training)
    if (c.for_training || std::any_of(bv.begin(), bv.end(), [](float f) { return f != 0.0f; })) {
      TFC_ASSIGN_OR_RETURN(ir::TensorId bt, c.trainable_constant(c.name("beta"), *beta));
      TFC_ASSIGN_OR_RETURN(res, c.b.op1(B::BuiltinOperator_ADD, {res, bt}, options(tflite::AddOptionsT{}), c.name("add_1")));
    }
  }
  TFC_ASSIGN_OR_RETURN(ir::TensorId y, c.b.op1(B::BuiltinOperator_ADD, {xi, res}, options(tflite::AddOptionsT{}), c.name("add_2")));
  return std::vector<ir::TensorId>{y};
}

namespace {

// A config value (number or list) or weight as per-channel values over `ch` channels.
Expected<std::vector<float>> stat(LowerContext& c, const char* key, size_t weight_index, int64_t ch) {
  const auto& v = c.layer.config.value(key, nlohmann::json());
  std::vector<float> out;
  if (v.is_number()) return std::vector<float>{v.get<float>()};
  if (v.is_array()) {
    for (const auto& e : v) {
      if (!e.is_number()) return c.invalid("config '{}' is not a list of numbers", key);
      out.push_back(e.get<float>());
    }
    if (out.size() != 1 && static_cast<int64_t>(out.size()) != ch) return c.invalid("config '{}' has {} values for {} channels", key, out.size(), ch);
    return out;
  }
  TFC_ASSIGN_OR_RETURN(const Array* w, c.weight(weight_index, key, {ch}));
  return float_values(*w);
}

}  // namespace

// Keras: (x - mean) / max(sqrt(variance), 1e-7).
Expected<std::vector<ir::TensorId>> lower_normalization(LowerContext& c, const std::vector<ir::TensorId>& in) {
  const ir::Shape& xs = c.b.shape(in[0]);
  TFC_RETURN_IF_ERROR(require_last_axis(c, xs.size(), -1));
  TFC_ASSIGN_OR_RETURN(bool invert, c.get_bool("invert", false));
  if (invert) return c.refuse("invert=True is not supported");
  const int64_t ch = xs.back();
  TFC_ASSIGN_OR_RETURN(std::vector<float> mean, stat(c, "mean", 0, ch));
  TFC_ASSIGN_OR_RETURN(std::vector<float> var, stat(c, "variance", 1, ch));
  if (mean.size() != var.size()) return c.invalid("mean and variance differ in length");
  std::vector<float> inv(var.size());
  for (size_t i = 0; i < var.size(); ++i) inv[i] = 1.0f / std::max(std::sqrt(var[i]), 1e-7f);
  const ir::Shape s = mean.size() == 1 ? ir::Shape{} : ir::Shape{static_cast<int32_t>(ch)};
  ir::TensorId d = in[0];
  if (std::any_of(mean.begin(), mean.end(), [](float v) { return v != 0.0f; })) {
    TFC_ASSIGN_OR_RETURN(d, binary_const(c, BuiltinOperator::BuiltinOperator_SUB, in[0], mean, s, "sub"));
  }
  TFC_ASSIGN_OR_RETURN(ir::TensorId y, mul_const(c, d, inv, s, "truediv"));
  return std::vector<ir::TensorId>{y};
}

Expected<std::vector<ir::TensorId>> lower_rescaling(LowerContext& c, const std::vector<ir::TensorId>& in) {
  const int64_t ch = c.b.shape(in[0]).empty() ? 1 : c.b.shape(in[0]).back();
  auto values = [&](const char* key, float fallback) -> Expected<std::vector<float>> {
    if (!c.layer.config.contains(key) || c.layer.config[key].is_null()) return std::vector<float>{fallback};
    return stat(c, key, 0, ch);
  };
  TFC_ASSIGN_OR_RETURN(std::vector<float> scale, values("scale", 1.0f));
  TFC_ASSIGN_OR_RETURN(std::vector<float> offset, values("offset", 0.0f));
  auto shape_of = [&](const std::vector<float>& v) { return v.size() == 1 ? ir::Shape{} : ir::Shape{static_cast<int32_t>(ch)}; };
  TFC_ASSIGN_OR_RETURN(ir::TensorId m, mul_const(c, in[0], scale, shape_of(scale), "mul"));
  TFC_ASSIGN_OR_RETURN(ir::TensorId y, add_const(c, m, offset, shape_of(offset), "add"));
  return std::vector<ir::TensorId>{y};
}

}  // namespace tfc::importers::keras
