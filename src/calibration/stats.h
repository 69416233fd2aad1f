// Calibration statistics: what the observer records per float32 activation
// tensor (count, min/max, a growing 2048-bin histogram, moving-average min/max)
// and their JSON file, fingerprinted to the model they were recorded on, so that
// another range method can be tried without running the model again.
// Not here: recording (observer.h), choosing clipping ranges (ranges.h).
// Free of IR types: tensors are named by their index in the subgraph and name.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"

namespace tfc::calibration {

// A histogram of finite values in kNumBins bins of equal width whose range grows
// as values arrive. The rule:
//  - Bin edges are integer multiples of `bin_width` (so 0 is always an edge and
//    folding into |x| is exact); bin i covers
//    [(first_bin + i) * bin_width, (first_bin + i + 1) * bin_width).
//  - Until two distinct values have been seen there are no bins (bin_width 0):
//    all `total` values equal `min`.
//  - The first spread [min, max] sets bin_width = (max - min) / (kNumBins - 2)
//    and the window starts at the bin holding min.
//  - When a value falls outside the window, bin_width doubles (each pair of
//    adjacent bins, aligned on multiples of the new width, merges exactly, with
//    no interpolation) as often as needed for [min, max] to fit, and the window
//    moves to start at the bin holding the new min.
// The resolution is thus at worst half of a fresh histogram's over the same
// range, and results depend only on the values and the first spread seen.
struct Histogram {
  static constexpr int kNumBins = 2048;

  double bin_width = 0;
  int64_t first_bin = 0;
  std::vector<uint64_t> counts;  // [kNumBins] once bin_width > 0, else empty
  double min = 0, max = 0;       // of all values added (meaningful when total > 0)
  uint64_t total = 0;            // finite values added

  // Adds the finite values among `values`; returns how many were not finite
  // (NaN, +-inf), which are not recorded.
  uint64_t add(std::span<const float> values);

  double bin_lower(int i) const { return static_cast<double>(first_bin + i) * bin_width; }
  bool has_bins() const { return bin_width > 0; }
  bool operator==(const Histogram&) const = default;

 private:
  void start_bins(double lo, double hi);
  void cover(double lo, double hi);
};

// Statistics of one activation tensor of the calibrated subgraph.
struct TensorStats {
  int32_t index = 0;          // tensor id in the subgraph
  std::string name;
  Histogram histogram;        // also holds count (total), min and max
  uint64_t non_finite = 0;    // NaN/inf values seen (not in the histogram)
  // Moving-average range over batches, as TensorFlow's quantization-aware
  // training defines it (tf.contrib.quantize / TFMOT MovingAvgQuantize): per
  // batch r_min = min(batch_min, 0), r_max = max(batch_max, 0) (0 stays in the
  // range), then an exponential moving average with decay `momentum`, debiased
  // as tf.train.assign_moving_average(zero_debias=True) does:
  //   b_t = momentum * b_{t-1} + (1 - momentum) * r_t,  b_0 = 0,  ema = b_t / (1 - momentum^t)
  // so the result does not depend on an initial value (TF's -6/6 initializer).
  double ema_min = 0, ema_max = 0;
  uint64_t batches = 0;       // batches with at least one finite value

  uint64_t count() const { return histogram.total; }
  double min() const { return histogram.min; }
  double max() const { return histogram.max; }
  bool operator==(const TensorStats&) const = default;
};

// Identifies the model the statistics belong to: size and zlib CRC-32 of its
// canonical serialization (io::serialize_tflite, deterministic; equal to the
// file for models tfcompress wrote).
struct ModelFingerprint {
  uint64_t size = 0;
  uint32_t crc32 = 0;
  bool operator==(const ModelFingerprint&) const = default;
};
ModelFingerprint fingerprint_bytes(std::span<const uint8_t> bytes);
std::string to_string(const ModelFingerprint& f);  // "size 1234, crc32 0x89abcdef"

struct CalibrationStats {
  ModelFingerprint model;
  int32_t subgraph = 0;
  int64_t num_samples = 0;
  int32_t batch_size = 1;
  double momentum = 0.999;
  std::vector<TensorStats> tensors;  // sorted by index

  const TensorStats* find(int32_t index) const;
  const TensorStats* find(const std::string& name) const;
  bool operator==(const CalibrationStats&) const = default;
};

// The JSON schema version written by save_stats and accepted by load_stats.
constexpr int kStatsFormatVersion = 1;

// Writes `stats` as JSON, atomically (temporary file, fsync, rename).
Status save_stats(const std::string& path, const CalibrationStats& stats);
// Reads statistics written by save_stats; every field is checked.
Expected<CalibrationStats> load_stats(const std::string& path);
// Same, and refuses (InvalidArgument) statistics recorded on another model.
Expected<CalibrationStats> load_stats(const std::string& path, const ModelFingerprint& model);
// InvalidArgument unless `stats` were recorded on the model with fingerprint `model`.
Status check_fingerprint(const CalibrationStats& stats, const ModelFingerprint& model);

}  // namespace tfc::calibration
