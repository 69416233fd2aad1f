// Tests of TFLite_Detection_PostProcess (kernels/detection_ref over
// ops/detection_ops.cc): box decoding and IoU against hand-worked values,
// single-class NMS against hand-worked cases and a differently structured
// greedy NMS written here, the fast and regular multi-class layouts and their
// tie rules, the flexbuffer options, uint8 inputs, and the shape rule's errors.
// Not here: comparison with LiteRT on a converted model (the golden test on
// fixtures/models/ssd_postprocess.tflite).
#include <cmath>
#include <cstring>
#include <deque>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <flatbuffers/flexbuffers.h>
#include <gtest/gtest.h>

#include "kernels/detection_ref.h"
#include "ops/registry.h"

namespace tfc {
namespace {

using kernels::DetectionOptions;
using kernels::DetectionOutputs;

#define ASSERT_OK(expr)                      \
  do {                                       \
    const ::tfc::Status s_ = (expr);         \
    ASSERT_TRUE(s_.is_ok()) << s_.message(); \
  } while (0)

void expect_near_rel(float actual, double expected, const std::string& what) {
  EXPECT_LE(std::fabs(actual - expected), 1e-5 * std::max(1.0, std::fabs(expected))) << what;
}

// ---- Decoding and IoU ------------------------------------------------------------

TEST(DetectionKernel, DecodesCenterSizeEncodings) {
  DetectionOptions o;
  o.y_scale = 10, o.x_scale = 10, o.h_scale = 5, o.w_scale = 5;
  // Two boxes, 6 values each (the last two are ignored, like keypoints).
  const float enc[] = {1.0f, -2.0f, 5.0f * std::log(2.0f), 0.0f, 99.0f, 99.0f,
                       0.0f, 0.0f, 0.0f, -5.0f, 99.0f, 99.0f};
  const float anchors[] = {0.5f, 0.5f, 0.2f, 0.4f, 0.25f, 0.75f, 0.1f, 0.3f};
  float boxes[8];
  kernels::decode_center_size_boxes(enc, 2, 6, anchors, o, boxes);
  // Box 0: yc = 1/10*0.2+0.5 = 0.52, xc = -2/10*0.4+0.5 = 0.42, half_h = 0.5*2*0.2 = 0.2, half_w = 0.2.
  const double expected0[] = {0.32, 0.22, 0.72, 0.62};
  // Box 1: centered on the anchor, half_h = 0.05, half_w = 0.5*exp(-1)*0.3.
  const double hw = 0.5 * std::exp(-1.0) * 0.3;
  const double expected1[] = {0.2, 0.75 - hw, 0.3, 0.75 + hw};
  for (int k = 0; k < 4; ++k) {
    expect_near_rel(boxes[k], expected0[k], "box 0 coord " + std::to_string(k));
    expect_near_rel(boxes[4 + k], expected1[k], "box 1 coord " + std::to_string(k));
  }
  EXPECT_TRUE(kernels::corner_boxes_valid(boxes, 2));
}

TEST(DetectionKernel, NegativeAnchorSizeGivesInvalidBoxes) {
  DetectionOptions o;
  const float enc[] = {0, 0, 0, 0};
  const float anchors[] = {0.5f, 0.5f, -0.2f, 0.2f};
  float boxes[4];
  kernels::decode_center_size_boxes(enc, 1, 4, anchors, o, boxes);
  EXPECT_FALSE(kernels::corner_boxes_valid(boxes, 1));
}

TEST(DetectionKernel, IntersectionOverUnion) {
  const float a[] = {0, 0, 2, 2}, b[] = {1, 1, 3, 3}, c[] = {5, 5, 6, 6}, flat[] = {0, 0, 0, 2};
  expect_near_rel(kernels::box_iou(a, b), 1.0 / 7.0, "overlap");
  EXPECT_EQ(kernels::box_iou(a, a), 1.0f);
  EXPECT_EQ(kernels::box_iou(a, c), 0.0f);
  EXPECT_EQ(kernels::box_iou(a, flat), 0.0f);  // zero area: no overlap at all
}

// ---- Single-class NMS ------------------------------------------------------------

// Boxes: 0 and 1 overlap with IoU 0.9/1.1; 2 is apart; 3 is apart, low score.
const std::vector<float> kBoxes = {0, 0, 1, 1, 0, 0.1f, 1, 1.1f, 2, 2, 3, 3, 5, 5, 6, 6};

TEST(DetectionKernel, NmsKeepsBestAndSuppressesOverlaps) {
  const std::vector<float> scores = {0.8f, 0.9f, 0.7f, 0.1f};
  EXPECT_EQ(kernels::nms_single_class(kBoxes.data(), scores, 0.2f, 0.5f, 10), (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(kernels::nms_single_class(kBoxes.data(), scores, 0.2f, 0.5f, 1), (std::vector<int32_t>{1}));
  EXPECT_EQ(kernels::nms_single_class(kBoxes.data(), scores, 0.2f, 0.5f, 0), (std::vector<int32_t>{}));
  // IoU 0.818 is not above 0.85: both kept; a score equal to the threshold takes part.
  EXPECT_EQ(kernels::nms_single_class(kBoxes.data(), scores, 0.1f, 0.85f, 10),
            (std::vector<int32_t>{1, 0, 2, 3}));
}

TEST(DetectionKernel, NmsEqualScoresVisitLowerIndexFirst) {
  const std::vector<float> scores = {0.5f, 0.5f, 0.5f, 0.5f};
  EXPECT_EQ(kernels::nms_single_class(kBoxes.data(), scores, 0.0f, 0.5f, 10), (std::vector<int32_t>{0, 2, 3}));
}

TEST(DetectionKernel, NmsIouEqualToThresholdIsKept) {
  const std::vector<float> boxes = {0, 0, 2, 2, 1, 1, 3, 3};
  const std::vector<float> scores = {0.9f, 0.8f};
  const float iou = kernels::box_iou(boxes.data(), boxes.data() + 4);
  EXPECT_EQ(kernels::nms_single_class(boxes.data(), scores, 0.0f, iou, 10).size(), 2u);
  EXPECT_EQ(kernels::nms_single_class(boxes.data(), scores, 0.0f, std::nextafter(iou, 0.0f), 10).size(), 1u);
}

// Greedy NMS written another way: repeatedly take the best remaining
// candidate (lowest index on equal scores) that no kept box overlaps.
std::vector<int32_t> naive_nms(const std::vector<float>& boxes, const std::vector<float>& scores, float threshold,
                               float iou_threshold, int max_detections) {
  auto iou = [&](int i, int j) {
    const float* a = &boxes[4 * i];
    const float* b = &boxes[4 * j];
    const double area_a = (a[2] - a[0]) * (a[3] - a[1]), area_b = (b[2] - b[0]) * (b[3] - b[1]);
    if (area_a <= 0 || area_b <= 0) return 0.0;
    const double h = std::max(0.0, double(std::min(a[2], b[2])) - std::max(a[0], b[0]));
    const double w = std::max(0.0, double(std::min(a[3], b[3])) - std::max(a[1], b[1]));
    return h * w / (area_a + area_b - h * w);
  };
  std::vector<bool> used(scores.size(), false);
  std::vector<int32_t> kept;
  while (static_cast<int>(kept.size()) < max_detections) {
    int best = -1;
    for (size_t i = 0; i < scores.size(); ++i) {
      if (used[i] || !(scores[i] >= threshold)) continue;
      bool suppressed = false;
      for (int k : kept) suppressed = suppressed || iou(k, static_cast<int>(i)) > iou_threshold;
      if (!suppressed && (best < 0 || scores[i] > scores[best])) best = static_cast<int>(i);
    }
    if (best < 0) break;
    used[best] = true;
    kept.push_back(best);
  }
  return kept;
}

TEST(DetectionKernel, NmsMatchesNaiveGreedyOnRandomBoxes) {
  std::mt19937 gen(7);
  std::uniform_real_distribution<float> pos(0, 1), size(0.05f, 0.4f);
  // Scores on a coarse grid, so that equal scores occur.
  std::uniform_int_distribution<int> score_step(0, 20);
  for (int trial = 0; trial < 50; ++trial) {
    const int n = 40;
    std::vector<float> boxes, scores;
    for (int i = 0; i < n; ++i) {
      const float y = pos(gen), x = pos(gen), h = size(gen), w = size(gen);
      boxes.insert(boxes.end(), {y, x, y + h, x + w});
      scores.push_back(score_step(gen) / 20.0f);
    }
    const auto ours = kernels::nms_single_class(boxes.data(), scores, 0.3f, 0.35f, 12);
    EXPECT_EQ(ours, naive_nms(boxes, scores, 0.3f, 0.35f, 12)) << "trial " << trial;
  }
}

// ---- Multi-class drivers ---------------------------------------------------------

struct Outputs {
  explicit Outputs(const DetectionOptions& o)
      : boxes(kernels::detection_rows(o) * 4, -7.0f), classes(kernels::detection_rows(o), -7.0f),
        scores(kernels::detection_rows(o), -7.0f) {}
  DetectionOutputs view() { return {boxes.data(), classes.data(), scores.data(), &num}; }
  std::vector<float> boxes, classes, scores;
  float num = -7.0f;
};

// Boxes for the multi-class tests: 0 and 1 overlap heavily, 2 and 3 are apart.
DetectionOptions multi_class_options(bool regular) {
  DetectionOptions o;
  o.max_detections = 3;
  o.max_classes_per_detection = 2;
  o.detections_per_class = 2;
  o.use_regular_nms = regular;
  o.nms_score_threshold = 0.3f;
  o.nms_iou_threshold = 0.5f;
  o.num_classes = 3;
  return o;
}
// (4 boxes, background + 3 classes); the background column is never read.
const std::vector<float> kScores = {
    0.99f, 0.9f, 0.2f, 0.6f,   // box 0: class 0 best, then class 2
    0.99f, 0.8f, 0.85f, 0.1f,  // box 1: overlaps box 0
    0.99f, 0.1f, 0.7f, 0.7f,   // box 2: classes 1 and 2 tie
    0.99f, 0.2f, 0.25f, 0.1f,  // box 3: best score below the threshold
};

TEST(DetectionKernel, FastNmsLayoutAndTies) {
  const DetectionOptions o = multi_class_options(false);
  Outputs out(o);
  kernels::detection_nms_fast(kBoxes.data(), kScores.data(), 4, 4, o, out.view());
  EXPECT_EQ(out.num, 2.0f);  // box 0 (0.9), box 2 (0.7); box 1 suppressed, box 3 below threshold
  // Rows 2 per detection: box 0 classes 0 and 2; box 2 classes 2 and 1 (a tie:
  // std::partial_sort's order, which LiteRT 2.3 gives too).
  EXPECT_EQ(out.classes, (std::vector<float>{0, 2, 2, 1, 0, 0}));
  EXPECT_EQ(out.scores, (std::vector<float>{0.9f, 0.6f, 0.7f, 0.7f, 0, 0}));
  const std::vector<float> expected_boxes = {0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(out.boxes, expected_boxes);
}

TEST(DetectionKernel, FastNmsOneClassTakesFirstMaximum) {
  DetectionOptions o = multi_class_options(false);
  o.max_classes_per_detection = 1;
  o.num_classes = 4;  // no background column: all four read
  Outputs out(o);
  kernels::detection_nms_fast(kBoxes.data(), kScores.data(), 4, 4, o, out.view());
  // Every box's best is column 0 (0.99); boxes 0 and 1 overlap; equal scores visit lower index first.
  EXPECT_EQ(out.num, 3.0f);
  EXPECT_EQ(out.classes, (std::vector<float>{0, 0, 0}));
  EXPECT_EQ(out.boxes, (std::vector<float>{0, 0, 1, 1, 2, 2, 3, 3, 5, 5, 6, 6}));
}

TEST(DetectionKernel, FastNmsMoreClassesPerDetectionThanClasses) {
  DetectionOptions o = multi_class_options(false);
  o.max_classes_per_detection = 4;  // only 3 classes: the fourth row of each detection stays zero
  Outputs out(o);
  kernels::detection_nms_fast(kBoxes.data(), kScores.data(), 4, 4, o, out.view());
  EXPECT_EQ(out.num, 2.0f);
  EXPECT_EQ(std::vector<float>(out.classes.begin(), out.classes.begin() + 8),
            (std::vector<float>{0, 2, 1, 0, 2, 1, 0, 0}));  // tie order as LiteRT
  EXPECT_EQ(std::vector<float>(out.scores.begin(), out.scores.begin() + 8),
            (std::vector<float>{0.9f, 0.6f, 0.2f, 0, 0.7f, 0.7f, 0.1f, 0}));
}

TEST(DetectionKernel, RegularNmsMergesClassesByScore) {
  const DetectionOptions o = multi_class_options(true);
  Outputs out(o);
  kernels::detection_nms_regular(kBoxes.data(), kScores.data(), 4, 4, o, out.view());
  // Class 0: box 0 (0.9) suppresses box 1 (0.8). Class 1: box 1 (0.85), box 2 (0.7).
  // Class 2: box 2 (0.7), box 0 (0.6). Merged, first 3: 0.9 c0, 0.85 c1, then the 0.7 tie -> class 1 first.
  EXPECT_EQ(out.num, 3.0f);
  EXPECT_EQ(out.classes, (std::vector<float>{0, 1, 1, 0, 0, 0}));
  EXPECT_EQ(out.scores, (std::vector<float>{0.9f, 0.85f, 0.7f, 0, 0, 0}));
  const std::vector<float> expected_boxes = {0, 0, 1, 1, 0, 0.1f, 1, 1.1f, 2, 2, 3, 3,
                                             0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(out.boxes, expected_boxes);
}

TEST(DetectionKernel, RegularNmsLimitsDetectionsPerClass) {
  DetectionOptions o = multi_class_options(true);
  o.detections_per_class = 1;
  o.max_detections = 5;
  o.max_classes_per_detection = 1;
  Outputs out(o);
  kernels::detection_nms_regular(kBoxes.data(), kScores.data(), 4, 4, o, out.view());
  // One per class: c0 box 0 (0.9), c1 box 1 (0.85), c2 box 2 (0.7).
  EXPECT_EQ(out.num, 3.0f);
  EXPECT_EQ(out.classes, (std::vector<float>{0, 1, 2, 0, 0}));
  EXPECT_EQ(out.scores, (std::vector<float>{0.9f, 0.85f, 0.7f, 0, 0}));
}

TEST(DetectionKernel, NothingAboveThresholdGivesZeros) {
  for (bool regular : {false, true}) {
    DetectionOptions o = multi_class_options(regular);
    o.nms_score_threshold = 0.95f;
    Outputs out(o);
    if (regular) {
      kernels::detection_nms_regular(kBoxes.data(), kScores.data(), 4, 4, o, out.view());
    } else {
      kernels::detection_nms_fast(kBoxes.data(), kScores.data(), 4, 4, o, out.view());
    }
    EXPECT_EQ(out.num, 0.0f);
    EXPECT_EQ(out.scores, std::vector<float>(6, 0.0f));
    EXPECT_EQ(out.boxes, std::vector<float>(24, 0.0f));
  }
}

// ---- The op: options, shapes, errors, dtypes -------------------------------------

using Options = std::function<void(flexbuffers::Builder&)>;

// Options as the converter writes them (use_regular_nms as an int; omitted
// when `regular` is empty), plus `extra` keys.
std::vector<uint8_t> make_options(int max_detections, int max_classes, std::optional<bool> regular, float iou,
                                  int num_classes, const Options& extra = nullptr) {
  flexbuffers::Builder fbb;
  fbb.Map([&] {
    fbb.Int("max_detections", max_detections);
    fbb.Int("max_classes_per_detection", max_classes);
    fbb.Int("num_classes", num_classes);
    fbb.Float("nms_score_threshold", 0.3f);
    fbb.Float("nms_iou_threshold", iou);
    fbb.Float("y_scale", 10.0f);
    fbb.Float("x_scale", 10.0f);
    fbb.Float("h_scale", 5.0f);
    fbb.Float("w_scale", 5.0f);
    if (regular) fbb.Int("use_regular_nms", *regular ? 1 : 0);
    if (extra) extra(fbb);
  });
  fbb.Finish();
  return fbb.GetBuffer();
}

class DetectionOp {
 public:
  explicit DetectionOp(std::vector<uint8_t> options) {
    op_.code.builtin = tflite::BuiltinOperator_CUSTOM;
    op_.code.custom_code = "TFLite_Detection_PostProcess";
    op_.custom_options = std::move(options);
    def_ = ops::find_op(op_.code);
  }
  template <typename T>
  DetectionOp& input(DType dtype, ir::Shape shape, const std::vector<T>& values) {
    Entry& e = add(dtype, std::move(shape));
    e.bytes.resize(values.size() * sizeof(T) + 1);
    std::memcpy(e.bytes.data(), values.data(), values.size() * sizeof(T));
    e.slot.data = e.bytes.data();
    inputs_.push_back(&e.slot);
    return *this;
  }
  DetectionOp& f32(ir::Shape shape, const std::vector<float>& v) { return input(DType::kFloat32, shape, v); }
  DetectionOp& quantized(float scale, int64_t zero_point) {
    ir::Quantization q;
    q.scale = {scale};
    q.zero_point = {zero_point};
    entries_.back().tensor.quantization = q;
    return *this;
  }
  DetectionOp& outputs(DType dtype = DType::kFloat32) {
    for (int i = 0; i < 4; ++i) outputs_.push_back(&add(dtype, {}).slot);
    return *this;
  }
  ir::Op& op() { return op_; }
  bool registered() const { return def_ != nullptr; }

  Status shape() {
    ops::OpContext ctx(op_, inputs_, outputs_, kernels::kDefaultRequantization);
    return def_->shape(ctx);
  }
  Status run() {
    TFC_RETURN_IF_ERROR(shape());
    for (auto* s : outputs_) {
      auto& bytes = storage_.emplace_back(ir::num_elements(s->shape) * 4 + 4, 0xAB);
      s->data = bytes.data();
    }
    ops::OpContext ctx(op_, inputs_, outputs_, kernels::kDefaultRequantization);
    return def_->eval(ctx);
  }
  const ir::Shape& out_shape(int i) const { return outputs_[i]->shape; }
  std::vector<float> out(int i) const {
    std::vector<float> v(ir::num_elements(outputs_[i]->shape));
    std::memcpy(v.data(), outputs_[i]->data, v.size() * sizeof(float));
    return v;
  }

 private:
  struct Entry {
    ir::Tensor tensor;
    std::vector<uint8_t> bytes;
    ops::TensorSlot slot;
  };
  Entry& add(DType dtype, ir::Shape shape) {
    Entry& e = entries_.emplace_back();
    e.tensor.name = "t" + std::to_string(entries_.size() - 1);
    e.tensor.dtype = dtype;
    e.tensor.shape = shape;
    e.slot.tensor = &e.tensor;
    e.slot.shape = std::move(shape);
    return e;
  }
  ir::Op op_;
  const ops::OpDef* def_ = nullptr;
  std::deque<Entry> entries_;
  std::deque<std::vector<uint8_t>> storage_;
  std::vector<ops::TensorSlot*> inputs_, outputs_;
};

// Encodings of zero decode to the anchors themselves; anchors as (yc, xc, h, w)
// of kBoxes.
const std::vector<float> kAnchors = {0.5f, 0.5f, 1, 1, 0.5f, 0.6f, 1, 1, 2.5f, 2.5f, 1, 1, 5.5f, 5.5f, 1, 1};

DetectionOp standard_op(std::vector<uint8_t> options) {
  DetectionOp op(std::move(options));
  op.f32({1, 4, 4}, std::vector<float>(16, 0.0f)).f32({1, 4, 4}, kScores).f32({4, 4}, kAnchors).outputs();
  return op;
}

TEST(DetectionOp, IsRegisteredAsCustomOp) {
  EXPECT_TRUE(DetectionOp(make_options(3, 1, false, 0.5f, 3)).registered());
}

TEST(DetectionOp, FastNmsEndToEnd) {
  DetectionOp op = standard_op(make_options(3, 2, false, 0.5f, 3));
  ASSERT_OK(op.run());
  EXPECT_EQ(op.out_shape(0), (ir::Shape{1, 6, 4}));
  EXPECT_EQ(op.out_shape(1), (ir::Shape{1, 6}));
  EXPECT_EQ(op.out_shape(2), (ir::Shape{1, 6}));
  EXPECT_EQ(op.out_shape(3), (ir::Shape{1}));
  EXPECT_EQ(op.out(1), (std::vector<float>{0, 2, 2, 1, 0, 0}));
  EXPECT_EQ(op.out(2), (std::vector<float>{0.9f, 0.6f, 0.7f, 0.7f, 0, 0}));
  EXPECT_EQ(op.out(3), (std::vector<float>{2}));
  const std::vector<float> boxes = op.out(0);
  const double expected[] = {0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3};
  for (int k = 0; k < 16; ++k) expect_near_rel(boxes[k], expected[k], "box value " + std::to_string(k));
}

TEST(DetectionOp, RegularNmsWithDetectionsPerClassOption) {
  DetectionOp op = standard_op(make_options(5, 1, true, 0.5f, 3, [](flexbuffers::Builder& b) {
    b.Int("detections_per_class", 1);
  }));
  ASSERT_OK(op.run());
  EXPECT_EQ(op.out(1), (std::vector<float>{0, 1, 2, 0, 0}));
  EXPECT_EQ(op.out(3), (std::vector<float>{3}));
}

TEST(DetectionOp, BoolFlagAndDefaults) {
  // use_regular_nms as a flexbuffer bool; detections_per_class absent: 100.
  DetectionOp op = standard_op(make_options(5, 1, std::nullopt, 0.5f, 3, [](flexbuffers::Builder& b) {
    b.Bool("use_regular_nms", true);
  }));
  ASSERT_OK(op.run());
  // Regular: c0 box 0, c1 boxes 1 and 2, c2 boxes 2 and 0 -> 5 by score.
  EXPECT_EQ(op.out(2), (std::vector<float>{0.9f, 0.85f, 0.7f, 0.7f, 0.6f}));
  EXPECT_EQ(op.out(1), (std::vector<float>{0, 1, 1, 2, 2}));
}

TEST(DetectionOp, Uint8InputsAreDequantized) {
  // Encodings (q - 128) * 0.1: 128 -> 0; anchors q * 0.5; scores q / 100.
  std::vector<uint8_t> anchors_q, scores_q;
  for (float a : kAnchors) anchors_q.push_back(static_cast<uint8_t>(a * 2));
  for (float s : kScores) scores_q.push_back(static_cast<uint8_t>(std::lround(s * 100)));
  DetectionOp op(make_options(3, 2, false, 0.5f, 3));
  op.input(DType::kUInt8, {1, 4, 4}, std::vector<uint8_t>(16, 128)).quantized(0.1f, 128);
  op.input(DType::kUInt8, {1, 4, 4}, scores_q).quantized(0.01f, 0);
  op.input(DType::kUInt8, {4, 4}, anchors_q).quantized(0.5f, 0);
  op.outputs();
  ASSERT_OK(op.run());
  EXPECT_EQ(op.out(1), (std::vector<float>{0, 2, 2, 1, 0, 0}));
  expect_near_rel(op.out(2)[0], 0.9, "score");
  expect_near_rel(op.out(0)[8], 2.0, "ymin of box 2");
}

TEST(DetectionOp, ShapeRuleErrors) {
  auto expect_error = [](DetectionOp op, const std::string& needle) {
    const Status s = op.shape();
    EXPECT_FALSE(s.is_ok()) << needle;
    EXPECT_NE(s.message().find(needle), std::string::npos) << s.message();
  };
  expect_error(standard_op({}), "custom options are missing");
  expect_error(standard_op({1, 2, 3, 4}), "not a valid flexbuffer");
  {
    flexbuffers::Builder fbb;
    fbb.Int(3);
    fbb.Finish();
    expect_error(standard_op(fbb.GetBuffer()), "not a flexbuffer map");
  }
  {
    flexbuffers::Builder fbb;
    fbb.Map([&] { fbb.Int("max_detections", 3); });
    fbb.Finish();
    expect_error(standard_op(fbb.GetBuffer()), "'max_classes_per_detection' is missing");
  }
  expect_error(standard_op(make_options(3, 1, false, 0.5f, 3, [](flexbuffers::Builder& b) {
                 b.String("detections_per_class", "ten");
               })),
               "'detections_per_class' is not a number");
  expect_error(standard_op(make_options(3, 1, false, 0.0f, 3)), "nms_iou_threshold");
  expect_error(standard_op(make_options(3, 1, false, 1.5f, 3)), "nms_iou_threshold");
  expect_error(standard_op(make_options(-1, 1, false, 0.5f, 3)), "max_detections is -1");
  expect_error(standard_op(make_options(3, 0, false, 0.5f, 3)), "max_classes_per_detection is 0");
  expect_error(standard_op(make_options(0, 1, true, 0.5f, 3)), "regular NMS needs");
  expect_error(standard_op(make_options(3, 1, false, 0.5f, 2)), "scores have 4 columns");
  expect_error(standard_op(make_options(3, 1, false, 0.5f, 0)), "num_classes is 0");

  const auto opts = make_options(3, 1, false, 0.5f, 3);
  auto op_with = [&](ir::Shape enc, ir::Shape scores, ir::Shape anchors) {
    DetectionOp op(opts);
    op.f32(enc, std::vector<float>(ir::num_elements(enc)))
        .f32(scores, std::vector<float>(ir::num_elements(scores)))
        .f32(anchors, std::vector<float>(ir::num_elements(anchors)))
        .outputs();
    return op;
  };
  expect_error(op_with({4, 4}, {1, 4, 4}, {4, 4}), "input 0 ('t0') must have rank 3");
  expect_error(op_with({1, 4, 4}, {1, 4, 4}, {1, 4, 4}), "input 2 ('t2') must have rank 2");
  expect_error(op_with({2, 4, 4}, {2, 4, 4}, {4, 4}), "batch size must be 1");
  expect_error(op_with({1, 4, 3}, {1, 4, 4}, {4, 4}), "3 values per box");
  expect_error(op_with({1, 4, 4}, {1, 5, 4}, {4, 4}), "scores are for 5 boxes");
  expect_error(op_with({1, 4, 4}, {1, 4, 4}, {3, 4}), "anchors have shape [3, 4], expected [4, 4]");
  expect_error(op_with({1, 4, 4}, {1, 4, 5}, {4, 4}), "scores have 5 columns");

  DetectionOp wrong_arity(opts);
  wrong_arity.f32({1, 4, 4}, std::vector<float>(16)).f32({1, 4, 4}, std::vector<float>(16)).outputs();
  expect_error(std::move(wrong_arity), "expected 3 inputs and 4 outputs");
}

TEST(DetectionOp, DtypeErrors) {
  const auto opts = make_options(3, 1, false, 0.5f, 3);
  {
    DetectionOp op(opts);
    op.input(DType::kInt8, {1, 4, 4}, std::vector<int8_t>(16)).f32({1, 4, 4}, kScores).f32({4, 4}, kAnchors);
    op.outputs();
    const Status s = op.shape();
    EXPECT_EQ(s.code(), StatusCode::kUnsupported);
    EXPECT_NE(s.message().find("int8"), std::string::npos) << s.message();
  }
  {
    DetectionOp op(opts);  // uint8 encodings with float anchors
    op.input(DType::kUInt8, {1, 4, 4}, std::vector<uint8_t>(16)).quantized(0.1f, 0);
    op.f32({1, 4, 4}, kScores).f32({4, 4}, kAnchors).outputs();
    EXPECT_NE(op.shape().message().find("anchors ('t2') have dtype float32"), std::string::npos);
  }
  {
    DetectionOp op(opts);  // uint8 scores without quantization parameters
    op.f32({1, 4, 4}, std::vector<float>(16)).input(DType::kUInt8, {1, 4, 4}, std::vector<uint8_t>(16));
    op.f32({4, 4}, kAnchors).outputs();
    EXPECT_NE(op.shape().message().find("not quantized"), std::string::npos);
  }
  {
    DetectionOp op(opts);
    op.f32({1, 4, 4}, std::vector<float>(16)).f32({1, 4, 4}, kScores).f32({4, 4}, kAnchors);
    op.outputs(DType::kInt32);
    EXPECT_NE(op.shape().message().find("expected float32"), std::string::npos);
  }
}

TEST(DetectionOp, InvalidDecodedBoxesFailAtEval) {
  std::vector<float> anchors = kAnchors;
  anchors[2] = -1.0f;  // negative anchor height
  DetectionOp op(make_options(3, 1, false, 0.5f, 3));
  op.f32({1, 4, 4}, std::vector<float>(16)).f32({1, 4, 4}, kScores).f32({4, 4}, anchors).outputs();
  ASSERT_OK(op.shape());
  const Status s = op.run();
  EXPECT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("ymin > ymax"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace tfc
