// Latency statistics and runner output parsing (see latency.h).
#include "eval/latency.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <regex>
#include <sstream>

namespace tfc::eval {
namespace {

std::optional<double> opt_number(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  if (!j[key].is_number()) return std::nullopt;
  return j[key].get<double>();
}

// An integer field in [0, INT_MAX], or `fallback` when absent or of another type.
int opt_count(const nlohmann::json& j, const char* key, int fallback) {
  const auto v = opt_number(j, key);
  if (!v || !(*v >= 0)) return fallback;
  return static_cast<int>(std::min(*v, static_cast<double>(std::numeric_limits<int>::max())));
}

nlohmann::json opt_json(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }

// "key=value" tokens of a benchmark_model statistics line.
std::map<std::string, double> key_values(const std::string& line) {
  std::map<std::string, double> out;
  static const std::regex token(R"(([A-Za-z0-9_]+)=(-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?))");
  for (auto it = std::sregex_iterator(line.begin(), line.end(), token); it != std::sregex_iterator(); ++it) {
    out[(*it)[1].str()] = std::stod((*it)[2].str());
  }
  return out;
}

std::string head(const std::string& s, size_t n = 400) { return s.size() <= n ? s : s.substr(0, n) + "..."; }

}  // namespace

double percentile(std::vector<double> values, double q) {
  std::sort(values.begin(), values.end());
  const double pos = q / 100.0 * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (values[hi] - values[lo]) * (pos - static_cast<double>(lo));
}

void summarize(Latency& l) {
  if (l.samples_ms.empty()) return;
  const auto& v = l.samples_ms;
  l.p50_ms = percentile(v, 50);
  l.p90_ms = percentile(v, 90);
  l.p99_ms = percentile(v, 99);
  double sum = 0;
  for (double x : v) sum += x;
  const double mean = sum / static_cast<double>(v.size());
  double var = 0;
  for (double x : v) var += (x - mean) * (x - mean);
  l.mean_ms = mean;
  l.std_ms = std::sqrt(var / static_cast<double>(v.size()));
  l.min_ms = *std::min_element(v.begin(), v.end());
  l.max_ms = *std::max_element(v.begin(), v.end());
  l.runs = static_cast<int>(v.size());
}

nlohmann::json latency_json(const Latency& l) {
  nlohmann::json j;
  j["source"] = l.source;
  j["unit"] = "ms";
  j["warmup"] = l.warmup;
  j["runs"] = l.runs;
  j["threads"] = l.threads;
  j["init_ms"] = opt_json(l.init_ms);
  j["first_run_ms"] = opt_json(l.first_run_ms);
  j["p50_ms"] = opt_json(l.p50_ms);
  j["p90_ms"] = opt_json(l.p90_ms);
  j["p99_ms"] = opt_json(l.p99_ms);
  j["mean_ms"] = opt_json(l.mean_ms);
  j["std_ms"] = opt_json(l.std_ms);
  j["min_ms"] = opt_json(l.min_ms);
  j["max_ms"] = opt_json(l.max_ms);
  j["samples_ms"] = l.samples_ms;
  if (l.peak_memory_bytes) j["runner_peak_memory_bytes"] = *l.peak_memory_bytes;
  return j;
}

Expected<Latency> latency_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return invalid_argument("latency: expected an object");
  Latency l;
  l.source = j.contains("source") && j["source"].is_string() ? j["source"].get<std::string>() : "tfcompress";
  l.warmup = opt_count(j, "warmup", 0);
  l.runs = opt_count(j, "runs", 0);
  l.threads = opt_count(j, "threads", 1);
  l.init_ms = opt_number(j, "init_ms");
  l.first_run_ms = opt_number(j, "first_run_ms");
  l.p50_ms = opt_number(j, "p50_ms");
  l.p90_ms = opt_number(j, "p90_ms");
  l.p99_ms = opt_number(j, "p99_ms");
  l.mean_ms = opt_number(j, "mean_ms");
  l.std_ms = opt_number(j, "std_ms");
  l.min_ms = opt_number(j, "min_ms");
  l.max_ms = opt_number(j, "max_ms");
  l.peak_memory_bytes = opt_number(j, "runner_peak_memory_bytes");
  if (j.contains("samples_ms") && j["samples_ms"].is_array()) {
    for (const auto& x : j["samples_ms"]) {
      if (!x.is_number()) return invalid_argument("latency.samples_ms: expected numbers");
      l.samples_ms.push_back(x.get<double>());
    }
  }
  return l;
}

Expected<Latency> parse_runner_output(const std::string& output) {
  Latency l;
  l.source = "runner";
  std::istringstream in(output);
  std::string line, stats_line;
  bool from_json = false;
  while (std::getline(in, line)) {
    // A JSON line with the timed runs.
    const size_t brace = line.find('{');
    if (brace != std::string::npos && line.find("latency_ms") != std::string::npos) {
      const auto j = nlohmann::json::parse(line.substr(brace), nullptr, /*allow_exceptions=*/false);
      if (j.is_object() && j.contains("latency_ms") && j["latency_ms"].is_array() && !j["latency_ms"].empty()) {
        l.samples_ms.clear();
        for (const auto& x : j["latency_ms"]) {
          if (!x.is_number()) return invalid_argument("runner output: latency_ms must hold numbers");
          l.samples_ms.push_back(x.get<double>());
        }
        l.init_ms = opt_number(j, "init_ms");
        l.first_run_ms = opt_number(j, "first_run_ms");
        l.warmup = opt_count(j, "warmup", 0);
        l.peak_memory_bytes = opt_number(j, "peak_memory_bytes");
        from_json = true;
        continue;
      }
    }
    if (line.find("count=") != std::string::npos && line.find("avg=") != std::string::npos) stats_line = line;
    static const std::regex timings(R"(Init:\s*([0-9.]+).*First inference:\s*([0-9.]+))");
    std::smatch m;
    if (line.find("Inference timings in us") != std::string::npos && std::regex_search(line, m, timings)) {
      l.init_ms = std::stod(m[1].str()) / 1000.0;
      l.first_run_ms = std::stod(m[2].str()) / 1000.0;
    }
    static const std::regex peak(R"(peak memory footprint \(MB\)[^0-9]*([0-9.]+))");
    if (std::regex_search(line, m, peak)) l.peak_memory_bytes = std::stod(m[1].str()) * 1024.0 * 1024.0;
  }
  if (from_json) {
    summarize(l);
    return l;
  }
  if (stats_line.empty()) {
    return invalid_argument(
        "the runner's output holds no latency figures: expected LiteRT benchmark_model output (a line "
        "'count=.. first=.. curr=.. min=.. max=.. avg=.. std=..') or a line with a JSON object "
        "{{\"latency_ms\": [...]}}; it printed:\n{}",
        output.empty() ? std::string("(nothing)") : head(output));
  }
  const auto kv = key_values(stats_line);
  const auto get = [&](const char* k) -> std::optional<double> {
    auto it = kv.find(k);
    if (it == kv.end()) return std::nullopt;
    return it->second / 1000.0;  // microseconds
  };
  l.runs = 0;
  if (kv.count("count") && kv.at("count") > 0) {
    l.runs = static_cast<int>(std::min(kv.at("count"), static_cast<double>(std::numeric_limits<int>::max())));
  }
  l.mean_ms = get("avg");
  l.std_ms = get("std");
  l.min_ms = get("min");
  l.max_ms = get("max");
  l.p50_ms = get("median") ? get("median") : get("p50");
  l.p90_ms = get("p90");
  l.p99_ms = get("p99");
  if (!l.mean_ms) return invalid_argument("the runner's statistics line has no avg=: {}", stats_line);
  return l;
}

}  // namespace tfc::eval
