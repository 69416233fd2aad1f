// lower_keras_model: walks a KerasModel's layer calls in dependency order and
// lowers each through the table (keras_lower_table.cc); nested models are
// inlined with their own name scope; the inputs get the static batch of
// ImportOptions (shape signature -1, as the converter writes it). The graph is
// then brought to the converter's form by the converter-fusions passes
// (fold-batchnorm, fuse-activation, fuse-hard-swish...), equal constants are shared, and the BatchNormRecords
// say what was folded where (by tensor names that survived the passes).
// Not here: config parsing (keras_config.cc), the lowerings (keras_lower_*.cc).
#include "importers/keras/keras_lower.h"

#include <algorithm>
#include <map>
#include <string_view>
#include <unordered_map>

#include "importers/keras/keras_lower_context.h"
#include "passes/graph_edit.h"
#include "passes/passes.h"

namespace tfc::importers::keras {
namespace {

using json = nlohmann::json;

Expected<DType> input_dtype(const Layer& l) {
  const json& d = l.config.value("dtype", json());
  std::string name = "float32";
  if (d.is_string()) name = d.get<std::string>();
  if (d.is_object() && d.contains("config") && d["config"].is_object()) name = d["config"].value("name", name);
  if (name == "float32") return DType::kFloat32;
  if (name == "int32") return DType::kInt32;
  if (name == "int64") return DType::kInt64;
  return unsupported("input '{}' has dtype {} (float32, int32 and int64 are supported)", l.name, name);
}

// The InputLayer's shape with the batch dim set to `batch`; the signature keeps -1 for it.
Expected<std::pair<ir::Shape, ir::Shape>> input_shape(const Layer& l, int batch) {
  const json* s = nullptr;
  for (const char* key : {"batch_shape", "batch_input_shape"}) {
    if (l.config.contains(key) && l.config[key].is_array()) s = &l.config[key];
  }
  if (!s || s->empty()) return invalid_argument("input '{}' has no batch_shape", l.name);
  ir::Shape shape, signature;
  for (size_t i = 0; i < s->size(); ++i) {
    const json& d = (*s)[i];
    if (i == 0 && d.is_null()) {
      shape.push_back(batch);
      signature.push_back(-1);
      continue;
    }
    if (!d.is_number_integer() || d.get<int64_t>() < 1 || d.get<int64_t>() > INT32_MAX) {
      return unsupported("input '{}' has shape {}: only the batch dim may be unknown", l.name, s->dump());
    }
    shape.push_back(d.get<int32_t>());
    signature.push_back(d.get<int32_t>());
  }
  return std::make_pair(shape, signature);
}

class Walker {
 public:
  Walker(GraphBuilder& b, TrainingState& t, int keras_version, bool for_training)
      : b_(b), training_(t), keras_version_(keras_version), for_training_(for_training) {}

  // The outputs of `m` with its inputs bound to `inputs`, its tensors named under `scope`.
  Expected<std::vector<ir::TensorId>> run(const KerasModel& m, const std::string& scope,
                                          const std::vector<ir::TensorId>& inputs) {
    if (inputs.size() != m.inputs.size()) {
      return invalid_argument("model '{}' takes {} inputs, called with {}", m.name, m.inputs.size(), inputs.size());
    }
    Values values;
    for (size_t i = 0; i < inputs.size(); ++i) values[{m.inputs[i].layer, 0}] = {inputs[i]};
    TFC_RETURN_IF_ERROR(lower_all(m, scope, values));
    std::vector<ir::TensorId> out;
    for (const auto& ref : m.outputs) {
      TFC_ASSIGN_OR_RETURN(ir::TensorId t, lookup(m, values, ref));
      out.push_back(t);
    }
    return out;
  }

 private:
  using Values = std::map<std::pair<std::string, int>, std::vector<ir::TensorId>>;

  Expected<ir::TensorId> lookup(const KerasModel& m, const Values& values, const TensorRef& ref) const {
    auto it = values.find({ref.layer, ref.node});
    if (it == values.end()) {
      return invalid_argument("model '{}': tensor [{}, {}, {}] is never computed", m.name, ref.layer, ref.node, ref.tensor);
    }
    if (ref.tensor < 0 || static_cast<size_t>(ref.tensor) >= it->second.size()) {
      return invalid_argument("model '{}': layer '{}' has no output {}", m.name, ref.layer, ref.tensor);
    }
    return it->second[static_cast<size_t>(ref.tensor)];
  }

  bool ready(const LayerCall& call, const Values& values) const {
    for (const auto& t : call.inputs) {
      if (!values.count({t.layer, t.node})) return false;
    }
    return true;
  }

  // Lowers every call of every layer, each once its inputs exist (the config's order is usually already one).
  Status lower_all(const KerasModel& m, const std::string& scope, Values& values) {
    for (bool progress = true; progress;) {
      progress = false;
      for (const Layer& l : m.layers) {
        for (size_t n = 0; n < l.calls.size(); ++n) {
          const std::pair<std::string, int> key{l.name, static_cast<int>(n)};
          if (values.count(key) || !ready(l.calls[n], values)) continue;
          auto out = lower_call(m, scope, l, static_cast<int>(n), values);
          if (!out.has_value()) return out.status();
          values[key] = std::move(*out);
          progress = true;
        }
      }
    }
    for (const Layer& l : m.layers) {
      for (size_t n = 0; n < l.calls.size(); ++n) {
        if (!values.count({l.name, static_cast<int>(n)})) {
          return invalid_argument("model '{}': layer '{}' call {} depends on a tensor that is never computed (a cycle?)",
                                  m.name, l.name, n);
        }
      }
    }
    return Status::ok();
  }

  Expected<std::vector<ir::TensorId>> lower_call(const KerasModel& m, const std::string& scope, const Layer& l, int node,
                                                 const Values& values) {
    std::vector<ir::TensorId> inputs;
    for (const auto& ref : l.calls[static_cast<size_t>(node)].inputs) {
      TFC_ASSIGN_OR_RETURN(ir::TensorId t, lookup(m, values, ref));
      inputs.push_back(t);
    }
    const std::string layer_scope = scope + "/" + l.name + (node > 0 ? fmt::format("_{}", node) : "");
    if (l.nested) return run(*l.nested, layer_scope, inputs);
    if (inputs.empty()) return invalid_argument("layer '{}' ({}) is called without inputs", l.name, l.class_name);
    LowerFn fn = find_lowering(l.class_name);
    if (!fn) return unsupported("layer '{}': class {} has no lowering", l.name, l.class_name);
    LowerContext ctx{b_, training_, l, l.calls[static_cast<size_t>(node)], layer_scope, keras_version_, for_training_};
    return fn(ctx, inputs);
  }

  GraphBuilder& b_;
  TrainingState& training_;
  int keras_version_;
  bool for_training_;
};

ir::TensorId find_tensor(const ir::Subgraph& g, const std::string& name) {
  for (size_t i = 0; i < g.tensors.size(); ++i) {
    if (g.tensors[i].name == name) return static_cast<ir::TensorId>(i);
  }
  return ir::kNoTensor;
}

// For each name, the output of the activation op that alone reads that tensor,
// or "": where the value lives once fuse-activation has fused it.
std::vector<std::string> activation_after(const ir::Model& model, const std::vector<std::string>& names) {
  const ir::Subgraph& g = model.subgraphs[0];
  std::vector<std::string> out;
  for (const auto& name : names) {
    out.emplace_back();
    const ir::TensorId id = find_tensor(g, name);
    const auto readers = id == ir::kNoTensor ? std::vector<int>{} : passes::consumers(g, id);
    if (readers.size() != 1) continue;
    const ir::Op& op = g.ops[static_cast<size_t>(readers[0])];
    const int32_t b = op.code.builtin;
    if (b == tflite::BuiltinOperator_RELU || b == tflite::BuiltinOperator_RELU6 ||
        b == tflite::BuiltinOperator_RELU_N1_TO_1) {
      out.back() = g.tensors[op.outputs[0]].name;
    }
  }
  return out;
}

// After the passes: each record says whether its MUL + ADD folded into a conv /
// dense (and into which tensors) or stayed; trainable names follow the folds.
void update_records(const ir::Model& model, TrainingState& t, const std::vector<std::string>& after) {
  const ir::Subgraph& g = model.subgraphs[0];
  for (size_t i = 0; i < t.batch_norms.size(); ++i) {
    BatchNormRecord& r = t.batch_norms[i];
    ir::TensorId id = find_tensor(g, r.output);
    if (id == ir::kNoTensor && !after[i].empty()) id = find_tensor(g, after[i]);
    if (id == ir::kNoTensor) continue;
    r.output = g.tensors[id].name;
    const int p = passes::producer(g, id);
    const int32_t b = p < 0 ? 0 : g.ops[static_cast<size_t>(p)].code.builtin;
    const bool folded = b == tflite::BuiltinOperator_CONV_2D || b == tflite::BuiltinOperator_DEPTHWISE_CONV_2D ||
                        b == tflite::BuiltinOperator_FULLY_CONNECTED || b == tflite::BuiltinOperator_TRANSPOSE_CONV;
    if (!folded) {
      r.kernel = Array{};
      r.bias = Array{};
      continue;
    }
    const ir::Op& op = g.ops[static_cast<size_t>(p)];
    const size_t bias_at = b == tflite::BuiltinOperator_TRANSPOSE_CONV ? 3 : 2;
    r.input.clear();
    r.folded_into = r.output;
    r.folded_weights = g.tensors[op.inputs.at(1)].name;
    r.folded_bias = op.inputs.size() > bias_at && op.inputs[bias_at] != ir::kNoTensor ? g.tensors[op.inputs[bias_at]].name : "";
    t.trainable.push_back(r.folded_weights);
    if (!r.folded_bias.empty()) t.trainable.push_back(r.folded_bias);
  }
  std::vector<std::string> kept;
  for (const auto& name : t.trainable) {
    if (find_tensor(g, name) != ir::kNoTensor && std::find(kept.begin(), kept.end(), name) == kept.end()) kept.push_back(name);
  }
  t.trainable = std::move(kept);
}

// A dropout's tensor fused away with the activation after it lives on as that activation's output.
void update_dropouts(const ir::Model& model, TrainingState& t, const std::vector<std::string>& after) {
  for (size_t i = 0; i < t.dropouts.size(); ++i) {
    if (find_tensor(model.subgraphs[0], t.dropouts[i].tensor) == ir::kNoTensor && !after[i].empty()) {
      t.dropouts[i].tensor = after[i];
    }
  }
}

// For each output of an op that may be folded or fused into the op before it
// (MUL / ADD / SUB / DIV, the fusable activations): its first input's name.
std::map<std::string, std::string> absorbable_inputs(const ir::Model& model) {
  const ir::Subgraph& g = model.subgraphs[0];
  std::map<std::string, std::string> out;
  for (const auto& op : g.ops) {
    const int32_t b = op.code.builtin;
    const bool absorbable = b == tflite::BuiltinOperator_MUL || b == tflite::BuiltinOperator_ADD ||
                            b == tflite::BuiltinOperator_SUB || b == tflite::BuiltinOperator_DIV ||
                            b == tflite::BuiltinOperator_RELU || b == tflite::BuiltinOperator_RELU6 ||
                            b == tflite::BuiltinOperator_RELU_N1_TO_1;
    if (absorbable && !op.inputs.empty() && op.inputs[0] != ir::kNoTensor && op.outputs.size() == 1) {
      out[g.tensors[op.outputs[0]].name] = g.tensors[op.inputs[0]].name;
    }
  }
  return out;
}

// Names a tensor that took over the results of folded / fused ops as the
// converter does, "relu;bn/add_1;bn/mul;conv/convolution", so each op names
// every Keras layer it came from. Returns old name -> new name.
std::map<std::string, std::string> join_absorbed_names(ir::Model& model, const std::map<std::string, std::string>& inputs) {
  ir::Subgraph& g = model.subgraphs[0];
  std::map<std::string, std::string> renamed;
  for (const auto& op : g.ops) {
    for (ir::TensorId id : op.outputs) {
      std::string& name = g.tensors[id].name;
      std::string joined = name;
      for (auto it = inputs.find(name); it != inputs.end() && find_tensor(g, it->second) == ir::kNoTensor;
           it = inputs.find(it->second)) {
        joined += ";" + it->second;
      }
      if (joined != name) renamed[name] = joined;
    }
  }
  for (auto& t : g.tensors) {
    if (auto it = renamed.find(t.name); it != renamed.end()) t.name = it->second;
  }
  return renamed;
}

void rename_in_records(TrainingState& t, const std::map<std::string, std::string>& renamed) {
  auto follow = [&](std::string& name) {
    if (auto it = renamed.find(name); it != renamed.end()) name = it->second;
  };
  for (auto& r : t.batch_norms) {
    follow(r.output);
    follow(r.folded_into);
  }
  for (auto& d : t.dropouts) follow(d.tensor);
}

// The converter's form: its fusions (passes::fuse_like_converter: pads, clips,
// hard swish (tf_keras writes x * relu6(x + 3) * (1/6) as ops), batch norms
// and other constant MUL / ADD after a conv or dense folded, activations
// fused), equal constants shared (not for training, where each variable trains on its own).
Status converter_form(Imported& out, bool for_training) {
  const auto absorbable = absorbable_inputs(out.model);
  std::vector<std::string> bn_outputs, dropout_tensors;
  for (const auto& r : out.training.batch_norms) bn_outputs.push_back(r.output);
  for (const auto& r : out.training.dropouts) dropout_tensors.push_back(r.tensor);
  const auto bn_after = activation_after(out.model, bn_outputs);
  const auto dropout_after = activation_after(out.model, dropout_tensors);
  TFC_RETURN_IF_ERROR(passes::fuse_like_converter(out.model).status());
  if (!for_training) passes::share_identical_constants(out.model);
  update_records(out.model, out.training, bn_after);
  update_dropouts(out.model, out.training, dropout_after);
  rename_in_records(out.training, join_absorbed_names(out.model, absorbable));
  return Status::ok();
}

}  // namespace

Expected<Imported> lower_keras_model(const KerasModel& model, const ImportOptions& options) {
  if (options.batch < 1) return invalid_argument("batch must be at least 1 (got {})", options.batch);
  GraphBuilder b;
  Imported out;
  std::vector<ir::TensorId> inputs;
  std::vector<std::string> input_names, output_names;
  for (const auto& ref : model.inputs) {
    const Layer* l = model.find(ref.layer);
    if (!l || l->class_name != "InputLayer") {
      return invalid_argument("model '{}': input '{}' is not an InputLayer", model.name, ref.layer);
    }
    TFC_ASSIGN_OR_RETURN(DType dtype, input_dtype(*l));
    TFC_ASSIGN_OR_RETURN(auto shape, input_shape(*l, options.batch));
    inputs.push_back(b.input("serving_default_" + l->name + ":0", dtype, shape.first, shape.second));
    input_names.push_back(l->name);
  }
  Walker walker(b, out.training, model.keras_version, options.training);
  TFC_ASSIGN_OR_RETURN(std::vector<ir::TensorId> outputs, walker.run(model, model.name, inputs));
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (b.is_constant(outputs[i]) || b.producer(outputs[i]) < 0) {
      return unsupported("model '{}': output {} is a constant or an input; nothing to compute", model.name, i);
    }
    output_names.push_back(fmt::format("output_{}", i));
  }
  b.set_outputs(outputs);
  b.set_signature("serving_default", input_names, output_names);
  TFC_ASSIGN_OR_RETURN(out.model, b.finish());
  TFC_RETURN_IF_ERROR(converter_form(out, options.training));
  return out;
}

}  // namespace tfc::importers::keras
