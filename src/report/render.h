// Rendering of the evaluation report (report.h, docs/REPORT.md) into
// report.md (a short summary that fits a pull-request comment; markdown.cc)
// and report.html (one self-contained page: inline CSS and inline SVG plots,
// no scripts needed to render, nothing fetched from elsewhere; html.cc,
// svg_plot.cc), both from one view of the report (view.h).
// Not: computing any figure. Every number shown comes from the report; the
// only derived values are latency quartiles from samples_ms (eval/latency.h's
// percentile), and deltas and Pareto fronts (eval/compare.h) when the report
// lacks them.
#pragma once

#include <string>

#include "core/status.h"
#include "report/report.h"

namespace tfc::report {

// Markdown summary: title, host/settings line, one table of all models with
// Pareto fronts marked, the worst classes per variant, the baseline line.
std::string render_markdown(const Report& report);

// Self-contained HTML5 page with the summary table, plots (<svg> ids
// plot-acc-size, plot-acc-latency, plot-latency, plot-class-delta), confusion
// matrices and the error profile. A plot whose data is missing is replaced by a
// note carrying data-plot-missing="<id>".
std::string render_html(const Report& report);

// Writes report.json (report_text), report.md and report.html into `dir`
// (created if missing), each durably (temporary file, fsync, rename).
Status write_report_files(const Report& report, const std::string& dir);

// Number formatting shared by both renderers.
std::string format_bytes(double bytes);          // "412.0 KiB", "11.40 MiB", "512 B"
std::string format_ms(double ms);                // 3 significant digits: "0.622", "12.3", "145"
std::string format_percent(double fraction);     // 0.907 -> "90.70%"
std::string format_points(double fraction);      // signed percentage points: -0.004 -> "-0.40"

}  // namespace tfc::report
