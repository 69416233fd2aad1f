// Calibration for post-training integer quantization: an observer that, attached
// to the interpreter, records statistics (stats.h) of every float32
// activation tensor — the graph inputs and every op output, never constants —
// and `calibrate`, which runs a model over a representative dataset with it.
// Not here: choosing clipping ranges (ranges.h), quantizing the model (later).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "calibration/stats.h"
#include "core/progress.h"
#include "core/status.h"
#include "io/dataset.h"
#include "ir/graph.h"
#include "runtime/interpreter.h"

namespace tfc::calibration {

// Fingerprint of a model: size and CRC-32 of its serialization (see stats.h).
Expected<ModelFingerprint> fingerprint_model(const ir::Model& model);

class ActivationObserver {
 public:
  // Observes the float32 activations of `subgraph` of `model` (which must
  // outlive the observer). `momentum` is the moving-average decay (stats.h).
  ActivationObserver(const ir::Model& model, int subgraph = 0, double momentum = 0.999);

  // Installs the observer on `interp` (built for the same subgraph). From then
  // on each invoke is one batch: the graph inputs are recorded when the first
  // op has run, each op's outputs after it runs. The observer must outlive
  // the interpreter's invokes.
  void attach(runtime::Interpreter& interp);

  // Records one batch of values of tensor `index` (for callers that feed
  // values themselves); tensors that are not observed are ignored.
  void record(int32_t index, std::span<const float> values);

  // The statistics so far; model fingerprint and sample counts are left for
  // the caller to fill in.
  CalibrationStats stats() const;

 private:
  void on_op(const runtime::Interpreter& interp, int op_index, std::span<ops::TensorSlot* const> outputs);

  const ir::Subgraph& graph_;
  int subgraph_;
  double momentum_;
  std::vector<int32_t> slot_of_;       // tensor id -> index into stats_, or -1
  std::vector<TensorStats> stats_;     // sorted by tensor id
  std::vector<double> biased_min_, biased_max_;  // moving averages before debiasing
};

struct CalibrationOptions {
  int32_t batch_size = 1;      // samples per invoke (the last batch may be smaller)
  double momentum = 0.999;     // moving-average decay, as TF's default ema_decay
  int32_t subgraph = 0;
  int64_t max_samples = 0;     // 0: the whole dataset
  ProgressMode progress = ProgressMode::kAuto;  // progress bar on stderr when it is a TTY
  runtime::Kernels kernels = runtime::Kernels::kFast;  // the runtime's kernels that run the model
  kernels::Requantization arithmetic = kernels::kDefaultRequantization;  // InterpreterOptions::arithmetic
};

// Runs `model` on every sample of `representative` (x only; its dtype and
// per-sample shape must be the model's single input's) in batches (of the
// model's fixed batch size when it has one, dropping an incomplete last batch;
// runtime/dataset_runner.h) and returns
// the statistics of every float32 activation, fingerprinted to the model.
Expected<CalibrationStats> calibrate(const ir::Model& model, const Dataset& representative,
                                     const CalibrationOptions& options = {});

}  // namespace tfc::calibration
