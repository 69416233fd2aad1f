// Lowering a flat SavedModel graph (flat_graph.h) to the IR: one table maps
// each TensorFlow op type to its lowering function (lower_ops.cc); every op
// type that has none is named, with its node, before anything is lowered.
// Ops go through GraphBuilder, so ops on constants (weight transposes,
// reshapes of biases, Shape of a static tensor and what is computed from it)
// fold into constants as they are added.
// Not here: parsing (tf_proto.h), inlining (flat_graph.h).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/array.h"
#include "core/status.h"
#include "importers/graph_builder.h"
#include "importers/import.h"
#include "importers/savedmodel/flat_graph.h"

namespace tfc::importers::savedmodel {

// The value of the variable a VarHandleOp node (by name) holds.
using VariableSource = std::function<Expected<Array>(const std::string& var_handle)>;

// What a lowering function works with: the builder, the node being lowered
// and the IR tensors of every node lowered before it.
class Lowering {
 public:
  Lowering(GraphBuilder& builder, const FlatGraph& graph, const VariableSource& variables);

  GraphBuilder& b;

  const tfproto::NodeDef& def() const { return *graph_.nodes[static_cast<size_t>(node_)].def; }
  const std::string& name() const { return def().name(); }
  int num_inputs() const { return static_cast<int>(graph_.nodes[static_cast<size_t>(node_)].inputs.size()); }
  // The IR tensor of data input `i`.
  Expected<ir::TensorId> in(int i) const;
  // How many nodes (and signature outputs) read the tensor input `i` reads.
  int readers_of_input(int i) const;
  // The flat node input `i` comes from.
  const tfproto::NodeDef* input_def(int i) const;
  // Data input `i`, a constant of integers (int32 or int64), as values.
  Expected<std::vector<int64_t>> const_ints(int i) const;
  // Data input `i` as an int32 constant (int64 constants converted).
  Expected<ir::TensorId> const_i32(int i);

  // When this node is the last Mul of exact GELU as Keras writes it,
  // Mul(Mul(0.5, x), Erfc(Mul(Neg(x), 1/sqrt(2)))) in any operand order: x.
  std::optional<ir::TensorId> gelu_input() const;
  // The same for GELU's tanh form, 0.5 x * (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
  std::optional<ir::TensorId> gelu_tanh_input() const;
  // When this node is the last Mul of hard swish as Keras writes it,
  // Mul(x, RealDiv(Relu6(AddV2(x, 3)), 6)): x.
  std::optional<ir::TensorId> hard_swish_input() const;

  // Attributes, with errors naming the node.
  const tfproto::AttrValue* attr(const std::string& key) const;
  Expected<int64_t> attr_int(const std::string& key, std::optional<int64_t> fallback = {}) const;
  Expected<float> attr_float(const std::string& key, std::optional<float> fallback = {}) const;
  bool attr_bool(const std::string& key, bool fallback = false) const;
  std::string attr_string(const std::string& key, std::string fallback = {}) const;
  std::vector<int64_t> attr_ints(const std::string& key) const;
  Expected<DType> attr_dtype(const std::string& key) const;

  // The IR tensor(s) this node's outputs are.
  void set(std::vector<ir::TensorId> outputs) { values_[static_cast<size_t>(node_)] = std::move(outputs); }
  Status set(Expected<ir::TensorId> output);
  // A name for output `k` (the node's name, ":k" after it past the first).
  std::string out_name(int k = 0) const;

  // The constant holding the variable `var_handle` (one per variable).
  Expected<ir::TensorId> variable(const std::string& var_handle, const std::string& name);

  void at(int node) { node_ = node; }
  const std::vector<ir::TensorId>& values_of(int node) const { return values_[static_cast<size_t>(node)]; }
  Status error(Status s) const;

 private:
  bool is_scalar(TensorRef r, float want) const;  // a float32 constant holding just `want`
  std::optional<ir::TensorId> value_of(TensorRef r) const;
  // When `r` is op(t, want) (or op(want, t) if commutative) for a scalar constant: t.
  std::optional<TensorRef> with_scalar(TensorRef r, const char* op, float want, bool commutative = true) const;

  const FlatGraph& graph_;
  const VariableSource& variables_;
  std::vector<std::vector<ir::TensorId>> values_;
  std::map<std::string, ir::TensorId> variable_tensors_;
  std::map<std::pair<int, int>, int> readers_;  // (node, output) -> readers
  int node_ = -1;
};

using LowerFn = Status (*)(Lowering&);
// The table: TensorFlow op type -> lowering function.
const std::map<std::string, LowerFn, std::less<>>& lowering_table();

// Lowers `graph` (batch: the static size of a dynamic batch dim) to a model
// whose signature is the SavedModel signature's.
Expected<ir::Model> lower_graph(const FlatGraph& graph, const VariableSource& variables, int batch);

}  // namespace tfc::importers::savedmodel
