// Row-major index arithmetic shared by the data-movement kernels (shape_ref,
// data_ref, compare_ref, math_ref, and the backward shape_grad_ref and
// data_grad_ref): strides, products of dims, multi-index walks, offsets,
// mirrored indices and element copies.
// Kernel-internal: ops/ uses kernels/*_ref.h, not this header.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "kernels/common.h"

namespace tfc::kernels {

// Row-major strides (in elements) of a buffer with `dims`.
inline std::vector<int64_t> strides_of(Dims dims) {
  std::vector<int64_t> strides(dims.size(), 1);
  for (size_t d = dims.size(); d-- > 1;) strides[d - 1] = strides[d] * dims[d];
  return strides;
}

// The product of dims[begin, end).
inline int64_t product(Dims dims, size_t begin, size_t end) {
  int64_t n = 1;
  for (size_t d = begin; d < end; ++d) n *= dims[d];
  return n;
}

// Flat offset of multi-index `idx` under `strides`.
inline int64_t flat_offset(const std::vector<int32_t>& idx, const std::vector<int64_t>& strides) {
  int64_t offset = 0;
  for (size_t d = 0; d < idx.size(); ++d) offset += idx[d] * strides[d];
  return offset;
}

// Advances a row-major multi-index over `dims` (the last dim fastest).
inline void next_index(std::vector<int32_t>& idx, Dims dims) {
  for (size_t d = idx.size(); d-- > 0;) {
    if (++idx[d] < dims[d]) return;
    idx[d] = 0;
  }
}

// Calls f(o, idx) for every row-major position o of `dims`, idx its multi-index.
template <typename F>
void for_each_index(Dims dims, F&& f) {
  const int64_t total = flat_size(dims);
  std::vector<int32_t> idx(dims.size(), 0);
  for (int64_t o = 0; o < total; ++o) {
    f(o, idx);
    next_index(idx, dims);
  }
}

// The input index that position p of a mirror-padded axis of n elements
// reads (p already shifted by the padding before): REFLECT excludes the edge
// element (-1 -> 1, n -> n - 2), SYMMETRIC includes it (-1 -> 0, n -> n - 1).
inline int64_t mirror_index(int64_t p, int64_t n, bool symmetric) {
  if (p < 0) return symmetric ? -p - 1 : -p;
  if (p >= n) return symmetric ? 2 * n - 1 - p : 2 * n - 2 - p;
  return p;
}

// Copies `count` consecutive elements: out[out_at...] = in[in_at...].
inline void copy_elems(void* out, int64_t out_at, const void* in, int64_t in_at, int64_t count, size_t elem_size) {
  if (count <= 0) return;
  std::memcpy(static_cast<uint8_t*>(out) + out_at * elem_size, static_cast<const uint8_t*>(in) + in_at * elem_size,
              count * elem_size);
}

}  // namespace tfc::kernels
