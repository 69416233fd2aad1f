// SVG plots of the HTML report, drawn from the view (view.h): accuracy
// against size and against p50 latency with the Pareto front, the latency
// distribution of every model, and per-class accuracy changes.
#include "report/svg_plot.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "eval/latency.h"
#include "report/render.h"

namespace tfc::report::view {
namespace {

// An axis: data domain, pixel range, linear or log10.
struct Scale {
  double lo = 0, hi = 1, p0 = 0, p1 = 1;
  bool log = false;
  double operator()(double v) const {
    double t;
    if (log) {
      t = (std::log10(std::max(v, 1e-12)) - std::log10(lo)) / (std::log10(hi) - std::log10(lo));
    } else {
      t = (v - lo) / (hi - lo);
    }
    return p0 + t * (p1 - p0);
  }
};

double nice_step(double range, int target) {
  const double raw = range / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / mag;
  const double n = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
  return n * mag;
}

// Pads [lo, hi] and snaps a linear domain to tick steps; widens a log domain.
void nice_domain(double& lo, double& hi, bool log, int target = 5) {
  if (log) {
    lo /= 1.25;
    hi *= 1.25;
    return;
  }
  if (hi - lo <= 0) {
    const double pad = lo == 0 ? 1.0 : std::fabs(lo) * 0.05;
    lo -= pad;
    hi += pad;
  } else {
    const double pad = (hi - lo) * 0.08;
    lo -= pad;
    hi += pad;
  }
  const double step = nice_step(hi - lo, target);
  lo = std::floor(lo / step) * step;
  hi = std::ceil(hi / step) * step;
}

struct Tick {
  double value;
  std::string label;
};

// No ticks for a domain that is empty, inverted or not finite (figures outside
// what the axis can show, e.g. an accuracy above 1 against the 100% cap).
std::vector<Tick> ticks_for(const Scale& s, int target = 5) {
  std::vector<Tick> t;
  if (!std::isfinite(s.lo) || !std::isfinite(s.hi) || !(s.hi > s.lo) || (s.log && !(s.lo > 0))) return t;
  if (s.log) {
    const int k0 = static_cast<int>(std::floor(std::log10(s.lo)));
    const int k1 = static_cast<int>(std::ceil(std::log10(s.hi)));
    for (const std::vector<double>& mult : {std::vector<double>{1}, {1, 2, 5}, {1, 2, 3, 4, 5, 6, 7, 8, 9}}) {
      t.clear();
      for (int k = k0; k <= k1; ++k)
        for (double m : mult) {
          const double v = m * std::pow(10.0, k);
          if (v >= s.lo * 0.9999 && v <= s.hi * 1.0001) t.push_back({v, fmt_general(v)});
        }
      if (t.size() >= 3) break;
    }
    return t;
  }
  const double step = nice_step(s.hi - s.lo, target);
  if (!std::isfinite(step) || !(step > 0)) return t;
  const int decimals = std::max(0, -static_cast<int>(std::floor(std::log10(step) + 1e-9)));
  // Counted steps: adding `step` to a value far larger than it would not move it.
  const double first = std::ceil(s.lo / step - 1e-9);
  for (int i = 0; i <= 4 * target; ++i) {
    const double v = (first + i) * step;
    if (!(v <= s.hi + step * 1e-6)) break;
    const double clean = std::fabs(v) < step * 1e-6 ? 0.0 : v;
    t.push_back({clean, fmt::format("{:.{}f}", clean, decimals)});
  }
  return t;
}

struct Box {
  double x0, y0, x1, y1;
  bool overlaps(const Box& o) const { return x0 < o.x1 && o.x0 < x1 && y0 < o.y1 && o.y0 < y1; }
};

void svg_open(std::string& s, const char* id, double w, double h, const std::string& label) {
  out(s, "<svg id=\"{}\" class=\"plot\" role=\"img\" aria-label=\"{}\" viewBox=\"0 0 {:.0f} {:.0f}\" width=\"{:.0f}\" height=\"{:.0f}\">\n",
      id, html_escape(label), w, h, w, h);
  out(s, "<title>{}</title>\n", html_escape(label));
}

// Grid, ticks, tick labels and axis titles for a plot area.
void draw_axes(std::string& s, const Scale& x, const Scale& y, const std::string& x_title, const std::string& y_title,
               bool x_ticks = true) {
  const double left = x.p0, right = x.p1, top = y.p1, bottom = y.p0;
  if (x_ticks) {
    for (const Tick& t : ticks_for(x)) {
      const double px = x(t.value);
      out(s, "<line class=\"grid\" x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.1f}\" y2=\"{2:.1f}\"/>", px, top, bottom);
      out(s, "<line class=\"tick\" x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.1f}\" y2=\"{2:.1f}\"/>", px, bottom, bottom + 5);
      out(s, "<text class=\"tl\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n", px, bottom + 18, t.label);
    }
  }
  for (const Tick& t : ticks_for(y)) {
    const double py = y(t.value);
    out(s, "<line class=\"grid\" x1=\"{0:.1f}\" x2=\"{1:.1f}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\"/>", left, right, py);
    out(s, "<line class=\"tick\" x1=\"{0:.1f}\" x2=\"{1:.1f}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\"/>", left - 5, left, py);
    out(s, "<text class=\"tl\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n", left - 8, py + 4, t.label);
  }
  out(s, "<rect class=\"frame\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\"/>\n", left, top,
      right - left, bottom - top);
  if (!x_title.empty())
    out(s, "<text class=\"axis\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n", (left + right) / 2,
        bottom + (x_ticks ? 40 : 20), html_escape(x_title));
  if (!y_title.empty())
    out(s, "<text class=\"axis\" transform=\"translate({:.1f},{:.1f}) rotate(-90)\" text-anchor=\"middle\">{}</text>\n",
        left - 52, (top + bottom) / 2, html_escape(y_title));
}

void legend_models(std::string& s, const std::vector<const Model*>& models, double x, double y) {
  for (size_t i = 0; i < models.size(); ++i) {
    const double ly = y + static_cast<double>(i) * 20;
    out(s, "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"6\" fill=\"{}\"/>", x + 6, ly, color_of(*models[i]));
    out(s, "<text class=\"lg\" x=\"{:.1f}\" y=\"{:.1f}\">{}{}</text>\n", x + 18, ly + 4,
        html_escape(truncate(models[i]->name, 20)), models[i]->is_baseline ? " (baseline)" : "");
  }
}

struct SizeUnit {
  double divisor;
  const char* name;
};
SizeUnit size_unit(double max_bytes) {
  if (max_bytes >= 4.0 * 1024 * 1024) return {1024.0 * 1024, "MiB"};
  if (max_bytes >= 4.0 * 1024) return {1024.0, "KiB"};
  return {1.0, "B"};
}

}  // namespace

// Accuracy (y, %) against a cost (x, lower is better) with the Pareto front as
// a step line and each point labelled by its model's name.
std::string scatter_plot(const View& v, const char* id, const std::string& title, Num Model::*cost, bool size_axis,
                         const std::vector<std::string>& front) {
  std::vector<const Model*> pts;
  for (const Model& m : v.models)
    if (m.acc && (m.*cost) && *(m.*cost) > 0) pts.push_back(&m);
  double xmax = 0;
  for (const Model* m : pts) xmax = std::max(xmax, *(m->*cost));
  const SizeUnit unit = size_axis ? size_unit(xmax) : SizeUnit{1.0, "ms"};
  auto xval = [&](const Model* m) { return *(m->*cost) / unit.divisor; };
  auto yval = [&](const Model* m) { return *m->acc * 100.0; };

  const double W = 960, H = 400, left = 76, right = W - 210, top = 20, bottom = H - 56;
  double x0 = xval(pts[0]), x1 = x0, y0 = yval(pts[0]), y1 = y0;
  for (const Model* m : pts) {
    x0 = std::min(x0, xval(m));
    x1 = std::max(x1, xval(m));
    y0 = std::min(y0, yval(m));
    y1 = std::max(y1, yval(m));
  }
  const bool xlog = x1 / x0 > 10.0;
  nice_domain(x0, x1, xlog);
  if (!xlog && x0 < 0) x0 = 0;
  if (y1 - y0 < 0.2) {  // keep sub-0.1-point differences from filling the plot
    const double mid = (y0 + y1) / 2;
    y0 = mid - 0.1;
    y1 = mid + 0.1;
  }
  nice_domain(y0, y1, false);
  y1 = std::min(y1, 100.0);
  y0 = std::max(y0, 0.0);
  const Scale xs{x0, x1, left, right, xlog};
  const Scale ys{y0, y1, bottom, top, false};

  std::string s;
  svg_open(s, id, W, H, title);
  const std::string x_title = size_axis ? fmt::format("model size, raw ({}{})", unit.name, xlog ? ", log scale" : "")
                                        : fmt::format("latency p50 (ms{})", xlog ? ", log scale" : "");
  draw_axes(s, xs, ys, x_title, "top-1 accuracy (%)");

  // Pareto front: a step line through the front's points in order of cost.
  std::vector<const Model*> f;
  for (const Model* m : pts)
    if (std::find(front.begin(), front.end(), m->name) != front.end()) f.push_back(m);
  std::sort(f.begin(), f.end(), [&](const Model* a, const Model* b) { return xval(a) < xval(b); });
  if (!f.empty()) {
    std::string d = fmt::format("M{:.1f},{:.1f}", xs(xval(f[0])), ys(yval(f[0])));
    for (size_t i = 1; i < f.size(); ++i) out(d, " H{:.1f} V{:.1f}", xs(xval(f[i])), ys(yval(f[i])));
    out(d, " H{:.1f}", right);
    out(s, "<path class=\"front\" d=\"{}\"/>\n", d);
  }
  // Points, then labels placed where they collide with nothing drawn so far.
  std::vector<Box> taken;
  for (size_t i = 0; i < f.size(); ++i) {  // the front's horizontal runs
    const double ya = ys(yval(f[i])), xa = xs(xval(f[i]));
    const double xb = i + 1 < f.size() ? xs(xval(f[i + 1])) : right;
    taken.push_back({xa, ya - 2, xb, ya + 2});
  }
  for (const Model* m : pts) {
    const double px = xs(xval(m)), py = ys(yval(m));
    taken.push_back({px - 8, py - 8, px + 8, py + 8});
  }
  for (const Model* m : pts) {
    const double px = xs(xval(m)), py = ys(yval(m));
    const bool on_front = std::find(f.begin(), f.end(), m) != f.end();
    if (on_front) out(s, "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"10\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\"/>", px, py, color_of(*m));
    out(s, "<circle class=\"pt\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"6.5\" fill=\"{}\"><title>{}: {} accuracy, {}</title></circle>\n",
        px, py, color_of(*m), html_escape(m->name), format_percent(*m->acc),
        size_axis ? format_bytes(*(m->*cost)) : format_ms(*(m->*cost)) + " ms");
  }
  for (const Model* m : pts) {
    const double px = xs(xval(m)), py = ys(yval(m));
    const std::string label = truncate(m->name, 24);
    const double w = text_width(label, 12), h = 13;
    struct Cand {
      double x, y;
      const char* anchor;
    };
    const Cand cands[] = {{px + 12, py + 4, "start"}, {px - 12, py + 4, "end"},   {px, py - 14, "middle"},
                          {px, py + 24, "middle"},    {px + 10, py - 12, "start"}, {px + 10, py + 20, "start"},
                          {px - 10, py - 12, "end"},  {px - 10, py + 20, "end"}};
    auto box_of = [&](const Cand& c) {
      const double bx = std::string_view(c.anchor) == "start" ? c.x : std::string_view(c.anchor) == "end" ? c.x - w : c.x - w / 2;
      return Box{bx, c.y - h + 3, bx + w, c.y + 3};
    };
    const Cand* chosen = &cands[0];
    for (const Cand& c : cands) {
      const Box b = box_of(c);
      if (b.x0 < left || b.x1 > right || b.y0 < top || b.y1 > bottom) continue;
      bool clash = false;
      for (size_t i = 0; i < taken.size() && !clash; ++i) {
        const Box& t = taken[i];
        // A point's own marker does not block its label's first choices.
        clash = b.overlaps(t) && !(std::fabs(t.x0 - (px - 8)) < 0.01 && std::fabs(t.y0 - (py - 8)) < 0.01);
      }
      if (!clash) {
        chosen = &c;
        break;
      }
    }
    taken.push_back(box_of(*chosen));
    out(s, "<text class=\"pl\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"{}\">{}</text>\n", chosen->x, chosen->y,
        chosen->anchor, html_escape(label));
  }
  // Legend: one entry per model, then the front.
  legend_models(s, pts, right + 16, top + 10);
  const double ly = top + 10 + static_cast<double>(pts.size()) * 20 + 8;
  out(s, "<path class=\"front\" d=\"M{:.1f},{:.1f} h24\"/><text class=\"lg\" x=\"{:.1f}\" y=\"{:.1f}\">Pareto front</text>\n",
      right + 2, ly, right + 32, ly + 4);
  out(s, "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"8\" fill=\"none\" stroke=\"#555\" stroke-width=\"1.5\"/><text class=\"lg\" x=\"{:.1f}\" y=\"{:.1f}\">on the front</text>\n",
      right + 14, ly + 22, right + 32, ly + 26);
  out(s, "</svg>\n");
  return s;
}

// One row per model: the timed runs as dots, a p25–p75 box, the p50 line,
// min–max whiskers, and p90 / p99 marks.
std::string latency_plot(const View& v) {
  std::vector<const Model*> rows;
  for (const Model& m : v.models)
    if (m.p50 || !m.samples.empty()) rows.push_back(&m);
  double lo = 1e300, hi = 0;
  double name_w = 60;
  for (const Model* m : rows) {
    for (double x : m->samples) {
      lo = std::min(lo, x);
      hi = std::max(hi, x);
    }
    for (Num x : {m->p50, m->p90, m->p99, m->min_ms, m->max_ms})
      if (x) {
        lo = std::min(lo, *x);
        hi = std::max(hi, *x);
      }
    name_w = std::max(name_w, text_width(truncate(m->name, 24), 12));
  }
  lo = std::max(lo, 1e-6);
  const bool xlog = hi / lo > 10.0;
  nice_domain(lo, hi, xlog, 6);
  if (!xlog && lo < 0) lo = 0;
  const double row_h = 46, top = 16;
  const double left = std::min(name_w + 20, 220.0), W = 960, right = W - 240;
  const double bottom = top + row_h * static_cast<double>(rows.size());
  const double H = bottom + 78;
  const Scale xs{lo, hi, left, right, xlog};
  std::string s;
  svg_open(s, "plot-latency", W, H, "Latency distribution per model (ms)");
  for (const Tick& t : ticks_for(xs, 6)) {
    const double px = xs(t.value);
    out(s, "<line class=\"grid\" x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.1f}\" y2=\"{2:.1f}\"/>", px, top, bottom);
    out(s, "<line class=\"tick\" x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.1f}\" y2=\"{2:.1f}\"/>", px, bottom, bottom + 5);
    out(s, "<text class=\"tl\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n", px, bottom + 18, t.label);
  }
  out(s, "<rect class=\"frame\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\"/>\n", left, top,
      right - left, bottom - top);
  out(s, "<text class=\"axis\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">latency per run (ms{})</text>\n",
      (left + right) / 2, bottom + 38, xlog ? ", log scale" : "");
  for (size_t r = 0; r < rows.size(); ++r) {
    const Model& m = *rows[r];
    const char* c = color_of(m);
    const double cy = top + row_h * (static_cast<double>(r) + 0.5);
    out(s, "<text class=\"pl\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n", left - 10, cy + 4,
        html_escape(truncate(m.name, 24)));
    std::vector<double> sorted = m.samples;
    std::sort(sorted.begin(), sorted.end());
    const double mn = !sorted.empty() ? sorted.front() : m.min_ms.value_or(std::nan(""));
    const double mx = !sorted.empty() ? sorted.back() : m.max_ms.value_or(std::nan(""));
    if (std::isfinite(mn) && std::isfinite(mx)) {
      out(s, "<line x1=\"{0:.1f}\" x2=\"{1:.1f}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"{3}\" stroke-width=\"1.2\"/>", xs(mn), xs(mx), cy, c);
      for (double e : {mn, mx})
        out(s, "<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.1f}\" y2=\"{2:.1f}\" stroke=\"{3}\" stroke-width=\"1.2\"/>", xs(e), cy - 6, cy + 6, c);
    }
    if (sorted.size() >= 4) {
      const double q1 = eval::percentile(sorted, 25), q3 = eval::percentile(sorted, 75);
      out(s, "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"20\" fill=\"{}\" fill-opacity=\"0.28\" stroke=\"{}\" stroke-width=\"1.2\"/>",
          xs(q1), cy - 10, std::max(1.0, xs(q3) - xs(q1)), c, c);
    }
    for (size_t i = 0; i < m.samples.size(); ++i) {
      const double jitter = (static_cast<double>((i * 37) % 13) - 6.0) * 1.3;
      out(s, "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"2.2\" fill=\"{}\"/>", xs(m.samples[i]), cy + jitter, c);
    }
    out(s, "\n");
    if (m.p50)
      out(s, "<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.1f}\" y2=\"{2:.1f}\" stroke=\"{3}\" stroke-width=\"3.5\"><title>p50 {4} ms</title></line>",
          xs(*m.p50), cy - 13, cy + 13, c, format_ms(*m.p50));
    if (m.p90)
      out(s, "<path d=\"M{0:.1f},{1:.1f} l-5,-8 h10 z\" fill=\"{2}\"><title>p90 {3} ms</title></path>", xs(*m.p90), cy - 13, c,
          format_ms(*m.p90));
    if (m.p99)
      out(s, "<path d=\"M{0:.1f},{1:.1f} l-5,-8 h10 z\" fill=\"#fff\" stroke=\"{2}\" stroke-width=\"1.5\"><title>p99 {3} ms</title></path>",
          xs(*m.p99), cy - 13, c, format_ms(*m.p99));
    std::vector<std::string> figs;
    if (m.p50) figs.push_back("p50 " + format_ms(*m.p50));
    if (m.p90) figs.push_back("p90 " + format_ms(*m.p90));
    if (m.p99) figs.push_back("p99 " + format_ms(*m.p99));
    out(s, "<text class=\"tl\" x=\"{:.1f}\" y=\"{:.1f}\">{} ms</text>\n", right + 12, cy + 4, fmt::join(figs, "  "));
  }
  // Key to the marks.
  const double ky = bottom + 62;
  double kx = left;
  out(s, "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"22\" height=\"12\" fill=\"#777\" fill-opacity=\"0.28\" stroke=\"#777\"/>", kx, ky - 9);
  out(s, "<text class=\"lg\" x=\"{:.1f}\" y=\"{:.1f}\">p25–p75</text>", kx + 28, ky + 1);
  kx += 96;
  out(s, "<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.1f}\" y2=\"{2:.1f}\" stroke=\"#555\" stroke-width=\"3.5\"/>", kx + 4, ky - 10, ky + 4);
  out(s, "<text class=\"lg\" x=\"{:.1f}\" y=\"{:.1f}\">p50</text>", kx + 12, ky + 1);
  kx += 56;
  out(s, "<path d=\"M{:.1f},{:.1f} l-5,-8 h10 z\" fill=\"#555\"/>", kx + 5, ky);
  out(s, "<text class=\"lg\" x=\"{:.1f}\" y=\"{:.1f}\">p90</text>", kx + 14, ky + 1);
  kx += 56;
  out(s, "<path d=\"M{:.1f},{:.1f} l-5,-8 h10 z\" fill=\"#fff\" stroke=\"#555\" stroke-width=\"1.5\"/>", kx + 5, ky);
  out(s, "<text class=\"lg\" x=\"{:.1f}\" y=\"{:.1f}\">p99</text>", kx + 14, ky + 1);
  kx += 56;
  out(s, "<line x1=\"{0:.1f}\" x2=\"{1:.1f}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"#555\" stroke-width=\"1.2\"/>", kx, kx + 22, ky - 3);
  out(s, "<text class=\"lg\" x=\"{:.1f}\" y=\"{:.1f}\">min–max</text>", kx + 28, ky + 1);
  kx += 96;
  out(s, "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"2.2\" fill=\"#555\"/>", kx + 4, ky - 3);
  out(s, "<text class=\"lg\" x=\"{:.1f}\" y=\"{:.1f}\">one timed run</text>\n", kx + 12, ky + 1);
  out(s, "</svg>\n");
  return s;
}

// Grouped bars: per class, the accuracy change of each variant against the
// baseline, in percentage points.
std::string class_delta_plot(const Model& base, const std::vector<const Model*>& variants) {
  const size_t n = base.per_class.size();
  double lo = 0, hi = 0;
  for (const Model* m : variants)
    for (size_t c = 0; c < n; ++c) {
      const double d = (m->per_class[c] - base.per_class[c]) * 100.0;
      if (std::isfinite(d)) {
        lo = std::min(lo, d);
        hi = std::max(hi, d);
      }
    }
  if (hi - lo < 1.0) {
    lo = std::min(lo, -0.5);
    hi = std::max(hi, 0.5);
  }
  nice_domain(lo, hi, false);
  double longest = 0;
  for (const std::string& name : base.class_names) longest = std::max(longest, text_width(truncate(name, 18), 11));
  const double left = 76, top = 20;
  const double group_min = std::max(28.0, static_cast<double>(variants.size()) * 9.0 + 12.0);
  const double plot_w = std::max(750.0 - left, group_min * static_cast<double>(n));
  const double right = left + plot_w, W = right + 210;
  const double group_w = plot_w / static_cast<double>(n);
  const bool rotate = longest > group_w - 6;
  const double bottom = top + 260, H = bottom + (rotate ? longest * 0.72 + 46 : 56);
  const Scale xs{0, 1, left, right, false};
  const Scale ys{lo, hi, bottom, top, false};
  std::string s;
  svg_open(s, "plot-class-delta", W, H, "Per-class accuracy change against the baseline (percentage points)");
  draw_axes(s, xs, ys, "", "accuracy change vs baseline (pts)", false);
  out(s, "<line class=\"zero\" x1=\"{0:.1f}\" x2=\"{1:.1f}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\"/>\n", left, right, ys(0));
  const double bar_w = std::min(18.0, (group_w - 8) / static_cast<double>(std::max<size_t>(1, variants.size())));
  for (size_t c = 0; c < n; ++c) {
    const double gx = left + group_w * static_cast<double>(c);
    const double start = gx + (group_w - bar_w * static_cast<double>(variants.size())) / 2;
    if (c > 0) out(s, "<line class=\"grid\" x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.1f}\" y2=\"{2:.1f}\"/>", gx, top, bottom);
    for (size_t k = 0; k < variants.size(); ++k) {
      const double d = (variants[k]->per_class[c] - base.per_class[c]) * 100.0;
      if (!std::isfinite(d)) continue;
      const double y0 = ys(0), y1 = ys(d);
      const double h = std::max(1.5, std::fabs(y1 - y0));
      out(s, "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\"><title>{} · {}: {} pts</title></rect>",
          start + bar_w * static_cast<double>(k), d >= 0 ? y0 - (d == 0 ? h / 2 : h) : y0, std::max(1.0, bar_w - 1), h,
          color_of(*variants[k]), html_escape(variants[k]->name), html_escape(base.class_names[c]),
          format_points(d / 100.0));
    }
    const double cx = gx + group_w / 2;
    const std::string name = html_escape(truncate(base.class_names[c], 18));
    if (rotate) {
      out(s, "\n<text class=\"tl\" transform=\"translate({:.1f},{:.1f}) rotate(-40)\" text-anchor=\"end\">{}</text>\n", cx + 4,
          bottom + 14, name);
    } else {
      out(s, "\n<text class=\"tl\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n", cx, bottom + 18, name);
    }
  }
  out(s, "<text class=\"axis\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">class</text>\n", (left + right) / 2, H - 8);
  legend_models(s, variants, right + 16, top + 10);
  out(s, "</svg>\n");
  return s;
}

}  // namespace tfc::report::view
