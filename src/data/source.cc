// Implementation of source.h: the array source, choosing folder or file,
// reading a whole source into arrays, and image options from a model input.
#include "data/source.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <sstream>

#include <fmt/ranges.h>

namespace tfc::data {
namespace {

// Bytes of one row of a batch-first array, checked against its data.
Expected<SampleSpec> row_spec(const Array& a, const std::string& what) {
  if (a.shape.empty()) return invalid_argument("{} is a scalar; expected samples along the first dimension", what);
  SampleSpec spec{std::vector<int64_t>(a.shape.begin() + 1, a.shape.end()), a.dtype};
  if (dtype_size(a.dtype) == 0) return unsupported("{}: cannot read samples of {}", what, dtype_name(a.dtype));
  uint64_t total = dtype_size(a.dtype);
  for (int64_t d : a.shape) {
    if (d < 0 || __builtin_mul_overflow(total, static_cast<uint64_t>(d), &total)) {
      return invalid_argument("{}: invalid shape ({})", what, fmt::join(a.shape, ", "));
    }
  }
  if (total != a.data.size()) {
    return invalid_argument("{}: {} bytes do not match shape ({}) of {}", what, a.data.size(),
                            fmt::join(a.shape, ", "), dtype_name(a.dtype));
  }
  return spec;
}

template <typename T>
int64_t max_class(const Array& labels) {
  int64_t top = -1;
  const T* v = labels.as<T>();
  for (int64_t i = 0; i < labels.num_elements(); ++i) {
    if (v[i] < 0) return -1;  // not class ids
    top = std::max<int64_t>(top, static_cast<int64_t>(v[i]));
  }
  return top;
}

int64_t count_classes(const Array& labels) {
  if (labels.shape.size() > 2 || (labels.shape.size() == 2 && labels.shape[1] != 1)) return 0;
  switch (labels.dtype) {
    case DType::kUInt8: return max_class<uint8_t>(labels) + 1;
    case DType::kInt8: return max_class<int8_t>(labels) + 1;
    case DType::kInt16: return max_class<int16_t>(labels) + 1;
    case DType::kInt32: return max_class<int32_t>(labels) + 1;
    case DType::kInt64: return max_class<int64_t>(labels) + 1;
    default: return 0;
  }
}

class ArraySource final : public Source {
 public:
  static Expected<std::unique_ptr<Source>> make(DataArrays arrays) {
    auto s = std::unique_ptr<ArraySource>(new ArraySource());
    if (arrays.inputs.empty()) return invalid_argument("a dataset needs at least one input array");
    for (size_t i = 0; i < arrays.inputs.size(); ++i) {
      TFC_ASSIGN_OR_RETURN(SampleSpec spec, row_spec(arrays.inputs[i], fmt::format("input {}", i)));
      const int64_t n = arrays.inputs[i].shape[0];
      if (i > 0 && n != s->size_) {
        return invalid_argument("input {} has {} samples but input 0 has {}", i, n, s->size_);
      }
      s->size_ = n;
      s->inputs_.push_back(std::move(spec));
    }
    if (s->size_ == 0) return invalid_argument("the dataset has no samples");
    if (arrays.labels) {
      if (arrays.labels->shape.empty() || arrays.labels->shape[0] != s->size_) {
        return invalid_argument("labels have shape ({}) but there are {} samples",
                                fmt::join(arrays.labels->shape, ", "), s->size_);
      }
      TFC_ASSIGN_OR_RETURN(s->labels_, row_spec(*arrays.labels, "labels"));
      s->num_classes_ = count_classes(*arrays.labels);
    }
    s->arrays_ = std::move(arrays);
    return std::unique_ptr<Source>(std::move(s));
  }

  int64_t size() const override { return size_; }
  const std::vector<SampleSpec>& inputs() const override { return inputs_; }
  const std::optional<SampleSpec>& labels() const override { return labels_; }
  int64_t num_classes() const override { return num_classes_; }
  const std::vector<std::string>& class_names() const override { return no_names_; }

  Status read(int64_t index, std::span<const std::span<uint8_t>> inputs, std::span<uint8_t> label) const override {
    if (index < 0 || index >= size_) return invalid_argument("sample {} is out of range for {} samples", index, size_);
    if (inputs.size() != inputs_.size()) {
      return invalid_argument("{} buffers for {} inputs", inputs.size(), inputs_.size());
    }
    for (size_t i = 0; i < inputs_.size(); ++i) {
      TFC_RETURN_IF_ERROR(copy_row(arrays_.inputs[i], inputs_[i], index, inputs[i]));
    }
    if (!label.empty()) {
      if (!labels_) return invalid_argument("the dataset has no labels");
      TFC_RETURN_IF_ERROR(copy_row(*arrays_.labels, *labels_, index, label));
    }
    return Status::ok();
  }

 private:
  ArraySource() = default;
  static Status copy_row(const Array& a, const SampleSpec& spec, int64_t index, std::span<uint8_t> out) {
    if (out.size() != spec.bytes()) {
      return invalid_argument("buffer of {} bytes for a {}-byte sample", out.size(), spec.bytes());
    }
    std::memcpy(out.data(), a.data.data() + static_cast<size_t>(index) * spec.bytes(), spec.bytes());
    return Status::ok();
  }

  DataArrays arrays_;
  int64_t size_ = 0;
  std::vector<SampleSpec> inputs_;
  std::optional<SampleSpec> labels_;
  int64_t num_classes_ = 0;
  std::vector<std::string> no_names_;
};

constexpr uint64_t kMaxWholeBytes = uint64_t{16} << 30;  // read_all's bound

Expected<Array> empty_batch(const SampleSpec& spec, int64_t n) {
  Array a{spec.dtype, {n}, {}};
  a.shape.insert(a.shape.end(), spec.shape.begin(), spec.shape.end());
  uint64_t bytes = 0;
  if (__builtin_mul_overflow(static_cast<uint64_t>(n), spec.bytes(), &bytes) || bytes > kMaxWholeBytes) {
    return invalid_argument("{} samples of {} bytes are more than the {} GiB held at once; use fewer samples", n,
                            spec.bytes(), kMaxWholeBytes >> 30);
  }
  a.data.resize(bytes);
  return a;
}

}  // namespace

int64_t SampleSpec::num_elements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

Expected<std::unique_ptr<Source>> array_source(DataArrays arrays) { return ArraySource::make(std::move(arrays)); }

bool is_image_folder(const std::string& spec) {
  std::error_code ec;
  return !spec.empty() && std::filesystem::is_directory(spec, ec);
}

Expected<std::unique_ptr<Source>> open_source(const std::string& spec, const std::vector<std::string>& input_names,
                                              const SourceOptions& options) {
  if (is_image_folder(spec)) {
    if (input_names.size() > 1) {
      return invalid_argument("{}: an image folder feeds one input; the model has {}", spec, input_names.size());
    }
    return image_folder_source(spec, options.image);
  }
  TFC_ASSIGN_OR_RETURN(DataArrays arrays, read_data_arrays(spec, input_names));
  auto source = array_source(std::move(arrays));
  if (!source.has_value()) return source.status().with_context(fmt::format("dataset '{}'", spec));
  return source;
}

Expected<DataArrays> read_all(const Source& source) {
  DataArrays out;
  std::vector<std::span<uint8_t>> rows(source.inputs().size());
  for (const SampleSpec& spec : source.inputs()) {
    TFC_ASSIGN_OR_RETURN(Array a, empty_batch(spec, source.size()));
    out.inputs.push_back(std::move(a));
  }
  if (source.labels()) {
    TFC_ASSIGN_OR_RETURN(out.labels, empty_batch(*source.labels(), source.size()));
  }
  for (int64_t n = 0; n < source.size(); ++n) {
    for (size_t i = 0; i < rows.size(); ++i) {
      const size_t bytes = source.inputs()[i].bytes();
      rows[i] = std::span<uint8_t>(out.inputs[i].data.data() + static_cast<size_t>(n) * bytes, bytes);
    }
    std::span<uint8_t> label;
    if (out.labels) {
      const size_t bytes = source.labels()->bytes();
      label = std::span<uint8_t>(out.labels->data.data() + static_cast<size_t>(n) * bytes, bytes);
    }
    TFC_RETURN_IF_ERROR(source.read(n, rows, label));
  }
  return out;
}

Expected<Dataset> load_dataset(const std::string& spec, const std::string& input_name, const SourceOptions& options) {
  if (!is_image_folder(spec)) return tfc::load_dataset(spec, input_name);
  TFC_ASSIGN_OR_RETURN(std::unique_ptr<Source> source, image_folder_source(spec, options.image));
  TFC_ASSIGN_OR_RETURN(DataArrays arrays, read_all(*source));
  return Dataset{std::move(arrays.inputs.front()), std::move(arrays.labels)};
}

ImageOptions image_options_for_input(const std::vector<int64_t>& input_shape, DType input_dtype,
                                     const std::optional<Normalization>& normalize) {
  ImageOptions o;
  if (input_shape.size() == 4 && input_shape[1] > 0 && input_shape[2] > 0 &&
      (input_shape[3] == 1 || input_shape[3] == 3)) {
    o.height = input_shape[1];
    o.width = input_shape[2];
    o.channels = static_cast<int>(input_shape[3]);
  }
  if (normalize && input_dtype != DType::kUInt8) {
    o.dtype = DType::kFloat32;
    o.normalize = normalize;
  } else {
    o.dtype = DType::kUInt8;
  }
  return o;
}

}  // namespace tfc::data
