#include "ops/quant_rules.h"

#include <algorithm>
#include <array>

#include "tflite_generated.h"

namespace tfc::ops {
namespace {

using Q = QuantOutput;

QuantRule own(int32_t builtin, uint32_t inputs, int32_t v8, int32_t v16, bool int16 = true) {
  return {builtin, Q::kOwnRange, inputs, -1, -1, -1, int16, v8, v16};
}
QuantRule same(int32_t builtin, uint32_t inputs, int32_t v8, int32_t v16, bool int16 = true) {
  return {builtin, Q::kSameAsInput, inputs, -1, -1, -1, int16, v8, v16};
}
QuantRule match(int32_t builtin, uint32_t inputs, int32_t v8, int32_t v16) {
  return {builtin, Q::kInputsMatchOutput, inputs, -1, -1, -1, true, v8, v16};
}
QuantRule weighted(int32_t builtin, uint32_t inputs, int8_t w, int8_t axis, int8_t bias, int32_t v8, int32_t v16) {
  return {builtin, Q::kOwnRange, inputs, w, axis, bias, true, v8, v16};
}
QuantRule fixed(int32_t builtin, FixedQParams q8, FixedQParams q16, int32_t v8, int32_t v16, bool int16 = true) {
  return {builtin, Q::kFixed, kInput0, -1, -1, -1, int16, v8, v16, q8, q16};
}

constexpr float k1_256 = 1.0f / 256.0f, k1_128 = 1.0f / 128.0f, k1_32768 = 1.0f / 32768.0f;

const std::array kRules = {
    // Weighted ops: per-channel weights along the output-channel axis.
    weighted(tflite::BuiltinOperator_CONV_2D, kInput0, 1, 0, 2, 3, 3),
    weighted(tflite::BuiltinOperator_DEPTHWISE_CONV_2D, kInput0, 1, 3, 2, 3, 3),
    weighted(tflite::BuiltinOperator_FULLY_CONNECTED, kInput0, 1, 0, 2, 4, 4),
    weighted(tflite::BuiltinOperator_TRANSPOSE_CONV, kInput2, 1, 0, 3, 3, 3),
    own(tflite::BuiltinOperator_BATCH_MATMUL, kInput0 | kInput1, 2, 3),
    // Arithmetic and activations with their own output range.
    own(tflite::BuiltinOperator_ADD, kAllInputs, 2, 2),
    own(tflite::BuiltinOperator_SUB, kAllInputs, 2, 2),
    own(tflite::BuiltinOperator_MUL, kAllInputs, 2, 2),
    own(tflite::BuiltinOperator_SQUARED_DIFFERENCE, kAllInputs, 2, 2, false),
    own(tflite::BuiltinOperator_RELU, kInput0, 2, 2),
    own(tflite::BuiltinOperator_RELU6, kInput0, 2, 2),
    own(tflite::BuiltinOperator_RELU_N1_TO_1, kInput0, 2, 2),
    own(tflite::BuiltinOperator_LEAKY_RELU, kInput0, 2, 2),
    own(tflite::BuiltinOperator_PRELU, kInput0 | kInput1, 1, 1, false),
    own(tflite::BuiltinOperator_HARD_SWISH, kInput0, 1, 1, false),
    own(tflite::BuiltinOperator_MEAN, kInput0, 2, 2),
    own(tflite::BuiltinOperator_SUM, kInput0, 2, 2),
    // Fixed output parameters (the quantization spec's table).
    fixed(tflite::BuiltinOperator_LOGISTIC, {k1_256, -128}, {k1_32768, 0}, 2, 3),
    fixed(tflite::BuiltinOperator_TANH, {k1_128, 0}, {k1_32768, 0}, 2, 3),
    fixed(tflite::BuiltinOperator_SOFTMAX, {k1_256, -128}, {k1_32768, 0}, 2, 3),
    fixed(tflite::BuiltinOperator_LOG_SOFTMAX, {16.0f / 256.0f, 127}, {}, 2, 2, false),
    fixed(tflite::BuiltinOperator_L2_NORMALIZATION, {k1_128, 0}, {}, 2, 2, false),
    // Same scale and zero point in and out.
    same(tflite::BuiltinOperator_AVERAGE_POOL_2D, kInput0, 2, 3),
    same(tflite::BuiltinOperator_MAX_POOL_2D, kInput0, 2, 3),
    same(tflite::BuiltinOperator_RESHAPE, kInput0, 1, 1),
    same(tflite::BuiltinOperator_SQUEEZE, kInput0, 1, 1),
    same(tflite::BuiltinOperator_EXPAND_DIMS, kInput0, 1, 1),
    same(tflite::BuiltinOperator_TRANSPOSE, kInput0, 2, 2),
    same(tflite::BuiltinOperator_GATHER, kInput0, 2, 2),
    same(tflite::BuiltinOperator_STRIDED_SLICE, kInput0, 2, 2),
    same(tflite::BuiltinOperator_SLICE, kInput0, 2, 2),
    same(tflite::BuiltinOperator_PAD, kInput0, 2, 2),
    same(tflite::BuiltinOperator_SPACE_TO_DEPTH, kInput0, 2, 2),
    same(tflite::BuiltinOperator_DEPTH_TO_SPACE, kInput0, 2, 2),
    same(tflite::BuiltinOperator_SPACE_TO_BATCH_ND, kInput0, 2, 2),
    same(tflite::BuiltinOperator_BATCH_TO_SPACE_ND, kInput0, 2, 2),
    same(tflite::BuiltinOperator_RESIZE_NEAREST_NEIGHBOR, kInput0, 2, 2),
    same(tflite::BuiltinOperator_RESIZE_BILINEAR, kInput0, 2, 2),
    same(tflite::BuiltinOperator_SPLIT, kInput1, 2, 2),
    same(tflite::BuiltinOperator_SPLIT_V, kInput0, 2, 2),
    same(tflite::BuiltinOperator_UNPACK, kInput0, 2, 2),
    same(tflite::BuiltinOperator_TILE, kInput0, 2, 2),
    same(tflite::BuiltinOperator_BROADCAST_TO, kInput0, 2, 2),
    same(tflite::BuiltinOperator_REDUCE_MAX, kInput0, 2, 2),
    same(tflite::BuiltinOperator_REDUCE_MIN, kInput0, 2, 2),
    // Inputs requantized to the output's parameters.
    match(tflite::BuiltinOperator_CONCATENATION, kAllInputs, 2, 2),
    match(tflite::BuiltinOperator_PACK, kAllInputs, 2, 2),
    match(tflite::BuiltinOperator_MAXIMUM, kAllInputs, 2, 2),
    match(tflite::BuiltinOperator_MINIMUM, kAllInputs, 2, 2),
    match(tflite::BuiltinOperator_PADV2, kInput0 | kInput2, 2, 2),
    // Integer outputs.
    QuantRule{tflite::BuiltinOperator_ARG_MAX, Q::kNotQuantized, kInput0, -1, -1, -1, true, 2, 2},
    QuantRule{tflite::BuiltinOperator_ARG_MIN, Q::kNotQuantized, kInput0, -1, -1, -1, true, 2, 2},
};

}  // namespace

const QuantRule* find_quant_rule(int32_t builtin) {
  auto it = std::find_if(kRules.begin(), kRules.end(), [&](const QuantRule& r) { return r.builtin == builtin; });
  return it == kRules.end() ? nullptr : &*it;
}

}  // namespace tfc::ops
