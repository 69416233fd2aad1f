// Learning-rate schedules (train/schedule.h): parsed CLI strings against
// Keras 3's schedules at chosen steps (golden file) and against the formulas
// written out here; malformed strings refused.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "train/schedule.h"
#include "train_golden.h"

namespace tfc::train {
namespace {

LrSchedule parse(std::string_view spec, double base_lr, int64_t total_steps = 0) {
  auto s = parse_schedule(spec, base_lr, total_steps);
  EXPECT_TRUE(s.has_value()) << spec << ": " << s.status().message();
  return s.has_value() ? *s : *LrSchedule::make({});
}

TEST(TrainSchedule, MatchesKeras) {
  struct Case {
    const char* golden;
    const char* spec;
    int64_t total_steps;
  };
  // The schedules of make_optim_golden.py's make_schedules(), base rate 0.1.
  const Case cases[] = {
      {"step", "step:30:0.1", 0},
      {"exp", "exp:30:0.5", 0},
      {"piecewise", "piecewise:10,20:1,0.1,0.01", 0},
      {"cosine", "cosine:100:0.1", 0},
      {"cosine_total", "cosine", 200},
      {"warmup_cosine", "warmup:10+cosine", 110},
      {"warmup_from_cosine", "warmup:10:0.1+cosine:100:0.2", 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.spec);
    const LrSchedule s = parse(c.spec, 0.1, c.total_steps);
    const std::vector<double> steps = test::golden_values(std::string("sched.") + c.golden + ".steps");
    std::vector<double> lr;
    for (double step : steps) lr.push_back(s.lr(static_cast<int64_t>(step)));
    test::expect_golden(lr, test::golden_values(std::string("sched.") + c.golden + ".lr"), c.golden);
  }
}

TEST(TrainSchedule, Formulas) {
  EXPECT_EQ(parse("constant", 0.3).lr(12345), 0.3);
  const LrSchedule warm = parse("warmup:4", 0.2);
  EXPECT_DOUBLE_EQ(warm.lr(0), 0.0);
  EXPECT_DOUBLE_EQ(warm.lr(1), 0.05);
  EXPECT_DOUBLE_EQ(warm.lr(4), 0.2);
  EXPECT_DOUBLE_EQ(warm.lr(1000), 0.2);
  const LrSchedule warm_step = parse("warmup:10:0.5+step:5:0.5", 1.0);
  EXPECT_DOUBLE_EQ(warm_step.lr(0), 0.5);
  EXPECT_DOUBLE_EQ(warm_step.lr(5), 0.75);
  EXPECT_DOUBLE_EQ(warm_step.lr(10), 1.0);
  EXPECT_DOUBLE_EQ(warm_step.lr(14), 1.0);
  EXPECT_DOUBLE_EQ(warm_step.lr(15), 0.5);
  EXPECT_DOUBLE_EQ(warm_step.lr(27), 0.125);
  const LrSchedule cosine = parse("cosine:8:0.25", 2.0);
  for (int64_t step : {0, 3, 8, 20}) {
    const double c = 0.5 * (1 + std::cos(std::numbers::pi * std::min<int64_t>(step, 8) / 8));
    EXPECT_DOUBLE_EQ(cosine.lr(step), 2.0 * (0.75 * c + 0.25)) << step;
  }
  EXPECT_DOUBLE_EQ(parse("piecewise:3:1,0.1", 1.0).lr(-5), 1.0);  // negative steps count as 0
}

TEST(TrainSchedule, MalformedRefused) {
  const char* bad[] = {
      "cosine",                      // no length and no total steps
      "cosine:0",                    // length 0
      "cosine:100:2",                // alpha above 1
      "step:0:0.1",                  // every 0 steps
      "step:30",                     // no rate
      "step:30:-1",                  // negative rate
      "exp:30:abc",                  // not a number
      "piecewise:20,10:1,0.1,0.01",  // boundaries not increasing
      "piecewise:10:1",              // one factor short
      "piecewise:10:1,nan",          // not finite
      "warmup:x",                    // warm-up steps not a number
      "warmup:-3",                   // negative warm-up
      "warmup:5+warmup:5",           // two warm-ups
      "cosine:10+warmup:5",          // warm-up after the decay
      "linear",                      // unknown
      "",
  };
  for (const char* spec : bad) {
    auto s = parse_schedule(spec, 0.1, 0);
    ASSERT_FALSE(s.has_value()) << spec;
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument) << spec;
  }
  EXPECT_FALSE(parse_schedule("constant", -1, 0).has_value());
}

}  // namespace
}  // namespace tfc::train
