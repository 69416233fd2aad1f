// The op-test harness: one op with its tensors, run through its shape rule and
// kernel as the interpreter does, plus the status macros and small helpers
// the op tests share (shape_test, misc_test, conv_test, elementwise_test).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <numeric>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ops/op_context.h"

#define ASSERT_OK(expr)                      \
  do {                                       \
    const ::tfc::Status s_ = (expr);         \
    ASSERT_TRUE(s_.is_ok()) << s_.message(); \
  } while (0)
#define EXPECT_OK(expr)                      \
  do {                                       \
    const ::tfc::Status s_ = (expr);         \
    EXPECT_TRUE(s_.is_ok()) << s_.message(); \
  } while (0)

namespace tfc::test {

// One op with its tensors: inputs with (or without) values, outputs sized by
// the shape rule and filled by the kernel. Inputs are named in0, in1, ... and
// outputs out0, out1, ... in the order they are added.
class OpHarness {
 public:
  using Shape = ir::Shape;
  using Rule = Status (*)(ops::OpContext&);

  explicit OpHarness(tflite::BuiltinOperator code) { op_.code.builtin = code; }

  template <typename T>
  OpHarness& input(DType dtype, Shape shape, const std::vector<T>& values) {
    Entry& e = add(dtype, std::move(shape), "in" + std::to_string(inputs_.size()));
    e.bytes.resize(values.size() * sizeof(T) + 1);  // never empty: an empty value is still known
    if (!values.empty()) std::memcpy(e.bytes.data(), values.data(), values.size() * sizeof(T));
    e.slot.data = e.bytes.data();
    inputs_.push_back(&e.slot);
    return *this;
  }
  OpHarness& f32(Shape shape, const std::vector<float>& v) { return input(DType::kFloat32, std::move(shape), v); }
  OpHarness& i32(Shape shape, const std::vector<int32_t>& v) { return input(DType::kInt32, std::move(shape), v); }
  OpHarness& i64(Shape shape, const std::vector<int64_t>& v) { return input(DType::kInt64, std::move(shape), v); }
  OpHarness& b8(Shape shape, const std::vector<uint8_t>& v) { return input(DType::kBool, std::move(shape), v); }
  // An input whose value is not known (static shape inference).
  OpHarness& unknown(DType dtype, Shape shape) {
    inputs_.push_back(&add(dtype, std::move(shape), "in" + std::to_string(inputs_.size())).slot);
    return *this;
  }
  // An optional input given as -1.
  OpHarness& absent() {
    inputs_.push_back(nullptr);
    return *this;
  }
  OpHarness& output(DType dtype) {
    outputs_.push_back(&add(dtype, {}, "out" + std::to_string(outputs_.size())));
    return *this;
  }
  template <typename Options>
  OpHarness& options(Options o) {
    op_.options.Set(std::move(o));
    return *this;
  }
  // Quantizes the most recently added input or output tensor (per tensor).
  OpHarness& quantized(float scale, int64_t zero_point) {
    ir::Quantization q;
    q.scale = {scale};
    q.zero_point = {zero_point};
    entries_.back().tensor.quantization = q;
    return *this;
  }
  // The rescaling of int8 conv-family ops and MEAN. The harness defaults to
  // the fixed-point arithmetic of TFLite's reference kernels, whose values
  // the op tests spell out; kFloat is LiteRT's default path (the runtime's).
  OpHarness& arithmetic(kernels::Requantization r) {
    arithmetic_ = r;
    return *this;
  }
  // The most recently added input or output tensor, for what the builders
  // above do not set (per-channel quantization, sparsity).
  ir::Tensor& last() { return entries_.back().tensor; }

  Status shape(Rule rule) {
    ops::OpContext ctx = context();
    Status s = rule(ctx);
    value_missing_ = ctx.value_missing();
    return s;
  }
  // Runs the shape rule, allocates the outputs, runs the kernel. Outputs start
  // filled with a pattern no test expects (float32: about 3.4e38, other
  // dtypes: 0xAB bytes), so that an element the kernel leaves unwritten shows.
  Status run(Rule rule, Rule eval) {
    TFC_RETURN_IF_ERROR(shape(rule));
    for (Entry* e : outputs_) {
      const uint8_t fill = e->tensor.dtype == DType::kFloat32 ? 0x7F : 0xAB;
      e->bytes.assign(ir::num_elements(e->slot.shape) * dtype_size(e->tensor.dtype) + 1, fill);
      e->slot.data = e->bytes.data();
    }
    ops::OpContext ctx = context();
    return eval(ctx);
  }

  const Shape& out_shape(int i = 0) const { return outputs_[i]->slot.shape; }
  template <typename T = float>
  std::vector<T> out(int i = 0) const {
    std::vector<T> v(ir::num_elements(outputs_[i]->slot.shape));
    if (!v.empty()) std::memcpy(v.data(), outputs_[i]->bytes.data(), v.size() * sizeof(T));
    return v;
  }
  // Whether the last shape rule asked for the value of an unknown input.
  bool value_missing() const { return value_missing_; }

 private:
  struct Entry {
    ir::Tensor tensor;
    std::vector<uint8_t> bytes;
    ops::TensorSlot slot;
  };
  Entry& add(DType dtype, Shape shape, std::string name) {
    Entry& e = entries_.emplace_back();
    e.tensor.name = std::move(name);
    e.tensor.dtype = dtype;
    e.tensor.shape = shape;
    e.slot.tensor = &e.tensor;
    e.slot.shape = std::move(shape);
    return e;
  }
  ops::OpContext context() {
    std::vector<ops::TensorSlot*> outs;
    for (Entry* e : outputs_) outs.push_back(&e->slot);
    return ops::OpContext(op_, inputs_, outs, arithmetic_);
  }

  ir::Op op_;
  std::deque<Entry> entries_;  // stable addresses
  std::vector<ops::TensorSlot*> inputs_;
  std::vector<Entry*> outputs_;
  kernels::Requantization arithmetic_ = kernels::Requantization::kFixedPoint;
  bool value_missing_ = false;
};

// start, start + 1, ... (n values).
inline std::vector<float> iota_f(size_t n, float start = 0.0f) {
  std::vector<float> v(n);
  std::iota(v.begin(), v.end(), start);
  return v;
}

// |got - want| <= rel * max(1, |want|), element by element.
inline void expect_near(const std::vector<float>& got, const std::vector<double>& want, double rel = 1e-6) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i], want[i], rel * std::max(1.0, std::fabs(want[i]))) << "at " << i;
  }
}

// ReducerOptions for the reductions (MEAN, SUM, REDUCE_*).
inline tflite::ReducerOptionsT reducer(bool keep_dims) {
  tflite::ReducerOptionsT o;
  o.keep_dims = keep_dims;
  return o;
}

// An error whose message contains `fragment`.
inline void expect_error(const Status& s, const std::string& fragment) {
  EXPECT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find(fragment), std::string::npos) << s.message();
}

}  // namespace tfc::test
