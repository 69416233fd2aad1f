// A small builder for synthetic one-subgraph models (passes_test,
// fast_kernels_test): tensors, constants with their buffers, ops.
#pragma once

#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ir/graph.h"
#include "passes/graph_edit.h"

namespace tfc::test {

struct ModelBuilder {
  ir::Model m;
  ModelBuilder() {
    m.buffers.emplace_back();
    m.subgraphs.emplace_back();
  }
  ir::Subgraph& g() { return m.subgraphs[0]; }
  ir::TensorId tensor(const std::string& name, ir::Shape shape, DType dtype = DType::kFloat32) {
    ir::Tensor t;
    t.name = name;
    t.dtype = dtype;
    t.shape = std::move(shape);
    return passes::add_tensor(g(), std::move(t));
  }
  ir::TensorId input(const std::string& name, ir::Shape shape, DType dtype = DType::kFloat32) {
    const ir::TensorId id = tensor(name, std::move(shape), dtype);
    g().inputs.push_back(id);
    return id;
  }
  ir::TensorId output(const std::string& name, ir::Shape shape, DType dtype = DType::kFloat32) {
    const ir::TensorId id = tensor(name, std::move(shape), dtype);
    g().outputs.push_back(id);
    return id;
  }
  template <typename T>
  ir::TensorId constant(const std::string& name, ir::Shape shape, DType dtype, const std::vector<T>& v,
                        std::optional<ir::Quantization> q = std::nullopt) {
    ir::Tensor t;
    t.name = name;
    t.dtype = dtype;
    t.shape = std::move(shape);
    t.quantization = std::move(q);
    std::vector<uint8_t> bytes(v.size() * sizeof(T));
    std::memcpy(bytes.data(), v.data(), bytes.size());
    auto id = passes::add_constant(m, 0, std::move(t), std::move(bytes));
    EXPECT_TRUE(id.has_value()) << id.status().message();
    return *id;
  }
  ir::TensorId weights(const std::string& name, ir::Shape shape, uint32_t seed = 1) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    std::vector<float> v(ir::num_elements(shape));
    for (float& x : v) x = dist(rng);
    return constant(name, std::move(shape), DType::kFloat32, v);
  }
  ir::Op& op(tflite::BuiltinOperator code, std::vector<ir::TensorId> inputs, std::vector<ir::TensorId> outputs,
             int32_t version = 1) {
    ir::Op o;
    o.code = {code, "", version};
    o.inputs = std::move(inputs);
    o.outputs = std::move(outputs);
    g().ops.push_back(std::move(o));
    return g().ops.back();
  }
};

// CONV_2D's options: padding, one stride for both axes, fused activation.
inline tflite::Conv2DOptionsT conv2d_options(tflite::Padding padding, int stride, tflite::ActivationFunctionType act) {
  tflite::Conv2DOptionsT o;
  o.padding = padding;
  o.stride_h = o.stride_w = stride;
  o.fused_activation_function = act;
  return o;
}

}  // namespace tfc::test
