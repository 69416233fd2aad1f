// The renderers' view of a report (see view.h) and the formatting they share.
#include "report/view.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "eval/compare.h"
#include "report/render.h"

namespace tfc::report {
namespace view {
namespace {

template <typename T>
Num as_num(const std::optional<T>& v) {
  return v ? Num(static_cast<double>(*v)) : std::nullopt;
}

Num finite(double v) { return std::isfinite(v) ? Num(v) : std::nullopt; }

// The note on a latency our runtime measured with ops on its reference kernels.
std::string kernel_note(const ModelEntry& e) {
  if (!e.kernels || e.latency.source != "tfcompress" || e.kernels->reference_share < kReferenceShareNote) return {};
  std::vector<std::string> ops;
  for (size_t i = 0; i < e.kernels->reference_ops.size() && i < 3; ++i) {
    const ReferenceOp& o = e.kernels->reference_ops[i];
    ops.push_back(fmt::format("{} \u00d7{} {:.3g} ms", o.op, o.count, o.ms));
  }
  if (e.kernels->reference_ops.size() > 3) ops.push_back("\u2026");
  return fmt::format("{:.0f}% of its op time ran on reference kernels ({}), slower than LiteRT's: this latency is "
                     "not representative of LiteRT",
                     100 * e.kernels->reference_share, fmt::join(ops, ", "));
}

Model model_of(const ModelEntry& e, bool is_baseline) {
  Model m;
  m.is_baseline = is_baseline;
  m.name = e.name.empty() ? "(unnamed)" : e.name;
  m.path = e.path;
  m.sha256 = e.sha256;
  m.raw = as_num(e.size.raw_bytes);
  m.gzip = as_num(e.size.gzip_bytes);
  const eval::Latency& l = e.latency;
  m.p50 = l.p50_ms;
  m.p90 = l.p90_ms;
  m.p99 = l.p99_ms;
  m.min_ms = l.min_ms;
  m.max_ms = l.max_ms;
  m.init_ms = l.init_ms;
  for (double v : l.samples_ms)
    if (std::isfinite(v) && v >= 0) m.samples.push_back(v);
  m.arena = as_num(e.memory.arena_bytes);
  m.rss = as_num(e.memory.peak_rss_bytes);
  m.rss_scope = e.memory.peak_rss_scope;
  m.acc = e.metrics.accuracy;
  m.topk_acc = e.metrics.top_k_accuracy;
  m.topk_k = e.metrics.top_k.value_or(0);
  m.per_class = e.metrics.per_class_accuracy;
  m.class_names = e.metrics.class_names;
  while (m.class_names.size() < m.per_class.size()) m.class_names.push_back(std::to_string(m.class_names.size()));
  for (const auto& row : e.metrics.confusion) m.confusion.emplace_back(row.begin(), row.end());
  m.kernel_note = kernel_note(e);
  if (e.error_vs_baseline) {
    m.agreement = e.error_vs_baseline->top1_agreement;
    for (const eval::OutputError& o : e.error_vs_baseline->outputs) {
      m.outputs.push_back({o.name, finite(o.max_abs_error), finite(o.mean_abs_error), finite(o.cosine),
                           finite(o.snr_db)});
    }
  }
  return m;
}

// Deltas of `m` against the baseline: the report's, else computed (eval/compare.h).
void set_deltas(Model& m, const ModelEntry& e, const ModelEntry& base) {
  const Deltas d = e.deltas.value_or(Deltas{});
  const Deltas c = eval::deltas_against(e, base);
  m.d_acc = d.accuracy ? d.accuracy : c.accuracy;
  m.d_raw = d.size_raw_bytes ? d.size_raw_bytes : c.size_raw_bytes;
  m.size_ratio = d.size_ratio ? d.size_ratio : c.size_ratio;
  m.d_p50 = d.latency_p50_ms ? d.latency_p50_ms : c.latency_p50_ms;
  m.p50_ratio = d.latency_p50_ratio ? d.latency_p50_ratio : c.latency_p50_ratio;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

std::vector<const Model*> View::variants() const {
  std::vector<const Model*> v;
  for (const Model& m : models)
    if (!m.is_baseline) v.push_back(&m);
  return v;
}

View make_view(const Report& report) {
  View v;
  v.report = &report;
  std::vector<const ModelEntry*> entries;  // in the order of v.models
  if (report.baseline) {
    v.models.push_back(model_of(*report.baseline, true));
    entries.push_back(&*report.baseline);
    v.has_baseline = true;
  }
  for (const ModelEntry& e : report.models) {
    Model m = model_of(e, false);
    // The baseline itself listed again among the models is shown once.
    if (v.has_baseline && m.name == v.models[0].name && m.sha256 == v.models[0].sha256) continue;
    v.models.push_back(std::move(m));
    entries.push_back(&e);
  }
  for (size_t i = 0; i < v.models.size(); ++i) {
    v.models[i].color = i;
    if (v.has_baseline && i > 0) set_deltas(v.models[i], *entries[i], *report.baseline);
    v.any_accuracy = v.any_accuracy || v.models[i].acc.has_value();
  }
  if (report.pareto) {
    v.size_front = report.pareto->accuracy_vs_size;
    v.latency_front = report.pareto->accuracy_vs_latency;
  } else {
    const Pareto p = eval::pareto_of(entries);
    for (const auto& [from, to] : {std::pair{&p.accuracy_vs_size, &v.size_front},
                                   std::pair{&p.accuracy_vs_latency, &v.latency_front}}) {
      for (const std::string& name : *from) to->push_back(name.empty() ? "(unnamed)" : name);
    }
  }
  for (Model& m : v.models) {
    m.on_size_front = contains(v.size_front, m.name);
    m.on_latency_front = contains(v.latency_front, m.name);
  }
  return v;
}

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

double text_width(const std::string& s, double font_px) {
  size_t chars = 0;
  for (char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++chars;
  return static_cast<double>(chars) * font_px * 0.6;
}


std::string settings_line(const Report& r, bool markdown) {
  auto esc = [&](const std::string& s) { return markdown ? md_escape(s) : s; };
  std::vector<std::string> host;
  if (!r.host.hostname.empty()) host.push_back(esc(r.host.hostname));
  if (!r.host.cpu.empty()) host.push_back(esc(r.host.cpu));
  if (r.host.cores) host.push_back(fmt::format("{} cores", *r.host.cores));
  if (!r.host.os.empty()) host.push_back(esc(r.host.os));
  const Settings& s = r.settings;
  std::vector<std::string> set;
  const std::string& data = s.data;
  if (s.samples) {
    set.push_back(data.empty() ? fmt::format("{} samples", *s.samples)
                               : fmt::format("{} samples of {}", *s.samples, markdown ? md_code(data) : data));
  } else if (!data.empty()) {
    set.push_back(fmt::format("data {}", markdown ? md_code(data) : data));
  }
  if (s.warmup) set.push_back(fmt::format("warmup {}", *s.warmup));
  if (s.runs) set.push_back(fmt::format("{} runs", *s.runs));
  if (s.threads) set.push_back(fmt::format("{} thread{}", *s.threads, *s.threads == 1 ? "" : "s"));
  if (s.kernels && !s.kernels->empty()) {
    set.push_back(esc(*s.kernels) + " kernels");
  } else if (!s.runtime.empty()) {
    set.push_back("runtime " + esc(s.runtime));  // a report from before settings.kernels
  }
  if (!s.arithmetic.empty()) set.push_back("arithmetic " + esc(s.arithmetic));
  if (s.int8_isa) set.push_back("int8 ISA at most " + esc(*s.int8_isa));
  if (s.top_k) set.push_back(fmt::format("top-{}", *s.top_k));
  if (s.runner && !s.runner->empty()) set.push_back("runner " + (markdown ? md_code(*s.runner) : *s.runner));
  std::string line;
  if (!host.empty()) line += "Host " + fmt::format("{}", fmt::join(host, " · "));
  if (!set.empty()) line += (line.empty() ? "" : " — ") + fmt::format("{}", fmt::join(set, ", "));
  std::vector<std::string> tool;
  if (!r.tool.version.empty()) {
    tool.push_back(esc(r.tool.name.empty() ? "tfcompress" : r.tool.name) + " " + esc(r.tool.version));
  }
  if (!r.created_at.empty()) tool.push_back(esc(r.created_at));
  if (!tool.empty()) line += (line.empty() ? "" : " · ") + fmt::format("{}", fmt::join(tool, " · "));
  return line;
}

}  // namespace view

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

}  // namespace tfc::report
