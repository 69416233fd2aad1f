// Source coordinates of the two RESIZE ops (TFLite's reference rule), shared
// by their forward kernels (shape_ref.cc, shape_int.cc), backward kernels
// (shape_grad_ref.cc) and the fast backend's (runtime/fast/resize_kernel.cc)
// so all walk the same input positions.
// Kernel-internal: ops/ uses kernels/*_ref.h, not this header.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace tfc::kernels {

// Source coordinate scale along one axis.
inline float resize_scale(int32_t in_size, int32_t out_size, bool align_corners) {
  if (align_corners && out_size > 1) return static_cast<float>(in_size - 1) / static_cast<float>(out_size - 1);
  return static_cast<float>(in_size) / static_cast<float>(out_size);
}

// Bilinear source position of output coordinate `value` along one axis:
// the scaled coordinate and its two neighbouring input indices.
struct LerpAxis {
  float pos;
  int32_t lo;
  int32_t hi;
};

inline LerpAxis bilinear_axis(int32_t value, float scale, bool half_pixel_centers, int32_t in_size) {
  const float pos = half_pixel_centers ? (static_cast<float>(value) + 0.5f) * scale - 0.5f
                                       : static_cast<float>(value) * scale;
  const int32_t lo = std::max(static_cast<int32_t>(std::floor(pos)), int32_t{0});
  const int32_t hi = std::min(static_cast<int32_t>(std::ceil(pos)), in_size - 1);
  return {pos, lo, hi};
}

// Nearest source index of output coordinate `value` along one axis.
inline int32_t nearest_index(int32_t value, int32_t in_size, int32_t out_size, bool align_corners,
                             bool half_pixel_centers) {
  const float scale = resize_scale(in_size, out_size, align_corners);
  const float pos = (static_cast<float>(value) + (half_pixel_centers ? 0.5f : 0.0f)) * scale;
  // std::round rounds halves away from zero, as TFLite's TfLiteRound; pos is
  // never negative, so only the upper end needs capping.
  const int32_t index = static_cast<int32_t>(align_corners ? std::round(pos) : std::floor(pos));
  return std::min(index, in_size - 1);
}

// RESIZE_BILINEAR on quantized values (shape_int.cc, LiteRT's
// ResizeBilinearInteger): the scale in 1/1024 steps, rounded to nearest.
inline int32_t resize_scale_10(int32_t in_size, int32_t out_size, bool align_corners) {
  if (align_corners && out_size > 1) return ((1 << 10) * (in_size - 1) + (out_size - 1) / 2) / (out_size - 1);
  return ((1 << 10) * in_size + out_size / 2) / out_size;
}

// Its source position of output coordinate `value` in 1/1024 steps and the
// two neighbouring input indices.
inline void interpolation_values(int32_t value, int32_t scale_10, bool half_pixel_centers, int32_t input_size,
                                 int32_t* scaled, int32_t* lower, int32_t* upper) {
  *scaled = half_pixel_centers ? value * scale_10 + scale_10 / 2 - (1 << 9) : value * scale_10;
  *lower = std::max(*scaled / (1 << 10), 0);
  *upper = std::min((*scaled + (1 << 10) - 1) / (1 << 10), input_size - 1);
}

}  // namespace tfc::kernels
