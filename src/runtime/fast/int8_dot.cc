// Exact int8 dot products on three paths (see int8_dot.h).
#include "runtime/fast/int8_dot.h"

#include <algorithm>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#define TFC_HAVE_X86_DOTS 1
#endif
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace tfc::runtime::fast {
namespace {

void dots_scalar(const int8_t* w, int64_t units, int64_t stride, const int8_t* q, int64_t rows, int32_t* acc,
                 int64_t acc_stride) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t u = 0; u < units; ++u) {
      int32_t s = 0;
      for (int64_t d = 0; d < stride; ++d) s += int32_t{w[u * stride + d]} * q[r * stride + d];
      acc[r * acc_stride + u] = s;
    }
}

#if defined(TFC_HAVE_X86_DOTS)

// The four lane sums of s0..s3, less 128 * sums (kAvxVnni) or not, stored
// for the first n (at most 4) units at out.
__attribute__((target("avx2"))) inline void store4(int32_t* out, int64_t n, __m256i s0, __m256i s1, __m256i s2,
                                                   __m256i s3, __m128i offset) {
  const __m256i t = _mm256_hadd_epi32(_mm256_hadd_epi32(s0, s1), _mm256_hadd_epi32(s2, s3));
  const __m128i v = _mm_sub_epi32(_mm_add_epi32(_mm256_castsi256_si128(t), _mm256_extracti128_si256(t, 1)), offset);
  alignas(16) int32_t s[4];
  _mm_store_si128(reinterpret_cast<__m128i*>(s), v);
  std::copy(s, s + n, out);
}

__attribute__((target("avx2"))) inline __m256i widen16(const int8_t* p) {
  return _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

__attribute__((target("avx2"))) inline __m256i load32(const int8_t* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

__attribute__((target("avx2"))) void dots_avx2(const int8_t* w, int64_t units, int64_t stride, const int8_t* q,
                                               int64_t rows, int32_t* acc, int64_t acc_stride) {
  const __m128i none = _mm_setzero_si128();
  for (int64_t u = 0; u < units; u += 4) {
    const int8_t* w0 = w + u * stride;
    const int8_t *w1 = w0 + stride, *w2 = w1 + stride, *w3 = w2 + stride;
    const int64_t n = std::min<int64_t>(4, units - u);
    for (int64_t r = 0; r < rows; r += 2) {
      const int8_t* x0 = q + r * stride;
      const int8_t* x1 = r + 1 < rows ? x0 + stride : x0;
      __m256i s00 = _mm256_setzero_si256(), s01 = s00, s02 = s00, s03 = s00;
      __m256i s10 = s00, s11 = s00, s12 = s00, s13 = s00;
      for (int64_t d = 0; d < stride; d += 16) {
        const __m256i a0 = widen16(w0 + d), a1 = widen16(w1 + d), a2 = widen16(w2 + d), a3 = widen16(w3 + d);
        __m256i x = widen16(x0 + d);
        s00 = _mm256_add_epi32(s00, _mm256_madd_epi16(x, a0));
        s01 = _mm256_add_epi32(s01, _mm256_madd_epi16(x, a1));
        s02 = _mm256_add_epi32(s02, _mm256_madd_epi16(x, a2));
        s03 = _mm256_add_epi32(s03, _mm256_madd_epi16(x, a3));
        x = widen16(x1 + d);
        s10 = _mm256_add_epi32(s10, _mm256_madd_epi16(x, a0));
        s11 = _mm256_add_epi32(s11, _mm256_madd_epi16(x, a1));
        s12 = _mm256_add_epi32(s12, _mm256_madd_epi16(x, a2));
        s13 = _mm256_add_epi32(s13, _mm256_madd_epi16(x, a3));
      }
      store4(acc + r * acc_stride + u, n, s00, s01, s02, s03, none);
      if (r + 1 < rows) store4(acc + (r + 1) * acc_stride + u, n, s10, s11, s12, s13, none);
    }
  }
}

__attribute__((target("avx2,avxvnni"))) void dots_vnni(const int8_t* w, const int32_t* w_sums, int64_t units,
                                                       int64_t stride, const int8_t* q, int64_t rows, int32_t* acc,
                                                       int64_t acc_stride) {
  const __m256i flip = _mm256_set1_epi8(static_cast<char>(0x80));  // q + 128 as uint8
  for (int64_t u = 0; u < units; u += 4) {
    const int8_t* w0 = w + u * stride;
    const int8_t *w1 = w0 + stride, *w2 = w1 + stride, *w3 = w2 + stride;
    const int64_t n = std::min<int64_t>(4, units - u);
    alignas(16) int32_t sums[4] = {};
    std::copy(w_sums + u, w_sums + u + n, sums);
    const __m128i offset = _mm_slli_epi32(_mm_load_si128(reinterpret_cast<const __m128i*>(sums)), 7);
    for (int64_t r = 0; r < rows; r += 2) {
      const int8_t* x0 = q + r * stride;
      const int8_t* x1 = r + 1 < rows ? x0 + stride : x0;
      __m256i s00 = _mm256_setzero_si256(), s01 = s00, s02 = s00, s03 = s00;
      __m256i s10 = s00, s11 = s00, s12 = s00, s13 = s00;
      for (int64_t d = 0; d < stride; d += 32) {
        const __m256i a0 = load32(w0 + d), a1 = load32(w1 + d), a2 = load32(w2 + d), a3 = load32(w3 + d);
        __m256i x = _mm256_xor_si256(load32(x0 + d), flip);
        s00 = _mm256_dpbusd_avx_epi32(s00, x, a0);
        s01 = _mm256_dpbusd_avx_epi32(s01, x, a1);
        s02 = _mm256_dpbusd_avx_epi32(s02, x, a2);
        s03 = _mm256_dpbusd_avx_epi32(s03, x, a3);
        x = _mm256_xor_si256(load32(x1 + d), flip);
        s10 = _mm256_dpbusd_avx_epi32(s10, x, a0);
        s11 = _mm256_dpbusd_avx_epi32(s11, x, a1);
        s12 = _mm256_dpbusd_avx_epi32(s12, x, a2);
        s13 = _mm256_dpbusd_avx_epi32(s13, x, a3);
      }
      store4(acc + r * acc_stride + u, n, s00, s01, s02, s03, offset);
      if (r + 1 < rows) store4(acc + (r + 1) * acc_stride + u, n, s10, s11, s12, s13, offset);
    }
  }
}

#endif

#if defined(TFC_HAVE_X86_DOTS)
// AVX-VNNI: CPUID leaf 7, sub-leaf 1, EAX bit 4 (the compilers' feature
// strings for it differ: GCC knows "avxvnni", clang 14 does not). Asked only
// after AVX2, whose check covers the OS saving the AVX registers. Asked
// once: CPUID is slow (in a virtual machine it exits to the hypervisor,
// microseconds), and int8_dots asks on every call.
bool has_avx_vnni() {
  static const bool vnni = [] {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    return __get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx) && (eax & (1u << 4)) != 0;
  }();
  return vnni;
}

// AMX-TILE and AMX-INT8 (CPUID leaf 7, EDX bits 24 and 25), and the OS's
// leave to use the tile data (Linux 5.16 and later: the process asks once,
// ARCH_REQ_XCOMP_PERM for XFEATURE_XTILEDATA; it holds for every thread).
bool amx_usable() {
#if defined(__linux__) && defined(SYS_arch_prctl)
  static const bool usable = [] {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) || (edx & (3u << 24)) != (3u << 24)) return false;
    constexpr long kArchReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
    return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
  }();
  return usable;
#else
  return false;
#endif
}
#endif

}  // namespace

bool cpu_has_avx_vnni() {
#if defined(TFC_HAVE_X86_DOTS)
  return __builtin_cpu_supports("avx2") && has_avx_vnni();
#else
  return false;
#endif
}

Int8DotPath best_int8_dot_path() {
#if defined(TFC_HAVE_X86_DOTS)
  if (!__builtin_cpu_supports("avx2")) return Int8DotPath::kScalar;
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vnni"))
    return amx_usable() ? Int8DotPath::kAmx : Int8DotPath::kAvx512Vnni;
  return has_avx_vnni() ? Int8DotPath::kAvxVnni : Int8DotPath::kAvx2;
#else
  return Int8DotPath::kScalar;
#endif
}

void int8_dots(Int8DotPath path, const int8_t* w, const int32_t* w_sums, int64_t units, int64_t stride,
               const int8_t* q, int64_t rows, int32_t* acc, int64_t acc_stride) {
  switch (path) {
#if defined(TFC_HAVE_X86_DOTS)
    case Int8DotPath::kAvx2: dots_avx2(w, units, stride, q, rows, acc, acc_stride); return;
    case Int8DotPath::kAvxVnni: dots_vnni(w, w_sums, units, stride, q, rows, acc, acc_stride); return;
    case Int8DotPath::kAvx512Vnni:
    case Int8DotPath::kAmx:
      if (has_avx_vnni()) {
        dots_vnni(w, w_sums, units, stride, q, rows, acc, acc_stride);
      } else {
        dots_avx2(w, units, stride, q, rows, acc, acc_stride);
      }
      return;
#endif
    default: dots_scalar(w, units, stride, q, rows, acc, acc_stride); return;
  }
}

}  // namespace tfc::runtime::fast
