// Row-major index arithmetic shared by the data-movement kernels (shape_ref,
// data_ref, compare_ref, math_ref): strides, products of dims, multi-index
// walks and element copies.
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

// Copies `count` consecutive elements: out[out_at...] = in[in_at...].
inline void copy_elems(void* out, int64_t out_at, const void* in, int64_t in_at, int64_t count, size_t elem_size) {
  if (count <= 0) return;
  std::memcpy(static_cast<uint8_t*>(out) + out_at * elem_size, static_cast<const uint8_t*>(in) + in_at * elem_size,
              count * elem_size);
}

}  // namespace tfc::kernels
