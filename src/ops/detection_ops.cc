// Shape rule and evaluation of the custom op TFLite_Detection_PostProcess
// (SSD box decoding + NMS, kernels/detection_ref.h). The options are the op's
// flexbuffer custom options, as the converter (or the TF1 export tool) writes
// them. Inputs: box encodings (1, boxes, >= 4), class scores
// (1, boxes, num_classes [+ 1 background]), anchors (boxes, 4); float32, or
// per-tensor quantized uint8 as LiteRT accepts (encodings and anchors both
// uint8), dequantized here before the float kernel runs. Outputs (float32):
// boxes (1, rows, 4), classes (1, rows), scores (1, rows), num_detections (1),
// rows = max_detections * max_classes_per_detection.
// The checks LiteRT makes in Prepare and Eval are all made by the shape rule,
// except the one on decoded box values (made at eval). Where LiteRT leaves
// output rows unwritten (fast NMS with fewer detections than rows), this
// kernel writes zeros.
// Not here: batch sizes other than 1 (LiteRT has none either).
#include <algorithm>
#include <cstdint>
#include <vector>

#include <flatbuffers/flexbuffers.h>

#include "kernels/detection_ref.h"
#include "ops/registry.h"

namespace tfc::ops {
namespace {

using kernels::DetectionOptions;
constexpr int kEncodings = 0, kScores = 1, kAnchors = 2;

// ---- Custom options ------------------------------------------------------------

// The value of `key`, required to be a number (or a bool, for flags).
Expected<flexbuffers::Reference> option(const OpContext& ctx, const flexbuffers::Map& map, const char* key,
                                        bool required) {
  flexbuffers::Reference value = map[key];
  if (value.IsNull() && !required) return value;
  if (value.IsNull()) return ctx.error("custom option '{}' is missing", key);
  if (!value.IsNumeric() && !value.IsBool()) return ctx.error("custom option '{}' is not a number", key);
  return value;
}

Status read_int(const OpContext& ctx, const flexbuffers::Map& map, const char* key, bool required, int32_t& out) {
  TFC_ASSIGN_OR_RETURN(flexbuffers::Reference value, option(ctx, map, key, required));
  if (!value.IsNull()) out = value.AsInt32();
  return Status::ok();
}

Status read_float(const OpContext& ctx, const flexbuffers::Map& map, const char* key, float& out) {
  TFC_ASSIGN_OR_RETURN(flexbuffers::Reference value, option(ctx, map, key, /*required=*/true));
  out = value.AsFloat();
  return Status::ok();
}

// LiteRT reads detections_per_class (default 100) and use_regular_nms
// (default false) only when present; the other keys are always written.
Expected<DetectionOptions> parse_options(const OpContext& ctx) {
  const std::vector<uint8_t>& bytes = ctx.op().custom_options;
  if (bytes.empty()) return ctx.error("custom options are missing");
  if (!flexbuffers::VerifyBuffer(bytes.data(), bytes.size())) {
    return ctx.error("custom options ({} bytes) are not a valid flexbuffer", bytes.size());
  }
  const flexbuffers::Reference root = flexbuffers::GetRoot(bytes.data(), bytes.size());
  if (!root.IsMap()) return ctx.error("custom options are not a flexbuffer map");
  const flexbuffers::Map map = root.AsMap();
  DetectionOptions o;
  TFC_RETURN_IF_ERROR(read_int(ctx, map, "max_detections", true, o.max_detections));
  TFC_RETURN_IF_ERROR(read_int(ctx, map, "max_classes_per_detection", true, o.max_classes_per_detection));
  TFC_RETURN_IF_ERROR(read_int(ctx, map, "detections_per_class", false, o.detections_per_class));
  TFC_RETURN_IF_ERROR(read_int(ctx, map, "num_classes", true, o.num_classes));
  TFC_ASSIGN_OR_RETURN(flexbuffers::Reference regular, option(ctx, map, "use_regular_nms", false));
  o.use_regular_nms = !regular.IsNull() && regular.AsBool();
  TFC_RETURN_IF_ERROR(read_float(ctx, map, "nms_score_threshold", o.nms_score_threshold));
  TFC_RETURN_IF_ERROR(read_float(ctx, map, "nms_iou_threshold", o.nms_iou_threshold));
  TFC_RETURN_IF_ERROR(read_float(ctx, map, "y_scale", o.y_scale));
  TFC_RETURN_IF_ERROR(read_float(ctx, map, "x_scale", o.x_scale));
  TFC_RETURN_IF_ERROR(read_float(ctx, map, "h_scale", o.h_scale));
  TFC_RETURN_IF_ERROR(read_float(ctx, map, "w_scale", o.w_scale));
  return o;
}

// The option values LiteRT's kernel requires (it checks them at eval).
Status check_options(const OpContext& ctx, const DetectionOptions& o) {
  if (o.max_detections < 0) return ctx.error("max_detections is {}, expected >= 0", o.max_detections);
  if (o.num_classes < 1) return ctx.error("num_classes is {}, expected >= 1", o.num_classes);
  if (!(o.nms_iou_threshold > 0.0f && o.nms_iou_threshold <= 1.0f)) {
    return ctx.error("nms_iou_threshold is {}, expected in (0, 1]", o.nms_iou_threshold);
  }
  // Regular NMS does not use it, but it sizes the outputs in both modes.
  if (o.max_classes_per_detection < 1) {
    return ctx.error("max_classes_per_detection is {}, expected >= 1", o.max_classes_per_detection);
  }
  if (o.use_regular_nms && std::min(o.detections_per_class, o.max_detections) < 1) {
    return ctx.error("regular NMS needs detections_per_class ({}) and max_detections ({}) >= 1",
                     o.detections_per_class, o.max_detections);
  }
  if (kernels::detection_rows(o) > INT32_MAX / 4) {
    return ctx.error("max_detections * max_classes_per_detection ({} * {}) is too large", o.max_detections,
                     o.max_classes_per_detection);
  }
  return Status::ok();
}

// ---- Inputs --------------------------------------------------------------------

Status require_rank(const OpContext& ctx, int i, size_t rank) {
  if (ctx.input_shape(i).size() == rank) return Status::ok();
  return ctx.error("input {} ('{}') must have rank {}, got rank {}", i, ctx.input_tensor(i).name, rank,
                   ctx.input_shape(i).size());
}

// uint8 inputs need one scale and zero point (LiteRT reads per-tensor params).
Status require_per_tensor_params(const OpContext& ctx, int i) {
  const ir::Tensor& t = ctx.input_tensor(i);
  if (t.is_quantized() && t.quantization->scale.size() == 1) return Status::ok();
  return ctx.error("input {} ('{}') is uint8 but not quantized with one scale and zero point", i, t.name);
}

Status check_dtypes(const OpContext& ctx) {
  const DType enc = ctx.input_dtype(kEncodings);
  if (enc != DType::kFloat32 && enc != DType::kUInt8) return ctx.unsupported_dtype(kEncodings);
  // LiteRT reads the anchors with the encodings' type.
  if (ctx.input_dtype(kAnchors) != enc) {
    return ctx.error("anchors ('{}') have dtype {}, but the box encodings have {}", ctx.input_tensor(kAnchors).name,
                     dtype_name(ctx.input_dtype(kAnchors)), dtype_name(enc));
  }
  const DType scores = ctx.input_dtype(kScores);
  if (scores != DType::kFloat32 && scores != DType::kUInt8) return ctx.unsupported_dtype(kScores);
  for (int i : {kEncodings, kScores, kAnchors}) {
    if (ctx.input_dtype(i) == DType::kUInt8) TFC_RETURN_IF_ERROR(require_per_tensor_params(ctx, i));
  }
  for (int o = 0; o < 4; ++o) {
    if (ctx.output_dtype(o) != DType::kFloat32) {
      return ctx.error("output {} ('{}') has dtype {}, expected float32", o, ctx.output_tensor(o).name,
                       dtype_name(ctx.output_dtype(o)));
    }
  }
  return Status::ok();
}

Status check_shapes(const OpContext& ctx, const DetectionOptions& o) {
  TFC_RETURN_IF_ERROR(require_rank(ctx, kEncodings, 3));
  TFC_RETURN_IF_ERROR(require_rank(ctx, kScores, 3));
  TFC_RETURN_IF_ERROR(require_rank(ctx, kAnchors, 2));
  const ir::Shape& enc = ctx.input_shape(kEncodings);
  const ir::Shape& scores = ctx.input_shape(kScores);
  const ir::Shape& anchors = ctx.input_shape(kAnchors);
  if (enc[0] != 1 || scores[0] != 1) {
    return ctx.error("batch size must be 1, got box encodings [{}, ...] and scores [{}, ...]", enc[0], scores[0]);
  }
  if (enc[2] < 4) return ctx.error("box encodings have {} values per box, expected >= 4", enc[2]);
  if (scores[1] != enc[1]) {
    return ctx.error("scores are for {} boxes, but there are {} box encodings", scores[1], enc[1]);
  }
  if (anchors[0] != enc[1] || anchors[1] != 4) {
    return ctx.error("anchors have shape [{}, {}], expected [{}, 4]", anchors[0], anchors[1], enc[1]);
  }
  const int32_t background = scores[2] - o.num_classes;
  if (background != 0 && background != 1) {
    return ctx.error("scores have {} columns; with num_classes {} expected {} or {} (background first)", scores[2],
                     o.num_classes, o.num_classes, o.num_classes + 1);
  }
  return Status::ok();
}

// Input i as floats: a copy, or (x - zero_point) * scale for uint8.
std::vector<float> input_as_float(const OpContext& ctx, int i) {
  const int64_t n = ir::num_elements(ctx.input_shape(i));
  if (ctx.input_dtype(i) == DType::kFloat32) {
    const float* p = ctx.input<float>(i);
    return std::vector<float>(p, p + n);
  }
  const ir::Quantization& q = *ctx.input_tensor(i).quantization;
  const float scale = q.scale[0];
  const auto zero_point = static_cast<float>(q.zero_point.empty() ? 0 : q.zero_point[0]);
  const uint8_t* p = ctx.input<uint8_t>(i);
  std::vector<float> values(n);
  for (int64_t k = 0; k < n; ++k) values[k] = (static_cast<float>(p[k]) - zero_point) * scale;
  return values;
}

}  // namespace

Status detection_postprocess_shape(OpContext& ctx) {
  if (ctx.num_inputs() != 3 || ctx.num_outputs() != 4) {
    return ctx.error("expected 3 inputs and 4 outputs, got {} and {}", ctx.num_inputs(), ctx.num_outputs());
  }
  for (int i = 0; i < 3; ++i) {
    if (!ctx.has_input(i)) return ctx.error("required input {} is missing", i);
  }
  TFC_ASSIGN_OR_RETURN(const DetectionOptions o, parse_options(ctx));
  TFC_RETURN_IF_ERROR(check_options(ctx, o));
  TFC_RETURN_IF_ERROR(check_dtypes(ctx));
  TFC_RETURN_IF_ERROR(check_shapes(ctx, o));
  const auto rows = static_cast<int32_t>(kernels::detection_rows(o));
  ctx.set_output_shape(0, {1, rows, 4});
  ctx.set_output_shape(1, {1, rows});
  ctx.set_output_shape(2, {1, rows});
  ctx.set_output_shape(3, {1});
  return Status::ok();
}

Status detection_postprocess_eval(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const DetectionOptions o, parse_options(ctx));
  const ir::Shape& enc_shape = ctx.input_shape(kEncodings);
  const int32_t num_boxes = enc_shape[1];
  const std::vector<float> encodings = input_as_float(ctx, kEncodings);
  const std::vector<float> scores = input_as_float(ctx, kScores);
  const std::vector<float> anchors = input_as_float(ctx, kAnchors);
  std::vector<float> boxes(static_cast<size_t>(num_boxes) * 4);
  kernels::decode_center_size_boxes(encodings.data(), num_boxes, enc_shape[2], anchors.data(), o, boxes.data());
  if (!kernels::corner_boxes_valid(boxes.data(), num_boxes)) {
    return ctx.error("a decoded box has ymin > ymax or xmin > xmax (negative anchor height or width?)");
  }
  const kernels::DetectionOutputs out{ctx.output<float>(0), ctx.output<float>(1), ctx.output<float>(2),
                                      ctx.output<float>(3)};
  const int32_t classes_with_background = ctx.input_shape(kScores)[2];
  if (o.use_regular_nms) {
    kernels::detection_nms_regular(boxes.data(), scores.data(), num_boxes, classes_with_background, o, out);
  } else {
    kernels::detection_nms_fast(boxes.data(), scores.data(), num_boxes, classes_with_background, o, out);
  }
  return Status::ok();
}

}  // namespace tfc::ops
