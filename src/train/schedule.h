// Learning-rate schedules: a function of the optimizer step (Optimizer::
// iterations(), 0 for the first update) built from a CLI string.
// Not here: the optimizer (train/optimizer.h), per-epoch callbacks.
//
// With base = the base learning rate (--lr) and s = step:
//   constant     base
//   exponential  base * rate^(s / every), staircase: base * rate^floor(s / every)
//                (keras.optimizers.schedules.ExponentialDecay)
//   piecewise    base * f0 for s <= b1, base * fi for b_i < s <= b_{i+1}, base * fk for s > bk
//                (PiecewiseConstantDecay with values base * f)
//   cosine       base * ((1 - alpha) * 0.5 * (1 + cos(pi * min(s, D) / D)) + alpha)   (CosineDecay)
// A linear warm-up of W steps goes in front of any of them, as CosineDecay's
// warmup_target / warmup_steps do: for s < W the rate is
//   start + (base - start) * s / W,   start = from * base,
// and from s = W on the decay above runs with s - W.
//
// The string (parse_schedule), parts separated by ':':
//   constant
//   step:EVERY:RATE               staircase exponential, e.g. step:30:0.1 (x0.1 every 30 steps)
//   exp:EVERY:RATE                smooth exponential
//   piecewise:B1,...,Bk:F0,...,Fk boundaries and the k + 1 factors of base, e.g. piecewise:1000,2000:1,0.1,0.01
//   cosine[:D[:ALPHA]]            D defaults to total_steps - W; ALPHA to 0
//   warmup:W[:FROM]               a warm-up alone (then constant); FROM defaults to 0
//   warmup:W[:FROM]+DECAY         a warm-up, then one of the above, e.g. warmup:500+cosine
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace tfc::train {

enum class DecayKind { kConstant, kExponential, kPiecewise, kCosine };

struct ScheduleOptions {
  double base_lr = 1e-3;
  DecayKind decay = DecayKind::kConstant;
  int64_t decay_steps = 0;           // exponential: every; cosine: D (> 0)
  double decay_rate = 1;             // exponential
  bool staircase = false;            // exponential
  std::vector<int64_t> boundaries;   // piecewise, increasing
  std::vector<double> factors;       // piecewise, boundaries.size() + 1 multipliers of base_lr
  double alpha = 0;                  // cosine: the final rate as a fraction of base_lr
  int64_t warmup_steps = 0;          // W
  double warmup_from = 0;            // the warm-up's first rate as a fraction of base_lr
};

class LrSchedule {
 public:
  // Checks the options (finite, non-negative, steps > 0 where they divide).
  static Expected<LrSchedule> make(const ScheduleOptions& options);

  // The learning rate for the update at `step` (negative steps count as 0).
  double lr(int64_t step) const;
  const ScheduleOptions& options() const { return options_; }

 private:
  explicit LrSchedule(ScheduleOptions options) : options_(std::move(options)) {}
  double decayed(int64_t step) const;  // the schedule after the warm-up, step counted from its end

  ScheduleOptions options_;
};

// The schedule `spec` describes (syntax above) for base rate `base_lr`;
// `total_steps` (the training's number of updates, 0 if unknown) gives
// cosine's default length.
Expected<LrSchedule> parse_schedule(std::string_view spec, double base_lr, int64_t total_steps);

}  // namespace tfc::train
