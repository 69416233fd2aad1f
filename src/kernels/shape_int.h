// Integer (int8 / uint8 / int16) kernels of the shape family
// (ops/shape_ops.cc) LiteRT runs in quantized form: CONCATENATION with
// rescaling, MEAN / SUM and RESIZE_BILINEAR. Each follows the arithmetic of
// LiteRT's builtin integer kernel (named per function) through
// kernels/quant_util.h. Pure functions on buffers and dims: the ops validate
// dtypes, quantization parameters and shapes first.
// Not here: float kernels and data movement of the family (shape_ref.h).
#pragma once

#include <cstdint>
#include <span>

#include "kernels/common.h"
#include "kernels/quant_util.h"

namespace tfc::kernels {

// ---- CONCATENATION with rescaling --------------------------------------------------------
// Inputs quantized like the output are copied; others become
// clamp(round(q * s + (-zp s)) + out.zp) with s = in.scale / out.scale in float
// (LiteRT's ConcatenationWithScaling).
template <typename T>
void concatenation(std::span<const T* const> inputs, std::span<const Dims> in_dims, std::span<const QParams> in_q,
                   int axis, QParams out_q, T* out);

// ---- MEAN / SUM (LiteRT's QuantizedMeanOrSum, integer form) ------------------------------
// acc = sum over the reduced axes of (q - in.zp) (int64); MEAN: rescaled by
// in.scale / (out.scale count) (the multiplier pre-divided by the count as
// LiteRT's integer Mean does); SUM: by in.scale / out.scale; out.zp added;
// clamped. axes: normalized, possibly repeated.
template <typename T>
void reduce_mean_sum(bool mean, const T* in, Dims in_dims, std::span<const int32_t> axes, QParams in_q,
                     QParams out_q, T* out);
// Its last step, from the sums acc[o] of (q - in.zp) over `count` elements
// each, for outputs [0, num_out) (the fast backend sums on its own).
template <typename T>
void reduce_mean_sum_finish(bool mean, const int64_t* acc, int64_t num_out, int64_t count, QParams in_q,
                            QParams out_q, T* out);

// ---- RESIZE_BILINEAR (LiteRT's ResizeBilinearInteger) -------------------------------------
// Source coordinates in 1/1024 steps; the four weighted neighbours summed in
// int64 at scale 2^20 and rounded half away from zero. input (N,H,W,C) and
// output quantized alike.
template <typename T>
void resize_bilinear_int(const T* in, Dims in_dims, int32_t out_h, int32_t out_w, bool align_corners,
                         bool half_pixel_centers, T* out);

}  // namespace tfc::kernels
