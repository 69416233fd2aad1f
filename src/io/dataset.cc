// Implementation of dataset.h: spec parsing, dispatch to the .npz/.npy/IDX
// readers, shape checks and row slicing. Not a data pipeline.
#include "io/dataset.h"

#include <vector>

#include <fmt/ranges.h>

#include "io/idx.h"
#include "io/npy.h"

namespace tfc {
namespace {

Expected<Dataset> load_npz(const std::string& path) {
  TFC_ASSIGN_OR_RETURN(std::vector<NamedArray> arrays, read_npz(path));
  Dataset dataset;
  bool has_x = false;
  std::vector<std::string> names;
  for (NamedArray& named : arrays) {
    names.push_back(named.name);
    if (named.name == "x") {
      dataset.x = std::move(named.array);
      has_x = true;
    } else if (named.name == "y") {
      dataset.y = std::move(named.array);
    }
  }
  if (!has_x) return invalid_argument("{}: no array 'x' (arrays: {})", path, fmt::join(names, ", "));
  return dataset;
}

Expected<Dataset> load_idx_pair(const std::string& spec, size_t comma) {
  const std::string images = spec.substr(0, comma);
  const std::string labels = spec.substr(comma + 1);
  if (images.empty() || labels.empty() || labels.find(',') != std::string::npos) {
    return invalid_argument("dataset '{}': expected IMAGES,LABELS (two IDX files)", spec);
  }
  Dataset dataset;
  TFC_ASSIGN_OR_RETURN(dataset.x, read_idx(images));
  TFC_ASSIGN_OR_RETURN(dataset.y, read_idx(labels));
  return dataset;
}

Expected<Dataset> load_any(const std::string& spec) {
  if (const size_t comma = spec.find(','); comma != std::string::npos) return load_idx_pair(spec, comma);
  if (spec.ends_with(".npz")) return load_npz(spec);
  Dataset dataset;
  if (spec.ends_with(".npy")) {
    TFC_ASSIGN_OR_RETURN(dataset.x, read_npy(spec));
  } else {
    TFC_ASSIGN_OR_RETURN(dataset.x, read_idx(spec));
  }
  return dataset;
}

Status check_shapes(const Dataset& d) {
  if (d.x.shape.empty()) return invalid_argument("x is a scalar; expected samples along the first dimension");
  if (d.x.shape[0] == 0) return invalid_argument("x has no samples (shape ({}))", fmt::join(d.x.shape, ", "));
  if (d.y && (d.y->shape.empty() || d.y->shape[0] != d.x.shape[0])) {
    return invalid_argument("y has shape ({}) but x has {} samples", fmt::join(d.y->shape, ", "), d.x.shape[0]);
  }
  return Status::ok();
}

// Bytes of one row (shape[1:]) of `array`, checked against its data size.
Expected<uint64_t> row_bytes(const Array& array) {
  const size_t element_size = dtype_size(array.dtype);
  if (element_size == 0) return unsupported("cannot slice {} arrays", dtype_name(array.dtype));
  int64_t bytes = static_cast<int64_t>(element_size);
  for (size_t i = 1; i < array.shape.size(); ++i) {
    if (array.shape[i] < 0 || __builtin_mul_overflow(bytes, array.shape[i], &bytes)) {
      return invalid_argument("invalid shape ({})", fmt::join(array.shape, ", "));
    }
  }
  int64_t total = 0;
  if (__builtin_mul_overflow(bytes, array.shape[0], &total) || static_cast<uint64_t>(total) != array.data.size()) {
    return invalid_argument("array data is {} bytes, which does not match shape ({}) of {}", array.data.size(),
                            fmt::join(array.shape, ", "), dtype_name(array.dtype));
  }
  return static_cast<uint64_t>(bytes);
}

}  // namespace

Expected<Dataset> load_dataset(const std::string& spec) {
  TFC_ASSIGN_OR_RETURN(Dataset dataset, load_any(spec));
  TFC_RETURN_IF_ERROR(check_shapes(dataset).with_context(fmt::format("dataset '{}'", spec)));
  return dataset;
}

Expected<Array> slice_batch(const Array& array, int64_t begin, int64_t end) {
  if (array.shape.empty()) return invalid_argument("cannot take rows of a scalar");
  const int64_t rows = array.shape[0];
  if (begin < 0 || end < begin || end > rows) {
    return invalid_argument("rows [{}, {}) are out of range for {} rows", begin, end, rows);
  }
  TFC_ASSIGN_OR_RETURN(uint64_t bytes, row_bytes(array));
  Array out{array.dtype, array.shape, {}};
  out.shape[0] = end - begin;
  const auto first = array.data.begin() + static_cast<std::ptrdiff_t>(static_cast<uint64_t>(begin) * bytes);
  out.data.assign(first, first + static_cast<std::ptrdiff_t>(static_cast<uint64_t>(end - begin) * bytes));
  return out;
}

Expected<Array> take_sample(const Array& array, int64_t index) {
  if (array.shape.empty()) return invalid_argument("cannot take a sample of a scalar");
  if (index < 0 || index >= array.shape[0]) {
    return invalid_argument("sample {} is out of range for {} samples", index, array.shape[0]);
  }
  return slice_batch(array, index, index + 1);
}

}  // namespace tfc
