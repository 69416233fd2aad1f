// inspect summaries and target compatibility on the fixture models.
#include <gtest/gtest.h>

#include "analysis/compat.h"
#include "analysis/inspect.h"
#include "io/tflite_reader.h"
#include "test_util.h"

namespace tfc::analysis {
namespace {

ir::Model load(const std::string& name) {
  auto m = io::read_tflite((test::fixtures_dir() / "models" / (name + ".tflite")).string());
  EXPECT_TRUE(m.has_value()) << m.status().message();
  return m.has_value() ? std::move(*m) : ir::Model{};
}

bool mentions(const std::vector<Incompatibility>& problems, const std::string& text) {
  return std::any_of(problems.begin(), problems.end(), [&](const Incompatibility& p) {
    return p.op == text || p.reason.find(text) != std::string::npos;
  });
}

TEST(Compat, FloatCnnRunsOnLiteRTAndMicroButNotInt8Only) {
  const auto m = load("cnn_fmnist");
  EXPECT_TRUE(check_compatibility(m, Target::kLiteRT).empty());
  EXPECT_TRUE(check_compatibility(m, Target::kMicro).empty());
  const auto int8 = check_compatibility(m, Target::kInt8Only);
  ASSERT_FALSE(int8.empty());
  EXPECT_TRUE(mentions(int8, "float32"));
}

TEST(Compat, CustomOpIsNamed) {
  const auto problems = check_compatibility(load("custom_op"), Target::kLiteRT);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].op, "Erfc");
  const auto j = compatibility_json(Target::kLiteRT, problems);
  EXPECT_FALSE(j["compatible"].get<bool>());
  EXPECT_EQ(j["unsupported_ops"][0], "Erfc");
}

TEST(Compat, DetectionPostProcessIsALiteRTBuiltinCustomOp) {
  EXPECT_TRUE(check_compatibility(load("ssd_postprocess"), Target::kLiteRT).empty());
}

TEST(Compat, Float16WeightsAreFlaggedForMicro) {
  EXPECT_TRUE(mentions(check_compatibility(load("cnn_fmnist_fp16"), Target::kMicro), "float16"));
}

TEST(Compat, UnknownTargetIsAnError) {
  auto t = parse_target("gpu");
  ASSERT_FALSE(t.has_value());
  EXPECT_EQ(exit_code(t.status()), 2);
}

TEST(Inspect, SummaryCountsParametersOpsAndSparsity) {
  const auto cnn = summarize_model(load("cnn_fmnist"));
  const auto& g = cnn["subgraphs"][0];
  EXPECT_EQ(g["ops"]["CONV_2D"], 2);
  EXPECT_EQ(g["ops"]["FULLY_CONNECTED"], 2);
  EXPECT_EQ(g["inputs"][0]["dtype"], "float32");
  EXPECT_GT(g["parameters"].get<int64_t>(), 10000);
  EXPECT_TRUE(cnn["metadata"].contains("min_runtime_version"));

  const auto sparse = summarize_model(load("sparse_fc"));
  const auto& tensors = sparse["subgraphs"][0]["sparse_tensors"];
  ASSERT_FALSE(tensors.empty());
  for (const auto& t : tensors) {
    EXPECT_GT(t["density"].get<double>(), 0.0);
    EXPECT_LT(t["density"].get<double>(), 1.0);
  }
  const auto fp16 = summarize_model(load("cnn_fmnist_fp16"));
  EXPECT_TRUE(fp16["subgraphs"][0]["constant_bytes_by_dtype"].contains("float16"));
}

TEST(Inspect, MultiSignatureModelListsBothSignatures) {
  const auto s = summarize_model(load("multi_signature"));
  EXPECT_EQ(s["signatures"].size(), 2u);
  EXPECT_EQ(s["subgraphs"].size(), 2u);
}

}  // namespace
}  // namespace tfc::analysis
