// Where Keras keeps each layer's variables in its HDF5 weight files, read into
// a parsed KerasModel's Layer::weights (nested models into Layer::nested).
// Keras 3 (`model.weights.h5`, or sharded files): layer i of a model is the
// group `layers/<snake_case(class name)>[_k]` (k counting earlier layers of
// the same class, the model's InputLayer left out of a Sequential), its
// variables `vars/0`, `vars/1`, ... then those of its sub-objects (child
// groups other than vars and layers, in Keras's attribute order); a nested
// model's layers under its own `layers/`. Where the vars group names its
// layer (attribute `name`), it must be the layer the config order gives.
// Keras 2 (`.h5`): `model_weights` lists its layers (`layer_names`), each
// layer group its `weight_names`; a nested model's weights are matched to its
// layers by the layer names in the weight names.
// Not here: the zip and file handling (keras_file.cc), HDF5 access (io/hdf5_file.h).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "importers/keras/keras_model.h"
#include "io/hdf5_file.h"

namespace tfc::importers::keras {

// Keras's name of a class in weight files: "BatchNormalization" ->
// "batch_normalization", "Conv2D" -> "conv2d", "ReLU" -> "re_lu".
std::string keras_snake_case(const std::string& class_name);

// The shard file names a sharded-weights index ({"weight_map": {path:
// [file, ...]}}) refers to, each once, in first-mention order; each must be a
// plain file name ending in .weights.h5.
Expected<std::vector<std::string>> shard_names(const nlohmann::json& index);

// Fills the weights of `model` from Keras 3 weight files (one file, or the
// shards of one model: a group's variables may be split across them).
Status attach_keras3_weights(KerasModel& model, const std::vector<io::Hdf5File>& files);

// Fills the weights of `model` from a Keras 2 .h5 file's `model_weights`.
Status attach_keras2_weights(KerasModel& model, const io::Hdf5File& file);

}  // namespace tfc::importers::keras
