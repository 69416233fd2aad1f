// Reference kernels of the comparison family (see compare_ref.h), on the one
// broadcast walk (kernels/broadcast.h).
// Not here: validation and output sizing (ops/compare_ops.cc).
#include "kernels/compare_ref.h"

#include <array>

#include "kernels/broadcast.h"
#include "kernels/index_util.h"

namespace tfc::kernels {
namespace {

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

}  // namespace

// ---- SELECT / SELECT_V2 --------------------------------------------------------------------

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

// ---- Instantiations (the element types listed in compare_ref.h) ----------------------------

#define TFC_COMPARE(T) template void compare<T>(CompareOp, const T*, Dims, const T*, Dims, uint8_t*, Dims);
TFC_COMPARE(float)
TFC_COMPARE(int8_t)
TFC_COMPARE(uint8_t)
TFC_COMPARE(int16_t)
TFC_COMPARE(int32_t)
TFC_COMPARE(int64_t)
#undef TFC_COMPARE

}  // namespace tfc::kernels
