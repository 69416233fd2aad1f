// Exact int8 dot products on three paths (see int8_dot.h).
#include "runtime/fast/int8_dot.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define TFC_HAVE_X86_DOTS 1
#endif

namespace tfc::runtime::fast {
namespace {

// sum_d w[d] * (q[d] + offset) over [d0, depth).
int32_t dot_tail(const int8_t* w, const int8_t* q, int64_t d0, int64_t depth, int32_t offset) {
  int32_t s = 0;
  for (int64_t d = d0; d < depth; ++d) s += int32_t{w[d]} * (int32_t{q[d]} + offset);
  return s;
}

void dots_scalar(const int8_t* w, int64_t units, int64_t depth, const int8_t* q, int64_t rows, int32_t* acc,
                 int64_t acc_stride) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t u = 0; u < units; ++u) acc[r * acc_stride + u] = dot_tail(w + u * depth, q + r * depth, 0, depth, 0);
}

#if defined(TFC_HAVE_X86_DOTS)

// The four lane sums of s0..s3, in order.
__attribute__((target("avx2"))) inline __m128i sum4(__m256i s0, __m256i s1, __m256i s2, __m256i s3) {
  const __m256i t = _mm256_hadd_epi32(_mm256_hadd_epi32(s0, s1), _mm256_hadd_epi32(s2, s3));
  return _mm_add_epi32(_mm256_castsi256_si128(t), _mm256_extracti128_si256(t, 1));
}

__attribute__((target("avx2"))) inline __m256i widen16(const int8_t* p) {
  return _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

__attribute__((target("avx2"))) inline __m256i load32(const int8_t* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

__attribute__((target("avx2"))) void dots_avx2(const int8_t* w, int64_t units, int64_t depth, const int8_t* q,
                                               int64_t rows, int32_t* acc, int64_t acc_stride) {
  const int64_t vec = depth / 16 * 16;
  int64_t u = 0;
  for (; u + 4 <= units; u += 4) {
    const int8_t* w0 = w + u * depth;
    const int8_t *w1 = w0 + depth, *w2 = w1 + depth, *w3 = w2 + depth;
    for (int64_t r = 0; r < rows; ++r) {
      const int8_t* x = q + r * depth;
      __m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0;
      for (int64_t d = 0; d < vec; d += 16) {
        const __m256i xv = widen16(x + d);
        s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(xv, widen16(w0 + d)));
        s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(xv, widen16(w1 + d)));
        s2 = _mm256_add_epi32(s2, _mm256_madd_epi16(xv, widen16(w2 + d)));
        s3 = _mm256_add_epi32(s3, _mm256_madd_epi16(xv, widen16(w3 + d)));
      }
      alignas(16) int32_t s[4];
      _mm_store_si128(reinterpret_cast<__m128i*>(s), sum4(s0, s1, s2, s3));
      int32_t* a = acc + r * acc_stride + u;
      a[0] = s[0] + dot_tail(w0, x, vec, depth, 0);
      a[1] = s[1] + dot_tail(w1, x, vec, depth, 0);
      a[2] = s[2] + dot_tail(w2, x, vec, depth, 0);
      a[3] = s[3] + dot_tail(w3, x, vec, depth, 0);
    }
  }
  if (u < units) dots_scalar(w + u * depth, units - u, depth, q, rows, acc + u, acc_stride);
}

__attribute__((target("avx2,avxvnni"))) void dots_vnni(const int8_t* w, const int32_t* w_sums, int64_t units,
                                                       int64_t depth, const int8_t* q, int64_t rows, int32_t* acc,
                                                       int64_t acc_stride) {
  const int64_t vec = depth / 32 * 32;
  const __m256i flip = _mm256_set1_epi8(static_cast<char>(0x80));  // q + 128 as uint8
  int64_t u = 0;
  for (; u + 4 <= units; u += 4) {
    const int8_t* w0 = w + u * depth;
    const int8_t *w1 = w0 + depth, *w2 = w1 + depth, *w3 = w2 + depth;
    for (int64_t r = 0; r < rows; ++r) {
      const int8_t* x = q + r * depth;
      __m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0;
      for (int64_t d = 0; d < vec; d += 32) {
        const __m256i xv = _mm256_xor_si256(load32(x + d), flip);
        s0 = _mm256_dpbusd_avx_epi32(s0, xv, load32(w0 + d));
        s1 = _mm256_dpbusd_avx_epi32(s1, xv, load32(w1 + d));
        s2 = _mm256_dpbusd_avx_epi32(s2, xv, load32(w2 + d));
        s3 = _mm256_dpbusd_avx_epi32(s3, xv, load32(w3 + d));
      }
      alignas(16) int32_t s[4];
      _mm_store_si128(reinterpret_cast<__m128i*>(s), sum4(s0, s1, s2, s3));
      int32_t* a = acc + r * acc_stride + u;
      a[0] = s[0] + dot_tail(w0, x, vec, depth, 128) - 128 * w_sums[u];
      a[1] = s[1] + dot_tail(w1, x, vec, depth, 128) - 128 * w_sums[u + 1];
      a[2] = s[2] + dot_tail(w2, x, vec, depth, 128) - 128 * w_sums[u + 2];
      a[3] = s[3] + dot_tail(w3, x, vec, depth, 128) - 128 * w_sums[u + 3];
    }
  }
  if (u < units) dots_scalar(w + u * depth, units - u, depth, q, rows, acc + u, acc_stride);
}

#endif

}  // namespace

Int8DotPath best_int8_dot_path() {
#if defined(TFC_HAVE_X86_DOTS)
  if (__builtin_cpu_supports("avx2")) {
    return __builtin_cpu_supports("avxvnni") ? Int8DotPath::kAvxVnni : Int8DotPath::kAvx2;
  }
#endif
  return Int8DotPath::kScalar;
}

void int8_dots(Int8DotPath path, const int8_t* w, const int32_t* w_sums, int64_t units, int64_t depth,
               const int8_t* q, int64_t rows, int32_t* acc, int64_t acc_stride) {
  switch (path) {
#if defined(TFC_HAVE_X86_DOTS)
    case Int8DotPath::kAvx2: dots_avx2(w, units, depth, q, rows, acc, acc_stride); return;
    case Int8DotPath::kAvxVnni: dots_vnni(w, w_sums, units, depth, q, rows, acc, acc_stride); return;
#endif
    default: dots_scalar(w, units, depth, q, rows, acc, acc_stride); return;
  }
}

}  // namespace tfc::runtime::fast
