// The interpreter (see interpreter.h).
#include "runtime/interpreter.h"

#include <chrono>
#include <cstring>
#include <set>

#include <fmt/ranges.h>

#include "ir/verify.h"
#include "kernels/quant_util.h"
#include "ops/registry.h"
#include "ir/sparsity.h"
#include "runtime/fast/fast_kernel.h"
#include "runtime/memory_plan.h"

namespace tfc::runtime {

const char* kernels_name(Kernels k) { return k == Kernels::kFast ? "fast" : "reference"; }

Expected<Kernels> parse_kernels(std::string_view name) {
  if (name == "fast") return Kernels::kFast;
  if (name == "reference") return Kernels::kReference;
  return invalid_argument("unknown kernels '{}': expected fast or reference", name);
}

Expected<fast::Int8DotPath> parse_int8_isa(std::string_view name) {
  using Path = fast::Int8DotPath;
  if (name == "best") return Path::kAmx;
  if (name == "avx512vnni") return Path::kAvx512Vnni;
  if (name == "avxvnni") return Path::kAvxVnni;
  if (name == "avx2") return Path::kAvx2;
  if (name == "scalar") return Path::kScalar;
  return invalid_argument("unknown int8 ISA '{}': expected best, avx512vnni, avxvnni, avx2 or scalar", name);
}

const char* arithmetic_name(kernels::Requantization r) {
  return r == kernels::Requantization::kFloat ? "litert" : "reference";
}

Expected<kernels::Requantization> parse_arithmetic(std::string_view name) {
  if (name == "litert") return kernels::Requantization::kFloat;
  if (name == "reference") return kernels::Requantization::kFixedPoint;
  return invalid_argument("unknown arithmetic '{}': expected litert or reference", name);
}

Interpreter::Interpreter(const ir::Model& model, const ir::Subgraph& graph) : model_(model), graph_(graph) {}
Interpreter::~Interpreter() = default;

Expected<std::unique_ptr<Interpreter>> Interpreter::create(const ir::Model& model, int subgraph,
                                                         InterpreterOptions options) {
  if (subgraph < 0 || static_cast<size_t>(subgraph) >= model.subgraphs.size()) {
    return invalid_argument("subgraph {} does not exist (the model has {})", subgraph, model.subgraphs.size());
  }
  std::unique_ptr<Interpreter> interp(new Interpreter(model, model.subgraphs[subgraph]));
  if (options.threads < 1 || options.threads > 256)
    return invalid_argument("threads must be between 1 and 256, got {}", options.threads);
  interp->options_ = options;
  const size_t num_ops = interp->graph_.ops.size();
  interp->fast_.resize(num_ops);
  interp->fast_shapes_.resize(num_ops);
  interp->fast_tried_.assign(num_ops, false);
  interp->folded_.assign(num_ops, false);
  interp->profile_ms_.assign(num_ops, 0.0);
  interp->profile_runs_.assign(num_ops, 0);
  if (options.kernels == Kernels::kFast) interp->backend_ = std::make_unique<fast::Backend>(options.threads);
  TFC_RETURN_IF_ERROR(interp->check_supported());
  TFC_RETURN_IF_ERROR(interp->bind());
  TFC_RETURN_IF_ERROR(interp->infer_static_shapes());
  interp->plan_arena();
  return interp;
}

// Spans: a graph input, variable or output lives through the whole invoke (and
// between invokes); any other activation from the op that writes it to the
// last op that reads it. Sizes come from the model's static shapes; a tensor
// that turns out larger at invoke gets its own buffer instead.
void Interpreter::plan_arena() {
  const size_t n = graph_.tensors.size();
  planned_offset_.assign(n, -1);
  planned_size_.assign(n, 0);
  if (options_.preserve_all_tensors) return;
  const int num_ops = static_cast<int>(graph_.ops.size());
  std::vector<int> first(n, -2), last(n, -2);
  for (int i = 0; i < num_ops; ++i) {
    for (ir::TensorId id : graph_.ops[static_cast<size_t>(i)].outputs) {
      if (first[id] == -2) first[id] = i;
      last[id] = std::max(last[id], i);
    }
    for (ir::TensorId id : graph_.ops[static_cast<size_t>(i)].inputs) {
      if (id == ir::kNoTensor) continue;
      last[id] = std::max(last[id], i);
    }
  }
  const auto whole = [&](ir::TensorId id) {
    first[id] = -1;
    last[id] = num_ops;
  };
  for (ir::TensorId id : graph_.inputs) whole(id);
  for (ir::TensorId id : graph_.outputs) whole(id);
  for (size_t id = 0; id < n; ++id) {
    if (graph_.tensors[id].is_variable) whole(static_cast<ir::TensorId>(id));
  }
  std::vector<BufferRequest> requests;
  std::vector<size_t> ids;
  for (size_t id = 0; id < n; ++id) {
    if (is_constant_[id] || first[id] == -2) continue;
    auto bytes = ir::dense_byte_size(graph_.tensors[id].dtype, graph_.tensors[id].shape);
    if (!bytes || *bytes <= 0) continue;
    requests.push_back({*bytes, first[id], last[id]});
    ids.push_back(id);
  }
  const MemoryPlan plan = plan_memory(requests);
  arena_.assign(static_cast<size_t>(plan.arena_bytes) + 64, 0);
  arena_base_ = arena_.data() + (64 - reinterpret_cast<uintptr_t>(arena_.data()) % 64) % 64;
  planned_arena_bytes_ = static_cast<size_t>(plan.arena_bytes);
  for (size_t k = 0; k < ids.size(); ++k) {
    planned_offset_[ids[k]] = plan.offsets[k];
    planned_size_[ids[k]] = requests[k].size;
  }
}

Status Interpreter::check_supported() const {
  std::set<std::string> missing;
  for (const auto& op : graph_.ops) {
    if (!ops::find_op(op.code)) missing.insert(ir::op_name(op.code));
  }
  if (!missing.empty()) {
    return unsupported("the runtime cannot run this model: unsupported op{} {}",
                       missing.size() > 1 ? "s" : "", fmt::join(missing, ", "));
  }
  return Status::ok();
}

Status Interpreter::bind() {
  const size_t n = graph_.tensors.size();
  slots_.resize(n);
  storage_.resize(n);
  is_constant_.assign(n, false);
  const_copies_.reserve(n);
  const_copy_of_.assign(n, -1);
  producer_.assign(n, -1);
  for (size_t i = 0; i < graph_.ops.size(); ++i)
    for (ir::TensorId id : graph_.ops[i].outputs) producer_[id] = static_cast<int>(i);
  released_.assign(n, false);
  reads_released_.assign(graph_.ops.size(), false);
  fold_pending_.assign(graph_.ops.size(), false);
  keep_.assign(n, false);
  for (ir::TensorId id : graph_.outputs) keep_[id] = true;
  last_reader_.assign(n, -1);
  for (size_t i = 0; i < graph_.ops.size(); ++i)
    for (ir::TensorId id : graph_.ops[i].inputs)
      if (id != ir::kNoTensor) last_reader_[id] = static_cast<int>(i);
  // Sparse constants read by ops other than DENSIFY are densified once here.
  std::vector<bool> densify_here(n, false);
  for (const auto& op : graph_.ops) {
    if (op.code.builtin == tflite::BuiltinOperator_DENSIFY) continue;
    for (ir::TensorId id : op.inputs) {
      if (id != ir::kNoTensor && graph_.tensors[id].sparsity) densify_here[id] = true;
    }
  }
  for (size_t i = 0; i < n; ++i) {
    const ir::Tensor& t = graph_.tensors[i];
    slots_[i].tensor = &t;
    slots_[i].shape = t.shape;
    auto data = model_.constant_data(t);
    if (data.empty()) continue;
    is_constant_[i] = true;
    if (densify_here[i]) {
      TFC_ASSIGN_OR_RETURN(auto dense, ir::densify_constant(t, data));
      const_copies_.push_back(std::move(dense));
      slots_[i].data = const_copies_.back().data();
    } else if (reinterpret_cast<uintptr_t>(data.data()) % 16 == 0) {
      slots_[i].data = const_cast<uint8_t*>(data.data());  // kernels never write their inputs
    } else {
      const_copies_.emplace_back(data.begin(), data.end());
      slots_[i].data = const_copies_.back().data();
    }
  }
  contexts_.reserve(graph_.ops.size());
  for (const auto& op : graph_.ops) {
    std::vector<ops::TensorSlot*> in, out;
    for (ir::TensorId id : op.inputs) in.push_back(id == ir::kNoTensor ? nullptr : &slots_[id]);
    for (ir::TensorId id : op.outputs) out.push_back(&slots_[id]);
    op_outputs_.push_back(out);
    contexts_.emplace_back(op, std::move(in), std::move(out), options_.arithmetic);
  }
  return Status::ok();
}

// Runs every shape rule with constant values only, so that bad dtypes, ranks
// and options are reported before any data is fed. Ops whose output shape
// depends on a runtime value (and everything downstream) are checked at invoke.
Status Interpreter::infer_static_shapes() {
  std::vector<bool> unknown(slots_.size(), false);
  for (size_t i = 0; i < contexts_.size(); ++i) {
    const ir::Op& op = graph_.ops[i];
    bool skip = false;
    for (ir::TensorId id : op.inputs) skip = skip || (id != ir::kNoTensor && unknown[id]);
    ops::OpContext& ctx = contexts_[i];
    if (options_.kernels == Kernels::kFast) TFC_RETURN_IF_ERROR(fold_pending_inputs_of(i));
    if (!skip) {
      Status s = ops::find_op(op.code)->shape(ctx);
      if (!s.is_ok() && !ctx.value_missing()) return s.with_context(fmt::format("op {}", i));
      skip = ctx.value_missing();
      ctx.clear_value_missing();
    }
    if (skip) {
      for (ir::TensorId id : op.outputs) unknown[id] = true;
    } else if (options_.kernels == Kernels::kFast) {
      fold_pending_[i] = foldable(i);
      if (!fold_pending_[i]) TFC_RETURN_IF_ERROR(prepare_fast(i));
    }
    release_copied_inputs(i, !skip);
  }
  for (size_t i = 0; i < contexts_.size(); ++i)
    if (fold_pending_[i]) {
      fold_pending_[i] = false;
      TFC_RETURN_IF_ERROR(fold_constants_of(i));
    }
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (!is_constant_[i]) slots_[i].shape = graph_.tensors[i].shape;
  }
  return Status::ok();
}

// An op whose inputs are all constants (e.g. DEQUANTIZE of float16 weights)
// is computed once here; its outputs become constants, so that the ops
// reading them see packed-once weights. Custom ops and ops without inputs are
// left to run (they may have state or side effects).
bool Interpreter::foldable(size_t i) const {
  const ir::Op& op = graph_.ops[i];
  if (op.code.is_custom() || op.inputs.empty()) return false;
  bool any = false;
  for (ir::TensorId id : op.inputs) {
    if (id == ir::kNoTensor) continue;
    if (!is_constant_[id]) return false;  // fold_pending_inputs_of(i) ran first
    any = true;
  }
  if (!any) return false;
  for (ir::TensorId id : op.outputs) {
    if (graph_.tensors[id].is_variable) return false;
  }
  return true;
}

// Computed when the first op that reads it is prepared, not where it stands:
// converters put every DEQUANTIZE of float16 weights first, and computing
// them all at once would hold every weight as float32 at the same time.
Status Interpreter::fold_pending_inputs_of(size_t i) {
  for (ir::TensorId id : graph_.ops[i].inputs) {
    if (id == ir::kNoTensor || producer_[id] < 0) continue;
    const auto p = static_cast<size_t>(producer_[id]);
    if (!fold_pending_[p]) continue;
    TFC_RETURN_IF_ERROR(fold_pending_inputs_of(p));
    fold_pending_[p] = false;
    TFC_RETURN_IF_ERROR(fold_constants_of(p));
  }
  return Status::ok();
}

// Computes op i, whose inputs are all constants, once (foldable).
Status Interpreter::fold_constants_of(size_t i) {
  const ir::Op& op = graph_.ops[i];
  ops::OpContext& ctx = contexts_[i];
  std::vector<std::vector<uint8_t>> values;
  for (ir::TensorId id : op.outputs) {
    TFC_ASSIGN_OR_RETURN(int64_t bytes, ir::dense_byte_size(graph_.tensors[id].dtype, slots_[id].shape));
    values.emplace_back(static_cast<size_t>(std::max<int64_t>(bytes, 1)) + 64);
    // 64-byte aligned within its buffer
    auto* p = values.back().data();
    slots_[id].data = p + (64 - reinterpret_cast<uintptr_t>(p) % 64) % 64;
  }
  TFC_RETURN_IF_ERROR(ops::find_op(op.code)->eval(ctx).with_context(fmt::format("op {}", i)));
  for (size_t k = 0; k < op.outputs.size(); ++k) {
    is_constant_[op.outputs[k]] = true;
    const_copy_of_[op.outputs[k]] = static_cast<int>(const_copies_.size());
    const_copies_.push_back(std::move(values[k]));  // the vector's heap block does not move
  }
  folded_[i] = true;
  return Status::ok();
}

// A value computed at load (float16 weights made float32, say) that every op
// reading it reads through a fast kernel that packed its own copy is held
// twice; the interpreter's copy is released as soon as its last reader is
// prepared (float16 SSD: 42 MB less at the peak), and computed again if an op
// must read it after all (prepared again for other shapes, or run on the
// reference kernel), or for an observer. Called for each op i in order,
// after it was prepared (`prepared`: false when its shapes were unknown).
void Interpreter::release_copied_inputs(size_t i, bool prepared) {
  if (options_.preserve_all_tensors || !backend_) return;
  const auto& inputs = graph_.ops[i].inputs;
  for (size_t k = 0; k < inputs.size(); ++k) {
    const ir::TensorId id = inputs[k];
    if (id == ir::kNoTensor || const_copy_of_[id] < 0 || released_[id]) continue;
    if (!prepared || folded_[i] || !fast_[i] || !fast_[i]->copied_input(static_cast<int>(k))) keep_[id] = true;
    if (keep_[id] || last_reader_[id] != static_cast<int>(i)) continue;
    // Only values computed from the model's own constants, so that computing
    // one again needs nothing else released.
    bool from_model = true;
    for (ir::TensorId in : graph_.ops[static_cast<size_t>(producer_[id])].inputs)
      from_model = from_model && (in == ir::kNoTensor || const_copy_of_[in] < 0);
    if (!from_model) continue;
    std::vector<uint8_t>().swap(const_copies_[static_cast<size_t>(const_copy_of_[id])]);
    slots_[id].data = nullptr;
    released_[id] = true;
    any_released_ = true;
    for (size_t r = 0; r < graph_.ops.size(); ++r)
      for (ir::TensorId in : graph_.ops[r].inputs) reads_released_[r] = reads_released_[r] || in == id;
  }
}

// The released inputs of op i, computed again.
Status Interpreter::restore_inputs_of(size_t i) {
  for (ir::TensorId id : graph_.ops[i].inputs) {
    if (id == ir::kNoTensor || !released_[id]) continue;
    const auto p = static_cast<size_t>(producer_[id]);
    TFC_RETURN_IF_ERROR(fold_constants_of(p));
    for (ir::TensorId out : graph_.ops[p].outputs) released_[out] = false;
  }
  reads_released_[i] = false;
  return Status::ok();
}

Status Interpreter::prepare_fast(size_t i) {
  ops::OpContext& ctx = contexts_[i];
  fast_tried_[i] = true;
  auto& shapes = fast_shapes_[i];
  shapes.clear();
  for (int k = 0; k < ctx.num_inputs(); ++k) shapes.push_back(ctx.has_input(k) ? ctx.input_shape(k) : ir::Shape{});
  fast::FastOptions fo;
  fo.int8_conv = options_.int8_conv;
  fo.int8_path = options_.int8_path;
  fo.amx_min_macs = options_.amx_min_macs;
  TFC_ASSIGN_OR_RETURN(fast_[i], fast::prepare_kernel(ctx, *backend_, fo));
  return Status::ok();
}

Status Interpreter::ensure_storage(ir::TensorId id) {
  ops::TensorSlot& slot = slots_[id];
  if (is_constant_[id]) return Status::ok();
  TFC_ASSIGN_OR_RETURN(int64_t bytes, ir::dense_byte_size(slot.tensor->dtype, slot.shape));
  if (planned_offset_[id] >= 0) {
    if (bytes <= planned_size_[id]) {
      slot.data = arena_base_ + planned_offset_[id];
      return Status::ok();
    }
    planned_offset_[id] = -1;  // outgrew its plan: its own buffer from now on
  }
  auto& buf = storage_[id];
  if (buf.size() < static_cast<size_t>(bytes) || buf.empty()) buf.resize(std::max<int64_t>(bytes, 1));
  slot.data = buf.data();
  return Status::ok();
}

Status Interpreter::set_input(int i, const Array& value) {
  if (i < 0 || i >= num_inputs()) return invalid_argument("input {} does not exist (the model has {})", i, num_inputs());
  const ir::TensorId id = graph_.inputs[i];
  const ir::Tensor& t = graph_.tensors[id];
  if (value.dtype != t.dtype) {
    return invalid_argument("input {} ('{}') expects dtype {}, got {}", i, t.name, dtype_name(t.dtype),
                            dtype_name(value.dtype));
  }
  bool ok = value.shape.size() == t.shape.size();
  for (size_t d = 0; ok && d < t.shape.size(); ++d) {
    const bool dynamic = d == 0 || (d < t.shape_signature.size() && t.shape_signature[d] < 0);
    ok = value.shape[d] == t.shape[d] || (dynamic && value.shape[d] > 0);
  }
  if (!ok) {
    return invalid_argument("input {} ('{}') expects shape [{}], got [{}]", i, t.name, fmt::join(t.shape, ","),
                            fmt::join(value.shape, ","));
  }
  ops::TensorSlot& slot = slots_[id];
  slot.shape.assign(value.shape.begin(), value.shape.end());
  TFC_RETURN_IF_ERROR(ensure_storage(id));
  std::memcpy(slot.data, value.data.data(), value.data.size());
  return Status::ok();
}

Status Interpreter::invoke() {
  for (ir::TensorId id : graph_.inputs) {
    if (!slots_[id].data) return invalid_argument("input '{}' was not set", graph_.tensors[id].name);
  }
  if (observer_ && any_released_) {
    // An observer sees every op's outputs, values computed at load included.
    for (size_t i = 0; i < contexts_.size(); ++i)
      if (reads_released_[i]) TFC_RETURN_IF_ERROR(restore_inputs_of(i));
    any_released_ = false;
  }
  for (size_t i = 0; i < contexts_.size(); ++i) {
    if (!folded_[i]) TFC_RETURN_IF_ERROR(run_op(i));
    if (observer_) observer_(static_cast<int>(i), graph_.ops[i], op_outputs_[i]);
  }
  return Status::ok();
}

Status Interpreter::run_op(size_t i) {
  ops::OpContext& ctx = contexts_[i];
  const ir::Op& op = graph_.ops[i];
  const ops::OpDef* def = ops::find_op(op.code);
  TFC_RETURN_IF_ERROR(def->shape(ctx).with_context(fmt::format("op {}", i)));
  for (ir::TensorId id : op.outputs) TFC_RETURN_IF_ERROR(ensure_storage(id));
  if (backend_) {
    bool same = fast_tried_[i];
    for (int k = 0; same && k < ctx.num_inputs(); ++k) {
      same = !ctx.has_input(k) || ctx.input_shape(k) == fast_shapes_[i][static_cast<size_t>(k)];
    }
    if (!same && reads_released_[i]) TFC_RETURN_IF_ERROR(restore_inputs_of(i));
    if (!same) TFC_RETURN_IF_ERROR(prepare_fast(i));
  }
  if (!(backend_ && fast_[i]) && reads_released_[i])
    TFC_RETURN_IF_ERROR(restore_inputs_of(i));
  const auto start = options_.profile ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
  if (backend_ && fast_[i]) {
    TFC_RETURN_IF_ERROR(fast_[i]->run(ctx).with_context(fmt::format("op {}", i)));
  } else {
    TFC_RETURN_IF_ERROR(def->eval(ctx).with_context(fmt::format("op {}", i)));
  }
  if (options_.profile) {
    profile_ms_[i] += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    ++profile_runs_[i];
  }
  return Status::ok();
}

std::vector<OpProfile> Interpreter::op_profile() const {
  std::vector<OpProfile> out;
  if (!options_.profile) return out;
  for (size_t i = 0; i < graph_.ops.size(); ++i) {
    OpProfile p;
    p.op_index = static_cast<int>(i);
    p.op_name = ir::op_name(graph_.ops[i].code);
    p.kernel = folded_[i] ? "constant" : fast_[i] ? fast_[i]->library() : "reference";
    p.total_ms = profile_ms_[i];
    p.runs = profile_runs_[i];
    out.push_back(std::move(p));
  }
  return out;
}

int Interpreter::num_fast_ops() const {
  int n = 0;
  for (const auto& k : fast_) n += k ? 1 : 0;
  return n;
}

int Interpreter::num_folded_ops() const {
  int n = 0;
  for (bool f : folded_) n += f ? 1 : 0;
  return n;
}

Array Interpreter::tensor_value(ir::TensorId id) const {
  const ops::TensorSlot& slot = slots_[id];
  Array a;
  a.dtype = slot.tensor->dtype;
  a.shape.assign(slot.shape.begin(), slot.shape.end());
  auto bytes = ir::dense_byte_size(a.dtype, slot.shape);
  if (bytes && slot.data) {
    const auto* p = static_cast<const uint8_t*>(slot.data);
    a.data.assign(p, p + *bytes);
  }
  return a;
}

Array Interpreter::output(int i) const { return tensor_value(graph_.outputs[i]); }

Expected<std::vector<Array>> run_model(const ir::Model& model, const std::vector<Array>& inputs, int subgraph,
                                       InterpreterOptions options) {
  TFC_ASSIGN_OR_RETURN(auto interp, Interpreter::create(model, subgraph, options));
  if (static_cast<int>(inputs.size()) != interp->num_inputs()) {
    return invalid_argument("the model has {} inputs, {} given", interp->num_inputs(), inputs.size());
  }
  for (int i = 0; i < interp->num_inputs(); ++i) TFC_RETURN_IF_ERROR(interp->set_input(i, inputs[i]));
  TFC_RETURN_IF_ERROR(interp->invoke());
  std::vector<Array> outputs;
  for (int i = 0; i < interp->num_outputs(); ++i) outputs.push_back(interp->output(i));
  return outputs;
}

}  // namespace tfc::runtime
