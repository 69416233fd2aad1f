// Helpers shared by the C++ tests: fixture and data set paths, a scratch
// directory, quantization parameters.
#pragma once

#include <algorithm>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace tfc::test {

inline std::filesystem::path source_dir() { return TFC_SOURCE_DIR; }
inline std::filesystem::path fixtures_dir() { return source_dir() / "fixtures"; }

// The Fashion-MNIST IDX files: $TFC_FMNIST_DIR, as for the Python tests and
// the fixture scripts, else where Debian's dataset-fashion-mnist puts them.
inline std::filesystem::path fmnist_dir() {
  const char* dir = std::getenv("TFC_FMNIST_DIR");
  return dir && *dir ? std::filesystem::path(dir) : std::filesystem::path("/usr/share/datasets/fashion-mnist");
}
// One Fashion-MNIST file, e.g. "t10k-images-idx3-ubyte.gz".
inline std::string fmnist_file(const std::string& name) { return (fmnist_dir() / name).string(); }

// A fresh directory under the system's temporary directory, named
// <prefix>-XXXXXX, removed with everything in it when the object goes.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& prefix) {
    std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("cannot create " + pattern);
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Every committed fixture model, sorted by name.
inline std::vector<std::filesystem::path> fixture_models() {
  std::vector<std::filesystem::path> out;
  const auto dir = fixtures_dir() / "models";
  if (!std::filesystem::exists(dir)) return out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".tflite") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Quantization parameters of a tensor.
inline ir::Quantization quantization(std::vector<float> scale, std::vector<int64_t> zero_point, int32_t axis = 0) {
  ir::Quantization q;
  q.scale = std::move(scale);
  q.zero_point = std::move(zero_point);
  q.axis = axis;
  return q;
}

}  // namespace tfc::test
