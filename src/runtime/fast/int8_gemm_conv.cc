// int8 CONV_2D (one group), our own AVX2 kernel: a matrix product of the
// output pixels' windows (rows) and the filters (columns).
//
// Arithmetic: as int8_depthwise.cc — exact int32 sums of (x - in_zp) * w plus
// the bias, then the rescale of Int8ConvParams, so the outputs are those of
// XNNPACK's qc8 kernel and of the exact-float kernel.
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
#include <vector>

#include "runtime/fast/fast_kernel.h"
#include "runtime/fast/simd.h"

namespace tfc::runtime::fast {

#if defined(TFC_HAVE_AVX2_KERNELS)
namespace {

constexpr int64_t kMr = 6;   // pixels per tile (tile() names its accumulators)
constexpr int64_t kNr = 16;  // filters per tile
// int16 elements of a chunk of rows: about 96 KiB, so that a chunk stays in
// L2 while every block of filters passes over it.
constexpr int64_t kChunkElems = 48 * 1024;

// Two int16 values at p, broadcast as one int32 to every lane.
__attribute__((target("avx2"))) inline __m256i broadcast_pair(const int16_t* p) {
  int32_t v;
  std::memcpy(&v, p, sizeof(v));
  return _mm256_set1_epi32(v);
}

class OwnInt8Conv final : public FastKernel {
 public:
  OwnInt8Conv(const ops::OpContext& ctx, Int8ConvParams p, Backend& backend)
      : g_(p.g), backend_(backend), in_zp_(p.in_zp), out_zp_(p.out_zp), lo_(p.lo), hi_(p.hi) {
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
    // Filter n's value at (segment s, position j) is w[n][s * segment_ + j]
    // in TFLite's [n][kh][kw][cin] order, for either kind of segment.
    const auto* w = ctx.input<int8_t>(1);
    const int64_t k = g_.kh * g_.kw * cin_;
    const auto* bias = ctx.has_input(2) ? ctx.input<int32_t>(2) : nullptr;
    b_.assign(static_cast<size_t>(blocks_ * pairs * 32), 0);
    bias_.assign(static_cast<size_t>(blocks_ * kNr), 0);
    scale_.assign(static_cast<size_t>(blocks_ * kNr), 0.0f);
    for (int64_t n = 0; n < n_; ++n) {
      const int64_t block = n / kNr, col = n % kNr;
      bias_[static_cast<size_t>(n)] = bias ? bias[n] : 0;
      scale_[static_cast<size_t>(block * kNr + rescale_lane(col))] = p.scales[static_cast<size_t>(n)];
      for (int64_t s = 0; s < static_cast<int64_t>(segments_.size()); ++s)
        for (int64_t j = 0; j < segment_; ++j) {
          const int64_t pair = s * segment_pairs_ + j / 2;
          b_[static_cast<size_t>((block * pairs + pair) * 32 + col * 2 + j % 2)] = w[n * k + s * segment_ + j];
        }
    }
  }

  Status run(ops::OpContext& ctx) override {
    const auto* in = ctx.input<int8_t>(0);
    auto* out = ctx.output<int8_t>(0);
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
  const char* library() const override { return "own"; }

 private:
  // Row r (of batch * height_) of the padded image.
  void widen_row(const int8_t* in, int64_t r, int16_t* padded) const {
    const int64_t n = r / height_, y = r % height_ - g_.pt;
    int16_t* dst = padded + r * width_ * cin_;
    if (y < 0 || y >= g_.ih) {
      std::memset(dst, 0, static_cast<size_t>(width_ * cin_) * sizeof(int16_t));
      return;
    }
    std::memset(dst, 0, static_cast<size_t>(g_.pl * cin_) * sizeof(int16_t));
    widen_int8(in + (n * g_.ih + y) * g_.iw * cin_, g_.iw * cin_, static_cast<int16_t>(in_zp_), dst + g_.pl * cin_);
    std::memset(dst + (g_.pl + g_.iw) * cin_, 0, static_cast<size_t>(g_.pr * cin_) * sizeof(int16_t));
  }

  // Output pixels [p0, p1), p0 a multiple of kMr: windows in the padded
  // image, or (direct, `in` given) widened a chunk at a time into `values`.
  void run_range(const int8_t* in, int16_t* values, int8_t* out, int64_t p0, int64_t p1) const {
    const int16_t* window[kMr];
    for (int64_t c0 = p0; c0 < p1; c0 += chunk_) {
      const int64_t count = std::min(chunk_, p1 - c0);
      if (in) widen_int8(in + c0 * cin_, count * cin_, static_cast<int16_t>(in_zp_), values);
      for (int64_t block = 0; block < blocks_; ++block)
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
          // A last block of at most 8 filters takes the half-width tile.
          int8_t* o = out + (c0 + r) * n_ + block * kNr;
          if (n_ - block * kNr > 8) {
            tile<true>(window, rows, block, o);
          } else {
            tile<false>(window, rows, block, o);
          }
        }
    }
  }

  // Up to kMr pixels (their windows' first values in the padded image) by
  // filters block*16..+15.
  // kFull false: filters 8-15 are absent, and their half of the work too.
  template <bool kFull>
  __attribute__((target("avx2"))) void tile(const int16_t* const* window, int64_t rows, int64_t block,
                                            int8_t* out) const {
    const __m256i bias0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bias_.data() + block * kNr));
    const __m256i bias1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bias_.data() + block * kNr + 8));
    // Twelve named accumulators (an array would live on the stack).
    __m256i c00 = bias0, c01 = bias1, c10 = bias0, c11 = bias1, c20 = bias0, c21 = bias1;
    __m256i c30 = bias0, c31 = bias1, c40 = bias0, c41 = bias1, c50 = bias0, c51 = bias1;
    const int64_t pairs = segment_pairs_ * static_cast<int64_t>(segments_.size());
    const int16_t* b = b_.data() + block * pairs * 32;
    for (const int64_t offset : segments_) {
      const int16_t* row[kMr];
      for (int64_t i = 0; i < kMr; ++i) row[i] = window[i] + offset;
      for (int64_t k = 0; k < segment_pairs_; ++k, b += 32) {
        const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b));
        const __m256i b1 = kFull ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + 16)) : b0;
        __m256i x = broadcast_pair(row[0] + 2 * k);
        c00 = _mm256_add_epi32(c00, _mm256_madd_epi16(x, b0));
        if (kFull) c01 = _mm256_add_epi32(c01, _mm256_madd_epi16(x, b1));
        x = broadcast_pair(row[1] + 2 * k);
        c10 = _mm256_add_epi32(c10, _mm256_madd_epi16(x, b0));
        if (kFull) c11 = _mm256_add_epi32(c11, _mm256_madd_epi16(x, b1));
        x = broadcast_pair(row[2] + 2 * k);
        c20 = _mm256_add_epi32(c20, _mm256_madd_epi16(x, b0));
        if (kFull) c21 = _mm256_add_epi32(c21, _mm256_madd_epi16(x, b1));
        x = broadcast_pair(row[3] + 2 * k);
        c30 = _mm256_add_epi32(c30, _mm256_madd_epi16(x, b0));
        if (kFull) c31 = _mm256_add_epi32(c31, _mm256_madd_epi16(x, b1));
        x = broadcast_pair(row[4] + 2 * k);
        c40 = _mm256_add_epi32(c40, _mm256_madd_epi16(x, b0));
        if (kFull) c41 = _mm256_add_epi32(c41, _mm256_madd_epi16(x, b1));
        x = broadcast_pair(row[5] + 2 * k);
        c50 = _mm256_add_epi32(c50, _mm256_madd_epi16(x, b0));
        if (kFull) c51 = _mm256_add_epi32(c51, _mm256_madd_epi16(x, b1));
      }
    }
    const __m256i acc[kMr][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
    const Int8Rescale rescale{_mm256_set1_ps(lo_), _mm256_set1_ps(hi_),
                              _mm256_set1_epi16(static_cast<int16_t>(out_zp_))};
    const __m256 scale0 = _mm256_loadu_ps(scale_.data() + block * kNr);
    const __m256 scale1 = _mm256_loadu_ps(scale_.data() + block * kNr + 8);
    const int64_t cols = std::min(kNr, n_ - block * kNr);
    for (int64_t r = 0; r < rows; ++r) {
      // Filters 0-7 and 8-15 into the {0-3, 8-11}, {4-7, 12-15} order.
      const __m256i a0 = _mm256_permute2x128_si256(acc[r][0], acc[r][1], 0x20);
      const __m256i a1 = _mm256_permute2x128_si256(acc[r][0], acc[r][1], 0x31);
      store_rescaled_int8x16(out + r * n_, cols, a0, a1, scale0, scale1, rescale);
    }
  }

  ConvGeometry g_;
  Backend& backend_;
  int32_t in_zp_, out_zp_;
  float lo_, hi_;
  int64_t cin_ = 0, n_ = 0, blocks_ = 0, height_ = 0, width_ = 0, chunk_ = kMr;
  int64_t segment_ = 0, segment_pairs_ = 0;  // values and pairs per segment
  bool direct_ = false;                      // 1x1, stride 1, no padding
  std::vector<int64_t> segments_;            // each segment's offset in the window
  std::vector<int16_t> b_;
  std::vector<int32_t> bias_;
  std::vector<float> scale_;
};

}  // namespace

Expected<std::unique_ptr<FastKernel>> prepare_own_int8_conv(const ops::OpContext& ctx, Backend& backend) {
  if (ctx.op().code.is_custom() || ctx.op().code.builtin != tflite::BuiltinOperator_CONV_2D)
    return std::unique_ptr<FastKernel>();
  if (!__builtin_cpu_supports("avx2")) return std::unique_ptr<FastKernel>();
  Int8ConvParams p;
  if (!int8_conv_params(ctx, /*depthwise=*/false, p) || p.g.groups != 1) return std::unique_ptr<FastKernel>();
  return std::unique_ptr<FastKernel>(new OwnInt8Conv(ctx, std::move(p), backend));
}

#else

Expected<std::unique_ptr<FastKernel>> prepare_own_int8_conv(const ops::OpContext&, Backend&) {
  return std::unique_ptr<FastKernel>();
}

#endif

}  // namespace tfc::runtime::fast
