// What the Markdown and HTML renderers show, derived from the typed report
// (report.h): one row per model, the baseline first, with its figures as
// optional numbers, its deltas against the baseline (eval/compare.h's when the
// report lacks them), its place on the Pareto fronts (the report's, or
// eval/compare.h's when it has none) and its colour; plus the formatting and
// escaping both renderers share.
// Not: drawing (svg_plot.h), page layout (markdown.cc, html.cc).
#pragma once

#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "report/report.h"

namespace tfc::report::view {

using Num = std::optional<double>;

template <typename... Args>
void out(std::string& s, fmt::format_string<Args...> f, Args&&... args) {
  fmt::format_to(std::back_inserter(s), f, std::forward<Args>(args)...);
}

struct OutputError {
  std::string name;
  Num max_abs, mean_abs, cosine, snr_db;
};

struct Model {
  std::string name, path, sha256, rss_scope;
  bool is_baseline = false;
  size_t color = 0;
  Num raw, gzip, acc, topk_acc, p50, p90, p99, min_ms, max_ms, init_ms, rss, arena;
  int topk_k = 0;
  std::vector<double> samples;  // timed runs, finite and non-negative
  std::vector<std::string> class_names;
  std::vector<double> per_class;  // NaN where the report has no figure
  std::vector<std::vector<double>> confusion;
  Num agreement;
  std::vector<OutputError> outputs;
  Num d_acc, d_raw, size_ratio, d_p50, p50_ratio;
  bool on_size_front = false, on_latency_front = false;
  // Why the latency does not stand for LiteRT's (ops on the reference
  // kernels above kReferenceShareNote of the time); empty when it does.
  std::string kernel_note;
};

struct View {
  const Report* report = nullptr;
  std::vector<Model> models;  // the baseline first, when there is one
  bool has_baseline = false;
  std::vector<std::string> size_front, latency_front;
  bool any_accuracy = false;

  const Model* baseline() const { return has_baseline ? &models.front() : nullptr; }
  std::vector<const Model*> variants() const;
};

View make_view(const Report& report);

// Formatting of figures (beside render.h's public ones).
inline constexpr const char* kDash = "\u2014";
std::string signed_bytes(double d);          // "+1.5 KiB", "0 B"
std::string signed_ratio_percent(double r);  // ratio 0.26 -> "-74.0%"
std::string signed_ms(double d);             // "+0.123 ms", "0 ms"
std::string short_sha(const std::string& sha);
std::string opt_or_dash(Num v, std::string (*f)(double));
std::string fmt_general(double v);

// Text.
std::string md_escape(std::string_view s);
std::string md_code(std::string_view s);
std::string html_escape(std::string_view s);
std::string truncate(const std::string& s, size_t n);  // keeps UTF-8 whole
double text_width(const std::string& s, double font_px);  // approximate, sans-serif

// Host, settings and tool in one line (Markdown-escaped when `markdown`).
std::string settings_line(const Report& r, bool markdown);

const char* color_of(const Model& m);

}  // namespace tfc::report::view
