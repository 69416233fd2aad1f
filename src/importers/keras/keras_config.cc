// Keras model config JSON -> KerasModel (layers, calls, inputs, outputs), for
// both dialects: Keras 3 config.json (inbound_nodes as {"args", "kwargs"} with
// __keras_tensor__ objects) and the Keras 2 / tf-keras model_config attribute
// (inbound_nodes as [[layer, node, tensor, kwargs], ...]). Sequential models
// become a chain behind an InputLayer; nested models parse recursively. Every
// layer class the lowering cannot handle is named in one Unsupported error.
// Not here: weights (keras_file.cc), lowering (keras_lower.cc).
#include "importers/keras/keras_model.h"

namespace tfc::importers::keras {
namespace {

using json = nlohmann::json;
constexpr int kMaxNesting = 32;

bool is_model_class(const std::string& c) { return c == "Functional" || c == "Sequential" || c == "Model"; }

std::string str_or(const json& j, const char* key, std::string fallback) {
  if (j.is_object() && j.contains(key) && j[key].is_string()) return j[key].get<std::string>();
  return fallback;
}

// [layer, node, tensor] (Keras 2 adds kwargs as a fourth element).
Expected<TensorRef> triple(const json& j, const std::string& where) {
  if (!j.is_array() || j.size() < 3 || !j[0].is_string() || !j[1].is_number_integer() ||
      !j[2].is_number_integer()) {
    return invalid_argument("{}: expected [layer, node, tensor], got {}", where, j.dump().substr(0, 120));
  }
  return TensorRef{j[0].get<std::string>(), j[1].get<int>(), j[2].get<int>()};
}

// input_layers / output_layers: a list of triples or a single triple.
Expected<std::vector<TensorRef>> triples(const json& j, const std::string& where) {
  std::vector<TensorRef> out;
  if (j.is_array() && !j.empty() && j[0].is_string()) {
    TFC_ASSIGN_OR_RETURN(TensorRef t, triple(j, where));
    out.push_back(t);
    return out;
  }
  if (!j.is_array()) return invalid_argument("{}: expected a list", where);
  for (const auto& e : j) {
    TFC_ASSIGN_OR_RETURN(TensorRef t, triple(e, where));
    out.push_back(t);
  }
  return out;
}

// Keras 3: the __keras_tensor__ objects in a call's args, depth first.
void collect_keras3_tensors(const json& j, std::vector<TensorRef>& out, int depth) {
  if (depth > kMaxNesting) return;
  if (j.is_object()) {
    if (str_or(j, "class_name", "") == "__keras_tensor__" && j.contains("config")) {
      const json& h = j["config"].value("keras_history", json());
      auto t = triple(h, "keras_history");
      if (t.has_value()) out.push_back(*t);
      return;
    }
    return;
  }
  if (j.is_array()) {
    for (const auto& e : j) collect_keras3_tensors(e, out, depth + 1);
  }
}

Expected<std::vector<LayerCall>> keras3_calls(const json& nodes, const std::string& layer) {
  std::vector<LayerCall> calls;
  for (const auto& node : nodes) {
    if (!node.is_object()) return invalid_argument("layer '{}': inbound node is not an object", layer);
    LayerCall call;
    call.args = node.value("args", json::array());
    collect_keras3_tensors(call.args, call.inputs, 0);
    if (node.contains("kwargs") && node["kwargs"].is_object()) call.kwargs = node["kwargs"];
    calls.push_back(std::move(call));
  }
  return calls;
}

Expected<std::vector<LayerCall>> keras2_calls(const json& nodes, const std::string& layer) {
  std::vector<LayerCall> calls;
  for (const auto& node : nodes) {
    if (!node.is_array()) return invalid_argument("layer '{}': inbound node is not a list", layer);
    LayerCall call;
    // TFOpLambda layers store a node as one flat entry ["layer", node, tensor, kwargs].
    const json entries = !node.empty() && node[0].is_string() ? json::array({node}) : node;
    for (const auto& entry : entries) {
      TFC_ASSIGN_OR_RETURN(TensorRef t, triple(entry, fmt::format("layer '{}' inbound node", layer)));
      call.inputs.push_back(t);
      if (entry.size() > 3 && entry[3].is_object()) call.kwargs = entry[3];
    }
    calls.push_back(std::move(call));
  }
  return calls;
}

Expected<KerasModel> parse_model(const json& j, int keras_version, int depth);

// One entry of a config's "layers" list.
Expected<Layer> parse_layer(const json& j, int keras_version, int depth) {
  if (!j.is_object() || !j.contains("class_name") || !j["class_name"].is_string()) {
    return invalid_argument("a layer entry without a class_name");
  }
  Layer layer;
  layer.class_name = j["class_name"].get<std::string>();
  layer.config = j.value("config", json::object());
  if (!layer.config.is_object()) return invalid_argument("layer of class {}: config is not an object", layer.class_name);
  layer.name = str_or(j, "name", str_or(layer.config, "name", ""));
  if (layer.name.empty()) return invalid_argument("a layer of class {} has no name", layer.class_name);
  layer.operation = keras_version >= 3 && str_or(j, "module", "").starts_with("keras.src.ops.");
  // Keras 3 marks classes registered by user code (custom layers) by a registered_name of their own.
  const std::string registered = str_or(j, "registered_name", layer.class_name);
  if (registered != layer.class_name) layer.class_name = registered;
  if (layer.class_name == "TFOpLambda" && keras_version < 3) {
    // Rewritten to a layer class with its call, or left to be named as unsupported.
    lower_tf_op_lambda_to_layer(layer, j.value("inbound_nodes", json()));
  } else if (j.contains("inbound_nodes") && j["inbound_nodes"].is_array()) {
    // The node's own form says its dialect: {"args", "kwargs"} (Keras 3) or a list (Keras 2).
    const json& nodes = j["inbound_nodes"];
    auto calls = !nodes.empty() && nodes[0].is_object() ? keras3_calls(nodes, layer.name) : keras2_calls(nodes, layer.name);
    if (!calls.has_value()) return calls.status();
    layer.calls = std::move(*calls);
  }
  if (is_model_class(layer.class_name)) {
    TFC_ASSIGN_OR_RETURN(KerasModel nested, parse_model(j, keras_version, depth + 1));
    layer.nested = std::make_shared<KerasModel>(std::move(nested));
  }
  return layer;
}

// The input shape a Sequential model declares without an InputLayer.
json sequential_input_shape(const json& cfg, const json& first_layer) {
  if (cfg.contains("build_input_shape") && cfg["build_input_shape"].is_array()) return cfg["build_input_shape"];
  const json& lc = first_layer.value("config", json::object());
  for (const char* key : {"batch_input_shape", "batch_shape"}) {
    if (lc.is_object() && lc.contains(key) && lc[key].is_array()) return lc[key];
  }
  const json& bc = first_layer.value("build_config", json::object());
  if (bc.is_object() && bc.contains("input_shape") && bc["input_shape"].is_array()) return bc["input_shape"];
  return json();
}

// Sequential: a chain, behind an InputLayer made from the declared input shape when the config has none.
Status chain_sequential(const json& cfg, KerasModel& m, int keras_version, int depth) {
  const json& layers = cfg["layers"];
  for (const auto& lj : layers) {
    TFC_ASSIGN_OR_RETURN(Layer layer, parse_layer(lj, keras_version, depth));
    layer.calls.clear();
    m.layers.push_back(std::move(layer));
  }
  if (m.layers.empty() || m.layers[0].class_name != "InputLayer") {
    json shape = layers.empty() ? json() : sequential_input_shape(cfg, layers[0]);
    if (shape.is_null()) {
      return invalid_argument("Sequential model '{}' declares no input shape (no InputLayer, batch_input_shape or "
                              "build_input_shape)",
                              m.name);
    }
    Layer input;
    input.class_name = "InputLayer";
    input.name = m.name + "_input";
    input.config = {{"name", input.name}, {"batch_shape", shape}};
    if (!layers.empty()) input.config["dtype"] = layers[0].value("config", json::object()).value("dtype", json());
    m.layers.insert(m.layers.begin(), std::move(input));
  }
  for (size_t i = 1; i < m.layers.size(); ++i) {
    LayerCall call;
    call.inputs.push_back({m.layers[i - 1].name, 0, 0});
    m.layers[i].calls.push_back(std::move(call));
  }
  m.inputs = {{m.layers[0].name, 0, 0}};
  m.outputs = {{m.layers.back().name, 0, 0}};
  return Status::ok();
}

// Keras 2 numbers a nested model's calls from 1 (node 0 is the model's own
// graph, not saved): its references are shifted down to index the calls.
void skip_first_nested_nodes(KerasModel& m) {
  auto shift = [&](TensorRef& t) {
    const Layer* l = m.find(t.layer);
    if (l && l->nested && t.node > 0) --t.node;
  };
  for (auto& l : m.layers) {
    for (auto& c : l.calls) {
      for (auto& t : c.inputs) shift(t);
    }
  }
  for (auto& t : m.outputs) shift(t);
}

Expected<KerasModel> parse_model(const json& j, int keras_version, int depth) {
  if (depth > kMaxNesting) return invalid_argument("models nested more than {} deep", kMaxNesting);
  if (!j.is_object() || !j.contains("config") || !j["config"].is_object()) {
    return invalid_argument("model config: expected {{\"class_name\", \"config\"}}");
  }
  KerasModel m;
  m.keras_version = keras_version;
  m.class_name = str_or(j, "class_name", "Functional");
  const json& cfg = j["config"];
  m.name = str_or(cfg, "name", str_or(j, "name", "model"));
  if (!cfg.contains("layers") || !cfg["layers"].is_array()) {
    return invalid_argument("model '{}' ({}): config has no layers list", m.name, m.class_name);
  }
  if (m.class_name == "Sequential") {
    TFC_RETURN_IF_ERROR(chain_sequential(cfg, m, keras_version, depth));
    return m;
  }
  if (!is_model_class(m.class_name)) return unsupported("model class {} is not supported", m.class_name);
  m.class_name = "Functional";
  for (const auto& lj : cfg["layers"]) {
    auto layer = parse_layer(lj, keras_version, depth);
    if (!layer.has_value()) return layer.status().with_context(fmt::format("model '{}'", m.name));
    m.layers.push_back(std::move(*layer));
  }
  TFC_ASSIGN_OR_RETURN(m.inputs, triples(cfg.value("input_layers", json()), m.name + " input_layers"));
  TFC_ASSIGN_OR_RETURN(m.outputs, triples(cfg.value("output_layers", json()), m.name + " output_layers"));
  if (keras_version < 3) skip_first_nested_nodes(m);
  return m;
}

// "'name' (Class: reason)" for every layer the lowering cannot handle, nested models included.
void collect_unsupported(const KerasModel& m, std::vector<std::string>& out) {
  for (const auto& l : m.layers) {
    if (l.nested) {
      collect_unsupported(*l.nested, out);
    } else if (l.class_name == "Lambda") {
      out.push_back(fmt::format("'{}' (Lambda: its Python code cannot be read)", l.name));
    } else if (l.class_name == "TFOpLambda" || l.class_name == "SlicingOpLambda") {
      out.push_back(fmt::format("'{}' ({} tf.{}: a TensorFlow function or arguments tfcompress does not lower)", l.name,
                                l.class_name, str_or(l.config, "function", "?")));
    } else if (!is_supported_layer(l.class_name)) {
      out.push_back(fmt::format("'{}' ({}: not a layer tfcompress lowers; custom classes cannot be read)", l.name,
                                l.class_name));
    }
  }
}

// References to layers that exist, with node indices in range.
Status check_refs(const KerasModel& m) {
  auto check = [&](const TensorRef& t, const std::string& where) -> Status {
    const Layer* l = m.find(t.layer);
    if (!l) return invalid_argument("model '{}': {} refers to unknown layer '{}'", m.name, where, t.layer);
    if (t.node < 0 || t.tensor < 0) return invalid_argument("model '{}': {}: negative node index", m.name, where);
    return Status::ok();
  };
  for (const auto& t : m.inputs) TFC_RETURN_IF_ERROR(check(t, "input_layers"));
  for (const auto& t : m.outputs) TFC_RETURN_IF_ERROR(check(t, "output_layers"));
  for (const auto& l : m.layers) {
    for (const auto& c : l.calls) {
      for (const auto& t : c.inputs) TFC_RETURN_IF_ERROR(check(t, fmt::format("layer '{}'", l.name)));
    }
    if (l.nested) TFC_RETURN_IF_ERROR(check_refs(*l.nested));
  }
  if (m.inputs.empty() || m.outputs.empty()) return invalid_argument("model '{}' has no inputs or outputs", m.name);
  return Status::ok();
}

}  // namespace

Expected<KerasModel> parse_model_config(const nlohmann::json& config, int keras_version) {
  KerasModel model;
  try {
    TFC_ASSIGN_OR_RETURN(model, parse_model(config, keras_version, 0));
  } catch (const nlohmann::json::exception& e) {
    return invalid_argument("model config: {}", e.what());
  }
  std::vector<std::string> bad;
  collect_unsupported(model, bad);
  if (!bad.empty()) {
    std::string list;
    for (const auto& b : bad) list += (list.empty() ? "" : ", ") + b;
    return unsupported("model '{}' has {} layer(s) tfcompress cannot lower: {}", model.name, bad.size(), list);
  }
  TFC_RETURN_IF_ERROR(check_refs(model));
  return model;
}

}  // namespace tfc::importers::keras
