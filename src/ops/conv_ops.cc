// Shape rules and float kernels of the conv family: CONV_2D, DEPTHWISE_CONV_2D,
// TRANSPOSE_CONV, FULLY_CONNECTED, BATCH_MATMUL, AVERAGE_POOL_2D, MAX_POOL_2D.
// Each _shape validates what LiteRT's Prepare checks (plus a few checks LiteRT
// leaves to debug asserts) and sizes the output; each _eval runs the kernel in
// kernels/conv_ref.h. Float32 only: int8/uint8/int4 weights (hybrid
// quantization) are unsupported for now; float16 weights reach these ops
// through a DEQUANTIZE op in converter output, so they arrive here as float32.
#include <cstdint>
#include <limits>

#include "kernels/conv_ref.h"
#include "ops/op_util.h"
#include "ops/registry.h"

namespace tfc::ops {
namespace {

using kernels::Padding;

// min_inputs..max_inputs inputs and one float32 output.
Status check_float_op(const OpContext& ctx, int min_inputs, int max_inputs) {
  TFC_RETURN_IF_ERROR(check_arity(ctx, min_inputs, max_inputs, 1));
  return check_output_dtype(ctx, 0, DType::kFloat32);
}

// Weights (and BATCH_MATMUL's rhs): quantized dtypes mean a hybrid kernel.
Status check_float_weights(const OpContext& ctx, int i) {
  switch (ctx.input_dtype(i)) {
    case DType::kFloat32: return Status::ok();
    case DType::kInt8: case DType::kUInt8: case DType::kInt4: case DType::kInt2: case DType::kInt16:
      return unsupported("{}: weights '{}' have dtype {}; hybrid (quantized-weight) kernels are not supported yet",
                         ctx.op_name(), ctx.input_tensor(i).name, dtype_name(ctx.input_dtype(i)));
    case DType::kFloat16:
      return unsupported("{}: weights '{}' are float16; expected them dequantized to float32 by a DEQUANTIZE op",
                         ctx.op_name(), ctx.input_tensor(i).name);
    default: return ctx.unsupported_dtype(i);
  }
}

// An optional bias (input i) must be float32 with one value per output channel.
Status check_bias(const OpContext& ctx, int i, int32_t channels) {
  if (!ctx.has_input(i)) return Status::ok();
  TFC_RETURN_IF_ERROR(require_dtype(ctx, i, {DType::kFloat32}));
  const int64_t n = ir::num_elements(ctx.input_shape(i));
  if (n == channels) return Status::ok();
  return ctx.error("bias '{}' has {} elements, expected {} (one per output channel)", ctx.input_tensor(i).name, n,
                   channels);
}

const float* optional_bias(const OpContext& ctx, int i) { return ctx.has_input(i) ? ctx.input<float>(i) : nullptr; }

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

// Conv2DOptionsT and DepthwiseConv2DOptionsT share these fields.
template <typename Options>
kernels::ConvParams conv_params(const Options& o) {
  return {to_padding(o.padding), o.stride_h, o.stride_w, o.dilation_h_factor, o.dilation_w_factor,
          to_activation(o.fused_activation_function)};
}

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

Status check_conv_inputs(const OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_float_op(ctx, 2, 3));
  TFC_RETURN_IF_ERROR(require_dtype(ctx, 0, {DType::kFloat32}));
  TFC_RETURN_IF_ERROR(check_float_weights(ctx, 1));
  TFC_RETURN_IF_ERROR(require_rank(ctx, 0, 4));
  return require_rank(ctx, 1, 4);
}

}  // namespace

Status conv2d_shape(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_conv_inputs(ctx));
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
  TFC_RETURN_IF_ERROR(check_bias(ctx, 2, out_c));
  return set_conv_output(ctx, conv_params(o), out_c);
}

Status conv2d_eval(OpContext& ctx) {
  kernels::conv2d(conv_params(options_or_default<tflite::Conv2DOptionsT>(ctx)), ctx.input<float>(0),
                  ctx.input_shape(0), ctx.input<float>(1), ctx.input_shape(1), optional_bias(ctx, 2),
                  ctx.output<float>(0), ctx.output_shape(0));
  return Status::ok();
}

// The depth multiplier comes from the filter's channel count, as in LiteRT:
// converter output may carry 0 or a stale value in the options.
Status depthwise_conv2d_shape(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_conv_inputs(ctx));
  const auto& o = options_or_default<tflite::DepthwiseConv2DOptionsT>(ctx);
  TFC_RETURN_IF_ERROR(check_conv_options(ctx, o));
  const int32_t in_c = ctx.input_shape(0)[3];
  const int32_t out_c = ctx.input_shape(1)[3];
  if (ctx.input_shape(1)[0] != 1)
    return ctx.error("filter '{}' must have shape (1, KH, KW, Cout), got first dim {}", ctx.input_tensor(1).name,
                     ctx.input_shape(1)[0]);
  if (in_c <= 0 || out_c % in_c != 0)
    return ctx.error("filter channels ({}) are not a multiple of the input channels ({})", out_c, in_c);
  TFC_RETURN_IF_ERROR(check_bias(ctx, 2, out_c));
  return set_conv_output(ctx, conv_params(o), out_c);
}

Status depthwise_conv2d_eval(OpContext& ctx) {
  kernels::depthwise_conv2d(conv_params(options_or_default<tflite::DepthwiseConv2DOptionsT>(ctx)),
                            ctx.input<float>(0), ctx.input_shape(0), ctx.input<float>(1), ctx.input_shape(1),
                            optional_bias(ctx, 2), ctx.output<float>(0), ctx.output_shape(0));
  return Status::ok();
}

// ---- TRANSPOSE_CONV ----------------------------------------------------------
// Inputs: 0 output_shape (int32, 4 values), 1 weights (Cout, KH, KW, Cin),
// 2 input (N, H, W, Cin), 3 optional bias (Cout).

Status transpose_conv_shape(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_float_op(ctx, 3, 4));
  TFC_RETURN_IF_ERROR(require_dtype(ctx, 0, {DType::kInt32}));
  TFC_RETURN_IF_ERROR(check_float_weights(ctx, 1));
  TFC_RETURN_IF_ERROR(require_dtype(ctx, 2, {DType::kFloat32}));
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
  TFC_RETURN_IF_ERROR(check_bias(ctx, 3, weights[0]));

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
  const auto& o = options_or_default<tflite::TransposeConvOptionsT>(ctx);
  const kernels::TransposeConvParams p{to_padding(o.padding), o.stride_h, o.stride_w,
                                       to_activation(o.fused_activation_function)};
  kernels::transpose_conv(p, ctx.input<float>(2), ctx.input_shape(2), ctx.input<float>(1), ctx.input_shape(1),
                          optional_bias(ctx, 3), ctx.output<float>(0), ctx.output_shape(0));
  return Status::ok();
}

// ---- FULLY_CONNECTED ---------------------------------------------------------
// Inputs: 0 input (any rank, flattened to (-1, Cin)), 1 weights (Cout, Cin),
// 2 optional bias (Cout). Output (rows, Cout), or the input's dims with the
// last one replaced by Cout when keep_num_dims.

Status fully_connected_shape(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_float_op(ctx, 2, 3));
  TFC_RETURN_IF_ERROR(require_dtype(ctx, 0, {DType::kFloat32}));
  TFC_RETURN_IF_ERROR(check_float_weights(ctx, 1));
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
  TFC_RETURN_IF_ERROR(check_bias(ctx, 2, units));
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
  const int64_t rows = units == 0 ? 0 : ir::num_elements(ctx.output_shape(0)) / units;
  kernels::fully_connected(to_activation(o.fused_activation_function), ctx.input<float>(0), rows, depth,
                           ctx.input<float>(1), units, optional_bias(ctx, 2), ctx.output<float>(0));
  return Status::ok();
}

// ---- BATCH_MATMUL ------------------------------------------------------------

Status batch_matmul_shape(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_float_op(ctx, 2, 2));
  TFC_RETURN_IF_ERROR(require_dtype(ctx, 0, {DType::kFloat32}));
  TFC_RETURN_IF_ERROR(check_float_weights(ctx, 1));
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
  kernels::batch_matmul(ctx.input<float>(0), ctx.input_shape(0), o.adj_x, ctx.input<float>(1), ctx.input_shape(1),
                        o.adj_y, ctx.output<float>(0), ctx.output_shape(0));
  return Status::ok();
}

// ---- AVERAGE_POOL_2D and MAX_POOL_2D -----------------------------------------

namespace {

kernels::PoolParams pool_params(const OpContext& ctx) {
  const auto& o = options_or_default<tflite::Pool2DOptionsT>(ctx);
  return {to_padding(o.padding), o.stride_h, o.stride_w, o.filter_height, o.filter_width,
          to_activation(o.fused_activation_function)};
}

Status pool_shape(OpContext& ctx) {
  TFC_RETURN_IF_ERROR(check_float_op(ctx, 1, 1));
  TFC_RETURN_IF_ERROR(require_dtype(ctx, 0, {DType::kFloat32}));
  TFC_RETURN_IF_ERROR(require_rank(ctx, 0, 4));
  const auto& o = options_or_default<tflite::Pool2DOptionsT>(ctx);
  TFC_RETURN_IF_ERROR(check_padding(ctx, o.padding));
  TFC_RETURN_IF_ERROR(check_activation(ctx, o.fused_activation_function));
  TFC_RETURN_IF_ERROR(check_positive(ctx, "strides", o.stride_h, o.stride_w));
  TFC_RETURN_IF_ERROR(check_positive(ctx, "filter sizes", o.filter_height, o.filter_width));
  const kernels::PoolParams p = pool_params(ctx);
  const ir::Shape& in = ctx.input_shape(0);
  TFC_ASSIGN_OR_RETURN(const int32_t out_h, window_size(ctx, "height", p.padding, in[1], p.filter_h, p.stride_h, 1));
  TFC_ASSIGN_OR_RETURN(const int32_t out_w, window_size(ctx, "width", p.padding, in[2], p.filter_w, p.stride_w, 1));
  ctx.set_output_shape(0, {in[0], out_h, out_w, in[3]});
  return Status::ok();
}

}  // namespace

Status average_pool2d_shape(OpContext& ctx) { return pool_shape(ctx); }

Status average_pool2d_eval(OpContext& ctx) {
  kernels::average_pool2d(pool_params(ctx), ctx.input<float>(0), ctx.input_shape(0), ctx.output<float>(0),
                          ctx.output_shape(0));
  return Status::ok();
}

Status max_pool2d_shape(OpContext& ctx) { return pool_shape(ctx); }

Status max_pool2d_eval(OpContext& ctx) {
  kernels::max_pool2d(pool_params(ctx), ctx.input<float>(0), ctx.input_shape(0), ctx.output<float>(0),
                      ctx.output_shape(0));
  return Status::ok();
}

}  // namespace tfc::ops
