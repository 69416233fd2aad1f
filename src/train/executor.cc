// The training executor (train/executor.h).
#include "train/executor.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>

#include "ir/verify.h"
#include "passes/op_pattern.h"
#include "kernels/conv_grad_ref.h"
#include "ops/conv_options.h"
#include "ops/grad_util.h"
#include "ops/registry.h"
#include "runtime/fast/dnnl_backward.h"
#include "runtime/fast/float_loops.h"
#include "runtime/memory_plan.h"

// libgomp's (see runtime/fast/fast_kernel.cc): oneDNN's team on this thread.
extern "C" void omp_set_num_threads(int);

namespace tfc::train {

namespace {
constexpr int64_t kAlign = 64;
int64_t align_up(int64_t n) { return (n + kAlign - 1) / kAlign * kAlign; }
}  // namespace

// An op on the fast path: its oneDNN convolutions or pooling (prepared for
// the planned input shape), FULLY_CONNECTED's dims (sgemm, any batch), or
// the bounds of RELU6 / RELU_N1_TO_1 (a plain loop, any batch).
struct Executor::FastOp {
  bool fc = false;
  bool clamp = false;
  float lo = 0.0f, hi = 0.0f;
  kernels::Activation activation = kernels::Activation::kNone;
  ir::Shape input_shape;  // planned input 0 (convolutions run only on it)
  std::unique_ptr<runtime::fast::ConvForward> forward;
  std::unique_ptr<runtime::fast::ConvBackward> backward;
  std::unique_ptr<runtime::fast::PoolTraining> pool;
  int32_t depth = 0, units = 0;
};

// A training-mode batch normalization run as one (BatchNormTraining on
// oneDNN): ops [first, last] of the graph, from the MEAN of x to the ADD
// writing y, prepared for x's planned shape.
struct Executor::BatchNormGroup {
  int first = 0, last = 0;
  ir::TensorId x = ir::kNoTensor, mean = ir::kNoTensor, variance = ir::kNoTensor, y = ir::kNoTensor;
  ir::TensorId gamma = ir::kNoTensor, beta = ir::kNoTensor;  // kNoTensor where the layer has no scale / center
  float epsilon = 0.0f;
  ir::Shape x_shape;
  std::unique_ptr<runtime::fast::BatchNormTraining> bn;
  bool ran = false;  // the last forward ran the group fused (so its backward does too)
};

Executor::Executor(const TrainGraph& graph, const ExecutorOptions& options)
    : graph_(graph), g_(graph.model.subgraphs.at(0)), options_(options) {}
Executor::~Executor() = default;

Expected<std::unique_ptr<Executor>> Executor::create(const TrainGraph& graph, const ExecutorOptions& options) {
  if (graph.model.subgraphs.empty()) return invalid_argument("the training graph has no subgraph");
  if (options.threads < 1) return invalid_argument("the executor needs at least 1 thread, got {}", options.threads);
  std::unique_ptr<Executor> ex(new Executor(graph, options));
  omp_set_num_threads(options.threads);  // oneDNN primitives size their teams when created
  TFC_RETURN_IF_ERROR(ex->bind());
  TFC_RETURN_IF_ERROR(ex->mark_gradients());
  TFC_RETURN_IF_ERROR(ex->find_batch_norm_groups());
  TFC_RETURN_IF_ERROR(ex->plan());
  TFC_RETURN_IF_ERROR(ex->prepare_fast());
  return ex;
}

// A fast path for each float32 CONV_2D, DEPTHWISE_CONV_2D and
// FULLY_CONNECTED whose convolutions oneDNN accepts (else the reference path).
Status Executor::prepare_fast() {
  fast_.resize(g_.ops.size());
  if (!options_.fast) return Status::ok();
  for (size_t i = 0; i < g_.ops.size(); ++i) {
    const ir::Op& op = g_.ops[i];
    if (op.code.is_custom()) continue;
    const auto code = op.code.builtin;
    if (code == tflite::BuiltinOperator_RELU6 || code == tflite::BuiltinOperator_RELU_N1_TO_1) {
      fast_[i] = clamp_op(contexts_[i], code == tflite::BuiltinOperator_RELU6 ? 0.0f : -1.0f,
                          code == tflite::BuiltinOperator_RELU6 ? 6.0f : 1.0f);
      continue;
    }
    if (code == tflite::BuiltinOperator_MAX_POOL_2D || code == tflite::BuiltinOperator_AVERAGE_POOL_2D) {
      fast_[i] = pool_op(contexts_[i], code == tflite::BuiltinOperator_MAX_POOL_2D);
      continue;
    }
    const bool fc = code == tflite::BuiltinOperator_FULLY_CONNECTED;
    const bool depthwise = code == tflite::BuiltinOperator_DEPTHWISE_CONV_2D;
    if (!fc && !depthwise && code != tflite::BuiltinOperator_CONV_2D) continue;
    const ops::OpContext& ctx = contexts_[i];
    if (ctx.num_inputs() < 2 || !ctx.has_input(0) || !ctx.has_input(1) || ctx.num_outputs() != 1) continue;
    bool is_float = ctx.output_dtype(0) == DType::kFloat32;
    for (int k = 0; k < ctx.num_inputs(); ++k) is_float = is_float && (!ctx.has_input(k) || ctx.input_dtype(k) == DType::kFloat32);
    if (!is_float) continue;
    auto f = std::make_unique<FastOp>();
    f->fc = fc;
    f->input_shape = ctx.input_shape(0);
    if (fc) {
      if (ctx.input_shape(1).size() != 2) continue;
      const auto& o = ops::options_or_default<tflite::FullyConnectedOptionsT>(ctx);
      f->activation = ops::to_activation(o.fused_activation_function);
      f->units = ctx.input_shape(1)[0];
      f->depth = ctx.input_shape(1)[1];
    } else {
      if (ctx.input_shape(0).size() != 4 || ctx.input_shape(1).size() != 4) continue;
      const kernels::ConvParams p =
          depthwise ? ops::conv_params(ops::options_or_default<tflite::DepthwiseConv2DOptionsT>(ctx))
                    : ops::conv_params(ops::options_or_default<tflite::Conv2DOptionsT>(ctx));
      f->activation = p.activation;
      auto fwd = runtime::fast::ConvForward::create(p, depthwise, ctx.input_shape(0), ctx.input_shape(1),
                                                    ctx.output_shape(0));
      auto bwd = runtime::fast::ConvBackward::create(p, depthwise, ctx.input_shape(0), ctx.input_shape(1),
                                                     ctx.output_shape(0));
      if (!fwd.has_value() || !bwd.has_value()) continue;
      f->forward = std::move(*fwd);
      f->backward = std::move(*bwd);
    }
    fast_[i] = std::move(f);
  }
  return Status::ok();
}

// RELU6 / RELU_N1_TO_1 on float32 (else nullptr: the reference path).
std::unique_ptr<Executor::FastOp> Executor::clamp_op(const ops::OpContext& ctx, float lo, float hi) {
  if (ctx.num_inputs() != 1 || !ctx.has_input(0) || ctx.num_outputs() != 1 ||
      ctx.input_dtype(0) != DType::kFloat32 || ctx.output_dtype(0) != DType::kFloat32)
    return nullptr;
  auto f = std::make_unique<FastOp>();
  f->clamp = true;
  f->lo = lo;
  f->hi = hi;
  return f;
}

// MAX_POOL_2D / AVERAGE_POOL_2D on float32 NHWC without a fused activation
// (else nullptr: the reference path).
std::unique_ptr<Executor::FastOp> Executor::pool_op(const ops::OpContext& ctx, bool max) {
  if (ctx.num_inputs() != 1 || !ctx.has_input(0) || ctx.num_outputs() != 1 ||
      ctx.input_dtype(0) != DType::kFloat32 || ctx.output_dtype(0) != DType::kFloat32 ||
      ctx.input_shape(0).size() != 4 || ctx.output_shape(0).size() != 4)
    return nullptr;
  const kernels::PoolParams p = ops::pool_params(ctx);
  if (p.activation != kernels::Activation::kNone) return nullptr;
  auto pool = runtime::fast::PoolTraining::create(p, max, ctx.input_shape(0), ctx.output_shape(0));
  if (!pool.has_value()) return nullptr;
  auto f = std::make_unique<FastOp>();
  f->input_shape = ctx.input_shape(0);
  f->pool = std::move(*pool);
  return f;
}

int Executor::num_fast_ops() const {
  int n = static_cast<int>(std::count_if(fast_.begin(), fast_.end(), [](const auto& f) { return f != nullptr; }));
  for (const BatchNormGroup& grp : groups_) n += grp.last - grp.first + 1;
  return n;
}

// Op i's fast path when it has one and its input has the planned shape (a
// convolution's primitives are prepared for it; FULLY_CONNECTED runs on any).
int Executor::num_fused_batch_norms() const { return static_cast<int>(groups_.size()); }

Executor::FastOp* Executor::fast_op(size_t i) const {
  FastOp* f = fast_[i].get();
  if (!f || f->fc || f->clamp) return f;
  return contexts_[i].input_shape(0) == f->input_shape ? f : nullptr;
}

Status Executor::fast_forward(size_t i, FastOp& f) {
  ops::OpContext& ctx = contexts_[i];
  if (f.clamp) {
    runtime::fast::clamp_forward(ctx.input<float>(0), ir::num_elements(ctx.output_shape(0)), f.lo, f.hi,
                                 ctx.output<float>(0));
    return Status::ok();
  }
  if (f.pool) return f.pool->forward(ctx.input<float>(0), ctx.output<float>(0));
  const float* bias = ops::optional_bias(ctx, 2);
  if (f.fc) {
    return runtime::fast::fully_connected_forward(f.activation, ctx.input<float>(0), ops::fully_connected_rows(ctx),
                                                  f.depth, ctx.input<float>(1), f.units, bias, ctx.output<float>(0));
  }
  return f.forward->run(ctx.input<float>(0), ctx.input<float>(1), bias, ctx.output<float>(0));
}

// As ops/conv_grad.cc's rules: the fused activation's backward (none for
// TANH and SIGN_BIT, which the float kernels do not apply) into scratch, then
// the input, weights and bias gradients added on oneDNN.
Status Executor::fast_backward(size_t k, FastOp& f, const float* dy, const std::vector<float*>& dx, bool overwrite) {
  ops::OpContext& ctx = contexts_[k];
  if (!dy) return Status::ok();
  if (f.clamp) {
    if (dx[0]) {
      runtime::fast::clamp_backward(ctx.input<float>(0), dy, ir::num_elements(ctx.output_shape(0)), f.lo, f.hi,
                                    dx[0]);
    }
    return Status::ok();
  }
  if (f.pool) return dx[0] ? f.pool->backward(dy, dx[0], !overwrite) : Status::ok();
  const kernels::Activation a = ops::applied_activation(f.activation);
  const float* dz = dy;
  const int64_t n = ir::num_elements(ctx.output_shape(0));
  if (a != kernels::Activation::kNone) {
    if (scratch_.size() < static_cast<size_t>(n)) scratch_.resize(static_cast<size_t>(n));
    if (kernels::FloatClamp::is_clamp(a)) {  // the clamps' gates (else ops' own loop)
      const kernels::FloatClamp c(a);
      runtime::fast::gate_backward(ctx.output<float>(0), dy, n, c.lo, c.hi, scratch_.data());
    } else {
      TFC_RETURN_IF_ERROR(ops::fused_activation_grad(a, ctx.output<float>(0), dy, scratch_.data(), n));
    }
    dz = scratch_.data();
  }
  const float* in = ctx.input<float>(0);
  const float* w = ctx.input<float>(1);
  float* db = dx.size() > 2 ? dx[2] : nullptr;
  if (f.fc) {
    const runtime::fast::FcBackward b(ops::fully_connected_rows(ctx), f.depth, f.units);
    if (dx[0]) TFC_RETURN_IF_ERROR(b.backward_data(dz, w, dx[0]));
    if (dx[1]) TFC_RETURN_IF_ERROR(b.backward_weights(in, dz, dx[1], db));
  } else {
    if (dx[0]) TFC_RETURN_IF_ERROR(f.backward->backward_data(dz, w, dx[0], !overwrite));
    if (dx[1]) TFC_RETURN_IF_ERROR(f.backward->backward_weights(in, dz, dx[1], db));
  }
  if (!dx[1] && db) {
    const int32_t channels = ctx.output_shape(0).back();
    kernels::bias_backward(dz, channels == 0 ? 0 : n / channels, channels, db);
  }
  return Status::ok();
}

// Slots for every tensor; constants point at the model's bytes (copied to
// float buffers for parameters); one context per op. Then every shape rule
// runs once on the static shapes, which must all be known.
Status Executor::bind() {
  const size_t n = g_.tensors.size();
  slots_.resize(n);
  constant_.assign(n, false);
  for (size_t i = 0; i < n; ++i) {
    const ir::Tensor& t = g_.tensors[i];
    slots_[i].tensor = &t;
    slots_[i].shape = t.shape;
    auto data = graph_.model.constant_data(t);
    if (data.empty()) continue;
    constant_[i] = true;
    slots_[i].data = const_cast<uint8_t*>(data.data());  // kernels never write their inputs
  }
  params_.reserve(graph_.params.size());
  for (const Parameter& p : graph_.params) {
    const ir::Tensor& t = g_.tensors.at(static_cast<size_t>(p.tensor));
    auto data = graph_.model.constant_data(t);
    if (t.dtype != DType::kFloat32 || data.size() != static_cast<size_t>(ir::num_elements(t.shape)) * 4) {
      return invalid_argument("parameter '{}' is not a float32 constant of shape [{}]", p.name, fmt::join(t.shape, ","));
    }
    ParamBuffer& b = params_.emplace_back();
    b.name = p.name;
    b.tensor = p.tensor;
    b.frozen = p.frozen;
    b.value.resize(data.size() / 4);
    std::memcpy(b.value.data(), data.data(), data.size());
    if (!p.frozen) b.grad.assign(b.value.size(), 0.0f);
    slots_[static_cast<size_t>(p.tensor)].data = b.value.data();
  }
  contexts_.reserve(g_.ops.size());
  for (const ir::Op& op : g_.ops) {
    if (!ops::find_op(op.code)) return unsupported("the trainer cannot run op {}", ir::op_name(op.code));
    std::vector<ops::TensorSlot*> in, out;
    for (ir::TensorId id : op.inputs) in.push_back(id == ir::kNoTensor ? nullptr : &slots_[static_cast<size_t>(id)]);
    for (ir::TensorId id : op.outputs) out.push_back(&slots_[static_cast<size_t>(id)]);
    contexts_.emplace_back(op, std::move(in), std::move(out), kernels::kDefaultRequantization);
  }
  for (size_t i = 0; i < contexts_.size(); ++i) {
    ops::OpContext& ctx = contexts_[i];
    Status s = ops::find_op(g_.ops[i].code)->shape(ctx);
    if (!s.is_ok()) {
      if (ctx.value_missing()) {
        return unsupported("op {} ({}): training needs static shapes; {}", i, ctx.op_name(), s.message());
      }
      return s.with_context(fmt::format("op {}", i));
    }
  }
  return Status::ok();
}

// Which tensors get a gradient: trainable parameters and float tensors
// computed from one, on a path to an output. An op on such a path without a
// gradient rule is refused here, all of them named at once.
Status Executor::mark_gradients() {
  const size_t n = g_.tensors.size();
  std::vector<bool> from_param(n, false), to_output(n, false);
  for (const ParamBuffer& p : params_) from_param[static_cast<size_t>(p.tensor)] = !p.frozen;
  for (const ir::Op& op : g_.ops) {
    bool any = false;
    for (ir::TensorId id : op.inputs) any = any || (id != ir::kNoTensor && from_param[static_cast<size_t>(id)]);
    for (ir::TensorId id : op.outputs) {
      from_param[static_cast<size_t>(id)] = any && g_.tensors[static_cast<size_t>(id)].dtype == DType::kFloat32;
    }
  }
  for (ir::TensorId id : g_.outputs) to_output[static_cast<size_t>(id)] = true;
  for (size_t k = g_.ops.size(); k-- > 0;) {
    const ir::Op& op = g_.ops[k];
    bool any = false;
    for (ir::TensorId id : op.outputs) any = any || to_output[static_cast<size_t>(id)];
    if (!any) continue;
    for (ir::TensorId id : op.inputs) {
      if (id != ir::kNoTensor) to_output[static_cast<size_t>(id)] = true;
    }
  }
  // A gradient flows back from the outputs through float tensors computed from parameters only.
  needs_grad_.assign(n, false);
  for (ir::TensorId id : g_.outputs) needs_grad_[static_cast<size_t>(id)] = from_param[static_cast<size_t>(id)];
  for (size_t k = g_.ops.size(); k-- > 0;) {
    const ir::Op& op = g_.ops[k];
    bool any = false;
    for (ir::TensorId id : op.outputs) any = any || needs_grad_[static_cast<size_t>(id)];
    if (!any) continue;
    for (ir::TensorId id : op.inputs) {
      if (id != ir::kNoTensor && from_param[static_cast<size_t>(id)]) needs_grad_[static_cast<size_t>(id)] = true;
    }
  }
  std::set<std::string> missing;
  bool any_param = false;
  for (const ParamBuffer& p : params_) any_param = any_param || needs_grad_[static_cast<size_t>(p.tensor)];
  for (const ir::Op& op : g_.ops) {
    bool in = false, out = false;
    for (ir::TensorId id : op.inputs) in = in || (id != ir::kNoTensor && needs_grad_[static_cast<size_t>(id)]);
    for (ir::TensorId id : op.outputs) out = out || needs_grad_[static_cast<size_t>(id)];
    if (in && out && !ops::find_op(op.code)->grad) missing.insert(ir::op_name(op.code));
  }
  if (!missing.empty()) {
    return unsupported("training needs the gradient of op{} {}, which {} no gradient rule", missing.size() > 1 ? "s" : "",
                       fmt::join(missing, ", "), missing.size() > 1 ? "have" : "has");
  }
  // A parameter that reaches an output only through an op whose result is no
  // float (CAST to an integer, ARG_MAX, comparisons) would silently never train.
  std::set<std::string> blocking;
  for (const ir::Op& op : g_.ops) {
    bool in = false, out_float = false, out_reach = false;
    for (ir::TensorId id : op.inputs) in = in || (id != ir::kNoTensor && from_param[static_cast<size_t>(id)]);
    for (ir::TensorId id : op.outputs) {
      out_float = out_float || from_param[static_cast<size_t>(id)];
      out_reach = out_reach || to_output[static_cast<size_t>(id)];
    }
    if (in && out_reach && !out_float) blocking.insert(ir::op_name(op.code));
  }
  std::vector<std::string> stuck;
  for (const ParamBuffer& p : params_) {
    if (!p.frozen && !needs_grad_[static_cast<size_t>(p.tensor)] && to_output[static_cast<size_t>(p.tensor)]) {
      stuck.push_back(p.name);
    }
  }
  if (!stuck.empty() && !blocking.empty()) {
    return unsupported("parameter{} {} reach{} the outputs only through op{} {}, which {} no gradient (the result is not "
                       "float); freeze {} (--freeze) or remove the op",
                       stuck.size() > 1 ? "s" : "", fmt::join(stuck, ", "), stuck.size() > 1 ? "" : "es",
                       blocking.size() > 1 ? "s" : "", fmt::join(blocking, ", "), blocking.size() > 1 ? "have" : "has",
                       stuck.size() > 1 ? "them" : "it");
  }
  if (!any_param) {
    std::set<std::string> quantized;
    for (const ir::Op& op : g_.ops) {
      for (ir::TensorId id : op.inputs) {
        if (id == ir::kNoTensor) continue;
        const ir::Tensor& t = g_.tensors[static_cast<size_t>(id)];
        const bool integer = t.dtype == DType::kInt8 || t.dtype == DType::kUInt8 || t.dtype == DType::kInt16;
        if (integer && t.quantization && constant_[static_cast<size_t>(id)]) quantized.insert(ir::op_name(op.code));
      }
    }
    if (!quantized.empty()) {
      return unsupported(
          "the model is integer-quantized (op{} {} take{} quantized weights) and has no float32 parameter to train; "
          "train its float version",
          quantized.size() > 1 ? "s" : "", fmt::join(quantized, ", "), quantized.size() > 1 ? "" : "s");
    }
    return invalid_argument(
        "the model has no trainable float32 parameter on a path to its outputs (an integer-quantized model cannot be "
        "trained; train its float version)");
  }
  return Status::ok();
}

// The training-mode batch normalizations of the graph that run fused: each
// one's ops as train_batchnorm.cc emits them, its intermediate tensors read
// by no op outside, oneDNN accepting it.
Status Executor::find_batch_norm_groups() {
  group_of_.assign(g_.ops.size(), -1);
  if (!options_.fast || !options_.fuse_batch_norm) return Status::ok();
  for (const BatchNormTraining& e : graph_.batch_norms) {
    BatchNormGroup grp;
    if (e.batch_mean == ir::kNoTensor || !match_batch_norm(e, grp)) continue;
    const ir::Shape& xs = slots_[static_cast<size_t>(grp.x)].shape;
    const int64_t channels = xs.back();
    auto bn = runtime::fast::BatchNormTraining::create(ir::num_elements(xs) / channels, static_cast<int32_t>(channels),
                                                      grp.epsilon, grp.gamma != ir::kNoTensor,
                                                      grp.beta != ir::kNoTensor);
    if (!bn.has_value()) continue;
    grp.bn = std::move(*bn);
    grp.x_shape = xs;
    for (int i = grp.first; i <= grp.last; ++i) group_of_[static_cast<size_t>(i)] = static_cast<int>(groups_.size());
    groups_.push_back(std::move(grp));
  }
  return Status::ok();
}

// Whether the ops from the producer of e.batch_mean on are, exactly:
//   mean = MEAN(x, axes) [1, .., C]; sq = SQUARED_DIFFERENCE(x, mean);
//   variance = MEAN(sq, axes); ve = ADD(variance, epsilon); inv = RSQRT(ve);
//   [inv = MUL(inv, gamma)]; xs = MUL(x, inv); mi = MUL(mean, inv);
//   shift = SUB(beta, mi) | NEG(mi); y = ADD(xs, shift)
// on float32 x of C channels last, none with a fused activation, and the
// tensors between read by no other op nor a graph output. Fills grp.
bool Executor::match_batch_norm(const BatchNormTraining& e, BatchNormGroup& grp) const {
  auto producer_of = [&](ir::TensorId t) {
    for (size_t i = 0; i < g_.ops.size(); ++i) {
      const auto& outs = g_.ops[i].outputs;
      if (std::find(outs.begin(), outs.end(), t) != outs.end()) return static_cast<int>(i);
    }
    return -1;
  };
  int k = producer_of(e.batch_mean);
  // Op k is `builtin` with `n` inputs, one output and no fused activation; returns its inputs.
  auto take = [&](tflite::BuiltinOperator builtin, size_t n) -> const std::vector<ir::TensorId>* {
    if (k < 0 || static_cast<size_t>(k) >= g_.ops.size()) return nullptr;
    const ir::Op& op = g_.ops[static_cast<size_t>(k)];
    if (op.code.is_custom() || op.code.builtin != builtin || op.inputs.size() != n || op.outputs.size() != 1)
      return nullptr;
    if (passes::fused_activation_of(op) != tflite::ActivationFunctionType_NONE) return nullptr;
    ++k;
    return &op.inputs;
  };
  auto out = [&]() { return g_.ops[static_cast<size_t>(k - 1)].outputs[0]; };
  grp.first = k;
  const auto* in = take(tflite::BuiltinOperator_MEAN, 2);
  if (!in) return false;
  grp.x = (*in)[0];
  grp.mean = out();
  const ir::Shape& xs = slots_[static_cast<size_t>(grp.x)].shape;
  if (g_.tensors[static_cast<size_t>(grp.x)].dtype != DType::kFloat32 || xs.size() < 2 || xs.back() < 1) return false;
  const int32_t c = xs.back();
  ir::Shape cs(xs.size(), 1);
  cs.back() = c;
  if (slots_[static_cast<size_t>(grp.mean)].shape != cs) return false;
  std::vector<ir::TensorId> inner;
  if (!(in = take(tflite::BuiltinOperator_SQUARED_DIFFERENCE, 2)) || *in != std::vector{grp.x, grp.mean}) return false;
  const ir::TensorId sq = out();
  if (!(in = take(tflite::BuiltinOperator_MEAN, 2)) || (*in)[0] != sq || out() != e.batch_variance) return false;
  grp.variance = out();
  if (!(in = take(tflite::BuiltinOperator_ADD, 2)) || (*in)[0] != grp.variance) return false;
  const auto eps = graph_.model.constant_data(g_.tensors[static_cast<size_t>((*in)[1])]);
  if (eps.size() != sizeof(float) || g_.tensors[static_cast<size_t>((*in)[1])].dtype != DType::kFloat32) return false;
  std::memcpy(&grp.epsilon, eps.data(), sizeof(float));
  const ir::TensorId ve = out();
  if (!(in = take(tflite::BuiltinOperator_RSQRT, 1)) || (*in)[0] != ve) return false;
  ir::TensorId inv = out();
  inner = {sq, ve, inv};
  const int at_gamma = k;
  if ((in = take(tflite::BuiltinOperator_MUL, 2)) && (*in)[0] == inv && (*in)[1] != grp.x) {
    grp.gamma = (*in)[1];
    inv = out();
    inner.push_back(inv);
  } else {
    k = at_gamma;
  }
  auto channel_constant = [&](ir::TensorId t) {
    return constant_[static_cast<size_t>(t)] && g_.tensors[static_cast<size_t>(t)].dtype == DType::kFloat32 &&
           ir::num_elements(slots_[static_cast<size_t>(t)].shape) == c;
  };
  if (grp.gamma != ir::kNoTensor && !channel_constant(grp.gamma)) return false;
  if (!(in = take(tflite::BuiltinOperator_MUL, 2)) || *in != std::vector{grp.x, inv}) return false;
  const ir::TensorId scaled = out();
  if (!(in = take(tflite::BuiltinOperator_MUL, 2)) || *in != std::vector{grp.mean, inv}) return false;
  const ir::TensorId mi = out();
  const int at_shift = k;
  if ((in = take(tflite::BuiltinOperator_SUB, 2)) && (*in)[1] == mi) {
    grp.beta = (*in)[0];
    if (!channel_constant(grp.beta)) return false;
  } else if (k = at_shift; !(in = take(tflite::BuiltinOperator_NEG, 1)) || (*in)[0] != mi) {
    return false;
  }
  const ir::TensorId shift = out();
  if (!(in = take(tflite::BuiltinOperator_ADD, 2)) || *in != std::vector{scaled, shift}) return false;
  grp.y = out();
  grp.last = k - 1;
  if (slots_[static_cast<size_t>(grp.y)].shape != xs) return false;
  inner.insert(inner.end(), {scaled, mi, shift, grp.mean, grp.variance});
  // Nothing outside the group reads what it does not write out.
  for (size_t i = 0; i < g_.ops.size(); ++i) {
    if (static_cast<int>(i) >= grp.first && static_cast<int>(i) <= grp.last) continue;
    for (ir::TensorId t : g_.ops[i].inputs) {
      if (std::find(inner.begin(), inner.end(), t) != inner.end()) return false;
    }
  }
  for (ir::TensorId t : g_.outputs) {
    if (std::find(inner.begin(), inner.end(), t) != inner.end()) return false;
  }
  return true;
}

Status Executor::batch_norm_forward(BatchNormGroup& b) {
  auto data = [&](ir::TensorId t) {
    return t == ir::kNoTensor ? nullptr : static_cast<float*>(slots_[static_cast<size_t>(t)].data);
  };
  slots_[static_cast<size_t>(b.y)].shape = b.x_shape;
  return b.bn->forward(data(b.x), data(b.gamma), data(b.beta), data(b.y), data(b.mean), data(b.variance));
}

// The group's gradient into x, gamma and beta (the backward loop reaches the
// group's last op only with dL/dy). x's gradient is overwritten where the
// plan has it written first here, else added; the other gradients the plan
// zeroes at this op are the group's own, never materialized.
Status Executor::batch_norm_backward(size_t k, BatchNormGroup& b) {
  auto data = [&](ir::TensorId t) { return static_cast<const float*>(slots_[static_cast<size_t>(t)].data); };
  auto grad = [&](ir::TensorId t) { return t == ir::kNoTensor ? nullptr : grad_ptr_[static_cast<size_t>(t)]; };
  const auto& zero = zero_before_[k];
  const bool add_dx = std::find(zero.begin(), zero.end(), static_cast<size_t>(b.x)) == zero.end();
  return b.bn->backward(data(b.x), data(b.mean), data(b.variance), b.gamma == ir::kNoTensor ? nullptr : data(b.gamma),
                        grad(b.y), grad(b.x), add_dx, grad(b.gamma), grad(b.beta));
}

// Activations: one arena, every tensor kept. Gradients of activations: one
// arena planned by backward steps (step 0: the loss; op i's backward at step
// num_ops - i).
Status Executor::plan() {
  const size_t n = g_.tensors.size();
  const int num_ops = static_cast<int>(g_.ops.size());
  planned_bytes_.assign(n, 0);
  std::vector<int64_t> offset(n, -1);
  int64_t total = 0;
  for (size_t t = 0; t < n; ++t) {
    if (constant_[t]) continue;
    TFC_ASSIGN_OR_RETURN(int64_t bytes, ir::dense_byte_size(g_.tensors[t].dtype, slots_[t].shape));
    planned_bytes_[t] = bytes;
    offset[t] = total;
    total += align_up(std::max<int64_t>(bytes, 1));
  }
  act_arena_.assign(static_cast<size_t>(total + kAlign), 0);
  uint8_t* base = act_arena_.data() + (kAlign - reinterpret_cast<uintptr_t>(act_arena_.data()) % kAlign) % kAlign;
  for (size_t t = 0; t < n; ++t) {
    if (offset[t] >= 0) slots_[t].data = base + offset[t];
  }
  act_bytes_ = static_cast<size_t>(total);

  // Readers whose backward runs (an output with a gradient, an input needing
  // one). A batch-normalization group's backward runs at its last op: what
  // the group reads from outside counts as read there.
  std::vector<int> last_reader(n, -1), producer(n, -1);
  for (int i = 0; i < num_ops; ++i) {
    const ir::Op& op = g_.ops[static_cast<size_t>(i)];
    bool out = false;
    for (ir::TensorId id : op.outputs) out = out || needs_grad_[static_cast<size_t>(id)];
    const int grp = group_of_[static_cast<size_t>(i)];
    for (ir::TensorId id : op.inputs) {
      if (!out || id == ir::kNoTensor) continue;
      const int p = producer[static_cast<size_t>(id)];
      const bool outside = grp >= 0 && (p < groups_[static_cast<size_t>(grp)].first);
      last_reader[static_cast<size_t>(id)] = outside ? groups_[static_cast<size_t>(grp)].last : i;
    }
    for (ir::TensorId id : g_.ops[static_cast<size_t>(i)].outputs) producer[static_cast<size_t>(id)] = i;
  }
  std::set<ir::TensorId> outputs(g_.outputs.begin(), g_.outputs.end());
  std::vector<runtime::BufferRequest> requests;
  std::vector<size_t> ids;
  zero_before_.assign(static_cast<size_t>(num_ops), {});
  for (size_t t = 0; t < n; ++t) {
    if (!needs_grad_[t] || constant_[t]) continue;
    const bool is_output = outputs.count(static_cast<ir::TensorId>(t)) > 0;
    if (!is_output && last_reader[t] < 0) continue;
    const int first = is_output ? 0 : num_ops - last_reader[t];
    const int last = producer[t] < 0 ? num_ops : num_ops - producer[t];
    if (!is_output) zero_before_[static_cast<size_t>(last_reader[t])].push_back(t);
    requests.push_back({planned_bytes_[t], first, last});
    ids.push_back(t);
  }
  const runtime::MemoryPlan p = runtime::plan_memory(requests, kAlign);
  grad_arena_.assign(static_cast<size_t>(p.arena_bytes / 4 + kAlign), 0.0f);
  float* gbase = grad_arena_.data() + (kAlign - reinterpret_cast<uintptr_t>(grad_arena_.data()) % kAlign) % kAlign / 4;
  grad_ptr_.assign(n, nullptr);
  for (size_t k = 0; k < ids.size(); ++k) grad_ptr_[ids[k]] = gbase + p.offsets[k] / 4;
  for (ParamBuffer& b : params_) {
    if (!b.frozen && needs_grad_[static_cast<size_t>(b.tensor)]) grad_ptr_[static_cast<size_t>(b.tensor)] = b.grad.data();
  }
  grad_bytes_ = static_cast<size_t>(p.arena_bytes);
  return Status::ok();
}

int Executor::num_inputs() const { return static_cast<int>(g_.inputs.size()); }
const ir::Tensor& Executor::input_tensor(int i) const { return g_.tensors[static_cast<size_t>(g_.inputs.at(i))]; }
int Executor::num_outputs() const { return static_cast<int>(g_.outputs.size()); }
const ir::Shape& Executor::output_shape(int i) const { return slots_[static_cast<size_t>(g_.outputs.at(i))].shape; }
const float* Executor::output(int i) const {
  return static_cast<const float*>(slots_[static_cast<size_t>(g_.outputs.at(i))].data);
}
float* Executor::output_grad(int i) { return grad_ptr_[static_cast<size_t>(g_.outputs.at(i))]; }
const float* Executor::tensor_data(ir::TensorId id) const {
  return static_cast<const float*>(slots_[static_cast<size_t>(id)].data);
}
const ir::Shape& Executor::tensor_shape(ir::TensorId id) const { return slots_[static_cast<size_t>(id)].shape; }

Status Executor::set_input(int i, const Array& value) {
  if (i < 0 || i >= num_inputs()) return invalid_argument("input {} does not exist (the graph has {})", i, num_inputs());
  const size_t id = static_cast<size_t>(g_.inputs[static_cast<size_t>(i)]);
  const ir::Tensor& t = g_.tensors[id];
  if (value.dtype != t.dtype) {
    return invalid_argument("input '{}' expects dtype {}, got {}", t.name, dtype_name(t.dtype), dtype_name(value.dtype));
  }
  bool ok = value.shape.size() == t.shape.size() && !value.shape.empty() && value.shape[0] >= 1 &&
            value.shape[0] <= t.shape[0];
  for (size_t d = 1; ok && d < t.shape.size(); ++d) ok = value.shape[d] == t.shape[d];
  if (!ok) {
    return invalid_argument("input '{}' expects shape [{}] (a batch of at most {}), got [{}]", t.name,
                            fmt::join(t.shape, ","), t.shape.empty() ? 0 : t.shape[0], fmt::join(value.shape, ","));
  }
  if (!std::equal(value.shape.begin(), value.shape.end(), slots_[id].shape.begin(), slots_[id].shape.end())) {
    slots_[id].shape.assign(value.shape.begin(), value.shape.end());
    reshape_ = true;
  }
  std::memcpy(slots_[id].data, value.data.data(), value.data.size());
  return Status::ok();
}

// The shape rules (which allocate their shapes) run again only after an
// input's shape changed; else every shape is what the last step had.
Status Executor::forward() {
  omp_set_num_threads(options_.threads);
  if (reshape_) TFC_RETURN_IF_ERROR(infer_shapes());
  for (size_t i = 0; i < contexts_.size(); ++i) {
    if (const int grp = group_of_[i]; grp >= 0) {
      BatchNormGroup& b = groups_[static_cast<size_t>(grp)];
      if (static_cast<int>(i) == b.first) {
        b.ran = slots_[static_cast<size_t>(b.x)].shape == b.x_shape;
        const Status s = b.ran ? batch_norm_forward(b) : Status::ok();
        if (!s.is_ok()) return s.with_context(fmt::format("ops {}-{}", b.first, b.last));
      }
      if (b.ran) continue;
    }
    FastOp* f = fast_op(i);
    const Status s = f ? fast_forward(i, *f) : ops::find_op(g_.ops[i].code)->eval(contexts_[i]);
    if (!s.is_ok()) return s.with_context(fmt::format("op {}", i));
  }
  for (ir::TensorId id : g_.outputs) {
    float* gp = grad_ptr_[static_cast<size_t>(id)];
    if (gp) std::fill(gp, gp + ir::num_elements(slots_[static_cast<size_t>(id)].shape), 0.0f);
  }
  return Status::ok();
}

// Every op's shape rule on the current input shapes, each output within its planned bytes.
Status Executor::infer_shapes() {
  for (size_t i = 0; i < contexts_.size(); ++i) {
    ops::OpContext& ctx = contexts_[i];
    TFC_RETURN_IF_ERROR(ops::find_op(g_.ops[i].code)->shape(ctx).with_context(fmt::format("op {}", i)));
    for (ir::TensorId id : g_.ops[i].outputs) {
      TFC_ASSIGN_OR_RETURN(int64_t bytes, ir::dense_byte_size(g_.tensors[static_cast<size_t>(id)].dtype,
                                                               slots_[static_cast<size_t>(id)].shape));
      if (bytes > planned_bytes_[static_cast<size_t>(id)]) {
        return invalid_argument("op {} ({}): output '{}' grew to [{}] beyond the planned [{}]", i, ctx.op_name(),
                                g_.tensors[static_cast<size_t>(id)].name,
                                fmt::join(slots_[static_cast<size_t>(id)].shape, ","),
                                fmt::join(g_.tensors[static_cast<size_t>(id)].shape, ","));
      }
    }
  }
  reshape_ = false;
  return Status::ok();
}

Status Executor::backward() {
  omp_set_num_threads(options_.threads);
  for (ParamBuffer& b : params_) std::fill(b.grad.begin(), b.grad.end(), 0.0f);
  std::vector<const float*>& dy = dy_;
  std::vector<float*>& dx = dx_;
  for (size_t k = g_.ops.size(); k-- > 0;) {
    const ir::Op& op = g_.ops[k];
    bool out = false, in = false;
    for (ir::TensorId id : op.outputs) out = out || grad_ptr_[static_cast<size_t>(id)];
    for (ir::TensorId id : op.inputs) in = in || (id != ir::kNoTensor && grad_ptr_[static_cast<size_t>(id)]);
    if (!out || !in) continue;
    if (const int grp = group_of_[k]; grp >= 0 && groups_[static_cast<size_t>(grp)].ran) {
      BatchNormGroup& b = groups_[static_cast<size_t>(grp)];
      const Status s = static_cast<int>(k) == b.last ? batch_norm_backward(k, b) : Status::ok();
      if (!s.is_ok()) return s.with_context(fmt::format("gradient of ops {}-{}", b.first, b.last));
      continue;
    }
    // A convolution or pooling on the fast path writes its input's gradient
    // where this op is the first to (instead of zeroing, then adding).
    FastOp* f = fast_op(k);
    const size_t t0 = op.inputs.empty() || op.inputs[0] == ir::kNoTensor ? SIZE_MAX : static_cast<size_t>(op.inputs[0]);
    const bool overwrite = f && (f->backward || f->pool) && t0 != SIZE_MAX &&
                           std::count(op.inputs.begin(), op.inputs.end(), op.inputs[0]) == 1 &&
                           std::find(zero_before_[k].begin(), zero_before_[k].end(), t0) != zero_before_[k].end();
    for (size_t t : zero_before_[k]) {
      if (!(overwrite && t == t0)) std::fill(grad_ptr_[t], grad_ptr_[t] + ir::num_elements(slots_[t].shape), 0.0f);
    }
    dy.clear();
    dx.clear();
    for (ir::TensorId id : op.outputs) dy.push_back(grad_ptr_[static_cast<size_t>(id)]);
    for (ir::TensorId id : op.inputs) dx.push_back(id == ir::kNoTensor ? nullptr : grad_ptr_[static_cast<size_t>(id)]);
    Status s;
    if (f) {
      s = fast_backward(k, *f, dy[0], dx, overwrite);
    } else {
      ops::GradContext ctx(contexts_[k], dy, dx, &scratch_);
      s = ops::find_op(op.code)->grad(ctx);
    }
    if (!s.is_ok()) return s.with_context(fmt::format("gradient of op {}", k));
  }
  return Status::ok();
}

}  // namespace tfc::train
