// Reference kernels of the comparison family (ops/compare_ops.cc): SELECT /
// SELECT_V2, the comparisons (LESS ... NOT_EQUAL) and LOGICAL_AND / OR / NOT,
// broadcasting with NumPy rules (kernels/broadcast.h) as TFLite's builtin
// kernels do. Booleans are stored as one byte, 0 or 1 (read: non-zero is
// true). Quantized inputs are compared as raw values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "kernels/common.h"

namespace tfc::kernels {

// ---- SELECT / SELECT_V2 ----------------------------------------------------
// SELECT / SELECT_V2 with NumPy broadcasting among the three operands:
// output[i] = cond[i] ? x[i] : y[i]. cond: cond_dims (bytes, non-zero true);
// x: x_dims; y: y_dims; output: out_dims (their broadcast shape).
void select_elements(const uint8_t* cond, Dims cond_dims, const void* x, Dims x_dims, const void* y, Dims y_dims,
                     size_t elem_size, void* out, Dims out_dims);

// ---- Comparisons and logic (broadcasting, output bytes 0 / 1) ----------------
enum class CompareOp : int8_t { kLess, kLessEqual, kGreater, kGreaterEqual, kEqual, kNotEqual };

// out[i] = a[i] op b[i]. a: a_dims; b: b_dims; out: out_dims, their broadcast
// shape. T: float, int8_t, uint8_t (also bool data), int16_t, int32_t, int64_t.
template <typename T>
void compare(CompareOp op, const T* a, Dims a_dims, const T* b, Dims b_dims, uint8_t* out, Dims out_dims);

enum class LogicalOp : int8_t { kAnd, kOr };
// out[i] = a[i] && b[i] (kAnd) or a[i] || b[i] (kOr), broadcasting as compare.
void logical(LogicalOp op, const uint8_t* a, Dims a_dims, const uint8_t* b, Dims b_dims, uint8_t* out,
             Dims out_dims);
// out[i] = !in[i]; n elements.
void logical_not(const uint8_t* in, uint8_t* out, int64_t n);

}  // namespace tfc::kernels
