// Exact int8 dot products of a block of weight rows with a few activation
// rows, for the hybrid (int8 weights, float activations) fast kernels
// (hybrid_fc.cc): acc[r * acc_stride + u] = sum_d w[u * depth + d] * q[r * depth + d]
// in int32, for u < units and r < rows. The sums are exact, so every path
// gives the same values:
// - kScalar: plain loops (any target);
// - kAvx2: int8 widened to int16, pairs multiplied and added by
//   _mm256_madd_epi16, four weight rows at a time;
// - kAvxVnni: _mm256_dpbusd_avx_epi32 on (q + 128) as uint8 times w, then
//   128 * sum_d w[u][d] (w_sums) taken off, four weight rows at a time.
// best_int8_dot_path() picks the fastest the CPU has (checked at run time).
#pragma once

#include <cstdint>

namespace tfc::runtime::fast {

enum class Int8DotPath { kScalar, kAvx2, kAvxVnni };

Int8DotPath best_int8_dot_path();

// w_sums (per weight row) is read by kAvxVnni only.
void int8_dots(Int8DotPath path, const int8_t* w, const int32_t* w_sums, int64_t units, int64_t depth,
               const int8_t* q, int64_t rows, int32_t* acc, int64_t acc_stride);

}  // namespace tfc::runtime::fast
