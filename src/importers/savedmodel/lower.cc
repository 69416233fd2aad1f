#include "importers/savedmodel/lower.h"

#include <cmath>

#include <fmt/ranges.h>

#include "importers/savedmodel/tf_proto.h"

namespace tfc::importers::savedmodel {

Lowering::Lowering(GraphBuilder& builder, const FlatGraph& graph, const VariableSource& variables)
    : b(builder), graph_(graph), variables_(variables), values_(graph.nodes.size()) {
  for (const auto& n : graph.nodes) {
    for (TensorRef r : n.inputs) ++readers_[{r.node, r.index}];
  }
  for (TensorRef r : graph.outputs) ++readers_[{r.node, r.index}];
}

Status Lowering::error(Status s) const {
  return s.with_context(fmt::format("node '{}' ({})", name(), def().op()));
}

Expected<ir::TensorId> Lowering::in(int i) const {
  const auto& inputs = graph_.nodes[static_cast<size_t>(node_)].inputs;
  if (i < 0 || i >= static_cast<int>(inputs.size())) return invalid_argument("has no input {}", i);
  const TensorRef r = inputs[static_cast<size_t>(i)];
  const auto& values = values_[static_cast<size_t>(r.node)];
  if (r.index >= static_cast<int>(values.size())) {
    const auto& from = *graph_.nodes[static_cast<size_t>(r.node)].def;
    if (from.op() == "Erfc") return unsupported("reads Erfc '{}', which is lowered only as part of GELU", from.name());
    return invalid_argument("input {} reads output {} of '{}' ({}), which has no such tensor", i, r.index, from.name(),
                            from.op());
  }
  return values[static_cast<size_t>(r.index)];
}

int Lowering::readers_of_input(int i) const {
  const auto& inputs = graph_.nodes[static_cast<size_t>(node_)].inputs;
  if (i < 0 || i >= static_cast<int>(inputs.size())) return 0;
  auto it = readers_.find({inputs[static_cast<size_t>(i)].node, inputs[static_cast<size_t>(i)].index});
  return it == readers_.end() ? 0 : it->second;
}

const tfproto::NodeDef* Lowering::input_def(int i) const {
  const auto& inputs = graph_.nodes[static_cast<size_t>(node_)].inputs;
  if (i < 0 || i >= static_cast<int>(inputs.size())) return nullptr;
  return graph_.nodes[static_cast<size_t>(inputs[static_cast<size_t>(i)].node)].def;
}

Expected<std::vector<int64_t>> Lowering::const_ints(int i) const {
  TFC_ASSIGN_OR_RETURN(ir::TensorId id, in(i));
  if (!b.is_constant(id)) return unsupported("input {} must be a constant (it is computed at run time)", i);
  std::vector<int64_t> out;
  if (b.dtype(id) == DType::kInt32) {
    for (int32_t v : b.values<int32_t>(id)) out.push_back(v);
  } else if (b.dtype(id) == DType::kInt64) {
    out = b.values<int64_t>(id);
  } else {
    return invalid_argument("input {} must be int32 or int64, not {}", i, dtype_name(b.dtype(id)));
  }
  return out;
}

Expected<ir::TensorId> Lowering::const_i32(int i) {
  TFC_ASSIGN_OR_RETURN(ir::TensorId id, in(i));
  if (b.dtype(id) == DType::kInt32) return id;
  TFC_ASSIGN_OR_RETURN(std::vector<int64_t> v, const_ints(i));
  std::vector<int32_t> narrow;
  for (int64_t x : v) {
    if (x < INT32_MIN || x > INT32_MAX) return invalid_argument("input {}: value {} does not fit int32", i, x);
    narrow.push_back(static_cast<int32_t>(x));
  }
  std::string name = b.tensor(id).name;
  ir::Shape shape = b.shape(id);
  return b.constant_i32(std::move(name), std::move(shape), std::move(narrow));
}

namespace {

// The flat node `r` names, when it is op `op` with two inputs.
const FlatNode* node_of(const FlatGraph& g, TensorRef r, const char* op, size_t inputs) {
  if (r.node < 0 || r.index != 0) return nullptr;
  const FlatNode& n = g.nodes[static_cast<size_t>(r.node)];
  return n.def->op() == op && n.inputs.size() == inputs ? &n : nullptr;
}

bool same(TensorRef a, TensorRef b) { return a.node == b.node && a.index == b.index; }

}  // namespace

bool Lowering::is_scalar(TensorRef r, float want) const {
  const auto& v = values_[static_cast<size_t>(r.node)];
  if (r.index != 0 || v.empty() || !b.is_constant(v[0]) || b.dtype(v[0]) != DType::kFloat32) return false;
  auto f = b.values<float>(v[0]);
  return f.size() == 1 && std::fabs(f[0] - want) < 1e-6f;
}

std::optional<ir::TensorId> Lowering::value_of(TensorRef r) const {
  const auto& v = values_[static_cast<size_t>(r.node)];
  if (r.index < 0 || r.index >= static_cast<int>(v.size())) return {};
  return v[static_cast<size_t>(r.index)];
}

std::optional<TensorRef> Lowering::with_scalar(TensorRef r, const char* op, float want, bool commutative) const {
  const FlatNode* n = node_of(graph_, r, op, 2);
  if (!n) return {};
  if (is_scalar(n->inputs[1], want)) return n->inputs[0];
  if (commutative && is_scalar(n->inputs[0], want)) return n->inputs[1];
  return {};
}

std::optional<ir::TensorId> Lowering::gelu_tanh_input() const {
  const FlatNode& mul = graph_.nodes[static_cast<size_t>(node_)];
  if (mul.inputs.size() != 2) return {};
  for (int order = 0; order < 2; ++order) {
    auto x = with_scalar(mul.inputs[order], "Mul", 0.5f);
    auto t = with_scalar(mul.inputs[1 - order], "AddV2", 1.0f);
    const FlatNode* tanh = t ? node_of(graph_, *t, "Tanh", 1) : nullptr;
    auto inner = tanh ? with_scalar(tanh->inputs[0], "Mul", 0.7978845608f) : std::nullopt;
    const FlatNode* add = inner ? node_of(graph_, *inner, "AddV2", 2) : nullptr;
    if (!x || !add) continue;
    for (int a = 0; a < 2; ++a) {
      auto cube = with_scalar(add->inputs[1 - a], "Mul", 0.044715f);
      auto base = cube ? with_scalar(*cube, "Pow", 3.0f, false) : std::nullopt;
      if (same(add->inputs[a], *x) && base && same(*base, *x)) return value_of(*x);
    }
  }
  return {};
}

std::optional<ir::TensorId> Lowering::hard_swish_input() const {
  const FlatNode& mul = graph_.nodes[static_cast<size_t>(node_)];
  if (mul.inputs.size() != 2) return {};
  for (int order = 0; order < 2; ++order) {
    const TensorRef x = mul.inputs[order];
    const FlatNode* div = node_of(graph_, mul.inputs[1 - order], "RealDiv", 2);
    const FlatNode* relu6 = div && is_scalar(div->inputs[1], 6.0f) ? node_of(graph_, div->inputs[0], "Relu6", 1) : nullptr;
    const FlatNode* add = relu6 ? node_of(graph_, relu6->inputs[0], "AddV2", 2) : nullptr;
    if (!add) continue;
    for (int a = 0; a < 2; ++a) {
      if (same(add->inputs[a], x) && is_scalar(add->inputs[1 - a], 3.0f)) return value_of(x);
    }
  }
  return {};
}

std::optional<ir::TensorId> Lowering::gelu_input() const {
  const FlatNode& mul = graph_.nodes[static_cast<size_t>(node_)];
  if (mul.inputs.size() != 2) return {};
  for (int order = 0; order < 2; ++order) {
    const FlatNode* half = node_of(graph_, mul.inputs[order], "Mul", 2);
    const FlatNode* erfc = node_of(graph_, mul.inputs[1 - order], "Erfc", 1);
    const FlatNode* scaled = erfc ? node_of(graph_, erfc->inputs[0], "Mul", 2) : nullptr;
    if (!half || !scaled) continue;
    for (int h = 0; h < 2; ++h) {
      if (!is_scalar(half->inputs[h], 0.5f)) continue;
      const TensorRef x = half->inputs[1 - h];
      for (int s = 0; s < 2; ++s) {
        const FlatNode* neg = node_of(graph_, scaled->inputs[s], "Neg", 1);
        if (neg && same(neg->inputs[0], x) && is_scalar(scaled->inputs[1 - s], 0.70710678f)) return value_of(x);
      }
    }
  }
  return {};
}

const tfproto::AttrValue* Lowering::attr(const std::string& key) const {
  auto it = def().attr().find(key);
  return it == def().attr().end() ? nullptr : &it->second;
}

Expected<int64_t> Lowering::attr_int(const std::string& key, std::optional<int64_t> fallback) const {
  const auto* a = attr(key);
  if (a && a->value_case() == tfproto::AttrValue::kI) return a->i();
  if (!a && fallback) return *fallback;
  return invalid_argument("attribute '{}' is missing or not an integer", key);
}

Expected<float> Lowering::attr_float(const std::string& key, std::optional<float> fallback) const {
  const auto* a = attr(key);
  if (a && a->value_case() == tfproto::AttrValue::kF) return a->f();
  if (!a && fallback) return *fallback;
  return invalid_argument("attribute '{}' is missing or not a float", key);
}

bool Lowering::attr_bool(const std::string& key, bool fallback) const {
  const auto* a = attr(key);
  return a && a->value_case() == tfproto::AttrValue::kB ? a->b() : fallback;
}

std::string Lowering::attr_string(const std::string& key, std::string fallback) const {
  const auto* a = attr(key);
  return a && a->value_case() == tfproto::AttrValue::kS ? a->s() : fallback;
}

std::vector<int64_t> Lowering::attr_ints(const std::string& key) const {
  const auto* a = attr(key);
  if (!a || !a->has_list()) return {};
  return {a->list().i().begin(), a->list().i().end()};
}

Expected<DType> Lowering::attr_dtype(const std::string& key) const {
  const auto* a = attr(key);
  if (!a || a->value_case() != tfproto::AttrValue::kType) return invalid_argument("attribute '{}' is missing", key);
  return dtype_from_tf(a->type());
}

Status Lowering::set(Expected<ir::TensorId> output) {
  if (!output) return output.status();
  set(std::vector<ir::TensorId>{*output});
  return Status::ok();
}

std::string Lowering::out_name(int k) const { return k == 0 ? name() : fmt::format("{}:{}", name(), k); }

Expected<ir::TensorId> Lowering::variable(const std::string& var_handle, const std::string& tensor_name) {
  auto it = variable_tensors_.find(var_handle);
  if (it != variable_tensors_.end()) return it->second;
  auto value = variables_(var_handle);
  if (!value) return value.status().with_context("variable '" + var_handle + "'");
  TFC_ASSIGN_OR_RETURN(ir::TensorId id, b.constant(tensor_name, *value));
  variable_tensors_[var_handle] = id;
  return id;
}

namespace {

// Every op type the table cannot lower, with the nodes that have it.
Status check_supported(const FlatGraph& graph) {
  const auto& table = lowering_table();
  std::map<std::string, std::vector<std::string>> missing;
  for (const auto& n : graph.nodes) {
    if (!table.count(n.def->op())) missing[n.def->op()].push_back(n.def->name());
  }
  if (missing.empty()) return Status::ok();
  std::vector<std::string> parts;
  for (const auto& [op, nodes] : missing) parts.push_back(fmt::format("{} (node {})", op, fmt::join(nodes, ", ")));
  return unsupported("signature '{}': {} TensorFlow op type(s) cannot be lowered: {}", graph.signature, missing.size(),
                     fmt::join(parts, "; "));
}

// The graph input of a signature input: its dtype and static shape (a
// dynamic first dim becomes `batch`, recorded as -1 in the signature shape).
Expected<ir::TensorId> add_input(GraphBuilder& b, const SignatureInput& in, const std::string& name, int batch) {
  const auto& info = *in.info;
  TFC_ASSIGN_OR_RETURN(DType dtype, dtype_from_tf(info.dtype()));
  if (info.tensor_shape().unknown_rank()) return unsupported("input '{}' has unknown rank", in.key);
  ir::Shape shape, signature;
  bool dynamic = false;
  for (int d = 0; d < info.tensor_shape().dim_size(); ++d) {
    int64_t size = info.tensor_shape().dim(d).size();
    if (size < 0 && d == 0) {
      dynamic = true;
      size = batch;
    } else if (size < 0) {
      return unsupported("input '{}': dim {} is dynamic; only the batch dim may be", in.key, d);
    }
    if (size > INT32_MAX) return invalid_argument("input '{}': dim {} of {} is too large", in.key, d, size);
    shape.push_back(static_cast<int32_t>(size));
    signature.push_back(dynamic && d == 0 ? -1 : static_cast<int32_t>(size));
  }
  std::vector<int64_t> dims(shape.begin(), shape.end());
  TFC_RETURN_IF_ERROR(byte_size(dtype, dims, "input '" + in.key + "'").status());
  return b.input(name, dtype, shape, dynamic ? signature : ir::Shape{});
}

}  // namespace

Expected<ir::Model> lower_graph(const FlatGraph& graph, const VariableSource& variables, int batch) {
  TFC_RETURN_IF_ERROR(check_supported(graph));
  GraphBuilder b;
  Lowering lower(b, graph, variables);
  std::vector<std::string> input_keys;
  for (const auto& in : graph.inputs) {
    lower.at(in.node);
    auto id = add_input(b, in, lower.name() + ":0", batch);
    if (!id) return lower.error(id.status());
    lower.set(std::vector<ir::TensorId>{*id});
    input_keys.push_back(in.key);
  }
  const auto& table = lowering_table();
  for (int i = 0; i < static_cast<int>(graph.nodes.size()); ++i) {
    if (!lower.values_of(i).empty()) continue;  // a graph input
    lower.at(i);
    if (graph.nodes[static_cast<size_t>(i)].def->op() == "Placeholder") {
      return lower.error(invalid_argument("a Placeholder that is not a signature input"));
    }
    Status s = table.at(graph.nodes[static_cast<size_t>(i)].def->op())(lower);
    if (!s.is_ok()) return lower.error(s);
  }
  std::vector<ir::TensorId> outputs;
  for (size_t o = 0; o < graph.outputs.size(); ++o) {
    const TensorRef r = graph.outputs[o];
    const auto& values = lower.values_of(r.node);
    if (r.index >= static_cast<int>(values.size())) {
      return invalid_argument("signature output '{}' ({}) names no tensor", graph.output_keys[o],
                              graph.output_tensor_names[o]);
    }
    const ir::TensorId id = values[static_cast<size_t>(r.index)];
    if (b.producer(id) >= 0) b.rename(id, graph.output_tensor_names[o]);
    outputs.push_back(id);
  }
  b.set_outputs(outputs);
  b.set_signature(graph.signature, input_keys, graph.output_keys);
  return b.finish();
}

}  // namespace tfc::importers::savedmodel
