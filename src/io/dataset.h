// Data files, read the one way every command reads them (`run --input`,
// `--data` of baseline/eval/debug, `quantize --representative/--validation`):
// the arrays matched to a model's inputs, plus optional labels, from an
// .npz/.npy file or IDX files; helpers that cut samples out as batch-first
// Arrays.
// Not: shuffling, batching policy (runtime/dataset_runner.h), preprocessing
// or normalisation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/array.h"
#include "core/status.h"

namespace tfc {

struct Dataset {
  Array x;                // [num_samples, ...]
  std::optional<Array> y; // [num_samples, ...] when present
  int64_t num_samples() const { return x.shape.empty() ? 0 : x.shape[0]; }
};

// The arrays of `spec` for a model's inputs (named `input_names`, in the
// model's order; none: one unnamed input) and its labels. `spec` is one of:
//   DATA.npz                    each input: the array named like it; else,
//                               for one input, the array "x" or the only
//                               array besides "y"; else the arrays besides
//                               "y" in input order when there are as many.
//                               Labels: array "y", which is an input only
//                               when an input is named "y".
//   DATA.npy                    one input's samples
//   IMAGES.idx[.gz],LABELS.idx[.gz]   an IDX image/label pair (a spec with a
//                               comma that is not itself an existing file)
//   IMAGES.idx[.gz]             IDX samples only
// A file's format is told by its content (.npy and .npz signatures, IDX's
// leading zero bytes, gzip for a gzipped IDX file), whatever its name; only a
// missing or unrecognised file is taken by name (.npz; "idx" or "ubyte" in
// the name: IDX; else .npy), so that reader names what is wrong.
// An .npz that fits none of these is refused with one message, naming its
// arrays and the inputs.
struct DataArrays {
  std::vector<Array> inputs;     // one per input name (one when none are given)
  std::optional<Array> labels;
};
Expected<DataArrays> read_data_arrays(const std::string& spec, const std::vector<std::string>& input_names);

// A dataset for a model with one input named `input_name` ("" when unknown),
// by read_data_arrays' rules. x must have rank >= 1 and at least one sample;
// y, when present, must have as many rows as x.
Expected<Dataset> load_dataset(const std::string& spec, const std::string& input_name = "");

// Rows [begin, end) of a batch-first array: shape [end - begin, ...].
Expected<Array> slice_batch(const Array& array, int64_t begin, int64_t end);
// Row `index` as a batch of one: shape [1, ...].
Expected<Array> take_sample(const Array& array, int64_t index);

}  // namespace tfc
