// Reference kernels of the elementwise family: broadcasting binary arithmetic
// (ADD, SUB, MUL, DIV, MAXIMUM, MINIMUM, SQUARED_DIFFERENCE, PRELU), unary
// activations and math (LOGISTIC, TANH, RELU*, LEAKY_RELU, HARD_SWISH, GELU,
// EXP, SQRT, RSQRT), SOFTMAX / LOG_SOFTMAX over the last axis, and the float <->
// integer conversions of QUANTIZE / DEQUANTIZE, following TFLite's builtin
// kernels (tensorflow/lite/kernels/internal/reference/{add,sub,mul,div,
// maximum_minimum,prelu,logistic,hard_swish,gelu,softmax,log_softmax,quantize,
// dequantize}.h). Pure functions on buffers and dims: callers
// (ops/elementwise_ops.cc) validate inputs and size the outputs.
// Not here: quantized (int8 / int16) arithmetic, DENSIFY (kernels/sparse_ref.h),
// half <-> float (kernels/fp16.h).
//
// Fused activations clamp as TFLite's CalculateActivationRange does: RELU to
// [0, max], RELU6 to [0, 6], RELU_N1_TO_1 to [-1, 1], and every other value
// (NONE, and TANH / SIGN_BIT, which these kernels ignore) to the type's full
// range; for float that is the finite range [lowest, max], so +-inf results
// become +-FLT_MAX. NaN passes through.
#pragma once

#include <cstdint>
#include <span>

#include "kernels/common.h"

namespace tfc::kernels {

// ---- Broadcasting binary ops -------------------------------------------------
enum class BinaryOp : int8_t {
  kAdd,                // a + b
  kSub,                // a - b
  kMul,                // a * b
  kDiv,                // a / b (IEEE: x / 0 is +-inf or NaN)
  kMaximum,            // a > b ? a : b   (so a NaN in b wins, one in a does not)
  kMinimum,            // a < b ? a : b
  kSquaredDifference,  // (a - b)^2
};

// out = act(op(a, b)) with NumPy broadcasting.
// a: a_dims; b: b_dims; out: out_dims = broadcast_shape(a_dims, b_dims).
void binary(BinaryOp op, const float* a, Dims a_dims, const float* b, Dims b_dims, Activation act, float* out,
            Dims out_dims);
// int32 ADD, SUB and MUL (other ops: the caller rejects them). Results wrap
// around in two's complement as the int32 math of LiteRT does on its CPUs.
void binary(BinaryOp op, const int32_t* a, Dims a_dims, const int32_t* b, Dims b_dims, Activation act,
            int32_t* out, Dims out_dims);

// PRELU: out = x >= 0 ? x : x * alpha, alpha broadcast against the input.
// input: in_dims; alpha: alpha_dims; out: out_dims = broadcast_shape(in_dims, alpha_dims).
void prelu(const float* in, Dims in_dims, const float* alpha, Dims alpha_dims, float* out, Dims out_dims);

// ---- Unary ops (input and output: n elements, any shape) ----------------------
enum class UnaryOp : int8_t {
  kLogistic,         // 1 / (1 + exp(-x))
  kTanh,             // tanh(x)
  kRelu,             // max(x, 0)
  kRelu6,            // min(max(x, 0), 6)
  kReluN1To1,        // min(max(x, -1), 1)
  kHardSwish,        // x * relu6(x + 3) / 6
  kGelu,             // x * Phi(x) = 0.5 x erfc(-x / sqrt(2))
  kGeluApproximate,  // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
  kExp,              // exp(x)
  kSqrt,             // sqrt(x) (NaN below 0)
  kRsqrt,            // 1 / sqrt(x)
};
void unary(UnaryOp op, const float* in, float* out, int64_t n);

// LEAKY_RELU: out = x > 0 ? x : alpha * x.
void leaky_relu(const float* in, float alpha, float* out, int64_t n);

// ---- Softmax over the last axis ---------------------------------------------
// input, output: (outer, depth), rows independent.
// SOFTMAX:     out = exp(beta (x - max)) / sum_row exp(beta (x - max))
// LOG_SOFTMAX: out = (x - max) - log(sum_row exp(x - max))
// Subtracting the row max keeps exp() from overflowing (TFLite does the same).
void softmax(const float* in, int64_t outer, int32_t depth, float beta, float* out);
void log_softmax(const float* in, int64_t outer, int32_t depth, float* out);

// ---- QUANTIZE (float32 -> integer, per tensor) -------------------------------
// q = clamp(round(x * (1 / scale)) + zero_point, type min, type max), the
// product in float with the reciprocal rounded to float, and round() to
// nearest, ties to even. That is what LiteRT computes (measured, ai-edge-litert
// 2.3 on x86): XNNPACK's convert for int8 / uint8, and the builtin kernel's
// vector loop for all three types. (The builtin's scalar tail, the last n % 8
// elements, instead rounds x / scale in double half away from zero; ties
// that land there may differ by one.) Out-of-range values saturate and NaN
// becomes the type's maximum, as in XNNPACK (the builtin kernel's int32
// conversion overflows for |x / scale| >= 2^31 and gives arbitrary values).
// input, output: n elements.
void quantize(const float* in, int64_t n, float scale, int32_t zero_point, int8_t* out);
void quantize(const float* in, int64_t n, float scale, int32_t zero_point, uint8_t* out);
void quantize(const float* in, int64_t n, float scale, int32_t zero_point, int16_t* out);

// ---- DEQUANTIZE (integer -> float32) -----------------------------------------
// real = scale * (q - zero_point). Per tensor: scale and zero_point hold one
// value, and the product is taken in double then rounded to float (LiteRT's
// Dequantize). Per channel: one value per index along `axis`
// (scale.size() == zero_point.size() == dims[axis]), product in float (LiteRT's
// PerChannelDequantize). input, output: dims.
void dequantize(const int8_t* in, Dims dims, std::span<const float> scale, std::span<const int32_t> zero_point,
                int32_t axis, float* out);
void dequantize(const uint8_t* in, Dims dims, std::span<const float> scale, std::span<const int32_t> zero_point,
                int32_t axis, float* out);
void dequantize(const int16_t* in, Dims dims, std::span<const float> scale, std::span<const int32_t> zero_point,
                int32_t axis, float* out);
// float16 (IEEE binary16 bits) -> float32, exact. input, output: n elements.
void dequantize_f16(const uint16_t* in, int64_t n, float* out);

}  // namespace tfc::kernels
