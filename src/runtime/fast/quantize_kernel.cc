// Our own fast QUANTIZE (float32 -> int8, uint8, int16) and DEQUANTIZE
// (int8, uint8, int16 -> float32, per tensor), bit-exact with the reference
// kernels (kernels/elementwise_ref.cc):
// - QUANTIZE: x * (1 / scale) in float, rounded half to even, saturated, NaN
//   -> the type's maximum; clamping to the integer bounds less the zero point
//   before rounding gives the same integer as the reference's clamp after it
//   (the bounds are integers), and SSE2 min(v, hi) gives hi for NaN. Four
//   lanes at a time.
// - DEQUANTIZE: the reference computes double(scale) * (q - zero point) and
//   rounds it to float; that product is exact in double (24 + 17 bits), so it
//   is the one rounding of the exact product, which float multiplication of
//   float(q - zero point) (exact) by the scale also gives. Eight lanes with
//   AVX2 (after a run-time CPU check), else the reference's expression.
// Both split large tensors over the backend's threads.
#include <algorithm>
#include <cmath>
#include <limits>

#include "runtime/fast/fast_kernel.h"
#include "runtime/fast/simd.h"

namespace tfc::runtime::fast {
namespace {

// Runs loop(begin, end) over [0, n) in tasks of whole 16-element blocks.
template <typename F>
void split(const Backend& backend, int64_t n, int64_t bytes, const F& loop) {
  const int64_t blocks = (n + 15) / 16;
  const int64_t tasks = own_task_count(backend, blocks, bytes);
  backend.parallel(tasks, [&](int64_t t) {
    loop(blocks * t / tasks * 16, std::min(n, blocks * (t + 1) / tasks * 16));
  });
}

template <typename Q>
class Quantize final : public FastKernel {
 public:
  Quantize(float scale, int32_t zero_point, Backend& backend)
      : inverse_(1.0f / scale), zero_point_(zero_point), backend_(backend) {}

  Status run(ops::OpContext& ctx) override {
    const float* in = ctx.input<float>(0);
    Q* out = ctx.output<Q>(0);
    const int64_t n = ir::num_elements(ctx.input_shape(0));
    split(backend_, n, n * int64_t{sizeof(float) + sizeof(Q)}, [&](int64_t b, int64_t e) { rows(in, out, b, e); });
    return Status::ok();
  }
  const char* library() const override { return "own"; }

 private:
  void rows(const float* in, Q* out, int64_t i, int64_t n) const {
    // Bounds of the rounded value before the zero point is added.
    const float lo = static_cast<float>(std::numeric_limits<Q>::min() - zero_point_);
    const float hi = static_cast<float>(std::numeric_limits<Q>::max() - zero_point_);
#if defined(__SSE2__)
    const __m128 inv = _mm_set1_ps(inverse_), vlo = _mm_set1_ps(lo), vhi = _mm_set1_ps(hi);
    const __m128i zp16 = _mm_set1_epi16(static_cast<int16_t>(zero_point_));
    const __m128i zp32 = _mm_set1_epi32(zero_point_);
    // min(v, hi) gives hi for NaN (the second operand), as the reference does.
    auto q = [&](int64_t k) {
      const __m128 v = _mm_mul_ps(_mm_loadu_ps(in + k), inv);
      return _mm_cvtps_epi32(_mm_max_ps(_mm_min_ps(v, vhi), vlo));
    };
    for (; i + 16 <= n; i += 16) {
      if constexpr (std::is_same_v<Q, int8_t>) {
        store_int8x16(out + i, q(i), q(i + 4), q(i + 8), q(i + 12), zp16);
      } else if constexpr (std::is_same_v<Q, uint8_t>) {
        // In range after the clamp: |q| <= 255, q + zp in [0, 255].
        const __m128i a = _mm_add_epi16(_mm_packs_epi32(q(i), q(i + 4)), zp16);
        const __m128i b = _mm_add_epi16(_mm_packs_epi32(q(i + 8), q(i + 12)), zp16);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), _mm_packus_epi16(a, b));
      } else {
        for (int64_t k = 0; k < 16; k += 8) {
          const __m128i v = _mm_packs_epi32(_mm_add_epi32(q(i + k), zp32), _mm_add_epi32(q(i + k + 4), zp32));
          _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i + k), v);
        }
      }
    }
#endif
    for (; i < n; ++i) {
      float v = in[i] * inverse_;
      v = std::isnan(v) ? hi : std::min(std::max(v, lo), hi);
      out[i] = static_cast<Q>(static_cast<int32_t>(std::nearbyint(v)) + zero_point_);
    }
  }

  float inverse_;
  int32_t zero_point_;
  Backend& backend_;
};

// The reference's expression, for CPUs without AVX2 and the tails.
template <typename Q>
void dequantize_scalar(const Q* in, float* out, int64_t i, int64_t n, float scale, int32_t zero_point) {
  const double s = scale;
  for (; i < n; ++i) out[i] = static_cast<float>(s * (static_cast<int32_t>(in[i]) - zero_point));
}

#if defined(TFC_HAVE_AVX2_KERNELS)
template <typename Q>
__attribute__((target("avx2"))) void dequantize_avx2(const Q* in, float* out, int64_t i, int64_t n, float scale,
                                                     int32_t zero_point) {
  const __m256 s = _mm256_set1_ps(scale);
  const __m256i zp = _mm256_set1_epi32(zero_point);
  for (; i + 8 <= n; i += 8) {
    __m256i q;
    if constexpr (std::is_same_v<Q, int8_t>) {
      q = _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(in + i)));
    } else if constexpr (std::is_same_v<Q, uint8_t>) {
      q = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(in + i)));
    } else {
      q = _mm256_cvtepi16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i)));
    }
    _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(q, zp)), s));
  }
  dequantize_scalar(in, out, i, n, scale, zero_point);
}
#endif

template <typename Q>
class Dequantize final : public FastKernel {
 public:
  Dequantize(float scale, int32_t zero_point, Backend& backend)
      : scale_(scale), zero_point_(zero_point), backend_(backend) {
#if defined(TFC_HAVE_AVX2_KERNELS)
    avx2_ = __builtin_cpu_supports("avx2");
#endif
  }

  Status run(ops::OpContext& ctx) override {
    const Q* in = ctx.input<Q>(0);
    float* out = ctx.output<float>(0);
    const int64_t n = ir::num_elements(ctx.input_shape(0));
    split(backend_, n, n * int64_t{sizeof(float) + sizeof(Q)}, [&](int64_t b, int64_t e) {
#if defined(TFC_HAVE_AVX2_KERNELS)
      if (avx2_) return dequantize_avx2(in, out, b, e, scale_, zero_point_);
#endif
      dequantize_scalar(in, out, b, e, scale_, zero_point_);
    });
    return Status::ok();
  }
  const char* library() const override { return "own"; }

 private:
  float scale_;
  int32_t zero_point_;
  Backend& backend_;
  bool avx2_ = false;
};

// The single (scale, zero point) of t, with the zero point inside Q's range
// (the op's shape rule checked the rest); false for per-channel parameters.
template <typename Q>
bool per_tensor(const ir::Tensor& t, float& scale, int32_t& zero_point) {
  if (!t.is_quantized() || t.quantization->scale.size() != 1 || t.quantization->zero_point.size() != 1)
    return false;
  scale = t.quantization->scale[0];
  const int64_t zp = t.quantization->zero_point[0];
  zero_point = static_cast<int32_t>(zp);
  return std::isfinite(scale) && scale > 0.0f && zp >= std::numeric_limits<Q>::min() &&
         zp <= std::numeric_limits<Q>::max();
}

template <template <typename> class Kernel, typename Q>
std::unique_ptr<FastKernel> make(const ir::Tensor& t, Backend& backend) {
  float scale = 0;
  int32_t zp = 0;
  if (!per_tensor<Q>(t, scale, zp)) return nullptr;
  return std::unique_ptr<FastKernel>(new Kernel<Q>(scale, zp, backend));
}

template <template <typename> class Kernel>
std::unique_ptr<FastKernel> make_for(DType dtype, const ir::Tensor& t, Backend& backend) {
  switch (dtype) {
    case DType::kInt8: return make<Kernel, int8_t>(t, backend);
    case DType::kUInt8: return make<Kernel, uint8_t>(t, backend);
    case DType::kInt16: return make<Kernel, int16_t>(t, backend);
    default: return nullptr;
  }
}

}  // namespace

Expected<std::unique_ptr<FastKernel>> prepare_own_quantize(const ops::OpContext& ctx, Backend& backend) {
  if (ctx.op().code.is_custom() || ctx.num_inputs() != 1 || ctx.num_outputs() != 1 ||
      ctx.output_shape(0) != ctx.input_shape(0))
    return std::unique_ptr<FastKernel>();
  const int32_t code = ctx.op().code.builtin;
  if (code == tflite::BuiltinOperator_QUANTIZE && ctx.input_dtype(0) == DType::kFloat32)
    return make_for<Quantize>(ctx.output_dtype(0), ctx.output_tensor(0), backend);
  if (code == tflite::BuiltinOperator_DEQUANTIZE && ctx.output_dtype(0) == DType::kFloat32)
    return make_for<Dequantize>(ctx.input_dtype(0), ctx.input_tensor(0), backend);
  return std::unique_ptr<FastKernel>();
}

}  // namespace tfc::runtime::fast
