// Reference kernels of the math family (see math_ref.h): plain loops, one
// element at a time, and the explicit template instantiations for the element
// types each op supports.
// Not here: validation and output sizing (ops/math_ops.cc).
#include "kernels/math_ref.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>
#include <type_traits>
#include <vector>

#include "kernels/broadcast.h"
#include "kernels/index_util.h"

namespace tfc::kernels {
namespace {

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
      default: return x;  // not instantiated for integers (see math_ref.h)
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
  const DimArray<int32_t> out_dims = reduction_of(in_dims, axes).out_dims;
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

// ---- Instantiations (the element types listed in math_ref.h) -------------------------------

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
