// XNNPACK-compatible int8 MEAN (see xnn_reduce.h for the arithmetic).
#include "kernels/xnn_reduce.h"

#include <algorithm>
#include <limits>
#include <vector>

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
  const size_t rank = in_dims.size();
  std::vector<bool> reduced(rank, false);
  for (int32_t a : axes) reduced[static_cast<size_t>(a)] = true;
  std::vector<int32_t> out_dims(rank);
  int64_t n = 1;
  for (size_t d = 0; d < rank; ++d) {
    out_dims[d] = reduced[d] ? 1 : in_dims[d];
    if (reduced[d]) n *= in_dims[d];
  }
  const int64_t num_out = flat_size(out_dims);
  if (n == 0) {
    std::fill(out, out + num_out, static_cast<int8_t>(out_q.zero_point));
    return;
  }
  std::vector<int64_t> acc(static_cast<size_t>(num_out), 0);
  std::vector<int32_t> idx(rank, 0);
  const int64_t total = flat_size(in_dims);
  for (int64_t i = 0; i < total; ++i) {
    int64_t o = 0;
    for (size_t d = 0; d < rank; ++d) o = o * out_dims[d] + (reduced[d] ? 0 : idx[d]);
    acc[static_cast<size_t>(o)] += int64_t{in[i]} - in_q.zero_point;
    for (size_t d = rank; d-- > 0;) {
      if (++idx[d] < in_dims[d]) break;
      idx[d] = 0;
    }
  }
  const float scale = xnn_mean_scale(in_q.scale, out_q.scale, n);
  for (int64_t o = 0; o < num_out; ++o) out[o] = xnn_mean_requantize(acc[static_cast<size_t>(o)], scale, out_q.zero_point);
}

}  // namespace tfc::kernels
