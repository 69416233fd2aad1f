// Budgets and their check against a report (see gate.h).
#include "eval/gate.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include <fmt/format.h>

namespace tfc::eval {
namespace {

bool is_fraction_key(const std::string& key) {
  return key == "min_accuracy" || key == "max_accuracy_drop" || key == "min_top_k_accuracy" ||
         key == "min_top1_agreement";
}

// Keys whose figure compares a model with the report's baseline.
bool needs_baseline(const std::string& key) {
  return key == "max_accuracy_drop" || key == "min_top1_agreement" || key == "min_snr_db" ||
         key == "max_latency_ratio" || key == "max_size_ratio" || key == "max_peak_memory_ratio";
}

template <typename T>
std::optional<double> num(const std::optional<T>& v) {
  return v ? std::optional<double>(static_cast<double>(*v)) : std::nullopt;
}

// `a` / `b`; missing when either is, or `b` is not positive.
std::optional<double> ratio(std::optional<double> a, std::optional<double> b) {
  return a && b && *b > 0 ? std::optional<double>(*a / *b) : std::nullopt;
}

// The worst (lowest) SNR over the outputs compared with the baseline.
std::optional<double> worst_snr(const report::ModelEntry& m) {
  if (!m.error_vs_baseline) return std::nullopt;
  double worst = INFINITY;
  for (const auto& o : m.error_vs_baseline->outputs) {
    if (std::isfinite(o.snr_db)) worst = std::min(worst, o.snr_db);
  }
  return std::isfinite(worst) ? std::optional<double>(worst) : std::nullopt;
}

// The figure `key` limits, for model `m`; `base` is the report's baseline.
std::optional<double> figure(const std::string& key, const report::ModelEntry& m, const report::ModelEntry* base) {
  const eval::Latency& l = m.latency;
  if (key == "max_latency_p50_ms") return l.p50_ms;
  if (key == "max_latency_p90_ms") return l.p90_ms;
  if (key == "max_latency_p99_ms") return l.p99_ms;
  if (key == "max_latency_mean_ms") return l.mean_ms;
  if (key == "max_init_ms") return l.init_ms;
  if (key == "max_peak_memory_bytes") return num(m.memory.peak_rss_bytes);
  if (key == "max_arena_bytes") return num(m.memory.arena_bytes);
  if (key == "max_size_bytes") return num(m.size.raw_bytes);
  if (key == "max_gzip_size_bytes") return num(m.size.gzip_bytes);
  if (key == "min_accuracy") return m.metrics.accuracy;
  if (key == "min_top_k_accuracy") return m.metrics.top_k_accuracy;
  if (key == "min_top1_agreement") return m.error_vs_baseline ? m.error_vs_baseline->top1_agreement : std::nullopt;
  if (key == "min_snr_db") return worst_snr(m);
  if (base == nullptr) return std::nullopt;
  if (key == "max_accuracy_drop") {
    const auto acc = m.metrics.accuracy, b = base->metrics.accuracy;
    return acc && b ? std::optional<double>(*b - *acc) : std::nullopt;
  }
  if (key == "max_latency_ratio") return ratio(l.p50_ms, base->latency.p50_ms);
  if (key == "max_size_ratio") return ratio(num(m.size.raw_bytes), num(base->size.raw_bytes));
  if (key == "max_peak_memory_ratio") {
    // Only peaks measured per model compare: a process-wide peak ("process"
    // scope) also holds whatever ran before the model in that process.
    if (m.memory.peak_rss_scope != "model" || base->memory.peak_rss_scope != "model") return std::nullopt;
    return ratio(num(m.memory.peak_rss_bytes), num(base->memory.peak_rss_bytes));
  }
  return std::nullopt;
}

std::string show(double v, const std::string& unit) {
  if (unit == "fraction") return fmt::format("{:.4f} ({:.2f}%)", v, 100 * v);
  if (unit == "bytes") return fmt::format("{:.0f} bytes", v);
  if (unit == "ratio") return fmt::format("{:.4g}x", v);
  return fmt::format("{:.4g} {}", v, unit);
}

}  // namespace

const std::vector<BudgetKey>& budget_keys() {
  static const std::vector<BudgetKey> keys = {
      {"max_latency_p50_ms", "p50 latency", "ms", true},
      {"max_latency_p90_ms", "p90 latency", "ms", true},
      {"max_latency_p99_ms", "p99 latency", "ms", true},
      {"max_latency_mean_ms", "mean latency", "ms", true},
      {"max_init_ms", "load and prepare time", "ms", true},
      {"max_peak_memory_bytes", "peak resident memory", "bytes", true},
      {"max_arena_bytes", "runtime activation storage", "bytes", true},
      {"max_size_bytes", "size on disk", "bytes", true},
      {"max_gzip_size_bytes", "gzip size", "bytes", true},
      {"min_accuracy", "top-1 accuracy", "fraction", false},
      {"min_top_k_accuracy", "top-k accuracy", "fraction", false},
      {"max_accuracy_drop", "accuracy drop against the baseline", "fraction", true},
      {"min_top1_agreement", "top-1 agreement with the baseline", "fraction", false},
      {"min_snr_db", "output SNR against the baseline (worst output)", "dB", false},
      {"max_latency_ratio", "p50 latency relative to the baseline's p50", "ratio", true},
      {"max_size_ratio", "size on disk relative to the baseline's", "ratio", true},
      {"max_peak_memory_ratio", "peak resident memory relative to the baseline's", "ratio", true},
  };
  return keys;
}

Expected<Budget> parse_budget(const nlohmann::json& j) {
  if (!j.is_object()) return invalid_argument("a budget is a JSON object of limits, e.g. {{\"max_size_bytes\": 500000}}");
  Budget b;
  for (const auto& [key, value] : j.items()) {
    const auto& keys = budget_keys();
    const std::string& name = key;  // a structured binding cannot be captured by clang 14
    const bool known = std::any_of(keys.begin(), keys.end(), [&](const BudgetKey& k) { return name == k.key; });
    if (!known) {
      std::string all;
      for (const auto& k : keys) all += fmt::format("{}{}", all.empty() ? "" : ", ", k.key);
      return invalid_argument("unknown budget key '{}'; the keys are: {}", key, all);
    }
    if (!value.is_number()) return invalid_argument("budget '{}' must be a number, got {}", key, value.dump());
    const double v = value.get<double>();
    if (!std::isfinite(v) || (v < 0 && key != "min_snr_db")) {
      return invalid_argument("budget '{}' must be a finite non-negative number, got {}", key, value.dump());
    }
    if (is_fraction_key(key) && v > 1) {
      return invalid_argument("budget '{}' is a fraction between 0 and 1 (0.9 for 90%), got {}", key, v);
    }
    b.limits.emplace_back(key, v);
  }
  if (b.limits.empty()) return invalid_argument("the budget sets no limits");
  return b;
}

Expected<GateResult> check_budget(const report::Report& report, const Budget& budget,
                                  const std::vector<std::string>& only) {
  const auto named = [&](const std::string& name) {
    return only.empty() || std::find(only.begin(), only.end(), name) != only.end();
  };
  std::vector<const report::ModelEntry*> entries;
  for (const auto& m : report.models) {
    if (named(m.name)) entries.push_back(&m);
  }
  const report::ModelEntry* base = report.baseline ? &*report.baseline : nullptr;
  if (base && !only.empty() && named(base->name)) entries.insert(entries.begin(), base);
  for (const std::string& name : only) {
    const bool found = std::any_of(entries.begin(), entries.end(),
                                   [&](const report::ModelEntry* e) { return e->name == name; });
    if (!found) return not_found("the report has no model named '{}'", name);
  }
  if (entries.empty()) return invalid_argument("the report holds no models to gate");
  for (const auto& [key, limit] : budget.limits) {
    if (needs_baseline(key) && !base) {
      return invalid_argument("budget '{}' compares against the baseline, but the report has none; evaluate with "
                              "--baseline baseline.json (made by 'tfcompress baseline')",
                              key);
    }
  }
  GateResult result;
  for (const report::ModelEntry* m : entries) {
    const std::string name = m->name.empty() ? "?" : m->name;
    result.models.push_back(name);
    for (const auto& [key, limit] : budget.limits) {
      const auto& keys = budget_keys();
      const std::string& key_name = key;  // a structured binding cannot be captured by clang 14
      const BudgetKey& k =
          *std::find_if(keys.begin(), keys.end(), [&](const BudgetKey& x) { return key_name == x.key; });
      const auto actual = figure(key, *m, base);
      Violation v{name, key, limit, actual, ""};
      if (!actual) {
        v.message = fmt::format("{} {}: the report has no {} for this model", key, show(limit, k.unit), k.what);
        result.violations.push_back(v);
        continue;
      }
      const bool ok = k.is_max ? *actual <= limit : *actual >= limit;
      if (!ok) {
        v.message = fmt::format("{}: {} is {}, {} {}", key, k.what, show(*actual, k.unit),
                                k.is_max ? "above the limit" : "below the limit", show(limit, k.unit));
        result.violations.push_back(v);
      }
    }
  }
  return result;
}

nlohmann::json gate_json(const GateResult& r, const Budget& budget) {
  nlohmann::json j;
  j["passed"] = r.passed();
  j["models"] = nlohmann::json::array();
  for (const std::string& name : r.models) {
    nlohmann::json m{{"name", name}, {"violations", nlohmann::json::array()}};
    for (const auto& v : r.violations) {
      if (v.model != name) continue;
      m["violations"].push_back({{"key", v.key},
                                 {"limit", v.limit},
                                 {"actual", v.actual ? nlohmann::json(*v.actual) : nlohmann::json(nullptr)},
                                 {"message", v.message}});
    }
    m["passed"] = m["violations"].empty();
    j["models"].push_back(m);
  }
  nlohmann::json limits = nlohmann::json::object();
  for (const auto& [k, v] : budget.limits) limits[k] = v;
  j["budget"] = limits;
  return j;
}

}  // namespace tfc::eval
