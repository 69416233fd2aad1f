// Shape rules and float kernels of the conv family: CONV_2D, DEPTHWISE_CONV_2D,
// TRANSPOSE_CONV, FULLY_CONNECTED, BATCH_MATMUL, AVERAGE_POOL_2D, MAX_POOL_2D.
// Each _shape validates what LiteRT's Prepare checks (plus a few checks LiteRT
// leaves to debug asserts) and sizes the output; each _eval dispatches on the
// kind of the op (OpKind below):
// - float32: kernels/conv_ref.h;
// - int8 and int16x8 (integer activations, int8 weights): kernels/conv_int.h;
// - hybrid (float32 activations, int8 weights): kernels/hybrid_ref.h.
// Quantization parameters are validated in the shape rules: activations
// per-tensor (int16: zero point 0), weights symmetric with one scale or one
// per output channel, every scale positive and finite. Other weight dtypes
// (uint8, int4, int16) are unsupported; float16 weights reach these ops
// through a DEQUANTIZE op in converter output, so they arrive here as float32.
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "kernels/conv_int.h"
#include "kernels/conv_ref.h"
#include "kernels/hybrid_ref.h"
#include "ops/conv_options.h"
#include "ops/op_util.h"
#include "ops/registry.h"

namespace tfc::ops {
namespace {

using kernels::Padding;

// ---- Kinds and quantization parameters -----------------------------------------

// How an op of this family computes, from its activation and weight dtypes.
enum class OpKind { kFloat, kInt8, kInt16, kHybrid };

const char* kind_name(OpKind k) {
  switch (k) {
    case OpKind::kFloat: return "float32";
    case OpKind::kInt8: return "int8";
    case OpKind::kInt16: return "int16x8";
    case OpKind::kHybrid: return "hybrid";
  }
  return "?";
}

// The kind from the activation input `act` and the weights `w` (float32
// weights with float32 activations; int8 weights with int8, int16 or float32
// activations). Does not look at quantization parameters.
Expected<OpKind> op_kind(const OpContext& ctx, int act, int w) {
  const DType a = ctx.input_dtype(act), wt = ctx.input_dtype(w);
  if (a == DType::kFloat32 && wt == DType::kFloat32) return OpKind::kFloat;
  if (wt == DType::kInt8) {
    if (a == DType::kFloat32) return OpKind::kHybrid;
    if (a == DType::kInt8) return OpKind::kInt8;
    if (a == DType::kInt16) return OpKind::kInt16;
    return ctx.unsupported_dtype(act);
  }
  if (wt == DType::kFloat16)
    return unsupported("{}: weights '{}' are float16; expected them dequantized to float32 by a DEQUANTIZE op",
                       ctx.op_name(), ctx.input_tensor(w).name);
  if (a == DType::kFloat32 || a == DType::kInt8 || a == DType::kInt16) {
    if (wt == DType::kFloat32)
      return unsupported("{}: input '{}' is {} but weights '{}' are float32; integer activations need int8 weights",
                         ctx.op_name(), ctx.input_tensor(act).name, dtype_name(a), ctx.input_tensor(w).name);
    return unsupported("{}: weights '{}' have dtype {}; only float32 and int8 weights are supported", ctx.op_name(),
                       ctx.input_tensor(w).name, dtype_name(wt));
  }
  return ctx.unsupported_dtype(act);
}

DType activation_dtype(OpKind k) {
  return k == OpKind::kInt8 ? DType::kInt8 : k == OpKind::kInt16 ? DType::kInt16 : DType::kFloat32;
}

bool valid_scale(float s) { return std::isfinite(s) && s > 0.0f; }

// A quantized activation tensor (input or output of an integer op): one
// positive finite scale and one zero point inside the dtype (int16: 0).
Status check_activation_quant(const OpContext& ctx, const ir::Tensor& t, const char* role) {
  if (!t.is_quantized())
    return ctx.error("{} '{}' ({}) has no quantization parameters", role, t.name, dtype_name(t.dtype));
  const ir::Quantization& q = *t.quantization;
  if (q.scale.size() != 1 || q.zero_point.size() > 1)
    return ctx.error("{} '{}' must be quantized per tensor, got {} scales and {} zero points", role, t.name,
                     q.scale.size(), q.zero_point.size());
  if (!valid_scale(q.scale[0])) return ctx.error("{} '{}' has scale {}, expected a positive finite value", role,
                                                 t.name, q.scale[0]);
  const int64_t zp = q.zero_point.empty() ? 0 : q.zero_point[0];
  if (t.dtype == DType::kInt16 && zp != 0)
    return ctx.error("{} '{}' is int16 with zero point {}; int16 activations must have zero point 0", role, t.name,
                     zp);
  if (t.dtype == DType::kInt8 && (zp < -128 || zp > 127))
    return ctx.error("{} '{}' has zero point {}, outside int8", role, t.name, zp);
  return Status::ok();
}

// Int8 weights (input w): present, symmetric (zero points 0), one scale or
// one per output channel along `axis` (channels of them); positive finite.
// Int8 weights without any are not a kernel we have (kUnsupported).
Status check_weight_quant(const OpContext& ctx, OpKind kind, int w, int32_t channels, int32_t axis) {
  const ir::Tensor& t = ctx.input_tensor(w);
  if (!t.is_quantized())
    return unsupported("{}: the {} kernel needs quantized int8 weights, but weights '{}' have no quantization "
                       "parameters",
                       ctx.op_name(), kind_name(kind), t.name);
  const ir::Quantization& q = *t.quantization;
  const size_t n = q.scale.size();
  if (n != 1 && n != static_cast<size_t>(channels))
    return ctx.error("weights '{}' have {} scales, expected 1 or {} (one per output channel)", t.name, n, channels);
  if (n > 1 && q.axis != axis)
    return ctx.error("weights '{}' are quantized along axis {}, expected the output-channel axis {}", t.name, q.axis,
                     axis);
  for (float s : q.scale)
    if (!valid_scale(s)) return ctx.error("weights '{}' have scale {}, expected positive finite scales", t.name, s);
  if (!q.zero_point.empty() && q.zero_point.size() != 1 && q.zero_point.size() != n)
    return ctx.error("weights '{}' have {} zero points for {} scales", t.name, q.zero_point.size(), n);
  for (int64_t zp : q.zero_point)
    if (zp != 0) return ctx.error("weights '{}' have zero point {}; int8 weights must be symmetric (0)", t.name, zp);
  return Status::ok();
}

// The bias (input i, optional): one value per output channel, of a dtype
// `allowed` for this kind.
Status check_bias(const OpContext& ctx, int i, int32_t channels, std::initializer_list<DType> allowed) {
  if (!ctx.has_input(i)) return Status::ok();
  if (!is_one_of(ctx.input_dtype(i), allowed))
    return unsupported("{}: bias '{}' has dtype {}, which this kernel does not accept here", ctx.op_name(),
                       ctx.input_tensor(i).name, dtype_name(ctx.input_dtype(i)));
  const int64_t n = ir::num_elements(ctx.input_shape(i));
  if (n == channels) return Status::ok();
  return ctx.error("bias '{}' has {} elements, expected {} (one per output channel)", ctx.input_tensor(i).name, n,
                   channels);
}

// Bias dtypes by kind: float32 for float and hybrid, int32 for int8; int16x8
// takes int64 or (where LiteRT does) int32.
std::initializer_list<DType> bias_dtypes(OpKind k, bool int16_accepts_int32) {
  static constexpr std::initializer_list<DType> kFloat = {DType::kFloat32};
  static constexpr std::initializer_list<DType> kInt32 = {DType::kInt32};
  static constexpr std::initializer_list<DType> kInt64 = {DType::kInt64};
  static constexpr std::initializer_list<DType> kBoth = {DType::kInt32, DType::kInt64};
  switch (k) {
    case OpKind::kInt8: return kInt32;
    case OpKind::kInt16: return int16_accepts_int32 ? kBoth : kInt64;
    default: return kFloat;
  }
}

// Everything but geometry for an op with activation input `act`, weights
// `w` (channels along `axis`) and bias `bias`: output dtype, quantization.
Status check_kind(const OpContext& ctx, OpKind kind, int act, int w, int bias, int32_t channels, int32_t axis,
                  bool int16_bias_int32, tflite::ActivationFunctionType activation) {
  TFC_RETURN_IF_ERROR(check_output_dtype(ctx, 0, activation_dtype(kind)));
  TFC_RETURN_IF_ERROR(check_bias(ctx, bias, channels, bias_dtypes(kind, int16_bias_int32)));
  if (kind == OpKind::kFloat) return Status::ok();
  if (activation == tflite::ActivationFunctionType_TANH || activation == tflite::ActivationFunctionType_SIGN_BIT)
    return unsupported("{}: fused activation {} is not supported by the {} kernel", ctx.op_name(),
                       tflite::EnumNameActivationFunctionType(activation), kind_name(kind));
  TFC_RETURN_IF_ERROR(check_weight_quant(ctx, kind, w, channels, axis));
  if (kind == OpKind::kHybrid) return Status::ok();
  TFC_RETURN_IF_ERROR(check_activation_quant(ctx, ctx.input_tensor(act), "input"));
  return check_activation_quant(ctx, ctx.output_tensor(0), "output");
}

float tensor_scale(const ir::Tensor& t) { return t.quantization->scale[0]; }
int32_t tensor_zero_point(const ir::Tensor& t) {
  return t.quantization->zero_point.empty() ? 0 : static_cast<int32_t>(t.quantization->zero_point[0]);
}
std::span<const float> weight_scales(const OpContext& ctx, int w) { return ctx.input_tensor(w).quantization->scale; }

// The requantization of an integer op whose activations are of type T.
template <typename T>
kernels::IntConvQuant int_quant(const OpContext& ctx, int act, int w, int32_t channels, kernels::Activation a) {
  const ir::Tensor& in = ctx.input_tensor(act);
  const ir::Tensor& out = ctx.output_tensor(0);
  kernels::IntConvQuant q;
  q.input_zero_point = tensor_zero_point(in);
  q.output_zero_point = tensor_zero_point(out);
  q.multipliers = kernels::conv_multipliers(tensor_scale(in), weight_scales(ctx, w), tensor_scale(out), channels);
  q.range = kernels::activation_range<T>(a, tensor_scale(out), q.output_zero_point);
  // The XNNPACK-compatible rescale (kernels/quant_util.h) applies to int8 only.
  if constexpr (std::is_same_v<T, int8_t>) {
    if (ctx.arithmetic() == kernels::Requantization::kFloat) {
      q.requantization = kernels::Requantization::kFloat;
      q.float_scales =
          kernels::conv_float_scales(tensor_scale(in), weight_scales(ctx, w), tensor_scale(out), channels);
      q.range = kernels::activation_range_float<T>(a, tensor_scale(out), q.output_zero_point);
    }
  }
  return q;
}

// Calls f(T{}, Acc{}) for an integer op: int8 -> (int8, int32); int16 ->
// (int16, int64) with an int64 bias, else (int16, int32) when int32
// accumulation is LiteRT's choice without an int64 bias, else (int16, int64).
template <typename F>
void visit_int(const OpContext& ctx, OpKind kind, int bias, bool int16_int32_without_int64_bias, F&& f) {
  if (kind == OpKind::kInt8) return f(int8_t{}, int32_t{});
  const bool int64_bias = ctx.has_input(bias) && ctx.input_dtype(bias) == DType::kInt64;
  if (!int64_bias && int16_int32_without_int64_bias) return f(int16_t{}, int32_t{});
  return f(int16_t{}, int64_t{});
}

template <typename Acc>
const Acc* optional_int_bias(const OpContext& ctx, int i) {
  return ctx.has_input(i) ? ctx.input<Acc>(i) : nullptr;
}

Status check_padding(const OpContext& ctx, tflite::Padding p) {
  if (p == tflite::Padding_SAME || p == tflite::Padding_VALID) return Status::ok();
  return ctx.error("padding {} is neither SAME nor VALID", static_cast<int>(p));
}

Status check_positive(const OpContext& ctx, const char* what, int32_t h, int32_t w) {
  if (h > 0 && w > 0) return Status::ok();
  return ctx.error("{} must be positive, got (h {}, w {})", what, h, w);
}

// The output size along one axis, which VALID padding can make negative.
Expected<int32_t> window_size(const OpContext& ctx, const char* axis, Padding padding, int32_t in, int32_t filter,
                              int32_t stride, int32_t dilation) {
  const int32_t out = kernels::window_output_size(padding, in, filter, stride, dilation);
  if (out >= 0) return out;
  return ctx.error("the window (size {}, dilation {}) does not fit in the input {} of {} with VALID padding", filter,
                   dilation, axis, in);
}

// ---- CONV_2D and DEPTHWISE_CONV_2D ------------------------------------------

template <typename Options>
Status check_conv_options(const OpContext& ctx, const Options& o) {
  TFC_RETURN_IF_ERROR(check_padding(ctx, o.padding));
  TFC_RETURN_IF_ERROR(check_activation(ctx, o.fused_activation_function));
  TFC_RETURN_IF_ERROR(check_positive(ctx, "strides", o.stride_h, o.stride_w));
  return check_positive(ctx, "dilation factors", o.dilation_h_factor, o.dilation_w_factor);
}

// Checks the inputs common to both convs and sets the output to (N, OH, OW, out_channels).
Status set_conv_output(OpContext& ctx, const kernels::ConvParams& p, int32_t out_channels) {
  const ir::Shape& in = ctx.input_shape(0);
  const ir::Shape& filter = ctx.input_shape(1);
  TFC_ASSIGN_OR_RETURN(const int32_t out_h,
                       window_size(ctx, "height", p.padding, in[1], filter[1], p.stride_h, p.dilation_h));
  TFC_ASSIGN_OR_RETURN(const int32_t out_w,
                       window_size(ctx, "width", p.padding, in[2], filter[2], p.stride_w, p.dilation_w));
  ctx.set_output_shape(0, {in[0], out_h, out_w, out_channels});
  return Status::ok();
}

Expected<OpKind> check_conv_inputs(const OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 2, 3, 1));
  TFC_ASSIGN_OR_RETURN(const OpKind kind, op_kind(ctx, 0, 1));
  TFC_RETURN_IF_ERROR(require_rank(ctx, 0, 4));
  TFC_RETURN_IF_ERROR(require_rank(ctx, 1, 4));
  return kind;
}

}  // namespace

Status conv2d_shape(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const OpKind kind, check_conv_inputs(ctx));
  const auto& o = options_or_default<tflite::Conv2DOptionsT>(ctx);
  TFC_RETURN_IF_ERROR(check_conv_options(ctx, o));
  const int32_t in_c = ctx.input_shape(0)[3];
  const int32_t out_c = ctx.input_shape(1)[0], group_c = ctx.input_shape(1)[3];
  // Grouped conv: the filter sees Cin / groups channels (LiteRT's rule).
  if (group_c <= 0 || in_c % group_c != 0)
    return ctx.error("input channels ({}) are not a multiple of the filter's input channels ({})", in_c, group_c);
  const int32_t groups = in_c / group_c;
  if (out_c % groups != 0)
    return ctx.error("output channels ({}) are not a multiple of the {} groups", out_c, groups);
  TFC_RETURN_IF_ERROR(check_kind(ctx, kind, 0, 1, 2, out_c, 0, /*int16_bias_int32=*/true,
                                 o.fused_activation_function));
  return set_conv_output(ctx, conv_params(o), out_c);
}

Status conv2d_eval(OpContext& ctx) {
  const kernels::ConvParams p = conv_params(options_or_default<tflite::Conv2DOptionsT>(ctx));
  TFC_ASSIGN_OR_RETURN(const OpKind kind, op_kind(ctx, 0, 1));
  switch (kind) {
    case OpKind::kFloat:
      kernels::conv2d(p, ctx.input<float>(0), ctx.input_shape(0), ctx.input<float>(1), ctx.input_shape(1),
                      optional_bias(ctx, 2), ctx.output<float>(0), ctx.output_shape(0));
      break;
    case OpKind::kHybrid:
      kernels::hybrid_conv2d(p, ctx.input<float>(0), ctx.input_shape(0), ctx.input<int8_t>(1), ctx.input_shape(1),
                             weight_scales(ctx, 1), optional_bias(ctx, 2), ctx.output<float>(0), ctx.output_shape(0));
      break;
    default:
      // LiteRT's 16x8 conv accumulates in int32 unless the bias is int64.
      visit_int(ctx, kind, 2, true, [&](auto t, auto acc) {
        using T = decltype(t);
        using Acc = decltype(acc);
        const int32_t out_c = ctx.input_shape(1)[0];
        kernels::conv2d_int<T, Acc>(p, int_quant<T>(ctx, 0, 1, out_c, p.activation), ctx.input<T>(0),
                                    ctx.input_shape(0), ctx.input<int8_t>(1), ctx.input_shape(1),
                                    optional_int_bias<Acc>(ctx, 2), ctx.output<T>(0), ctx.output_shape(0));
      });
  }
  return Status::ok();
}

// The depth multiplier comes from the filter's channel count, as in LiteRT:
// converter output may carry 0 or a stale value in the options.
Status depthwise_conv2d_shape(OpContext& ctx) {
  TFC_ASSIGN_OR_RETURN(const OpKind kind, check_conv_inputs(ctx));
  const auto& o = options_or_default<tflite::DepthwiseConv2DOptionsT>(ctx);
  TFC_RETURN_IF_ERROR(check_conv_options(ctx, o));
  const int32_t in_c = ctx.input_shape(0)[3];
  const int32_t out_c = ctx.input_shape(1)[3];
  if (ctx.input_shape(1)[0] != 1)
    return ctx.error("filter '{}' must have shape (1, KH, KW, Cout), got first dim {}", ctx.input_tensor(1).name,
                     ctx.input_shape(1)[0]);
  if (in_c <= 0 || out_c % in_c != 0)
    return ctx.error("filter channels ({}) are not a multiple of the input channels ({})", in_c, out_c);
  // LiteRT's 16x8 depthwise conv takes an int64 bias only.
  TFC_RETURN_IF_ERROR(check_kind(ctx, kind, 0, 1, 2, out_c, 3, /*int16_bias_int32=*/false,
                                 o.fused_activation_function));
  return set_conv_output(ctx, conv_params(o), out_c);
}

Status depthwise_conv2d_eval(OpContext& ctx) {
  const kernels::ConvParams p = conv_params(options_or_default<tflite::DepthwiseConv2DOptionsT>(ctx));
  TFC_ASSIGN_OR_RETURN(const OpKind kind, op_kind(ctx, 0, 1));
  switch (kind) {
    case OpKind::kFloat:
      kernels::depthwise_conv2d(p, ctx.input<float>(0), ctx.input_shape(0), ctx.input<float>(1), ctx.input_shape(1),
                                optional_bias(ctx, 2), ctx.output<float>(0), ctx.output_shape(0));
      break;
    case OpKind::kHybrid:
      kernels::hybrid_depthwise_conv2d(p, ctx.input<float>(0), ctx.input_shape(0), ctx.input<int8_t>(1),
                                       ctx.input_shape(1), weight_scales(ctx, 1), optional_bias(ctx, 2),
                                       ctx.output<float>(0), ctx.output_shape(0));
      break;
    default:
      visit_int(ctx, kind, 2, false, [&](auto t, auto acc) {
        using T = decltype(t);
        using Acc = decltype(acc);
        const int32_t out_c = ctx.input_shape(1)[3];
        kernels::depthwise_conv2d_int<T, Acc>(p, int_quant<T>(ctx, 0, 1, out_c, p.activation), ctx.input<T>(0),
                                              ctx.input_shape(0), ctx.input<int8_t>(1), ctx.input_shape(1),
                                              optional_int_bias<Acc>(ctx, 2), ctx.output<T>(0), ctx.output_shape(0));
      });
  }
  return Status::ok();
}

// ---- TRANSPOSE_CONV ----------------------------------------------------------
// Inputs: 0 output_shape (int32, 4 values), 1 weights (Cout, KH, KW, Cin),
// 2 input (N, H, W, Cin), 3 optional bias (Cout).

Status transpose_conv_shape(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 3, 4, 1));
  TFC_RETURN_IF_ERROR(require_dtype(ctx, 0, {DType::kInt32}));
  TFC_ASSIGN_OR_RETURN(const OpKind kind, op_kind(ctx, 2, 1));
  TFC_RETURN_IF_ERROR(require_rank(ctx, 0, 1));
  TFC_RETURN_IF_ERROR(require_rank(ctx, 1, 4));
  TFC_RETURN_IF_ERROR(require_rank(ctx, 2, 4));
  if (ctx.input_shape(0)[0] != 4)
    return ctx.error("output_shape '{}' has {} values, expected 4", ctx.input_tensor(0).name, ctx.input_shape(0)[0]);
  const auto& o = options_or_default<tflite::TransposeConvOptionsT>(ctx);
  TFC_RETURN_IF_ERROR(check_padding(ctx, o.padding));
  TFC_RETURN_IF_ERROR(check_activation(ctx, o.fused_activation_function));
  TFC_RETURN_IF_ERROR(check_positive(ctx, "strides", o.stride_h, o.stride_w));
  const ir::Shape& weights = ctx.input_shape(1);
  const ir::Shape& in = ctx.input_shape(2);
  if (in[3] != weights[3])
    return ctx.error("input channels ({}) differ from the weights' input channels ({})", in[3], weights[3]);
  // LiteRT's 16x8 transpose conv takes an int64 bias only.
  TFC_RETURN_IF_ERROR(check_kind(ctx, kind, 2, 1, 3, weights[0], 0, /*int16_bias_int32=*/false,
                                 o.fused_activation_function));

  if (ctx.input_data(0) == nullptr) return ctx.value_needed(0);
  const int32_t* v = ctx.input<int32_t>(0);
  const ir::Shape out = {v[0], v[1], v[2], v[3]};
  for (int32_t d : out)
    if (d < 0) return ctx.error("output_shape ({}, {}, {}, {}) has a negative dim", v[0], v[1], v[2], v[3]);
  if (out[0] != in[0]) return ctx.error("output_shape batch {} differs from the input batch {}", out[0], in[0]);
  if (out[3] != weights[0])
    return ctx.error("output_shape channels {} differ from the weights' output channels {}", out[3], weights[0]);
  ctx.set_output_shape(0, out);
  return Status::ok();
}

Status transpose_conv_eval(OpContext& ctx) {
  const kernels::TransposeConvParams p = transpose_conv_params(ctx);
  TFC_ASSIGN_OR_RETURN(const OpKind kind, op_kind(ctx, 2, 1));
  if (kind == OpKind::kFloat) {
    kernels::transpose_conv(p, ctx.input<float>(2), ctx.input_shape(2), ctx.input<float>(1), ctx.input_shape(1),
                            optional_bias(ctx, 3), ctx.output<float>(0), ctx.output_shape(0));
    return Status::ok();
  }
  if (kind == OpKind::kHybrid) {
    kernels::hybrid_transpose_conv(p, ctx.input<float>(2), ctx.input_shape(2), ctx.input<int8_t>(1),
                                   ctx.input_shape(1), weight_scales(ctx, 1), optional_bias(ctx, 3),
                                   ctx.output<float>(0), ctx.output_shape(0));
    return Status::ok();
  }
  visit_int(ctx, kind, 3, false, [&](auto t, auto acc) {
    using T = decltype(t);
    using Acc = decltype(acc);
    const int32_t out_c = ctx.input_shape(1)[0];
    kernels::transpose_conv_int<T, Acc>(p, int_quant<T>(ctx, 2, 1, out_c, p.activation), ctx.input<T>(2),
                                        ctx.input_shape(2), ctx.input<int8_t>(1), ctx.input_shape(1),
                                        optional_int_bias<Acc>(ctx, 3), ctx.output<T>(0), ctx.output_shape(0));
  });
  return Status::ok();
}

// ---- FULLY_CONNECTED ---------------------------------------------------------
// Inputs: 0 input (any rank, flattened to (-1, Cin)), 1 weights (Cout, Cin),
// 2 optional bias (Cout). Output (rows, Cout), or the input's dims with the
// last one replaced by Cout when keep_num_dims.

Status fully_connected_shape(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 2, 3, 1));
  TFC_ASSIGN_OR_RETURN(const OpKind kind, op_kind(ctx, 0, 1));
  TFC_RETURN_IF_ERROR(require_rank(ctx, 1, 2));
  const auto& o = options_or_default<tflite::FullyConnectedOptionsT>(ctx);
  if (o.weights_format != tflite::FullyConnectedOptionsWeightsFormat_DEFAULT)
    return unsupported("{}: weights_format {} is not supported (only DEFAULT)", ctx.op_name(),
                       tflite::EnumNameFullyConnectedOptionsWeightsFormat(o.weights_format));
  // LiteRT's float kernel accepts only the clipping activations.
  const auto a = o.fused_activation_function;
  TFC_RETURN_IF_ERROR(check_activation(ctx, a));
  if (a != tflite::ActivationFunctionType_NONE && a != tflite::ActivationFunctionType_RELU &&
      a != tflite::ActivationFunctionType_RELU_N1_TO_1 && a != tflite::ActivationFunctionType_RELU6)
    return unsupported("{}: fused activation {} is not supported (only NONE, RELU, RELU_N1_TO_1, RELU6)",
                       ctx.op_name(), tflite::EnumNameActivationFunctionType(a));

  const ir::Shape& in = ctx.input_shape(0);
  const int32_t units = ctx.input_shape(1)[0], depth = ctx.input_shape(1)[1];
  if (in.empty()) return ctx.error("input '{}' is a scalar, expected rank >= 1", ctx.input_tensor(0).name);
  TFC_RETURN_IF_ERROR(check_kind(ctx, kind, 0, 1, 2, units, 0, /*int16_bias_int32=*/true, a));
  if (o.keep_num_dims) {
    if (in.back() != depth)
      return ctx.error("keep_num_dims: input's last dim {} differs from the weights' depth {}", in.back(), depth);
    ir::Shape out = in;
    out.back() = units;
    ctx.set_output_shape(0, std::move(out));
    return Status::ok();
  }
  const int64_t total = ir::num_elements(in);
  if (depth != 0 && total % depth != 0)
    return ctx.error("input's {} elements do not split into rows of the weights' depth {}", total, depth);
  // With depth 0, LiteRT takes the product of all input dims but the last as rows.
  const int64_t rows = depth == 0 ? ir::num_elements(std::span(in).first(in.size() - 1)) : total / depth;
  if (rows > std::numeric_limits<int32_t>::max()) return ctx.error("input has too many rows ({})", rows);
  ctx.set_output_shape(0, {static_cast<int32_t>(rows), units});
  return Status::ok();
}

Status fully_connected_eval(OpContext& ctx) {
  const auto& o = options_or_default<tflite::FullyConnectedOptionsT>(ctx);
  const int32_t units = ctx.input_shape(1)[0], depth = ctx.input_shape(1)[1];
  const int64_t rows = fully_connected_rows(ctx);
  const kernels::Activation act = to_activation(o.fused_activation_function);
  TFC_ASSIGN_OR_RETURN(const OpKind kind, op_kind(ctx, 0, 1));
  switch (kind) {
    case OpKind::kFloat:
      kernels::fully_connected(act, ctx.input<float>(0), rows, depth, ctx.input<float>(1), units,
                               optional_bias(ctx, 2), ctx.output<float>(0));
      break;
    case OpKind::kHybrid:
      kernels::hybrid_fully_connected(act, o.asymmetric_quantize_inputs, ctx.input<float>(0), rows, depth,
                                      ctx.input<int8_t>(1), units, weight_scales(ctx, 1), optional_bias(ctx, 2),
                                      ctx.output<float>(0));
      break;
    default:
      // Like CONV_2D: 16x8 accumulates in int32 unless the bias is int64.
      visit_int(ctx, kind, 2, true, [&](auto t, auto acc) {
        using T = decltype(t);
        using Acc = decltype(acc);
        kernels::IntConvQuant q = int_quant<T>(ctx, 0, 1, units, act);
        // Per-channel 16x8 with an int64 bias: LiteRT's builtin kernel was
        // measured to rescale at full (Q31) precision, not the Q15 one.
        q.int64_with_int32_rescale = weight_scales(ctx, 1).size() > 1;
        kernels::fully_connected_int<T, Acc>(q, ctx.input<T>(0), rows, depth, ctx.input<int8_t>(1), units,
                                             optional_int_bias<Acc>(ctx, 2), ctx.output<T>(0));
      });
  }
  return Status::ok();
}

// ---- BATCH_MATMUL ------------------------------------------------------------
// Float, or int8 / int16 with both operands quantized per tensor (int16:
// zero points 0) and no activation (the output clamps to its dtype's range).

Status batch_matmul_shape(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 2, 2, 1));
  const DType a = ctx.input_dtype(0), b = ctx.input_dtype(1);
  if (a == DType::kFloat32 && b == DType::kInt8)
    return unsupported("{}: hybrid (float lhs, int8 rhs) BATCH_MATMUL is not supported yet", ctx.op_name());
  TFC_RETURN_IF_ERROR(require_dtype(ctx, 0, {DType::kFloat32, DType::kInt8, DType::kInt16}));
  if (b != a)
    return unsupported("{}: lhs '{}' is {} but rhs '{}' is {}; both operands must have one dtype", ctx.op_name(),
                       ctx.input_tensor(0).name, dtype_name(a), ctx.input_tensor(1).name, dtype_name(b));
  TFC_RETURN_IF_ERROR(check_output_dtype(ctx, 0, a));
  if (a != DType::kFloat32) {
    TFC_RETURN_IF_ERROR(check_activation_quant(ctx, ctx.input_tensor(0), "lhs"));
    TFC_RETURN_IF_ERROR(check_activation_quant(ctx, ctx.input_tensor(1), "rhs"));
    TFC_RETURN_IF_ERROR(check_activation_quant(ctx, ctx.output_tensor(0), "output"));
  }
  const ir::Shape& lhs = ctx.input_shape(0);
  const ir::Shape& rhs = ctx.input_shape(1);
  for (int i : {0, 1}) {
    const size_t rank = ctx.input_shape(i).size();
    if (rank < 2 || rank > 5)
      return ctx.error("input {} ('{}') has rank {}, expected 2 to 5", i, ctx.input_tensor(i).name, rank);
  }
  const auto& o = options_or_default<tflite::BatchMatMulOptionsT>(ctx);
  const size_t lr = lhs.size(), rr = rhs.size();
  const int32_t rows = o.adj_x ? lhs[lr - 1] : lhs[lr - 2];
  const int32_t lhs_depth = o.adj_x ? lhs[lr - 2] : lhs[lr - 1];
  const int32_t rhs_depth = o.adj_y ? rhs[rr - 1] : rhs[rr - 2];
  const int32_t cols = o.adj_y ? rhs[rr - 2] : rhs[rr - 1];
  if (lhs_depth != rhs_depth)
    return ctx.error("inner dims differ: lhs {} vs rhs {} (adj_x {}, adj_y {})", lhs_depth, rhs_depth, o.adj_x,
                     o.adj_y);
  std::vector<int32_t> out;
  if (!kernels::broadcast_shape(std::span(lhs).first(lr - 2), std::span(rhs).first(rr - 2), out))
    return ctx.error("batch dims of '{}' and '{}' do not broadcast", ctx.input_tensor(0).name,
                     ctx.input_tensor(1).name);
  out.push_back(rows);
  out.push_back(cols);
  ctx.set_output_shape(0, std::move(out));
  return Status::ok();
}

Status batch_matmul_eval(OpContext& ctx) {
  const auto& o = options_or_default<tflite::BatchMatMulOptionsT>(ctx);
  const DType a = ctx.input_dtype(0);
  if (a == DType::kFloat32) {
    kernels::batch_matmul(ctx.input<float>(0), ctx.input_shape(0), o.adj_x, ctx.input<float>(1), ctx.input_shape(1),
                          o.adj_y, ctx.output<float>(0), ctx.output_shape(0));
    return Status::ok();
  }
  auto run = [&](auto t, auto acc) {
    using T = decltype(t);
    using Acc = decltype(acc);
    const ir::Tensor& lhs = ctx.input_tensor(0);
    const ir::Tensor& rhs = ctx.input_tensor(1);
    const ir::Tensor& out = ctx.output_tensor(0);
    kernels::IntConvQuant q;
    q.input_zero_point = tensor_zero_point(lhs);
    q.weight_zero_point = tensor_zero_point(rhs);
    q.output_zero_point = tensor_zero_point(out);
    const float rhs_scale = tensor_scale(rhs);
    q.multipliers = kernels::conv_multipliers(tensor_scale(lhs), std::span(&rhs_scale, 1), tensor_scale(out), 1);
    q.range = kernels::activation_range<T>(kernels::Activation::kNone, tensor_scale(out), q.output_zero_point);
    kernels::batch_matmul_int<T, Acc>(q, ctx.input<T>(0), ctx.input_shape(0), o.adj_x, ctx.input<T>(1),
                                      ctx.input_shape(1), o.adj_y, ctx.output<T>(0), ctx.output_shape(0));
  };
  if (a == DType::kInt8) run(int8_t{}, int32_t{});
  else run(int16_t{}, int64_t{});
  return Status::ok();
}

// ---- AVERAGE_POOL_2D and MAX_POOL_2D -----------------------------------------
// Float, or int8 / int16 with input and output quantized alike.

namespace {

Status pool_shape(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, 1, 1, 1));
  TFC_RETURN_IF_ERROR(require_dtype(ctx, 0, {DType::kFloat32, DType::kInt8, DType::kInt16}));
  const DType dtype = ctx.input_dtype(0);
  TFC_RETURN_IF_ERROR(check_output_dtype(ctx, 0, dtype));
  TFC_RETURN_IF_ERROR(require_rank(ctx, 0, 4));
  const auto& o = options_or_default<tflite::Pool2DOptionsT>(ctx);
  TFC_RETURN_IF_ERROR(check_padding(ctx, o.padding));
  TFC_RETURN_IF_ERROR(check_activation(ctx, o.fused_activation_function));
  TFC_RETURN_IF_ERROR(check_positive(ctx, "strides", o.stride_h, o.stride_w));
  TFC_RETURN_IF_ERROR(check_positive(ctx, "filter sizes", o.filter_height, o.filter_width));
  if (dtype != DType::kFloat32) {
    const auto a = o.fused_activation_function;
    if (a == tflite::ActivationFunctionType_TANH || a == tflite::ActivationFunctionType_SIGN_BIT)
      return unsupported("{}: fused activation {} is not supported by the integer kernel", ctx.op_name(),
                         tflite::EnumNameActivationFunctionType(a));
    const ir::Tensor& in = ctx.input_tensor(0);
    const ir::Tensor& out = ctx.output_tensor(0);
    TFC_RETURN_IF_ERROR(check_activation_quant(ctx, in, "input"));
    TFC_RETURN_IF_ERROR(check_activation_quant(ctx, out, "output"));
    // LiteRT: TF_LITE_ENSURE_NEAR(scale, 1e-6) and equal zero points.
    if (std::abs(tensor_scale(in) - tensor_scale(out)) > 1e-6f || tensor_zero_point(in) != tensor_zero_point(out))
      return ctx.error("input '{}' (scale {}, zero point {}) and output '{}' (scale {}, zero point {}) must be "
                       "quantized alike",
                       in.name, tensor_scale(in), tensor_zero_point(in), out.name, tensor_scale(out),
                       tensor_zero_point(out));
  }
  const kernels::PoolParams p = pool_params(ctx);
  const ir::Shape& in = ctx.input_shape(0);
  TFC_ASSIGN_OR_RETURN(const int32_t out_h, window_size(ctx, "height", p.padding, in[1], p.filter_h, p.stride_h, 1));
  TFC_ASSIGN_OR_RETURN(const int32_t out_w, window_size(ctx, "width", p.padding, in[2], p.filter_w, p.stride_w, 1));
  ctx.set_output_shape(0, {in[0], out_h, out_w, in[3]});
  return Status::ok();
}

template <typename T>
kernels::IntRange pool_range(const OpContext& ctx, kernels::Activation a) {
  const ir::Tensor& out = ctx.output_tensor(0);
  return kernels::activation_range<T>(a, tensor_scale(out), tensor_zero_point(out));
}

}  // namespace

Status average_pool2d_shape(OpContext& ctx) { return pool_shape(ctx); }

Status average_pool2d_eval(OpContext& ctx) {
  const kernels::PoolParams p = pool_params(ctx);
  switch (ctx.input_dtype(0)) {
    case DType::kInt8:
      kernels::average_pool2d_int<int8_t>(p, pool_range<int8_t>(ctx, p.activation), ctx.input<int8_t>(0),
                                          ctx.input_shape(0), ctx.output<int8_t>(0), ctx.output_shape(0));
      break;
    case DType::kInt16:
      kernels::average_pool2d_int<int16_t>(p, pool_range<int16_t>(ctx, p.activation), ctx.input<int16_t>(0),
                                           ctx.input_shape(0), ctx.output<int16_t>(0), ctx.output_shape(0));
      break;
    default:
      kernels::average_pool2d(p, ctx.input<float>(0), ctx.input_shape(0), ctx.output<float>(0), ctx.output_shape(0));
  }
  return Status::ok();
}

Status max_pool2d_shape(OpContext& ctx) { return pool_shape(ctx); }

Status max_pool2d_eval(OpContext& ctx) {
  const kernels::PoolParams p = pool_params(ctx);
  switch (ctx.input_dtype(0)) {
    case DType::kInt8:
      kernels::max_pool2d_int<int8_t>(p, pool_range<int8_t>(ctx, p.activation), ctx.input<int8_t>(0),
                                      ctx.input_shape(0), ctx.output<int8_t>(0), ctx.output_shape(0));
      break;
    case DType::kInt16:
      kernels::max_pool2d_int<int16_t>(p, pool_range<int16_t>(ctx, p.activation), ctx.input<int16_t>(0),
                                       ctx.input_shape(0), ctx.output<int16_t>(0), ctx.output_shape(0));
      break;
    default:
      kernels::max_pool2d(p, ctx.input<float>(0), ctx.input_shape(0), ctx.output<float>(0), ctx.output_shape(0));
  }
  return Status::ok();
}

}  // namespace tfc::ops
