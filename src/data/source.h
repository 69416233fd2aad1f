// The one dataset abstraction that training, calibration and evaluation read
// through: a Source gives random access to samples (one value per model
// input, plus a label when there are labels), made from the arrays of an
// .npz/.npy/IDX spec (io/dataset.h) or from a folder of images, one
// subfolder per class. Reading is const and safe from several threads.
// Not: batching, shuffling or augmentation (loader.h).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/array.h"
#include "core/dtype.h"
#include "core/status.h"
#include "data/image_transform.h"
#include "io/dataset.h"

namespace tfc::data {

// One sample of an input or label: its shape without the batch dim, and type.
struct SampleSpec {
  std::vector<int64_t> shape;
  DType dtype = DType::kFloat32;
  int64_t num_elements() const;
  size_t bytes() const { return static_cast<size_t>(num_elements()) * dtype_size(dtype); }
};

class Source {
 public:
  virtual ~Source() = default;
  virtual int64_t size() const = 0;                           // number of samples
  virtual const std::vector<SampleSpec>& inputs() const = 0;  // one per model input
  virtual const std::optional<SampleSpec>& labels() const = 0;
  // Classes of integer class-id labels: an image folder's class folders, or
  // max label + 1 of integer labels with one value per sample; 0: unknown.
  virtual int64_t num_classes() const = 0;
  // Sample `index` (0 <= index < size()): inputs()[i].bytes() bytes into
  // inputs[i] for each input, and the label into `label` when it is not
  // empty (labels() must then be set). Errors name the file or sample.
  virtual Status read(int64_t index, std::span<const std::span<uint8_t>> inputs, std::span<uint8_t> label) const = 0;
  // A folder's class names (sorted; class id = position), else empty.
  virtual const std::vector<std::string>& class_names() const = 0;
};

struct SourceOptions {
  ImageOptions image;  // image folders only; arrays are read as stored
};

// Arrays as a source: inputs [N, ...] with the same N, labels [N, ...] when present.
Expected<std::unique_ptr<Source>> array_source(DataArrays arrays);

// A folder of images: one subfolder per class (classes sorted by name get ids
// 0..K-1; labels are int32 class ids), or images directly in it (no
// labels; it must then have no subfolders). Images are the .png, .jpg and
// .jpeg files (any case; other files are skipped), sorted by path; samples
// are (height, width, channels) of options.dtype. Unless both the size and
// the channels are set, every image's header is read here, and images must
// agree on what is not set.
Expected<std::unique_ptr<Source>> image_folder_source(const std::string& dir, const ImageOptions& options);

// `spec` as a source: an image folder when it is a directory (the model has
// one input), else read_data_arrays(spec, input_names) (io/dataset.h).
Expected<std::unique_ptr<Source>> open_source(const std::string& spec, const std::vector<std::string>& input_names,
                                              const SourceOptions& options = {});

// True when `spec` names a directory (an image folder).
bool is_image_folder(const std::string& spec);

// The files `spec` is made of, for digests: a folder's images (sorted), else
// the comma-separated files of the spec.
Expected<std::vector<std::string>> spec_files(const std::string& spec);

// Every sample of `source` as whole arrays [N, ...] (inputs, then labels);
// refused above 16 GiB per array.
Expected<DataArrays> read_all(const Source& source);

// What calibration and evaluation read: io's load_dataset(spec, input_name)
// for files (unchanged), the whole folder for an image folder.
Expected<Dataset> load_dataset(const std::string& spec, const std::string& input_name, const SourceOptions& options);

// Image options that fit a model input of shape (N, H, W, C) with C 1 or 3:
// that size and those channels; float32 samples normalised by `normalize`
// when it is given and the input is not uint8, else uint8 pixels, as IDX
// images are read (a uint8 input takes them as they are; --input-scale
// converts them for a float input, which a quantized input then quantizes).
// Other input shapes leave the size and channels to the images.
ImageOptions image_options_for_input(const std::vector<int64_t>& input_shape, DType input_dtype,
                                     const std::optional<Normalization>& normalize = std::nullopt);

}  // namespace tfc::data
