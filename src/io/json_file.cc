// Implementation of json_file.h: read_file, then nlohmann's parser with its
// error text in the message.
#include "io/json_file.h"

#include "io/file_util.h"

namespace tfc::io {

Expected<nlohmann::json> parse_json(std::span<const uint8_t> bytes, const std::string& path, std::string_view what) {
  try {
    return nlohmann::json::parse(bytes.begin(), bytes.end());
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for a number overflow
    // e.what() reads "[json.exception.parse_error.101] parse error at ...": keep the part after the id.
    std::string_view reason = e.what();
    if (const size_t close = reason.find("] "); close != std::string_view::npos) reason.remove_prefix(close + 2);
    return invalid_argument("{} {}: not valid JSON: {}", what, path, reason);
  }
}

Expected<nlohmann::json> read_json_file(const std::string& path, std::string_view what) {
  auto bytes = read_file(path);
  if (!bytes) return Status(bytes.status().code(), fmt::format("{} {}", what, bytes.status().message()));
  return parse_json(*bytes, path, what);
}

}  // namespace tfc::io
