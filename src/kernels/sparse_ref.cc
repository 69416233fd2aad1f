// DENSIFY's kernel (see sparse_ref.h for the format). Validation walks the
// levels' metadata once; densify then walks the storage tree depth first,
// as LiteRT's FormatConverter::Populate does, writing each stored value at its
// row-major dense offset.
#include "kernels/sparse_ref.h"

#include <algorithm>
#include <cstring>

namespace tfc::kernels {
namespace {

// Size and dense row-major stride of the expanded dim behind each level.
struct LevelGeometry {
  std::vector<int64_t> size;
  std::vector<int64_t> stride;
};

// Block size of each original dim (1 when not blocked), read from the level
// that traverses its block dim. Assumes the traversal order was checked.
std::vector<int64_t> block_sizes(const SparseFormat& f, size_t rank) {
  std::vector<int64_t> block(rank, 1);
  for (size_t p = rank; p < f.traversal_order.size(); ++p) {
    const size_t b = static_cast<size_t>(f.traversal_order[p]) - rank;
    block[f.block_map[b]] = f.levels[p].dense_size;
  }
  return block;
}

LevelGeometry level_geometry(const SparseFormat& f, Dims dims) {
  const size_t rank = dims.size();
  const std::vector<int64_t> block = block_sizes(f, rank);
  std::vector<int64_t> row_stride(rank, 1);
  for (size_t d = rank; d-- > 1;) row_stride[d - 1] = row_stride[d] * dims[d];

  LevelGeometry g;
  for (int32_t e : f.traversal_order) {
    const auto d = static_cast<size_t>(e);
    if (d < rank) {  // an original dim, counted in whole blocks
      g.size.push_back(dims[d] / block[d]);
      g.stride.push_back(row_stride[d] * block[d]);
    } else {         // the position inside a block of dim block_map[d - rank]
      const size_t orig = static_cast<size_t>(f.block_map[d - rank]);
      g.size.push_back(block[orig]);
      g.stride.push_back(row_stride[orig]);
    }
  }
  return g;
}

// traversal_order: a permutation of [0, n) then of [n, n + k); block_map: k
// distinct dims in [0, n); one level per traversal entry; block levels DENSE
// with a positive size that divides the blocked dim.
Status check_structure(const SparseFormat& f, Dims dims) {
  const size_t n = dims.size(), k = f.block_map.size();
  if (f.traversal_order.size() != n + k) {
    return invalid_argument("traversal_order has {} entries, expected rank {} + {} block dims",
                            f.traversal_order.size(), n, k);
  }
  if (f.levels.size() != n + k) {
    return invalid_argument("dim_metadata has {} entries, expected {}", f.levels.size(), n + k);
  }
  std::vector<bool> seen(n + k, false);
  for (size_t p = 0; p < n + k; ++p) {
    const int32_t e = f.traversal_order[p];
    const bool in_range = p < n ? (e >= 0 && static_cast<size_t>(e) < n)
                                : (static_cast<size_t>(e) >= n && static_cast<size_t>(e) < n + k);
    if (!in_range || seen[e]) {
      return invalid_argument("traversal_order {} is not the original dims then the block dims, each once", p);
    }
    seen[e] = true;
  }
  std::vector<bool> blocked(n, false);
  for (int32_t d : f.block_map) {
    if (d < 0 || static_cast<size_t>(d) >= n || blocked[d]) {
      return invalid_argument("block_map entry {} is not a distinct dim of the rank-{} tensor", d, n);
    }
    blocked[d] = true;
  }
  for (size_t p = n; p < n + k; ++p) {
    const SparseLevel& level = f.levels[p];
    const int32_t dim = f.block_map[f.traversal_order[p] - n];
    if (level.format != SparseDimFormat::kDense || level.dense_size <= 0 || dims[dim] % level.dense_size != 0) {
      return invalid_argument("block level {} must be DENSE with a size dividing dim {} ({})", p, dim, dims[dim]);
    }
  }
  return Status::ok();
}

// A CSR level under `parents` positions: segments has parents + 1 entries,
// starts at 0, never decreases and ends within `indices`, whose entries lie in
// [0, size). Returns the level's number of positions.
Expected<int64_t> check_csr_level(const SparseLevel& level, size_t p, int64_t parents, int64_t size) {
  const std::vector<int32_t>& seg = level.segments;
  if (static_cast<int64_t>(seg.size()) != parents + 1 || seg[0] != 0) {
    return invalid_argument("level {}: array_segments has {} entries starting at {}, expected {} starting at 0", p,
                            seg.size(), seg.empty() ? 0 : seg[0], parents + 1);
  }
  for (size_t j = 1; j < seg.size(); ++j) {
    if (seg[j] < seg[j - 1]) return invalid_argument("level {}: array_segments decrease at entry {}", p, j);
  }
  if (static_cast<size_t>(seg.back()) > level.indices.size()) {
    return invalid_argument("level {}: array_segments end at {} but array_indices has {} entries", p, seg.back(),
                            level.indices.size());
  }
  for (int32_t s = 0; s < seg.back(); ++s) {
    if (level.indices[s] < 0 || level.indices[s] >= size) {
      return invalid_argument("level {}: array_indices[{}] = {} is outside [0, {})", p, s, level.indices[s], size);
    }
  }
  return int64_t{seg.back()};
}

// Depth-first walk of the storage levels; `next_value` counts the leaves.
struct DenseWriter {
  const SparseFormat& format;
  const LevelGeometry& geometry;
  const uint8_t* values;
  size_t elem_size;
  uint8_t* dense;
  int64_t next_value = 0;

  void visit(size_t level, int64_t position, int64_t offset) {
    if (level == format.levels.size()) {
      std::memcpy(dense + offset * elem_size, values + next_value * elem_size, elem_size);
      ++next_value;
      return;
    }
    const SparseLevel& l = format.levels[level];
    const int64_t size = geometry.size[level], stride = geometry.stride[level];
    if (l.format == SparseDimFormat::kDense) {
      for (int64_t i = 0; i < size; ++i) visit(level + 1, position * size + i, offset + i * stride);
    } else {
      for (int32_t s = l.segments[position]; s < l.segments[position + 1]; ++s) {
        visit(level + 1, s, offset + l.indices[s] * stride);
      }
    }
  }
};

}  // namespace

Expected<int64_t> sparse_value_count(const SparseFormat& format, Dims dense_dims) {
  for (int32_t d : dense_dims) {
    if (d < 0) return invalid_argument("dense shape has a negative dim ({})", d);
  }
  TFC_RETURN_IF_ERROR(check_structure(format, dense_dims));
  const LevelGeometry g = level_geometry(format, dense_dims);
  int64_t positions = 1;  // the root
  for (size_t p = 0; p < format.levels.size(); ++p) {
    const SparseLevel& level = format.levels[p];
    if (level.format == SparseDimFormat::kDense) {
      if (level.dense_size != g.size[p]) {
        return invalid_argument("level {}: dense_size {} differs from its dim's size {}", p, level.dense_size,
                                g.size[p]);
      }
      positions *= g.size[p];
    } else if (level.format == SparseDimFormat::kSparseCsr) {
      TFC_ASSIGN_OR_RETURN(positions, check_csr_level(level, p, positions, g.size[p]));
    } else {
      return invalid_argument("level {}: unknown dimension format {}", p, static_cast<int>(level.format));
    }
  }
  return positions;
}

void densify(const SparseFormat& format, Dims dense_dims, const void* values, size_t elem_size, void* dense) {
  std::fill_n(static_cast<uint8_t*>(dense), static_cast<size_t>(flat_size(dense_dims)) * elem_size, uint8_t{0});
  const LevelGeometry g = level_geometry(format, dense_dims);
  DenseWriter writer{format, g, static_cast<const uint8_t*>(values), elem_size, static_cast<uint8_t*>(dense)};
  writer.visit(0, 0, 0);
}

}  // namespace tfc::kernels
