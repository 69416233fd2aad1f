// The arithmetic of fold-batchnorm (fold_batchnorm.cc), shared with what folds
// a batch norm outside the pass: the Keras importer's inference constants and
// the trainer's export (train/train_graph.h), so that each folds exactly as
// the pass does.
// Not here: the pass itself (passes.h, fold_batch_norms).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "ir/graph.h"

namespace tfc::passes {

// Inference BatchNormalization as x * scale + shift, per channel:
// scale = gamma / sqrt(variance + epsilon), shift = beta - mean * scale (float32).
struct BatchNormAffine {
  std::vector<float> scale, shift;
};
BatchNormAffine batch_norm_affine(const std::vector<float>& gamma, const std::vector<float>& beta,
                                  const std::vector<float>& mean, const std::vector<float>& variance, float epsilon);

// Folds a MUL / DIV by, or an ADD / SUB of, constant `k` (one value, or one
// per channel) that follows a weighted op into its `weights` (output channels
// along axis 0, or the last axis when `channels_last`) and `bias` (one value
// per channel; zeros for an op without bias): what fold-batchnorm computes.
void fold_channel_constant(std::vector<float>& weights, std::vector<float>& bias, bool channels_last, int32_t builtin,
                           const std::vector<float>& k);

// For CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED and TRANSPOSE_CONV: the
// input positions of the weights and the bias, and whether the weights'
// output channels are their last axis; nullopt for other ops.
struct WeightsLayout {
  size_t weights = 1, bias = 2;
  bool channels_last = false;
};
std::optional<WeightsLayout> weights_layout(int32_t builtin);

// Gives that op (at `index` of `subgraph`) a new float32 bias constant holding
// `bias`, named from `base`, as fold-batchnorm does (TRANSPOSE_CONV then needs
// version 3).
Status give_bias(ir::Model& model, int subgraph, int index, const std::string& base, const std::vector<float>& bias);

}  // namespace tfc::passes
