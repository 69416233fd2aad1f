// Tests for eval/: percentiles against NumPy's values, runner output parsing
// (LiteRT benchmark_model text and a JSON line, refusal of anything else),
// classification metrics and error profiles on small known cases, Pareto
// fronts, budgets (unknown keys, fractions, each limit failing alone), and an
// end-to-end evaluation of the Fashion-MNIST CNN fixture on real test images.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "eval/evaluate.h"
#include "eval/gate.h"
#include "eval/latency.h"
#include "eval/metrics.h"
#include "io/file_util.h"
#include "test_util.h"

namespace tfc::eval {
namespace {

Array floats(std::vector<int64_t> shape, std::vector<float> v) {
  Array a{DType::kFloat32, std::move(shape), {}};
  a.data.resize(v.size() * sizeof(float));
  std::memcpy(a.data.data(), v.data(), a.data.size());
  return a;
}

TEST(EvalLatency, PercentilesMatchNumpyLinear) {
  // np.percentile([1, 2, 3, 4, 10], [50, 90, 99]) -> 3.0, 7.6, 9.76
  const std::vector<double> v = {4, 1, 10, 3, 2};
  EXPECT_DOUBLE_EQ(percentile(v, 50), 3.0);
  EXPECT_NEAR(percentile(v, 90), 7.6, 1e-12);
  EXPECT_NEAR(percentile(v, 99), 9.76, 1e-12);
  EXPECT_DOUBLE_EQ(percentile({5}, 99), 5.0);
  Latency l;
  l.samples_ms = {1, 2, 3, 4};
  summarize(l);
  EXPECT_DOUBLE_EQ(*l.mean_ms, 2.5);
  EXPECT_NEAR(*l.std_ms, std::sqrt(1.25), 1e-12);
  EXPECT_EQ(l.runs, 4);
  EXPECT_DOUBLE_EQ(*l.min_ms, 1);
  EXPECT_DOUBLE_EQ(*l.max_ms, 4);
}

TEST(EvalLatency, ParsesBenchmarkModelOutput) {
  const std::string out =
      "INFO: Initialized TensorFlow Lite runtime.\n"
      "The input model file size (MB): 0.412\n"
      "Initialized session in 2.587ms.\n"
      "Running benchmark for at least 1 iterations and at least 0.5 seconds but terminate if exceeding 150 seconds.\n"
      "count=17 first=41432 curr=29155 min=28794 max=41432 avg=30074.1 std=2924\n"
      "Running benchmark for at least 50 iterations and at least 1 seconds but terminate if exceeding 150 seconds.\n"
      "count=50 first=29134 curr=28848 min=28660 max=31178 avg=29229.2 std=480\n"
      "Inference timings in us: Init: 2587, First inference: 41432, Warmup (avg): 30074.1, Inference (avg): 29229.2\n"
      "Memory footprint delta from the start of the tool (MB): init=5.26 overall=12.18\n"
      "Overall peak memory footprint (MB) via periodic monitoring: 13.5\n";
  auto l = parse_runner_output(out);
  ASSERT_TRUE(l.has_value()) << l.status().message();
  EXPECT_EQ(l->source, "runner");
  EXPECT_EQ(l->runs, 50);  // the timed block, not the warm-up one
  EXPECT_NEAR(*l->mean_ms, 29.2292, 1e-9);
  EXPECT_NEAR(*l->min_ms, 28.660, 1e-9);
  EXPECT_NEAR(*l->std_ms, 0.480, 1e-9);
  EXPECT_NEAR(*l->init_ms, 2.587, 1e-9);
  EXPECT_NEAR(*l->first_run_ms, 41.432, 1e-9);
  EXPECT_NEAR(*l->peak_memory_bytes, 13.5 * 1024 * 1024, 1);
  EXPECT_FALSE(l->p50_ms.has_value());  // benchmark_model prints no median here
  // With percentiles in the statistics line.
  auto m = parse_runner_output("count=10 first=5 curr=5 min=4 max=9 avg=5.5 std=1 p5=4 median=5 p95=8\n");
  ASSERT_TRUE(m.has_value());
  EXPECT_NEAR(*m->p50_ms, 0.005, 1e-12);
}

TEST(EvalLatency, ParsesJsonLineAndRefusesOtherOutput) {
  auto l = parse_runner_output("warming up\n{\"latency_ms\": [2, 1, 3], \"init_ms\": 7, \"warmup\": 4}\n");
  ASSERT_TRUE(l.has_value()) << l.status().message();
  EXPECT_DOUBLE_EQ(*l->p50_ms, 2);
  EXPECT_EQ(l->runs, 3);
  EXPECT_EQ(l->warmup, 4);
  EXPECT_DOUBLE_EQ(*l->init_ms, 7);
  auto bad = parse_runner_output("Segmentation fault\n");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.status().message().find("Segmentation fault"), std::string::npos);
  EXPECT_FALSE(parse_runner_output("{\"latency_ms\": [\"x\"]}\n").has_value());
}

TEST(EvalLatency, RunnerCommandQuotesTheModelPath) {
  EXPECT_EQ(expand_runner("bench --graph={model} --num_threads={threads}", "/tmp/a b's.tflite", 2),
            "bench --graph='/tmp/a b'\\''s.tflite' --num_threads=2");
}

TEST(EvalMetrics, ClassificationOnAKnownCase) {
  // 4 samples, 3 classes; predictions 0, 2, 1, 2; labels 0, 1, 1, 2.
  const Array scores = floats({4, 3}, {0.9f, 0.05f, 0.05f, 0.1f, 0.3f, 0.6f, 0.2f, 0.7f, 0.1f, 0.1f, 0.2f, 0.7f});
  auto c = classify(scores, {0, 1, 1, 2}, 2);
  ASSERT_TRUE(c.has_value());
  EXPECT_DOUBLE_EQ(c->accuracy, 0.75);
  EXPECT_DOUBLE_EQ(c->top_k_accuracy, 1.0);  // sample 1's true class is second
  EXPECT_EQ(c->confusion[1][2], 1);
  EXPECT_EQ(c->confusion[1][1], 1);
  EXPECT_DOUBLE_EQ(c->per_class_accuracy[1], 0.5);
  EXPECT_EQ(c->per_class_count[2], 1);
  EXPECT_FALSE(classify(scores, {0, 1, 3, 2}, 1).has_value());  // label out of range
}

TEST(EvalMetrics, ClassIdsFromIdsAndOneHot) {
  Array ids{DType::kUInt8, {3}, {2, 0, 1}};
  EXPECT_EQ(*class_ids(ids), (std::vector<int64_t>{2, 0, 1}));
  EXPECT_EQ(*class_ids(floats({2, 3}, {0, 0, 1, 1, 0, 0})), (std::vector<int64_t>{2, 0}));
  EXPECT_FALSE(class_ids(floats({2}, {0.5f, 1})).has_value());
}

TEST(EvalMetrics, ErrorProfile) {
  Outputs ref{{"y"}, {floats({2, 2}, {1, 0, 0, 1})}};
  Outputs same = ref;
  auto e = error_profile(same, ref);
  ASSERT_TRUE(e.has_value());
  EXPECT_DOUBLE_EQ(*e->top1_agreement, 1.0);
  EXPECT_DOUBLE_EQ(e->outputs[0].max_abs_error, 0);
  EXPECT_NEAR(e->outputs[0].cosine, 1.0, 1e-12);
  Outputs off{{"y"}, {floats({2, 2}, {1, 0, 1, 0.5f})}};  // second sample now argmax 0
  auto f = error_profile(off, ref);
  EXPECT_DOUBLE_EQ(*f->top1_agreement, 0.5);
  EXPECT_DOUBLE_EQ(f->outputs[0].max_abs_error, 1.0);
  EXPECT_DOUBLE_EQ(f->outputs[0].mean_abs_error, 0.375);
  EXPECT_NEAR(f->outputs[0].snr_db, 10 * std::log10(2.0 / 1.25), 1e-9);
  Outputs wrong{{"y"}, {floats({1, 2}, {1, 0})}};
  EXPECT_FALSE(error_profile(wrong, ref).has_value());
}

TEST(EvalMetrics, ParetoFront) {
  // (quality, cost): a (0.9, 100) b (0.85, 30) c (0.84, 40) dominated by b, d (0.9, 100) ties a, e missing.
  const auto front = pareto_front({0.9, 0.85, 0.84, 0.9, std::nullopt}, {100, 30, 40, 100, 1});
  EXPECT_EQ(front, (std::vector<size_t>{0, 1, 3}));
}

nlohmann::json sample_report() {
  nlohmann::json base = {{"name", "base"},
                         {"size", {{"raw_bytes", 400000}, {"gzip_bytes", 370000}}},
                         {"metrics", {{"accuracy", 0.90}}}};
  nlohmann::json int8 = {
      {"name", "int8"},
      {"size", {{"raw_bytes", 100000}, {"gzip_bytes", 80000}}},
      {"latency", {{"p50_ms", 0.5}, {"p90_ms", 0.6}, {"p99_ms", 0.9}, {"mean_ms", 0.52}, {"init_ms", 3.0}}},
      {"memory", {{"peak_rss_bytes", 20000000}, {"arena_bytes", 50000}}},
      {"metrics", {{"accuracy", 0.89}, {"top_k", {{"k", 5}, {"accuracy", 0.99}}}}},
      {"error_vs_baseline", {{"top1_agreement", 0.97}, {"outputs", {{{"name", "y"}, {"snr_db", 30.0}}}}}}};
  return {{"schema", "tfcompress-report"}, {"schema_version", 1}, {"baseline", base}, {"models", {int8}}};
}

TEST(EvalGate, BudgetsRefuseUnknownKeysAndPercentages) {
  EXPECT_FALSE(parse_budget({{"max_latency_p90", 1}}).has_value());
  auto typo = parse_budget({{"max_latncy_p90_ms", 1}});
  ASSERT_FALSE(typo.has_value());
  EXPECT_NE(typo.status().message().find("max_latncy_p90_ms"), std::string::npos);
  EXPECT_FALSE(parse_budget({{"min_accuracy", 85}}).has_value());  // a fraction, not percent
  EXPECT_FALSE(parse_budget({{"max_size_bytes", "big"}}).has_value());
  EXPECT_FALSE(parse_budget(nlohmann::json::object()).has_value());
  EXPECT_TRUE(parse_budget({{"min_accuracy", 0.85}, {"max_size_bytes", 1e6}}).has_value());
}

TEST(EvalGate, EachLimitFailsAloneAndPassesWhenMet) {
  const nlohmann::json report = sample_report();
  // Limits the int8 entry meets, and for each a value it breaks.
  const std::vector<std::tuple<std::string, double, double>> cases = {
      {"max_latency_p50_ms", 0.5, 0.4},        {"max_latency_p90_ms", 0.7, 0.59},
      {"max_latency_p99_ms", 1.0, 0.8},        {"max_latency_mean_ms", 0.6, 0.5},
      {"max_init_ms", 5, 2},                   {"max_peak_memory_bytes", 3e7, 1e7},
      {"max_arena_bytes", 60000, 40000},       {"max_size_bytes", 100000, 99999},
      {"max_gzip_size_bytes", 90000, 70000},   {"min_accuracy", 0.85, 0.895},
      {"min_top_k_accuracy", 0.98, 0.995},     {"max_accuracy_drop", 0.02, 0.005},
      {"min_top1_agreement", 0.95, 0.98},      {"min_snr_db", 25, 35},
  };
  ASSERT_EQ(cases.size(), budget_keys().size());
  nlohmann::json all = nlohmann::json::object();
  for (const auto& [key, ok, bad] : cases) {
    all[key] = ok;
    auto b = parse_budget({{key, bad}});
    ASSERT_TRUE(b.has_value()) << key;
    auto r = check_budget(report, *b);
    ASSERT_TRUE(r.has_value()) << key << ": " << r.status().message();
    ASSERT_EQ(r->violations.size(), 1u) << key;
    EXPECT_EQ(r->violations[0].key, key);
    EXPECT_EQ(r->violations[0].model, "int8");
    EXPECT_NE(r->violations[0].message.find(key), std::string::npos);
  }
  auto pass = check_budget(report, *parse_budget(all));
  ASSERT_TRUE(pass.has_value());
  EXPECT_TRUE(pass->passed()) << pass->violations[0].message;
}

TEST(EvalGate, MissingFiguresFailAndBaselineLimitsNeedABaseline) {
  nlohmann::json report = sample_report();
  report["models"][0]["latency"]["p90_ms"] = nullptr;  // e.g. a runner without percentiles
  auto r = check_budget(report, *parse_budget({{"max_latency_p90_ms", 10}}));
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->violations.size(), 1u);
  EXPECT_NE(r->violations[0].message.find("no p90 latency"), std::string::npos);
  report["baseline"] = nullptr;
  EXPECT_FALSE(check_budget(report, *parse_budget({{"max_accuracy_drop", 0.01}})).has_value());
  EXPECT_FALSE(check_budget(report, *parse_budget({{"min_accuracy", 0.1}}), {"nope"}).has_value());
  EXPECT_FALSE(check_budget({{"schema", "other"}}, *parse_budget({{"min_accuracy", 0.1}})).has_value());
}

TEST(EvalModel, FashionMnistCnnOnRealTestImages) {
  const std::string dir = "/usr/share/datasets/fashion-mnist/";
  if (!std::filesystem::exists(dir + "t10k-images-idx3-ubyte.gz")) GTEST_SKIP() << "dataset-fashion-mnist missing";
  auto data = load_eval_data(dir + "t10k-images-idx3-ubyte.gz," + dir + "t10k-labels-idx1-ubyte.gz", "",
                             1.0f / 255.0f, 200);
  ASSERT_TRUE(data.has_value()) << data.status().message();
  EXPECT_EQ(data->samples(), 200);
  ASSERT_TRUE(data->labels.has_value());
  EvalSettings s;
  s.warmup = 2;
  s.runs = 10;
  s.progress = ProgressMode::kNever;
  const std::string model = (test::fixtures_dir() / "models" / "cnn_fmnist.tflite").string();
  auto r = evaluate_model(model, "cnn", *data, s);
  ASSERT_TRUE(r.has_value()) << r.status().message();
  const auto& e = r->entry;
  EXPECT_EQ(e["sha256"], *io::sha256_file(model));
  EXPECT_EQ(e["size"]["raw_bytes"].get<uint64_t>(), std::filesystem::file_size(model));
  EXPECT_LT(e["size"]["gzip_bytes"].get<uint64_t>(), e["size"]["raw_bytes"].get<uint64_t>());
  EXPECT_EQ(e["latency"]["runs"], 10);
  EXPECT_GT(e["latency"]["p50_ms"].get<double>(), 0);
  EXPECT_LE(e["latency"]["p50_ms"].get<double>(), e["latency"]["p99_ms"].get<double>());
  EXPECT_GT(e["memory"]["arena_bytes"].get<uint64_t>(), 28u * 28u * 4u);
  EXPECT_GT(e["memory"]["peak_rss_bytes"].get<uint64_t>(), 0u);
  const double acc = e["metrics"]["accuracy"].get<double>();
  EXPECT_GT(acc, 0.7);  // a trained CNN, far above chance (0.1)
  int64_t confusion_total = 0;
  for (const auto& row : e["metrics"]["confusion"]) {
    for (const auto& v : row) confusion_total += v.get<int64_t>();
  }
  EXPECT_EQ(confusion_total, 200);
  // Against itself: no error, full agreement.
  ModelResult copy = *r;
  ASSERT_TRUE(compare_to_baseline(copy, r->entry, r->outputs).is_ok());
  EXPECT_DOUBLE_EQ(copy.entry["error_vs_baseline"]["top1_agreement"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(copy.entry["deltas"]["accuracy"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(copy.entry["deltas"]["size_ratio"].get<double>(), 1.0);
}

TEST(EvalModel, BadInputsAreErrors) {
  EXPECT_FALSE(load_eval_data("/nonexistent.npz", "", std::nullopt, 0).has_value());
  const std::string dir = "/usr/share/datasets/fashion-mnist/";
  if (!std::filesystem::exists(dir + "t10k-images-idx3-ubyte.gz")) GTEST_SKIP();
  // Integer images into a float model without --input-scale.
  auto data = load_eval_data(dir + "t10k-images-idx3-ubyte.gz", "", std::nullopt, 4);
  ASSERT_TRUE(data.has_value());
  EvalSettings s;
  s.progress = ProgressMode::kNever;
  auto r = evaluate_model((test::fixtures_dir() / "models" / "cnn_fmnist.tflite").string(), "cnn", *data, s);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.status().message().find("--input-scale"), std::string::npos);
}

}  // namespace
}  // namespace tfc::eval
