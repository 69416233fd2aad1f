// Fixed-point arithmetic of TFLite's integer kernels, as the quantization spec
// (https://ai.google.dev/edge/litert/models/quantization_spec) and the integer
// reference kernels define it: a real multiplier M (0 < M, usually < 1) is held
// as a Q31 int32 and a power-of-two shift, and int32 accumulators are rescaled
// with a rounding doubling high multiply followed by a rounding right shift.
// Every integer kernel (int8 and int16x8) rescales through these functions, so
// one place decides how our results round.
//
// Not here: per-op parameter derivation (kernels/*_int.cc), weight quantization
// (quantize_ref.h), float <-> int conversion of whole tensors (quantize ops).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "kernels/common.h"

namespace tfc::kernels {

// A real multiplier as TFLite stores it: value = multiplier * 2^(shift - 31).
// multiplier is in [2^30, 2^31) (or 0); shift > 0 scales up, < 0 down.
struct QuantizedMultiplier {
  int32_t multiplier = 0;
  int32_t shift = 0;
};

// Decomposes a non-negative real multiplier (frexp, the mantissa rounded to
// Q31). Multipliers below 2^-31 become 0.
QuantizedMultiplier quantize_multiplier(double real);

// round((a * b) / 2^31) with ties away from zero, saturating the single
// overflow case a == b == INT32_MIN (gemmlowp's SaturatingRoundingDoublingHighMul).
inline int32_t rounding_doubling_high_mul(int32_t a, int32_t b) {
  if (a == b && a == std::numeric_limits<int32_t>::min()) return std::numeric_limits<int32_t>::max();
  const int64_t ab = static_cast<int64_t>(a) * static_cast<int64_t>(b);
  const int64_t nudge = ab >= 0 ? (int64_t{1} << 30) : (1 - (int64_t{1} << 30));
  return static_cast<int32_t>((ab + nudge) / (int64_t{1} << 31));
}

// x / 2^exponent rounded to nearest, ties away from zero (gemmlowp's
// RoundingDivideByPOT). exponent in [0, 31].
inline int32_t rounding_divide_by_pot(int32_t x, int32_t exponent) {
  const int32_t mask = static_cast<int32_t>((int64_t{1} << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

// x * M for an int32 accumulator (TFLite's MultiplyByQuantizedMultiplier, the
// double-rounding form its builtin kernels use by default).
inline int32_t multiply_by_quantized_multiplier(int32_t x, QuantizedMultiplier m) {
  const int32_t left = m.shift > 0 ? m.shift : 0;
  const int32_t right = m.shift > 0 ? 0 : -m.shift;
  const int64_t shifted = static_cast<int64_t>(x) * (int64_t{1} << left);
  const int32_t clamped = static_cast<int32_t>(std::clamp<int64_t>(
      shifted, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()));
  return rounding_divide_by_pot(rounding_doubling_high_mul(clamped, m.multiplier), right);
}

// x * M for an int64 accumulator (int16x8 conv / fully connected with int64
// bias): the multiplier is reduced to Q15 and the product rounded once.
inline int32_t multiply_by_quantized_multiplier(int64_t x, QuantizedMultiplier m) {
  const int32_t reduced = m.multiplier < 0x7FFF0000 ? (m.multiplier + (1 << 15)) >> 16 : 0x7FFF;
  const int32_t total_shift = 15 - m.shift;
  const int64_t rounded = x * static_cast<int64_t>(reduced) + (int64_t{1} << (total_shift - 1));
  return static_cast<int32_t>(rounded >> total_shift);
}

// round(x) with ties away from zero, as TfLiteRound / std::round.
inline int32_t round_to_int(float x) { return static_cast<int32_t>(std::round(x)); }

// The integer clamp a fused activation implies for an output quantized with
// (scale, zero_point) into T (TFLite's CalculateActivationRangeQuantized):
// RELU [q(0), max], RELU6 [q(0), q(6)], RELU_N1_TO_1 [q(-1), q(1)], NONE the
// full range of T. Other activations (TANH, SIGN_BIT) are not fused in integer
// kernels; they give the full range here and callers reject them.
struct IntRange {
  int32_t min = 0, max = 0;
};
template <typename T>
inline IntRange activation_range(Activation a, float scale, int32_t zero_point) {
  const int32_t qmin = std::numeric_limits<T>::min(), qmax = std::numeric_limits<T>::max();
  auto q = [&](float v) { return zero_point + round_to_int(v / scale); };
  switch (a) {
    case Activation::kRelu: return {std::max(qmin, q(0.0f)), qmax};
    case Activation::kRelu6: return {std::max(qmin, q(0.0f)), std::min(qmax, q(6.0f))};
    case Activation::kReluN1To1: return {std::max(qmin, q(-1.0f)), std::min(qmax, q(1.0f))};
    default: return {qmin, qmax};
  }
}

// Quantization parameters of one tensor as integer kernels see them: one scale
// and zero point, or per-channel scales (zero points all 0) along an axis.
struct QParams {
  float scale = 1.0f;
  int32_t zero_point = 0;
};

// ---- Float requantization (XNNPACK-compatible) ------------------------------
// LiteRT's default interpreter hands int8 CONV_2D, DEPTHWISE_CONV_2D,
// TRANSPOSE_CONV and FULLY_CONNECTED to the XNNPACK delegate, whose int8
// kernels rescale differently from the reference fixed-point formula above:
//   scale[c] = input_scale * filter_scale[c] / output_scale   (float32, in that order)
//   out      = zp + rne(clamp(float(acc) * scale[c], qmin - zp, qmax - zp))
// where acc is the int32 accumulator with the bias added, float(acc) rounds
// to the nearest float, rne rounds half to even, and [qmin, qmax] is the
// activation clamp, itself found by quantizing the float activation bounds
// with rne(clamp(bound / scale + zp, -128, 127)). The two formulas agree but
// for ties and for the last bit of the multiplier, i.e. at most one step per
// layer. kFloat is what LiteRT's default (XNNPACK) path computes, and the
// default here; kFixedPoint is what LiteRT's builtin reference kernels compute.

// Which rescaling the int8 conv family (and MEAN) computes. Not a process
// setting: the interpreter takes it in its options (runtime::InterpreterOptions
// ::arithmetic) and hands it to each op through its context; kernels take it
// in their parameters (IntConvQuant::requantization).
enum class Requantization { kFixedPoint, kFloat };

// The default everywhere (library and CLI): LiteRT's default CPU path, so a
// model computes what it computes when deployed.
inline constexpr Requantization kDefaultRequantization = Requantization::kFloat;

// The float rescale factor of one channel, evaluated in float32 left to right.
inline float float_requant_scale(float input_scale, float weight_scale, float output_scale) {
  const float product = input_scale * weight_scale;
  return product / output_scale;
}

// Round half to even (the default FP rounding mode; lrint/cvtps semantics).
inline float round_half_even(float x) { return std::nearbyint(x); }

// Rescales an int32 accumulator with a float scale: converted to float,
// multiplied, clamped to [range.min - zp, range.max - zp] in float, rounded
// half to even, shifted by the zero point. range must lie inside int32.
inline int32_t requantize_float(int32_t acc, float scale, int32_t zero_point, IntRange range) {
  float v = static_cast<float>(acc) * scale;
  v = std::max(v, static_cast<float>(range.min - zero_point));
  v = std::min(v, static_cast<float>(range.max - zero_point));
  return static_cast<int32_t>(round_half_even(v)) + zero_point;
}

// The output clamp as XNNPACK derives it from a fused activation: each float
// bound quantized as rne(clamp(bound / scale + zp, qmin, qmax)) in float32
// (differs from activation_range<T> only where bound / scale is a tie).
template <typename T>
inline IntRange activation_range_float(Activation a, float scale, int32_t zero_point) {
  const float qmin = static_cast<float>(std::numeric_limits<T>::min());
  const float qmax = static_cast<float>(std::numeric_limits<T>::max());
  auto q = [&](float bound) {
    return static_cast<int32_t>(
        round_half_even(std::min(std::max(bound / scale + static_cast<float>(zero_point), qmin), qmax)));
  };
  const auto lo = static_cast<int32_t>(qmin), hi = static_cast<int32_t>(qmax);
  switch (a) {
    case Activation::kRelu: return {q(0.0f), hi};
    case Activation::kRelu6: return {q(0.0f), q(6.0f)};
    case Activation::kReluN1To1: return {q(-1.0f), q(1.0f)};
    default: return {lo, hi};
  }
}

}  // namespace tfc::kernels
