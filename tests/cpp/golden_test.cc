// The reference runtime against LiteRT: for every fixture with a golden file
// (inputs and LiteRT's outputs, written by fixtures/make_fixtures.py), our
// outputs must satisfy |ours - litert| <= 1e-4 * max(1, |litert|) elementwise.
// Also runs each model once more after a write/read round trip.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include <fstream>

#include <nlohmann/json.hpp>

#include "io/npy.h"
#include "io/tflite_reader.h"
#include "io/tflite_writer.h"
#include "runtime/interpreter.h"
#include "test_util.h"

namespace tfc {
namespace {

struct Golden {
  std::vector<Array> inputs;
  std::vector<Array> outputs;
};

Golden load_golden(const std::filesystem::path& path) {
  Golden g;
  auto arrays = read_npz(path.string());
  EXPECT_TRUE(arrays.has_value()) << arrays.status().message();
  if (!arrays.has_value()) return g;
  for (int i = 0;; ++i) {
    auto it = std::find_if(arrays->begin(), arrays->end(),
                           [&](const NamedArray& a) { return a.name == "input_" + std::to_string(i); });
    if (it == arrays->end()) break;
    g.inputs.push_back(it->array);
  }
  for (int i = 0;; ++i) {
    auto it = std::find_if(arrays->begin(), arrays->end(),
                           [&](const NamedArray& a) { return a.name == "output_" + std::to_string(i); });
    if (it == arrays->end()) break;
    g.outputs.push_back(it->array);
  }
  return g;
}

double as_double(const Array& a, int64_t i) {
  switch (a.dtype) {
    case DType::kFloat32: return a.as<float>()[i];
    case DType::kInt32: return a.as<int32_t>()[i];
    case DType::kInt64: return static_cast<double>(a.as<int64_t>()[i]);
    case DType::kInt8: return a.as<int8_t>()[i];
    case DType::kUInt8: return a.as<uint8_t>()[i];
    case DType::kBool: return a.as<uint8_t>()[i];
    default: return NAN;
  }
}

// Largest |ours - ref| / max(1, |ref|) over the elements.
double max_relative_error(const Array& ours, const Array& ref) {
  double worst = 0;
  for (int64_t i = 0; i < ref.num_elements(); ++i) {
    const double r = as_double(ref, i);
    const double o = as_double(ours, i);
    const double err = std::fabs(o - r) / std::max(1.0, std::fabs(r));
    worst = std::max(worst, std::isnan(err) ? INFINITY : err);
  }
  return worst;
}

// Fixtures kept for round trips only (e.g. WHILE loops) may hold ops the
// reference runtime does not run; for those the runtime must name them.
bool roundtrip_only(const std::string& name) {
  static const nlohmann::json manifest = [] {
    std::ifstream in(test::fixtures_dir() / "manifest.json");
    return nlohmann::json::parse(in, nullptr, false);
  }();
  return manifest.is_object() && manifest.contains(name) && manifest[name].value("roundtrip_only", false);
}

void expect_matches(const ir::Model& model, const Golden& golden, const std::string& what) {
  auto outputs = runtime::run_model(model, golden.inputs);
  if (!outputs.has_value() && outputs.status().code() == StatusCode::kUnsupported &&
      roundtrip_only(what.substr(0, what.find(' ')))) {
    EXPECT_NE(outputs.status().message().find("unsupported op"), std::string::npos) << outputs.status().message();
    GTEST_SKIP() << what << ": " << outputs.status().message();
  }
  ASSERT_TRUE(outputs.has_value()) << what << ": " << outputs.status().message();
  ASSERT_EQ(outputs->size(), golden.outputs.size());
  for (size_t i = 0; i < outputs->size(); ++i) {
    const Array& ours = (*outputs)[i];
    const Array& ref = golden.outputs[i];
    ASSERT_EQ(ours.dtype, ref.dtype) << what << " output " << i;
    ASSERT_EQ(ours.shape, ref.shape) << what << " output " << i;
    const double err = max_relative_error(ours, ref);
    EXPECT_LE(err, 1e-4) << what << " output " << i;
    ::testing::Test::RecordProperty(what + "_output_" + std::to_string(i) + "_max_rel_err", std::to_string(err));
  }
}

std::vector<std::filesystem::path> golden_files() {
  std::vector<std::filesystem::path> out;
  const auto dir = test::fixtures_dir() / "golden";
  if (!std::filesystem::exists(dir)) return out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".npz") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

class GoldenTest : public ::testing::TestWithParam<std::filesystem::path> {};

TEST_P(GoldenTest, MatchesLiteRT) {
  const auto golden_path = GetParam();
  const std::string name = golden_path.stem().string();
  const auto model_path = test::fixtures_dir() / "models" / (name + ".tflite");
  auto model = io::read_tflite(model_path.string());
  ASSERT_TRUE(model.has_value()) << model.status().message();
  const Golden golden = load_golden(golden_path);
  ASSERT_FALSE(golden.inputs.empty());
  ASSERT_FALSE(golden.outputs.empty());
  expect_matches(*model, golden, name);
  // The written model computes the same.
  auto bytes = io::serialize_tflite(*model);
  ASSERT_TRUE(bytes.has_value());
  auto reread = io::parse_tflite(*bytes);
  ASSERT_TRUE(reread.has_value());
  expect_matches(*reread, golden, name + " (round trip)");
}

INSTANTIATE_TEST_SUITE_P(Fixtures, GoldenTest, ::testing::ValuesIn(golden_files()),
                         [](const auto& info) { return info.param.stem().string(); });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(GoldenTest);

TEST(Golden, FilesExist) { EXPECT_GE(golden_files().size(), 8u); }

}  // namespace
}  // namespace tfc
