// float32 fast kernels on oneDNN: CONV_2D (grouped too), DEPTHWISE_CONV_2D,
// FULLY_CONNECTED, the broadcasting binary ops (ADD, SUB, MUL, DIV, MAXIMUM, MINIMUM, SQUARED_DIFFERENCE),
// MAX_POOL_2D and AVERAGE_POOL_2D, the eltwise LOGISTIC, TANH, ELU, EXP, LOG and GELU,
// NHWC activations as the graph holds them, weights
// reordered once into the layout oneDNN picks for the primitive (tag::any),
// fused activations as eltwise post-ops. Every primitive runs on one thread;
// convolutions are split into bands over the backend's pool (below).
#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <limits>
#include <cstring>
#include <unordered_map>

#include <oneapi/dnnl/dnnl.hpp>

#include "kernels/common.h"
#include "kernels/quant_util.h"
#include "runtime/fast/dnnl_tasks.h"
#include "runtime/fast/dnnl_util.h"
#include "runtime/fast/fast_kernel.h"
#include "runtime/fast/simd.h"

namespace tfc::runtime::fast {

using dnnl::memory;
using dt = memory::data_type;
using tag = memory::format_tag;
using kernels::Activation;

dnnl::engine& engine() {
  static dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  return eng;
}

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

memory pack_weights(const memory::desc& user_md, const void* data, const memory::desc& want) {
  dnnl::stream strm(engine());
  memory user(user_md, engine(), const_cast<void*>(data));
  memory packed(want, engine());
  dnnl::reorder(user, packed).execute(strm, user, packed);
  strm.wait();
  return packed;
}

memory shared_pack(std::vector<memory>& packed, const memory::desc& user_md, const void* data,
                   const memory::desc& want) {
  for (const auto& m : packed)
    if (m.get_desc() == want) return m;
  packed.push_back(pack_weights(user_md, data, want));
  return packed.back();
}

// Its own copy, so the kernel does not depend on the model's buffer alignment.
memory bias_memory(const float* bias, int64_t channels) {
  memory m(memory::desc({channels}, dt::f32, tag::x), engine());
  std::memcpy(m.get_data_handle(), bias, static_cast<size_t>(channels) * sizeof(float));
  return m;
}

namespace {

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

bool all_constant(const ops::OpContext& ctx, std::initializer_list<int> indices) {
  for (int i : indices)
    if (ctx.has_input(i) && ctx.input_data(i) == nullptr) return false;
  return true;
}

// ---- Convolutions in row bands ---------------------------------------------------
// A convolution runs as up to `threads` bands of output rows, each a oneDNN
// primitive of its own executed on one thread, the bands spread over the
// backend's pthreadpool (whose calling thread takes over the tasks of a
// worker that is not running). oneDNN's own OpenMP threading stays at one
// thread: an OpenMP team needs every member at each barrier, which on a
// loaded machine costs a scheduler slice per primitive, and its idle workers
// spin on the cores XNNPACK's pool needs. The bands share one packed copy of
// the weights when oneDNN picks the same layout for all of them (it does for
// every geometry seen so far; otherwise each band packs its own).
struct ConvBand {
  dnnl::primitive prim;
  std::unordered_map<int, memory> args;
  dnnl::stream stream;                // the band's own: bands run concurrently
  int64_t in_row = 0, in_rows = 0;    // input rows read
  int64_t out_row = 0, out_rows = 0;  // output rows written
  int64_t out_channel = 0;            // first output channel written (channel bands)
};

// Band geometry for output rows [r0, r1) of g (batch 1 when there are
// several bands): the input rows the window reaches, with the padding that
// falls outside the input moved to the band's own top/bottom padding.
ConvGeometry band_geometry(const ConvGeometry& g, int64_t r0, int64_t r1, int64_t& in_row) {
  ConvGeometry b = g;
  const int64_t start = r0 * g.sh - g.pt;
  const int64_t end = (r1 - 1) * g.sh - g.pt + (g.kh - 1) * g.dh + 1;
  const int64_t lo = std::max<int64_t>(start, 0), hi = std::min<int64_t>(end, g.ih);
  b.pt = lo - start;
  b.pb = end - hi;
  b.ih = hi - lo;
  b.oh = r1 - r0;
  in_row = lo;
  return b;
}

// Channel bands: a convolution of one output pixel (the 1x1 convolutions
// after a global pool that end MobileNetV3 and the like) has one row to
// band, so when its weights are large enough to be worth a second thread
// (256 KiB) it runs as up to `wanted` bands of output channels instead, in
// multiples of 16, each reading the whole input and its own slice of the
// weights (OHWI: contiguous) and bias.
bool make_channel_bands(const ConvGeometry& g, int64_t wanted, const float* weights, const float* bias,
                        Activation act, std::vector<ConvBand>& bands);
bool channel_bands_fit(const ConvGeometry& g, int64_t wanted) {
  return wanted > 1 && g.batch == 1 && g.oh == 1 && g.ow == 1 && g.groups == 1 && !g.depthwise &&
         g.out_channels() >= 32 && g.out_channels() * g.in_channels() * g.kh * g.kw >= (int64_t{1} << 16);
}

// Builds the bands of a convolution for geometry g with float weights in
// TFLite's layout (conv OHWI, grouped too; depthwise (1, KH, KW, C*M)), an
// optional float bias and a fused activation; src and dst NHWC, bound at
// run; channel bands (out_channel) only where `channels` allows them.
// False when oneDNN refuses the geometry (the reference then runs).
bool make_conv_bands(const ConvGeometry& g, int64_t wanted, const float* weights, const float* bias, Activation act,
                     std::vector<ConvBand>& bands, bool channels = false) {
  if (channels && channel_bands_fit(g, wanted)) return make_channel_bands(g, wanted, weights, bias, act, bands);
  const int64_t ic = g.in_channels(), oc = g.out_channels();
  memory::dims wdims;
  memory::desc user_w;
  if (g.depthwise) {
    // element (kh, kw, g*M + m) at ((kh * KW) + kw) * C*M + g*M + m: oneDNN (G, M, 1, KH, KW).
    wdims = {g.groups, g.group_out, 1, g.kh, g.kw};
    user_w = memory::desc(wdims, dt::f32, memory::dims{g.group_out, 1, 1, g.kw * oc, oc});
  } else if (g.groups == 1) {
    wdims = {oc, ic, g.kh, g.kw};
    user_w = memory::desc(wdims, dt::f32, tag::ohwi);
  } else {
    wdims = {g.groups, g.group_out, g.group_in, g.kh, g.kw};
    user_w = memory::desc(wdims, dt::f32, tag::gohwi);
  }
  dnnl::primitive_attr attr;
  if (!add_activation(act, attr)) return false;
  // Each band owns its scratchpad: bands execute concurrently.
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  const memory::desc wei_any(wdims, dt::f32, tag::any);
  const memory::desc bias_md = bias ? memory::desc({oc}, dt::f32, tag::x) : memory::desc();
  const memory bias_mem = bias ? bias_memory(bias, oc) : memory();
  // Bands only for batch 1 and only as many as there are output rows.
  const int64_t n = g.batch == 1 ? std::clamp<int64_t>(wanted, 1, g.oh) : 1;
  bands.clear();
  std::vector<memory> packed;  // distinct packed weights
  try {
    for (int64_t k = 0; k < n; ++k) {
      ConvBand band;
      band.out_row = g.oh * k / n;
      band.out_rows = g.oh * (k + 1) / n - band.out_row;
      const ConvGeometry b = n == 1 ? g : band_geometry(g, band.out_row, band.out_row + band.out_rows, band.in_row);
      band.in_rows = b.ih;
      const memory::desc src_md({b.batch, ic, b.ih, b.iw}, dt::f32, tag::nhwc);
      const memory::desc dst_md({b.batch, oc, b.oh, b.ow}, dt::f32, tag::nhwc);
      const memory::dims strides{b.sh, b.sw}, dil{b.dh - 1, b.dw - 1}, pad_l{b.pt, b.pl}, pad_r{b.pb, b.pr};
      auto desc = bias ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference,
                                                         dnnl::algorithm::convolution_direct, src_md, wei_any,
                                                         bias_md, dst_md, strides, dil, pad_l, pad_r)
                       : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference,
                                                         dnnl::algorithm::convolution_direct, src_md, wei_any,
                                                         dst_md, strides, dil, pad_l, pad_r);
      dnnl::convolution_forward::primitive_desc pd(desc, attr, engine());
      const memory w = shared_pack(packed, user_w, weights, pd.weights_desc());
      band.args[DNNL_ARG_SRC] = memory(src_md, engine(), nullptr);
      band.args[DNNL_ARG_DST] = memory(dst_md, engine(), nullptr);
      band.args[DNNL_ARG_WEIGHTS] = w;
      if (bias) band.args[DNNL_ARG_BIAS] = bias_mem;
      band.args[DNNL_ARG_SCRATCHPAD] = memory(pd.scratchpad_desc(), engine());
      band.prim = dnnl::convolution_forward(pd);
      band.stream = dnnl::stream(engine());
      bands.push_back(std::move(band));
    }
  } catch (const dnnl::error&) {
    return false;
  }
  return true;
}

bool make_channel_bands(const ConvGeometry& g, int64_t wanted, const float* weights, const float* bias,
                        Activation act, std::vector<ConvBand>& bands) {
  const int64_t blocks = (g.out_channels() + 15) / 16, n = std::min(wanted, blocks);
  const int64_t taps = g.kh * g.kw * g.in_channels();
  std::vector<ConvBand> parts;
  for (int64_t k = 0; k < n; ++k) {
    const int64_t c0 = blocks * k / n * 16, c1 = std::min(blocks * (k + 1) / n * 16, g.out_channels());
    ConvGeometry b = g;
    b.group_out = c1 - c0;
    std::vector<ConvBand> one;
    if (!make_conv_bands(b, 1, weights + c0 * taps, bias ? bias + c0 : nullptr, act, one)) return false;
    one[0].out_channel = c0;
    parts.push_back(std::move(one[0]));
  }
  bands = std::move(parts);
  return true;
}

// float32 CONV_2D / DEPTHWISE_CONV_2D.
class DnnlConv final : public FastKernel {
 public:
  DnnlConv(std::vector<ConvBand> bands, const ConvGeometry& g, Backend& backend)
      : bands_(std::move(bands)), row_in_(g.iw * g.in_channels()), row_out_(g.ow * g.out_channels()),
        backend_(backend) {}

  Status run(ops::OpContext& ctx) override {
    const float* in = ctx.input<float>(0);
    float* out = ctx.output<float>(0);
    return run_dnnl_tasks(ctx, backend_, bands_.size(), [&](size_t k) {
      ConvBand& b = bands_[k];
      b.args[DNNL_ARG_SRC].set_data_handle(const_cast<float*>(in + b.in_row * row_in_));
      b.args[DNNL_ARG_DST].set_data_handle(out + b.out_row * row_out_ + b.out_channel);
      b.prim.execute(b.stream, b.args);
      b.stream.wait();
    });
  }
  const char* library() const override { return "onednn"; }
  // The weights are packed and the bias copied (make_conv_bands).
  bool copied_input(int k) const override { return k == 1 || k == 2; }

 private:
  std::vector<ConvBand> bands_;
  int64_t row_in_, row_out_;  // elements per input / output row
  const Backend& backend_;
};

// A convolution of one or two input channels with a stride along W (a 1-D
// waveform's first layer, a grayscale stem) as the same convolution over the
// input seen as [N, H, W / sw, C * sw] — the same bytes — with stride 1 along
// W: each group of sw input columns becomes one column of sw * C channels.
// oneDNN's kernels take the product over the channels, so one or two
// channels leave them nearly idle (the audio net's 80-tap, stride-4 first
// layer: 0.72 -> 0.11 ms at one thread). Output column x reads input columns
// sw * x - pl + kx, which are sw * (x - P + t) + phase with P = ceil(pl / sw),
// e = P * sw - pl and e + kx = t * sw + phase; taps past the filter hold 0.
// Same sums in another order (float rounding only). False when the shapes do
// not allow it (W not a multiple of sw, dilation along W, padding after
// that would have to be negative).
bool stride_to_channels(ConvGeometry& g, std::vector<float>& weights) {
  const int64_t ic = g.in_channels();
  if (g.depthwise || g.groups != 1 || ic > 2 || g.sw < 2 || g.dw != 1 || g.kw < 2 * g.sw || g.iw % g.sw != 0)
    return false;
  const int64_t sw = g.sw, p = (g.pl + sw - 1) / sw, e = p * sw - g.pl;
  const int64_t kw2 = (e + g.kw + sw - 1) / sw, iw2 = g.iw / sw, ic2 = ic * sw;
  const int64_t pr2 = g.ow - 1 + kw2 - iw2 - p;
  if (pr2 < 0) return false;
  const int64_t oc = g.out_channels();
  std::vector<float> w2(static_cast<size_t>(oc * g.kh * kw2 * ic2), 0.0f);
  for (int64_t o = 0; o < oc; ++o)
    for (int64_t ky = 0; ky < g.kh; ++ky)
      for (int64_t kx = 0; kx < g.kw; ++kx)
        for (int64_t c = 0; c < ic; ++c) {
          const int64_t t = (e + kx) / sw, phase = (e + kx) % sw;
          w2[static_cast<size_t>(((o * g.kh + ky) * kw2 + t) * ic2 + phase * ic + c)] =
              weights[static_cast<size_t>(((o * g.kh + ky) * g.kw + kx) * ic + c)];
        }
  weights = std::move(w2);
  g.iw = iw2, g.kw = kw2, g.sw = 1, g.pl = p, g.pr = pr2, g.group_in = ic2;
  return true;
}

Expected<std::unique_ptr<FastKernel>> prepare_conv(const ops::OpContext& ctx, bool depthwise, Backend& backend) {
  if (ctx.num_inputs() < 2 || ctx.input_dtype(1) != DType::kFloat32 || ctx.output_dtype(0) != DType::kFloat32)
    return std::unique_ptr<FastKernel>();
  if (ctx.has_input(2) && ctx.input_dtype(2) != DType::kFloat32) return std::unique_ptr<FastKernel>();
  if (!all_constant(ctx, {1, 2})) return std::unique_ptr<FastKernel>();
  ConvGeometry g;
  if (!conv_geometry(ctx, depthwise, g)) return std::unique_ptr<FastKernel>();
  const float* weights = ctx.input<float>(1);
  std::vector<float> rewritten;
  if (!depthwise && g.in_channels() <= 2) {
    rewritten.assign(weights, weights + ir::num_elements(ctx.input_shape(1)));
    if (stride_to_channels(g, rewritten)) weights = rewritten.data();
  }
  std::vector<ConvBand> bands;
  if (!make_conv_bands(g, backend.count(), weights, ctx.has_input(2) ? ctx.input<float>(2) : nullptr, g.activation,
                       bands, true))
    return std::unique_ptr<FastKernel>();
  return std::unique_ptr<FastKernel>(new DnnlConv(std::move(bands), g, backend));
}

// ---- int8 convolution in exact float arithmetic -------------------------------
// On a CPU without VNNI, oneDNN's float32 convolution runs 1.5-3x faster than
// the int8 convolutions available here (docs/RUNTIME.md), and it can compute
// an int8 convolution exactly: the input enters as (q - zero_point) and the
// weights as their integer values, all exact in float32; every product
// (|q - zp| <= 255, |w| <= 127) is below 2^15 and every partial sum is an
// integer, exact while it stays below 2^24 — always for fewer than 518 taps
// per output (255 * 127 * 518 > 2^24), and in practice far beyond, since
// real activations and weights are nowhere near all extreme and of one sign.
// The int32 bias enters as a float (exact below 2^24; larger ones are left to
// XNNPACK). The accumulator is then rescaled exactly as XNNPACK's qc8 kernels
// do (kernels/quant_util.h requantize_float), so the output equals XNNPACK's
// bit for bit whenever the sums are exact, and is within one step otherwise.
// (q - zero_point) as float for n int8 values.
void int8_to_float(const int8_t* in, int64_t n, float zero_point, float* out) {
  int64_t i = 0;
#if defined(__SSE2__)
  const __m128 zp = _mm_set1_ps(zero_point);
  for (; i + 16 <= n; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i));
    // Sign-extend by placing each byte in the high half, then shifting down.
    const __m128i lo16 = _mm_srai_epi16(_mm_unpacklo_epi8(v, v), 8);
    const __m128i hi16 = _mm_srai_epi16(_mm_unpackhi_epi8(v, v), 8);
    const __m128i w0 = _mm_srai_epi32(_mm_unpacklo_epi16(lo16, lo16), 16);
    const __m128i w1 = _mm_srai_epi32(_mm_unpackhi_epi16(lo16, lo16), 16);
    const __m128i w2 = _mm_srai_epi32(_mm_unpacklo_epi16(hi16, hi16), 16);
    const __m128i w3 = _mm_srai_epi32(_mm_unpackhi_epi16(hi16, hi16), 16);
    _mm_storeu_ps(out + i, _mm_sub_ps(_mm_cvtepi32_ps(w0), zp));
    _mm_storeu_ps(out + i + 4, _mm_sub_ps(_mm_cvtepi32_ps(w1), zp));
    _mm_storeu_ps(out + i + 8, _mm_sub_ps(_mm_cvtepi32_ps(w2), zp));
    _mm_storeu_ps(out + i + 12, _mm_sub_ps(_mm_cvtepi32_ps(w3), zp));
  }
#endif
  for (; i < n; ++i) out[i] = static_cast<float>(in[i]) - zero_point;
}

// One output pixel: out[c] = zp + rne(clamp(acc[c] * scale[c], lo, hi)),
// requantize_float's arithmetic (lo, hi already shifted by -zp; the default
// rounding mode is round half to even).
void requantize_row(const float* acc, const float* scale, int64_t n, float lo, float hi, int32_t zero_point,
                    int8_t* out) {
  int64_t c = 0;
#if defined(__SSE2__)
  const __m128 vlo = _mm_set1_ps(lo), vhi = _mm_set1_ps(hi);
  const __m128i zp = _mm_set1_epi16(static_cast<int16_t>(zero_point));
  auto rq = [&](int64_t k) {
    __m128 v = _mm_mul_ps(_mm_loadu_ps(acc + k), _mm_loadu_ps(scale + k));
    v = _mm_min_ps(_mm_max_ps(v, vlo), vhi);
    return _mm_cvtps_epi32(v);
  };
  for (; c + 16 <= n; c += 16) store_int8x16(out + c, rq(c), rq(c + 4), rq(c + 8), rq(c + 12), zp);
#endif
  for (; c < n; ++c) {
    float v = acc[c] * scale[c];
    v = std::min(std::max(v, lo), hi);
    out[c] = static_cast<int8_t>(static_cast<int32_t>(std::nearbyint(v)) + zero_point);
  }
}

class Int8ConvViaF32 final : public FastKernel {
 public:
  Int8ConvViaF32(std::vector<ConvBand> bands, Backend& backend, Int8ConvParams p)
      : bands_(std::move(bands)), backend_(backend), row_in_(p.g.iw * p.g.in_channels()), ow_(p.g.ow),
        scales_(std::move(p.scales)), in_zp_(static_cast<float>(p.in_zp)), out_zp_(p.out_zp), lo_(p.lo), hi_(p.hi),
        batch_(p.g.batch) {
    // Each band's float input and accumulator in one scratch buffer each.
    for (const auto& b : bands_) {
      src_offset_.push_back(src_total_);
      acc_offset_.push_back(acc_total_);
      src_total_ += (b.in_rows * row_in_ + 15) / 16 * 16;
      acc_total_ += (b.out_rows * ow_ * channels() + 15) / 16 * 16;
    }
  }

  Status run(ops::OpContext& ctx) override {
    const auto* in = ctx.input<int8_t>(0);
    auto* out = ctx.output<int8_t>(0);
    float* src = backend_.scratch(0, static_cast<size_t>(src_total_ * batch_));
    float* acc = backend_.scratch(1, static_cast<size_t>(acc_total_ * batch_));
    const int64_t c = channels();
    return run_dnnl_tasks(ctx, backend_, bands_.size(), [&](size_t k) {
      ConvBand& b = bands_[k];
      // One band covers the whole batch when there are several images.
      const int64_t images = bands_.size() == 1 ? batch_ : 1;
      float* s = src + src_offset_[k];
      float* a = acc + acc_offset_[k];
      int8_to_float(in + b.in_row * row_in_, images * b.in_rows * row_in_, in_zp_, s);
      b.args[DNNL_ARG_SRC].set_data_handle(s);
      b.args[DNNL_ARG_DST].set_data_handle(a);
      b.prim.execute(b.stream, b.args);
      b.stream.wait();
      int8_t* o = out + b.out_row * ow_ * c;
      const int64_t pixels = images * b.out_rows * ow_;
      for (int64_t p = 0; p < pixels; ++p)
        requantize_row(a + p * c, scales_.data(), c, lo_, hi_, out_zp_, o + p * c);
    });
  }
  const char* library() const override { return "onednn-int8-as-f32"; }

 private:
  int64_t channels() const { return static_cast<int64_t>(scales_.size()); }

  std::vector<ConvBand> bands_;
  Backend& backend_;
  int64_t row_in_, ow_;
  std::vector<float> scales_;
  float in_zp_;
  int32_t out_zp_;
  float lo_, hi_;
  std::vector<int64_t> src_offset_, acc_offset_;
  int64_t batch_;
  int64_t src_total_ = 0, acc_total_ = 0;
};


Expected<std::unique_ptr<FastKernel>> prepare_int8_conv(const ops::OpContext& ctx, bool depthwise, Backend& backend) {
  Int8ConvParams p;
  if (!int8_conv_params(ctx, depthwise, p)) return std::unique_ptr<FastKernel>();
  const ConvGeometry& g = p.g;
  const int64_t oc = g.out_channels();
  const int64_t wcount = ir::num_elements(ctx.input_shape(1));
  std::vector<float> w(static_cast<size_t>(wcount));
  const auto* wq = ctx.input<int8_t>(1);
  for (int64_t i = 0; i < wcount; ++i) w[static_cast<size_t>(i)] = static_cast<float>(wq[i]);
  std::vector<float> bias;
  if (ctx.has_input(2)) {
    const auto* bq = ctx.input<int32_t>(2);
    for (int64_t c = 0; c < oc; ++c) {
      if (bq[c] > (1 << 24) || bq[c] < -(1 << 24)) return std::unique_ptr<FastKernel>();
      bias.push_back(static_cast<float>(bq[c]));
    }
  }
  std::vector<ConvBand> bands;
  // One band per thread: smaller bands, sized to keep a band's float input
  // and accumulator in L2, measured slower on MobileNetV2 at 1 and 2 threads.
  if (!make_conv_bands(g, backend.count(), w.data(), bias.empty() ? nullptr : bias.data(),
                       Activation::kNone, bands))
    return std::unique_ptr<FastKernel>();
  return std::unique_ptr<FastKernel>(new Int8ConvViaF32(std::move(bands), backend, std::move(p)));
}

// ---- Hybrid convolutions in exact float arithmetic ------------------------------
// A hybrid DEPTHWISE_CONV_2D or grouped CONV_2D (float32 activations, int8
// weights) sums w * (q - zero_point) in int32 over each window, q being the
// input quantized per image at run time (kernels/hybrid_ref.h). As for the
// int8 convolutions above, oneDNN's float32 convolution computes that sum
// exactly: (q - zp) and w are small integers, every product is below 2^15
// and every partial sum an integer below 2^24 — guaranteed here, since the
// kernel is taken only when taps * 255 * 128 < 2^24 — and a padded tap adds
// 0 in both (the reference skips it). The float accumulator is then the
// reference's float(acc), and the rescale below is the reference's
// expression in its order, so the outputs are the reference's bytes.
class HybridConvViaF32 final : public FastKernel {
 public:
  HybridConvViaF32(std::vector<ConvBand> bands, Backend& backend, const ConvGeometry& g, std::vector<float> scales,
                   std::vector<float> bias)
      : bands_(std::move(bands)), backend_(backend), g_(g), scales_(std::move(scales)), bias_(std::move(bias)),
        clamp_(g.activation), image_quant_(static_cast<size_t>(g.batch)),
        factor_(static_cast<size_t>(g.out_channels())) {}

  Status run(ops::OpContext& ctx) override {
    const float* in = ctx.input<float>(0);
    float* out = ctx.output<float>(0);
    const int64_t image = g_.ih * g_.iw * g_.in_channels(), row_in = g_.iw * g_.in_channels();
    auto* q = reinterpret_cast<int8_t*>(backend_.scratch(0, static_cast<size_t>(g_.batch * image + 3) / 4));
    float* src = backend_.scratch(1, static_cast<size_t>(g_.batch * image));
    // Both reference paths quantize asymmetrically (per-channel conv, depthwise).
    for (int64_t n = 0; n < g_.batch; ++n)
      image_quant_[static_cast<size_t>(n)] =
          quantize_hybrid_input(/*asymmetric=*/true, in + n * image, image, q + n * image);
    // (q - zp) as float, in disjoint slices of each image (bands overlap).
    const int64_t slices = own_task_count(backend_, g_.ih, image * 4);
    backend_.parallel(g_.batch * slices, [&](int64_t k) {
      const int64_t n = k / slices, s = k % slices;
      const int64_t r0 = g_.ih * s / slices, r1 = g_.ih * (s + 1) / slices;
      const int64_t at = n * image + r0 * row_in;
      int8_to_float(q + at, (r1 - r0) * row_in, static_cast<float>(image_quant_[static_cast<size_t>(n)].zero_point),
                    src + at);
    });
    const int64_t row_out = g_.ow * g_.out_channels();
    // One band covers the whole batch when there are several images.
    return run_dnnl_tasks(ctx, backend_, bands_.size(), [&](size_t k) {
      ConvBand& b = bands_[k];
      b.args[DNNL_ARG_SRC].set_data_handle(src + b.in_row * row_in);
      b.args[DNNL_ARG_DST].set_data_handle(out + b.out_row * row_out);
      b.prim.execute(b.stream, b.args);
      b.stream.wait();
      const int64_t images = bands_.size() == 1 ? g_.batch : 1;
      for (int64_t n = 0; n < images; ++n)
        rescale(out + (n * g_.oh + b.out_row) * row_out, b.out_rows * g_.ow, image_quant_[static_cast<size_t>(n)]);
    });
  }
  const char* library() const override { return "onednn-hybrid-as-f32"; }

 private:
  float channel_scale(int64_t c) const { return scales_.size() == 1 ? scales_[0] : scales_[static_cast<size_t>(c)]; }

  // The reference's rescale of `pixels` output pixels in place:
  //   depthwise:  v = acc; v *= channel_scale * image_scale;
  //   conv:       v = acc * channel_scale * image_scale;
  // then v += bias, then the activation's clamp.
  void rescale(float* out, int64_t pixels, const kernels::RowQuant& iq) {
    const int64_t c_out = g_.out_channels();
    if (g_.depthwise)
      for (int64_t c = 0; c < c_out; ++c) factor_[static_cast<size_t>(c)] = channel_scale(c) * iq.scale;
    for (int64_t p = 0; p < pixels; ++p) {
      float* o = out + p * c_out;
      int64_t c = 0;
#if defined(__SSE2__)
      const __m128 lo = _mm_set1_ps(clamp_.lo), hi = _mm_set1_ps(clamp_.hi), image = _mm_set1_ps(iq.scale);
      for (; c + 4 <= c_out; c += 4) {
        __m128 v = _mm_loadu_ps(o + c);
        v = g_.depthwise ? _mm_mul_ps(v, _mm_loadu_ps(factor_.data() + c))
                         : _mm_mul_ps(_mm_mul_ps(v, _mm_loadu_ps(scales_.data() + c)), image);
        if (!bias_.empty()) v = _mm_add_ps(v, _mm_loadu_ps(bias_.data() + c));
        // std::min(std::max(v, lo), hi), NaN kept, as the reference's clamp.
        _mm_storeu_ps(o + c, _mm_min_ps(hi, _mm_max_ps(lo, v)));
      }
#endif
      for (; c < c_out; ++c) {
        float v = g_.depthwise ? o[c] * factor_[static_cast<size_t>(c)] : o[c] * channel_scale(c) * iq.scale;
        if (!bias_.empty()) v += bias_[static_cast<size_t>(c)];
        o[c] = clamp_(v);
      }
    }
  }

  std::vector<ConvBand> bands_;
  Backend& backend_;
  ConvGeometry g_;
  std::vector<float> scales_;  // per output channel (the SSE loop), or one (depthwise only)
  std::vector<float> bias_;    // empty without one
  kernels::FloatClamp clamp_;
  std::vector<kernels::RowQuant> image_quant_;
  std::vector<float> factor_;  // depthwise: channel scale x image scale
};

// A hybrid DEPTHWISE_CONV_2D or grouped CONV_2D the kernel above takes:
// float32 input and output, constant per-tensor or per-channel int8 weights
// with zero point 0, an optional constant float32 bias, a clamp activation
// and few enough taps for exact float sums. (A one-group CONV_2D has its own
// kernel, hybrid_kernels.cc.)
Expected<std::unique_ptr<FastKernel>> prepare_hybrid_conv(const ops::OpContext& ctx, bool depthwise,
                                                          Backend& backend) {
  const auto none = [] { return std::unique_ptr<FastKernel>(); };
  if (!all_constant(ctx, {1, 2})) return none();
  ConvGeometry g;
  std::vector<float> scales, bias;
  if (!hybrid_conv_params(ctx, depthwise, g, scales, bias) || (!depthwise && g.groups == 1)) return none();
  const int64_t taps = g.kh * g.kw * g.group_in;
  if (taps * 255 * 128 >= (int64_t{1} << 24)) return none();
  const int64_t oc = g.out_channels();
  // The conv's vector loop reads one scale per channel.
  if (!depthwise && scales.size() == 1) scales.assign(static_cast<size_t>(oc), scales[0]);
  const int64_t wcount = ir::num_elements(ctx.input_shape(1));
  std::vector<float> w(static_cast<size_t>(wcount));
  const auto* wq = ctx.input<int8_t>(1);
  for (int64_t i = 0; i < wcount; ++i) w[static_cast<size_t>(i)] = static_cast<float>(wq[i]);
  std::vector<ConvBand> bands;
  if (!make_conv_bands(g, backend.count(), w.data(), nullptr, Activation::kNone, bands)) return none();
  return std::unique_ptr<FastKernel>(
      new HybridConvViaF32(std::move(bands), backend, g, std::move(scales), std::move(bias)));
}

// float32 FULLY_CONNECTED in bands of output units, one inner product each
// (its own packed slice of the weights, stream and scratchpad), run like the
// convolution bands. One band at one thread, or when the units are few.
class DnnlFullyConnected final : public FastKernel {
 public:
  struct Band {
    dnnl::primitive prim;
    std::unordered_map<int, memory> args;
    dnnl::stream stream;
    int64_t first_unit = 0;
  };
  DnnlFullyConnected(std::vector<Band> bands, Backend& backend) : bands_(std::move(bands)), backend_(backend) {}

  Status run(ops::OpContext& ctx) override {
    const float* in = ctx.input<float>(0);
    float* out = ctx.output<float>(0);
    return run_dnnl_tasks(ctx, backend_, bands_.size(), [&](size_t k) {
      Band& b = bands_[k];
      b.args[DNNL_ARG_SRC].set_data_handle(const_cast<float*>(in));
      b.args[DNNL_ARG_DST].set_data_handle(out + b.first_unit);
      b.prim.execute(b.stream, b.args);
      b.stream.wait();
    });
  }
  const char* library() const override { return "onednn"; }
  // Each band packed its slice of the weights and copied its bias.
  bool copied_input(int k) const override { return k == 1 || k == 2; }

 private:
  std::vector<Band> bands_;
  const Backend& backend_;
};

Expected<std::unique_ptr<FastKernel>> prepare_fully_connected(const ops::OpContext& ctx, Backend& backend) {
  if (ctx.num_inputs() < 2 || ctx.input_dtype(1) != DType::kFloat32 || ctx.output_dtype(0) != DType::kFloat32)
    return std::unique_ptr<FastKernel>();
  if (ctx.has_input(2) && ctx.input_dtype(2) != DType::kFloat32) return std::unique_ptr<FastKernel>();
  if (!all_constant(ctx, {1, 2})) return std::unique_ptr<FastKernel>();
  FcGeometry g;
  if (!fc_geometry(ctx, g)) return std::unique_ptr<FastKernel>();
  const int64_t rows = g.rows, depth = g.depth, units = g.units;
  dnnl::primitive_attr attr;
  if (!add_activation(g.activation, attr)) return std::unique_ptr<FastKernel>();
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  const memory::desc src_md({rows, depth}, dt::f32, tag::nc);
  const bool has_bias = ctx.has_input(2);
  // Bands of at least 64 units, for one row: oneDNN has only its slow
  // reference kernel for an output with the row stride of a band.
  const int64_t count = rows == 1 ? std::clamp<int64_t>(units / 64, 1, backend.count()) : 1;
  std::vector<DnnlFullyConnected::Band> bands;
  try {
    for (int64_t k = 0; k < count; ++k) {
      DnnlFullyConnected::Band band;
      band.first_unit = units * k / count;
      const int64_t n = units * (k + 1) / count - band.first_unit;
      const memory::desc dst_md({rows, n}, dt::f32, tag::nc);
      const memory::desc wei_any({n, depth}, dt::f32, tag::any);
      const memory::desc bias_md = has_bias ? memory::desc({n}, dt::f32, tag::x) : memory::desc();
      auto desc = has_bias ? dnnl::inner_product_forward::desc(dnnl::prop_kind::forward_inference, src_md,
                                                               wei_any, bias_md, dst_md)
                           : dnnl::inner_product_forward::desc(dnnl::prop_kind::forward_inference, src_md,
                                                               wei_any, dst_md);
      dnnl::inner_product_forward::primitive_desc pd(desc, attr, engine());
      band.args[DNNL_ARG_SRC] = memory(src_md, engine(), nullptr);
      band.args[DNNL_ARG_DST] = memory(dst_md, engine(), nullptr);
      band.args[DNNL_ARG_WEIGHTS] = pack_weights(memory::desc({n, depth}, dt::f32, tag::oi),
                                                 ctx.input<float>(1) + band.first_unit * depth, pd.weights_desc());
      if (has_bias) band.args[DNNL_ARG_BIAS] = bias_memory(ctx.input<float>(2) + band.first_unit, n);
      band.args[DNNL_ARG_SCRATCHPAD] = memory(pd.scratchpad_desc(), engine());
      band.prim = dnnl::inner_product_forward(pd);
      band.stream = dnnl::stream(engine());
      bands.push_back(std::move(band));
    }
  } catch (const dnnl::error&) {
    return std::unique_ptr<FastKernel>();
  }
  return std::unique_ptr<FastKernel>(new DnnlFullyConnected(std::move(bands), backend));
}

// The fused activation of ADD / SUB / MUL / DIV as the reference applies it
// (TFLite's CalculateActivationRange): a clamp; false for TANH and SIGN_BIT
// (the reference then runs: it ignores them, which a post-op cannot say).
// RELU clamps at the largest float as the reference does (+inf too). Unlike
// the reference (and LiteRT), oneDNN's clamps, as its relu and the
// convolutions' post-ops, turn NaN into their lower bound.
bool add_binary_clamp(Activation a, dnnl::primitive_attr& attr) {
  dnnl::post_ops po;
  switch (a) {
    case Activation::kNone: return true;
    case Activation::kRelu:
      po.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, 0.0f, std::numeric_limits<float>::max());
      break;
    case Activation::kRelu6: po.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, 0.0f, 6.0f); break;
    case Activation::kReluN1To1: po.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, -1.0f, 1.0f); break;
    default: return false;
  }
  attr.set_post_ops(po);
  return true;
}

// A float32 binary op on oneDNN: its algorithm, whether a op b == b op a
// (exactly: the inputs may then swap), and a square post-op
// (SQUARED_DIFFERENCE).
struct BinarySpec {
  dnnl::algorithm algorithm;
  bool commutes = true;
  bool square = false;
};

template <typename Options>
Activation fused_activation(const ops::OpContext& ctx) {
  const auto* o = ctx.op().options_as<Options>();
  return o ? static_cast<Activation>(o->fused_activation_function) : Activation::kNone;
}

// The tensor's dims padded to `rank` with leading 1s, as oneDNN sees them,
// strides keeping the graph's row-major layout; with `channel_first` the last
// (channel) axis moves to position 1, where a per-channel operand is oneDNN's
// per_oc broadcast (its fast path). A rank of 1: all elements in one dim (a
// scalar operand, or the same shape, runs as one contiguous loop).
memory::desc binary_md(const ir::Shape& s, size_t rank, bool channel_first) {
  if (rank == 1) return memory::desc({ir::num_elements(s)}, dt::f32, memory::dims{1});
  memory::dims d(rank - s.size(), 1);
  for (auto v : s) d.push_back(v);
  memory::dims strides(rank, 1);
  for (int i = static_cast<int>(rank) - 2; i >= 0; --i) strides[i] = strides[i + 1] * d[i + 1];
  if (channel_first && rank > 2) {
    std::rotate(d.begin() + 1, d.end() - 1, d.end());
    std::rotate(strides.begin() + 1, strides.end() - 1, strides.end());
  }
  return memory::desc(d, dt::f32, strides);
}

// ADD, SUB, MUL, DIV, MAXIMUM, MINIMUM, SQUARED_DIFFERENCE with NumPy
// broadcasting: oneDNN's binary broadcasts dims of size 1 in src1 only, so
// the inputs swap when src0 is the broadcast one and the op commutes; both
// broadcast, or the first of SUB / DIV: the reference runs.
Expected<std::unique_ptr<FastKernel>> prepare_binary(const ops::OpContext& ctx, BinarySpec spec, Activation act) {
  if (ctx.num_inputs() != 2 || ctx.input_dtype(1) != DType::kFloat32 || ctx.output_dtype(0) != DType::kFloat32)
    return std::unique_ptr<FastKernel>();
  const ir::Shape& out = ctx.output_shape(0);
  if (out.empty() || out.size() > 6) return std::unique_ptr<FastKernel>();
  for (auto v : out) if (v <= 0) return std::unique_ptr<FastKernel>();
  int first = 0, second = 1;
  const int64_t n = ir::num_elements(out);  // an input of as many elements is not broadcast
  if (ir::num_elements(ctx.input_shape(0)) != n) {
    if (ir::num_elements(ctx.input_shape(1)) != n || !spec.commutes) return std::unique_ptr<FastKernel>();
    std::swap(first, second);
  }
  dnnl::primitive_attr attr;
  if (!add_binary_clamp(act, attr)) return std::unique_ptr<FastKernel>();
  if (spec.square) {
    dnnl::post_ops po;
    po.append_eltwise(1.0f, dnnl::algorithm::eltwise_square, 0.0f, 0.0f);
    attr.set_post_ops(po);
  }
  try {
    const ir::Shape& b = ctx.input_shape(second);
    const int64_t b_count = ir::num_elements(b);
    const size_t rank = b_count == 1 || b_count == n ? 1 : out.size();
    const bool channel_first = !b.empty() && b.back() == out.back() && out.back() > 1;
    const memory::desc a_md = binary_md(ctx.input_shape(first), rank, channel_first);
    const memory::desc b_md = binary_md(b, rank, channel_first);
    const memory::desc dst_md = binary_md(out, rank, channel_first);
    dnnl::binary::primitive_desc pd(dnnl::binary::desc(spec.algorithm, a_md, b_md, dst_md), attr, engine());
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

// MAX_POOL_2D / AVERAGE_POOL_2D (float32): oneDNN pooling; TFLite's average
// counts only the taps inside the input (pooling_avg_exclude_padding), its
// max ignores padding as oneDNN's does.
Expected<std::unique_ptr<FastKernel>> prepare_pool(const ops::OpContext& ctx, bool max) {
  if (ctx.num_inputs() != 1 || ctx.input_dtype(0) != DType::kFloat32 || ctx.output_dtype(0) != DType::kFloat32)
    return std::unique_ptr<FastKernel>();
  static const tflite::Pool2DOptionsT kDefault{};
  const auto* o = ctx.op().options_as<tflite::Pool2DOptionsT>();
  if (!o) o = &kDefault;
  const ir::Shape& in = ctx.input_shape(0);
  const ir::Shape& out = ctx.output_shape(0);
  if (in.size() != 4 || out.size() != 4) return std::unique_ptr<FastKernel>();
  for (auto d : in) if (d <= 0) return std::unique_ptr<FastKernel>();
  for (auto d : out) if (d <= 0) return std::unique_ptr<FastKernel>();
  const int64_t kh = o->filter_height, kw = o->filter_width, sh = o->stride_h, sw = o->stride_w;
  if (kh <= 0 || kw <= 0 || sh <= 0 || sw <= 0) return std::unique_ptr<FastKernel>();
  int64_t pt = 0, pl = 0;
  if (ops::to_padding(o->padding) == kernels::Padding::kSame) {
    pt = kernels::window_padding_before(in[1], static_cast<int32_t>(kh), static_cast<int32_t>(sh), 1, out[1]);
    pl = kernels::window_padding_before(in[2], static_cast<int32_t>(kw), static_cast<int32_t>(sw), 1, out[2]);
  }
  const int64_t pb = std::max<int64_t>((out[1] - 1) * sh + kh - in[1] - pt, 0);
  const int64_t pr = std::max<int64_t>((out[2] - 1) * sw + kw - in[2] - pl, 0);
  // A window lying wholly in the padding has no taps: TFLite and oneDNN
  // disagree there, so leave such geometries to the reference.
  if (pt >= kh || pb >= kh || pl >= kw || pr >= kw) return std::unique_ptr<FastKernel>();
  dnnl::primitive_attr attr;
  if (!add_activation(static_cast<Activation>(o->fused_activation_function), attr))
    return std::unique_ptr<FastKernel>();
  const memory::desc src_md({in[0], in[3], in[1], in[2]}, dt::f32, tag::nhwc);
  const memory::desc dst_md({out[0], out[3], out[1], out[2]}, dt::f32, tag::nhwc);
  try {
    dnnl::pooling_forward::primitive_desc pd(
        dnnl::pooling_forward::desc(dnnl::prop_kind::forward_inference,
                                    max ? dnnl::algorithm::pooling_max : dnnl::algorithm::pooling_avg_exclude_padding,
                                    src_md, dst_md, {sh, sw}, {kh, kw}, {pt, pl}, {pb, pr}),
        attr, engine());
    std::unordered_map<int, memory> args;
    args[DNNL_ARG_SRC] = memory(src_md, engine(), nullptr);
    args[DNNL_ARG_DST] = memory(dst_md, engine(), nullptr);
    return std::unique_ptr<FastKernel>(new DnnlKernel(dnnl::pooling_forward(pd), std::move(args), {{DNNL_ARG_SRC, 0}}));
  } catch (const dnnl::error&) {
    return std::unique_ptr<FastKernel>();
  }
}

// float32 LOGISTIC, TANH, ELU, EXP, LOG, GELU (exact erf or tanh form):
// oneDNN's eltwise over the tensor as one flat vector, split into bands of
// whole 16-float blocks when large (a primitive per band, on the pool as the
// convolutions' bands). oneDNN's polynomial approximations, not libm's:
// within 1e-4 relative of the reference (tests/cpp/fast_kernels_test.cc).
class DnnlEltwise final : public FastKernel {
 public:
  DnnlEltwise(std::vector<ConvBand> bands, Backend& backend) : bands_(std::move(bands)), backend_(backend) {}

  Status run(ops::OpContext& ctx) override {
    const float* in = ctx.input<float>(0);
    float* out = ctx.output<float>(0);
    return run_dnnl_tasks(ctx, backend_, bands_.size(), [&](size_t k) {
      ConvBand& b = bands_[k];
      b.args[DNNL_ARG_SRC].set_data_handle(const_cast<float*>(in + b.in_row));
      b.args[DNNL_ARG_DST].set_data_handle(out + b.in_row);
      b.prim.execute(b.stream, b.args);
      b.stream.wait();
    });
  }
  const char* library() const override { return "onednn"; }
  // The weights are packed and the bias copied (make_conv_bands).
  bool copied_input(int k) const override { return k == 1 || k == 2; }

 private:
  std::vector<ConvBand> bands_;  // in_row: the band's first element, in_rows its count
  const Backend& backend_;
};

Expected<std::unique_ptr<FastKernel>> prepare_eltwise(const ops::OpContext& ctx, Backend& backend,
                                                      dnnl::algorithm algorithm, float alpha) {
  if (ctx.num_inputs() != 1 || ctx.num_outputs() != 1 || ctx.input_dtype(0) != DType::kFloat32 ||
      ctx.output_dtype(0) != DType::kFloat32 || ctx.output_shape(0) != ctx.input_shape(0))
    return std::unique_ptr<FastKernel>();
  const int64_t n = ir::num_elements(ctx.input_shape(0));
  if (n <= 0) return std::unique_ptr<FastKernel>();
  const int64_t blocks = (n + 15) / 16;
  const int64_t tasks = own_task_count(backend, blocks, n * int64_t{sizeof(float)});
  std::vector<ConvBand> bands;
  try {
    for (int64_t t = 0; t < tasks; ++t) {
      ConvBand band;
      band.in_row = blocks * t / tasks * 16;
      band.in_rows = std::min(n, blocks * (t + 1) / tasks * 16) - band.in_row;
      const memory::desc md({band.in_rows}, dt::f32, tag::x);
      dnnl::eltwise_forward::primitive_desc pd(
          dnnl::eltwise_forward::desc(dnnl::prop_kind::forward_inference, algorithm, md, alpha, 0.0f), engine());
      band.args[DNNL_ARG_SRC] = memory(md, engine(), nullptr);
      band.args[DNNL_ARG_DST] = memory(md, engine(), nullptr);
      band.prim = dnnl::eltwise_forward(pd);
      band.stream = dnnl::stream(engine());
      bands.push_back(std::move(band));
    }
  } catch (const dnnl::error&) {
    return std::unique_ptr<FastKernel>();
  }
  return std::unique_ptr<FastKernel>(new DnnlEltwise(std::move(bands), backend));
}

Expected<std::unique_ptr<FastKernel>> prepare_gelu(const ops::OpContext& ctx, Backend& backend) {
  static const tflite::GeluOptionsT kDefault{};
  const auto* o = ctx.op().options_as<tflite::GeluOptionsT>();
  if (!o) o = &kDefault;
  const auto algorithm = o->approximate ? dnnl::algorithm::eltwise_gelu_tanh : dnnl::algorithm::eltwise_gelu_erf;
  return prepare_eltwise(ctx, backend, algorithm, 0.0f);
}

}  // namespace

Expected<std::unique_ptr<FastKernel>> prepare_int8_via_f32(const ops::OpContext& ctx, Backend& backend) {
  if (ctx.op().code.is_custom()) return std::unique_ptr<FastKernel>();
  switch (ctx.op().code.builtin) {
    case tflite::BuiltinOperator_CONV_2D: return prepare_int8_conv(ctx, false, backend);
    case tflite::BuiltinOperator_DEPTHWISE_CONV_2D: return prepare_int8_conv(ctx, true, backend);
    default: return std::unique_ptr<FastKernel>();
  }
}

Expected<std::unique_ptr<FastKernel>> prepare_hybrid_via_f32(const ops::OpContext& ctx, Backend& backend) {
  if (ctx.op().code.is_custom()) return std::unique_ptr<FastKernel>();
  switch (ctx.op().code.builtin) {
    case tflite::BuiltinOperator_CONV_2D: return prepare_hybrid_conv(ctx, false, backend);
    case tflite::BuiltinOperator_DEPTHWISE_CONV_2D: return prepare_hybrid_conv(ctx, true, backend);
    default: return std::unique_ptr<FastKernel>();
  }
}

Expected<std::unique_ptr<FastKernel>> prepare_dnnl(const ops::OpContext& ctx, Backend& backend) {
  if (ctx.op().code.is_custom()) return std::unique_ptr<FastKernel>();
  switch (ctx.op().code.builtin) {
    case tflite::BuiltinOperator_CONV_2D: return prepare_conv(ctx, false, backend);
    case tflite::BuiltinOperator_DEPTHWISE_CONV_2D: return prepare_conv(ctx, true, backend);
    case tflite::BuiltinOperator_FULLY_CONNECTED: return prepare_fully_connected(ctx, backend);
    case tflite::BuiltinOperator_ADD:
      return prepare_binary(ctx, {dnnl::algorithm::binary_add}, fused_activation<tflite::AddOptionsT>(ctx));
    case tflite::BuiltinOperator_SUB:
      return prepare_binary(ctx, {dnnl::algorithm::binary_sub, false}, fused_activation<tflite::SubOptionsT>(ctx));
    case tflite::BuiltinOperator_MUL:
      return prepare_binary(ctx, {dnnl::algorithm::binary_mul}, fused_activation<tflite::MulOptionsT>(ctx));
    case tflite::BuiltinOperator_DIV:
      return prepare_binary(ctx, {dnnl::algorithm::binary_div, false}, fused_activation<tflite::DivOptionsT>(ctx));
    case tflite::BuiltinOperator_MAXIMUM: return prepare_binary(ctx, {dnnl::algorithm::binary_max}, Activation::kNone);
    case tflite::BuiltinOperator_MINIMUM: return prepare_binary(ctx, {dnnl::algorithm::binary_min}, Activation::kNone);
    case tflite::BuiltinOperator_SQUARED_DIFFERENCE:
      return prepare_binary(ctx, {dnnl::algorithm::binary_sub, true, true}, Activation::kNone);
    case tflite::BuiltinOperator_MAX_POOL_2D: return prepare_pool(ctx, true);
    case tflite::BuiltinOperator_AVERAGE_POOL_2D: return prepare_pool(ctx, false);
    case tflite::BuiltinOperator_LOGISTIC:
      return prepare_eltwise(ctx, backend, dnnl::algorithm::eltwise_logistic, 0.0f);
    case tflite::BuiltinOperator_TANH: return prepare_eltwise(ctx, backend, dnnl::algorithm::eltwise_tanh, 0.0f);
    case tflite::BuiltinOperator_ELU: return prepare_eltwise(ctx, backend, dnnl::algorithm::eltwise_elu, 1.0f);
    case tflite::BuiltinOperator_EXP: return prepare_eltwise(ctx, backend, dnnl::algorithm::eltwise_exp, 0.0f);
    case tflite::BuiltinOperator_LOG: return prepare_eltwise(ctx, backend, dnnl::algorithm::eltwise_log, 0.0f);
    case tflite::BuiltinOperator_GELU: return prepare_gelu(ctx, backend);
    default: return std::unique_ptr<FastKernel>();
  }
}

}  // namespace tfc::runtime::fast
