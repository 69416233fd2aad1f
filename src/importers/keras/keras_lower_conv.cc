// Keras convolutions -> TFLite, as the converter writes them. Kernels are
// re-laid out at import: Conv2D (kh,kw,in,out) -> CONV_2D (out,kh,kw,in);
// DepthwiseConv2D (kh,kw,in,mult) -> (1,kh,kw,in*mult); Conv2DTranspose
// (kh,kw,out,in) -> TRANSPOSE_CONV (out,kh,kw,in). Conv1D and SeparableConv1D
// run as their 2-D forms on an EXPAND_DIMS'd height of 1, with the activation
// before the final RESHAPE so it can fuse. A ZeroPadding2D that pads as "same"
// would is absorbed into the conv (PAD + VALID -> SAME), as the converter does. Every conv gets a bias (zeros when
// the layer has none), as the converter's do.
// Not here: Dense (keras_lower_dense.cc).
#include "importers/keras/keras_lower_layers.h"

namespace tfc::importers::keras {

using tflite::BuiltinOperator;

Array transpose_array(const Array& a, const std::vector<int>& perm) {
  Array out;
  out.dtype = a.dtype;
  const size_t rank = a.shape.size();
  out.shape.resize(rank);
  for (size_t i = 0; i < rank; ++i) out.shape[i] = a.shape[static_cast<size_t>(perm[i])];
  const size_t es = dtype_size(a.dtype);
  out.data.resize(a.data.size());
  std::vector<int64_t> in_strides(rank, 1);
  for (size_t i = rank; i-- > 1;) in_strides[i - 1] = in_strides[i] * a.shape[i];
  std::vector<int64_t> idx(rank, 0);
  const int64_t n = a.num_elements();
  for (int64_t o = 0; o < n; ++o) {
    int64_t src = 0;
    for (size_t i = 0; i < rank; ++i) src += idx[i] * in_strides[static_cast<size_t>(perm[i])];
    std::memcpy(out.data.data() + o * es, a.data.data() + src * es, es);
    for (size_t i = rank; i-- > 0;) {
      if (++idx[i] < out.shape[i]) break;
      idx[i] = 0;
    }
  }
  return out;
}

namespace {

struct ConvSpec {
  std::vector<int> kernel, strides, dilation;
  std::string padding;
  int filters = 0;
  bool use_bias = true;
};

Expected<ConvSpec> conv_spec(LowerContext& c, size_t spatial) {
  TFC_RETURN_IF_ERROR(c.require_channels_last());
  ConvSpec s;
  TFC_ASSIGN_OR_RETURN(s.kernel, c.get_ints("kernel_size", spatial, 1));
  TFC_ASSIGN_OR_RETURN(s.strides, c.get_ints("strides", spatial, 1));
  TFC_ASSIGN_OR_RETURN(s.dilation, c.get_ints("dilation_rate", spatial, 1));
  TFC_ASSIGN_OR_RETURN(s.padding, c.get_string("padding", "valid"));
  TFC_ASSIGN_OR_RETURN(s.filters, c.get_int("filters", 0));
  TFC_ASSIGN_OR_RETURN(s.use_bias, c.get_bool("use_bias", true));
  TFC_ASSIGN_OR_RETURN(int groups, c.get_int("groups", 1));
  if (groups != 1) return c.refuse("groups={} is not supported", groups);
  for (size_t i = 0; i < spatial; ++i) {
    if (s.kernel[i] < 1 || s.strides[i] < 1 || s.dilation[i] < 1) return c.invalid("kernel, strides and dilation must be positive");
  }
  return s;
}

// The bias constant: the layer's bias weight at `index`, or zeros.
Expected<ir::TensorId> bias_or_zeros(LowerContext& c, bool use_bias, size_t index, int64_t channels) {
  if (!use_bias) return c.b.constant_f32(c.name("bias"), {static_cast<int32_t>(channels)},
                                         std::vector<float>(static_cast<size_t>(channels), 0.0f));
  TFC_ASSIGN_OR_RETURN(const Array* bias, c.weight(index, "bias", {channels}));
  return c.trainable_constant(c.name("bias"), *bias);
}

Expected<ir::TensorId> expand_height(LowerContext& c, ir::TensorId x) {
  ir::TensorId axis = c.b.constant_i32(c.name("ExpandDims/dim"), {}, {1});
  return c.b.op1(BuiltinOperator::BuiltinOperator_EXPAND_DIMS, {x, axis}, options(tflite::ExpandDimsOptionsT{}),
                 c.name("ExpandDims"));
}

// Activation, then back to rank 3 when the layer is 1-D.
Expected<std::vector<ir::TensorId>> finish(LowerContext& c, ir::TensorId y, bool one_d) {
  TFC_ASSIGN_OR_RETURN(std::string act, c.activation());
  TFC_ASSIGN_OR_RETURN(y, apply_activation(c, y, act));
  if (one_d) {
    const ir::Shape& s = c.b.shape(y);
    TFC_ASSIGN_OR_RETURN(y, reshape(c, y, {s[0], s[2], s[3]}, "Squeeze"));
  }
  return std::vector<ir::TensorId>{y};
}

// The input as NHWC, height 1 for a 1-D layer; `in` its channel count.
Expected<ir::TensorId> nhwc_input(LowerContext& c, ir::TensorId x, bool one_d) {
  const size_t rank = c.b.shape(x).size();
  if (rank != (one_d ? 3u : 4u)) return c.invalid("expects a rank-{} input, got rank {}", one_d ? 3 : 4, rank);
  if (!one_d) return x;
  return expand_height(c, x);
}

// Keras Conv1D padding="causal": pad (k-1)*d on the left of the time axis, then VALID.
Expected<ir::TensorId> causal_pad(LowerContext& c, ir::TensorId x, int left) {
  ir::TensorId pads = c.b.constant_i32(c.name("Pad/paddings"), {3, 2}, {0, 0, left, 0, 0, 0});
  return c.b.op1(BuiltinOperator::BuiltinOperator_PAD, {x, pads}, options(tflite::PadOptionsT{}), c.name("Pad"));
}

// A ZeroPadding2D before a "valid" conv that pads exactly as "same" would: the
// PAD's input, read by the conv with SAME padding (as the converter folds it).
std::optional<ir::TensorId> absorb_same_padding(LowerContext& c, ir::TensorId x, const ConvSpec& s) {
  const int p = c.b.producer(x);
  if (s.padding != "valid" || p < 0 || c.b.num_consumers(x) != 0) return std::nullopt;
  const ir::Op& op = c.b.op_at(p);
  if (op.code.builtin != BuiltinOperator::BuiltinOperator_PAD || op.inputs.size() != 2 || !c.b.is_constant(op.inputs[1])) {
    return std::nullopt;
  }
  const ir::TensorId pre = op.inputs[0];
  const ir::Shape& ps = c.b.shape(pre);
  const auto pads = c.b.values<int32_t>(op.inputs[1]);
  if (ps.size() != 4 || pads.size() != 8 || pads[0] || pads[1] || pads[6] || pads[7]) return std::nullopt;
  for (int d = 0; d < 2; ++d) {
    const int in = ps[static_cast<size_t>(d + 1)], stride = s.strides[static_cast<size_t>(d)];
    const int k = (s.kernel[static_cast<size_t>(d)] - 1) * s.dilation[static_cast<size_t>(d)] + 1;
    const int out = (in + stride - 1) / stride, total = std::max((out - 1) * stride + k - in, 0);
    if (pads[static_cast<size_t>(2 * (d + 1))] != total / 2 || pads[static_cast<size_t>(2 * (d + 1) + 1)] != total - total / 2) {
      return std::nullopt;
    }
  }
  return pre;
}

Expected<std::vector<ir::TensorId>> lower_conv(LowerContext& c, const std::vector<ir::TensorId>& in, bool one_d) {
  TFC_ASSIGN_OR_RETURN(ConvSpec s, conv_spec(c, one_d ? 1 : 2));
  ir::TensorId x = in[0];
  if (one_d && s.padding == "causal") {
    TFC_ASSIGN_OR_RETURN(x, causal_pad(c, x, (s.kernel[0] - 1) * s.dilation[0]));
    s.padding = "valid";
  }
  if (one_d) {  // as 2-D with a kernel height of 1
    s.kernel.insert(s.kernel.begin(), 1);
    s.strides.insert(s.strides.begin(), 1);
    s.dilation.insert(s.dilation.begin(), 1);
  }
  if (const auto pre = one_d ? std::nullopt : absorb_same_padding(c, x, s)) {
    x = *pre;
    s.padding = "same";
  }
  TFC_ASSIGN_OR_RETURN(tflite::Padding pad, padding_of(c, s.padding));
  TFC_ASSIGN_OR_RETURN(x, nhwc_input(c, x, one_d));
  const int64_t cin = c.b.shape(x).back();
  std::vector<int64_t> kshape = {s.kernel[1], cin, s.filters};
  if (!one_d) kshape.insert(kshape.begin(), s.kernel[0]);
  TFC_ASSIGN_OR_RETURN(const Array* k, c.weight(0, "kernel", kshape));
  Array w = transpose_array(*k, one_d ? std::vector<int>{2, 0, 1} : std::vector<int>{3, 0, 1, 2});
  w.shape = {s.filters, s.kernel[0], s.kernel[1], cin};
  TFC_ASSIGN_OR_RETURN(ir::TensorId wt, c.trainable_constant(c.name("kernel"), w));
  TFC_ASSIGN_OR_RETURN(ir::TensorId bt, bias_or_zeros(c, s.use_bias, 1, s.filters));
  auto o = conv_window<tflite::Conv2DOptionsT>(pad, {s.strides[0], s.strides[1]}, {s.dilation[0], s.dilation[1]});
  TFC_ASSIGN_OR_RETURN(ir::TensorId y, c.b.op1(BuiltinOperator::BuiltinOperator_CONV_2D, {x, wt, bt}, options(o),
                                               c.name("convolution")));
  return finish(c, y, one_d);
}

// A depthwise conv of x with kernel (kh,kw,in,mult) already checked.
Expected<ir::TensorId> depthwise(LowerContext& c, ir::TensorId x, const Array& kernel, const ConvSpec& s,
                                 tflite::Padding pad, ir::TensorId bias, const std::string& op_name) {
  Array w = kernel;
  w.shape = {1, kernel.shape[0], kernel.shape[1], kernel.shape[2] * kernel.shape[3]};
  TFC_ASSIGN_OR_RETURN(ir::TensorId wt, c.trainable_constant(c.name(op_name + "/kernel"), w));
  auto o = conv_window<tflite::DepthwiseConv2DOptionsT>(pad, {s.strides[0], s.strides[1]}, {s.dilation[0], s.dilation[1]});
  o.depth_multiplier = static_cast<int32_t>(kernel.shape[3]);
  return c.b.op1(BuiltinOperator::BuiltinOperator_DEPTHWISE_CONV_2D, {x, wt, bias}, options(o), c.name(op_name));
}

Expected<std::vector<ir::TensorId>> lower_separable(LowerContext& c, const std::vector<ir::TensorId>& in, bool one_d) {
  TFC_ASSIGN_OR_RETURN(ConvSpec s, conv_spec(c, one_d ? 1 : 2));
  TFC_ASSIGN_OR_RETURN(int mult, c.get_int("depth_multiplier", 1));
  if (one_d) {
    s.kernel.insert(s.kernel.begin(), 1);
    s.strides.insert(s.strides.begin(), 1);
    s.dilation.insert(s.dilation.begin(), 1);
  }
  TFC_ASSIGN_OR_RETURN(tflite::Padding pad, padding_of(c, s.padding));
  TFC_ASSIGN_OR_RETURN(ir::TensorId x, nhwc_input(c, in[0], one_d));
  const int64_t cin = c.b.shape(x).back();
  std::vector<int64_t> dshape = {s.kernel[1], cin, mult}, pshape = {1, cin * mult, s.filters};
  if (!one_d) {
    dshape.insert(dshape.begin(), s.kernel[0]);
    pshape.insert(pshape.begin(), 1);
  }
  TFC_ASSIGN_OR_RETURN(const Array* dk, c.weight(0, "depthwise_kernel", dshape));
  TFC_ASSIGN_OR_RETURN(const Array* pk, c.weight(1, "pointwise_kernel", pshape));
  Array dk4 = *dk, pk4 = *pk;
  dk4.shape = {s.kernel[0], s.kernel[1], cin, mult};
  pk4.shape = {1, 1, cin * mult, s.filters};
  ir::TensorId zero = c.b.constant_f32(c.name("separable_conv2d/depthwise/bias"), {static_cast<int32_t>(cin * mult)},
                                       std::vector<float>(static_cast<size_t>(cin * mult), 0.0f));
  TFC_ASSIGN_OR_RETURN(ir::TensorId d, depthwise(c, x, dk4, s, pad, zero, "separable_conv2d/depthwise"));
  Array w = transpose_array(pk4, {3, 0, 1, 2});
  TFC_ASSIGN_OR_RETURN(ir::TensorId wt, c.trainable_constant(c.name("separable_conv2d/pointwise_kernel"), w));
  TFC_ASSIGN_OR_RETURN(ir::TensorId bt, bias_or_zeros(c, s.use_bias, 2, s.filters));
  tflite::Conv2DOptionsT o;
  o.padding = tflite::Padding_VALID;
  o.stride_h = o.stride_w = 1;
  TFC_ASSIGN_OR_RETURN(ir::TensorId y, c.b.op1(BuiltinOperator::BuiltinOperator_CONV_2D, {d, wt, bt}, options(o),
                                               c.name("separable_conv2d")));
  return finish(c, y, one_d);
}

}  // namespace

Expected<std::vector<ir::TensorId>> lower_conv1d(LowerContext& c, const std::vector<ir::TensorId>& in) {
  return lower_conv(c, in, true);
}
Expected<std::vector<ir::TensorId>> lower_conv2d(LowerContext& c, const std::vector<ir::TensorId>& in) {
  return lower_conv(c, in, false);
}
Expected<std::vector<ir::TensorId>> lower_separable1d(LowerContext& c, const std::vector<ir::TensorId>& in) {
  return lower_separable(c, in, true);
}
Expected<std::vector<ir::TensorId>> lower_separable2d(LowerContext& c, const std::vector<ir::TensorId>& in) {
  return lower_separable(c, in, false);
}

Expected<std::vector<ir::TensorId>> lower_depthwise2d(LowerContext& c, const std::vector<ir::TensorId>& in) {
  TFC_ASSIGN_OR_RETURN(ConvSpec s, conv_spec(c, 2));
  TFC_ASSIGN_OR_RETURN(int mult, c.get_int("depth_multiplier", 1));
  ir::TensorId x = in[0];
  if (const auto pre = absorb_same_padding(c, x, s)) {
    x = *pre;
    s.padding = "same";
  }
  TFC_ASSIGN_OR_RETURN(tflite::Padding pad, padding_of(c, s.padding));
  TFC_ASSIGN_OR_RETURN(x, nhwc_input(c, x, false));
  const int64_t cin = c.b.shape(x).back();
  TFC_ASSIGN_OR_RETURN(const Array* k, c.weight(0, "kernel", {s.kernel[0], s.kernel[1], cin, mult}));
  TFC_ASSIGN_OR_RETURN(ir::TensorId bt, bias_or_zeros(c, s.use_bias, 1, cin * mult));
  TFC_ASSIGN_OR_RETURN(ir::TensorId y, depthwise(c, x, *k, s, pad, bt, "depthwise"));
  return finish(c, y, false);
}

namespace {

// Keras deconv_output_length without output_padding.
int transpose_length(int in, int k, int stride, const std::string& padding) {
  return padding == "same" ? in * stride : in * stride + std::max(k - stride, 0);
}

}  // namespace

Expected<std::vector<ir::TensorId>> lower_conv2d_transpose(LowerContext& c, const std::vector<ir::TensorId>& in) {
  TFC_ASSIGN_OR_RETURN(ConvSpec s, conv_spec(c, 2));
  if (c.layer.config.contains("output_padding") && !c.layer.config["output_padding"].is_null()) {
    return c.refuse("output_padding is not supported");
  }
  if (s.dilation[0] != 1 || s.dilation[1] != 1) return c.refuse("dilation_rate other than 1 is not supported");
  TFC_ASSIGN_OR_RETURN(tflite::Padding pad, padding_of(c, s.padding));
  TFC_ASSIGN_OR_RETURN(ir::TensorId x, nhwc_input(c, in[0], false));
  const ir::Shape xs = c.b.shape(x);
  TFC_ASSIGN_OR_RETURN(const Array* k, c.weight(0, "kernel", {s.kernel[0], s.kernel[1], s.filters, xs[3]}));
  TFC_ASSIGN_OR_RETURN(ir::TensorId wt, c.trainable_constant(c.name("conv_transpose/kernel"),
                                                             transpose_array(*k, {2, 0, 1, 3})));
  TFC_ASSIGN_OR_RETURN(ir::TensorId bt, bias_or_zeros(c, s.use_bias, 1, s.filters));
  ir::TensorId out_shape = c.b.constant_i32(
      c.name("conv_transpose/output_shape"), {4},
      {xs[0], transpose_length(xs[1], s.kernel[0], s.strides[0], s.padding),
       transpose_length(xs[2], s.kernel[1], s.strides[1], s.padding), s.filters});
  tflite::TransposeConvOptionsT o;
  o.padding = pad;
  o.stride_h = s.strides[0];
  o.stride_w = s.strides[1];
  TFC_ASSIGN_OR_RETURN(ir::TensorId y, c.b.op1(BuiltinOperator::BuiltinOperator_TRANSPOSE_CONV, {out_shape, wt, x, bt},
                                               options(o), c.name("conv_transpose"), DType::kFloat32, 3));
  return finish(c, y, false);
}

}  // namespace tfc::importers::keras
