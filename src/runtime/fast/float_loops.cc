// Float32 loops of the training fast path (float_loops.h).
#include "runtime/fast/float_loops.h"

#include <algorithm>
#include <cmath>
#include <limits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace tfc::runtime::fast {
namespace {

// f(begin, end) over [0, n) in chunks shared by the calling thread's OpenMP
// team (compiled with OpenMP; else one chunk after another). Elementwise
// work only: the result does not depend on the team's size.
template <typename F>
void for_chunks(int64_t n, F f) {
  constexpr int64_t kChunk = 16384;  // floats: small enough to share, large enough to amortize a fork
  const int64_t chunks = (n + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static) if (chunks > 1)
  for (int64_t c = 0; c < chunks; ++c) f(c * kChunk, std::min(n, (c + 1) * kChunk));
}

void clamp_forward_range(const float* x, int64_t i, int64_t end, float lo, float hi, float* y) {
#if defined(__SSE2__)
  // _mm_min_ps(a, b) is a < b ? a : b and _mm_max_ps(a, b) a > b ? a : b: a
  // NaN x passes both, as in the scalar form.
  const __m128 vlo = _mm_set1_ps(lo), vhi = _mm_set1_ps(hi);
  for (; i + 4 <= end; i += 4) _mm_storeu_ps(y + i, _mm_max_ps(vlo, _mm_min_ps(vhi, _mm_loadu_ps(x + i))));
#endif
  for (; i < end; ++i) y[i] = x[i] < lo ? lo : (x[i] > hi ? hi : x[i]);
}

void clamp_backward_range(const float* x, const float* dy, int64_t i, int64_t end, float lo, float hi, float* dx) {
#if defined(__SSE2__)
  const __m128 vlo = _mm_set1_ps(lo), vhi = _mm_set1_ps(hi);
  for (; i + 4 <= end; i += 4) {
    const __m128 v = _mm_loadu_ps(x + i);
    const __m128 inside = _mm_and_ps(_mm_cmpgt_ps(v, vlo), _mm_cmplt_ps(v, vhi));
    _mm_storeu_ps(dx + i, _mm_add_ps(_mm_loadu_ps(dx + i), _mm_and_ps(inside, _mm_loadu_ps(dy + i))));
  }
#endif
  for (; i < end; ++i) dx[i] += x[i] > lo && x[i] < hi ? dy[i] : 0.0f;
}

void gate_backward_range(const float* y, const float* dy, int64_t i, int64_t end, float lo, float hi, float* dz) {
  if (hi >= std::numeric_limits<float>::max()) {  // RELU: y > lo alone (+inf passes, as the rule)
#if defined(__SSE2__)
    const __m128 vlo = _mm_set1_ps(lo);
    for (; i + 4 <= end; i += 4)
      _mm_storeu_ps(dz + i, _mm_and_ps(_mm_cmpgt_ps(_mm_loadu_ps(y + i), vlo), _mm_loadu_ps(dy + i)));
#endif
    for (; i < end; ++i) dz[i] = y[i] > lo ? dy[i] : 0.0f;
    return;
  }
#if defined(__SSE2__)
  const __m128 vlo = _mm_set1_ps(lo), vhi = _mm_set1_ps(hi);
  for (; i + 4 <= end; i += 4) {
    const __m128 v = _mm_loadu_ps(y + i);
    const __m128 inside = _mm_and_ps(_mm_cmpgt_ps(v, vlo), _mm_cmplt_ps(v, vhi));
    _mm_storeu_ps(dz + i, _mm_and_ps(inside, _mm_loadu_ps(dy + i)));
  }
#endif
  for (; i < end; ++i) dz[i] = y[i] > lo && y[i] < hi ? dy[i] : 0.0f;
}

void add_into_range(float* out, const float* v, int64_t i, int64_t end) {
#if defined(__SSE2__)
  for (; i + 4 <= end; i += 4) _mm_storeu_ps(out + i, _mm_add_ps(_mm_loadu_ps(out + i), _mm_loadu_ps(v + i)));
#endif
  for (; i < end; ++i) out[i] += v[i];
}

}  // namespace

void clamp_forward(const float* x, int64_t n, float lo, float hi, float* y) {
  for_chunks(n, [&](int64_t b, int64_t e) { clamp_forward_range(x, b, e, lo, hi, y); });
}

void clamp_backward(const float* x, const float* dy, int64_t n, float lo, float hi, float* dx) {
  for_chunks(n, [&](int64_t b, int64_t e) { clamp_backward_range(x, dy, b, e, lo, hi, dx); });
}

void gate_backward(const float* y, const float* dy, int64_t n, float lo, float hi, float* dz) {
  for_chunks(n, [&](int64_t b, int64_t e) { gate_backward_range(y, dy, b, e, lo, hi, dz); });
}

void add_into(float* out, const float* v, int64_t n) {
  for_chunks(n, [&](int64_t b, int64_t e) { add_into_range(out, v, b, e); });
}

}  // namespace tfc::runtime::fast
