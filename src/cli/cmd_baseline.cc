// `tfcompress baseline MODEL --data VAL -o baseline.json`: measures the
// original model once (size, accuracy, latency, memory, its outputs on every
// sample) with the exact settings, so later variants are compared against a
// recorded baseline. The outputs go beside the JSON (BASE.outputs.npz).
#include <cmath>
#include <filesystem>

#include <fmt/core.h>

#include "cli/commands.h"
#include "cli/eval_options.h"
#include "io/file_util.h"
#include "io/npy.h"
#include "report/report.h"

namespace tfc::cli {
namespace {

struct BaselineOptions {
  std::string model;
  std::string output = "baseline.json";
  std::string name;
  MeasureOptions m;
  bool json = false;
};

std::string outputs_path_for(const std::string& json_path) {
  std::filesystem::path p(json_path);
  if (p.extension() == ".json") p.replace_extension("");
  return p.string() + ".outputs.npz";
}

Status run_baseline(BaselineOptions& o) {
  o.m.settings.input_scale = o.m.scale();
  o.m.settings.progress = o.m.quiet ? ProgressMode::kNever : ProgressMode::kAuto;
  TFC_ASSIGN_OR_RETURN(const eval::ModelInput input, eval::model_input(o.model));
  TFC_ASSIGN_OR_RETURN(eval::EvalData data, eval::load_eval_data(o.m.data, o.m.labels, o.m.settings.input_scale,
                                                                 o.m.settings.max_samples, input));
  const std::string name = o.name.empty() ? std::filesystem::path(o.model).stem().string() : o.name;
  TFC_ASSIGN_OR_RETURN(eval::ModelResult r, eval::evaluate_model(o.model, name, data, o.m.settings));

  const std::string outputs_path = outputs_path_for(o.output);
  std::vector<NamedArray> arrays;
  for (size_t i = 0; i < r.outputs.values.size(); ++i) {
    arrays.push_back({fmt::format("output_{}", i), r.outputs.values[i]});
  }
  TFC_RETURN_IF_ERROR(write_npz(outputs_path, arrays, NpzCompression::kDeflated));
  TFC_ASSIGN_OR_RETURN(std::string outputs_sha, io::sha256_file(outputs_path));

  report::BaselineFile b;
  b.tool = report::this_tool();
  b.created_at = eval::utc_now_iso8601();
  b.host = eval::this_host();
  b.settings = eval::report_settings(o.m.settings, data);
  b.model = r.entry;
  b.outputs = {std::filesystem::path(outputs_path).filename().string(), outputs_sha, r.outputs.names};
  const std::string text = report::baseline_text(b);
  TFC_RETURN_IF_ERROR(io::write_file_durable(o.output, text));
  if (o.json) {
    fmt::print("{}", text);
    return Status::ok();
  }
  const report::ModelEntry& e = r.entry;
  fmt::print("baseline {} (sha256 {})\n", name, e.sha256.substr(0, 16));
  fmt::print("  size      {} bytes raw, {} gzip\n", e.size.raw_bytes.value_or(0), e.size.gzip_bytes.value_or(0));
  if (e.metrics.accuracy) {
    fmt::print("  accuracy  {:.2f}% top-1, {:.2f}% top-{} on {} samples\n", 100 * *e.metrics.accuracy,
               100 * e.metrics.top_k_accuracy.value_or(NAN), e.metrics.top_k.value_or(0), data.samples());
  }
  const eval::Latency& l = e.latency;
  if (l.p50_ms) {
    fmt::print("  latency   p50 {:.3f} ms, p90 {:.3f} ms, p99 {:.3f} ms ({} runs)\n", *l.p50_ms, l.p90_ms.value_or(NAN),
               l.p99_ms.value_or(NAN), l.runs);
  }
  fmt::print("  memory    peak RSS {:.1f} MiB, arena {} bytes\n",
             static_cast<double>(e.memory.peak_rss_bytes.value_or(0)) / (1 << 20), e.memory.arena_bytes.value_or(0));
  fmt::print("wrote {} and {}\n", o.output, outputs_path);
  return Status::ok();
}

}  // namespace

Command baseline_command() {
  return {"baseline", "Record the original model's size, accuracy, latency and memory (the baseline)",
          [](CLI::App& app) {
            auto o = std::make_shared<BaselineOptions>();
            app.add_option("model", o->model, "The original model: .tflite, Keras .keras / .h5, or a SavedModel directory")
                ->required()
                ->check(CLI::ExistingPath);
            app.add_option("-o,--output", o->output, "Baseline file (its outputs go to BASE.outputs.npz beside it)")
                ->capture_default_str();
            app.add_option("--name", o->name, "Name in reports (default: the file name)");
            add_measure_options(app, o->m);
            app.add_flag("--json", o->json, "Print the baseline JSON");
            app.footer(
                "Example:\n  tfcompress baseline model.tflite --data val.npz -o baseline.json\n"
                "  tfcompress eval fp16.tflite int8.tflite --data val.npz --baseline baseline.json -o report/");
            return [o] { return run_baseline(*o); };
          }};
}

}  // namespace tfc::cli
