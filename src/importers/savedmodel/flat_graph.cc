#include "importers/savedmodel/flat_graph.h"

#include <algorithm>
#include <charconv>
#include <unordered_map>

#include <fmt/ranges.h>

namespace tfc::importers::savedmodel {
namespace {

using NodeList = google::protobuf::RepeatedPtrField<tfproto::NodeDef>;

// An input reference: "node", "node:index" (graph), "node:arg:index" or an
// argument name (function body); "^node" is a control input.
struct Ref {
  std::string node, arg;
  int index = 0;
  bool control = false;
};

Expected<Ref> parse_ref(const std::string& text, bool in_function) {
  Ref r;
  std::string_view v = text;
  if (!v.empty() && v[0] == '^') {
    r.control = true;
    v.remove_prefix(1);
  }
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    const size_t colon = v.find(':', start);
    parts.push_back(v.substr(start, colon == std::string_view::npos ? colon : colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  const size_t max_parts = in_function ? 3 : 2;
  if (parts.size() > max_parts || parts[0].empty()) return invalid_argument("malformed input reference '{}'", text);
  r.node = parts[0];
  if (in_function && parts.size() >= 2) r.arg = parts[1];
  if (parts.size() == max_parts) {
    const std::string_view digits = parts.back();
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), r.index);
    if (ec != std::errc() || end != digits.data() + digits.size() || r.index < 0 || r.index > 1000000) {
      return invalid_argument("malformed output index in input reference '{}'", text);
    }
  }
  return r;
}

bool is_call(const std::string& op) { return op == "StatefulPartitionedCall" || op == "PartitionedCall"; }
bool is_forward(const std::string& op) {
  return op == "Identity" || op == "StopGradient" || op == "Snapshot" || op == "PreventGradient";
}

// Position of output `arg`:`index` among an op's outputs, for the ops with
// several output args (all others count `index` in their one output arg).
int output_position(const std::string& op, const std::string& arg, int index) {
  static const std::map<std::string, std::vector<std::string>> kOutputArgs = {
      {"FusedBatchNormV3", {"y", "batch_mean", "batch_variance", "reserve_space_1", "reserve_space_2", "reserve_space_3"}},
      {"FusedBatchNorm", {"y", "batch_mean", "batch_variance", "reserve_space_1", "reserve_space_2"}},
      {"TopKV2", {"values", "indices"}},
      {"Unique", {"y", "idx"}},
  };
  auto it = kOutputArgs.find(op);
  if (it == kOutputArgs.end() || arg.empty()) return index;
  auto pos = std::find(it->second.begin(), it->second.end(), arg);
  return pos == it->second.end() ? index : static_cast<int>(pos - it->second.begin()) + index;
}

// One graph body being inlined: the top-level graph or one call's function.
struct Scope {
  const NodeList* nodes = nullptr;
  const tfproto::FunctionDef* function = nullptr;  // null at the top level
  std::map<std::string, TensorRef> args;           // the function's inputs, bound
  std::unordered_map<std::string, int> by_name;
  std::vector<int8_t> state;                     // 0 unseen, 1 on the walk, 2 emitted
  std::vector<int> flat;                         // the flat node, or -1 when forwarded
  std::vector<std::vector<TensorRef>> forwards;  // what a forwarding node's outputs are

  explicit Scope(const NodeList& list, const tfproto::FunctionDef* fn = nullptr)
      : nodes(&list), function(fn), state(list.size(), 0), flat(list.size(), -1), forwards(list.size()) {
    for (int i = 0; i < list.size(); ++i) by_name.emplace(list[i].name(), i);
  }
  bool in_function() const { return function != nullptr; }
  std::string where() const { return function ? "function '" + function->signature().name() + "'" : "the graph"; }
};

class Flattener {
 public:
  Flattener(const tfproto::GraphDef& graph, const FlattenLimits& limits, FlatGraph& out)
      : limits_(limits), out_(out) {
    for (const auto& fn : graph.library().function()) functions_.emplace(fn.signature().name(), &fn);
  }

  // Emits what `refs` depend on in `scope` and returns where they are.
  Expected<std::vector<TensorRef>> resolve_all(Scope& scope, const std::vector<std::string>& refs, int depth) {
    std::vector<Ref> parsed;
    for (const auto& text : refs) {
      TFC_ASSIGN_OR_RETURN(Ref r, parse_ref(text, scope.in_function()));
      TFC_RETURN_IF_ERROR(walk(scope, r, depth));
      parsed.push_back(std::move(r));
    }
    std::vector<TensorRef> result;
    for (const Ref& r : parsed) {
      TFC_ASSIGN_OR_RETURN(TensorRef t, locate(scope, r));
      result.push_back(t);
    }
    return result;
  }

 private:
  // Where an already emitted reference is.
  Expected<TensorRef> locate(const Scope& scope, const Ref& r) const {
    if (scope.in_function() && r.arg.empty()) {
      auto a = scope.args.find(r.node);
      if (a == scope.args.end()) return invalid_argument("{}: '{}' names no argument", scope.where(), r.node);
      return a->second;
    }
    auto it = scope.by_name.find(r.node);
    if (it == scope.by_name.end()) return invalid_argument("{}: input '{}' names no node", scope.where(), r.node);
    const int i = it->second;
    const auto& node = (*scope.nodes)[i];
    if (scope.flat[static_cast<size_t>(i)] >= 0) {
      return TensorRef{scope.flat[static_cast<size_t>(i)], output_position(node.op(), r.arg, r.index)};
    }
    const auto& fwd = scope.forwards[static_cast<size_t>(i)];
    if (static_cast<size_t>(r.index) >= fwd.size()) {
      return invalid_argument("{}: node '{}' ({}) has no output {}", scope.where(), node.name(), node.op(), r.index);
    }
    return fwd[static_cast<size_t>(r.index)];
  }

  // Emits the node `r` names and everything it depends on, producers first
  // (an explicit stack: chains of any length, cycles refused).
  Status walk(Scope& scope, const Ref& root, int depth) {
    if (scope.in_function() && root.arg.empty() && scope.args.count(root.node)) return Status::ok();
    auto it = scope.by_name.find(root.node);
    if (it == scope.by_name.end()) return invalid_argument("{}: input '{}' names no node", scope.where(), root.node);
    if (scope.state[static_cast<size_t>(it->second)] == 2) return Status::ok();
    std::vector<std::pair<int, int>> stack{{it->second, 0}};  // node, next input
    scope.state[static_cast<size_t>(it->second)] = 1;
    while (!stack.empty()) {
      auto& [i, next] = stack.back();
      const auto& node = (*scope.nodes)[i];
      if (next < node.input_size()) {
        TFC_ASSIGN_OR_RETURN(Ref r, parse_ref(node.input(next++), scope.in_function()));
        if (r.control || (scope.in_function() && r.arg.empty() && scope.args.count(r.node))) continue;
        auto j = scope.by_name.find(r.node);
        if (j == scope.by_name.end()) {
          return invalid_argument("{}: node '{}' reads '{}', which names no node", scope.where(), node.name(), r.node);
        }
        int8_t& st = scope.state[static_cast<size_t>(j->second)];
        if (st == 1) return invalid_argument("{}: node '{}' is on a cycle", scope.where(), r.node);
        if (st == 0) {
          if (++visited_ > limits_.max_nodes) return invalid_argument("more than {} nodes to inline", limits_.max_nodes);
          st = 1;
          stack.emplace_back(j->second, 0);
        }
        continue;
      }
      const int done = i;
      stack.pop_back();
      TFC_RETURN_IF_ERROR(emit(scope, done, depth));
      scope.state[static_cast<size_t>(done)] = 2;
    }
    return Status::ok();
  }

  Status emit(Scope& scope, int i, int depth) {
    const auto& node = (*scope.nodes)[i];
    std::vector<TensorRef> inputs;
    for (const auto& text : node.input()) {
      TFC_ASSIGN_OR_RETURN(Ref r, parse_ref(text, scope.in_function()));
      if (r.control) continue;
      TFC_ASSIGN_OR_RETURN(TensorRef t, locate(scope, r));
      inputs.push_back(t);
    }
    auto& forwards = scope.forwards[static_cast<size_t>(i)];
    if (is_forward(node.op())) {
      if (inputs.size() != 1) return invalid_argument("node '{}' ({}): {} inputs, 1 expected", node.name(), node.op(), inputs.size());
      forwards = inputs;
      return Status::ok();
    }
    if (node.op() == "IdentityN") {
      forwards = inputs;
      return Status::ok();
    }
    if (is_call(node.op())) {
      TFC_ASSIGN_OR_RETURN(forwards, inline_call(node, inputs, depth));
      return Status::ok();
    }
    scope.flat[static_cast<size_t>(i)] = static_cast<int>(out_.nodes.size());
    out_.nodes.push_back({&node, std::move(inputs)});
    return Status::ok();
  }

  Expected<std::vector<TensorRef>> inline_call(const tfproto::NodeDef& node, const std::vector<TensorRef>& inputs,
                                               int depth) {
    auto f = node.attr().find("f");
    if (f == node.attr().end() || !f->second.has_func()) {
      return invalid_argument("node '{}' ({}): no function attribute 'f'", node.name(), node.op());
    }
    const std::string& name = f->second.func().name();
    auto fn = functions_.find(name);
    if (fn == functions_.end()) return invalid_argument("node '{}' calls function '{}', which is not in the library", node.name(), name);
    if (depth >= limits_.max_call_depth) {
      return invalid_argument("node '{}': function calls nested deeper than {} (recursive function '{}'?)", node.name(),
                              limits_.max_call_depth, name);
    }
    const tfproto::FunctionDef& def = *fn->second;
    if (def.signature().input_arg_size() != static_cast<int>(inputs.size())) {
      return invalid_argument("node '{}' passes {} inputs to function '{}', which takes {}", node.name(), inputs.size(),
                              name, def.signature().input_arg_size());
    }
    Scope body(def.node_def(), &def);
    for (int a = 0; a < def.signature().input_arg_size(); ++a) body.args[def.signature().input_arg(a).name()] = inputs[static_cast<size_t>(a)];
    std::vector<std::string> rets;
    for (const auto& arg : def.signature().output_arg()) {
      auto r = def.ret().find(arg.name());
      if (r == def.ret().end()) return invalid_argument("function '{}': output '{}' returns nothing", name, arg.name());
      rets.push_back(r->second);
    }
    auto result = resolve_all(body, rets, depth + 1);
    if (!result) return result.status().with_context("in function '" + name + "'");
    return result;
  }

  const FlattenLimits& limits_;
  FlatGraph& out_;
  std::unordered_map<std::string, const tfproto::FunctionDef*> functions_;
  int64_t visited_ = 0;
};

// The signature to import: `key`, or serving_default, or the only one.
Expected<std::string> pick_signature(const tfproto::MetaGraphDef& graph, const std::string& key) {
  std::vector<std::string> keys;
  for (const auto& [k, _] : graph.signature_def()) {
    if (k != "__saved_model_init_op") keys.push_back(k);
  }
  std::sort(keys.begin(), keys.end());
  auto has = [&](const std::string& k) { return std::find(keys.begin(), keys.end(), k) != keys.end(); };
  if (!key.empty() && has(key)) return key;
  if (key.empty() && has("serving_default")) return std::string("serving_default");
  if (key.empty() && keys.size() == 1) return keys[0];
  if (keys.empty()) return invalid_argument("the SavedModel has no signature to import");
  return invalid_argument("{}; available signatures: {}",
                          key.empty() ? "no serving_default signature" : "no signature '" + key + "'",
                          fmt::join(keys, ", "));
}

}  // namespace

Expected<FlatGraph> flatten_signature(const tfproto::MetaGraphDef& graph, const std::string& key,
                                      const FlattenLimits& limits) {
  FlatGraph out;
  TFC_ASSIGN_OR_RETURN(out.signature, pick_signature(graph, key));
  const tfproto::SignatureDef& sig = graph.signature_def().at(out.signature);
  Flattener flattener(graph.graph_def(), limits, out);
  Scope top(graph.graph_def().node());
  std::map<std::string, const tfproto::TensorInfo*> inputs;
  std::map<std::string, const tfproto::TensorInfo*> outputs;
  for (const auto& [k, info] : sig.inputs()) inputs[k] = &info;
  for (const auto& [k, info] : sig.outputs()) outputs[k] = &info;
  for (const auto& [k, info] : inputs) {
    TFC_ASSIGN_OR_RETURN(auto refs, flattener.resolve_all(top, {info->name()}, 0));
    const int node = refs[0].node;
    if (node < 0 || out.nodes[static_cast<size_t>(node)].def->op() != "Placeholder") {
      return invalid_argument("signature '{}': input '{}' ({}) is not a Placeholder", out.signature, k, info->name());
    }
    out.inputs.push_back({k, node, info});
  }
  std::vector<std::string> names;
  for (const auto& [k, info] : outputs) {
    out.output_keys.push_back(k);
    names.push_back(info->name());
  }
  if (names.empty()) return invalid_argument("signature '{}' has no outputs", out.signature);
  TFC_ASSIGN_OR_RETURN(out.outputs, flattener.resolve_all(top, names, 0));
  out.output_tensor_names = std::move(names);
  return out;
}

namespace {

// The restore function's checkpoint keys by the argument each is assigned to.
Expected<std::map<int, std::string>> restored_args(const tfproto::FunctionDef& fn) {
  std::unordered_map<std::string, const tfproto::NodeDef*> by_name;
  const tfproto::NodeDef* restore = nullptr;
  for (const auto& n : fn.node_def()) {
    by_name[n.name()] = &n;
    if (n.op() == "RestoreV2") restore = &n;
  }
  std::map<int, std::string> keys;
  if (!restore) return keys;
  const std::string where = "restore function '" + fn.signature().name() + "'";
  const tfproto::TensorProto* names = nullptr;
  if (restore->input_size() >= 2) {
    TFC_ASSIGN_OR_RETURN(Ref r, parse_ref(restore->input(1), true));
    auto it = by_name.find(r.node);
    if (it != by_name.end() && it->second->op() == "Const") {
      auto value = it->second->attr().find("value");
      if (value != it->second->attr().end() && value->second.has_tensor()) names = &value->second.tensor();
    }
  }
  if (!names) return invalid_argument("{}: RestoreV2 tensor names are not a constant", where);
  const auto& key_list = names->string_val();
  std::map<std::string, int> arg_index;
  for (int a = 0; a < fn.signature().input_arg_size(); ++a) arg_index[fn.signature().input_arg(a).name()] = a;
  for (const auto& n : fn.node_def()) {
    if (n.op() != "AssignVariableOp" || n.input_size() < 2) continue;
    auto arg = arg_index.find(n.input(0));
    if (arg == arg_index.end()) continue;
    // The value: RestoreV2's output k, possibly through Identity nodes.
    TFC_ASSIGN_OR_RETURN(Ref r, parse_ref(n.input(1), true));
    for (int hops = 0; hops < 64 && r.node != restore->name(); ++hops) {
      auto it = by_name.find(r.node);
      if (it == by_name.end() || it->second->op() != "Identity" || it->second->input_size() < 1) break;
      TFC_ASSIGN_OR_RETURN(r, parse_ref(it->second->input(0), true));
    }
    if (r.node != restore->name()) continue;
    if (r.index >= key_list.size()) return invalid_argument("{}: RestoreV2 output {} has no tensor name", where, r.index);
    keys[arg->second] = key_list[r.index];
  }
  return keys;
}

// The checkpoint key of each object graph node's variable value.
std::map<int, std::string> value_keys(const tfproto::TrackableObjectGraph& checkpoint) {
  std::map<int, std::string> keys;
  for (int id = 0; id < checkpoint.nodes_size(); ++id) {
    for (const auto& a : checkpoint.nodes(id).attributes()) {
      if (a.name() == "VARIABLE_VALUE") keys[id] = a.checkpoint_key();
    }
  }
  return keys;
}

}  // namespace

Expected<std::map<std::string, std::string>> variable_checkpoint_keys(const tfproto::MetaGraphDef& graph,
                                                                     const tfproto::TrackableObjectGraph& checkpoint) {
  std::unordered_map<std::string, const tfproto::FunctionDef*> functions;
  for (const auto& fn : graph.graph_def().library().function()) functions.emplace(fn.signature().name(), &fn);
  const auto by_id = value_keys(checkpoint);
  const auto& concrete = graph.object_graph_def().concrete_functions();
  std::map<std::string, std::string> keys, restored;
  for (const auto& node : graph.graph_def().node()) {
    if (!is_call(node.op())) continue;
    auto f = node.attr().find("f");
    if (f == node.attr().end()) continue;
    const std::string& name = f->second.func().name();
    // Captured variables: the call's last inputs are the function's bound inputs.
    if (auto c = concrete.find(name); c != concrete.end()) {
      const auto& bound = c->second.bound_inputs();
      const int first = node.input_size() - bound.size();
      for (int j = 0; j < bound.size() && first >= 0; ++j) {
        auto key = by_id.find(bound[j]);
        if (key == by_id.end()) continue;
        TFC_ASSIGN_OR_RETURN(Ref handle, parse_ref(node.input(first + j), false));
        keys[handle.node] = key->second;
      }
    }
    auto fn = functions.find(name);
    if (fn == functions.end()) continue;
    TFC_ASSIGN_OR_RETURN(auto by_arg, restored_args(*fn->second));
    for (const auto& [arg, key] : by_arg) {
      if (arg >= node.input_size()) continue;
      TFC_ASSIGN_OR_RETURN(Ref handle, parse_ref(node.input(arg), false));
      restored[handle.node] = key;
    }
  }
  keys.merge(restored);  // the object graph's binding first
  return keys;
}

}  // namespace tfc::importers::savedmodel
