// Both kernel sets against LiteRT: for every fixture with a golden file
// (inputs and LiteRT's outputs, written by fixtures/make_fixtures.py), run once
// on the reference kernels (ReferenceKernels/GoldenTest.*) and once on the fast
// kernels (FastKernels/GoldenTest.*), each output must match LiteRT's by the
// rule for its kind:
//  - int8 / uint8 / int16 outputs (quantized values): at most 0.1% of the
//    elements may differ by more than 1 (one quantization step);
//  - float outputs written by a DEQUANTIZE of an int8 / uint8 / int16 tensor:
//    one step is that tensor's scale; at most 0.1% of the elements may have
//    |ours - litert| > 1 step + 1e-6;
//  - everything else: |ours - litert| <= 1e-4 * max(1, |litert|) elementwise.
// Each output's figures (exact-match fraction, max difference) are printed as
// a "[ golden ]" line and recorded as test properties.
// Also runs each model once more after a write/read round trip. Models the
// runtime refuses (refused()) must name the op instead.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <tuple>

#include <fmt/format.h>

#include "io/npy.h"
#include "io/tflite_reader.h"
#include "io/tflite_writer.h"
#include "ops/registry.h"
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
    case DType::kInt16: return a.as<int16_t>()[i];
    case DType::kInt8: return a.as<int8_t>()[i];
    case DType::kUInt8: return a.as<uint8_t>()[i];
    case DType::kBool: return a.as<uint8_t>()[i];
    default: return NAN;
  }
}

bool is_quantized_int(DType t) { return t == DType::kInt8 || t == DType::kUInt8 || t == DType::kInt16; }

// At most this fraction of a quantized output's elements may be off by more than one step.
constexpr double kMaxFractionBeyondOneStep = 0.001;
constexpr double kRelativeTolerance = 1e-4;
constexpr double kDequantizedSlack = 1e-6;

// How one output is compared.
struct Rule {
  enum Kind { kRelative, kIntegerSteps, kDequantizedSteps } kind = kRelative;
  std::vector<float> scale;  // kDequantizedSteps: one step, per tensor or per channel along `axis`
  int32_t axis = 0;
};

// The rule for output i of subgraph 0: by the output's dtype, and for a float
// output by the op that writes it (a DEQUANTIZE of an integer tensor).
Rule rule_for_output(const ir::Model& model, size_t i, DType dtype) {
  Rule rule;
  if (is_quantized_int(dtype)) {
    rule.kind = Rule::kIntegerSteps;
    return rule;
  }
  if (dtype != DType::kFloat32 || model.subgraphs.empty()) return rule;
  const ir::Subgraph& sg = model.subgraphs[0];
  if (i >= sg.outputs.size()) return rule;
  const ir::TensorId out = sg.outputs[i];
  for (const ir::Op& op : sg.ops) {
    if (std::find(op.outputs.begin(), op.outputs.end(), out) == op.outputs.end()) continue;
    if (op.code.builtin != tflite::BuiltinOperator_DEQUANTIZE || op.inputs.empty() || op.inputs[0] < 0) break;
    const ir::Tensor& in = sg.tensors[op.inputs[0]];
    if (!is_quantized_int(in.dtype) || !in.is_quantized()) break;
    rule.kind = Rule::kDequantizedSteps;
    rule.scale = in.quantization->scale;
    rule.axis = in.quantization->axis;
    break;
  }
  return rule;
}

// Figures for one output.
struct Comparison {
  int64_t n = 0;
  int64_t exact = 0;          // equal (integers), within half a step (dequantized), within tolerance (float)
  int64_t beyond = 0;         // off by more than one step / than the tolerance (NaN counts here)
  double max_diff = 0;        // in steps (quantized rules) or relative (float rule)
};

Comparison compare(const Array& ours, const Array& ref, const Rule& rule) {
  Comparison c;
  c.n = ref.num_elements();
  // Per-channel dequantization: the channel of element e is (e / inner) % channels.
  int64_t inner = 1, channels = 1;
  if (rule.kind == Rule::kDequantizedSteps && rule.scale.size() > 1) {
    channels = static_cast<int64_t>(rule.scale.size());
    for (size_t d = static_cast<size_t>(rule.axis) + 1; d < ref.shape.size(); ++d) inner *= ref.shape[d];
  }
  for (int64_t e = 0; e < c.n; ++e) {
    const double r = as_double(ref, e);
    const double o = as_double(ours, e);
    const double abs_diff = std::fabs(o - r);
    double diff = 0;
    bool exact = false, beyond = false;
    switch (rule.kind) {
      case Rule::kIntegerSteps:
        diff = abs_diff;
        exact = diff == 0;
        beyond = !(diff <= 1);
        break;
      case Rule::kDequantizedSteps: {
        const double step = rule.scale.size() > 1 ? rule.scale[(e / inner) % channels] : rule.scale[0];
        diff = abs_diff / step;
        exact = diff < 0.5;
        beyond = !(abs_diff <= step + kDequantizedSlack);
        break;
      }
      case Rule::kRelative:
        diff = abs_diff / std::max(1.0, std::fabs(r));
        exact = diff <= kRelativeTolerance;
        beyond = !exact;
        break;
    }
    if (std::isnan(diff)) diff = INFINITY;
    c.max_diff = std::max(c.max_diff, diff);
    c.exact += exact;
    c.beyond += beyond;
  }
  return c;
}

// Golden files of models the runtime refuses, and what its error must say;
// GoldenTest leaves them out and Golden.RefusedModelsNameTheirOp checks them.
const std::map<std::string, std::string>& refused() {
  static const std::map<std::string, std::string> models = {{"while_loop", "unsupported op WHILE"}};
  return models;
}

// The first op of subgraph 0, in execution order, that the runtime cannot
// run: one it has no kernel for, else the op its error names ("op N: ...").
std::string first_unsupported_op(const ir::Model& model, const std::string& message) {
  if (model.subgraphs.empty()) return "none (the model has no subgraph)";
  const ir::Subgraph& sg = model.subgraphs[0];
  auto describe = [&](size_t i) {
    const ir::Op& op = sg.ops[i];
    std::string out = op.outputs.empty() || op.outputs[0] < 0 ? "?" : sg.tensors[op.outputs[0]].name;
    std::string in_types;
    for (ir::TensorId id : op.inputs) {
      if (id < 0) continue;
      in_types += (in_types.empty() ? "" : ", ") + std::string(dtype_name(sg.tensors[id].dtype));
    }
    return fmt::format("{} (op #{} of {}; inputs {}; output '{}')", ir::op_name(op.code), i, sg.ops.size(),
                       in_types, out);
  };
  for (size_t i = 0; i < sg.ops.size(); ++i) {
    if (!ops::find_op(sg.ops[i].code)) return describe(i) + " [no kernel]";
  }
  int index = -1;
  if (std::sscanf(message.c_str(), "op %d:", &index) == 1 && index >= 0 && static_cast<size_t>(index) < sg.ops.size()) {
    return describe(static_cast<size_t>(index));
  }
  return "not named by the runtime";
}

void expect_matches(const ir::Model& model, const Golden& golden, const std::string& what,
                    runtime::Kernels kernels) {
  runtime::InterpreterOptions options;
  options.kernels = kernels;
  auto outputs = runtime::run_model(model, golden.inputs, 0, options);
  ASSERT_TRUE(outputs.has_value()) << what << ": the " << runtime::kernels_name(kernels)
                                   << " kernels cannot run this model.\n  first unsupported op: "
                                   << first_unsupported_op(model, outputs.status().message())
                                   << "\n  runtime: " << outputs.status().message();
  ASSERT_EQ(outputs->size(), golden.outputs.size()) << what;
  for (size_t i = 0; i < outputs->size(); ++i) {
    const Array& ours = (*outputs)[i];
    const Array& ref = golden.outputs[i];
    ASSERT_EQ(ours.dtype, ref.dtype) << what << " output " << i;
    ASSERT_EQ(ours.shape, ref.shape) << what << " output " << i;
    const Rule rule = rule_for_output(model, i, ref.dtype);
    const Comparison c = compare(ours, ref, rule);
    const double exact_fraction = c.n ? static_cast<double>(c.exact) / c.n : 1.0;
    const double beyond_fraction = c.n ? static_cast<double>(c.beyond) / c.n : 0.0;
    const std::string key = what + "_output_" + std::to_string(i);
    std::string line;
    switch (rule.kind) {
      case Rule::kIntegerSteps:
      case Rule::kDequantizedSteps: {
        const std::string_view kind = rule.kind == Rule::kIntegerSteps ? dtype_name(ref.dtype) : "dequantized";
        line = fmt::format("{} output {} ({}, {} elements): exact {:.4f}%, within 1 step {:.4f}%, max diff {:.4g} "
                           "step(s)",
                           what, i, kind, c.n, 100.0 * exact_fraction, 100.0 * (1.0 - beyond_fraction), c.max_diff);
        EXPECT_LE(beyond_fraction, kMaxFractionBeyondOneStep)
            << line << ": " << c.beyond << " element(s) off by more than one quantization step (allowed: "
            << 100 * kMaxFractionBeyondOneStep << "%)";
        ::testing::Test::RecordProperty(key + "_exact_fraction", fmt::format("{:.6f}", exact_fraction));
        ::testing::Test::RecordProperty(key + "_max_diff_steps", fmt::format("{:.4g}", c.max_diff));
        break;
      }
      case Rule::kRelative:
        line = fmt::format("{} output {} ({}, {} elements): max rel err {:.3g}", what, i, dtype_name(ref.dtype), c.n,
                           c.max_diff);
        EXPECT_LE(c.max_diff, kRelativeTolerance) << line;
        ::testing::Test::RecordProperty(key + "_max_rel_err", std::to_string(c.max_diff));
        break;
    }
    std::cout << "[ golden   ] " << runtime::kernels_name(kernels) << " kernels: " << line << "\n";
  }
}

// Every golden file but those of refused() models.
std::vector<std::filesystem::path> golden_files() {
  std::vector<std::filesystem::path> out;
  const auto dir = test::fixtures_dir() / "golden";
  if (!std::filesystem::exists(dir)) return out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() != ".npz") continue;
    if (!refused().contains(e.path().stem().string())) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A golden file and the kernels that run its model.
class GoldenTest : public ::testing::TestWithParam<std::tuple<std::filesystem::path, runtime::Kernels>> {};

TEST_P(GoldenTest, MatchesLiteRT) {
  // The goldens come from LiteRT's default CPU path, whose int8 rescaling is
  // the runtime's default arithmetic (InterpreterOptions::arithmetic).
  const auto& [golden_path, kernel_set] = GetParam();
  const std::string name = golden_path.stem().string();
  const auto model_path = test::fixtures_dir() / "models" / (name + ".tflite");
  auto model = io::read_tflite(model_path.string());
  ASSERT_TRUE(model.has_value()) << model.status().message();
  const Golden golden = load_golden(golden_path);
  ASSERT_FALSE(golden.inputs.empty());
  ASSERT_FALSE(golden.outputs.empty());
  expect_matches(*model, golden, name, kernel_set);
  if (HasFatalFailure()) return;
  // The written model computes the same.
  auto bytes = io::serialize_tflite(*model);
  ASSERT_TRUE(bytes.has_value());
  auto reread = io::parse_tflite(*bytes);
  ASSERT_TRUE(reread.has_value());
  expect_matches(*reread, golden, name + " (round trip)", kernel_set);
}

std::string golden_name(const ::testing::TestParamInfo<GoldenTest::ParamType>& info) {
  return std::get<0>(info.param).stem().string();
}

INSTANTIATE_TEST_SUITE_P(ReferenceKernels, GoldenTest,
                         ::testing::Combine(::testing::ValuesIn(golden_files()),
                                            ::testing::Values(runtime::Kernels::kReference)),
                         golden_name);
INSTANTIATE_TEST_SUITE_P(FastKernels, GoldenTest,
                         ::testing::Combine(::testing::ValuesIn(golden_files()),
                                            ::testing::Values(runtime::Kernels::kFast)),
                         golden_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(GoldenTest);

TEST(Golden, FilesExist) { EXPECT_GE(golden_files().size(), 8u); }

TEST(Golden, RefusedModelsNameTheirOp) {
  for (const auto& [name, message] : refused()) {
    const auto golden_path = test::fixtures_dir() / "golden" / (name + ".npz");
    ASSERT_TRUE(std::filesystem::exists(golden_path)) << golden_path;
    auto model = io::read_tflite((test::fixtures_dir() / "models" / (name + ".tflite")).string());
    ASSERT_TRUE(model.has_value()) << model.status().message();
    const Golden golden = load_golden(golden_path);
    for (auto kernels : {runtime::Kernels::kReference, runtime::Kernels::kFast}) {
      runtime::InterpreterOptions options;
      options.kernels = kernels;
      auto outputs = runtime::run_model(*model, golden.inputs, 0, options);
      ASSERT_FALSE(outputs.has_value()) << name << " runs now: move it out of refused()";
      EXPECT_EQ(outputs.status().code(), StatusCode::kUnsupported) << outputs.status().message();
      EXPECT_NE(outputs.status().message().find(message), std::string::npos) << outputs.status().message();
    }
  }
}

}  // namespace
}  // namespace tfc
