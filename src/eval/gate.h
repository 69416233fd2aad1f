// CI gates: a budget file of limits (latency percentiles, peak memory, size,
// minimum accuracy, maximum drop against the baseline, agreement with the
// baseline, p50 latency / size / peak memory as ratios of the baseline's)
// checked against the models of an evaluation report. Unknown keys
// in a budget are an error, so that a typo never silently disables a limit; a
// limit on a figure the report does not hold fails, naming what is missing.
// Not: measuring (evaluate.h).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "report/report.h"

namespace tfc::eval {

struct BudgetKey {
  const char* key;
  const char* what;   // human name of the figure
  const char* unit;   // for messages
  bool is_max;        // an upper limit (else a lower one)
};
// Every key a budget may hold, in the order they are checked.
const std::vector<BudgetKey>& budget_keys();

struct Budget {
  std::vector<std::pair<std::string, double>> limits;  // key, value; in file order
};
Expected<Budget> parse_budget(const nlohmann::json& j);

struct Violation {
  std::string model;
  std::string key;
  double limit = 0;
  std::optional<double> actual;  // missing when the report lacks the figure
  std::string message;
};

struct GateResult {
  std::vector<std::string> models;       // checked
  std::vector<Violation> violations;
  bool passed() const { return violations.empty(); }
};

// Checks every model of `report` (or those named in `only`; the baseline when
// it is named) against `budget`.
Expected<GateResult> check_budget(const report::Report& report, const Budget& budget,
                                  const std::vector<std::string>& only = {});
nlohmann::json gate_json(const GateResult& result, const Budget& budget);

}  // namespace tfc::eval
