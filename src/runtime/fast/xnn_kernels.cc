// int8 fast kernels on XNNPACK's operator API: CONV_2D and DEPTHWISE_CONV_2D
// as qc8 convolutions (per-channel weight scales; a per-tensor scale is
// repeated), FULLY_CONNECTED as a 1x1 qc8 convolution over a 1x1 image (this
// XNNPACK has no per-channel fully connected operator; docs/RUNTIME.md), ADD
// as qs8 add with broadcasting. XNNPACK packs the weights when the operator
// is created; setup (geometry and buffers) is redone only when an input or
// output buffer moves, which the static memory plan makes rare.
//
// The arithmetic is LiteRT's default (XNNPACK) path: float rescaling,
// kernels/quant_util.h Requantization::kFloat. These kernels are offered only
// in that mode (the op context's arithmetic, prepare_kernel).
#include <array>
#include <mutex>
#include <vector>

#include <xnnpack.h>

#include "kernels/quant_util.h"
#include "runtime/fast/fast_kernel.h"

namespace tfc::runtime::fast {
namespace {

using kernels::Activation;

bool xnn_ready() {
  static const bool ok = xnn_initialize(nullptr) == xnn_status_success;
  return ok;
}

struct OperatorDeleter {
  void operator()(xnn_operator_t op) const { xnn_delete_operator(op); }
};
using Operator = std::unique_ptr<xnn_operator, OperatorDeleter>;


// Symmetric int8 weights: one scale per output channel (a single scale is
// repeated), or false.
bool weight_scales(const ir::Tensor& t, int64_t channels, std::vector<float>& scales) {
  if (t.dtype != DType::kInt8 || !t.is_quantized()) return false;
  const auto& q = *t.quantization;
  for (int64_t zp : q.zero_point)
    if (zp != 0) return false;
  if (q.scale.size() == 1) {
    scales.assign(static_cast<size_t>(channels), q.scale[0]);
  } else if (static_cast<int64_t>(q.scale.size()) == channels) {
    scales.assign(q.scale.begin(), q.scale.end());
  } else {
    return false;
  }
  return true;
}

// An XNNPACK operator whose setup (geometry and buffers) is redone only when
// one of the op's buffers (its activation inputs, then its output) moved.
class XnnKernel : public FastKernel {
 public:
  XnnKernel(Operator op, pthreadpool_t pool, int num_inputs) : op_(std::move(op)), pool_(pool), inputs_(num_inputs) {}

  Status run(ops::OpContext& ctx) override {
    std::array<const void*, 3> buffers{};
    for (int i = 0; i < inputs_; ++i) buffers[static_cast<size_t>(i)] = ctx.input_data(i);
    buffers[static_cast<size_t>(inputs_)] = ctx.output_data(0);
    if (buffers != last_) {
      if (setup(ctx) != xnn_status_success) return internal_error("{}: XNNPACK setup failed", ctx.op_name());
      last_ = buffers;
    }
    if (xnn_run_operator(op_.get(), pool_) != xnn_status_success)
      return internal_error("{}: XNNPACK run failed", ctx.op_name());
    return Status::ok();
  }
  const char* library() const override { return "xnnpack"; }

 protected:
  virtual xnn_status setup(ops::OpContext& ctx) = 0;
  Operator op_;
  pthreadpool_t pool_;

 private:
  int inputs_;
  std::array<const void*, 3> last_{};
};

// A qc8 convolution (conv, depthwise or fully connected) with its geometry.
class XnnConv final : public XnnKernel {
 public:
  XnnConv(Operator op, pthreadpool_t pool, size_t batch, size_t h, size_t w)
      : XnnKernel(std::move(op), pool, 1), batch_(batch), h_(h), w_(w) {}

 private:
  xnn_status setup(ops::OpContext& ctx) override {
    return xnn_setup_convolution2d_nhwc_qc8(op_.get(), batch_, h_, w_, ctx.input<int8_t>(0), ctx.output<int8_t>(0),
                                            pool_);
  }
  size_t batch_, h_, w_;
};

Expected<std::unique_ptr<FastKernel>> make_qc8(const ops::OpContext& ctx, const ConvGeometry& g,
                                               Backend& backend) {
  float in_scale = 0, out_scale = 0;
  int32_t in_zp = 0, out_zp = 0;
  if (!per_tensor_int8(ctx.input_tensor(0), in_scale, in_zp) || !per_tensor_int8(ctx.output_tensor(0), out_scale, out_zp))
    return std::unique_ptr<FastKernel>();
  const int64_t channels = g.out_channels();
  std::vector<float> scales;
  if (!weight_scales(ctx.input_tensor(1), channels, scales)) return std::unique_ptr<FastKernel>();
  if (ctx.input_data(1) == nullptr) return std::unique_ptr<FastKernel>();
  std::vector<int32_t> zero_bias;
  const int32_t* bias = nullptr;
  if (ctx.has_input(2)) {
    if (ctx.input_dtype(2) != DType::kInt32 || ctx.input_data(2) == nullptr) return std::unique_ptr<FastKernel>();
    bias = ctx.input<int32_t>(2);
  } else {
    zero_bias.assign(static_cast<size_t>(channels), 0);
    bias = zero_bias.data();
  }
  if (g.activation != Activation::kNone && g.activation != Activation::kRelu && g.activation != Activation::kRelu6 &&
      g.activation != Activation::kReluN1To1)
    return std::unique_ptr<FastKernel>();
  const kernels::IntRange range = kernels::activation_range_float<int8_t>(g.activation, out_scale, out_zp);
  if (!xnn_ready()) return std::unique_ptr<FastKernel>();
  xnn_operator_t op = nullptr;
  const xnn_status st = xnn_create_convolution2d_nhwc_qc8(
      static_cast<uint32_t>(g.pt), static_cast<uint32_t>(g.pr), static_cast<uint32_t>(g.pb),
      static_cast<uint32_t>(g.pl), static_cast<uint32_t>(g.kh), static_cast<uint32_t>(g.kw),
      static_cast<uint32_t>(g.sh), static_cast<uint32_t>(g.sw), static_cast<uint32_t>(g.dh),
      static_cast<uint32_t>(g.dw), static_cast<uint32_t>(g.groups), static_cast<size_t>(g.group_in),
      static_cast<size_t>(g.group_out), static_cast<size_t>(g.in_channels()), static_cast<size_t>(channels),
      static_cast<int8_t>(in_zp), in_scale, scales.data(), ctx.input<int8_t>(1), bias, static_cast<int8_t>(out_zp),
      out_scale, static_cast<int8_t>(range.min), static_cast<int8_t>(range.max),
      g.depthwise ? XNN_FLAG_DEPTHWISE_CONVOLUTION : 0, &op);
  if (st != xnn_status_success) return std::unique_ptr<FastKernel>();  // e.g. a rescale XNNPACK refuses
  return std::unique_ptr<FastKernel>(new XnnConv(Operator(op), backend.pool(), static_cast<size_t>(g.batch),
                                                 static_cast<size_t>(g.ih), static_cast<size_t>(g.iw)));
}

Expected<std::unique_ptr<FastKernel>> prepare_conv(const ops::OpContext& ctx, bool depthwise, Backend& backend) {
  if (ctx.num_inputs() < 2 || ctx.input_dtype(1) != DType::kInt8 || ctx.output_dtype(0) != DType::kInt8)
    return std::unique_ptr<FastKernel>();
  ConvGeometry g;
  if (!conv_geometry(ctx, depthwise, g)) return std::unique_ptr<FastKernel>();
  return make_qc8(ctx, g, backend);
}

Expected<std::unique_ptr<FastKernel>> prepare_fully_connected(const ops::OpContext& ctx, Backend& backend) {
  if (ctx.num_inputs() < 2 || ctx.input_dtype(1) != DType::kInt8 || ctx.output_dtype(0) != DType::kInt8)
    return std::unique_ptr<FastKernel>();
  FcGeometry fc;
  if (!fc_geometry(ctx, fc)) return std::unique_ptr<FastKernel>();
  ConvGeometry g;
  g.batch = fc.rows;
  g.group_in = fc.depth;
  g.group_out = fc.units;
  g.activation = fc.activation;
  return make_qc8(ctx, g, backend);
}

// int8 ADD with broadcasting (XNNPACK qs8).
class XnnAdd final : public XnnKernel {
 public:
  XnnAdd(Operator op, pthreadpool_t pool, std::vector<size_t> a, std::vector<size_t> b)
      : XnnKernel(std::move(op), pool, 2), a_(std::move(a)), b_(std::move(b)) {}

 private:
  xnn_status setup(ops::OpContext& ctx) override {
    return xnn_setup_add_nd_qs8(op_.get(), a_.size(), a_.data(), b_.size(), b_.data(), ctx.input<int8_t>(0),
                                ctx.input<int8_t>(1), ctx.output<int8_t>(0), pool_);
  }
  std::vector<size_t> a_, b_;
};

Expected<std::unique_ptr<FastKernel>> prepare_add(const ops::OpContext& ctx, Backend& backend) {
  if (ctx.num_inputs() != 2 || ctx.input_dtype(1) != DType::kInt8 || ctx.output_dtype(0) != DType::kInt8)
    return std::unique_ptr<FastKernel>();
  float s1 = 0, s2 = 0, so = 0;
  int32_t z1 = 0, z2 = 0, zo = 0;
  if (!per_tensor_int8(ctx.input_tensor(0), s1, z1) || !per_tensor_int8(ctx.input_tensor(1), s2, z2) ||
      !per_tensor_int8(ctx.output_tensor(0), so, zo))
    return std::unique_ptr<FastKernel>();
  static const tflite::AddOptionsT kDefault{};
  const auto* o = ctx.op().options_as<tflite::AddOptionsT>();
  if (!o) o = &kDefault;
  const auto act = static_cast<Activation>(o->fused_activation_function);
  if (act != Activation::kNone && act != Activation::kRelu && act != Activation::kRelu6 &&
      act != Activation::kReluN1To1)
    return std::unique_ptr<FastKernel>();
  const ir::Shape& sa = ctx.input_shape(0);
  const ir::Shape& sb = ctx.input_shape(1);
  if (sa.size() > XNN_MAX_TENSOR_DIMS || sb.size() > XNN_MAX_TENSOR_DIMS) return std::unique_ptr<FastKernel>();
  for (auto d : sa) if (d <= 0) return std::unique_ptr<FastKernel>();
  for (auto d : sb) if (d <= 0) return std::unique_ptr<FastKernel>();
  const kernels::IntRange range = kernels::activation_range_float<int8_t>(act, so, zo);
  if (!xnn_ready()) return std::unique_ptr<FastKernel>();
  xnn_operator_t op = nullptr;
  if (xnn_create_add_nd_qs8(static_cast<int8_t>(z1), s1, static_cast<int8_t>(z2), s2, static_cast<int8_t>(zo), so,
                            static_cast<int8_t>(range.min), static_cast<int8_t>(range.max), 0,
                            &op) != xnn_status_success)
    return std::unique_ptr<FastKernel>();
  return std::unique_ptr<FastKernel>(new XnnAdd(Operator(op), backend.pool(), std::vector<size_t>(sa.begin(), sa.end()),
                                                std::vector<size_t>(sb.begin(), sb.end())));
}

}  // namespace

Expected<std::unique_ptr<FastKernel>> prepare_xnn(const ops::OpContext& ctx, Backend& backend) {
  if (ctx.op().code.is_custom()) return std::unique_ptr<FastKernel>();
  switch (ctx.op().code.builtin) {
    case tflite::BuiltinOperator_CONV_2D: return prepare_conv(ctx, false, backend);
    case tflite::BuiltinOperator_DEPTHWISE_CONV_2D: return prepare_conv(ctx, true, backend);
    case tflite::BuiltinOperator_FULLY_CONNECTED: return prepare_fully_connected(ctx, backend);
    case tflite::BuiltinOperator_ADD: return prepare_add(ctx, backend);
    default: return std::unique_ptr<FastKernel>();
  }
}

}  // namespace tfc::runtime::fast
