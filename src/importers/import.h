// Importers: a model file of any supported format -> the graph IR.
// .tflite (io/tflite_reader.h), Keras 3 .keras and Keras 2 .h5
// (importers/keras), SavedModel directories (importers/savedmodel). The format
// is recognised from the content (zip, HDF5 signature, TFLite identifier, a
// directory holding saved_model.pb), not the file name. Every command that
// takes a model reads it through load_model.
// Not here: any format's parsing, writing (io/tflite_writer.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "importers/training_state.h"
#include "ir/graph.h"

namespace tfc::importers {

enum class Format { kTflite, kKeras, kKerasH5, kSavedModel };
std::string format_name(Format f);  // "tflite", "keras", "h5", "saved_model"

struct ImportOptions {
  std::string signature;  // SavedModel signature key; empty = serving_default, else the only one
  int batch = 1;          // the static size given to a dynamic batch dim (as the converter does)
  // For training: every trainable variable stays its own constant (zero
  // biases and betas that the converter's folding drops are kept, equal
  // constants are not shared), so each trains on its own. Off: the converter's form.
  bool training = false;
};

// The format of `path`, from its content; NotFound / InvalidArgument otherwise.
Expected<Format> detect_format(const std::string& path);

// An imported model: the inference IR, equal to what the TFLite converter makes
// (batch norm folded, activations fused, dropout gone), and beside it what
// training needs to undo that (importers/training_state.h).
struct Imported {
  ir::Model model;
  Format format = Format::kTflite;
  TrainingState training;
};

Expected<Imported> import_model(const std::string& path, const ImportOptions& options = {});

// The inference IR of a model file of any supported format.
Expected<ir::Model> load_model(const std::string& path, const ImportOptions& options = {});

// The TFLite bytes of a model: a .tflite file's own bytes, else the imported
// model serialized (what would be deployed; its size is the model's size).
Expected<std::vector<uint8_t>> tflite_bytes(const std::string& path, const ImportOptions& options = {});

}  // namespace tfc::importers
