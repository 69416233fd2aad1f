// Our own int8 elementwise binary kernels — ADD, SUB, MUL, MAXIMUM, MINIMUM
// and PRELU — computing the reference's fixed-point arithmetic
// (kernels/elementwise_int.cc add_sub, mul, max_min, prelu) bit for bit, so
// exact under either arithmetic. Broadcasting is planned at prepare: two
// operands of the output's shape run as one flat loop; an operand that
// repeats a pattern over the output's trailing axes (per channel, per pixel,
// a scalar) is expanded at run to a tile of at least kTile elements that
// the other operand's chunks run against. Other broadcasts stay on the
// reference. Eight lanes at a time with AVX2 (after a run-time CPU check)
// where no multiplier's left shift can saturate, else a scalar loop on the
// reference's own functions. Chunks split over the backend's threads when
// the tensor is large.
#include <algorithm>
#include <vector>

#include "kernels/quant_util.h"
#include "runtime/fast/fast_kernel.h"
#include "runtime/fast/simd.h"

namespace tfc::runtime::fast {
namespace {

using kernels::QuantizedMultiplier;
using kernels::multiply_by_quantized_multiplier;

// Elements the expanded pattern covers at least (and a flat loop's chunk).
constexpr int64_t kTile = 1024;

enum class BinOp { kAdd, kSub, kMul, kMax, kMin, kPrelu };

// The op's integer parameters, as the reference derives them. ADD / SUB:
// each input offset and shifted left by 20, rescaled by ma / mb, the sum by
// mo. MUL: the product of the offset inputs rescaled by mo. PRELU (a = x,
// b = alpha): x - a_zp >= 0 rescaled by ma, else times (alpha - b_zp) by mo.
struct Params {
  BinOp op = BinOp::kAdd;
  int32_t a_zp = 0, b_zp = 0, o_zp = 0, lo = -128, hi = 127;
  QuantizedMultiplier ma, mb, mo;
};

constexpr int32_t kAddLeftShift = 20;

int32_t apply(const Params& p, int32_t x, int32_t y) {
  int32_t v = 0;
  switch (p.op) {
    case BinOp::kAdd:
    case BinOp::kSub: {
      const int32_t sx = multiply_by_quantized_multiplier((x - p.a_zp) * (1 << kAddLeftShift), p.ma);
      const int32_t sy = multiply_by_quantized_multiplier((y - p.b_zp) * (1 << kAddLeftShift), p.mb);
      v = multiply_by_quantized_multiplier(p.op == BinOp::kSub ? sx - sy : sx + sy, p.mo) + p.o_zp;
      break;
    }
    case BinOp::kMul: v = p.o_zp + multiply_by_quantized_multiplier((x - p.a_zp) * (y - p.b_zp), p.mo); break;
    case BinOp::kMax: return std::max(x, y);
    case BinOp::kMin: return std::min(x, y);
    case BinOp::kPrelu: {
      const int32_t iv = x - p.a_zp;
      v = p.o_zp + (iv >= 0 ? multiply_by_quantized_multiplier(iv, p.ma)
                            : multiply_by_quantized_multiplier(iv * (y - p.b_zp), p.mo));
      break;
    }
  }
  return std::clamp(v, p.lo, p.hi);
}

void run_scalar(const Params& p, const int8_t* a, const int8_t* b, int8_t* out, int64_t from, int64_t n) {
  for (int64_t i = from; i < n; ++i) out[i] = static_cast<int8_t>(apply(p, a[i], b[i]));
}

#if defined(TFC_HAVE_AVX2_KERNELS)
// multiply_by_quantized_multiplier on eight int32 lanes: the left shift
// (callers make sure it cannot saturate: scales_ok), the rounding doubling
// high multiply on |x| (the nudge is 2^30, less one for a negative x, whose
// ties round toward zero), the sign restored, then the rounding right shift
// (ties away from zero).
struct VecMultiplier {
  __m256i m, mask, half;
  __m128i left, right;
};
__attribute__((target("avx2"))) VecMultiplier vec_multiplier(QuantizedMultiplier q) {
  const int32_t right = std::max(-q.shift, 0), left = std::max(q.shift, 0);
  const auto mask = static_cast<int32_t>((int64_t{1} << right) - 1);
  return {_mm256_set1_epi64x(q.multiplier), _mm256_set1_epi32(mask), _mm256_set1_epi32(mask >> 1),
          _mm_cvtsi32_si128(left), _mm_cvtsi32_si128(right)};
}

__attribute__((target("avx2"))) inline __m256i mbqm8(__m256i x, const VecMultiplier& v) {
  x = _mm256_sll_epi32(x, v.left);
  const __m256i neg = _mm256_srai_epi32(x, 31);
  const __m256i ax = _mm256_abs_epi32(x);  // INT32_MIN reads as 2^31 unsigned
  const __m256i nudge = _mm256_add_epi32(_mm256_set1_epi32(1 << 30), neg);
  const __m256i low32 = _mm256_set1_epi64x(0xFFFFFFFF);
  __m256i even = _mm256_mul_epu32(ax, v.m);
  __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(ax, 32), v.m);
  even = _mm256_srli_epi64(_mm256_add_epi64(even, _mm256_and_si256(nudge, low32)), 31);
  odd = _mm256_srli_epi64(_mm256_add_epi64(odd, _mm256_srli_epi64(nudge, 32)), 31);
  const __m256i high = _mm256_sign_epi32(_mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA), x);
  const __m256i rem = _mm256_and_si256(high, v.mask);
  const __m256i threshold = _mm256_sub_epi32(v.half, _mm256_srai_epi32(high, 31));
  return _mm256_sub_epi32(_mm256_sra_epi32(high, v.right), _mm256_cmpgt_epi32(rem, threshold));
}

struct VecParams {
  __m256i a_zp, b_zp, o_zp, lo, hi;
  VecMultiplier ma, mb, mo;
};

__attribute__((target("avx2"))) inline __m256i apply8(BinOp op, const VecParams& p, __m256i x, __m256i y) {
  __m256i v;
  switch (op) {
    case BinOp::kAdd:
    case BinOp::kSub: {
      const __m256i sx = mbqm8(_mm256_slli_epi32(_mm256_sub_epi32(x, p.a_zp), kAddLeftShift), p.ma);
      const __m256i sy = mbqm8(_mm256_slli_epi32(_mm256_sub_epi32(y, p.b_zp), kAddLeftShift), p.mb);
      v = mbqm8(op == BinOp::kSub ? _mm256_sub_epi32(sx, sy) : _mm256_add_epi32(sx, sy), p.mo);
      v = _mm256_add_epi32(v, p.o_zp);
      break;
    }
    case BinOp::kMul:
      v = _mm256_add_epi32(p.o_zp, mbqm8(_mm256_mullo_epi32(_mm256_sub_epi32(x, p.a_zp), _mm256_sub_epi32(y, p.b_zp)),
                                         p.mo));
      break;
    case BinOp::kMax: return _mm256_max_epi32(x, y);
    case BinOp::kMin: return _mm256_min_epi32(x, y);
    case BinOp::kPrelu: {
      const __m256i iv = _mm256_sub_epi32(x, p.a_zp);
      const __m256i pos = mbqm8(iv, p.ma);
      const __m256i neg = mbqm8(_mm256_mullo_epi32(iv, _mm256_sub_epi32(y, p.b_zp)), p.mo);
      const __m256i is_neg = _mm256_cmpgt_epi32(_mm256_setzero_si256(), iv);
      v = _mm256_add_epi32(p.o_zp, _mm256_blendv_epi8(pos, neg, is_neg));
      break;
    }
  }
  return _mm256_min_epi32(_mm256_max_epi32(v, p.lo), p.hi);
}

__attribute__((target("avx2"))) inline __m256i load8(const int8_t* p) {
  return _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
}

template <BinOp kOp>
__attribute__((target("avx2"))) void run_avx2(const Params& s, const int8_t* a, const int8_t* b, int8_t* out,
                                              int64_t n) {
  const VecParams p{_mm256_set1_epi32(s.a_zp), _mm256_set1_epi32(s.b_zp), _mm256_set1_epi32(s.o_zp),
                    _mm256_set1_epi32(s.lo),   _mm256_set1_epi32(s.hi),   vec_multiplier(s.ma),
                    vec_multiplier(s.mb),      vec_multiplier(s.mo)};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256i lo = apply8(kOp, p, load8(a + i), load8(b + i));
    const __m256i hi = apply8(kOp, p, load8(a + i + 8), load8(b + i + 8));
    // Both in [-128, 127]: pack to int16 (lanes {0-3, 8-11 | 4-7, 12-15}),
    // reorder, pack to int8.
    const __m256i w = _mm256_permute4x64_epi64(_mm256_packs_epi32(lo, hi), 0xD8);
    const __m128i q = _mm_packs_epi16(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), q);
  }
  run_scalar(s, a, b, out, i, n);
}
#endif

// Whether mbqm8 computes multiplier m exactly on values of magnitude below
// 2^(31 - headroom): a right shift of at most 31, a left shift that cannot
// saturate.
bool scales_ok(QuantizedMultiplier m, int headroom) { return m.shift >= -31 && m.shift <= headroom; }

// The headroom of each multiplier's operands: MUL's product and PRELU's
// operands are below 2^16 (offset int8 values are within +-255); ADD / SUB
// rescale values up to 2^28 and sum two of them.
bool vector_exact(const Params& p) {
  if (p.op == BinOp::kAdd || p.op == BinOp::kSub)
    return scales_ok(p.ma, 0) && scales_ok(p.mb, 0) && scales_ok(p.mo, 0);
  return scales_ok(p.ma, 14) && scales_ok(p.mo, 14);
}

class IntBinary final : public FastKernel {
 public:
  // repeat: which input (0 or 1) repeats a pattern of `inner` elements, or
  // -1 when both have the output's n elements.
  IntBinary(const Params& p, int repeat, int64_t inner, int64_t n, Backend& backend)
      : p_(p), repeat_(repeat), inner_(inner), n_(n), backend_(backend) {
    tile_ = repeat_ < 0 ? kTile : inner_ * std::max<int64_t>((kTile + inner_ - 1) / inner_, 1);
#if defined(TFC_HAVE_AVX2_KERNELS)
    avx2_ = __builtin_cpu_supports("avx2") && vector_exact(p);
#endif
  }

  Status run(ops::OpContext& ctx) override {
    if (n_ == 0) return Status::ok();
    const int8_t* a = ctx.input<int8_t>(0);
    const int8_t* b = ctx.input<int8_t>(1);
    int8_t* out = ctx.output<int8_t>(0);
    if (repeat_ >= 0) {
      const int8_t* src = repeat_ == 0 ? a : b;
      pattern_.resize(static_cast<size_t>(tile_));
      for (int64_t i = 0; i < tile_; ++i) pattern_[static_cast<size_t>(i)] = src[i % inner_];
    }
    const int64_t chunks = (n_ + tile_ - 1) / tile_;
    const int64_t tasks = own_task_count(backend_, chunks, n_);
    backend_.parallel(tasks, [&](int64_t t) {
      const int64_t begin = chunks * t / tasks * tile_, end = std::min(n_, chunks * (t + 1) / tasks * tile_);
      for (int64_t c = begin; c < end; c += tile_) {
        const int8_t* x = repeat_ == 0 ? pattern_.data() : a + c;
        const int8_t* y = repeat_ == 1 ? pattern_.data() : b + c;
        span(x, y, out + c, std::min(tile_, end - c));
      }
    });
    return Status::ok();
  }
  const char* library() const override { return "own"; }

 private:
  void span(const int8_t* x, const int8_t* y, int8_t* out, int64_t n) const {
#if defined(TFC_HAVE_AVX2_KERNELS)
    if (avx2_) {
      switch (p_.op) {
        case BinOp::kAdd: return run_avx2<BinOp::kAdd>(p_, x, y, out, n);
        case BinOp::kSub: return run_avx2<BinOp::kSub>(p_, x, y, out, n);
        case BinOp::kMul: return run_avx2<BinOp::kMul>(p_, x, y, out, n);
        case BinOp::kMax: return run_avx2<BinOp::kMax>(p_, x, y, out, n);
        case BinOp::kMin: return run_avx2<BinOp::kMin>(p_, x, y, out, n);
        case BinOp::kPrelu: return run_avx2<BinOp::kPrelu>(p_, x, y, out, n);
      }
    }
#endif
    run_scalar(p_, x, y, out, 0, n);
  }

#if defined(TFC_HAVE_AVX2_KERNELS)
  bool avx2_ = false;
#endif
  Params p_;
  int repeat_ = -1;
  int64_t inner_ = 1, n_ = 0, tile_ = kTile;
  Backend& backend_;
  std::vector<int8_t> pattern_;
};

// Which input repeats a pattern over the output's trailing axes, and its
// length: -1 when both have the output's shape; false for other broadcasts.
bool plan(const ir::Shape& a, const ir::Shape& b, const ir::Shape& out, int& repeat, int64_t& inner) {
  const int64_t n = ir::num_elements(out);
  const int64_t na = ir::num_elements(a), nb = ir::num_elements(b);
  if (na == n && nb == n) {
    repeat = -1;
    return true;
  }
  if (na != n && nb != n) return false;
  repeat = na == n ? 1 : 0;
  const ir::Shape& r = repeat == 0 ? a : b;
  if (r.size() > out.size()) return false;
  // r right-aligned to out: 1 before some axis, out's dims from it on.
  size_t axis = out.size();
  for (size_t d = out.size(); d-- > 0;) {
    const size_t k = d + r.size() - out.size();
    const int64_t dim = d + r.size() >= out.size() ? r[k] : 1;
    if (dim == out[d] && axis == d + 1) {
      axis = d;
      continue;
    }
    if (dim != 1) return false;
  }
  inner = 1;
  for (size_t d = axis; d < out.size(); ++d) inner *= out[d];
  return inner > 0;
}

bool fused_activation(const ops::OpContext& ctx, BinOp op, kernels::Activation& act) {
  int8_t f = 0;
  if (op == BinOp::kAdd) {
    if (const auto* o = ctx.op().options_as<tflite::AddOptionsT>()) f = o->fused_activation_function;
  } else if (op == BinOp::kSub) {
    if (const auto* o = ctx.op().options_as<tflite::SubOptionsT>()) f = o->fused_activation_function;
  } else if (op == BinOp::kMul) {
    if (const auto* o = ctx.op().options_as<tflite::MulOptionsT>()) f = o->fused_activation_function;
  }
  act = static_cast<kernels::Activation>(f);
  return act == kernels::Activation::kNone || act == kernels::Activation::kRelu ||
         act == kernels::Activation::kRelu6 || act == kernels::Activation::kReluN1To1;
}

// The reference's multipliers for op with these scales (false for MAXIMUM /
// MINIMUM, which need none, and for unquantized tensors).
bool fill_params(const ops::OpContext& ctx, BinOp op, Params& p) {
  p.op = op;
  if (op == BinOp::kMax || op == BinOp::kMin) return true;
  float sa = 0, sb = 0, so = 0;
  if (!per_tensor_int8(ctx.input_tensor(0), sa, p.a_zp) || !per_tensor_int8(ctx.input_tensor(1), sb, p.b_zp) ||
      !per_tensor_int8(ctx.output_tensor(0), so, p.o_zp))
    return false;
  using kernels::quantize_multiplier;
  const auto da = static_cast<double>(sa), db = static_cast<double>(sb), dout = static_cast<double>(so);
  if (op == BinOp::kPrelu) {
    p.ma = quantize_multiplier(da / so);
    p.mo = quantize_multiplier(da * db / so);
    return true;
  }
  kernels::Activation act{};
  if (!fused_activation(ctx, op, act)) return false;
  const kernels::IntRange r = kernels::activation_range<int8_t>(act, so, p.o_zp);
  p.lo = r.min;
  p.hi = r.max;
  if (op == BinOp::kMul) {
    p.mo = quantize_multiplier(da * db / dout);
    return true;
  }
  const double twice_max = 2.0 * static_cast<double>(std::max(sa, sb));
  p.ma = quantize_multiplier(da / twice_max);
  p.mb = quantize_multiplier(db / twice_max);
  p.mo = quantize_multiplier(twice_max / (static_cast<double>(1 << kAddLeftShift) * dout));
  return true;
}

bool bin_op(const ops::OpContext& ctx, BinOp& op) {
  if (ctx.op().code.is_custom()) return false;
  switch (ctx.op().code.builtin) {
    case tflite::BuiltinOperator_ADD: op = BinOp::kAdd; return true;
    case tflite::BuiltinOperator_SUB: op = BinOp::kSub; return true;
    case tflite::BuiltinOperator_MUL: op = BinOp::kMul; return true;
    case tflite::BuiltinOperator_MAXIMUM: op = BinOp::kMax; return true;
    case tflite::BuiltinOperator_MINIMUM: op = BinOp::kMin; return true;
    case tflite::BuiltinOperator_PRELU: op = BinOp::kPrelu; return true;
    default: return false;
  }
}

}  // namespace

Expected<std::unique_ptr<FastKernel>> prepare_own_int_binary(const ops::OpContext& ctx, Backend& backend) {
  BinOp op{};
  if (!bin_op(ctx, op) || ctx.num_inputs() != 2 || !ctx.has_input(1) || ctx.num_outputs() != 1 ||
      ctx.input_dtype(0) != DType::kInt8 || ctx.input_dtype(1) != DType::kInt8 || ctx.output_dtype(0) != DType::kInt8)
    return std::unique_ptr<FastKernel>();
  for (const ir::Shape* s : {&ctx.input_shape(0), &ctx.input_shape(1), &ctx.output_shape(0)})
    for (auto d : *s)
      if (d < 0) return std::unique_ptr<FastKernel>();
  Params p;
  int repeat = -1;
  int64_t inner = 1;
  if (!fill_params(ctx, op, p) || !plan(ctx.input_shape(0), ctx.input_shape(1), ctx.output_shape(0), repeat, inner))
    return std::unique_ptr<FastKernel>();
  return std::unique_ptr<FastKernel>(new IntBinary(p, repeat, inner, ir::num_elements(ctx.output_shape(0)), backend));
}

}  // namespace tfc::runtime::fast
