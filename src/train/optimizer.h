// Optimizers over float32 parameter buffers: SGD (momentum, Nesterov), Adam
// (AMSGrad optional) and AdamW, with Keras 3's gradient clipping and weight
// decay, and their state as named arrays for checkpoints.
// Not here: the learning-rate schedule (train/schedule.h: the trainer passes
// lr(iterations()) to each step), gradient accumulation, EMA of weights.
//
// One step, as keras.optimizers.Optimizer.apply does it, in float32:
//  1. clip the gradients (at most one of): clipnorm, per tensor:
//     g * clipnorm / max(||g||, clipnorm); global_clipnorm: every g times
//     clip * min(1 / ||all g||, 1 / clip) (NaN when that norm is not finite);
//     clipvalue: clamp(g, -v, v);
//  2. weight decay, decoupled and before the update, for parameters whose name
//     contains none of `no_weight_decay` (Keras's exclude_from_weight_decay):
//     w = w - w * weight_decay * lr;
//  3. the update (t = iterations() + 1):
//     SGD:   momentum 0:  w = w - lr g
//            otherwise:   m = momentum m - lr g;  w = w + m (Nesterov: w = w + momentum m - lr g)
//     Adam:  m = m + (g - m)(1 - beta1);  v = v + (g^2 - v)(1 - beta2);
//            AMSGrad: v_hat = max(v_hat, v), used as v below;
//            w = w - m alpha / (sqrt(v) + epsilon),  alpha = lr sqrt(1 - beta2^t) / (1 - beta1^t)
//     AdamW: Adam whose weight_decay defaults to 0.004 (as Keras's AdamW).
//  4. iterations() grows by one.
// Plain sequential loops: the same inputs give the same bits.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/array.h"
#include "core/status.h"

namespace tfc::train {

// One trainable parameter: `size` float32 values and their gradient.
struct ParamSlot {
  std::string name;      // unique within a step; names the optimizer state
  float* value = nullptr;
  const float* grad = nullptr;
  int64_t size = 0;
};

enum class OptimizerKind { kSgd, kAdam, kAdamW };

struct OptimizerOptions {
  OptimizerKind kind = OptimizerKind::kAdam;
  double momentum = 0;                      // SGD, in [0, 1]
  bool nesterov = false;                    // SGD
  double beta1 = 0.9;                       // Adam, AdamW
  double beta2 = 0.999;
  double epsilon = 1e-7;
  bool amsgrad = false;
  std::optional<double> weight_decay;       // unset: 0 (SGD, Adam), 0.004 (AdamW)
  std::vector<std::string> no_weight_decay; // substrings of parameter names kept from weight decay, e.g. "bias"
  double clipnorm = 0;                      // 0 = off; at most one of the three
  double global_clipnorm = 0;
  double clipvalue = 0;
};

// "sgd", "adam", "adamw".
Expected<OptimizerKind> parse_optimizer_kind(std::string_view name);

class Optimizer {
 public:
  explicit Optimizer(OptimizerOptions options) : options_(std::move(options)) {}
  virtual ~Optimizer() = default;

  // Updates every parameter of `params` from its gradient with learning rate
  // `lr`. Parameters seen for the first time get zero state. Refused before
  // anything changes: a null buffer, a negative size, a repeated name, a size
  // that differs from the parameter's state, lr negative or not finite.
  // After the first step with these parameters, nothing is allocated.
  Status step(std::span<const ParamSlot> params, double lr);

  // Steps taken (Keras's `iterations`; the schedule's step for the next one).
  int64_t iterations() const { return iterations_; }
  const OptimizerOptions& options() const { return options_; }

  // "iterations" (int64 scalar) and, for each parameter seen and each of its
  // slots, "<param>/<slot>" (float32 [size]); slots are "momentum" (SGD with
  // momentum, Adam's first moment), "velocity" and "velocity_hat" (AMSGrad).
  std::vector<NamedArray> state() const;
  // Replaces the state with one state() wrote (for an optimizer of the same
  // kind and settings); refused, leaving the state as it was, when a slot is
  // unknown, missing, or not float32 of a consistent size.
  Status load_state(const std::vector<NamedArray>& state);

 protected:
  // The slots each parameter keeps, in order.
  virtual std::vector<std::string> slot_names() const = 0;
  // Step 3 for one parameter: `grad` clipped, `slots` as slot_names(), each
  // of param.size values; `t` = iterations() + 1.
  virtual void update(const ParamSlot& param, const float* grad, float lr, int64_t t,
                      std::span<std::vector<float>> slots) = 0;

 private:
  Status validate(std::span<const ParamSlot> params, double lr);
  // Step 1: the factor global_clipnorm scales every gradient by (1 when off),
  // then one parameter's clipped gradient (`scratch` holds it unless no
  // clipping applies and the gradient itself is returned).
  float global_clip_scale(std::span<const ParamSlot> params) const;
  const float* clipped(const ParamSlot& param, float global_scale, std::vector<float>& scratch) const;
  bool decays(const std::string& name) const;

  OptimizerOptions options_;
  int64_t iterations_ = 0;
  std::map<std::string, std::vector<std::vector<float>>> slots_;  // parameter name -> slots
  // Kept from step to step, so that a step after the first allocates nothing.
  std::vector<std::string_view> names_;  // validate()'s sorted parameter names
  std::vector<float> scratch_;           // a clipped gradient
  size_t num_slots_ = 0;                 // slot_names().size()
  bool counted_slots_ = false;
};

// Checks the settings (ranges, at most one clipping) and builds the optimizer.
Expected<std::unique_ptr<Optimizer>> make_optimizer(const OptimizerOptions& options);

}  // namespace tfc::train
