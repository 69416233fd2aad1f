// Float32 loops of the training fast path (float_loops.h).
#include "runtime/fast/float_loops.h"

#include <cmath>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace tfc::runtime::fast {

void clamp_forward(const float* x, int64_t n, float lo, float hi, float* y) {
  int64_t i = 0;
#if defined(__SSE2__)
  // _mm_min_ps(a, b) is a < b ? a : b and _mm_max_ps(a, b) a > b ? a : b: a
  // NaN x passes both, as in the scalar form.
  const __m128 vlo = _mm_set1_ps(lo), vhi = _mm_set1_ps(hi);
  for (; i + 4 <= n; i += 4) _mm_storeu_ps(y + i, _mm_max_ps(vlo, _mm_min_ps(vhi, _mm_loadu_ps(x + i))));
#endif
  for (; i < n; ++i) y[i] = x[i] < lo ? lo : (x[i] > hi ? hi : x[i]);
}

void clamp_backward(const float* x, const float* dy, int64_t n, float lo, float hi, float* dx) {
  int64_t i = 0;
#if defined(__SSE2__)
  const __m128 vlo = _mm_set1_ps(lo), vhi = _mm_set1_ps(hi);
  for (; i + 4 <= n; i += 4) {
    const __m128 v = _mm_loadu_ps(x + i);
    const __m128 inside = _mm_and_ps(_mm_cmpgt_ps(v, vlo), _mm_cmplt_ps(v, vhi));
    _mm_storeu_ps(dx + i, _mm_add_ps(_mm_loadu_ps(dx + i), _mm_and_ps(inside, _mm_loadu_ps(dy + i))));
  }
#endif
  for (; i < n; ++i) dx[i] += x[i] > lo && x[i] < hi ? dy[i] : 0.0f;
}

void gate_backward(const float* y, const float* dy, int64_t n, float lo, float hi, float* dz) {
  int64_t i = 0;
  if (std::isinf(hi) && hi > 0) {
#if defined(__SSE2__)
    const __m128 vlo = _mm_set1_ps(lo);
    for (; i + 4 <= n; i += 4)
      _mm_storeu_ps(dz + i, _mm_and_ps(_mm_cmpgt_ps(_mm_loadu_ps(y + i), vlo), _mm_loadu_ps(dy + i)));
#endif
    for (; i < n; ++i) dz[i] = y[i] > lo ? dy[i] : 0.0f;
    return;
  }
#if defined(__SSE2__)
  const __m128 vlo = _mm_set1_ps(lo), vhi = _mm_set1_ps(hi);
  for (; i + 4 <= n; i += 4) {
    const __m128 v = _mm_loadu_ps(y + i);
    const __m128 inside = _mm_and_ps(_mm_cmpgt_ps(v, vlo), _mm_cmplt_ps(v, vhi));
    _mm_storeu_ps(dz + i, _mm_and_ps(inside, _mm_loadu_ps(dy + i)));
  }
#endif
  for (; i < n; ++i) dz[i] = y[i] > lo && y[i] < hi ? dy[i] : 0.0f;
}

void add_into(float* out, const float* v, int64_t n) {
  int64_t i = 0;
#if defined(__SSE2__)
  for (; i + 4 <= n; i += 4) _mm_storeu_ps(out + i, _mm_add_ps(_mm_loadu_ps(out + i), _mm_loadu_ps(v + i)));
#endif
  for (; i < n; ++i) out[i] += v[i];
}

}  // namespace tfc::runtime::fast
