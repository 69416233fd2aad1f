// The one broadcast walk of the kernels: every position of an output shape
// with the flat position, in each operand, of the element NumPy broadcasting
// maps to it (a dim of 1, or a missing leading dim, repeats). The elementwise
// kernels (float, integer, comparisons, logic, math, SELECT, BROADCAST_TO),
// the batch dims of BATCH_MATMUL and the reductions (the input walked against
// its reduced shape) use it. Shapes and strides: kernels/common.h.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "kernels/common.h"

namespace tfc::kernels {

// Per-dim values of a walk (strides, a position, reduced dims): in place up
// to kInline dims (ir/verify.cc allows 16), on the heap beyond, so that
// walking a shape allocates nothing. A contiguous range (Dims from an int32 one).
template <typename T>
class DimArray {
 public:
  static constexpr size_t kInline = 16;
  DimArray() = default;
  explicit DimArray(size_t n, T fill = T{}) : size_(n), heap_(n > kInline ? n : 0, fill) {
    std::fill_n(inline_.begin(), std::min(n, kInline), fill);
  }
  T* data() { return size_ > kInline ? heap_.data() : inline_.data(); }
  const T* data() const { return size_ > kInline ? heap_.data() : inline_.data(); }
  size_t size() const { return size_; }
  T& operator[](size_t i) { return data()[i]; }
  const T& operator[](size_t i) const { return data()[i]; }
  T* begin() { return data(); }
  T* end() { return data() + size_; }
  const T* begin() const { return data(); }
  const T* end() const { return data() + size_; }

 private:
  size_t size_ = 0;
  std::array<T, kInline> inline_{};
  std::vector<T> heap_;
};

// A reduction over `axes` (an axis may repeat): the dims it leaves, in
// keep_dims form (each reduced axis set to 1), and how many input elements
// reduce into each output element (0 when a reduced axis is empty).
struct Reduction {
  DimArray<int32_t> out_dims;
  int64_t count = 1;
};
inline Reduction reduction_of(Dims in_dims, std::span<const int32_t> axes) {
  Reduction r{DimArray<int32_t>(in_dims.size()), 1};
  std::copy(in_dims.begin(), in_dims.end(), r.out_dims.begin());
  for (int32_t a : axes) r.out_dims[static_cast<size_t>(a)] = 1;
  for (size_t d = 0; d < in_dims.size(); ++d)
    if (r.out_dims[d] == 1) r.count *= in_dims[d];
  return r;
}

// f(o, offsets) for every row-major position o of out_dims, where offsets[k]
// is the flat position in operand k (dims in_dims[k], broadcast against
// out_dims). Walks the output row by row (last axis inner), advancing an
// odometer over the outer axes. Forced inline, so the loop keeps f inlined.
template <size_t N, typename F>
[[gnu::always_inline]] inline void for_each_broadcast(Dims out_dims, const std::array<Dims, N>& in_dims, F&& f) {
  const size_t rank = out_dims.size();
  std::array<DimArray<int64_t>, N> strides;  // common.h's broadcast_strides, in place
  std::array<int64_t, N> inner_stride{};
  for (size_t k = 0; k < N; ++k) {
    strides[k] = DimArray<int64_t>(rank, 0);
    int64_t s = 1;
    for (size_t j = 0; j < in_dims[k].size(); ++j) {
      const size_t i = in_dims[k].size() - 1 - j;
      strides[k][rank - 1 - j] = in_dims[k][i] == 1 ? 0 : s;
      s *= in_dims[k][i];
    }
    inner_stride[k] = rank == 0 ? 0 : strides[k][rank - 1];
  }
  const int32_t inner = rank == 0 ? 1 : out_dims[rank - 1];
  const int64_t rows = inner == 0 ? 0 : flat_size(out_dims) / inner;
  const size_t outer_rank = rank == 0 ? 0 : rank - 1;
  DimArray<int32_t> index(outer_rank, 0);  // position along the outer axes
  std::array<int64_t, N> base{};
  for (int64_t row = 0; row < rows; ++row) {
    std::array<int64_t, N> offsets = base;
    for (int32_t i = 0; i < inner; ++i) {
      f(row * inner + i, static_cast<const std::array<int64_t, N>&>(offsets));
      for (size_t k = 0; k < N; ++k) offsets[k] += inner_stride[k];
    }
    for (size_t d = outer_rank; d-- > 0;) {
      for (size_t k = 0; k < N; ++k) base[k] += strides[k][d];
      if (++index[d] < out_dims[d]) break;
      for (size_t k = 0; k < N; ++k) base[k] -= strides[k][d] * out_dims[d];
      index[d] = 0;
    }
  }
}

// out[o] = f(a[ia], b[ib]) over out_dims with NumPy broadcasting.
// a: a_dims; b: b_dims; out: out_dims.
template <typename A, typename B, typename O, typename F>
void broadcast_binary(const A* a, Dims a_dims, const B* b, Dims b_dims, O* out, Dims out_dims, F&& f) {
  for_each_broadcast<2>(out_dims, {a_dims, b_dims}, [&](int64_t o, const std::array<int64_t, 2>& off) {
    out[o] = f(a[off[0]], b[off[1]]);
  });
}

}  // namespace tfc::kernels
