// Renders report.json (docs/REPORT.md) as Markdown and as a self-contained
// HTML page with inline SVG plots. Reads the JSON defensively: any field may be
// null or missing, and a plot without data becomes a note.
// Not: measuring or scoring models (the eval harness does), and no JavaScript
// beyond a one-line self-check; the page renders fully without scripts.
#include "report/render.h"

#include <algorithm>
#include <cstdio>
#include <cmath>
#include <filesystem>
#include <initializer_list>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "io/file_util.h"

namespace tfc::report {
namespace {

using json = nlohmann::json;
using Num = std::optional<double>;

template <typename... Args>
void out(std::string& s, fmt::format_string<Args...> f, Args&&... args) {
  fmt::format_to(std::back_inserter(s), f, std::forward<Args>(args)...);
}

// ---------------------------------------------------------------------------
// Defensive JSON access.

const json* find_path(const json& j, std::initializer_list<const char*> path) {
  const json* p = &j;
  for (const char* key : path) {
    if (!p->is_object()) return nullptr;
    auto it = p->find(key);
    if (it == p->end()) return nullptr;
    p = &*it;
  }
  return p;
}

Num num(const json& j, std::initializer_list<const char*> path) {
  const json* p = find_path(j, path);
  if (p == nullptr || !p->is_number()) return std::nullopt;
  const double v = p->get<double>();
  if (!std::isfinite(v)) return std::nullopt;
  return v;
}

std::string str(const json& j, std::initializer_list<const char*> path) {
  const json* p = find_path(j, path);
  if (p == nullptr) return {};
  if (p->is_string()) return p->get<std::string>();
  if (p->is_number()) return p->dump();
  return {};
}

std::vector<double> num_array(const json& j, std::initializer_list<const char*> path) {
  std::vector<double> v;
  const json* p = find_path(j, path);
  if (p == nullptr || !p->is_array()) return v;
  for (const json& e : *p) v.push_back(e.is_number() ? e.get<double>() : std::nan(""));
  return v;
}

// ---------------------------------------------------------------------------
// The report as the renderers see it.

struct OutputError {
  std::string name;
  Num max_abs, mean_abs, cosine, snr_db;
};

struct Model {
  std::string name, path, sha256, task, rss_scope, latency_source;
  bool is_baseline = false;
  size_t color = 0;
  Num raw, gzip, acc, topk_acc, p50, p90, p99, mean_ms, min_ms, max_ms, init_ms, first_ms, rss, arena;
  int topk_k = 0;
  std::vector<double> samples;
  std::vector<std::string> class_names;
  std::vector<double> per_class;
  std::vector<std::vector<double>> confusion;
  Num agreement;
  std::vector<OutputError> outputs;
  Num d_acc, d_raw, d_gzip, size_ratio, d_p50, p50_ratio, d_p90, d_rss;
  bool on_size_front = false, on_latency_front = false;
};

struct View {
  const json* root = nullptr;
  std::vector<Model> models;  // the baseline first, when there is one
  bool has_baseline = false;
  std::vector<std::string> size_front, latency_front;
  bool any_accuracy = false;

  const Model* baseline() const { return has_baseline ? &models.front() : nullptr; }
  std::vector<const Model*> variants() const {
    std::vector<const Model*> v;
    for (const Model& m : models)
      if (!m.is_baseline) v.push_back(&m);
    return v;
  }
};

Model parse_model(const json& j, bool is_baseline) {
  Model m;
  m.is_baseline = is_baseline;
  m.name = str(j, {"name"});
  if (m.name.empty()) m.name = "(unnamed)";
  m.path = str(j, {"path"});
  m.sha256 = str(j, {"sha256"});
  m.raw = num(j, {"size", "raw_bytes"});
  m.gzip = num(j, {"size", "gzip_bytes"});
  m.latency_source = str(j, {"latency", "source"});
  m.p50 = num(j, {"latency", "p50_ms"});
  m.p90 = num(j, {"latency", "p90_ms"});
  m.p99 = num(j, {"latency", "p99_ms"});
  m.mean_ms = num(j, {"latency", "mean_ms"});
  m.min_ms = num(j, {"latency", "min_ms"});
  m.max_ms = num(j, {"latency", "max_ms"});
  m.init_ms = num(j, {"latency", "init_ms"});
  m.first_ms = num(j, {"latency", "first_run_ms"});
  for (double v : num_array(j, {"latency", "samples_ms"}))
    if (std::isfinite(v) && v >= 0) m.samples.push_back(v);
  m.arena = num(j, {"memory", "arena_bytes"});
  m.rss = num(j, {"memory", "peak_rss_bytes"});
  m.rss_scope = str(j, {"memory", "peak_rss_scope"});
  m.task = str(j, {"metrics", "task"});
  m.acc = num(j, {"metrics", "accuracy"});
  m.topk_acc = num(j, {"metrics", "top_k", "accuracy"});
  m.topk_k = static_cast<int>(num(j, {"metrics", "top_k", "k"}).value_or(0));
  m.per_class = num_array(j, {"metrics", "per_class_accuracy"});
  if (const json* names = find_path(j, {"metrics", "class_names"}); names && names->is_array()) {
    for (const json& n : *names) m.class_names.push_back(n.is_string() ? n.get<std::string>() : n.dump());
  }
  while (m.class_names.size() < m.per_class.size()) m.class_names.push_back(std::to_string(m.class_names.size()));
  if (const json* cm = find_path(j, {"metrics", "confusion"}); cm && cm->is_array()) {
    for (const json& row : *cm) {
      std::vector<double> r;
      if (row.is_array())
        for (const json& c : row) r.push_back(c.is_number() ? c.get<double>() : 0.0);
      m.confusion.push_back(std::move(r));
    }
  }
  m.agreement = num(j, {"error_vs_baseline", "top1_agreement"});
  if (const json* outs = find_path(j, {"error_vs_baseline", "outputs"}); outs && outs->is_array()) {
    for (const json& o : *outs) {
      m.outputs.push_back({str(o, {"name"}), num(o, {"max_abs_error"}), num(o, {"mean_abs_error"}),
                           num(o, {"cosine"}), num(o, {"snr_db"})});
    }
  }
  m.d_acc = num(j, {"deltas", "accuracy"});
  m.d_raw = num(j, {"deltas", "size_raw_bytes"});
  m.size_ratio = num(j, {"deltas", "size_ratio"});
  m.d_gzip = num(j, {"deltas", "gzip_bytes"});
  m.d_p50 = num(j, {"deltas", "latency_p50_ms"});
  m.p50_ratio = num(j, {"deltas", "latency_p50_ratio"});
  m.d_p90 = num(j, {"deltas", "latency_p90_ms"});
  m.d_rss = num(j, {"deltas", "peak_rss_bytes"});
  return m;
}

Num diff(Num a, Num b) { return a && b ? Num(*a - *b) : std::nullopt; }
Num ratio(Num a, Num b) { return a && b && *b != 0 ? Num(*a / *b) : std::nullopt; }

// Models that no other model beats on both axes (higher y, lower x).
std::vector<std::string> compute_front(const std::vector<Model>& models, Num Model::*x, Num Model::*y) {
  std::vector<std::string> front;
  for (const Model& a : models) {
    if (!(a.*x) || !(a.*y)) continue;
    bool dominated = false;
    for (const Model& b : models) {
      if (&a == &b || !(b.*x) || !(b.*y)) continue;
      if (*(b.*x) <= *(a.*x) && *(b.*y) >= *(a.*y) && (*(b.*x) < *(a.*x) || *(b.*y) > *(a.*y))) dominated = true;
    }
    if (!dominated) front.push_back(a.name);
  }
  return front;
}

std::vector<std::string> string_list(const json& j, std::initializer_list<const char*> path, bool* present) {
  std::vector<std::string> v;
  const json* p = find_path(j, path);
  *present = p != nullptr && p->is_array();
  if (*present)
    for (const json& e : *p)
      if (e.is_string()) v.push_back(e.get<std::string>());
  return v;
}

View make_view(const json& report) {
  View v;
  v.root = &report;
  const json* base = find_path(report, {"baseline"});
  if (base && base->is_object()) {
    v.models.push_back(parse_model(*base, true));
    v.has_baseline = true;
  }
  if (const json* models = find_path(report, {"models"}); models && models->is_array()) {
    for (const json& j : *models) {
      if (!j.is_object()) continue;
      Model m = parse_model(j, false);
      // The baseline itself listed again among the models is shown once.
      if (v.has_baseline && m.name == v.models[0].name && m.sha256 == v.models[0].sha256) continue;
      v.models.push_back(std::move(m));
    }
  }
  for (size_t i = 0; i < v.models.size(); ++i) v.models[i].color = i;
  if (v.has_baseline) {
    const Model b = v.models[0];
    for (Model& m : v.models) {
      if (m.is_baseline) continue;
      if (!m.d_acc) m.d_acc = diff(m.acc, b.acc);
      if (!m.d_raw) m.d_raw = diff(m.raw, b.raw);
      if (!m.size_ratio) m.size_ratio = ratio(m.raw, b.raw);
      if (!m.d_gzip) m.d_gzip = diff(m.gzip, b.gzip);
      if (!m.d_p50) m.d_p50 = diff(m.p50, b.p50);
      if (!m.p50_ratio) m.p50_ratio = ratio(m.p50, b.p50);
      if (!m.d_p90) m.d_p90 = diff(m.p90, b.p90);
      if (!m.d_rss) m.d_rss = diff(m.rss, b.rss);
    }
  } else {
    for (Model& m : v.models) m.d_acc = m.d_raw = m.size_ratio = m.d_gzip = m.d_p50 = m.p50_ratio = m.d_p90 = m.d_rss = {};
  }
  for (const Model& m : v.models) v.any_accuracy = v.any_accuracy || m.acc.has_value();
  bool present = false;
  v.size_front = string_list(report, {"pareto", "accuracy_vs_size"}, &present);
  if (!present) v.size_front = compute_front(v.models, &Model::raw, &Model::acc);
  v.latency_front = string_list(report, {"pareto", "accuracy_vs_latency"}, &present);
  if (!present) v.latency_front = compute_front(v.models, &Model::p50, &Model::acc);
  for (Model& m : v.models) {
    m.on_size_front = std::find(v.size_front.begin(), v.size_front.end(), m.name) != v.size_front.end();
    m.on_latency_front = std::find(v.latency_front.begin(), v.latency_front.end(), m.name) != v.latency_front.end();
  }
  return v;
}

// ---------------------------------------------------------------------------
// Formatting.

constexpr const char* kDash = "\u2014";

std::string signed_bytes(double d) {
  if (std::fabs(d) < 0.5) return "0 B";
  return (d < 0 ? "-" : "+") + format_bytes(std::fabs(d));
}

// Change as a signed percentage of the baseline: ratio 0.26 -> "-74.0%".
std::string signed_ratio_percent(double r) {
  const double p = (r - 1.0) * 100.0;
  if (std::fabs(p) < 0.05) return "0.0%";
  return fmt::format("{:+.1f}%", p);
}

std::string signed_ms(double d) {
  if (format_ms(std::fabs(d)) == format_ms(0.0)) return "0 ms";
  return (d < 0 ? "-" : "+") + format_ms(std::fabs(d)) + " ms";
}

std::string short_sha(const std::string& sha) { return sha.size() > 12 ? sha.substr(0, 12) : sha; }

std::string opt_or_dash(Num v, std::string (*f)(double)) { return v ? f(*v) : kDash; }

std::string fmt_general(double v) {
  if (v == 0) return "0";
  const double a = std::fabs(v);
  if (a >= 1e5 || a < 1e-3) return fmt::format("{:.3g}", v);
  return format_ms(v);
}

// ---------------------------------------------------------------------------
// Markdown.

std::string md_escape(std::string_view s) {
  std::string r;
  for (char c : s) {
    if (c == '\n' || c == '\r') {
      r += ' ';
      continue;
    }
    if (std::string_view("\\`*_[]<>|#~").find(c) != std::string_view::npos) r += '\\';
    r += c;
  }
  return r;
}

std::string md_code(std::string_view s) {
  if (s.find('`') != std::string_view::npos || s.find('\n') != std::string_view::npos) return md_escape(s);
  return fmt::format("`{}`", s);
}

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

std::string settings_line(const json& r, bool markdown) {
  auto esc = [&](const std::string& s) { return markdown ? md_escape(s) : s; };
  std::vector<std::string> host;
  if (auto h = str(r, {"host", "hostname"}); !h.empty()) host.push_back(esc(h));
  if (auto c = str(r, {"host", "cpu"}); !c.empty()) host.push_back(esc(c));
  if (auto n = num(r, {"host", "cores"})) host.push_back(fmt::format("{} cores", *n));
  if (auto o = str(r, {"host", "os"}); !o.empty()) host.push_back(esc(o));
  std::vector<std::string> set;
  const std::string data = str(r, {"settings", "data"});
  if (auto n = num(r, {"settings", "samples"})) {
    set.push_back(data.empty() ? fmt::format("{} samples", *n)
                               : fmt::format("{} samples of {}", *n, markdown ? md_code(data) : data));
  } else if (!data.empty()) {
    set.push_back(fmt::format("data {}", markdown ? md_code(data) : data));
  }
  if (auto w = num(r, {"settings", "warmup"})) set.push_back(fmt::format("warmup {}", *w));
  if (auto n = num(r, {"settings", "runs"})) set.push_back(fmt::format("{} runs", *n));
  if (auto t = num(r, {"settings", "threads"})) set.push_back(fmt::format("{} thread{}", *t, *t == 1 ? "" : "s"));
  if (auto k = str(r, {"settings", "kernels"}); !k.empty()) {
    set.push_back(esc(k) + " kernels");
  } else if (auto rt = str(r, {"settings", "runtime"}); !rt.empty()) {
    set.push_back("runtime " + esc(rt));  // a report from before settings.kernels
  }
  if (auto a = str(r, {"settings", "arithmetic"}); !a.empty()) set.push_back("arithmetic " + esc(a));
  if (auto k = num(r, {"settings", "top_k"})) set.push_back(fmt::format("top-{}", *k));
  if (auto run = str(r, {"settings", "runner"}); !run.empty())
    set.push_back("runner " + (markdown ? md_code(run) : run));
  std::string line;
  if (!host.empty()) line += "Host " + fmt::format("{}", fmt::join(host, " · "));
  if (!set.empty()) line += (line.empty() ? "" : " — ") + fmt::format("{}", fmt::join(set, ", "));
  std::vector<std::string> tool;
  if (auto v = str(r, {"tool", "version"}); !v.empty()) tool.push_back(esc(str(r, {"tool", "name"}).empty() ? "tfcompress" : str(r, {"tool", "name"})) + " " + esc(v));
  if (auto c = str(r, {"created_at"}); !c.empty()) tool.push_back(esc(c));
  if (!tool.empty()) line += (line.empty() ? "" : " · ") + fmt::format("{}", fmt::join(tool, " · "));
  return line;
}

}  // namespace

// ---------------------------------------------------------------------------
// Public formatting helpers.

std::string format_bytes(double bytes) {
  const double a = std::fabs(bytes);
  const char* sign = bytes < 0 ? "-" : "";
  if (a < 1024) return fmt::format("{}{:.0f} B", sign, a);
  if (a < 1024.0 * 1024) return fmt::format("{}{:.1f} KiB", sign, a / 1024);
  if (a < 1024.0 * 1024 * 1024) return fmt::format("{}{:.2f} MiB", sign, a / (1024.0 * 1024));
  return fmt::format("{}{:.2f} GiB", sign, a / (1024.0 * 1024 * 1024));
}

std::string format_ms(double ms) {
  if (ms == 0 || !std::isfinite(ms)) return ms == 0 ? "0.00" : "nan";
  const int mag = static_cast<int>(std::floor(std::log10(std::fabs(ms))));
  const int decimals = std::clamp(2 - mag, 0, 6);
  std::string s = fmt::format("{:.{}f}", ms, decimals);
  // Rounding up to the next power of ten (0.9996 -> "1.000") keeps one digit too many.
  const int mag_after = static_cast<int>(std::floor(std::log10(std::fabs(std::stod(s)))));
  if (mag_after > mag && decimals > 0) s = fmt::format("{:.{}f}", ms, decimals - 1);
  return s;
}

std::string format_percent(double fraction) { return fmt::format("{:.2f}%", fraction * 100.0); }

std::string format_points(double fraction) {
  const double p = fraction * 100.0;
  if (std::fabs(p) < 0.005) return "0.00";
  return fmt::format("{:+.2f}", p);
}

Status check_report_schema(const json& report) {
  if (!report.is_object()) return invalid_argument("not a tfcompress report: the JSON is not an object");
  const json* schema = find_path(report, {"schema"});
  if (schema == nullptr || !schema->is_string() || schema->get<std::string>() != kReportSchema) {
    return invalid_argument("not a tfcompress report: \"schema\" is {}, expected \"{}\"",
                            schema ? schema->dump() : "missing", kReportSchema);
  }
  const json* version = find_path(report, {"schema_version"});
  if (version == nullptr || !version->is_number_integer()) {
    return invalid_argument("report has no integer \"schema_version\"");
  }
  if (version->get<int64_t>() > kReportSchemaVersion) {
    return invalid_argument(
        "report has schema_version {}, newer than the version {} this tfcompress reads; use a newer tfcompress",
        version->get<int64_t>(), kReportSchemaVersion);
  }
  if (const json* models = find_path(report, {"models"}); models && !models->is_array()) {
    return invalid_argument("report \"models\" is not an array");
  }
  return Status::ok();
}

std::string render_markdown(const json& report) {
  const View v = make_view(report);
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

// ---------------------------------------------------------------------------
// HTML and SVG.

namespace {

constexpr const char* kPalette[] = {"#4e79a7", "#f28e2b", "#e15759", "#59a14f", "#b07aa1",
                                    "#76b7b2", "#edc948", "#9c755f", "#ff9da7", "#bab0ac"};
constexpr size_t kPaletteSize = sizeof(kPalette) / sizeof(kPalette[0]);
const char* color_of(const Model& m) { return kPalette[m.color % kPaletteSize]; }

std::string html_escape(std::string_view s) {
  std::string r;
  r.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': r += "&amp;"; break;
      case '<': r += "&lt;"; break;
      case '>': r += "&gt;"; break;
      case '"': r += "&quot;"; break;
      case '\'': r += "&#39;"; break;
      default: r += c;
    }
  }
  return r;
}

std::string truncate(const std::string& s, size_t n) {
  if (s.size() <= n) return s;
  size_t cut = n - 1;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // keep UTF-8 whole
  return s.substr(0, cut) + "…";
}

// Approximate width of `s` in pixels at `font_px` (sans-serif average).
double text_width(const std::string& s, double font_px) {
  size_t chars = 0;
  for (char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++chars;
  return static_cast<double>(chars) * font_px * 0.6;
}

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

double percentile(std::vector<double> sorted, double q) {
  if (sorted.empty()) return std::nan("");
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const size_t i = static_cast<size_t>(std::floor(pos));
  const double frac = pos - static_cast<double>(i);
  return i + 1 < sorted.size() ? sorted[i] * (1 - frac) + sorted[i + 1] * frac : sorted[i];
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
      const double q1 = percentile(sorted, 0.25), q3 = percentile(sorted, 0.75);
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

std::string render_html(const json& report) {
  const View v = make_view(report);
  std::string s;
  out(s, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
  out(s, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
  out(s, "<title>tfcompress evaluation report</title>\n<style>{}</style>\n</head>\n<body>\n", kCss);
  out(s, "<h1>tfcompress evaluation report</h1>\n");
  out(s, "<p class=\"meta\">{}</p>\n", html_escape(settings_line(report, false)));
  if (const std::string sha = str(report, {"settings", "data_sha256"}); !sha.empty())
    out(s, "<p class=\"meta\">data sha256 <code>{}</code></p>\n", html_escape(sha));

  out(s, "<h2>Summary</h2>\n");
  if (v.models.empty()) {
    out(s, "<p class=\"note\">No models were evaluated.</p>\n");
  } else {
    summary_table(s, v);
  }
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

Status write_report_files(const json& report, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return invalid_argument("cannot create directory {}: {}", dir, ec.message());
  const std::filesystem::path d(dir);
  TFC_RETURN_IF_ERROR(io::write_file_durable((d / "report.json").string(), report.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"));
  TFC_RETURN_IF_ERROR(io::write_file_durable((d / "report.md").string(), render_markdown(report)));
  TFC_RETURN_IF_ERROR(io::write_file_durable((d / "report.html").string(), render_html(report)));
  return Status::ok();
}

}  // namespace tfc::report
