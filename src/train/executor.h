// The training executor: runs a TrainGraph (train/train_graph.h) forward with
// every activation kept, and backward through each op's gradient rule
// (ops/<family>_grad.cc) into the parameters' gradients.
//
// Prepared once for a batch size: shape rules run on the graph's static
// shapes, every activation gets its place in one planned arena (all kept
// until backward), and the gradients of activations share a second planned
// arena by their backward lifetimes (a gradient lives from the backward step
// of its last reader to that of its producer). Parameters live in float32
// buffers the executor owns, which the optimizer updates in place. After the
// first step the executor allocates nothing: the shape rules run again only
// when an input's shape changes (a batch smaller than the planned one, and
// the next full one after it), and those steps allocate the shapes. The
// kernels and gradient rules the allocation test covers allocate nothing per
// step either (tests/cpp/train_alloc_test.cc: convolutions, pooling,
// FULLY_CONNECTED, activations, broadcasting elementwise ops, MEAN,
// CONCATENATION, GATHER, training-mode batch normalization, the oneDNN path).
//
// Before anything runs, create() names every op whose gradient the graph
// needs and the op list has no rule for.
//
// The fast path (ExecutorOptions::fast) runs the forward and backward of
// float32 CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, MAX_POOL_2D and
// AVERAGE_POOL_2D (without a fused activation) on oneDNN
// (runtime/fast/dnnl_backward.h), prepared once per op at create(); the same
// results as the reference kernels and gradient rules within float rounding.
// RELU6 and RELU_N1_TO_1, and the backward of a RELU-family activation fused
// into a convolution, run as SSE2 loops (runtime/fast/float_loops.h)
// computing exactly what their reference kernel and rule compute. Each training-mode batch normalization
// (TrainGraph::batch_norms; the op sequence train_batchnorm.cc emits, from
// the MEAN of the batch to the ADD of the shift) runs as one group on
// oneDNN's batch normalization forward and backward, writing the batch mean
// and variance tensors as the ops would and never materializing the rest.
// Every other op, a geometry oneDNN refuses, and a convolution, pooling or
// batch normalization on a batch smaller than the planned one run on the
// reference path.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/array.h"
#include "core/status.h"
#include "ops/op_context.h"
#include "train/train_graph.h"

namespace tfc::train {

struct ParamBuffer {
  std::string name;
  ir::TensorId tensor = ir::kNoTensor;
  std::vector<float> value;
  std::vector<float> grad;
  bool frozen = false;
};

struct ExecutorOptions {
  bool fast = true;  // oneDNN for the forward and backward of convolutions and FULLY_CONNECTED
  int threads = 1;   // oneDNN's OpenMP team on the calling thread (results deterministic for a fixed count)
  bool fuse_batch_norm = true;  // with fast: training-mode batch normalizations as one oneDNN op each
};

class Executor {
 public:
  // `graph` must outlive the executor.
  static Expected<std::unique_ptr<Executor>> create(const TrainGraph& graph, const ExecutorOptions& options = {});
  ~Executor();

  int num_inputs() const;
  const ir::Tensor& input_tensor(int i) const;
  // Copies a value into input i; its dim 0 may be smaller than the planned batch.
  Status set_input(int i, const Array& value);

  Status forward();
  int num_outputs() const;
  const ir::Shape& output_shape(int i) const;
  const float* output(int i) const;
  // Where the loss writes dL/d(output i) before backward() (shaped like the output).
  float* output_grad(int i);

  // Gradients of every trainable parameter (ParamBuffer::grad), overwritten.
  Status backward();

  std::vector<ParamBuffer>& params() { return params_; }
  const std::vector<ParamBuffer>& params() const { return params_; }
  // A float tensor's current value and shape (e.g. batch statistics).
  const float* tensor_data(ir::TensorId id) const;
  const ir::Shape& tensor_shape(ir::TensorId id) const;

  // Ops on the fast path (ExecutorOptions::fast; 0 without it), each op of a
  // batch-normalization group counted.
  int num_fast_ops() const;
  // Training-mode batch normalizations running fused (ExecutorOptions::fast).
  int num_fused_batch_norms() const;

  // Bytes of the two planned arenas (activations, gradients).
  size_t activation_bytes() const { return act_bytes_; }
  size_t gradient_bytes() const { return grad_bytes_; }

 private:
  struct FastOp;
  struct BatchNormGroup;

  Executor(const TrainGraph& graph, const ExecutorOptions& options);
  Status bind();
  Status prepare_fast();
  static std::unique_ptr<FastOp> clamp_op(const ops::OpContext& ctx, float lo, float hi);
  static std::unique_ptr<FastOp> pool_op(const ops::OpContext& ctx, bool max);
  FastOp* fast_op(size_t i) const;
  Status fast_forward(size_t i, FastOp& f);
  // overwrite: dx[0] is written, not added to (a convolution or pooling that
  // writes its input's gradient first).
  Status fast_backward(size_t k, FastOp& f, const float* dy, const std::vector<float*>& dx, bool overwrite);
  Status infer_shapes();
  Status mark_gradients();
  Status find_batch_norm_groups();
  bool match_batch_norm(const BatchNormTraining& e, BatchNormGroup& grp) const;
  Status batch_norm_forward(BatchNormGroup& grp);
  Status batch_norm_backward(size_t k, BatchNormGroup& grp);
  Status plan();

  const TrainGraph& graph_;
  const ir::Subgraph& g_;
  ExecutorOptions options_;
  std::vector<std::unique_ptr<FastOp>> fast_;  // per op: its fast path, or nullptr
  std::vector<BatchNormGroup> groups_;         // fused batch normalizations (ExecutorOptions::fast)
  std::vector<int> group_of_;                  // per op: index into groups_, or -1
  std::vector<ParamBuffer> params_;
  std::vector<ops::TensorSlot> slots_;
  std::vector<ops::OpContext> contexts_;
  std::vector<bool> constant_;
  std::vector<bool> needs_grad_;    // per tensor: a gradient is computed for it
  std::vector<float*> grad_ptr_;    // per tensor: its gradient buffer (activations: in the grad arena)
  std::vector<std::vector<size_t>> zero_before_;  // per op: gradients its backward writes first (zeroed then)
  std::vector<int64_t> planned_bytes_;
  std::vector<uint8_t> act_arena_;
  std::vector<float> grad_arena_;
  std::vector<float> scratch_;
  std::vector<const float*> dy_;  // backward's per-op gradient pointers, reused
  std::vector<float*> dx_;
  bool reshape_ = false;  // an input's shape changed since the shape rules last ran
  size_t act_bytes_ = 0, grad_bytes_ = 0;
};

}  // namespace tfc::train
