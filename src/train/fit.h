// The training loop: epochs of steps over a data::Loader with a learning-rate
// schedule, validation after each epoch on the exported inference model (the
// runtime's fast kernels: what deployment computes), the best model kept,
// checkpoints that let an interrupted run resume exactly, early stopping,
// a progress bar, and a stop on a non-finite loss that names the step.
#pragma once

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "core/progress.h"
#include "core/status.h"
#include "data/loader.h"
#include "train/schedule.h"
#include "train/trainer.h"

namespace tfc::train {

struct FitOptions {
  int64_t epochs = 1;
  int64_t max_steps = 0;          // 0: no limit; else stop after this many steps in all
  float input_scale = 1.0f;       // integer data fed to a float input: x * scale + offset
  float input_offset = 0.0f;
  std::string checkpoint_dir;     // "": no checkpoints
  bool resume = false;            // continue from checkpoint_dir's checkpoint
  int64_t early_stopping = 0;     // stop after this many epochs without a better validation loss (0: never)
  int threads = 1;                // runtime threads for validation
  ProgressMode progress = ProgressMode::kAuto;
  const std::atomic<bool>* interrupt = nullptr;  // set (e.g. by SIGINT) to stop after the current step
};

struct EpochRecord {
  int64_t epoch = 0;
  double train_loss = 0;
  std::optional<double> train_accuracy;
  std::optional<double> val_loss, val_accuracy;
  double seconds = 0;
};

struct FitResult {
  int64_t steps = 0;                  // steps taken by this run
  std::vector<double> step_losses;    // loss of each of them
  std::vector<EpochRecord> epochs;    // completed epochs
  int64_t best_epoch = -1;            // epoch whose model `best` is (lowest validation loss; without validation: the last)
  ir::Model best;
  double samples_per_second = 0;      // training steps only
  bool stopped_early = false;
  bool interrupted = false;
  std::string checkpoint;             // path of the last checkpoint written ("" when none)
};

// Batches of `train` (and `val`, when given) must match the trainer's model
// inputs (per-sample shapes with the same element count are reshaped).
Expected<FitResult> fit(Trainer& trainer, data::Loader& train, data::Loader* val, const LrSchedule& schedule,
                        const FitOptions& options);

// One batch as the model's inputs: each data input reshaped to the model
// input's per-sample shape and converted to its dtype (integer data to float
// as x * scale + offset).
Expected<std::vector<Array>> model_inputs(const data::Batch& batch, const std::vector<const ir::Tensor*>& inputs,
                                          float scale, float offset);
// The same into `out`, reusing its arrays' buffers (after a first full batch,
// nothing is allocated): what fit does each step.
Status model_inputs_into(const data::Batch& batch, const std::vector<const ir::Tensor*>& inputs, float scale,
                         float offset, std::vector<Array>& out);

}  // namespace tfc::train
