// Learning-rate schedules and their CLI syntax (see schedule.h).
#include "train/schedule.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <numbers>
#include <string>

namespace tfc::train {
namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    const size_t end = s.find(sep, start);
    parts.push_back(s.substr(start, end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

template <typename T>
Expected<T> parse_number(std::string_view text, std::string_view what, std::string_view spec) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty())
    return invalid_argument("schedule '{}': {} '{}' is not a number", spec, what, text);
  return value;
}

template <typename T>
Expected<std::vector<T>> parse_list(std::string_view text, std::string_view what, std::string_view spec) {
  std::vector<T> values;
  for (std::string_view part : split(text, ',')) {
    TFC_ASSIGN_OR_RETURN(T v, parse_number<T>(part, what, spec));
    values.push_back(v);
  }
  return values;
}

// One "name:args" part that is not the warm-up, into `o`.
Status parse_decay(std::string_view part, std::string_view spec, int64_t total_steps, ScheduleOptions& o) {
  const std::vector<std::string_view> f = split(part, ':');
  const std::string_view name = f[0];
  const size_t args = f.size() - 1;
  if (name == "constant" && args == 0) return Status::ok();
  if ((name == "step" || name == "exp") && args == 2) {
    o.decay = DecayKind::kExponential;
    o.staircase = name == "step";
    TFC_ASSIGN_OR_RETURN(o.decay_steps, parse_number<int64_t>(f[1], "decay steps", spec));
    TFC_ASSIGN_OR_RETURN(o.decay_rate, parse_number<double>(f[2], "decay rate", spec));
    return Status::ok();
  }
  if (name == "piecewise" && args == 2) {
    o.decay = DecayKind::kPiecewise;
    TFC_ASSIGN_OR_RETURN(o.boundaries, parse_list<int64_t>(f[1], "boundary", spec));
    TFC_ASSIGN_OR_RETURN(o.factors, parse_list<double>(f[2], "factor", spec));
    return Status::ok();
  }
  if (name == "cosine" && args <= 2) {
    o.decay = DecayKind::kCosine;
    o.decay_steps = total_steps - o.warmup_steps;
    if (args >= 1) {
      TFC_ASSIGN_OR_RETURN(o.decay_steps, parse_number<int64_t>(f[1], "decay steps", spec));
    }
    if (args == 2) {
      TFC_ASSIGN_OR_RETURN(o.alpha, parse_number<double>(f[2], "alpha", spec));
    }
    if (args == 0 && o.decay_steps <= 0)
      return invalid_argument("schedule '{}': cosine needs its length: cosine:STEPS, or the number of training steps",
                              spec);
    return Status::ok();
  }
  return invalid_argument(
      "schedule '{}': '{}' is not constant, step:EVERY:RATE, exp:EVERY:RATE, piecewise:B1,..:F0,F1,.., "
      "cosine[:STEPS[:ALPHA]] or warmup:STEPS[:FROM][+...]",
      spec, part);
}

Status parse_warmup(std::string_view part, std::string_view spec, ScheduleOptions& o) {
  const std::vector<std::string_view> f = split(part, ':');
  if (f[0] != "warmup" || f.size() < 2 || f.size() > 3)
    return invalid_argument("schedule '{}': warm-up is warmup:STEPS[:FROM]", spec);
  TFC_ASSIGN_OR_RETURN(o.warmup_steps, parse_number<int64_t>(f[1], "warm-up steps", spec));
  if (f.size() == 3) {
    TFC_ASSIGN_OR_RETURN(o.warmup_from, parse_number<double>(f[2], "warm-up start", spec));
  }
  return Status::ok();
}

Status check_finite(std::string_view what, double v) {
  if (std::isfinite(v) && v >= 0) return Status::ok();
  return invalid_argument("schedule: {} = {} is not a finite value >= 0", what, v);
}

}  // namespace

Expected<LrSchedule> LrSchedule::make(const ScheduleOptions& o) {
  TFC_RETURN_IF_ERROR(check_finite("base learning rate", o.base_lr));
  TFC_RETURN_IF_ERROR(check_finite("warm-up start", o.warmup_from));
  TFC_RETURN_IF_ERROR(check_finite("decay rate", o.decay_rate));
  if (o.warmup_steps < 0) return invalid_argument("schedule: warm-up steps = {} is negative", o.warmup_steps);
  const bool needs_steps = o.decay == DecayKind::kExponential || o.decay == DecayKind::kCosine;
  if (needs_steps && o.decay_steps <= 0)
    return invalid_argument("schedule: decay steps = {} (must be > 0)", o.decay_steps);
  if (o.decay == DecayKind::kCosine && !(o.alpha >= 0 && o.alpha <= 1))
    return invalid_argument("schedule: cosine alpha = {} is outside [0, 1]", o.alpha);
  if (o.decay == DecayKind::kPiecewise) {
    if (o.boundaries.empty() || o.factors.size() != o.boundaries.size() + 1)
      return invalid_argument("schedule: piecewise has {} boundaries and {} factors (one more factor than boundaries)",
                              o.boundaries.size(), o.factors.size());
    if (o.boundaries[0] < 0 || std::adjacent_find(o.boundaries.begin(), o.boundaries.end(),
                                                  std::greater_equal<>()) != o.boundaries.end())
      return invalid_argument("schedule: piecewise boundaries must increase from 0 or more");
    for (double f : o.factors) TFC_RETURN_IF_ERROR(check_finite("piecewise factor", f));
  }
  return LrSchedule(o);
}

double LrSchedule::decayed(int64_t step) const {
  const ScheduleOptions& o = options_;
  const auto s = static_cast<double>(step);
  switch (o.decay) {
    case DecayKind::kConstant: return o.base_lr;
    case DecayKind::kExponential: {
      const double p = o.staircase ? static_cast<double>(step / o.decay_steps) : s / o.decay_steps;
      return o.base_lr * std::pow(o.decay_rate, p);
    }
    case DecayKind::kPiecewise: {
      const auto past = std::lower_bound(o.boundaries.begin(), o.boundaries.end(), step) - o.boundaries.begin();
      return o.base_lr * o.factors[past];
    }
    case DecayKind::kCosine: {
      const double fraction = std::min(s, static_cast<double>(o.decay_steps)) / o.decay_steps;
      const double cosine = 0.5 * (1 + std::cos(std::numbers::pi * fraction));
      return o.base_lr * ((1 - o.alpha) * cosine + o.alpha);
    }
  }
  return o.base_lr;
}

double LrSchedule::lr(int64_t step) const {
  step = std::max<int64_t>(step, 0);
  const ScheduleOptions& o = options_;
  if (step < o.warmup_steps) {
    const double start = o.warmup_from * o.base_lr;
    return (o.base_lr - start) * (static_cast<double>(step) / o.warmup_steps) + start;
  }
  return decayed(step - o.warmup_steps);
}

Expected<LrSchedule> parse_schedule(std::string_view spec, double base_lr, int64_t total_steps) {
  ScheduleOptions o;
  o.base_lr = base_lr;
  const std::vector<std::string_view> parts = split(spec, '+');
  const bool warmup = parts[0].starts_with("warmup");
  if (parts.size() > 2 || (parts.size() == 2 && !warmup))
    return invalid_argument("schedule '{}': at most a warm-up and one schedule (warmup:STEPS+DECAY)", spec);
  if (warmup) TFC_RETURN_IF_ERROR(parse_warmup(parts[0], spec, o));
  if (!warmup || parts.size() == 2) TFC_RETURN_IF_ERROR(parse_decay(parts.back(), spec, total_steps, o));
  return LrSchedule::make(o);
}

}  // namespace tfc::train
