// IEEE 754 binary16 ("half") <-> float32 conversion, bit exact: subnormals,
// infinities and NaNs included; float -> half rounds to nearest, ties to even
// (as the hardware conversion and Eigen::half do). Scalar functions only; not
// a half arithmetic type.
#pragma once

#include <bit>
#include <cstdint>

namespace tfc::kernels {

// half layout: sign(1) exponent(5, bias 15) mantissa(10).
// float layout: sign(1) exponent(8, bias 127) mantissa(23).
inline float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t mantissa = h & 0x3ffu;
  if (exponent == 0x1f) {  // infinity, or NaN with its payload kept
    return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));
  }
  if (exponent != 0) {  // normal: rebias the exponent (127 - 15 = 112)
    return std::bit_cast<float>(sign | ((exponent + 112) << 23) | (mantissa << 13));
  }
  if (mantissa == 0) return std::bit_cast<float>(sign);  // signed zero
  // Subnormal half (mantissa * 2^-24): normal as a float. Shift the leading 1
  // up to the implicit-bit position, lowering the exponent once per shift.
  uint32_t float_exponent = 127 - 14;
  while ((mantissa & 0x400u) == 0) {
    mantissa <<= 1;
    --float_exponent;
  }
  return std::bit_cast<float>(sign | (float_exponent << 23) | ((mantissa & 0x3ffu) << 13));
}

inline uint16_t float_to_half(float f) {
  const uint32_t bits = std::bit_cast<uint32_t>(f);
  const auto sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  const uint32_t magnitude = bits & 0x7fffffffu;
  if (magnitude > 0x7f800000u) {  // NaN: keep it quiet, keep the payload's top bits
    return static_cast<uint16_t>(sign | 0x7e00u | ((magnitude >> 13) & 0x3ffu));
  }
  // 65520 = 65504 (largest half) + half an ulp: it and above round to infinity.
  if (magnitude >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);
  if (magnitude >= 0x38800000u) {  // >= 2^-14: a normal half
    // Drop 13 mantissa bits with round-to-nearest-even; a carry out of the
    // mantissa correctly bumps the exponent. Then rebias (112 << 23).
    const uint32_t lsb = (magnitude >> 13) & 1u;
    const uint32_t rounded = magnitude + 0xfffu + lsb;
    return static_cast<uint16_t>(sign | ((rounded - 0x38000000u) >> 13));
  }
  // Below 2^-14: a subnormal half counts units of 2^-24. The value is
  // significand * 2^(exponent - 150), i.e. significand >> (126 - exponent) units.
  const uint32_t exponent = magnitude >> 23;
  const int shift = 126 - static_cast<int>(exponent);
  if (shift > 24) return sign;  // below 2^-25 (or a float subnormal): rounds to zero
  const uint32_t significand = (magnitude & 0x7fffffu) | 0x800000u;
  uint32_t units = significand >> shift;
  const uint32_t remainder = significand & ((1u << shift) - 1);
  const uint32_t halfway = 1u << (shift - 1);
  if (remainder > halfway || (remainder == halfway && (units & 1u))) ++units;
  return static_cast<uint16_t>(sign | units);  // units == 0x400 is the smallest normal
}

}  // namespace tfc::kernels
