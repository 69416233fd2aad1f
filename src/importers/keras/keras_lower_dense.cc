// Keras Dense, EinsumDense and Embedding -> TFLite. Dense is one
// FULLY_CONNECTED with weights (out,in) (the Keras kernel is (in,out)) and
// keep_num_dims on inputs of rank > 2; an all-zero bias is left out, as the
// converter's constant folding leaves it out. EinsumDense lowers the forms
// "<free><contracted>,<contracted><out>-><free><out>" (the projections of
// attention and MLP blocks) to the same FULLY_CONNECTED, with RESHAPEs when
// several dims are contracted or produced. Embedding is a GATHER.
// Not here: convolutions (keras_lower_conv.cc).
#include <algorithm>

#include "importers/keras/keras_lower_layers.h"

namespace tfc::importers::keras {

using tflite::BuiltinOperator;

namespace {

Status refuse_variants(LowerContext& c) {
  for (const char* key : {"quantization_config", "lora_rank"}) {
    if (c.layer.config.contains(key) && !c.layer.config[key].is_null() && c.layer.config[key] != 0) {
      return c.refuse("'{}' is not supported", key);
    }
  }
  return Status::ok();
}

// FULLY_CONNECTED of x (..., in) with a Keras kernel (in, out) given as a flat (in, out) array.
Expected<ir::TensorId> fully_connected(LowerContext& c, ir::TensorId x, const Array& kernel, const Array* bias) {
  Array w = transpose_array(kernel, {1, 0});
  TFC_ASSIGN_OR_RETURN(ir::TensorId wt, c.trainable_constant(c.name("MatMul"), w));
  ir::TensorId bt = ir::kNoTensor;
  if (bias) {
    const auto v = float_values(*bias);
    // The converter's constant folding drops the add of a zero bias (kept for training).
    if (c.for_training || std::any_of(v.begin(), v.end(), [](float f) { return f != 0.0f; })) {
      TFC_ASSIGN_OR_RETURN(bt, c.trainable_constant(c.name("BiasAdd/bias"), *bias));
    }
  }
  tflite::FullyConnectedOptionsT o;
  o.keep_num_dims = c.b.shape(x).size() > 2;
  return c.b.op1(BuiltinOperator::BuiltinOperator_FULLY_CONNECTED, {x, wt, bt}, options(o),
                 c.name(bt == ir::kNoTensor ? "MatMul" : "BiasAdd"));
}

}  // namespace

Expected<std::vector<ir::TensorId>> lower_dense(LowerContext& c, const std::vector<ir::TensorId>& in) {
  TFC_RETURN_IF_ERROR(refuse_variants(c));
  TFC_ASSIGN_OR_RETURN(int units, c.get_int("units", 0));
  TFC_ASSIGN_OR_RETURN(bool use_bias, c.get_bool("use_bias", true));
  const ir::Shape& xs = c.b.shape(in[0]);
  if (xs.size() < 2) return c.invalid("expects an input of rank 2 or more, got rank {}", xs.size());
  TFC_RETURN_IF_ERROR(c.expect_weights(use_bias ? 2 : 1));
  TFC_ASSIGN_OR_RETURN(const Array* k, c.weight(0, "kernel", {xs.back(), units}));
  const Array* bias = nullptr;
  if (use_bias) {
    TFC_ASSIGN_OR_RETURN(bias, c.weight(1, "bias", {units}));
  }
  TFC_ASSIGN_OR_RETURN(ir::TensorId y, fully_connected(c, in[0], *k, bias));
  TFC_ASSIGN_OR_RETURN(std::string act, c.activation());
  TFC_ASSIGN_OR_RETURN(y, apply_activation(c, y, act));
  return std::vector<ir::TensorId>{y};
}

namespace {

// An EinsumDense equation split as input = free + contracted, kernel = contracted + out, output = free + out.
struct EinsumForm {
  std::string free, contracted, out;
};

std::optional<EinsumForm> einsum_form(const std::string& eq) {
  const auto comma = eq.find(','), arrow = eq.find("->");
  if (comma == std::string::npos || arrow == std::string::npos || arrow < comma) return std::nullopt;
  const std::string x = eq.substr(0, comma), w = eq.substr(comma + 1, arrow - comma - 1), y = eq.substr(arrow + 2);
  EinsumForm f;
  for (char ch : x) (y.find(ch) != std::string::npos ? f.free : f.contracted) += ch;
  for (char ch : w) {
    if (x.find(ch) == std::string::npos) f.out += ch;
  }
  if (f.free.empty() || f.contracted.empty() || f.out.empty()) return std::nullopt;
  if (x != f.free + f.contracted || w != f.contracted + f.out || y != f.free + f.out) return std::nullopt;
  return f;
}

}  // namespace

Expected<std::vector<ir::TensorId>> lower_einsum_dense(LowerContext& c, const std::vector<ir::TensorId>& in) {
  TFC_RETURN_IF_ERROR(refuse_variants(c));
  TFC_ASSIGN_OR_RETURN(std::string eq, c.get_string("equation", ""));
  TFC_ASSIGN_OR_RETURN(std::string bias_axes, c.get_string("bias_axes", ""));
  const auto form = einsum_form(eq);
  if (!form) return c.refuse("equation '{}' is not a form tfcompress lowers (input = free + contracted dims)", eq);
  const ir::Shape xs = c.b.shape(in[0]);
  if (xs.size() != form->free.size() + form->contracted.size()) {
    return c.invalid("equation '{}' does not match the input's rank {}", eq, xs.size());
  }
  const auto& os = c.layer.config.value("output_shape", nlohmann::json());
  const nlohmann::json out_dims = os.is_number_integer() ? nlohmann::json::array({os}) : os;
  if (!out_dims.is_array() || out_dims.size() < form->out.size()) return c.invalid("output_shape {} does not fit '{}'", os.dump(), eq);
  std::vector<int64_t> kshape, odims;
  int64_t depth = 1, units = 1;
  for (size_t i = form->free.size(); i < xs.size(); ++i) kshape.push_back(xs[i]), depth *= xs[i];
  for (size_t i = out_dims.size() - form->out.size(); i < out_dims.size(); ++i) {
    if (!out_dims[i].is_number_integer() || out_dims[i].get<int64_t>() < 1) return c.invalid("output_shape {} has an unknown output dim", os.dump());
    odims.push_back(out_dims[i].get<int64_t>());
    units *= odims.back();
  }
  kshape.insert(kshape.end(), odims.begin(), odims.end());
  TFC_ASSIGN_OR_RETURN(const Array* k, c.weight(0, "kernel", kshape));
  Array flat = *k;
  flat.shape = {depth, units};
  Array bias;
  if (!bias_axes.empty()) {
    // A bias over a suffix of the output dims, tiled over the rest.
    const auto at = form->out.rfind(bias_axes);
    if (at == std::string::npos || at + bias_axes.size() != form->out.size()) return c.refuse("bias_axes '{}' is not a suffix of the output dims of '{}'", bias_axes, eq);
    std::vector<int64_t> bshape(odims.begin() + static_cast<long>(at), odims.end());
    TFC_ASSIGN_OR_RETURN(const Array* b, c.weight(1, "bias", bshape));
    const auto bv = float_values(*b);
    std::vector<float> tiled(static_cast<size_t>(units));
    for (size_t i = 0; i < tiled.size(); ++i) tiled[i] = bv[i % bv.size()];
    bias.shape = {units};
    bias.data.resize(tiled.size() * sizeof(float));
    std::memcpy(bias.data.data(), tiled.data(), bias.data.size());
  }
  ir::TensorId x = in[0];
  ir::Shape free_shape(xs.begin(), xs.begin() + static_cast<long>(form->free.size()));
  if (form->contracted.size() > 1) {
    ir::Shape s = free_shape;
    s.push_back(static_cast<int32_t>(depth));
    TFC_ASSIGN_OR_RETURN(x, reshape(c, x, s, "Reshape"));
  }
  TFC_ASSIGN_OR_RETURN(ir::TensorId y, fully_connected(c, x, flat, bias_axes.empty() ? nullptr : &bias));
  if (form->out.size() > 1) {
    ir::Shape s = free_shape;
    for (int64_t d : odims) s.push_back(static_cast<int32_t>(d));
    TFC_ASSIGN_OR_RETURN(y, reshape(c, y, s, "Reshape_1"));
  }
  TFC_ASSIGN_OR_RETURN(std::string act, c.activation());
  TFC_ASSIGN_OR_RETURN(y, apply_activation(c, y, act));
  return std::vector<ir::TensorId>{y};
}

Expected<std::vector<ir::TensorId>> lower_embedding(LowerContext& c, const std::vector<ir::TensorId>& in) {
  TFC_RETURN_IF_ERROR(refuse_variants(c));
  TFC_ASSIGN_OR_RETURN(int input_dim, c.get_int("input_dim", 0));
  TFC_ASSIGN_OR_RETURN(int output_dim, c.get_int("output_dim", 0));
  TFC_ASSIGN_OR_RETURN(const Array* e, c.weight(0, "embeddings", {input_dim, output_dim}));
  TFC_ASSIGN_OR_RETURN(ir::TensorId table, c.trainable_constant(c.name("embeddings"), *e));
  ir::TensorId ids = in[0];
  if (c.b.dtype(ids) != DType::kInt32) {
    tflite::CastOptionsT o;
    o.in_data_type = static_cast<tflite::TensorType>(c.b.dtype(ids));
    o.out_data_type = tflite::TensorType_INT32;
    TFC_ASSIGN_OR_RETURN(ids, c.b.op1(BuiltinOperator::BuiltinOperator_CAST, {ids}, options(o), c.name("Cast"),
                                      DType::kInt32));
  }
  TFC_ASSIGN_OR_RETURN(ir::TensorId y, c.b.op1(BuiltinOperator::BuiltinOperator_GATHER, {table, ids},
                                               options(tflite::GatherOptionsT{}), c.name("GatherV2"),
                                               DType::kFloat32));
  return std::vector<ir::TensorId>{y};
}

}  // namespace tfc::importers::keras
