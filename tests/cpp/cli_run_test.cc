// The library and the CLI compute the same: runtime::run_model() with default
// InterpreterOptions and `tfcompress run` without flags give bit-identical
// outputs on every fixture with int8 activations, and so do
// InterpreterOptions::arithmetic = kFixedPoint and `--arithmetic reference`.
// The CLI is the built binary (TFC_CLI_PATH), run on a random input .npz.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "io/npy.h"
#include "io/tflite_reader.h"
#include "runtime/interpreter.h"
#include "test_util.h"

namespace tfc::runtime {
namespace {

// True when subgraph 0 computes int8 values (an int8 tensor that is not a
// constant), i.e. runs integer kernels whose rescaling the arithmetic picks.
bool has_int8_activations(const ir::Model& m) {
  for (const ir::Tensor& t : m.subgraphs[0].tensors) {
    if (t.dtype == DType::kInt8 && !m.is_constant(t)) return true;
  }
  return false;
}

// Random values of each input's dtype and shape: float32 in [0, 1), int8
// over its whole range.
std::vector<Array> random_inputs(const Interpreter& interp, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<Array> inputs;
  for (int i = 0; i < interp.num_inputs(); ++i) {
    const ir::Tensor& t = interp.input_tensor(i);
    Array a{t.dtype, std::vector<int64_t>(t.shape.begin(), t.shape.end()), {}};
    a.data.resize(static_cast<size_t>(a.num_elements()) * dtype_size(t.dtype));
    if (t.dtype == DType::kFloat32) {
      std::uniform_real_distribution<float> d(0.0f, 1.0f);
      for (int64_t k = 0; k < a.num_elements(); ++k) a.as<float>()[k] = d(rng);
    } else {
      for (auto& byte : a.data) byte = static_cast<uint8_t>(rng() & 0xFF);
    }
    inputs.push_back(std::move(a));
  }
  return inputs;
}

// `tfcompress run` on `inputs`, its outputs in order; empty when it failed.
std::vector<Array> run_cli(const std::filesystem::path& model, const std::vector<Array>& inputs,
                           const std::string& flags) {
  const auto dir = std::filesystem::path(::testing::TempDir()) / "cli_run_test";
  std::filesystem::create_directories(dir);
  const auto in = dir / "inputs.npz", out = dir / "outputs.npz", log = dir / "log.txt";
  std::vector<NamedArray> named;
  for (size_t i = 0; i < inputs.size(); ++i) named.push_back({"input_" + std::to_string(i), inputs[i]});
  EXPECT_TRUE(write_npz(in.string(), named).is_ok());
  std::filesystem::remove(out);
  const std::string command = std::string("'") + TFC_CLI_PATH + "' run '" + model.string() + "' --input '" +
                              in.string() + "' --output '" + out.string() + "' " + flags + " > '" + log.string() +
                              "' 2>&1";
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  auto read = read_npz(out.string());
  if (!read.has_value()) return {};
  std::vector<Array> outputs;
  for (auto& a : *read) outputs.push_back(std::move(a.array));
  return outputs;
}

TEST(CliRun, LibraryDefaultsAndCliGiveTheSameInt8Outputs) {
  struct Setting {
    kernels::Requantization arithmetic;
    const char* flags;
  };
  const Setting settings[] = {{InterpreterOptions{}.arithmetic, ""},
                              {kernels::Requantization::kFixedPoint, "--arithmetic reference"}};
  int compared = 0, differ_by_arithmetic = 0;
  for (const auto& path : test::fixture_models()) {
    auto model = io::read_tflite(path.string());
    ASSERT_TRUE(model.has_value()) << path;
    if (!has_int8_activations(*model)) continue;
    auto probe = Interpreter::create(*model);
    ASSERT_TRUE(probe.has_value()) << path << ": " << probe.status().message();
    const std::vector<Array> inputs = random_inputs(**probe, 7);
    std::vector<std::vector<Array>> library;
    for (const Setting& s : settings) {
      SCOPED_TRACE(path.filename().string() + " " + s.flags);
      InterpreterOptions options;
      if (*s.flags) options.arithmetic = s.arithmetic;  // defaults stay defaults
      auto ours = run_model(*model, inputs, 0, options);
      ASSERT_TRUE(ours.has_value()) << ours.status().message();
      const std::vector<Array> cli = run_cli(path, inputs, s.flags);
      ASSERT_EQ(cli.size(), ours->size());
      for (size_t o = 0; o < cli.size(); ++o) {
        EXPECT_EQ(cli[o].dtype, (*ours)[o].dtype) << "output " << o;
        EXPECT_EQ(cli[o].shape, (*ours)[o].shape) << "output " << o;
        EXPECT_TRUE(cli[o].data == (*ours)[o].data) << "output " << o << " differs";
      }
      library.push_back(std::move(*ours));
    }
    bool same = true;
    for (size_t o = 0; o < library[0].size(); ++o) same = same && library[0][o].data == library[1][o].data;
    differ_by_arithmetic += same ? 0 : 1;
    ++compared;
  }
  // cnn_fmnist_int8, mobilenet_fmnist_int8io, ops_int8 at least.
  EXPECT_GE(compared, 3);
  // The setting reaches the kernels: some fixture rounds differently.
  EXPECT_GE(differ_by_arithmetic, 1);
}

}  // namespace
}  // namespace tfc::runtime
