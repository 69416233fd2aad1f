// SavedModel directories -> graph IR: saved_model.pb (protobuf, our own .proto
// subset under importers/savedmodel/proto), the signature's function reached
// through StatefulPartitionedCall/PartitionedCall in the function library,
// variables from the tensor bundle (variables/variables.index +
// variables.data-*-of-*). TensorFlow ops lower to IR ops through one table
// (savedmodel_lower.cc), with constant folding; every op that cannot be lowered
// is named, by op type and node name, before any work.
// Not here: Keras files (importers/keras), writing.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "core/status.h"
#include "importers/import.h"
#include "importers/savedmodel/tensor_bundle.h"

namespace tfc::importers::savedmodel {

// Imports the SavedModel directory `dir` (saved_model.pb, variables/).
Expected<Imported> import_saved_model(const std::string& dir, const ImportOptions& options);

// The same from memory: saved_model.pb's bytes and the variables' bundle
// (tests and fuzzing).
Expected<Imported> import_saved_model_bytes(std::span<const uint8_t> saved_model_pb, const TensorBundle& variables,
                                            const ImportOptions& options);

}  // namespace tfc::importers::savedmodel
