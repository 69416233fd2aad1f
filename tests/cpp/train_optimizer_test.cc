// Optimizers (train/optimizer.h): three steps of each against Keras 3's own
// (golden file) and against the update formulas written out here; clipping;
// state save/load round trips; refused settings, steps and states.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "io/npy.h"
#include "train/optimizer.h"
#include "train_golden.h"

namespace tfc::train {
namespace {

OptimizerOptions sgd(double momentum = 0, bool nesterov = false) {
  OptimizerOptions o;
  o.kind = OptimizerKind::kSgd;
  o.momentum = momentum;
  o.nesterov = nesterov;
  return o;
}

OptimizerOptions adam(OptimizerKind kind = OptimizerKind::kAdam) {
  OptimizerOptions o;
  o.kind = kind;
  return o;
}

template <typename F>
OptimizerOptions with(OptimizerOptions o, F&& change) {
  change(o);
  return o;
}

std::unique_ptr<Optimizer> make(const OptimizerOptions& o) {
  auto made = make_optimizer(o);
  EXPECT_TRUE(made.has_value()) << made.status().message();
  return made.has_value() ? std::move(made).value() : nullptr;
}

struct GoldenCase {
  const char* name;
  OptimizerOptions options;
};

// The settings of make_optim_golden.py's OPTIMIZERS, all with learning rate 0.1.
const GoldenCase kGoldenCases[] = {
    {"sgd", sgd()},
    {"sgd_momentum", sgd(0.9)},
    {"sgd_nesterov", sgd(0.9, true)},
    {"sgd_wd", with(sgd(0.5), [](auto& o) { o.weight_decay = 0.1; })},
    {"sgd_clipnorm", with(sgd(), [](auto& o) { o.clipnorm = 0.5; })},
    {"sgd_global_clipnorm", with(sgd(), [](auto& o) { o.global_clipnorm = 0.5; })},
    {"sgd_clipvalue", with(sgd(), [](auto& o) { o.clipvalue = 0.3; })},
    {"adam", adam()},
    {"adam_eps", with(adam(), [](auto& o) { o.beta1 = 0.8, o.beta2 = 0.9, o.epsilon = 0.1; })},
    {"adam_amsgrad", with(adam(), [](auto& o) { o.amsgrad = true; })},
    {"adam_wd", with(adam(), [](auto& o) { o.weight_decay = 0.1; })},
    {"adamw", with(adam(OptimizerKind::kAdamW), [](auto& o) { o.weight_decay = 0.05; })},
    {"adamw_no_decay_b", with(adam(OptimizerKind::kAdamW), [](auto& o) {
       o.weight_decay = 0.05;
       o.no_weight_decay = {"b"};
     })},
};

const std::vector<float>& state_slot(const std::vector<NamedArray>& state, const std::string& name,
                                     std::vector<float>& out) {
  out.clear();
  for (const NamedArray& a : state)
    if (a.name == name) out.assign(a.array.as<float>(), a.array.as<float>() + a.array.num_elements());
  return out;
}

TEST(TrainOptimizer, MatchesKeras) {
  const std::vector<float> gw = test::golden_floats("opt.gw"), gb = test::golden_floats("opt.gb");  // (3, 12), (3, 4)
  for (const GoldenCase& c : kGoldenCases) {
    SCOPED_TRACE(c.name);
    const std::string prefix = std::string("opt.") + c.name;
    std::vector<float> w = test::golden_floats("opt.w0"), b = test::golden_floats("opt.b0");
    const std::vector<double> want_w = test::golden_values(prefix + ".w"), want_b = test::golden_values(prefix + ".b");
    auto opt = make(c.options);
    ASSERT_TRUE(opt);
    for (int s = 0; s < 3; ++s) {
      const ParamSlot params[] = {{"w", w.data(), gw.data() + s * 12, 12}, {"b", b.data(), gb.data() + s * 4, 4}};
      ASSERT_TRUE(opt->step(params, 0.1).is_ok());
      test::expect_golden({w.begin(), w.end()}, {want_w.begin() + s * 12, want_w.begin() + s * 12 + 12}, "w");
      test::expect_golden({b.begin(), b.end()}, {want_b.begin() + s * 4, want_b.begin() + s * 4 + 4}, "b");
    }
    const std::vector<NamedArray> state = opt->state();
    int compared = 0;
    std::vector<float> slot;
    for (const char* param : {"w", "b"}) {
      for (const char* name : {"momentum", "velocity", "velocity_hat"}) {
        const std::string key = prefix + "." + param + "." + name;
        if (!test::optim_golden().count(key)) continue;
        state_slot(state, std::string(param) + "/" + name, slot);
        test::expect_golden({slot.begin(), slot.end()}, test::golden_values(key), key);
        ++compared;
      }
    }
    EXPECT_EQ(state.size(), 1 + compared);  // iterations and exactly the slots Keras keeps
    EXPECT_EQ(opt->iterations(), 3);
  }
}

TEST(TrainOptimizer, SgdMomentumFormula) {
  // m = 0.9 m - 0.5 g; w = w + m (Nesterov: w = w + 0.9 m - 0.5 g); weight decay 0.2 first.
  for (bool nesterov : {false, true}) {
    auto opt = make(with(sgd(0.9, nesterov), [](auto& o) { o.weight_decay = 0.2; }));
    float w = 2.0f;
    double w_ref = 2.0, m_ref = 0;
    for (float g : {1.0f, -0.5f, 0.25f}) {
      const ParamSlot p[] = {{"w", &w, &g, 1}};
      ASSERT_TRUE(opt->step(p, 0.5).is_ok());
      w_ref -= w_ref * 0.2 * 0.5;
      m_ref = 0.9 * m_ref - 0.5 * g;
      w_ref += nesterov ? 0.9 * m_ref - 0.5 * g : m_ref;
      EXPECT_NEAR(w, w_ref, 1e-6) << "nesterov " << nesterov;
    }
  }
}

TEST(TrainOptimizer, AdamFormula) {
  // Bias-corrected step size outside, epsilon added to sqrt(v); AdamW decays first.
  for (OptimizerKind kind : {OptimizerKind::kAdam, OptimizerKind::kAdamW}) {
    auto opt = make(with(adam(kind), [](auto& o) { o.epsilon = 0.01; }));
    float w = 1.0f;
    double w_ref = 1.0, m = 0, v = 0;
    int t = 0;
    for (float g : {0.3f, -0.1f, 0.2f}) {
      const ParamSlot p[] = {{"w", &w, &g, 1}};
      ASSERT_TRUE(opt->step(p, 0.01).is_ok());
      ++t;
      if (kind == OptimizerKind::kAdamW) w_ref -= w_ref * 0.004 * 0.01;  // AdamW's default weight decay
      m += (g - m) * 0.1;
      v += (g * g - v) * 0.001;
      const double alpha = 0.01 * std::sqrt(1 - std::pow(0.999, t)) / (1 - std::pow(0.9, t));
      w_ref -= m * alpha / (std::sqrt(v) + 0.01);
      EXPECT_NEAR(w, w_ref, 1e-6);
    }
  }
}

// One SGD step (lr 1) with the given clipping; returns the applied update -g'.
std::vector<float> clipped_step(const OptimizerOptions& o, std::vector<float> g1, std::vector<float> g2) {
  auto opt = make(o);
  std::vector<float> w1(g1.size(), 0.0f), w2(g2.size(), 0.0f);
  const ParamSlot p[] = {{"a", w1.data(), g1.data(), static_cast<int64_t>(g1.size())},
                         {"b", w2.data(), g2.data(), static_cast<int64_t>(g2.size())}};
  EXPECT_TRUE(opt->step(p, 1.0).is_ok());
  w1.insert(w1.end(), w2.begin(), w2.end());
  for (float& x : w1) x = -x;
  return w1;
}

TEST(TrainOptimizer, Clipping) {
  using V = std::vector<float>;
  auto near = [](const V& a, const V& b) {
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-6) << i;
  };
  // Per tensor: a has norm 5 (clipped to 1), b norm 0.5 (kept).
  near(clipped_step(with(sgd(), [](auto& o) { o.clipnorm = 1; }), {3, 4}, {0.3f, 0.4f}), {0.6f, 0.8f, 0.3f, 0.4f});
  // Global: the norm of everything is sqrt(25 + 144) = 13, clipped to 2.6.
  near(clipped_step(with(sgd(), [](auto& o) { o.global_clipnorm = 2.6; }), {3, 4}, {12}), {0.6f, 0.8f, 2.4f});
  near(clipped_step(with(sgd(), [](auto& o) { o.global_clipnorm = 100; }), {3, 4}, {12}), {3, 4, 12});
  near(clipped_step(with(sgd(), [](auto& o) { o.global_clipnorm = 1; }), {0, 0}, {0}), {0, 0, 0});
  near(clipped_step(with(sgd(), [](auto& o) { o.clipvalue = 0.5; }), {3, -4}, {0.25f}), {0.5f, -0.5f, 0.25f});
  // A gradient that is not finite makes every global-norm update NaN (Keras's clip_by_global_norm).
  const V nan_update = clipped_step(with(sgd(), [](auto& o) { o.global_clipnorm = 1; }), {INFINITY, 1}, {1});
  for (float x : nan_update) EXPECT_TRUE(std::isnan(x));
}

TEST(TrainOptimizer, StateRoundTripGivesTheSameNextStep) {
  for (const GoldenCase& c : kGoldenCases) {
    SCOPED_TRACE(c.name);
    std::vector<float> w = {0.5f, -1.0f, 2.0f}, b = {0.1f};
    const std::vector<float> gw = {0.3f, -0.2f, 0.1f}, gb = {-0.4f};
    auto first = make(c.options);
    const ParamSlot params[] = {{"dense/kernel", w.data(), gw.data(), 3}, {"dense/bias", b.data(), gb.data(), 1}};
    ASSERT_TRUE(first->step(params, 0.05).is_ok());
    ASSERT_TRUE(first->step(params, 0.05).is_ok());
    // Through an .npz file, as a checkpoint holds it.
    test::ScratchDir dir("tfc-optim");
    const std::string path = (dir.path() / "state.npz").string();
    ASSERT_TRUE(write_npz(path, first->state()).is_ok());
    auto read = read_npz(path);
    ASSERT_TRUE(read.has_value()) << read.status().message();
    auto second = make(c.options);
    ASSERT_TRUE(second->load_state(*read).is_ok());
    EXPECT_EQ(second->iterations(), 2);
    std::vector<float> w2 = w, b2 = b;
    const ParamSlot params2[] = {{"dense/kernel", w2.data(), gw.data(), 3}, {"dense/bias", b2.data(), gb.data(), 1}};
    ASSERT_TRUE(first->step(params, 0.05).is_ok());
    ASSERT_TRUE(second->step(params2, 0.05).is_ok());
    EXPECT_EQ(std::memcmp(w.data(), w2.data(), 3 * sizeof(float)), 0);
    EXPECT_EQ(std::memcmp(b.data(), b2.data(), sizeof(float)), 0);
  }
}

TEST(TrainOptimizer, BadStatesRefusedAndStateKept) {
  float w = 1, g = 1;
  const ParamSlot p[] = {{"w", &w, &g, 1}};
  auto momentum_sgd = make(sgd(0.9));
  ASSERT_TRUE(momentum_sgd->step(p, 0.1).is_ok());
  const std::vector<NamedArray> sgd_state = momentum_sgd->state();

  auto opt = make(adam());
  ASSERT_TRUE(opt->step(p, 0.1).is_ok());
  const std::vector<NamedArray> before = opt->state();
  auto refused = [&](const std::vector<NamedArray>& state, const std::string& word) {
    const Status s = opt->load_state(state);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << word;
    EXPECT_NE(s.message().find(word), std::string::npos) << s.message();
    EXPECT_EQ(opt->iterations(), 1);
  };
  refused({before[1], before[2]}, "iterations");
  refused({before[0], before[1]}, "w/velocity");  // "w/momentum" alone: velocity missing
  std::vector<NamedArray> wrong_dtype = before;
  wrong_dtype[1].array.dtype = DType::kInt32;
  refused(wrong_dtype, "float32");
  std::vector<NamedArray> unknown = before;
  unknown.push_back({"w/accumulator", before[1].array});
  refused(unknown, "accumulator");
  // SGD's state has momentum but no velocity; Adam refuses it.
  refused(sgd_state, "velocity");
  EXPECT_EQ(opt->state().size(), before.size());
}

TEST(TrainOptimizer, BadStepsRefusedBeforeAnyChange) {
  auto opt = make(adam());
  float w[2] = {1, 2}, g[2] = {1, 1};
  const ParamSlot first[] = {{"w", w, g, 2}};
  ASSERT_TRUE(opt->step(first, 0.1).is_ok());
  const float w0 = w[0], w1 = w[1];
  float v = 3, gv = 1;
  const ParamSlot resized[] = {{"v", &v, &gv, 1}, {"w", w, g, 1}};
  EXPECT_EQ(opt->step(resized, 0.1).code(), StatusCode::kInvalidArgument);
  const ParamSlot twice[] = {{"v", &v, &gv, 1}, {"v", &v, &gv, 1}};
  EXPECT_EQ(opt->step(twice, 0.1).code(), StatusCode::kInvalidArgument);
  const ParamSlot no_grad[] = {{"v", &v, nullptr, 1}};
  EXPECT_EQ(opt->step(no_grad, 0.1).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(opt->step(first, -0.1).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(opt->step(first, NAN).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(v, 3);
  EXPECT_EQ(w[0], w0);
  EXPECT_EQ(w[1], w1);
  EXPECT_EQ(opt->iterations(), 1);
}

TEST(TrainOptimizer, BadSettingsRefused) {
  auto refused = [](const OptimizerOptions& o, const std::string& word) {
    auto made = make_optimizer(o);
    ASSERT_FALSE(made.has_value()) << word;
    EXPECT_EQ(made.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(made.status().message().find(word), std::string::npos) << made.status().message();
  };
  refused(with(sgd(), [](auto& o) { o.clipnorm = 1, o.clipvalue = 1; }), "only one");
  refused(with(adam(), [](auto& o) { o.beta1 = 1; }), "beta1");
  refused(with(adam(), [](auto& o) { o.weight_decay = -0.1; }), "weight_decay");
  refused(sgd(1.5), "momentum");
  refused(with(sgd(), [](auto& o) { o.amsgrad = true; }), "amsgrad");
  refused(with(adam(), [](auto& o) { o.momentum = 0.9; }), "momentum");
  EXPECT_EQ(*parse_optimizer_kind("adamw"), OptimizerKind::kAdamW);
  EXPECT_FALSE(parse_optimizer_kind("rmsprop").has_value());
}

}  // namespace
}  // namespace tfc::train
