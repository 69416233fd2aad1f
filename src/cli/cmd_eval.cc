// `tfcompress eval MODEL... --data VAL [--baseline baseline.json] [-o DIR]`:
// measures every model on the same samples and settings, compares each with
// the recorded baseline, and writes one report (report.json, report.md,
// report.html into DIR; --json prints the JSON).
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <set>

#include <fmt/core.h>

#include "cli/commands.h"
#include "cli/eval_options.h"
#include "io/file_util.h"
#include "io/npy.h"
#include "eval/compare.h"
#include "report/render.h"
#include "report/report.h"

namespace tfc::cli {
namespace {

struct EvalOptions {
  std::vector<std::string> models;
  std::string baseline;
  std::string out_dir;
  MeasureOptions m;
  bool json = false;
};

struct Baseline {
  report::BaselineFile file;
  eval::Outputs outputs;
};

Expected<Baseline> load_baseline(const std::string& path) {
  Baseline b;
  TFC_ASSIGN_OR_RETURN(b.file, report::read_baseline(path));
  const std::filesystem::path outputs = std::filesystem::path(path).parent_path() / b.file.outputs.file;
  TFC_ASSIGN_OR_RETURN(std::string sha, io::sha256_file(outputs.string()));
  if (sha != b.file.outputs.sha256) {
    return invalid_argument("{}: the baseline outputs {} changed since the baseline was recorded (sha256 differs); "
                            "record the baseline again",
                            path, outputs.string());
  }
  TFC_ASSIGN_OR_RETURN(auto arrays, read_npz(outputs.string()));
  const auto& names = b.file.outputs.names;
  for (size_t i = 0; i < arrays.size(); ++i) {
    b.outputs.names.push_back(i < names.size() && !names[i].empty() ? names[i] : arrays[i].name);
    b.outputs.values.push_back(std::move(arrays[i].array));
  }
  return b;
}

// Takes the baseline's recorded settings for options the user did not give,
// and refuses settings that would make the comparison meaningless.
Status adopt_baseline_settings(MeasureOptions& m, const report::Settings& s, const std::string& path) {
  auto& e = m.settings;
  // Recorded numbers are checked as the options are: within range, and
  // positive unless `zero_ok`.
  const auto adopt = [&](CLI::Option* opt, auto& value, const char* key, auto recorded, bool zero_ok) -> Status {
    using T = std::decay_t<decltype(value)>;
    if (!recorded) return Status::ok();
    const double v = static_cast<double>(*recorded);
    if (!(zero_ok ? v >= 0 : v > 0) || v > std::numeric_limits<int>::max()) {
      return invalid_argument("{}: settings.{} must be a {} number, got {}", path, key,
                              zero_ok ? "non-negative" : "positive", v);
    }
    const T value_recorded = static_cast<T>(*recorded);
    if (opt->count() == 0) value = value_recorded;
    else if (value != value_recorded) {
      fmt::print(stderr, "warning: --{} {} differs from the baseline's {} ({}); latency figures may not compare\n",
                 key, value, value_recorded, path);
    }
    return Status::ok();
  };
  TFC_RETURN_IF_ERROR(adopt(m.warmup_opt, e.warmup, "warmup", s.warmup, true));
  TFC_RETURN_IF_ERROR(adopt(m.runs_opt, e.runs, "runs", s.runs, false));
  TFC_RETURN_IF_ERROR(adopt(m.threads_opt, e.threads, "threads", s.threads, false));
  TFC_RETURN_IF_ERROR(adopt(m.top_k_opt, e.top_k, "top_k", s.top_k, false));
  TFC_RETURN_IF_ERROR(adopt(m.max_seconds_opt, e.max_seconds, "max_seconds", s.max_seconds, false));
  if (!s.samples || *s.samples <= 0) {
    return invalid_argument("{}: settings.samples must be a positive integer, got {}", path,
                            s.samples ? std::to_string(*s.samples) : "nothing");
  }
  if (m.samples_opt->count() == 0) e.max_samples = *s.samples;
  if (m.input_scale_opt->count() == 0 && s.input_scale) {
    m.input_scale = static_cast<float>(*s.input_scale);
    e.input_scale = m.input_scale;
  }
  if (m.arithmetic_opt->count() == 0 && !s.arithmetic.empty()) {
    e.arithmetic = s.arithmetic;
    if (e.arithmetic != "litert" && e.arithmetic != "reference") {
      return invalid_argument("{}: settings.arithmetic must be \"litert\" or \"reference\", got \"{}\"", path,
                              e.arithmetic);
    }
  }
  if (m.labels.empty() && s.labels) m.labels = *s.labels;
  return Status::ok();
}

// The kernels a baseline was measured with: settings.kernels, or "reference"
// for a baseline recorded before there were fast kernels (its runtime was the
// reference kernels).
Expected<std::string> baseline_kernels(const report::Settings& s, const std::string& path) {
  if (!s.kernels) return std::string("reference");
  if (*s.kernels != "fast" && *s.kernels != "reference") {
    return invalid_argument("{}: settings.kernels must be \"fast\" or \"reference\", got \"{}\"", path, *s.kernels);
  }
  return *s.kernels;
}

// Without --kernels, eval measures with the baseline's kernels. With other
// kernels than the baseline's, the baseline model is timed again in this run
// when its file is there unchanged, so latency deltas still compare models
// (and outputs differ between the kernel sets by rounding only): a warning.
// When it is not, the baseline's latency is the recorded one, and the deltas
// would measure the kernels rather than the compression: refused.
Status check_baseline_kernels(const MeasureOptions& m, const std::string& recorded, bool baseline_retimed,
                              const std::string& path) {
  if (m.settings.kernels == recorded) return Status::ok();
  // With a runner, latency comes from it; only the outputs depend on the kernels.
  if (!m.settings.runner.empty()) return Status::ok();
  if (!baseline_retimed) {
    return invalid_argument(
        "the baseline {} was measured with {} kernels but --kernels {} was given, and its model is not available "
        "unchanged to time again, so latency deltas would compare kernels, not models; pass --kernels {} or record "
        "the baseline again with --kernels {}",
        path, recorded, m.settings.kernels, recorded, m.settings.kernels);
  }
  fmt::print(stderr,
             "warning: --kernels {} differs from the baseline's {} kernels ({}); the baseline model is timed again "
             "with {} kernels, and its recorded outputs differ from these kernels' by rounding\n",
             m.settings.kernels, recorded, path, m.settings.kernels);
  return Status::ok();
}

// File stems, made unique ("int8", "int8-2", ...) and distinct from the baseline's name.
std::vector<std::string> model_names(const std::vector<std::string>& paths, const std::string& baseline_name) {
  std::set<std::string> taken;
  if (!baseline_name.empty()) taken.insert(baseline_name);
  std::vector<std::string> names;
  for (const auto& p : paths) {
    const std::string stem = std::filesystem::path(p).stem().string();
    std::string name = stem;
    for (int k = 2; taken.count(name); ++k) name = fmt::format("{}-{}", stem, k);
    taken.insert(name);
    names.push_back(name);
  }
  return names;
}

Status run_eval(EvalOptions& o) {
  if (o.models.size() > 1 && o.baseline.empty()) {
    return invalid_argument(
        "comparing {} models needs a recorded baseline: first run\n"
        "  tfcompress baseline ORIGINAL.tflite --data {} -o baseline.json\n"
        "then pass --baseline baseline.json (or evaluate one model at a time)",
        o.models.size(), o.m.data);
  }
  std::optional<Baseline> base;
  std::string base_kernels;
  if (!o.baseline.empty()) {
    TFC_ASSIGN_OR_RETURN(base, load_baseline(o.baseline));
    TFC_RETURN_IF_ERROR(adopt_baseline_settings(o.m, base->file.settings, o.baseline));
    TFC_ASSIGN_OR_RETURN(base_kernels, baseline_kernels(base->file.settings, o.baseline));
    if (o.m.kernels_opt->count() == 0) {
      o.m.settings.kernels = base_kernels;
      if (!base->file.settings.kernels && !o.m.quiet) {
        fmt::print(stderr, "note: the baseline {} predates --kernels and was measured with the reference kernels; "
                           "measuring with them too (record the baseline again for the fast kernels)\n",
                   o.baseline);
      }
    }
  }
  if (!o.m.settings.input_scale) o.m.settings.input_scale = o.m.scale();
  o.m.settings.progress = o.m.quiet ? ProgressMode::kNever : ProgressMode::kAuto;
  TFC_ASSIGN_OR_RETURN(const eval::ModelInput input, eval::model_input(o.models.front()));
  TFC_ASSIGN_OR_RETURN(eval::EvalData data, eval::load_eval_data(o.m.data, o.m.labels, o.m.settings.input_scale,
                                                                 o.m.settings.max_samples, input));
  if (base) {
    const report::Settings& s = base->file.settings;
    if (s.data_sha256 != data.sha256) {
      return invalid_argument("the baseline {} was recorded on other data ({}) than --data {}; evaluate on the same "
                              "samples or record a new baseline",
                              o.baseline, s.data.empty() ? "?" : s.data, o.m.data);
    }
    const int64_t recorded = *s.samples;  // checked by adopt_baseline_settings
    if (recorded != data.samples()) {
      return invalid_argument("the baseline {} scored {} samples but this run scores {}; use --samples {}",
                              o.baseline, recorded, data.samples(), recorded);
    }
  }
  if (!o.m.quiet && o.m.settings.threads > 1 && o.m.settings.runner.empty() &&
      o.m.settings.kernels == "reference") {
    fmt::print(stderr, "note: the reference kernels run on one thread; --threads {} applies to the fast kernels "
                       "(and a --runner's {{threads}})\n",
               o.m.settings.threads);
  }

  const std::string base_name = base ? base->file.model.name : "";
  const auto names = model_names(o.models, base_name);
  report::Report report;
  report.tool = report::this_tool();
  report.created_at = eval::utc_now_iso8601();
  report.host = eval::this_host();
  report.settings = eval::report_settings(o.m.settings, data);
  if (base) {
    report.baseline = base->file.model;
    report.baseline->recorded_at = base->file.created_at;
  }
  std::vector<eval::ModelSpec> specs;
  for (size_t i = 0; i < o.models.size(); ++i) specs.push_back({o.models[i], names[i]});
  // The baseline model joins the timed rounds when its file is still there
  // unchanged, so that latency deltas compare runs on the same machine state.
  std::vector<eval::ModelSpec> also_time;
  if (base) {
    const std::string& path = base->file.model.path;
    auto sha = io::sha256_file(path);
    const bool retimed = sha && *sha == base->file.model.sha256;
    TFC_RETURN_IF_ERROR(check_baseline_kernels(o.m, base_kernels, retimed, o.baseline));
    if (retimed) {
      also_time.push_back({path, base_name});
    } else if (!o.m.quiet) {
      fmt::print(stderr, "note: the baseline model {} is not available unchanged; its latency is the one recorded "
                         "on {}\n",
                 path, base->file.created_at.empty() ? "?" : base->file.created_at);
    }
  }
  std::vector<eval::Latency> base_latency;
  TFC_ASSIGN_OR_RETURN(auto results, eval::evaluate_models(specs, data, o.m.settings, also_time, &base_latency));
  if (!base_latency.empty()) {
    report.baseline->recorded_latency = report.baseline->latency;
    report.baseline->latency = base_latency[0];
  }
  for (size_t i = 0; i < results.size(); ++i) {
    if (base) {
      TFC_RETURN_IF_ERROR(eval::compare_to_baseline(results[i], *report.baseline, base->outputs)
                              .with_context(fmt::format("comparing {} with the baseline", o.models[i])));
    }
    report.models.push_back(std::move(results[i].entry));
  }
  std::vector<const report::ModelEntry*> entries;
  if (report.baseline) entries.push_back(&*report.baseline);
  for (const auto& m : report.models) entries.push_back(&m);
  report.pareto = eval::pareto_of(entries);

  if (!o.out_dir.empty()) TFC_RETURN_IF_ERROR(report::write_report_files(report, o.out_dir));
  if (o.json) {
    fmt::print("{}", report::report_text(report));
  } else {
    fmt::print("{}", report::render_markdown(report));
    if (!o.out_dir.empty()) {
      const auto dir = std::filesystem::path(o.out_dir);
      fmt::print("\nwrote {}, {} and {}\n", (dir / "report.json").string(), (dir / "report.md").string(),
                 (dir / "report.html").string());
    }
  }
  return Status::ok();
}

}  // namespace

Command eval_command() {
  return {"eval", "Measure models on the same data and settings and write one comparison report", [](CLI::App& app) {
            auto o = std::make_shared<EvalOptions>();
            app.add_option("models", o->models, "Models to measure: .tflite, Keras .keras / .h5, SavedModel directories")
                ->required()
                ->check(CLI::ExistingPath);
            app.add_option("--baseline", o->baseline,
                           "Baseline recorded by 'tfcompress baseline' (needed to compare several models); its "
                           "settings are used for options not given here")
                ->check(CLI::ExistingFile);
            app.add_option("-o,--output-dir", o->out_dir, "Write report.json, report.md and report.html here");
            add_measure_options(app, o->m);
            app.add_flag("--json", o->json, "Print the JSON report on stdout");
            app.footer(
                "Examples:\n"
                "  tfcompress baseline model.tflite --data val.npz -o baseline.json\n"
                "  tfcompress eval fp16.tflite dynamic.tflite int8.tflite --data val.npz --baseline baseline.json "
                "-o report/\n"
                "  tfcompress eval int8.tflite --data val.npz --runner 'ssh board ./benchmark_model --graph={model}'\n"
                "Then: tfcompress gate report/report.json --budget budget.json");
            return [o] { return run_eval(*o); };
          }};
}

}  // namespace tfc::cli
