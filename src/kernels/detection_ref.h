// Reference kernel of LiteRT's custom op TFLite_Detection_PostProcess, the
// tail of SSD detectors exported by the TensorFlow Object Detection API:
// box decoding against anchors (center-size encoding, as in the API's
// FasterRcnnBoxCoder), then non-max suppression, either class-agnostic
// ("fast": one NMS over each anchor's best class score) or per class
// ("regular": one NMS per class, results merged by score). Follows LiteRT's
// kernel (tflite/kernels/detection_postprocess.cc) including its order of
// results and its tie-breaking.
// Pure functions on float buffers: callers (ops/detection_ops.cc) parse the
// options, validate shapes and option values (num_classes >= 1,
// max_classes_per_detection >= 1, max_detections >= 0), dequantize uint8
// inputs and size the outputs.
// Not here: batches (LiteRT supports batch 1 only), quantized math.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "kernels/common.h"

namespace tfc::kernels {

// The op's custom options (flexbuffer keys of the same names).
struct DetectionOptions {
  int32_t max_detections = 0;
  int32_t max_classes_per_detection = 1;  // fast NMS: classes reported per box
  int32_t detections_per_class = 100;     // regular NMS: boxes kept per class
  bool use_regular_nms = false;
  float nms_score_threshold = 0;  // scores >= threshold take part
  float nms_iou_threshold = 0;    // a box overlapping a kept one by more is dropped
  int32_t num_classes = 0;        // classes without the optional background column
  float y_scale = 1, x_scale = 1, h_scale = 1, w_scale = 1;
};

// Rows of the box, class and score outputs: max_detections *
// max_classes_per_detection (also in regular mode, where only the first
// max_detections rows can hold detections).
inline int64_t detection_rows(const DetectionOptions& o) {
  return static_cast<int64_t>(o.max_detections) * o.max_classes_per_detection;
}

// Decodes center-size box encodings into corner boxes.
// encodings: (num_boxes, encoding_size), encoding_size >= 4, each row starting
//   (ty, tx, th, tw); later values (e.g. keypoints) are ignored.
// anchors: (num_boxes, 4) as (y_center, x_center, h, w).
// boxes: (num_boxes, 4) as (ymin, xmin, ymax, xmax), where
//   y_center = ty / y_scale * anchor_h + anchor_y,
//   half_h = 0.5 * exp(th / h_scale) * anchor_h   (x, w likewise),
//   ymin = y_center - half_h, ymax = y_center + half_h,
// evaluated in double and rounded to float as LiteRT does.
void decode_center_size_boxes(const float* encodings, int32_t num_boxes, int32_t encoding_size,
                              const float* anchors, const DetectionOptions& options, float* boxes);

// False if some box has ymin > ymax or xmin > xmax (LiteRT rejects these;
// empty boxes are fine: they overlap nothing).
bool corner_boxes_valid(const float* boxes, int32_t num_boxes);

// Intersection over union of corner boxes a and b, each (ymin, xmin, ymax,
// xmax); 0 when either has an area <= 0.
float box_iou(const float* a, const float* b);

// Greedy NMS of one score per box. boxes: (scores.size(), 4) corner boxes.
// Candidates are the boxes with score >= score_threshold, visited by
// decreasing score (equal scores: lower box index first); a visited box that
// is still active is kept and deactivates every later candidate whose IoU
// with it exceeds iou_threshold. Stops after max_detections kept boxes.
// Returns the kept box indices in visiting order.
std::vector<int32_t> nms_single_class(const float* boxes, std::span<const float> scores, float score_threshold,
                                      float iou_threshold, int32_t max_detections);

// The outputs, each of detection_rows(options) rows; rows without a detection
// are zero (box, class and score).
struct DetectionOutputs {
  float* boxes;           // (rows, 4) as (ymin, xmin, ymax, xmax)
  float* classes;         // (rows), class index without the background column
  float* scores;          // (rows)
  float* num_detections;  // (1): detections found (boxes, not rows, in fast mode)
};

// Fast (class-agnostic) NMS. Each box's candidate classes are its
// k = min(max_classes_per_detection, num_classes) best scores (k == 1: the
// first maximum; otherwise the first k of std::partial_sort by decreasing
// score, as LiteRT). NMS runs on each box's best score with max_detections;
// the i-th kept box fills rows i * max_classes_per_detection + j, j < k, with
// its j-th class and score.
// boxes: (num_boxes, 4) decoded; scores: (num_boxes, classes_with_background),
// where a first column beyond num_classes is the background and is skipped.
void detection_nms_fast(const float* boxes, const float* scores, int32_t num_boxes, int32_t classes_with_background,
                        const DetectionOptions& options, const DetectionOutputs& out);

// Regular (per-class) NMS: for each class in order, NMS on that class's
// scores keeping min(detections_per_class, max_detections) boxes; the kept
// (box, class, score) triples of all classes are merged by decreasing score
// (equal scores: earlier class first, then NMS order) and the first
// max_detections fill the first rows.
// Shapes as for detection_nms_fast.
void detection_nms_regular(const float* boxes, const float* scores, int32_t num_boxes,
                           int32_t classes_with_background, const DetectionOptions& options,
                           const DetectionOutputs& out);

}  // namespace tfc::kernels
