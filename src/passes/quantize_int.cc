// quantize, modes int8 and int16x8: full-integer post-training quantization of
// subgraph 0 from calibrated activation ranges (see passes.h).
//
// Three steps. (1) Decide which ops become integer: those with a rule
// (ops/quant_rules.h), not kept float by the user, whose float activation
// inputs and outputs have parameters (from a calibrated range, a quantized
// producer, or the rule) and whose weights and bias are float32 constants.
// (2) Give every activation tensor those ops touch a scale and zero point, in
// execution order: graph inputs and float-produced tensors from their range,
// outputs by the op's rule. (3) Rewrite: tensors produced by integer ops become
// integer in place (keeping their names, so float and quantized models can be
// compared tensor by tensor); QUANTIZE ops feed integer ops from float tensors,
// DEQUANTIZE ops feed float ops and float graph outputs from integer tensors;
// inputs of ops that need one scale for all inputs are requantized; weights,
// bias and other constants are quantized.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include "ir/verify.h"
#include "kernels/quantize_ref.h"
#include "ops/quant_rules.h"
#include "passes/graph_edit.h"
#include "passes/passes.h"

namespace tfc::passes {
namespace {

using ops::QuantOutput;
using ops::QuantRule;

struct QP {
  float scale = 0;
  int32_t zero_point = 0;
  bool operator==(const QP&) const = default;
};

bool is_int16(const FullIntegerOptions& o) { return o.activations == DType::kInt16; }

}  // namespace

// Scale and zero point of an activation range, as the TFLite converter derives
// them: the range is widened to hold 0; int8 is asymmetric over [-128, 127]
// with the zero point rounded (nudged) into range; int16 is symmetric, zero
// point 0, over [-32767, 32767].
std::pair<float, int32_t> activation_qparams(double min, double max, DType activations) {
  double lo = std::min(min, 0.0), hi = std::max(max, 0.0);
  if (hi - lo < 1e-9) hi = lo + 1e-9;  // an all-zero tensor still gets a positive scale
  if (activations == DType::kInt16) {
    const double scale = std::max(-lo, hi) / 32767.0;
    return {static_cast<float>(scale), 0};
  }
  const double scale = (hi - lo) / 255.0;
  const double zp = std::clamp(-128.0 - lo / scale, -128.0, 127.0);
  return {static_cast<float>(scale), static_cast<int32_t>(std::round(zp))};
}

Expected<DType> parse_io_type(std::string_view io, DType activations) {
  const std::string_view act = activations == DType::kInt16 ? "int16" : "int8";
  if (io == "float" || io == "float32") return DType::kFloat32;
  if (io == act) return activations;
  if (io == "uint8" && activations == DType::kInt8) return DType::kUInt8;
  return invalid_argument("model inputs/outputs '{}' do not go with {} activations (use float, {}{})", io, act, act,
                          activations == DType::kInt8 ? " or uint8" : "");
}

namespace {

class IntegerQuantizer {
 public:
  IntegerQuantizer(ir::Model& model, const FullIntegerOptions& o)
      : model_(model), g_(model.subgraphs[0]), o_(o), act_(o.activations) {}

  Expected<FullIntegerReport> run() {
    TFC_RETURN_IF_ERROR(check_options());
    decide();
    TFC_RETURN_IF_ERROR(assign_params());
    TFC_RETURN_IF_ERROR(rewrite());
    return report_;
  }

 private:
  // ---- options --------------------------------------------------------------
  Status check_options() const {
    if (act_ != DType::kInt8 && act_ != DType::kInt16) {
      return invalid_argument("quantize: activations must be int8 or int16, got {}", dtype_name(act_));
    }
    const bool io_ok = o_.io == DType::kFloat32 || o_.io == act_ || (o_.io == DType::kUInt8 && act_ == DType::kInt8);
    if (!io_ok) {
      return invalid_argument("quantize: model inputs/outputs of dtype {} are not possible with {} activations "
                              "(use float, {}{})", dtype_name(o_.io), dtype_name(act_), dtype_name(act_),
                              act_ == DType::kInt8 ? " or uint8" : "");
    }
    for (const auto& [id, r] : o_.ranges) {
      if (id < 0 || static_cast<size_t>(id) >= g_.tensors.size()) {
        return invalid_argument("quantize: a calibration range names tensor {}, but subgraph 0 has {} tensors", id,
                                g_.tensors.size());
      }
      if (!std::isfinite(r.min) || !std::isfinite(r.max) || r.min > r.max) {
        return invalid_argument("quantize: calibration range of '{}' is [{}, {}]", g_.tensors[id].name, r.min, r.max);
      }
    }
    return Status::ok();
  }

  // ---- step 1: which ops become integer -------------------------------------
  bool is_float_activation(ir::TensorId id) const {
    return id != ir::kNoTensor && g_.tensors[id].dtype == DType::kFloat32 && !model_.is_constant(g_.tensors[id]);
  }
  bool is_float_constant(ir::TensorId id) const {
    return id != ir::kNoTensor && g_.tensors[id].dtype == DType::kFloat32 && model_.is_constant(g_.tensors[id]) &&
           !g_.tensors[id].sparsity;
  }
  bool has_range(ir::TensorId id) const { return o_.ranges.count(id) > 0; }
  static bool is_activation_slot(const QuantRule& r, size_t i) {
    return i < 32 && (r.activation_inputs >> i & 1u) && static_cast<int>(i) != r.weights_input &&
           static_cast<int>(i) != r.bias_input;
  }
  bool kept_float(const ir::Op& op) const {
    for (const std::string& k : o_.keep_float) {
      if (k == ir::op_name(op.code)) return true;
      for (ir::TensorId out : op.outputs) {
        if (out != ir::kNoTensor && g_.tensors[out].name == k) return true;
      }
    }
    return false;
  }

  // Why op i stays float, or "" when it becomes integer. `known` holds the
  // tensors that have (or will have) parameters so far.
  std::string float_reason(const ir::Op& op, const std::set<ir::TensorId>& known) const {
    const QuantRule* r = op.code.is_custom() ? nullptr : ops::find_quant_rule(op.code.builtin);
    if (!r) return "no integer kernel in LiteRT's rules";
    if (is_int16(o_) && !r->int16) return "no int16x8 kernel in LiteRT";
    if (kept_float(op)) return "kept float (--keep-float)";
    bool any_activation = false;
    for (size_t i = 0; i < op.inputs.size(); ++i) {
      const ir::TensorId id = op.inputs[i];
      if (id == ir::kNoTensor) continue;
      const ir::Tensor& t = g_.tensors[id];
      if (static_cast<int>(i) == r->weights_input) {
        if (!is_float_constant(id)) return fmt::format("weights '{}' are not a float32 constant", t.name);
        if (r->weights_axis >= static_cast<int>(t.shape.size())) return "weights of unexpected rank";
      } else if (static_cast<int>(i) == r->bias_input) {
        if (!is_float_constant(id)) return fmt::format("bias '{}' is not a float32 constant", t.name);
      } else if (is_activation_slot(*r, i)) {
        if (is_float_constant(id)) continue;
        if (!is_float_activation(id)) return fmt::format("input '{}' is {}, not float32", t.name, dtype_name(t.dtype));
        if (!known.count(id) && !has_range(id)) return fmt::format("no calibration range for input '{}'", t.name);
        any_activation = true;
      }
    }
    if (!any_activation) return "no activation input (constant subgraph)";
    for (ir::TensorId out : op.outputs) {
      if (out == ir::kNoTensor) continue;
      const ir::Tensor& t = g_.tensors[out];
      if (r->output == QuantOutput::kNotQuantized) continue;
      if (t.dtype != DType::kFloat32) return fmt::format("output '{}' is {}", t.name, dtype_name(t.dtype));
      const bool needs_range = r->output == QuantOutput::kOwnRange || r->output == QuantOutput::kInputsMatchOutput;
      if (needs_range && !has_range(out)) return fmt::format("no calibration range for output '{}'", t.name);
    }
    if (const auto* conv = op.options_as<tflite::Conv2DOptionsT>();
        conv && conv->fused_activation_function > tflite::ActivationFunctionType_RELU6) {
      return "fused activation has no integer form";
    }
    if (const auto* fc = op.options_as<tflite::FullyConnectedOptionsT>()) {
      if (fc->fused_activation_function > tflite::ActivationFunctionType_RELU6) return "fused activation has no integer form";
      if (fc->weights_format != tflite::FullyConnectedOptionsWeightsFormat_DEFAULT) return "shuffled weights";
    }
    if (const auto* dw = op.options_as<tflite::DepthwiseConv2DOptionsT>();
        dw && dw->fused_activation_function > tflite::ActivationFunctionType_RELU6) {
      return "fused activation has no integer form";
    }
    return "";
  }

  void decide() {
    quantized_.assign(g_.ops.size(), false);
    std::set<ir::TensorId> known;
    if (o_.io != DType::kFloat32) {
      for (ir::TensorId id : g_.inputs) known.insert(id);  // given parameters by the caller's ranges below
    }
    for (size_t i = 0; i < g_.ops.size(); ++i) {
      const ir::Op& op = g_.ops[i];
      const std::string reason = float_reason(op, known);
      if (!reason.empty()) {
        report_.float_ops.push_back({static_cast<int>(i), ir::op_name(op.code), output_name(op), reason});
        continue;
      }
      quantized_[i] = true;
      ++report_.quantized_ops;
      for (ir::TensorId out : op.outputs) {
        if (out != ir::kNoTensor) known.insert(out);
      }
    }
  }

  std::string output_name(const ir::Op& op) const {
    return op.outputs.empty() || op.outputs[0] == ir::kNoTensor ? "" : g_.tensors[op.outputs[0]].name;
  }

  // ---- step 2: parameters ---------------------------------------------------
  QP from_range(ir::TensorId id) const {
    const auto& r = o_.ranges.at(id);
    auto [scale, zp] = activation_qparams(r.min, r.max, act_);
    return {scale, zp};
  }

  Status assign_params() {
    for (size_t i = 0; i < g_.ops.size(); ++i) {
      if (!quantized_[i]) continue;
      const ir::Op& op = g_.ops[i];
      const QuantRule& r = *ops::find_quant_rule(op.code.builtin);
      ir::TensorId first = ir::kNoTensor;
      for (size_t k = 0; k < op.inputs.size(); ++k) {
        const ir::TensorId id = op.inputs[k];
        if (!is_activation_slot(r, k) || !is_float_activation(id)) continue;
        if (!qp_.count(id)) {
          if (!has_range(id)) return internal_error("quantize: input '{}' has no parameters", g_.tensors[id].name);
          qp_[id] = from_range(id);
        }
        if (first == ir::kNoTensor) first = id;
      }
      for (ir::TensorId out : op.outputs) {
        if (out == ir::kNoTensor) continue;
        switch (r.output) {
          case QuantOutput::kOwnRange: qp_[out] = from_range(out); break;
          case QuantOutput::kSameAsInput: qp_[out] = qp_.at(first); break;
          case QuantOutput::kFixed: {
            const ops::FixedQParams f = is_int16(o_) ? r.fixed_int16 : r.fixed_int8;
            qp_[out] = {f.scale, f.zero_point};
            break;
          }
          case QuantOutput::kInputsMatchOutput: {
            auto range = o_.ranges.at(out);
            for (size_t k = 0; k < op.inputs.size(); ++k) {
              const ir::TensorId id = op.inputs[k];
              if (!is_activation_slot(r, k) || !has_range(id) || !is_float_activation(id)) continue;
              range.min = std::min(range.min, o_.ranges.at(id).min);
              range.max = std::max(range.max, o_.ranges.at(id).max);
            }
            auto [scale, zp] = activation_qparams(range.min, range.max, act_);
            qp_[out] = {scale, zp};
            break;
          }
          case QuantOutput::kNotQuantized: break;
        }
      }
    }
    return Status::ok();
  }

  // ---- step 3: rewrite --------------------------------------------------------
  ir::Tensor twin(ir::TensorId id, DType dtype, const std::string& suffix) const {
    ir::Tensor t = g_.tensors[id];
    t.name += suffix;
    t.dtype = dtype;
    t.buffer = 0;
    t.quantization.reset();
    t.is_variable = false;
    return t;
  }
  static void set_qparams(ir::Tensor& t, DType dtype, QP q) {
    t.dtype = dtype;
    ir::Quantization quant;
    quant.scale = {q.scale};
    quant.zero_point = {q.zero_point};
    t.quantization = std::move(quant);
  }
  std::string suffix() const { return is_int16(o_) ? "_int16" : "_int8"; }

  ir::Op make_op(tflite::BuiltinOperator builtin, int32_t version, ir::TensorId in, ir::TensorId out) const {
    ir::Op op;
    op.code.builtin = builtin;
    op.code.version = version;
    op.inputs = {in};
    op.outputs = {out};
    if (builtin == tflite::BuiltinOperator_QUANTIZE) op.options.Set(tflite::QuantizeOptionsT{});
    if (builtin == tflite::BuiltinOperator_DEQUANTIZE) op.options.Set(tflite::DequantizeOptionsT{});
    return op;
  }
  // QUANTIZE: version 1 float -> int8 / uint8, 2 for int16 and for requantizing.
  ir::Op quantize_op(ir::TensorId in, ir::TensorId out) const {
    const bool v2 = g_.tensors[in].dtype != DType::kFloat32 || g_.tensors[out].dtype == DType::kInt16;
    return make_op(tflite::BuiltinOperator_QUANTIZE, v2 ? 2 : 1, in, out);
  }
  ir::Op dequantize_op(ir::TensorId in, ir::TensorId out) const {
    return make_op(tflite::BuiltinOperator_DEQUANTIZE, 2, in, out);
  }

  Status rewrite() {
    const size_t num_ops = g_.ops.size();
    for (const ir::Op& op : g_.ops) original_outputs_.push_back(op.outputs);
    // Who reads each tensor, split into integer readers (in an activation slot
    // of a quantized op) and float readers.
    std::map<ir::TensorId, std::vector<std::pair<size_t, size_t>>> int_readers, float_readers;
    for (size_t i = 0; i < num_ops; ++i) {
      const ir::Op& op = g_.ops[i];
      const QuantRule* r = quantized_[i] ? ops::find_quant_rule(op.code.builtin) : nullptr;
      for (size_t k = 0; k < op.inputs.size(); ++k) {
        const ir::TensorId id = op.inputs[k];
        if (!is_float_activation(id)) continue;
        (r && is_activation_slot(*r, k) ? int_readers : float_readers)[id].push_back({i, k});
      }
    }
    std::vector<int> producer_of(g_.tensors.size(), -1);
    for (size_t i = 0; i < num_ops; ++i) {
      for (ir::TensorId out : g_.ops[i].outputs) {
        if (out != ir::kNoTensor) producer_of[out] = static_cast<int>(i);
      }
    }
    const std::set<ir::TensorId> graph_inputs(g_.inputs.begin(), g_.inputs.end());
    const std::set<ir::TensorId> graph_outputs(g_.outputs.begin(), g_.outputs.end());

    std::vector<std::vector<ir::Op>> before(num_ops + 1), after(num_ops + 1);  // after[num_ops]: unused
    std::vector<ir::Op> at_start;
    // current[id]: the integer tensor integer readers of float tensor id use.
    std::map<ir::TensorId, ir::TensorId> integer_of;

    // Snapshot: the parameters were computed for these float ids.
    const auto params = qp_;
    for (const auto& [id, q] : params) {
      const int p = producer_of[id];
      const bool produced_int = p >= 0 && quantized_[p];
      const bool is_input = graph_inputs.count(id) > 0;
      const bool is_output = graph_outputs.count(id) > 0;
      const auto& ireaders = int_readers[id];
      const auto& freaders = float_readers[id];
      if (!produced_int && !is_input) {
        // A float op's output read by integer ops: QUANTIZE before the first.
        if (ireaders.empty()) continue;
        ir::Tensor tq = twin(id, act_, suffix());
        set_qparams(tq, act_, q);
        const ir::TensorId qid = add_tensor(g_, std::move(tq));
        before[ireaders.front().first].push_back(quantize_op(id, qid));
        integer_of[id] = qid;
        continue;
      }
      if (is_input && o_.io == DType::kFloat32) {
        if (ireaders.empty()) continue;
        ir::Tensor tq = twin(id, act_, suffix());
        set_qparams(tq, act_, q);
        const ir::TensorId qid = add_tensor(g_, std::move(tq));
        at_start.push_back(quantize_op(id, qid));
        integer_of[id] = qid;
        continue;
      }
      if (is_input) {
        if (ireaders.empty() && freaders.empty()) continue;
        if (o_.io == DType::kUInt8) {
          set_qparams(g_.tensors[id], DType::kUInt8, {q.scale, q.zero_point + 128});
          ir::Tensor tq = twin(id, act_, suffix());
          set_qparams(tq, act_, q);
          const ir::TensorId qid = add_tensor(g_, std::move(tq));
          at_start.push_back(quantize_op(id, qid));
          integer_of[id] = qid;
        } else {
          set_qparams(g_.tensors[id], act_, q);
          integer_of[id] = id;
        }
        if (!freaders.empty()) {
          const ir::TensorId fid = add_tensor(g_, twin(id, DType::kFloat32, "_float"));
          at_start.push_back(dequantize_op(integer_of[id], fid));
          for (auto [op, slot] : freaders) g_.ops[op].inputs[slot] = fid;
        }
        continue;
      }
      // Produced by an integer op.
      if (is_output && o_.io != act_) {
        // The graph output stays float (or becomes uint8): the op writes a twin.
        ir::Tensor tq = twin(id, act_, suffix());
        set_qparams(tq, act_, q);
        const ir::TensorId qid = add_tensor(g_, std::move(tq));
        for (ir::TensorId& out : g_.ops[p].outputs) {
          if (out == id) out = qid;
        }
        if (o_.io == DType::kUInt8) {
          set_qparams(g_.tensors[id], DType::kUInt8, {q.scale, q.zero_point + 128});
          after[p].push_back(quantize_op(qid, id));
          if (!freaders.empty()) {
            const ir::TensorId fid = add_tensor(g_, twin(id, DType::kFloat32, "_float"));
            after[p].push_back(dequantize_op(qid, fid));
            for (auto [op, slot] : freaders) g_.ops[op].inputs[slot] = fid;
          }
        } else {
          after[p].push_back(dequantize_op(qid, id));
        }
        integer_of[id] = qid;
        continue;
      }
      set_qparams(g_.tensors[id], act_, q);
      integer_of[id] = id;
      if (!freaders.empty()) {
        const ir::TensorId fid = add_tensor(g_, twin(id, DType::kFloat32, "_float"));
        after[p].push_back(dequantize_op(id, fid));
        for (auto [op, slot] : freaders) g_.ops[op].inputs[slot] = fid;
      }
    }
    // Outputs of integer ops that nothing gave parameters to (ARG_MAX's
    // indices) keep their dtype. Now point integer readers at integer tensors,
    // requantize where an op needs its inputs at the output's parameters, and
    // quantize constants.
    for (size_t i = 0; i < num_ops; ++i) {
      if (!quantized_[i]) continue;
      TFC_RETURN_IF_ERROR(rewrite_op(i, integer_of, before[i]));
    }
    std::vector<ir::Op> ops;
    ops.reserve(num_ops * 2);
    for (ir::Op& op : at_start) ops.push_back(std::move(op));
    for (size_t i = 0; i < num_ops; ++i) {
      for (ir::Op& op : before[i]) ops.push_back(std::move(op));
      ops.push_back(std::move(g_.ops[i]));
      for (ir::Op& op : after[i]) ops.push_back(std::move(op));
    }
    g_.ops = std::move(ops);
    for (int32_t builtin : touched_builtins_) unify_op_versions(model_, builtin);
    unify_op_versions(model_, tflite::BuiltinOperator_QUANTIZE);
    unify_op_versions(model_, tflite::BuiltinOperator_DEQUANTIZE);
    remove_unused_tensors(model_);
    remove_unused_buffers(model_);
    return Status::ok();
  }

  std::vector<float> float_values(ir::TensorId id) const { return float_constant(model_, g_.tensors[id]); }

  Expected<ir::TensorId> quantized_constant(ir::TensorId id, QP q) {
    const std::vector<float> v = float_values(id);
    ir::Tensor t = twin(id, act_, "");
    t.shape = g_.tensors[id].shape;
    set_qparams(t, act_, q);
    if (act_ == DType::kInt16) {
      std::vector<int16_t> out(v.size());
      for (size_t k = 0; k < v.size(); ++k) out[k] = kernels_quantize<int16_t>(v[k], q);
      return add_constant(model_, 0, std::move(t), to_bytes(out));
    }
    std::vector<int8_t> out(v.size());
    for (size_t k = 0; k < v.size(); ++k) out[k] = kernels_quantize<int8_t>(v[k], q);
    return add_constant(model_, 0, std::move(t), to_bytes(out));
  }
  template <typename T>
  static T kernels_quantize(float x, QP q) {
    const double v = std::round(static_cast<double>(x) / q.scale) + q.zero_point;
    return static_cast<T>(std::clamp<double>(v, std::numeric_limits<T>::min(), std::numeric_limits<T>::max()));
  }

  Status rewrite_op(size_t i, const std::map<ir::TensorId, ir::TensorId>& integer_of, std::vector<ir::Op>& before) {
    ir::Op& op = g_.ops[i];
    const QuantRule& r = *ops::find_quant_rule(op.code.builtin);
    touched_builtins_.insert(op.code.builtin);
    op.code.version = std::max(op.code.version, is_int16(o_) ? r.version_int16 : r.version_int8);
    // Output parameters (for constants and requantizing inputs).
    std::optional<QP> out_q;  // keyed by the output's original id (a graph output may now write a twin)
    const auto& outs = original_outputs_[i];
    if (!outs.empty() && outs[0] != ir::kNoTensor && qp_.count(outs[0])) out_q = qp_.at(outs[0]);
    std::optional<QP> in_q;  // the first activation input's, for bias scales
    std::vector<float> weight_scales;
    for (size_t k = 0; k < op.inputs.size(); ++k) {
      const ir::TensorId id = op.inputs[k];
      if (id == ir::kNoTensor || !is_activation_slot(r, k)) continue;
      // Activations were made integer in place or given an integer twin (their
      // dtype may already have changed); float constants are quantized here.
      const auto it = integer_of.find(id);
      if (it == integer_of.end()) {
        if (!is_float_constant(id)) continue;
        QP q = out_q && r.output == QuantOutput::kInputsMatchOutput ? *out_q : constant_qparams(id);
        TFC_ASSIGN_OR_RETURN(op.inputs[k], quantized_constant(id, q));
        if (!in_q) in_q = q;
        continue;
      }
      const ir::TensorId qid = it->second;
      const QP q = qp_.at(id);
      op.inputs[k] = qid;
      if (r.output == QuantOutput::kInputsMatchOutput && out_q && !(q == *out_q)) {
        ir::Tensor rq = twin(id, act_, "_requantized");
        set_qparams(rq, act_, *out_q);
        const ir::TensorId rid = add_tensor(g_, std::move(rq));
        before.push_back(quantize_op(qid, rid));
        op.inputs[k] = rid;
      }
      if (!in_q) in_q = q;
    }
    if (r.weights_input >= 0) {
      const ir::TensorId w = op.inputs[r.weights_input];
      const int32_t axis = o_.per_tensor ? -1 : r.weights_axis;
      auto q = quantize_weights_symmetric(model_, g_.tensors[w], axis);
      if (!q) return q.status().with_context(ir::op_name(op.code));
      ir::Tensor t = twin(w, DType::kInt8, "");
      weight_scales = q->quantization.scale;
      t.quantization = std::move(q->quantization);
      TFC_ASSIGN_OR_RETURN(op.inputs[r.weights_input], add_constant(model_, 0, std::move(t), to_bytes(q->values)));
    }
    if (r.bias_input >= 0 && static_cast<size_t>(r.bias_input) < op.inputs.size() &&
        op.inputs[r.bias_input] != ir::kNoTensor) {
      TFC_RETURN_IF_ERROR(quantize_bias(op, r, in_q.value_or(QP{1, 0}), weight_scales));
    }
    set_integer_options(op);
    return Status::ok();
  }

  QP constant_qparams(ir::TensorId id) const {
    const std::vector<float> v = float_values(id);
    double lo = 0, hi = 0;
    for (float x : v) {
      if (!std::isfinite(x)) continue;
      lo = std::min<double>(lo, x);
      hi = std::max<double>(hi, x);
    }
    auto [scale, zp] = activation_qparams(lo, hi, act_);
    return {scale, zp};
  }

  Status quantize_bias(ir::Op& op, const QuantRule& r, QP in_q, const std::vector<float>& weight_scales) {
    const ir::TensorId b = op.inputs[r.bias_input];
    const std::vector<float> v = float_values(b);
    if (weight_scales.empty()) return internal_error("quantize: bias of {} without weights", ir::op_name(op.code));
    if (weight_scales.size() != 1 && weight_scales.size() != v.size()) {
      return invalid_argument("quantize: bias '{}' of {} has {} values, but the weights have {} channels",
                              g_.tensors[b].name, ir::op_name(op.code), v.size(), weight_scales.size());
    }
    ir::Quantization quant;
    quant.axis = 0;
    std::vector<int64_t> q(v.size());
    for (size_t c = 0; c < v.size(); ++c) {
      const double scale = static_cast<double>(in_q.scale) * weight_scales[weight_scales.size() == 1 ? 0 : c];
      quant.scale.push_back(static_cast<float>(scale));
      const double x = std::isfinite(v[c]) ? std::round(v[c] / scale) : 0.0;
      q[c] = static_cast<int64_t>(std::clamp(x, -2147483647.0, 2147483647.0));
    }
    if (weight_scales.size() == 1) quant.scale.resize(1);  // per-tensor weights: one bias scale, as LiteRT expects
    quant.zero_point.assign(quant.scale.size(), 0);
    const DType dtype = is_int16(o_) ? DType::kInt64 : DType::kInt32;
    ir::Tensor t = twin(b, dtype, "");
    t.quantization = std::move(quant);
    std::vector<uint8_t> bytes;
    if (dtype == DType::kInt64) {
      bytes = to_bytes(q);
    } else {
      std::vector<int32_t> q32(q.begin(), q.end());
      bytes = to_bytes(q32);
    }
    TFC_ASSIGN_OR_RETURN(op.inputs[r.bias_input], add_constant(model_, 0, std::move(t), std::move(bytes)));
    return Status::ok();
  }

  // Options the converter sets on integer ops: int64 bias type for 16x8 conv
  // and fully connected; int16 ADD/SUB with general (not power-of-two) scales.
  void set_integer_options(ir::Op& op) const {  // NOLINT: edits op, not the quantizer
    if (!is_int16(o_)) return;
    if (auto* c = op.options_as<tflite::Conv2DOptionsT>()) c->quantized_bias_type = tflite::TensorType_INT64;
    if (auto* f = op.options_as<tflite::FullyConnectedOptionsT>()) f->quantized_bias_type = tflite::TensorType_INT64;
    if (op.code.builtin == tflite::BuiltinOperator_ADD) {
      if (!op.options_as<tflite::AddOptionsT>()) op.options.Set(tflite::AddOptionsT{});
      op.options_as<tflite::AddOptionsT>()->pot_scale_int16 = false;
    }
    if (op.code.builtin == tflite::BuiltinOperator_SUB) {
      if (!op.options_as<tflite::SubOptionsT>()) op.options.Set(tflite::SubOptionsT{});
      op.options_as<tflite::SubOptionsT>()->pot_scale_int16 = false;
    }
  }

  ir::Model& model_;
  ir::Subgraph& g_;
  const FullIntegerOptions& o_;
  DType act_;
  std::vector<bool> quantized_;
  std::map<ir::TensorId, QP> qp_;
  std::set<int32_t> touched_builtins_;
  std::vector<std::vector<ir::TensorId>> original_outputs_;
  FullIntegerReport report_;
};

}  // namespace

Expected<FullIntegerReport> quantize_full_integer(ir::Model& model, const FullIntegerOptions& options) {
  if (model.subgraphs.empty()) return invalid_argument("quantize: the model has no subgraphs");
  IntegerQuantizer q(model, options);
  return q.run();
}

}  // namespace tfc::passes
