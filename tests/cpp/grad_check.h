// Gradient checks: one op run through its shape rule, reference kernel and
// gradient rule (ops/grad_context.h), its input gradients compared with
// central finite differences of L = sum_k w_k * y_k for random weights w
// (the output gradients). The differences are taken on the float32 kernel
// with the sum accumulated in double.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ops/registry.h"

namespace tfc::test {

class GradCheck {
 public:
  using Shape = ir::Shape;

  explicit GradCheck(tflite::BuiltinOperator code, uint32_t seed = 1) : rng_(seed) { op_.code.builtin = code; }

  // A float32 input with these values; `wrt`: its gradient is checked.
  GradCheck& f32(Shape shape, std::vector<float> values, bool wrt = true) {
    Entry& e = add(DType::kFloat32, std::move(shape));
    e.bytes.resize(values.size() * sizeof(float) + 1);
    std::memcpy(e.bytes.data(), values.data(), values.size() * sizeof(float));
    e.slot.data = e.bytes.data();
    e.wrt = wrt;
    inputs_.push_back(&e);
    return *this;
  }
  // A float32 input of uniform random values in [lo, hi).
  GradCheck& random(Shape shape, float lo = -1.0f, float hi = 1.0f, bool wrt = true) {
    std::uniform_real_distribution<float> u(lo, hi);
    std::vector<float> v(static_cast<size_t>(ir::num_elements(shape)));
    for (float& x : v) x = u(rng_);
    return f32(std::move(shape), std::move(v), wrt);
  }
  // A non-differentiable integer input (indices, axes, shapes, paddings).
  GradCheck& i32(Shape shape, const std::vector<int32_t>& values) {
    Entry& e = add(DType::kInt32, std::move(shape));
    e.bytes.resize(values.size() * sizeof(int32_t) + 1);
    if (!values.empty()) std::memcpy(e.bytes.data(), values.data(), values.size() * sizeof(int32_t));
    e.slot.data = e.bytes.data();
    inputs_.push_back(&e);
    return *this;
  }
  GradCheck& i64(Shape shape, const std::vector<int64_t>& values) {
    Entry& e = add(DType::kInt64, std::move(shape));
    e.bytes.resize(values.size() * sizeof(int64_t) + 1);
    if (!values.empty()) std::memcpy(e.bytes.data(), values.data(), values.size() * sizeof(int64_t));
    e.slot.data = e.bytes.data();
    inputs_.push_back(&e);
    return *this;
  }
  // Input `i` once more: one tensor feeding the op twice; its gradient is the
  // sum over both uses (the rule's two additions into one buffer).
  GradCheck& same_as(int i) {
    inputs_.push_back(inputs_.at(static_cast<size_t>(i)));
    return *this;
  }
  GradCheck& absent() {
    inputs_.push_back(nullptr);
    return *this;
  }
  // `n` float32 outputs (default 1).
  GradCheck& outputs(int n) {
    num_outputs_ = n;
    return *this;
  }
  template <typename Options>
  GradCheck& options(Options o) {
    op_.options.Set(std::move(o));
    return *this;
  }
  // Only these outputs get a gradient (the others: nullptr, i.e. zero).
  GradCheck& only_outputs(std::vector<int> which) {
    only_outputs_ = std::move(which);
    return *this;
  }

  // Runs forward and backward and compares every `wrt` input's gradient with
  // central differences of step `eps`:
  //   |analytic - numeric| <= atol + rtol * |numeric|, element by element.
  void check(double eps = 1e-3, double rtol = 1e-2, double atol = 1e-3) {
    const ops::OpDef* def = ops::find_op(op_.code);
    ASSERT_NE(def, nullptr);
    ASSERT_NE(def->grad, nullptr) << def->name << " has no gradient rule";
    outs_.clear();
    for (int k = 0; k < num_outputs_; ++k) outs_.push_back(&add(DType::kFloat32, {}));
    std::vector<double> base;
    ASSERT_TRUE(forward(*def, &base));
    // Output gradients: random weights.
    std::vector<std::vector<float>> dy(outs_.size());
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    weights_.clear();
    for (size_t k = 0; k < outs_.size(); ++k) {
      const bool on = only_outputs_.empty() ||
                      std::find(only_outputs_.begin(), only_outputs_.end(), static_cast<int>(k)) != only_outputs_.end();
      dy[k].resize(static_cast<size_t>(ir::num_elements(outs_[k]->slot.shape)));
      for (float& v : dy[k]) v = on ? u(rng_) : 0.0f;
      weights_.push_back(dy[k]);
    }
    // Analytic: gradients start non-zero to check that rules add, not assign.
    std::vector<std::vector<float>> dx(inputs_.size());
    std::vector<float*> dxp(inputs_.size(), nullptr);
    const float kStart = 0.25f;
    for (size_t i = 0; i < inputs_.size(); ++i) {
      if (!inputs_[i] || !inputs_[i]->wrt) continue;
      if (const size_t first = first_use(i); first != i) {
        dxp[i] = dxp[first];  // same_as: one gradient buffer for both uses
        continue;
      }
      dx[i].assign(static_cast<size_t>(ir::num_elements(inputs_[i]->slot.shape)), kStart);
      dxp[i] = dx[i].data();
    }
    std::vector<const float*> dyp;
    for (size_t k = 0; k < outs_.size(); ++k) {
      const bool on = only_outputs_.empty() ||
                      std::find(only_outputs_.begin(), only_outputs_.end(), static_cast<int>(k)) != only_outputs_.end();
      dyp.push_back(on ? dy[k].data() : nullptr);
    }
    {
      ForwardState st = state();
      std::vector<float> scratch;
      ops::GradContext g(st.ctx, dyp, dxp, &scratch);
      const Status s = def->grad(g);
      ASSERT_TRUE(s.is_ok()) << s.message();
    }
    // Numeric.
    for (size_t i = 0; i < inputs_.size(); ++i) {
      if (!inputs_[i] || !inputs_[i]->wrt || first_use(i) != i) continue;
      auto* x = reinterpret_cast<float*>(inputs_[i]->bytes.data());
      const size_t n = dx[i].size();
      for (size_t j = 0; j < n; ++j) {
        const float saved = x[j];
        x[j] = saved + static_cast<float>(eps);
        const double hi_eps = static_cast<double>(x[j]) - saved;
        double lp = 0, lm = 0;
        ASSERT_TRUE(loss(*def, &lp));
        x[j] = saved - static_cast<float>(eps);
        const double lo_eps = saved - static_cast<double>(x[j]);
        ASSERT_TRUE(loss(*def, &lm));
        x[j] = saved;
        const double numeric = (lp - lm) / (hi_eps + lo_eps);
        const double analytic = static_cast<double>(dx[i][j]) - kStart;
        EXPECT_LE(std::fabs(analytic - numeric), atol + rtol * std::fabs(numeric))
            << def->name << " input " << i << " element " << j << ": analytic " << analytic << ", numeric "
            << numeric;
      }
    }
    ASSERT_TRUE(forward(*def, &base));  // leaves the forward values in place for callers
  }

  // The rule's gradient of input `i` (starting from zero) for output 0's
  // gradient `dy`, at the inputs as they are: for values checked by hand
  // where finite differences do not apply (ties, kinks).
  std::vector<float> gradient(int i, const std::vector<float>& dy) {
    const ops::OpDef* def = ops::find_op(op_.code);
    if (!def || !def->grad) return {};
    outs_.clear();
    for (int k = 0; k < num_outputs_; ++k) outs_.push_back(&add(DType::kFloat32, {}));
    if (!forward(*def, nullptr)) return {};
    std::vector<float> dx(static_cast<size_t>(ir::num_elements(inputs_.at(static_cast<size_t>(i))->slot.shape)));
    std::vector<float*> dxp(inputs_.size(), nullptr);
    dxp[static_cast<size_t>(i)] = dx.data();
    std::vector<const float*> dyp(outs_.size(), nullptr);
    dyp[0] = dy.data();
    ForwardState st = state();
    std::vector<float> scratch;
    ops::GradContext g(st.ctx, dyp, dxp, &scratch);
    const Status s = def->grad(g);
    EXPECT_TRUE(s.is_ok()) << s.message();
    return dx;
  }

  const Shape& out_shape(int k = 0) const { return outs_[static_cast<size_t>(k)]->slot.shape; }

  // Runs the forward alone and returns output k's values (e.g. to check that
  // the pre-activations of an op stay away from an activation's kinks).
  std::vector<float> forward_values(int k = 0) {
    const ops::OpDef* def = ops::find_op(op_.code);
    if (!def) return {};
    outs_.clear();
    for (int j = 0; j < num_outputs_; ++j) outs_.push_back(&add(DType::kFloat32, {}));
    if (!forward(*def, nullptr)) return {};
    const Entry& e = *outs_[static_cast<size_t>(k)];
    const auto* y = reinterpret_cast<const float*>(e.bytes.data());
    return std::vector<float>(y, y + ir::num_elements(e.slot.shape));
  }

 private:
  struct Entry {
    ir::Tensor tensor;
    std::vector<uint8_t> bytes;
    ops::TensorSlot slot;
    bool wrt = false;
  };
  struct ForwardState {
    ops::OpContext ctx;
  };
  Entry& add(DType dtype, Shape shape) {
    Entry& e = entries_.emplace_back();
    e.tensor.name = "t" + std::to_string(entries_.size() - 1);
    e.tensor.dtype = dtype;
    e.tensor.shape = shape;
    e.slot.tensor = &e.tensor;
    e.slot.shape = std::move(shape);
    return e;
  }
  // The first input position holding the same tensor as input i.
  size_t first_use(size_t i) const {
    return static_cast<size_t>(std::find(inputs_.begin(), inputs_.end(), inputs_[i]) - inputs_.begin());
  }
  ForwardState state() {
    std::vector<ops::TensorSlot*> in, out;
    for (Entry* e : inputs_) in.push_back(e ? &e->slot : nullptr);
    for (Entry* e : outs_) out.push_back(&e->slot);
    return ForwardState{ops::OpContext(op_, in, out, kernels::kDefaultRequantization)};
  }
  bool forward(const ops::OpDef& def, std::vector<double>*) {
    ForwardState st = state();
    Status s = def.shape(st.ctx);
    EXPECT_TRUE(s.is_ok()) << s.message();
    if (!s.is_ok()) return false;
    for (Entry* e : outs_) {
      e->bytes.assign(static_cast<size_t>(ir::num_elements(e->slot.shape)) * sizeof(float) + 1, 0);
      e->slot.data = e->bytes.data();
    }
    s = def.eval(st.ctx);
    EXPECT_TRUE(s.is_ok()) << s.message();
    return s.is_ok();
  }
  bool loss(const ops::OpDef& def, double* l) {
    if (!forward(def, nullptr)) return false;
    double sum = 0;
    for (size_t k = 0; k < outs_.size(); ++k) {
      const auto* y = reinterpret_cast<const float*>(outs_[k]->bytes.data());
      for (size_t j = 0; j < weights_[k].size(); ++j) sum += static_cast<double>(weights_[k][j]) * y[j];
    }
    *l = sum;
    return true;
  }

  ir::Op op_;
  std::mt19937 rng_;
  std::deque<Entry> entries_;
  std::vector<Entry*> inputs_;
  std::vector<Entry*> outs_;
  std::vector<std::vector<float>> weights_;
  std::vector<int> only_outputs_;
  int num_outputs_ = 1;
};

}  // namespace tfc::test
