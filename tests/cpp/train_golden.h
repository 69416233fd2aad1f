// Keras 3's numbers for the training losses, optimizers and schedules
// (tests/data/train/optim_golden.npz, written by make_optim_golden.py there),
// and the comparison the tests make with them.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "core/array.h"
#include "io/npy.h"
#include "ir/graph.h"
#include "test_util.h"

namespace tfc::test {

// Keras computes in float32; our results agree to this relative tolerance.
inline constexpr double kGoldenRelTol = 1e-6;

// The golden arrays by name, read once.
inline const std::map<std::string, Array>& optim_golden() {
  static const std::map<std::string, Array> arrays = [] {
    std::map<std::string, Array> m;
    auto read = read_npz((source_dir() / "tests/data/train/optim_golden.npz").string());
    if (!read.has_value()) throw std::runtime_error(read.status().message());
    for (NamedArray& a : *read) m.emplace(a.name, std::move(a.array));
    return m;
  }();
  return arrays;
}

inline const Array& golden(const std::string& name) {
  auto it = optim_golden().find(name);
  if (it == optim_golden().end()) throw std::runtime_error("no golden array " + name);
  return it->second;
}

// A golden array's values as doubles (float32, float64 or int64 arrays).
inline std::vector<double> golden_values(const std::string& name) {
  const Array& a = golden(name);
  std::vector<double> out(a.num_elements());
  for (size_t i = 0; i < out.size(); ++i) {
    switch (a.dtype) {
      case DType::kFloat32: out[i] = a.as<float>()[i]; break;
      case DType::kFloat64: out[i] = a.as<double>()[i]; break;
      case DType::kInt64: out[i] = static_cast<double>(a.as<int64_t>()[i]); break;
      default: throw std::runtime_error("golden array " + name + " has an unexpected dtype");
    }
  }
  return out;
}

inline std::vector<float> golden_floats(const std::string& name) {
  std::vector<double> v = golden_values(name);
  return {v.begin(), v.end()};
}

inline ir::Shape golden_shape(const std::string& name) {
  const Array& a = golden(name);
  return {a.shape.begin(), a.shape.end()};
}

// |actual - expected| <= kGoldenRelTol * |expected| elementwise (exact zeros
// must come out as zeros up to 1e-12).
inline void expect_golden(const std::vector<double>& actual, const std::vector<double>& expected,
                          const std::string& what) {
  ASSERT_EQ(actual.size(), expected.size()) << what;
  for (size_t i = 0; i < actual.size(); ++i) {
    const double tol = std::max(kGoldenRelTol * std::abs(expected[i]), 1e-12);
    EXPECT_NEAR(actual[i], expected[i], tol) << what << " [" << i << "]";
  }
}

template <typename T>
Array make_array(DType dtype, std::vector<int64_t> shape, const std::vector<T>& values) {
  Array a{dtype, std::move(shape), std::vector<uint8_t>(values.size() * sizeof(T))};
  std::memcpy(a.data.data(), values.data(), a.data.size());
  return a;
}

}  // namespace tfc::test
