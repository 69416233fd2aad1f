// The reference interpreter: runs one subgraph of an IR model op by op with the
// float reference kernels from ops/. Checks up front that every op is
// implemented (naming those that are not) and that shapes and dtypes are valid;
// then each invoke reuses the tensor storage of the previous one.
// Not here: the fast backend with memory planning (later), training.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/array.h"
#include "core/status.h"
#include "ir/graph.h"
#include "ops/op_context.h"

namespace tfc::runtime {

// Called after each op runs, with the op's index and its output slots; used by
// calibration observers and per-layer debugging. Must not modify the data.
using OpObserver = std::function<void(int op_index, const ir::Op& op, std::span<ops::TensorSlot* const> outputs)>;

struct InterpreterOptions {
  // Keep every tensor's value after invoke (per-layer debugging, statistics
  // read after the run). Off: activations share one planned arena
  // (memory_plan.h), and only graph inputs, outputs and variables survive an
  // invoke; observers still see each op's outputs when it runs.
  bool preserve_all_tensors = false;
};

class Interpreter {
 public:
  // Builds an interpreter for `subgraph` of `model`. The model must outlive it.
  static Expected<std::unique_ptr<Interpreter>> create(const ir::Model& model, int subgraph = 0,
                                                       InterpreterOptions options = {});

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

 private:
  Interpreter(const ir::Model& model, const ir::Subgraph& graph) : model_(model), graph_(graph) {}
  Status check_supported() const;
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
  std::vector<std::vector<uint8_t>> const_copies_;  // constants whose buffer lacks alignment
  std::vector<ops::OpContext> contexts_;          // one per op
  std::vector<std::vector<ops::TensorSlot*>> op_outputs_;  // per op, what the observer sees
  std::vector<bool> is_constant_;
  OpObserver observer_;
};

// Runs a model once on named or positional inputs; a convenience for the CLI and tests.
Expected<std::vector<Array>> run_model(const ir::Model& model, const std::vector<Array>& inputs, int subgraph = 0);

}  // namespace tfc::runtime
