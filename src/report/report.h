// The evaluation report as one typed structure — report.json of docs/REPORT.md
// (schema "tfcompress-report", version 1) — and the baseline file written by
// `tfcompress baseline` (schema "tfcompress-baseline", version 1), with their
// JSON reading and writing. `eval` fills a Report; report.json, report.md,
// report.html (render.h) and `gate` (eval/gate.h) are made from it, and
// `tfcompress report` and `gate` read it back through report_from_json.
//
// Reading: the structure is checked (the schema name and version, objects and
// lists where they belong) and settings must hold values of their type; a
// wrong one is an error naming the key. A figure of a model (size, latency,
// memory, metrics, error profile, deltas) of the wrong type reads as missing,
// as the schema lets any figure be null: the renderers show a dash, the gate
// names it as missing. Keys of the schema that a file does not hold (a report
// written before the key existed) stay out when the report is written again,
// so reading and writing keeps a report as it was. Unknown keys are ignored.
// Not: measuring (eval/evaluate.h), rendering (render.h), budgets (eval/gate.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "eval/latency.h"
#include "eval/metrics.h"

namespace tfc::report {

inline constexpr const char* kReportSchema = "tfcompress-report";
inline constexpr int kReportSchemaVersion = 1;
inline constexpr const char* kBaselineSchema = "tfcompress-baseline";
inline constexpr int kBaselineSchemaVersion = 1;

struct Tool {
  std::string name, version;
};

struct Host {
  std::string hostname, cpu, os;
  std::optional<int64_t> cores;
};

// The measurement settings every model of a report (or a baseline) shared.
// Optional where an older or hand-written file may lack them.
struct Settings {
  std::string data;                    // --data as given
  std::optional<std::string> labels;   // --labels; null without
  std::string data_sha256;
  std::optional<int64_t> samples;      // scored per model
  std::optional<double> input_scale;   // null without --input-scale
  std::optional<int> warmup, runs, threads, top_k;
  std::optional<double> max_seconds;
  std::optional<std::string> kernels;  // "fast" | "reference"; absent before the fast kernels
  std::string runtime;                 // the same as kernels (its name before "kernels")
  std::string arithmetic;
  std::optional<std::string> int8_isa;  // --int8-isa when not "best"; null otherwise
  std::optional<std::string> runner;   // null without --runner
};

struct Size {
  std::optional<uint64_t> raw_bytes, gzip_bytes;
};

struct Memory {
  std::optional<uint64_t> arena_bytes, peak_rss_bytes;
  std::string peak_rss_scope;  // "model" | "process"
};

// "metrics" of a model: "classification" with labels, else "outputs" (only
// task, samples and a null accuracy are written).
struct Metrics {
  std::string task = "outputs";
  std::optional<int64_t> samples;
  std::optional<double> accuracy;  // top-1, fraction
  std::optional<int> top_k;
  std::optional<double> top_k_accuracy;
  std::optional<int64_t> num_classes;
  std::vector<std::string> class_names;
  std::vector<double> per_class_accuracy;  // NaN where the file holds null
  std::vector<int64_t> per_class_count;
  std::vector<std::vector<int64_t>> confusion;  // [true][predicted]
  bool is_classification() const { return task == "classification"; }
};

// Figures of a model against the baseline's (variant - baseline, or variant /
// baseline for the ratios); null where either figure is missing.
struct Deltas {
  std::optional<double> accuracy, size_raw_bytes, size_ratio, gzip_bytes, gzip_ratio;
  std::optional<double> latency_p50_ms, latency_p50_ratio, latency_p90_ms, latency_p99_ms;
  std::optional<double> peak_rss_bytes, arena_bytes;
  // Per class (NaN: null), when both are classifiers with the same classes.
  std::optional<std::vector<double>> per_class_accuracy;
};

// Where tfcompress's runtime spent its time while scoring a model
// ("kernels" of docs/REPORT.md): the ops that ran on the reference kernels,
// which are slower than LiteRT's, so a large share makes the latency
// unrepresentative of LiteRT.
struct ReferenceOp {
  std::string op;      // op type, e.g. "TRANSPOSE_CONV"
  int64_t count = 0;   // ops of that type on the reference kernels
  double ms = 0;       // their time per invoke
};
struct KernelUse {
  double reference_share = 0;        // of all ops' time, 0..1
  std::vector<ReferenceOp> reference_ops;  // most time first
};
// The share of op time on reference kernels above which the report warns.
inline constexpr double kReferenceShareNote = 0.10;

// A MODEL of docs/REPORT.md.
struct ModelEntry {
  std::string name, path, sha256;
  Size size;
  eval::Latency latency;
  Memory memory;
  Metrics metrics;
  std::optional<eval::ErrorProfile> error_vs_baseline;  // null for the baseline
  std::optional<Deltas> deltas;                         // null for the baseline
  // A report's baseline only: when its baseline file was written, and its
  // latency as recorded there when eval timed the model again.
  std::optional<std::string> recorded_at;
  std::optional<eval::Latency> recorded_latency;
  std::optional<KernelUse> kernels;  // absent with --kernels reference or from older reports
};

// Names of the models on each front (an empty name is written as null).
struct Pareto {
  std::vector<std::string> accuracy_vs_size;     // higher accuracy, smaller raw size
  std::vector<std::string> accuracy_vs_latency;  // higher accuracy, lower p50
};

struct Report {
  int schema_version = kReportSchemaVersion;
  Tool tool;
  std::string created_at;  // UTC, ISO 8601
  Host host;
  Settings settings;
  std::optional<ModelEntry> baseline;
  std::vector<ModelEntry> models;  // in command-line order
  std::optional<Pareto> pareto;    // absent: the renderers compute the fronts
  // JSON pointers of schema keys the file read did not hold; left out again
  // when written.
  std::vector<std::string> absent_keys;
};

// baseline.json: the settings and the original model's entry, and where its
// outputs on every sample were written (BASE.outputs.npz beside it).
struct BaselineOutputs {
  std::string file;    // relative to the baseline file's folder
  std::string sha256;
  std::vector<std::string> names;  // of the model's outputs, in order
};

struct BaselineFile {
  int schema_version = kBaselineSchemaVersion;
  Tool tool;
  std::string created_at;
  Host host;
  Settings settings;
  ModelEntry model;
  BaselineOutputs outputs;
};

// The tool fields every file tfcompress writes carries.
Tool this_tool();

// "metrics" of a classifier, and of a model scored without labels.
Metrics classification_metrics(const eval::Classification& c);
Metrics outputs_metrics(int64_t samples);

nlohmann::json to_json(const ModelEntry& m);
Expected<ModelEntry> model_from_json(const nlohmann::json& j);

nlohmann::json to_json(const Report& r);
Expected<Report> report_from_json(const nlohmann::json& j);
// The file as tfcompress writes it: JSON indented by 2, then a newline.
std::string report_text(const Report& r);
// Reads and checks a report.json; errors name the file.
Expected<Report> read_report(const std::string& path);

nlohmann::json to_json(const BaselineFile& b);
Expected<BaselineFile> baseline_from_json(const nlohmann::json& j);
std::string baseline_text(const BaselineFile& b);
// Reads and checks a baseline.json (not its outputs file); errors name the file.
Expected<BaselineFile> read_baseline(const std::string& path);

}  // namespace tfc::report
