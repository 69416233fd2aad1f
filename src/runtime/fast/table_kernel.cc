// Our own fast kernel for the quantized unary ops whose output depends only on
// the input value and the tensors' fixed quantization (and the op's options):
// int8, uint8 and int16 LOGISTIC, TANH, RELU, RELU6, RELU_N1_TO_1,
// LEAKY_RELU, HARD_SWISH, EXP, GELU, and QUANTIZE between integer types
// (requantize). At prepare, the op's reference kernel (its registry eval, under
// the interpreter's arithmetic) runs once on every input value — 256 for 8-bit
// inputs, 65536 for int16 — into a table; running the op is a table lookup
// per element, so it is bit-identical to the reference by construction.
// Large tensors are split over the backend's threads.
#include <vector>

#include "ops/registry.h"
#include "runtime/fast/fast_kernel.h"

namespace tfc::runtime::fast {
namespace {

// Inputs and outputs as their raw bit patterns: the table is indexed by the
// input's bits and holds the output's.
template <typename In, typename Out>
void look_up(const In* in, const Out* table, Out* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = table[in[i]];
}

class TableKernel final : public FastKernel {
 public:
  TableKernel(std::vector<uint8_t> table, size_t in_bytes, size_t out_bytes, Backend& backend)
      : table_(std::move(table)), in_bytes_(in_bytes), out_bytes_(out_bytes), backend_(backend) {}

  Status run(ops::OpContext& ctx) override {
    const int64_t n = ir::num_elements(ctx.input_shape(0));
    const void* in = ctx.input_data(0);
    void* out = ctx.output_data(0);
    const int64_t tasks = own_task_count(backend_, n, n * static_cast<int64_t>(in_bytes_ + out_bytes_));
    backend_.parallel(tasks, [&](int64_t t) {
      const int64_t begin = n * t / tasks, end = n * (t + 1) / tasks;
      if (in_bytes_ == 1) {
        lookup_from(static_cast<const uint8_t*>(in) + begin, out, begin, end - begin);
      } else {
        lookup_from(static_cast<const uint16_t*>(in) + begin, out, begin, end - begin);
      }
    });
    return Status::ok();
  }
  const char* library() const override { return "own"; }

 private:
  template <typename In>
  void lookup_from(const In* in, void* out, int64_t begin, int64_t count) const {
    if (out_bytes_ == 1) {
      look_up(in, table_.data(), static_cast<uint8_t*>(out) + begin, count);
    } else {
      look_up(in, reinterpret_cast<const uint16_t*>(table_.data()), static_cast<uint16_t*>(out) + begin, count);
    }
  }

  std::vector<uint8_t> table_;  // out_bytes_ per entry, 2^(8 in_bytes_) entries
  size_t in_bytes_, out_bytes_;
  Backend& backend_;
};

bool table_op(int32_t builtin) {
  switch (builtin) {
    case tflite::BuiltinOperator_LOGISTIC:
    case tflite::BuiltinOperator_TANH:
    case tflite::BuiltinOperator_RELU:
    case tflite::BuiltinOperator_RELU6:
    case tflite::BuiltinOperator_RELU_N1_TO_1:
    case tflite::BuiltinOperator_LEAKY_RELU:
    case tflite::BuiltinOperator_HARD_SWISH:
    case tflite::BuiltinOperator_EXP:
    case tflite::BuiltinOperator_GELU:
    case tflite::BuiltinOperator_QUANTIZE: return true;
    default: return false;
  }
}

bool integer_value(DType t) { return t == DType::kInt8 || t == DType::kUInt8 || t == DType::kInt16; }

}  // namespace

Expected<std::unique_ptr<FastKernel>> prepare_own_table(const ops::OpContext& ctx, Backend& backend) {
  if (ctx.op().code.is_custom() || !table_op(ctx.op().code.builtin)) return std::unique_ptr<FastKernel>();
  if (ctx.num_inputs() != 1 || ctx.num_outputs() != 1 || !integer_value(ctx.input_dtype(0)) ||
      !integer_value(ctx.output_dtype(0)) || ctx.output_shape(0) != ctx.input_shape(0))
    return std::unique_ptr<FastKernel>();
  const ops::OpDef* def = ops::find_op(ctx.op().code);
  if (def == nullptr) return std::unique_ptr<FastKernel>();
  const size_t in_bytes = dtype_size(ctx.input_dtype(0)), out_bytes = dtype_size(ctx.output_dtype(0));
  const int32_t count = int32_t{1} << (8 * in_bytes);
  // Every bit pattern of the input, in order: entry i is the input whose bits
  // are i (8-bit inputs use the first `count` bytes).
  std::vector<uint16_t> values(static_cast<size_t>(count));
  auto* narrow = reinterpret_cast<uint8_t*>(values.data());
  for (int32_t i = 0; i < count; ++i) {
    if (in_bytes == 1) narrow[i] = static_cast<uint8_t>(i);
    else values[static_cast<size_t>(i)] = static_cast<uint16_t>(i);
  }
  std::vector<uint8_t> table(static_cast<size_t>(count) * out_bytes);
  ops::TensorSlot in{&ctx.input_tensor(0), {count}, values.data()};
  ops::TensorSlot out{&ctx.output_tensor(0), {count}, table.data()};
  ops::OpContext all(ctx.op(), {&in}, {&out}, ctx.arithmetic());
  // A refusal (e.g. quantization the kernel rejects) leaves the op to the
  // reference, which reports it when it runs.
  if (!def->eval(all).is_ok()) return std::unique_ptr<FastKernel>();
  return std::unique_ptr<FastKernel>(new TableKernel(std::move(table), in_bytes, out_bytes, backend));
}

}  // namespace tfc::runtime::fast
