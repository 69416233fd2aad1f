// The evaluation harness: measures one model on the shared validation samples
// with the runtime (its fast kernels by default, or the reference kernels;
// --kernels) — size (raw and gzip), latency after warm-up
// (or through an external runner command), the runtime's activation storage
// and the process's resident high-water mark, and its outputs on every
// sample, from which the task metrics follow (metrics.h). `tfcompress
// baseline` and `tfcompress eval` are thin layers over it.
// Not: rendering (report/), budgets (gate.h), the registry.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/progress.h"
#include "core/status.h"
#include "eval/latency.h"
#include "eval/metrics.h"
#include "data/source.h"
#include "io/dataset.h"
#include "report/report.h"

namespace tfc::eval {

struct EvalSettings {
  int warmup = 20;             // untimed runs before timing
  int runs = 200;              // timed runs
  double max_seconds = 30;     // stop timing a model after this long (at least 5 timed runs)
  int threads = 1;             // worker threads of the fast kernels (the reference kernels run on one)
  std::string kernels = "fast";  // "fast" or "reference" (runtime::parse_kernels)
  std::string int8_isa = "best";  // the most our int8 kernels may use (runtime::parse_int8_isa)
  int top_k = 5;
  int64_t max_samples = 0;     // 0: every sample
  std::optional<float> input_scale;
  std::string runner;          // "COMMAND {model}": latency measured by this command instead
  std::string arithmetic = "litert";  // "litert" or "reference" (runtime::parse_arithmetic)
  ProgressMode progress = ProgressMode::kAuto;
};

// The validation samples every model sees, and where they came from.
struct EvalData {
  std::string spec;            // as given (--data)
  std::string labels_spec;     // --labels, if given
  std::string sha256;          // of the sample (and label) files
  Dataset data;                // x: float32 when --input-scale converted integer samples, or from float64
  std::optional<std::vector<int64_t>> labels;
  int64_t samples() const { return data.num_samples(); }
};

// What the data is read for: the model's single input.
struct ModelInput {
  std::string name;            // picks the .npz array (io/dataset.h); "" when unknown
  data::SourceOptions source;  // how an image folder is read (data/source.h)
};
// `spec` is a data spec (io/dataset.h) or an image folder (data/source.h).
Expected<EvalData> load_eval_data(const std::string& spec, const std::string& labels_spec,
                                  std::optional<float> input_scale, int64_t max_samples,
                                  const ModelInput& input = {});
// The single input of the model at `path`: its name, and image options that
// fit its shape (data::image_options_for_input); empty when it has several.
Expected<ModelInput> model_input(const std::string& path);

struct ModelResult {
  report::ModelEntry entry;    // without error_vs_baseline / deltas
  Outputs outputs;             // over every sample
};

struct ModelSpec {
  std::string path;
  std::string name;  // labels the model in the report
};

// Measures each model in two phases. First, one model at a time: load and
// prepare (init time), the first run, every sample (outputs, metrics), the
// runtime's activation storage and the resident high-water mark, reset before
// each model. Then latency: all models loaded, warmed up, and timed in rounds
// of one run of each, so that changes in machine load hit every model alike
// (or the runner command, once per model).
// A model whose input takes a fixed batch of N > 1 samples runs on batches of
// N, the last padded with copies of its last sample, which are dropped from
// the outputs. Models with one input and at least one output of a fixed shape
// are measured; others are refused, saying why.
// `also_time` (e.g. the baseline model) joins the timed rounds only; their
// latencies are returned in `also_latencies`.
Expected<std::vector<ModelResult>> evaluate_models(const std::vector<ModelSpec>& models, const EvalData& data,
                                                   const EvalSettings& settings,
                                                   const std::vector<ModelSpec>& also_time = {},
                                                   std::vector<Latency>* also_latencies = nullptr);
Expected<ModelResult> evaluate_model(const std::string& path, const std::string& name, const EvalData& data,
                                     const EvalSettings& settings);

// Fills entry.error_vs_baseline and entry.deltas against `baseline`.
Status compare_to_baseline(ModelResult& model, const report::ModelEntry& baseline_entry,
                           const Outputs& baseline_outputs);

// The settings and host of a report or baseline.
report::Settings report_settings(const EvalSettings& settings, const EvalData& data);
report::Host this_host();
std::string utc_now_iso8601();

// Replaces {model} (shell-quoted) and {threads} in a runner command.
std::string expand_runner(const std::string& command, const std::string& model_path, int threads);

}  // namespace tfc::eval
