// Integer kernels of the elementwise family (see elementwise_int.h for what
// each computes and which LiteRT kernel it follows).
#include "kernels/elementwise_int.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/broadcast.h"

namespace tfc::kernels {
namespace {

template <typename T>
constexpr int32_t kMin = std::numeric_limits<T>::min();
template <typename T>
constexpr int32_t kMax = std::numeric_limits<T>::max();

template <typename T>
T saturate(int32_t v) {
  return static_cast<T>(std::clamp(v, kMin<T>, kMax<T>));
}

// Whether scale is an exact power of two; its log2 in *log2 (LiteRT's CheckedLog2:
// log2 rounded, and the scale within 1e-3 of that power in log space).
bool checked_log2(float scale, int* log2) {
  const float x_log2 = std::log(scale) * (1.0f / std::log(2.0f));
  const float rounded = std::round(x_log2);
  *log2 = static_cast<int>(rounded);
  return std::abs(x_log2 - rounded) < 1e-3f;
}

int16_t saturating_add16(int32_t a, int32_t b) { return static_cast<int16_t>(std::clamp(a + b, -32768, 32767)); }

float apply_unary(IntUnary f, float x) {
  switch (f) {
    case IntUnary::kLogistic: return 1.0f / (1.0f + std::exp(-x));
    case IntUnary::kTanh: return std::tanh(x);
    case IntUnary::kHardSwish: return x * std::min(std::max(x + 3.0f, 0.0f), 6.0f) / 6.0f;
    case IntUnary::kElu: return x < 0.0f ? std::expm1(x) : x;
    case IntUnary::kExp: return std::exp(x);
    case IntUnary::kGelu: return 0.5f * x * (1.0f + std::erf(x * static_cast<float>(M_SQRT1_2)));
    case IntUnary::kGeluApproximate:
      return 0.5f * x *
             (1.0f + std::tanh(static_cast<float>(std::sqrt(2.0 / M_PI)) * (x + 0.044715f * x * x * x)));
  }
  return x;
}

// LiteRT's LUTPopulate for one value (float math, TfLiteRound = round half away).
template <typename T>
T lut_value(IntUnary f, int32_t q, QParams in_q, QParams out_q) {
  const float inverse_scale = 1.0f / out_q.scale;
  const float dequantized = in_q.scale * static_cast<float>(q - in_q.zero_point);
  const float transformed = apply_unary(f, dequantized);
  const float rescaled = std::round(transformed * inverse_scale);
  if (std::isnan(rescaled)) return static_cast<T>(out_q.zero_point);
  const float shifted = std::clamp(rescaled + static_cast<float>(out_q.zero_point), static_cast<float>(kMin<T>),
                                   static_cast<float>(kMax<T>));
  return static_cast<T>(static_cast<int32_t>(shifted));
}

}  // namespace

// ---- requantize ------------------------------------------------------------------

template <typename In, typename Out>
void requantize(const In* in, int64_t n, QParams in_q, QParams out_q, Out* out) {
  const QuantizedMultiplier m =
      quantize_multiplier(static_cast<double>(in_q.scale) / static_cast<double>(out_q.scale));
  for (int64_t i = 0; i < n; ++i) {
    const int32_t v = multiply_by_quantized_multiplier(static_cast<int32_t>(in[i]) - in_q.zero_point, m);
    out[i] = saturate<Out>(v + out_q.zero_point);
  }
}

// ---- ADD / SUB -----------------------------------------------------------------------

PotCheck int16_pot_check(QParams aq, QParams bq, QParams oq, bool pot_scale_int16) {
  PotCheck c;
  if (!pot_scale_int16) return c;
  int la = 0, lb = 0, lo = 0;
  if (!checked_log2(aq.scale, &la) || !checked_log2(bq.scale, &lb) || !checked_log2(oq.scale, &lo)) return c;
  c.applies = true;
  const int sa = la - lo, sb = lb - lo;
  c.usable = (sa == 0 || sb == 0) && sa <= 0 && sb <= 0;
  return c;
}

namespace {

// The general path's multipliers (LiteRT's add.cc Prepare): each input's
// scale over twice the larger, and twice the larger over 2^left_shift out.scale.
struct AddRescale {
  int left_shift;
  QuantizedMultiplier a, b, out;
};

template <typename T>
AddRescale add_rescale(QParams aq, QParams bq, QParams oq) {
  const int left_shift = std::is_same_v<T, int16_t> ? 15 : 20;
  const double twice_max = 2.0 * static_cast<double>(std::max(aq.scale, bq.scale));
  return {left_shift, quantize_multiplier(static_cast<double>(aq.scale) / twice_max),
          quantize_multiplier(static_cast<double>(bq.scale) / twice_max),
          quantize_multiplier(twice_max / (static_cast<double>(1 << left_shift) * static_cast<double>(oq.scale)))};
}

// int16 ADD of two inputs of n elements each as LiteRT's builtin kernel
// (AddElementwiseInt16) computes it: in each full block of 16 elements an input
// is rescaled with the left shift folded into its multiplier,
// MultiplyByQuantizedMultiplier(x - zp, m, shift + left_shift), rounded once;
// the last n % 16 elements as the reference (shift left, then rescale: two roundings).
void add_int16_blocks(const int16_t* a, QParams aq, const int16_t* b, QParams bq, QParams oq, const AddRescale& m,
                      IntRange r, int64_t n, int16_t* out) {
  const QuantizedMultiplier fa{m.a.multiplier, m.a.shift + m.left_shift};
  const QuantizedMultiplier fb{m.b.multiplier, m.b.shift + m.left_shift};
  const int64_t blocks = n - n % 16;
  for (int64_t i = 0; i < n; ++i) {
    const int32_t x = static_cast<int32_t>(a[i]) - aq.zero_point, y = static_cast<int32_t>(b[i]) - bq.zero_point;
    const int32_t sx = i < blocks ? multiply_by_quantized_multiplier(x, fa)
                                  : multiply_by_quantized_multiplier(x * (1 << m.left_shift), m.a);
    const int32_t sy = i < blocks ? multiply_by_quantized_multiplier(y, fb)
                                  : multiply_by_quantized_multiplier(y * (1 << m.left_shift), m.b);
    const int32_t raw = multiply_by_quantized_multiplier(sx + sy, m.out) + oq.zero_point;
    out[i] = static_cast<int16_t>(std::clamp(raw, r.min, r.max));
  }
}

}  // namespace

template <typename T>
void add_sub(bool subtract, const T* a, Dims a_dims, QParams aq, const T* b, Dims b_dims, QParams bq, QParams oq,
             Activation act, bool pot_scale_int16, Requantization arithmetic, T* out, Dims out_dims) {
  const IntRange r = activation_range<T>(act, oq.scale, oq.zero_point);
  if constexpr (std::is_same_v<T, int16_t>) {
    if (int16_pot_check(aq, bq, oq, pot_scale_int16).applies) {
      int la = 0, lb = 0, lo = 0;
      checked_log2(aq.scale, &la);
      checked_log2(bq.scale, &lb);
      checked_log2(oq.scale, &lo);
      const int sa = la - lo, sb = lb - lo;  // <= 0, one of them 0
      broadcast_binary(a, a_dims, b, b_dims, out, out_dims, [&](T x, T y) {
        int32_t xv = x, yv = y;
        if (sa != 0) xv = rounding_divide_by_pot(xv, -sa);
        if (sb != 0) yv = rounding_divide_by_pot(yv, -sb);
        const int16_t s = saturating_add16(xv, subtract ? -yv : yv);
        return static_cast<T>(std::clamp<int32_t>(s, r.min, r.max));
      });
      return;
    }
  }
  const AddRescale m = add_rescale<T>(aq, bq, oq);
  const int64_t n = flat_size(out_dims);
  if constexpr (std::is_same_v<T, int16_t>) {
    // LiteRT broadcasts unless the two shapes are the same (HaveSameShapes), even at equal sizes.
    if (!subtract && arithmetic == Requantization::kFloat && std::ranges::equal(a_dims, b_dims)) {
      add_int16_blocks(a, aq, b, bq, oq, m, r, n, out);
      return;
    }
  }
  const int32_t left_factor = 1 << m.left_shift;
  broadcast_binary(a, a_dims, b, b_dims, out, out_dims, [&](T x, T y) {
    const int32_t sx = multiply_by_quantized_multiplier((static_cast<int32_t>(x) - aq.zero_point) * left_factor, m.a);
    const int32_t sy = multiply_by_quantized_multiplier((static_cast<int32_t>(y) - bq.zero_point) * left_factor, m.b);
    const int32_t raw = multiply_by_quantized_multiplier(subtract ? sx - sy : sx + sy, m.out) + oq.zero_point;
    return static_cast<T>(std::clamp(raw, r.min, r.max));
  });
}

// ---- MUL -----------------------------------------------------------------------------------

template <typename T>
void mul(const T* a, Dims a_dims, QParams aq, const T* b, Dims b_dims, QParams bq, QParams oq, Activation act,
         T* out, Dims out_dims) {
  const IntRange r = activation_range<T>(act, oq.scale, oq.zero_point);
  const QuantizedMultiplier m = quantize_multiplier(static_cast<double>(aq.scale) * static_cast<double>(bq.scale) /
                                                    static_cast<double>(oq.scale));
  broadcast_binary(a, a_dims, b, b_dims, out, out_dims, [&](T x, T y) {
    const int32_t prod = (static_cast<int32_t>(x) - aq.zero_point) * (static_cast<int32_t>(y) - bq.zero_point);
    const int32_t v = oq.zero_point + multiply_by_quantized_multiplier(prod, m);
    return static_cast<T>(std::clamp(v, r.min, r.max));
  });
}

template <typename T>
void max_min(bool maximum, const T* a, Dims a_dims, const T* b, Dims b_dims, T* out, Dims out_dims) {
  broadcast_binary(a, a_dims, b, b_dims, out, out_dims,
                  [&](T x, T y) { return maximum ? std::max(x, y) : std::min(x, y); });
}

// ---- Unary ------------------------------------------------------------------------------------

template <typename T>
void unary_lut(IntUnary f, const T* in, int64_t n, QParams in_q, QParams out_q, T* out) {
  if constexpr (sizeof(T) == 1) {
    std::array<T, 256> lut{};
    for (int32_t q = kMin<T>; q <= kMax<T>; ++q) lut[q - kMin<T>] = lut_value<T>(f, q, in_q, out_q);
    for (int64_t i = 0; i < n; ++i) out[i] = lut[static_cast<int32_t>(in[i]) - kMin<T>];
  } else {
    const bool fixed_point = (f == IntUnary::kLogistic || f == IntUnary::kTanh) && in_q.zero_point == 0 &&
                             out_q.zero_point == 0 && out_q.scale == 1.0f / 32768.0f;
    if (fixed_point) {
      const bool tanh = f == IntUnary::kTanh;
      sigmoid_tanh_int16(tanh, in, n, sigmoid_input_rescale(in_q.scale, tanh), out);
      return;
    }
    for (int64_t i = 0; i < n; ++i) out[i] = lut_value<T>(f, in[i], in_q, out_q);
  }
}

// ---- int16 LOGISTIC / TANH --------------------------------------------------------------------

const std::array<uint16_t, 256>& sigmoid_table_q16() {
  static const std::array<uint16_t, 256> table = [] {
    // Indices where LiteRT's table holds round(65536 sigmoid(k / 24)) + 1
    // (checked against all 256 of its entries).
    constexpr std::array<uint8_t, 44> kOneHigher = {4,  8,  12, 14, 15, 16, 17, 19, 20, 21,  22,  25,  27,  28,  29,
                                                    30, 31, 33, 34, 35, 37, 39, 40, 41, 43,  44,  45,  46,  49,  50,
                                                    54, 62, 63, 64, 66, 82, 86, 93, 100, 103, 112, 116, 135, 255};
    std::array<uint16_t, 256> t{};
    for (int k = 0; k < 256; ++k) {
      const double v = std::round(65536.0 / (1.0 + std::exp(-static_cast<double>(k) / 24.0)));
      t[k] = static_cast<uint16_t>(std::min(v, 65535.0));
    }
    for (uint8_t k : kOneHigher) t[k] = static_cast<uint16_t>(std::min<int32_t>(t[k] + 1, 65535));
    return t;
  }();
  return table;
}

SigmoidRescale sigmoid_input_rescale(float in_scale, bool tanh) {
  int log2 = 0;
  const bool pot = checked_log2(in_scale, &log2);
  const int k = 12 + log2;  // in_scale = 2^-12 gives k = 0
  if (pot && (k == 0 || (tanh && k == 1))) return {3 << k, 0};
  // Scale to 1/(3 * 4096) units: double until the multiplier exceeds 32767 / 2.
  double m = static_cast<double>(in_scale) * 4096.0 * 3.0;
  int32_t shift = 0;
  while (m <= 32767.0 / 2.0 && shift <= 30) {
    ++shift;
    m *= 2.0;
  }
  return {static_cast<int32_t>(std::min(m, 2147483647.0)), shift};
}

void sigmoid_tanh_int16(bool tanh, const int16_t* in, int64_t n, SigmoidRescale r, int16_t* out) {
  const std::array<uint16_t, 256>& t = sigmoid_table_q16();
  const int64_t half = r.right_shift > 0 ? int64_t{1} << (r.right_shift - 1) : 0;
  // Bits of |x| below the table index: 9 for sigmoid (step 1/24 = 512 units),
  // 8 for tanh (its argument is doubled).
  const int frac_bits = tanh ? 8 : 9;
  const uint32_t frac_mask = (1u << frac_bits) - 1;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t scaled = (static_cast<int64_t>(in[i]) * r.multiplier + half) >> r.right_shift;
    const int32_t x = static_cast<int32_t>(
        std::clamp<int64_t>(scaled, -std::numeric_limits<int32_t>::max(), std::numeric_limits<int32_t>::max()));
    const uint32_t ax = static_cast<uint32_t>(x < 0 ? -x : x);
    const uint32_t k = ax >> frac_bits;
    // sigmoid(|x|) in Q0.(16 + frac_bits), interpolated between entries k, k + 1.
    uint32_t s;
    if (k >= 255) {
      s = tanh ? (0xFFFFu << 8) : (0x7FFFu << 10);
    } else {
      s = (static_cast<uint32_t>(t[k]) << frac_bits) + (ax & frac_mask) * (t[k + 1] - t[k]);
    }
    if (tanh) {
      // 2 s - 1 in Q0.15: subtract one half (2^23), round to 2^8 units; x < 0
      // mirrors to 1/2 - s, its rounding offset one less so ties go down.
      const int32_t si = static_cast<int32_t>(s);
      const int32_t v = x >= 0 ? si - (1 << 23) + (1 << 7) : -si + (1 << 23) + (1 << 7) - 1;
      out[i] = static_cast<int16_t>(v >> 8);
    } else {
      // s (or 1 - s for x < 0) in Q0.25, rounded to Q0.15.
      const uint32_t v = x >= 0 ? s + (1u << 9) : (1u << 25) - s + (1u << 9) - 1;
      out[i] = static_cast<int16_t>(v >> 10);
    }
  }
}

namespace {
int16_t srdhm16(int16_t a, int16_t b) {  // gemmlowp's SaturatingRoundingDoublingHighMul on int16
  if (a == b && a == std::numeric_limits<int16_t>::min()) return std::numeric_limits<int16_t>::max();
  const int32_t ab = static_cast<int32_t>(a) * b;
  const int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
  return static_cast<int16_t>((ab + nudge) / (1 << 15));
}
int16_t sdhm16(int16_t a, int16_t b) {  // SaturatingDoublingHighMul: rounds toward zero
  if (a == b && a == std::numeric_limits<int16_t>::min()) return std::numeric_limits<int16_t>::max();
  return static_cast<int16_t>((static_cast<int32_t>(a) * b) / (1 << 15));
}
int16_t saturating_left_shift16(int16_t v, int amount) {
  return static_cast<int16_t>(std::clamp<int64_t>(static_cast<int64_t>(v) * (int64_t{1} << amount), -32768, 32767));
}
int16_t down_scale_multiplier(int32_t m) {  // DownScaleInt32ToInt16Multiplier
  if (m >= std::numeric_limits<int32_t>::max() - (1 << 15)) return std::numeric_limits<int16_t>::max();
  return static_cast<int16_t>((m + (1 << 15)) >> 16);
}
}  // namespace

template <typename T>
void hard_swish(const T* in, int64_t n, QParams in_q, QParams out_q, T* out) {
  const float hires_input_scale = (1.0f / 128.0f) * in_q.scale;
  const float reluish_scale = 3.0f / 32768.0f;
  const QuantizedMultiplier om = quantize_multiplier(static_cast<double>(hires_input_scale / out_q.scale));
  const QuantizedMultiplier rm = quantize_multiplier(static_cast<double>(hires_input_scale / reluish_scale));
  const int16_t out_mult = down_scale_multiplier(om.multiplier);
  const int16_t relu_mult = down_scale_multiplier(rm.multiplier);
  for (int64_t i = 0; i < n; ++i) {
    const int16_t v = static_cast<int16_t>(static_cast<int32_t>(in[i]) - in_q.zero_point);
    const int16_t hires = static_cast<int16_t>(v * (1 << 7));
    const int16_t preshift_out = srdhm16(hires, out_mult);
    int16_t reluish = hires;
    if (rm.shift > 0) reluish = saturating_left_shift16(reluish, rm.shift - 1);
    reluish = srdhm16(reluish, relu_mult);
    if (rm.shift > 0) reluish = saturating_left_shift16(reluish, 1);
    if (rm.shift < 0) reluish = static_cast<int16_t>(rounding_divide_by_pot(reluish, -rm.shift));
    reluish = static_cast<int16_t>((static_cast<int32_t>(reluish) + (1 << 15)) >> 1);
    const int16_t preshift = sdhm16(reluish, preshift_out);
    int32_t o = rounding_divide_by_pot(preshift, -om.shift) + out_q.zero_point;
    out[i] = saturate<T>(o);
  }
}

template <typename T>
void relu_x(const T* in, int64_t n, QParams in_q, QParams out_q, float lo, float hi, T* out) {
  const QuantizedMultiplier m =
      quantize_multiplier(static_cast<double>(in_q.scale) / static_cast<double>(out_q.scale));
  const int32_t qmin = std::max(kMin<T>, out_q.zero_point + static_cast<int32_t>(std::round(lo / out_q.scale)));
  const int32_t qmax = std::isinf(hi) ? kMax<T>
                                      : std::min(kMax<T>, out_q.zero_point +
                                                              static_cast<int32_t>(std::round(hi / out_q.scale)));
  for (int64_t i = 0; i < n; ++i) {
    const int32_t v =
        out_q.zero_point + multiply_by_quantized_multiplier(static_cast<int32_t>(in[i]) - in_q.zero_point, m);
    out[i] = static_cast<T>(std::clamp(v, qmin, qmax));
  }
}

template <typename T>
void leaky_relu(const T* in, int64_t n, QParams in_q, QParams out_q, float alpha, T* out) {
  const QuantizedMultiplier m_alpha = quantize_multiplier(static_cast<double>(in_q.scale) * alpha / out_q.scale);
  const QuantizedMultiplier m_id = quantize_multiplier(static_cast<double>(in_q.scale) / out_q.scale);
  // A negative alpha: LiteRT's QuantizeMultiplier keeps the sign in the Q31 multiplier.
  QuantizedMultiplier m_neg = m_alpha;
  if (alpha < 0) {
    m_neg = quantize_multiplier(-static_cast<double>(in_q.scale) * alpha / out_q.scale);
    m_neg.multiplier = -m_neg.multiplier;
  }
  for (int64_t i = 0; i < n; ++i) {
    const int32_t v = static_cast<int32_t>(in[i]) - in_q.zero_point;
    const int32_t o = out_q.zero_point + multiply_by_quantized_multiplier(v, v >= 0 ? m_id : m_neg);
    out[i] = saturate<T>(o);
  }
}

template <typename T>
void prelu(const T* x, Dims x_dims, QParams xq, const T* alpha, Dims alpha_dims, QParams aq, QParams oq, T* out,
           Dims out_dims) {
  const QuantizedMultiplier m1 = quantize_multiplier(static_cast<double>(xq.scale) / oq.scale);
  const QuantizedMultiplier m2 =
      quantize_multiplier(static_cast<double>(xq.scale) * static_cast<double>(aq.scale) / oq.scale);
  broadcast_binary(x, x_dims, alpha, alpha_dims, out, out_dims, [&](T v, T a) {
    const int32_t iv = static_cast<int32_t>(v) - xq.zero_point;
    int32_t o;
    if (iv >= 0) {
      o = oq.zero_point + multiply_by_quantized_multiplier(iv, m1);
    } else {
      o = oq.zero_point + multiply_by_quantized_multiplier(iv * (static_cast<int32_t>(a) - aq.zero_point), m2);
    }
    return saturate<T>(o);
  });
}

// ---- SOFTMAX -------------------------------------------------------------------------------------

Int16Table int16_interp_table(double in_scale, int32_t in_zp, double out_scale, int32_t out_zp,
                              double (*f)(double)) {
  const double in_min = in_scale * (-32768 - in_zp);
  const double in_max = in_scale * (32767 - in_zp);
  const double out_min = out_scale * (-32768 - out_zp);
  const double out_max = out_scale * (32767 - out_zp);
  constexpr int kSegments = 512;
  const double step = (in_max - in_min) / kSegments;
  const double to_table = 65536.0 / (out_max - out_min);
  auto clamp16 = [](double v) { return static_cast<int16_t>(std::clamp(v, -32768.0, 32767.0)); };
  Int16Table t{};
  for (int i = 0; i < kSegments; ++i) {
    const double at = std::round(f(in_min + i * step) * to_table);
    const double next = f(in_min + (i + 1) * step) * to_table;
    const double mid = std::round(f(in_min + i * step + step / 2) * to_table);
    // What interpolating from this sample would give at the segment's middle,
    // against the true middle value: half that error is taken off the sample.
    const double mid_interp = std::round((next + at) / 2);
    const double bias = std::round((mid_interp - mid) / 2);
    t[i] = clamp16(at - bias);
  }
  t[kSegments] = clamp16(std::round(f(in_max) * to_table));
  return t;
}

int16_t int16_interp_lookup(int16_t v, const Int16Table& table) {
  const int32_t segment = 256 + (v >> 7);  // 0 .. 511
  const int32_t frac = v & 0x7f;
  const int32_t base = table[segment];
  const int32_t slope = static_cast<int16_t>(table[segment + 1] - table[segment]);
  return static_cast<int16_t>(base + ((slope * frac + 64) >> 7));
}

namespace {

double exp_of(double x) { return std::exp(x); }
double one_over_one_plus(double x) { return 1.0 / (1.0 + x); }

// exp over [-10, 0] (int16 q maps to 10 (q - 32767) / 65535) and 1/(1+x) over
// [0, 1] (q maps to (q + 32768) / 65535), both in units of 2 / 65535 around 0.
const Int16Table& softmax_exp_table() {
  static const Int16Table t = int16_interp_table(10.0 / 65535, 32767, 2.0 / 65535, 0, exp_of);
  return t;
}
const Int16Table& softmax_reciprocal_table() {
  static const Int16Table t = int16_interp_table(1.0 / 65535, -32768, 2.0 / 65535, 0, one_over_one_plus);
  return t;
}

void softmax_int16(const int16_t* in, int64_t outer, int32_t depth, QParams in_q, float beta, int16_t* out) {
  const Int16Table& exp_t = softmax_exp_table();
  const Int16Table& recip_t = softmax_reciprocal_table();
  // Distances to the row max rescaled so that -65535 stands for -10.
  const QuantizedMultiplier m = quantize_multiplier(static_cast<double>(in_q.scale) * static_cast<double>(beta) /
                                                    (10.0 / 65535.0));
  for (int64_t row = 0; row < outer; ++row) {
    const int16_t* x = in + row * depth;
    int16_t* y = out + row * depth;
    int32_t max_val = std::numeric_limits<int16_t>::min();
    for (int32_t j = 0; j < depth; ++j) max_val = std::max<int32_t>(max_val, x[j]);
    int32_t sum = 0;  // of Q0.15 exps
    for (int32_t j = 0; j < depth; ++j) {
      const int32_t scaled = multiply_by_quantized_multiplier(static_cast<int32_t>(x[j]) - max_val, m);
      const int16_t centered = saturate<int16_t>(scaled + 32767);
      y[j] = int16_interp_lookup(centered, exp_t);  // y holds the exps until the last loop
      sum += y[j];
    }
    // sum = 2^(31 - h) * (1 + f) with f in [0, 1): f in Q0.16 (rounded from
    // the normalized sum), recentred to int16 for the 1/(1+f) table.
    const int h = __builtin_clz(static_cast<uint32_t>(sum));
    const int32_t normalized =
        static_cast<int32_t>(((static_cast<int64_t>(sum) << (h - 1)) + (1 << 13)) >> 14);
    const int16_t f_centered = saturate<int16_t>(normalized - ((1 << 15) + (1 << 16)));
    const int64_t reciprocal = int16_interp_lookup(f_centered, recip_t);  // Q0.15
    const int right_shift = 31 - h;
    const int64_t half = int64_t{1} << (right_shift - 1);
    for (int32_t j = 0; j < depth; ++j) {
      const int64_t p = (static_cast<int64_t>(y[j]) * reciprocal + half) >> right_shift;
      y[j] = static_cast<int16_t>(std::clamp<int64_t>(p, 0, 32767));
    }
  }
}

}  // namespace

Softmax8Table softmax8_table(float in_scale, float beta) {
  Softmax8Table table{};
  const float scale = -in_scale * beta;
  for (int32_t val = 0; val <= 255; ++val) table[255 - val] = std::exp(scale * static_cast<float>(val));
  return table;
}

template <typename In, typename Out>
void softmax8_rows(const Softmax8Table& table, const In* in, int64_t rows, int32_t depth, QParams out_q, Out* out) {
  for (int64_t row = 0; row < rows; ++row) {
    const In* x = in + row * depth;
    Out* y = out + row * depth;
    int32_t max_val = kMin<In>;
    for (int32_t j = 0; j < depth; ++j) max_val = std::max<int32_t>(max_val, x[j]);
    const float* t = table.data() + 255 - max_val;
    float sum = 0.0f;
    for (int32_t j = 0; j < depth; ++j) sum += t[x[j]];
    const float inv = 1.0f / (sum * out_q.scale);
    for (int32_t j = 0; j < depth; ++j) {
      const float p = t[x[j]] * inv;
      int32_t q;
      if constexpr (std::is_same_v<Out, uint8_t>) {
        q = static_cast<int32_t>(p + 0.5f);
      } else {
        // std::round(p) for 0 <= p <= 1 / out.scale (at most 2^16): the
        // integer part, plus one from a fraction of a half or more (exact:
        // p less its integer part is exact below 2^23), without a call.
        const auto whole = static_cast<int32_t>(p);
        q = whole + (p - static_cast<float>(whole) >= 0.5f ? 1 : 0) + out_q.zero_point;
      }
      y[j] = saturate<Out>(q);
    }
  }
}

template <typename In, typename Out>
void softmax(const In* in, int64_t outer, int32_t depth, QParams in_q, float beta, QParams out_q, Out* out) {
  if constexpr (sizeof(In) == 1) {
    softmax8_rows(softmax8_table(in_q.scale, beta), in, outer, depth, out_q, out);
  } else {
    if constexpr (std::is_same_v<Out, int16_t>) {
      if (in_q.zero_point == 0 && out_q.zero_point == 0) {
        softmax_int16(in, outer, depth, in_q, beta, out);
        return;
      }
    }
    std::vector<double> e(depth);
    for (int64_t row = 0; row < outer; ++row) {
      const In* x = in + row * depth;
      Out* y = out + row * depth;
      int32_t max_val = kMin<In>;
      for (int32_t j = 0; j < depth; ++j) max_val = std::max<int32_t>(max_val, x[j]);
      double sum = 0.0;
      for (int32_t j = 0; j < depth; ++j) {
        e[j] = std::exp(static_cast<double>(beta) * in_q.scale * (static_cast<int32_t>(x[j]) - max_val));
        sum += e[j];
      }
      for (int32_t j = 0; j < depth; ++j) {
        const double p = e[j] / sum / out_q.scale;
        y[j] = saturate<Out>(static_cast<int32_t>(std::round(p)) + out_q.zero_point);
      }
    }
  }
}

// ---- Instantiations ----------------------------------------------------------------------------------------

#define TFC_INT_TYPES(X) X(int8_t) X(uint8_t) X(int16_t)

#define TFC_INST_SAME(T)                                                                                           \
  template void add_sub<T>(bool, const T*, Dims, QParams, const T*, Dims, QParams, QParams, Activation, bool,     \
                           Requantization, T*, Dims);                                                              \
  template void mul<T>(const T*, Dims, QParams, const T*, Dims, QParams, QParams, Activation, T*, Dims);           \
  template void max_min<T>(bool, const T*, Dims, const T*, Dims, T*, Dims);                                        \
  template void unary_lut<T>(IntUnary, const T*, int64_t, QParams, QParams, T*);                                   \
  template void relu_x<T>(const T*, int64_t, QParams, QParams, float, float, T*);                                  \
  template void hard_swish<T>(const T*, int64_t, QParams, QParams, T*);                                            \
  template void leaky_relu<T>(const T*, int64_t, QParams, QParams, float, T*);                                     \
  template void prelu<T>(const T*, Dims, QParams, const T*, Dims, QParams, QParams, T*, Dims);
TFC_INT_TYPES(TFC_INST_SAME)

#define TFC_INST_PAIR(In, Out)                                                 \
  template void requantize<In, Out>(const In*, int64_t, QParams, QParams, Out*); \
  template void softmax<In, Out>(const In*, int64_t, int32_t, QParams, float, QParams, Out*);
#define TFC_INST_IN(In) TFC_INST_PAIR(In, int8_t) TFC_INST_PAIR(In, uint8_t) TFC_INST_PAIR(In, int16_t)
TFC_INT_TYPES(TFC_INST_IN)
#define TFC_INST_SOFTMAX8(In, Out) \
  template void softmax8_rows<In, Out>(const Softmax8Table&, const In*, int64_t, int32_t, QParams, Out*);
TFC_INST_SOFTMAX8(int8_t, int8_t)
TFC_INST_SOFTMAX8(int8_t, int16_t)
TFC_INST_SOFTMAX8(uint8_t, uint8_t)

}  // namespace tfc::kernels
