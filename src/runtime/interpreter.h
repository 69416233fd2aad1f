// The interpreter: runs one subgraph of an IR model op by op. Checks up front
// that every op is implemented (naming those that are not) and that shapes and
// dtypes are valid; activations share one statically planned arena
// (memory_plan.h). With Kernels::kFast (the default) each op that has a fast
// kernel (runtime/fast/) runs it, prepared once at load with its weights
// packed, and ops whose inputs are all constant are computed once at load;
// every other op runs its reference kernel from ops/. Kernels::kReference runs
// the reference kernels only. Settings (kernels, integer arithmetic, threads)
// are options fixed when the interpreter is created.
// Not here: training.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/array.h"
#include "core/status.h"
#include "ir/graph.h"
#include "kernels/quant_util.h"
#include "ops/op_context.h"
#include "runtime/fast/fast_kernel.h"

namespace tfc::runtime {

// Which kernels run the ops.
enum class Kernels { kFast, kReference };
// "fast" / "reference".
const char* kernels_name(Kernels k);
Expected<Kernels> parse_kernels(std::string_view name);
// The most our own int8 products may use, by its CLI name (--int8-isa):
// "best" (kAmx: whatever the CPU has), "avx512vnni", "avxvnni", "avx2",
// "scalar".
Expected<fast::Int8DotPath> parse_int8_isa(std::string_view name);
// The integer arithmetic by its CLI name: "litert" (kFloat, LiteRT's default
// CPU path) / "reference" (kFixedPoint, TFLite's reference kernels).
const char* arithmetic_name(kernels::Requantization r);
Expected<kernels::Requantization> parse_arithmetic(std::string_view name);

// Called after each op runs, with the op's index and its output slots; used by
// calibration observers and per-layer debugging. Must not modify the data.
using OpObserver = std::function<void(int op_index, const ir::Op& op, std::span<ops::TensorSlot* const> outputs)>;

struct InterpreterOptions {
  // Keep every tensor's value after invoke (per-layer debugging, statistics
  // read after the run). Off: activations share one planned arena
  // (memory_plan.h), and only graph inputs, outputs and variables survive an
  // invoke; observers still see each op's outputs when it runs.
  bool preserve_all_tensors = false;
  Kernels kernels = Kernels::kFast;
  // How int8 CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, TRANSPOSE_CONV and
  // MEAN rescale (kernels/quant_util.h): kFloat, LiteRT's default CPU path
  // (XNNPACK; the default, and the only one with rescaling int8 fast
  // kernels: int8 PAD and MAX_POOL_2D are fast under both), or
  // kFixedPoint, TFLite's reference kernels. Fixed for the interpreter's life.
  kernels::Requantization arithmetic = kernels::kDefaultRequantization;
  // Worker threads of the fast kernels (the reference kernels use one).
  int threads = 1;
  // Time each op's kernel (op_profile()).
  bool profile = false;
  // Which int8 conv kernel the fast backend uses (fast_kernel.h).
  fast::FastOptions::Int8Conv int8_conv = fast::FastOptions::Int8Conv::kAuto;
  // The most our own int8 products may use (fast_kernel.h FastOptions::int8_path).
  fast::Int8DotPath int8_path = fast::Int8DotPath::kAmx;
  // The least multiply-adds of a convolution our int8 kernels run on AMX
  // tiles (fast_kernel.h FastOptions::amx_min_macs).
  int64_t amx_min_macs = int64_t{1} << 21;
};

// Time spent in one op over the invokes since the interpreter was created.
struct OpProfile {
  int op_index = 0;
  std::string op_name;
  std::string kernel;  // "onednn", "xnnpack", "reference" or "constant" (computed at load)
  double total_ms = 0;
  int64_t runs = 0;
};

class Interpreter {
 public:
  // Builds an interpreter for `subgraph` of `model`. The model must outlive it.
  static Expected<std::unique_ptr<Interpreter>> create(const ir::Model& model, int subgraph = 0,
                                                       InterpreterOptions options = {});
  ~Interpreter();

  int num_inputs() const { return static_cast<int>(graph_.inputs.size()); }
  int num_outputs() const { return static_cast<int>(graph_.outputs.size()); }
  const ir::Tensor& input_tensor(int i) const { return graph_.tensors[graph_.inputs[i]]; }
  const ir::Tensor& output_tensor(int i) const { return graph_.tensors[graph_.outputs[i]]; }

  // Copies a value into input i. Its dtype must match; its shape must match the
  // model's except for dims the model marks dynamic and the batch dim.
  Status set_input(int i, const Array& value);
  Status invoke();
  Array output(int i) const;

  // Value and shape of any tensor after invoke (for debugging and observers).
  // With the fast kernels, a value computed at load that only kernels which
  // packed a copy of it read is released (unless preserve_all_tensors), and
  // has no data here until a run needs it again.
  Array tensor_value(ir::TensorId id) const;
  void set_observer(OpObserver observer) { observer_ = std::move(observer); }

  // Bytes of activation storage held now: the planned arena plus the buffers
  // of tensors that outgrew their plan or were not planned; what the runtime
  // needs beyond the model.
  size_t arena_bytes() const {
    size_t total = planned_arena_bytes_;
    for (const auto& s : storage_) total += s.size();
    return total;
  }
  // The arena the static plan asked for (0 with preserve_all_tensors).
  size_t planned_arena_bytes() const { return planned_arena_bytes_; }

  // Per op, in graph order; empty unless options.profile.
  std::vector<OpProfile> op_profile() const;
  // Ops that run a fast kernel / were computed at load, for reports.
  int num_fast_ops() const;
  int num_folded_ops() const;

 private:
  Interpreter(const ir::Model& model, const ir::Subgraph& graph);
  Status check_supported() const;
  bool foldable(size_t op) const;
  Status fold_pending_inputs_of(size_t op);
  Status fold_constants_of(size_t op);
  void release_copied_inputs(size_t op, bool prepared);
  Status restore_inputs_of(size_t op);
  Status prepare_fast(size_t op);
  Status run_op(size_t op);
  Status bind();
  Status infer_static_shapes();
  Status ensure_storage(ir::TensorId id);
  void plan_arena();

  const ir::Model& model_;
  const ir::Subgraph& graph_;
  std::vector<ops::TensorSlot> slots_;            // one per tensor
  InterpreterOptions options_;
  std::vector<std::vector<uint8_t>> storage_;     // bytes of non-constant tensors outside the arena
  std::vector<uint8_t> arena_;                    // the planned activations (plus alignment slack)
  uint8_t* arena_base_ = nullptr;                 // arena_'s first 64-byte aligned address
  size_t planned_arena_bytes_ = 0;
  std::vector<int64_t> planned_offset_;           // per tensor: offset in the arena, -1 if not planned
  std::vector<int64_t> planned_size_;             // per tensor: bytes planned
  std::vector<std::vector<uint8_t>> const_copies_;  // constants whose buffer lacks alignment, folded values
  std::vector<int> const_copy_of_;                // per tensor: its folded value in const_copies_, or -1
  std::vector<int> producer_;                     // per tensor: the op that writes it, or -1
  std::vector<bool> released_;                    // per tensor: a folded value released after packing
  std::vector<bool> keep_;                        // per tensor: a reader needs the interpreter's copy
  std::vector<int> last_reader_;                  // per tensor: the last op that reads it, or -1
  std::vector<bool> reads_released_;              // per op: an input was released
  std::vector<bool> fold_pending_;                // per op: foldable, computed when first read
  bool any_released_ = false;
  std::vector<ops::OpContext> contexts_;          // one per op
  std::vector<std::vector<ops::TensorSlot*>> op_outputs_;  // per op, what the observer sees
  std::vector<bool> is_constant_;
  OpObserver observer_;
  // Fast backend: per op, its kernel (or nullptr) and the input shapes it was
  // prepared (or tried) for; ops computed at load.
  std::unique_ptr<fast::Backend> backend_;
  std::vector<std::unique_ptr<fast::FastKernel>> fast_;
  std::vector<std::vector<ir::Shape>> fast_shapes_;
  std::vector<bool> fast_tried_;
  std::vector<bool> folded_;
  std::vector<double> profile_ms_;
  std::vector<int64_t> profile_runs_;
};

// Runs a model once on named or positional inputs; a convenience for the CLI and tests.
Expected<std::vector<Array>> run_model(const ir::Model& model, const std::vector<Array>& inputs, int subgraph = 0,
                                       InterpreterOptions options = {});

}  // namespace tfc::runtime
