// Exact int8 dot products of weight rows with a few activation rows, for the
// hybrid (int8 weights, float activations) fast kernels (hybrid_kernels.cc):
//   acc[r * acc_stride + u] = sum_d w[u * stride + d] * q[r * stride + d]
// in int32, for u < units and r < rows. Every row of w and q holds its values
// then zeros up to `stride`, a multiple of kInt8DotAlign (int8_dot_stride),
// and w holds zero rows up to a multiple of four units, so no path has a
// tail. The sums are exact, so every path gives the same values:
// - kScalar: plain loops (any target);
// - kAvx2: int8 widened to int16, pairs multiplied and added by
//   _mm256_madd_epi16;
// - kAvxVnni: _mm256_dpbusd_avx_epi32 on (q + 128) as uint8 times w, then
//   128 * sum_d w[u][d] (w_sums) taken off.
// The vector paths take tiles of two activation rows by four weight rows.
// best_int8_dot_path() picks the fastest the CPU has (checked at run time);
// a path the CPU lacks must not be asked for.
#pragma once

#include <cstdint>

namespace tfc::runtime::fast {

// kAvx512Vnni: the CPU has AVX-512 VNNI (the int8 conv kernel's u8 x s8
// products on 512-bit vectors, int8_gemm_conv.cc); kAmx: it also has AMX
// (tiles of u8 x s8 products) and the OS lets this process use the tiles.
// For both, int8_dots takes kAvxVnni where the CPU also has AVX-VNNI, else
// kAvx2.
enum class Int8DotPath { kScalar, kAvx2, kAvxVnni, kAvx512Vnni, kAmx };

// The first call asks the OS (Linux: arch_prctl ARCH_REQ_XCOMP_PERM) for
// the AMX tile state, once per process.
Int8DotPath best_int8_dot_path();
// Whether the CPU has AVX-VNNI (the VEX-encoded dot products).
bool cpu_has_avx_vnni();

constexpr int64_t kInt8DotAlign = 32;
inline int64_t int8_dot_stride(int64_t depth) { return (depth + kInt8DotAlign - 1) / kInt8DotAlign * kInt8DotAlign; }
// Weight rows to allocate for `units`: a multiple of four.
inline int64_t int8_dot_units(int64_t units) { return (units + 3) / 4 * 4; }

// w_sums (per unit) is read by kAvxVnni only.
void int8_dots(Int8DotPath path, const int8_t* w, const int32_t* w_sums, int64_t units, int64_t stride,
               const int8_t* q, int64_t rows, int32_t* acc, int64_t acc_stride);

}  // namespace tfc::runtime::fast
