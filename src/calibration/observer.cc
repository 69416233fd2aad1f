// Implementation of observer.h: per-batch recording and calibration over a
// dataset (runtime/dataset_runner.h runs the batches).
#include "calibration/observer.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "io/tflite_writer.h"
#include "runtime/dataset_runner.h"

namespace tfc::calibration {

Expected<ModelFingerprint> fingerprint_model(const ir::Model& model) {
  TFC_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, io::serialize_tflite(model));
  return fingerprint_bytes(bytes);
}

ActivationObserver::ActivationObserver(const ir::Model& model, int subgraph, double momentum)
    : graph_(model.subgraphs.at(static_cast<size_t>(subgraph))), subgraph_(subgraph), momentum_(momentum) {
  std::vector<bool> observed(graph_.tensors.size(), false);
  auto mark = [&](ir::TensorId id) {
    const ir::Tensor& t = graph_.tensors[static_cast<size_t>(id)];
    if (t.dtype == DType::kFloat32 && !model.is_constant(t)) observed[static_cast<size_t>(id)] = true;
  };
  for (ir::TensorId id : graph_.inputs) mark(id);
  for (const ir::Op& op : graph_.ops) {
    for (ir::TensorId id : op.outputs) mark(id);
  }
  slot_of_.assign(graph_.tensors.size(), -1);
  for (size_t id = 0; id < observed.size(); ++id) {
    if (!observed[id]) continue;
    slot_of_[id] = static_cast<int32_t>(stats_.size());
    TensorStats s;
    s.index = static_cast<int32_t>(id);
    s.name = graph_.tensors[id].name;
    stats_.push_back(std::move(s));
  }
  biased_min_.assign(stats_.size(), 0.0);
  biased_max_.assign(stats_.size(), 0.0);
}

void ActivationObserver::attach(runtime::Interpreter& interp) {
  const runtime::Interpreter* source = &interp;
  interp.set_observer([this, source](int op_index, const ir::Op&, std::span<ops::TensorSlot* const> outputs) {
    on_op(*source, op_index, outputs);
  });
}

void ActivationObserver::on_op(const runtime::Interpreter& interp, int op_index,
                               std::span<ops::TensorSlot* const> outputs) {
  if (op_index == 0) {  // a new invoke: its inputs are one more batch
    for (ir::TensorId id : graph_.inputs) {
      if (slot_of_[static_cast<size_t>(id)] < 0) continue;
      const Array value = interp.tensor_value(id);
      record(id, std::span<const float>(value.as<float>(), static_cast<size_t>(value.num_elements())));
    }
  }
  for (const ops::TensorSlot* slot : outputs) {
    const auto id = static_cast<size_t>(slot->tensor - graph_.tensors.data());
    if (id >= slot_of_.size() || slot_of_[id] < 0 || !slot->data) continue;
    const auto n = static_cast<size_t>(ir::num_elements(slot->shape));
    record(static_cast<int32_t>(id), std::span<const float>(static_cast<const float*>(slot->data), n));
  }
}

void ActivationObserver::record(int32_t index, std::span<const float> values) {
  if (index < 0 || static_cast<size_t>(index) >= slot_of_.size() || slot_of_[static_cast<size_t>(index)] < 0) return;
  const auto slot = static_cast<size_t>(slot_of_[static_cast<size_t>(index)]);
  TensorStats& s = stats_[slot];
  float batch_min = std::numeric_limits<float>::infinity(), batch_max = -batch_min;
  for (float v : values) {
    if (!std::isfinite(v)) continue;
    batch_min = std::min(batch_min, v);
    batch_max = std::max(batch_max, v);
  }
  s.non_finite += s.histogram.add(values);
  if (batch_min > batch_max) return;  // no finite value in this batch
  // Moving average of the batch range with 0 kept inside, debiased (stats.h).
  ++s.batches;
  biased_min_[slot] = momentum_ * biased_min_[slot] + (1 - momentum_) * std::min(batch_min, 0.0f);
  biased_max_[slot] = momentum_ * biased_max_[slot] + (1 - momentum_) * std::max(batch_max, 0.0f);
  const double debias = 1 - std::pow(momentum_, static_cast<double>(s.batches));
  s.ema_min = debias > 0 ? biased_min_[slot] / debias : std::min(batch_min, 0.0f);
  s.ema_max = debias > 0 ? biased_max_[slot] / debias : std::max(batch_max, 0.0f);
}

CalibrationStats ActivationObserver::stats() const {
  CalibrationStats out;
  out.subgraph = subgraph_;
  out.momentum = momentum_;
  out.tensors = stats_;
  return out;
}

namespace {

Status check_options(const ir::Model& model, const CalibrationOptions& options) {
  if (options.batch_size < 1) return invalid_argument("calibration batch size must be at least 1, got {}", options.batch_size);
  if (!(options.momentum >= 0 && options.momentum < 1)) {
    return invalid_argument("moving-average momentum must be in [0, 1), got {}", options.momentum);
  }
  if (options.max_samples < 0) return invalid_argument("max_samples must be >= 0, got {}", options.max_samples);
  if (options.subgraph < 0 || static_cast<size_t>(options.subgraph) >= model.subgraphs.size()) {
    return invalid_argument("subgraph {} does not exist (the model has {})", options.subgraph, model.subgraphs.size());
  }
  return Status::ok();
}

}  // namespace

Expected<CalibrationStats> calibrate(const ir::Model& model, const Dataset& representative,
                                     const CalibrationOptions& options_in) {
  CalibrationOptions options = options_in;
  const int64_t fixed = runtime::fixed_batch_size(model, options.subgraph);
  TFC_RETURN_IF_ERROR(check_options(model, options));
  TFC_ASSIGN_OR_RETURN(auto interp, runtime::Interpreter::create(model, options.subgraph,
                                                                 {.kernels = options.kernels,
                                                                  .arithmetic = options.arithmetic}));
  if (interp->num_inputs() != 1) {
    return unsupported("calibration feeds one array per sample, but the model has {} inputs", interp->num_inputs());
  }
  TFC_ASSIGN_OR_RETURN(ModelFingerprint fingerprint, fingerprint_model(model));
  int64_t n = representative.num_samples();
  if (options.max_samples > 0) n = std::min(n, options.max_samples);
  if (n == 0) return invalid_argument("the representative dataset has no samples");
  if (fixed > 1) {
    if (n < fixed) {
      return invalid_argument("the model's input takes batches of exactly {} samples; the representative dataset has {}",
                              fixed, n);
    }
    options.batch_size = static_cast<int32_t>(fixed);
    n -= n % fixed;
  }

  ActivationObserver observer(model, options.subgraph, options.momentum);
  observer.attach(*interp);
  runtime::DatasetRunOptions run;
  run.batch_size = options.batch_size;
  run.max_samples = n;
  run.what = "calibration";
  run.progress_label = "calibrating";
  run.progress = options.progress;
  runtime::Interpreter* models[] = {interp.get()};
  TFC_RETURN_IF_ERROR(runtime::run_dataset(models, representative.x, run));

  CalibrationStats stats = observer.stats();
  stats.model = fingerprint;
  stats.num_samples = n;
  stats.batch_size = options.batch_size;
  return stats;
}

}  // namespace tfc::calibration
