// float32 TRANSPOSE_CONV on oneDNN's deconvolution: NHWC activations as the
// graph holds them, the (Cout, KH, KW, Cin) weights packed once into the
// layout oneDNN picks, the optional bias and the fused activation (a post-op)
// inside the primitive. oneDNN's deconvolution maps input row iy through tap
// ky to output row iy * stride - pad_top + ky, TFLite's rule, so TFLite's
// padding (that of the forward conv from the output size back to the input
// size) passes as is; the padding after may be negative (an output_shape
// larger than the window reaches: those rows get the bias only).
// At batch 1 and several threads the output rows are split into bands, one
// primitive each reading the input rows that reach its rows, run on the
// backend's pool as the convolutions are (dnnl_kernels.cc); if oneDNN refuses
// a band's geometry the op runs as one primitive.
// int8 TRANSPOSE_CONV (under LiteRT's default-path rescaling) runs on the same
// primitive exactly in float, as Int8ConvViaF32 does for the convolutions
// (dnnl_kernels.cc): (q - zero point) and the integer weights and bias are
// exact floats and the sums stay integers below 2^24, so rescaling the float
// accumulator as requantize_float does gives the reference's outputs.
// Hybrid TRANSPOSE_CONV (float input, int8 weights) the same way: each batch
// quantized as the reference does (hybrid_ref.h), exact integer sums on
// oneDNN, then acc * w_scale * row_scale + bias. LiteRT (and so the
// reference) adds each product already scaled in float, so this differs from
// it by float rounding only (within 1e-4 relative, not bit for bit).
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <unordered_map>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "kernels/hybrid_ref.h"
#include "kernels/quant_util.h"
#include "ops/conv_options.h"
#include "runtime/fast/dnnl_tasks.h"
#include "runtime/fast/dnnl_util.h"
#include "runtime/fast/fast_kernel.h"

namespace tfc::runtime::fast {
namespace {

using dnnl::memory;
using dt = memory::data_type;
using tag = memory::format_tag;

struct DeconvGeometry {
  int64_t batch = 1, ih = 1, iw = 1, ic = 1, oh = 1, ow = 1, oc = 1, kh = 1, kw = 1, sh = 1, sw = 1;
  int64_t pt = 0, pl = 0, pb = 0, pr = 0;  // pb, pr may be negative
};

// Padding after that makes the last input row's window end at the output's end.
int64_t pad_after(int64_t in, int64_t stride, int64_t taps, int64_t out, int64_t before) {
  return (in - 1) * stride + taps - out - before;
}

bool deconv_geometry(const ops::OpContext& ctx, const kernels::TransposeConvParams& p, DeconvGeometry& g) {
  const ir::Shape& w = ctx.input_shape(1);
  const ir::Shape& in = ctx.input_shape(2);
  const ir::Shape& out = ctx.output_shape(0);
  if (w.size() != 4 || in.size() != 4 || out.size() != 4 || p.stride_h <= 0 || p.stride_w <= 0) return false;
  for (const ir::Shape* s : {&w, &in, &out})
    for (auto d : *s)
      if (d <= 0) return false;
  g = {in[0], in[1], in[2], in[3], out[1], out[2], out[3], w[1], w[2], p.stride_h, p.stride_w};
  if (w[0] != g.oc || w[3] != g.ic || out[0] != g.batch) return false;
  auto before = [&](int64_t o, int64_t k, int64_t s) {
    const auto o32 = static_cast<int32_t>(o), k32 = static_cast<int32_t>(k), s32 = static_cast<int32_t>(s);
    return kernels::window_padding_before(o32, k32, s32, 1, kernels::window_output_size(p.padding, o32, k32, s32, 1));
  };
  g.pt = before(g.oh, g.kh, g.sh);
  g.pl = before(g.ow, g.kw, g.sw);
  g.pb = pad_after(g.ih, g.sh, g.kh, g.oh, g.pt);
  g.pr = pad_after(g.iw, g.sw, g.kw, g.ow, g.pl);
  return true;
}

struct DeconvBand {
  dnnl::primitive prim;
  std::unordered_map<int, memory> args;
  dnnl::stream stream;
  int64_t in_row = 0, out_row = 0;
};

// Output rows [r0, r1) read input rows [a, b]: those with a tap landing in
// the band. False when no input row reaches the band.
bool band_geometry(const DeconvGeometry& g, int64_t r0, int64_t r1, DeconvGeometry& b, int64_t& in_row) {
  const int64_t lo = r0 + g.pt - g.kh + 1, hi = r1 - 1 + g.pt;  // iy * sh within [lo, hi]
  const int64_t a = std::max<int64_t>(0, lo <= 0 ? 0 : (lo + g.sh - 1) / g.sh);
  const int64_t last = std::min<int64_t>(g.ih - 1, hi < 0 ? -1 : hi / g.sh);
  if (last < a) return false;
  b = g;
  b.batch = 1;
  b.ih = last - a + 1;
  b.oh = r1 - r0;
  b.pt = g.pt + r0 - a * g.sh;
  b.pb = pad_after(b.ih, g.sh, g.kh, b.oh, b.pt);
  in_row = a;
  return true;
}

// The bands (n of them, n = 1 for the whole op) or false when oneDNN refuses.
bool make_bands(const DeconvGeometry& g, int64_t n, const float* weights, const float* bias, kernels::Activation act,
                std::vector<DeconvBand>& bands) {
  dnnl::primitive_attr attr;
  if (!add_activation(act, attr)) return false;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  const memory::dims wdims{g.oc, g.ic, g.kh, g.kw};
  const memory::desc user_w(wdims, dt::f32, tag::ohwi), wei_any(wdims, dt::f32, tag::any);
  const memory::desc bias_md = bias ? memory::desc({g.oc}, dt::f32, tag::x) : memory::desc();
  const memory bias_mem = bias ? bias_memory(bias, g.oc) : memory();
  std::vector<memory> packed;
  bands.clear();
  try {
    for (int64_t k = 0; k < n; ++k) {
      DeconvBand band;
      DeconvGeometry b = g;
      band.out_row = g.oh * k / n;
      if (n > 1 && !band_geometry(g, band.out_row, g.oh * (k + 1) / n, b, band.in_row)) return false;
      const memory::desc src_md({b.batch, b.ic, b.ih, b.iw}, dt::f32, tag::nhwc);
      const memory::desc dst_md({b.batch, b.oc, b.oh, b.ow}, dt::f32, tag::nhwc);
      const memory::dims strides{b.sh, b.sw}, pad_l{b.pt, b.pl}, pad_r{b.pb, b.pr};
      const auto prop = dnnl::prop_kind::forward_inference;
      const auto alg = dnnl::algorithm::deconvolution_direct;
      auto desc = bias ? dnnl::deconvolution_forward::desc(prop, alg, src_md, wei_any, bias_md, dst_md, strides,
                                                           pad_l, pad_r)
                       : dnnl::deconvolution_forward::desc(prop, alg, src_md, wei_any, dst_md, strides, pad_l, pad_r);
      dnnl::deconvolution_forward::primitive_desc pd(desc, attr, engine());
      const memory w = shared_pack(packed, user_w, weights, pd.weights_desc());
      band.args[DNNL_ARG_SRC] = memory(src_md, engine(), nullptr);
      band.args[DNNL_ARG_DST] = memory(dst_md, engine(), nullptr);
      band.args[DNNL_ARG_WEIGHTS] = w;
      if (bias) band.args[DNNL_ARG_BIAS] = bias_mem;
      band.args[DNNL_ARG_SCRATCHPAD] = memory(pd.scratchpad_desc(), engine());
      band.prim = dnnl::deconvolution_forward(pd);
      band.stream = dnnl::stream(engine());
      bands.push_back(std::move(band));
    }
  } catch (const dnnl::error&) {
    return false;
  }
  return true;
}

// Runs bands on the pool with src and dst bound per band.
Status run_deconv_bands(const ops::OpContext& ctx, const Backend& backend, std::vector<DeconvBand>& bands,
                        const float* in, int64_t row_in, float* out, int64_t row_out) {
  return run_dnnl_tasks(ctx, backend, bands.size(), [&](size_t k) {
    DeconvBand& b = bands[k];
    b.args[DNNL_ARG_SRC].set_data_handle(const_cast<float*>(in + b.in_row * row_in));
    b.args[DNNL_ARG_DST].set_data_handle(out + b.out_row * row_out);
    b.prim.execute(b.stream, b.args);
    b.stream.wait();
  });
}

class DnnlDeconv final : public FastKernel {
 public:
  DnnlDeconv(std::vector<DeconvBand> bands, const DeconvGeometry& g, Backend& backend)
      : bands_(std::move(bands)), row_in_(g.iw * g.ic), row_out_(g.ow * g.oc), backend_(backend) {}

  Status run(ops::OpContext& ctx) override {
    return run_deconv_bands(ctx, backend_, bands_, ctx.input<float>(2), row_in_, ctx.output<float>(0), row_out_);
  }
  const char* library() const override { return "onednn"; }

 private:
  std::vector<DeconvBand> bands_;
  int64_t row_in_, row_out_;  // elements per input / output row
  const Backend& backend_;
};

class Int8DeconvViaF32 final : public FastKernel {
 public:
  Int8DeconvViaF32(std::vector<DeconvBand> bands, const DeconvGeometry& g, Backend& backend, std::vector<float> scales,
                   int32_t in_zp, int32_t out_zp, float lo, float hi)
      : bands_(std::move(bands)), g_(g), backend_(backend), scales_(std::move(scales)), in_zp_(in_zp),
        out_zp_(out_zp), lo_(lo), hi_(hi) {}

  Status run(ops::OpContext& ctx) override {
    const int64_t in_n = g_.batch * g_.ih * g_.iw * g_.ic, out_n = g_.batch * g_.oh * g_.ow * g_.oc;
    float* src = backend_.scratch(0, static_cast<size_t>(in_n));
    float* acc = backend_.scratch(1, static_cast<size_t>(out_n));
    const int8_t* in = ctx.input<int8_t>(2);
    for (int64_t i = 0; i < in_n; ++i) src[i] = static_cast<float>(int32_t{in[i]} - in_zp_);
    TFC_RETURN_IF_ERROR(run_deconv_bands(ctx, backend_, bands_, src, g_.iw * g_.ic, acc, g_.ow * g_.oc));
    int8_t* out = ctx.output<int8_t>(0);
    for (int64_t i = 0; i < out_n; i += g_.oc)
      for (int64_t c = 0; c < g_.oc; ++c) {
        const float v = std::min(std::max(acc[i + c] * scales_[static_cast<size_t>(c)], lo_), hi_);
        out[i + c] = static_cast<int8_t>(static_cast<int32_t>(kernels::round_half_even(v)) + out_zp_);
      }
    return Status::ok();
  }
  const char* library() const override { return "onednn"; }

 private:
  std::vector<DeconvBand> bands_;
  DeconvGeometry g_;
  Backend& backend_;
  std::vector<float> scales_;
  int32_t in_zp_, out_zp_;
  float lo_, hi_;
};

// Whether every output's sum stays exact in float (below 2^24): an output
// reads the taps of one stride phase (ky = ry mod sh, kx = rx mod sw), so its
// |sum| is at most |bias| + max|q - zp| * sum of |w| over that phase.
bool sums_exact(const int8_t* w, const int32_t* bias, const DeconvGeometry& g, int64_t max_in) {
  for (int64_t c = 0; c < g.oc; ++c)
    for (int64_t ry = 0; ry < std::min(g.sh, g.kh); ++ry)
      for (int64_t rx = 0; rx < std::min(g.sw, g.kw); ++rx) {
        int64_t bound = bias ? std::abs(int64_t{bias[c]}) : 0;
        for (int64_t ky = ry; ky < g.kh; ky += g.sh)
          for (int64_t kx = rx; kx < g.kw; kx += g.sw) {
            const int8_t* tap = w + ((c * g.kh + ky) * g.kw + kx) * g.ic;
            for (int64_t i = 0; i < g.ic; ++i) bound += max_in * std::abs(int32_t{tap[i]});
          }
        if (bound >= (int64_t{1} << 24)) return false;
      }
  return true;
}

Expected<std::unique_ptr<FastKernel>> prepare_int8(const ops::OpContext& ctx, const kernels::TransposeConvParams& p,
                                                  const DeconvGeometry& g, Backend& backend) {
  if (ctx.arithmetic() != kernels::Requantization::kFloat || ctx.output_dtype(0) != DType::kInt8 ||
      ctx.input_dtype(1) != DType::kInt8)
    return std::unique_ptr<FastKernel>();
  const bool has_bias = ctx.has_input(3);
  if (has_bias && (ctx.input_dtype(3) != DType::kInt32 || ctx.input_data(3) == nullptr))
    return std::unique_ptr<FastKernel>();
  float in_scale = 0, out_scale = 0;
  int32_t in_zp = 0, out_zp = 0;
  if (!per_tensor_int8(ctx.input_tensor(2), in_scale, in_zp) || !per_tensor_int8(ctx.output_tensor(0), out_scale, out_zp))
    return std::unique_ptr<FastKernel>();
  const ir::Tensor& wt = ctx.input_tensor(1);
  if (!wt.is_quantized()) return std::unique_ptr<FastKernel>();
  for (int64_t zp : wt.quantization->zero_point)
    if (zp != 0) return std::unique_ptr<FastKernel>();
  const auto& ws = wt.quantization->scale;
  if (ws.size() != 1 && static_cast<int64_t>(ws.size()) != g.oc) return std::unique_ptr<FastKernel>();
  const int8_t* w = ctx.input<int8_t>(1);
  const int32_t* bias = has_bias ? ctx.input<int32_t>(3) : nullptr;
  if (!sums_exact(w, bias, g, std::max(127 - in_zp, in_zp + 128))) return std::unique_ptr<FastKernel>();
  std::vector<float> scales(static_cast<size_t>(g.oc));
  for (int64_t c = 0; c < g.oc; ++c)
    scales[static_cast<size_t>(c)] =
        kernels::float_requant_scale(in_scale, ws.size() == 1 ? ws[0] : ws[static_cast<size_t>(c)], out_scale);
  const kernels::IntRange range = kernels::activation_range_float<int8_t>(p.activation, out_scale, out_zp);
  const std::vector<float> wf(w, w + g.oc * g.kh * g.kw * g.ic);
  std::vector<float> bf;
  if (bias) bf.assign(bias, bias + g.oc);
  std::vector<DeconvBand> bands;
  const float* bias_f = bias ? bf.data() : nullptr;
  const int64_t wanted = g.batch == 1 ? std::min<int64_t>(backend.count(), g.oh) : 1;
  if ((wanted <= 1 || !make_bands(g, wanted, wf.data(), bias_f, kernels::Activation::kNone, bands)) &&
      !make_bands(g, 1, wf.data(), bias_f, kernels::Activation::kNone, bands))
    return std::unique_ptr<FastKernel>();
  return std::unique_ptr<FastKernel>(new Int8DeconvViaF32(std::move(bands), g, backend, std::move(scales), in_zp,
                                                          out_zp, static_cast<float>(range.min - out_zp),
                                                          static_cast<float>(range.max - out_zp)));
}

class HybridDeconv final : public FastKernel {
 public:
  HybridDeconv(std::vector<DeconvBand> bands, const DeconvGeometry& g, Backend& backend, std::vector<float> scales,
               const float* bias, kernels::Activation act)
      : bands_(std::move(bands)), g_(g), backend_(backend), scales_(std::move(scales)),
        bias_(bias ? std::vector<float>(bias, bias + g.oc) : std::vector<float>(static_cast<size_t>(g.oc), 0.0f)),
        clamp_(act) {}

  Status run(ops::OpContext& ctx) override {
    const int64_t in_size = g_.ih * g_.iw * g_.ic, out_size = g_.oh * g_.ow * g_.oc;
    float* src = backend_.scratch(0, static_cast<size_t>(g_.batch * in_size));
    float* acc = backend_.scratch(1, static_cast<size_t>(g_.batch * out_size));
    q_.resize(static_cast<size_t>(in_size));
    const float* in = ctx.input<float>(2);
    std::vector<kernels::RowQuant> rows(static_cast<size_t>(g_.batch));
    for (int64_t b = 0; b < g_.batch; ++b) {
      rows[static_cast<size_t>(b)] = kernels::quantize_row_asymmetric(in + b * in_size, in_size, q_.data());
      const int32_t zp = rows[static_cast<size_t>(b)].zero_point;
      for (int64_t i = 0; i < in_size; ++i) src[b * in_size + i] = static_cast<float>(int32_t{q_[i]} - zp);
    }
    TFC_RETURN_IF_ERROR(run_deconv_bands(ctx, backend_, bands_, src, g_.iw * g_.ic, acc, g_.ow * g_.oc));
    float* out = ctx.output<float>(0);
    for (int64_t b = 0; b < g_.batch; ++b) {
      const float row_scale = rows[static_cast<size_t>(b)].scale;
      for (int64_t i = b * out_size; i < (b + 1) * out_size; i += g_.oc)
        for (int64_t c = 0; c < g_.oc; ++c) {
          const float v = acc[i + c] * scales_[static_cast<size_t>(c)] * row_scale + bias_[static_cast<size_t>(c)];
          out[i + c] = std::min(std::max(v, clamp_.lo), clamp_.hi);
        }
    }
    return Status::ok();
  }
  const char* library() const override { return "onednn"; }

 private:
  std::vector<DeconvBand> bands_;
  DeconvGeometry g_;
  Backend& backend_;
  std::vector<float> scales_, bias_;
  kernels::FloatClamp clamp_;
  std::vector<int8_t> q_;
};

Expected<std::unique_ptr<FastKernel>> prepare_hybrid(const ops::OpContext& ctx, const kernels::TransposeConvParams& p,
                                                    const DeconvGeometry& g, Backend& backend) {
  const bool clamp = kernels::FloatClamp::is_clamp(p.activation) || p.activation == kernels::Activation::kNone;
  if (ctx.output_dtype(0) != DType::kFloat32 || !clamp)
    return std::unique_ptr<FastKernel>();
  const bool has_bias = ctx.has_input(3);
  if (has_bias && (ctx.input_dtype(3) != DType::kFloat32 || ctx.input_data(3) == nullptr))
    return std::unique_ptr<FastKernel>();
  const ir::Tensor& wt = ctx.input_tensor(1);
  if (!wt.is_quantized()) return std::unique_ptr<FastKernel>();
  const auto& ws = wt.quantization->scale;
  if (ws.size() != 1 && static_cast<int64_t>(ws.size()) != g.oc) return std::unique_ptr<FastKernel>();
  const int8_t* w = ctx.input<int8_t>(1);
  if (!sums_exact(w, nullptr, g, 255)) return std::unique_ptr<FastKernel>();
  std::vector<float> scales(static_cast<size_t>(g.oc));
  for (int64_t c = 0; c < g.oc; ++c) scales[static_cast<size_t>(c)] = ws.size() == 1 ? ws[0] : ws[static_cast<size_t>(c)];
  const std::vector<float> wf(w, w + g.oc * g.kh * g.kw * g.ic);
  std::vector<DeconvBand> bands;
  const int64_t wanted = g.batch == 1 ? std::min<int64_t>(backend.count(), g.oh) : 1;
  if ((wanted <= 1 || !make_bands(g, wanted, wf.data(), nullptr, kernels::Activation::kNone, bands)) &&
      !make_bands(g, 1, wf.data(), nullptr, kernels::Activation::kNone, bands))
    return std::unique_ptr<FastKernel>();
  return std::unique_ptr<FastKernel>(new HybridDeconv(std::move(bands), g, backend, std::move(scales),
                                                      has_bias ? ctx.input<float>(3) : nullptr, p.activation));
}

}  // namespace

Expected<std::unique_ptr<FastKernel>> prepare_dnnl_transpose_conv(const ops::OpContext& ctx, Backend& backend) {
  if (ctx.num_inputs() < 3 || ctx.input_data(1) == nullptr) return std::unique_ptr<FastKernel>();
  const kernels::TransposeConvParams p = ops::transpose_conv_params(ctx);
  DeconvGeometry g;
  if (!deconv_geometry(ctx, p, g)) return std::unique_ptr<FastKernel>();
  if (ctx.input_dtype(2) == DType::kInt8) return prepare_int8(ctx, p, g, backend);
  if (ctx.input_dtype(2) == DType::kFloat32 && ctx.input_dtype(1) == DType::kInt8)
    return prepare_hybrid(ctx, p, g, backend);
  if (ctx.input_dtype(1) != DType::kFloat32 || ctx.input_dtype(2) != DType::kFloat32 ||
      ctx.output_dtype(0) != DType::kFloat32)
    return std::unique_ptr<FastKernel>();
  const bool has_bias = ctx.has_input(3);
  if (has_bias && (ctx.input_dtype(3) != DType::kFloat32 || ctx.input_data(3) == nullptr))
    return std::unique_ptr<FastKernel>();
  const float* bias = has_bias ? ctx.input<float>(3) : nullptr;
  std::vector<DeconvBand> bands;
  const int64_t wanted = g.batch == 1 ? std::min<int64_t>(backend.count(), g.oh) : 1;
  if ((wanted <= 1 || !make_bands(g, wanted, ctx.input<float>(1), bias, p.activation, bands)) &&
      !make_bands(g, 1, ctx.input<float>(1), bias, p.activation, bands))
    return std::unique_ptr<FastKernel>();
  return std::unique_ptr<FastKernel>(new DnnlDeconv(std::move(bands), g, backend));
}

}  // namespace tfc::runtime::fast
