// Implementation of dataset.h: spec parsing, telling .npz/.npy/IDX files
// apart by content, matching .npz arrays to inputs, shape checks and row
// slicing.
// Not a data pipeline.
#include "io/dataset.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <string_view>
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

enum class DataFormat { kNpy, kNpz, kIdx };

// The format of the data file at `path`: by its first bytes where they are a
// format's signature (.npy "\x93NUMPY", .npz zip "PK\3\4" or an empty zip
// "PK\5\6", gzip 1f 8b for gzipped IDX, IDX 0 0 type rank); else (a missing
// or unreadable file, unknown content: the reader then says what is wrong)
// by name: .npz, IDX when the name holds "idx" or "ubyte", else .npy.
DataFormat data_file_format(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(path, ec)) {  // never open a FIFO just to look
    std::array<char, 6> buf{};
    std::ifstream in(path, std::ios::binary);
    in.read(buf.data(), buf.size());
    const std::string_view head(buf.data(), static_cast<size_t>(in.gcount()));
    if (head.starts_with("\x93NUMPY")) return DataFormat::kNpy;
    if (head.starts_with("PK\x03\x04") || head.starts_with("PK\x05\x06")) return DataFormat::kNpz;
    if (head.starts_with("\x1f\x8b") || (head.size() >= 4 && head[0] == 0 && head[1] == 0)) return DataFormat::kIdx;
  }
  std::string name = std::filesystem::path(path).filename().string();
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  if (name.ends_with(".npz")) return DataFormat::kNpz;
  if (name.find("idx") != std::string::npos || name.find("ubyte") != std::string::npos) return DataFormat::kIdx;
  return DataFormat::kNpy;
}

// The .npz arrays for inputs that do not all have an array named like them,
// moved out of `arrays`: for one input, "x" or the only array besides "y";
// else the arrays besides "y" in stored order when there is one per input.
// None when neither fits.
std::vector<Array> unnamed_inputs(std::vector<NamedArray>& arrays, size_t num_inputs) {
  std::vector<Array> inputs;
  std::vector<NamedArray*> samples;  // every array but the labels, in stored order
  for (NamedArray& a : arrays) {
    if (num_inputs <= 1 && a.name == "x") return {std::move(a.array)};
    if (a.name != "y") samples.push_back(&a);
  }
  if (samples.size() != std::max<size_t>(num_inputs, 1)) return inputs;
  for (NamedArray* a : samples) inputs.push_back(std::move(a->array));
  return inputs;
}

// The .npz arrays for the inputs, by the rules of dataset.h. Array "y" holds
// labels: it is an input only when the model has an input named "y".
Expected<DataArrays> match_npz(const std::string& path, std::vector<NamedArray> arrays,
                               const std::vector<std::string>& input_names) {
  DataArrays out;
  std::vector<std::string> names;
  for (const NamedArray& a : arrays) names.push_back(a.name);
  const auto find = [&](const std::string& name) {
    return std::find_if(arrays.begin(), arrays.end(), [&](const NamedArray& a) { return a.name == name; });
  };
  const bool all_named = !input_names.empty() && std::all_of(input_names.begin(), input_names.end(), [&](const auto& n) {
    return find(n) != arrays.end();
  });
  if (all_named) {
    // "y" as an input stays in place for the labels; any other array is moved.
    for (const std::string& n : input_names) out.inputs.push_back(n == "y" ? find(n)->array : std::move(find(n)->array));
  } else {
    out.inputs = unnamed_inputs(arrays, input_names.size());
  }
  if (out.inputs.empty()) {
    return invalid_argument("{}: holds arrays {}, none of which is for the model's input{} {}: name each array after "
                            "its input, or for one input name it 'x' (labels 'y') or store only it, or store one "
                            "array per input in input order (besides labels 'y')",
                            path, quoted_list(names), input_names.size() <= 1 ? "" : "s",
                            input_names.empty() ? "(unnamed)" : quoted_list(input_names));
  }
  if (const auto y = find("y"); y != arrays.end()) out.labels = std::move(y->array);
  return out;
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
  std::error_code ec;
  const size_t comma = spec.find(',');
  if (comma != std::string::npos && !std::filesystem::exists(spec, ec)) return load_idx_pair(spec, comma);
  const DataFormat format = data_file_format(spec);
  if (format == DataFormat::kNpz) {
    TFC_ASSIGN_OR_RETURN(std::vector<NamedArray> arrays, read_npz(spec));
    return match_npz(spec, std::move(arrays), input_names);
  }
  DataArrays data;
  TFC_ASSIGN_OR_RETURN(Array x, format == DataFormat::kNpy ? read_npy(spec) : read_idx(spec));
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
