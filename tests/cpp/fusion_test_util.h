// Helpers of the fusion-pass tests (fold_batchnorm_test, fuse_activation_test):
// graphs built with importers::GraphBuilder from random weights, run by the
// reference interpreter before and after a pass on the same random inputs.
#pragma once

#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/array.h"
#include "importers/graph_builder.h"
#include "runtime/interpreter.h"

namespace tfc::test {

using tflite::BuiltinOperator;

// An options union holding `o`.
template <typename T>
tflite::BuiltinOptionsUnion options(T o) {
  tflite::BuiltinOptionsUnion u;
  u.Set(std::move(o));
  return u;
}

inline tflite::Conv2DOptionsT conv_options(tflite::ActivationFunctionType a = tflite::ActivationFunctionType_NONE) {
  tflite::Conv2DOptionsT o;
  o.padding = tflite::Padding_SAME;
  o.stride_w = o.stride_h = 1;
  o.fused_activation_function = a;
  return o;
}

// `n` values uniform in [lo, hi).
inline std::vector<float> random_values(int64_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

// A float32 constant of random values in [lo, hi).
inline ir::TensorId random_constant(importers::GraphBuilder& b, const std::string& name, ir::Shape shape,
                                    uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  const int64_t n = ir::num_elements(shape);
  return b.constant_f32(name, std::move(shape), random_values(n, seed, lo, hi));
}

// The graph built so far, finished; a failed finish fails the test.
inline ir::Model finish(importers::GraphBuilder& b) {
  auto m = b.finish();
  EXPECT_TRUE(m.has_value()) << m.status().message();
  return m.has_value() ? std::move(*m) : ir::Model{};
}

// Random inputs for every graph input of subgraph 0 (float32 in [-2, 2)).
inline std::vector<Array> random_inputs(const ir::Model& m, uint32_t seed) {
  std::vector<Array> inputs;
  for (ir::TensorId id : m.subgraphs[0].inputs) {
    const ir::Tensor& t = m.subgraphs[0].tensors[id];
    Array a;
    a.dtype = DType::kFloat32;
    a.shape.assign(t.shape.begin(), t.shape.end());
    const auto v = random_values(ir::num_elements(t.shape), seed++, -2.0f, 2.0f);
    a.data.resize(v.size() * sizeof(float));
    std::memcpy(a.data.data(), v.data(), a.data.size());
    inputs.push_back(std::move(a));
  }
  return inputs;
}

// The outputs of running `m` with the reference kernels.
inline std::vector<Array> run_reference(const ir::Model& m, const std::vector<Array>& inputs) {
  runtime::InterpreterOptions o;
  o.kernels = runtime::Kernels::kReference;
  auto out = runtime::run_model(m, inputs, 0, o);
  EXPECT_TRUE(out.has_value()) << out.status().message();
  return out.has_value() ? std::move(*out) : std::vector<Array>{};
}

// Whether every output of `after` equals `before`'s within 1e-5 x max(1, |before|).
inline ::testing::AssertionResult outputs_close(const std::vector<Array>& before, const std::vector<Array>& after) {
  if (before.size() != after.size() || before.empty())
    return ::testing::AssertionFailure() << before.size() << " outputs before, " << after.size() << " after";
  for (size_t o = 0; o < before.size(); ++o) {
    if (before[o].shape != after[o].shape) return ::testing::AssertionFailure() << "output " << o << ": shapes differ";
    const float* a = before[o].as<float>();
    const float* b = after[o].as<float>();
    for (int64_t i = 0; i < before[o].num_elements(); ++i) {
      if (!(std::fabs(a[i] - b[i]) <= 1e-5f * std::max(1.0f, std::fabs(a[i])))) {
        return ::testing::AssertionFailure() << "output " << o << " [" << i << "]: " << a[i] << " before, " << b[i]
                                             << " after";
      }
    }
  }
  return ::testing::AssertionSuccess();
}

// How many ops of each kind the model has.
inline std::map<std::string, int> op_counts(const ir::Model& m) {
  std::map<std::string, int> h;
  for (const auto& g : m.subgraphs) {
    for (const auto& op : g.ops) ++h[ir::op_name(op.code)];
  }
  return h;
}

// The names of the graph outputs of subgraph 0.
inline std::vector<std::string> output_names(const ir::Model& m) {
  std::vector<std::string> names;
  for (ir::TensorId id : m.subgraphs[0].outputs) names.push_back(m.subgraphs[0].tensors[id].name);
  return names;
}

}  // namespace tfc::test
