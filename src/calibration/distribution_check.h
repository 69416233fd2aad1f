// Representative-data check: does the calibration set look like the data the
// model will see? Compares per-input statistics (mean, std, min, max) and
// distributions (population stability index, Kolmogorov-Smirnov statistic) of a
// representative set with a validation/production sample, and, after both were
// calibrated, the activation ranges each produced. The result is a list of
// findings with a severity and a sentence a user can act on.
// Not here: recording activations (observer.h), choosing ranges (ranges.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "calibration/ranges.h"
#include "calibration/stats.h"
#include "core/array.h"
#include "core/status.h"
#include "io/dataset.h"

namespace tfc::calibration {

enum class Severity { kInfo, kWarning, kError };
std::string_view severity_name(Severity severity);  // "info", "warning", "error"

struct Finding {
  Severity severity = Severity::kInfo;
  std::string subject;  // what it is about: "input 0", "tensor 'conv/Relu' (index 5)"
  std::string message;  // a full sentence that starts with the subject
};

// The worst severity among `findings` (kInfo when there are none).
Severity worst_severity(const std::vector<Finding>& findings);

// Summary statistics of all values of an array (any numeric dtype).
struct ValueSummary {
  int64_t count = 0;  // finite values
  double mean = 0, std = 0, min = 0, max = 0;
};

struct DistributionCheckOptions {
  // Input checks. Mean shift in units of the validation std.
  double mean_shift_warning = 0.5;
  double mean_shift_error = 2.0;
  double std_ratio_warning = 2.0;        // either std this many times the other
  double range_ratio_error = 10.0;       // either value range this many times the other
  // Population stability index over 10 equal-width bins of the joint range
  // (the usual reading: < 0.1 stable, 0.1-0.25 moderate shift, > 0.25 major).
  double psi_warning = 0.1;
  double psi_error = 0.25;
  double ks_warning = 0.1;               // max |CDF difference|, on 1024 bins
  double ks_error = 0.3;
  double outside_fraction_warning = 0.01;  // validation values outside the representative [min, max]
  // Activation-range checks: the representative range comes from `ranges`,
  // the validation range is its min/max.
  RangeOptions ranges;
  double clip_fraction_warning = 1e-3;   // validation mass outside the representative range
  double clip_fraction_error = 1e-2;
  double width_ratio_warning = 4.0;      // representative range this many times wider
};

Expected<ValueSummary> summarize_values(const Array& values);

// Compares the values fed to input `input_index` in both sets (batch-first
// arrays; the per-sample shapes should match).
Expected<std::vector<Finding>> check_input(const Array& representative, const Array& validation, int input_index,
                                           const DistributionCheckOptions& options = {});
// The same for a dataset's samples (input 0).
Expected<std::vector<Finding>> check_input_distributions(const Dataset& representative, const Dataset& validation,
                                                         const DistributionCheckOptions& options = {});

// Compares the activation ranges of two calibrations of the same model (an
// InvalidArgument status if their model fingerprints differ): flags tensors
// whose validation values would clip under the representative range, and
// ranges much wider than the validation data needs.
Expected<std::vector<Finding>> compare_activation_ranges(const CalibrationStats& representative,
                                                         const CalibrationStats& validation,
                                                         const DistributionCheckOptions& options = {});

}  // namespace tfc::calibration
