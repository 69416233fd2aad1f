#include "importers/import.h"

#include <cstring>
#include <filesystem>
#include <fstream>

#include "importers/keras/keras_file.h"
#include "importers/keras/keras_lower.h"
#include "importers/savedmodel/savedmodel.h"
#include "io/file_util.h"
#include "io/tflite_reader.h"
#include "io/tflite_writer.h"

namespace tfc::importers {

std::string format_name(Format f) {
  switch (f) {
    case Format::kTflite: return "tflite";
    case Format::kKeras: return "keras";
    case Format::kKerasH5: return "h5";
    case Format::kSavedModel: return "saved_model";
  }
  return "unknown";
}

Expected<Format> detect_format(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) return not_found("{}: no such file or directory", path);
  if (fs::is_directory(status)) {
    if (fs::exists(fs::path(path) / "saved_model.pb", ec)) return Format::kSavedModel;
    if (fs::exists(fs::path(path) / "saved_model.pbtxt", ec)) {
      return unsupported("{}: a SavedModel in text form (saved_model.pbtxt) is not supported; save it as binary", path);
    }
    return invalid_argument("{}: a directory without saved_model.pb is not a SavedModel", path);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found("{}: cannot open", path);
  char head[8] = {};
  in.read(head, sizeof head);
  const auto got = in.gcount();
  if (got >= 4 && std::memcmp(head, "PK\x03\x04", 4) == 0) return Format::kKeras;
  if (got >= 8 && std::memcmp(head, "\x89HDF\r\n\x1a\n", 8) == 0) return Format::kKerasH5;
  if (got >= 8 && std::memcmp(head + 4, "TFL3", 4) == 0) return Format::kTflite;
  if (fs::path(path).filename() == "saved_model.pb") return Format::kSavedModel;
  return invalid_argument(
      "{}: not a model tfcompress reads (expected a .tflite flatbuffer, a Keras .keras zip, a Keras .h5 HDF5 file or "
      "a SavedModel directory)",
      path);
}

namespace {

// `s` naming `path` once: importers' messages may start with it already.
Status in_file(const Status& s, const std::string& path) {
  return s.message().rfind(path, 0) == 0 ? s : s.with_context(path);
}

}  // namespace

Expected<Imported> import_model(const std::string& path, const ImportOptions& options) {
  if (options.batch < 1) return invalid_argument("--batch must be at least 1 (got {})", options.batch);
  TFC_ASSIGN_OR_RETURN(Format format, detect_format(path));
  Imported out;
  switch (format) {
    case Format::kTflite: {
      TFC_ASSIGN_OR_RETURN(out.model, io::read_tflite(path));
      break;
    }
    case Format::kKeras:
    case Format::kKerasH5: {
      auto read = format == Format::kKeras ? keras::read_keras_file(path) : keras::read_keras_h5_file(path);
      if (!read.has_value()) return in_file(read.status(), path);
      auto lowered = keras::lower_keras_model(*read, options);
      if (!lowered.has_value()) return in_file(lowered.status(), path);
      out = std::move(*lowered);
      break;
    }
    case Format::kSavedModel: {
      std::string dir = path;
      if (std::filesystem::path(path).filename() == "saved_model.pb") dir = std::filesystem::path(path).parent_path();
      auto lowered = savedmodel::import_saved_model(dir, options);
      if (!lowered.has_value()) return in_file(lowered.status(), path);
      out = std::move(*lowered);
      break;
    }
  }
  out.format = format;
  return out;
}

Expected<ir::Model> load_model(const std::string& path, const ImportOptions& options) {
  TFC_ASSIGN_OR_RETURN(Imported imported, import_model(path, options));
  return std::move(imported.model);
}

Expected<std::vector<uint8_t>> tflite_bytes(const std::string& path, const ImportOptions& options) {
  TFC_ASSIGN_OR_RETURN(Format format, detect_format(path));
  if (format == Format::kTflite) return io::read_file(path);
  TFC_ASSIGN_OR_RETURN(ir::Model model, load_model(path, options));
  return io::serialize_tflite(model);
}

}  // namespace tfc::importers
