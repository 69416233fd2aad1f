// Array: a dense host tensor value (dtype, shape, bytes) used for model inputs
// and outputs, data files (.npy/.npz/IDX) and golden files. Not a graph tensor:
// the IR's tensors live in ir/graph.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/dtype.h"

namespace tfc {

struct Array {
  DType dtype = DType::kFloat32;
  std::vector<int64_t> shape;  // row-major; empty = scalar
  std::vector<uint8_t> data;   // num_elements() * dtype_size(dtype) bytes

  int64_t num_elements() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
  template <typename T> T* as() { return reinterpret_cast<T*>(data.data()); }
  template <typename T> const T* as() const { return reinterpret_cast<const T*>(data.data()); }
};

// A named array, as stored in an .npz file.
struct NamedArray {
  std::string name;
  Array array;
};

}  // namespace tfc
