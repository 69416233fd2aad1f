// Sparse constants (see sparsity.h).
#include "ir/sparsity.h"

#include "ir/verify.h"

namespace tfc::ir {
namespace {

std::vector<int32_t> index_values(const tflite::SparseIndexVectorUnion& v) {
  if (const auto* i32 = v.AsInt32Vector()) return i32->values;
  if (const auto* u16 = v.AsUint16Vector()) return {u16->values.begin(), u16->values.end()};
  if (const auto* u8 = v.AsUint8Vector()) return {u8->values.begin(), u8->values.end()};
  return {};
}

}  // namespace

Expected<kernels::SparseFormat> sparse_format_of(const Tensor& t) {
  if (!t.sparsity) return invalid_argument("tensor '{}' ({}) is not sparse", t.name, dtype_name(t.dtype));
  const auto& s = *t.sparsity;
  kernels::SparseFormat f{s.traversal_order, s.block_map, {}};
  for (size_t p = 0; p < s.dim_metadata.size(); ++p) {
    const tflite::DimensionMetadataT* m = s.dim_metadata[p].get();
    if (m == nullptr) return invalid_argument("sparse tensor '{}' lacks dim_metadata {}", t.name, p);
    f.levels.push_back({static_cast<kernels::SparseDimFormat>(m->format), m->dense_size,
                        index_values(m->array_segments), index_values(m->array_indices)});
  }
  return f;
}

Status check_sparse_constant(const Tensor& t, std::span<const uint8_t> stored) {
  TFC_ASSIGN_OR_RETURN(const kernels::SparseFormat format, sparse_format_of(t));
  const size_t elem = dtype_size(t.dtype);
  if (elem == 0) return unsupported("sparse tensor '{}' has dtype {}", t.name, dtype_name(t.dtype));
  TFC_RETURN_IF_ERROR(dense_byte_size(t.dtype, t.shape).status());
  auto count = kernels::sparse_value_count(format, t.shape);
  if (!count) return count.status().with_context(fmt::format("sparse tensor '{}'", t.name));
  if (static_cast<uint64_t>(*count) * elem != stored.size()) {
    return invalid_argument("sparse tensor '{}' ({}): its format describes {} values but the buffer holds {} bytes",
                            t.name, dtype_name(t.dtype), *count, stored.size());
  }
  return Status::ok();
}

Expected<std::vector<uint8_t>> densify_constant(const Tensor& t, std::span<const uint8_t> stored) {
  TFC_RETURN_IF_ERROR(check_sparse_constant(t, stored));
  TFC_ASSIGN_OR_RETURN(const kernels::SparseFormat format, sparse_format_of(t));
  TFC_ASSIGN_OR_RETURN(const int64_t bytes, dense_byte_size(t.dtype, t.shape));
  std::vector<uint8_t> dense(static_cast<size_t>(bytes));
  kernels::densify(format, t.shape, stored.data(), dtype_size(t.dtype), dense.data());
  return dense;
}

}  // namespace tfc::ir
