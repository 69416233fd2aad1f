// Graph IR -> TFLite flatbuffer. Deterministic: the same IR always gives the
// same bytes, so read -> write -> read -> write is byte-identical. Files are
// written to a temporary name and renamed, never left half-written.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "ir/graph.h"

namespace tfc::io {

Expected<std::vector<uint8_t>> serialize_tflite(const ir::Model& model);
Status write_tflite(const std::string& path, const ir::Model& model);

}  // namespace tfc::io
