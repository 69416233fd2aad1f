// Helpers shared by the C++ tests: fixture paths.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace tfc::test {

inline std::filesystem::path source_dir() { return TFC_SOURCE_DIR; }
inline std::filesystem::path fixtures_dir() { return source_dir() / "fixtures"; }

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

}  // namespace tfc::test
