// libFuzzer harness for evaluation reports (report.json) as `tfcompress report`
// and `tfcompress gate` read them: any byte string is refused with an error or
// rendered (Markdown and HTML) and gated, never a crash, hang or sanitizer report.
// use_report() is the one place that names the report-reading entry points.
#include <cstddef>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "eval/gate.h"
#include "fuzz_util.h"
#include "report/render.h"
#include "report/report.h"

namespace {

// A budget with every key, so that every figure of every model is read.
const tfc::eval::Budget& every_limit() {
  static const tfc::eval::Budget budget = [] {
    tfc::eval::Budget b;
    for (const auto& k : tfc::eval::budget_keys()) b.limits.emplace_back(k.key, 0.5);
    return b;
  }();
  return budget;
}

// What the commands do with a report file's bytes: `report` reads it into the
// typed report (report::report_from_json) and renders Markdown and HTML; `gate`
// reads it the same way and checks it against a budget (eval::check_budget).
// Writing it back as JSON (report_text) covers the writer's keep-absent-keys path.
void use_report(const uint8_t* data, size_t size) {
  const nlohmann::json j = tfc::fuzz::parse_json(data, size);
  if (j.is_discarded()) return;
  auto report = tfc::report::report_from_json(j);
  if (!report) return;
  (void)tfc::report::render_markdown(*report);
  (void)tfc::report::render_html(*report);
  (void)tfc::report::report_text(*report);
  auto result = tfc::eval::check_budget(*report, every_limit());
  if (result.has_value()) (void)tfc::eval::gate_json(*result, every_limit()).dump();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  use_report(data, size);
  return 0;
}
