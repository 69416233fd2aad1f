// What an imported Keras model needs for training beside its inference IR.
// The inference IR equals the converter's output: BatchNormalization folded
// into the conv/dense before it (or lowered to MUL+ADD where nothing precedes
// it to fold into), Dropout and the noise layers gone. Each record here says
// where that happened, by IR tensor name (names are stable across passes that
// renumber tensors), with the original values, so the trainer can rebuild the
// training-mode graph (batch statistics, moving-average updates, dropout) and
// the export pass can fold again. docs/ARCHITECTURE.md, "Import".
#pragma once

#include <string>
#include <vector>

#include "core/array.h"

namespace tfc::importers {

struct BatchNormRecord {
  std::string layer;          // Keras layer name
  std::string scope;          // this call's tensor name prefix ("model/layer"; a second call "model/layer_1")
  std::string output;         // IR tensor holding the BN's result (the fused op's output)
  std::string input;          // IR tensor the BN read (before folding); "" when folded into a producer
  std::string folded_into;    // IR op output tensor whose weights absorbed it; "" when lowered to MUL+ADD
  std::string folded_weights; // IR constant tensor of the folded kernel; "" when not folded
  std::string folded_bias;    // IR constant tensor of the folded bias; "" when not folded
  int axis = -1;
  float epsilon = 1e-3f;
  float momentum = 0.99f;
  bool center = true, scale = true;
  Array gamma, beta, moving_mean, moving_variance;  // float32, one value per channel
  Array kernel, bias;  // the producer's weights before folding (empty when not folded; bias may be empty)
};

// Dropout, SpatialDropout*, GaussianNoise, GaussianDropout, AlphaDropout: identity
// at inference, active in training.
struct DropoutRecord {
  std::string layer;       // Keras layer name
  std::string class_name;  // e.g. "Dropout", "SpatialDropout2D", "GaussianNoise"
  std::string tensor;      // IR tensor the layer applies to (its input = its output at inference)
  float rate = 0.0f;       // drop rate, or the noise stddev for GaussianNoise
  std::vector<int> noise_shape;  // empty: the input's shape
};

struct TrainingState {
  std::vector<BatchNormRecord> batch_norms;
  std::vector<DropoutRecord> dropouts;
  // Constant tensors that are trainable Keras variables (kernel, bias, gamma...), by IR name.
  std::vector<std::string> trainable;
};

}  // namespace tfc::importers
