// Tests for calibration/: the growing histogram, the observer and calibrate()
// on the Fashion-MNIST CNN fixture with real samples, the range methods on
// synthetic histograms with known answers, the stats file (round trip,
// fingerprint refusal, corrupt files), the representative-data check, and the
// progress line. Not a test of quantization itself (later).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <optional>
#include <random>
#include <set>

#include "calibration/distribution_check.h"
#include "calibration/observer.h"
#include "calibration/ranges.h"
#include "calibration/stats.h"
#include "core/progress.h"
#include "io/tflite_reader.h"
#include "runtime/interpreter.h"
#include "test_util.h"

namespace tfc::calibration {
namespace {

namespace fs = std::filesystem;

// The Fashion-MNIST test split, images and labels.
std::string fashion_mnist_files() {
  return test::fmnist_file("t10k-images-idx3-ubyte.gz") + "," + test::fmnist_file("t10k-labels-idx1-ubyte.gz");
}

// ---------------------------------------------------------------- helpers

Histogram histogram_of(const std::vector<float>& values) {
  Histogram h;
  h.add(values);
  return h;
}

uint64_t sum_counts(const Histogram& h) { return std::accumulate(h.counts.begin(), h.counts.end(), uint64_t{0}); }

std::vector<float> uniform_values(float lo, float hi, int n) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) v[static_cast<size_t>(i)] = lo + (hi - lo) * (static_cast<float>(i) + 0.5f) / n;
  return v;
}

// N(0, 1) samples plus `outliers` values at +-outlier_value (alternating).
std::vector<float> gaussian_with_outliers(int n, int outliers, float outlier_value) {
  std::mt19937 rng(42);
  std::normal_distribution<float> normal(0.f, 1.f);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = normal(rng);
  for (int i = 0; i < outliers; ++i) v.push_back(i % 2 == 0 ? outlier_value : -outlier_value);
  return v;
}

TensorStats stats_of(const std::vector<float>& values) {
  TensorStats t;
  t.index = 1;
  t.name = "synthetic";
  t.non_finite = t.histogram.add(values);
  t.ema_min = t.min();
  t.ema_max = t.max();
  t.batches = 1;
  return t;
}

fs::path cnn_path() { return test::fixtures_dir() / "models" / "cnn_fmnist.tflite"; }

// Fashion-MNIST test images [begin, begin + count) as float32 [count, 28, 28, 1]
// times `scale` (1/255 gives the model's [0, 1] inputs); nullopt when the
// dataset is not installed.
std::optional<Dataset> fashion_mnist(int64_t begin, int64_t count, float scale) {
  static const Expected<Dataset> raw = load_dataset(fashion_mnist_files());
  if (!raw) return std::nullopt;
  Dataset d;
  d.x.dtype = DType::kFloat32;
  d.x.shape = {count, 28, 28, 1};
  d.x.data.resize(static_cast<size_t>(count * 28 * 28) * sizeof(float));
  const uint8_t* src = raw->x.as<uint8_t>() + begin * 28 * 28;
  float* dst = d.x.as<float>();
  for (int64_t i = 0; i < count * 28 * 28; ++i) dst[i] = static_cast<float>(src[i]) * scale;
  return d;
}

#define SKIP_WITHOUT_FASHION_MNIST(dataset)                                                         \
  if (!(dataset)) GTEST_SKIP() << "Fashion-MNIST not found in " << test::fmnist_dir()

class CalibrationFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("tfc_calibration_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

// ---------------------------------------------------------------- histogram

TEST(Histogram, SingleValueHasNoBinsUntilASpreadArrives) {
  Histogram h = histogram_of({2.f, 2.f, 2.f});
  EXPECT_FALSE(h.has_bins());
  EXPECT_EQ(h.total, 3u);
  EXPECT_EQ(h.min, 2.0);
  h.add(std::vector<float>{0.f, 4.f});
  ASSERT_TRUE(h.has_bins());
  EXPECT_EQ(sum_counts(h), 5u);
  EXPECT_DOUBLE_EQ(h.bin_width, 4.0 / (Histogram::kNumBins - 2));
  // The three 2s sit together in the bin holding 2.
  const auto bin_of_two = static_cast<size_t>(std::floor(2.0 / h.bin_width) - static_cast<double>(h.first_bin));
  EXPECT_EQ(h.counts[bin_of_two], 3u);
  EXPECT_EQ(h.counts[0], 1u);  // the window starts at the min
}

TEST(Histogram, GrowsByDoublingTheBinWidthAndMergesExactly) {
  Histogram h = histogram_of(uniform_values(0.f, 1.f, 1000));
  const double w0 = h.bin_width;
  h.add(std::vector<float>{-3.5f, 0.25f, 2.5f});
  EXPECT_EQ(h.total, 1003u);
  EXPECT_EQ(sum_counts(h), 1003u);
  EXPECT_DOUBLE_EQ(h.min, -3.5);
  EXPECT_DOUBLE_EQ(h.max, 2.5);
  // The width is w0 times a power of two, just enough for [min, max].
  const double factor = h.bin_width / w0;
  EXPECT_EQ(factor, std::exp2(std::round(std::log2(factor))));
  EXPECT_GT(factor, 2.0);
  EXPECT_LE(h.bin_lower(0), -3.5);
  EXPECT_GT(h.bin_lower(Histogram::kNumBins), 2.5);
  EXPECT_LT(h.bin_lower(Histogram::kNumBins) - h.bin_lower(0), 4 * 6.0);  // at most 2x the needed span (+ slack)
  // 0 is still a bin edge: the negative mass is exactly the one value below 0.
  uint64_t negative = 0;
  for (int i = 0; i < Histogram::kNumBins; ++i) {
    if (h.bin_lower(i + 1) <= 0) negative += h.counts[static_cast<size_t>(i)];
  }
  EXPECT_EQ(negative, 1u);
}

TEST(Histogram, SkipsNonFiniteValuesAndSurvivesHugeJumps) {
  Histogram h;
  EXPECT_EQ(h.add(std::vector<float>{NAN, INFINITY, 1.f, 1.0001f}), 2u);
  EXPECT_EQ(h.total, 2u);
  h.add(std::vector<float>{-3e38f, 3e38f});
  EXPECT_EQ(sum_counts(h), 4u);
  EXPECT_EQ(h.min, static_cast<double>(-3e38f));
  EXPECT_EQ(h.counts[0], 1u);
  EXPECT_EQ(h.counts[static_cast<size_t>(std::floor(h.max / h.bin_width) - static_cast<double>(h.first_bin))], 1u);
}

// ---------------------------------------------------------------- ranges

TEST(Ranges, MethodNamesRoundTrip) {
  for (auto m : {RangeMethod::kMinMax, RangeMethod::kMovingAverage, RangeMethod::kPercentile, RangeMethod::kEntropy,
                 RangeMethod::kMse}) {
    EXPECT_EQ(parse_range_method(range_method_name(m)), m);
  }
  EXPECT_FALSE(parse_range_method("kl"));
}

TEST(Ranges, UniformDataKeepsTheFullRangeWithEveryMethod) {
  const Histogram h = histogram_of(uniform_values(-1.f, 3.f, 200000));
  const Range mm = minmax_range(h);
  EXPECT_NEAR(mm.min, -1.0, 1e-4);
  EXPECT_NEAR(mm.max, 3.0, 1e-4);
  const Range p = percentile_range(h, 99.99);
  EXPECT_NEAR(p.min, -1.0, 4 * 1e-4 + h.bin_width);
  EXPECT_NEAR(p.max, 3.0, 4 * 1e-4 + h.bin_width);
  const Range p99 = percentile_range(h, 99.0);  // 1% of the 4-wide range in from each end
  EXPECT_NEAR(p99.min, -0.96, 2 * h.bin_width);
  EXPECT_NEAR(p99.max, 2.96, 2 * h.bin_width);
  for (const Range& r : {entropy_range(h, 8), mse_range(h, 8)}) {
    EXPECT_NEAR(r.min, -1.0, 0.05);
    EXPECT_GT(r.max, 2.9);
    EXPECT_LE(r.max, 3.0);
  }
}

TEST(Ranges, GaussianWithOutliersIsClippedByEntropyAndMse) {
  const Histogram h = histogram_of(gaussian_with_outliers(1000000, 2, 40.f));
  EXPECT_DOUBLE_EQ(h.max, 40.0);
  const Range entropy = entropy_range(h, 8);
  const Range mse = mse_range(h, 8);
  // Well inside [-40, 40], and symmetric about 0 (a threshold on |x|).
  EXPECT_GT(entropy.max, 3.0);
  EXPECT_LT(entropy.max, 10.0);
  EXPECT_DOUBLE_EQ(entropy.min, -entropy.max);
  // Clipping the two outliers costs 2 * (40 - T)^2, rounding the million others
  // 1e6 * (2T / 255)^2 / 12: the balance lies near T = 11.
  EXPECT_GT(mse.max, 8.0);
  EXPECT_LT(mse.max, 14.0);
  EXPECT_DOUBLE_EQ(mse.min, -mse.max);
  // Percentile 99.99 drops the outliers; int16 rounding is so fine that MSE keeps them.
  EXPECT_LT(percentile_range(h, 99.99).max, 5.0);
  EXPECT_GT(mse_range(h, 16).max, 39.0);
}

// The threshold minimizing the exact squared error of `values` (no histogram):
// clipping error plus (step^2 / 12) per value, on a grid of step 0.01.
double exact_mse_threshold(const std::vector<float>& values, bool one_sided) {
  double best_t = 0, best = INFINITY;
  for (double t = 3.0; t <= 5.0; t += 0.01) {
    const double lo = one_sided ? 0.0 : -t;
    const double step = (t - lo) / 255;
    double error = 0;
    for (float v : values) {
      const double c = std::clamp<double>(v, lo, t);
      error += (v - c) * (v - c) + step * step / 12;
    }
    if (error < best) {
      best = error;
      best_t = t;
    }
  }
  return best_t;
}

TEST(Ranges, MseOfAGaussianMatchesTheExactOptimum) {
  // In theory the int8 optimum is T = 3.92 sigma for N(0, 1) (as in ACIQ, Banner
  // et al. 2019) and 4.07 for ReLU(N(0, 1)) on [0, T]; a finite sample's tail
  // moves it a little, so compare with the sample's own exact optimum.
  std::vector<float> x = gaussian_with_outliers(200000, 0, 0.f);
  const Range signed_range = mse_range(histogram_of(x), 8);
  EXPECT_NEAR(signed_range.max, exact_mse_threshold(x, false), 0.03);
  EXPECT_NEAR(signed_range.max, 3.92, 0.25);
  EXPECT_DOUBLE_EQ(signed_range.min, -signed_range.max);
  for (float& v : x) v = std::max(v, 0.f);
  const Histogram relu = histogram_of(x);
  const Range one_sided = mse_range(relu, 8);
  EXPECT_NEAR(one_sided.max, exact_mse_threshold(x, true), 0.03);
  EXPECT_NEAR(one_sided.max, 4.07, 0.25);
  EXPECT_EQ(one_sided.min, 0.0);
}

TEST(Ranges, EntropyOfAReluOutputIsNotFooledByTheSpikeAtZero) {
  std::vector<float> x = gaussian_with_outliers(200000, 0, 0.f);
  for (float& v : x) v = std::max(v, 0.f);  // half the values are exactly 0
  const Histogram relu = histogram_of(x);
  const Range entropy = entropy_range(relu, 8);
  EXPECT_EQ(entropy.min, 0.0);
  EXPECT_GT(entropy.max, 3.0);
  EXPECT_LE(entropy.max, relu.max);
}

TEST(Ranges, ComputeRangeDispatchesAndValidates) {
  TensorStats t = stats_of(uniform_values(0.f, 1.f, 1000));
  t.ema_min = -0.5;
  t.ema_max = 0.75;
  RangeOptions options;
  options.method = RangeMethod::kMovingAverage;
  EXPECT_EQ(*compute_range(t, options), (Range{-0.5, 0.75}));
  options.method = RangeMethod::kPercentile;
  options.percentile = 30;
  EXPECT_EQ(compute_range(t, options).status().code(), StatusCode::kInvalidArgument);
  options.method = RangeMethod::kEntropy;
  options.num_bits = 1;
  EXPECT_EQ(compute_range(t, options).status().code(), StatusCode::kInvalidArgument);
  // A single value gives [v, v] whatever the method.
  const TensorStats constant = stats_of({0.5f, 0.5f});
  for (auto m : {RangeMethod::kMinMax, RangeMethod::kPercentile, RangeMethod::kEntropy, RangeMethod::kMse}) {
    EXPECT_EQ(*compute_range(constant, {m, 99.0, 8}), (Range{0.5, 0.5})) << range_method_name(m);
  }
}

// ---------------------------------------------------------------- observer

TEST(Observer, MovingAverageIsTheDebiasedEmaOfBatchRangesWithZero) {
  ir::Model model;
  model.buffers.resize(1);
  ir::Subgraph g;
  g.tensors.resize(1);
  g.tensors[0].name = "x";
  g.inputs = {0};
  model.subgraphs.push_back(g);
  ActivationObserver observer(model, 0, 0.5);
  observer.record(0, std::vector<float>{1.f, 2.f});   // range [0, 2]
  observer.record(0, std::vector<float>{-1.f, 4.f});  // range [-1, 4]
  observer.record(7, std::vector<float>{100.f});      // not observed: ignored
  const CalibrationStats s = observer.stats();
  ASSERT_EQ(s.tensors.size(), 1u);
  const TensorStats& t = s.tensors[0];
  // b1 = 0.5 * r1, b2 = 0.25 * r1 + 0.5 * r2; debiased by 1 - 0.5^2 = 0.75.
  EXPECT_DOUBLE_EQ(t.ema_max, (0.25 * 2 + 0.5 * 4) / 0.75);
  EXPECT_DOUBLE_EQ(t.ema_min, (0.25 * 0 + 0.5 * -1) / 0.75);
  EXPECT_EQ(t.batches, 2u);
  EXPECT_EQ(t.count(), 4u);
  EXPECT_EQ(t.min(), -1.0);
  EXPECT_EQ(t.max(), 4.0);
}

// The float32 non-constant graph inputs and op outputs of subgraph 0.
std::set<int32_t> activation_ids(const ir::Model& model) {
  const ir::Subgraph& g = model.subgraphs[0];
  std::set<int32_t> ids;
  auto add = [&](int32_t id) {
    const ir::Tensor& t = g.tensors[static_cast<size_t>(id)];
    if (t.dtype == DType::kFloat32 && !model.is_constant(t)) ids.insert(id);
  };
  for (int32_t id : g.inputs) add(id);
  for (const ir::Op& op : g.ops) {
    for (int32_t id : op.outputs) add(id);
  }
  return ids;
}

TEST(Observer, RecordsEveryActivationOfTheCnnOnFashionMnist) {
  const auto data = fashion_mnist(0, 6, 1.f / 255);
  SKIP_WITHOUT_FASHION_MNIST(data);
  auto model = io::read_tflite(cnn_path().string());
  ASSERT_TRUE(model.has_value()) << model.status().message();
  CalibrationOptions options;
  options.progress = ProgressMode::kNever;
  auto stats = calibrate(*model, *data, options);
  ASSERT_TRUE(stats.has_value()) << stats.status().message();

  EXPECT_EQ(stats->num_samples, 6);
  EXPECT_EQ(stats->model, *fingerprint_model(*model));
  const std::set<int32_t> ids = activation_ids(*model);
  ASSERT_EQ(stats->tensors.size(), ids.size());
  const ir::Subgraph& g = model->subgraphs[0];
  for (int32_t id : ids) {
    const TensorStats* t = stats->find(id);
    ASSERT_NE(t, nullptr) << g.tensors[static_cast<size_t>(id)].name;
    const ir::Shape& shape = g.tensors[static_cast<size_t>(id)].shape;
    const int64_t per_sample = ir::num_elements(shape) / shape[0];
    EXPECT_EQ(t->count(), static_cast<uint64_t>(6 * per_sample)) << t->name;
    EXPECT_EQ(t->batches, 6u) << t->name;
    EXPECT_EQ(t->non_finite, 0u) << t->name;
    EXPECT_LT(t->min(), t->max()) << t->name;
    EXPECT_EQ(sum_counts(t->histogram), t->count()) << t->name;
    // Moving averages of per-batch ranges lie between the overall range and 0.
    EXPECT_GE(t->ema_min, std::min(t->min(), 0.0) - 1e-9) << t->name;
    EXPECT_LE(t->ema_min, 0.0) << t->name;
    EXPECT_LE(t->ema_max, std::max(t->max(), 0.0) + 1e-9) << t->name;
    EXPECT_GE(t->ema_max, 0.0) << t->name;
    // Every method gives a range inside what was seen.
    for (auto m : {RangeMethod::kMinMax, RangeMethod::kPercentile, RangeMethod::kEntropy, RangeMethod::kMse}) {
      auto r = compute_range(*t, {m, 99.99, 8});
      ASSERT_TRUE(r.has_value());
      EXPECT_GE(r->min, t->min()) << t->name << " " << range_method_name(m);
      EXPECT_LE(r->max, t->max()) << t->name << " " << range_method_name(m);
      EXPECT_LT(r->min, r->max) << t->name << " " << range_method_name(m);
    }
  }
  // The input is the data fed; the output (softmax) matches what the interpreter returns.
  const TensorStats* input = stats->find(g.inputs[0]);
  EXPECT_EQ(input->min(), 0.0);
  EXPECT_GT(input->max(), 0.9);
  EXPECT_LE(input->max(), 1.0);
  double out_min = 1e9, out_max = -1e9;
  for (int64_t i = 0; i < 6; ++i) {
    auto outputs = runtime::run_model(*model, {*take_sample(data->x, i)});
    ASSERT_TRUE(outputs.has_value()) << outputs.status().message();
    const Array& y = (*outputs)[0];
    for (int64_t k = 0; k < y.num_elements(); ++k) {
      out_min = std::min<double>(out_min, y.as<float>()[k]);
      out_max = std::max<double>(out_max, y.as<float>()[k]);
    }
  }
  const TensorStats* output = stats->find(g.outputs[0]);
  EXPECT_EQ(output->min(), out_min);
  EXPECT_EQ(output->max(), out_max);
}

TEST(Observer, BatchSizeChangesBatchesButNotTheValuesSeen) {
  const auto data = fashion_mnist(10, 5, 1.f / 255);
  SKIP_WITHOUT_FASHION_MNIST(data);
  auto model = io::read_tflite(cnn_path().string());
  ASSERT_TRUE(model.has_value());
  CalibrationOptions one;
  one.progress = ProgressMode::kNever;
  CalibrationOptions batched = one;
  batched.batch_size = 2;  // batches of 2, 2, 1
  auto a = calibrate(*model, *data, one);
  auto b = calibrate(*model, *data, batched);
  ASSERT_TRUE(a.has_value()) << a.status().message();
  ASSERT_TRUE(b.has_value()) << b.status().message();
  ASSERT_EQ(a->tensors.size(), b->tensors.size());
  for (size_t i = 0; i < a->tensors.size(); ++i) {
    EXPECT_EQ(a->tensors[i].count(), b->tensors[i].count());
    EXPECT_EQ(a->tensors[i].min(), b->tensors[i].min());
    EXPECT_EQ(a->tensors[i].max(), b->tensors[i].max());
    EXPECT_EQ(b->tensors[i].batches, 3u);
  }
  // One batch holding everything: the moving average is that batch's range (with 0).
  CalibrationOptions whole = one;
  whole.batch_size = 5;
  auto c = calibrate(*model, *data, whole);
  ASSERT_TRUE(c.has_value());
  for (const TensorStats& t : c->tensors) {
    EXPECT_DOUBLE_EQ(t.ema_min, std::min(t.min(), 0.0)) << t.name;
    EXPECT_DOUBLE_EQ(t.ema_max, std::max(t.max(), 0.0)) << t.name;
  }
}

TEST(Observer, CalibrateRejectsBadOptionsAndData) {
  auto model = io::read_tflite(cnn_path().string());
  ASSERT_TRUE(model.has_value());
  Dataset data;
  data.x = Array{DType::kFloat32, {2, 28, 28, 1}, std::vector<uint8_t>(2 * 28 * 28 * 4, 0)};
  CalibrationOptions options;
  options.progress = ProgressMode::kNever;
  options.batch_size = 0;
  EXPECT_EQ(calibrate(*model, data, options).status().code(), StatusCode::kInvalidArgument);
  options.batch_size = 1;
  options.momentum = 1.0;
  EXPECT_EQ(calibrate(*model, data, options).status().code(), StatusCode::kInvalidArgument);
  options.momentum = 0.9;
  // uint8 samples where the model wants float32: the error names the samples and dtypes.
  Dataset raw;
  raw.x = Array{DType::kUInt8, {2, 28, 28, 1}, std::vector<uint8_t>(2 * 28 * 28, 0)};
  const Status s = calibrate(*model, raw, options).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("samples [0, 1)"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("uint8"), std::string::npos) << s.message();
}

// ---------------------------------------------------------------- stats file

CalibrationStats synthetic_stats() {
  CalibrationStats s;
  s.model = {123456, 0xdeadbeef};
  s.num_samples = 10;
  s.batch_size = 2;
  s.momentum = 0.99;
  s.tensors.push_back(stats_of(gaussian_with_outliers(10000, 2, 40.f)));
  s.tensors.push_back(stats_of({0.25f, 0.25f}));  // a single value: no bins
  s.tensors.back().index = 4;
  s.tensors.back().name = "constant-ish";
  TensorStats empty;  // nothing finite seen
  empty.index = 7;
  empty.name = "all-nan";
  empty.non_finite = empty.histogram.add(std::vector<float>{NAN});
  s.tensors.push_back(empty);
  return s;
}

TEST_F(CalibrationFile, StatsRoundTripExactlyAndGiveTheSameRanges) {
  const CalibrationStats s = synthetic_stats();
  const std::string path = (dir_ / "stats.json").string();
  ASSERT_TRUE(save_stats(path, s).is_ok());
  auto loaded = load_stats(path, s.model);
  ASSERT_TRUE(loaded.has_value()) << loaded.status().message();
  EXPECT_EQ(*loaded, s);
  for (auto m : {RangeMethod::kMinMax, RangeMethod::kMovingAverage, RangeMethod::kPercentile, RangeMethod::kEntropy,
                 RangeMethod::kMse}) {
    EXPECT_EQ(compute_range(loaded->tensors[0], {m, 99.9, 8}).value(), compute_range(s.tensors[0], {m, 99.9, 8}).value());
  }
  EXPECT_EQ(compute_ranges(*loaded, {}).value().size(), 2u);  // the all-NaN tensor has no range
  // No temporary file is left behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST_F(CalibrationFile, StatsOfTheRealModelRoundTripAndRefuseAnotherModel) {
  const auto data = fashion_mnist(0, 2, 1.f / 255);
  SKIP_WITHOUT_FASHION_MNIST(data);
  auto cnn = io::read_tflite(cnn_path().string());
  auto mlp = io::read_tflite((test::fixtures_dir() / "models" / "mlp_fmnist.tflite").string());
  ASSERT_TRUE(cnn.has_value() && mlp.has_value());
  CalibrationOptions options;
  options.progress = ProgressMode::kNever;
  auto stats = calibrate(*cnn, *data, options);
  ASSERT_TRUE(stats.has_value());
  const std::string path = (dir_ / "cnn.json").string();
  ASSERT_TRUE(save_stats(path, *stats).is_ok());
  auto again = load_stats(path, *fingerprint_model(*cnn));
  ASSERT_TRUE(again.has_value()) << again.status().message();
  EXPECT_EQ(*again, *stats);
  const Status refused = load_stats(path, *fingerprint_model(*mlp)).status();
  EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.message().find("different model"), std::string::npos) << refused.message();
}

TEST_F(CalibrationFile, CorruptStatsFilesAreRejectedWithAReason) {
  const std::string path = (dir_ / "bad.json").string();
  auto load_text = [&](const std::string& text) {
    std::ofstream(path) << text;
    return load_stats(path).status();
  };
  EXPECT_NE(load_text("{not json").message().find("not valid JSON"), std::string::npos);
  EXPECT_NE(load_text(R"({"format": "something-else", "version": 1})").message().find("format"), std::string::npos);
  EXPECT_NE(load_text(R"({"format": "tfcompress-calibration-stats", "version": 99})").message().find("version 99"),
            std::string::npos);
  // A histogram whose counts do not add up to the tensor's count.
  ASSERT_TRUE(save_stats(path, synthetic_stats()).is_ok());
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t at = text.find("\"count\": 10002");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 14, "\"count\": 10003");
  const Status s = load_text(text);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("histogram holds 10002 values"), std::string::npos) << s.message();
  EXPECT_EQ(load_stats((dir_ / "missing.json").string()).status().code(), StatusCode::kNotFound);
}

// ---------------------------------------------------------------- distribution check

bool has_problem(const std::vector<Finding>& findings) { return worst_severity(findings) != Severity::kInfo; }

std::string all_messages(const std::vector<Finding>& findings) {
  std::string out;
  for (const Finding& f : findings) out += std::string(severity_name(f.severity)) + ": " + f.message + "\n";
  return out;
}

TEST(DistributionCheck, FlagsUnnormalizedRepresentativeData) {
  const auto raw = fashion_mnist(0, 100, 1.f);             // 0..255: forgot to divide
  const auto normalized = fashion_mnist(100, 100, 1.f / 255);
  SKIP_WITHOUT_FASHION_MNIST(raw);
  auto findings = check_input_distributions(*raw, *normalized);
  ASSERT_TRUE(findings.has_value()) << findings.status().message();
  EXPECT_EQ(worst_severity(*findings), Severity::kError) << all_messages(*findings);
  const std::string text = all_messages(*findings);
  EXPECT_NE(text.find("input 0 mean differs by"), std::string::npos) << text;
  EXPECT_NE(text.find("representative data looks unnormalized (max 255) while validation max is 1"),
            std::string::npos)
      << text;
}

TEST(DistributionCheck, PassesTwoSamplesOfTheSameDistribution) {
  const auto a = fashion_mnist(0, 200, 1.f / 255);
  const auto b = fashion_mnist(200, 200, 1.f / 255);
  SKIP_WITHOUT_FASHION_MNIST(a);
  auto findings = check_input_distributions(*a, *b);
  ASSERT_TRUE(findings.has_value());
  EXPECT_FALSE(has_problem(*findings)) << all_messages(*findings);
  auto same = check_input_distributions(*a, *a);
  ASSERT_TRUE(same.has_value());
  EXPECT_FALSE(has_problem(*same)) << all_messages(*same);
  EXPECT_NE(all_messages(*same).find("agree"), std::string::npos);
}

TEST(DistributionCheck, FlagsAShiftedSyntheticInput) {
  auto as_array = [](const std::vector<float>& v) {
    Array a{DType::kFloat32, {static_cast<int64_t>(v.size())}, std::vector<uint8_t>(v.size() * 4)};
    std::memcpy(a.data.data(), v.data(), a.data.size());
    return a;
  };
  std::vector<float> shifted = gaussian_with_outliers(20000, 0, 0.f);
  for (float& x : shifted) x += 3.1f;
  auto findings = check_input(as_array(gaussian_with_outliers(20000, 0, 0.f)), as_array(shifted), 0);
  ASSERT_TRUE(findings.has_value());
  EXPECT_EQ(worst_severity(*findings), Severity::kError);
  EXPECT_NE(all_messages(*findings).find("input 0 mean differs by 3.1 std"), std::string::npos)
      << all_messages(*findings);
}

TEST(DistributionCheck, ComparesActivationRangesOfTwoCalibrations) {
  const auto normalized = fashion_mnist(0, 8, 1.f / 255);
  const auto other = fashion_mnist(8, 8, 1.f / 255);
  const auto raw = fashion_mnist(8, 8, 1.f);
  SKIP_WITHOUT_FASHION_MNIST(normalized);
  auto model = io::read_tflite(cnn_path().string());
  ASSERT_TRUE(model.has_value());
  CalibrationOptions options;
  options.progress = ProgressMode::kNever;
  auto rep = calibrate(*model, *normalized, options);
  auto val = calibrate(*model, *other, options);
  auto val_raw = calibrate(*model, *raw, options);
  ASSERT_TRUE(rep.has_value() && val.has_value() && val_raw.has_value());

  auto bad = compare_activation_ranges(*rep, *val_raw);
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(worst_severity(*bad), Severity::kError) << all_messages(*bad);
  EXPECT_NE(all_messages(*bad).find("they will clip"), std::string::npos);

  auto good = compare_activation_ranges(*rep, *val);
  ASSERT_TRUE(good.has_value());
  EXPECT_NE(worst_severity(*good), Severity::kError) << all_messages(*good);
  auto identical = compare_activation_ranges(*rep, *rep);
  ASSERT_TRUE(identical.has_value());
  EXPECT_FALSE(has_problem(*identical)) << all_messages(*identical);

  CalibrationStats other_model = *val;
  other_model.model.crc32 ^= 1;
  EXPECT_EQ(compare_activation_ranges(*rep, other_model).status().code(), StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------- progress

TEST(Progress, FormatsLabelCountRateAndEta) {
  EXPECT_EQ(format_duration(5), "0:05");
  EXPECT_EQ(format_duration(3725), "1:02:05");
  EXPECT_EQ(format_duration(-1), "?");
  EXPECT_EQ(format_progress_line("calibrating", 0, 100, 0.0, 10), "calibrating [          ] 0/100");
  EXPECT_EQ(format_progress_line("calibrating", 25, 100, 5.0, 10), "calibrating [==>       ] 25/100  5.0/s  ETA 0:15");
  EXPECT_EQ(format_progress_line("calibrating", 100, 100, 20.0, 10), "calibrating [==========] 100/100  5.0/s  0:20");
}

TEST(Progress, DrawsOnlyWhenEnabled) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    ProgressBar off("quiet", 3, ProgressMode::kNever, f);
    off.update(3);
  }
  EXPECT_EQ(std::ftell(f), 0);
  {
    ProgressBar bar("work", 3, ProgressMode::kAlways, f);
    bar.update(1);
    bar.update(3);
  }
  std::rewind(f);
  char buffer[512] = {};
  const size_t n = std::fread(buffer, 1, sizeof(buffer) - 1, f);
  std::fclose(f);
  const std::string text(buffer, n);
  EXPECT_NE(text.find("\rwork ["), std::string::npos) << text;
  EXPECT_NE(text.find("3/3"), std::string::npos) << text;
  EXPECT_EQ(text.back(), '\n');
}

}  // namespace
}  // namespace tfc::calibration
