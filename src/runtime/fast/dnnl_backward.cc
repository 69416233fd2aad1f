// oneDNN kernels for training (see dnnl_backward.h). Forward convolutions:
// a forward_training primitive, the filter reordered into its layout each
// run, the reference kernels' clamp applied after. Backward convolutions:
// oneDNN's convolution_backward_data / _weights primitives on NHWC buffers
// with a forward_training hint; the weights enter and their gradient leaves
// through reorders between the IR's layout and the one oneDNN picks (tag::any),
// and each result lands in a buffer of this object's before it is added into
// the caller's. Fully connected: two sgemm calls with beta = 1. Pooling:
// forward_training (max pooling's workspace kept) and backward primitives.
// Batch normalization: forward_training and backward primitives on (rows, C)
// as NHWC with H = W = 1, run through oneDNN's C API on argument lists made
// once (memory objects re-pointed each call). The convolutions likewise: their
// primitives, reorders, memory objects and argument lists are made once at
// create(), so nothing here allocates per run (oneDNN's own execution still
// does).
#include "runtime/fast/dnnl_backward.h"

#include <algorithm>
#include <limits>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "kernels/window.h"
#include "runtime/fast/dnnl_util.h"
#include "runtime/fast/float_loops.h"

namespace tfc::runtime::fast {
namespace {

using dnnl::memory;
using dt = memory::data_type;
using tag = memory::format_tag;

// A memory of `md` without a buffer: each run points it at the caller's.
memory unbound(const memory::desc& md) { return memory(md, engine(), DNNL_MEMORY_NONE); }

// A primitive with its arguments bound once (the memories must outlive it).
struct Bound {
  dnnl::primitive prim;
  std::vector<dnnl_exec_arg_t> args;

  void bind(int arg, const memory& m) { args.push_back({arg, m.get()}); }
  void execute(const dnnl::stream& s) const {
    dnnl::error::wrap_c_api(dnnl_primitive_execute(prim.get(), s.get(), static_cast<int>(args.size()), args.data()),
                            "could not execute a primitive");
  }
};

// A reorder from `from` to `to`, bound.
Bound bound_reorder(const memory& from, const memory& to) {
  Bound b{dnnl::reorder(from, to), {}};
  b.bind(DNNL_ARG_FROM, from);
  b.bind(DNNL_ARG_TO, to);
  return b;
}

void set_handle(const memory& m, const void* p) { m.set_data_handle(const_cast<void*>(p)); }

// The weights' dims for oneDNN and the IR layout as a desc over them.
struct WeightsLayout {
  memory::dims dims;
  memory::desc user;
};

WeightsLayout weights_layout(bool depthwise, int64_t in_c, int64_t out_c, int64_t kh, int64_t kw, int64_t group_c) {
  if (depthwise) {
    // element (ky, kx, c*M + m) at (ky * KW + kx) * C*M + c*M + m: oneDNN (G = C, M, 1, KH, KW).
    const int64_t m = out_c / in_c;
    const memory::dims dims{in_c, m, 1, kh, kw};
    return {dims, memory::desc(dims, dt::f32, memory::dims{m, 1, 1, kw * out_c, out_c})};
  }
  const int64_t groups = in_c / group_c;
  if (groups == 1) {
    const memory::dims dims{out_c, in_c, kh, kw};
    return {dims, memory::desc(dims, dt::f32, tag::ohwi)};
  }
  const memory::dims dims{groups, out_c / groups, group_c, kh, kw};
  return {dims, memory::desc(dims, dt::f32, tag::gohwi)};
}

// The oneDNN descs of a convolution's geometry: NHWC activations, the IR's
// weights layout, strides, dilations and padding (after: what the last window
// reaches beyond the input; none for VALID windows that leave a remainder
// unread).
struct ConvGeometry {
  memory::desc src_md, dst_md;
  WeightsLayout wl;
  memory::dims strides, dil, pad_l, pad_r;

  ConvGeometry(const kernels::ConvParams& p, bool depthwise, kernels::Dims input_dims, kernels::Dims filter_dims,
               kernels::Dims output_dims) {
    const int64_t n = input_dims[0], ih = input_dims[1], iw = input_dims[2], in_c = input_dims[3];
    const int64_t oh = output_dims[1], ow = output_dims[2], out_c = output_dims[3];
    const int64_t kh = filter_dims[1], kw = filter_dims[2];
    src_md = memory::desc({n, in_c, ih, iw}, dt::f32, tag::nhwc);
    dst_md = memory::desc({n, out_c, oh, ow}, dt::f32, tag::nhwc);
    wl = weights_layout(depthwise, in_c, out_c, kh, kw, filter_dims[3]);
    const int32_t pt = kernels::window_padding_before(input_dims[1], filter_dims[1], p.stride_h, p.dilation_h,
                                                      output_dims[1]);
    const int32_t pl = kernels::window_padding_before(input_dims[2], filter_dims[2], p.stride_w, p.dilation_w,
                                                      output_dims[2]);
    const int64_t pb = std::max<int64_t>((oh - 1) * p.stride_h + (kh - 1) * p.dilation_h + 1 - ih - pt, 0);
    const int64_t pr = std::max<int64_t>((ow - 1) * p.stride_w + (kw - 1) * p.dilation_w + 1 - iw - pl, 0);
    strides = {p.stride_h, p.stride_w};
    dil = {p.dilation_h - 1, p.dilation_w - 1};
    pad_l = {pt, pl};
    pad_r = {pb, pr};
  }
};

// The reference kernels' fused activation on a float output: the clamps of
// RELU, RELU6 and RELU_N1_TO_1 in TFLite's operand order (NaN passes); TANH
// and SIGN_BIT are not applied (kernels/conv_ref.cc).
void clamp_activation(kernels::Activation a, float* out, size_t n) {
  if (!kernels::FloatClamp::is_clamp(a)) return;
  const kernels::FloatClamp c(a);
  clamp_forward(out, static_cast<int64_t>(n), c.lo, c.hi, out);
}

// `prim` on `args` through oneDNN's C API, which takes the argument list as
// it is (the C++ API builds one per call), then waits for it.
Status execute(dnnl::stream& stream, const dnnl::primitive& prim, const std::vector<dnnl_exec_arg_t>& args,
               const char* what) {
  if (dnnl_primitive_execute(prim.get(), stream.get(), static_cast<int>(args.size()), args.data()) != dnnl_success ||
      dnnl_stream_wait(stream.get()) != dnnl_success)
    return internal_error("oneDNN {} failed", what);
  return Status::ok();
}

}  // namespace

struct ConvForward::Impl {
  dnnl::stream stream{engine()};
  memory::desc src_md, dst_md, user_w, bias_md;
  memory packed_w;  // the filter in the primitive's layout (empty when it is the IR's)
  memory zero_bias;
  memory src, w, bias, dst;  // pointed at the caller's buffers each run
  Bound conv, pack_w;
  kernels::Activation activation = kernels::Activation::kNone;
  size_t dst_size = 0;
};

ConvForward::ConvForward(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ConvForward::~ConvForward() = default;

Expected<std::unique_ptr<ConvForward>> ConvForward::create(const kernels::ConvParams& p, bool depthwise,
                                                           kernels::Dims input_dims, kernels::Dims filter_dims,
                                                           kernels::Dims output_dims) {
  auto impl = std::make_unique<Impl>();
  const ConvGeometry geo(p, depthwise, input_dims, filter_dims, output_dims);
  impl->src_md = geo.src_md;
  impl->dst_md = geo.dst_md;
  impl->user_w = geo.wl.user;
  impl->bias_md = memory::desc({output_dims[3]}, dt::f32, tag::x);
  impl->activation = p.activation;
  impl->dst_size = static_cast<size_t>(kernels::flat_size(output_dims));
  try {
    const dnnl::convolution_forward::primitive_desc pd(
        dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct,
                                        geo.src_md, memory::desc(geo.wl.dims, dt::f32, tag::any), impl->bias_md,
                                        geo.dst_md, geo.strides, geo.dil, geo.pad_l, geo.pad_r),
        engine());
    Impl& m = *impl;
    m.src = unbound(m.src_md);
    m.w = unbound(m.user_w);
    m.bias = unbound(m.bias_md);
    m.dst = unbound(m.dst_md);
    if (pd.weights_desc() != geo.wl.user) {
      m.packed_w = memory(pd.weights_desc(), engine());
      m.pack_w = bound_reorder(m.w, m.packed_w);
    }
    m.zero_bias = memory(m.bias_md, engine());
    std::fill_n(static_cast<float*>(m.zero_bias.get_data_handle()), output_dims[3], 0.0f);
    m.conv.prim = dnnl::convolution_forward(pd);
    m.conv.bind(DNNL_ARG_SRC, m.src);
    m.conv.bind(DNNL_ARG_WEIGHTS, m.packed_w ? m.packed_w : m.w);
    m.conv.bind(DNNL_ARG_BIAS, m.bias);
    m.conv.bind(DNNL_ARG_DST, m.dst);
  } catch (const dnnl::error& e) {
    return unsupported("oneDNN has no forward convolution for this geometry: {}", e.what());
  }
  return std::unique_ptr<ConvForward>(new ConvForward(std::move(impl)));
}

Status ConvForward::run(const float* input, const float* filter, const float* bias, float* output) {
  Impl& m = *impl_;
  try {
    set_handle(m.w, filter);
    if (m.packed_w) m.pack_w.execute(m.stream);
    set_handle(m.src, input);
    set_handle(m.dst, output);
    set_handle(m.bias, bias ? bias : m.zero_bias.get_data_handle());
    m.conv.execute(m.stream);
    m.stream.wait();
  } catch (const dnnl::error& e) {
    return internal_error("oneDNN forward convolution failed: {}", e.what());
  }
  clamp_activation(m.activation, output, m.dst_size);
  return Status::ok();
}

Status fully_connected_forward(kernels::Activation activation, const float* input, int64_t rows, int32_t depth,
                               const float* weights, int32_t units, const float* bias, float* output) {
  // (rows, units) = (rows, depth) x (units, depth)^T
  if (dnnl::sgemm('N', 'T', rows, units, depth, 1.0f, input, depth, weights, depth, 0.0f, output, units) !=
      dnnl::status::success)
    return internal_error("oneDNN sgemm failed (FULLY_CONNECTED forward)");
  if (bias) {
    for (int64_t r = 0; r < rows; ++r) add_into(output + r * units, bias, static_cast<size_t>(units));
  }
  clamp_activation(activation, output, static_cast<size_t>(rows * units));
  return Status::ok();
}

struct ConvBackward::Impl {
  dnnl::stream stream{engine()};
  memory::desc src_md, dst_md, user_w;
  memory src, w, ddst;   // pointed at the caller's buffers each run
  memory packed_w;       // the filter in backward-data's layout (empty when it is the IR's)
  memory packed_dw;      // the filter gradient in backward-weights' layout (empty when it is the IR's)
  memory dw_user;        // the filter gradient in the IR's layout
  memory dsrc;           // the input gradient (N, H, W, Cin): own_dsrc, or the caller's buffer
  void* own_dsrc = nullptr;
  memory dbias;          // (Cout)
  Bound data, weights, pack_w, unpack_dw;
  size_t src_size = 0, w_size = 0, out_c = 0;
};

ConvBackward::ConvBackward(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ConvBackward::~ConvBackward() = default;

Expected<std::unique_ptr<ConvBackward>> ConvBackward::create(const kernels::ConvParams& p, bool depthwise,
                                                             kernels::Dims input_dims, kernels::Dims filter_dims,
                                                             kernels::Dims output_dims) {
  auto impl = std::make_unique<Impl>();
  const ConvGeometry geo(p, depthwise, input_dims, filter_dims, output_dims);
  impl->src_md = geo.src_md;
  impl->dst_md = geo.dst_md;
  const WeightsLayout& wl = geo.wl;
  impl->user_w = wl.user;
  const memory::dims &strides = geo.strides, &dil = geo.dil, &pad_l = geo.pad_l, &pad_r = geo.pad_r;
  const int64_t out_c = output_dims[3];
  const memory::desc w_any(wl.dims, dt::f32, tag::any), bias_md({out_c}, dt::f32, tag::x);
  const auto algo = dnnl::algorithm::convolution_direct;
  try {
    const dnnl::convolution_forward::primitive_desc hint(
        dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, algo, impl->src_md, w_any, bias_md,
                                        impl->dst_md, strides, dil, pad_l, pad_r),
        engine());
    const dnnl::convolution_backward_data::primitive_desc data_pd(
        dnnl::convolution_backward_data::desc(algo, impl->src_md, w_any, impl->dst_md, strides, dil, pad_l, pad_r),
        engine(), hint);
    const dnnl::convolution_backward_weights::primitive_desc weights_pd(
        dnnl::convolution_backward_weights::desc(algo, impl->src_md, w_any, bias_md, impl->dst_md, strides, dil,
                                                 pad_l, pad_r),
        engine(), hint);
    Impl& m = *impl;
    m.src = unbound(m.src_md);
    m.w = unbound(wl.user);
    m.ddst = unbound(m.dst_md);
    m.dw_user = memory(wl.user, engine());
    m.dsrc = memory(m.src_md, engine());
    m.own_dsrc = m.dsrc.get_data_handle();
    m.dbias = memory(bias_md, engine());
    if (data_pd.weights_desc() != wl.user) {
      m.packed_w = memory(data_pd.weights_desc(), engine());
      m.pack_w = bound_reorder(m.w, m.packed_w);
    }
    if (weights_pd.diff_weights_desc() != wl.user) {
      m.packed_dw = memory(weights_pd.diff_weights_desc(), engine());
      m.unpack_dw = bound_reorder(m.packed_dw, m.dw_user);
    }
    m.data.prim = dnnl::convolution_backward_data(data_pd);
    m.data.bind(DNNL_ARG_DIFF_DST, m.ddst);
    m.data.bind(DNNL_ARG_WEIGHTS, m.packed_w ? m.packed_w : m.w);
    m.data.bind(DNNL_ARG_DIFF_SRC, m.dsrc);
    m.weights.prim = dnnl::convolution_backward_weights(weights_pd);
    m.weights.bind(DNNL_ARG_SRC, m.src);
    m.weights.bind(DNNL_ARG_DIFF_DST, m.ddst);
    m.weights.bind(DNNL_ARG_DIFF_WEIGHTS, m.packed_dw ? m.packed_dw : m.dw_user);
    m.weights.bind(DNNL_ARG_DIFF_BIAS, m.dbias);
  } catch (const dnnl::error& e) {
    return unsupported("oneDNN has no backward convolution for this geometry: {}", e.what());
  }
  impl->src_size = static_cast<size_t>(kernels::flat_size(input_dims));
  impl->w_size = static_cast<size_t>(kernels::flat_size(filter_dims));
  impl->out_c = static_cast<size_t>(out_c);
  return std::unique_ptr<ConvBackward>(new ConvBackward(std::move(impl)));
}

Status ConvBackward::backward_data(const float* dout, const float* filter, float* dinput, bool add) {
  Impl& m = *impl_;
  try {
    set_handle(m.dsrc, add ? m.own_dsrc : dinput);
    set_handle(m.w, filter);
    if (m.packed_w) m.pack_w.execute(m.stream);
    set_handle(m.ddst, dout);
    m.data.execute(m.stream);
    m.stream.wait();
  } catch (const dnnl::error& e) {
    return internal_error("oneDNN backward-data convolution failed: {}", e.what());
  }
  if (add) add_into(dinput, static_cast<const float*>(m.own_dsrc), static_cast<int64_t>(m.src_size));
  return Status::ok();
}

Status ConvBackward::backward_weights(const float* input, const float* dout, float* dfilter, float* dbias) {
  Impl& m = *impl_;
  try {
    set_handle(m.src, input);
    set_handle(m.ddst, dout);
    m.weights.execute(m.stream);
    if (m.packed_dw) m.unpack_dw.execute(m.stream);
    m.stream.wait();
  } catch (const dnnl::error& e) {
    return internal_error("oneDNN backward-weights convolution failed: {}", e.what());
  }
  add_into(dfilter, static_cast<const float*>(m.dw_user.get_data_handle()), m.w_size);
  if (dbias) add_into(dbias, static_cast<const float*>(m.dbias.get_data_handle()), m.out_c);
  return Status::ok();
}

Status FcBackward::backward_data(const float* dout, const float* weights, float* dinput) const {
  // (rows, depth) += (rows, units) x (units, depth)
  if (dnnl::sgemm('N', 'N', rows_, depth_, units_, 1.0f, dout, units_, weights, depth_, 1.0f, dinput, depth_) !=
      dnnl::status::success)
    return internal_error("oneDNN sgemm failed (FULLY_CONNECTED backward-data)");
  return Status::ok();
}

Status FcBackward::backward_weights(const float* input, const float* dout, float* dweights, float* dbias) const {
  // (units, depth) += (units, rows) x (rows, depth)
  if (dnnl::sgemm('T', 'N', units_, depth_, rows_, 1.0f, dout, units_, input, depth_, 1.0f, dweights, depth_) !=
      dnnl::status::success)
    return internal_error("oneDNN sgemm failed (FULLY_CONNECTED backward-weights)");
  if (dbias) {
    for (int64_t r = 0; r < rows_; ++r) add_into(dbias, dout + r * units_, static_cast<size_t>(units_));
  }
  return Status::ok();
}

struct PoolTraining::Impl {
  dnnl::stream stream{engine()};
  dnnl::pooling_forward forward;
  dnnl::pooling_backward backward;
  memory src, dst, diff_dst, diff_src, workspace;
  std::vector<float> dsrc;  // the input gradient before it is added
  std::vector<dnnl_exec_arg_t> forward_args, backward_args;
};

PoolTraining::PoolTraining(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PoolTraining::~PoolTraining() = default;

Expected<std::unique_ptr<PoolTraining>> PoolTraining::create(const kernels::PoolParams& p, bool max,
                                                             kernels::Dims input_dims, kernels::Dims output_dims) {
  auto impl = std::make_unique<Impl>();
  Impl& m = *impl;
  const int64_t n = input_dims[0], ih = input_dims[1], iw = input_dims[2], c = input_dims[3];
  const int64_t oh = output_dims[1], ow = output_dims[2];
  const memory::desc src_md({n, c, ih, iw}, dt::f32, tag::nhwc), dst_md({n, c, oh, ow}, dt::f32, tag::nhwc);
  const int32_t pt = kernels::window_padding_before(static_cast<int32_t>(ih), p.filter_h, p.stride_h, 1,
                                                    static_cast<int32_t>(oh));
  const int32_t pl = kernels::window_padding_before(static_cast<int32_t>(iw), p.filter_w, p.stride_w, 1,
                                                    static_cast<int32_t>(ow));
  const int64_t pb = std::max<int64_t>((oh - 1) * p.stride_h + p.filter_h - ih - pt, 0);
  const int64_t pr = std::max<int64_t>((ow - 1) * p.stride_w + p.filter_w - iw - pl, 0);
  const memory::dims strides{p.stride_h, p.stride_w}, kernel{p.filter_h, p.filter_w}, pad_l{pt, pl}, pad_r{pb, pr};
  const auto algo = max ? dnnl::algorithm::pooling_max : dnnl::algorithm::pooling_avg_exclude_padding;
  try {
    const dnnl::pooling_forward::primitive_desc fwd_pd(
        dnnl::pooling_forward::desc(dnnl::prop_kind::forward_training, algo, src_md, dst_md, strides, kernel, pad_l,
                                    pad_r),
        engine());
    const dnnl::pooling_backward::primitive_desc bwd_pd(
        dnnl::pooling_backward::desc(algo, src_md, dst_md, strides, kernel, pad_l, pad_r), engine(), fwd_pd);
    m.forward = dnnl::pooling_forward(fwd_pd);
    m.backward = dnnl::pooling_backward(bwd_pd);
    for (memory* d : {&m.src, &m.diff_src}) *d = memory(src_md, engine(), DNNL_MEMORY_NONE);
    for (memory* d : {&m.dst, &m.diff_dst}) *d = memory(dst_md, engine(), DNNL_MEMORY_NONE);
    if (max) m.workspace = memory(fwd_pd.workspace_desc(), engine());
  } catch (const dnnl::error& e) {
    return unsupported("oneDNN has no pooling for this geometry: {}", e.what());
  }
  m.dsrc.resize(static_cast<size_t>(kernels::flat_size(input_dims)));
  m.forward_args = {{DNNL_ARG_SRC, m.src.get()}, {DNNL_ARG_DST, m.dst.get()}};
  m.backward_args = {{DNNL_ARG_DIFF_DST, m.diff_dst.get()}, {DNNL_ARG_DIFF_SRC, m.diff_src.get()}};
  if (max) {
    m.forward_args.push_back({DNNL_ARG_WORKSPACE, m.workspace.get()});
    m.backward_args.push_back({DNNL_ARG_WORKSPACE, m.workspace.get()});
  }
  return std::unique_ptr<PoolTraining>(new PoolTraining(std::move(impl)));
}

Status PoolTraining::forward(const float* input, float* output) {
  Impl& m = *impl_;
  m.src.set_data_handle(const_cast<float*>(input));
  m.dst.set_data_handle(output);
  return execute(m.stream, m.forward, m.forward_args, "pooling forward");
}

Status PoolTraining::backward(const float* dout, float* dinput, bool add) {
  Impl& m = *impl_;
  m.diff_dst.set_data_handle(const_cast<float*>(dout));
  m.diff_src.set_data_handle(add ? m.dsrc.data() : dinput);
  TFC_RETURN_IF_ERROR(execute(m.stream, m.backward, m.backward_args, "pooling backward"));
  if (add) add_into(dinput, m.dsrc.data(), static_cast<int64_t>(m.dsrc.size()));
  return Status::ok();
}

struct BatchNormTraining::Impl {
  dnnl::stream stream{engine()};
  dnnl::batch_normalization_forward forward;
  dnnl::batch_normalization_backward backward;
  bool scale = false, shift = false;
  size_t size = 0, channels = 0;
  // Memory objects made once; each call points them at its buffers.
  memory src, dst, mean, variance, gamma, beta, diff_dst, diff_src, diff_gamma, diff_beta;
  std::vector<float> dparams;  // dL/dgamma, dL/dbeta (C each) before they are added
  std::vector<float> dx;       // dL/dx before it is added, or where it goes when unwanted (made on first need)
  std::vector<dnnl_exec_arg_t> forward_args, backward_args;
};

BatchNormTraining::BatchNormTraining(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
BatchNormTraining::~BatchNormTraining() = default;

Expected<std::unique_ptr<BatchNormTraining>> BatchNormTraining::create(int64_t rows, int32_t channels, float epsilon,
                                                                       bool scale, bool shift) {
  if (rows < 1 || channels < 1) return invalid_argument("batch normalization of {} rows of {} channels", rows, channels);
  auto impl = std::make_unique<Impl>();
  Impl& m = *impl;
  m.scale = scale;
  m.shift = shift;
  m.size = static_cast<size_t>(rows) * static_cast<size_t>(channels);
  m.channels = static_cast<size_t>(channels);
  // (rows, C) as NHWC with H * W = 1: the channel is the innermost dim.
  const memory::desc data_md({rows, channels, 1, 1}, dt::f32, tag::nhwc);
  const memory::desc c_md({channels}, dt::f32, tag::x);
  auto flags = dnnl::normalization_flags::none;
  if (scale) flags |= dnnl::normalization_flags::use_scale;
  if (shift) flags |= dnnl::normalization_flags::use_shift;
  try {
    const dnnl::batch_normalization_forward::primitive_desc fwd_pd(
        dnnl::batch_normalization_forward::desc(dnnl::prop_kind::forward_training, data_md, epsilon, flags), engine());
    const auto kind = scale || shift ? dnnl::prop_kind::backward : dnnl::prop_kind::backward_data;
    const dnnl::batch_normalization_backward::primitive_desc bwd_pd(
        dnnl::batch_normalization_backward::desc(kind, data_md, data_md, epsilon, flags), engine(), fwd_pd);
    m.forward = dnnl::batch_normalization_forward(fwd_pd);
    m.backward = dnnl::batch_normalization_backward(bwd_pd);
    // Handles are set on every call; DNNL_MEMORY_NONE allocates nothing.
    for (memory* d : {&m.src, &m.dst, &m.diff_dst, &m.diff_src}) *d = memory(data_md, engine(), DNNL_MEMORY_NONE);
    for (memory* c : {&m.mean, &m.variance, &m.gamma, &m.beta, &m.diff_gamma, &m.diff_beta}) {
      *c = memory(c_md, engine(), DNNL_MEMORY_NONE);
    }
  } catch (const dnnl::error& e) {
    return unsupported("oneDNN has no batch normalization for {} rows of {} channels: {}", rows, channels, e.what());
  }
  m.forward_args = {{DNNL_ARG_SRC, m.src.get()}, {DNNL_ARG_DST, m.dst.get()}, {DNNL_ARG_MEAN, m.mean.get()},
                    {DNNL_ARG_VARIANCE, m.variance.get()}};
  m.backward_args = {{DNNL_ARG_SRC, m.src.get()},           {DNNL_ARG_MEAN, m.mean.get()},
                     {DNNL_ARG_VARIANCE, m.variance.get()}, {DNNL_ARG_DIFF_DST, m.diff_dst.get()},
                     {DNNL_ARG_DIFF_SRC, m.diff_src.get()}};
  if (scale) {
    m.forward_args.push_back({DNNL_ARG_SCALE, m.gamma.get()});
    m.backward_args.push_back({DNNL_ARG_SCALE, m.gamma.get()});
    m.backward_args.push_back({DNNL_ARG_DIFF_SCALE, m.diff_gamma.get()});
  }
  if (shift) {
    m.forward_args.push_back({DNNL_ARG_SHIFT, m.beta.get()});
    m.backward_args.push_back({DNNL_ARG_SHIFT, m.beta.get()});
    m.backward_args.push_back({DNNL_ARG_DIFF_SHIFT, m.diff_beta.get()});
  }
  m.dparams.assign(2 * m.channels, 0.0f);
  return std::unique_ptr<BatchNormTraining>(new BatchNormTraining(std::move(impl)));
}

Status BatchNormTraining::forward(const float* x, const float* gamma, const float* beta, float* y, float* mean,
                                  float* variance) {
  Impl& m = *impl_;
  m.src.set_data_handle(const_cast<float*>(x));
  m.dst.set_data_handle(y);
  m.mean.set_data_handle(mean);
  m.variance.set_data_handle(variance);
  if (m.scale) m.gamma.set_data_handle(const_cast<float*>(gamma));
  if (m.shift) m.beta.set_data_handle(const_cast<float*>(beta));
  return execute(m.stream, m.forward, m.forward_args, "batch normalization forward");
}

Status BatchNormTraining::backward(const float* x, const float* mean, const float* variance, const float* gamma,
                                   const float* dy, float* dx, bool add_dx, float* dgamma, float* dbeta) {
  Impl& m = *impl_;
  const bool direct = dx && !add_dx;
  if (!direct && m.dx.size() != m.size) m.dx.resize(m.size);
  m.src.set_data_handle(const_cast<float*>(x));
  m.mean.set_data_handle(const_cast<float*>(mean));
  m.variance.set_data_handle(const_cast<float*>(variance));
  m.diff_dst.set_data_handle(const_cast<float*>(dy));
  m.diff_src.set_data_handle(direct ? dx : m.dx.data());
  if (m.scale) m.gamma.set_data_handle(const_cast<float*>(gamma));
  m.diff_gamma.set_data_handle(m.dparams.data());
  m.diff_beta.set_data_handle(m.dparams.data() + m.channels);
  TFC_RETURN_IF_ERROR(execute(m.stream, m.backward, m.backward_args, "batch normalization backward"));
  if (dx && add_dx) add_into(dx, m.dx.data(), static_cast<int64_t>(m.size));
  if (dgamma && m.scale) add_into(dgamma, m.dparams.data(), static_cast<int64_t>(m.channels));
  if (dbeta && m.shift) add_into(dbeta, m.dparams.data() + m.channels, static_cast<int64_t>(m.channels));
  return Status::ok();
}

}  // namespace tfc::runtime::fast
