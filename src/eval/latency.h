// Latency figures of one model: percentiles and moments of timed runs, the
// protocol they came from, and parsing of an external runner's output (LiteRT's
// benchmark_model, or a JSON line with the timed runs) into the same figures.
// Not: running models (evaluate.h), memory figures.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace tfc::eval {

struct Latency {
  std::string source = "tfcompress";  // or "runner"
  int warmup = 0;
  int runs = 0;
  int threads = 1;
  std::optional<double> init_ms, first_run_ms;
  std::optional<double> p50_ms, p90_ms, p99_ms, mean_ms, std_ms, min_ms, max_ms;
  std::vector<double> samples_ms;             // every timed run, in order
  std::optional<double> peak_memory_bytes;    // as reported by a runner
};

// The q-th percentile (0..100) of `values`, interpolating linearly between
// order statistics (NumPy's default method). `values` must not be empty.
double percentile(std::vector<double> values, double q);

// Fills percentiles, mean, std (population), min and max from `samples_ms`.
void summarize(Latency& latency);

nlohmann::json latency_json(const Latency& latency);
Expected<Latency> latency_from_json(const nlohmann::json& j);

// Parses what a runner printed. Understands
//  - LiteRT's benchmark_model: the last "count=N first=.. curr=.. min=.. max=..
//    avg=.. std=.." line (microseconds; "median=", "p5=", "p95=" when present),
//    "Inference timings in us: Init: .., First inference: .." and the
//    "peak memory footprint (MB)" line;
//  - a line holding a JSON object with "latency_ms": [...] (optional "init_ms",
//    "first_run_ms", "warmup", "peak_memory_bytes").
// Fails, quoting the start of the output, when neither is found.
Expected<Latency> parse_runner_output(const std::string& output);

}  // namespace tfc::eval
