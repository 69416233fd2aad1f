// The image-folder Source of source.h: listing class folders and image
// files, settling the sample shape (from the options, else from every
// image's header) and decoding one file per sample read.
#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>

#include "data/image_decode.h"
#include "data/source.h"
#include "io/file_util.h"

namespace tfc::data {
namespace {

namespace fs = std::filesystem;

struct ImageFile {
  std::string path;
  int32_t label = 0;
};

bool hidden(const fs::path& p) { return p.filename().string().starts_with("."); }

bool is_image_name(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg";
}

// Entries of `dir` (not hidden), sorted by name: its subfolders and its image files.
Status list_dir(const fs::path& dir, std::vector<fs::path>& folders, std::vector<fs::path>& images) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const fs::path& p = it->path();
    if (hidden(p)) continue;
    if (it->is_directory(ec)) {
      folders.push_back(p);
    } else if (is_image_name(p)) {
      images.push_back(p);
    }
  }
  if (ec) return invalid_argument("{}: cannot list the folder: {}", dir.string(), ec.message());
  std::sort(folders.begin(), folders.end());
  std::sort(images.begin(), images.end());
  return Status::ok();
}

constexpr int kMaxDepth = 32;  // deeper class folders: a symlink loop, most likely

// The image files under `dir`, at any depth, into `all`.
Status collect_images(const fs::path& dir, int depth, std::vector<fs::path>& all) {
  if (depth > kMaxDepth) return invalid_argument("{}: folders nested more than {} deep", dir.string(), kMaxDepth);
  std::vector<fs::path> folders, images;
  TFC_RETURN_IF_ERROR(list_dir(dir, folders, images));
  all.insert(all.end(), images.begin(), images.end());
  for (const fs::path& f : folders) TFC_RETURN_IF_ERROR(collect_images(f, depth + 1, all));
  return Status::ok();
}

// Every image file under class folder `dir`, sorted by path.
Status list_images(const fs::path& dir, int32_t label, std::vector<ImageFile>& out) {
  std::vector<fs::path> all;
  TFC_RETURN_IF_ERROR(collect_images(dir, 0, all));
  std::sort(all.begin(), all.end());
  for (const fs::path& p : all) out.push_back({p.string(), label});
  return Status::ok();
}

Status list_folder(const std::string& dir, std::vector<ImageFile>& files, std::vector<std::string>& classes) {
  std::vector<fs::path> folders, images;
  TFC_RETURN_IF_ERROR(list_dir(dir, folders, images));
  if (!folders.empty() && !images.empty()) {
    return invalid_argument("{}: holds both class folders and images ({}); put every image in its class folder", dir,
                            images.front().string());
  }
  if (folders.empty()) {
    for (const fs::path& p : images) files.push_back({p.string(), 0});
  }
  for (const fs::path& f : folders) {
    const size_t before = files.size();
    TFC_RETURN_IF_ERROR(list_images(f, static_cast<int32_t>(classes.size()), files));
    if (files.size() == before) {
      return invalid_argument("{}: class folder has no images (.png, .jpg, .jpeg)", f.string());
    }
    classes.push_back(f.filename().string());
  }
  if (files.empty()) return invalid_argument("{}: no images (.png, .jpg, .jpeg) in the folder", dir);
  return Status::ok();
}

// The whole file at `path`, refused above a size no image within the pixel
// limit needs.
Expected<std::vector<uint8_t>> read_image_file(const std::string& path, int64_t max_pixels) {
  std::error_code ec;
  const uintmax_t size = fs::file_size(path, ec);
  const uintmax_t limit = static_cast<uintmax_t>(max_pixels) * 4 + (uintmax_t{1} << 20);
  if (!ec && size > limit) {
    return invalid_argument("{}: {} bytes, more than an image within the pixel limit needs", path, size);
  }
  return io::read_file(path);
}

// Settles the size and channels that `options` leave open from the images'
// headers, which must agree.
Status resolve_shape(const std::vector<ImageFile>& files, ImageOptions& options) {
  const bool need_size = options.height == 0;
  const bool need_channels = options.channels == 0;
  if (!need_size && !need_channels) return Status::ok();
  ImageHeader first;
  for (size_t i = 0; i < files.size(); ++i) {
    TFC_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, read_image_file(files[i].path, options.max_pixels));
    TFC_ASSIGN_OR_RETURN(ImageHeader h, read_image_header(bytes, files[i].path, options.max_pixels));
    if (i == 0) first = h;
    if (need_size && (h.height != first.height || h.width != first.width)) {
      return invalid_argument("images differ in size: {} is {} x {}, {} is {} x {}; give an image size to resize to",
                              files[0].path, first.height, first.width, files[i].path, h.height, h.width);
    }
    if (need_channels && h.channels != first.channels) {
      return invalid_argument("images differ in channels: {} has {}, {} has {}; give the channels (1 or 3)",
                              files[0].path, first.channels, files[i].path, h.channels);
    }
  }
  if (need_size) {
    options.height = first.height;
    options.width = first.width;
  }
  if (need_channels) options.channels = first.channels;
  return Status::ok();
}

class FolderSource final : public Source {
 public:
  FolderSource(std::vector<ImageFile> files, std::vector<std::string> classes, ImageOptions options, bool resize)
      : files_(std::move(files)), classes_(std::move(classes)), options_(std::move(options)), resize_(resize) {
    inputs_.push_back({{options_.height, options_.width, options_.channels}, options_.dtype});
    if (!classes_.empty()) labels_ = SampleSpec{{}, DType::kInt32};
  }

  int64_t size() const override { return static_cast<int64_t>(files_.size()); }
  const std::vector<SampleSpec>& inputs() const override { return inputs_; }
  const std::optional<SampleSpec>& labels() const override { return labels_; }
  int64_t num_classes() const override { return static_cast<int64_t>(classes_.size()); }
  const std::vector<std::string>& class_names() const override { return classes_; }

  Status read(int64_t index, std::span<const std::span<uint8_t>> inputs, std::span<uint8_t> label) const override {
    if (index < 0 || index >= size()) return invalid_argument("sample {} is out of range for {} images", index, size());
    if (inputs.size() != 1 || inputs[0].size() != inputs_[0].bytes()) {
      return invalid_argument("an image sample needs one buffer of {} bytes", inputs_[0].bytes());
    }
    const ImageFile& file = files_[static_cast<size_t>(index)];
    TFC_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, read_image_file(file.path, options_.max_pixels));
    TFC_ASSIGN_OR_RETURN(Image image, decode_image(bytes, file.path, options_.max_pixels));
    if (!resize_ && (image.header.height != options_.height || image.header.width != options_.width)) {
      return invalid_argument("{} is {} x {} but the other images are {} x {}; give an image size to resize to",
                              file.path, image.header.height, image.header.width, options_.height, options_.width);
    }
    write_image(image, options_, inputs[0]);
    if (!label.empty()) {
      if (!labels_ || label.size() != sizeof(int32_t)) return invalid_argument("{}: no label of that size", file.path);
      std::memcpy(label.data(), &file.label, sizeof(int32_t));
    }
    return Status::ok();
  }

 private:
  std::vector<ImageFile> files_;
  std::vector<std::string> classes_;
  ImageOptions options_;  // resolved: size and channels set
  bool resize_;           // the size was asked for (else every image has it)
  std::vector<SampleSpec> inputs_;
  std::optional<SampleSpec> labels_;
};

}  // namespace

Expected<std::unique_ptr<Source>> image_folder_source(const std::string& dir, const ImageOptions& options) {
  TFC_RETURN_IF_ERROR(check_image_options(options));
  std::vector<ImageFile> files;
  std::vector<std::string> classes;
  TFC_RETURN_IF_ERROR(list_folder(dir, files, classes));
  ImageOptions resolved = options;
  TFC_RETURN_IF_ERROR(resolve_shape(files, resolved));
  TFC_RETURN_IF_ERROR(check_image_options(resolved));
  return std::unique_ptr<Source>(
      new FolderSource(std::move(files), std::move(classes), std::move(resolved), options.height != 0));
}

Expected<std::vector<std::string>> spec_files(const std::string& spec) {
  std::vector<std::string> parts;
  if (is_image_folder(spec)) {
    std::vector<ImageFile> files;
    std::vector<std::string> classes;
    TFC_RETURN_IF_ERROR(list_folder(spec, files, classes));
    for (ImageFile& f : files) parts.push_back(std::move(f.path));
    return parts;
  }
  size_t begin = 0;
  for (size_t comma; (comma = spec.find(',', begin)) != std::string::npos; begin = comma + 1) {
    parts.push_back(spec.substr(begin, comma - begin));
  }
  parts.push_back(spec.substr(begin));
  return parts;
}

}  // namespace tfc::data
