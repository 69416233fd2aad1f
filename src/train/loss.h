// Training losses on float buffers: the value Keras 3's loss classes compute
// (reduction "sum_over_batch_size") and its gradient with respect to the
// prediction, plus top-1 and binary accuracy counts.
// Not here: graph code (the trainer feeds the model's output buffer in and the
// gradient buffer back into the backward pass), sample weights, label smoothing.
//
// Shapes: pred is [..., C] (C = the last dim, the class axis); its leading dims
// are the R = elements / C "rows" (samples, or pixels of a segmentation map).
// Every loss reduces the class axis first (sum for the cross entropies and KL,
// mean for BCE and MSE, as keras.losses does) and then takes the mean over the
// R rows. With N = pred elements, row r, class c, eps = 1e-7:
//  - kSparseCrossEntropy, target: class ids [R] or [R,1] (int32, int64, uint8,
//    or integral float32/float64), each in [0, C).
//      from_logits: loss_r = logsumexp(x_r) - x_r[y];  grad = (softmax(x_r) - onehot(y)) / R.
//      probabilities (Keras: clip, log, then the logits formula):
//        q = clip(p, eps, 1 - eps);  loss_r = log(sum_c q_rc) - log(q_r[y]).
//  - kCrossEntropy, target [..., C] float (one-hot or a distribution).
//      from_logits: loss_r = sum_c t_c * (logsumexp(x_r) - x_c);
//        grad = (softmax(x_r) * sum_c t_c - t) / R (Keras's TF kernel drops the
//        sum_c t_c factor; the two agree for targets that sum to 1).
//      probabilities: q = clip(p / sum_c p, eps, 1 - eps);  loss_r = -sum_c t_c log q_c.
//  - kBinaryCrossEntropy, target same shape as pred (0/1 or soft labels):
//      from_logits: max(x, 0) - x t + log(1 + exp(-|x|)), grad (sigmoid(x) - t) / N;
//      probabilities: q = clip(p, eps, 1 - eps), -(t log q + (1 - t) log(1 - q)).
//  - kMse: (p - t)^2, grad 2 (p - t) / N.
//  - kKlDivergence, target same shape as pred:
//      probabilities (keras.losses.KLDivergence; temperature must be 1):
//        loss_r = sum_c clip(t, eps, 1) * log(clip(t, eps, 1) / clip(p, eps, 1)).
//      from_logits (distillation: target = teacher logits, pred = student logits,
//      temperature T): P = softmax(target_r / T), Q = softmax(pred_r / T),
//        loss_r = T^2 * sum_c P_c (log P_c - log Q_c),  grad = T (Q - P) / R.
// Clipping happens in float32 with the bounds float32 holds (1 - eps rounds to
// 1 - 2^-23), as in Keras, which computes in float32; the gradient of a clipped
// element is 0 (as tf.clip_by_value's), of one on the bound passes through.
// Everything else is computed in double. The target may also differ from pred's
// shape by a trailing dim of 1 ([N] against [N,1]) where it must match pred.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/array.h"
#include "core/status.h"
#include "ir/graph.h"

namespace tfc::train {

enum class LossKind { kSparseCrossEntropy, kCrossEntropy, kBinaryCrossEntropy, kMse, kKlDivergence };

struct LossOptions {
  LossKind kind = LossKind::kSparseCrossEntropy;
  bool from_logits = false;  // false: pred are probabilities (a graph ending in SOFTMAX or LOGISTIC)
  float temperature = 1;     // kKlDivergence from logits only
};

// "sparse_categorical_crossentropy" (or "sparse_ce"), "categorical_crossentropy"
// ("ce"), "binary_crossentropy" ("bce"), "mse", "kld" (Keras's names and short forms).
Expected<LossKind> parse_loss_kind(std::string_view name);
std::string_view loss_kind_name(LossKind kind);

// Buffers compute_loss and count_top1_correct reuse from call to call: after
// a call on the largest batch, nothing is allocated (without one, each call
// allocates its own).
struct LossScratch {
  std::vector<double> target;     // dense targets as double
  std::vector<int64_t> labels;    // class ids
  std::vector<double> row, row2;  // one row's values
  std::vector<uint8_t> passes;    // one row's clip flags
};

// The mean loss over the rows of the batch; when grad != nullptr, writes
// dLoss/dpred into it (pred's shape; overwritten, not accumulated).
Expected<double> compute_loss(const LossOptions& options, const float* pred, const ir::Shape& pred_shape,
                              const Array& target, float* grad, LossScratch* scratch = nullptr);

// Rows whose largest prediction (the first, on ties) is at the label: labels
// are class ids as for kSparseCrossEntropy or [..., C] one-hot/scores (their
// argmax is the label). C >= 2.
Expected<int64_t> count_top1_correct(const float* pred, const ir::Shape& pred_shape, const Array& labels,
                                     LossScratch* scratch = nullptr);

// Elements where (pred > threshold) equals (label > 0.5), labels shaped as pred
// (Keras's binary_accuracy; threshold 0.5 for probabilities, 0 for logits).
Expected<int64_t> count_binary_correct(const float* pred, const ir::Shape& pred_shape, const Array& labels,
                                       float threshold);

}  // namespace tfc::train
