// Reference backward kernels of the data family (see data_grad_ref.h): each
// walks its forward kernel's loop (data_ref.cc) and adds dy where the forward
// copied from. Not here: validation and plans (ops/data_grad.cc).
#include "kernels/data_grad_ref.h"

#include <array>
#include <vector>

#include "kernels/broadcast.h"
#include "kernels/index_util.h"

namespace tfc::kernels {

void tile_backward(const float* dy, Dims in_dims, Dims out_dims, float* dx) {
  const std::vector<int64_t> in_strides = strides_of(in_dims);
  for_each_index(out_dims, [&](int64_t o, const std::vector<int32_t>& idx) {
    int64_t to = 0;
    for (size_t d = 0; d < idx.size(); ++d) to += (idx[d] % in_dims[d]) * in_strides[d];
    dx[to] += dy[o];
  });
}

void mirror_pad_backward(const float* dy, Dims in_dims, std::span<const int32_t> before,
                         std::span<const int32_t> after, bool symmetric, float* dx) {
  std::vector<int32_t> out_dims(in_dims.size());
  for (size_t d = 0; d < in_dims.size(); ++d) out_dims[d] = in_dims[d] + before[d] + after[d];
  const std::vector<int64_t> in_strides = strides_of(in_dims);
  for_each_index(out_dims, [&](int64_t o, const std::vector<int32_t>& idx) {
    int64_t to = 0;
    for (size_t d = 0; d < idx.size(); ++d) {
      to += mirror_index(idx[d] - before[d], in_dims[d], symmetric) * in_strides[d];
    }
    dx[to] += dy[o];
  });
}

void broadcast_to_backward(const float* dy, Dims in_dims, Dims out_dims, float* dx) {
  for_each_broadcast<1>(out_dims, {in_dims}, [&](int64_t o, const std::array<int64_t, 1>& off) {
    dx[off[0]] += dy[o];
  });
}

}  // namespace tfc::kernels
