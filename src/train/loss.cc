// Training losses and accuracy counts (see loss.h for the formulas).
#include "train/loss.h"

#include <algorithm>
#include <cmath>
#include <span>
#include <string>
#include <vector>

#include <fmt/ranges.h>

namespace tfc::train {
namespace {

// Keras's backend.epsilon() and the clip bounds as float32 holds them.
constexpr float kEps = 1e-7f;
constexpr float kOneMinusEps = static_cast<float>(1.0 - 1e-7);

// pred viewed as `rows` rows of `classes` values.
struct Rows {
  int64_t rows = 0;
  int64_t classes = 0;
  int64_t size() const { return rows * classes; }
};

// A loss's inputs once validated: pred and grad as [rows, classes], dense
// targets converted to double, class ids in range (both in the scratch).
struct LossInputs {
  Rows shape;
  const float* pred = nullptr;
  const double* target = nullptr;   // dense targets, pred's shape
  const int64_t* labels = nullptr;  // class ids, one per row
  float* grad = nullptr;            // may be null
  LossScratch* scratch = nullptr;   // row buffers
};

// The value clipped to [lo, hi] in float32, and whether its gradient passes
// (tf.clip_by_value: zero outside the bounds).
struct Clipped {
  double value;
  bool passes;
};
Clipped clip(float x, float lo, float hi) {
  if (x < lo) return {lo, false};
  if (x > hi) return {hi, false};
  return {x, true};
}

Expected<Rows> rows_of(const ir::Shape& shape, bool needs_class_axis, std::string_view loss) {
  if (shape.empty() || (needs_class_axis && shape.size() < 2))
    return invalid_argument("loss {}: prediction of rank {} has no class axis", loss, shape.size());
  int64_t n = 1;
  for (int32_t d : shape) {
    if (d < 1) return invalid_argument("loss {}: prediction has an empty dim ({})", loss, d);
    n *= d;
  }
  return Rows{n / shape.back(), shape.back()};
}

bool same_dims(std::span<const int64_t> a, std::span<const int32_t> b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](int64_t x, int32_t y) { return x == y; });
}

// `target` has shape `want`, or `want` with a trailing dim of 1 added or dropped.
bool shape_matches(std::span<const int64_t> target, std::span<const int32_t> want) {
  if (same_dims(target, want)) return true;
  if (!want.empty() && want.back() == 1) return same_dims(target, want.first(want.size() - 1));
  return !target.empty() && target.back() == 1 && same_dims(target.first(target.size() - 1), want);
}

// pred's shape without its class axis.
std::span<const int32_t> without_last(const ir::Shape& s) { return std::span<const int32_t>(s).first(s.size() - 1); }

template <typename T>
std::string shape_str(const std::vector<T>& s) {
  return fmt::format("[{}]", fmt::join(s, ","));
}

Status check_data_size(const Array& a, std::string_view loss) {
  const size_t elem = dtype_size(a.dtype);
  if (elem == 0 || a.data.size() != static_cast<size_t>(a.num_elements()) * elem)
    return invalid_argument("loss {}: target of dtype {} and shape {} holds {} bytes", loss, dtype_name(a.dtype),
                            shape_str(a.shape), a.data.size());
  return Status::ok();
}

// a's values into `out` (resized).
Status as_doubles(const Array& a, std::string_view loss, std::vector<double>& out) {
  const int64_t n = a.num_elements();
  out.resize(static_cast<size_t>(n));
  auto copy = [&](auto tag) {
    const auto* src = a.as<decltype(tag)>();
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<double>(src[i]);
  };
  switch (a.dtype) {
    case DType::kFloat32: copy(float{}); break;
    case DType::kFloat64: copy(double{}); break;
    case DType::kInt32: copy(int32_t{}); break;
    case DType::kInt64: copy(int64_t{}); break;
    case DType::kUInt8: copy(uint8_t{}); break;
    case DType::kInt8: copy(int8_t{}); break;
    case DType::kBool: copy(uint8_t{}); break;
    default: return unsupported("loss {}: target dtype {} is not numeric", loss, dtype_name(a.dtype));
  }
  return Status::ok();
}

// a's class ids into `ids` (resized), read through `values`.
Status class_ids(const Array& a, int64_t classes, std::string_view loss, std::vector<double>& values,
                 std::vector<int64_t>& ids) {
  const DType t = a.dtype;
  if (t != DType::kInt32 && t != DType::kInt64 && t != DType::kUInt8 && t != DType::kFloat32 && t != DType::kFloat64)
    return unsupported("loss {}: class ids of dtype {} (int32, int64, uint8 or float expected)", loss, dtype_name(t));
  TFC_RETURN_IF_ERROR(as_doubles(a, loss, values));
  ids.resize(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    const double v = values[i];
    if (!(v >= 0 && v < static_cast<double>(classes)) || v != std::floor(v))
      return invalid_argument("loss {}: label {} at index {} is not a class id in [0, {}) ({} classes)", loss, v, i,
                              classes, classes);
    ids[i] = static_cast<int64_t>(v);
  }
  return Status::ok();
}

Expected<LossInputs> validate(const LossOptions& o, const float* pred, const ir::Shape& pred_shape,
                              const Array& target, float* grad, LossScratch& s) {
  const std::string_view loss = loss_kind_name(o.kind);
  const bool class_axis = o.kind == LossKind::kSparseCrossEntropy || o.kind == LossKind::kCrossEntropy ||
                          o.kind == LossKind::kKlDivergence;
  LossInputs in;
  TFC_ASSIGN_OR_RETURN(in.shape, rows_of(pred_shape, class_axis, loss));
  in.pred = pred;
  in.grad = grad;
  in.scratch = &s;
  const bool distill = o.kind == LossKind::kKlDivergence && o.from_logits;
  if (distill ? !(o.temperature > 0 && std::isfinite(o.temperature)) : o.temperature != 1)
    return invalid_argument("loss {}: temperature {} (a positive temperature applies to kld from logits only)", loss,
                            o.temperature);
  TFC_RETURN_IF_ERROR(check_data_size(target, loss));
  if (o.kind == LossKind::kSparseCrossEntropy) {
    if (!shape_matches(target.shape, without_last(pred_shape)))
      return invalid_argument("loss {}: labels of shape {} for predictions of shape {}", loss,
                              shape_str(target.shape), shape_str(pred_shape));
    TFC_RETURN_IF_ERROR(class_ids(target, in.shape.classes, loss, s.row, s.labels));
    in.labels = s.labels.data();
    return in;
  }
  if (!shape_matches(target.shape, pred_shape))
    return invalid_argument("loss {}: target of shape {} for predictions of shape {}", loss, shape_str(target.shape),
                            shape_str(pred_shape));
  TFC_RETURN_IF_ERROR(as_doubles(target, loss, s.target));
  in.target = s.target.data();
  return in;
}

// Softmax of x / temperature over one row, and its logsumexp.
template <typename T>
double softmax_row(const T* x, int64_t n, double temperature, double* out) {
  double m = x[0] / temperature;
  for (int64_t c = 1; c < n; ++c) m = std::max(m, x[c] / temperature);
  double z = 0;
  for (int64_t c = 0; c < n; ++c) z += out[c] = std::exp(x[c] / temperature - m);
  for (int64_t c = 0; c < n; ++c) out[c] /= z;
  return m + std::log(z);
}

double sparse_ce_logits(const LossInputs& in) {
  const auto [rows, classes] = in.shape;
  std::vector<double>& sm = in.scratch->row;  // (C)
  sm.resize(static_cast<size_t>(classes));
  double total = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = in.pred + r * classes;  // (C)
    const int64_t y = in.labels[r];
    total += softmax_row(x, classes, 1, sm.data()) - x[y];
    if (!in.grad) continue;
    for (int64_t c = 0; c < classes; ++c) in.grad[r * classes + c] = static_cast<float>((sm[c] - (c == y)) / rows);
  }
  return total / rows;
}

double sparse_ce_probs(const LossInputs& in) {
  const auto [rows, classes] = in.shape;
  std::vector<double>& q = in.scratch->row;         // (C) clipped values
  std::vector<uint8_t>& passes = in.scratch->passes;  // (C) whether their gradient passes
  q.resize(static_cast<size_t>(classes));
  passes.resize(static_cast<size_t>(classes));
  double total = 0;
  for (int64_t r = 0; r < rows; ++r) {
    double sum = 0;
    for (int64_t c = 0; c < classes; ++c) {
      const Clipped qc = clip(in.pred[r * classes + c], kEps, kOneMinusEps);
      q[c] = qc.value;
      passes[c] = qc.passes;
      sum += qc.value;
    }
    const Clipped qy{q[in.labels[r]], passes[in.labels[r]] != 0};
    total += std::log(sum) - std::log(qy.value);
    if (!in.grad) continue;
    for (int64_t c = 0; c < classes; ++c) {
      double g = passes[c] ? 1 / sum : 0;
      if (c == in.labels[r] && qy.passes) g -= 1 / qy.value;
      in.grad[r * classes + c] = static_cast<float>(g / rows);
    }
  }
  return total / rows;
}

double ce_logits(const LossInputs& in) {
  const auto [rows, classes] = in.shape;
  std::vector<double>& sm = in.scratch->row;  // (C)
  sm.resize(static_cast<size_t>(classes));
  double total = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = in.pred + r * classes;  // (C)
    const double* t = in.target + r * classes;
    const double lse = softmax_row(x, classes, 1, sm.data());
    double t_sum = 0;
    for (int64_t c = 0; c < classes; ++c) {
      total += t[c] * (lse - x[c]);
      t_sum += t[c];
    }
    if (!in.grad) continue;
    for (int64_t c = 0; c < classes; ++c)
      in.grad[r * classes + c] = static_cast<float>((sm[c] * t_sum - t[c]) / rows);
  }
  return total / rows;
}

double ce_probs(const LossInputs& in) {
  const auto [rows, classes] = in.shape;
  std::vector<double>& g = in.scratch->row;  // (C) dLoss_r / dq, q = clip(p / sum p)
  g.resize(static_cast<size_t>(classes));
  double total = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const float* p = in.pred + r * classes;  // (C)
    const double* t = in.target + r * classes;
    double sum = 0;
    for (int64_t c = 0; c < classes; ++c) sum += p[c];
    double g_dot_n = 0;  // sum_j g_j * p_j / sum
    for (int64_t c = 0; c < classes; ++c) {
      const Clipped q = clip(static_cast<float>(p[c] / sum), kEps, kOneMinusEps);
      total -= t[c] * std::log(q.value);
      g[c] = q.passes ? -t[c] / q.value : 0;
      g_dot_n += g[c] * p[c] / sum;
    }
    if (!in.grad) continue;
    for (int64_t c = 0; c < classes; ++c)
      in.grad[r * classes + c] = static_cast<float>((g[c] - g_dot_n) / sum / rows);
  }
  return total / rows;
}

double sigmoid(double x) {
  if (x >= 0) return 1 / (1 + std::exp(-x));
  const double e = std::exp(x);
  return e / (1 + e);
}

double bce(const LossInputs& in, bool from_logits) {
  const int64_t n = in.shape.size();
  double total = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double t = in.target[i];
    double g;
    if (from_logits) {
      const double x = in.pred[i];
      total += std::max(x, 0.0) - x * t + std::log1p(std::exp(-std::abs(x)));
      g = sigmoid(x) - t;
    } else {
      const Clipped q = clip(in.pred[i], kEps, kOneMinusEps);
      total -= t * std::log(q.value) + (1 - t) * std::log(1 - q.value);
      g = q.passes ? (1 - t) / (1 - q.value) - t / q.value : 0;
    }
    if (in.grad) in.grad[i] = static_cast<float>(g / n);
  }
  return total / n;
}

double mse(const LossInputs& in) {
  const int64_t n = in.shape.size();
  double total = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double d = in.pred[i] - in.target[i];
    total += d * d;
    if (in.grad) in.grad[i] = static_cast<float>(2 * d / n);
  }
  return total / n;
}

double kld_probs(const LossInputs& in) {
  const auto [rows, classes] = in.shape;
  double total = 0;
  for (int64_t i = 0; i < rows * classes; ++i) {
    const double t = clip(static_cast<float>(in.target[i]), kEps, 1).value;
    const Clipped p = clip(in.pred[i], kEps, 1);
    total += t * std::log(t / p.value);
    if (in.grad) in.grad[i] = static_cast<float>(p.passes ? -t / p.value / rows : 0);
  }
  return total / rows;
}

double kld_logits(const LossInputs& in, double temperature) {
  const auto [rows, classes] = in.shape;
  std::vector<double>& p = in.scratch->row;  // (C)
  std::vector<double>& q = in.scratch->row2;  // (C)
  p.resize(static_cast<size_t>(classes));
  q.resize(static_cast<size_t>(classes));
  double total = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const double* teacher = in.target + r * classes;  // (C)
    const double lse_p = softmax_row(teacher, classes, temperature, p.data());
    const double lse_q = softmax_row(in.pred + r * classes, classes, temperature, q.data());
    for (int64_t c = 0; c < classes; ++c) {
      // log P_c - log Q_c = (t_c - s_c) / T - lse_p + lse_q
      const double log_ratio = (teacher[c] - in.pred[r * classes + c]) / temperature - lse_p + lse_q;
      total += p[c] * log_ratio;
      if (in.grad) in.grad[r * classes + c] = static_cast<float>(temperature * (q[c] - p[c]) / rows);
    }
  }
  return temperature * temperature * total / rows;
}

}  // namespace

Expected<LossKind> parse_loss_kind(std::string_view spelled) {
  std::string name(spelled);  // sparse-ce and sparse_ce alike
  std::replace(name.begin(), name.end(), '-', '_');
  if (name == "sparse_categorical_crossentropy" || name == "sparse_ce") return LossKind::kSparseCrossEntropy;
  if (name == "categorical_crossentropy" || name == "ce") return LossKind::kCrossEntropy;
  if (name == "binary_crossentropy" || name == "bce") return LossKind::kBinaryCrossEntropy;
  if (name == "mean_squared_error" || name == "mse") return LossKind::kMse;
  if (name == "kl_divergence" || name == "kld") return LossKind::kKlDivergence;
  return invalid_argument(
      "unknown loss '{}' (sparse-ce, ce, bce, mse, kld, or Keras's names sparse_categorical_crossentropy, "
      "categorical_crossentropy, binary_crossentropy, mean_squared_error, kl_divergence)",
      spelled);
}

std::string_view loss_kind_name(LossKind kind) {
  switch (kind) {
    case LossKind::kSparseCrossEntropy: return "sparse_categorical_crossentropy";
    case LossKind::kCrossEntropy: return "categorical_crossentropy";
    case LossKind::kBinaryCrossEntropy: return "binary_crossentropy";
    case LossKind::kMse: return "mse";
    case LossKind::kKlDivergence: return "kld";
  }
  return "?";
}

Expected<double> compute_loss(const LossOptions& options, const float* pred, const ir::Shape& pred_shape,
                              const Array& target, float* grad, LossScratch* scratch) {
  LossScratch own;
  TFC_ASSIGN_OR_RETURN(LossInputs in, validate(options, pred, pred_shape, target, grad, scratch ? *scratch : own));
  switch (options.kind) {
    case LossKind::kSparseCrossEntropy: return options.from_logits ? sparse_ce_logits(in) : sparse_ce_probs(in);
    case LossKind::kCrossEntropy: return options.from_logits ? ce_logits(in) : ce_probs(in);
    case LossKind::kBinaryCrossEntropy: return bce(in, options.from_logits);
    case LossKind::kMse: return mse(in);
    case LossKind::kKlDivergence: return options.from_logits ? kld_logits(in, options.temperature) : kld_probs(in);
  }
  return internal_error("loss: unknown kind {}", static_cast<int>(options.kind));
}

Expected<int64_t> count_top1_correct(const float* pred, const ir::Shape& pred_shape, const Array& labels,
                                     LossScratch* scratch) {
  constexpr std::string_view kName = "top-1 accuracy";
  LossScratch own;
  LossScratch& s = scratch ? *scratch : own;
  TFC_ASSIGN_OR_RETURN(Rows shape, rows_of(pred_shape, true, kName));
  if (shape.classes < 2)
    return invalid_argument("{}: predictions have {} class (2 or more needed)", kName, shape.classes);
  TFC_RETURN_IF_ERROR(check_data_size(labels, kName));
  const bool dense = same_dims(labels.shape, pred_shape);
  std::vector<int64_t>& ids = s.labels;
  if (dense) {
    TFC_RETURN_IF_ERROR(as_doubles(labels, kName, s.target));
    ids.resize(static_cast<size_t>(shape.rows));
    for (int64_t r = 0; r < shape.rows; ++r) {
      const double* row = s.target.data() + r * shape.classes;
      ids[r] = std::max_element(row, row + shape.classes) - row;
    }
  } else if (shape_matches(labels.shape, without_last(pred_shape))) {
    TFC_RETURN_IF_ERROR(class_ids(labels, shape.classes, kName, s.row, ids));
  } else {
    return invalid_argument("{}: labels of shape {} for predictions of shape {}", kName, shape_str(labels.shape),
                            shape_str(pred_shape));
  }
  int64_t correct = 0;
  for (int64_t r = 0; r < shape.rows; ++r) {
    const float* row = pred + r * shape.classes;
    correct += (std::max_element(row, row + shape.classes) - row) == ids[r];
  }
  return correct;
}

Expected<int64_t> count_binary_correct(const float* pred, const ir::Shape& pred_shape, const Array& labels,
                                       float threshold) {
  constexpr std::string_view kName = "binary accuracy";
  TFC_ASSIGN_OR_RETURN(Rows shape, rows_of(pred_shape, false, kName));
  TFC_RETURN_IF_ERROR(check_data_size(labels, kName));
  if (!shape_matches(labels.shape, pred_shape))
    return invalid_argument("{}: labels of shape {} for predictions of shape {}", kName, shape_str(labels.shape),
                            shape_str(pred_shape));
  std::vector<double> truth;
  TFC_RETURN_IF_ERROR(as_doubles(labels, kName, truth));
  int64_t correct = 0;
  for (int64_t i = 0; i < shape.size(); ++i) correct += (pred[i] > threshold) == (truth[i] > 0.5);
  return correct;
}

}  // namespace tfc::train
