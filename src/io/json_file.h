// Reading a JSON file, the one way every JSON input (budget, report, baseline,
// calibration statistics, registry state and metadata, recipe) is read, with
// one error style: "<what> <path>: <reason>".
// Not: what the document must hold (each reader checks its own schema).
#pragma once

#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace tfc::io {

// The parsed content of `path`. `what` names the file's role in errors
// ("budget", "report", "calibration stats"): a missing file is NotFound
// ("budget b.json: no such file"), bytes that are not JSON InvalidArgument
// ("budget b.json: not valid JSON: syntax error at byte 12 ...").
Expected<nlohmann::json> read_json_file(const std::string& path, std::string_view what);

// The same for JSON already in memory (e.g. bytes read for a digest too).
Expected<nlohmann::json> parse_json(std::span<const uint8_t> bytes, const std::string& path, std::string_view what);

}  // namespace tfc::io
