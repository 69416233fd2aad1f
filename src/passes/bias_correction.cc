// Bias correction for weight quantization (see ptq.h): quantizing weights
// W -> W' shifts each output channel's mean by sum_k (W' - W)[c, k] * E[x_k];
// subtracting that shift from the float bias before quantization removes the
// systematic part of the error (Nagel et al., "Data-Free Quantization Through
// Weight Equalization and Bias Correction", 2019, the empirical variant: E[x]
// per input channel is measured on the representative data). Taps that fall
// in padding are counted like the rest (a small overcorrection at borders).
#include <cstring>
#include <map>

#include "kernels/quantize_ref.h"
#include "ops/quant_rules.h"
#include "passes/graph_edit.h"
#include "passes/ptq.h"
#include "runtime/dataset_runner.h"
#include "runtime/interpreter.h"

namespace tfc::passes {
namespace {

struct Candidate {
  size_t op = 0;
  ir::TensorId input = ir::kNoTensor;
};

}  // namespace

Expected<int> correct_bias(ir::Model& model, const Dataset& data, int64_t max_samples, bool per_tensor,
                           runtime::InterpreterOptions runtime) {
  ir::Subgraph& g = model.subgraphs[0];
  std::vector<Candidate> candidates;
  for (size_t i = 0; i < g.ops.size(); ++i) {
    const ir::Op& op = g.ops[i];
    const int32_t b = op.code.builtin;
    if (op.code.is_custom() || (b != tflite::BuiltinOperator_CONV_2D && b != tflite::BuiltinOperator_DEPTHWISE_CONV_2D &&
                                b != tflite::BuiltinOperator_FULLY_CONNECTED)) {
      continue;
    }
    if (op.inputs.size() < 2 || op.inputs[0] == ir::kNoTensor || op.inputs[1] == ir::kNoTensor) continue;
    const ir::Tensor& w = g.tensors[op.inputs[1]];
    const ir::Tensor& x = g.tensors[op.inputs[0]];
    if (w.dtype != DType::kFloat32 || !model.is_constant(w) || w.sparsity || x.dtype != DType::kFloat32) continue;
    if (x.shape.empty()) continue;
    if (op.inputs.size() > 2 && op.inputs[2] != ir::kNoTensor) {
      const ir::Tensor& bias = g.tensors[op.inputs[2]];
      if (bias.dtype != DType::kFloat32 || !model.is_constant(bias)) continue;
    }
    candidates.push_back({i, op.inputs[0]});
  }
  if (candidates.empty()) return 0;

  // E[x] per channel (the last dim) of every candidate's input.
  std::map<ir::TensorId, std::pair<std::vector<double>, int64_t>> sums;
  runtime.preserve_all_tensors = true;
  TFC_ASSIGN_OR_RETURN(auto interp, runtime::Interpreter::create(model, 0, runtime));
  runtime::DatasetRunOptions run;
  run.batch_size = runtime::fixed_batch_size(model, 0);
  run.max_samples = max_samples;
  run.last_batch = runtime::LastBatch::kDrop;
  run.what = "bias correction";
  runtime::Interpreter* models[] = {interp.get()};
  TFC_RETURN_IF_ERROR(runtime::run_dataset(models, data.x, run, [&](const runtime::Batch&) {
    for (const Candidate& c : candidates) {
      const Array v = interp->tensor_value(c.input);
      if (v.shape.empty() || v.dtype != DType::kFloat32) continue;
      const int64_t channels = v.shape.back();
      auto& [sum, count] = sums[c.input];
      sum.resize(static_cast<size_t>(channels), 0.0);
      const float* p = v.as<float>();
      for (int64_t k = 0; k < v.num_elements(); ++k) sum[static_cast<size_t>(k % channels)] += p[k];
      count += channels > 0 ? v.num_elements() / channels : 0;
    }
    return Status::ok();
  }));

  int corrected = 0;
  for (const Candidate& c : candidates) {
    auto it = sums.find(c.input);
    if (it == sums.end() || it->second.second == 0) continue;
    std::vector<double> mean = it->second.first;
    for (double& m : mean) m /= static_cast<double>(it->second.second);
    ir::Op& op = g.ops[c.op];
    const ops::QuantRule* rule = ops::find_quant_rule(op.code.builtin);
    const ir::Tensor& wt = g.tensors[op.inputs[1]];
    const std::vector<float> w = float_constant(model, wt);
    const int32_t axis = per_tensor ? -1 : (rule ? rule->weights_axis : 0);
    TFC_ASSIGN_OR_RETURN(const SymmetricWeights sw, quantize_weights_symmetric(model, wt, axis));
    const std::vector<int8_t>& q = sw.values;
    const std::vector<float>& scales = sw.quantization.scale;
    const bool depthwise = op.code.builtin == tflite::BuiltinOperator_DEPTHWISE_CONV_2D;
    const int64_t out_channels = depthwise ? wt.shape.back() : wt.shape[0];
    const int64_t in_channels = static_cast<int64_t>(mean.size());
    if (out_channels <= 0 || in_channels <= 0) continue;
    std::vector<double> shift(static_cast<size_t>(out_channels), 0.0);
    const int64_t per_out = static_cast<int64_t>(w.size()) / out_channels;
    bool shapes_ok = true;
    for (int64_t k = 0; k < static_cast<int64_t>(w.size()); ++k) {
      int64_t oc, ic;
      if (depthwise) {  // [1, KH, KW, Cout], Cout = Cin * multiplier
        oc = k % out_channels;
        ic = oc / std::max<int64_t>(1, out_channels / in_channels);
      } else {  // [Cout, ..., Cin]
        oc = k / per_out;
        ic = k % wt.shape.back();
      }
      if (ic >= in_channels) {
        shapes_ok = false;
        break;
      }
      const float scale = scales.size() == 1 ? scales[0] : scales[static_cast<size_t>(depthwise ? oc : oc)];
      const double dw = static_cast<double>(q[static_cast<size_t>(k)]) * scale - w[static_cast<size_t>(k)];
      shift[static_cast<size_t>(oc)] += dw * mean[static_cast<size_t>(ic)];
    }
    if (!shapes_ok) continue;
    std::vector<float> bias(static_cast<size_t>(out_channels), 0.0f);
    const bool has_bias = op.inputs.size() > 2 && op.inputs[2] != ir::kNoTensor;
    if (has_bias) {
      bias = float_constant(model, g.tensors[op.inputs[2]]);
      if (bias.size() != static_cast<size_t>(out_channels)) continue;
    }
    for (size_t oc = 0; oc < bias.size(); ++oc) bias[oc] = static_cast<float>(bias[oc] - shift[oc]);
    ir::Tensor t;
    t.name = has_bias ? g.tensors[op.inputs[2]].name : wt.name + "/bias";
    t.dtype = DType::kFloat32;
    t.shape = {static_cast<int32_t>(out_channels)};
    t.has_rank = true;
    TFC_ASSIGN_OR_RETURN(const ir::TensorId id, add_constant(model, 0, std::move(t), to_bytes(bias)));
    if (op.inputs.size() < 3) op.inputs.resize(3, ir::kNoTensor);
    op.inputs[2] = id;
    ++corrected;
  }
  // Replaced biases stay until the caller cleans up: removing tensors now
  // would renumber the activations whose calibration ranges the caller holds.
  return corrected;
}

}  // namespace tfc::passes
