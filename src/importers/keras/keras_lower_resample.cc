// Keras padding, cropping and resampling layers -> TFLite: ZeroPadding as PAD,
// Cropping as STRIDED_SLICE, UpSampling2D / Resizing as RESIZE_NEAREST_NEIGHBOR
// or RESIZE_BILINEAR (TF2's half-pixel centers for Resizing and bilinear
// UpSampling; nearest UpSampling repeats rows and columns, which is nearest
// resizing without half-pixel offsets), UpSampling1D as RESHAPE + TILE +
// RESHAPE. The layers that are identity at inference (Dropout, noise,
// ActivityRegularization) emit nothing and leave a DropoutRecord.
// Not here: pooling and reshaping (keras_lower_shape.cc).
#include "importers/keras/keras_lower_layers.h"

namespace tfc::importers::keras {

using B = tflite::BuiltinOperator;

namespace {

std::vector<ir::TensorId> one(ir::TensorId t) { return {t}; }

// Keras padding/cropping amounts: n, [a, b] (1-D: before/after; 2-D: symmetric per dim) or [[t, b], [l, r]].
Expected<std::vector<std::pair<int, int>>> amounts(LowerContext& c, const char* key, size_t spatial, int fallback) {
  const auto& v = c.layer.config.value(key, nlohmann::json(fallback));
  std::vector<std::pair<int, int>> out;
  auto bad = [&]() { return c.invalid("config '{}' {} is not a padding/cropping spec", key, v.dump()); };
  auto nonneg = [](const nlohmann::json& e) { return e.is_number_integer() && e.get<int>() >= 0; };
  if (nonneg(v)) return std::vector<std::pair<int, int>>(spatial, {v.get<int>(), v.get<int>()});
  if (!v.is_array()) return bad();
  if (spatial == 1) {
    if (v.size() != 2 || !nonneg(v[0]) || !nonneg(v[1])) return bad();
    return std::vector<std::pair<int, int>>{{v[0].get<int>(), v[1].get<int>()}};
  }
  if (v.size() != spatial) return bad();
  for (const auto& e : v) {
    if (nonneg(e)) {
      out.emplace_back(e.get<int>(), e.get<int>());
    } else if (e.is_array() && e.size() == 2 && nonneg(e[0]) && nonneg(e[1])) {
      out.emplace_back(e[0].get<int>(), e[1].get<int>());
    } else {
      return bad();
    }
  }
  return out;
}

Expected<std::vector<ir::TensorId>> pad_or_crop(LowerContext& c, const std::vector<ir::TensorId>& in, bool pad) {
  TFC_RETURN_IF_ERROR(c.require_channels_last());
  const ir::Shape xs = c.b.shape(in[0]);
  if (xs.size() != 3 && xs.size() != 4) return c.invalid("expects a rank-3 or rank-4 input, got rank {}", xs.size());
  const size_t spatial = xs.size() - 2;
  TFC_ASSIGN_OR_RETURN(auto amt, amounts(c, pad ? "padding" : "cropping", spatial, pad ? 1 : 0));
  const auto rank = static_cast<int32_t>(xs.size());
  if (pad) {
    std::vector<int32_t> p(static_cast<size_t>(rank) * 2, 0);
    for (size_t i = 0; i < spatial; ++i) p[2 * (i + 1)] = amt[i].first, p[2 * (i + 1) + 1] = amt[i].second;
    ir::TensorId pt = c.b.constant_i32(c.name("Pad/paddings"), {rank, 2}, p);
    TFC_ASSIGN_OR_RETURN(ir::TensorId y, c.b.op1(B::BuiltinOperator_PAD, {in[0], pt}, options(tflite::PadOptionsT{}), c.name("Pad")));
    return one(y);
  }
  std::vector<int32_t> begin(xs.size(), 0), end(xs.begin(), xs.end()), strides(xs.size(), 1);
  for (size_t i = 0; i < spatial; ++i) {
    if (amt[i].first + amt[i].second >= xs[i + 1]) return c.invalid("cropping {} leaves nothing of dim {}", amt[i].first + amt[i].second, xs[i + 1]);
    begin[i + 1] = amt[i].first;
    end[i + 1] = xs[i + 1] - amt[i].second;
  }
  ir::TensorId bt = c.b.constant_i32(c.name("strided_slice/begin"), {rank}, begin);
  ir::TensorId et = c.b.constant_i32(c.name("strided_slice/end"), {rank}, end);
  ir::TensorId st = c.b.constant_i32(c.name("strided_slice/strides"), {rank}, strides);
  TFC_ASSIGN_OR_RETURN(ir::TensorId y, c.b.op1(B::BuiltinOperator_STRIDED_SLICE, {in[0], bt, et, st},
                                               options(tflite::StridedSliceOptionsT{}), c.name("strided_slice")));
  return one(y);
}

Expected<ir::TensorId> resize(LowerContext& c, ir::TensorId x, int h, int w, const std::string& interpolation,
                              bool half_pixel_nearest) {
  if (c.b.shape(x).size() != 4) return c.invalid("expects a rank-4 input");
  if (h < 1 || w < 1) return c.invalid("the output size {}x{} must be positive", h, w);
  ir::TensorId size = c.b.constant_i32(c.name("resize/size"), {2}, {h, w});
  if (interpolation == "bilinear") {
    tflite::ResizeBilinearOptionsT o;
    o.half_pixel_centers = true;
    return c.b.op1(B::BuiltinOperator_RESIZE_BILINEAR, {x, size}, options(o), c.name("resize/ResizeBilinear"));
  }
  if (interpolation == "nearest") {
    tflite::ResizeNearestNeighborOptionsT o;
    o.half_pixel_centers = half_pixel_nearest;
    return c.b.op1(B::BuiltinOperator_RESIZE_NEAREST_NEIGHBOR, {x, size}, options(o),
                   c.name("resize/ResizeNearestNeighbor"));
  }
  return c.refuse("interpolation '{}' is not supported (nearest, bilinear)", interpolation);
}

}  // namespace

Expected<std::vector<ir::TensorId>> lower_zero_padding(LowerContext& c, const std::vector<ir::TensorId>& in) {
  return pad_or_crop(c, in, true);
}
Expected<std::vector<ir::TensorId>> lower_cropping(LowerContext& c, const std::vector<ir::TensorId>& in) {
  return pad_or_crop(c, in, false);
}

Expected<std::vector<ir::TensorId>> lower_upsampling2d(LowerContext& c, const std::vector<ir::TensorId>& in) {
  TFC_RETURN_IF_ERROR(c.require_channels_last());
  TFC_ASSIGN_OR_RETURN(std::vector<int> size, c.get_ints("size", 2, 2));
  TFC_ASSIGN_OR_RETURN(std::string interpolation, c.get_string("interpolation", "nearest"));
  const ir::Shape xs = c.b.shape(in[0]);
  if (xs.size() != 4) return c.invalid("expects a rank-4 input");
  TFC_ASSIGN_OR_RETURN(ir::TensorId y, resize(c, in[0], xs[1] * size[0], xs[2] * size[1], interpolation, false));
  return one(y);
}

Expected<std::vector<ir::TensorId>> lower_upsampling1d(LowerContext& c, const std::vector<ir::TensorId>& in) {
  TFC_ASSIGN_OR_RETURN(int n, c.get_int("size", 2));
  const ir::Shape xs = c.b.shape(in[0]);
  if (xs.size() != 3 || n < 1) return c.invalid("expects a rank-3 input and a positive size");
  TFC_ASSIGN_OR_RETURN(ir::TensorId r, reshape(c, in[0], {xs[0], xs[1], 1, xs[2]}, "Reshape"));
  ir::TensorId reps = c.b.constant_i32(c.name("Tile/multiples"), {4}, {1, 1, n, 1});
  TFC_ASSIGN_OR_RETURN(ir::TensorId t, c.b.op1(B::BuiltinOperator_TILE, {r, reps}, options(tflite::TileOptionsT{}), c.name("Tile")));
  TFC_ASSIGN_OR_RETURN(ir::TensorId y, reshape(c, t, {xs[0], xs[1] * n, xs[2]}, "Reshape_1"));
  return one(y);
}

Expected<std::vector<ir::TensorId>> lower_resizing(LowerContext& c, const std::vector<ir::TensorId>& in) {
  TFC_RETURN_IF_ERROR(c.require_channels_last());
  TFC_ASSIGN_OR_RETURN(int h, c.get_int("height", 0));
  TFC_ASSIGN_OR_RETURN(int w, c.get_int("width", 0));
  TFC_ASSIGN_OR_RETURN(std::string interpolation, c.get_string("interpolation", "bilinear"));
  for (const char* key : {"crop_to_aspect_ratio", "pad_to_aspect_ratio", "antialias"}) {
    TFC_ASSIGN_OR_RETURN(bool on, c.get_bool(key, false));
    if (on) return c.refuse("{}=True is not supported", key);
  }
  TFC_ASSIGN_OR_RETURN(ir::TensorId y, resize(c, in[0], h, w, interpolation, true));
  return one(y);
}

Expected<std::vector<ir::TensorId>> lower_identity_in_inference(LowerContext& c, const std::vector<ir::TensorId>& in) {
  DropoutRecord r;
  r.layer = c.layer.name;
  r.class_name = c.layer.class_name;
  // After a 1-D conv, the tensor before its squeeze: the one the passes keep (with a unit axis 1).
  const auto pre = before_squeeze(c, in[0]);
  r.tensor = c.b.tensor(pre.value_or(in[0])).name;
  const char* key = c.layer.class_name == "GaussianNoise" ? "stddev" : "rate";
  TFC_ASSIGN_OR_RETURN(r.rate, c.get_float(key, 0.0f));
  const auto& ns = c.layer.config.value("noise_shape", nlohmann::json());
  if (ns.is_array()) {
    for (const auto& d : ns) r.noise_shape.push_back(d.is_number_integer() ? d.get<int>() : -1);
    if (pre && !r.noise_shape.empty()) r.noise_shape.insert(r.noise_shape.begin() + 1, 1);
  }
  c.training.dropouts.push_back(std::move(r));
  return in;
}

}  // namespace tfc::importers::keras
