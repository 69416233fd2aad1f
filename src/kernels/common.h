// Shared vocabulary of the reference kernels: dims, fused activations, padding,
// broadcasting shapes and two's complement arithmetic. Kernels are pure functions on buffers and dims;
// nothing under kernels/ includes IR or schema headers.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <type_traits>
#include <vector>

namespace tfc::kernels {

using Dims = std::span<const int32_t>;  // row-major dims, NHWC for images

inline int64_t flat_size(Dims d) {
  int64_t n = 1;
  for (int32_t v : d) n *= v;
  return n;
}

// Values match TFLite's ActivationFunctionType.
enum class Activation : int8_t { kNone = 0, kRelu = 1, kReluN1To1 = 2, kRelu6 = 3, kTanh = 4, kSignBit = 5 };

// The float clamp of a fused activation (TFLite's CalculateActivationRange:
// RELU [0, max], RELU6 [0, 6], RELU_N1_TO_1 [-1, 1], else no bound; TANH and
// SIGN_BIT are not clamps), applied in ActivationFunctionWithMinMax's operand
// order so that NaN passes.
struct FloatClamp {
  float lo = std::numeric_limits<float>::lowest(), hi = std::numeric_limits<float>::max();
  explicit FloatClamp(Activation a) {
    switch (a) {
      case Activation::kRelu: lo = 0.0f; break;
      case Activation::kRelu6: lo = 0.0f; hi = 6.0f; break;
      case Activation::kReluN1To1: lo = -1.0f; hi = 1.0f; break;
      default: break;
    }
  }
  static bool is_clamp(Activation a) {
    return a == Activation::kRelu || a == Activation::kRelu6 || a == Activation::kReluN1To1;
  }
  float operator()(float x) const { return std::min(std::max(x, lo), hi); }
};

inline float apply_activation(float x, Activation a) {
  switch (a) {
    case Activation::kNone: return x;
    case Activation::kRelu: return std::max(x, 0.0f);
    case Activation::kReluN1To1: return std::min(std::max(x, -1.0f), 1.0f);
    case Activation::kRelu6: return std::min(std::max(x, 0.0f), 6.0f);
    case Activation::kTanh: return std::tanh(x);
    case Activation::kSignBit: return std::signbit(x) ? 1.0f : 0.0f;
  }
  return x;
}

// Values match TFLite's Padding enum.
enum class Padding : int8_t { kSame = 0, kValid = 1 };

// Output size of a windowed op along one axis (TFLite's rule).
inline int32_t window_output_size(Padding p, int32_t in, int32_t filter, int32_t stride, int32_t dilation) {
  const int32_t effective = (filter - 1) * dilation + 1;
  if (p == Padding::kSame) return (in + stride - 1) / stride;
  return (in - effective + stride) / stride;
}

// Padding before the first element along one axis; the remainder goes after.
inline int32_t window_padding_before(int32_t in, int32_t filter, int32_t stride, int32_t dilation, int32_t out) {
  const int32_t effective = (filter - 1) * dilation + 1;
  const int32_t total = std::max((out - 1) * stride + effective - in, 0);
  return total / 2;
}

// Broadcasting (NumPy rules, as TFLite applies them): both shapes are aligned
// at the right; a dim of 1 repeats. Returns false if the shapes are incompatible.
inline bool broadcast_shape(Dims a, Dims b, std::vector<int32_t>& out) {
  const size_t rank = std::max(a.size(), b.size());
  out.assign(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    const int32_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int32_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1) return false;
    out[i] = da == 1 ? db : da;
  }
  return true;
}

// Row-major strides of `in` seen through `out`'s rank, with 0 for broadcast dims
// (the walk over them: kernels/broadcast.h).
inline std::vector<int64_t> broadcast_strides(Dims in, Dims out) {
  std::vector<int64_t> strides(out.size(), 0);
  int64_t s = 1;
  for (size_t k = 0; k < in.size(); ++k) {
    const size_t i = in.size() - 1 - k;
    const size_t o = out.size() - 1 - k;
    strides[o] = in[i] == 1 ? 0 : s;
    s *= in[i];
  }
  return strides;
}

// Two's complement arithmetic for integers (no signed overflow), plain for float.
template <typename T>
T add_wrap(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(static_cast<U>(a) + static_cast<U>(b)));
  } else {
    return a + b;
  }
}

template <typename T>
T mul_wrap(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    // Promote through uint64 so that narrow types do not become signed int.
    return static_cast<T>(static_cast<U>(static_cast<uint64_t>(static_cast<U>(a)) * static_cast<U>(b)));
  } else {
    return a * b;
  }
}

template <typename T>
T neg_wrap(T a) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(U{0} - static_cast<U>(a)));
  } else {
    return -a;
  }
}

}  // namespace tfc::kernels
