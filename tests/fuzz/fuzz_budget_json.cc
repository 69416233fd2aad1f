// libFuzzer harness for budget files (eval::parse_budget, as `tfcompress gate`
// reads --budget): any byte string gives a budget or an error, never a crash,
// hang or sanitizer report. A budget that parses is checked against a small
// fixed report and its result rendered as `gate --json` does.
#include <cstddef>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "eval/gate.h"
#include "fuzz_util.h"
#include "report/report.h"

namespace {

// A report with a baseline and one model holding every figure a budget limits.
const tfc::report::Report& fixed_report() {
  static const tfc::report::Report report = *tfc::report::report_from_json(nlohmann::json::parse(R"({
    "schema": "tfcompress-report", "schema_version": 1,
    "baseline": {"name": "base", "size": {"raw_bytes": 400000, "gzip_bytes": 370000},
                 "latency": {"p50_ms": 0.4, "p90_ms": 0.5, "p99_ms": 0.7, "mean_ms": 0.41, "init_ms": 2.0},
                 "memory": {"peak_rss_bytes": 25000000, "arena_bytes": 60000},
                 "metrics": {"accuracy": 0.9}},
    "models": [{"name": "int8", "size": {"raw_bytes": 100000, "gzip_bytes": 80000},
                "latency": {"p50_ms": 0.5, "p90_ms": 0.6, "p99_ms": 0.9, "mean_ms": 0.52, "init_ms": 3.0},
                "memory": {"peak_rss_bytes": 20000000, "arena_bytes": 50000},
                "metrics": {"accuracy": 0.89, "top_k": {"k": 5, "accuracy": 0.99}},
                "error_vs_baseline": {"top1_agreement": 0.97, "outputs": [{"name": "y", "snr_db": 30.0}]}}]
  })"));
  return report;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const nlohmann::json j = tfc::fuzz::parse_json(data, size);
  if (j.is_discarded()) return 0;
  auto budget = tfc::eval::parse_budget(j);
  if (!budget.has_value()) return 0;
  auto result = tfc::eval::check_budget(fixed_report(), *budget);
  if (!result.has_value()) return 0;
  (void)tfc::eval::gate_json(*result, *budget).dump();
  return 0;
}
