// What the fusion passes (fold-batchnorm, fuse-activation, the pattern passes)
// ask of a graph before they rewrite it: whether a tensor has exactly one
// reader and is no graph output, whether a tensor is a plain float32 constant,
// an op's fused activation field, and fresh tensor names.
// Not here: the rewrites themselves (fold_batchnorm.cc, fuse_activation.cc, ...),
// generic editing (graph_edit.h).
#pragma once

#include <string>
#include <string_view>

#include "ir/graph.h"

namespace tfc::passes {

// Whether `id` is an output of subgraph `subgraph` (its output list or a
// signature def's outputs).
bool is_graph_output(const ir::Model& model, int subgraph, ir::TensorId id);

// The index of the one op that reads `id`, or -1 when no op or several ops read
// it, or it is a graph output (then a rewrite must keep it as it is).
int sole_reader(const ir::Model& model, int subgraph, ir::TensorId id);

// Whether `t` is a dense float32 constant without quantization parameters.
bool is_plain_float_constant(const ir::Model& model, const ir::Tensor& t);

// The TFLite converter's activation fusions, one table (op_pattern.cc), found
// by converting each op followed by each activation with TF 2.21:
//   CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, ADD, SUB, MUL, DIV,
//   MAX_POOL_2D, AVERAGE_POOL_2D   RELU, RELU6, RELU_N1_TO_1
//   TRANSPOSE_CONV (version 4)     RELU, RELU6
// and nothing else: TANH (and LOGISTIC) stay separate ops after every one of
// them, and CONCATENATION takes no activation. Returns the version `builtin`
// needs once it carries `a` as its fused activation, or 0 when the converter
// does not fuse `a` into it.
int32_t fused_activation_version(int32_t builtin, tflite::ActivationFunctionType a);

// The op's fused_activation_function field, or nullptr when its options type
// has none (or its options are absent).
tflite::ActivationFunctionType* fused_activation(ir::Op& op);
// The activation an op applies: its fused one, NONE when it has no field.
tflite::ActivationFunctionType fused_activation_of(const ir::Op& op);

// The op writing `id` when it is op `builtin` with no fused activation and
// `id` (its only output) is read only by op `reader` and is no graph output:
// an inner op of a pattern, which the rewrite may remove. Otherwise -1.
int inner_producer(const ir::Model& model, int subgraph, ir::TensorId id, int32_t builtin, int reader);

// Whether tensor `id` is a float32 constant of one element equal to `value`
// within `tolerance` (absolute) that broadcasts without raising the rank of a
// tensor of rank `rank`.
bool is_scalar_constant(const ir::Model& model, const ir::Subgraph& g, ir::TensorId id, float value, int rank,
                        float tolerance = 0.0f);

// For a binary op with a one-element constant input: the other input, when
// the constant equals `value` (see is_scalar_constant); else kNoTensor. With
// `commutes` the constant may be either input, else only the second.
ir::TensorId input_beside_scalar(const ir::Model& model, const ir::Subgraph& g, const ir::Op& op, float value,
                                 bool commutes, float tolerance = 0.0f);

// Replaces op `root` by `op` (which writes root's outputs) and removes the ops
// `inner` (all before root); the pattern's inner tensors then have no reader.
void replace_pattern(ir::Subgraph& g, int root, const std::vector<int>& inner, ir::Op op);

// `base` when no tensor of `graph` is called so, else `base` with the first
// free suffix "_1", "_2", ...
std::string unique_tensor_name(const ir::Subgraph& graph, std::string_view base);

}  // namespace tfc::passes
