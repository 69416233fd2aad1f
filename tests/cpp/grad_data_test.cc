// Gradient rules of the misc data family (ops/data_grad.cc) against central
// finite differences (grad_check.h), on random shapes and every option the
// forwards support.
#include <random>
#include <vector>

#include "grad_check.h"
#include "grad_random.h"

namespace tfc::test {
namespace {

using ir::Shape;

tflite::PackOptionsT pack_opts(int n, int axis) {
  tflite::PackOptionsT o;
  o.values_count = n;
  o.axis = axis;
  return o;
}

TEST(GradData, PackAnyAxis) {
  std::mt19937 rng(31);
  for (int trial = 0; trial < 6; ++trial) {
    const Shape s = random_shape(rng, 0, 3);
    const int rank = static_cast<int>(s.size());
    const int axis = uniform_int(rng, 0, rank);
    const int n = uniform_int(rng, 1, 3);
    SCOPED_TRACE(testing::Message() << "trial " << trial << " axis " << axis << " inputs " << n);
    GradCheck g(tflite::BuiltinOperator_PACK, trial);
    for (int i = 0; i < n; ++i) g.random(s, -1.0f, 1.0f, /*wrt=*/i != 1);  // input 1 wants no gradient
    g.options(pack_opts(n, trial % 2 ? axis - rank - 1 : axis)).check();
  }
}

tflite::UnpackOptionsT unpack_opts(int num, int axis) {
  tflite::UnpackOptionsT o;
  o.num = num;
  o.axis = axis;
  return o;
}

TEST(GradData, UnpackWithSomeOutputGradients) {
  std::mt19937 rng(32);
  for (int trial = 0; trial < 6; ++trial) {
    const Shape s = random_shape(rng, 1, 4);
    const int rank = static_cast<int>(s.size());
    const int axis = uniform_int(rng, 0, rank - 1);
    const int n = s[axis];
    SCOPED_TRACE(testing::Message() << "trial " << trial << " axis " << axis);
    GradCheck g(tflite::BuiltinOperator_UNPACK, trial);
    g.random(s).options(unpack_opts(n, trial % 2 ? axis - rank : axis)).outputs(n);
    if (n > 1) g.only_outputs({0});  // the others: no gradient
    g.check();
  }
}

tflite::SplitVOptionsT split_v_opts(int n) {
  tflite::SplitVOptionsT o;
  o.num_splits = n;
  return o;
}

TEST(GradData, SplitVWithSomeOutputGradients) {
  std::mt19937 rng(33);
  for (int trial = 0; trial < 6; ++trial) {
    Shape in = random_shape(rng, 1, 3);
    const int rank = static_cast<int>(in.size());
    const int axis = uniform_int(rng, 0, rank - 1);
    const int n = uniform_int(rng, 1, 3);
    std::vector<int32_t> sizes;
    int32_t total = 0;
    for (int k = 0; k < n; ++k) {
      sizes.push_back(uniform_int(rng, 0, 2));
      total += sizes.back();
    }
    in[axis] = total;
    if (trial % 3 == 0) sizes[static_cast<size_t>(n - 1)] = -1;  // the rest
    SCOPED_TRACE(testing::Message() << "trial " << trial << " axis " << axis << " outputs " << n);
    GradCheck g(tflite::BuiltinOperator_SPLIT_V, trial);
    g.random(in);
    if (trial % 2) {
      g.i64({n}, std::vector<int64_t>(sizes.begin(), sizes.end()));
    } else {
      g.i32({n}, sizes);
    }
    g.i32({}, {trial % 2 ? axis - rank : axis}).options(split_v_opts(n)).outputs(n);
    if (n > 1) g.only_outputs({n - 1});
    g.check();
  }
}

TEST(GradData, TileRandomMultiples) {
  std::mt19937 rng(34);
  for (int trial = 0; trial < 6; ++trial) {
    const Shape s = random_shape(rng, 1, 3);
    std::vector<int32_t> multiples;
    for (size_t d = 0; d < s.size(); ++d) multiples.push_back(uniform_int(rng, 1, 3));
    if (trial == 5) multiples[0] = 0;  // an empty output: no gradient at all
    const Shape m{static_cast<int32_t>(s.size())};
    SCOPED_TRACE(testing::Message() << "trial " << trial);
    GradCheck g(tflite::BuiltinOperator_TILE, trial);
    g.random(s);
    if (trial % 2) {
      g.i64(m, std::vector<int64_t>(multiples.begin(), multiples.end()));
    } else {
      g.i32(m, multiples);
    }
    g.check();
  }
}

TEST(GradData, MirrorPadReflectAndSymmetric) {
  std::mt19937 rng(35);
  for (auto mode : {tflite::MirrorPadMode_REFLECT, tflite::MirrorPadMode_SYMMETRIC}) {
    for (int trial = 0; trial < 4; ++trial) {
      const Shape s = random_shape(rng, 1, 3, 4);
      std::vector<int32_t> pads;
      for (int32_t n : s) {
        const int limit = mode == tflite::MirrorPadMode_SYMMETRIC ? n : n - 1;
        pads.push_back(uniform_int(rng, 0, limit));  // up to the limit: every source reused
        pads.push_back(uniform_int(rng, 0, limit));
      }
      SCOPED_TRACE(testing::Message() << "mode " << static_cast<int>(mode) << " trial " << trial);
      tflite::MirrorPadOptionsT o;
      o.mode = mode;
      GradCheck g(tflite::BuiltinOperator_MIRROR_PAD, trial);
      g.random(s).i32({static_cast<int32_t>(s.size()), 2}, pads).options(o).check();
    }
  }
}

TEST(GradData, BroadcastTo) {
  struct Case {
    Shape in, out;
  };
  for (const Case& c : std::vector<Case>{{{3, 1}, {2, 3, 4}}, {{1}, {2, 2}}, {{}, {3}}, {{2, 1, 3}, {2, 2, 3}},
                                         {{2, 3}, {2, 3}}}) {
    SCOPED_TRACE(testing::Message() << "to rank " << c.out.size());
    GradCheck g(tflite::BuiltinOperator_BROADCAST_TO);
    g.random(c.in).i32({static_cast<int32_t>(c.out.size())}, std::vector<int32_t>(c.out.begin(), c.out.end()));
    g.check();
    EXPECT_EQ(g.out_shape(), c.out);
  }
}

}  // namespace
}  // namespace tfc::test
