// Implementation of distribution_check.h.
#include "calibration/distribution_check.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/ranges.h>

#include "kernels/fp16.h"

namespace tfc::calibration {
namespace {

constexpr int kKsBins = 1000;   // KS statistic on this many equal-width bins
constexpr int kPsiBins = 10;    // PSI on groups of kKsBins / kPsiBins of them
constexpr double kPsiFloor = 1e-4;  // bin fraction floor, so empty bins stay finite

template <typename T, typename F>
void visit_as(const Array& a, F&& f) {
  const auto n = static_cast<size_t>(a.num_elements());
  for (size_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, a.data.data() + i * sizeof(T), sizeof(T));
    f(static_cast<double>(v));
  }
}

// Calls f(double) for every element of a numeric array.
template <typename F>
Status visit_values(const Array& a, F&& f) {
  switch (a.dtype) {
    case DType::kFloat32: visit_as<float>(a, f); break;
    case DType::kFloat64: visit_as<double>(a, f); break;
    case DType::kInt8: visit_as<int8_t>(a, f); break;
    case DType::kUInt8: visit_as<uint8_t>(a, f); break;
    case DType::kInt16: visit_as<int16_t>(a, f); break;
    case DType::kUInt16: visit_as<uint16_t>(a, f); break;
    case DType::kInt32: visit_as<int32_t>(a, f); break;
    case DType::kUInt32: visit_as<uint32_t>(a, f); break;
    case DType::kInt64: visit_as<int64_t>(a, f); break;
    case DType::kBool: visit_as<uint8_t>(a, [&](double v) { f(v != 0 ? 1.0 : 0.0); }); break;
    case DType::kFloat16: {
      const auto n = static_cast<size_t>(a.num_elements());
      for (size_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, a.data.data() + 2 * i, 2);
        f(static_cast<double>(kernels::half_to_float(h)));
      }
      break;
    }
    default: return unsupported("cannot summarize values of dtype {}", dtype_name(a.dtype));
  }
  return Status::ok();
}

// Fractions of the finite values of `a` in kKsBins equal-width bins over [lo, hi].
std::vector<double> bin_fractions(const Array& a, double lo, double hi, int64_t count) {
  std::vector<double> bins(kKsBins, 0.0);
  const double width = (hi - lo) / kKsBins;
  (void)visit_values(a, [&](double v) {
    if (!std::isfinite(v)) return;
    const auto i = width > 0 ? std::clamp<int64_t>(static_cast<int64_t>((v - lo) / width), 0, kKsBins - 1) : 0;
    bins[static_cast<size_t>(i)] += 1.0;
  });
  for (double& b : bins) b /= static_cast<double>(std::max<int64_t>(count, 1));
  return bins;
}

double ks_statistic(const std::vector<double>& p, const std::vector<double>& q) {
  double cp = 0, cq = 0, ks = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    cp += p[i];
    cq += q[i];
    ks = std::max(ks, std::abs(cp - cq));
  }
  return ks;
}

// Population stability index: sum (p - q) * ln(p / q) over kPsiBins groups.
double psi(const std::vector<double>& p, const std::vector<double>& q) {
  const size_t group = p.size() / kPsiBins;
  double index = 0;
  for (size_t g = 0; g < kPsiBins; ++g) {
    double pg = 0, qg = 0;
    for (size_t i = g * group; i < (g + 1) * group; ++i) {
      pg += p[i];
      qg += q[i];
    }
    pg = std::max(pg, kPsiFloor);
    qg = std::max(qg, kPsiFloor);
    index += (pg - qg) * std::log(pg / qg);
  }
  return index;
}

std::string num(double v) { return fmt::format("{:.4g}", v); }
std::string range_text(double lo, double hi) { return fmt::format("[{}, {}]", num(lo), num(hi)); }
std::string per_sample_shape(const Array& a) {
  return fmt::format("[{}]", fmt::join(a.shape.begin() + (a.shape.empty() ? 0 : 1), a.shape.end(), ","));
}

Severity by_threshold(double value, double warning, double error) {
  return value >= error ? Severity::kError : value >= warning ? Severity::kWarning : Severity::kInfo;
}

// Explains a large difference of value ranges, naming the unnormalized side
// when one set stays within [-1, 1] and the other goes well beyond.
std::string scale_diagnosis(const ValueSummary& rep, const ValueSummary& val, double ratio) {
  auto in_unit = [](const ValueSummary& s) { return s.max <= 1.0 + 1e-6 && s.min >= -1.0 - 1e-6; };
  if (!in_unit(rep) && in_unit(val)) {
    return fmt::format("representative data looks unnormalized (max {}) while validation max is {}", num(rep.max),
                       num(val.max));
  }
  if (in_unit(rep) && !in_unit(val)) {
    return fmt::format("validation data looks unnormalized (max {}) while representative max is {}", num(val.max),
                       num(rep.max));
  }
  return fmt::format("value ranges differ by a factor of {} (representative {}, validation {}): the preprocessing "
                     "probably differs",
                     num(ratio), range_text(rep.min, rep.max), range_text(val.min, val.max));
}

// Fraction of a histogram's mass outside [lo, hi], interpolating inside bins.
double fraction_outside(const Histogram& h, double lo, double hi) {
  if (h.total == 0) return 0;
  if (!h.has_bins()) return h.min < lo || h.min > hi ? 1.0 : 0.0;
  double outside = 0;
  for (size_t i = 0; i < h.counts.size(); ++i) {
    if (h.counts[i] == 0) continue;
    const double a = std::max(h.bin_lower(static_cast<int>(i)), h.min);
    const double b = std::min(h.bin_lower(static_cast<int>(i) + 1), h.max);
    const double inside = b > a ? std::clamp((std::min(b, hi) - std::max(a, lo)) / (b - a), 0.0, 1.0)
                                : (a >= lo && a <= hi ? 1.0 : 0.0);
    outside += static_cast<double>(h.counts[i]) * (1 - inside);
  }
  return outside / static_cast<double>(h.total);
}

}  // namespace

std::string_view severity_name(Severity severity) {
  switch (severity) {
    case Severity::kInfo: return "info";
    case Severity::kWarning: return "warning";
    case Severity::kError: return "error";
  }
  return "unknown";
}

Severity worst_severity(const std::vector<Finding>& findings) {
  Severity worst = Severity::kInfo;
  for (const Finding& f : findings) worst = std::max(worst, f.severity);
  return worst;
}

Expected<ValueSummary> summarize_values(const Array& values) {
  ValueSummary s;
  double mean = 0, m2 = 0;  // Welford's running mean and sum of squared deviations
  s.min = std::numeric_limits<double>::infinity();
  s.max = -s.min;
  TFC_RETURN_IF_ERROR(visit_values(values, [&](double v) {
    if (!std::isfinite(v)) return;
    ++s.count;
    const double delta = v - mean;
    mean += delta / static_cast<double>(s.count);
    m2 += delta * (v - mean);
    s.min = std::min(s.min, v);
    s.max = std::max(s.max, v);
  }));
  if (s.count == 0) return invalid_argument("no finite values to summarize");
  s.mean = mean;
  s.std = std::sqrt(m2 / static_cast<double>(s.count));
  return s;
}

Expected<std::vector<Finding>> check_input(const Array& representative, const Array& validation, int input_index,
                                           const DistributionCheckOptions& options) {
  const std::string subject = fmt::format("input {}", input_index);
  auto rep_summary = summarize_values(representative);
  if (!rep_summary) return rep_summary.status().with_context(subject + " (representative)");
  auto val_summary = summarize_values(validation);
  if (!val_summary) return val_summary.status().with_context(subject + " (validation)");
  const ValueSummary& rep = *rep_summary;
  const ValueSummary& val = *val_summary;
  std::vector<Finding> findings;
  auto add = [&](Severity severity, std::string message) {
    findings.push_back({severity, subject, subject + " " + std::move(message)});
  };

  if (per_sample_shape(representative) != per_sample_shape(validation)) {
    add(Severity::kError, fmt::format("per-sample shape differs: representative {} vs validation {}",
                                      per_sample_shape(representative), per_sample_shape(validation)));
  }
  if (representative.dtype != validation.dtype) {
    add(Severity::kWarning, fmt::format("dtype differs: representative {} vs validation {}",
                                        dtype_name(representative.dtype), dtype_name(validation.dtype)));
  }

  // Location and scale.
  const double rep_width = rep.max - rep.min, val_width = val.max - val.min;
  const double ratio = val_width > 0 && rep_width > 0 ? std::max(rep_width / val_width, val_width / rep_width) : 1.0;
  const bool scale_mismatch = ratio >= options.range_ratio_error;
  const double unit = val.std > 0 ? val.std : rep.std > 0 ? rep.std : 1.0;
  const double shift = std::abs(rep.mean - val.mean) / unit;
  const Severity shift_severity =
      scale_mismatch ? Severity::kError : by_threshold(shift, options.mean_shift_warning, options.mean_shift_error);
  if (shift_severity != Severity::kInfo) {
    std::string message = fmt::format("mean differs by {:.1f} std (representative {}, validation {})", shift,
                                      num(rep.mean), num(val.mean));
    if (scale_mismatch) message += ": " + scale_diagnosis(rep, val, ratio);
    add(shift_severity, std::move(message));
  }
  const double std_ratio = rep.std > 0 && val.std > 0 ? std::max(rep.std / val.std, val.std / rep.std) : 1.0;
  if (!scale_mismatch && std_ratio >= options.std_ratio_warning) {
    add(Severity::kWarning, fmt::format("spread differs by a factor of {:.1f}: std {} (representative) vs {} "
                                        "(validation)", std_ratio, num(rep.std), num(val.std)));
  }

  // Shape of the distribution, on a common binning of the joint range.
  const double lo = std::min(rep.min, val.min), hi = std::max(rep.max, val.max);
  const std::vector<double> p = bin_fractions(representative, lo, hi, rep.count);
  const std::vector<double> q = bin_fractions(validation, lo, hi, val.count);
  const double psi_value = psi(p, q), ks = ks_statistic(p, q);
  const Severity shape_severity = std::max(by_threshold(psi_value, options.psi_warning, options.psi_error),
                                           by_threshold(ks, options.ks_warning, options.ks_error));
  if (shape_severity != Severity::kInfo) {
    add(shape_severity, fmt::format("distribution differs: population stability index {:.3f}, Kolmogorov-Smirnov "
                                    "statistic {:.3f}", psi_value, ks));
  }

  // Coverage: validation values the representative range does not hold.
  int64_t outside = 0;
  (void)visit_values(validation, [&](double v) { outside += std::isfinite(v) && (v < rep.min || v > rep.max); });
  const double outside_fraction = static_cast<double>(outside) / static_cast<double>(val.count);
  if (outside_fraction >= options.outside_fraction_warning) {
    add(Severity::kWarning, fmt::format("{:.2f}% of validation values fall outside the representative range {}; "
                                        "they will clip once quantized", 100 * outside_fraction,
                                        range_text(rep.min, rep.max)));
  }

  if (findings.empty()) {
    add(Severity::kInfo, fmt::format("representative and validation data agree (mean shift {:.2f} std, population "
                                     "stability index {:.3f}, Kolmogorov-Smirnov statistic {:.3f})",
                                     shift, psi_value, ks));
  }
  return findings;
}

Expected<std::vector<Finding>> check_input_distributions(const Dataset& representative, const Dataset& validation,
                                                         const DistributionCheckOptions& options) {
  return check_input(representative.x, validation.x, 0, options);
}

Expected<std::vector<Finding>> compare_activation_ranges(const CalibrationStats& representative,
                                                         const CalibrationStats& validation,
                                                         const DistributionCheckOptions& options) {
  if (representative.model != validation.model || representative.subgraph != validation.subgraph) {
    return invalid_argument("the two calibrations are of different models ({} vs {}); compare runs of one model",
                            to_string(representative.model), to_string(validation.model));
  }
  std::vector<Finding> findings;
  int compared = 0, clipping = 0, wide = 0;
  for (const TensorStats& rep : representative.tensors) {
    const TensorStats* val = validation.find(rep.index);
    if (!val || val->name != rep.name || rep.count() == 0 || val->count() == 0) continue;
    ++compared;
    const std::string subject = fmt::format("tensor '{}' (index {})", rep.name, rep.index);
    TFC_ASSIGN_OR_RETURN(Range r, compute_range(rep, options.ranges));
    const double clipped = fraction_outside(val->histogram, r.min, r.max);
    const Severity clip_severity = by_threshold(clipped, options.clip_fraction_warning, options.clip_fraction_error);
    if (clip_severity != Severity::kInfo) {
      ++clipping;
      findings.push_back({clip_severity, subject,
                          fmt::format("{}: {:.2f}% of validation values fall outside the representative range {} "
                                      "(validation range {}); they will clip",
                                      subject, 100 * clipped, range_text(r.min, r.max),
                                      range_text(val->min(), val->max()))});
    }
    const double val_width = val->max() - val->min();
    const double width_ratio = val_width > 0 ? (r.max - r.min) / val_width : 1.0;
    if (width_ratio >= options.width_ratio_warning) {
      ++wide;
      findings.push_back({Severity::kWarning, subject,
                          fmt::format("{}: the representative range {} is {:.1f}x wider than the validation range {}; "
                                      "quantization steps will be coarser than needed",
                                      subject, range_text(r.min, r.max), width_ratio,
                                      range_text(val->min(), val->max()))});
    }
  }
  findings.push_back({Severity::kInfo, "activations",
                      fmt::format("activations: compared the {} ranges of {} tensors: {} would clip validation "
                                  "values, {} are much wider than needed",
                                  range_method_name(options.ranges.method), compared, clipping, wide)});
  return findings;
}

}  // namespace tfc::calibration
