// int8 DEPTHWISE_CONV_2D, our own AVX2 and AVX-512 kernel.
//
// Arithmetic: the int32 accumulator is bias[c] + sum over taps of
// (x - in_zp) * w, exactly as the reference computes it (padding contributes
// nothing), then the rescale of Int8ConvParams — the same float operations in
// the same order as XNNPACK's qc8 kernel and requantize_row, so the three int8
// depthwise kernels give identical outputs.
//
// Layout: each input row the window needs is widened once into a ring of
// int16 rows (x - in_zp; zeros in the padding and in the channels past the
// last one, which is rounded up to 16; with a depth multiplier m, output
// channel c reads input channel c / m). Taps go in pairs: two taps' int16
// values, interleaved, meet the pair's interleaved weights in one
// _mm256_madd_epi16, which adds both products into int32 lanes; an odd last
// tap pairs with a zero weight. A 16-channel block of one output pixel keeps
// two int32 vectors, channels {0-3, 8-11} and {4-7, 12-15} (the order of
// unpacklo / unpackhi), which _mm256_packs_epi32 puts back in order.
//
// AVX-512 (where FastOptions::int8_path allows kAvx512Vnni and the CPU has
// it): the same arithmetic on 32-channel blocks, _mm512_dpwssd_epi32 in place
// of madd + add (exact int32 sums either way), and the rescale on 512-bit
// vectors with the same float operations, so both paths give the same bytes.
// A 32-channel block keeps channels {0-3, 8-11, 16-19, 24-27} and
// {4-7, 12-15, 20-23, 28-31} (the 128-bit lanes of unpacklo / unpackhi).
//
// Threads: each task takes a band of output rows of one image, with a ring of
// its own.
#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "runtime/fast/fast_kernel.h"
#include "runtime/fast/simd.h"

namespace tfc::runtime::fast {

#if defined(TFC_HAVE_AVX2_KERNELS)
namespace {

constexpr int64_t kBlock = 16;      // channels per block (AVX2)
constexpr int64_t kWideBlock = 32;  // channels per block (AVX-512)
constexpr int64_t kMaxPairs = 32;   // windows up to 64 taps
#define TFC_AVX512 __attribute__((target("avx2,avx512f,avx512bw,avx512vnni")))

__attribute__((target("avx2"))) inline __m256i load(const void* p) {
  return _mm256_loadu_si256(static_cast<const __m256i*>(p));
}
TFC_AVX512 inline __m512i load512(const void* p) { return _mm512_loadu_si512(p); }

// Where channel j of a block of `block` channels sits among the block's int32
// accumulators: the unpacklo vector, then the unpackhi one, each by 128-bit
// lane (4 channels a lane). With 16 channels this is rescale_lane (simd.h).
int64_t block_lane(int64_t j, int64_t block) { return j % 8 / 4 * (block / 2) + j / 8 * 4 + j % 4; }

struct Int8Rescale512 {
  __m512 lo, hi;
  __m512i zero_point16;
};
// store_rescaled_int8x16 (simd.h) on a 32-channel block, in block_lane order:
// the same float operations, then packs_epi32 per 128-bit lane puts the
// channels back in order.
TFC_AVX512 inline void store_rescaled_int8x32(int8_t* out, int64_t count, __m512i a, __m512i b, __m512 scale_a,
                                              __m512 scale_b, const Int8Rescale512& r) {
  const __m512 fa = _mm512_min_ps(_mm512_max_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(a), scale_a), r.lo), r.hi);
  const __m512 fb = _mm512_min_ps(_mm512_max_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(b), scale_b), r.lo), r.hi);
  const __m512i q16 =
      _mm512_adds_epi16(_mm512_packs_epi32(_mm512_cvtps_epi32(fa), _mm512_cvtps_epi32(fb)), r.zero_point16);
  const __m256i v = _mm512_cvtsepi16_epi8(q16);
  if (count >= 32) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), v);
  } else {
    alignas(32) int8_t tmp[32];
    _mm256_store_si256(reinterpret_cast<__m256i*>(tmp), v);
    std::memcpy(out, tmp, static_cast<size_t>(count));
  }
}

int64_t floor_mod(int64_t a, int64_t m) {
  const int64_t r = a % m;
  return r < 0 ? r + m : r;
}

class OwnInt8Depthwise final : public FastKernel {
 public:
  OwnInt8Depthwise(const ops::OpContext& ctx, Int8ConvParams p, bool wide, Backend& backend)
      : g_(p.g), backend_(backend), in_zp_(p.in_zp), out_zp_(p.out_zp), lo_(p.lo), hi_(p.hi), wide_(wide) {
    cin_ = g_.in_channels();
    cout_ = g_.out_channels();
    multiplier_ = g_.group_out;
    block_ = wide_ ? kWideBlock : kBlock;
    cp_ = (cout_ + block_ - 1) / block_ * block_;
    blocks_ = cp_ / block_;
    width_ = g_.pl + g_.iw + std::max<int64_t>((g_.ow - 1) * g_.sw + (g_.kw - 1) * g_.dw + 1 - g_.pl - g_.iw, 0);
    ring_ = (g_.kh - 1) * g_.dh + 1;
    const int64_t taps = g_.kh * g_.kw;
    pairs_ = (taps + 1) / 2;
    // Tap t of pair order: (row in the window, offset in the widened row).
    for (int64_t t = 0; t < 2 * pairs_; ++t) {
      const int64_t k = std::min(t, taps - 1);
      tap_row_.push_back(k / g_.kw);
      tap_offset_.push_back(k % g_.kw * g_.dw * cp_);
    }
    // Weights, per block and pair: the two taps of each channel side by side,
    // channels in block_lane order (16 channels: {0-3, 8-11} then {4-7, 12-15}).
    const auto* w = ctx.input<int8_t>(1);
    weights_.assign(static_cast<size_t>(blocks_ * pairs_ * 2 * block_), 0);
    bias_.assign(static_cast<size_t>(cp_), 0);
    scale_.assign(static_cast<size_t>(cp_), 0.0f);
    const auto* bias = ctx.has_input(2) ? ctx.input<int32_t>(2) : nullptr;
    for (int64_t c = 0; c < cp_; ++c) {
      const int64_t block = c / block_, lane = block_lane(c % block_, block_);
      const size_t at = static_cast<size_t>(block * block_ + lane);
      if (c < cout_) {
        bias_[at] = bias ? bias[c] : 0;
        scale_[at] = p.scales[static_cast<size_t>(c)];
      }
      for (int64_t pr = 0; pr < pairs_; ++pr)
        for (int64_t e = 0; e < 2; ++e) {
          const int64_t t = 2 * pr + e;
          const int16_t v = c < cout_ && t < taps ? w[t * cout_ + c] : 0;
          weights_[static_cast<size_t>((block * pairs_ + pr) * 2 * block_ + lane * 2 + e)] = v;
        }
    }
  }

  Status run(ops::OpContext& ctx) override {
    const auto* in = ctx.input<int8_t>(0);
    auto* out = ctx.output<int8_t>(0);
    const int64_t bands = std::min<int64_t>(g_.oh, backend_.count());
    const int64_t tasks = g_.batch * bands;
    const int64_t ring_elems = ring_ * width_ * cp_;
    auto* scratch = reinterpret_cast<int16_t*>(
        backend_.scratch(0, static_cast<size_t>((tasks * ring_elems * 2 + 3) / 4)));
    ring_rows_.assign(static_cast<size_t>(tasks * ring_), std::numeric_limits<int64_t>::min());
    backend_.parallel(tasks, [&](int64_t t) {
      const int64_t n = t / bands, b = t % bands;
      run_band(in + n * g_.ih * g_.iw * cin_, out + n * g_.oh * g_.ow * cout_, g_.oh * b / bands,
               g_.oh * (b + 1) / bands, scratch + t * ring_elems, ring_rows_.data() + t * ring_);
    });
    return Status::ok();
  }
  const char* library() const override { return wide_ ? "own-avx512vnni" : "own"; }

 private:
  void run_band(const int8_t* in, int8_t* out, int64_t r0, int64_t r1, int16_t* ring, int64_t* ring_rows) const {
    // The window's rows are ring_ consecutive input rows, so their slots
    // (row mod ring_) differ, and a slot is refilled only once the window
    // has moved past its row.
    const int16_t* rows[2 * kMaxPairs];  // kh <= taps <= 2 * kMaxPairs
    const int64_t row_elems = width_ * cp_;
    for (int64_t oy = r0; oy < r1; ++oy) {
      const int64_t top = oy * g_.sh - g_.pt;
      for (int64_t i = 0; i < g_.kh; ++i) {
        const int64_t y = top + i * g_.dh;
        const int64_t slot = floor_mod(y, ring_);
        int16_t* dst = ring + slot * row_elems;
        if (ring_rows[slot] != y) {
          widen_row(in, y, dst);
          ring_rows[slot] = y;
        }
        rows[i] = dst;
      }
      if (wide_) {
        compute_row_512(rows, out + oy * g_.ow * cout_);
      } else {
        compute_row(rows, out + oy * g_.ow * cout_);
      }
    }
  }

  // Input row y as int16 x - in_zp, padded to width_ pixels of cp_ channels.
  __attribute__((target("avx2"))) void widen_row(const int8_t* in, int64_t y, int16_t* dst) const {
    const int64_t row_elems = width_ * cp_;
    if (y < 0 || y >= g_.ih) {
      std::memset(dst, 0, static_cast<size_t>(row_elems) * sizeof(int16_t));
      return;
    }
    std::memset(dst, 0, static_cast<size_t>(g_.pl * cp_) * sizeof(int16_t));
    const int64_t right = width_ - g_.pl - g_.iw;
    std::memset(dst + (g_.pl + g_.iw) * cp_, 0, static_cast<size_t>(right * cp_) * sizeof(int16_t));
    const int8_t* src = in + y * g_.iw * cin_;
    int16_t* d = dst + g_.pl * cp_;
    for (int64_t x = 0; x < g_.iw; ++x, src += cin_, d += cp_) {
      int64_t c = 0;
      if (multiplier_ == 1) {
        widen_int8(src, cout_, static_cast<int16_t>(in_zp_), d);
        c = cout_;
      }
      for (; c < cout_; ++c) d[c] = static_cast<int16_t>(src[c / multiplier_] - in_zp_);
      for (; c < cp_; ++c) d[c] = 0;
    }
  }

  __attribute__((target("avx2"))) void compute_row(const int16_t* const* rows, int8_t* out) const {
    if (g_.kh == 3 && g_.kw == 3 && g_.dw == 1) {
      compute_row_3x3(rows, out);
      return;
    }
    const Int8Rescale rescale{_mm256_set1_ps(lo_), _mm256_set1_ps(hi_), _mm256_set1_epi16(static_cast<int16_t>(out_zp_))};
    const int64_t step = g_.sw * cp_;
    for (int64_t block = 0; block < blocks_; ++block) {
      const int16_t* w = weights_.data() + block * pairs_ * 32;
      const __m256i bias0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bias_.data() + block * kBlock));
      const __m256i bias1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bias_.data() + block * kBlock + 8));
      const __m256 scale0 = _mm256_loadu_ps(scale_.data() + block * kBlock);
      const __m256 scale1 = _mm256_loadu_ps(scale_.data() + block * kBlock + 8);
      // Each tap's first element for output pixel 0 of this block.
      const int16_t* tap[2 * kMaxPairs];
      for (int64_t t = 0; t < 2 * pairs_; ++t)
        tap[t] = rows[tap_row_[static_cast<size_t>(t)]] + tap_offset_[static_cast<size_t>(t)] + block * kBlock;
      const int64_t valid = std::min<int64_t>(kBlock, cout_ - block * kBlock);
      int8_t* o = out + block * kBlock;
      for (int64_t ox = 0; ox < g_.ow; ++ox, o += cout_) {
        const int64_t at = ox * step;
        __m256i acc0 = bias0, acc1 = bias1;
        for (int64_t pr = 0; pr < pairs_; ++pr) {
          const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tap[2 * pr] + at));
          const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tap[2 * pr + 1] + at));
          const __m256i w0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + pr * 32));
          const __m256i w1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + pr * 32 + 16));
          acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(_mm256_unpacklo_epi16(a, b), w0));
          acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(_mm256_unpackhi_epi16(a, b), w1));
        }
        store_rescaled_int8x16(o, valid, acc0, acc1, scale0, scale1, rescale);
      }
    }
  }

  // compute_row for the common 3x3 window (dilation 1 along W): the nine taps
  // as three row pointers and two fixed offsets, the pairs unrolled, taps
  // (0,1) (2,3) (4,5) (6,7) (8, zero).
  __attribute__((target("avx2"))) void compute_row_3x3(const int16_t* const* rows, int8_t* out) const {
    const Int8Rescale rescale{_mm256_set1_ps(lo_), _mm256_set1_ps(hi_), _mm256_set1_epi16(static_cast<int16_t>(out_zp_))};
    const int64_t step = g_.sw * cp_, c1 = cp_, c2 = 2 * cp_;
    const __m256i zero = _mm256_setzero_si256();
    for (int64_t block = 0; block < blocks_; ++block) {
      const int16_t* w = weights_.data() + block * pairs_ * 32;
      const __m256i bias0 = load(bias_.data() + block * kBlock);
      const __m256i bias1 = load(bias_.data() + block * kBlock + 8);
      const __m256 scale0 = _mm256_loadu_ps(scale_.data() + block * kBlock);
      const __m256 scale1 = _mm256_loadu_ps(scale_.data() + block * kBlock + 8);
      const int16_t* r0 = rows[0] + block * kBlock;
      const int16_t* r1 = rows[1] + block * kBlock;
      const int16_t* r2 = rows[2] + block * kBlock;
      const int64_t valid = std::min<int64_t>(kBlock, cout_ - block * kBlock);
      int8_t* o = out + block * kBlock;
      for (int64_t at = 0, ox = 0; ox < g_.ow; ++ox, at += step, o += cout_) {
        const int16_t *p0 = r0 + at, *p1 = r1 + at, *p2 = r2 + at;
        const __m256i t0 = load(p0), t1 = load(p0 + c1), t2 = load(p0 + c2);
        const __m256i t3 = load(p1), t4 = load(p1 + c1), t5 = load(p1 + c2);
        const __m256i t6 = load(p2), t7 = load(p2 + c1), t8 = load(p2 + c2);
        const __m256i lo0 = _mm256_add_epi32(_mm256_madd_epi16(_mm256_unpacklo_epi16(t0, t1), load(w)),
                                             _mm256_madd_epi16(_mm256_unpacklo_epi16(t2, t3), load(w + 32)));
        const __m256i lo1 = _mm256_add_epi32(_mm256_madd_epi16(_mm256_unpacklo_epi16(t4, t5), load(w + 64)),
                                             _mm256_madd_epi16(_mm256_unpacklo_epi16(t6, t7), load(w + 96)));
        const __m256i lo2 = _mm256_add_epi32(_mm256_madd_epi16(_mm256_unpacklo_epi16(t8, zero), load(w + 128)), bias0);
        const __m256i hi0 = _mm256_add_epi32(_mm256_madd_epi16(_mm256_unpackhi_epi16(t0, t1), load(w + 16)),
                                             _mm256_madd_epi16(_mm256_unpackhi_epi16(t2, t3), load(w + 48)));
        const __m256i hi1 = _mm256_add_epi32(_mm256_madd_epi16(_mm256_unpackhi_epi16(t4, t5), load(w + 80)),
                                             _mm256_madd_epi16(_mm256_unpackhi_epi16(t6, t7), load(w + 112)));
        const __m256i hi2 = _mm256_add_epi32(_mm256_madd_epi16(_mm256_unpackhi_epi16(t8, zero), load(w + 144)), bias1);
        const __m256i acc0 = _mm256_add_epi32(_mm256_add_epi32(lo0, lo1), lo2);
        const __m256i acc1 = _mm256_add_epi32(_mm256_add_epi32(hi0, hi1), hi2);
        store_rescaled_int8x16(o, valid, acc0, acc1, scale0, scale1, rescale);
      }
    }
  }

  // compute_row on 32-channel blocks (AVX-512).
  TFC_AVX512 void compute_row_512(const int16_t* const* rows, int8_t* out) const {
    if (g_.kh == 3 && g_.kw == 3 && g_.dw == 1) {
      compute_row_3x3_512(rows, out);
      return;
    }
    const Int8Rescale512 rescale{_mm512_set1_ps(lo_), _mm512_set1_ps(hi_),
                                 _mm512_set1_epi16(static_cast<int16_t>(out_zp_))};
    const int64_t step = g_.sw * cp_;
    for (int64_t block = 0; block < blocks_; ++block) {
      const int16_t* w = weights_.data() + block * pairs_ * 2 * kWideBlock;
      const __m512i bias0 = load512(bias_.data() + block * kWideBlock);
      const __m512i bias1 = load512(bias_.data() + block * kWideBlock + 16);
      const __m512 scale0 = _mm512_loadu_ps(scale_.data() + block * kWideBlock);
      const __m512 scale1 = _mm512_loadu_ps(scale_.data() + block * kWideBlock + 16);
      const int16_t* tap[2 * kMaxPairs];
      for (int64_t t = 0; t < 2 * pairs_; ++t)
        tap[t] = rows[tap_row_[static_cast<size_t>(t)]] + tap_offset_[static_cast<size_t>(t)] + block * kWideBlock;
      const int64_t valid = std::min<int64_t>(kWideBlock, cout_ - block * kWideBlock);
      int8_t* o = out + block * kWideBlock;
      for (int64_t ox = 0; ox < g_.ow; ++ox, o += cout_) {
        const int64_t at = ox * step;
        __m512i acc0 = bias0, acc1 = bias1;
        for (int64_t pr = 0; pr < pairs_; ++pr) {
          const __m512i a = load512(tap[2 * pr] + at), b = load512(tap[2 * pr + 1] + at);
          acc0 = _mm512_dpwssd_epi32(acc0, _mm512_unpacklo_epi16(a, b), load512(w + pr * 64));
          acc1 = _mm512_dpwssd_epi32(acc1, _mm512_unpackhi_epi16(a, b), load512(w + pr * 64 + 32));
        }
        store_rescaled_int8x32(o, valid, acc0, acc1, scale0, scale1, rescale);
      }
    }
  }

  // compute_row_3x3 on 32-channel blocks (AVX-512).
  TFC_AVX512 void compute_row_3x3_512(const int16_t* const* rows, int8_t* out) const {
    const Int8Rescale512 rescale{_mm512_set1_ps(lo_), _mm512_set1_ps(hi_),
                                 _mm512_set1_epi16(static_cast<int16_t>(out_zp_))};
    const int64_t step = g_.sw * cp_, c1 = cp_, c2 = 2 * cp_;
    const __m512i zero = _mm512_setzero_si512();
    for (int64_t block = 0; block < blocks_; ++block) {
      const int16_t* w = weights_.data() + block * pairs_ * 2 * kWideBlock;
      const __m512i w0 = load512(w), w1 = load512(w + 64), w2 = load512(w + 128), w3 = load512(w + 192),
                    w4 = load512(w + 256);
      const __m512i v0 = load512(w + 32), v1 = load512(w + 96), v2 = load512(w + 160), v3 = load512(w + 224),
                    v4 = load512(w + 288);
      const __m512i bias0 = load512(bias_.data() + block * kWideBlock);
      const __m512i bias1 = load512(bias_.data() + block * kWideBlock + 16);
      const __m512 scale0 = _mm512_loadu_ps(scale_.data() + block * kWideBlock);
      const __m512 scale1 = _mm512_loadu_ps(scale_.data() + block * kWideBlock + 16);
      const int16_t* r0 = rows[0] + block * kWideBlock;
      const int16_t* r1 = rows[1] + block * kWideBlock;
      const int16_t* r2 = rows[2] + block * kWideBlock;
      const int64_t valid = std::min<int64_t>(kWideBlock, cout_ - block * kWideBlock);
      int8_t* o = out + block * kWideBlock;
      for (int64_t at = 0, ox = 0; ox < g_.ow; ++ox, at += step, o += cout_) {
        const int16_t *p0 = r0 + at, *p1 = r1 + at, *p2 = r2 + at;
        const __m512i t0 = load512(p0), t1 = load512(p0 + c1), t2 = load512(p0 + c2);
        const __m512i t3 = load512(p1), t4 = load512(p1 + c1), t5 = load512(p1 + c2);
        const __m512i t6 = load512(p2), t7 = load512(p2 + c1), t8 = load512(p2 + c2);
        __m512i lo0 = _mm512_dpwssd_epi32(bias0, _mm512_unpacklo_epi16(t0, t1), w0);
        __m512i lo1 = _mm512_madd_epi16(_mm512_unpacklo_epi16(t2, t3), w1);
        __m512i hi0 = _mm512_dpwssd_epi32(bias1, _mm512_unpackhi_epi16(t0, t1), v0);
        __m512i hi1 = _mm512_madd_epi16(_mm512_unpackhi_epi16(t2, t3), v1);
        lo0 = _mm512_dpwssd_epi32(lo0, _mm512_unpacklo_epi16(t4, t5), w2);
        lo1 = _mm512_dpwssd_epi32(lo1, _mm512_unpacklo_epi16(t6, t7), w3);
        hi0 = _mm512_dpwssd_epi32(hi0, _mm512_unpackhi_epi16(t4, t5), v2);
        hi1 = _mm512_dpwssd_epi32(hi1, _mm512_unpackhi_epi16(t6, t7), v3);
        lo0 = _mm512_dpwssd_epi32(lo0, _mm512_unpacklo_epi16(t8, zero), w4);
        hi0 = _mm512_dpwssd_epi32(hi0, _mm512_unpackhi_epi16(t8, zero), v4);
        store_rescaled_int8x32(o, valid, _mm512_add_epi32(lo0, lo1), _mm512_add_epi32(hi0, hi1), scale0, scale1,
                               rescale);
      }
    }
  }

  ConvGeometry g_;
  Backend& backend_;
  int32_t in_zp_, out_zp_;
  float lo_, hi_;
  bool wide_;  // AVX-512: 32-channel blocks
  int64_t block_ = kBlock;
  int64_t cin_ = 0, cout_ = 0, multiplier_ = 1, cp_ = 0, blocks_ = 0, width_ = 0, ring_ = 1, pairs_ = 0;
  std::vector<int64_t> tap_row_, tap_offset_;
  std::vector<int16_t> weights_;
  std::vector<int32_t> bias_;
  std::vector<float> scale_;
  std::vector<int64_t> ring_rows_;  // per task: the input row in each ring slot
};

}  // namespace

Expected<std::unique_ptr<FastKernel>> prepare_own_int8_depthwise(const ops::OpContext& ctx, Backend& backend,
                                                                 const FastOptions& options) {
  if (ctx.op().code.is_custom() || ctx.op().code.builtin != tflite::BuiltinOperator_DEPTHWISE_CONV_2D)
    return std::unique_ptr<FastKernel>();
  const Int8DotPath path = allowed_int8_path(options);
  if (path == Int8DotPath::kScalar) return std::unique_ptr<FastKernel>();
  Int8ConvParams p;
  if (!int8_conv_params(ctx, /*depthwise=*/true, p)) return std::unique_ptr<FastKernel>();
  if (p.g.group_in != 1 || (p.g.kh * p.g.kw + 1) / 2 > kMaxPairs) return std::unique_ptr<FastKernel>();
  return std::unique_ptr<FastKernel>(new OwnInt8Depthwise(ctx, std::move(p), path >= Int8DotPath::kAvx512Vnni, backend));
}

#else

Expected<std::unique_ptr<FastKernel>> prepare_own_int8_depthwise(const ops::OpContext&, Backend&, const FastOptions&) {
  return std::unique_ptr<FastKernel>();
}

#endif

}  // namespace tfc::runtime::fast
