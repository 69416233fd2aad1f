// Implementation of dataset.h: spec parsing, dispatch to the .npz/.npy/IDX
// readers, matching .npz arrays to inputs, shape checks and row slicing.
// Not a data pipeline.
#include "io/dataset.h"

#include <algorithm>
#include <vector>

#include <fmt/ranges.h>

#include "io/idx.h"
#include "io/npy.h"

namespace tfc {
namespace {

std::string quoted_list(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += fmt::format("{}'{}'", out.empty() ? "" : ", ", n);
  return out.empty() ? "none" : out;
}

// The .npz arrays for the inputs, by the rules of dataset.h.
Expected<DataArrays> match_npz(const std::string& path, std::vector<NamedArray> arrays,
                               const std::vector<std::string>& input_names) {
  DataArrays out;
  std::vector<std::string> names;
  for (const NamedArray& a : arrays) names.push_back(a.name);
  const auto find = [&](const std::string& name) {
    return std::find_if(arrays.begin(), arrays.end(), [&](const NamedArray& a) { return a.name == name; });
  };
  if (const auto y = find("y"); y != arrays.end()) out.labels = y->array;
  const bool all_named = !input_names.empty() && std::all_of(input_names.begin(), input_names.end(), [&](const auto& n) {
    return find(n) != arrays.end();
  });
  if (all_named) {
    for (const std::string& n : input_names) out.inputs.push_back(find(n)->array);
    return out;
  }
  if (input_names.size() <= 1) {
    if (const auto x = find("x"); x != arrays.end()) {
      out.inputs.push_back(x->array);
      return out;
    }
    if (arrays.size() == 1 && arrays[0].name != "y") {
      out.inputs.push_back(std::move(arrays[0].array));
      return out;
    }
  } else if (arrays.size() == input_names.size()) {
    for (NamedArray& a : arrays) out.inputs.push_back(std::move(a.array));
    return out;
  }
  return invalid_argument("{}: holds arrays {}, none of which is for the model's input{} {}: name each array after "
                          "its input, or for one input name it 'x' (labels 'y') or store only it, or store one "
                          "array per input in input order",
                          path, quoted_list(names), input_names.size() <= 1 ? "" : "s",
                          input_names.empty() ? "(unnamed)" : quoted_list(input_names));
}

Expected<DataArrays> load_idx_pair(const std::string& spec, size_t comma) {
  const std::string images = spec.substr(0, comma);
  const std::string labels = spec.substr(comma + 1);
  if (images.empty() || labels.empty() || labels.find(',') != std::string::npos) {
    return invalid_argument("dataset '{}': expected IMAGES,LABELS (two IDX files)", spec);
  }
  DataArrays data;
  TFC_ASSIGN_OR_RETURN(Array x, read_idx(images));
  data.inputs.push_back(std::move(x));
  TFC_ASSIGN_OR_RETURN(data.labels, read_idx(labels));
  return data;
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

Expected<DataArrays> read_data_arrays(const std::string& spec, const std::vector<std::string>& input_names) {
  if (const size_t comma = spec.find(','); comma != std::string::npos) return load_idx_pair(spec, comma);
  if (spec.ends_with(".npz")) {
    TFC_ASSIGN_OR_RETURN(std::vector<NamedArray> arrays, read_npz(spec));
    return match_npz(spec, std::move(arrays), input_names);
  }
  DataArrays data;
  TFC_ASSIGN_OR_RETURN(Array x, spec.ends_with(".npy") ? read_npy(spec) : read_idx(spec));
  data.inputs.push_back(std::move(x));
  return data;
}

Expected<Dataset> load_dataset(const std::string& spec, const std::string& input_name) {
  std::vector<std::string> names;
  if (!input_name.empty()) names.push_back(input_name);
  TFC_ASSIGN_OR_RETURN(DataArrays arrays, read_data_arrays(spec, names));
  Dataset dataset{std::move(arrays.inputs.front()), std::move(arrays.labels)};
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
