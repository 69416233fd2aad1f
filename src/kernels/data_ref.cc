// Reference kernels of the data family (see data_ref.h): plain loops over
// row-major multi-indices, one element at a time.
// Not here: validation and output sizing (ops/data_ops.cc).
#include "kernels/data_ref.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "kernels/broadcast.h"
#include "kernels/index_util.h"

namespace tfc::kernels {
namespace {

// ---- CAST helpers ----------------------------------------------------------------

// The C++ type of each CastType; bool data is one byte.
template <typename F>
void visit_cast_type(CastType t, F&& f) {
  switch (t) {
    case CastType::kFloat32: f(float{}); break;
    case CastType::kInt32: f(int32_t{}); break;
    case CastType::kInt64: f(int64_t{}); break;
    case CastType::kInt16: f(int16_t{}); break;
    case CastType::kInt8: f(int8_t{}); break;
    case CastType::kUInt8: f(uint8_t{}); break;
    case CastType::kBool: f(bool{}); break;
  }
}

template <typename T>
using Storage = std::conditional_t<std::is_same_v<T, bool>, uint8_t, T>;

template <typename T>
T load(const void* p, int64_t i) {
  const Storage<T> v = static_cast<const Storage<T>*>(p)[i];
  if constexpr (std::is_same_v<T, bool>) {
    return v != 0;
  } else {
    return v;
  }
}

template <typename T>
void store(void* p, int64_t i, T v) {
  static_cast<Storage<T>*>(p)[i] = static_cast<Storage<T>>(v);
}

// Float to integer, as TFLite's cast kernel: truncates toward zero,
// saturating at the type's range; NaN gives the maximum.
template <typename To>
To float_to_int(float v) {
  constexpr To kMin = std::numeric_limits<To>::min();
  constexpr To kMax = std::numeric_limits<To>::max();
  // The largest float not above kMax: the 32- and 64-bit maxima round up to
  // 2^31 and 2^63 as floats, which are out of range.
  const float hi = sizeof(To) >= 4 ? std::nextafter(static_cast<float>(kMax), 0.0f) : static_cast<float>(kMax);
  if (!(v <= hi)) return kMax;
  return static_cast<To>(std::max(v, static_cast<float>(kMin)));
}

template <typename To, typename From>
To convert(From v) {
  if constexpr (std::is_same_v<To, bool>) {
    return v != From{0};
  } else if constexpr (std::is_same_v<From, float> && !std::is_same_v<To, float>) {
    return float_to_int<To>(v);
  } else {
    return static_cast<To>(v);
  }
}

}  // namespace

// ---- Stacking and splitting ------------------------------------------------------

void pack(std::span<const void* const> inputs, Dims in_dims, int axis, size_t elem_size, void* out) {
  const int64_t outer = product(in_dims, 0, axis);
  const int64_t inner = product(in_dims, axis, in_dims.size());
  const int64_t n = static_cast<int64_t>(inputs.size());
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < n; ++i) copy_elems(out, (o * n + i) * inner, inputs[i], o * inner, inner, elem_size);
  }
}

void unpack(const void* in, Dims in_dims, int axis, std::span<void* const> outputs, size_t elem_size) {
  const int64_t outer = product(in_dims, 0, axis);
  const int64_t n = in_dims[axis];
  const int64_t inner = product(in_dims, axis + 1, in_dims.size());
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < n; ++i) copy_elems(outputs[i], o * inner, in, (o * n + i) * inner, inner, elem_size);
  }
}

void split_v(const void* in, Dims in_dims, int axis, std::span<const int32_t> sizes, std::span<void* const> outputs,
             size_t elem_size) {
  const int64_t outer = product(in_dims, 0, axis);
  const int64_t axis_size = in_dims[axis];
  const int64_t inner = product(in_dims, axis + 1, in_dims.size());
  int64_t start = 0;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const int64_t block = sizes[i] * inner;
    for (int64_t o = 0; o < outer; ++o) {
      copy_elems(outputs[i], o * block, in, (o * axis_size + start) * inner, block, elem_size);
    }
    start += sizes[i];
  }
}

// ---- Index-mapping data movement ----------------------------------------------------

void tile(const void* in, Dims in_dims, std::span<const int32_t> multiples, size_t elem_size, void* out) {
  std::vector<int32_t> out_dims(in_dims.size());
  for (size_t d = 0; d < in_dims.size(); ++d) out_dims[d] = in_dims[d] * multiples[d];
  const std::vector<int64_t> in_strides = strides_of(in_dims);
  for_each_index(out_dims, [&](int64_t o, const std::vector<int32_t>& idx) {
    int64_t from = 0;
    for (size_t d = 0; d < idx.size(); ++d) from += (idx[d] % in_dims[d]) * in_strides[d];
    copy_elems(out, o, in, from, 1, elem_size);
  });
}

void mirror_pad(const void* in, Dims in_dims, std::span<const int32_t> before, std::span<const int32_t> after,
                bool symmetric, size_t elem_size, void* out) {
  std::vector<int32_t> out_dims(in_dims.size());
  for (size_t d = 0; d < in_dims.size(); ++d) out_dims[d] = in_dims[d] + before[d] + after[d];
  const std::vector<int64_t> in_strides = strides_of(in_dims);
  for_each_index(out_dims, [&](int64_t o, const std::vector<int32_t>& idx) {
    int64_t from = 0;
    for (size_t d = 0; d < idx.size(); ++d) {
      from += mirror_index(idx[d] - before[d], in_dims[d], symmetric) * in_strides[d];
    }
    copy_elems(out, o, in, from, 1, elem_size);
  });
}

void broadcast_to(const void* in, Dims in_dims, Dims out_dims, size_t elem_size, void* out) {
  for_each_broadcast<1>(out_dims, {in_dims}, [&](int64_t o, const std::array<int64_t, 1>& off) {
    copy_elems(out, o, in, off[0], 1, elem_size);
  });
}

void reverse(const void* in, Dims dims, std::span<const int32_t> axes, size_t elem_size, void* out) {
  std::vector<bool> reversed(dims.size(), false);
  for (int32_t a : axes) reversed[a] = true;
  const std::vector<int64_t> strides = strides_of(dims);
  for_each_index(dims, [&](int64_t o, const std::vector<int32_t>& idx) {
    int64_t from = 0;
    for (size_t d = 0; d < idx.size(); ++d) from += (reversed[d] ? dims[d] - 1 - idx[d] : idx[d]) * strides[d];
    copy_elems(out, o, in, from, 1, elem_size);
  });
}

void gather_nd(const void* params, Dims params_dims, const int64_t* indices, Dims indices_dims, size_t elem_size,
               void* out) {
  const size_t nd = static_cast<size_t>(indices_dims.back());
  const int64_t num_slices = product(indices_dims, 0, indices_dims.size() - 1);
  const int64_t slice_size = product(params_dims, nd, params_dims.size());
  const std::vector<int64_t> strides = strides_of(params_dims);
  for (int64_t s = 0; s < num_slices; ++s) {
    int64_t from = 0;
    for (size_t j = 0; j < nd; ++j) from += indices[s * nd + j] * strides[j];
    copy_elems(out, s * slice_size, params, from, slice_size, elem_size);
  }
}

void fill(const void* value, size_t elem_size, int64_t count, void* out) {
  for (int64_t i = 0; i < count; ++i) copy_elems(out, i, value, 0, 1, elem_size);
}

// ---- SPACE_TO_BATCH_ND / BATCH_TO_SPACE_ND -------------------------------------------

void space_to_batch_nd(const void* in, Dims in_dims, std::span<const int32_t> block,
                       std::span<const int32_t> pad_before, const void* pad_value, size_t elem_size, void* out,
                       Dims out_dims) {
  const size_t m_dims = block.size();
  const int32_t batch = in_dims[0];
  const std::vector<int64_t> in_strides = strides_of(in_dims);
  for_each_index(out_dims, [&](int64_t o, const std::vector<int32_t>& idx) {
    int64_t block_pos = idx[0] / batch;  // k, unravelled row-major over block below
    int64_t from = (idx[0] % batch) * in_strides[0];
    bool padded = false;
    for (size_t m = m_dims; m-- > 0;) {
      const int64_t offset = block_pos % block[m];
      block_pos /= block[m];
      const int64_t coord = static_cast<int64_t>(idx[m + 1]) * block[m] + offset - pad_before[m];
      if (coord < 0 || coord >= in_dims[m + 1]) padded = true;
      from += coord * in_strides[m + 1];
    }
    for (size_t d = m_dims + 1; d < idx.size(); ++d) from += idx[d] * in_strides[d];
    if (padded) {
      copy_elems(out, o, pad_value, 0, 1, elem_size);
    } else {
      copy_elems(out, o, in, from, 1, elem_size);
    }
  });
}

void batch_to_space_nd(const void* in, Dims in_dims, std::span<const int32_t> block,
                       std::span<const int32_t> crop_before, size_t elem_size, void* out, Dims out_dims) {
  const size_t m_dims = block.size();
  const std::vector<int64_t> in_strides = strides_of(in_dims);
  for_each_index(out_dims, [&](int64_t o, const std::vector<int32_t>& idx) {
    int64_t block_pos = 0;
    int64_t from = 0;
    for (size_t m = 0; m < m_dims; ++m) {
      const int64_t uncropped = static_cast<int64_t>(idx[m + 1]) + crop_before[m];
      block_pos = block_pos * block[m] + uncropped % block[m];
      from += (uncropped / block[m]) * in_strides[m + 1];
    }
    from += (block_pos * out_dims[0] + idx[0]) * in_strides[0];
    for (size_t d = m_dims + 1; d < idx.size(); ++d) from += idx[d] * in_strides[d];
    copy_elems(out, o, in, from, 1, elem_size);
  });
}

// ---- CAST ----------------------------------------------------------------------------

void cast(const void* in, CastType from, void* out, CastType to, int64_t n) {
  visit_cast_type(from, [&](auto from_tag) {
    using From = decltype(from_tag);
    visit_cast_type(to, [&](auto to_tag) {
      using To = decltype(to_tag);
      for (int64_t i = 0; i < n; ++i) store<To>(out, i, convert<To>(load<From>(in, i)));
    });
  });
}

// ---- RANGE -----------------------------------------------------------------------------

template <typename T>
void range(T start, T delta, int64_t n, T* out) {
  T value = start;
  for (int64_t i = 0; i < n; ++i) {
    out[i] = value;
    value = add_wrap(value, delta);
  }
}

// ---- Instantiations (the element types listed in data_ref.h) -----------------------------

template void range<int32_t>(int32_t, int32_t, int64_t, int32_t*);
template void range<int64_t>(int64_t, int64_t, int64_t, int64_t*);
template void range<float>(float, float, int64_t, float*);

}  // namespace tfc::kernels
