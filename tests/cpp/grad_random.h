// Random shapes and values for the gradient checks (grad_check.h): small
// dims keep the finite differences fast; values kept off an activation's
// kinks, where finite differences are meaningless.
#pragma once

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "ir/graph.h"

namespace tfc::test {

// A uniform integer in [lo, hi].
inline int uniform_int(std::mt19937& rng, int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }

// A shape of rank in [min_rank, max_rank], each dim in [1, max_dim].
inline ir::Shape random_shape(std::mt19937& rng, int min_rank, int max_rank, int max_dim = 3) {
  ir::Shape s(static_cast<size_t>(uniform_int(rng, min_rank, max_rank)));
  for (int32_t& d : s) d = uniform_int(rng, 1, max_dim);
  return s;
}

// Random axes of a rank-`rank` input (a reduction's), some negative, the
// first repeated.
inline std::vector<int32_t> random_axes(std::mt19937& rng, int rank) {
  std::vector<int32_t> axes;
  for (int d = 0; d < rank; ++d) {
    if (uniform_int(rng, 0, 1)) axes.push_back(uniform_int(rng, 0, 1) ? d : d - rank);
  }
  if (!axes.empty()) axes.push_back(axes[0]);
  return axes;
}

// n distinct values in [-1, 1), at least 1 / n apart, in random order: no two
// within a finite-difference step of each other (a max or min without ties).
inline std::vector<float> distinct_values(std::mt19937& rng, int64_t n) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t k = 0; k < n; ++k) v[static_cast<size_t>(k)] = -1.0f + 2.0f * static_cast<float>(k) / n;
  std::shuffle(v.begin(), v.end(), rng);
  return v;
}

// n values uniform in [lo, hi), none within `margin` of a kink.
inline std::vector<float> values_off_kinks(std::mt19937& rng, int64_t n, float lo, float hi,
                                           const std::vector<float>& kinks, float margin = 0.05f) {
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v;
  while (static_cast<int64_t>(v.size()) < n) {
    const float x = u(rng);
    bool near = false;
    for (float k : kinks) near |= std::fabs(x - k) < margin;
    if (!near) v.push_back(x);
  }
  return v;
}

}  // namespace tfc::test
