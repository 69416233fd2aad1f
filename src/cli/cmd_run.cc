// `tfcompress run MODEL --input X --output Y.npz`: run a model on inputs from
// .npy/.npz/IDX (read as io/dataset.h reads every data file) and save its
// outputs; --profile times every op.
#include <algorithm>
#include <chrono>
#include <map>

#include <fmt/core.h>
#include <fmt/ranges.h>

#include "cli/commands.h"
#include "io/dataset.h"
#include "io/npy.h"
#include "importers/import.h"
#include "runtime/interpreter.h"

namespace tfc::cli {
namespace {

struct RunOptions {
  importers::ImportOptions import;
  bool batch_given = false;  // --batch was given
  std::string model;
  std::string input;
  std::string output;
  int subgraph = 0;
  std::string arithmetic = "litert";  // --arithmetic
  std::string kernels = "fast";
  int threads = 1;
  int repeat = 1;
  bool profile = false;
  int slowest = 10;
  std::string int8_conv = "auto";
  std::string int8_isa = "best";
};

// The arrays of `path` for the subgraph's inputs (io/dataset.h's rules).
Expected<std::vector<Array>> load_inputs(const ir::Model& m, int sg, const std::string& path) {
  const auto& g = m.subgraphs[sg];
  std::vector<std::string> names;
  for (ir::TensorId id : g.inputs) names.push_back(g.tensors[id].name);
  TFC_ASSIGN_OR_RETURN(DataArrays data, read_data_arrays(path, names));
  return std::move(data.inputs);
}

std::string safe_name(std::string s) {
  for (char& c : s) {
    if (c == '/' || c == '\\' || c == ':' || c == ' ') c = '_';
  }
  return s;
}

// Per-op times (mean per invoke) grouped by op type and kernel, then the
// slowest ops; the first invoke is included, so pass --repeat to amortize it.
void print_profile(const runtime::Interpreter& interp, double load_ms, std::vector<double> times, int slowest) {
  const auto prof = interp.op_profile();
  const double invokes = static_cast<double>(times.size());
  std::sort(times.begin(), times.end());
  fmt::print("kernels: {} ops fast, {} computed at load, {} reference; arena {} bytes\n", interp.num_fast_ops(),
             interp.num_folded_ops(),
             static_cast<int>(prof.size()) - interp.num_fast_ops() - interp.num_folded_ops(),
             interp.planned_arena_bytes());
  fmt::print("load + prepare {:.2f} ms; invoke: fastest {:.3f} ms, median {:.3f} ms over {} runs\n", load_ms,
             times.empty() ? 0.0 : times.front(), times.empty() ? 0.0 : times[times.size() / 2], times.size());
  std::map<std::pair<std::string, std::string>, std::pair<double, int>> by_type;
  double total = 0;
  for (const auto& p : prof) {
    auto& e = by_type[{p.op_name, p.kernel}];
    e.first += p.total_ms / invokes;
    e.second += 1;
    total += p.total_ms / invokes;
  }
  std::vector<std::pair<double, std::string>> rows;
  for (const auto& [key, v] : by_type)
    rows.emplace_back(v.first, fmt::format("{:<24} {:<10} {:>4} ops", key.first, key.second, v.second));
  std::sort(rows.rbegin(), rows.rend());
  fmt::print("{:<24} {:<10} {:>8} {:>10} {:>7}\n", "op", "kernel", "count", "ms/invoke", "share");
  for (const auto& [ms, label] : rows)
    fmt::print("{} {:>10.3f} {:>6.1f}%\n", label, ms, total > 0 ? 100.0 * ms / total : 0.0);
  const size_t listed = slowest == 0 ? prof.size() : std::min<size_t>(static_cast<size_t>(slowest), prof.size());
  fmt::print("slowest ops:\n");
  std::vector<runtime::OpProfile> sorted = prof;
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.total_ms > b.total_ms; });
  for (size_t i = 0; i < listed; ++i)
    fmt::print("  op {:>4} {:<24} {:<10} {:>10.3f} ms\n", sorted[i].op_index, sorted[i].op_name, sorted[i].kernel,
               sorted[i].total_ms / invokes);
}

Status run_run(const RunOptions& o) {
  TFC_ASSIGN_OR_RETURN(ir::Model model, importers::load_model(o.model, o.import));
  if (o.subgraph < 0 || static_cast<size_t>(o.subgraph) >= model.subgraphs.size()) {
    return invalid_argument("subgraph {} does not exist (the model has {})", o.subgraph, model.subgraphs.size());
  }
  TFC_ASSIGN_OR_RETURN(auto inputs, load_inputs(model, o.subgraph, o.input));
  // A Keras or SavedModel model imported without --batch takes the data's
  // batch: its graph is made for one static batch size, as the converter's is
  // made for batch 1.
  TFC_ASSIGN_OR_RETURN(const importers::Format format, importers::detect_format(o.model));
  if (format != importers::Format::kTflite && !o.batch_given && !inputs.empty() && !inputs[0].shape.empty() &&
      inputs[0].shape[0] != o.import.batch && inputs[0].shape[0] > 0 && inputs[0].shape[0] <= (1 << 20)) {
    importers::ImportOptions again = o.import;
    again.batch = static_cast<int>(inputs[0].shape[0]);
    TFC_ASSIGN_OR_RETURN(model, importers::load_model(o.model, again));
  }
  runtime::InterpreterOptions io;
  TFC_ASSIGN_OR_RETURN(io.kernels, runtime::parse_kernels(o.kernels));
  TFC_ASSIGN_OR_RETURN(io.arithmetic, runtime::parse_arithmetic(o.arithmetic));
  io.threads = o.threads;
  io.profile = o.profile;
  using Int8Conv = runtime::fast::FastOptions::Int8Conv;
  io.int8_conv = o.int8_conv == "xnnpack" ? Int8Conv::kXnnpack
                 : o.int8_conv == "exact-float" ? Int8Conv::kExactFloat
                 : o.int8_conv == "own"         ? Int8Conv::kOwn
                 : o.int8_conv == "measured"    ? Int8Conv::kMeasured
                                                 : Int8Conv::kAuto;
  TFC_ASSIGN_OR_RETURN(io.int8_path, runtime::parse_int8_isa(o.int8_isa));
  const auto t0 = std::chrono::steady_clock::now();
  TFC_ASSIGN_OR_RETURN(auto interp, runtime::Interpreter::create(model, o.subgraph, io));
  const double load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (static_cast<int>(inputs.size()) != interp->num_inputs()) {
    return invalid_argument("the model has {} inputs, {} given", interp->num_inputs(), inputs.size());
  }
  std::vector<double> times;
  for (int r = 0; r < o.repeat; ++r) {
    for (int i = 0; i < interp->num_inputs(); ++i) TFC_RETURN_IF_ERROR(interp->set_input(i, inputs[i]));
    const auto start = std::chrono::steady_clock::now();
    TFC_RETURN_IF_ERROR(interp->invoke());
    times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::vector<Array> outputs;
  for (int i = 0; i < interp->num_outputs(); ++i) outputs.push_back(interp->output(i));
  if (o.profile) print_profile(*interp, load_ms, times, o.slowest);
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
  return {"run", "Run a model on inputs from .npy/.npz (fast kernels; --profile times each op)", [](CLI::App& app) {
            auto o = std::make_shared<RunOptions>();
            app.add_option("model", o->model, "Model: .tflite, Keras .keras / .h5, or a SavedModel directory")->required();
            add_import_options(app, &o->import);
            app.add_option("-i,--input", o->input,
                           "DATA.npz (arrays named by input; for one input also 'x' or the only array; else in input "
                           "order), DATA.npy or IMAGES.idx[.gz] (one input)")
                ->required();
            app.add_option("-o,--output", o->output, "Write outputs to this .npz (named by output tensor)");
            app.add_option("--subgraph", o->subgraph, "Subgraph to run")->capture_default_str();
            add_arithmetic_option(app, &o->arithmetic);
            add_kernels_option(app, &o->kernels);
            app.add_option("--threads", o->threads, "Worker threads of the fast kernels (1-256)")
                ->check(CLI::Range(1, 256))
                ->capture_default_str();
            app.add_option("--repeat", o->repeat, "Invoke the model this many times (the outputs of the last run "
                                                  "are written)")
                ->check(CLI::PositiveNumber)
                ->capture_default_str();
            app.add_option("--int8-conv", o->int8_conv,
                           "int8 conv kernel of the fast backend, all with the same outputs: auto (own where it "
                           "exists, else the faster of xnnpack and exact-float, timed at load), measured (the "
                           "fastest of all, timed at load), xnnpack, exact-float (oneDNN float32, exact) or own "
                           "(AVX2)")
                ->check(CLI::IsMember({"auto", "measured", "xnnpack", "exact-float", "own"}))
                ->capture_default_str();
            add_int8_isa_option(app, &o->int8_isa);
            app.add_flag("--profile", o->profile,
                         "Time every op; print the time per op type and kernel, and the slowest ops");
            app.add_option("--slowest", o->slowest, "With --profile: how many of the slowest ops to list (0: all)")
                ->check(CLI::Range(0, 1000000))
                ->capture_default_str();
            app.footer("Examples:\n  tfcompress run cnn.tflite --input x.npy --output y.npz\n"
                       "  tfcompress run mobilenet.tflite --input x.npz --repeat 50 --threads 2 --profile");
            return [o, &app] {
              o->batch_given = app.count("--batch") > 0;
              return run_run(*o);
            };
          }};
}

}  // namespace tfc::cli
