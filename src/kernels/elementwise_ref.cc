// Reference kernels of the elementwise family (see elementwise_ref.h for what
// each computes and which TFLite kernel it follows). Not here: validation and
// output sizing, which the ops do.
#include "kernels/elementwise_ref.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/broadcast.h"
#include "kernels/fp16.h"

namespace tfc::kernels {
namespace {

// The clamp range of a fused activation (TFLite's CalculateActivationRange).
template <typename T>
struct ActivationRange {
  T lo, hi;
};

template <typename T>
ActivationRange<T> activation_range(Activation act) {
  switch (act) {
    case Activation::kRelu: return {T(0), std::numeric_limits<T>::max()};
    case Activation::kRelu6: return {T(0), T(6)};
    case Activation::kReluN1To1: return {T(-1), T(1)};
    default: return {std::numeric_limits<T>::lowest(), std::numeric_limits<T>::max()};
  }
}

// min(max(x, lo), hi) in the order TFLite writes it, so NaN passes through.
template <typename T>
T clamp_to(T x, ActivationRange<T> r) {
  return std::min(std::max(x, r.lo), r.hi);
}

float binary_f32(BinaryOp op, float a, float b) {
  switch (op) {
    case BinaryOp::kAdd: return a + b;
    case BinaryOp::kSub: return a - b;
    case BinaryOp::kMul: return a * b;
    case BinaryOp::kDiv: return a / b;
    case BinaryOp::kMaximum: return a > b ? a : b;
    case BinaryOp::kMinimum: return a < b ? a : b;
    case BinaryOp::kSquaredDifference: return (a - b) * (a - b);
  }
  return 0.0f;
}

// Two's complement wrap-around, computed in uint32 (no signed overflow).
int32_t binary_i32(BinaryOp op, int32_t a, int32_t b) {
  const auto ua = static_cast<uint32_t>(a), ub = static_cast<uint32_t>(b);
  switch (op) {
    case BinaryOp::kAdd: return static_cast<int32_t>(ua + ub);
    case BinaryOp::kSub: return static_cast<int32_t>(ua - ub);
    case BinaryOp::kMul: return static_cast<int32_t>(ua * ub);
    default: return 0;  // not an int32 op; the caller rejects it
  }
}

// 1 / (1 + exp(-x)), written as e / (1 + e) with e = exp(x) for negative x so
// that it stays accurate (down to subnormal results) where exp(-x) overflows.
// LiteRT's float kernel (Eigen's logistic) is accurate to float precision
// there too, unlike the reference kernel's exp(x) shortcut below -9.
float logistic(float x) {
  if (x >= 0.0f) return 1.0f / (1.0f + std::exp(-x));
  const float e = std::exp(x);
  return e / (1.0f + e);
}

float clamp_f32(float x, float lo, float hi) { return x < lo ? lo : (x > hi ? hi : x); }

float unary_f32(UnaryOp op, float x) {
  constexpr float kSqrt2OverPi = 0.7978845608028654f;  // sqrt(2 / pi)
  constexpr float kSqrtHalf = 0.7071067811865476f;     // 1 / sqrt(2)
  switch (op) {
    case UnaryOp::kLogistic: return logistic(x);
    case UnaryOp::kTanh: return std::tanh(x);
    case UnaryOp::kRelu: return x < 0.0f ? 0.0f : x;
    case UnaryOp::kRelu6: return clamp_f32(x, 0.0f, 6.0f);
    case UnaryOp::kReluN1To1: return clamp_f32(x, -1.0f, 1.0f);
    case UnaryOp::kHardSwish: return x * std::min(6.0f, std::max(0.0f, x + 3.0f)) * (1.0f / 6.0f);
    // erfc form: no cancellation for large negative x (TFLite's GeluTransform).
    case UnaryOp::kGelu: return 0.5f * x * std::erfc(-x * kSqrtHalf);
    case UnaryOp::kGeluApproximate:
      return 0.5f * x * (1.0f + std::tanh(kSqrt2OverPi * (x + 0.044715f * x * x * x)));
    case UnaryOp::kExp: return std::exp(x);
    case UnaryOp::kSqrt: return std::sqrt(x);
    case UnaryOp::kRsqrt: return 1.0f / std::sqrt(x);
  }
  return x;
}

template <typename Q>
void quantize_impl(const float* in, int64_t n, float scale, int32_t zero_point, Q* out) {
  constexpr double kMin = std::numeric_limits<Q>::min();
  constexpr double kMax = std::numeric_limits<Q>::max();
  const float inverse_scale = 1.0f / scale;
  for (int64_t i = 0; i < n; ++i) {
    // nearbyint: the default rounding mode, to nearest with ties to even.
    const double q = static_cast<double>(std::nearbyint(in[i] * inverse_scale)) + zero_point;
    // Saturate (huge values and +-inf too); NaN -> max, as XNNPACK does.
    out[i] = static_cast<Q>(std::isnan(q) ? kMax : std::clamp(q, kMin, kMax));
  }
}

// in, out: (outer, channels, inner) with channels = dims[axis] per channel, or
// the whole tensor as one channel per tensor.
template <typename Q>
void dequantize_impl(const Q* in, Dims dims, std::span<const float> scale, std::span<const int32_t> zero_point,
                     int32_t axis, float* out) {
  const int64_t n = flat_size(dims);
  if (scale.size() == 1) {
    const double s = scale[0];
    for (int64_t i = 0; i < n; ++i) {
      out[i] = static_cast<float>(s * (static_cast<int32_t>(in[i]) - zero_point[0]));
    }
    return;
  }
  const int64_t channels = dims[axis];
  const int64_t inner = flat_size(dims.subspan(axis + 1));
  const int64_t outer = channels * inner == 0 ? 0 : n / (channels * inner);
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t c = 0; c < channels; ++c) {
      const int64_t base = (o * channels + c) * inner;
      for (int64_t k = 0; k < inner; ++k) {
        out[base + k] = scale[c] * static_cast<float>(static_cast<int32_t>(in[base + k]) - zero_point[c]);
      }
    }
  }
}

}  // namespace

void binary(BinaryOp op, const float* a, Dims a_dims, const float* b, Dims b_dims, Activation act, float* out,
            Dims out_dims) {
  const ActivationRange<float> range = activation_range<float>(act);
  broadcast_binary(a, a_dims, b, b_dims, out, out_dims,
                  [&](float x, float y) { return clamp_to(binary_f32(op, x, y), range); });
}

void binary(BinaryOp op, const int32_t* a, Dims a_dims, const int32_t* b, Dims b_dims, Activation act,
            int32_t* out, Dims out_dims) {
  const ActivationRange<int32_t> range = activation_range<int32_t>(act);
  broadcast_binary(a, a_dims, b, b_dims, out, out_dims,
                  [&](int32_t x, int32_t y) { return clamp_to(binary_i32(op, x, y), range); });
}

void prelu(const float* in, Dims in_dims, const float* alpha, Dims alpha_dims, float* out, Dims out_dims) {
  broadcast_binary(in, in_dims, alpha, alpha_dims, out, out_dims,
                  [](float x, float a) { return x >= 0.0f ? x : x * a; });
}

void unary(UnaryOp op, const float* in, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = unary_f32(op, in[i]);
}

void leaky_relu(const float* in, float alpha, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = in[i] > 0.0f ? in[i] : in[i] * alpha;
}

void softmax(const float* in, int64_t outer, int32_t depth, float beta, float* out) {
  if (depth == 0) return;
  for (int64_t row = 0; row < outer; ++row) {
    const float* x = in + row * depth;
    float* y = out + row * depth;
    const float max = *std::max_element(x, x + depth);
    float sum = 0.0f;
    for (int32_t c = 0; c < depth; ++c) {
      y[c] = std::exp((x[c] - max) * beta);
      sum += y[c];
    }
    for (int32_t c = 0; c < depth; ++c) y[c] /= sum;
  }
}

void log_softmax(const float* in, int64_t outer, int32_t depth, float* out) {
  if (depth == 0) return;
  for (int64_t row = 0; row < outer; ++row) {
    const float* x = in + row * depth;
    float* y = out + row * depth;
    const float max = *std::max_element(x, x + depth);
    // Float sum in row order, as LiteRT's kernel: when one logit dominates,
    // log(sum) is tiny and carries the sum's rounding, and this reproduces
    // LiteRT's rounding far better than an exact sum would.
    float sum = 0.0f;
    for (int32_t c = 0; c < depth; ++c) sum += std::exp(x[c] - max);
    const float log_sum = std::log(sum);
    for (int32_t c = 0; c < depth; ++c) y[c] = (x[c] - max) - log_sum;
  }
}

void quantize(const float* in, int64_t n, float scale, int32_t zero_point, int8_t* out) {
  quantize_impl(in, n, scale, zero_point, out);
}
void quantize(const float* in, int64_t n, float scale, int32_t zero_point, uint8_t* out) {
  quantize_impl(in, n, scale, zero_point, out);
}
void quantize(const float* in, int64_t n, float scale, int32_t zero_point, int16_t* out) {
  quantize_impl(in, n, scale, zero_point, out);
}

void dequantize(const int8_t* in, Dims dims, std::span<const float> scale, std::span<const int32_t> zero_point,
                int32_t axis, float* out) {
  dequantize_impl(in, dims, scale, zero_point, axis, out);
}
void dequantize(const uint8_t* in, Dims dims, std::span<const float> scale, std::span<const int32_t> zero_point,
                int32_t axis, float* out) {
  dequantize_impl(in, dims, scale, zero_point, axis, out);
}
void dequantize(const int16_t* in, Dims dims, std::span<const float> scale, std::span<const int32_t> zero_point,
                int32_t axis, float* out) {
  dequantize_impl(in, dims, scale, zero_point, axis, out);
}

void dequantize_f16(const uint16_t* in, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = half_to_float(in[i]);
}

}  // namespace tfc::kernels
