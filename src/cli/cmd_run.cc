// `tfcompress run MODEL --input X --output Y.npz`: run a model on inputs from
// .npy/.npz with the reference runtime and save its outputs.
#include <filesystem>

#include <fmt/core.h>
#include <fmt/ranges.h>

#include "cli/commands.h"
#include "io/idx.h"
#include "io/npy.h"
#include "io/tflite_reader.h"
#include "runtime/interpreter.h"

namespace tfc::cli {
namespace {

struct RunOptions {
  std::string model;
  std::string input;
  std::string output;
  int subgraph = 0;
  std::string arithmetic;  // --arithmetic
};

// Orders the arrays of an .npz as the subgraph's inputs: by input tensor name
// when every name matches, else by position.
Expected<std::vector<Array>> order_inputs(const ir::Model& m, int sg, std::vector<NamedArray> arrays) {
  const auto& g = m.subgraphs[sg];
  if (arrays.size() != g.inputs.size()) {
    return invalid_argument("the model has {} inputs but the input file holds {} arrays", g.inputs.size(),
                            arrays.size());
  }
  std::vector<Array> ordered(g.inputs.size());
  bool by_name = true;
  for (size_t i = 0; i < g.inputs.size() && by_name; ++i) {
    const std::string& name = g.tensors[g.inputs[i]].name;
    auto it = std::find_if(arrays.begin(), arrays.end(), [&](const NamedArray& a) { return a.name == name; });
    if (it == arrays.end()) by_name = false;
    else ordered[i] = it->array;
  }
  if (!by_name) {
    for (size_t i = 0; i < arrays.size(); ++i) ordered[i] = std::move(arrays[i].array);
  }
  return ordered;
}

Expected<std::vector<Array>> load_inputs(const ir::Model& m, int sg, const std::string& path) {
  if (std::filesystem::path(path).extension() == ".npz") {
    TFC_ASSIGN_OR_RETURN(auto arrays, read_npz(path));
    return order_inputs(m, sg, std::move(arrays));
  }
  const std::string name = std::filesystem::path(path).filename().string();
  if (name.find("idx") != std::string::npos || name.find("ubyte") != std::string::npos) {
    TFC_ASSIGN_OR_RETURN(Array a, read_idx(path));
    return std::vector<Array>{std::move(a)};
  }
  TFC_ASSIGN_OR_RETURN(Array a, read_npy(path));
  return std::vector<Array>{std::move(a)};
}

std::string safe_name(std::string s) {
  for (char& c : s) {
    if (c == '/' || c == '\\' || c == ':' || c == ' ') c = '_';
  }
  return s;
}

Status run_run(const RunOptions& o) {
  apply_arithmetic(o.arithmetic);
  TFC_ASSIGN_OR_RETURN(ir::Model model, io::read_tflite(o.model));
  if (o.subgraph < 0 || static_cast<size_t>(o.subgraph) >= model.subgraphs.size()) {
    return invalid_argument("subgraph {} does not exist (the model has {})", o.subgraph, model.subgraphs.size());
  }
  TFC_ASSIGN_OR_RETURN(auto inputs, load_inputs(model, o.subgraph, o.input));
  TFC_ASSIGN_OR_RETURN(auto outputs, runtime::run_model(model, inputs, o.subgraph));
  const auto& g = model.subgraphs[o.subgraph];
  std::vector<NamedArray> named;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const auto& t = g.tensors[g.outputs[i]];
    fmt::print("output {} '{}': {} [{}]\n", i, t.name, dtype_name(outputs[i].dtype), fmt::join(outputs[i].shape, ","));
    std::string name = safe_name(t.name.empty() ? fmt::format("output_{}", i) : t.name);
    // Two outputs may be the same tensor; .npz member names must be unique.
    const auto taken = [&](const std::string& n) {
      return std::any_of(named.begin(), named.end(), [&](const NamedArray& a) { return a.name == n; });
    };
    for (int k = 1; taken(name); ++k) name = fmt::format("{}_{}", safe_name(t.name), k);
    named.push_back({name, outputs[i]});
  }
  if (!o.output.empty()) {
    TFC_RETURN_IF_ERROR(write_npz(o.output, named));
    fmt::print("wrote {}\n", o.output);
  }
  return Status::ok();
}

}  // namespace

Command run_command() {
  return {"run", "Run a model on inputs from .npy/.npz with the reference runtime", [](CLI::App& app) {
            auto o = std::make_shared<RunOptions>();
            app.add_option("model", o->model, "Model file (.tflite)")->required();
            app.add_option("-i,--input", o->input,
                           ".npy or IDX (one input), or .npz (arrays named by input tensor name, else in input order)")
                ->required();
            app.add_option("-o,--output", o->output, "Write outputs to this .npz (named by output tensor)");
            app.add_option("--subgraph", o->subgraph, "Subgraph to run")->capture_default_str();
            add_arithmetic_option(app, &o->arithmetic);
            app.footer("Example:\n  tfcompress run cnn.tflite --input x.npy --output y.npz");
            return [o] { return run_run(*o); };
          }};
}

}  // namespace tfc::cli
