// libFuzzer harness for pass recipes (passes::check_recipe, as `quantize
// --recipe FILE` reads them): any byte string is refused with an error or is
// a recipe, never a crash, hang or sanitizer report. A recipe that checks is
// run (passes::run_recipe) on a small float model, unless a step names a file
// to read (representative, stats): the fuzzer must not read the file system.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include <nlohmann/json.hpp>

#include "fuzz_util.h"
#include "ir/graph.h"
#include "passes/graph_edit.h"
#include "passes/pass.h"

namespace {

using tfc::ir::Tensor;

tfc::ir::TensorId constant(tfc::ir::Model& m, const char* name, tfc::ir::Shape shape, std::vector<float> values) {
  Tensor t;
  t.name = name;
  t.shape = std::move(shape);
  auto id = tfc::passes::add_constant(m, 0, std::move(t), tfc::passes::to_bytes(values));
  if (!id.has_value()) std::abort();
  return *id;
}

// y[1,3] = FULLY_CONNECTED(x[1,4], w[3,4], b[3]): float32 weights for every mode.
tfc::ir::Model small_model() {
  tfc::ir::Model m;
  m.buffers.emplace_back();
  m.subgraphs.emplace_back();
  tfc::ir::Subgraph& g = m.subgraphs[0];
  Tensor x;
  x.name = "x";
  x.shape = {1, 4};
  g.inputs.push_back(tfc::passes::add_tensor(g, x));
  const auto w = constant(m, "w", {3, 4}, {0.5f, -1, 2, 0.25f, 1, 1, -0.5f, 3, -2, 0.75f, 1.5f, -1});
  const auto b = constant(m, "b", {3}, {0.1f, -0.2f, 0.3f});
  Tensor y;
  y.name = "y";
  y.shape = {1, 3};
  g.outputs.push_back(tfc::passes::add_tensor(g, y));
  tfc::ir::Op op;
  op.code = {tflite::BuiltinOperator_FULLY_CONNECTED, "", 1};
  op.inputs = {g.inputs[0], w, b};
  op.outputs = {g.outputs[0]};
  op.options.Set(tflite::FullyConnectedOptionsT{});
  g.ops.push_back(std::move(op));
  return m;
}

bool names_a_file(const nlohmann::json& recipe) {
  for (const nlohmann::json& step : recipe["passes"]) {
    if (step.contains("representative") || step.contains("stats")) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const nlohmann::json recipe = tfc::fuzz::parse_json(data, size);
  if (recipe.is_discarded() || !tfc::passes::check_recipe(recipe).is_ok() || names_a_file(recipe)) return 0;
  tfc::ir::Model model = small_model();
  (void)tfc::passes::run_recipe(model, recipe);
  return 0;
}
