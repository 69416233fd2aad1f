// SIMD pieces shared by our own fast kernels:
// - SSE2 (x86-64 always has it): the int8 store of requantization and
//   QUANTIZE (dnnl_kernels.cc, quantize_kernel.cc); other targets take the
//   kernels' scalar loops;
// - AVX2, compiled per function (target attribute) and used only after a
//   run-time CPU check: widening int8 to int16 and the int8 rescale of the
//   int8 conv kernels (int8_depthwise.cc, int8_gemm_conv.cc).
#pragma once

#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>

namespace tfc::runtime::fast {

// 16 rounded int32 values (four vectors, in order) plus a zero point
// (eight int16 lanes), saturated to int8 and stored at out.
inline void store_int8x16(int8_t* out, __m128i a, __m128i b, __m128i c, __m128i d, __m128i zero_point16) {
  const __m128i lo = _mm_adds_epi16(_mm_packs_epi32(a, b), zero_point16);
  const __m128i hi = _mm_adds_epi16(_mm_packs_epi32(c, d), zero_point16);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm_packs_epi16(lo, hi));
}

}  // namespace tfc::runtime::fast
#endif

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define TFC_HAVE_AVX2_KERNELS 1

namespace tfc::runtime::fast {

// dst[i] = src[i] - zero_point as int16, for i < n.
__attribute__((target("avx2"))) inline void widen_int8(const int8_t* src, int64_t n, int16_t zero_point,
                                                       int16_t* dst) {
  const __m256i zp = _mm256_set1_epi16(zero_point);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256i v = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i)));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), _mm256_sub_epi16(v, zp));
  }
  for (; i < n; ++i) dst[i] = static_cast<int16_t>(src[i] - zero_point);
}

// The rescale of 16 int32 accumulators of one pixel — channels {0-3, 8-11}
// in a, {4-7, 12-15} in b (the lane order of _mm256_unpacklo/hi), scales in
// the same order — as requantize_row computes it (dnnl_kernels.cc):
// zp + round_half_even(clamp(float(acc) * scale, lo, hi)), saturated to
// int8. Stores the first `count` (at most 16) channels at out.
struct Int8Rescale {
  __m256 lo, hi;
  __m256i zero_point16;
};
__attribute__((target("avx2"))) inline void store_rescaled_int8x16(int8_t* out, int64_t count, __m256i a, __m256i b,
                                                                   __m256 scale_a, __m256 scale_b,
                                                                   const Int8Rescale& r) {
  const __m256 fa = _mm256_min_ps(_mm256_max_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(a), scale_a), r.lo), r.hi);
  const __m256 fb = _mm256_min_ps(_mm256_max_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(b), scale_b), r.lo), r.hi);
  // {0-3, 4-7 | 8-11, 12-15}: channels in order, then the zero point.
  const __m256i q16 = _mm256_adds_epi16(_mm256_packs_epi32(_mm256_cvtps_epi32(fa), _mm256_cvtps_epi32(fb)),
                                        r.zero_point16);
  const __m128i v = _mm256_castsi256_si128(_mm256_permute4x64_epi64(_mm256_packs_epi16(q16, q16), 0x08));
  if (count >= 16) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), v);
  } else {
    alignas(16) int8_t tmp[16];
    _mm_store_si128(reinterpret_cast<__m128i*>(tmp), v);
    std::memcpy(out, tmp, static_cast<size_t>(count));
  }
}

// Position of channel c of a 16-channel block in the (a, b) order above.
inline int64_t rescale_lane(int64_t c) { return c % 8 / 4 * 8 + c / 8 * 4 + c % 4; }

}  // namespace tfc::runtime::fast
#endif
