// Implementation of ranges.h: the five range methods over a histogram.
#include "calibration/ranges.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tfc::calibration {
namespace {

constexpr int kBins = Histogram::kNumBins;

// The histogram of |x|: bin j covers [j * bin_width, (j + 1) * bin_width).
struct AbsHistogram {
  double bin_width = 0;
  std::vector<double> counts;
};

// Folds a histogram into |x| exactly (0 is a bin edge: signed bin k maps to
// k >= 0 ? k : -k - 1), then merges aligned bin pairs until at most kBins remain.
AbsHistogram fold_abs(const Histogram& h) {
  auto abs_bin = [&](size_t i) {
    const int64_t k = h.first_bin + static_cast<int64_t>(i);
    return k >= 0 ? k : -k - 1;
  };
  int64_t last = 0;
  for (size_t i = 0; i < h.counts.size(); ++i) {
    if (h.counts[i] > 0) last = std::max(last, abs_bin(i));
  }
  int shift = 0;
  while ((last >> shift) >= kBins) ++shift;
  AbsHistogram out;
  out.bin_width = std::ldexp(h.bin_width, shift);
  out.counts.assign(static_cast<size_t>((last >> shift) + 1), 0.0);
  for (size_t i = 0; i < h.counts.size(); ++i) {
    if (h.counts[i] > 0) out.counts[static_cast<size_t>(abs_bin(i) >> shift)] += static_cast<double>(h.counts[i]);
  }
  return out;
}

// The signed range a symmetric threshold on |x| leaves of [min, max].
Range clip_to(const Histogram& h, double threshold) {
  return {std::max(h.min, -threshold), std::min(h.max, threshold)};
}

// Levels available to a one-signed tensor (all of them) or a signed one (half).
int64_t levels_for(const Histogram& h, int num_bits) {
  const bool one_sided = h.min >= 0 || h.max <= 0;
  return int64_t{1} << (one_sided ? num_bits : num_bits - 1);
}

// KL(P || Q) for candidate i of the entropy method (see ranges.h); +inf when Q
// is 0 where P is not.
double kl_divergence_at(const std::vector<double>& bins, size_t i, int64_t levels, double outliers) {
  const auto num_levels = static_cast<size_t>(levels);
  const size_t merged = i / num_levels;
  std::vector<double> q(i, 0.0);  // [i] the quantized distribution, expanded back
  for (size_t level = 0; level < num_levels; ++level) {
    const size_t start = level * merged;
    const size_t stop = level + 1 == num_levels ? i : start + merged;
    double sum = 0;
    size_t non_empty = 0;
    for (size_t k = start; k < stop; ++k) {
      sum += bins[k];
      non_empty += bins[k] > 0;
    }
    for (size_t k = start; k < stop; ++k) q[k] = bins[k] > 0 ? sum / static_cast<double>(non_empty) : 0.0;
  }
  double p_total = outliers, q_total = 0;
  for (size_t k = 0; k < i; ++k) {
    p_total += bins[k];
    q_total += q[k];
  }
  double kl = 0;
  for (size_t k = 0; k < i; ++k) {
    const double p = (bins[k] + (k + 1 == i ? outliers : 0.0)) / p_total;
    if (p == 0) continue;
    if (q[k] == 0) return std::numeric_limits<double>::infinity();
    kl += p * std::log(p / (q[k] / q_total));
  }
  return kl;
}

}  // namespace

std::string_view range_method_name(RangeMethod method) {
  switch (method) {
    case RangeMethod::kMinMax: return "minmax";
    case RangeMethod::kMovingAverage: return "moving-average";
    case RangeMethod::kPercentile: return "percentile";
    case RangeMethod::kEntropy: return "entropy";
    case RangeMethod::kMse: return "mse";
  }
  return "unknown";
}

std::optional<RangeMethod> parse_range_method(std::string_view name) {
  for (RangeMethod m : {RangeMethod::kMinMax, RangeMethod::kMovingAverage, RangeMethod::kPercentile,
                        RangeMethod::kEntropy, RangeMethod::kMse}) {
    if (range_method_name(m) == name) return m;
  }
  return std::nullopt;
}

Range minmax_range(const Histogram& h) { return {h.min, h.max}; }

Range percentile_range(const Histogram& h, double percentile) {
  if (!h.has_bins()) return minmax_range(h);
  const double q = percentile / 100.0;
  const double below_target = (1 - q) * static_cast<double>(h.total);
  const double upto_target = q * static_cast<double>(h.total);
  Range r = minmax_range(h);
  double cumulative = 0;  // mass in bins [0, i]
  bool lower_found = false;
  for (size_t i = 0; i < h.counts.size(); ++i) {
    cumulative += static_cast<double>(h.counts[i]);
    if (!lower_found && cumulative > below_target) {
      r.min = std::max(h.bin_lower(static_cast<int>(i)), h.min);
      lower_found = true;
    }
    if (cumulative >= upto_target) {
      r.max = std::min(h.bin_lower(static_cast<int>(i) + 1), h.max);
      break;
    }
  }
  return r;
}

Range entropy_range(const Histogram& h, int num_bits) {
  if (!h.has_bins()) return minmax_range(h);
  const AbsHistogram abs = fold_abs(h);
  std::vector<double> bins = abs.counts;
  if (bins.size() > 1) bins[0] = bins[1];  // mute the spike of exact zeros (ReLU), as pytorch-quantization does
  const int64_t levels = levels_for(h, num_bits);
  if (static_cast<int64_t>(bins.size()) <= levels) return minmax_range(h);  // fewer bins than levels: no rounding loss

  std::vector<double> beyond(bins.size() + 1, 0.0);  // [n + 1] mass in bins [i, n)
  for (size_t i = bins.size(); i-- > 0;) beyond[i] = beyond[i + 1] + bins[i];
  size_t best = bins.size();
  double best_kl = std::numeric_limits<double>::infinity();
  for (auto i = static_cast<size_t>(levels); i <= bins.size(); ++i) {
    const double kl = kl_divergence_at(bins, i, levels, beyond[i]);
    if (kl < best_kl) {
      best_kl = kl;
      best = i;
    }
  }
  return clip_to(h, static_cast<double>(best) * abs.bin_width);
}

Range mse_range(const Histogram& h, int num_bits) {
  if (!h.has_bins()) return minmax_range(h);
  const AbsHistogram abs = fold_abs(h);
  const double steps = std::ldexp(1.0, num_bits) - 1;
  // Bin centres, kept within the values actually seen.
  std::vector<double> centre(h.counts.size());
  for (size_t i = 0; i < h.counts.size(); ++i) {
    centre[i] = std::clamp(h.bin_lower(static_cast<int>(i)) + 0.5 * h.bin_width, h.min, h.max);
  }
  Range best = minmax_range(h);
  double best_error = std::numeric_limits<double>::infinity();
  for (size_t j = 1; j <= abs.counts.size(); ++j) {
    const Range r = clip_to(h, static_cast<double>(j) * abs.bin_width);
    const double step = (r.max - r.min) / steps;
    const double rounding = step * step / 12;
    double error = 0;
    for (size_t i = 0; i < h.counts.size(); ++i) {
      if (h.counts[i] == 0) continue;
      const double c = centre[i];
      const double e = c < r.min ? (r.min - c) * (r.min - c) : c > r.max ? (c - r.max) * (c - r.max) : rounding;
      error += static_cast<double>(h.counts[i]) * e;
    }
    if (error < best_error) {
      best_error = error;
      best = r;
    }
  }
  return best;
}

Expected<Range> compute_range(const TensorStats& stats, const RangeOptions& options) {
  if (stats.count() == 0) return invalid_argument("tensor '{}' (index {}): no finite value was recorded", stats.name, stats.index);
  if (options.num_bits < 2 || options.num_bits > 16) {
    return invalid_argument("quantization to {} bits is not supported (2 to 16)", options.num_bits);
  }
  const Histogram& h = stats.histogram;
  switch (options.method) {
    case RangeMethod::kMinMax: return minmax_range(h);
    case RangeMethod::kMovingAverage: return Range{stats.ema_min, stats.ema_max};
    case RangeMethod::kPercentile:
      if (!(options.percentile > 50 && options.percentile <= 100)) {
        return invalid_argument("percentile must be in (50, 100], got {}", options.percentile);
      }
      return percentile_range(h, options.percentile);
    case RangeMethod::kEntropy: return entropy_range(h, options.num_bits);
    case RangeMethod::kMse: return mse_range(h, options.num_bits);
  }
  return internal_error("unknown range method {}", static_cast<int>(options.method));
}

Expected<std::vector<TensorRange>> compute_ranges(const CalibrationStats& stats, const RangeOptions& options) {
  std::vector<TensorRange> out;
  for (const TensorStats& t : stats.tensors) {
    if (t.count() == 0) continue;
    TFC_ASSIGN_OR_RETURN(Range r, compute_range(t, options));
    out.push_back({t.index, t.name, r});
  }
  return out;
}

}  // namespace tfc::calibration
