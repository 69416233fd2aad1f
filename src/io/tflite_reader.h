// Reads a TFLite flatbuffer into the graph IR. The file is checked by the
// flatbuffers verifier and then by the IR's own index/shape/buffer checks before
// anything trusts it. Not here: writing (tflite_writer.h), running (runtime/).
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "core/status.h"
#include "ir/graph.h"

namespace tfc::io {

// Parses a model held in memory. Never crashes on hostile bytes: every problem
// is an InvalidArgument status that says what is wrong and where.
Expected<ir::Model> parse_tflite(std::span<const uint8_t> bytes);

// Reads and parses a .tflite file.
Expected<ir::Model> read_tflite(const std::string& path);

}  // namespace tfc::io
