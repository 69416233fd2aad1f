// GradContext: what one op's gradient rule sees during backpropagation — the
// op's forward context (options, input and output values as the forward pass
// left them) plus, for each output, dL/d(output) and, for each input that
// needs one, the buffer its dL/d(input) is added into. Gradients are float32
// and have the shape of their tensor. The trainer (train/executor.h) owns the
// storage; the finite-difference tests build it by hand.
//
// The contract of a gradient rule `Status fn_grad(GradContext&)`:
//  - it reads forward values and output gradients, never writes them;
//  - it ADDS its contribution into input_grad(i) for every i with
//    needs_grad(i) (the same tensor may feed several ops, or one op twice);
//  - an output with no gradient (output_grad(i) == nullptr) counts as zero;
//  - temporary memory comes from scratch(), which is reused between calls.
#pragma once

#include <algorithm>
#include <cstddef>
#include <span>
#include <vector>

#include "ops/op_context.h"

namespace tfc::ops {

class GradContext {
 public:
  // The spans must outlive the context (one entry per output / input).
  GradContext(OpContext& forward, std::span<const float* const> output_grads, std::span<float* const> input_grads,
              std::vector<float>* scratch)
      : fwd_(forward), dy_(output_grads), dx_(input_grads), scratch_(scratch) {}

  // The forward pass: op(), input_shape(i), input<T>(i), output_shape(i), output<T>(i), error(...).
  const OpContext& forward() const { return fwd_; }
  const ir::Op& op() const { return fwd_.op(); }
  std::string op_name() const { return fwd_.op_name(); }
  int num_inputs() const { return fwd_.num_inputs(); }
  int num_outputs() const { return fwd_.num_outputs(); }
  bool has_input(int i) const { return fwd_.has_input(i); }
  DType input_dtype(int i) const { return fwd_.input_dtype(i); }
  const ir::Shape& input_shape(int i) const { return fwd_.input_shape(i); }
  template <typename T> const T* input(int i) const { return fwd_.input<T>(i); }
  const ir::Shape& output_shape(int i) const { return fwd_.output_shape(i); }
  template <typename T> const T* output(int i) const { return const_cast<OpContext&>(fwd_).output<T>(i); }

  // dL/d(output i), shaped like output i; nullptr when no gradient reaches it (zero).
  const float* output_grad(int i) const { return i < static_cast<int>(dy_.size()) ? dy_[i] : nullptr; }
  // Whether input i wants a gradient (a trainable parameter or something computed from one).
  bool needs_grad(int i) const { return i < static_cast<int>(dx_.size()) && dx_[i] != nullptr; }
  // Where dL/d(input i) is added (+=); nullptr when !needs_grad(i).
  float* input_grad(int i) { return needs_grad(i) ? dx_[i] : nullptr; }
  bool any_input_needs_grad() const {
    for (float* p : dx_) {
      if (p) return true;
    }
    return false;
  }

  // At least `n` floats of temporary memory, zeroed, valid until the next
  // scratch() call. Grows on first use only.
  float* scratch(size_t n) {
    if (scratch_->size() < n) scratch_->resize(n);
    std::fill(scratch_->begin(), scratch_->begin() + static_cast<std::ptrdiff_t>(n), 0.0f);
    return scratch_->data();
  }

  template <typename... Args>
  Status error(fmt::format_string<Args...> f, Args&&... args) const {
    return fwd_.error(f, std::forward<Args>(args)...);
  }
  // The error for an input dtype the rule cannot differentiate.
  Status not_differentiable(int input_index) const {
    return unsupported("{}: no gradient for input {} ('{}') of dtype {} (training needs float32)", op_name(),
                       input_index, fwd_.input_tensor(input_index).name, dtype_name(input_dtype(input_index)));
  }

 private:
  OpContext& fwd_;
  std::span<const float* const> dy_;
  std::span<float* const> dx_;
  std::vector<float>* scratch_;
};

}  // namespace tfc::ops
