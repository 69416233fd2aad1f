// SSE2 pieces shared by the fast kernels that write int8 (dnnl_kernels.cc
// requantization, own_kernels.cc QUANTIZE). x86-64 always has SSE2; other
// targets take the kernels' scalar loops.
#pragma once

#include <cstdint>

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
