// Symmetric int8 weight quantization (see quantize_ref.h).
#include "kernels/quantize_ref.h"

#include <algorithm>
#include <cmath>

namespace tfc::kernels {
namespace {

float symmetric_scale(float max_abs) { return std::max(max_abs, kMinSymmetricHalfRange) / 127.0f; }

int8_t quantize_one(float w, float scale) {
  // std::nearbyint rounds ties to even under the default rounding mode.
  const double q = std::nearbyint(static_cast<double>(w) / static_cast<double>(scale));
  if (std::isnan(q)) return 0;  // NaN weights (callers reject them); never undefined behaviour
  return static_cast<int8_t>(std::clamp(q, -127.0, 127.0));
}

}  // namespace

float quantize_symmetric_per_tensor(const float* weights, int64_t n, int8_t* out) {
  float max_abs = 0.0f;
  for (int64_t i = 0; i < n; ++i) max_abs = std::max(max_abs, std::abs(weights[i]));
  const float scale = symmetric_scale(max_abs);
  for (int64_t i = 0; i < n; ++i) out[i] = quantize_one(weights[i], scale);
  return scale;
}

// weights, out: viewed as (outer, channels, inner) with channels = dims[axis].
std::vector<float> quantize_symmetric_per_channel(const float* weights, Dims dims, int32_t axis, int8_t* out) {
  const int64_t channels = dims[axis];
  const int64_t inner = flat_size(dims.subspan(axis + 1));
  const int64_t outer = flat_size(dims.first(axis));
  std::vector<float> max_abs(channels, 0.0f);
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t c = 0; c < channels; ++c) {
      const float* w = weights + (o * channels + c) * inner;
      for (int64_t k = 0; k < inner; ++k) max_abs[c] = std::max(max_abs[c], std::abs(w[k]));
    }
  }
  std::vector<float> scales(channels);
  for (int64_t c = 0; c < channels; ++c) scales[c] = symmetric_scale(max_abs[c]);
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t c = 0; c < channels; ++c) {
      const int64_t base = (o * channels + c) * inner;
      for (int64_t k = 0; k < inner; ++k) out[base + k] = quantize_one(weights[base + k], scales[c]);
    }
  }
  return scales;
}

}  // namespace tfc::kernels
