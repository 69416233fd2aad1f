// The trainer: one training step at a time over a TrainGraph — noise inputs
// drawn, forward, loss on output 0, backward, optimizer update, moving
// statistics of training-mode batch normalization — plus re-initialization,
// export to an inference model and the state a checkpoint holds.
// The epoch loop, validation, checkpoints and the CLI are in train/fit.h.
#pragma once

#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/array.h"
#include "core/status.h"
#include "importers/training_state.h"
#include "train/executor.h"
#include "train/loss.h"
#include "train/optimizer.h"
#include "train/train_graph.h"

namespace tfc::train {

struct TrainerOptions {
  int64_t batch = 32;
  std::vector<std::string> freeze;  // glob patterns of parameter names
  LossOptions loss;
  uint64_t seed = 0;                // noise (dropout) and re-initialization
  bool reinit = false;              // Keras's default initializers instead of the model's weights
  ExecutorOptions executor;         // fast path and oneDNN threads
};

struct StepResult {
  double loss = 0;
  int64_t correct = 0;     // top-1 correct samples
  bool classified = false;  // whether output and labels are a classifier's (correct is meaningful)
  int64_t samples = 0;
};

class Trainer {
 public:
  // `inference` and `state` must outlive the trainer.
  static Expected<std::unique_ptr<Trainer>> create(const ir::Model& inference, const importers::TrainingState* state,
                                                   const TrainerOptions& options, std::unique_ptr<Optimizer> optimizer);

  // Forward, loss, backward and update with learning rate `lr` on one batch.
  Expected<StepResult> step(const std::vector<Array>& inputs, const Array& labels, double lr);
  // Forward, loss and backward only: the parameters' gradients stay in params().
  Expected<StepResult> gradients(const std::vector<Array>& inputs, const Array& labels);

  // The inference model with the current values (float16 weights written back
  // as float16, batch normalization folded with its moving statistics).
  Expected<ir::Model> export_model() const;

  const std::vector<ParamBuffer>& params() const { return executor_->params(); }
  // The noise each noise input got in the last step, by layer name.
  std::vector<NamedArray> last_noise() const;
  const TrainGraph& graph() const { return graph_; }
  // The model's own inputs (the noise inputs follow them in the graph).
  std::vector<const ir::Tensor*> data_inputs() const;
  const LossOptions& loss_options() const { return options_.loss; }
  int64_t steps_done() const { return steps_; }

  // Everything a checkpoint needs to continue exactly: parameters, optimizer
  // state, moving statistics, step count.
  std::vector<NamedArray> state() const;
  Status load_state(const std::vector<NamedArray>& state);

 private:
  Trainer(const ir::Model& inference, const importers::TrainingState* state, const TrainerOptions& options)
      : inference_(inference), state_(state), options_(options) {}
  Status feed(const std::vector<Array>& inputs);
  Expected<StepResult> forward_backward(const std::vector<Array>& inputs, const Array& labels);
  void reinitialize();
  void update_moving_statistics();

  const ir::Model& inference_;
  const importers::TrainingState* state_;
  TrainerOptions options_;
  TrainGraph graph_;
  std::unique_ptr<Executor> executor_;
  std::unique_ptr<Optimizer> optimizer_;
  std::vector<ParamSlot> slots_;  // the trainable parameters' buffers, as the optimizer takes them
  LossScratch loss_scratch_;
  std::vector<Array> noise_;
  int64_t steps_ = 0;
};

// A float32 array of `shape` holding a copy of `data` (zeros when nullptr).
Array float_array(const ir::Shape& shape, const float* data);
// An int64 scalar, as checkpoints store counters; the value of the one named
// `name` in `arrays` (none when missing or not an int64 scalar).
Array int64_scalar(int64_t value);
std::optional<int64_t> find_int64(const std::vector<NamedArray>& arrays, const std::string& name);

}  // namespace tfc::train
