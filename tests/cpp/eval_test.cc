// Tests for eval/: percentiles against NumPy's values, runner output parsing
// (LiteRT benchmark_model text and a JSON line, refusal of anything else,
// fields of odd types), classification metrics and error profiles on small
// known cases (NaN scores and outputs, an all-zero reference), Pareto fronts,
// budgets (unknown keys, fractions, each limit failing alone, hand-edited
// reports), deltas against a hand-edited baseline, a model without outputs,
// and an end-to-end evaluation of the Fashion-MNIST CNN fixture on real test
// images.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "eval/compare.h"
#include "eval/evaluate.h"
#include "eval/gate.h"
#include "eval/latency.h"
#include "eval/metrics.h"
#include "io/file_util.h"
#include "io/tflite_reader.h"
#include "io/tflite_writer.h"
#include "report/report.h"
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
                         {"latency", {{"p50_ms", 0.25}}},
                         {"memory", {{"peak_rss_bytes", 10000000}, {"peak_rss_scope", "model"}}},
                         {"metrics", {{"accuracy", 0.90}}}};
  nlohmann::json int8 = {
      {"name", "int8"},
      {"size", {{"raw_bytes", 100000}, {"gzip_bytes", 80000}}},
      {"latency", {{"p50_ms", 0.5}, {"p90_ms", 0.6}, {"p99_ms", 0.9}, {"mean_ms", 0.52}, {"init_ms", 3.0}}},
      {"memory", {{"peak_rss_bytes", 20000000}, {"peak_rss_scope", "model"}, {"arena_bytes", 50000}}},
      {"metrics", {{"accuracy", 0.89}, {"top_k", {{"k", 5}, {"accuracy", 0.99}}}}},
      {"error_vs_baseline", {{"top1_agreement", 0.97}, {"outputs", {{{"name", "y"}, {"snr_db", 30.0}}}}}}};
  return {{"schema", "tfcompress-report"}, {"schema_version", 1}, {"baseline", base}, {"models", {int8}}};
}

// check_budget on a report read from JSON through the typed reader.
Expected<GateResult> gate(const nlohmann::json& j, const Budget& budget, const std::vector<std::string>& only = {}) {
  TFC_ASSIGN_OR_RETURN(report::Report r, report::report_from_json(j));
  return check_budget(r, budget, only);
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
      {"max_latency_ratio", 2.0, 1.9},         {"max_size_ratio", 0.25, 0.2},
      {"max_peak_memory_ratio", 2.0, 1.5},
  };
  ASSERT_EQ(cases.size(), budget_keys().size());
  nlohmann::json all = nlohmann::json::object();
  for (const auto& [key, ok, bad] : cases) {
    all[key] = ok;
    auto b = parse_budget({{key, bad}});
    ASSERT_TRUE(b.has_value()) << key;
    auto r = gate(report, *b);
    ASSERT_TRUE(r.has_value()) << key << ": " << r.status().message();
    ASSERT_EQ(r->violations.size(), 1u) << key;
    EXPECT_EQ(r->violations[0].key, key);
    EXPECT_EQ(r->violations[0].model, "int8");
    EXPECT_NE(r->violations[0].message.find(key), std::string::npos);
  }
  auto pass = gate(report, *parse_budget(all));
  ASSERT_TRUE(pass.has_value());
  EXPECT_TRUE(pass->passed()) << pass->violations[0].message;
}

TEST(EvalGate, MissingFiguresFailAndBaselineLimitsNeedABaseline) {
  nlohmann::json report = sample_report();
  report["models"][0]["latency"]["p90_ms"] = nullptr;  // e.g. a runner without percentiles
  auto r = gate(report, *parse_budget({{"max_latency_p90_ms", 10}}));
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->violations.size(), 1u);
  EXPECT_NE(r->violations[0].message.find("no p90 latency"), std::string::npos);
  report["baseline"] = nullptr;
  EXPECT_FALSE(gate(report, *parse_budget({{"max_accuracy_drop", 0.01}})).has_value());
  EXPECT_FALSE(gate(report, *parse_budget({{"min_accuracy", 0.1}}), {"nope"}).has_value());
  EXPECT_FALSE(gate({{"schema", "other"}}, *parse_budget({{"min_accuracy", 0.1}})).has_value());
}

// A process-wide peak also holds what ran before the model in that process: no ratio.
TEST(EvalGate, PeakMemoryRatioNeedsPerModelPeaks) {
  nlohmann::json report = sample_report();
  report["models"][0]["memory"]["peak_rss_scope"] = "process";
  auto r = gate(report, *parse_budget({{"max_peak_memory_ratio", 100.0}}));
  ASSERT_TRUE(r.has_value()) << r.status().message();
  ASSERT_EQ(r->violations.size(), 1u);
  EXPECT_NE(r->violations[0].message.find("the report has no"), std::string::npos) << r->violations[0].message;
  EXPECT_TRUE(gate(sample_report(), *parse_budget({{"max_peak_memory_ratio", 100.0}}))->passed());
}

TEST(EvalGate, RatioKeysCompareWithTheBaselinesFigure) {
  for (const char* key : {"max_latency_ratio", "max_size_ratio", "max_peak_memory_ratio"}) {
    nlohmann::json report = sample_report();
    auto r = gate(report, *parse_budget({{key, 1.0}}), {"base"});  // the baseline against itself: 1
    ASSERT_TRUE(r.has_value()) << key << ": " << r.status().message();
    EXPECT_TRUE(r->passed()) << key;
    // A baseline figure that is missing or zero leaves no ratio: a violation saying so.
    report["baseline"]["size"]["raw_bytes"] = nullptr;
    report["baseline"]["latency"]["p50_ms"] = 0;
    report["baseline"]["memory"] = nullptr;
    r = gate(report, *parse_budget({{key, 100.0}}));
    ASSERT_TRUE(r.has_value()) << key;
    ASSERT_EQ(r->violations.size(), 1u) << key;
    EXPECT_NE(r->violations[0].message.find("the report has no"), std::string::npos) << r->violations[0].message;
    report["baseline"] = nullptr;
    auto none = gate(report, *parse_budget({{key, 100.0}}));
    ASSERT_FALSE(none.has_value()) << key;
    EXPECT_NE(none.status().message().find("baseline"), std::string::npos);
  }
}

TEST(EvalMetrics, NanScoresRankLowest) {
  const float nan = std::nanf("");
  // Sample 0: the true class 2 scores NaN, so it is neither top-1 nor top-2;
  // sample 1: a NaN in front does not hide the maximum.
  const Array scores = floats({2, 3}, {0.1f, 0.2f, nan, nan, 0.1f, 0.9f});
  auto c = classify(scores, {2, 2}, 2);
  ASSERT_TRUE(c.has_value()) << c.status().message();
  EXPECT_DOUBLE_EQ(c->accuracy, 0.5);
  EXPECT_DOUBLE_EQ(c->top_k_accuracy, 0.5);
  EXPECT_EQ(c->confusion[2][1], 1);
  EXPECT_EQ(c->confusion[2][2], 1);
}

TEST(EvalMetrics, ClassIdsRefuseEmptyRowsAndHugeIds) {
  Array empty_rows{DType::kFloat32, {3, 0}, {}};
  EXPECT_FALSE(class_ids(empty_rows).has_value());
  EXPECT_FALSE(class_ids(floats({1}, {1e30f})).has_value());
  EXPECT_FALSE(class_ids(floats({1}, {std::nanf("")})).has_value());
}

TEST(EvalMetrics, ErrorProfileStaysFiniteOrSaysWhyNot) {
  const float nan = std::nanf("");
  Outputs zero{{"y"}, {floats({2, 2}, {0, 0, 0, 0})}};
  Outputs small{{"y"}, {floats({2, 2}, {0.1f, 0, 0, 0})}};
  auto e = error_profile(small, zero);  // noise on an all-zero reference
  ASSERT_TRUE(e.has_value());
  EXPECT_DOUBLE_EQ(e->outputs[0].snr_db, -kSnrCeilingDb);
  EXPECT_TRUE(error_profile_json(*e)["outputs"][0]["snr_db"].is_number());

  Outputs with_nan{{"y"}, {floats({2, 2}, {nan, 1, 2, 3})}};
  Outputs clean{{"y"}, {floats({2, 2}, {0, 1, 2, 3})}};
  e = error_profile(with_nan, clean);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->outputs[0].nonfinite, 1);
  const auto j = error_profile_json(*e)["outputs"][0];
  EXPECT_EQ(j["nonfinite_values"], 1);
  for (const char* key : {"max_abs_error", "mean_abs_error", "cosine", "snr_db"}) EXPECT_TRUE(j[key].is_null()) << key;
  EXPECT_DOUBLE_EQ(*e->top1_agreement, 1.0);  // NaN ranks lowest: row 0 picks column 1 as the reference does

  e = error_profile(with_nan, with_nan);  // the same NaN in both agrees
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->outputs[0].nonfinite, 0);
  EXPECT_DOUBLE_EQ(e->outputs[0].max_abs_error, 0.0);
  EXPECT_DOUBLE_EQ(e->outputs[0].snr_db, kSnrCeilingDb);
}

TEST(EvalLatency, OddFieldTypesAreIgnoredNotThrown) {
  for (const char* warmup : {"null", "\"ten\"", "-3", "1e30"}) {
    const std::string line = std::string(R"({"latency_ms": [1, 2, 3], "warmup": )") + warmup + "}";
    auto l = parse_runner_output(line);
    ASSERT_TRUE(l.has_value()) << line << ": " << l.status().message();
    EXPECT_GE(l->warmup, 0);
    EXPECT_EQ(l->runs, 3);
  }
  auto huge = parse_runner_output("count=1e30 first=1 curr=1 min=1 max=1 avg=1 std=0\n");
  ASSERT_TRUE(huge.has_value());
  EXPECT_GT(huge->runs, 0);
  auto l = latency_from_json({{"source", 5}, {"warmup", "x"}, {"runs", nullptr}, {"threads", -2}});
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->source, "tfcompress");
  EXPECT_EQ(l->threads, 1);
  auto empty = parse_runner_output("");
  ASSERT_FALSE(empty.has_value());
  EXPECT_NE(empty.status().message().find("(nothing)"), std::string::npos);
}

TEST(EvalGate, HandEditedReportsAreErrorsNotExceptions) {
  const Budget budget = *parse_budget({{"min_accuracy", 0.5}});
  nlohmann::json report = sample_report();
  report["schema"] = 5;
  EXPECT_FALSE(gate(report, budget).has_value());
  report = sample_report();
  report["models"].push_back(1);
  auto r = gate(report, budget);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.status().message().find("models"), std::string::npos);
  report = sample_report();
  report["models"][0]["name"] = 7;
  report["models"][0]["latency"] = "fast";
  report["models"][0]["metrics"]["top_k"] = 3;
  r = gate(report, *parse_budget({{"max_latency_p90_ms", 1}, {"min_top_k_accuracy", 0.5}}));
  ASSERT_TRUE(r.has_value()) << r.status().message();
  EXPECT_EQ(r->violations.size(), 2u);  // both figures missing
  EXPECT_FALSE(gate(report, budget, {"int8"}).has_value());
}

TEST(EvalCompare, HandEditedBaselineFiguresGiveNullDeltas) {
  ModelResult m;
  m.entry = *report::model_from_json({{"name", "v"},
                                      {"size", {{"raw_bytes", 10}, {"gzip_bytes", 8}}},
                                      {"metrics", {{"accuracy", 0.5}, {"per_class_accuracy", {0.5, 0.5}}}}});
  m.outputs = {{"y"}, {floats({1, 2}, {0, 1})}};
  nlohmann::json base = {{"size", {{"raw_bytes", nullptr}, {"gzip_bytes", "8"}}},
                         {"metrics", {{"accuracy", 0.75}, {"per_class_accuracy", {nullptr, 0.25}}}}};
  ASSERT_TRUE(compare_to_baseline(m, *report::model_from_json(base), m.outputs).is_ok());
  const auto d = report::to_json(m.entry)["deltas"];
  EXPECT_TRUE(d["size_raw_bytes"].is_null());
  EXPECT_TRUE(d["gzip_ratio"].is_null());
  EXPECT_DOUBLE_EQ(d["accuracy"].get<double>(), -0.25);
  EXPECT_TRUE(d["per_class_accuracy"][0].is_null());
  EXPECT_DOUBLE_EQ(d["per_class_accuracy"][1].get<double>(), 0.25);
  base["metrics"]["per_class_accuracy"] = "all";
  EXPECT_TRUE(compare_to_baseline(m, *report::model_from_json(base), m.outputs).is_ok());
  // An entry without a name stays on the front as null.
  const auto nameless = *report::model_from_json({{"metrics", {{"accuracy", 0.9}}}, {"size", {{"raw_bytes", 1}}}});
  report::Report r;
  r.pareto = pareto_of({&nameless});
  const auto p = report::to_json(r)["pareto"];
  ASSERT_EQ(p["accuracy_vs_size"].size(), 1u);
  EXPECT_TRUE(p["accuracy_vs_size"][0].is_null());
}

TEST(EvalModel, FashionMnistCnnOnRealTestImages) {
  const std::string dir = test::fmnist_dir().string() + "/";
  if (!std::filesystem::exists(dir + "t10k-images-idx3-ubyte.gz")) GTEST_SKIP() << "Fashion-MNIST not found in " << dir;
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
  const auto e = report::to_json(r->entry);
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
  const auto c = report::to_json(copy.entry);
  EXPECT_DOUBLE_EQ(c["error_vs_baseline"]["top1_agreement"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(c["deltas"]["accuracy"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(c["deltas"]["size_ratio"].get<double>(), 1.0);
  // A report of these entries reads back to the same bytes.
  report::Report rep;
  rep.tool = report::this_tool();
  rep.created_at = utc_now_iso8601();
  rep.host = this_host();
  rep.settings = report_settings(s, *data);
  rep.baseline = r->entry;
  rep.models = {copy.entry};
  rep.pareto = pareto_of({&*rep.baseline, &rep.models[0]});
  const std::string text = report::report_text(rep);
  auto back = report::report_from_json(nlohmann::json::parse(text));
  ASSERT_TRUE(back.has_value()) << back.status().message();
  EXPECT_TRUE(back->absent_keys.empty());
  EXPECT_EQ(report::report_text(*back), text);
}

TEST(EvalModel, FastAndReferenceKernelsScoreAlikeAndAreRecorded) {
  const std::string dir = test::fmnist_dir().string() + "/";
  if (!std::filesystem::exists(dir + "t10k-images-idx3-ubyte.gz")) GTEST_SKIP() << "Fashion-MNIST not found in " << dir;
  auto data = load_eval_data(dir + "t10k-images-idx3-ubyte.gz," + dir + "t10k-labels-idx1-ubyte.gz", "",
                             1.0f / 255.0f, 100);
  ASSERT_TRUE(data.has_value()) << data.status().message();
  const std::string model = (test::fixtures_dir() / "models" / "cnn_fmnist.tflite").string();
  EvalSettings s;
  s.warmup = 1;
  s.runs = 3;
  s.progress = ProgressMode::kNever;
  EXPECT_EQ(s.kernels, "fast");  // the default
  s.threads = 2;
  auto fast = evaluate_model(model, "cnn", *data, s);
  ASSERT_TRUE(fast.has_value()) << fast.status().message();
  EXPECT_EQ(fast->entry.latency.threads, 2);
  EXPECT_EQ(report_settings(s, *data).kernels, "fast");
  s.kernels = "reference";
  s.threads = 1;
  auto ref = evaluate_model(model, "cnn", *data, s);
  ASSERT_TRUE(ref.has_value()) << ref.status().message();
  EXPECT_EQ(report_settings(s, *data).kernels, "reference");
  EXPECT_EQ(report_settings(s, *data).runtime, "reference");
  EXPECT_EQ(fast->entry.metrics.accuracy, ref->entry.metrics.accuracy);
  ASSERT_TRUE(compare_to_baseline(*fast, ref->entry, ref->outputs).is_ok());
  EXPECT_DOUBLE_EQ(*fast->entry.error_vs_baseline->top1_agreement, 1.0);
  EXPECT_LT(fast->entry.error_vs_baseline->outputs[0].max_abs_error, 1e-4);
  s.kernels = "turbo";
  auto bad = evaluate_model(model, "cnn", *data, s);
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.status().message().find("turbo"), std::string::npos) << bad.status().message();
}

TEST(EvalModel, ModelWithoutOutputsIsRefused) {
  auto model = io::read_tflite((test::fixtures_dir() / "models" / "cnn_fmnist.tflite").string());
  ASSERT_TRUE(model.has_value());
  model->subgraphs[0].outputs.clear();
  model->signature_defs.clear();
  const std::string path = (std::filesystem::temp_directory_path() / "tfc_eval_no_outputs.tflite").string();
  ASSERT_TRUE(io::write_tflite(path, *model).is_ok());
  Array x{DType::kFloat32, {2, 28, 28, 1}, std::vector<uint8_t>(2 * 28 * 28 * 4, 0)};
  EvalData data;
  data.data.x = x;
  EvalSettings s;
  s.warmup = 0;
  s.runs = 1;
  s.progress = ProgressMode::kNever;
  auto r = evaluate_model(path, "none", data, s);
  std::filesystem::remove(path);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.status().message().find("no outputs"), std::string::npos) << r.status().message();
}

TEST(EvalModel, BadInputsAreErrors) {
  EXPECT_FALSE(load_eval_data("/nonexistent.npz", "", std::nullopt, 0).has_value());
  const std::string dir = test::fmnist_dir().string() + "/";
  if (!std::filesystem::exists(dir + "t10k-images-idx3-ubyte.gz")) GTEST_SKIP() << "Fashion-MNIST not found in " << dir;
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
