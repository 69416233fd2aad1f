// Hybrid (dynamic-range) FULLY_CONNECTED and CONV_2D, our own kernels:
// float32 input and output, constant int8 weights (zero point 0, one scale or
// one per output channel), optional float32 bias. They compute exactly what
// the reference kernels do (kernels/hybrid_ref.h, LiteRT's EvalHybrid /
// EvalHybridPerChannel), so their outputs are the reference's bytes:
// - the input is quantized as the reference's quantize_row_symmetric or
//   quantize_row_asymmetric do: FULLY_CONNECTED per row (asymmetric as its
//   asymmetric_quantize_inputs option says), CONV_2D per batch element
//   (symmetric with per-tensor weights, asymmetric with per-channel ones).
//   The scale and zero point are the reference functions' own, computed
//   from the row's min and max (all they depend on); the rounding loop runs
//   eight values at a time with AVX2 (round half away from zero, exact:
//   trunc, then the exact fraction decides), scalar elsewhere;
// - the int32 sums w * q are exact on every path (int8_dot.h: AVX-VNNI, AVX2
//   or scalar, the fastest the CPU has), less sum(w) * zero point; a conv
//   gathers each output pixel's window into a row first (im2col; a padded
//   tap holds the zero point, so it adds nothing, as the reference skips it);
// - the rescale is the reference's float expression, in its order.
// Threads take ranges of units (FULLY_CONNECTED) or output pixels (CONV_2D)
// when the work is large.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/hybrid_ref.h"
#include "runtime/fast/fast_kernel.h"
#include "runtime/fast/int8_dot.h"
#include "runtime/fast/simd.h"

namespace tfc::runtime::fast {
namespace {

using kernels::Activation;

using Clamp = kernels::FloatClamp;  // the reference's clamp of a fused activation

bool clamp_activation(Activation a) { return a == Activation::kNone || Clamp::is_clamp(a); }

// Constant int8 weights (outputs, depth) with zero point 0 and one scale or
// one per output, in int8_dot.h's layout (rows of `stride`); their
// per-output sums; false when the op does not fit.
struct HybridWeights {
  int64_t stride = 0;
  std::vector<int8_t> w;
  std::vector<int32_t> sums;
  std::vector<float> scales;
  bool per_channel() const { return scales.size() > 1; }
};
bool hybrid_weights(const ops::OpContext& ctx, int64_t outputs, int64_t depth, HybridWeights& hw) {
  if (ctx.input_dtype(0) != DType::kFloat32 || ctx.input_dtype(1) != DType::kInt8 ||
      ctx.output_dtype(0) != DType::kFloat32 || ctx.input_data(1) == nullptr)
    return false;
  if (ctx.has_input(2) && ctx.input_dtype(2) != DType::kFloat32) return false;
  const ir::Tensor& t = ctx.input_tensor(1);
  if (!t.is_quantized()) return false;
  const auto& scales = t.quantization->scale;
  if (scales.size() != 1 && static_cast<int64_t>(scales.size()) != outputs) return false;
  for (int64_t zp : t.quantization->zero_point)
    if (zp != 0) return false;
  const auto* w = ctx.input<int8_t>(1);
  hw.stride = int8_dot_stride(depth);
  hw.w.assign(static_cast<size_t>(int8_dot_units(outputs) * hw.stride), 0);
  hw.sums.assign(static_cast<size_t>(outputs), 0);
  for (int64_t u = 0; u < outputs; ++u)
    for (int64_t d = 0; d < depth; ++d) {
      hw.w[static_cast<size_t>(u * hw.stride + d)] = w[u * depth + d];
      hw.sums[static_cast<size_t>(u)] += w[u * depth + d];
    }
  hw.scales = scales;
  return true;
}

#if defined(TFC_HAVE_AVX2_KERNELS)
__attribute__((target("avx2"))) inline float reduce(__m256 v, bool max) {
  __m128 a = max ? _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1))
                 : _mm_min_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  a = max ? _mm_max_ps(a, _mm_movehl_ps(a, a)) : _mm_min_ps(a, _mm_movehl_ps(a, a));
  a = max ? _mm_max_ss(a, _mm_shuffle_ps(a, a, 1)) : _mm_min_ss(a, _mm_shuffle_ps(a, a, 1));
  return _mm_cvtss_f32(a);
}

struct Halves {
  __m256 lo, hi;
};
__attribute__((target("avx2,avx512f"))) Halves min_max_avx512(const float* x, int64_t n) {
  __m512 lo = _mm512_loadu_ps(x), hi = lo;
  for (int64_t i = 16; i + 16 <= n; i += 16) {
    const __m512 v = _mm512_loadu_ps(x + i);
    lo = _mm512_min_ps(lo, v);
    hi = _mm512_max_ps(hi, v);
  }
  const auto upper = [](__m512 v) __attribute__((target("avx2,avx512f"))) {
    return _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
  };
  return {_mm256_min_ps(_mm512_castps512_ps256(lo), upper(lo)), _mm256_max_ps(_mm512_castps512_ps256(hi), upper(hi))};
}

__attribute__((target("avx2"))) void min_max_avx2(const float* x, int64_t n, float& mn, float& mx) {
  __m256 lo = _mm256_set1_ps(x[0]), hi = lo;
  int64_t i = 0;
  if (__builtin_cpu_supports("avx512f") && n >= 16) {
    // Two halves of 512-bit min and max, folded into the 256-bit ones.
    const auto [l, h] = min_max_avx512(x, n);
    lo = l, hi = h, i = n / 16 * 16;
  }
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    lo = _mm256_min_ps(lo, v);
    hi = _mm256_max_ps(hi, v);
  }
  mn = reduce(lo, false);
  mx = reduce(hi, true);
  for (; i < n; ++i) mn = std::min(mn, x[i]), mx = std::max(mx, x[i]);
}

// round_avx2's arithmetic on 16 lanes, 16 values at a time; returns how
// many it did.
__attribute__((target("avx2,avx512f"))) int64_t round_avx512(const float* x, int64_t n, float inv, float zp,
                                                             float lo, float hi, int8_t* q) {
  const __m512 vinv = _mm512_set1_ps(inv), vzp = _mm512_set1_ps(zp), vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
  const __m512 half = _mm512_set1_ps(0.5f), one = _mm512_set1_ps(1.0f);
  const __m512i sign = _mm512_set1_epi32(static_cast<int32_t>(0x80000000u));
  const bool add_zp = zp != 0.0f;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m512 y = _mm512_mul_ps(_mm512_loadu_ps(x + i), vinv);
    if (add_zp) y = _mm512_add_ps(vzp, y);
    const __m512 t = _mm512_roundscale_ps(y, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m512 frac = _mm512_castsi512_ps(_mm512_andnot_si512(sign, _mm512_castps_si512(_mm512_sub_ps(y, t))));
    const __mmask16 away = _mm512_cmp_ps_mask(frac, half, _CMP_GE_OQ);
    const __m512 step = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(one),
                                                            _mm512_and_si512(_mm512_castps_si512(y), sign)));
    const __m512 r = _mm512_mask_add_ps(t, away, t, step);
    const __m512i v = _mm512_cvttps_epi32(_mm512_min_ps(_mm512_max_ps(r, vlo), vhi));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q + i), _mm512_cvtsepi32_epi8(v));
  }
  return i;
}

// q[i] = clamp(round_half_away(zp + x[i] * inv), lo, hi) (no zp when 0).
__attribute__((target("avx2"))) int64_t round_avx2(const float* x, int64_t n, float inv, float zp, float lo, float hi,
                                                   int8_t* q) {
  const __m256 vinv = _mm256_set1_ps(inv), vzp = _mm256_set1_ps(zp), vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
  const __m256 sign = _mm256_set1_ps(-0.0f), half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f);
  const bool add_zp = zp != 0.0f;
  auto one_vector = [&](const float* p) __attribute__((target("avx2"))) {
    __m256 y = _mm256_mul_ps(_mm256_loadu_ps(p), vinv);
    if (add_zp) y = _mm256_add_ps(vzp, y);
    const __m256 t = _mm256_round_ps(y, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m256 away = _mm256_cmp_ps(_mm256_andnot_ps(sign, _mm256_sub_ps(y, t)), half, _CMP_GE_OQ);
    const __m256 r = _mm256_add_ps(t, _mm256_and_ps(away, _mm256_or_ps(one, _mm256_and_ps(y, sign))));
    return _mm256_cvttps_epi32(_mm256_min_ps(_mm256_max_ps(r, vlo), vhi));
  };
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  int64_t i = __builtin_cpu_supports("avx512f") ? round_avx512(x, n, inv, zp, lo, hi, q) : 0;
  for (; i + 32 <= n; i += 32) {
    const __m256i ab = _mm256_packs_epi32(one_vector(x + i), one_vector(x + i + 8));
    const __m256i cd = _mm256_packs_epi32(one_vector(x + i + 16), one_vector(x + i + 24));
    const __m256i v = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(ab, cd), order);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + i), v);
  }
  return i;
}
#endif

}  // namespace

kernels::RowQuant quantize_hybrid_input(bool asymmetric, const float* x, int64_t n, int8_t* q) {
  if (n <= 0) return {};
  float mn = 0, mx = 0;
  bool avx2 = false;
#if defined(TFC_HAVE_AVX2_KERNELS)
  avx2 = __builtin_cpu_supports("avx2");
  if (avx2) min_max_avx2(x, n, mn, mx);
#endif
  if (!avx2) {
    const auto [a, b] = std::minmax_element(x, x + n);
    mn = *a, mx = *b;
  }
  // The reference's scale and zero point from the same min and max.
  const float ends[2] = {mn, mx};
  int8_t unused[2];
  const kernels::RowQuant r = asymmetric ? kernels::quantize_row_asymmetric(ends, 2, unused)
                                         : kernels::quantize_row_symmetric(ends, 2, unused);
  const float range = std::max(std::abs(mn), std::abs(mx));
  if (asymmetric ? (std::min(0.0f, mn) == std::max(0.0f, mx)) : range == 0) {
    std::memset(q, 0, static_cast<size_t>(n));
    return r;
  }
  const float inv = asymmetric ? 1.0f / r.scale : 127 / range;
  const float zp = static_cast<float>(r.zero_point);
  const int32_t lo = asymmetric ? -128 : -127;
  int64_t i = 0;
#if defined(TFC_HAVE_AVX2_KERNELS)
  if (avx2) i = round_avx2(x, n, inv, zp, static_cast<float>(lo), 127.0f, q);
#endif
  for (; i < n; ++i) {
    const float y = asymmetric ? zp + x[i] * inv : x[i] * inv;
    q[i] = static_cast<int8_t>(std::clamp(static_cast<int32_t>(std::round(y)), lo, 127));
  }
  return r;
}

namespace {

// What int8_dots runs for `path`, for profiles.
const char* dot_path_library(Int8DotPath path) {
  const bool vnni = path == Int8DotPath::kAvxVnni || (path >= Int8DotPath::kAvx512Vnni && cpu_has_avx_vnni());
  return vnni ? "own-vnni" : "own";
}

class HybridFullyConnected final : public FastKernel {
 public:
  HybridFullyConnected(const FcGeometry& g, HybridWeights hw, bool asymmetric, Int8DotPath path, Backend& backend)
      : g_(g), hw_(std::move(hw)), asymmetric_(asymmetric), backend_(backend), path_(path),
        clamp_(g.activation), row_quant_(static_cast<size_t>(g.rows)) {}

  Status run(ops::OpContext& ctx) override {
    const float* in = ctx.input<float>(0);
    const float* bias = ctx.has_input(2) ? ctx.input<float>(2) : nullptr;
    float* out = ctx.output<float>(0);
    const int64_t rows = g_.rows, depth = g_.depth, units = g_.units, stride = hw_.stride;
    auto* q = reinterpret_cast<int8_t*>(backend_.scratch(0, static_cast<size_t>(rows * stride) / 4));
    auto* acc = reinterpret_cast<int32_t*>(backend_.scratch(1, static_cast<size_t>(rows * units)));
    for (int64_t r = 0; r < rows; ++r) {
      row_quant_[static_cast<size_t>(r)] = quantize_hybrid_input(asymmetric_, in + r * depth, depth, q + r * stride);
      std::memset(q + r * stride + depth, 0, static_cast<size_t>(stride - depth));
    }
    const int64_t blocks = (units + 3) / 4;
    const int64_t tasks = own_task_count(backend_, blocks, rows * units * depth);
    backend_.parallel(tasks, [&](int64_t k) {
      const int64_t u0 = blocks * k / tasks * 4, u1 = std::min(blocks * (k + 1) / tasks * 4, units);
      int8_dots(path_, hw_.w.data() + u0 * stride, hw_.sums.data() + u0, u1 - u0, stride, q, rows, acc + u0, units);
      rescale(acc, bias, out, u0, u1);
    });
    return Status::ok();
  }
  const char* library() const override { return dot_path_library(path_); }

 private:
  // The reference's expression (hybrid_ref.cc hybrid_fully_connected).
  void rescale(const int32_t* acc, const float* bias, float* out, int64_t u0, int64_t u1) const {
    const bool per_channel = hw_.per_channel();
    for (int64_t r = 0; r < g_.rows; ++r) {
      const kernels::RowQuant& rq = row_quant_[static_cast<size_t>(r)];
      const float row_factor = per_channel ? rq.scale : rq.scale * hw_.scales[0];
      for (int64_t u = u0; u < u1; ++u) {
        int32_t dot = acc[r * g_.units + u];
        if (asymmetric_) dot -= hw_.sums[static_cast<size_t>(u)] * rq.zero_point;
        const float scale = per_channel ? row_factor * hw_.scales[static_cast<size_t>(u)] : row_factor;
        const float b = bias ? bias[u] : 0.0f;
        out[r * g_.units + u] = clamp_(b + static_cast<float>(dot) * scale);
      }
    }
  }

  FcGeometry g_;
  HybridWeights hw_;  // (units, depth)
  bool asymmetric_;
  Backend& backend_;
  Int8DotPath path_;
  Clamp clamp_;
  std::vector<kernels::RowQuant> row_quant_;
};

// Output pixels per chunk of a task: their windows (int8) in about 64 KiB.
constexpr int64_t kWindowBytes = 64 * 1024;

class HybridConv2D final : public FastKernel {
 public:
  HybridConv2D(const ConvGeometry& g, HybridWeights hw, Int8DotPath path, Backend& backend)
      : g_(g), hw_(std::move(hw)), backend_(backend), path_(path), clamp_(g.activation),
        batch_quant_(static_cast<size_t>(g.batch)) {
    cin_ = g_.in_channels();
    cout_ = g_.out_channels();
    depth_ = g_.kh * g_.kw * cin_;
    chunk_ = std::max<int64_t>(kWindowBytes / hw_.stride, 1);
    const int64_t pixels = g_.batch * g_.oh * g_.ow;
    tasks_ = own_task_count(backend_, pixels, pixels * depth_ * cout_);
    const int64_t chunk = std::min(chunk_, pixels);
    // The zeros after each window's depth_ values stay.
    windows_.assign(static_cast<size_t>(tasks_ * chunk * hw_.stride), 0);
    acc_.resize(static_cast<size_t>(tasks_ * chunk * cout_));
  }

  Status run(ops::OpContext& ctx) override {
    const float* in = ctx.input<float>(0);
    const float* bias = ctx.has_input(2) ? ctx.input<float>(2) : nullptr;
    float* out = ctx.output<float>(0);
    const int64_t image = g_.ih * g_.iw * cin_;
    auto* q = reinterpret_cast<int8_t*>(backend_.scratch(0, static_cast<size_t>(g_.batch * image + 3) / 4));
    // Per-channel weights take the reference's asymmetric (per-channel) path.
    for (int64_t n = 0; n < g_.batch; ++n)
      batch_quant_[static_cast<size_t>(n)] = quantize_hybrid_input(hw_.per_channel(), in + n * image, image, q + n * image);
    const int64_t pixels = g_.batch * g_.oh * g_.ow;
    const int64_t chunk = std::min(chunk_, pixels);
    backend_.parallel(tasks_, [&](int64_t k) {
      int8_t* windows = windows_.data() + k * chunk * hw_.stride;
      int32_t* acc = acc_.data() + k * chunk * cout_;
      for (int64_t p0 = pixels * k / tasks_, end = pixels * (k + 1) / tasks_; p0 < end; p0 += chunk) {
        const int64_t count = std::min(chunk, end - p0);
        gather(q, p0, count, windows);
        int8_dots(path_, hw_.w.data(), hw_.sums.data(), cout_, hw_.stride, windows, count, acc, cout_);
        rescale(acc, bias, out, p0, count);
      }
    });
    return Status::ok();
  }
  const char* library() const override { return dot_path_library(path_); }

 private:
  // The windows of output pixels [p0, p0 + count) as rows (of hw_.stride)
  // of depth_ values in the filter's (ky, kx, c) order; a tap outside the
  // input holds the batch's zero point.
  void gather(const int8_t* q, int64_t p0, int64_t count, int8_t* windows) const {
    for (int64_t i = 0; i < count; ++i) {
      const int64_t p = p0 + i, ox = p % g_.ow, oy = p / g_.ow % g_.oh, n = p / (g_.ow * g_.oh);
      const auto zp = static_cast<int8_t>(batch_quant_[static_cast<size_t>(n)].zero_point);
      int8_t* dst = windows + i * hw_.stride;
      for (int64_t ky = 0; ky < g_.kh; ++ky) {
        const int64_t iy = oy * g_.sh - g_.pt + ky * g_.dh;
        for (int64_t kx = 0; kx < g_.kw; ++kx, dst += cin_) {
          const int64_t ix = ox * g_.sw - g_.pl + kx * g_.dw;
          if (iy < 0 || iy >= g_.ih || ix < 0 || ix >= g_.iw) {
            std::memset(dst, zp, static_cast<size_t>(cin_));
          } else {
            std::memcpy(dst, q + ((n * g_.ih + iy) * g_.iw + ix) * cin_, static_cast<size_t>(cin_));
          }
        }
      }
    }
  }

  // The reference's expression (hybrid_ref.cc hybrid_conv2d).
  void rescale(const int32_t* acc, const float* bias, float* out, int64_t p0, int64_t count) const {
    const bool per_channel = hw_.per_channel();
    for (int64_t i = 0; i < count; ++i) {
      const int64_t n = (p0 + i) / (g_.oh * g_.ow);
      const kernels::RowQuant& bq = batch_quant_[static_cast<size_t>(n)];
      const float batch_factor = per_channel ? bq.scale : bq.scale * hw_.scales[0];
      float* o = out + (p0 + i) * cout_;
      for (int64_t c = 0; c < cout_; ++c) {
        const int32_t a = acc[i * cout_ + c] - hw_.sums[static_cast<size_t>(c)] * bq.zero_point;
        float v = per_channel ? static_cast<float>(a) * hw_.scales[static_cast<size_t>(c)] * batch_factor
                              : static_cast<float>(a) * batch_factor;
        if (bias) v += bias[c];
        o[c] = clamp_(v);
      }
    }
  }

  ConvGeometry g_;
  HybridWeights hw_;  // (cout, kh * kw * cin), TFLite's filter order
  Backend& backend_;
  Int8DotPath path_;
  Clamp clamp_;
  std::vector<kernels::RowQuant> batch_quant_;
  int64_t cin_ = 0, cout_ = 0, depth_ = 0, chunk_ = 1, tasks_ = 1;
  std::vector<int8_t> windows_;  // per task, chunk_ windows
  std::vector<int32_t> acc_;     // per task, chunk_ x cout_ sums
};

std::unique_ptr<FastKernel> none() { return nullptr; }


bool is_builtin(const ops::OpContext& ctx, tflite::BuiltinOperator op) {
  return !ctx.op().code.is_custom() && ctx.op().code.builtin == op;
}

}  // namespace

Expected<std::unique_ptr<FastKernel>> prepare_own_hybrid(const ops::OpContext& ctx, Backend& backend,
                                                         const FastOptions& options) {
  if (ctx.num_inputs() < 2 || ctx.num_outputs() < 1) return none();
  const Int8DotPath path = allowed_int8_path(options);
  HybridWeights hw;
  if (is_builtin(ctx, tflite::BuiltinOperator_FULLY_CONNECTED)) {
    FcGeometry g;
    if (!fc_geometry(ctx, g) || !clamp_activation(g.activation) || !hybrid_weights(ctx, g.units, g.depth, hw))
      return none();
    static const tflite::FullyConnectedOptionsT kDefault{};
    const auto* o = ctx.op().options_as<tflite::FullyConnectedOptionsT>();
    const bool asymmetric = (o ? o : &kDefault)->asymmetric_quantize_inputs;
    return std::unique_ptr<FastKernel>(new HybridFullyConnected(g, std::move(hw), asymmetric, path, backend));
  }
  if (is_builtin(ctx, tflite::BuiltinOperator_CONV_2D)) {
    ConvGeometry g;
    // Grouped filters take the reference's per-channel path: not here.
    if (!conv_geometry(ctx, /*depthwise=*/false, g) || g.groups != 1 || !clamp_activation(g.activation) ||
        !hybrid_weights(ctx, g.out_channels(), g.kh * g.kw * g.in_channels(), hw))
      return none();
    return std::unique_ptr<FastKernel>(new HybridConv2D(g, std::move(hw), path, backend));
  }
  return none();
}

}  // namespace tfc::runtime::fast
