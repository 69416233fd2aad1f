// The Markdown summary of a report, short enough for a pull-request comment:
// the settings line, one table of every model with the Pareto fronts marked,
// the worst classes per variant and the baseline line, from the view (view.h).
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "report/render.h"
#include "report/view.h"

namespace tfc::report {
namespace {

using namespace view;

struct ClassDelta {
  std::string name;
  double delta;  // fraction points
};

// Per-class accuracy change of `m` against the baseline, worst first.
std::vector<ClassDelta> class_deltas(const Model& m, const Model& base) {
  std::vector<ClassDelta> d;
  if (m.per_class.empty() || m.per_class.size() != base.per_class.size()) return d;
  for (size_t c = 0; c < m.per_class.size(); ++c) {
    if (!std::isfinite(m.per_class[c]) || !std::isfinite(base.per_class[c])) continue;
    d.push_back({c < m.class_names.size() ? m.class_names[c] : std::to_string(c), m.per_class[c] - base.per_class[c]});
  }
  std::stable_sort(d.begin(), d.end(), [](const ClassDelta& a, const ClassDelta& b) { return a.delta < b.delta; });
  return d;
}

}  // namespace

std::string render_markdown(const Report& report) {
  const view::View v = view::make_view(report);
  const Model* base = v.baseline();
  std::string s;
  out(s, "## tfcompress evaluation report\n\n");
  if (auto line = settings_line(report, true); !line.empty()) out(s, "{}\n\n", line);
  if (v.models.empty()) {
    out(s, "No models were evaluated.\n");
    return s;
  }
  out(s, "| model | size raw / gzip | Δsize | accuracy | Δacc (pts) | top-1 agreement | p50 / p90 ms | Δp50 | peak RSS |\n");
  out(s, "|:--|--:|--:|--:|--:|--:|--:|--:|--:|\n");
  bool process_rss = false;
  for (const Model& m : v.models) {
    std::string name = md_escape(m.name);
    if (m.is_baseline) name += " (baseline)";
    if (m.on_size_front) name += " ★";
    if (m.on_latency_front) name += " ◆";
    const std::string size = opt_or_dash(m.raw, format_bytes) + " / " + opt_or_dash(m.gzip, format_bytes);
    std::string dsize = kDash;
    if (m.d_raw) {
      dsize = signed_bytes(*m.d_raw);
      if (m.size_ratio) dsize += " (" + signed_ratio_percent(*m.size_ratio) + ")";
    }
    std::string lat = kDash;
    if (m.p50 || m.p90) lat = opt_or_dash(m.p50, format_ms) + " / " + opt_or_dash(m.p90, format_ms);
    std::string dp50 = kDash;
    if (m.d_p50) {
      dp50 = signed_ms(*m.d_p50);
      if (m.p50_ratio) dp50 += " (" + signed_ratio_percent(*m.p50_ratio) + ")";
    }
    std::string rss = opt_or_dash(m.rss, format_bytes);
    if (m.rss && m.rss_scope == "process") {
      rss += "*";
      process_rss = true;
    }
    out(s, "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", name, size, dsize, opt_or_dash(m.acc, format_percent),
        opt_or_dash(m.d_acc, format_points), opt_or_dash(m.agreement, format_percent), lat, dp50, rss);
  }
  out(s, "\n");
  std::vector<std::string> legend;
  if (!v.size_front.empty()) legend.push_back("★ on the accuracy–size Pareto front");
  if (!v.latency_front.empty()) legend.push_back("◆ on the accuracy–latency (p50) Pareto front");
  if (process_rss) legend.push_back("\\* peak RSS of the whole process");
  if (!legend.empty()) out(s, "{}\n\n", fmt::join(legend, " · "));
  if (!v.any_accuracy) out(s, "No labels: accuracy is not measured; outputs are compared with the baseline only.\n\n");
  std::string kernel_notes;
  for (const Model& m : v.models)
    if (!m.kernel_note.empty()) out(kernel_notes, "- {}: {}\n", md_escape(m.name), md_escape(m.kernel_note));
  if (!kernel_notes.empty()) out(s, "**Latency not representative of LiteRT:**\n\n{}\n", kernel_notes);

  if (base != nullptr) {
    std::string notes;
    for (const Model* m : v.variants()) {
      auto d = class_deltas(*m, *base);
      if (d.empty()) continue;
      std::vector<std::string> worst;
      for (size_t i = 0; i < d.size() && i < 3; ++i)
        if (format_points(d[i].delta) != format_points(0.0))
          worst.push_back(fmt::format("{} {}", md_escape(d[i].name), format_points(d[i].delta)));
      if (worst.empty()) {
        out(notes, "- {}: no class lost accuracy\n", md_escape(m->name));
      } else {
        out(notes, "- {}: {}\n", md_escape(m->name), fmt::join(worst, " · "));
      }
    }
    if (!notes.empty()) out(s, "**Worst classes vs baseline** (per-class accuracy change, pts):\n\n{}\n", notes);
    std::vector<std::string> facts;
    if (base->acc) facts.push_back(format_percent(*base->acc) + " accuracy");
    if (base->raw) facts.push_back(format_bytes(*base->raw));
    if (base->p50) facts.push_back("p50 " + format_ms(*base->p50) + " ms");
    std::string where;
    if (!base->path.empty()) where = md_code(base->path);
    if (!base->sha256.empty()) where += (where.empty() ? "" : ", ") + fmt::format("sha256 {}…", short_sha(base->sha256));
    out(s, "Baseline: **{}**{}{}{}.\n", md_escape(base->name), where.empty() ? "" : " (" + where + ")",
        facts.empty() ? "" : ": ", fmt::join(facts, ", "));
  } else {
    out(s, "No baseline: deltas are not shown (record one with `tfcompress baseline`).\n");
  }
  return s;
}

}  // namespace tfc::report
