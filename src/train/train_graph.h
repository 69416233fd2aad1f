// The training graph: an inference IR model turned into what the trainer
// executes (train/executor.h) and the way back to an inference model.
//
// build_train_graph copies the model's subgraph 0 and
//  - makes every trainable constant a float32 parameter: float32 weights,
//    biases, PReLU slopes, normalization parameters, and float16 (or bfloat16)
//    weights behind DEQUANTIZE (the DEQUANTIZE is dropped; the parameter
//    remembers its stored dtype so that export writes it back in it);
//    shape operands, indices, axes and the like never are;
//  - with TrainingState (Keras/SavedModel imports), rebuilds each
//    BatchNormalization in training mode: the producer gets its pre-fold
//    kernel and bias back (its fused activation moves after the normalization),
//    and the normalization is the op sequence of batch statistics
//    (MEAN over all axes but the channel, SQUARED_DIFFERENCE, MEAN, ADD eps,
//    RSQRT, MUL gamma, ...), whose batch mean and variance tensors are recorded
//    for the moving-average update; gamma and beta are parameters;
//  - inserts each Dropout-family layer as MUL (and ADD for GaussianNoise /
//    AlphaDropout) by a noise tensor that is an extra graph input the trainer
//    fills every step (TrainGraph::noise);
//  - re-batches: the data input's batch dimension becomes `batch`, and
//    constant shape operands that pinned the old batch (RESHAPE's new shape,
//    ...) are rewritten, so that a batch of N computes what N batch-1 runs do;
//  - freezes parameters whose name matches any of `freeze` (glob: * and ?).
// export_inference writes the trained values back into a copy of the
// original inference model: parameters in their stored dtype, BatchNorm
// folded again with the moving statistics exactly as the importer folds.
#pragma once

#include <string>
#include <vector>

#include "core/array.h"
#include "core/status.h"
#include "importers/training_state.h"
#include "ir/graph.h"

namespace tfc::train {

struct TrainGraphOptions {
  int64_t batch = 1;                  // batch size the training graph is built for
  std::vector<std::string> freeze;    // glob patterns of parameter names kept fixed
};

struct Parameter {
  std::string name;              // IR tensor name (as in the inference model)
  ir::TensorId tensor;           // float32 constant in TrainGraph::model (the trainer points it at its buffer)
  DType stored_dtype;            // dtype in the inference model (float32, float16, bfloat16)
  bool frozen = false;
};

struct BatchNormTraining {
  std::string layer;
  ir::TensorId batch_mean;       // [C] tensors the forward pass computes
  ir::TensorId batch_variance;   // biased variance, as Keras's moving-variance update uses
  float momentum = 0.99f;
  Array moving_mean, moving_variance;  // updated by the trainer: m = m * momentum + batch * (1 - momentum)
};

struct NoiseInput {
  std::string layer;
  std::string class_name;        // Dropout, SpatialDropout2D, GaussianNoise, GaussianDropout, AlphaDropout
  ir::TensorId tensor;           // graph input the trainer fills before each forward pass
  float rate = 0;                // drop rate (or stddev for GaussianNoise)
  bool additive = false;         // ADD (GaussianNoise, AlphaDropout's shift) vs MUL
};

struct TrainGraph {
  ir::Model model;                       // subgraph 0: inputs = the model's inputs, then the noise inputs
  int num_data_inputs = 0;               // the first inputs are the model's own
  std::vector<Parameter> params;
  std::vector<BatchNormTraining> batch_norms;
  std::vector<NoiseInput> noise;
};

Expected<TrainGraph> build_train_graph(const ir::Model& inference, const importers::TrainingState* state,
                                       const TrainGraphOptions& options);

// The inference model with the trained parameter values (`values[i]` for
// `graph.params[i]`, float32) and moving statistics of `graph`.
Expected<ir::Model> export_inference(const ir::Model& inference, const importers::TrainingState* state,
                                     const TrainGraph& graph, const std::vector<Array>& values);

}  // namespace tfc::train
