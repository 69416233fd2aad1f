// A Keras model as read from a file, before lowering: its layers with their
// class names, configs, calls (inbound nodes) and weights. Keras 3 (.keras
// config.json) and Keras 2 (.h5 model_config) configs both parse to this;
// Sequential models become a chain; nested models (keras.applications
// backbones used as a layer) keep their own KerasModel. Weights are filled by
// the container readers (keras_file.h) in each layer's variable order.
// Not here: lowering to the IR (keras_lower.h), file access (keras_file.h).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/array.h"
#include "core/status.h"

namespace tfc::importers::keras {

// A Keras tensor: output `tensor` of call (node) `node` of layer `layer`.
struct TensorRef {
  std::string layer;
  int node = 0;
  int tensor = 0;
};

// One call of a layer: its tensor arguments, flattened in order (Add([a, b])
// gives a, b), and the call's keyword arguments (e.g. `training`, `mask`).
struct LayerCall {
  std::vector<TensorRef> inputs;
  nlohmann::json kwargs = nlohmann::json::object();
  // Keras 3: the positional arguments as saved, tensors and constants (an op
  // layer such as `x + 3.0` keeps its 3.0 here); empty for Keras 2.
  nlohmann::json args = nlohmann::json::array();
};

struct KerasModel;

struct Layer {
  std::string class_name;  // "Conv2D"; nested models: "Functional", "Sequential", "Model"
  std::string name;
  nlohmann::json config;   // the layer's own config object
  std::vector<LayerCall> calls;
  // Variables in the layer's order (Keras 3 vars/<i>; Keras 2 weight_names):
  // Dense kernel, bias; BatchNormalization gamma, beta, moving_mean, moving_variance...
  std::vector<Array> weights;
  std::vector<std::string> weight_names;  // Keras 2 names ("dense/kernel:0"); empty for Keras 3
  std::shared_ptr<KerasModel> nested;     // set for a model used as a layer
  // Keras 3: a keras.ops operation called on Keras tensors (`x + 3.0`), saved
  // in the config beside the layers but no Layer: Model.layers, and so the
  // weights file, skip it.
  bool operation = false;
};

struct KerasModel {
  std::string name;
  std::string class_name;  // "Functional" or "Sequential"
  int keras_version = 3;   // 3: .keras; 2: .h5 / tf-keras
  std::vector<Layer> layers;
  std::vector<TensorRef> inputs;   // the InputLayer tensors, in order
  std::vector<TensorRef> outputs;

  const Layer* find(const std::string& layer_name) const {
    for (const auto& l : layers) if (l.name == layer_name) return &l;
    return nullptr;
  }
};

// Parses a serialized model config (Keras 3 config.json, or the Keras 2
// model_config attribute): {"class_name": "Functional"|"Sequential"|"Model",
// "config": {...}}. Names every layer class it cannot lower, with the layer's
// name, before any weights are read (Unsupported). Weights stay empty.
Expected<KerasModel> parse_model_config(const nlohmann::json& config, int keras_version);

// tf_keras TFOpLambda `layer` (a TensorFlow function such as tf.math.multiply
// called on Keras tensors) with its saved `inbound_nodes`: rewritten to the
// layer class that computes the same, its call in the Keras 3 op layer form
// (keras_tf_op.cc). False (layer untouched) for functions or arguments it
// does not know.
bool lower_tf_op_lambda_to_layer(Layer& layer, const nlohmann::json& inbound_nodes);

// Layer classes the lowering supports (keras_lower.cc's table).
bool is_supported_layer(const std::string& class_name);

}  // namespace tfc::importers::keras
