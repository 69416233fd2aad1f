// OpContext: what one op sees while its shape rule or kernel runs — its IR op
// (options), and for each input/output the tensor's metadata, current shape and
// data, and the interpreter's integer arithmetic (how int8 conv-family ops and
// MEAN rescale). The interpreter owns the storage; static shape inference uses
// the same context with data only for constant inputs.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "ir/graph.h"
#include "kernels/common.h"
#include "kernels/quant_util.h"

namespace tfc::ops {

// One tensor slot, owned by the runtime (or by shape inference).
struct TensorSlot {
  const ir::Tensor* tensor = nullptr;  // name, dtype, quantization
  ir::Shape shape;                     // current shape
  void* data = nullptr;                // nullptr when the value is not known (static inference)
};

class OpContext {
 public:
  OpContext(const ir::Op& op, std::vector<TensorSlot*> inputs, std::vector<TensorSlot*> outputs,
            kernels::Requantization arithmetic)
      : op_(op), inputs_(std::move(inputs)), outputs_(std::move(outputs)), arithmetic_(arithmetic) {}

  const ir::Op& op() const { return op_; }
  // The rescaling of int8 conv-family ops and MEAN (InterpreterOptions::arithmetic).
  kernels::Requantization arithmetic() const { return arithmetic_; }
  std::string op_name() const { return ir::op_name(op_.code); }

  int num_inputs() const { return static_cast<int>(inputs_.size()); }
  int num_outputs() const { return static_cast<int>(outputs_.size()); }
  // False for an optional input given as -1 (e.g. a conv without bias).
  bool has_input(int i) const { return i < num_inputs() && inputs_[i] != nullptr; }

  const ir::Tensor& input_tensor(int i) const { return *inputs_[i]->tensor; }
  DType input_dtype(int i) const { return inputs_[i]->tensor->dtype; }
  const ir::Shape& input_shape(int i) const { return inputs_[i]->shape; }
  // Input value, or nullptr when not known yet (static shape inference of a
  // non-constant tensor). A shape rule that needs it returns value_needed(i).
  const void* input_data(int i) const { return inputs_[i]->data; }
  template <typename T> const T* input(int i) const { return static_cast<const T*>(inputs_[i]->data); }

  const ir::Tensor& output_tensor(int i) const { return *outputs_[i]->tensor; }
  DType output_dtype(int i) const { return outputs_[i]->tensor->dtype; }
  const ir::Shape& output_shape(int i) const { return outputs_[i]->shape; }
  void set_output_shape(int i, ir::Shape shape) { outputs_[i]->shape = std::move(shape); }
  template <typename T> T* output(int i) { return static_cast<T*>(outputs_[i]->data); }
  void* output_data(int i) { return outputs_[i]->data; }

  // For shape rules that depend on a value unknown during static inference.
  Status value_needed(int i) {
    value_missing_ = true;
    return invalid_argument("{}: output shape depends on the value of input {} ('{}'), not known before running",
                            op_name(), i, input_tensor(i).name);
  }
  bool value_missing() const { return value_missing_; }
  void clear_value_missing() { value_missing_ = false; }

  // Error naming this op, the offending tensor and its dtype.
  template <typename... Args>
  Status error(fmt::format_string<Args...> f, Args&&... args) const {
    return invalid_argument("{} (output '{}'): {}", op_name(),
                            outputs_.empty() || !outputs_[0] ? std::string("?") : outputs_[0]->tensor->name,
                            fmt::format(f, std::forward<Args>(args)...));
  }
  Status unsupported_dtype(int input_index) const {
    return unsupported("{}: input {} ('{}') has dtype {}, which this op does not support", op_name(),
                       input_index, input_tensor(input_index).name, dtype_name(input_dtype(input_index)));
  }

 private:
  const ir::Op& op_;
  std::vector<TensorSlot*> inputs_;
  std::vector<TensorSlot*> outputs_;
  kernels::Requantization arithmetic_;
  bool value_missing_ = false;
};

// Maps TFLite's fused activation enum to the kernels' one.
inline kernels::Activation to_activation(tflite::ActivationFunctionType a) {
  return static_cast<kernels::Activation>(a);
}
inline kernels::Padding to_padding(tflite::Padding p) { return static_cast<kernels::Padding>(p); }

}  // namespace tfc::ops
