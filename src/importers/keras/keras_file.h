// Keras files -> KerasModel (config + weights). Keras 3 `.keras` (a zip:
// config.json, metadata.json, model.weights.h5 or the sharded
// model.weights.json + numbered .weights.h5 files) and Keras 2 / tf-keras
// `.h5` (model_config attribute, model_weights/<layer>/... datasets, attributes
// split in numbered parts). Hostile input is an InvalidArgument naming the
// entry, never a crash: zip entry names and sizes are checked, HDF5 dataset
// shapes are checked against the layer config before any data is read.
// Not here: lowering (keras_lower.h).
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "core/status.h"
#include "importers/keras/keras_model.h"

namespace tfc::importers::keras {

Expected<KerasModel> read_keras_file(const std::string& path);        // .keras (zip)
Expected<KerasModel> read_keras_h5_file(const std::string& path);     // legacy .h5
// The same from bytes in memory (fuzzing, tests).
Expected<KerasModel> parse_keras_archive(std::span<const uint8_t> bytes);
Expected<KerasModel> parse_keras_h5(std::span<const uint8_t> bytes);

}  // namespace tfc::importers::keras
