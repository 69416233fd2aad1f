// Datasets for calibration and evaluation: samples `x` (batch first) and
// optional labels `y`, loaded from an .npz/.npy file or IDX files, plus
// helpers that cut samples out as batch-first Arrays.
// Not: shuffling, batching policy, preprocessing or normalisation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/array.h"
#include "core/status.h"

namespace tfc {

struct Dataset {
  Array x;                // [num_samples, ...]
  std::optional<Array> y; // [num_samples, ...] when present
  int64_t num_samples() const { return x.shape.empty() ? 0 : x.shape[0]; }
};

// `spec` is one of:
//   DATA.npz                    arrays "x" and optional "y" (other arrays ignored)
//   DATA.npy                    samples only
//   IMAGES.idx[.gz],LABELS.idx[.gz]   an IDX image/label pair
//   IMAGES.idx[.gz]             IDX samples only
// x must have rank >= 1 and at least one sample; y, when present, must have
// as many rows as x.
Expected<Dataset> load_dataset(const std::string& spec);

// Rows [begin, end) of a batch-first array: shape [end - begin, ...].
Expected<Array> slice_batch(const Array& array, int64_t begin, int64_t end);
// Row `index` as a batch of one: shape [1, ...].
Expected<Array> take_sample(const Array& array, int64_t index);

}  // namespace tfc
