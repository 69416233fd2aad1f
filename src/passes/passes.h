// The passes, each with typed options; registry.cc maps them to names and JSON
// options. Each pass rewrites the model in place and leaves it valid.
// Not here: the table and recipes (pass.h), shared rewriting helpers (graph_edit.h).
#pragma once

#include <cstdint>

#include "core/status.h"
#include "ir/graph.h"

namespace tfc::passes {

// fold-dequantize (fold_dequantize.cc): every DEQUANTIZE whose input is a dense
// constant (float16, or int8 / uint8 / int16 with quantization parameters)
// becomes a float32 constant: the op's output tensor keeps its id and name and
// gets the dequantized values (computed by the DEQUANTIZE reference kernel, so
// running the folded model gives exactly the outputs of the original); the op is
// removed, and so are the old constant and its buffer when nothing else uses them.
Status fold_dequantize(ir::Model& model);

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

}  // namespace tfc::passes
