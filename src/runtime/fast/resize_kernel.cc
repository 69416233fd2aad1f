// Our own fast RESIZE_BILINEAR (float32, int8) and RESIZE_NEAREST_NEIGHBOR
// (float32, int32, int16, int8, uint8), NHWC, bit-identical to the reference kernels
// (kernels/shape_ref.cc): the source rows and columns of every output row and
// column, and the bilinear weights, come from the same rule
// (kernels/resize_util.h) and are computed once per prepare (the shapes are
// fixed until the kernel is prepared again). Bilinear computes each channel
// as the reference does, term by term in the same order
//   ((a * wy0) * wx0 + (b * wy1) * wx0) + (c * wy0) * wx1 + (d * wy1) * wx1,
// 8 channels at a time with AVX2 (after a run-time CPU check), else 4 with
// SSE2, then a scalar tail (no fused multiply-add: the reference has none),
// so every output is the reference's bits (where an input NaN and the NaN of
// inf * 0 meet in one sum, which comes out is up to the operand order the
// compiler picked, there as here: a NaN either way). int8 bilinear follows
// the reference's integer rule (kernels/shape_int.cc): weights in 1/1024
// steps, products at scale 2^20 summed exactly in int32 (|sum| < 2^30 for
// int8), rounded half away from zero, 8 channels at a time with AVX2.
// Nearest copies each output pixel's source pixel. An output row whose source
// rows (and weights) are those of the row before is a copy of it. Output rows
// are split over the backend's threads when the output is large.
#include <cstring>
#include <vector>

#include "kernels/resize_util.h"
#include "runtime/fast/fast_kernel.h"
#include "runtime/fast/simd.h"

namespace tfc::runtime::fast {
namespace {

// The source of one output row or column: input indices lo / hi (times the
// elements between two neighbours along that axis) and their weights.
struct Tap {
  int64_t lo = 0, hi = 0;
  float w0 = 1, w1 = 0;  // 1 - d and d
  int32_t q0 = 0, q1 = 0;  // int8: the weights in 1/1024 steps
  bool operator==(const Tap&) const = default;
};

// The bilinear taps of one axis, offsets in units of `stride`.
std::vector<Tap> bilinear_taps(int32_t in, int32_t out, bool align_corners, bool half_pixel, int64_t stride) {
  const float scale = kernels::resize_scale(in, out, align_corners);
  std::vector<Tap> taps(static_cast<size_t>(out));
  for (int32_t v = 0; v < out; ++v) {
    const kernels::LerpAxis a = kernels::bilinear_axis(v, scale, half_pixel, in);
    const float d = a.pos - static_cast<float>(a.lo);
    taps[static_cast<size_t>(v)] = {a.lo * stride, a.hi * stride, 1 - d, d};
  }
  return taps;
}

// The int8 bilinear taps of one axis (weights q0, q1), offsets in units of `stride`.
std::vector<Tap> int8_taps(int32_t in, int32_t out, bool align_corners, bool half_pixel, int64_t stride) {
  const int32_t scale = kernels::resize_scale_10(in, out, align_corners);
  std::vector<Tap> taps(static_cast<size_t>(out));
  for (int32_t v = 0; v < out; ++v) {
    int32_t pos = 0, lo = 0, hi = 0;
    kernels::interpolation_values(v, scale, half_pixel, in, &pos, &lo, &hi);
    Tap& t = taps[static_cast<size_t>(v)];
    t.lo = lo * stride;
    t.hi = hi * stride;
    t.q1 = pos - (1 << 10) * lo;
    t.q0 = (1 << 10) - t.q1;
  }
  return taps;
}

// The nearest taps of one axis (lo only), offsets in units of `stride`.
std::vector<Tap> nearest_taps(int32_t in, int32_t out, bool align_corners, bool half_pixel, int64_t stride) {
  std::vector<Tap> taps(static_cast<size_t>(out));
  for (int32_t v = 0; v < out; ++v)
    taps[static_cast<size_t>(v)].lo = kernels::nearest_index(v, in, out, align_corners, half_pixel) * stride;
  return taps;
}

// Channels [from, n) of one bilinear output pixel.
void lerp_scalar(const float* a, const float* b, const float* c, const float* d, float wy0, float wy1, float wx0,
                 float wx1, int64_t from, int64_t n, float* out) {
  for (int64_t k = from; k < n; ++k)
    out[k] = a[k] * wy0 * wx0 + b[k] * wy1 * wx0 + c[k] * wy0 * wx1 + d[k] * wy1 * wx1;
}

void lerp_sse2(const float* a, const float* b, const float* c, const float* d, float wy0, float wy1, float wx0,
               float wx1, int64_t n, float* out) {
  int64_t k = 0;
#if defined(__SSE2__)
  const __m128 y0 = _mm_set1_ps(wy0), y1 = _mm_set1_ps(wy1), x0 = _mm_set1_ps(wx0), x1 = _mm_set1_ps(wx1);
  for (; k + 4 <= n; k += 4) {
    __m128 s = _mm_add_ps(_mm_mul_ps(_mm_mul_ps(_mm_loadu_ps(a + k), y0), x0),
                          _mm_mul_ps(_mm_mul_ps(_mm_loadu_ps(b + k), y1), x0));
    s = _mm_add_ps(s, _mm_mul_ps(_mm_mul_ps(_mm_loadu_ps(c + k), y0), x1));
    _mm_storeu_ps(out + k, _mm_add_ps(s, _mm_mul_ps(_mm_mul_ps(_mm_loadu_ps(d + k), y1), x1)));
  }
#endif
  lerp_scalar(a, b, c, d, wy0, wy1, wx0, wx1, k, n, out);
}

#if defined(TFC_HAVE_AVX2_KERNELS)
__attribute__((target("avx2"))) void lerp_avx2(const float* a, const float* b, const float* c, const float* d,
                                               float wy0, float wy1, float wx0, float wx1, int64_t n, float* out) {
  const __m256 y0 = _mm256_set1_ps(wy0), y1 = _mm256_set1_ps(wy1), x0 = _mm256_set1_ps(wx0),
               x1 = _mm256_set1_ps(wx1);
  int64_t k = 0;
  for (; k + 8 <= n; k += 8) {
    __m256 s = _mm256_add_ps(_mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(a + k), y0), x0),
                             _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(b + k), y1), x0));
    s = _mm256_add_ps(s, _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(c + k), y0), x1));
    _mm256_storeu_ps(out + k, _mm256_add_ps(s, _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(d + k), y1), x1)));
  }
  if (k < n) lerp_sse2(a + k, b + k, c + k, d + k, wy0, wy1, wx0, wx1, n - k, out + k);
}
#endif

// Channels [from, n) of one int8 bilinear output pixel, as the reference.
void lerp_int8_scalar(const int8_t* a, const int8_t* b, const int8_t* c, const int8_t* d, const int32_t w[4],
                      int64_t from, int64_t n, int8_t* out) {
  for (int64_t k = from; k < n; ++k) {
    const int64_t sum = int64_t{a[k]} * w[0] + int64_t{b[k]} * w[1] + int64_t{c[k]} * w[2] + int64_t{d[k]} * w[3];
    out[k] = static_cast<int8_t>((sum + (sum > 0 ? (1 << 19) : -(1 << 19))) / (1 << 20));
  }
}

#if defined(TFC_HAVE_AVX2_KERNELS)
// 8 int8 values at p as int32.
__attribute__((target("avx2"))) inline __m256i load_int8x8(const int8_t* p) {
  return _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
}

// The same, 8 channels at a time: sign(sum) * ((|sum| + 2^19) >> 20) is the
// reference's rounding half away from zero.
__attribute__((target("avx2"))) void lerp_int8_avx2(const int8_t* a, const int8_t* b, const int8_t* c,
                                                    const int8_t* d, const int32_t w[4], int64_t n, int8_t* out) {
  const __m256i w0 = _mm256_set1_epi32(w[0]), w1 = _mm256_set1_epi32(w[1]), w2 = _mm256_set1_epi32(w[2]),
                w3 = _mm256_set1_epi32(w[3]), half = _mm256_set1_epi32(1 << 19);
  int64_t k = 0;
  for (; k + 8 <= n; k += 8) {
    const __m256i sum = _mm256_add_epi32(
        _mm256_add_epi32(_mm256_mullo_epi32(load_int8x8(a + k), w0), _mm256_mullo_epi32(load_int8x8(b + k), w1)),
        _mm256_add_epi32(_mm256_mullo_epi32(load_int8x8(c + k), w2), _mm256_mullo_epi32(load_int8x8(d + k), w3)));
    const __m256i q = _mm256_sign_epi32(_mm256_srli_epi32(_mm256_add_epi32(_mm256_abs_epi32(sum), half), 20), sum);
    const __m128i q16 = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out + k), _mm_packs_epi16(q16, q16));
  }
  lerp_int8_scalar(a, b, c, d, w, k, n, out);
}
#endif

// Both ops: (N, H, W, C) in, (N, out_h, out_w, C) out, taps per prepare.
class Resize final : public FastKernel {
 public:
  enum class Mode { kNearest, kBilinearFloat, kBilinearInt8 };
  Resize(const ir::Shape& in, const ir::Shape& out, Mode mode, bool align_corners, bool half_pixel, size_t elem,
         Backend& backend)
      : mode_(mode), elem_(elem), backend_(backend) {
    batches_ = in[0];
    c_ = in[3];
    in_image_ = int64_t{in[1]} * in[2] * c_;
    out_h_ = out[1];
    out_row_ = int64_t{out[2]} * c_;
    const auto taps = mode == Mode::kNearest ? nearest_taps : mode == Mode::kBilinearFloat ? bilinear_taps : int8_taps;
    ys_ = taps(in[1], out[1], align_corners, half_pixel, int64_t{in[2]} * c_);
    xs_ = taps(in[2], out[2], align_corners, half_pixel, c_);
#if defined(TFC_HAVE_AVX2_KERNELS)
    avx2_ = __builtin_cpu_supports("avx2");
#endif
  }

  Status run(ops::OpContext& ctx) override {
    const auto* in = static_cast<const uint8_t*>(ctx.input_data(0));
    auto* out = static_cast<uint8_t*>(ctx.output_data(0));
    const int64_t rows = batches_ * out_h_, row_bytes = out_row_ * static_cast<int64_t>(elem_);
    const int64_t tasks = own_task_count(backend_, rows, rows * row_bytes);
    backend_.parallel(tasks, [&](int64_t t) {
      for (int64_t r = rows * t / tasks, begin = r, end = rows * (t + 1) / tasks; r < end; ++r) {
        const int64_t y = r % out_h_;
        uint8_t* dst = out + r * row_bytes;
        if (r > begin && y > 0 && ys_[static_cast<size_t>(y)] == ys_[static_cast<size_t>(y - 1)]) {
          std::memcpy(dst, dst - row_bytes, static_cast<size_t>(row_bytes));
          continue;
        }
        const uint8_t* image = in + r / out_h_ * in_image_ * static_cast<int64_t>(elem_);
        const Tap& ty = ys_[static_cast<size_t>(y)];
        if (mode_ == Mode::kBilinearFloat) {
          lerp_row(reinterpret_cast<const float*>(image), ty, reinterpret_cast<float*>(dst));
        } else if (mode_ == Mode::kBilinearInt8) {
          lerp_int8_row(reinterpret_cast<const int8_t*>(image), ty, reinterpret_cast<int8_t*>(dst));
        } else {
          copy_row(image + ty.lo * static_cast<int64_t>(elem_), dst);
        }
      }
    });
    return Status::ok();
  }
  const char* library() const override { return "own"; }

 private:
  // One bilinear output row from the image's rows ty.lo and ty.hi.
  void lerp_row(const float* image, const Tap& ty, float* dst) const {
#if defined(TFC_HAVE_AVX2_KERNELS)
    if (avx2_) return lerp_row_avx2(image, ty, dst);
#endif
    const float *top = image + ty.lo, *bottom = image + ty.hi;
    for (const Tap& tx : xs_) {
      lerp_sse2(top + tx.lo, bottom + tx.lo, top + tx.hi, bottom + tx.hi, ty.w0, ty.w1, tx.w0, tx.w1, c_, dst);
      dst += c_;
    }
  }

  // One int8 bilinear output row from the image's rows ty.lo and ty.hi.
  void lerp_int8_row(const int8_t* image, const Tap& ty, int8_t* dst) const {
#if defined(TFC_HAVE_AVX2_KERNELS)
    if (avx2_) return lerp_int8_row_avx2(image, ty, dst);
#endif
    const int8_t *top = image + ty.lo, *bottom = image + ty.hi;
    for (const Tap& tx : xs_) {
      const int32_t w[4] = {ty.q0 * tx.q0, ty.q1 * tx.q0, ty.q0 * tx.q1, ty.q1 * tx.q1};
      lerp_int8_scalar(top + tx.lo, bottom + tx.lo, top + tx.hi, bottom + tx.hi, w, 0, c_, dst);
      dst += c_;
    }
  }

#if defined(TFC_HAVE_AVX2_KERNELS)
  // The two rows with AVX2 throughout: one switch from the SSE code around
  // them per row, not per pixel (each switch stalls).
  __attribute__((target("avx2"))) void lerp_row_avx2(const float* image, const Tap& ty, float* dst) const {
    const float *top = image + ty.lo, *bottom = image + ty.hi;
    for (const Tap& tx : xs_) {
      lerp_avx2(top + tx.lo, bottom + tx.lo, top + tx.hi, bottom + tx.hi, ty.w0, ty.w1, tx.w0, tx.w1, c_, dst);
      dst += c_;
    }
  }
  __attribute__((target("avx2"))) void lerp_int8_row_avx2(const int8_t* image, const Tap& ty, int8_t* dst) const {
    const int8_t *top = image + ty.lo, *bottom = image + ty.hi;
    for (const Tap& tx : xs_) {
      const int32_t w[4] = {ty.q0 * tx.q0, ty.q1 * tx.q0, ty.q0 * tx.q1, ty.q1 * tx.q1};
      lerp_int8_avx2(top + tx.lo, bottom + tx.lo, top + tx.hi, bottom + tx.hi, w, c_, dst);
      dst += c_;
    }
  }
#endif

  // One nearest output row from the source row at `src`.
  void copy_row(const uint8_t* src, uint8_t* dst) const {
    const size_t pixel = static_cast<size_t>(c_) * elem_;
    for (const Tap& tx : xs_) {
      std::memcpy(dst, src + tx.lo * static_cast<int64_t>(elem_), pixel);
      dst += pixel;
    }
  }

  Mode mode_;
  size_t elem_;
  Backend& backend_;
  int64_t batches_ = 0, c_ = 0, in_image_ = 0, out_h_ = 0, out_row_ = 0;
  std::vector<Tap> ys_, xs_;
#if defined(TFC_HAVE_AVX2_KERNELS)
  bool avx2_ = false;
#endif
};

// The options of either op, as the reference reads them.
template <typename Options>
void resize_options(const ops::OpContext& ctx, bool& align_corners, bool& half_pixel) {
  if (const auto* o = ctx.op().options_as<Options>()) {
    align_corners = o->align_corners;
    half_pixel = o->half_pixel_centers;
  }
}

}  // namespace

Expected<std::unique_ptr<FastKernel>> prepare_own_resize(const ops::OpContext& ctx, Backend& backend) {
  if (ctx.op().code.is_custom()) return std::unique_ptr<FastKernel>();
  const auto code = ctx.op().code.builtin;
  const bool bilinear = code == tflite::BuiltinOperator_RESIZE_BILINEAR;
  if (!bilinear && code != tflite::BuiltinOperator_RESIZE_NEAREST_NEIGHBOR) return std::unique_ptr<FastKernel>();
  if (ctx.num_inputs() != 2 || ctx.num_outputs() != 1 || ctx.output_dtype(0) != ctx.input_dtype(0))
    return std::unique_ptr<FastKernel>();
  const ir::Shape& in = ctx.input_shape(0);
  const ir::Shape& out = ctx.output_shape(0);
  if (in.size() != 4 || out.size() != 4 || out[0] != in[0] || out[3] != in[3]) return std::unique_ptr<FastKernel>();
  // An empty input image (the reference would read outside it) keeps the reference.
  for (size_t d = 0; d < 4; ++d)
    if (in[d] < 0 || out[d] < 0 || ((d == 1 || d == 2) && in[d] == 0)) return std::unique_ptr<FastKernel>();
  bool align_corners = false, half_pixel = false;
  size_t elem = 4;
  Resize::Mode mode = Resize::Mode::kNearest;
  if (bilinear) {
    // int8: input and output quantized alike (checked by the op's shape rule).
    const DType t = ctx.input_dtype(0);
    if (t != DType::kFloat32 && t != DType::kInt8) return std::unique_ptr<FastKernel>();
    mode = t == DType::kInt8 ? Resize::Mode::kBilinearInt8 : Resize::Mode::kBilinearFloat;
    elem = t == DType::kInt8 ? 1 : 4;
    resize_options<tflite::ResizeBilinearOptionsT>(ctx, align_corners, half_pixel);
  } else {
    const DType t = ctx.input_dtype(0);
    if (t != DType::kFloat32 && t != DType::kInt32 && t != DType::kInt8 && t != DType::kUInt8 && t != DType::kInt16)
      return std::unique_ptr<FastKernel>();
    elem = t == DType::kInt8 || t == DType::kUInt8 ? 1 : t == DType::kInt16 ? 2 : 4;
    resize_options<tflite::ResizeNearestNeighborOptionsT>(ctx, align_corners, half_pixel);
  }
  return std::unique_ptr<FastKernel>(new Resize(in, out, mode, align_corners, half_pixel, elem, backend));
}

}  // namespace tfc::runtime::fast
