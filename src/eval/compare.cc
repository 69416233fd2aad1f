// Deltas against the baseline and Pareto fronts (see compare.h).
#include "eval/compare.h"

#include <cmath>
#include <optional>

#include "eval/metrics.h"

namespace tfc::eval {
namespace {

using Num = std::optional<double>;

template <typename T>
Num as_num(const std::optional<T>& v) {
  return v ? Num(static_cast<double>(*v)) : std::nullopt;
}

Num diff(Num a, Num b) { return a && b ? Num(*a - *b) : std::nullopt; }
Num ratio(Num a, Num b) { return a && b && *b != 0 ? Num(*a / *b) : std::nullopt; }

}  // namespace

report::Deltas deltas_against(const report::ModelEntry& m, const report::ModelEntry& b) {
  report::Deltas d;
  d.accuracy = diff(m.metrics.accuracy, b.metrics.accuracy);
  d.size_raw_bytes = diff(as_num(m.size.raw_bytes), as_num(b.size.raw_bytes));
  d.size_ratio = ratio(as_num(m.size.raw_bytes), as_num(b.size.raw_bytes));
  d.gzip_bytes = diff(as_num(m.size.gzip_bytes), as_num(b.size.gzip_bytes));
  d.gzip_ratio = ratio(as_num(m.size.gzip_bytes), as_num(b.size.gzip_bytes));
  d.latency_p50_ms = diff(m.latency.p50_ms, b.latency.p50_ms);
  d.latency_p50_ratio = ratio(m.latency.p50_ms, b.latency.p50_ms);
  d.latency_p90_ms = diff(m.latency.p90_ms, b.latency.p90_ms);
  d.latency_p99_ms = diff(m.latency.p99_ms, b.latency.p99_ms);
  d.peak_rss_bytes = diff(as_num(m.memory.peak_rss_bytes), as_num(b.memory.peak_rss_bytes));
  d.arena_bytes = diff(as_num(m.memory.arena_bytes), as_num(b.memory.arena_bytes));
  const auto& mc = m.metrics.per_class_accuracy;
  const auto& bc = b.metrics.per_class_accuracy;
  if (!mc.empty() && mc.size() == bc.size()) {
    std::vector<double> per_class;
    for (size_t k = 0; k < mc.size(); ++k) per_class.push_back(mc[k] - bc[k]);  // NaN in either: NaN
    d.per_class_accuracy = std::move(per_class);
  }
  return d;
}

report::Pareto pareto_of(const std::vector<const report::ModelEntry*>& entries) {
  std::vector<Num> acc, size, p50;
  for (const auto* e : entries) {
    acc.push_back(e->metrics.accuracy);
    size.push_back(as_num(e->size.raw_bytes));
    p50.push_back(e->latency.p50_ms);
  }
  const auto names = [&](const std::vector<size_t>& idx) {
    std::vector<std::string> out;
    for (size_t i : idx) out.push_back(entries[i]->name);
    return out;
  };
  return {names(pareto_front(acc, size)), names(pareto_front(acc, p50))};
}

}  // namespace tfc::eval
