// Integer (int8 / uint8 / int16) kernels of the elementwise family
// (ops/elementwise_ops.cc) LiteRT runs in quantized form: requantize, ADD /
// SUB / MUL, MAXIMUM / MINIMUM, the activations (LOGISTIC, TANH, RELU family,
// LEAKY_RELU, PRELU, HARD_SWISH) and SOFTMAX.
// Each follows the arithmetic of LiteRT's builtin integer kernel (named per
// function) through kernels/quant_util.h, so results round as LiteRT's do.
// int16 LOGISTIC / TANH / SOFTMAX follow LiteRT's fixed-point table
// arithmetic (interpolated sigmoid, exp and 1/(1+x) tables), bit for bit.
// Pure functions on buffers and dims: callers (ops/elementwise_ops.cc)
// validate dtypes, quantization parameters and shapes first.
// Not here: float <-> int conversion (elementwise_ref.h quantize/dequantize),
// the shape family's integer kernels (shape_int.h), data movement (any dtype,
// shape_ref.h / data_ref.h), conv family.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "kernels/common.h"
#include "kernels/quant_util.h"

namespace tfc::kernels {

// ---- QUANTIZE between integer types (LiteRT's Requantize) --------------------
// out = clamp(MultiplyByQuantizedMultiplier(q - in.zp, in.scale / out.scale) + out.zp).
// In, Out: int8_t, uint8_t, int16_t. n elements.
template <typename In, typename Out>
void requantize(const In* in, int64_t n, QParams in_q, QParams out_q, Out* out);

// ---- ADD / SUB (LiteRT's add.cc / sub.cc) --------------------------------------
// General path (int8, uint8; int16 unless pot applies): each input offset by
// its zero point, shifted left by 20 (int16: 15), rescaled by
// scale_i / (2 max(scale_1, scale_2)); the sum (difference) rescaled by
// 2 max(scale) / (2^left_shift out.scale), out.zp added, clamped to `act`'s
// range. Power-of-two path (int16 with pot_scale_int16 and all three scales
// powers of two, zero points 0): the input with the smaller scale is divided by
// 2^shift (rounding) and the two added (subtracted) with int16 saturation.
// int16 ADD on the general path with `arithmetic` kFloat (LiteRT's default
// path, which for int16 is its builtin kernel) and inputs of the output's size:
// in each full block of 16 elements, an input is rescaled by its multiplier
// with the left shift folded in (rounded once, not twice), as LiteRT's
// AddElementwiseInt16; the last size % 16 elements, broadcasting ADD, SUB and
// kFixedPoint are the reference arithmetic above.
// Broadcasting: NumPy rules; a: a_dims, b: b_dims, out: out_dims.
template <typename T>
void add_sub(bool subtract, const T* a, Dims a_dims, QParams aq, const T* b, Dims b_dims, QParams bq, QParams oq,
             Activation act, bool pot_scale_int16, Requantization arithmetic, T* out, Dims out_dims);

// True when the int16 power-of-two path applies (see add_sub) and LiteRT
// accepts it: one input's scale equals the output's and the other's is not
// larger. `usable` false with `applies` true means LiteRT rejects the op.
struct PotCheck {
  bool applies = false;
  bool usable = false;
};
PotCheck int16_pot_check(QParams aq, QParams bq, QParams oq, bool pot_scale_int16);

// ---- MUL (LiteRT's integer_ops/mul.h) -------------------------------------------
// out = clamp(out.zp + MultiplyByQuantizedMultiplier((a - a.zp)(b - b.zp),
//             a.scale b.scale / out.scale)), broadcasting as add_sub.
template <typename T>
void mul(const T* a, Dims a_dims, QParams aq, const T* b, Dims b_dims, QParams bq, QParams oq, Activation act,
         T* out, Dims out_dims);

// ---- MAXIMUM / MINIMUM on raw values (inputs and output quantized alike) ----------
template <typename T>
void max_min(bool maximum, const T* a, Dims a_dims, const T* b, Dims b_dims, T* out, Dims out_dims);

// ---- Unary functions through a float transform ------------------------------------
// 8-bit: LiteRT's LUTPopulate — for every input value q, f(in.scale (q - in.zp))
// divided by out.scale, rounded half away from zero, out.zp added, clamped —
// then a table lookup. int16: the same per element (float, rounded once),
// except LOGISTIC and TANH with zero points 0 and out.scale 2^-15, which use
// LiteRT's integer reference arithmetic (sigmoid_tanh_int16 below).
enum class IntUnary : int8_t { kLogistic, kTanh, kHardSwish, kElu, kExp, kGelu, kGeluApproximate };
template <typename T>
void unary_lut(IntUnary f, const T* in, int64_t n, QParams in_q, QParams out_q, T* out);

// ---- int16 LOGISTIC / TANH (LiteRT's reference_integer_ops, int16 form) --------------
// The input is rescaled to units of 1/(3 * 4096) (x * multiplier, rounded
// right shift; see sigmoid_input_rescale). Logistic: |x| / 512 indexes the
// sigmoid table (step 1/24), the low 9 bits interpolate linearly, the result
// is mirrored for x < 0 (1 - s) and rounded to Q0.15. Tanh uses
// tanh(x) = 2 sigmoid(2x) - 1: |x| / 256 indexes the same table, the low
// 8 bits interpolate. Indices >= 255 saturate. Output scale 2^-15, zp 0.
// Matches both LiteRT resolvers except for the power-of-two input scales
// below: there LiteRT's default (optimized) kernel switches to a different
// fixed-point logistic / tanh (up to ~12 steps apart); we follow its
// reference kernel (BUILTIN_REF) in that case too.
struct SigmoidRescale {
  int32_t multiplier = 0;
  int32_t right_shift = 0;
};
// LiteRT's Prepare: input scale 2^-12 (logistic) or 2^-12 / 2^-11 (tanh)
// becomes the exact multiplier 3 << k; any other scale s becomes
// trunc(3 * 4096 * s * 2^n) >> n with the smallest n making the multiplier
// exceed 32767 / 2 (n <= 31).
SigmoidRescale sigmoid_input_rescale(float in_scale, bool tanh);
void sigmoid_tanh_int16(bool tanh, const int16_t* in, int64_t n, SigmoidRescale r, int16_t* out);

// LiteRT's 256-entry sigmoid table in Q0.16: entry k ~ 65536 sigmoid(k / 24)
// (round to nearest, capped at 65535; LiteRT's shipped entries exceed that by
// one at 44 indices, which this table reproduces).
const std::array<uint16_t, 256>& sigmoid_table_q16();

// ---- HARD_SWISH (LiteRT's reference_ops::HardSwish, 8-bit) ------------------------------
// Fixed point on int16: the input offset and scaled to 2^-7 of its scale; a
// "relu-ish" factor in [0, 1] from x / 3 (saturating), multiplied (rounding
// toward zero) with x rescaled to the output scale, then shifted and offset.
// LiteRT requires (in.scale / 128) / out.scale to quantize with a shift <= 0
// (callers check).
template <typename T>
void hard_swish(const T* in, int64_t n, QParams in_q, QParams out_q, T* out);

// ---- RELU / RELU6 / RELU_N1_TO_1 (LiteRT's QuantizedReluX) ------------------------
// out = clamp(out.zp + MultiplyByQuantizedMultiplier(q - in.zp, in.scale / out.scale),
//             max(type min, out.zp + round(lo / out.scale)),
//             min(type max, out.zp + round(hi / out.scale)))  (hi = inf: type max).
template <typename T>
void relu_x(const T* in, int64_t n, QParams in_q, QParams out_q, float lo, float hi, T* out);

// ---- LEAKY_RELU (LiteRT's QuantizeLeakyRelu) --------------------------------------
// v = q - in.zp; out = clamp(out.zp + MBQM(v, (v >= 0 ? 1 : alpha) in.scale / out.scale)).
template <typename T>
void leaky_relu(const T* in, int64_t n, QParams in_q, QParams out_q, float alpha, T* out);

// ---- PRELU (LiteRT's reference_ops::BroadcastPrelu4DSlow) --------------------------
// v = x - x.zp; v >= 0: out.zp + MBQM(v, x.scale / out.scale);
// else out.zp + MBQM(v (alpha - alpha.zp), x.scale alpha.scale / out.scale); clamped.
template <typename T>
void prelu(const T* x, Dims x_dims, QParams xq, const T* alpha, Dims alpha_dims, QParams aq, QParams oq, T* out,
           Dims out_dims);

// ---- SOFTMAX over the last axis --------------------------------------------------------
// 8-bit input (LiteRT's optimized Softmax with a float table): table[k] =
// exp(-in.scale beta k) for the distance k = max - q of each element from its
// row's max; sum in float; out = clamp(round(table[k] / (sum out.scale)) + out.zp).
// int16 input, int16 output (zero points 0; LiteRT's SoftmaxInt16): the
// distance to the row max, rescaled by in.scale beta / (10 / 65535) (Q31
// multiplier), is looked up in a 513-entry interpolated table of exp over
// [-10, 0] (Q0.15); the sum's reciprocal comes from an interpolated 1/(1+x)
// table after normalizing the sum by its leading zeros; each exp times the
// reciprocal is shifted back and clamped to [0, 32767]. Other int16 cases:
// the real softmax in float, rounded once.
// input, output: (outer, depth).
template <typename In, typename Out>
void softmax(const In* in, int64_t outer, int32_t depth, QParams in_q, float beta, QParams out_q, Out* out);
// The 8-bit form in two steps (the fast backend makes the table once):
// table[255 - k] = exp(-in.scale beta k), then `rows` rows of `depth` from it.
// Instantiated for int8 -> int8, int8 -> int16 and uint8 -> uint8.
using Softmax8Table = std::array<float, 256>;
Softmax8Table softmax8_table(float in_scale, float beta);
template <typename In, typename Out>
void softmax8_rows(const Softmax8Table& table, const In* in, int64_t rows, int32_t depth, QParams out_q, Out* out);

// The interpolated int16 tables behind int16 SOFTMAX (LiteRT's LUTPopulate for
// int16, double form): 512 samples of f over the int16 input range (real
// in_scale (q - in_zp)) plus the end point, in output units (out_scale,
// out_zp); each sample is lowered by half the rounding error that linear
// interpolation makes at the midpoint of its segment. Lookup: the high 9 bits
// of v pick the segment, the low 7 interpolate (rounded).
using Int16Table = std::array<int16_t, 513>;
Int16Table int16_interp_table(double in_scale, int32_t in_zp, double out_scale, int32_t out_zp,
                              double (*f)(double));
int16_t int16_interp_lookup(int16_t v, const Int16Table& table);
}  // namespace tfc::kernels
