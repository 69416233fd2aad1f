// Classification metrics, error profiles and Pareto fronts (see metrics.h).
#include "eval/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace tfc::eval {
namespace {

template <typename T>
void read_as_double(const Array& a, std::vector<double>& out) {
  const T* p = a.as<T>();
  for (int64_t i = 0; i < a.num_elements(); ++i) out.push_back(static_cast<double>(p[i]));
}

Expected<std::vector<double>> as_doubles(const Array& a) {
  std::vector<double> v;
  v.reserve(static_cast<size_t>(a.num_elements()));
  switch (a.dtype) {
    case DType::kFloat32: read_as_double<float>(a, v); break;
    case DType::kFloat64: read_as_double<double>(a, v); break;
    case DType::kInt8: read_as_double<int8_t>(a, v); break;
    case DType::kUInt8: read_as_double<uint8_t>(a, v); break;
    case DType::kInt16: read_as_double<int16_t>(a, v); break;
    case DType::kInt32: read_as_double<int32_t>(a, v); break;
    case DType::kInt64: read_as_double<int64_t>(a, v); break;
    default: return invalid_argument("labels of dtype {} are not supported", dtype_name(a.dtype));
  }
  return v;
}

// Whether score `a` ranks above `b`: NaN ranks below every number.
bool ranks_above(float a, float b) { return std::isnan(b) ? !std::isnan(a) : a > b; }
bool ranks_equal(float a, float b) { return a == b || (std::isnan(a) && std::isnan(b)); }

// Index of the highest score of `row` (NaN lowest; ties: the first).
int64_t argmax(const float* row, int64_t n) {
  int64_t best = 0;
  for (int64_t k = 1; k < n; ++k) {
    if (ranks_above(row[k], row[best])) best = k;
  }
  return best;
}

}  // namespace

Expected<std::vector<int64_t>> class_ids(const Array& labels) {
  TFC_ASSIGN_OR_RETURN(const auto v, as_doubles(labels));
  if (labels.shape.empty()) return invalid_argument("labels must have a sample dimension");
  const int64_t n = labels.shape[0];
  const int64_t width = n == 0 ? 0 : static_cast<int64_t>(v.size()) / n;
  if (n > 0 && width == 0) return invalid_argument("labels of shape [{}, 0] hold no class", n);
  std::vector<int64_t> ids(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    if (width == 1) {
      const double x = v[static_cast<size_t>(i)];
      if (!(x >= 0) || x != std::floor(x) || x > 1e15) return invalid_argument("label {} of sample {} is not a class id", x, i);
      ids[static_cast<size_t>(i)] = static_cast<int64_t>(x);
    } else {
      const auto row = v.begin() + i * width;
      ids[static_cast<size_t>(i)] = std::max_element(row, row + width) - row;
    }
  }
  return ids;
}

Expected<Classification> classify(const Array& scores, const std::vector<int64_t>& labels, int top_k) {
  if (scores.dtype != DType::kFloat32 || scores.shape.size() != 2 || scores.shape[1] < 2) {
    return invalid_argument("classification needs scores of shape [samples, classes >= 2]");
  }
  const int64_t n = scores.shape[0], classes = scores.shape[1];
  if (static_cast<int64_t>(labels.size()) != n) {
    return invalid_argument("{} labels for {} samples", labels.size(), n);
  }
  Classification c;
  c.samples = n;
  c.num_classes = classes;
  c.top_k = static_cast<int>(std::min<int64_t>(top_k, classes));
  c.confusion.assign(static_cast<size_t>(classes), std::vector<int64_t>(static_cast<size_t>(classes), 0));
  c.per_class_count.assign(static_cast<size_t>(classes), 0);
  int64_t correct = 0, correct_k = 0;
  const float* s = scores.as<float>();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t label = labels[static_cast<size_t>(i)];
    if (label < 0 || label >= classes) {
      return invalid_argument("label {} of sample {} is outside the model's {} classes", label, i, classes);
    }
    const float* row = s + i * classes;
    const int64_t pred = argmax(row, classes);
    // Rank of the true class: how many scores beat it (NaN lowest, ties broken by index, as argmax does).
    int64_t rank = 0;
    for (int64_t k = 0; k < classes; ++k) {
      if (ranks_above(row[k], row[label]) || (ranks_equal(row[k], row[label]) && k < label)) ++rank;
    }
    correct += pred == label;
    correct_k += rank < c.top_k;
    c.confusion[static_cast<size_t>(label)][static_cast<size_t>(pred)]++;
    c.per_class_count[static_cast<size_t>(label)]++;
  }
  c.accuracy = n ? static_cast<double>(correct) / static_cast<double>(n) : 0;
  c.top_k_accuracy = n ? static_cast<double>(correct_k) / static_cast<double>(n) : 0;
  for (int64_t k = 0; k < classes; ++k) {
    const int64_t count = c.per_class_count[static_cast<size_t>(k)];
    c.per_class_accuracy.push_back(
        count ? static_cast<double>(c.confusion[static_cast<size_t>(k)][static_cast<size_t>(k)]) / count : 0.0);
  }
  return c;
}

Expected<ErrorProfile> error_profile(const Outputs& model, const Outputs& reference) {
  if (model.values.size() != reference.values.size()) {
    return invalid_argument("the model has {} outputs but the baseline has {}", model.values.size(),
                            reference.values.size());
  }
  ErrorProfile e;
  for (size_t o = 0; o < model.values.size(); ++o) {
    const Array& a = model.values[o];
    const Array& b = reference.values[o];
    if (a.shape != b.shape || a.dtype != DType::kFloat32 || b.dtype != DType::kFloat32) {
      return invalid_argument("output {} ('{}') has a different shape than the baseline's", o,
                              o < model.names.size() ? model.names[o] : "");
    }
    double signal = 0, noise = 0, dot = 0, aa = 0, abs_sum = 0, max_abs = 0;
    int64_t compared = 0, nonfinite = 0;
    const float* pa = a.as<float>();
    const float* pb = b.as<float>();
    const int64_t count = a.num_elements();
    for (int64_t i = 0; i < count; ++i) {
      const double x = pa[i], r = pb[i], d = x - r;
      if (!std::isfinite(x) || !std::isfinite(r)) {
        // The same NaN or infinity in both agrees; anything else has no finite error.
        if (!ranks_equal(pa[i], pb[i])) ++nonfinite;
        continue;
      }
      ++compared;
      signal += r * r;
      noise += d * d;
      dot += x * r;
      aa += x * x;
      abs_sum += std::abs(d);
      max_abs = std::max(max_abs, std::abs(d));
    }
    OutputError oe;
    oe.name = o < model.names.size() ? model.names[o] : std::to_string(o);
    oe.nonfinite = nonfinite;
    oe.max_abs_error = max_abs;
    oe.mean_abs_error = compared ? abs_sum / static_cast<double>(compared) : 0;
    oe.cosine = (aa > 0 && signal > 0) ? dot / std::sqrt(aa * signal) : (aa == signal ? 1.0 : 0.0);
    // Identical outputs have no noise, and noise on a zero signal has no ratio:
    // report finite bounds rather than infinities (which JSON cannot hold).
    oe.snr_db = noise == 0 ? kSnrCeilingDb
                           : signal == 0 ? -kSnrCeilingDb
                                         : std::clamp(10.0 * std::log10(signal / noise), -kSnrCeilingDb, kSnrCeilingDb);
    if (nonfinite > 0) {
      oe.max_abs_error = oe.mean_abs_error = oe.cosine = oe.snr_db = std::numeric_limits<double>::quiet_NaN();
    }
    e.outputs.push_back(oe);
    if (o == 0 && a.shape.size() == 2 && a.shape[1] >= 2) {
      const int64_t n = a.shape[0], c = a.shape[1];
      int64_t agree = 0;
      for (int64_t i = 0; i < n; ++i) agree += argmax(pa + i * c, c) == argmax(pb + i * c, c);
      e.top1_agreement = n ? static_cast<double>(agree) / static_cast<double>(n) : 0;
    }
  }
  return e;
}

nlohmann::json error_profile_json(const ErrorProfile& e) {
  nlohmann::json j;
  j["top1_agreement"] = e.top1_agreement ? nlohmann::json(*e.top1_agreement) : nlohmann::json(nullptr);
  j["outputs"] = nlohmann::json::array();
  // JSON has no NaN: a figure that does not exist is null.
  const auto figure = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  for (const auto& o : e.outputs) {
    j["outputs"].push_back({{"name", o.name},
                            {"max_abs_error", figure(o.max_abs_error)},
                            {"mean_abs_error", figure(o.mean_abs_error)},
                            {"cosine", figure(o.cosine)},
                            {"snr_db", figure(o.snr_db)},
                            {"nonfinite_values", o.nonfinite}});
  }
  return j;
}

std::vector<size_t> pareto_front(const std::vector<std::optional<double>>& quality,
                                 const std::vector<std::optional<double>>& cost) {
  std::vector<size_t> front;
  for (size_t i = 0; i < quality.size(); ++i) {
    if (!quality[i] || !cost[i]) continue;
    bool dominated = false;
    for (size_t j = 0; j < quality.size() && !dominated; ++j) {
      if (j == i || !quality[j] || !cost[j]) continue;
      const bool no_worse = *quality[j] >= *quality[i] && *cost[j] <= *cost[i];
      const bool better = *quality[j] > *quality[i] || *cost[j] < *cost[i];
      dominated = no_worse && better;
    }
    if (!dominated) front.push_back(i);
  }
  return front;
}

}  // namespace tfc::eval
