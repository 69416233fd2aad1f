// BatchNormalization in training mode (train_steps.h), and folding it again at
// export. The inference IR holds each BatchNormalization either folded into
// the conv / dense before it (TrainingState keeps that op's kernel and bias
// from before folding) or as MUL by scale and ADD of shift (either skipped by
// the importer where it is the identity). Training rebuilds Keras 3's formula
// (layers/normalization/batch_normalization.py, tf.nn.moments,
// tf.nn.batch_normalization):
//   mean = MEAN(x, all axes but the channel, keep_dims)
//   variance = MEAN(SQUARED_DIFFERENCE(x, mean))          (biased)
//   inv = RSQRT(variance + epsilon) * gamma
//   y = x * inv + (beta - mean * inv)
// with the folded op's fused activation after it. A layer whose gamma and beta
// are all frozen normalizes with its moving statistics, as Keras does for a
// layer that is not trainable.
// Not here: noise layers (train_noise.cc), the parameter list (train_params.cc).
#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "passes/fold_batchnorm.h"
#include "passes/graph_edit.h"
#include "passes/op_pattern.h"
#include "train/train_steps.h"

namespace tfc::train::detail {
namespace {

using B = tflite::BuiltinOperator;
using importers::BatchNormRecord;

std::vector<float> floats(const Array& a) {
  std::vector<float> v(static_cast<size_t>(a.num_elements()));
  if (!v.empty() && a.data.size() == v.size() * sizeof(float)) std::memcpy(v.data(), a.data.data(), a.data.size());
  return v;
}

template <typename T>
tflite::BuiltinOptionsUnion options_of(T o) {
  tflite::BuiltinOptionsUnion u;
  u.Set(std::move(o));
  return u;
}

// Where a record's batch norm sits in an inference-form graph.
struct Site {
  int producer = -1;        // folded: the conv / dense whose weights absorbed it
  int mul = -1, add = -1;   // not folded: its MUL and ADD (-1 where the importer skipped one)
  ir::TensorId x = ir::kNoTensor;  // not folded: what it reads
  ir::TensorId y = ir::kNoTensor;  // its result, as the rest of the graph reads it
  int axis = 0;             // the channel axis of what it reads (a conv / dense output's last)
  tflite::ActivationFunctionType activation = tflite::ActivationFunctionType_NONE;
};

bool folded(const BatchNormRecord& r) { return !r.folded_into.empty() && !r.kernel.data.empty(); }

passes::BatchNormAffine affine_of(const BatchNormRecord& r) {
  return passes::batch_norm_affine(floats(r.gamma), floats(r.beta), floats(r.moving_mean), floats(r.moving_variance),
                                   r.epsilon);
}

// Whether op `index` is `builtin` of a non-constant first input and a float32
// constant second input holding exactly `k`.
bool is_channel_op(const ir::Model& model, int index, int32_t builtin, const std::vector<float>& k) {
  if (index < 0) return false;
  const ir::Op& op = model.subgraphs[0].ops[static_cast<size_t>(index)];
  if (op.code.builtin != builtin || op.inputs.size() != 2 || op.inputs[1] == ir::kNoTensor) return false;
  const ir::Tensor& kt = model.subgraphs[0].tensors[op.inputs[1]];
  return passes::is_plain_float_constant(model, kt) && passes::float_constant(model, kt) == k;
}

Expected<Site> find_site(const ir::Model& model, const BatchNormRecord& r) {
  const ir::Subgraph& g = model.subgraphs[0];
  Site s;
  s.y = find_tensor(model, folded(r) ? r.folded_into : r.output);
  if (s.y == ir::kNoTensor) {
    return unsupported("BatchNormalization '{}': its tensor '{}' is not in the model", r.layer,
                       folded(r) ? r.folded_into : r.output);
  }
  const int p = passes::producer(g, s.y);
  if (folded(r)) {
    const ir::Op* op = p < 0 ? nullptr : &g.ops[static_cast<size_t>(p)];
    const auto layout = op ? passes::weights_layout(op->code.builtin) : std::nullopt;
    if (!layout || op->inputs.size() <= layout->weights) {
      return unsupported("BatchNormalization '{}': '{}' is not made by the op it was folded into", r.layer, r.folded_into);
    }
    s.producer = p;
    s.activation = passes::fused_activation_of(*op);
    s.axis = static_cast<int>(g.tensors[s.y].shape.size()) - 1;
    return s;
  }
  const passes::BatchNormAffine a = affine_of(r);
  if (is_channel_op(model, p, B::BuiltinOperator_ADD, a.shift)) {
    s.add = p;
    const ir::TensorId m = g.ops[static_cast<size_t>(p)].inputs[0];
    if (const int q = passes::producer(g, m); is_channel_op(model, q, B::BuiltinOperator_MUL, a.scale)) s.mul = q;
  } else if (is_channel_op(model, p, B::BuiltinOperator_MUL, a.scale)) {
    s.mul = p;
  } else {
    return unsupported("BatchNormalization '{}': no MUL by its scale or ADD of its shift makes '{}'", r.layer, r.output);
  }
  const ir::Op& first = g.ops[static_cast<size_t>(s.mul >= 0 ? s.mul : s.add)];
  s.x = first.inputs[0];
  // The constant broadcasts along the channel: [C] for the last axis, [C, 1, ..] before it.
  s.axis = static_cast<int>(g.tensors[s.x].shape.size() - g.tensors[first.inputs[1]].shape.size());
  s.activation = passes::fused_activation_of(g.ops[static_cast<size_t>(p)]);
  return s;
}

int32_t activation_op(tflite::ActivationFunctionType a) {
  switch (a) {
    case tflite::ActivationFunctionType_RELU: return B::BuiltinOperator_RELU;
    case tflite::ActivationFunctionType_RELU6: return B::BuiltinOperator_RELU6;
    case tflite::ActivationFunctionType_RELU_N1_TO_1: return B::BuiltinOperator_RELU_N1_TO_1;
    case tflite::ActivationFunctionType_TANH: return B::BuiltinOperator_TANH;
    default: return -1;
  }
}

// The tensors one layer's calls share: gamma, beta, restored kernel and bias.
struct LayerTensors {
  int first_entry = -1;
  ir::TensorId gamma = ir::kNoTensor, beta = ir::kNoTensor, kernel = ir::kNoTensor, bias = ir::kNoTensor;
};

// Shape [1, .., C, .., 1] of rank `rank` with C at `axis`.
ir::Shape channel_shape(size_t rank, int axis, int32_t c) {
  ir::Shape s(rank, 1);
  s[static_cast<size_t>(axis)] = c;
  return s;
}

class Rebuilder {
 public:
  Rebuilder(importers::GraphBuilder& b, const TrainGraphOptions& options, TrainGraph& graph,
            std::vector<std::string>& params, std::vector<std::pair<std::string, std::string>>& stats)
      : b_(b), options_(options), graph_(graph), params_(params), stats_(stats) {}

  Status rebuild(const BatchNormRecord& r, int record) {
    TFC_ASSIGN_OR_RETURN(Site s, find_site(b_.model(), r));
    if (activation_op(s.activation) < 0 && s.activation != tflite::ActivationFunctionType_NONE) {
      return unsupported("BatchNormalization '{}': fused activation {} cannot move after it", r.layer,
                         tflite::EnumNameActivationFunctionType(s.activation));
    }
    LayerTensors& lt = layers_[r.layer];
    BatchNormTraining e;
    e.layer = r.layer;
    e.record = record;
    e.momentum = r.momentum;
    e.moving_mean = r.moving_mean;
    e.moving_variance = r.moving_variance;
    e.moving_of = lt.first_entry;
    if (lt.first_entry < 0) lt.first_entry = static_cast<int>(graph_.batch_norms.size());
    const std::string scope = r.scope.empty() ? r.layer : r.scope;
    ir::TensorId x = s.x;
    int at = s.producer + 1;
    if (folded(r)) {
      TFC_ASSIGN_OR_RETURN(x, restore_producer(r, s, lt, e));
    } else {
      at = s.mul >= 0 ? s.mul : s.add;
      std::vector<int> gone;
      for (int i : {s.mul, s.add}) {
        if (i >= 0) gone.push_back(i);
      }
      passes::remove_ops(b_.graph(), gone);
    }
    const ir::Shape xs = b_.shape(x);
    const ir::Shape cs = channel_shape(xs.size(), s.axis, xs[static_cast<size_t>(s.axis)]);
    gamma_beta(r, scope, cs, lt, e);
    const bool frozen = (e.gamma.empty() || matches_any(options_.freeze, e.gamma)) &&
                        (e.beta.empty() || matches_any(options_.freeze, e.beta)) && !(e.gamma.empty() && e.beta.empty());
    Emitter em(b_, at);
    TFC_ASSIGN_OR_RETURN(ir::TensorId y, emit(em, r, scope, x, s.axis, cs, lt, frozen));
    if (s.activation != tflite::ActivationFunctionType_NONE) {
      TFC_ASSIGN_OR_RETURN(y, em.op(activation_op(s.activation), {y}, {}, scope + "/activation"));
    }
    // The last op writes the tensor the rest of the graph reads; its own output goes unused.
    b_.graph().ops[static_cast<size_t>(em.at() - 1)].outputs[0] = s.y;
    graph_.batch_norms.push_back(std::move(e));
    return Status::ok();
  }

 private:
  // The folded op gets the kernel and bias from before folding (one set per
  // layer), no activation, and a new output: what the batch norm reads.
  Expected<ir::TensorId> restore_producer(const BatchNormRecord& r, const Site& s, LayerTensors& lt,
                                          BatchNormTraining& e) {
    ir::Model& model = b_.model();
    const ir::Op& op = b_.graph().ops[static_cast<size_t>(s.producer)];
    const auto layout = *passes::weights_layout(op.code.builtin);
    if (lt.kernel == ir::kNoTensor) {
      TFC_ASSIGN_OR_RETURN(lt.kernel, restored(r.folded_weights, r.kernel));
      if (!r.bias.data.empty()) {
        TFC_ASSIGN_OR_RETURN(lt.bias, restored(r.folded_bias, r.bias));
      }
    }
    e.kernel = b_.tensor(lt.kernel).name;
    if (lt.bias != ir::kNoTensor) e.bias = b_.tensor(lt.bias).name;
    params_.push_back(e.kernel);
    if (!e.bias.empty()) params_.push_back(e.bias);
    ir::Tensor pre = b_.tensor(s.y);
    pre.name = fresh_name(model, (r.scope.empty() ? r.layer : r.scope) + "/input");
    pre.buffer = 0;
    const ir::TensorId x = passes::add_tensor(b_.graph(), std::move(pre));
    ir::Op& p = b_.graph().ops[static_cast<size_t>(s.producer)];
    p.inputs[layout.weights] = lt.kernel;
    if (p.inputs.size() > layout.bias) p.inputs[layout.bias] = lt.bias;
    *passes::fused_activation(p) = tflite::ActivationFunctionType_NONE;
    p.outputs[0] = x;
    return x;
  }

  // A constant holding `value` named `name` (the folded tensor it replaces is renamed out of the way).
  Expected<ir::TensorId> restored(const std::string& name, const Array& value) {
    if (const ir::TensorId old = find_tensor(b_.model(), name); old != ir::kNoTensor) {
      b_.rename(old, fresh_name(b_.model(), name + "/folded"));
    }
    if (value.dtype != DType::kFloat32) {
      return unsupported("BatchNormalization: the kernel of '{}' is {}, not float32", name, dtype_name(value.dtype));
    }
    return b_.constant(name, value);
  }

  // Gamma and beta parameters (one pair per layer), shaped to broadcast over x.
  void gamma_beta(const BatchNormRecord& r, const std::string& scope, const ir::Shape& cs, LayerTensors& lt,
                  BatchNormTraining& e) {
    if (lt.gamma == ir::kNoTensor && r.scale) lt.gamma = b_.constant_f32(fresh_name(b_.model(), scope + "/gamma"), cs, floats(r.gamma));
    if (lt.beta == ir::kNoTensor && r.center) lt.beta = b_.constant_f32(fresh_name(b_.model(), scope + "/beta"), cs, floats(r.beta));
    if (lt.gamma != ir::kNoTensor) e.gamma = b_.tensor(lt.gamma).name;
    if (lt.beta != ir::kNoTensor) e.beta = b_.tensor(lt.beta).name;
    if (e.moving_of < 0) {
      if (!e.gamma.empty()) params_.push_back(e.gamma);
      if (!e.beta.empty()) params_.push_back(e.beta);
    }
  }

  // The op sequence of the header comment; returns its result tensor.
  Expected<ir::TensorId> emit(Emitter& em, const BatchNormRecord& r, const std::string& scope, ir::TensorId x,
                              int axis, const ir::Shape& cs, const LayerTensors& lt, bool frozen) {
    const size_t rank = b_.shape(x).size();
    ir::TensorId mean, var;
    if (frozen) {
      mean = b_.constant_f32(fresh_name(b_.model(), scope + "/moving_mean"), cs, floats(r.moving_mean));
      var = b_.constant_f32(fresh_name(b_.model(), scope + "/moving_variance"), cs, floats(r.moving_variance));
      stats_.emplace_back();
    } else {
      std::vector<int32_t> axes;
      for (size_t i = 0; i < rank; ++i) {
        if (static_cast<int>(i) != axis) axes.push_back(static_cast<int32_t>(i));
      }
      const ir::TensorId ax = b_.constant_i32(fresh_name(b_.model(), scope + "/moments/mean/reduction_indices"),
                                              {static_cast<int32_t>(axes.size())}, axes);
      tflite::ReducerOptionsT keep;
      keep.keep_dims = true;
      TFC_ASSIGN_OR_RETURN(mean, em.op(B::BuiltinOperator_MEAN, {x, ax}, options_of(keep), scope + "/moments/mean"));
      TFC_ASSIGN_OR_RETURN(ir::TensorId sq, em.op(B::BuiltinOperator_SQUARED_DIFFERENCE, {x, mean}, {},
                                                  scope + "/moments/SquaredDifference"));
      TFC_ASSIGN_OR_RETURN(var, em.op(B::BuiltinOperator_MEAN, {sq, ax}, options_of(keep), scope + "/moments/variance"));
      stats_.emplace_back(b_.tensor(mean).name, b_.tensor(var).name);
    }
    const ir::TensorId eps = b_.constant_f32(fresh_name(b_.model(), scope + "/batchnorm/add/y"), {}, {r.epsilon});
    TFC_ASSIGN_OR_RETURN(ir::TensorId ve, em.op(B::BuiltinOperator_ADD, {var, eps}, options_of(tflite::AddOptionsT{}),
                                                scope + "/batchnorm/add"));
    TFC_ASSIGN_OR_RETURN(ir::TensorId inv, em.op(B::BuiltinOperator_RSQRT, {ve}, {}, scope + "/batchnorm/Rsqrt"));
    if (lt.gamma != ir::kNoTensor) {
      TFC_ASSIGN_OR_RETURN(inv, em.op(B::BuiltinOperator_MUL, {inv, lt.gamma}, options_of(tflite::MulOptionsT{}),
                                      scope + "/batchnorm/mul"));
    }
    TFC_ASSIGN_OR_RETURN(ir::TensorId xs, em.op(B::BuiltinOperator_MUL, {x, inv}, options_of(tflite::MulOptionsT{}),
                                                scope + "/batchnorm/mul_1"));
    TFC_ASSIGN_OR_RETURN(ir::TensorId mi, em.op(B::BuiltinOperator_MUL, {mean, inv}, options_of(tflite::MulOptionsT{}),
                                                scope + "/batchnorm/mul_2"));
    ir::TensorId shift;
    if (lt.beta != ir::kNoTensor) {
      TFC_ASSIGN_OR_RETURN(shift, em.op(B::BuiltinOperator_SUB, {lt.beta, mi}, options_of(tflite::SubOptionsT{}),
                                        scope + "/batchnorm/sub"));
    } else {
      TFC_ASSIGN_OR_RETURN(shift, em.op(B::BuiltinOperator_NEG, {mi}, {}, scope + "/batchnorm/Neg"));
    }
    return em.op(B::BuiltinOperator_ADD, {xs, shift}, options_of(tflite::AddOptionsT{}), scope + "/batchnorm/add_1");
  }

  importers::GraphBuilder& b_;
  const TrainGraphOptions& options_;
  TrainGraph& graph_;
  std::vector<std::string>& params_;
  std::vector<std::pair<std::string, std::string>>& stats_;
  std::map<std::string, LayerTensors> layers_;
};

// Makes input `slot` of op `index` read a float32 constant holding `values`:
// its tensor rewritten when no other op input reads it, else a copy.
Status set_operand(ir::Model& model, int index, size_t slot, const std::vector<float>& values) {
  ir::Subgraph& g = model.subgraphs[0];
  const ir::TensorId id = g.ops[static_cast<size_t>(index)].inputs[slot];
  int readers = 0;
  for (const auto& op : g.ops) readers += static_cast<int>(std::count(op.inputs.begin(), op.inputs.end(), id));
  if (readers == 1) return set_constant(model, id, passes::to_bytes(values), DType::kFloat32);
  ir::Tensor t = g.tensors[id];
  t.name = fresh_name(model, t.name);
  t.buffer = 0;
  TFC_ASSIGN_OR_RETURN(const ir::TensorId copy, passes::add_constant(model, 0, std::move(t), passes::to_bytes(values)));
  g.ops[static_cast<size_t>(index)].inputs[slot] = copy;
  return Status::ok();
}

// A MUL / ADD by per-channel constant `k` (shaped as the importer shapes it)
// from `in` to a new tensor like `like`, inserted before op `before`.
Expected<ir::TensorId> insert_channel_op(ir::Model& model, int before, int32_t builtin, ir::TensorId in,
                                         ir::TensorId like, const std::vector<float>& k, int axis, const std::string& name) {
  ir::Subgraph& g = model.subgraphs[0];
  ir::Tensor kt;
  kt.name = fresh_name(model, name + "/y");
  kt.shape = {static_cast<int32_t>(k.size())};
  kt.shape.resize(g.tensors[like].shape.size() - static_cast<size_t>(axis), 1);
  kt.has_rank = true;
  TFC_ASSIGN_OR_RETURN(const ir::TensorId kid, passes::add_constant(model, 0, std::move(kt), passes::to_bytes(k)));
  ir::Tensor out = g.tensors[like];
  out.name = fresh_name(model, name);
  const ir::TensorId oid = passes::add_tensor(g, std::move(out));
  ir::Op op;
  op.code.builtin = builtin;
  op.inputs = {in, kid};
  op.outputs = {oid};
  op.options = builtin == B::BuiltinOperator_MUL ? options_of(tflite::MulOptionsT{}) : options_of(tflite::AddOptionsT{});
  passes::insert_op_before(g, before, std::move(op));
  return oid;
}

bool all_equal(const std::vector<float>& v, float x) {
  return std::all_of(v.begin(), v.end(), [&](float f) { return f == x; });
}

// The inference form of one batch norm of `graph` with the trained values.
Status refold_one(ir::Model& out, const BatchNormRecord& r, const BatchNormTraining& e, const BatchNormTraining& moving,
                  const std::map<std::string, const Array*>& values) {
  auto value = [&](const std::string& name, const Array& fallback) {
    return name.empty() ? floats(fallback) : floats(*values.at(name));
  };
  const passes::BatchNormAffine a = passes::batch_norm_affine(value(e.gamma, r.gamma), value(e.beta, r.beta),
                                                              floats(moving.moving_mean), floats(moving.moving_variance),
                                                              r.epsilon);
  TFC_ASSIGN_OR_RETURN(const Site s, find_site(out, r));
  ir::Subgraph& g = out.subgraphs[0];
  if (s.producer >= 0) {
    const auto layout = *passes::weights_layout(g.ops[static_cast<size_t>(s.producer)].code.builtin);
    std::vector<float> weights = value(e.kernel, r.kernel);
    std::vector<float> bias = e.bias.empty() ? std::vector<float>(a.scale.size(), 0.0f) : value(e.bias, r.bias);
    passes::fold_channel_constant(weights, bias, layout.channels_last, B::BuiltinOperator_MUL, a.scale);
    passes::fold_channel_constant(weights, bias, layout.channels_last, B::BuiltinOperator_ADD, a.shift);
    TFC_RETURN_IF_ERROR(set_operand(out, s.producer, layout.weights, weights));
    const ir::Op& op = g.ops[static_cast<size_t>(s.producer)];
    if (op.inputs.size() > layout.bias && op.inputs[layout.bias] != ir::kNoTensor) {
      return set_operand(out, s.producer, layout.bias, bias);
    }
    if (all_equal(bias, 0.0f)) return Status::ok();
    return passes::give_bias(out, 0, s.producer, r.folded_into + "/bias", bias);
  }
  if (s.mul >= 0) {
    TFC_RETURN_IF_ERROR(set_operand(out, s.mul, 1, a.scale));
  } else if (!all_equal(a.scale, 1.0f)) {
    TFC_ASSIGN_OR_RETURN(const ir::TensorId m, insert_channel_op(out, s.add, B::BuiltinOperator_MUL, s.x, s.x, a.scale,
                                                                 s.axis, r.scope + "/batchnorm/mul"));
    g.ops[static_cast<size_t>(s.add + 1)].inputs[0] = m;
    return set_operand(out, s.add + 1, 1, a.shift);
  }
  if (s.add >= 0) return set_operand(out, s.add, 1, a.shift);
  if (all_equal(a.shift, 0.0f)) return Status::ok();
  // The MUL writes the batch norm's result: an ADD after it takes that over, and its activation.
  const ir::TensorId y = g.ops[static_cast<size_t>(s.mul)].outputs[0];
  ir::Tensor product = g.tensors[y];
  product.name = fresh_name(out, r.scope + "/batchnorm/mul");
  const ir::TensorId t = passes::add_tensor(g, std::move(product));
  ir::Op& mul = g.ops[static_cast<size_t>(s.mul)];
  const tflite::ActivationFunctionType act = passes::fused_activation_of(mul);
  if (auto* f = passes::fused_activation(mul)) *f = tflite::ActivationFunctionType_NONE;
  mul.outputs[0] = t;
  TFC_RETURN_IF_ERROR(insert_channel_op(out, s.mul + 1, B::BuiltinOperator_ADD, t, y, a.shift, s.axis,
                                        r.scope + "/batchnorm/add_1").status());
  ir::Op& add = g.ops[static_cast<size_t>(s.mul + 1)];
  add.outputs[0] = y;  // its own new output goes unused
  if (auto* f = passes::fused_activation(add)) *f = act;
  return Status::ok();
}

}  // namespace

Status refold_batch_norms(ir::Model& out, const importers::TrainingState& state, const TrainGraph& graph,
                          const std::map<std::string, const Array*>& values, std::set<std::string>& written) {
  for (const BatchNormTraining& e : graph.batch_norms) {
    if (e.record < 0 || static_cast<size_t>(e.record) >= state.batch_norms.size()) {
      return invalid_argument("export: batch norm '{}' has no record in the training state", e.layer);
    }
    const BatchNormTraining& moving = e.moving_of < 0 ? e : graph.batch_norms[static_cast<size_t>(e.moving_of)];
    TFC_RETURN_IF_ERROR(refold_one(out, state.batch_norms[static_cast<size_t>(e.record)], e, moving, values)
                            .with_context(fmt::format("export: batch norm '{}'", e.layer)));
    for (const std::string* n : {&e.gamma, &e.beta, &e.kernel, &e.bias}) {
      if (!n->empty()) written.insert(*n);
    }
  }
  return Status::ok();
}

Status rebuild_batch_norms(importers::GraphBuilder& b, const importers::TrainingState& state,
                           const TrainGraphOptions& options, TrainGraph& graph, std::vector<std::string>& params,
                           std::vector<std::pair<std::string, std::string>>& stat_names) {
  Rebuilder rb(b, options, graph, params, stat_names);
  for (size_t i = 0; i < state.batch_norms.size(); ++i) {
    TFC_RETURN_IF_ERROR(rb.rebuild(state.batch_norms[i], static_cast<int>(i)));
  }
  return Status::ok();
}

}  // namespace tfc::train::detail
