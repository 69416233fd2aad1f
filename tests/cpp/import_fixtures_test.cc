// Every committed Keras / SavedModel fixture (fixtures/keras/manifest.json,
// made by fixtures/keras/make_keras_fixtures.py), in every format it was saved
// in, imported natively and run by the reference interpreter on the fixture's
// inputs: the outputs equal the Keras / TensorFlow outputs recorded beside the
// model, max |diff| <= 1e-5 x max(1, max |reference|). Models holding a Lambda
// or a custom layer are refused naming the layer. No Python needed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

#include "importers/import.h"
#include "io/npy.h"
#include "runtime/interpreter.h"
#include "test_util.h"

namespace tfc {
namespace {

using nlohmann::json;

std::filesystem::path keras_fixtures() { return test::fixtures_dir() / "keras"; }

json manifest() {
  std::ifstream in(keras_fixtures() / "manifest.json");
  if (!in) return json::object();
  return json::parse(in);
}

struct Case {
  std::string model, format;
};
void PrintTo(const Case& c, std::ostream* os) { *os << c.model << "/" << c.format; }

std::vector<Case> cases() {
  std::vector<Case> out;
  const json m = manifest();
  if (!m.contains("models")) return out;
  for (const auto& [model, spec] : m["models"].items()) {
    for (const auto& [format, _] : spec["formats"].items()) out.push_back({model, format});
  }
  return out;
}

const NamedArray* find_array(const std::vector<NamedArray>& arrays, const std::string& name) {
  for (const auto& a : arrays) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

// The IR's signature name of input / output i (the builder names them after the Keras inputs and outputs).
std::string signature_name(const ir::Model& model, bool input, size_t i) {
  if (model.signature_defs.empty()) return {};
  const auto& entries = input ? model.signature_defs[0].inputs : model.signature_defs[0].outputs;
  const auto& ids = input ? model.subgraphs[0].inputs : model.subgraphs[0].outputs;
  for (const auto& e : entries) {
    if (static_cast<ir::TensorId>(e.tensor_index) == ids[i]) return e.name;
  }
  return {};
}

std::vector<float> as_float(const Array& a) {
  std::vector<float> v(static_cast<size_t>(a.num_elements()));
  for (size_t i = 0; i < v.size(); ++i) {
    switch (a.dtype) {
      case DType::kFloat32: v[i] = a.as<float>()[i]; break;
      case DType::kFloat64: v[i] = static_cast<float>(a.as<double>()[i]); break;
      case DType::kInt32: v[i] = static_cast<float>(a.as<int32_t>()[i]); break;
      case DType::kInt64: v[i] = static_cast<float>(a.as<int64_t>()[i]); break;
      default: ADD_FAILURE() << "unexpected dtype " << dtype_name(a.dtype); return {};
    }
  }
  return v;
}

class ImportFixture : public ::testing::TestWithParam<Case> {};

TEST_P(ImportFixture, OutputsMatchKeras) {
  const Case& c = GetParam();
  const json spec = manifest()["models"][c.model];
  const json& f = spec["formats"][c.format];
  const auto dir = keras_fixtures() / c.model;
  auto inputs = read_npz((dir / "inputs.npz").string());
  ASSERT_TRUE(inputs) << inputs.status().message();
  auto expected = read_npz((dir / f["expected"].get<std::string>()).string());
  ASSERT_TRUE(expected) << expected.status().message();

  importers::ImportOptions options;
  options.batch = spec["samples"].get<int>();
  if (f.contains("signature")) options.signature = f["signature"].get<std::string>();
  auto imported = importers::import_model((dir / f["path"].get<std::string>()).string(), options);
  ASSERT_TRUE(imported) << imported.status().message();
  const ir::Model& model = imported->model;
  auto interp = runtime::Interpreter::create(model, 0, {.kernels = runtime::Kernels::kReference});
  ASSERT_TRUE(interp) << interp.status().message();

  const auto& input_names = f["inputs"];
  ASSERT_EQ((*interp)->num_inputs(), static_cast<int>(input_names.size()));
  // The format's k-th input name (its signature key) is the model's k-th input,
  // whose samples inputs.npz holds under the Keras input's name.
  const auto npz_name = [&](const std::string& key) -> std::string {
    for (size_t k = 0; k < input_names.size(); ++k) {
      if (input_names[k] == key) return spec["inputs"][k]["name"].get<std::string>();
    }
    return key;
  };
  for (int i = 0; i < (*interp)->num_inputs(); ++i) {
    std::string name = signature_name(model, true, static_cast<size_t>(i));
    const NamedArray* a = find_array(*inputs, npz_name(name));
    if (!a) a = find_array(*inputs, npz_name(input_names[static_cast<size_t>(i)].get<std::string>()));
    ASSERT_NE(a, nullptr) << "no input array for model input " << i << " ('" << name << "')";
    ASSERT_TRUE((*interp)->set_input(i, a->array).is_ok());
  }
  ASSERT_TRUE((*interp)->invoke().is_ok());

  const auto& output_names = f["outputs"];
  ASSERT_EQ((*interp)->num_outputs(), static_cast<int>(output_names.size()));
  for (int i = 0; i < (*interp)->num_outputs(); ++i) {
    std::string name = signature_name(model, false, static_cast<size_t>(i));
    const NamedArray* want = find_array(*expected, name);
    if (!want) want = find_array(*expected, output_names[static_cast<size_t>(i)].get<std::string>());
    ASSERT_NE(want, nullptr) << "no expected array for model output " << i << " ('" << name << "')";
    const Array got = (*interp)->output(i);
    ASSERT_EQ(got.num_elements(), want->array.num_elements()) << "output " << want->name;
    const auto g = as_float(got), w = as_float(want->array);
    float max_ref = 0, max_diff = 0;
    for (size_t k = 0; k < w.size(); ++k) {
      max_ref = std::max(max_ref, std::fabs(w[k]));
      max_diff = std::max(max_diff, std::fabs(g[k] - w[k]));
      ASSERT_FALSE(std::isnan(g[k])) << "output " << want->name << " element " << k;
    }
    EXPECT_LE(max_diff, 1e-5f * std::max(1.0f, max_ref)) << "output " << want->name << " of " << c.model << "/"
                                                         << c.format;
  }
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  return info.param.model + "_" + info.param.format;
}

INSTANTIATE_TEST_SUITE_P(Committed, ImportFixture, ::testing::ValuesIn(cases()), case_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ImportFixture);

TEST(ImportFixtures, ManifestListsTheModels) {
  // The suite above is generated from the manifest: make an empty or missing
  // manifest a failure rather than zero tests.
  EXPECT_GE(cases().size(), 40u);
}

TEST(ImportFixtures, LambdaAndCustomLayersAreRefusedByName) {
  const json refused = manifest()["refused"];
  ASSERT_FALSE(refused.empty());
  for (const auto& [file, what] : refused.items()) {
    auto imported = importers::import_model((keras_fixtures() / "refused" / file).string());
    ASSERT_FALSE(imported) << file;
    EXPECT_EQ(imported.status().code(), StatusCode::kUnsupported) << file << ": " << imported.status().message();
    EXPECT_NE(imported.status().message().find(what["layer"].get<std::string>()), std::string::npos)
        << file << ": " << imported.status().message();
  }
}

}  // namespace
}  // namespace tfc
