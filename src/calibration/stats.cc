// Implementation of stats.h: histogram growth, fingerprints and the JSON file.
#include "calibration/stats.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

#include "io/file_util.h"
#include "io/json_file.h"
#include "io/tflite_reader.h"
#include "io/tflite_writer.h"

namespace tfc::calibration {
namespace {

using nlohmann::json;
constexpr int kBins = Histogram::kNumBins;

// floor(k / 2^s) for any shift s >= 0 (>> on a negative int64 rounds down in C++20).
int64_t floor_shift(int64_t k, int s) {
  if (s >= 63) return k < 0 ? -1 : 0;
  return k >> s;
}

// Index of the bin edge at or below x: floor(x / width), kept within int64.
int64_t bin_index(double x, double width) {
  const double k = std::floor(x / width);
  constexpr double kLimit = 4.0e18;
  return static_cast<int64_t>(std::clamp(k, -kLimit, kLimit));
}

}  // namespace

uint64_t Histogram::add(std::span<const float> values) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  uint64_t finite = 0;
  for (float v : values) {
    if (!std::isfinite(v)) continue;
    lo = std::min<double>(lo, v);
    hi = std::max<double>(hi, v);
    ++finite;
  }
  const uint64_t non_finite = values.size() - finite;
  if (finite == 0) return non_finite;
  if (total > 0) {
    lo = std::min(lo, min);
    hi = std::max(hi, max);
  }
  if (!has_bins()) {
    if (lo == hi) {  // still a single value: no bins yet
      min = max = lo;
      total += finite;
      return non_finite;
    }
    start_bins(lo, hi);
  } else {
    cover(lo, hi);
  }
  for (float v : values) {
    if (!std::isfinite(v)) continue;
    const int64_t i = std::clamp<int64_t>(bin_index(v, bin_width) - first_bin, 0, kBins - 1);
    ++counts[static_cast<size_t>(i)];
  }
  min = lo;
  max = hi;
  total += finite;
  return non_finite;
}

// First spread: values seen so far (all equal to `min`) go into their bin.
void Histogram::start_bins(double lo, double hi) {
  bin_width = (hi - lo) / (kBins - 2);
  first_bin = bin_index(lo, bin_width);
  counts.assign(kBins, 0);
  cover(lo, hi);  // guards against rounding at the top edge
  if (total > 0) {
    const int64_t i = std::clamp<int64_t>(bin_index(min, bin_width) - first_bin, 0, kBins - 1);
    counts[static_cast<size_t>(i)] += total;
  }
}

// Doubles the bin width as often as needed for [lo, hi] to fit in the window.
void Histogram::cover(double lo, double hi) {
  int64_t last_used = kBins - 1;
  while (last_used > 0 && counts[static_cast<size_t>(last_used)] == 0) --last_used;
  int shift = 0;
  if (hi - lo > (kBins - 2) * bin_width) {  // skip the doublings that cannot suffice
    shift = std::max(0, static_cast<int>(std::floor(std::log2((hi - lo) / ((kBins - 2) * bin_width)))));
  }
  for (;; ++shift) {
    const double width = std::ldexp(bin_width, shift);
    const int64_t first = std::min(floor_shift(first_bin, shift), bin_index(lo, width));
    const int64_t last = std::max(floor_shift(first_bin + last_used, shift), bin_index(hi, width));
    if (last - first >= kBins) continue;
    if (shift == 0 && first == first_bin) return;
    std::vector<uint64_t> merged(kBins, 0);
    for (int64_t i = 0; i <= last_used; ++i) {
      const int64_t j = std::clamp<int64_t>(floor_shift(first_bin + i, shift) - first, 0, kBins - 1);
      merged[static_cast<size_t>(j)] += counts[static_cast<size_t>(i)];
    }
    counts = std::move(merged);
    bin_width = width;
    first_bin = first;
    return;
  }
}

ModelFingerprint fingerprint_bytes(std::span<const uint8_t> bytes) {
  uLong crc = ::crc32(0L, Z_NULL, 0);
  // zlib takes lengths as uInt: feed large buffers in pieces.
  for (size_t offset = 0; offset < bytes.size();) {
    const size_t n = std::min<size_t>(bytes.size() - offset, 1u << 30);
    crc = ::crc32(crc, bytes.data() + offset, static_cast<uInt>(n));
    offset += n;
  }
  return {bytes.size(), static_cast<uint32_t>(crc)};
}

std::string to_string(const ModelFingerprint& f) { return fmt::format("size {}, crc32 0x{:08x}", f.size, f.crc32); }

const TensorStats* CalibrationStats::find(int32_t index) const {
  auto it = std::lower_bound(tensors.begin(), tensors.end(), index,
                             [](const TensorStats& t, int32_t i) { return t.index < i; });
  return it != tensors.end() && it->index == index ? &*it : nullptr;
}

const TensorStats* CalibrationStats::find(const std::string& name) const {
  for (const TensorStats& t : tensors) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------
// JSON file. Schema (version 1):
// {
//   "format": "tfcompress-calibration-stats", "version": 1,
//   "model": {"size": N, "crc32": N},
//   "subgraph": 0, "num_samples": N, "batch_size": 1, "momentum": 0.999,
//   "tensors": [ {"index": 3, "name": "...", "count": N, "non_finite": N,
//                 "min": x, "max": x, "ema_min": x, "ema_max": x, "batches": N,
//                 "histogram": {"bin_width": x, "first_bin": N, "counts": [...]}} ]
// }
// Counts are written up to the last non-zero bin (the window starts at the min,
// so there are no leading zeros); tensors are identified by index and name.
// min/max are omitted when count is 0 (JSON has no infinities).
namespace {

constexpr const char* kFormatName = "tfcompress-calibration-stats";

json histogram_to_json(const Histogram& h) {
  json j{{"bin_width", h.bin_width}, {"first_bin", h.first_bin}};
  size_t n = h.counts.size();
  while (n > 0 && h.counts[n - 1] == 0) --n;
  j["counts"] = std::vector<uint64_t>(h.counts.begin(), h.counts.begin() + static_cast<ptrdiff_t>(n));
  return j;
}

json tensor_to_json(const TensorStats& t) {
  json j{{"index", t.index},       {"name", t.name},          {"count", t.count()},
         {"non_finite", t.non_finite}, {"batches", t.batches}};
  if (t.count() > 0) {
    j["min"] = t.min();
    j["max"] = t.max();
    j["ema_min"] = t.ema_min;
    j["ema_max"] = t.ema_max;
  }
  j["histogram"] = histogram_to_json(t.histogram);
  return j;
}

// Field access that reports the JSON path of whatever is missing or mistyped.
template <typename T>
Expected<T> get(const json& j, const char* key, const std::string& where) {
  if (!j.is_object() || !j.contains(key)) return invalid_argument("{}: missing field '{}'", where, key);
  const json& v = j.at(key);
  if constexpr (std::is_same_v<T, std::string>) {
    if (!v.is_string()) return invalid_argument("{}: field '{}' must be a string", where, key);
  } else if constexpr (std::is_floating_point_v<T>) {
    if (!v.is_number()) return invalid_argument("{}: field '{}' must be a number", where, key);
  } else if constexpr (std::is_unsigned_v<T>) {
    if (!v.is_number_unsigned()) return invalid_argument("{}: field '{}' must be a non-negative integer", where, key);
    if (v.get<uint64_t>() > std::numeric_limits<T>::max()) return invalid_argument("{}: field '{}' is out of range", where, key);
  } else {
    if (!v.is_number_integer()) return invalid_argument("{}: field '{}' must be an integer", where, key);
    const bool fits = v.is_number_unsigned()
                          ? v.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<T>::max())
                          : v.get<int64_t>() >= std::numeric_limits<T>::min() &&
                                v.get<int64_t>() <= std::numeric_limits<T>::max();
    if (!fits) return invalid_argument("{}: field '{}' is out of range", where, key);
  }
  return v.get<T>();
}

Expected<Histogram> histogram_from_json(const json& j, const std::string& where) {
  Histogram h;
  TFC_ASSIGN_OR_RETURN(h.bin_width, get<double>(j, "bin_width", where));
  TFC_ASSIGN_OR_RETURN(h.first_bin, get<int64_t>(j, "first_bin", where));
  if (!j.contains("counts") || !j["counts"].is_array()) return invalid_argument("{}: 'counts' must be an array", where);
  const json& counts = j["counts"];
  if (!std::isfinite(h.bin_width) || h.bin_width < 0) return invalid_argument("{}: bad bin_width {}", where, h.bin_width);
  if (counts.size() > static_cast<size_t>(kBins)) {
    return invalid_argument("{}: {} counts, at most {} bins", where, counts.size(), kBins);
  }
  if (h.bin_width == 0 && !counts.empty()) return invalid_argument("{}: counts without a bin width", where);
  if (h.bin_width > 0) {
    h.counts.assign(kBins, 0);
    for (size_t i = 0; i < counts.size(); ++i) {
      if (!counts[i].is_number_unsigned()) return invalid_argument("{}: count {} must be a non-negative integer", where, i);
      h.counts[i] = counts[i].get<uint64_t>();
    }
  }
  return h;
}

Expected<TensorStats> tensor_from_json(const json& j, size_t position) {
  std::string where = fmt::format("tensors[{}]", position);
  TensorStats t;
  TFC_ASSIGN_OR_RETURN(t.index, get<int32_t>(j, "index", where));
  TFC_ASSIGN_OR_RETURN(t.name, get<std::string>(j, "name", where));
  where += fmt::format(" ('{}')", t.name);
  TFC_ASSIGN_OR_RETURN(uint64_t count, get<uint64_t>(j, "count", where));
  TFC_ASSIGN_OR_RETURN(t.non_finite, get<uint64_t>(j, "non_finite", where));
  TFC_ASSIGN_OR_RETURN(t.batches, get<uint64_t>(j, "batches", where));
  if (!j.contains("histogram")) return invalid_argument("{}: missing field 'histogram'", where);
  TFC_ASSIGN_OR_RETURN(t.histogram, histogram_from_json(j["histogram"], where + ".histogram"));
  t.histogram.total = count;
  if (count > 0) {
    TFC_ASSIGN_OR_RETURN(t.histogram.min, get<double>(j, "min", where));
    TFC_ASSIGN_OR_RETURN(t.histogram.max, get<double>(j, "max", where));
    TFC_ASSIGN_OR_RETURN(t.ema_min, get<double>(j, "ema_min", where));
    TFC_ASSIGN_OR_RETURN(t.ema_max, get<double>(j, "ema_max", where));
    if (!(t.min() <= t.max())) return invalid_argument("{}: min {} > max {}", where, t.min(), t.max());
  }
  if (t.histogram.has_bins()) {
    uint64_t sum = 0;
    for (uint64_t c : t.histogram.counts) sum += c;
    if (sum != count) return invalid_argument("{}: histogram holds {} values, count is {}", where, sum, count);
    if (t.min() == t.max()) return invalid_argument("{}: histogram bins for a single value", where);
  }
  return t;
}

Expected<CalibrationStats> stats_from_json(const json& j) {
  const std::string top = "top level";
  TFC_ASSIGN_OR_RETURN(std::string format, get<std::string>(j, "format", top));
  if (format != kFormatName) return invalid_argument("not a calibration stats file (format '{}')", format);
  TFC_ASSIGN_OR_RETURN(int version, get<int>(j, "version", top));
  if (version != kStatsFormatVersion) {
    return invalid_argument("calibration stats version {} is not supported (this build reads version {})", version,
                            kStatsFormatVersion);
  }
  CalibrationStats s;
  if (!j.contains("model")) return invalid_argument("missing field 'model'");
  TFC_ASSIGN_OR_RETURN(s.model.size, get<uint64_t>(j["model"], "size", "model"));
  TFC_ASSIGN_OR_RETURN(s.model.crc32, get<uint32_t>(j["model"], "crc32", "model"));
  TFC_ASSIGN_OR_RETURN(s.subgraph, get<int32_t>(j, "subgraph", top));
  TFC_ASSIGN_OR_RETURN(s.num_samples, get<int64_t>(j, "num_samples", top));
  TFC_ASSIGN_OR_RETURN(s.batch_size, get<int32_t>(j, "batch_size", top));
  TFC_ASSIGN_OR_RETURN(s.momentum, get<double>(j, "momentum", top));
  if (!j.contains("tensors") || !j["tensors"].is_array()) return invalid_argument("'tensors' must be an array");
  for (size_t i = 0; i < j["tensors"].size(); ++i) {
    TFC_ASSIGN_OR_RETURN(TensorStats t, tensor_from_json(j["tensors"][i], i));
    if (!s.tensors.empty() && t.index <= s.tensors.back().index) {
      return invalid_argument("tensors[{}] ('{}'): index {} is not in increasing order", i, t.name, t.index);
    }
    s.tensors.push_back(std::move(t));
  }
  return s;
}

}  // namespace

Status save_stats(const std::string& path, const CalibrationStats& stats) {
  json j{{"format", kFormatName},
         {"version", kStatsFormatVersion},
         {"model", {{"size", stats.model.size}, {"crc32", stats.model.crc32}}},
         {"subgraph", stats.subgraph},
         {"num_samples", stats.num_samples},
         {"batch_size", stats.batch_size},
         {"momentum", stats.momentum}};
  j["tensors"] = json::array();
  for (const TensorStats& t : stats.tensors) j["tensors"].push_back(tensor_to_json(t));
  const std::string text = j.dump(1) + "\n";
  const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
  return io::write_file_durable(path, std::span<const uint8_t>(bytes, text.size()))
      .with_context("writing calibration stats");
}

Expected<CalibrationStats> load_stats(const std::string& path) {
  TFC_ASSIGN_OR_RETURN(const json j, io::read_json_file(path, "calibration stats"));
  auto stats = stats_from_json(j);
  if (!stats) return stats.status().with_context(path);
  return stats;
}

Status check_fingerprint(const CalibrationStats& stats, const ModelFingerprint& model) {
  if (stats.model == model) return Status::ok();
  return invalid_argument(
      "calibration stats were recorded on a different model ({}; this model: {}); run calibration again",
      to_string(stats.model), to_string(model));
}

Expected<CalibrationStats> load_stats(const std::string& path, const ModelFingerprint& model) {
  TFC_ASSIGN_OR_RETURN(CalibrationStats stats, load_stats(path));
  TFC_RETURN_IF_ERROR(check_fingerprint(stats, model).with_context(path));
  return stats;
}

}  // namespace tfc::calibration
