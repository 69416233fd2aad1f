// The passes, each with typed options; registry.cc maps them to names and JSON
// options. Each pass rewrites the model in place and leaves it valid.
// Not here: the table and recipes (pass.h), shared rewriting helpers (graph_edit.h).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "calibration/ranges.h"
#include "ir/graph.h"

namespace tfc::passes {

// fold-dequantize (fold_dequantize.cc): every DEQUANTIZE whose input is a dense
// constant (float16, or int8 / uint8 / int16 with quantization parameters)
// becomes a float32 constant: the op's output tensor keeps its id and name and
// gets the dequantized values (computed by the DEQUANTIZE reference kernel, so
// running the folded model gives exactly the outputs of the original); the op is
// removed, and so are the old constant and its buffer when nothing else uses them.
Status fold_dequantize(ir::Model& model);

// fold-batchnorm (fold_batchnorm.cc): in every subgraph, a MUL or DIV (y / k)
// by a float32 constant (one value, or one per output channel along the last
// axis) and an ADD / SUB (y - k) of one, applied to the output of a CONV_2D,
// DEPTHWISE_CONV_2D, FULLY_CONNECTED or TRANSPOSE_CONV with constant float32
// weights (and a constant bias or none) and no fused activation, whose output
// has no other reader and is no graph output, fold into the weights' output
// channels and the bias (a bias is made for an ADD / SUB when there is none;
// TRANSPOSE_CONV then needs version 3), repeatedly, so MUL then ADD (inference
// BatchNormalization, BiasAdd) folds fully: what the TFLite converter folds.
// A fused activation of the last folded op moves to the weighted op where the
// converter fuses it (fused_activation_version, op_pattern.h), else that op
// stays.
// The surviving tensor is the last folded op's output (its id and name); new
// constants get fresh names; constants and buffers nothing reads any more go.
// Returns how many ops were removed.
Expected<int> fold_batch_norms(ir::Model& model);

// fuse-activation (fuse_activation.cc): a RELU, RELU6 or RELU_N1_TO_1 whose
// float32 input comes from an op with fused activation NONE, is read by nothing
// else and is no graph output, becomes that op's fused activation where the
// TFLite converter fuses it (the table in fuse_activation.cc: conv, depthwise,
// fully connected, ADD / SUB / MUL / DIV, max / average pool; RELU / RELU6 into
// TRANSPOSE_CONV version 4; never TANH, never into CONCATENATION). The
// activation's output tensor survives (id and name). Returns how many
// activation ops were fused.
Expected<int> fuse_activations(ir::Model& model);

// fuse-hard-swish (fuse_hard_swish.cc): float32 x * relu6(x + 3) / 6, as MUL /
// DIV / ADD / RELU6 ops (or an ADD with fused RELU6), becomes one HARD_SWISH in
// the operand orders the TFLite converter recognises (listed in the file); the
// last op's output survives. Returns how many were fused.
Expected<int> fuse_hard_swish(ir::Model& model);

// fuse-gelu (fuse_gelu.cc): float32 GELU in tanh form, (x * 0.5) * (1 +
// tanh(sqrt(2/pi) * (x + 0.044715 * pow(x, 3)))), becomes one GELU with
// approximate = true, in the operand orders the TFLite converter recognises;
// the last op's output survives. Returns how many were fused.
Expected<int> fuse_gelu(ir::Model& model);

// fold-pad (fold_pad.cc): a CONV_2D or DEPTHWISE_CONV_2D with VALID padding
// reading a float32 PAD (zeros, height and width only, static sizes) that pads
// exactly as SAME would reads the PAD's input with SAME padding instead, as
// the TFLite converter folds it; the PAD goes when nothing else reads it.
// Returns how many convs took their PAD in.
Expected<int> fold_pads(ir::Model& model);

// fold-reshapes (fold_reshapes.cc): a RESHAPE, SQUEEZE or EXPAND_DIMS whose
// output only a RESHAPE reads (and no graph output is) is removed and the
// RESHAPE reads its input, as the converter merges chained reshapes (a
// Conv1D's squeeze before a Flatten). Returns how many ops were removed.
Expected<int> fold_reshapes(ir::Model& model);

// merge-duplicate-ops (merge_duplicate_ops.cc): common subexpressions, as the
// converter merges them. An op with the same code, version, options and input
// tensors as an earlier op (and no side effects: not CUSTOM, variable, random
// or control-flow ops) is removed and its readers read the earlier op's
// outputs; one whose output is a graph output stays. Returns how many.
Expected<int> merge_duplicate_ops(ir::Model& model);

// Elementwise chains the TFLite converter rewrites (fuse_elementwise.cc, which
// lists the forms); each returns how many it rewrote, and an inner op other ops
// still read stays for them.
// fuse-relu-clip: MAXIMUM(x, 0) -> RELU; MINIMUM / MAXIMUM clips to [0, 6] and
// [-1, 1] -> RELU6, RELU_N1_TO_1 (float32).
Expected<int> fuse_relu_clips(ir::Model& model);
// fuse-squared-difference: SQUARE(SUB(x, y)) -> SQUARED_DIFFERENCE(x, y).
Expected<int> fuse_squared_differences(ir::Model& model);
// fuse-rsqrt: DIV(x, SQRT(y)) -> MUL(x, RSQRT(y)); DIV(1, SQRT(y)) -> RSQRT(y).
Expected<int> fuse_rsqrt(ir::Model& model);

// fuse-prelu (fuse_prelu.cc): float32 ADD(RELU(x), MUL(c, RELU(NEG(x)))) and
// SUB(RELU(x), MUL(a, RELU(NEG(x)))) with constant c / a become PRELU(x, -c) /
// PRELU(x, a), as the converter writes Keras's PReLU. Returns how many fused.
Expected<int> fuse_prelu(ir::Model& model);

// hoist-channel-ops (hoist_channel_ops.cc): a float32 RELU / RELU6 /
// RELU_N1_TO_1, or MUL / ADD / SUB / DIV by a per-channel constant, reading a
// SQUEEZE / RESHAPE (channels stay last) of a CONV_2D / DEPTHWISE_CONV_2D /
// FULLY_CONNECTED output moves before the reshape, where fold-batchnorm and
// fuse-activation fold it (Keras's Conv1D). Returns how many moved.
Expected<int> hoist_channel_ops(ir::Model& model);

// converter-fusions (converter_fusions.cc): the passes above in one call, in
// the order that lets each see what the one before made: fold-pad, fuse-prelu,
// fuse-relu-clip, fuse-squared-difference, fuse-rsqrt, fuse-hard-swish,
// fuse-gelu, hoist-channel-ops, fold-batchnorm, fuse-activation, fold-reshapes,
// merge-duplicate-ops. What an importer runs to write what the TFLite
// converter writes. Returns the sum of their counts.
Expected<int> fuse_like_converter(ir::Model& model);

// quantize, mode fp16 (quantize_fp16.cc): every dense float32 constant that some
// op reads becomes a float16 constant named "<name>_fp16" (new buffer), read by
// a new DEQUANTIZE op that produces the original tensor (same id and name),
// inserted just before the constant's first reader: the structure the TFLite
// converter writes for supported_types=[tf.float16].
Status quantize_fp16(ir::Model& model);

// quantize, mode dynamic (quantize_dynamic.cc): dynamic-range ("hybrid")
// quantization. The float32 constant weights of CONV_2D, DEPTHWISE_CONV_2D,
// FULLY_CONNECTED, BATCH_MATMUL (constant rhs) and TRANSPOSE_CONV with at least
// `min_elements` elements become int8, symmetric (zero point 0, scale =
// max|w| / 127): per channel along the output-channel axis for CONV_2D (0),
// DEPTHWISE_CONV_2D (3), TRANSPOSE_CONV (0) and FULLY_CONNECTED (0, unless
// per_tensor), per tensor for BATCH_MATMUL; activations and biases stay float.
// Op versions and options are set as the converter sets them for hybrid ops.
struct DynamicRangeOptions {
  int64_t min_elements = 1024;  // the converter's weight-size threshold
  bool per_tensor = false;      // one scale for FULLY_CONNECTED weights
};
Status quantize_dynamic_range(ir::Model& model, const DynamicRangeOptions& options);

// quantize, modes int8 and int16x8 (quantize_int.cc): full-integer
// quantization of subgraph 0 from calibrated activation ranges, following the
// TFLite quantization spec and the converter's layout: per-channel symmetric
// int8 weights (per tensor with per_tensor), int32 bias (int64 with int16
// activations) at input scale x weight scale, activations asymmetric int8
// (int16: symmetric, zero point 0) from their range widened to hold 0, fixed
// output parameters and shared scales as ops/quant_rules.h states. Ops without
// an integer rule, kept float, or lacking a range stay float, with QUANTIZE /
// DEQUANTIZE at the boundaries; integer tensors keep their float names. Graph
// inputs and outputs stay float unless `io` says the activation type or uint8.
struct FullIntegerOptions {
  DType activations = DType::kInt8;  // kInt8, or kInt16 (16x8)
  DType io = DType::kFloat32;        // kFloat32, the activation type, or kUInt8 (int8 only)
  bool per_tensor = false;           // one weight scale per tensor
  std::vector<std::string> keep_float;  // op output tensor names or op names (e.g. "SOFTMAX")
  std::map<ir::TensorId, calibration::Range> ranges;  // activation ranges of subgraph 0
};
struct FloatOp {
  int index = 0;           // op index before the rewrite
  std::string op;          // op name
  std::string output;      // its first output's name
  std::string reason;      // why it stays float
};
struct FullIntegerReport {
  int quantized_ops = 0;
  std::vector<FloatOp> float_ops;
};
Expected<FullIntegerReport> quantize_full_integer(ir::Model& model, const FullIntegerOptions& options);

// "float", "int8", "int16" or "uint8" as model input/output dtype for
// `activations`; InvalidArgument for a combination LiteRT cannot run.
Expected<DType> parse_io_type(std::string_view io, DType activations);

// Scale and zero point the quantizer gives an activation range (int8:
// asymmetric with the zero point nudged into [-128, 127]; int16: symmetric).
std::pair<float, int32_t> activation_qparams(double min, double max, DType activations);

}  // namespace tfc::passes
