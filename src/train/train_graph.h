// The training graph: an inference IR model turned into what the trainer
// executes (train/executor.h) and the way back to an inference model.
//
// build_train_graph copies the model and, in its subgraph 0:
//  - turns each DEQUANTIZE of a dense float16 constant (the converter's
//    float16 weights) into a float32 constant named as the float16 one; the
//    parameter remembers its stored dtype so that export writes it back
//    rounded to float16 (bfloat16 weights stay: DEQUANTIZE has no bfloat16
//    kernel here);
//  - re-batches: every input's dim 0 becomes `batch`, constant operands that
//    spell out the old batch (RESHAPE's shape, TRANSPOSE_CONV's output shape,
//    BROADCAST_TO's shape, SLICE's size, STRIDED_SLICE's end) are rewritten and
//    every shape is inferred again by the ops' own rules; an op that moves or
//    reduces the batch dim is refused (Unsupported), so a batch of N computes
//    exactly what N batch-1 runs of the original model do;
//  - with TrainingState (Keras imports), rebuilds each BatchNormalization in
//    training mode (train_batchnorm.cc has Keras 3's formula): where it was
//    folded, the producer gets its pre-fold kernel and bias back as parameters
//    named as the folded tensors, and its fused activation moves after the
//    normalization; where it was a MUL / ADD, those go. Batch statistics are
//    MEAN over all axes but the channel, SQUARED_DIFFERENCE, MEAN (biased
//    variance), then ADD epsilon, RSQRT, MUL gamma, MUL, MUL, SUB beta (NEG
//    without beta), ADD; gamma and beta are parameters "<scope>/gamma" and
//    "<scope>/beta" (scope: the layer's tensor prefix, "model/layer"). A layer
//    whose gamma and beta all match a freeze pattern normalizes with its moving
//    statistics (as Keras does for a non-trainable layer; batch_mean is then
//    kNoTensor). A layer called twice shares gamma, beta and the restored
//    kernel across its calls; each call has its own batch statistics;
//  - with TrainingState, inserts each Dropout-family layer as a MUL by (or ADD
//    of) a noise tensor that is an extra graph input the trainer fills every
//    step (TrainGraph::noise; values: train_noise.cc). AlphaDropout has two
//    inputs, its MUL's then its ADD's, both from one mask;
//  - collects the parameters, in order of first use; each is a float32
//    constant with a buffer of its own:
//      with TrainingState: the constants its `trainable` list names (Keras's
//        trainable variables, folded kernels and biases), plus gamma / beta;
//      without (a .tflite): the float32 constant operands (dense, not
//        quantized) of float ops at these places: CONV_2D, DEPTHWISE_CONV_2D
//        and FULLY_CONNECTED weights and bias, TRANSPOSE_CONV weights and bias,
//        either BATCH_MATMUL operand, PRELU's slope, GATHER's params (an
//        embedding), and an ADD / SUB / MUL / DIV operand of more than one
//        element (per-channel normalization and rescaling). One-element
//        constants (epsilons, scalar rescaling), PADV2 / clip / compare values
//        and every integer operand (shapes, axes, indices, paddings) are not;
//      a constant several ops read (a layer called twice, or equal constants
//        the converter or importer merged, e.g. equal zero biases) is one
//        parameter for all of them;
//  - freezes parameters whose name matches any of `freeze` (fnmatch globs: *
//    and ? match any characters, '/' included).
// export_inference writes the trained values back into a copy of the
// original inference model: parameters in their stored dtype, each batch norm
// folded again with its moving statistics by the arithmetic of
// passes/fold_batchnorm.h (as the importer folds), noise gone.
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
  std::string name;              // IR tensor name (as in the inference model; gamma / beta: "<scope>/gamma")
  ir::TensorId tensor = ir::kNoTensor;  // float32 constant in TrainGraph::model, with a buffer of its own
  DType stored_dtype = DType::kFloat32;  // dtype in the inference model (float32 or float16)
  bool frozen = false;
};

struct BatchNormTraining {
  std::string layer;
  int record = -1;               // index into TrainingState::batch_norms
  ir::TensorId batch_mean = ir::kNoTensor;  // C-element tensors the forward pass computes (shape [1, .., C, .., 1]);
  ir::TensorId batch_variance = ir::kNoTensor;  // biased variance, as Keras's moving-variance update uses; both kNoTensor
                                 // when the layer is frozen (then it normalizes with the moving statistics)
  float momentum = 0.99f;
  Array moving_mean, moving_variance;  // updated by the trainer: m = m * momentum + batch * (1 - momentum)
  // A layer called more than once has one entry per call; each later call
  // names its first call's entry here, whose moving statistics it updates (as
  // Keras does, once per call in call order); -1 for a first call.
  int moving_of = -1;
  // Parameter names: gamma and beta ("" when scale / center is off), and where
  // the batch norm was folded, the producer's restored kernel and bias ("" when
  // it had none).
  std::string gamma, beta, kernel, bias;
};

struct NoiseInput {
  std::string layer;
  std::string class_name;        // Dropout, SpatialDropout1D/2D/3D, GaussianNoise, GaussianDropout, AlphaDropout
  ir::TensorId tensor = ir::kNoTensor;  // graph input the trainer fills before each forward pass, in the shape it has
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
// `graph.params[i]`, float32, as many values as the parameter) and moving
// statistics of `graph`; `state` must be the one the graph was built with.
// Its ops are the inference model's (a batch norm whose shift or scale the
// importer skipped as the identity gets its ADD / MUL or bias back when it
// no longer is).
Expected<ir::Model> export_inference(const ir::Model& inference, const importers::TrainingState* state,
                                     const TrainGraph& graph, const std::vector<Array>& values);

}  // namespace tfc::train
