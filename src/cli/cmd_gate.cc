// `tfcompress gate REPORT --budget budget.json`: exit 0 when every model of an
// evaluation report meets every limit of the budget, 1 naming each violated
// limit when not (for CI), 2 for a bad report or budget.
#include <set>

#include <fmt/core.h>

#include "cli/commands.h"
#include "eval/gate.h"
#include "io/json_file.h"
#include "report/report.h"

namespace tfc::cli {
namespace {

struct GateOptions {
  std::string report;
  std::string budget;
  std::vector<std::string> models;
  bool json = false;
};

Status run_gate(const GateOptions& o) {
  TFC_ASSIGN_OR_RETURN(report::Report report, report::read_report(o.report));
  TFC_ASSIGN_OR_RETURN(nlohmann::json budget_json, io::read_json_file(o.budget, "budget"));
  auto budget = eval::parse_budget(budget_json);
  if (!budget) return budget.status().with_context(o.budget);
  auto result = eval::check_budget(report, *budget, o.models);
  if (!result) return result.status().with_context(o.report);
  if (o.json) {
    fmt::print("{}\n", eval::gate_json(*result, *budget).dump(2));
  } else {
    for (const std::string& name : result->models) {
      std::vector<const eval::Violation*> mine;
      for (const auto& v : result->violations) {
        if (v.model == name) mine.push_back(&v);
      }
      fmt::print("{} {}\n", mine.empty() ? "PASS" : "FAIL", name);
      for (const auto* v : mine) fmt::print("  {}\n", v->message);
    }
  }
  if (!result->passed()) {
    return check_failed("{} of {} model(s) violate the budget {}",
                        [&] {
                          std::set<std::string> failing;
                          for (const auto& v : result->violations) failing.insert(v.model);
                          return failing.size();
                        }(),
                        result->models.size(), o.budget);
  }
  return Status::ok();
}

}  // namespace

Command gate_command() {
  return {"gate", "Check a report against latency, memory, size and accuracy budgets (exit 1 if any is broken)",
          [](CLI::App& app) {
            auto o = std::make_shared<GateOptions>();
            app.add_option("report", o->report, "report.json written by 'tfcompress eval'")->required();
            app.add_option("--budget", o->budget, "Budget file: a JSON object of limits")->required();
            app.add_option("--model", o->models, "Gate only these models (by report name; repeatable)");
            app.add_flag("--json", o->json, "Print the result as JSON");
            std::string keys;
            for (const auto& k : eval::budget_keys()) {
              const std::string unit = k.unit;
              keys += fmt::format("  {:24} {} ({})\n", k.key, k.what,
                                  unit == "fraction" ? "fraction, 0.9 = 90%"
                                  : unit == "ratio"  ? "model / baseline, 1.5 = 50% above the baseline"
                                                     : unit);
            }
            app.footer("Budget keys (any subset; unknown keys are an error):\n" + keys +
                       "Example budget.json:\n"
                       "  {\"max_latency_p90_ms\": 2.0, \"max_size_bytes\": 200000, \"min_accuracy\": 0.85,\n"
                       "   \"max_accuracy_drop\": 0.01, \"max_latency_ratio\": 1.5, \"max_size_ratio\": 0.5}\n"
                       "Example:\n  tfcompress gate report/report.json --budget budget.json");
            return [o] { return run_gate(*o); };
          }};
}

}  // namespace tfc::cli
