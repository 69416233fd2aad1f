// XNNPACK-compatible int8 MEAN (see xnn_reduce.h for the arithmetic).
#include "kernels/xnn_reduce.h"

#include <algorithm>
#include <array>
#include <limits>
#include <vector>

#include "kernels/broadcast.h"

namespace tfc::kernels {

float xnn_mean_scale(float input_scale, float output_scale, int64_t n) {
  const float ratio = input_scale / output_scale;
  const float inv_n = 1.0f / static_cast<float>(n);
  return ratio * inv_n;
}

int8_t xnn_mean_requantize(int64_t acc, float scale, int32_t output_zero_point) {
  float v = static_cast<float>(acc) * scale;
  v = std::max(v, static_cast<float>(-128 - output_zero_point));
  v = std::min(v, static_cast<float>(127 - output_zero_point));
  return static_cast<int8_t>(static_cast<int32_t>(round_half_even(v)) + output_zero_point);
}

void xnn_mean_int8(const int8_t* in, Dims in_dims, std::span<const int32_t> axes, QParams in_q, QParams out_q,
                   int8_t* out) {
  const auto [out_dims, n] = reduction_of(in_dims, axes);
  const int64_t num_out = flat_size(out_dims);
  if (n == 0) {
    std::fill(out, out + num_out, static_cast<int8_t>(out_q.zero_point));
    return;
  }
  std::vector<int64_t> acc(static_cast<size_t>(num_out), 0);
  // The input walked against its reduced shape: o is where element i reduces to.
  for_each_broadcast<1>(in_dims, {Dims(out_dims)}, [&](int64_t i, const std::array<int64_t, 1>& o) {
    acc[static_cast<size_t>(o[0])] += int64_t{in[i]} - in_q.zero_point;
  });
  const float scale = xnn_mean_scale(in_q.scale, out_q.scale, n);
  for (int64_t o = 0; o < num_out; ++o) out[o] = xnn_mean_requantize(acc[static_cast<size_t>(o)], scale, out_q.zero_point);
}

}  // namespace tfc::kernels
