// Reference kernels of the misc family (see misc_ref.h): plain loops over
// row-major multi-indices, one element at a time, and the explicit template
// instantiations for the element types each op supports.
// Not here: validation and output sizing, done by ops/data_ops.cc,
// ops/compare_ops.cc and ops/math_ops.cc.
#include "kernels/misc_ref.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <type_traits>
#include <vector>

#include "kernels/index_util.h"

namespace tfc::kernels {
namespace {

// Calls f(o, offsets) for every row-major position o of out_dims, where
// offsets[k] is the flat position of operand k (dims in_dims[k], broadcast
// against out_dims with NumPy rules).
template <size_t N, typename F>
void for_each_broadcast(Dims out_dims, const std::array<Dims, N>& in_dims, F&& f) {
  std::array<std::vector<int64_t>, N> strides;
  for (size_t k = 0; k < N; ++k) strides[k] = broadcast_strides(in_dims[k], out_dims);
  const int64_t total = flat_size(out_dims);
  std::vector<int32_t> idx(out_dims.size(), 0);
  std::array<int64_t, N> offsets{};
  for (int64_t o = 0; o < total; ++o) {
    f(o, offsets);
    for (size_t d = idx.size(); d-- > 0;) {
      ++idx[d];
      for (size_t k = 0; k < N; ++k) offsets[k] += strides[k][d];
      if (idx[d] < out_dims[d]) break;
      for (size_t k = 0; k < N; ++k) offsets[k] -= strides[k][d] * out_dims[d];
      idx[d] = 0;
    }
  }
}

// Two's complement arithmetic for integers (no signed overflow), plain for float.
template <typename T>
T add_wrap(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(static_cast<U>(a) + static_cast<U>(b)));
  } else {
    return a + b;
  }
}

template <typename T>
T mul_wrap(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    // Promote through uint64 so that narrow types do not become signed int.
    return static_cast<T>(static_cast<U>(static_cast<uint64_t>(static_cast<U>(a)) * static_cast<U>(b)));
  } else {
    return a * b;
  }
}

template <typename T>
T neg_wrap(T a) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(U{0} - static_cast<U>(a)));
  } else {
    return -a;
  }
}

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

// ---- Math helpers ------------------------------------------------------------------

// TFLite's RoundToNearest: ties go to the even neighbour.
float round_half_even(float x) {
  const float floor_val = std::floor(x);
  const float diff = x - floor_val;
  if (diff < 0.5f || (diff == 0.5f && std::fmod(floor_val, 2.0f) == 0.0f)) return floor_val;
  return floor_val + 1.0f;
}

template <typename T>
T sign_of(T x) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(x)) return x;
  }
  if (x > 0) return T{1};
  if (x < 0) return T{-1};
  return T{0};
}

template <typename T>
T unary_value(MathUnaryOp op, T x) {
  if constexpr (std::is_floating_point_v<T>) {
    switch (op) {
      case MathUnaryOp::kAbs: return std::fabs(x);
      case MathUnaryOp::kNeg: return -x;
      case MathUnaryOp::kSquare: return x * x;
      case MathUnaryOp::kLog: return std::log(x);
      case MathUnaryOp::kFloor: return std::floor(x);
      case MathUnaryOp::kCeil: return std::ceil(x);
      case MathUnaryOp::kRound: return round_half_even(x);
      case MathUnaryOp::kSign: return sign_of(x);
      case MathUnaryOp::kSin: return std::sin(x);
      case MathUnaryOp::kCos: return std::cos(x);
      case MathUnaryOp::kElu: return x < 0 ? std::expm1(x) : x;
    }
    return x;
  } else {
    switch (op) {
      case MathUnaryOp::kAbs: return x < 0 ? neg_wrap(x) : x;
      case MathUnaryOp::kNeg: return neg_wrap(x);
      case MathUnaryOp::kSign: return sign_of(x);
      default: return x;  // not instantiated for integers (see misc_ref.h)
    }
  }
}

// a^b for b >= 0 by repeated squaring, wrapping on overflow.
template <typename T>
T integer_pow(T base, T exponent) {
  T result = 1;
  while (exponent > 0) {
    if (exponent & 1) result = mul_wrap(result, base);
    base = mul_wrap(base, base);
    exponent >>= 1;
  }
  return result;
}

template <typename T>
T floor_mod(T a, T b) {
  T r;
  if constexpr (std::is_floating_point_v<T>) {
    r = std::fmod(a, b);
  } else {
    r = b == -1 ? T{0} : static_cast<T>(a % b);  // b == -1 always divides (and avoids MIN % -1)
  }
  return (r != 0 && ((b < 0) != (r < 0))) ? static_cast<T>(r + b) : r;
}

template <typename T>
T binary_value(MathBinaryOp op, T a, T b) {
  switch (op) {
    case MathBinaryOp::kPow:
      if constexpr (std::is_floating_point_v<T>) {
        return std::pow(a, b);
      } else {
        return integer_pow(a, b);
      }
    case MathBinaryOp::kFloorDiv: {
      const double q = std::floor(static_cast<double>(a) / static_cast<double>(b));
      if constexpr (std::is_floating_point_v<T>) {
        return static_cast<T>(q);
      } else {
        return static_cast<T>(static_cast<int64_t>(q));  // wraps MIN / -1 as two's complement
      }
    }
    case MathBinaryOp::kFloorMod: return floor_mod(a, b);
  }
  return a;
}

template <typename T>
bool compare_value(CompareOp op, T a, T b) {
  switch (op) {
    case CompareOp::kLess: return a < b;
    case CompareOp::kLessEqual: return a <= b;
    case CompareOp::kGreater: return a > b;
    case CompareOp::kGreaterEqual: return a >= b;
    case CompareOp::kEqual: return a == b;
    case CompareOp::kNotEqual: return a != b;
  }
  return false;
}

// Total order for TOPK_V2: larger first, NaN after every number.
template <typename T>
bool ranks_before(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a)) return false;
    if (std::isnan(b)) return true;
  }
  return a > b;
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
  // The input index that padded position p (already shifted by -before) mirrors.
  auto mirror = [symmetric](int64_t p, int64_t n) {
    if (p < 0) return symmetric ? -p - 1 : -p;
    if (p >= n) return symmetric ? 2 * n - 1 - p : 2 * n - 2 - p;
    return p;
  };
  for_each_index(out_dims, [&](int64_t o, const std::vector<int32_t>& idx) {
    int64_t from = 0;
    for (size_t d = 0; d < idx.size(); ++d) from += mirror(idx[d] - before[d], in_dims[d]) * in_strides[d];
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

void select_elements(const uint8_t* cond, Dims cond_dims, const void* x, Dims x_dims, const void* y, Dims y_dims,
                     size_t elem_size, void* out, Dims out_dims) {
  for_each_broadcast<3>(out_dims, {cond_dims, x_dims, y_dims}, [&](int64_t o, const std::array<int64_t, 3>& off) {
    if (cond[off[0]] != 0) {
      copy_elems(out, o, x, off[1], 1, elem_size);
    } else {
      copy_elems(out, o, y, off[2], 1, elem_size);
    }
  });
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

// ---- ARG_MAX / ARG_MIN -------------------------------------------------------------------

template <typename T, typename Index>
void arg_min_max(const T* in, Dims in_dims, int axis, bool is_max, Index* out) {
  const int64_t outer = product(in_dims, 0, axis);
  const int64_t n = in_dims[axis];
  const int64_t inner = product(in_dims, axis + 1, in_dims.size());
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const T* column = in + o * n * inner + i;
      int64_t best = 0;
      for (int64_t a = 1; a < n; ++a) {
        const T v = column[a * inner];
        if (is_max ? v > column[best * inner] : v < column[best * inner]) best = a;
      }
      out[o * inner + i] = static_cast<Index>(best);
    }
  }
}

// ---- REDUCE_MAX / REDUCE_MIN / REDUCE_PROD -----------------------------------------------

template <typename T>
void reduce(ReduceOp op, const T* in, Dims in_dims, std::span<const int32_t> axes, T* out) {
  std::vector<int32_t> out_dims(in_dims.begin(), in_dims.end());
  for (int32_t a : axes) out_dims[a] = 1;
  T start = T{1};
  if (op == ReduceOp::kMax) start = std::numeric_limits<T>::lowest();
  if (op == ReduceOp::kMin) start = std::numeric_limits<T>::max();
  std::fill_n(out, flat_size(out_dims), start);
  for_each_broadcast<1>(in_dims, {Dims(out_dims)}, [&](int64_t i, const std::array<int64_t, 1>& off) {
    T& acc = out[off[0]];
    switch (op) {
      case ReduceOp::kMax: acc = acc > in[i] ? acc : in[i]; break;
      case ReduceOp::kMin: acc = acc < in[i] ? acc : in[i]; break;
      case ReduceOp::kProd: acc = mul_wrap(acc, in[i]); break;
    }
  });
}

// ---- Comparisons and logic ---------------------------------------------------------------

template <typename T>
void compare(CompareOp op, const T* a, Dims a_dims, const T* b, Dims b_dims, uint8_t* out, Dims out_dims) {
  for_each_broadcast<2>(out_dims, {a_dims, b_dims}, [&](int64_t o, const std::array<int64_t, 2>& off) {
    out[o] = compare_value(op, a[off[0]], b[off[1]]) ? 1 : 0;
  });
}

void logical(LogicalOp op, const uint8_t* a, Dims a_dims, const uint8_t* b, Dims b_dims, uint8_t* out,
             Dims out_dims) {
  for_each_broadcast<2>(out_dims, {a_dims, b_dims}, [&](int64_t o, const std::array<int64_t, 2>& off) {
    const bool x = a[off[0]] != 0, y = b[off[1]] != 0;
    out[o] = (op == LogicalOp::kAnd ? (x && y) : (x || y)) ? 1 : 0;
  });
}

void logical_not(const uint8_t* in, uint8_t* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = in[i] == 0 ? 1 : 0;
}

// ---- Unary and binary math ---------------------------------------------------------------

template <typename T>
void math_unary(MathUnaryOp op, const T* in, T* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = unary_value(op, in[i]);
}

template <typename T>
void math_binary(MathBinaryOp op, const T* a, Dims a_dims, const T* b, Dims b_dims, T* out, Dims out_dims) {
  for_each_broadcast<2>(out_dims, {a_dims, b_dims}, [&](int64_t o, const std::array<int64_t, 2>& off) {
    out[o] = binary_value(op, a[off[0]], b[off[1]]);
  });
}

// ---- ADD_N, L2_NORMALIZATION, CUMSUM, TOPK_V2 ------------------------------------------------

template <typename T>
void add_n(std::span<const T* const> inputs, int64_t n, T* out) {
  for (int64_t i = 0; i < n; ++i) {
    T sum = inputs[0][i];
    for (size_t k = 1; k < inputs.size(); ++k) sum = add_wrap(sum, inputs[k][i]);
    out[i] = sum;
  }
}

void l2_normalization(const float* in, Dims dims, float* out) {
  const int64_t depth = dims.empty() ? 1 : dims.back();
  const int64_t outer = depth == 0 ? 0 : flat_size(dims) / depth;
  constexpr float kEpsilon = 1e-6f;
  for (int64_t o = 0; o < outer; ++o) {
    const float* x = in + o * depth;
    float squared = 0.0f;
    for (int64_t c = 0; c < depth; ++c) squared += x[c] * x[c];
    const float norm = std::max(std::sqrt(squared), kEpsilon);
    for (int64_t c = 0; c < depth; ++c) out[o * depth + c] = x[c] / norm;
  }
}

template <typename T>
void cumsum(const T* in, Dims dims, int axis, bool exclusive, bool reverse, T* out) {
  const int64_t outer = product(dims, 0, axis);
  const int64_t n = dims[axis];
  const int64_t inner = product(dims, axis + 1, dims.size());
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      T sum = T{0};
      for (int64_t step = 0; step < n; ++step) {
        const int64_t at = (o * n + (reverse ? n - 1 - step : step)) * inner + i;
        if (exclusive) {
          out[at] = sum;
          sum = add_wrap(sum, in[at]);
        } else {
          sum = add_wrap(sum, in[at]);
          out[at] = sum;
        }
      }
    }
  }
}

template <typename T, typename Index>
void top_k(const T* in, Dims in_dims, int32_t k, T* values, Index* indices) {
  const int64_t n = in_dims.back();
  const int64_t rows = product(in_dims, 0, in_dims.size() - 1);
  std::vector<int64_t> order(n);
  for (int64_t r = 0; r < rows; ++r) {
    const T* row = in + r * n;
    std::iota(order.begin(), order.end(), int64_t{0});
    std::stable_sort(order.begin(), order.end(), [row](int64_t a, int64_t b) { return ranks_before(row[a], row[b]); });
    for (int32_t j = 0; j < k; ++j) {
      values[r * k + j] = row[order[j]];
      indices[r * k + j] = static_cast<Index>(order[j]);
    }
  }
}

// ---- Instantiations (the element types listed in misc_ref.h) -------------------------------

template void range<int32_t>(int32_t, int32_t, int64_t, int32_t*);
template void range<int64_t>(int64_t, int64_t, int64_t, int64_t*);
template void range<float>(float, float, int64_t, float*);

#define TFC_ARG_MIN_MAX(T)                                                      \
  template void arg_min_max<T, int32_t>(const T*, Dims, int, bool, int32_t*); \
  template void arg_min_max<T, int64_t>(const T*, Dims, int, bool, int64_t*);
TFC_ARG_MIN_MAX(float)
TFC_ARG_MIN_MAX(uint8_t)
TFC_ARG_MIN_MAX(int8_t)
TFC_ARG_MIN_MAX(int16_t)
TFC_ARG_MIN_MAX(int32_t)
#undef TFC_ARG_MIN_MAX

#define TFC_REDUCE(T) template void reduce<T>(ReduceOp, const T*, Dims, std::span<const int32_t>, T*);
TFC_REDUCE(float)
TFC_REDUCE(int8_t)
TFC_REDUCE(uint8_t)
TFC_REDUCE(int16_t)
TFC_REDUCE(int32_t)
TFC_REDUCE(int64_t)
#undef TFC_REDUCE

#define TFC_COMPARE(T) template void compare<T>(CompareOp, const T*, Dims, const T*, Dims, uint8_t*, Dims);
TFC_COMPARE(float)
TFC_COMPARE(int8_t)
TFC_COMPARE(uint8_t)
TFC_COMPARE(int16_t)
TFC_COMPARE(int32_t)
TFC_COMPARE(int64_t)
#undef TFC_COMPARE

template void math_unary<float>(MathUnaryOp, const float*, float*, int64_t);
template void math_unary<int32_t>(MathUnaryOp, const int32_t*, int32_t*, int64_t);
template void math_unary<int64_t>(MathUnaryOp, const int64_t*, int64_t*, int64_t);

#define TFC_MATH_BINARY(T) template void math_binary<T>(MathBinaryOp, const T*, Dims, const T*, Dims, T*, Dims);
TFC_MATH_BINARY(float)
TFC_MATH_BINARY(int32_t)
TFC_MATH_BINARY(int16_t)
TFC_MATH_BINARY(int8_t)
TFC_MATH_BINARY(int64_t)
#undef TFC_MATH_BINARY

template void add_n<float>(std::span<const float* const>, int64_t, float*);
template void add_n<int32_t>(std::span<const int32_t* const>, int64_t, int32_t*);

template void cumsum<float>(const float*, Dims, int, bool, bool, float*);
template void cumsum<int32_t>(const int32_t*, Dims, int, bool, bool, int32_t*);
template void cumsum<int64_t>(const int64_t*, Dims, int, bool, bool, int64_t*);

#define TFC_TOP_K(T)                                                          \
  template void top_k<T, int32_t>(const T*, Dims, int32_t, T*, int32_t*); \
  template void top_k<T, int16_t>(const T*, Dims, int32_t, T*, int16_t*);
TFC_TOP_K(float)
TFC_TOP_K(uint8_t)
TFC_TOP_K(int8_t)
TFC_TOP_K(int32_t)
TFC_TOP_K(int64_t)
#undef TFC_TOP_K

}  // namespace tfc::kernels
