// int8 and hybrid CONV_2D (one group), our own AVX2 / AVX-VNNI kernel: a
// matrix product of the output pixels' windows (rows) and the filters
// (columns).
//
// Arithmetic: exact int32 sums of (x - zp) * w, then
// - int8 (int8 input and output): plus the int32 bias, then the rescale of
//   Int8ConvParams, as int8_depthwise.cc, so the outputs are those of
//   XNNPACK's qc8 kernel and of the exact-float kernel;
// - hybrid (float32 input and output, int8 weights): x is the input quantized
//   per image at run time (quantize_hybrid_input), and the sums are rescaled
//   by the reference's float expression in its order (kernels/hybrid_ref.h),
//   so the outputs are the reference kernel's bytes.
// The products: AVX2 multiplies int16 pairs and adds them with
// _mm256_madd_epi16, then adds that to the accumulator; AVX-VNNI does both in
// one _mm256_dpwssd_avx_epi32. With AVX-512 VNNI the values stay bytes:
// u = x + 128 (x ^ 0x80) as uint8, quads of depth positions, and one
// _mm512_dpbusd_epi32 adds four u8 x s8 products into each of 16 int32 lanes
// (16 filters); sum w * (x - zp) = sum w * u - (128 + zp) * sum w, taken off
// per pixel at the end, and a padded tap holds u = zp + 128, which the same
// correction cancels. All are exact, so they give the same sums; the fastest
// the CPU has is used unless FastOptions::int8_path says less.
//
// Layout:
// - the input, widened once per run to int16 x - in_zp inside a zero border
//   (the conv's padding), so a window never leaves the buffer; a 1x1 conv
//   with stride 1 and no padding instead widens a chunk of pixels at a time
//   into a buffer per task that stays in cache;
// - a window is a few segments of that image, each contiguous: per window row
//   its kw * cin values when the dilation along W is 1, else per tap its cin
//   values; a segment of odd length is read one value on, against a zero
//   weight (so pairs never straddle two segments);
// - columns (B), packed at load: per block of 16 filters and per pair of
//   positions (k, k+1) inside a segment, two vectors of eight (w[k], w[k+1]);
// - a 6x16 tile keeps 12 int32 vectors; each step broadcasts a pixel's
//   (x[k], x[k+1]) pair and adds both products with one _mm256_madd_epi16
//   per vector. Nothing is summed across lanes, so a short depth (16, 24,
//   32 channels in MobileNet's early layers) costs no reduction. A last
//   block of at most 8 filters takes a half-width tile.
//
// Threads: the widening is split by image rows, then each task takes a range
// of output pixels, in chunks that stay in L2 while every block of filters
// passes over them.
#include <algorithm>
#include <cstring>
#include <type_traits>
#include <vector>

#include "kernels/common.h"
#include "runtime/fast/fast_kernel.h"
#include "runtime/fast/int8_dot.h"
#include "runtime/fast/simd.h"

namespace tfc::runtime::fast {

#if defined(TFC_HAVE_AVX2_KERNELS)
namespace {

constexpr int64_t kMr = 6;   // pixels per tile (tile() names its accumulators)
constexpr int64_t kNr = 16;  // filters per tile
// int16 elements of a chunk of rows: about 96 KiB, so that a chunk stays in
// L2 while every block of filters passes over it.
constexpr int64_t kChunkElems = 48 * 1024;
// AMX: windows packed per task at a time (two tiles of 16 rows), and the
// depth of one tile product (64 bytes per row).
constexpr int64_t kAmxRows = 32;
constexpr int64_t kAmxDepth = 64;

// Two int16 values at p, broadcast as one int32 to every lane.
__attribute__((target("avx2"))) inline __m256i broadcast_pair(const int16_t* p) {
  int32_t v;
  std::memcpy(&v, p, sizeof(v));
  return _mm256_set1_epi32(v);
}

// The accumulators of a tile: kMr pixels by filters 0-7 and 8-15 of a block.
using TileSums = __m256i[kMr][2];

// What a hybrid conv's sums become: the reference's
//   per-channel weights: v = float(acc) * w_scale[c] * image_scale
//   per-tensor weights:  v = float(acc) * (image_scale * w_scale)
// then v += bias[c] where there is a bias, then the activation's clamp.
struct HybridRescale {
  std::vector<float> w_scales;  // per filter, blocks * kNr (per tensor: the one scale)
  std::vector<float> bias;      // per filter, blocks * kNr; empty without a bias
  bool per_channel = false;
  float lo = 0, hi = 0;         // kernels::FloatClamp's bounds
};

class OwnGemmConv final : public FastKernel {
 public:
  // int8: p's rescale and the int32 bias; hybrid (`hybrid` given): p's
  // scales unused, zero points set per run.
  OwnGemmConv(const ops::OpContext& ctx, Int8ConvParams p, const HybridRescale* hybrid, Int8DotPath path,
              Backend& backend)
      : g_(p.g), backend_(backend), in_zp_(p.in_zp), out_zp_(p.out_zp), lo_(p.lo), hi_(p.hi),
        vnni_(path == Int8DotPath::kAvxVnni), quads_(path == Int8DotPath::kAvx512Vnni), amx_(path == Int8DotPath::kAmx),
        hybrid_(hybrid != nullptr),
        zps_(static_cast<size_t>(p.g.batch), p.in_zp), image_quant_(static_cast<size_t>(p.g.batch)) {
    if (hybrid) rescale_ = *hybrid;
    cin_ = g_.in_channels();
    n_ = g_.out_channels();
    blocks_ = (n_ + kNr - 1) / kNr;
    height_ = g_.pt + g_.ih + g_.pb;
    width_ = g_.pl + g_.iw + g_.pr;
    // Segments of the window, as offsets from its first value.
    const int64_t row = width_ * cin_;
    if (g_.dw == 1) {
      segment_ = g_.kw * cin_;
      for (int64_t ky = 0; ky < g_.kh; ++ky) segments_.push_back(ky * g_.dh * row);
    } else {
      segment_ = cin_;
      for (int64_t ky = 0; ky < g_.kh; ++ky)
        for (int64_t kx = 0; kx < g_.kw; ++kx) segments_.push_back(ky * g_.dh * row + kx * g_.dw * cin_);
    }
    segment_pairs_ = (segment_ + 1) / 2;
    direct_ = g_.kh == 1 && g_.kw == 1 && g_.sh == 1 && g_.sw == 1 && g_.pt == 0 && g_.pl == 0 && g_.pb == 0 &&
              g_.pr == 0;
    const int64_t pairs = segment_pairs_ * static_cast<int64_t>(segments_.size());
    chunk_ = std::max<int64_t>(kChunkElems / (2 * pairs) / kMr, 1) * kMr;
    segment_quads_ = (segment_ + 3) / 4;
    const int64_t quads = segment_quads_ * static_cast<int64_t>(segments_.size());
    // Bytes per window (quads): the same L2 budget as the int16 chunk.
    if (quads_) chunk_ = std::max<int64_t>(2 * kChunkElems / (4 * quads) / kMr, 1) * kMr;
    // Filter n's value at (segment s, position j) is w[n][s * segment_ + j]
    // in TFLite's [n][kh][kw][cin] order, for either kind of segment.
    const auto* w = ctx.input<int8_t>(1);
    const int64_t k = g_.kh * g_.kw * cin_;
    const auto* bias = !hybrid_ && ctx.has_input(2) ? ctx.input<int32_t>(2) : nullptr;
    // AMX: the window's k values in TFLite's order, in quads, up to kp_.
    depth_ = k;
    kp_ = (k + 3) / 4 * 4 <= kAmxDepth ? (k + 3) / 4 * 4 : (k + kAmxDepth - 1) / kAmxDepth * kAmxDepth;
    if (amx_) {
      assign_b8(blocks_ * kp_ * kNr);
      configure_tiles();
    } else if (quads_) {
      assign_b8(blocks_ * quads * 64);
    } else {
      b_.assign(static_cast<size_t>(blocks_ * pairs * 32), 0);
    }
    wsum_.assign(static_cast<size_t>(blocks_ * kNr), 0);
    bias_.assign(static_cast<size_t>(blocks_ * kNr), 0);
    scale_.assign(static_cast<size_t>(blocks_ * kNr), 0.0f);
    for (int64_t n = 0; n < n_; ++n) {
      const int64_t block = n / kNr, col = n % kNr;
      bias_[static_cast<size_t>(n)] = bias ? bias[n] : 0;
      if (!hybrid_) scale_[static_cast<size_t>(block * kNr + rescale_lane(col))] = p.scales[static_cast<size_t>(n)];
      for (int64_t s = 0; s < static_cast<int64_t>(segments_.size()); ++s)
        for (int64_t j = 0; j < segment_; ++j) {
          const int8_t v = w[n * k + s * segment_ + j];
          wsum_[static_cast<size_t>(n)] += v;
          if (amx_) {
            const int64_t j1 = s * segment_ + j;  // the value's place in the window
            b8_[static_cast<size_t>(((block * kp_ / 4 + j1 / 4) * kNr + col) * 4 + j1 % 4)] = v;
          } else if (quads_) {
            const int64_t quad = s * segment_quads_ + j / 4;
            b8_[static_cast<size_t>(((block * quads + quad) * kNr + col) * 4 + j % 4)] = v;
          } else {
            const int64_t pair = s * segment_pairs_ + j / 2;
            b_[static_cast<size_t>((block * pairs + pair) * 32 + col * 2 + j % 2)] = v;
          }
        }
    }
    if (amx_ && !hybrid_) {
      // int8 on AMX: bias - (128 + in_zp) * sum w per filter, and the scales in filter order.
      offset_.assign(static_cast<size_t>(blocks_ * kNr), 0);
      scale_natural_.assign(static_cast<size_t>(blocks_ * kNr), 0.0f);
      for (int64_t n = 0; n < n_; ++n) {
        const auto i = static_cast<size_t>(n);
        offset_[i] = bias_[i] - (128 + in_zp_) * wsum_[i];
        scale_natural_[i] = p.scales[i];
      }
    }
  }

  Status run(ops::OpContext& ctx) override {
    const int8_t* in = nullptr;
    void* out = nullptr;
    if (hybrid_) {
      // The input quantized per image (asymmetric with per-channel weights).
      const float* x = ctx.input<float>(0);
      const int64_t image = g_.ih * g_.iw * cin_;
      auto* q = reinterpret_cast<int8_t*>(backend_.scratch(1, static_cast<size_t>(g_.batch * image + 3) / 4));
      for (int64_t n = 0; n < g_.batch; ++n) {
        const auto i = static_cast<size_t>(n);
        image_quant_[i] = quantize_hybrid_input(rescale_.per_channel, x + n * image, image, q + n * image);
        zps_[i] = image_quant_[i].zero_point;
      }
      in = q;
      out = ctx.output<float>(0);
    } else {
      in = ctx.input<int8_t>(0);
      out = ctx.output<int8_t>(0);
    }
    if (amx_) return run_amx(in, out);
    if (quads_) return run_quads(in, out);
    const int64_t pixels = g_.batch * g_.oh * g_.ow;
    const int64_t tiles = (pixels + kMr - 1) / kMr;
    const int64_t tasks = std::min<int64_t>(backend_.count(), tiles);
    if (direct_) {
      // A 1x1 conv's windows are its input pixels: each task widens a chunk
      // at a time into a buffer of its own, which stays in cache.
      const int64_t chunk = chunk_ * cin_ + 16;
      auto* buffers =
          reinterpret_cast<int16_t*>(backend_.scratch(0, static_cast<size_t>(tasks * chunk * 2 + 3) / 4));
      backend_.parallel(tasks, [&](int64_t k) {
        run_range(in, buffers + k * chunk, out, tiles * k / tasks * kMr,
                  std::min(tiles * (k + 1) / tasks * kMr, pixels));
      });
      return Status::ok();
    }
    const int64_t image = height_ * width_ * cin_;
    // One value of slack: the last pixel's odd segment reads one on.
    auto* padded = reinterpret_cast<int16_t*>(
        backend_.scratch(0, static_cast<size_t>((g_.batch * image + 16) * 2 + 3) / 4));
    const int64_t rows = g_.batch * height_;
    const int64_t bands = std::min<int64_t>(backend_.count(), rows);
    backend_.parallel(bands, [&](int64_t k) {
      for (int64_t r = rows * k / bands; r < rows * (k + 1) / bands; ++r) widen_row(in, r, padded);
    });
    padded[g_.batch * image] = 0;
    backend_.parallel(tasks, [&](int64_t k) {
      run_range(nullptr, padded, out, tiles * k / tasks * kMr, std::min(tiles * (k + 1) / tasks * kMr, pixels));
    });
    return Status::ok();
  }
  const char* library() const override {
    return amx_ ? "own-amx" : quads_ ? "own-avx512vnni" : vnni_ ? "own-vnni" : "own";
  }

 private:
  // n zero bytes for the quads, 64-byte aligned.
  void assign_b8(int64_t n) {
    b8_storage_.assign(static_cast<size_t>(n + 63), 0);
    b8_ = b8_storage_.data() + (64 - reinterpret_cast<uintptr_t>(b8_storage_.data()) % 64) % 64;
  }

  // AMX's tile configuration (palette 1), as LDTILECFG reads it.
  struct alignas(64) TileConfig {
    uint8_t palette = 1, start_row = 0;
    uint8_t reserved[14] = {};
    uint16_t colsb[16] = {};  // bytes per row of each tile
    uint8_t rows[16] = {};
  };

  // Tiles 0-3: int32 sums of 16 pixels x 16 filters (pixels 0-15 and 16-31
  // by blocks b and b + 1); 4, 5: the two 16-pixel halves' bytes, kAmxDepth
  // (or all kp_ of a shorter window) per row; 6, 7: the two blocks' weights,
  // one row per quad of depth.
  void configure_tiles() {
    const int64_t step = std::min(kp_, kAmxDepth);
    for (int t = 0; t < 4; ++t) tiles_.rows[t] = 16, tiles_.colsb[t] = 64;
    for (int t = 4; t < 6; ++t) tiles_.rows[t] = 16, tiles_.colsb[t] = static_cast<uint16_t>(step);
    for (int t = 6; t < 8; ++t) tiles_.rows[t] = static_cast<uint8_t>(step / 4), tiles_.colsb[t] = 64;
  }

  // run() on AMX tiles: every task packs 32 windows at a time (u = x + 128,
  // kp_ bytes each, zeros past the window), multiplies them with every pair
  // of filter blocks, and takes the sums through the quads' epilogue.
  Status run_amx(const int8_t* in, void* out) {
    const int64_t pixels = g_.batch * g_.oh * g_.ow;
    const int64_t groups = (pixels + kAmxRows - 1) / kAmxRows;
    const int64_t tasks = std::min<int64_t>(backend_.count(), groups);
    const int64_t image = direct_ ? 0 : (g_.batch * height_ * width_ * cin_ + 63) / 64 * 64;
    const int64_t per_task = kAmxRows * kp_ + kAmxRows * 2 * kNr * 4;  // the windows, then the sums
    auto* base = reinterpret_cast<uint8_t*>(
        backend_.scratch(0, static_cast<size_t>(image + 64 + tasks * per_task + 64 + 3) / 4));
    uint8_t* padded = base + (64 - reinterpret_cast<uintptr_t>(base) % 64) % 64;
    uint8_t* buffers = padded + image + 64;
    if (!direct_) {
      const int64_t rows = g_.batch * height_;
      const int64_t bands = std::min<int64_t>(backend_.count(), rows);
      backend_.parallel(bands, [&](int64_t k) {
        for (int64_t r = rows * k / bands; r < rows * (k + 1) / bands; ++r) shift_row(in, r, padded);
      });
    }
    backend_.parallel(tasks, [&](int64_t k) {
      amx_range(direct_ ? in : nullptr, padded, buffers + k * per_task, out, groups * k / tasks * kAmxRows,
                std::min(groups * (k + 1) / tasks * kAmxRows, pixels));
    });
    return Status::ok();
  }

  // n bytes from src to dst, each ^ `flip`, 64 at a time.
  __attribute__((target("avx512f,avx512bw"))) static void copy_bytes(const void* src, int64_t n, uint8_t* dst,
                                                                    __m512i flip) {
    const auto* from = static_cast<const uint8_t*>(src);
    for (int64_t i = 0; i < n; i += 64) {
      const __mmask64 m = n - i >= 64 ? ~__mmask64{0} : (__mmask64{1} << (n - i)) - 1;
      _mm512_mask_storeu_epi8(dst + i, m, _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, from + i), flip));
    }
  }

  // Pixel p's window as bytes u = x + 128 (a direct conv's input pixel, else
  // the window's segments of the padded byte image), then zeros up to kp_.
  __attribute__((target("avx512f,avx512bw"))) void pack_window(const int8_t* in, const uint8_t* padded, int64_t p,
                                                              uint8_t* dst) const {
    if (in) {
      copy_bytes(in + p * cin_, cin_, dst, _mm512_set1_epi8(static_cast<char>(0x80)));
    } else {
      const int64_t ox = p % g_.ow, oy = p / g_.ow % g_.oh, n = p / (g_.ow * g_.oh);
      const uint8_t* window = padded + ((n * height_ + oy * g_.sh) * width_ + ox * g_.sw) * cin_;
      for (size_t s = 0; s < segments_.size(); ++s)
        copy_bytes(window + segments_[s], segment_, dst + static_cast<int64_t>(s) * segment_, _mm512_setzero_si512());
    }
    for (int64_t i = depth_; i < kp_; i += 64)
      _mm512_mask_storeu_epi8(dst + i, kp_ - i >= 64 ? ~__mmask64{0} : (__mmask64{1} << (kp_ - i)) - 1,
                              _mm512_setzero_si512());
  }

  __attribute__((target("avx2,avx512f,avx512bw,avx512vnni,amx-tile,amx-int8"))) void amx_range(
      const int8_t* in, const uint8_t* padded, uint8_t* a, void* out, int64_t p0, int64_t p1) const {
    auto* sums = reinterpret_cast<int32_t*>(a + kAmxRows * kp_);
    const int64_t step = std::min(kp_, kAmxDepth), quads = kp_ / 4;
    _tile_loadconfig(&tiles_);
    for (int64_t p = p0; p < p1; p += kAmxRows) {
      const int64_t rows = std::min(kAmxRows, p1 - p);
      for (int64_t i = 0; i < kAmxRows; ++i) pack_window(in, padded, p + std::min(i, rows - 1), a + i * kp_);
      for (int64_t block = 0; block < blocks_; block += 2) {
        const bool two = block + 1 < blocks_;
        const int8_t* b0 = b8_ + block * quads * 64;
        const int8_t* b1 = b0 + quads * 64;
        _tile_zero(0);
        _tile_zero(1);
        _tile_zero(2);
        _tile_zero(3);
        for (int64_t d = 0; d < kp_; d += step) {
          _tile_loadd(4, a + d, kp_);
          _tile_loadd(5, a + 16 * kp_ + d, kp_);
          _tile_loadd(6, b0 + d * kNr, 64);
          _tile_dpbusd(0, 4, 6);
          _tile_dpbusd(2, 5, 6);
          if (two) {
            _tile_loadd(7, b1 + d * kNr, 64);
            _tile_dpbusd(1, 4, 7);
            _tile_dpbusd(3, 5, 7);
          }
        }
        constexpr int64_t ld = 2 * kNr * 4;  // bytes per row of the sums
        _tile_stored(0, sums, ld);
        _tile_stored(2, sums + 16 * 2 * kNr, ld);
        if (two) {
          _tile_stored(1, sums + kNr, ld);
          _tile_stored(3, sums + 16 * 2 * kNr + kNr, ld);
        }
        for (int64_t h = 0; h < (two ? 2 : 1); ++h) finish_quads(sums + h * kNr, 2 * kNr, rows, block + h, p, out);
      }
    }
    _tile_release();
  }

  // `rows` pixels' sums u * w of block `blk` (row r at sums + r * ld), less
  // (128 + zp) * sum w, plus the int32 bias; then the rescale.
  __attribute__((target("avx2,avx512f,avx512bw,avx512vl"))) void finish_quads(const int32_t* sums, int64_t ld,
                                                                             int64_t rows, int64_t blk, int64_t p,
                                                                             void* out) const {
    if (!hybrid_) {
      // int8: as store_rescaled_int8x16 on 16 lanes in filter order (lo and
      // hi keep the values in range, so the narrowing never saturates).
      const __m512i offset = _mm512_loadu_si512(offset_.data() + blk * kNr);
      const __m512 scale = _mm512_loadu_ps(scale_natural_.data() + blk * kNr);
      const __m512 lo = _mm512_set1_ps(lo_), hi = _mm512_set1_ps(hi_);
      const __m512i zp = _mm512_set1_epi32(out_zp_);
      const auto mask = static_cast<__mmask16>((1u << std::min(kNr, n_ - blk * kNr)) - 1);
      auto* o = static_cast<int8_t*>(out) + p * n_ + blk * kNr;
      for (int64_t r = 0; r < rows; ++r) {
        const __m512 f = _mm512_cvtepi32_ps(_mm512_add_epi32(_mm512_loadu_si512(sums + r * ld), offset));
        const __m512 c = _mm512_min_ps(_mm512_max_ps(_mm512_mul_ps(f, scale), lo), hi);
        _mm_mask_storeu_epi8(o + r * n_, mask, _mm512_cvtsepi32_epi8(_mm512_add_epi32(_mm512_cvtps_epi32(c), zp)));
      }
      return;
    }
    // Hybrid: store_hybrid's arithmetic on 16 lanes in filter order.
    const int64_t per_image = g_.oh * g_.ow, c = blk * kNr;
    const auto mask = static_cast<__mmask16>((1u << std::min(kNr, n_ - c)) - 1);
    const __m512i wsum = _mm512_loadu_si512(wsum_.data() + c);
    const __m512 lo = _mm512_set1_ps(rescale_.lo), hi = _mm512_set1_ps(rescale_.hi);
    const bool bias = !rescale_.bias.empty();
    const __m512 b = bias ? _mm512_loadu_ps(rescale_.bias.data() + c) : _mm512_setzero_ps();
    const __m512 ws = rescale_.per_channel ? _mm512_loadu_ps(rescale_.w_scales.data() + c) : _mm512_setzero_ps();
    for (int64_t r = 0; r < rows; ++r) {
      const auto image = static_cast<size_t>((p + r) / per_image);
      const kernels::RowQuant& iq = image_quant_[image];
      const __m512i v =
          _mm512_sub_epi32(_mm512_loadu_si512(sums + r * ld), _mm512_mullo_epi32(wsum, _mm512_set1_epi32(128 + zps_[image])));
      __m512 f = _mm512_cvtepi32_ps(v);
      f = rescale_.per_channel ? _mm512_mul_ps(_mm512_mul_ps(f, ws), _mm512_set1_ps(iq.scale))
                               : _mm512_mul_ps(f, _mm512_set1_ps(iq.scale * rescale_.w_scales[0]));
      if (bias) f = _mm512_add_ps(f, b);
      // std::min(std::max(f, lo), hi): NaN stays, as the reference's clamp.
      _mm512_mask_storeu_ps(static_cast<float*>(out) + (p + r) * n_ + c, mask, _mm512_min_ps(hi, _mm512_max_ps(lo, f)));
    }
  }

  // run() on bytes (AVX-512 VNNI): the same plan, u = x + 128.
  Status run_quads(const int8_t* in, void* out) {
    const int64_t pixels = g_.batch * g_.oh * g_.ow;
    const int64_t tiles = (pixels + kMr - 1) / kMr;
    const int64_t tasks = std::min<int64_t>(backend_.count(), tiles);
    if (direct_) {
      const int64_t chunk = chunk_ * cin_ + 64;  // a last quad reads up to 3 bytes on
      auto* buffers = reinterpret_cast<uint8_t*>(backend_.scratch(0, static_cast<size_t>(tasks * chunk + 3) / 4));
      backend_.parallel(tasks, [&](int64_t k) {
        run_range(in, buffers + k * chunk, out, tiles * k / tasks * kMr,
                  std::min(tiles * (k + 1) / tasks * kMr, pixels));
      });
      return Status::ok();
    }
    const int64_t image = height_ * width_ * cin_;
    auto* padded = reinterpret_cast<uint8_t*>(backend_.scratch(0, static_cast<size_t>(g_.batch * image + 64 + 3) / 4));
    const int64_t rows = g_.batch * height_;
    const int64_t bands = std::min<int64_t>(backend_.count(), rows);
    backend_.parallel(bands, [&](int64_t k) {
      for (int64_t r = rows * k / bands; r < rows * (k + 1) / bands; ++r) shift_row(in, r, padded);
    });
    std::memset(padded + g_.batch * image, 0, 64);
    backend_.parallel(tasks, [&](int64_t k) {
      run_range(nullptr, padded, out, tiles * k / tasks * kMr, std::min(tiles * (k + 1) / tasks * kMr, pixels));
    });
    return Status::ok();
  }

  // x + 128 as uint8 for n values.
  __attribute__((target("avx2"))) static void shift(const int8_t* in, int64_t n, uint8_t* out) {
    const __m256i flip = _mm256_set1_epi8(static_cast<char>(0x80));
    int64_t i = 0;
    for (; i + 32 <= n; i += 32)
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i),
                          _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + i)), flip));
    for (; i < n; ++i) out[i] = static_cast<uint8_t>(in[i] ^ 0x80);
  }

  // Row r of the padded byte image; the padding holds zp + 128 (u of the zero point).
  void shift_row(const int8_t* in, int64_t r, uint8_t* padded) const {
    const int64_t n = r / height_, y = r % height_ - g_.pt;
    uint8_t* dst = padded + r * width_ * cin_;
    const auto pad = static_cast<uint8_t>(zps_[static_cast<size_t>(n)] + 128);
    if (y < 0 || y >= g_.ih) {
      std::memset(dst, pad, static_cast<size_t>(width_ * cin_));
      return;
    }
    std::memset(dst, pad, static_cast<size_t>(g_.pl * cin_));
    shift(in + (n * g_.ih + y) * g_.iw * cin_, g_.iw * cin_, dst + g_.pl * cin_);
    std::memset(dst + (g_.pl + g_.iw) * cin_, pad, static_cast<size_t>(g_.pr * cin_));
  }

  // Row r (of batch * height_) of the padded image.
  void widen_row(const int8_t* in, int64_t r, int16_t* padded) const {
    const int64_t n = r / height_, y = r % height_ - g_.pt;
    int16_t* dst = padded + r * width_ * cin_;
    if (y < 0 || y >= g_.ih) {
      std::memset(dst, 0, static_cast<size_t>(width_ * cin_) * sizeof(int16_t));
      return;
    }
    std::memset(dst, 0, static_cast<size_t>(g_.pl * cin_) * sizeof(int16_t));
    widen_int8(in + (n * g_.ih + y) * g_.iw * cin_, g_.iw * cin_, static_cast<int16_t>(zps_[static_cast<size_t>(n)]),
               dst + g_.pl * cin_);
    std::memset(dst + (g_.pl + g_.iw) * cin_, 0, static_cast<size_t>(g_.pr * cin_) * sizeof(int16_t));
  }

  // Input pixels [p0, p0 + count) of a direct (1x1) conv, widened, each
  // image with its zero point.
  void widen_pixels(const int8_t* in, int64_t p0, int64_t count, int16_t* dst) const {
    const int64_t per_image = g_.ih * g_.iw;
    while (count > 0) {
      const int64_t n = p0 / per_image, k = std::min(count, (n + 1) * per_image - p0);
      widen_int8(in + p0 * cin_, k * cin_, static_cast<int16_t>(zps_[static_cast<size_t>(n)]), dst);
      dst += k * cin_, p0 += k, count -= k;
    }
  }

  void widen_pixels(const int8_t* in, int64_t p0, int64_t count, uint8_t* dst) const {
    shift(in + p0 * cin_, count * cin_, dst);
  }

  // Output pixels [p0, p1), p0 a multiple of kMr: windows in the padded
  // image, or (direct, `in` given) widened a chunk at a time into `values`
  // (int16 x - zp, or bytes x + 128 for the quads, which take two blocks of
  // filters at a time).
  template <typename T>
  void run_range(const int8_t* in, T* values, void* out, int64_t p0, int64_t p1) const {
    const T* window[kMr];
    const int64_t step = std::is_same_v<T, uint8_t> ? 2 : 1;
    for (int64_t c0 = p0; c0 < p1; c0 += chunk_) {
      const int64_t count = std::min(chunk_, p1 - c0);
      if (in) widen_pixels(in, c0, count, values);
      for (int64_t block = 0; block < blocks_; block += step)
        for (int64_t r = 0; r < count; r += kMr) {
          const int64_t rows = std::min(kMr, count - r);
          for (int64_t i = 0; i < kMr; ++i) {
            const int64_t p = c0 + r + std::min(i, rows - 1);
            if (in) {
              window[i] = values + (p - c0) * cin_;
              continue;
            }
            const int64_t ox = p % g_.ow, oy = p / g_.ow % g_.oh, n = p / (g_.ow * g_.oh);
            window[i] = values + ((n * height_ + oy * g_.sh) * width_ + ox * g_.sw) * cin_;
          }
          tile(window, rows, block, c0 + r, out);
        }
    }
  }

  // Up to kMr pixels (the first `p`; their windows' first values in the
  // padded image) by filters block*16..+15; a last block of at most 8
  // filters takes the half-width tile.
  void tile(const int16_t* const* window, int64_t rows, int64_t block, int64_t p, void* out) const {
    const bool full = n_ - block * kNr > 8;
    if (vnni_) {
      full ? tile_vnni<true>(window, rows, block, p, out) : tile_vnni<false>(window, rows, block, p, out);
    } else {
      full ? tile_avx2<true>(window, rows, block, p, out) : tile_avx2<false>(window, rows, block, p, out);
    }
  }

  // Up to kMr pixels by the filters of blocks `block` and `block + 1` (if
  // there is one), on bytes.
  void tile(const uint8_t* const* window, int64_t rows, int64_t block, int64_t p, void* out) const {
    block + 1 < blocks_ ? tile_quads<true>(window, rows, block, p, out)
                        : tile_quads<false>(window, rows, block, p, out);
  }

  template <bool kTwo>
  __attribute__((target("avx2,avx512f,avx512bw,avx512vnni"))) void tile_quads(const uint8_t* const* window,
                                                                              int64_t rows, int64_t block,
                                                                              int64_t p, void* out) const {
    __m512i acc[kMr][2];
#pragma GCC unroll 6
    for (int64_t i = 0; i < kMr; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_si512();
    const int64_t quads = segment_quads_ * static_cast<int64_t>(segments_.size());
    const int8_t* b = b8_ + block * quads * 64;
    const int8_t* b2 = kTwo ? b + quads * 64 : b;
    for (const int64_t offset : segments_) {
      const uint8_t* row[kMr];
      for (int64_t i = 0; i < kMr; ++i) row[i] = window[i] + offset;
      for (int64_t k = 0; k < segment_quads_; ++k, b += 64, b2 += 64) {
        const __m512i w0 = _mm512_loadu_si512(b);
        const __m512i w1 = kTwo ? _mm512_loadu_si512(b2) : w0;
#pragma GCC unroll 6
        for (int64_t i = 0; i < kMr; ++i) {
          int32_t u;
          std::memcpy(&u, row[i] + 4 * k, sizeof(u));
          const __m512i x = _mm512_set1_epi32(u);
          acc[i][0] = _mm512_dpbusd_epi32(acc[i][0], x, w0);
          if (kTwo) acc[i][1] = _mm512_dpbusd_epi32(acc[i][1], x, w1);
        }
      }
    }
    // Less (128 + zp) * sum w, plus the int32 bias; then the rescale.
    for (int64_t h = 0; h < (kTwo ? 2 : 1); ++h) {
      const int64_t blk = block + h;
      const __m512i wsum = _mm512_loadu_si512(wsum_.data() + blk * kNr);
      const __m512i bias = _mm512_loadu_si512(bias_.data() + blk * kNr);
      TileSums sums;
      for (int64_t r = 0; r < rows; ++r) {
        const int32_t zp = zps_[static_cast<size_t>((p + r) / (g_.oh * g_.ow))];
        const __m512i v =
            _mm512_add_epi32(_mm512_sub_epi32(acc[r][h], _mm512_mullo_epi32(wsum, _mm512_set1_epi32(128 + zp))), bias);
        sums[r][0] = _mm512_castsi512_si256(v);
        sums[r][1] = _mm512_extracti64x4_epi64(v, 1);
      }
      finish(sums, rows, blk, p, out);
    }
  }

  template <bool kFull>
  __attribute__((target("avx2"))) void tile_avx2(const int16_t* const* window, int64_t rows, int64_t block,
                                                 int64_t p, void* out) const {
    TileSums acc;
    start(block, acc);
    const int16_t* b = b_.data() + block * segment_pairs_ * static_cast<int64_t>(segments_.size()) * 32;
    for (const int64_t offset : segments_) {
      const int16_t* row[kMr];
      for (int64_t i = 0; i < kMr; ++i) row[i] = window[i] + offset;
      for (int64_t k = 0; k < segment_pairs_; ++k, b += 32) {
        const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b));
        const __m256i b1 = kFull ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + 16)) : b0;
#pragma GCC unroll 6
        for (int64_t i = 0; i < kMr; ++i) {
          const __m256i x = broadcast_pair(row[i] + 2 * k);
          acc[i][0] = _mm256_add_epi32(acc[i][0], _mm256_madd_epi16(x, b0));
          if (kFull) acc[i][1] = _mm256_add_epi32(acc[i][1], _mm256_madd_epi16(x, b1));
        }
      }
    }
    finish(acc, rows, block, p, out);
  }

  // The same products as tile_avx2, each pair's two and the addition in one
  // instruction.
  template <bool kFull>
  __attribute__((target("avx2,avxvnni"))) void tile_vnni(const int16_t* const* window, int64_t rows, int64_t block,
                                                         int64_t p, void* out) const {
    TileSums acc;
    start(block, acc);
    const int16_t* b = b_.data() + block * segment_pairs_ * static_cast<int64_t>(segments_.size()) * 32;
    for (const int64_t offset : segments_) {
      const int16_t* row[kMr];
      for (int64_t i = 0; i < kMr; ++i) row[i] = window[i] + offset;
      for (int64_t k = 0; k < segment_pairs_; ++k, b += 32) {
        const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b));
        const __m256i b1 = kFull ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + 16)) : b0;
#pragma GCC unroll 6
        for (int64_t i = 0; i < kMr; ++i) {
          const __m256i x = broadcast_pair(row[i] + 2 * k);
          acc[i][0] = _mm256_dpwssd_avx_epi32(acc[i][0], x, b0);
          if (kFull) acc[i][1] = _mm256_dpwssd_avx_epi32(acc[i][1], x, b1);
        }
      }
    }
    finish(acc, rows, block, p, out);
  }

  // Accumulators start at the int32 bias (zero for hybrid).
  __attribute__((target("avx2"), always_inline)) void start(int64_t block, TileSums& acc) const {
    const __m256i bias0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bias_.data() + block * kNr));
    const __m256i bias1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bias_.data() + block * kNr + 8));
    for (int64_t i = 0; i < kMr; ++i) acc[i][0] = bias0, acc[i][1] = bias1;
  }

  // The first `rows` pixels of a tile, from output pixel p, rescaled.
  __attribute__((target("avx2"), always_inline)) void finish(const TileSums& acc, int64_t rows, int64_t block,
                                                            int64_t p, void* out) const {
    const int64_t cols = std::min(kNr, n_ - block * kNr);
    if (hybrid_) {
      for (int64_t r = 0; r < rows; ++r)
        store_hybrid(acc[r], cols, block, p + r, static_cast<float*>(out) + (p + r) * n_ + block * kNr);
      return;
    }
    const Int8Rescale rescale{_mm256_set1_ps(lo_), _mm256_set1_ps(hi_),
                              _mm256_set1_epi16(static_cast<int16_t>(out_zp_))};
    const __m256 scale0 = _mm256_loadu_ps(scale_.data() + block * kNr);
    const __m256 scale1 = _mm256_loadu_ps(scale_.data() + block * kNr + 8);
    auto* o = static_cast<int8_t*>(out) + p * n_ + block * kNr;
    for (int64_t r = 0; r < rows; ++r) {
      // Filters 0-7 and 8-15 into the {0-3, 8-11}, {4-7, 12-15} order.
      const __m256i a0 = _mm256_permute2x128_si256(acc[r][0], acc[r][1], 0x20);
      const __m256i a1 = _mm256_permute2x128_si256(acc[r][0], acc[r][1], 0x31);
      store_rescaled_int8x16(o + r * n_, cols, a0, a1, scale0, scale1, rescale);
    }
  }

  // One pixel's hybrid rescale (HybridRescale) of filters block*16..+cols.
  __attribute__((target("avx2"), always_inline)) void store_hybrid(const __m256i* acc, int64_t cols, int64_t block,
                                                                  int64_t p, float* out) const {
    const kernels::RowQuant& iq = image_quant_[static_cast<size_t>(p / (g_.oh * g_.ow))];
    const __m256 lo = _mm256_set1_ps(rescale_.lo), hi = _mm256_set1_ps(rescale_.hi);
    alignas(32) float v[kNr];
    for (int64_t h = 0; h < 2; ++h) {
      const int64_t c = block * kNr + h * 8;
      __m256 f = _mm256_cvtepi32_ps(acc[h]);
      f = rescale_.per_channel
              ? _mm256_mul_ps(_mm256_mul_ps(f, _mm256_loadu_ps(rescale_.w_scales.data() + c)), _mm256_set1_ps(iq.scale))
              : _mm256_mul_ps(f, _mm256_set1_ps(iq.scale * rescale_.w_scales[0]));
      if (!rescale_.bias.empty()) f = _mm256_add_ps(f, _mm256_loadu_ps(rescale_.bias.data() + c));
      // std::min(std::max(f, lo), hi): NaN stays, as the reference's clamp.
      _mm256_store_ps(v + h * 8, _mm256_min_ps(hi, _mm256_max_ps(lo, f)));
    }
    std::memcpy(out, v, static_cast<size_t>(cols) * sizeof(float));
  }

  ConvGeometry g_;
  Backend& backend_;
  int32_t in_zp_, out_zp_;
  float lo_, hi_;
  bool vnni_, quads_, amx_, hybrid_;
  TileConfig tiles_;             // AMX
  int64_t depth_ = 0, kp_ = 0;   // AMX: values per window; bytes per packed window
  HybridRescale rescale_;
  std::vector<int32_t> zps_;                   // per image: the input's zero point
  std::vector<kernels::RowQuant> image_quant_;  // hybrid, per image, this run's
  int64_t cin_ = 0, n_ = 0, blocks_ = 0, height_ = 0, width_ = 0, chunk_ = kMr;
  int64_t segment_ = 0, segment_pairs_ = 0;  // values and pairs per segment
  int64_t segment_quads_ = 0;                // quads per segment (bytes)
  bool direct_ = false;                      // 1x1, stride 1, no padding
  std::vector<int64_t> segments_;            // each segment's offset in the window
  std::vector<int16_t> b_;   // pairs (int16)
  // Quads (bytes): per block and quad, 16 filters x 4; 64-byte aligned in
  // b8_storage_, so that no 64-byte row of weights (an AMX tile row, a
  // 512-bit load) straddles two cache lines.
  std::vector<int8_t> b8_storage_;
  int8_t* b8_ = nullptr;
  std::vector<int32_t> wsum_;  // per filter, sum of its weights
  std::vector<int32_t> bias_;
  std::vector<float> scale_;
  std::vector<int32_t> offset_;       // int8 on AMX: bias - (128 + in_zp) * sum w
  std::vector<float> scale_natural_;  // int8 on AMX: per filter, in order
};

// AMX for a convolution of at least options.amx_min_macs multiply-adds.
Int8DotPath conv_path(Int8DotPath path, const ConvGeometry& g, const FastOptions& options) {
  if (path != Int8DotPath::kAmx) return path;
  const int64_t macs = g.batch * g.oh * g.ow * g.out_channels() * g.kh * g.kw * g.in_channels();
  return macs >= options.amx_min_macs ? path : Int8DotPath::kAvx512Vnni;
}

}  // namespace

Expected<std::unique_ptr<FastKernel>> prepare_own_int8_conv(const ops::OpContext& ctx, Backend& backend,
                                                            const FastOptions& options) {
  if (ctx.op().code.is_custom() || ctx.op().code.builtin != tflite::BuiltinOperator_CONV_2D)
    return std::unique_ptr<FastKernel>();
  const Int8DotPath path = allowed_int8_path(options);
  if (path == Int8DotPath::kScalar) return std::unique_ptr<FastKernel>();
  Int8ConvParams p;
  if (!int8_conv_params(ctx, /*depthwise=*/false, p) || p.g.groups != 1) return std::unique_ptr<FastKernel>();
  const Int8DotPath chosen = conv_path(path, p.g, options);
  return std::unique_ptr<FastKernel>(new OwnGemmConv(ctx, std::move(p), nullptr, chosen, backend));
}

Expected<std::unique_ptr<FastKernel>> prepare_own_hybrid_conv(const ops::OpContext& ctx, Backend& backend,
                                                              const FastOptions& options) {
  if (ctx.op().code.is_custom() || ctx.op().code.builtin != tflite::BuiltinOperator_CONV_2D)
    return std::unique_ptr<FastKernel>();
  const Int8DotPath path = allowed_int8_path(options);
  if (path == Int8DotPath::kScalar) return std::unique_ptr<FastKernel>();
  Int8ConvParams p;
  HybridRescale h;
  if (!hybrid_conv_params(ctx, /*depthwise=*/false, p.g, h.w_scales, h.bias) || p.g.groups != 1) return std::unique_ptr<FastKernel>();
  const int64_t n = p.g.out_channels(), padded = (n + kNr - 1) / kNr * kNr;
  // Per-channel weights take the reference's asymmetric path (per-tensor: symmetric).
  h.per_channel = h.w_scales.size() > 1;
  if (h.per_channel) h.w_scales.resize(static_cast<size_t>(padded), 0.0f);
  if (!h.bias.empty()) h.bias.resize(static_cast<size_t>(padded), 0.0f);
  const kernels::FloatClamp clamp(p.g.activation);
  h.lo = clamp.lo, h.hi = clamp.hi;
  const Int8DotPath chosen = conv_path(path, p.g, options);
  return std::unique_ptr<FastKernel>(new OwnGemmConv(ctx, std::move(p), &h, chosen, backend));
}

#else

Expected<std::unique_ptr<FastKernel>> prepare_own_int8_conv(const ops::OpContext&, Backend&, const FastOptions&) {
  return std::unique_ptr<FastKernel>();
}
Expected<std::unique_ptr<FastKernel>> prepare_own_hybrid_conv(const ops::OpContext&, Backend&, const FastOptions&) {
  return std::unique_ptr<FastKernel>();
}

#endif

}  // namespace tfc::runtime::fast
