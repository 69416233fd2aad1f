// What the libFuzzer harnesses share: a scratch file or directory for parsers
// that read paths (the input is written there before each call), and JSON
// parsed as the commands parse their input files.
// Not: a harness; each fuzz_<parser>.cc holds its own LLVMFuzzerTestOneInput.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "io/json_file.h"

namespace tfc::fuzz {

// A directory of this process under the temporary directory, removed when the
// process exits normally.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "tfc-fuzz-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Replaces the file at `path` with `size` bytes; aborts when it cannot (the
// harness would otherwise fuzz a stale file).
inline void write_bytes(const std::string& path, const uint8_t* data, size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  out.close();
  if (!out) std::abort();
}

// One file in a scratch directory, rewritten with each input.
class ScratchFile {
 public:
  explicit ScratchFile(const std::string& name) : path_(dir_.path() + "/" + name) {}
  const std::string& write(const uint8_t* data, size_t size) {
    write_bytes(path_, data, size);
    return path_;
  }
  const std::string& path() const { return path_; }

 private:
  ScratchDir dir_;
  std::string path_;
};

// The bytes as JSON the way the commands read their files (io::parse_json);
// a discarded value when the text is not JSON.
inline nlohmann::json parse_json(const uint8_t* data, size_t size) {
  auto j = io::parse_json(std::span<const uint8_t>(data, size), "fuzz input", "file");
  return j ? std::move(*j) : nlohmann::json(nlohmann::json::value_t::discarded);
}

}  // namespace tfc::fuzz
