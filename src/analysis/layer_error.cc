// Per-layer quantization error (see layer_error.h).
#include "analysis/layer_error.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include <fmt/format.h>

#include "analysis/tensor_values.h"
#include "runtime/dataset_runner.h"
#include "runtime/interpreter.h"

namespace tfc::analysis {
namespace {

struct Acc {
  double signal = 0, noise = 0, dot = 0, qq = 0, abs_sum = 0, max_abs = 0;
  int64_t count = 0;
};

bool is_activation(const ir::Model& m, const ir::Tensor& t) {
  if (m.is_constant(t)) return false;
  if (t.dtype == DType::kFloat32) return true;
  return (t.dtype == DType::kInt8 || t.dtype == DType::kUInt8 || t.dtype == DType::kInt16) && t.is_quantized() &&
         t.quantization->scale.size() == 1;
}

}  // namespace

Expected<std::vector<LayerError>> compare_layers(const ir::Model& float_model, const ir::Model& quantized_model,
                                                 const Dataset& data, const LayerErrorOptions& options) {
  const runtime::InterpreterOptions io{
      .preserve_all_tensors = true, .kernels = options.kernels, .arithmetic = options.arithmetic};
  TFC_ASSIGN_OR_RETURN(auto fi, runtime::Interpreter::create(float_model, 0, io));
  TFC_ASSIGN_OR_RETURN(auto qi, runtime::Interpreter::create(quantized_model, 0, io));
  if (fi->num_inputs() != 1 || qi->num_inputs() != 1) {
    return unsupported("per-layer comparison feeds models with one input");
  }
  const ir::Subgraph& fg = float_model.subgraphs[0];
  const ir::Subgraph& qg = quantized_model.subgraphs[0];
  // Shared activations by name: float tensor -> quantized tensor.
  std::map<std::string, ir::TensorId> float_by_name;
  for (size_t i = 0; i < fg.tensors.size(); ++i) {
    const ir::Tensor& t = fg.tensors[i];
    if (t.dtype == DType::kFloat32 && !float_model.is_constant(t)) float_by_name.emplace(t.name, static_cast<ir::TensorId>(i));
  }
  std::set<std::string> float_outputs;
  for (ir::TensorId id : fg.outputs) float_outputs.insert(fg.tensors[id].name);
  std::vector<int> producer(qg.tensors.size(), -1);
  for (size_t i = 0; i < qg.ops.size(); ++i) {
    for (ir::TensorId out : qg.ops[i].outputs) {
      if (out != ir::kNoTensor) producer[out] = static_cast<int>(i);
    }
  }
  struct Pair {
    ir::TensorId f, q;
  };
  std::vector<Pair> pairs;
  std::vector<LayerError> errors;
  for (size_t i = 0; i < qg.tensors.size(); ++i) {
    const ir::Tensor& t = qg.tensors[i];
    auto it = float_by_name.find(t.name);
    if (it == float_by_name.end() || !is_activation(quantized_model, t)) continue;
    if (fg.tensors[it->second].shape.size() != t.shape.size()) continue;
    pairs.push_back({it->second, static_cast<ir::TensorId>(i)});
    LayerError e;
    e.tensor = t.name;
    e.op_index = producer[i];
    e.op = producer[i] < 0 ? "input" : ir::op_name(qg.ops[producer[i]].code);
    e.dtype = t.dtype;
    e.scale = t.dtype == DType::kFloat32 ? 0.0 : t.quantization->scale[0];
    e.is_output = float_outputs.count(t.name) > 0;
    errors.push_back(e);
  }
  if (pairs.empty()) {
    return invalid_argument("the two models share no activation tensor names; compare a model with the file "
                            "`tfcompress quantize` made from it");
  }
  std::vector<Acc> acc(pairs.size());
  int64_t n = data.num_samples();
  if (options.max_samples > 0) n = std::min(n, options.max_samples);
  const int64_t batch = runtime::fixed_batch_size(float_model, 0);
  if (n < batch) return invalid_argument("the model takes batches of {} samples; {} given", batch, n);
  runtime::DatasetRunOptions run;
  run.batch_size = batch;
  run.max_samples = n;
  run.last_batch = runtime::LastBatch::kDrop;
  run.what = "debug";
  run.model_names = {"float model", "quantized model"};
  run.progress_label = "comparing layers";
  run.progress = options.progress;
  runtime::Interpreter* models[] = {fi.get(), qi.get()};
  TFC_RETURN_IF_ERROR(runtime::run_dataset(models, data.x, run, [&](const runtime::Batch&) -> Status {
    for (size_t p = 0; p < pairs.size(); ++p) {
      const Array fa = fi->tensor_value(pairs[p].f);
      const Array qa = qi->tensor_value(pairs[p].q);
      if (fa.num_elements() != qa.num_elements()) continue;
      TFC_ASSIGN_OR_RETURN(const auto fv, real_values(fa, fg.tensors[pairs[p].f]));
      TFC_ASSIGN_OR_RETURN(const auto qv, real_values(qa, qg.tensors[pairs[p].q]));
      Acc& a = acc[p];
      for (size_t k = 0; k < fv.size(); ++k) {
        if (!std::isfinite(fv[k]) || !std::isfinite(qv[k])) continue;
        const double d = qv[k] - fv[k];
        a.signal += fv[k] * fv[k];
        a.noise += d * d;
        a.dot += fv[k] * qv[k];
        a.qq += qv[k] * qv[k];
        a.abs_sum += std::fabs(d);
        a.max_abs = std::max(a.max_abs, std::fabs(d));
        ++a.count;
      }
    }
    return Status::ok();
  }));
  for (size_t p = 0; p < pairs.size(); ++p) {
    const Acc& a = acc[p];
    LayerError& e = errors[p];
    e.count = a.count;
    if (a.count == 0) continue;
    e.snr_db = a.noise == 0 ? std::numeric_limits<double>::infinity()
                            : 10.0 * std::log10(std::max(a.signal, 1e-300) / a.noise);
    e.cosine = a.signal > 0 && a.qq > 0 ? a.dot / std::sqrt(a.signal * a.qq) : (a.noise == 0 ? 1.0 : 0.0);
    e.max_abs = a.max_abs;
    e.mean_abs = a.abs_sum / static_cast<double>(a.count);
    e.max_steps = e.scale > 0 ? a.max_abs / e.scale : 0.0;
  }
  std::stable_sort(errors.begin(), errors.end(), [](const LayerError& a, const LayerError& b) { return a.snr_db < b.snr_db; });
  return errors;
}

nlohmann::json layer_errors_json(const std::vector<LayerError>& errors) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& e : errors) {
    out.push_back({{"tensor", e.tensor},
                   {"op", e.op},
                   {"op_index", e.op_index},
                   {"dtype", dtype_name(e.dtype)},
                   {"scale", e.scale},
                   {"is_output", e.is_output},
                   {"count", e.count},
                   {"snr_db", std::isfinite(e.snr_db) ? nlohmann::json(e.snr_db) : nlohmann::json("inf")},
                   {"cosine", e.cosine},
                   {"max_abs_error", e.max_abs},
                   {"mean_abs_error", e.mean_abs},
                   {"max_error_steps", e.max_steps}});
  }
  return out;
}

std::string render_layer_errors(const std::vector<LayerError>& errors, int top) {
  std::string out = fmt::format("{:>8} {:>8} {:>11} {:>11} {:>9}  {:<18} {}\n", "SNR dB", "cosine", "max err",
                                "mean err", "max steps", "op", "tensor");
  auto row = [&](const LayerError& e) {
    out += fmt::format("{:>8.2f} {:>8.5f} {:>11.4g} {:>11.4g} {:>9.2f}  {:<18} {}{}\n", e.snr_db, e.cosine, e.max_abs,
                       e.mean_abs, e.max_steps, fmt::format("{}#{}", e.op, e.op_index), e.tensor,
                       e.is_output ? "  (model output)" : "");
  };
  int shown = 0;
  for (const auto& e : errors) {
    if (top > 0 && shown >= top) break;
    row(e);
    ++shown;
  }
  if (top > 0 && static_cast<int>(errors.size()) > top) {
    out += fmt::format("... {} more tensors (--top 0 shows all)\n", errors.size() - static_cast<size_t>(top));
    for (const auto& e : errors) {
      if (e.is_output) {
        out += "model output:\n";
        row(e);
      }
    }
  }
  return out;
}

}  // namespace tfc::analysis
