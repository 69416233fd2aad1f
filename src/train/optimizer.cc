// SGD, Adam and AdamW over float32 buffers (see optimizer.h for the formulas).
#include "train/optimizer.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include <fmt/ranges.h>

namespace tfc::train {
namespace {

constexpr std::string_view kIterations = "iterations";

class Sgd final : public Optimizer {
 public:
  using Optimizer::Optimizer;

 protected:
  std::vector<std::string> slot_names() const override {
    if (options().momentum == 0) return {};
    return {"momentum"};
  }

  void update(const ParamSlot& param, const float* grad, float lr, int64_t /*t*/,
              std::span<std::vector<float>> slots) override {
    float* w = param.value;  // (size)
    if (slots.empty()) {
      for (int64_t i = 0; i < param.size; ++i) w[i] -= grad[i] * lr;
      return;
    }
    const auto momentum = static_cast<float>(options().momentum);
    float* m = slots[0].data();  // (size)
    for (int64_t i = 0; i < param.size; ++i) {
      m[i] = m[i] * momentum - grad[i] * lr;
      w[i] += options().nesterov ? m[i] * momentum - grad[i] * lr : m[i];
    }
  }
};

class Adam final : public Optimizer {
 public:
  using Optimizer::Optimizer;

 protected:
  std::vector<std::string> slot_names() const override {
    if (options().amsgrad) return {"momentum", "velocity", "velocity_hat"};
    return {"momentum", "velocity"};
  }

  void update(const ParamSlot& param, const float* grad, float lr, int64_t t,
              std::span<std::vector<float>> slots) override {
    const OptimizerOptions& o = options();
    const float beta1_power = std::pow(static_cast<float>(o.beta1), static_cast<float>(t));
    const float beta2_power = std::pow(static_cast<float>(o.beta2), static_cast<float>(t));
    const float alpha = lr * std::sqrt(1 - beta2_power) / (1 - beta1_power);
    const auto one_minus_beta1 = static_cast<float>(1 - o.beta1);
    const auto one_minus_beta2 = static_cast<float>(1 - o.beta2);
    const auto epsilon = static_cast<float>(o.epsilon);
    float* w = param.value;       // (size)
    float* m = slots[0].data();   // (size)
    float* v = slots[1].data();   // (size)
    float* v_hat = o.amsgrad ? slots[2].data() : nullptr;  // (size)
    for (int64_t i = 0; i < param.size; ++i) {
      m[i] += (grad[i] - m[i]) * one_minus_beta1;
      v[i] += (grad[i] * grad[i] - v[i]) * one_minus_beta2;
      float v_used = v[i];
      if (v_hat) v_used = v_hat[i] = std::max(v_hat[i], v[i]);
      w[i] -= (m[i] * alpha) / (std::sqrt(v_used) + epsilon);
    }
  }
};

Status check_range(std::string_view name, double value, double lo, double hi, bool hi_open) {
  if (std::isfinite(value) && value >= lo && (hi_open ? value < hi : value <= hi)) return Status::ok();
  return invalid_argument("optimizer: {} = {} is outside [{}, {}{}", name, value, lo, hi, hi_open ? ")" : "]");
}

Status check_options(const OptimizerOptions& o) {
  const double inf = HUGE_VAL;
  TFC_RETURN_IF_ERROR(check_range("momentum", o.momentum, 0, 1, false));
  TFC_RETURN_IF_ERROR(check_range("beta1", o.beta1, 0, 1, true));
  TFC_RETURN_IF_ERROR(check_range("beta2", o.beta2, 0, 1, true));
  TFC_RETURN_IF_ERROR(check_range("epsilon", o.epsilon, 0, inf, true));
  TFC_RETURN_IF_ERROR(check_range("weight_decay", o.weight_decay.value_or(0), 0, inf, true));
  TFC_RETURN_IF_ERROR(check_range("clipnorm", o.clipnorm, 0, inf, true));
  TFC_RETURN_IF_ERROR(check_range("global_clipnorm", o.global_clipnorm, 0, inf, true));
  TFC_RETURN_IF_ERROR(check_range("clipvalue", o.clipvalue, 0, inf, true));
  if ((o.clipnorm > 0) + (o.global_clipnorm > 0) + (o.clipvalue > 0) > 1)
    return invalid_argument("optimizer: only one of clipnorm ({}), global_clipnorm ({}) and clipvalue ({}) can be set",
                            o.clipnorm, o.global_clipnorm, o.clipvalue);
  const bool sgd = o.kind == OptimizerKind::kSgd;
  if (sgd && o.amsgrad) return invalid_argument("optimizer sgd: amsgrad applies to adam and adamw");
  if (!sgd && (o.momentum != 0 || o.nesterov))
    return invalid_argument("optimizer adam: momentum and nesterov apply to sgd (adam's first moment is beta1)");
  return Status::ok();
}

}  // namespace

Expected<OptimizerKind> parse_optimizer_kind(std::string_view name) {
  if (name == "sgd") return OptimizerKind::kSgd;
  if (name == "adam") return OptimizerKind::kAdam;
  if (name == "adamw") return OptimizerKind::kAdamW;
  return invalid_argument("unknown optimizer '{}' (sgd, adam, adamw)", name);
}

Status Optimizer::validate(std::span<const ParamSlot> params, double lr) {
  if (!std::isfinite(lr) || lr < 0)
    return invalid_argument("optimizer: learning rate {} is not a finite value >= 0", lr);
  names_.clear();
  for (const ParamSlot& p : params) names_.push_back(p.name);
  std::sort(names_.begin(), names_.end());
  const auto twice = std::adjacent_find(names_.begin(), names_.end());
  if (twice != names_.end()) return invalid_argument("optimizer: parameter '{}' given twice", *twice);
  for (const ParamSlot& p : params) {
    if (!p.value || !p.grad || p.size < 0)
      return invalid_argument("optimizer: parameter '{}' has no value or gradient buffer, or size {}", p.name, p.size);
    auto it = slots_.find(p.name);
    if (it != slots_.end() && !it->second.empty() && static_cast<int64_t>(it->second[0].size()) != p.size)
      return invalid_argument("optimizer: parameter '{}' has {} values, its state {}", p.name, p.size,
                              it->second[0].size());
  }
  return Status::ok();
}

float Optimizer::global_clip_scale(std::span<const ParamSlot> params) const {
  const double clip = options_.global_clipnorm;
  if (clip <= 0) return 1;
  double sum = 0;
  for (const ParamSlot& p : params)
    for (int64_t i = 0; i < p.size; ++i) sum += static_cast<double>(p.grad[i]) * p.grad[i];
  const double norm = std::sqrt(sum);
  // Keras's clip_by_global_norm: 1 / 0 = inf picks 1 / clip; a norm that is
  // not finite makes the scale NaN through (norm - norm).
  return static_cast<float>(clip * std::min(1 / norm, 1 / clip) + (norm - norm));
}

const float* Optimizer::clipped(const ParamSlot& p, float global_scale, std::vector<float>& scratch) const {
  const OptimizerOptions& o = options_;
  if (o.clipnorm <= 0 && o.global_clipnorm <= 0 && o.clipvalue <= 0) return p.grad;
  scratch.resize(p.size);
  if (o.global_clipnorm > 0) {
    for (int64_t i = 0; i < p.size; ++i) scratch[i] = p.grad[i] * global_scale;
  } else if (o.clipvalue > 0) {
    const auto v = static_cast<float>(o.clipvalue);
    for (int64_t i = 0; i < p.size; ++i) scratch[i] = std::clamp(p.grad[i], -v, v);
  } else {
    double sum = 0;
    for (int64_t i = 0; i < p.size; ++i) sum += static_cast<double>(p.grad[i]) * p.grad[i];
    const double divisor = std::max(std::sqrt(sum), o.clipnorm);
    for (int64_t i = 0; i < p.size; ++i) scratch[i] = static_cast<float>(p.grad[i] * o.clipnorm / divisor);
  }
  return scratch.data();
}

bool Optimizer::decays(const std::string& name) const {
  return std::none_of(options_.no_weight_decay.begin(), options_.no_weight_decay.end(),
                      [&](const std::string& s) { return name.find(s) != std::string::npos; });
}

Status Optimizer::step(std::span<const ParamSlot> params, double lr) {
  TFC_RETURN_IF_ERROR(validate(params, lr));
  const float global_scale = global_clip_scale(params);
  const auto lr_f = static_cast<float>(lr);
  const auto decay = static_cast<float>(options_.weight_decay.value_or(0));
  if (!counted_slots_) {
    num_slots_ = slot_names().size();
    counted_slots_ = true;
  }
  const size_t num_slots = num_slots_;
  for (const ParamSlot& p : params) {
    const float* grad = clipped(p, global_scale, scratch_);
    if (decay > 0 && decays(p.name))
      for (int64_t i = 0; i < p.size; ++i) p.value[i] = p.value[i] - p.value[i] * decay * lr_f;
    auto& slots = slots_[p.name];
    if (slots.size() != num_slots) slots.assign(num_slots, std::vector<float>(p.size, 0.0f));
    update(p, grad, lr_f, iterations_ + 1, slots);
  }
  ++iterations_;
  return Status::ok();
}

std::vector<NamedArray> Optimizer::state() const {
  std::vector<NamedArray> out;
  Array it{DType::kInt64, {}, std::vector<uint8_t>(sizeof(int64_t))};
  std::memcpy(it.data.data(), &iterations_, sizeof(int64_t));
  out.push_back({std::string(kIterations), std::move(it)});
  const std::vector<std::string> names = slot_names();
  for (const auto& [param, slots] : slots_) {
    for (size_t s = 0; s < slots.size(); ++s) {
      Array a{DType::kFloat32, {static_cast<int64_t>(slots[s].size())}, {}};
      a.data.resize(slots[s].size() * sizeof(float));
      std::memcpy(a.data.data(), slots[s].data(), a.data.size());
      out.push_back({param + "/" + names[s], std::move(a)});
    }
  }
  return out;
}

Status Optimizer::load_state(const std::vector<NamedArray>& state) {
  const std::vector<std::string> names = slot_names();
  std::map<std::string, std::vector<std::vector<float>>> slots;
  std::optional<int64_t> iterations;
  for (const NamedArray& na : state) {
    const Array& a = na.array;
    if (na.name == kIterations) {
      if (a.dtype != DType::kInt64 || a.num_elements() != 1 || a.data.size() != sizeof(int64_t))
        return invalid_argument("optimizer state: 'iterations' must be one int64, got {}", dtype_name(a.dtype));
      iterations = 0;
      std::memcpy(&*iterations, a.data.data(), sizeof(int64_t));
      if (*iterations < 0) return invalid_argument("optimizer state: iterations = {}", *iterations);
      continue;
    }
    const size_t slash = na.name.rfind('/');
    const std::string slot = slash == std::string::npos ? std::string() : na.name.substr(slash + 1);
    const auto index = std::find(names.begin(), names.end(), slot) - names.begin();
    if (index == static_cast<ptrdiff_t>(names.size()))
      return invalid_argument("optimizer state: '{}' is not a slot of this optimizer ({})", na.name,
                              names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", ")));
    if (a.dtype != DType::kFloat32 || a.data.size() != static_cast<size_t>(a.num_elements()) * sizeof(float))
      return invalid_argument("optimizer state: '{}' is {} of {} bytes, float32 expected", na.name,
                              dtype_name(a.dtype), a.data.size());
    auto& param_slots = slots[na.name.substr(0, slash)];
    param_slots.resize(names.size());
    param_slots[index].resize(a.num_elements());
    std::memcpy(param_slots[index].data(), a.data.data(), a.data.size());
  }
  if (!iterations) return invalid_argument("optimizer state: no 'iterations'");
  for (const auto& [param, param_slots] : slots) {
    for (size_t s = 0; s < names.size(); ++s) {
      // A slot that never appeared is empty (unless the parameter is empty too).
      if (param_slots[s].size() != param_slots[0].size())
        return invalid_argument("optimizer state: '{}/{}' has {} values, '{}/{}' {}", param, names[s],
                                param_slots[s].size(), param, names[0], param_slots[0].size());
    }
  }
  slots_ = std::move(slots);
  iterations_ = *iterations;
  return Status::ok();
}

Expected<std::unique_ptr<Optimizer>> make_optimizer(const OptimizerOptions& options) {
  TFC_RETURN_IF_ERROR(check_options(options));
  OptimizerOptions o = options;
  if (!o.weight_decay) o.weight_decay = o.kind == OptimizerKind::kAdamW ? 0.004 : 0.0;
  if (o.kind == OptimizerKind::kSgd) return std::unique_ptr<Optimizer>(std::make_unique<Sgd>(std::move(o)));
  return std::unique_ptr<Optimizer>(std::make_unique<Adam>(std::move(o)));
}

}  // namespace tfc::train
