// The steps build_train_graph and export_inference are made of (train_graph.h),
// one file each: re-batching (train_rebatch.cc), parameters and float16
// weights (train_params.cc), training-mode batch norm (train_batchnorm.cc),
// noise inputs (train_noise.cc), and placing new ops inside an existing graph
// with shapes from their own rules (train_emit.cc).
// Not here: the public contract (train_graph.h), the executor (train/executor.h).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/status.h"
#include "importers/graph_builder.h"
#include "importers/training_state.h"
#include "ir/graph.h"
#include "train/train_graph.h"

namespace tfc::train::detail {

// Adds ops through a GraphBuilder (output shapes from each op's shape rule, no
// constant folding) and moves each to position `at` of subgraph 0, so that a
// sequence of ops lands between existing ones in execution order.
class Emitter {
 public:
  Emitter(importers::GraphBuilder& b, int at) : b_(b), at_(at) {}
  Expected<ir::TensorId> op(int32_t builtin, std::vector<ir::TensorId> inputs, tflite::BuiltinOptionsUnion options,
                            const std::string& name);
  int at() const { return at_; }

 private:
  importers::GraphBuilder& b_;
  int at_;
};

// A fresh tensor name in subgraph 0 built from `base`.
std::string fresh_name(const ir::Model& model, const std::string& base);
// The id of the tensor of subgraph 0 called `name`, or kNoTensor.
ir::TensorId find_tensor(const ir::Model& model, const std::string& name);
// Makes every reader of `from` (ops after op `skip`, graph outputs, signature
// outputs) read `to` instead.
void redirect_readers(ir::Model& model, ir::TensorId from, ir::TensorId to, int skip);

// Re-batching (train_rebatch.cc): every input of subgraph 0 gets batch dim
// `batch`, constant shape operands that pin the old batch are rewritten and
// every tensor's shape is inferred again by the ops' shape rules. Unsupported
// where an op moves or reduces the batch dimension.
Status rebatch(ir::Model& model, int64_t batch);

// Float16 weights (train_params.cc): each DEQUANTIZE of a dense float16
// constant that only DEQUANTIZE ops read becomes a float32 constant named as
// the float16 one; `stored` maps those names to kFloat16.
Status dequantize_weights(ir::Model& model, std::map<std::string, DType>& stored);
// Whether input `input` of `op` is a parameter by the rule for models without
// TrainingState (train_graph.h).
bool is_parameter_operand(const ir::Model& model, const ir::Op& op, size_t input);
// The parameters of `graph.model` (in order of first use): tensors named in
// `names` when `by_name`, else the operands is_parameter_operand accepts.
// Each gets its own buffer.
void collect_parameters(TrainGraph& graph, bool by_name, const std::vector<std::string>& names,
                        const std::map<std::string, DType>& stored, const std::vector<std::string>& freeze);
// Replaces the bytes of constant `id` (subgraph 0) by `bytes` of `dtype` (its
// own dtype), in a buffer of its own.
Status set_constant(ir::Model& model, ir::TensorId id, std::vector<uint8_t> bytes, DType dtype);
// Whether `name` matches one of the glob patterns (* and ?).
bool matches_any(const std::vector<std::string>& patterns, const std::string& name);

// Training-mode batch norm (train_batchnorm.cc): each record's folded or
// MUL / ADD form becomes batch statistics; adds the names of the parameters it
// makes (gamma, beta, restored kernel and bias) to `params` and fills
// graph.batch_norms (tensor ids resolved later from `stat_names`).
Status rebuild_batch_norms(importers::GraphBuilder& b, const importers::TrainingState& state,
                           const TrainGraphOptions& options, TrainGraph& graph, std::vector<std::string>& params,
                           std::vector<std::pair<std::string, std::string>>& stat_names);

// Export (train_batchnorm.cc): each batch norm of `graph` folded again into
// `out` (a copy of the inference model) with its trained gamma, beta, kernel
// and bias (`values`, by parameter name) and moving statistics, as the
// importer and fold-batchnorm fold; adds the parameter names it wrote.
Status refold_batch_norms(ir::Model& out, const importers::TrainingState& state, const TrainGraph& graph,
                          const std::map<std::string, const Array*>& values, std::set<std::string>& written);

// Noise inputs (train_noise.cc): one graph input (two for AlphaDropout) and a
// MUL / ADD per Dropout-family record; fills graph.noise (tensor ids resolved
// later from `input_names`).
Status insert_noise(importers::GraphBuilder& b, const importers::TrainingState& state, TrainGraph& graph,
                    std::vector<std::string>& input_names);

}  // namespace tfc::train::detail
