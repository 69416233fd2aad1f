// Reference kernel of TFLite_Detection_PostProcess (see detection_ref.h):
// box decoding, single-class greedy NMS, and the fast / regular multi-class
// drivers that fill the outputs.
// Not here: option parsing, validation, dequantization (ops/detection_ops.cc).
#include "kernels/detection_ref.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

namespace tfc::kernels {
namespace {

constexpr int kBoxSize = 4;  // (ymin, xmin, ymax, xmax) or (y, x, h, w)

// Indices of `values` with the k largest first. k == 1: the first maximum
// (strict '>' scan); otherwise the first k positions of std::partial_sort by
// decreasing value over 0..n-1, which fixes LiteRT's order among equal scores.
std::vector<int32_t> top_classes(const float* values, int32_t n, int32_t k) {
  std::vector<int32_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  if (k == 1) {
    int32_t best = 0;
    for (int32_t i = 1; i < n; ++i) {
      if (values[i] > values[best]) best = i;
    }
    order[0] = best;
  } else {
    std::partial_sort(order.begin(), order.begin() + k, order.end(),
                      [&](int32_t a, int32_t b) { return values[a] > values[b]; });
  }
  order.resize(k);
  return order;
}

// Zeroes every output row and the count, before detections are written.
void clear_outputs(const DetectionOptions& options, const DetectionOutputs& out) {
  const int64_t rows = detection_rows(options);
  std::fill(out.boxes, out.boxes + rows * kBoxSize, 0.0f);
  std::fill(out.classes, out.classes + rows, 0.0f);
  std::fill(out.scores, out.scores + rows, 0.0f);
  out.num_detections[0] = 0.0f;
}

void write_row(const DetectionOutputs& out, int64_t row, const float* box, int32_t cls, float score) {
  std::memcpy(out.boxes + row * kBoxSize, box, kBoxSize * sizeof(float));
  out.classes[row] = static_cast<float>(cls);
  out.scores[row] = score;
}

}  // namespace

void decode_center_size_boxes(const float* encodings, int32_t num_boxes, int32_t encoding_size,
                              const float* anchors, const DetectionOptions& options, float* boxes) {
  for (int32_t i = 0; i < num_boxes; ++i) {
    const float* e = encodings + static_cast<int64_t>(i) * encoding_size;  // (ty, tx, th, tw)
    const float* a = anchors + static_cast<int64_t>(i) * kBoxSize;         // (y, x, h, w)
    const double ay = a[0], ax = a[1], ah = a[2], aw = a[3];
    const auto y_center = static_cast<float>(e[0] / static_cast<double>(options.y_scale) * ah + ay);
    const auto x_center = static_cast<float>(e[1] / static_cast<double>(options.x_scale) * aw + ax);
    const auto half_h = static_cast<float>(0.5 * std::exp(e[2] / static_cast<double>(options.h_scale)) * ah);
    const auto half_w = static_cast<float>(0.5 * std::exp(e[3] / static_cast<double>(options.w_scale)) * aw);
    float* b = boxes + static_cast<int64_t>(i) * kBoxSize;
    b[0] = y_center - half_h;
    b[1] = x_center - half_w;
    b[2] = y_center + half_h;
    b[3] = x_center + half_w;
  }
}

bool corner_boxes_valid(const float* boxes, int32_t num_boxes) {
  for (int32_t i = 0; i < num_boxes; ++i) {
    const float* b = boxes + static_cast<int64_t>(i) * kBoxSize;
    if (b[0] > b[2] || b[1] > b[3]) return false;
  }
  return true;
}

float box_iou(const float* a, const float* b) {
  const float area_a = (a[2] - a[0]) * (a[3] - a[1]);
  const float area_b = (b[2] - b[0]) * (b[3] - b[1]);
  if (area_a <= 0 || area_b <= 0) return 0.0f;
  const float height = std::max(std::min(a[2], b[2]) - std::max(a[0], b[0]), 0.0f);
  const float width = std::max(std::min(a[3], b[3]) - std::max(a[1], b[1]), 0.0f);
  const float intersection = height * width;
  return intersection / (area_a + area_b - intersection);
}

std::vector<int32_t> nms_single_class(const float* boxes, std::span<const float> scores, float score_threshold,
                                      float iou_threshold, int32_t max_detections) {
  std::vector<int32_t> candidates;  // box indices, by decreasing score
  for (size_t i = 0; i < scores.size(); ++i) {
    if (scores[i] >= score_threshold) candidates.push_back(static_cast<int32_t>(i));
  }
  std::stable_sort(candidates.begin(), candidates.end(),
                   [&](int32_t a, int32_t b) { return scores[a] > scores[b]; });
  std::vector<bool> active(candidates.size(), true);
  std::vector<int32_t> kept;
  const size_t limit = std::min(candidates.size(), static_cast<size_t>(std::max(max_detections, 0)));
  for (size_t i = 0; i < candidates.size() && kept.size() < limit; ++i) {
    if (!active[i]) continue;
    kept.push_back(candidates[i]);
    const float* box = boxes + static_cast<int64_t>(candidates[i]) * kBoxSize;
    for (size_t j = i + 1; j < candidates.size(); ++j) {
      if (active[j] && box_iou(box, boxes + static_cast<int64_t>(candidates[j]) * kBoxSize) > iou_threshold) {
        active[j] = false;
      }
    }
  }
  return kept;
}

void detection_nms_fast(const float* boxes, const float* scores, int32_t num_boxes, int32_t classes_with_background,
                        const DetectionOptions& options, const DetectionOutputs& out) {
  clear_outputs(options, out);
  const int32_t label_offset = classes_with_background - options.num_classes;
  const int32_t k = std::min(options.max_classes_per_detection, options.num_classes);
  std::vector<std::vector<int32_t>> best_classes(num_boxes);
  std::vector<float> best_scores(num_boxes);
  for (int32_t i = 0; i < num_boxes; ++i) {
    const float* row = scores + static_cast<int64_t>(i) * classes_with_background + label_offset;
    best_classes[i] = top_classes(row, options.num_classes, k);
    best_scores[i] = row[best_classes[i][0]];
  }
  const std::vector<int32_t> kept = nms_single_class(boxes, best_scores, options.nms_score_threshold,
                                                     options.nms_iou_threshold, options.max_detections);
  for (size_t n = 0; n < kept.size(); ++n) {
    const int32_t box = kept[n];
    const float* row = scores + static_cast<int64_t>(box) * classes_with_background + label_offset;
    for (int32_t j = 0; j < k; ++j) {
      const int32_t cls = best_classes[box][j];
      write_row(out, static_cast<int64_t>(n) * options.max_classes_per_detection + j,
                boxes + static_cast<int64_t>(box) * kBoxSize, cls, row[cls]);
    }
  }
  out.num_detections[0] = static_cast<float>(kept.size());
}

void detection_nms_regular(const float* boxes, const float* scores, int32_t num_boxes,
                           int32_t classes_with_background, const DetectionOptions& options,
                           const DetectionOutputs& out) {
  struct Detection {
    float score;
    int32_t box;
    int32_t cls;
  };
  clear_outputs(options, out);
  const int32_t label_offset = classes_with_background - options.num_classes;
  const int32_t per_class = std::min(options.detections_per_class, options.max_detections);
  const auto by_score = [](const Detection& a, const Detection& b) { return a.score > b.score; };
  std::vector<Detection> best;  // by decreasing score, at most max_detections
  std::vector<float> class_scores(num_boxes);
  for (int32_t c = 0; c < options.num_classes; ++c) {
    for (int32_t i = 0; i < num_boxes; ++i) {
      class_scores[i] = scores[static_cast<int64_t>(i) * classes_with_background + label_offset + c];
    }
    const std::vector<int32_t> kept = nms_single_class(boxes, class_scores, options.nms_score_threshold,
                                                       options.nms_iou_threshold, per_class);
    const size_t before = best.size();
    for (int32_t box : kept) best.push_back({class_scores[box], box, c});
    // Both runs are sorted; a stable merge keeps earlier classes first on ties.
    std::inplace_merge(best.begin(), best.begin() + static_cast<std::ptrdiff_t>(before), best.end(), by_score);
    if (best.size() > static_cast<size_t>(options.max_detections)) best.resize(options.max_detections);
  }
  for (size_t n = 0; n < best.size(); ++n) {
    write_row(out, static_cast<int64_t>(n), boxes + static_cast<int64_t>(best[n].box) * kBoxSize, best[n].cls,
              best[n].score);
  }
  out.num_detections[0] = static_cast<float>(best.size());
}

}  // namespace tfc::kernels
