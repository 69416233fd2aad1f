// Keras containers: the `.keras` zip (libzip, read from memory; entry names,
// duplicates and declared sizes checked before anything is decompressed) and
// the legacy `.h5` file, both read into a KerasModel: the config through
// parse_model_config, the weights from HDF5 (io/hdf5_file.h) in each layer's
// variable order.
#include "importers/keras/keras_file.h"

#include <zip.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string_view>

#include "importers/keras/keras_weights.h"
#include "io/file_util.h"
#include "io/hdf5_file.h"
#include "io/json_file.h"

namespace tfc::importers::keras {
namespace {

constexpr uint64_t kMaxJsonBytes = uint64_t{64} << 20;
constexpr uint64_t kMaxEntryBytes = uint64_t{8} << 30;
// Deflate cannot expand by more than about 1032:1; stored entries 1:1.
constexpr uint64_t kMaxExpansion = 1100;
constexpr uint64_t kMinEntryAllowance = uint64_t{1} << 20;

struct ZipDiscard {
  void operator()(zip_t* z) const { zip_discard(z); }
};
struct ZipFileClose {
  void operator()(zip_file_t* f) const { zip_fclose(f); }
};
using ZipPtr = std::unique_ptr<zip_t, ZipDiscard>;

std::string zip_message(zip_error_t* error) {
  std::string message = zip_error_strerror(error);
  if (zip_error_code_zip(error) == ZIP_ER_EXISTS) message += " (duplicate entry names)";
  zip_error_fini(error);
  return message;
}

// A name that cannot leave the archive's directory when extracted: not empty,
// relative, no "..", no backslash or control characters.
bool safe_entry_name(std::string_view name) {
  if (name.empty() || name.front() == '/' || (name.size() > 1 && name[1] == ':')) return false;
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == '\\') return false;
  }
  size_t start = 0;
  while (start <= name.size()) {
    const size_t end = std::min(name.find('/', start), name.size());
    if (name.substr(start, end - start) == "..") return false;
    start = end + 1;
  }
  return true;
}

struct Entry {
  zip_uint64_t index = 0;
  uint64_t size = 0;
};

// The archive's entries by name, each checked.
class Archive {
 public:
  static Expected<Archive> open(std::span<const uint8_t> bytes) {
    if (bytes.empty()) return invalid_argument(".keras archive: empty file");  // libzip reads it as no entries
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
    if (source == nullptr) return invalid_argument(".keras archive: {}", zip_message(&error));
    ZipPtr zip(zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error));
    if (!zip) {
      zip_source_free(source);
      return invalid_argument(".keras archive: not a readable zip archive: {}", zip_message(&error));
    }
    zip_error_fini(&error);
    Archive archive(std::move(zip));
    TFC_RETURN_IF_ERROR(archive.index_entries(bytes.size()));
    return archive;
  }

  bool has(const std::string& name) const { return entries_.contains(name); }

  Expected<std::vector<uint8_t>> read(const std::string& name, uint64_t limit) const {
    auto it = entries_.find(name);
    if (it == entries_.end()) return invalid_argument(".keras archive: no entry '{}'", name);
    const Entry& e = it->second;
    if (e.size > limit) {
      return invalid_argument(".keras archive: entry '{}' declares {} bytes, over the {} byte limit", name, e.size, limit);
    }
    std::unique_ptr<zip_file_t, ZipFileClose> file(zip_fopen_index(zip_.get(), e.index, 0));
    if (!file) return invalid_argument(".keras archive: cannot open entry '{}': {}", name, zip_strerror(zip_.get()));
    std::vector<uint8_t> data(e.size);
    uint64_t got = 0;
    while (got < e.size) {
      const zip_int64_t r = zip_fread(file.get(), data.data() + got, e.size - got);
      if (r < 0) return invalid_argument(".keras archive: entry '{}': {}", name, zip_file_strerror(file.get()));
      if (r == 0) return invalid_argument(".keras archive: entry '{}' ends after {} of {} bytes", name, got, e.size);
      got += static_cast<uint64_t>(r);
    }
    uint8_t extra = 0;
    if (zip_fread(file.get(), &extra, 1) != 0) {
      return invalid_argument(".keras archive: entry '{}' holds more than its declared {} bytes", name, e.size);
    }
    return data;
  }

 private:
  explicit Archive(ZipPtr zip) : zip_(std::move(zip)) {}

  Status index_entries(uint64_t archive_bytes) {
    const zip_int64_t count = zip_get_num_entries(zip_.get(), 0);
    const uint64_t allowance = std::min(kMaxEntryBytes, std::max(kMinEntryAllowance, archive_bytes * kMaxExpansion));
    for (zip_int64_t i = 0; i < count; ++i) {
      zip_stat_t st;
      zip_stat_init(&st);
      if (zip_stat_index(zip_.get(), static_cast<zip_uint64_t>(i), 0, &st) != 0 || !(st.valid & ZIP_STAT_NAME) ||
          !(st.valid & ZIP_STAT_SIZE)) {
        return invalid_argument(".keras archive: cannot read entry {}: {}", i, zip_strerror(zip_.get()));
      }
      const std::string name = st.name;
      if (!safe_entry_name(name)) return invalid_argument(".keras archive: unsafe entry name '{}'", name);
      if (st.size > allowance) {
        return invalid_argument(".keras archive: entry '{}' declares {} bytes, more than a {} byte archive can hold",
                                name, st.size, archive_bytes);
      }
      if (!entries_.emplace(name, Entry{static_cast<zip_uint64_t>(i), st.size}).second) {
        return invalid_argument(".keras archive: duplicate entry '{}'", name);
      }
    }
    return Status::ok();
  }

  ZipPtr zip_;
  std::map<std::string, Entry> entries_;
};

Expected<nlohmann::json> read_json_entry(const Archive& archive, const std::string& name) {
  if (!archive.has(name)) return invalid_argument(".keras archive: no {} entry", name);
  TFC_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, archive.read(name, kMaxJsonBytes));
  return io::parse_json(bytes, name, ".keras entry");
}

// metadata.json must name a Keras 3 release.
Status check_metadata(const Archive& archive) {
  TFC_ASSIGN_OR_RETURN(nlohmann::json metadata, read_json_entry(archive, "metadata.json"));
  if (!metadata.is_object() || !metadata.contains("keras_version") || !metadata["keras_version"].is_string()) {
    return invalid_argument(".keras archive: metadata.json has no keras_version string");
  }
  const std::string version = metadata["keras_version"].get<std::string>();
  if (!version.starts_with("3.")) {
    return unsupported(".keras archive: saved by Keras {}; tfcompress reads .keras files of Keras 3", version);
  }
  return Status::ok();
}

Expected<io::Hdf5File> open_weights_entry(const Archive& archive, const std::string& name) {
  TFC_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, archive.read(name, kMaxEntryBytes));
  return io::Hdf5File::open(bytes, name);
}

// model.weights.h5, or the shards model.weights.json names.
Expected<std::vector<io::Hdf5File>> open_weights(const Archive& archive) {
  std::vector<io::Hdf5File> files;
  if (archive.has("model.weights.h5")) {
    TFC_ASSIGN_OR_RETURN(io::Hdf5File file, open_weights_entry(archive, "model.weights.h5"));
    files.push_back(std::move(file));
    return files;
  }
  if (archive.has("model.weights.npz")) {
    return unsupported(".keras archive: weights in model.weights.npz (tfcompress reads model.weights.h5)");
  }
  if (!archive.has("model.weights.json")) {
    return invalid_argument(".keras archive: no weights (neither model.weights.h5 nor model.weights.json)");
  }
  TFC_ASSIGN_OR_RETURN(nlohmann::json index, read_json_entry(archive, "model.weights.json"));
  TFC_ASSIGN_OR_RETURN(std::vector<std::string> shards, shard_names(index));
  for (const std::string& shard : shards) {
    if (!archive.has(shard)) return invalid_argument(".keras archive: model.weights.json names missing shard '{}'", shard);
    TFC_ASSIGN_OR_RETURN(io::Hdf5File file, open_weights_entry(archive, shard));
    files.push_back(std::move(file));
  }
  return files;
}

Expected<KerasModel> parse_legacy(const io::Hdf5File& file) {
  TFC_ASSIGN_OR_RETURN(bool has_config, file.has_attribute("", "model_config"));
  if (!has_config) {
    return invalid_argument("{}: no model_config attribute (a weights-only file?)", file.context());
  }
  TFC_ASSIGN_OR_RETURN(std::string text, file.string_attribute("", "model_config"));
  const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  TFC_ASSIGN_OR_RETURN(nlohmann::json config, io::parse_json(bytes, file.context(), "model_config of"));
  TFC_ASSIGN_OR_RETURN(KerasModel model, parse_model_config(config, 2));
  model.keras_version = 2;
  TFC_RETURN_IF_ERROR(attach_keras2_weights(model, file));
  return model;
}

}  // namespace

Expected<KerasModel> parse_keras_archive(std::span<const uint8_t> bytes) {
  TFC_ASSIGN_OR_RETURN(Archive archive, Archive::open(bytes));
  TFC_RETURN_IF_ERROR(check_metadata(archive));
  TFC_ASSIGN_OR_RETURN(nlohmann::json config, read_json_entry(archive, "config.json"));
  TFC_ASSIGN_OR_RETURN(std::vector<io::Hdf5File> weights, open_weights(archive));
  TFC_ASSIGN_OR_RETURN(KerasModel model, parse_model_config(config, 3));
  model.keras_version = 3;
  TFC_RETURN_IF_ERROR(attach_keras3_weights(model, weights));
  return model;
}

Expected<KerasModel> parse_keras_h5(std::span<const uint8_t> bytes) {
  TFC_ASSIGN_OR_RETURN(io::Hdf5File file, io::Hdf5File::open(bytes, ".h5 model"));
  return parse_legacy(file);
}

Expected<KerasModel> read_keras_file(const std::string& path) {
  TFC_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, io::read_file(path));
  auto model = parse_keras_archive(bytes);
  if (!model) return model.status().with_context(path);
  return model;
}

Expected<KerasModel> read_keras_h5_file(const std::string& path) {
  TFC_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, io::read_file(path));
  auto model = parse_keras_h5(bytes);
  if (!model) return model.status().with_context(path);
  return model;
}

}  // namespace tfc::importers::keras
