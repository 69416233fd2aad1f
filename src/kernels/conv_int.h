// Integer kernels of the conv family, computed as LiteRT's builtin integer
// kernels compute them (tensorflow/lite/kernels/internal/reference/
// integer_ops/{conv,depthwise_conv,fully_connected,pooling,transpose_conv}.h
// and reference/batch_matmul.h):
//
//   int8:    acc (int32) = sum (in - in_zp) * w  [+ bias (int32)]
//            out = clamp(multiply_by_quantized_multiplier(acc, M[c]) + out_zp)
//   int16x8: acc (int64, or int32 where LiteRT keeps an int32 accumulator)
//            = sum in * w [+ bias]; out = clamp(multiply_by_quantized_multiplier(acc, M[c]))
//
// with M[c] = quantize_multiplier(in_scale * w_scale[c] / out_scale) computed
// in double (conv_multipliers), the clamp the fused activation's integer range
// (activation_range<T>). The accumulator type Acc picks the rescale: int32_t
// uses the double-rounding int32 multiply, int64_t the int64 one (Q15
// multiplier, one rounding), exactly as LiteRT chooses by bias dtype. Taps in
// the padding are skipped (they stand for the input zero point).
//
// With IntConvQuant::requantization == kFloat an int8 op (int32 accumulator)
// rescales as LiteRT's XNNPACK delegate does instead (quant_util.h,
// requantize_float): out = zp + rne(clamp(float(acc) * S[c])), S[c] =
// in_scale * w_scale[c] / out_scale in float32. Geometry and
// buffer layouts are those of the float kernels (kernels/conv_ref.h).
//
// Not here: validation of dtypes and quantization parameters (ops/conv_ops.cc),
// hybrid float-input kernels (kernels/hybrid_ref.h).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "kernels/conv_ref.h"
#include "kernels/quant_util.h"

namespace tfc::kernels {

// The requantization of one integer conv-family op.
struct IntConvQuant {
  int32_t input_zero_point = 0;   // 0 for int16
  int32_t weight_zero_point = 0;  // BATCH_MATMUL's rhs only; weights are symmetric elsewhere
  int32_t output_zero_point = 0;  // 0 for int16
  // One per output channel, or a single one for every channel.
  std::vector<QuantizedMultiplier> multipliers;
  IntRange range;  // the output clamp (activation_range<T>)
  // An int64 accumulator rescaled with the int32 (Q31, double-rounding)
  // multiply after saturating it to int32, instead of the int64 (Q15) one:
  // what LiteRT's per-channel 16x8 FULLY_CONNECTED was measured to compute.
  bool int64_with_int32_rescale = false;
  // kFloat (int8 with an int32 accumulator only): rescale with float_scales
  // through requantize_float, as LiteRT's XNNPACK delegate does, instead of
  // multipliers. Other types ignore it.
  Requantization requantization = Requantization::kFixedPoint;
  std::vector<float> float_scales;  // one per output channel, or one for all

  float float_scale(int64_t channel) const {
    return float_scales.size() == 1 ? float_scales[0] : float_scales[static_cast<size_t>(channel)];
  }

  QuantizedMultiplier multiplier(int64_t channel) const {
    return multipliers.size() == 1 ? multipliers[0] : multipliers[static_cast<size_t>(channel)];
  }
};

// quantize_multiplier(double(input_scale) * double(weight_scales[c]) /
// double(output_scale)) for c in [0, channels); a single weight scale is
// broadcast to every channel (LiteRT's PopulateConvolutionQuantizationParams).
std::vector<QuantizedMultiplier> conv_multipliers(float input_scale, std::span<const float> weight_scales,
                                                  float output_scale, int32_t channels);

// float_requant_scale(input_scale, weight_scales[c], output_scale) for c in
// [0, channels) (float32 arithmetic, as XNNPACK computes it); a single weight
// scale is broadcast.
std::vector<float> conv_float_scales(float input_scale, std::span<const float> weight_scales, float output_scale,
                                     int32_t channels);

// T: int8_t or int16_t activations; Acc: int32_t or int64_t (the bias type).
// bias may be nullptr.

// CONV_2D (grouped too). input (N, H, W, Cin); filter (Cout, KH, KW, Cin/groups).
template <typename T, typename Acc>
void conv2d_int(const ConvParams& p, const IntConvQuant& q, const T* input, Dims input_dims, const int8_t* filter,
                Dims filter_dims, const Acc* bias, T* output, Dims output_dims);

// DEPTHWISE_CONV_2D. filter (1, KH, KW, Cout), Cout = Cin * M.
template <typename T, typename Acc>
void depthwise_conv2d_int(const ConvParams& p, const IntConvQuant& q, const T* input, Dims input_dims,
                          const int8_t* filter, Dims filter_dims, const Acc* bias, T* output, Dims output_dims);

// TRANSPOSE_CONV. filter (Cout, KH, KW, Cin); output dims given.
template <typename T, typename Acc>
void transpose_conv_int(const TransposeConvParams& p, const IntConvQuant& q, const T* input, Dims input_dims,
                        const int8_t* filter, Dims filter_dims, const Acc* bias, T* output, Dims output_dims);

// FULLY_CONNECTED. input (rows, depth); weights (units, depth); output (rows, units).
template <typename T, typename Acc>
void fully_connected_int(const IntConvQuant& q, const T* input, int64_t rows, int32_t depth, const int8_t* weights,
                         int32_t units, const Acc* bias, T* output);

// BATCH_MATMUL with both operands of type T (int8: zero points of lhs
// (input_zero_point) and rhs (weight_zero_point); int16: both 0). Shapes and
// broadcasting as kernels::batch_matmul. One multiplier.
template <typename T, typename Acc>
void batch_matmul_int(const IntConvQuant& q, const T* lhs, Dims lhs_dims, bool adj_x, const T* rhs, Dims rhs_dims,
                      bool adj_y, T* output, Dims output_dims);

// AVERAGE_POOL_2D: the window's sum over its taps inside the input, divided
// by their count rounding half away from zero, then clamped to `range`.
// Input and output share scale and zero point.
template <typename T>
void average_pool2d_int(const PoolParams& p, IntRange range, const T* input, Dims input_dims, T* output,
                        Dims output_dims);

// MAX_POOL_2D: the window's maximum, clamped to `range`.
template <typename T>
void max_pool2d_int(const PoolParams& p, IntRange range, const T* input, Dims input_dims, T* output,
                    Dims output_dims);

}  // namespace tfc::kernels
