// tf_keras TFOpLambda layers (a TensorFlow function called on Keras tensors:
// `x + 3.0`, tf.nn.relu6(x), tf.concat([a, b], -1)) -> the Keras layer class
// that computes the same, so that the one lowering table lowers them.
// The saved call holds the function's first argument as [layer, node, tensor,
// kwargs] entries (a list of them for a list argument; a constant as
// ["_CONSTANT_VALUE", -1, value, kwargs]) and every other argument in kwargs,
// tensors there as [layer, node, tensor]. The call becomes the Keras 3 op layer
// form: the operands in `args` (tensors as __keras_tensor__ objects, constants
// as numbers), the tensors in `inputs`. A function not listed here, or called
// with arguments of another form, stays TFOpLambda and is named unsupported.
// Not here: the layer's other config (keras_config.cc), the lowerings.
#include <optional>
#include <string_view>

#include "importers/keras/keras_model.h"

namespace tfc::importers::keras {
namespace {

using json = nlohmann::json;

bool is_ref(const json& j) {
  return j.is_array() && j.size() == 3 && j[0].is_string() && j[1].is_number_integer() && j[2].is_number_integer();
}

json tensor_arg(const json& ref) {
  return {{"class_name", "__keras_tensor__"},
          {"config", {{"keras_history", json::array({ref[0], ref[1], ref[2]})}}}};
}

// A kwargs value as an operand: a tensor or a number.
std::optional<json> operand(const json& v) {
  if (is_ref(v)) return tensor_arg(v);
  if (v.is_number()) return v;
  return std::nullopt;
}

// The saved call: the first argument's operands and the other arguments.
struct TfCall {
  std::vector<json> first;
  json kwargs = json::object();
};

std::optional<TfCall> parse_call(const json& node) {
  if (!node.is_array() || node.empty()) return std::nullopt;
  const json entries = node[0].is_string() ? json::array({node}) : node;
  TfCall call;
  for (const json& e : entries) {
    if (!e.is_array() || e.size() < 3 || e.size() > 4 || !e[0].is_string()) return std::nullopt;
    if (e[0] == "_CONSTANT_VALUE") {
      if (!e[2].is_number()) return std::nullopt;
      call.first.push_back(e[2]);
    } else {
      if (!e[1].is_number_integer() || !e[2].is_number_integer()) return std::nullopt;
      call.first.push_back(tensor_arg(json::array({e[0], e[1], e[2]})));
    }
    if (e.size() == 4 && e[3].is_object()) call.kwargs = e[3];
  }
  call.kwargs.erase("name");
  return call;
}

bool is_tensor(const json& operand) { return operand.is_object(); }

// Only `allowed` keyword arguments.
bool only(const json& kwargs, std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, value] : kwargs.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) return false;
  }
  return true;
}

// The rewritten layer: `class_name` with `config` added to its own, operands `args`.
struct Rewrite {
  std::string class_name;
  json config = json::object();
  std::vector<json> args;
};

// f(x, y): a tensor and a tensor or a number, either way round.
std::optional<Rewrite> binary(const TfCall& c, const char* class_name) {
  if (c.first.size() != 1 || !c.kwargs.contains("y") || !only(c.kwargs, {"y"})) return std::nullopt;
  const auto y = operand(c.kwargs["y"]);
  if (!y || (!is_tensor(c.first[0]) && !is_tensor(*y))) return std::nullopt;
  return Rewrite{class_name, json::object(), {c.first[0], *y}};
}

// f(x): one tensor, the keyword arguments named in `allowed` kept in the config.
std::optional<Rewrite> unary(const TfCall& c, const char* class_name, json config,
                             std::initializer_list<std::string_view> allowed = {}) {
  if (c.first.size() != 1 || !is_tensor(c.first[0]) || !only(c.kwargs, allowed)) return std::nullopt;
  for (const auto& [key, value] : c.kwargs.items()) config[key] = value;
  return Rewrite{class_name, std::move(config), {c.first[0]}};
}

std::optional<Rewrite> concat(const TfCall& c) {
  if (c.first.empty() || !only(c.kwargs, {"axis"}) || !c.kwargs.value("axis", json()).is_number_integer()) {
    return std::nullopt;
  }
  for (const json& t : c.first) {
    if (!is_tensor(t)) return std::nullopt;
  }
  return Rewrite{"Concatenate", {{"axis", c.kwargs["axis"]}}, c.first};
}

// tf.transpose keeping the batch axis first -> Permute (1-based dims after the batch).
std::optional<Rewrite> transpose(const TfCall& c) {
  const json perm = c.kwargs.value("perm", json());
  if (!only(c.kwargs, {"perm", "conjugate"}) || c.kwargs.value("conjugate", false) != false || !perm.is_array() ||
      perm.empty() || perm[0] != 0) {
    return std::nullopt;
  }
  return unary(TfCall{c.first, json::object()}, "Permute", {{"dims", json(perm.begin() + 1, perm.end())}});
}

// tf.reshape to [-1, ...] -> Reshape of the dims after the batch.
std::optional<Rewrite> reshape(const TfCall& c) {
  const json shape = c.kwargs.value("shape", json());
  if (!only(c.kwargs, {"shape"}) || !shape.is_array() || shape.empty() || shape[0] != -1) return std::nullopt;
  return unary(TfCall{c.first, json::object()}, "Reshape", {{"target_shape", json(shape.begin() + 1, shape.end())}});
}

std::optional<Rewrite> reduce_mean(const TfCall& c) {
  const json axis = c.kwargs.value("axis", json());
  if (!(axis.is_number_integer() || axis.is_array())) return std::nullopt;  // None: the batch axis too
  return unary(c, "Mean", json::object(), {"axis", "keepdims"});
}

std::optional<Rewrite> rewrite(std::string_view f, const TfCall& c) {
  if (f.starts_with("tf.")) f.remove_prefix(3);
  if (f == "__operators__.add" || f == "math.add") return binary(c, "Add");
  if (f == "math.subtract") return binary(c, "Subtract");
  if (f == "math.multiply") return binary(c, "Multiply");
  if (f == "math.truediv" || f == "math.divide") return binary(c, "TrueDivide");
  if (f == "math.maximum") return binary(c, "Maximum");
  if (f == "math.minimum") return binary(c, "Minimum");
  if (f == "nn.relu") return unary(c, "Activation", {{"activation", "relu"}});
  if (f == "nn.relu6") return unary(c, "Activation", {{"activation", "relu6"}});
  if (f == "math.sigmoid" || f == "nn.sigmoid") return unary(c, "Activation", {{"activation", "sigmoid"}});
  if (f == "math.tanh" || f == "nn.tanh") return unary(c, "Activation", {{"activation", "tanh"}});
  if (f == "nn.silu" || f == "nn.swish") return unary(c, "Activation", {{"activation", "silu"}});
  if (f == "nn.gelu") return unary(c, "Gelu", {{"approximate", false}}, {"approximate"});
  if (f == "nn.softmax") return unary(c, "Softmax", json::object(), {"axis"});
  if (f == "concat") return concat(c);
  if (f == "compat.v1.transpose" || f == "transpose") return transpose(c);
  if (f == "reshape") return reshape(c);
  if (f == "math.reduce_mean") return reduce_mean(c);
  return std::nullopt;
}

}  // namespace

bool lower_tf_op_lambda_to_layer(Layer& layer, const json& inbound_nodes) {
  if (!layer.config.is_object() || !layer.config.value("function", json()).is_string() ||
      !inbound_nodes.is_array() || inbound_nodes.size() != 1) {
    return false;
  }
  const auto call = parse_call(inbound_nodes[0]);
  if (!call) return false;
  auto r = rewrite(layer.config["function"].get<std::string>(), *call);
  if (!r) return false;
  layer.class_name = r->class_name;
  for (auto& [key, value] : r->config.items()) layer.config[key] = value;
  LayerCall lc;
  for (const json& a : r->args) {
    if (is_tensor(a)) {
      const json& h = a["config"]["keras_history"];
      lc.inputs.push_back({h[0].get<std::string>(), h[1].get<int>(), h[2].get<int>()});
    }
    lc.args.push_back(a);
  }
  layer.calls = {std::move(lc)};
  return true;
}

}  // namespace tfc::importers::keras
