// The trainer (train/trainer.h).
#include "train/trainer.h"

#include <cmath>
#include <cstring>

#include "ops/registry.h"

namespace tfc::train {

Array float_array(const ir::Shape& shape, const float* data) {
  Array a;
  a.dtype = DType::kFloat32;
  a.shape.assign(shape.begin(), shape.end());
  a.data.resize(static_cast<size_t>(a.num_elements()) * 4);
  if (data) std::memcpy(a.data.data(), data, a.data.size());
  return a;
}

Array int64_scalar(int64_t value) {
  Array a;
  a.dtype = DType::kInt64;
  a.data.resize(8);
  std::memcpy(a.data.data(), &value, 8);
  return a;
}

std::optional<int64_t> find_int64(const std::vector<NamedArray>& arrays, const std::string& name) {
  for (const NamedArray& a : arrays) {
    if (a.name == name && a.array.dtype == DType::kInt64 && a.array.data.size() == 8) {
      int64_t v;
      std::memcpy(&v, a.array.data.data(), 8);
      return v;
    }
  }
  return std::nullopt;
}

namespace {

// Keras's glorot_uniform limit for a kernel in the IR's layout: conv OHWI,
// depthwise [1, H, W, C*M] (Keras [H, W, C, M]: fans H*W*C and H*W*M, with C
// the depthwise op's input channels), dense [out, in], transpose conv OHWI of
// the output channels.
float glorot_limit(int32_t builtin, const ir::Shape& s, int32_t input_channels) {
  double fan_in = 1, fan_out = 1;
  if (s.size() == 4 && builtin == tflite::BuiltinOperator_DEPTHWISE_CONV_2D && input_channels > 0) {
    const double field = static_cast<double>(s[1]) * s[2];
    fan_in = field * input_channels;
    fan_out = field * (s[3] / input_channels);
  } else if (s.size() == 4) {
    const double field = static_cast<double>(s[1]) * s[2];
    fan_in = field * s[3];
    fan_out = field * s[0];
    if (builtin == tflite::BuiltinOperator_TRANSPOSE_CONV) std::swap(fan_in, fan_out);
  } else if (s.size() == 2) {
    fan_in = s[1];
    fan_out = s[0];
  }
  return static_cast<float>(std::sqrt(6.0 / (fan_in + fan_out)));
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

Expected<std::unique_ptr<Trainer>> Trainer::create(const ir::Model& inference, const importers::TrainingState* state,
                                                   const TrainerOptions& options,
                                                   std::unique_ptr<Optimizer> optimizer) {
  if (options.batch < 1) return invalid_argument("the batch size must be at least 1, got {}", options.batch);
  std::unique_ptr<Trainer> t(new Trainer(inference, state, options));
  TrainGraphOptions go;
  go.batch = options.batch;
  go.freeze = options.freeze;
  TFC_ASSIGN_OR_RETURN(t->graph_, build_train_graph(inference, state, go));
  const ir::Subgraph& g = t->graph_.model.subgraphs.at(0);
  if (g.outputs.empty() || g.tensors[static_cast<size_t>(g.outputs[0])].dtype != DType::kFloat32) {
    return invalid_argument("the model's first output must be float32 to train on a loss");
  }
  TFC_ASSIGN_OR_RETURN(t->executor_, Executor::create(t->graph_, options.executor));
  t->optimizer_ = std::move(optimizer);
  for (ParamBuffer& p : t->executor_->params()) {
    if (!p.frozen) {
      t->slots_.push_back(ParamSlot{p.name, p.value.data(), p.grad.data(), static_cast<int64_t>(p.value.size())});
    }
  }
  if (options.reinit) t->reinitialize();
  for (const NoiseInput& n : t->graph_.noise) {
    const ir::Tensor& tensor = g.tensors[static_cast<size_t>(n.tensor)];
    t->noise_.push_back(float_array(tensor.shape, nullptr));
  }
  return t;
}

// Keras's default initializers, by the op that reads each parameter: kernels
// of conv, depthwise, transpose conv and dense glorot_uniform, their biases
// and PReLU slopes zero, embeddings uniform(-0.05, 0.05), batch
// normalization gamma 1 and beta 0 (moving statistics 0 and 1). Other
// parameters (rescaling constants) keep their values.
void Trainer::reinitialize() {
  std::mt19937_64 rng(options_.seed ^ 0x5eed1417ULL);
  const ir::Subgraph& g = graph_.model.subgraphs[0];
  for (ParamBuffer& p : executor_->params()) {
    if (p.frozen) continue;
    int32_t reader = -1, input_channels = 0;
    size_t slot = 0;
    for (const ir::Op& op : g.ops) {
      for (size_t k = 0; k < op.inputs.size(); ++k) {
        if (op.inputs[k] == p.tensor && reader < 0) {
          reader = op.code.builtin;
          slot = k;
          const ir::TensorId x = op.inputs.empty() ? ir::kNoTensor : op.inputs[0];
          if (x != ir::kNoTensor && !g.tensors[static_cast<size_t>(x)].shape.empty()) {
            input_channels = g.tensors[static_cast<size_t>(x)].shape.back();
          }
        }
      }
    }
    const ir::Shape& shape = g.tensors[static_cast<size_t>(p.tensor)].shape;
    const bool conv_like = reader == tflite::BuiltinOperator_CONV_2D || reader == tflite::BuiltinOperator_DEPTHWISE_CONV_2D ||
                           reader == tflite::BuiltinOperator_FULLY_CONNECTED;
    const bool tconv = reader == tflite::BuiltinOperator_TRANSPOSE_CONV;
    if (ends_with(p.name, "/gamma")) {
      std::fill(p.value.begin(), p.value.end(), 1.0f);
    } else if (ends_with(p.name, "/beta")) {
      std::fill(p.value.begin(), p.value.end(), 0.0f);
    } else if ((conv_like && slot == 1) || (tconv && slot == 1)) {
      const float limit = glorot_limit(reader, shape, input_channels);
      std::uniform_real_distribution<float> u(-limit, limit);
      for (float& v : p.value) v = u(rng);
    } else if ((conv_like && slot == 2) || (tconv && slot == 3) || reader == tflite::BuiltinOperator_PRELU) {
      std::fill(p.value.begin(), p.value.end(), 0.0f);
    } else if (reader == tflite::BuiltinOperator_GATHER && slot == 0) {
      std::uniform_real_distribution<float> u(-0.05f, 0.05f);
      for (float& v : p.value) v = u(rng);
    }
  }
  for (BatchNormTraining& bn : graph_.batch_norms) {
    std::fill(bn.moving_mean.as<float>(), bn.moving_mean.as<float>() + bn.moving_mean.num_elements(), 0.0f);
    std::fill(bn.moving_variance.as<float>(), bn.moving_variance.as<float>() + bn.moving_variance.num_elements(), 1.0f);
  }
}

// The model's inputs, then the noise inputs drawn from (seed, step).
Status Trainer::feed(const std::vector<Array>& inputs) {
  if (static_cast<int>(inputs.size()) != graph_.num_data_inputs) {
    return invalid_argument("the model has {} inputs, the data {}", graph_.num_data_inputs, inputs.size());
  }
  for (size_t i = 0; i < inputs.size(); ++i) TFC_RETURN_IF_ERROR(executor_->set_input(static_cast<int>(i), inputs[i]));
  std::mt19937_64 rng(options_.seed * 0x9E3779B97F4A7C15ULL + static_cast<uint64_t>(steps_) + 1);
  const int64_t batch = inputs.empty() || inputs[0].shape.empty() ? 1 : inputs[0].shape[0];
  for (size_t k = 0; k < graph_.noise.size(); ++k) {
    const NoiseInput& n = graph_.noise[k];
    Array& a = noise_[k];
    const ir::Shape& full = graph_.model.subgraphs[0].tensors[static_cast<size_t>(n.tensor)].shape;
    a.shape.assign(full.begin(), full.end());
    if (!a.shape.empty() && a.shape[0] > 1) a.shape[0] = batch;
    float* v = a.as<float>();
    const int64_t count = a.num_elements();
    if (n.class_name == "GaussianNoise") {
      std::normal_distribution<float> d(0.0f, n.rate);
      for (int64_t i = 0; i < count; ++i) v[i] = d(rng);
    } else if (n.class_name == "GaussianDropout") {
      std::normal_distribution<float> d(1.0f, std::sqrt(n.rate / (1.0f - n.rate)));
      for (int64_t i = 0; i < count; ++i) v[i] = d(rng);
    } else {
      std::bernoulli_distribution keep(1.0 - n.rate);
      const float scale = 1.0f / (1.0f - n.rate);
      for (int64_t i = 0; i < count; ++i) v[i] = keep(rng) ? scale : 0.0f;
    }
    TFC_RETURN_IF_ERROR(executor_->set_input(graph_.num_data_inputs + static_cast<int>(k), a));
  }
  return Status::ok();
}

Expected<StepResult> Trainer::forward_backward(const std::vector<Array>& inputs, const Array& labels) {
  TFC_RETURN_IF_ERROR(feed(inputs));
  TFC_RETURN_IF_ERROR(executor_->forward());
  StepResult r;
  const ir::Shape& shape = executor_->output_shape(0);
  r.samples = shape.empty() ? 1 : shape[0];
  TFC_ASSIGN_OR_RETURN(r.loss, compute_loss(options_.loss, executor_->output(0), shape, labels,
                                            executor_->output_grad(0), &loss_scratch_));
  // Top-1 accuracy where the output and labels are a classifier's; else no accuracy.
  auto correct = count_top1_correct(executor_->output(0), shape, labels, &loss_scratch_);
  r.correct = correct ? *correct : 0;
  r.classified = correct.has_value();
  if (!std::isfinite(r.loss)) return r;
  TFC_RETURN_IF_ERROR(executor_->backward());
  return r;
}

Expected<StepResult> Trainer::gradients(const std::vector<Array>& inputs, const Array& labels) {
  return forward_backward(inputs, labels);
}

Expected<StepResult> Trainer::step(const std::vector<Array>& inputs, const Array& labels, double lr) {
  TFC_ASSIGN_OR_RETURN(StepResult r, forward_backward(inputs, labels));
  if (!std::isfinite(r.loss)) return r;  // the caller stops; nothing was updated
  TFC_RETURN_IF_ERROR(optimizer_->step(slots_, lr));
  update_moving_statistics();
  ++steps_;
  return r;
}

// m = m * momentum + batch * (1 - momentum), as Keras's BatchNormalization.
void Trainer::update_moving_statistics() {
  for (BatchNormTraining& bn : graph_.batch_norms) {
    const float* mean = executor_->tensor_data(bn.batch_mean);
    const float* var = executor_->tensor_data(bn.batch_variance);
    float* mm = bn.moving_mean.as<float>();
    float* mv = bn.moving_variance.as<float>();
    const float m = bn.momentum;
    for (int64_t c = 0; c < bn.moving_mean.num_elements(); ++c) {
      mm[c] = mm[c] * m + mean[c] * (1.0f - m);
      mv[c] = mv[c] * m + var[c] * (1.0f - m);
    }
  }
}

Expected<ir::Model> Trainer::export_model() const {
  std::vector<Array> values;
  const ir::Subgraph& g = graph_.model.subgraphs[0];
  for (const ParamBuffer& p : executor_->params()) {
    values.push_back(float_array(g.tensors[static_cast<size_t>(p.tensor)].shape, p.value.data()));
  }
  return export_inference(inference_, state_, graph_, values);
}

std::vector<const ir::Tensor*> Trainer::data_inputs() const {
  const ir::Subgraph& g = graph_.model.subgraphs[0];
  std::vector<const ir::Tensor*> inputs;
  for (int i = 0; i < graph_.num_data_inputs; ++i) {
    inputs.push_back(&g.tensors[static_cast<size_t>(g.inputs[static_cast<size_t>(i)])]);
  }
  return inputs;
}

std::vector<NamedArray> Trainer::last_noise() const {
  std::vector<NamedArray> out;
  for (size_t k = 0; k < graph_.noise.size(); ++k) out.push_back({graph_.noise[k].layer, noise_[k]});
  return out;
}

std::vector<NamedArray> Trainer::state() const {
  std::vector<NamedArray> out;
  const ir::Subgraph& g = graph_.model.subgraphs[0];
  for (const ParamBuffer& p : executor_->params()) {
    out.push_back({"param:" + p.name, float_array(g.tensors[static_cast<size_t>(p.tensor)].shape, p.value.data())});
  }
  for (const BatchNormTraining& bn : graph_.batch_norms) {
    out.push_back({"moving_mean:" + bn.layer, bn.moving_mean});
    out.push_back({"moving_variance:" + bn.layer, bn.moving_variance});
  }
  for (NamedArray& a : optimizer_->state()) out.push_back({"optimizer:" + a.name, std::move(a.array)});
  out.push_back({"step", int64_scalar(steps_)});
  return out;
}

Status Trainer::load_state(const std::vector<NamedArray>& state) {
  std::vector<NamedArray> optimizer_state;
  auto find = [&](const std::string& name) -> const Array* {
    for (const NamedArray& a : state) {
      if (a.name == name) return &a.array;
    }
    return nullptr;
  };
  for (ParamBuffer& p : executor_->params()) {
    const Array* a = find("param:" + p.name);
    if (!a || a->dtype != DType::kFloat32 || static_cast<size_t>(a->num_elements()) != p.value.size()) {
      return invalid_argument("the checkpoint has no parameter '{}' of {} float32 values: it is from another model",
                              p.name, p.value.size());
    }
    std::memcpy(p.value.data(), a->data.data(), a->data.size());
  }
  for (BatchNormTraining& bn : graph_.batch_norms) {
    const Array* m = find("moving_mean:" + bn.layer);
    const Array* v = find("moving_variance:" + bn.layer);
    if (!m || !v || m->data.size() != bn.moving_mean.data.size() || v->data.size() != bn.moving_variance.data.size()) {
      return invalid_argument("the checkpoint has no moving statistics of '{}'", bn.layer);
    }
    bn.moving_mean = *m;
    bn.moving_variance = *v;
  }
  for (const NamedArray& a : state) {
    if (a.name.rfind("optimizer:", 0) == 0) optimizer_state.push_back({a.name.substr(10), a.array});
  }
  TFC_RETURN_IF_ERROR(optimizer_->load_state(optimizer_state));
  const auto step = find_int64(state, "step");
  if (!step) return invalid_argument("the checkpoint has no step");
  steps_ = *step;
  return Status::ok();
}

}  // namespace tfc::train
