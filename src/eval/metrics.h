// Task metrics of the evaluation harness, computed from a model's outputs on
// the validation samples: classification (top-1 / top-k accuracy, per-class
// accuracy, confusion matrix) and the error profile of any model against the
// baseline's outputs (top-1 agreement, max / mean absolute error, cosine, SNR
// per output), and the Pareto front of any two figures (the report's fronts:
// compare.h).
// Not: running models (evaluate.h), rendering (report/).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/array.h"
#include "core/status.h"

namespace tfc::eval {

// Real-valued outputs of one model over all samples, one per graph output:
// shape [samples, ...], values as float (integers dequantized).
struct Outputs {
  std::vector<std::string> names;
  std::vector<Array> values;  // float32
};

// Class ids from labels: [N] or [N, 1] integers (any integer dtype, or floats
// holding integers), or one-hot / probability rows [N, C] (argmax).
Expected<std::vector<int64_t>> class_ids(const Array& labels);

struct Classification {
  int64_t samples = 0;
  int64_t num_classes = 0;
  double accuracy = 0;
  int top_k = 5;
  double top_k_accuracy = 0;
  std::vector<double> per_class_accuracy;  // NaN-free: classes without samples get 0 with count 0
  std::vector<int64_t> per_class_count;
  std::vector<std::vector<int64_t>> confusion;  // [true][predicted]
};

// `scores` [N, C] (C >= 2) against `labels` (N ids in [0, C)). Scores rank
// with NaN below every number and ties to the lower class index (as argmax).
Expected<Classification> classify(const Array& scores, const std::vector<int64_t>& labels, int top_k);

// SNR of identical outputs (and, negated, of noise on an all-zero reference).
inline constexpr double kSnrCeilingDb = 200.0;

struct OutputError {
  std::string name;
  // Over the elements where both are finite; all NaN (null in JSON) when
  // `nonfinite` > 0, i.e. some element is NaN or infinite in one output but
  // not the same in the other.
  double max_abs_error = 0, mean_abs_error = 0, cosine = 0, snr_db = 0;
  int64_t nonfinite = 0;
};
struct ErrorProfile {
  std::optional<double> top1_agreement;  // output 0 of rank 2 with >= 2 columns
  std::vector<OutputError> outputs;
};

// `model` against `reference` (same outputs, same shapes).
Expected<ErrorProfile> error_profile(const Outputs& model, const Outputs& reference);
nlohmann::json error_profile_json(const ErrorProfile& e);

// Indices of the points on the front maximizing `quality` and minimizing
// `cost` (a point is on it when no other is at least as good in both and
// better in one); points with a missing value are left out.
std::vector<size_t> pareto_front(const std::vector<std::optional<double>>& quality,
                                 const std::vector<std::optional<double>>& cost);

}  // namespace tfc::eval
