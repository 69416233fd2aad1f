// DENSIFY's kernel: expands a constant stored in TFLite's sparse tensor format
// (the TACO-style format of schema SparsityParameters, incl. block sparsity)
// into the dense row-major tensor, following LiteRT's FormatConverter
// (tensorflow/lite/kernels/internal/utils/sparsity_format_converter.cc,
// SparseToDense). Works on bytes (element size parameter), so float32, float16
// and int8 values all go through the same code. Plain vectors only; the op
// (ops/elementwise_ops.cc) converts the schema structs.
// Not here: dense -> sparse (compression).
//
// The format. A dense tensor of rank n may be split into blocks along k of its
// dims: block_map[b] names the original dim that block dim b cuts, so the
// tensor is viewed as n + k "expanded" dims: expanded dim d < n is original dim
// d counted in blocks (shape[d] / block size, or shape[d] if not blocked), and
// expanded dim n + b is the position inside block b. traversal_order lists the
// n + k expanded dims from outermost to innermost storage level: its first n
// entries are a permutation of [0, n), the last k a permutation of [n, n + k)
// (a block is stored contiguously). levels[p] describes storage level p, i.e.
// expanded dim traversal_order[p]:
//   DENSE:      every coordinate 0 .. dense_size - 1 is stored (dense_size is
//               the expanded dim's size; for a block dim it is the block size).
//   SPARSE_CSR: for each position j of the level above (positions count from
//               0 in storage order), only the coordinates
//               indices[segments[j] .. segments[j + 1]) are stored; position of
//               such a coordinate = its index into `indices`.
// Positions of a DENSE level: parent position * dense_size + coordinate. The
// stored values are the leaves in this order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/status.h"
#include "kernels/common.h"

namespace tfc::kernels {

enum class SparseDimFormat : int8_t { kDense = 0, kSparseCsr = 1 };  // TFLite's DimensionType

struct SparseLevel {
  SparseDimFormat format = SparseDimFormat::kDense;
  int32_t dense_size = 0;          // kDense
  std::vector<int32_t> segments;   // kSparseCsr: (positions of the level above) + 1 entries
  std::vector<int32_t> indices;    // kSparseCsr: one coordinate per stored position
};

struct SparseFormat {
  std::vector<int32_t> traversal_order;  // n + k expanded dims, outermost first
  std::vector<int32_t> block_map;        // k original dims, one per block dim
  std::vector<SparseLevel> levels;       // n + k, in traversal order
};

// Checks `format` against the dense shape (the rules above, plus: a blocked
// dim is a multiple of its block size, block levels are DENSE, DENSE sizes
// match the expanded dims, segments start at 0 and never decrease, indices lie
// inside their dim). Returns the number of stored values the format describes.
Expected<int64_t> sparse_value_count(const SparseFormat& format, Dims dense_dims);

// Writes the dense tensor: zeros, then each stored value at its coordinates.
// Precondition: sparse_value_count(format, dense_dims) succeeded, and `values`
// holds that many elements of elem_size bytes. dense: dense_dims.
void densify(const SparseFormat& format, Dims dense_dims, const void* values, size_t elem_size, void* dense);

}  // namespace tfc::kernels
