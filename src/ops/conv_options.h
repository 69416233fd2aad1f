// The conv family's options read into the reference kernels' parameters
// (kernels/conv_ref.h), shared by the forward (ops/conv_ops.cc) and the
// gradient rules (ops/conv_grad.cc). Reads only; validation is in the shape
// rules of conv_ops.cc.
#pragma once

#include <cstdint>

#include "kernels/conv_ref.h"
#include "ops/op_util.h"

namespace tfc::ops {

// Conv2DOptionsT and DepthwiseConv2DOptionsT share these fields.
template <typename Options>
kernels::ConvParams conv_params(const Options& o) {
  return {to_padding(o.padding), o.stride_h, o.stride_w, o.dilation_h_factor, o.dilation_w_factor,
          to_activation(o.fused_activation_function)};
}

inline kernels::TransposeConvParams transpose_conv_params(const OpContext& ctx) {
  const auto& o = options_or_default<tflite::TransposeConvOptionsT>(ctx);
  return {to_padding(o.padding), o.stride_h, o.stride_w, to_activation(o.fused_activation_function)};
}

inline kernels::PoolParams pool_params(const OpContext& ctx) {
  const auto& o = options_or_default<tflite::Pool2DOptionsT>(ctx);
  return {to_padding(o.padding), o.stride_h, o.stride_w, o.filter_height, o.filter_width,
          to_activation(o.fused_activation_function)};
}

// FULLY_CONNECTED's rows: the input flattened to (rows, depth), read from
// the output (rows * units elements) as the shape rule sized it.
inline int64_t fully_connected_rows(const OpContext& ctx) {
  const int32_t units = ctx.input_shape(1)[0];
  return units == 0 ? 0 : ir::num_elements(ctx.output_shape(0)) / units;
}

// Input i as a float bias, or nullptr when the optional input is absent.
inline const float* optional_bias(const OpContext& ctx, int i) {
  return ctx.has_input(i) ? ctx.input<float>(i) : nullptr;
}

}  // namespace tfc::ops
