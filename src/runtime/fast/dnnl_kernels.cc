// float32 fast kernels on oneDNN: CONV_2D (grouped too), DEPTHWISE_CONV_2D,
// FULLY_CONNECTED and ADD, NHWC activations as the graph holds them, weights
// reordered once into the layout oneDNN picks for the primitive (tag::any),
// fused activations as eltwise post-ops. oneDNN's OpenMP build runs each
// primitive on the calling thread's OpenMP team (Threads::enter).
#include <array>
#include <cmath>
#include <limits>
#include <cstring>
#include <unordered_map>

#include <oneapi/dnnl/dnnl.hpp>

#include "kernels/common.h"
#include "runtime/fast/fast_kernel.h"

namespace tfc::runtime::fast {
namespace {

using dnnl::memory;
using dt = memory::data_type;
using tag = memory::format_tag;
using kernels::Activation;

dnnl::engine& engine() {
  static dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  return eng;
}

// The fused activation as a post-op; false when oneDNN has no exact match
// (SIGN_BIT), so that the reference runs instead.
bool add_activation(Activation a, dnnl::primitive_attr& attr) {
  dnnl::post_ops po;
  switch (a) {
    case Activation::kNone: return true;
    case Activation::kRelu: po.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f); break;
    case Activation::kRelu6: po.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, 0.0f, 6.0f); break;
    case Activation::kReluN1To1: po.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, -1.0f, 1.0f); break;
    case Activation::kTanh: po.append_eltwise(1.0f, dnnl::algorithm::eltwise_tanh, 0.0f, 0.0f); break;
    default: return false;
  }
  attr.set_post_ops(po);
  return true;
}

// One primitive with its arguments; src/dst memories get the current buffers
// at each run.
class DnnlKernel final : public FastKernel {
 public:
  DnnlKernel(dnnl::primitive prim, std::unordered_map<int, memory> args, std::vector<std::pair<int, int>> inputs)
      : prim_(std::move(prim)), args_(std::move(args)), inputs_(std::move(inputs)), stream_(engine()) {}

  Status run(ops::OpContext& ctx) override {
    for (const auto& [arg, index] : inputs_) args_[arg].set_data_handle(const_cast<void*>(ctx.input_data(index)));
    args_[DNNL_ARG_DST].set_data_handle(ctx.output_data(0));
    try {
      prim_.execute(stream_, args_);
      stream_.wait();
    } catch (const dnnl::error& e) {
      return internal_error("{}: oneDNN failed: {}", ctx.op_name(), e.what());
    }
    return Status::ok();
  }
  const char* library() const override { return "onednn"; }

 private:
  dnnl::primitive prim_;
  std::unordered_map<int, memory> args_;
  std::vector<std::pair<int, int>> inputs_;  // (DNNL_ARG_*, op input index) bound at run
  dnnl::stream stream_;
};

// Weights from our buffer (user_md) into the primitive's layout (want).
memory pack_weights(const memory::desc& user_md, const void* data, const memory::desc& want) {
  dnnl::stream strm(engine());
  memory user(user_md, engine(), const_cast<void*>(data));
  memory packed(want, engine());
  dnnl::reorder(user, packed).execute(strm, user, packed);
  strm.wait();
  return packed;
}

// A constant bias as a oneDNN memory (its own copy, so the kernel does not
// depend on the model's buffer alignment), or an empty desc without bias.
memory bias_memory(const ops::OpContext& ctx, int index, int64_t channels) {
  memory m(memory::desc({channels}, dt::f32, tag::x), engine());
  std::memcpy(m.get_data_handle(), ctx.input_data(index), static_cast<size_t>(channels) * sizeof(float));
  return m;
}

bool all_constant(const ops::OpContext& ctx, std::initializer_list<int> indices) {
  for (int i : indices)
    if (ctx.has_input(i) && ctx.input_data(i) == nullptr) return false;
  return true;
}

template <typename Options>
Expected<std::unique_ptr<FastKernel>> prepare_conv(const ops::OpContext& ctx, bool depthwise) {
  if (ctx.num_inputs() < 2 || ctx.input_dtype(1) != DType::kFloat32 || ctx.output_dtype(0) != DType::kFloat32)
    return std::unique_ptr<FastKernel>();
  if (ctx.has_input(2) && ctx.input_dtype(2) != DType::kFloat32) return std::unique_ptr<FastKernel>();
  if (!all_constant(ctx, {1, 2})) return std::unique_ptr<FastKernel>();
  const Options* o = ctx.op().options_as<Options>();
  static const Options kDefault{};
  if (!o) o = &kDefault;
  const ir::Shape& in = ctx.input_shape(0);
  const ir::Shape& w = ctx.input_shape(1);
  const ir::Shape& out = ctx.output_shape(0);
  if (in.size() != 4 || w.size() != 4 || out.size() != 4) return std::unique_ptr<FastKernel>();
  for (auto d : in) if (d <= 0) return std::unique_ptr<FastKernel>();
  for (auto d : out) if (d <= 0) return std::unique_ptr<FastKernel>();
  const int64_t n = in[0], ih = in[1], iw = in[2], ic = in[3];
  const int64_t oh = out[1], ow = out[2], oc = out[3];
  const int64_t kh = w[1], kw = w[2];
  const int32_t sh = o->stride_h, sw = o->stride_w;
  const int32_t dh = o->dilation_h_factor, dw = o->dilation_w_factor;
  if (sh <= 0 || sw <= 0 || dh <= 0 || dw <= 0) return std::unique_ptr<FastKernel>();
  const auto pad = ops::to_padding(o->padding);
  const int64_t pt = pad == kernels::Padding::kSame ? kernels::window_padding_before(ih, kh, sh, dh, oh) : 0;
  const int64_t pl = pad == kernels::Padding::kSame ? kernels::window_padding_before(iw, kw, sw, dw, ow) : 0;
  // oneDNN derives the output size from the padding after; TFLite's SAME
  // gives the remainder to the bottom/right.
  const int64_t pb = (oh - 1) * sh + (kh - 1) * dh + 1 - ih - pt;
  const int64_t pr = (ow - 1) * sw + (kw - 1) * dw + 1 - iw - pl;
  if (pb < 0 || pr < 0) {
    // VALID with a window that does not reach the end: oneDNN accepts a
    // negative padding after only in some versions; leave it to the reference.
    return std::unique_ptr<FastKernel>();
  }

  memory::dims wdims;
  memory::desc user_w;
  if (depthwise) {
    // (1, KH, KW, C*M), element (kh, kw, g*M + m): oneDNN (G, M, 1, KH, KW).
    const int64_t m = oc / ic;
    wdims = {ic, m, 1, kh, kw};
    user_w = memory::desc(wdims, dt::f32, memory::dims{m, 1, 1, kw * oc, oc});
  } else {
    const int64_t group_c = w[3];
    const int64_t groups = ic / group_c;
    if (groups == 1) {
      wdims = {oc, ic, kh, kw};
      user_w = memory::desc(wdims, dt::f32, tag::ohwi);
    } else {
      wdims = {groups, oc / groups, group_c, kh, kw};
      user_w = memory::desc(wdims, dt::f32, tag::gohwi);
    }
  }
  const memory::desc src_md({n, ic, ih, iw}, dt::f32, tag::nhwc);
  const memory::desc dst_md({n, oc, oh, ow}, dt::f32, tag::nhwc);
  const memory::desc wei_any(wdims, dt::f32, tag::any);
  dnnl::primitive_attr attr;
  if (!add_activation(static_cast<Activation>(o->fused_activation_function), attr))
    return std::unique_ptr<FastKernel>();
  const bool has_bias = ctx.has_input(2);
  const memory::desc bias_md = has_bias ? memory::desc({oc}, dt::f32, tag::x) : memory::desc();
  const memory::dims strides{sh, sw}, dil{dh - 1, dw - 1}, pad_l{pt, pl}, pad_r{pb, pr};
  try {
    auto desc = has_bias ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference,
                                                           dnnl::algorithm::convolution_direct, src_md, wei_any,
                                                           bias_md, dst_md, strides, dil, pad_l, pad_r)
                         : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference,
                                                           dnnl::algorithm::convolution_direct, src_md, wei_any,
                                                           dst_md, strides, dil, pad_l, pad_r);
    dnnl::convolution_forward::primitive_desc pd(desc, attr, engine());
    std::unordered_map<int, memory> args;
    args[DNNL_ARG_SRC] = memory(src_md, engine(), nullptr);
    args[DNNL_ARG_DST] = memory(dst_md, engine(), nullptr);
    args[DNNL_ARG_WEIGHTS] = pack_weights(user_w, ctx.input_data(1), pd.weights_desc());
    if (has_bias) args[DNNL_ARG_BIAS] = bias_memory(ctx, 2, oc);
    return std::unique_ptr<FastKernel>(
        new DnnlKernel(dnnl::convolution_forward(pd), std::move(args), {{DNNL_ARG_SRC, 0}}));
  } catch (const dnnl::error&) {
    return std::unique_ptr<FastKernel>();  // a geometry oneDNN does not take: the reference runs
  }
}

Expected<std::unique_ptr<FastKernel>> prepare_fully_connected(const ops::OpContext& ctx) {
  if (ctx.num_inputs() < 2 || ctx.input_dtype(1) != DType::kFloat32 || ctx.output_dtype(0) != DType::kFloat32)
    return std::unique_ptr<FastKernel>();
  if (ctx.has_input(2) && ctx.input_dtype(2) != DType::kFloat32) return std::unique_ptr<FastKernel>();
  if (!all_constant(ctx, {1, 2})) return std::unique_ptr<FastKernel>();
  static const tflite::FullyConnectedOptionsT kDefault{};
  const auto* o = ctx.op().options_as<tflite::FullyConnectedOptionsT>();
  if (!o) o = &kDefault;
  if (o->weights_format != tflite::FullyConnectedOptionsWeightsFormat_DEFAULT) return std::unique_ptr<FastKernel>();
  const ir::Shape& w = ctx.input_shape(1);
  if (w.size() != 2 || w[0] <= 0 || w[1] <= 0) return std::unique_ptr<FastKernel>();
  const int64_t units = w[0], depth = w[1];
  const int64_t in_elems = ir::num_elements(ctx.input_shape(0));
  const int64_t out_elems = ir::num_elements(ctx.output_shape(0));
  if (in_elems <= 0 || in_elems % depth != 0 || out_elems != in_elems / depth * units) return std::unique_ptr<FastKernel>();
  const int64_t rows = in_elems / depth;
  dnnl::primitive_attr attr;
  if (!add_activation(static_cast<Activation>(o->fused_activation_function), attr))
    return std::unique_ptr<FastKernel>();
  const memory::desc src_md({rows, depth}, dt::f32, tag::nc);
  const memory::desc dst_md({rows, units}, dt::f32, tag::nc);
  const memory::desc wei_any({units, depth}, dt::f32, tag::any);
  const bool has_bias = ctx.has_input(2);
  const memory::desc bias_md = has_bias ? memory::desc({units}, dt::f32, tag::x) : memory::desc();
  try {
    auto desc = has_bias ? dnnl::inner_product_forward::desc(dnnl::prop_kind::forward_inference, src_md, wei_any,
                                                             bias_md, dst_md)
                         : dnnl::inner_product_forward::desc(dnnl::prop_kind::forward_inference, src_md, wei_any,
                                                             dst_md);
    dnnl::inner_product_forward::primitive_desc pd(desc, attr, engine());
    std::unordered_map<int, memory> args;
    args[DNNL_ARG_SRC] = memory(src_md, engine(), nullptr);
    args[DNNL_ARG_DST] = memory(dst_md, engine(), nullptr);
    args[DNNL_ARG_WEIGHTS] =
        pack_weights(memory::desc({units, depth}, dt::f32, tag::oi), ctx.input_data(1), pd.weights_desc());
    if (has_bias) args[DNNL_ARG_BIAS] = bias_memory(ctx, 2, units);
    return std::unique_ptr<FastKernel>(
        new DnnlKernel(dnnl::inner_product_forward(pd), std::move(args), {{DNNL_ARG_SRC, 0}}));
  } catch (const dnnl::error&) {
    return std::unique_ptr<FastKernel>();
  }
}

// ADD with NumPy broadcasting: both inputs padded to the output's rank with
// leading 1s (oneDNN's binary broadcasts dims of size 1 in src1 only, so the
// inputs swap when src0 is the broadcast one).
Expected<std::unique_ptr<FastKernel>> prepare_add(const ops::OpContext& ctx) {
  if (ctx.num_inputs() != 2 || ctx.input_dtype(1) != DType::kFloat32 || ctx.output_dtype(0) != DType::kFloat32)
    return std::unique_ptr<FastKernel>();
  static const tflite::AddOptionsT kDefault{};
  const auto* o = ctx.op().options_as<tflite::AddOptionsT>();
  if (!o) o = &kDefault;
  const ir::Shape& out = ctx.output_shape(0);
  if (out.empty() || out.size() > 6) return std::unique_ptr<FastKernel>();
  auto padded = [&](const ir::Shape& s) {
    memory::dims d(out.size() - s.size(), 1);
    for (auto v : s) d.push_back(v);
    return d;
  };
  memory::dims a = padded(ctx.input_shape(0)), b = padded(ctx.input_shape(1)), o_dims(out.begin(), out.end());
  for (auto v : o_dims) if (v <= 0) return std::unique_ptr<FastKernel>();
  int first = 0, second = 1;
  if (a != o_dims) {
    if (b != o_dims) return std::unique_ptr<FastKernel>();  // both broadcast: the reference handles it
    std::swap(a, b);
    std::swap(first, second);
  }
  auto plain = [](const memory::dims& d) {
    memory::dims strides(d.size(), 1);
    for (int i = static_cast<int>(d.size()) - 2; i >= 0; --i) strides[i] = strides[i + 1] * d[i + 1];
    return memory::desc(d, dt::f32, strides);
  };
  dnnl::primitive_attr attr;
  if (!add_activation(static_cast<Activation>(o->fused_activation_function), attr))
    return std::unique_ptr<FastKernel>();
  try {
    const memory::desc a_md = plain(a), b_md = plain(b), dst_md = plain(o_dims);
    dnnl::binary::primitive_desc pd(dnnl::binary::desc(dnnl::algorithm::binary_add, a_md, b_md, dst_md), attr,
                                    engine());
    std::unordered_map<int, memory> args;
    args[DNNL_ARG_SRC_0] = memory(a_md, engine(), nullptr);
    args[DNNL_ARG_SRC_1] = memory(b_md, engine(), nullptr);
    args[DNNL_ARG_DST] = memory(dst_md, engine(), nullptr);
    return std::unique_ptr<FastKernel>(
        new DnnlKernel(dnnl::binary(pd), std::move(args), {{DNNL_ARG_SRC_0, first}, {DNNL_ARG_SRC_1, second}}));
  } catch (const dnnl::error&) {
    return std::unique_ptr<FastKernel>();
  }
}

}  // namespace

Expected<std::unique_ptr<FastKernel>> prepare_dnnl(const ops::OpContext& ctx, const Threads& /*threads*/) {
  if (ctx.op().code.is_custom()) return std::unique_ptr<FastKernel>();
  switch (ctx.op().code.builtin) {
    case tflite::BuiltinOperator_CONV_2D: return prepare_conv<tflite::Conv2DOptionsT>(ctx, false);
    case tflite::BuiltinOperator_DEPTHWISE_CONV_2D: return prepare_conv<tflite::DepthwiseConv2DOptionsT>(ctx, true);
    case tflite::BuiltinOperator_FULLY_CONNECTED: return prepare_fully_connected(ctx);
    case tflite::BuiltinOperator_ADD: return prepare_add(ctx);
    default: return std::unique_ptr<FastKernel>();
  }
}

}  // namespace tfc::runtime::fast
