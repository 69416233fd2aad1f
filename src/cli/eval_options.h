// Options `tfcompress baseline` and `tfcompress eval` share: the validation
// data and the measurement protocol, declared once so both record the same
// settings under the same names.
#pragma once

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "eval/evaluate.h"

namespace tfc::cli {

struct MeasureOptions {
  std::string data;
  std::string labels;
  float input_scale = 0;
  eval::EvalSettings settings;
  bool quiet = false;
  // Set after parsing: which options the user gave (eval adopts the baseline's
  // recorded settings for the others).
  CLI::Option* samples_opt = nullptr;
  CLI::Option* warmup_opt = nullptr;
  CLI::Option* runs_opt = nullptr;
  CLI::Option* threads_opt = nullptr;
  CLI::Option* kernels_opt = nullptr;
  CLI::Option* top_k_opt = nullptr;
  CLI::Option* input_scale_opt = nullptr;
  CLI::Option* arithmetic_opt = nullptr;
  CLI::Option* max_seconds_opt = nullptr;

  std::optional<float> scale() const {
    return input_scale_opt && input_scale_opt->count() ? std::optional<float>(input_scale) : std::nullopt;
  }
};

inline void add_measure_options(CLI::App& app, MeasureOptions& o) {
  app.add_option("--data", o.data,
                 "Validation samples: DATA.npz (the array named like the model's input, else x, else the only "
                 "array; labels y), .npy, IMAGES.idx[,LABELS.idx], or a folder of PNG/JPEG images with one "
                 "subfolder per class (labels: classes sorted by name; resized to the input, read as uint8 pixels)")
      ->required();
  app.add_option("--labels", o.labels, "Class labels (.npy or IDX), when --data holds none");
  o.samples_opt = app.add_option("--samples", o.settings.max_samples, "Score the first N samples (0: all)")
                      ->check(CLI::NonNegativeNumber)
                      ->capture_default_str();
  o.input_scale_opt = app.add_option("--input-scale", o.input_scale,
                                     "Multiply integer samples by this to feed a float input (1/255: "
                                     "0.00392156862745098)");
  o.warmup_opt = app.add_option("--warmup", o.settings.warmup, "Untimed runs before timing")
                     ->check(CLI::NonNegativeNumber)
                     ->capture_default_str();
  o.runs_opt = app.add_option("--runs", o.settings.runs, "Timed runs per model")
                   ->check(CLI::PositiveNumber)
                   ->capture_default_str();
  o.max_seconds_opt = app.add_option("--max-seconds", o.settings.max_seconds,
                                     "Stop timing a model after this many seconds (at least 5 runs)")
                          ->check(CLI::PositiveNumber)
                          ->capture_default_str();
  o.kernels_opt = add_kernels_option(app, &o.settings.kernels);
  add_int8_isa_option(app, &o.settings.int8_isa);
  o.threads_opt = app.add_option("--threads", o.settings.threads,
                                 "Worker threads of the fast kernels, 1-256 (the reference kernels run on one); "
                                 "also passed to --runner as {threads}")
                      ->check(CLI::Range(1, 256))
                      ->capture_default_str();
  o.top_k_opt = app.add_option("--top-k", o.settings.top_k, "k of the top-k accuracy")
                    ->check(CLI::PositiveNumber)
                    ->capture_default_str();
  app.add_option("--runner", o.settings.runner,
                 "Measure latency with this command instead, e.g. 'adb shell /data/local/tmp/benchmark_model "
                 "--graph={model} --num_threads={threads}' (LiteRT benchmark_model output, or a JSON line "
                 "{\"latency_ms\": [...]})");
  o.arithmetic_opt = app.add_option("--arithmetic", o.settings.arithmetic,
                                    "Integer rescaling: litert (as LiteRT's default CPU path) or reference")
                         ->check(CLI::IsMember({"litert", "reference"}))
                         ->capture_default_str();
  app.add_flag("-q,--quiet", o.quiet, "No progress bars");
}

}  // namespace tfc::cli
