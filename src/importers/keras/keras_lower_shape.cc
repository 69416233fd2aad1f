// Keras pooling and reshaping layers -> TFLite: MaxPooling / AveragePooling
// (1-D ones on an EXPAND_DIMS'd height of 1, then RESHAPE), global pooling as
// MEAN / REDUCE_MAX over the spatial axes (keepdims honoured), the Mean op
// layer as MEAN over its axes, Flatten and
// Reshape as RESHAPE to the static shape, Permute as TRANSPOSE, RepeatVector
// as EXPAND_DIMS + TILE. Shapes are static: the batch is fixed at import.
// Not here: padding, cropping and resampling (keras_lower_resample.cc).
#include "importers/keras/keras_lower_layers.h"

namespace tfc::importers::keras {

using B = tflite::BuiltinOperator;

namespace {

std::vector<ir::TensorId> one(ir::TensorId t) { return {t}; }

Expected<std::vector<ir::TensorId>> pool(LowerContext& c, const std::vector<ir::TensorId>& in, int32_t op, bool one_d) {
  TFC_RETURN_IF_ERROR(c.require_channels_last());
  const size_t n = one_d ? 1 : 2;
  TFC_ASSIGN_OR_RETURN(std::vector<int> size, c.get_ints("pool_size", n, 2));
  TFC_ASSIGN_OR_RETURN(std::vector<int> strides, c.get_ints("strides", n, 0));
  if (strides[0] == 0) strides = size;  // strides=None: the pool size
  TFC_ASSIGN_OR_RETURN(std::string padding, c.get_string("padding", "valid"));
  TFC_ASSIGN_OR_RETURN(tflite::Padding pad, padding_of(c, padding));
  for (size_t i = 0; i < n; ++i) {
    if (size[i] < 1 || strides[i] < 1) return c.invalid("pool_size and strides must be positive");
  }
  ir::TensorId x = in[0];
  const ir::Shape xs = c.b.shape(x);
  if (xs.size() != (one_d ? 3u : 4u)) return c.invalid("expects a rank-{} input, got rank {}", one_d ? 3 : 4, xs.size());
  if (one_d) {
    ir::TensorId axis = c.b.constant_i32(c.name("ExpandDims/dim"), {}, {1});
    TFC_ASSIGN_OR_RETURN(x, c.b.op1(B::BuiltinOperator_EXPAND_DIMS, {x, axis}, options(tflite::ExpandDimsOptionsT{}),
                                    c.name("ExpandDims")));
    size.insert(size.begin(), 1);
    strides.insert(strides.begin(), 1);
  }
  tflite::Pool2DOptionsT o;
  o.padding = pad;
  o.filter_height = size[0];
  o.filter_width = size[1];
  o.stride_h = strides[0];
  o.stride_w = strides[1];
  TFC_ASSIGN_OR_RETURN(ir::TensorId y, c.b.op1(op, {x}, options(o), c.name(op == B::BuiltinOperator_MAX_POOL_2D ? "MaxPool" : "AvgPool")));
  if (one_d) {
    const ir::Shape& ys = c.b.shape(y);
    TFC_ASSIGN_OR_RETURN(y, reshape(c, y, {ys[0], ys[2], ys[3]}, "Squeeze"));
  }
  return one(y);
}

Expected<std::vector<ir::TensorId>> global_pool(LowerContext& c, const std::vector<ir::TensorId>& in, int32_t op,
                                                const char* name) {
  TFC_RETURN_IF_ERROR(c.require_channels_last());
  TFC_ASSIGN_OR_RETURN(bool keepdims, c.get_bool("keepdims", false));
  const size_t rank = c.b.shape(in[0]).size();
  if (rank < 3) return c.invalid("expects an input of rank 3 or more, got rank {}", rank);
  std::vector<int32_t> axes;
  for (size_t i = 1; i + 1 < rank; ++i) axes.push_back(static_cast<int32_t>(i));
  ir::TensorId a = c.b.constant_i32(c.name(std::string(name) + "/reduction_indices"), {static_cast<int32_t>(axes.size())}, axes);
  tflite::ReducerOptionsT o;
  o.keep_dims = keepdims;
  TFC_ASSIGN_OR_RETURN(ir::TensorId y, c.b.op1(op, {in[0], a}, options(o), c.name(name)));
  return one(y);
}

}  // namespace

Expected<std::vector<ir::TensorId>> lower_max_pool1d(LowerContext& c, const std::vector<ir::TensorId>& in) {
  return pool(c, in, B::BuiltinOperator_MAX_POOL_2D, true);
}
Expected<std::vector<ir::TensorId>> lower_max_pool2d(LowerContext& c, const std::vector<ir::TensorId>& in) {
  return pool(c, in, B::BuiltinOperator_MAX_POOL_2D, false);
}
Expected<std::vector<ir::TensorId>> lower_avg_pool1d(LowerContext& c, const std::vector<ir::TensorId>& in) {
  return pool(c, in, B::BuiltinOperator_AVERAGE_POOL_2D, true);
}
Expected<std::vector<ir::TensorId>> lower_avg_pool2d(LowerContext& c, const std::vector<ir::TensorId>& in) {
  return pool(c, in, B::BuiltinOperator_AVERAGE_POOL_2D, false);
}
Expected<std::vector<ir::TensorId>> lower_global_avg_pool(LowerContext& c, const std::vector<ir::TensorId>& in) {
  return global_pool(c, in, B::BuiltinOperator_MEAN, "Mean");
}
Expected<std::vector<ir::TensorId>> lower_global_max_pool(LowerContext& c, const std::vector<ir::TensorId>& in) {
  return global_pool(c, in, B::BuiltinOperator_REDUCE_MAX, "Max");
}

// The Mean op layer: the mean over "axis" (an int or a list of ints), as MEAN.
Expected<std::vector<ir::TensorId>> lower_mean(LowerContext& c, const std::vector<ir::TensorId>& in) {
  if (in.size() != 1) return c.invalid("takes 1 input, got {}", in.size());
  const size_t rank = c.b.shape(in[0]).size();
  const nlohmann::json& a = c.layer.config.value("axis", nlohmann::json());
  if (!a.is_number_integer() && !a.is_array()) return c.refuse("axis {} is not an int or a list of ints", a.dump());
  std::vector<int32_t> axes;
  for (const auto& v : a.is_array() ? a : nlohmann::json::array({a})) {
    if (!v.is_number_integer()) return c.invalid("axis {} is not a list of ints", a.dump());
    TFC_ASSIGN_OR_RETURN(int axis, normalize_axis(c, v.get<int>(), rank));
    axes.push_back(axis);
  }
  TFC_ASSIGN_OR_RETURN(bool keepdims, c.get_bool("keepdims", false));
  ir::TensorId t = c.b.constant_i32(c.name("Mean/reduction_indices"), {static_cast<int32_t>(axes.size())}, axes);
  tflite::ReducerOptionsT o;
  o.keep_dims = keepdims;
  TFC_ASSIGN_OR_RETURN(ir::TensorId y, c.b.op1(B::BuiltinOperator_MEAN, {in[0], t}, options(o), c.name("Mean")));
  return one(y);
}

Expected<std::vector<ir::TensorId>> lower_flatten(LowerContext& c, const std::vector<ir::TensorId>& in) {
  TFC_RETURN_IF_ERROR(c.require_channels_last());
  const ir::Shape& xs = c.b.shape(in[0]);
  if (xs.empty()) return c.invalid("expects a batched input");
  const int64_t rest = ir::num_elements(xs) / std::max<int64_t>(xs[0], 1);
  TFC_ASSIGN_OR_RETURN(ir::TensorId y, reshape(c, in[0], {xs[0], static_cast<int32_t>(rest)}, "Reshape"));
  return one(y);
}

Expected<std::vector<ir::TensorId>> lower_reshape(LowerContext& c, const std::vector<ir::TensorId>& in) {
  const ir::Shape& xs = c.b.shape(in[0]);
  const auto& t = c.layer.config.value("target_shape", nlohmann::json());
  if (!t.is_array() || xs.empty()) return c.invalid("target_shape {} is not a list", t.dump());
  ir::Shape shape = {xs[0]};
  int unknown = -1;
  int64_t known = 1;
  for (const auto& d : t) {
    if (!d.is_number_integer() && !d.is_null()) return c.invalid("target_shape {} is not a list of ints", t.dump());
    const int64_t v = d.is_null() ? -1 : d.get<int64_t>();
    if (v == -1) {
      if (unknown >= 0) return c.invalid("target_shape {} has more than one unknown dim", t.dump());
      unknown = static_cast<int>(shape.size());
    } else if (v < 0 || v > INT32_MAX) {
      return c.invalid("target_shape {} has a bad dim", t.dump());
    } else {
      known *= v;
    }
    shape.push_back(static_cast<int32_t>(v));
  }
  const int64_t total = ir::num_elements(xs) / std::max<int64_t>(xs[0], 1);
  if (unknown >= 0) {
    if (known == 0 || total % known != 0) return c.invalid("cannot reshape {} values to {}", total, t.dump());
    shape[static_cast<size_t>(unknown)] = static_cast<int32_t>(total / known);
  } else if (known != total) {
    return c.invalid("cannot reshape {} values to {}", total, t.dump());
  }
  TFC_ASSIGN_OR_RETURN(ir::TensorId y, reshape(c, in[0], shape, "Reshape"));
  return one(y);
}

Expected<std::vector<ir::TensorId>> lower_permute(LowerContext& c, const std::vector<ir::TensorId>& in) {
  const size_t rank = c.b.shape(in[0]).size();
  TFC_ASSIGN_OR_RETURN(std::vector<int> dims, c.get_ints("dims", rank - 1, 0));
  std::vector<int32_t> perm = {0};
  std::vector<bool> seen(rank, false);
  for (int d : dims) {
    if (d < 1 || d >= static_cast<int>(rank) || seen[static_cast<size_t>(d)]) return c.invalid("dims is not a permutation of 1..{}", rank - 1);
    seen[static_cast<size_t>(d)] = true;
    perm.push_back(d);
  }
  ir::TensorId p = c.b.constant_i32(c.name("transpose/perm"), {static_cast<int32_t>(rank)}, perm);
  TFC_ASSIGN_OR_RETURN(ir::TensorId y, c.b.op1(B::BuiltinOperator_TRANSPOSE, {in[0], p}, options(tflite::TransposeOptionsT{}),
                                               c.name("transpose")));
  return one(y);
}

Expected<std::vector<ir::TensorId>> lower_repeat_vector(LowerContext& c, const std::vector<ir::TensorId>& in) {
  TFC_ASSIGN_OR_RETURN(int n, c.get_int("n", 1));
  if (n < 1) return c.invalid("n={} must be positive", n);
  if (c.b.shape(in[0]).size() != 2) return c.invalid("expects a rank-2 input");
  ir::TensorId axis = c.b.constant_i32(c.name("ExpandDims/dim"), {}, {1});
  TFC_ASSIGN_OR_RETURN(ir::TensorId e, c.b.op1(B::BuiltinOperator_EXPAND_DIMS, {in[0], axis},
                                               options(tflite::ExpandDimsOptionsT{}), c.name("ExpandDims")));
  ir::TensorId reps = c.b.constant_i32(c.name("Tile/multiples"), {3}, {1, n, 1});
  TFC_ASSIGN_OR_RETURN(ir::TensorId y, c.b.op1(B::BuiltinOperator_TILE, {e, reps}, options(tflite::TileOptionsT{}), c.name("Tile")));
  return one(y);
}

}  // namespace tfc::importers::keras
