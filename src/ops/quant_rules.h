// The quantization rule of each op that LiteRT runs in integer form: which
// inputs carry activations, which are weights (symmetric int8, per channel
// along an axis) and bias (int32 for int8 activations, int64 for int16), how
// the output's scale and zero point are chosen, and the op version the TFLite
// converter writes for the integer op. The full-integer quantize pass
// (passes/quantize_int.cc) reads these rules; the integer kernels that run the
// result live with each op's float kernel in its family file.
// Facts from the TFLite quantization spec
// (https://ai.google.dev/edge/litert/models/quantization_spec): fixed output
// parameters of LOGISTIC / SOFTMAX / TANH / LOG_SOFTMAX / L2_NORMALIZATION, and
// the ops whose input and output must share scale and zero point.
#pragma once

#include <cstdint>

namespace tfc::ops {

enum class QuantOutput : uint8_t {
  kOwnRange,          // scale and zero point from the output's calibrated range
  kSameAsInput,       // the first activation input's (pooling, data movement)
  kFixed,             // fixed by the kernel (LOGISTIC, TANH, SOFTMAX, ...)
  kInputsMatchOutput, // from the union of the inputs' and output's ranges, and every
                      // input is requantized to it (CONCATENATION, PACK, MAXIMUM, ...)
  kNotQuantized,      // the output is not a real value (ARG_MAX's int32 indices)
};

struct FixedQParams {
  float scale = 0;
  int32_t zero_point = 0;
};

// Inputs, by bit, that carry activations (quantized with the op); every other
// input keeps its dtype (shapes, axes, indices), except weights and bias.
constexpr uint32_t kInput0 = 1u << 0, kInput1 = 1u << 1, kInput2 = 1u << 2;
constexpr uint32_t kAllInputs = 0xFFFFFFFFu;

struct QuantRule {
  int32_t builtin = 0;  // tflite::BuiltinOperator
  QuantOutput output = QuantOutput::kOwnRange;
  uint32_t activation_inputs = kInput0;
  int8_t weights_input = -1;  // constant weights: symmetric int8, zero point 0
  int8_t weights_axis = -1;   // per-channel axis of the weights, -1 per tensor
  int8_t bias_input = -1;     // bias: scale = input scale * weight scale
  bool int16 = true;          // LiteRT also runs it with int16 activations (16x8)
  int32_t version_int8 = 1;   // op version for int8 / int16 activations
  int32_t version_int16 = 1;
  FixedQParams fixed_int8{}, fixed_int16{};
};

// The rule for a builtin op, or nullptr when the op stays float.
const QuantRule* find_quant_rule(int32_t builtin);

}  // namespace tfc::ops
