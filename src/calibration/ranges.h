// Clipping ranges for integer quantization, chosen from calibration statistics
// (stats.h) by one of five methods:
//   minmax          [min, max] of everything seen
//   moving-average  the moving-average range (TF's quantization-aware training)
//   percentile      the p-th and (100 - p)-th percentiles (p = 99.99 by default)
//   entropy         the threshold minimizing the KL divergence between the
//                   clipped histogram and its quantized version (TensorRT's
//                   entropy calibration)
//   mse             the threshold minimizing the expected squared quantization
//                   error (rounding + clipping) over the histogram
// Pure math on histograms: no IR types. A range is not widened to hold 0;
// the quantizer does that (TFLite needs 0 exactly representable).
// Not here: recording statistics (observer.h), computing scales (quantizer).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "calibration/stats.h"
#include "core/status.h"

namespace tfc::calibration {

enum class RangeMethod { kMinMax, kMovingAverage, kPercentile, kEntropy, kMse };

std::string_view range_method_name(RangeMethod method);  // "minmax", "moving-average", ...
std::optional<RangeMethod> parse_range_method(std::string_view name);

struct RangeOptions {
  RangeMethod method = RangeMethod::kMinMax;
  double percentile = 99.99;  // for kPercentile, in (50, 100]
  int num_bits = 8;           // target integer width (8 or 16) for kEntropy and kMse
};

struct Range {
  double min = 0, max = 0;
  bool operator==(const Range&) const = default;
};

// --- The methods on a histogram (stats.h). A histogram without bins (a single
// value, or nothing) gives [min, max] for every method.
Range minmax_range(const Histogram& h);
// Lower bound at the (100 - p)-th percentile, upper at the p-th, each taken at
// the outer edge of the bin where it falls (so at least p% of the values stay
// inside, and a spike of zeros keeps the bound at 0), kept within [min, max].
Range percentile_range(const Histogram& h, double percentile);
// Symmetric threshold T on |x| (the result is [max(min, -T), min(max, T)]).
// Entropy, as TensorRT's calibrator (and pytorch-quantization, MXNet) define it:
// fold the histogram into |x| (<= 2048 bins), give bin 0 the count of bin 1 (so
// that a spike of exact zeros, as after a ReLU, does not dominate; as NVIDIA's
// pytorch-quantization does); for each candidate i from L to n,
// P = the first i bins with the mass beyond added to bin i-1, Q = the first i
// bins merged into L levels and expanded back uniformly over the non-empty bins;
// choose the i minimizing KL(P || Q) and T = i * bin width.
// L = 2^(num_bits-1) levels for signed data; 2^num_bits when all values share
// one sign (the asymmetric int8 scheme then spends every level on one side).
Range entropy_range(const Histogram& h, int num_bits);
// The threshold T (at an |x| bin edge) minimizing, over the histogram's bins
// with centre c and count n, sum n * e(c): e = (c - clamp(c))^2 outside the
// range, s^2 / 12 inside, where s = (max - min) / (2^num_bits - 1) is the step
// of the candidate range (uniform rounding error).
Range mse_range(const Histogram& h, int num_bits);

// The range of one tensor by `options.method`.
Expected<Range> compute_range(const TensorStats& stats, const RangeOptions& options);

struct TensorRange {
  int32_t index = 0;
  std::string name;
  Range range;
};
// The range of every tensor of `stats` that has seen at least one value.
Expected<std::vector<TensorRange>> compute_ranges(const CalibrationStats& stats, const RangeOptions& options);

}  // namespace tfc::calibration
