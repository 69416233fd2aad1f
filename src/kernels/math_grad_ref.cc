// Reference backward kernels of the math family's reductions (see
// math_grad_ref.h). Each walks the input against its reduced shape, as the
// forward (math_ref.cc, reduce) does. Not here: validation and axes
// (ops/math_grad.cc).
#include "kernels/math_grad_ref.h"

#include <algorithm>
#include <array>
#include <vector>

#include "kernels/broadcast.h"

namespace tfc::kernels {
namespace {

// f(i, o) for every input element i in row-major order, o the output element
// it reduces to.
template <typename F>
void for_each_reduced(Dims in_dims, Dims out_dims, F&& f) {
  for_each_broadcast<1>(in_dims, {out_dims}, [&](int64_t i, const std::array<int64_t, 1>& o) { f(i, o[0]); });
}

}  // namespace

void reduce_min_max_backward(const float* x, Dims in_dims, std::span<const int32_t> axes, const float* y,
                             const float* dy, float* ties, float* dx) {
  const DimArray<int32_t> out_dims = reduction_of(in_dims, axes).out_dims;
  std::fill_n(ties, flat_size(out_dims), 0.0f);
  for_each_reduced(in_dims, out_dims, [&](int64_t i, int64_t o) {
    if (x[i] == y[o]) ties[o] += 1.0f;
  });
  for_each_reduced(in_dims, out_dims, [&](int64_t i, int64_t o) {
    const float indicator = x[i] == y[o] ? 1.0f : 0.0f;
    dx[i] += indicator / ties[o] * dy[o];
  });
}

void reduce_prod_backward(const float* x, Dims in_dims, std::span<const int32_t> axes, const float* dy,
                          float* scratch, float* dx) {
  const DimArray<int32_t> out_dims = reduction_of(in_dims, axes).out_dims;
  const int64_t n = flat_size(in_dims);
  const int64_t m = flat_size(out_dims);
  float* before = scratch;     // (in_dims): product of the group's earlier elements
  float* running = scratch + n;  // (out_dims)
  std::fill_n(running, m, 1.0f);
  for_each_reduced(in_dims, out_dims, [&](int64_t i, int64_t o) {
    before[i] = running[o];
    running[o] *= x[i];
  });
  // Element n-1-i of the input reduces to element m-1-o of the output (both
  // index orders reversed), so this visits every group back to front.
  std::fill_n(running, m, 1.0f);
  for_each_reduced(in_dims, out_dims, [&](int64_t i, int64_t o) {
    const int64_t j = n - 1 - i;
    const int64_t k = m - 1 - o;
    dx[j] += dy[k] * (before[j] * running[k]);
    running[k] *= x[j];
  });
}

}  // namespace tfc::kernels
