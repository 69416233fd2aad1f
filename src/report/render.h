// Rendering of the evaluation report (report.json, docs/REPORT.md) into
// report.md (a short summary that fits a pull-request comment) and report.html
// (one self-contained page: inline CSS and inline SVG plots drawn here, no
// scripts needed to render, nothing fetched from elsewhere).
// Not: computing any figure. Every number shown comes from the JSON; the only
// derived values are deltas against the baseline when the JSON leaves them
// out, latency quartiles from samples_ms, and a Pareto front when "pareto" is
// missing.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace tfc::report {

// The schema this renderer understands ("tfcompress-report", version 1).
inline constexpr const char* kReportSchema = "tfcompress-report";
inline constexpr int kReportSchemaVersion = 1;

// invalid_argument unless `report` is an object whose "schema" is
// "tfcompress-report" and whose "schema_version" is an integer <= 1.
Status check_report_schema(const nlohmann::json& report);

// Markdown summary: title, host/settings line, one table of all models with
// Pareto fronts marked, the worst classes per variant, the baseline line.
std::string render_markdown(const nlohmann::json& report);

// Self-contained HTML5 page with the summary table, plots (<svg> ids
// plot-acc-size, plot-acc-latency, plot-latency, plot-class-delta), confusion
// matrices and the error profile. A plot whose data is missing is replaced by a
// note carrying data-plot-missing="<id>".
std::string render_html(const nlohmann::json& report);

// Writes report.json (dump(2)), report.md and report.html into `dir`
// (created if missing), each durably (temporary file, fsync, rename).
Status write_report_files(const nlohmann::json& report, const std::string& dir);

// Number formatting shared by both renderers.
std::string format_bytes(double bytes);          // "412.0 KiB", "11.40 MiB", "512 B"
std::string format_ms(double ms);                // 3 significant digits: "0.622", "12.3", "145"
std::string format_percent(double fraction);     // 0.907 -> "90.70%"
std::string format_points(double fraction);      // signed percentage points: -0.004 -> "-0.40"

}  // namespace tfc::report
