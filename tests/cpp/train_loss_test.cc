// Training losses (train/loss.h): values and gradients against Keras 3's own
// (golden file), closed forms computed here in double, and finite
// differences; bad labels and shapes refused; accuracy counts.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "train/loss.h"
#include "train_golden.h"

namespace tfc::train {
namespace {

using test::make_array;

struct GoldenCase {
  const char* name;
  LossOptions options;
};

const GoldenCase kGoldenCases[] = {
    {"sce_logits", {LossKind::kSparseCrossEntropy, true}},
    {"sce_logits_rank3", {LossKind::kSparseCrossEntropy, true}},
    {"sce_probs", {LossKind::kSparseCrossEntropy, false}},
    {"cce_logits", {LossKind::kCrossEntropy, true}},
    {"cce_probs", {LossKind::kCrossEntropy, false}},
    {"bce_logits", {LossKind::kBinaryCrossEntropy, true}},
    {"bce_probs", {LossKind::kBinaryCrossEntropy, false}},
    {"mse", {LossKind::kMse, false}},
    {"mse_rank3", {LossKind::kMse, false}},
    {"kld_probs", {LossKind::kKlDivergence, false}},
    {"kld_logits_t2", {LossKind::kKlDivergence, true, 2.0f}},
};

TEST(TrainLoss, MatchesKeras) {
  for (const GoldenCase& c : kGoldenCases) {
    SCOPED_TRACE(c.name);
    const std::string prefix = std::string("loss.") + c.name;
    const std::vector<float> pred = test::golden_floats(prefix + ".pred");
    std::vector<float> grad(pred.size(), NAN);
    auto loss = compute_loss(c.options, pred.data(), test::golden_shape(prefix + ".pred"),
                             test::golden(prefix + ".target"), grad.data());
    ASSERT_TRUE(loss.has_value()) << loss.status().message();
    test::expect_golden({*loss}, test::golden_values(prefix + ".loss"), "loss");
    test::expect_golden({grad.begin(), grad.end()}, test::golden_values(prefix + ".grad"), "grad");
  }
}

TEST(TrainLoss, SparseCrossEntropyFromLogitsClosedForm) {
  const std::vector<float> pred = {1, 2, 3, 0, 0, 0};  // (2, 3)
  const Array labels = make_array<int32_t>(DType::kInt32, {2}, {2, 0});
  std::vector<float> grad(6);
  auto loss = compute_loss({LossKind::kSparseCrossEntropy, true}, pred.data(), {2, 3}, labels, grad.data());
  ASSERT_TRUE(loss.has_value()) << loss.status().message();
  const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  EXPECT_NEAR(*loss, (std::log(z) - 3 + std::log(3.0)) / 2, 1e-12);
  for (int c = 0; c < 3; ++c) {
    EXPECT_NEAR(grad[c], (std::exp(c + 1.0) / z - (c == 2)) / 2, 1e-7);
    EXPECT_NEAR(grad[3 + c], (1.0 / 3 - (c == 0)) / 2, 1e-7);
  }
}

TEST(TrainLoss, BinaryCrossEntropyAndMseClosedForm) {
  const std::vector<float> pred = {0.5f, -2.0f};  // (2, 1)
  const Array target = make_array<float>(DType::kFloat32, {2}, {1, 0});  // [N] against [N, 1]
  std::vector<float> grad(2);
  auto bce = compute_loss({LossKind::kBinaryCrossEntropy, true}, pred.data(), {2, 1}, target, grad.data());
  ASSERT_TRUE(bce.has_value()) << bce.status().message();
  auto sig = [](double x) { return 1 / (1 + std::exp(-x)); };
  EXPECT_NEAR(*bce, (-std::log(sig(0.5)) - std::log(1 - sig(-2.0))) / 2, 1e-12);
  EXPECT_NEAR(grad[0], (sig(0.5) - 1) / 2, 1e-7);
  EXPECT_NEAR(grad[1], sig(-2.0) / 2, 1e-7);
  auto mse = compute_loss({LossKind::kMse, false}, pred.data(), {2, 1}, target, grad.data());
  ASSERT_TRUE(mse.has_value()) << mse.status().message();
  EXPECT_NEAR(*mse, (0.25 + 4.0) / 2, 1e-12);
  EXPECT_NEAR(grad[0], 2 * -0.5 / 2, 1e-7);
  EXPECT_NEAR(grad[1], 2 * -2.0 / 2, 1e-7);
}

TEST(TrainLoss, DistillationClosedForm) {
  const double t = 3;
  const std::vector<float> student = {0.2f, -1.0f, 2.5f};  // (1, 3)
  const std::vector<float> teacher = {1.5f, 0.3f, -0.7f};
  const Array target = make_array<float>(DType::kFloat32, {1, 3}, teacher);
  std::vector<float> grad(3);
  auto loss = compute_loss({LossKind::kKlDivergence, true, 3.0f}, student.data(), {1, 3}, target, grad.data());
  ASSERT_TRUE(loss.has_value()) << loss.status().message();
  double zp = 0, zq = 0;
  for (int c = 0; c < 3; ++c) {
    zp += std::exp(teacher[c] / t);
    zq += std::exp(student[c] / t);
  }
  double kl = 0;
  for (int c = 0; c < 3; ++c) {
    const double p = std::exp(teacher[c] / t) / zp, q = std::exp(student[c] / t) / zq;
    kl += p * std::log(p / q);
    EXPECT_NEAR(grad[c], t * (q - p), 1e-7);
  }
  EXPECT_NEAR(*loss, t * t * kl, 1e-12);
}

// Central differences of the loss against its gradient, for every loss kind
// with logits and with probabilities away from the clip bounds.
void check_finite_differences(const LossOptions& options, std::vector<float> pred, const ir::Shape& shape,
                              const Array& target) {
  std::vector<float> grad(pred.size());
  auto loss = compute_loss(options, pred.data(), shape, target, grad.data());
  ASSERT_TRUE(loss.has_value()) << loss.status().message();
  for (size_t i = 0; i < pred.size(); ++i) {
    const float x = pred[i];
    const float hi = x + 1e-3f, lo = x - 1e-3f;
    pred[i] = hi;
    const double up = *compute_loss(options, pred.data(), shape, target, nullptr);
    pred[i] = lo;
    const double down = *compute_loss(options, pred.data(), shape, target, nullptr);
    pred[i] = x;
    const double numeric = (up - down) / (static_cast<double>(hi) - lo);
    EXPECT_NEAR(grad[i], numeric, 1e-4 * std::max(1.0, std::abs(numeric))) << "element " << i;
  }
}

std::vector<float> uniform(size_t n, float lo, float hi, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(gen);
  return v;
}

TEST(TrainLoss, GradientsMatchFiniteDifferences) {
  const ir::Shape shape = {3, 4};
  const Array labels = make_array<int64_t>(DType::kInt64, {3, 1}, {0, 3, 2});
  const Array onehot = make_array<float>(DType::kFloat32, {3, 4}, {1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0});
  const Array soft = make_array<float>(DType::kFloat32, {3, 4}, uniform(12, 0.0f, 1.0f, 1));
  std::vector<float> dist = uniform(12, 0.05f, 1.0f, 2);
  for (int r = 0; r < 3; ++r) {
    float sum = 0;
    for (int c = 0; c < 4; ++c) sum += dist[r * 4 + c];
    for (int c = 0; c < 4; ++c) dist[r * 4 + c] /= sum;
  }
  const Array distribution = make_array<float>(DType::kFloat32, {3, 4}, dist);
  const std::vector<float> logits = uniform(12, -3.0f, 3.0f, 3);
  const std::vector<float> probs = uniform(12, 0.05f, 0.9f, 4);
  struct Case {
    LossOptions options;
    const std::vector<float>& pred;
    const Array& target;
  };
  const Case cases[] = {
      {{LossKind::kSparseCrossEntropy, true}, logits, labels},
      {{LossKind::kSparseCrossEntropy, false}, probs, labels},
      {{LossKind::kCrossEntropy, true}, logits, onehot},
      {{LossKind::kCrossEntropy, true}, logits, soft},  // targets that do not sum to 1
      {{LossKind::kCrossEntropy, false}, probs, distribution},
      {{LossKind::kBinaryCrossEntropy, true}, logits, soft},
      {{LossKind::kBinaryCrossEntropy, false}, probs, soft},
      {{LossKind::kMse, false}, logits, soft},
      {{LossKind::kKlDivergence, false}, probs, distribution},
      {{LossKind::kKlDivergence, true, 2.5f}, logits, soft},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(fmt::format("{} from_logits={}", loss_kind_name(c.options.kind), c.options.from_logits));
    check_finite_differences(c.options, c.pred, shape, c.target);
  }
}

TEST(TrainLoss, LabelDtypesAgree) {
  const std::vector<float> pred = uniform(12, -2.0f, 2.0f, 5);
  const Array labels[] = {
      make_array<int32_t>(DType::kInt32, {3}, {1, 0, 3}),
      make_array<int64_t>(DType::kInt64, {3, 1}, {1, 0, 3}),
      make_array<uint8_t>(DType::kUInt8, {3}, {1, 0, 3}),
      make_array<float>(DType::kFloat32, {3, 1}, {1, 0, 3}),
  };
  const double expected = *compute_loss({LossKind::kSparseCrossEntropy, true}, pred.data(), {3, 4}, labels[0], nullptr);
  for (const Array& l : labels) {
    auto loss = compute_loss({LossKind::kSparseCrossEntropy, true}, pred.data(), {3, 4}, l, nullptr);
    ASSERT_TRUE(loss.has_value()) << loss.status().message();
    EXPECT_EQ(*loss, expected) << dtype_name(l.dtype);
  }
}

void expect_refused(const Expected<double>& result, StatusCode code, const std::vector<std::string>& words) {
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.status().code(), code) << result.status().message();
  for (const std::string& w : words)
    EXPECT_NE(result.status().message().find(w), std::string::npos) << result.status().message() << " lacks " << w;
}

TEST(TrainLoss, BadLabelsRefused) {
  const std::vector<float> pred(8, 0.25f);  // (2, 4)
  const LossOptions sce{LossKind::kSparseCrossEntropy, true};
  auto with = [&](const Array& labels) { return compute_loss(sce, pred.data(), {2, 4}, labels, nullptr); };
  expect_refused(with(make_array<int32_t>(DType::kInt32, {2}, {1, 4})), StatusCode::kInvalidArgument,
                 {"label 4", "4 classes"});
  expect_refused(with(make_array<int64_t>(DType::kInt64, {2}, {-1, 0})), StatusCode::kInvalidArgument,
                 {"label -1", "4 classes"});
  expect_refused(with(make_array<float>(DType::kFloat32, {2}, {0.5f, 1})), StatusCode::kInvalidArgument,
                 {"label 0.5"});
  expect_refused(with(make_array<float>(DType::kFloat32, {2}, {NAN, 1})), StatusCode::kInvalidArgument, {"nan"});
  expect_refused(with(make_array<int32_t>(DType::kInt32, {3}, {0, 1, 2})), StatusCode::kInvalidArgument,
                 {"[3]", "[2,4]"});
  expect_refused(with(make_array<uint16_t>(DType::kFloat16, {2}, {0, 0})), StatusCode::kUnsupported, {"float16"});
  Array truncated = make_array<int32_t>(DType::kInt32, {2}, {0, 1});
  truncated.data.pop_back();
  expect_refused(with(truncated), StatusCode::kInvalidArgument, {"bytes"});
}

TEST(TrainLoss, BadShapesAndOptionsRefused) {
  const std::vector<float> pred(8, 0.25f);
  const Array onehot = make_array<float>(DType::kFloat32, {2, 4}, std::vector<float>(8, 0.25f));
  expect_refused(compute_loss({LossKind::kCrossEntropy, false}, pred.data(), {8}, onehot, nullptr),
                 StatusCode::kInvalidArgument, {"class axis"});
  expect_refused(compute_loss({LossKind::kMse, false}, pred.data(), {4, 2}, onehot, nullptr),
                 StatusCode::kInvalidArgument, {"[2,4]", "[4,2]"});
  expect_refused(compute_loss({LossKind::kCrossEntropy, true, 2.0f}, pred.data(), {2, 4}, onehot, nullptr),
                 StatusCode::kInvalidArgument, {"temperature"});
  expect_refused(compute_loss({LossKind::kKlDivergence, true, 0.0f}, pred.data(), {2, 4}, onehot, nullptr),
                 StatusCode::kInvalidArgument, {"temperature"});
  expect_refused(compute_loss({LossKind::kMse, false}, pred.data(), {2, 0}, onehot, nullptr),
                 StatusCode::kInvalidArgument, {"empty"});
}

TEST(TrainLoss, ParsesNames) {
  EXPECT_EQ(*parse_loss_kind("sparse_categorical_crossentropy"), LossKind::kSparseCrossEntropy);
  EXPECT_EQ(*parse_loss_kind("bce"), LossKind::kBinaryCrossEntropy);
  EXPECT_EQ(*parse_loss_kind(loss_kind_name(LossKind::kKlDivergence)), LossKind::kKlDivergence);
  EXPECT_FALSE(parse_loss_kind("hinge").has_value());
}

TEST(TrainLoss, CountsTop1AndBinaryCorrect) {
  const std::vector<float> pred = {0.1f, 0.7f, 0.2f,   // argmax 1
                                   0.5f, 0.5f, 0.0f,   // tie: the first, 0
                                   0.2f, 0.3f, 0.5f};  // argmax 2
  EXPECT_EQ(*count_top1_correct(pred.data(), {3, 3}, make_array<int32_t>(DType::kInt32, {3}, {1, 1, 2})), 2);
  const Array onehot = make_array<float>(DType::kFloat32, {3, 3}, {0, 1, 0, 1, 0, 0, 1, 0, 0});
  EXPECT_EQ(*count_top1_correct(pred.data(), {3, 3}, onehot), 2);
  EXPECT_FALSE(count_top1_correct(pred.data(), {3, 3}, make_array<int32_t>(DType::kInt32, {3}, {0, 3, 0})));
  EXPECT_FALSE(count_top1_correct(pred.data(), {9, 1}, make_array<int32_t>(DType::kInt32, {9}, std::vector(9, 0))));
  const Array bits = make_array<float>(DType::kFloat32, {3, 3}, {0, 1, 0, 1, 1, 0, 0, 0, 1});
  EXPECT_EQ(*count_binary_correct(pred.data(), {3, 3}, bits, 0.6f), 6);
}

}  // namespace
}  // namespace tfc::train
