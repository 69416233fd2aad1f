// The self-contained HTML page of a report: inline CSS, the summary table,
// the plots (svg_plot.h) or a note where their data is missing, confusion
// matrices and the error profile, all from the view (view.h).
// Not: scripts needed to render (one line checks the page for tests), or
// anything fetched from elsewhere.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include <fmt/format.h>

#include "report/render.h"
#include "report/svg_plot.h"
#include "report/view.h"

namespace tfc::report {
namespace {

using namespace view;

void missing_plot(std::string& s, const char* id, const std::string& why) {
  out(s, "<p class=\"note\" data-plot-missing=\"{}\">{}</p>\n", id, html_escape(why));
}

// Background for a heat-map cell: white blended towards the model's colour.
std::string heat(const char* hex, double t) {
  t = std::clamp(t, 0.0, 1.0);
  unsigned r = 0, g = 0, b = 0;
  std::sscanf(hex, "#%02x%02x%02x", &r, &g, &b);
  auto mix = [&](unsigned c) { return static_cast<int>(std::lround(255.0 + (static_cast<double>(c) - 255.0) * t)); };
  return fmt::format("rgb({},{},{})", mix(r), mix(g), mix(b));
}

void confusion_table(std::string& s, const Model& m) {
  const size_t n = m.confusion.size();
  out(s, "<figure class=\"cm\"><figcaption><span class=\"sw\" style=\"background:{}\"></span>{}{}</figcaption>\n",
      color_of(m), html_escape(m.name), m.acc ? " — " + format_percent(*m.acc) + " accuracy" : std::string());
  out(s, "<table class=\"heat\"><thead><tr><th class=\"corner\">true \\ predicted</th>");
  for (size_t c = 0; c < n; ++c) {
    const std::string name = c < m.class_names.size() ? m.class_names[c] : std::to_string(c);
    out(s, "<th title=\"{}\">{}</th>", html_escape(name), html_escape(truncate(name, 7)));
  }
  out(s, "</tr></thead><tbody>\n");
  for (size_t r = 0; r < n; ++r) {
    const std::string name = r < m.class_names.size() ? m.class_names[r] : std::to_string(r);
    double total = 0;
    for (double x : m.confusion[r]) total += x;
    out(s, "<tr><th title=\"{}\">{}</th>", html_escape(name), html_escape(truncate(name, 12)));
    for (size_t c = 0; c < n; ++c) {
      const double x = c < m.confusion[r].size() ? m.confusion[r][c] : 0.0;
      const double t = total > 0 ? x / total : 0.0;
      const double shade = x > 0 ? std::max(0.08, std::sqrt(t)) : 0.0;
      out(s, "<td style=\"background:{};color:{}\"{}>{}</td>", heat(color_of(m), shade), shade > 0.6 ? "#fff" : "#222",
          r == c ? " class=\"diag\"" : "", x == 0 ? std::string() : fmt::format("{:.0f}", x));
    }
    out(s, "</tr>\n");
  }
  out(s, "</tbody></table></figure>\n");
}

const char* kCss = R"css(
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; margin: 24px auto; max-width: 1160px; padding: 0 16px; color: #222; background: #fff; }
h1 { font-size: 1.6em; margin-bottom: 4px; }
h2 { font-size: 1.25em; margin-top: 32px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.meta { color: #555; font-size: 0.9em; line-height: 1.5; }
.meta code, td code { font-size: 0.95em; }
.scroll { overflow-x: auto; }
table.summary small { color: #666; }
table.summary, table.errors { border-collapse: collapse; font-size: 0.84em; font-variant-numeric: tabular-nums; margin: 8px 0; }
table.summary th, table.summary td, table.errors th, table.errors td { border-bottom: 1px solid #e3e3e3; padding: 4px 7px; text-align: right; white-space: nowrap; vertical-align: top; }
table.summary th:first-child, table.summary td:first-child, table.errors td:first-child, table.errors th:first-child { text-align: left; }
table.summary thead th, table.errors thead th { background: #f4f4f4; border-bottom: 2px solid #ccc; }
.sw { display: inline-block; width: 11px; height: 11px; border-radius: 50%; margin-right: 6px; vertical-align: -1px; }
.badge { display: inline-block; font-size: 0.78em; padding: 0 5px; margin-left: 4px; border-radius: 3px; background: #eee; color: #333; }
.path { color: #777; font-size: 0.85em; }
.good { color: #1a7f37; } .bad { color: #c62828; }
.note { background: #fff8e1; border-left: 4px solid #f0b400; padding: 8px 12px; color: #5d4a00; }
svg.plot { display: block; max-width: 100%; height: auto; margin: 8px 0 4px; background: #fff; }
svg .grid { stroke: #e6e6e6; stroke-width: 1; }
svg .tick { stroke: #888; stroke-width: 1; }
svg .frame { fill: none; stroke: #888; stroke-width: 1; }
svg .zero { stroke: #444; stroke-width: 1.2; }
svg .front { fill: none; stroke: #333; stroke-width: 1.6; stroke-dasharray: 6 4; }
svg .pt { stroke: #fff; stroke-width: 1.5; }
svg text { font-family: inherit; fill: #333; }
svg .tl { font-size: 11px; fill: #555; }
svg .pl { font-size: 12px; font-weight: 600; }
svg .lg { font-size: 12px; }
svg .axis { font-size: 12.5px; fill: #333; }
.cms { display: flex; flex-wrap: wrap; gap: 18px; }
figure.cm { margin: 0; }
figure.cm figcaption { font-weight: 600; margin-bottom: 4px; }
table.heat { border-collapse: collapse; font-size: 11px; font-variant-numeric: tabular-nums; }
table.heat th { font-weight: 500; color: #555; padding: 2px 4px; max-width: 64px; overflow: hidden; }
table.heat tbody th { text-align: right; }
table.heat td { width: 30px; height: 22px; text-align: center; border: 1px solid #fff; }
table.heat td.diag { font-weight: 700; }
table.heat th.corner { font-size: 10px; color: #888; }
)css";

// A delta cell: the change, coloured better/worse, with an optional relative
// change on a second line.
std::string delta_cell(Num d, const std::string& text, const std::string& relative, bool lower_is_better) {
  if (!d) return fmt::format("<td>{}</td>", kDash);
  const char* cls = "";
  if (std::fabs(*d) > 1e-12) cls = (*d < 0) == lower_is_better ? " class=\"good\"" : " class=\"bad\"";
  return fmt::format("<td{}>{}{}</td>", cls, html_escape(text),
                     relative.empty() ? std::string() : "<br><small>" + html_escape(relative) + "</small>");
}

void summary_table(std::string& s, const View& v) {
  int k = 0;
  for (const Model& m : v.models) k = std::max(k, m.topk_acc ? m.topk_k : 0);
  out(s, "<div class=\"scroll\"><table class=\"summary\"><thead><tr><th>model</th><th>size raw<br>gzip</th><th>Δsize</th>"
         "<th>accuracy</th><th>Δacc<br>(pts)</th><th>top-{}</th><th>top-1<br>agreement</th><th>p50 ms</th><th>p90 ms</th>"
         "<th>Δp50</th><th>init ms</th><th>arena</th><th>peak RSS</th></tr></thead><tbody>\n",
      k > 0 ? std::to_string(k) : "k");
  for (const Model& m : v.models) {
    out(s, "<tr><td><span class=\"sw\" style=\"background:{}\"></span><strong>{}</strong>", color_of(m),
        html_escape(truncate(m.name, 40)));
    if (m.is_baseline) out(s, "<span class=\"badge\">baseline</span>");
    out(s, "<br>");
    if (m.on_size_front) out(s, "<span class=\"badge\" title=\"on the accuracy–size Pareto front\">★ size</span>");
    if (m.on_latency_front)
      out(s, "<span class=\"badge\" title=\"on the accuracy–latency Pareto front\">◆ latency</span>");
    if (!m.path.empty()) out(s, " <span class=\"path\">{}</span>", html_escape(m.path));
    out(s, "</td><td>{}<br><small>{}</small></td>", opt_or_dash(m.raw, format_bytes), opt_or_dash(m.gzip, format_bytes));
    out(s, "{}", delta_cell(m.d_raw, m.d_raw ? signed_bytes(*m.d_raw) : "",
                            m.size_ratio ? signed_ratio_percent(*m.size_ratio) : "", true));
    out(s, "<td>{}</td>", opt_or_dash(m.acc, format_percent));
    out(s, "{}", delta_cell(m.d_acc, opt_or_dash(m.d_acc, format_points), "", false));
    out(s, "<td>{}</td>", opt_or_dash(m.topk_acc, format_percent));
    out(s, "<td>{}</td>", opt_or_dash(m.agreement, format_percent));
    out(s, "<td>{}</td><td>{}</td>", opt_or_dash(m.p50, format_ms), opt_or_dash(m.p90, format_ms));
    out(s, "{}", delta_cell(m.d_p50, m.d_p50 ? signed_ms(*m.d_p50) : "",
                            m.p50_ratio ? signed_ratio_percent(*m.p50_ratio) : "", true));
    out(s, "<td>{}</td><td>{}</td>", opt_or_dash(m.init_ms, format_ms), opt_or_dash(m.arena, format_bytes));
    out(s, "<td>{}{}</td></tr>\n", opt_or_dash(m.rss, format_bytes),
        m.rss && m.rss_scope == "process" ? " <span title=\"peak RSS of the whole process\">*</span>" : "");
  }
  out(s, "</tbody></table></div>\n");
}

void error_table(std::string& s, const View& v) {
  std::string rows;
  for (const Model* m : v.variants()) {
    if (!m->agreement && m->outputs.empty()) continue;
    const size_t n = std::max<size_t>(1, m->outputs.size());
    for (size_t i = 0; i < n; ++i) {
      out(rows, "<tr>");
      if (i == 0) {
        out(rows, "<td rowspan=\"{}\"><span class=\"sw\" style=\"background:{}\"></span>{}</td><td rowspan=\"{}\">{}</td>", n,
            color_of(*m), html_escape(m->name), n, opt_or_dash(m->agreement, format_percent));
      }
      if (i < m->outputs.size()) {
        const OutputError& o = m->outputs[i];
        auto g = [](Num x) { return x ? fmt::format("{:.4g}", *x) : std::string(kDash); };
        out(rows, "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>", html_escape(o.name.empty() ? "—" : o.name),
            g(o.max_abs), g(o.mean_abs), o.cosine ? fmt::format("{:.6f}", *o.cosine) : kDash,
            o.snr_db ? fmt::format("{:.1f}", *o.snr_db) : kDash);
      } else {
        out(rows, "<td colspan=\"5\">—</td>");
      }
      out(rows, "</tr>\n");
    }
  }
  if (rows.empty()) {
    out(s, "<p class=\"note\">No error profile: {}.</p>\n",
        v.has_baseline ? "the report has no comparison of outputs with the baseline" : "the report has no baseline");
    return;
  }
  out(s, "<table class=\"errors\"><thead><tr><th>model</th><th>top-1 agreement</th><th>output</th>"
         "<th>max abs error</th><th>mean abs error</th><th>cosine</th><th>SNR (dB)</th></tr></thead><tbody>\n{}</tbody></table>\n",
      rows);
}


}  // namespace

std::string render_html(const Report& report) {
  const view::View v = view::make_view(report);
  std::string s;
  out(s, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
  out(s, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
  out(s, "<title>tfcompress evaluation report</title>\n<style>{}</style>\n</head>\n<body>\n", kCss);
  out(s, "<h1>tfcompress evaluation report</h1>\n");
  out(s, "<p class=\"meta\">{}</p>\n", html_escape(settings_line(report, false)));
  if (const std::string& sha = report.settings.data_sha256; !sha.empty())
    out(s, "<p class=\"meta\">data sha256 <code>{}</code></p>\n", html_escape(sha));

  out(s, "<h2>Summary</h2>\n");
  if (v.models.empty()) {
    out(s, "<p class=\"note\">No models were evaluated.</p>\n");
  } else {
    summary_table(s, v);
  }
  for (const Model& m : v.models)
    if (!m.kernel_note.empty())
      out(s, "<p class=\"note\" data-kernel-note=\"{}\"><strong>{}</strong>: {}.</p>\n", html_escape(m.name),
          html_escape(m.name), html_escape(m.kernel_note));
  if (const Model* b = v.baseline()) {
    out(s, "<p class=\"meta\">Deltas are against the baseline <strong>{}</strong>{}. "
           "<span class=\"good\">Green</span>: better, <span class=\"bad\">red</span>: worse.</p>\n",
        html_escape(b->name), b->sha256.empty() ? "" : " (sha256 " + html_escape(short_sha(b->sha256)) + "…)");
  } else {
    out(s, "<p class=\"note\">No baseline: deltas, error profile and per-class changes are not shown.</p>\n");
  }

  out(s, "<h2>Accuracy vs size</h2>\n");
  const std::string no_acc =
      "No accuracy: the validation data has no labels (or no model was scored), so the accuracy plots are not drawn.";
  bool any_size = false, any_p50 = false;
  for (const Model& m : v.models) {
    any_size = any_size || (m.acc && m.raw && *m.raw > 0);
    any_p50 = any_p50 || (m.acc && m.p50 && *m.p50 > 0);
  }
  if (!v.any_accuracy) {
    missing_plot(s, "plot-acc-size", no_acc);
  } else if (!any_size) {
    missing_plot(s, "plot-acc-size", "No model has both an accuracy and a size.");
  } else {
    out(s, "{}", scatter_plot(v, "plot-acc-size", "Top-1 accuracy against raw model size, with the Pareto front",
                              &Model::raw, true, v.size_front));
  }
  out(s, "<h2>Accuracy vs latency</h2>\n");
  if (!v.any_accuracy) {
    missing_plot(s, "plot-acc-latency", no_acc);
  } else if (!any_p50) {
    missing_plot(s, "plot-acc-latency", "No model has both an accuracy and a p50 latency.");
  } else {
    out(s, "{}", scatter_plot(v, "plot-acc-latency", "Top-1 accuracy against p50 latency, with the Pareto front",
                              &Model::p50, false, v.latency_front));
  }

  out(s, "<h2>Latency distributions</h2>\n");
  bool any_latency = false;
  for (const Model& m : v.models) any_latency = any_latency || m.p50 || !m.samples.empty();
  if (any_latency) {
    out(s, "{}", latency_plot(v));
  } else {
    missing_plot(s, "plot-latency", "No latency was measured.");
  }

  out(s, "<h2>Per-class accuracy vs baseline</h2>\n");
  std::vector<const Model*> with_classes;
  if (const Model* b = v.baseline(); b && !b->per_class.empty()) {
    for (const Model* m : v.variants())
      if (m->per_class.size() == b->per_class.size()) with_classes.push_back(m);
  }
  if (with_classes.empty()) {
    missing_plot(s, "plot-class-delta",
                 v.has_baseline ? "No per-class accuracy to compare with the baseline."
                                : "No baseline: per-class changes are not shown.");
  } else {
    out(s, "{}", class_delta_plot(*v.baseline(), with_classes));
  }

  std::vector<const Model*> cms;
  for (const Model& m : v.models)
    if (!m.confusion.empty() && m.confusion.size() <= 100) cms.push_back(&m);
  out(s, "<h2>Confusion matrices</h2>\n");
  if (cms.empty()) {
    out(s, "<p class=\"note\">No confusion matrix: the report has no labelled classification results.</p>\n");
  } else {
    if (cms.size() > 4) {
      const Model* best = cms[0];
      for (const Model* m : cms)
        if (m->acc.value_or(-1) > best->acc.value_or(-1)) best = m;
      out(s, "<p class=\"meta\">Showing the most accurate of {} models. Rows: true class; columns: predicted.</p>\n",
          cms.size());
      cms = {best};
    } else {
      out(s, "<p class=\"meta\">Rows: true class; columns: predicted; shading by the share of the row.</p>\n");
    }
    out(s, "<div class=\"cms\">\n");
    for (const Model* m : cms) confusion_table(s, *m);
    out(s, "</div>\n");
  }

  out(s, "<h2>Error profile vs baseline</h2>\n");
  error_table(s, v);

  // Self-check only (the page is complete without it): every plot is drawn or
  // replaced by a note; the drawn plots' boxes are recorded for screenshot tests.
  out(s, "<script>(function(){{var ids=[\"plot-acc-size\",\"plot-acc-latency\",\"plot-latency\",\"plot-class-delta\"],"
         "boxes=[];var ok=ids.every(function(i){{var e=document.getElementById(i);"
         "if(e&&e.childElementCount>1){{var r=e.getBoundingClientRect();"
         "boxes.push([i,Math.round(r.left+scrollX),Math.round(r.top+scrollY),Math.round(r.width),Math.round(r.height)].join(\",\"));"
         "return true;}}return !!document.querySelector('[data-plot-missing=\"'+i+'\"]');}});"
         "document.body.dataset.plots=boxes.join(\";\");document.body.dataset.ok=ok?\"1\":\"0\";}})();</script>\n");
  out(s, "</body>\n</html>\n");
  return s;
}

}  // namespace tfc::report
