// Running models over a dataset in batches: the one loop that calibration,
// per-layer debugging (analysis/layer_error), bias correction and evaluation
// share. It cuts the samples into batches, turns each batch into every
// model's input (reshaped, float samples quantized for an integer input),
// invokes the models in turn and hands each batch to the caller, who reads
// outputs or tensor values. Also the batch size a model's input fixes.
// Not here: loading data (io/dataset.h), what is done with the values.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "core/array.h"
#include "core/progress.h"
#include "core/status.h"
#include "ir/graph.h"
#include "runtime/interpreter.h"

namespace tfc::runtime {

// The batch size a model's single input fixes: its first dim when the shape
// signature does not mark it dynamic (-1) and it is above 1 (some converted
// models reshape with a constant batch), else 1.
int64_t fixed_batch_size(const ir::Model& model, int subgraph = 0);

// Rows [begin, end) of batch-first `samples` as model input `input` takes
// them: per-sample shapes with the same element count are reshaped to the
// input's (e.g. [28, 28] for [28, 28, 1]), other shapes refused unless the
// input has dynamic dims (set_input decides); float32 samples are quantized
// with the input's parameters, as a QUANTIZE op would, when the input is a
// quantized integer; other dtype mismatches are refused. With `rows` above
// end - begin the batch is filled up with copies of its last sample.
Expected<Array> input_batch(const Array& samples, int64_t begin, int64_t end, int64_t rows, const ir::Tensor& input);

// What to do with samples that do not fill the last batch.
enum class LastBatch {
  kShort,  // run them as a smaller batch
  kDrop,   // leave them out
  kPad,    // fill the batch with copies of its last sample (models with a fixed batch)
};

struct Batch {
  int64_t begin = 0;  // samples [begin, end) of the dataset
  int64_t end = 0;
  int64_t rows = 0;   // rows fed to the models: end - begin, more when padded
};

struct DatasetRunOptions {
  int64_t batch_size = 1;
  int64_t max_samples = 0;  // 0: every sample
  LastBatch last_batch = LastBatch::kShort;
  std::string what = "dataset";  // errors say "<what> samples [b, e)"
  std::vector<std::string> model_names;  // errors name the model when several run ("float model")
  std::string progress_label;  // a progress bar on stderr when not empty
  ProgressMode progress = ProgressMode::kAuto;
};

// Feeds input 0 of every interpreter in `models` (each with one input) the
// same samples, batch by batch; after all of them ran a batch,
// `after_invoke` sees it. Errors name the samples and the model.
Status run_dataset(std::span<Interpreter* const> models, const Array& samples, const DatasetRunOptions& options,
                   const std::function<Status(const Batch&)>& after_invoke = {});

}  // namespace tfc::runtime
