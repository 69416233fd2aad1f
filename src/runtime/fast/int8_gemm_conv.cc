// int8 CONV_2D (one group), our own AVX2 kernel: a matrix product of the
// output pixels' windows (rows) and the filters (columns).
//
// Arithmetic: as int8_depthwise.cc — exact int32 sums of (x - in_zp) * w plus
// the bias, then the rescale of Int8ConvParams, so the outputs are those of
// XNNPACK's qc8 kernel and of the exact-float kernel.
//
// Layout:
// - rows (A): a chunk of output pixels at a time, each pixel's window as
//   int16 x - in_zp in the filter's (kh, kw, cin) order, zeros for padding and
//   for an odd depth's last pair; a 1x1 stride-1 conv only widens its input.
// - columns (B), packed at load: per block of 16 filters and per pair of
//   depth positions (k, k+1), two vectors of eight (w[k], w[k+1]) pairs.
// - a 6x16 tile keeps 12 int32 vectors; each step broadcasts a pixel's
//   (x[k], x[k+1]) pair and adds both products with one _mm256_madd_epi16
//   per vector. Nothing is summed across lanes, so a short depth (16, 24,
//   32 channels in MobileNet's early layers) costs no reduction.
//
// Threads: each task takes a range of output pixels.
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
    k_ = g_.kh * g_.kw * cin_;
    kp_ = (k_ + 1) / 2 * 2;
    blocks_ = (n_ + kNr - 1) / kNr;
    direct_ = g_.kh == 1 && g_.kw == 1 && g_.sh == 1 && g_.sw == 1 && g_.pt == 0 && g_.pl == 0 &&
              g_.oh == g_.ih && g_.ow == g_.iw;
    chunk_ = std::max<int64_t>(kChunkElems / kp_ / kMr, 1) * kMr;
    const auto* w = ctx.input<int8_t>(1);  // [n][kh][kw][cin] = [n][k]
    const auto* bias = ctx.has_input(2) ? ctx.input<int32_t>(2) : nullptr;
    const int64_t pairs = kp_ / 2;
    b_.assign(static_cast<size_t>(blocks_ * pairs * 32), 0);
    bias_.assign(static_cast<size_t>(blocks_ * kNr), 0);
    scale_.assign(static_cast<size_t>(blocks_ * kNr), 0.0f);
    for (int64_t n = 0; n < n_; ++n) {
      const int64_t block = n / kNr, col = n % kNr;
      bias_[static_cast<size_t>(n)] = bias ? bias[n] : 0;
      scale_[static_cast<size_t>(block * kNr + rescale_lane(col))] = p.scales[static_cast<size_t>(n)];
      for (int64_t k = 0; k < k_; ++k)
        b_[static_cast<size_t>((block * pairs + k / 2) * 32 + col * 2 + k % 2)] = w[n * k_ + k];
    }
  }

  Status run(ops::OpContext& ctx) override {
    const auto* in = ctx.input<int8_t>(0);
    auto* out = ctx.output<int8_t>(0);
    const int64_t pixels = g_.batch * g_.oh * g_.ow;
    const int64_t tiles = (pixels + kMr - 1) / kMr;
    const int64_t tasks = std::min<int64_t>(backend_.count(), tiles);
    const int64_t chunk_elems = chunk_ * kp_;
    auto* scratch =
        reinterpret_cast<int16_t*>(backend_.scratch(0, static_cast<size_t>((tasks * chunk_elems * 2 + 3) / 4)));
    auto task = [&](size_t t) {
      const auto k = static_cast<int64_t>(t);
      const int64_t p0 = tiles * k / tasks * kMr, p1 = std::min(tiles * (k + 1) / tasks * kMr, pixels);
      run_range(in, out, p0, p1, scratch + k * chunk_elems);
    };
    if (tasks == 1 || backend_.pool() == nullptr) {
      for (int64_t k = 0; k < tasks; ++k) task(static_cast<size_t>(k));
    } else {
      pthreadpool_parallelize_1d(backend_.pool(), task, static_cast<size_t>(tasks));
    }
    return Status::ok();
  }
  const char* library() const override { return "own"; }

 private:
  void run_range(const int8_t* in, int8_t* out, int64_t p0, int64_t p1, int16_t* rows) const {
    for (int64_t c0 = p0; c0 < p1; c0 += chunk_) {
      const int64_t count = std::min(chunk_, p1 - c0);
      if (direct_ && kp_ == k_) {
        widen_int8(in + c0 * cin_, count * cin_, static_cast<int16_t>(in_zp_), rows);
      } else {
        for (int64_t r = 0; r < count; ++r) window(in, c0 + r, rows + r * kp_);
      }
      for (int64_t block = 0; block < blocks_; ++block)
        for (int64_t r = 0; r < count; r += kMr)
          tile(rows + r * kp_, std::min(kMr, count - r), block, out + (c0 + r) * n_ + block * kNr);
    }
  }

  // Output pixel p's window, widened, in the filter's order.
  void window(const int8_t* in, int64_t p, int16_t* dst) const {
    const int64_t ox = p % g_.ow, oy = p / g_.ow % g_.oh, n = p / (g_.ow * g_.oh);
    const int8_t* image = in + n * g_.ih * g_.iw * cin_;
    for (int64_t ky = 0; ky < g_.kh; ++ky) {
      const int64_t iy = oy * g_.sh - g_.pt + ky * g_.dh;
      for (int64_t kx = 0; kx < g_.kw; ++kx, dst += cin_) {
        const int64_t ix = ox * g_.sw - g_.pl + kx * g_.dw;
        if (iy < 0 || iy >= g_.ih || ix < 0 || ix >= g_.iw) {
          std::memset(dst, 0, static_cast<size_t>(cin_) * sizeof(int16_t));
        } else {
          widen_int8(image + (iy * g_.iw + ix) * cin_, cin_, static_cast<int16_t>(in_zp_), dst);
        }
      }
    }
    if (kp_ != k_) *dst = 0;
  }

  // Up to kMr pixels (rows of kp_ widened values) by filters block*16..+15.
  __attribute__((target("avx2"))) void tile(const int16_t* a, int64_t rows, int64_t block, int8_t* out) const {
    const int16_t* row[kMr];
    for (int64_t r = 0; r < kMr; ++r) row[r] = a + std::min(r, rows - 1) * kp_;
    const __m256i bias0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bias_.data() + block * kNr));
    const __m256i bias1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bias_.data() + block * kNr + 8));
    // Twelve named accumulators (an array would live on the stack).
    __m256i c00 = bias0, c01 = bias1, c10 = bias0, c11 = bias1, c20 = bias0, c21 = bias1;
    __m256i c30 = bias0, c31 = bias1, c40 = bias0, c41 = bias1, c50 = bias0, c51 = bias1;
    const int64_t pairs = kp_ / 2;
    const int16_t* b = b_.data() + block * pairs * 32;
    for (int64_t k = 0; k < pairs; ++k, b += 32) {
      const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b));
      const __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + 16));
      __m256i x = broadcast_pair(row[0] + 2 * k);
      c00 = _mm256_add_epi32(c00, _mm256_madd_epi16(x, b0));
      c01 = _mm256_add_epi32(c01, _mm256_madd_epi16(x, b1));
      x = broadcast_pair(row[1] + 2 * k);
      c10 = _mm256_add_epi32(c10, _mm256_madd_epi16(x, b0));
      c11 = _mm256_add_epi32(c11, _mm256_madd_epi16(x, b1));
      x = broadcast_pair(row[2] + 2 * k);
      c20 = _mm256_add_epi32(c20, _mm256_madd_epi16(x, b0));
      c21 = _mm256_add_epi32(c21, _mm256_madd_epi16(x, b1));
      x = broadcast_pair(row[3] + 2 * k);
      c30 = _mm256_add_epi32(c30, _mm256_madd_epi16(x, b0));
      c31 = _mm256_add_epi32(c31, _mm256_madd_epi16(x, b1));
      x = broadcast_pair(row[4] + 2 * k);
      c40 = _mm256_add_epi32(c40, _mm256_madd_epi16(x, b0));
      c41 = _mm256_add_epi32(c41, _mm256_madd_epi16(x, b1));
      x = broadcast_pair(row[5] + 2 * k);
      c50 = _mm256_add_epi32(c50, _mm256_madd_epi16(x, b0));
      c51 = _mm256_add_epi32(c51, _mm256_madd_epi16(x, b1));
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
  int64_t cin_ = 0, n_ = 0, k_ = 0, kp_ = 0, blocks_ = 0, chunk_ = kMr;
  bool direct_ = false;
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
