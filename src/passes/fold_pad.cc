// fold-pad (see passes.h): a zero PAD of height and width before a VALID
// CONV_2D or DEPTHWISE_CONV_2D becomes the conv's SAME padding when it pads
// exactly as SAME would, as the TFLite converter (TF 2.21) folds it, found by
// converting each case: any other amount, PADV2, a pooling op or a SAME conv
// after the PAD keeps the PAD. A PAD that other ops still read stays for them.
#include <algorithm>
#include <cstring>
#include <optional>

#include "kernels/common.h"
#include "passes/graph_edit.h"
#include "passes/op_pattern.h"
#include "passes/passes.h"

namespace tfc::passes {
namespace {

using B = tflite::BuiltinOperator;

// The 4 x 2 amounts of a PAD's constant paddings (int32 or int64), or empty.
std::vector<int64_t> paddings_of(const ir::Model& m, const ir::Tensor& t) {
  const auto bytes = m.constant_data(t);
  if (t.shape != ir::Shape{4, 2} || t.sparsity) return {};
  std::vector<int64_t> out(8);
  if (t.dtype == DType::kInt32 && bytes.size() == 8 * sizeof(int32_t)) {
    std::vector<int32_t> v(8);
    std::memcpy(v.data(), bytes.data(), bytes.size());
    std::copy(v.begin(), v.end(), out.begin());
    return out;
  }
  if (t.dtype == DType::kInt64 && bytes.size() == 8 * sizeof(int64_t)) {
    std::memcpy(out.data(), bytes.data(), bytes.size());
    return out;
  }
  return {};
}

// Whether padding an axis of size `in` by (before, after) is what SAME padding
// gives a window of `filter` taps with this stride and dilation.
bool is_same_padding(int32_t in, int64_t before, int64_t after, int32_t filter, int32_t stride, int32_t dilation) {
  if (in <= 0 || filter <= 0 || stride <= 0 || dilation <= 0) return false;
  const int32_t out = kernels::window_output_size(kernels::Padding::kSame, in, filter, stride, dilation);
  const int64_t effective = static_cast<int64_t>(filter - 1) * dilation + 1;
  const int64_t total = std::max<int64_t>((static_cast<int64_t>(out) - 1) * stride + effective - in, 0);
  return before == total / 2 && after == total - total / 2;
}

// The conv's window: padding, strides, dilations; nullopt for other ops.
struct Window {
  tflite::Padding* padding;
  int32_t stride_h, stride_w, dilation_h, dilation_w;
};

std::optional<Window> window_of(ir::Op& op) {
  if (auto* o = op.options_as<tflite::Conv2DOptionsT>(); o && op.code.builtin == B::BuiltinOperator_CONV_2D)
    return Window{&o->padding, o->stride_h, o->stride_w, o->dilation_h_factor, o->dilation_w_factor};
  if (auto* o = op.options_as<tflite::DepthwiseConv2DOptionsT>();
      o && op.code.builtin == B::BuiltinOperator_DEPTHWISE_CONV_2D)
    return Window{&o->padding, o->stride_h, o->stride_w, o->dilation_h_factor, o->dilation_w_factor};
  return std::nullopt;
}

// Makes the conv at `index` read the PAD's input with SAME padding when the
// PAD before it pads as SAME would; returns the PAD's index, or -1.
int fold_at(ir::Model& m, int s, int index) {
  ir::Subgraph& g = m.subgraphs[static_cast<size_t>(s)];
  ir::Op& conv = g.ops[static_cast<size_t>(index)];
  const auto w = window_of(conv);
  if (!w || *w->padding != tflite::Padding_VALID || conv.inputs.size() < 2 || conv.inputs[0] == ir::kNoTensor ||
      conv.inputs[1] == ir::kNoTensor) {
    return -1;
  }
  const int p = producer(g, conv.inputs[0]);
  if (p < 0 || g.ops[static_cast<size_t>(p)].code.builtin != B::BuiltinOperator_PAD) return -1;
  const ir::Op& pad = g.ops[static_cast<size_t>(p)];
  if (pad.inputs.size() != 2 || pad.outputs.size() != 1 || pad.inputs[0] == ir::kNoTensor ||
      pad.inputs[1] == ir::kNoTensor)
    return -1;
  const ir::Tensor& x = g.tensors[pad.inputs[0]];
  const ir::Tensor& weights = g.tensors[conv.inputs[1]];
  const std::vector<int64_t> pads = paddings_of(m, g.tensors[pad.inputs[1]]);
  if (pads.empty() || x.dtype != DType::kFloat32 || x.shape.size() != 4 || weights.shape.size() != 4) return -1;
  // A dynamic height or width makes SAME's amounts depend on the input.
  if (!x.shape_signature.empty() &&
      (x.shape_signature.size() != 4 || x.shape_signature[1] < 0 || x.shape_signature[2] < 0))
    return -1;
  if (pads[0] != 0 || pads[1] != 0 || pads[6] != 0 || pads[7] != 0) return -1;
  if (!is_same_padding(x.shape[1], pads[2], pads[3], weights.shape[1], w->stride_h, w->dilation_h) ||
      !is_same_padding(x.shape[2], pads[4], pads[5], weights.shape[2], w->stride_w, w->dilation_w))
    return -1;
  *w->padding = tflite::Padding_SAME;
  conv.inputs[0] = pad.inputs[0];
  return p;
}

}  // namespace

Expected<int> fold_pads(ir::Model& model) {
  int folded = 0;
  for (size_t s = 0; s < model.subgraphs.size(); ++s) {
    ir::Subgraph& g = model.subgraphs[s];
    std::vector<int> pads;  // those a conv no longer reads
    for (size_t i = 0; i < g.ops.size(); ++i) {
      const int pad = fold_at(model, static_cast<int>(s), static_cast<int>(i));
      if (pad >= 0) pads.push_back(pad);
    }
    folded += static_cast<int>(pads.size());
    std::erase_if(pads, [&](int p) {
      const ir::TensorId out = g.ops[static_cast<size_t>(p)].outputs[0];
      return !consumers(g, out).empty() || is_graph_output(model, static_cast<int>(s), out);
    });
    remove_ops(g, pads);  // duplicates are ignored
  }
  remove_unused_tensors(model);
  remove_unused_buffers(model);
  return folded;
}

}  // namespace tfc::passes
