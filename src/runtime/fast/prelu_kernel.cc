// Our own fast float32 PRELU, bit-identical to the reference kernel
// (kernels/elementwise_ref.cc prelu: x >= 0 ? x : x * alpha per element, so
// NaN takes x * alpha and -0 passes through). alpha broadcasts into x's
// shape: it varies only over x's trailing axes from its first dim that is not
// 1, so x is a run of rows, each multiplied by the same pattern of alpha
// (alpha expanded to those axes, then repeated to at least kTile floats so
// that a per-tensor or per-pixel alpha also runs in long vectors). Rows are
// split over the backend's threads when the tensor is large; 8 lanes with
// AVX2 (after a run-time CPU check), else 4 with SSE2, then a scalar tail.
#include <algorithm>
#include <array>
#include <vector>

#include "kernels/broadcast.h"
#include "runtime/fast/fast_kernel.h"
#include "runtime/fast/simd.h"

namespace tfc::runtime::fast {
namespace {

// Floats the repeated alpha pattern covers at least.
constexpr int64_t kTile = 256;

// out[i] = x[i] >= 0 ? x[i] : x[i] * a[i] for i in [from, n).
void prelu_scalar(const float* x, const float* a, float* out, int64_t from, int64_t n) {
  for (int64_t i = from; i < n; ++i) out[i] = x[i] >= 0.0f ? x[i] : x[i] * a[i];
}

void prelu_sse2(const float* x, const float* a, float* out, int64_t n) {
  int64_t i = 0;
#if defined(__SSE2__)
  const __m128 zero = _mm_setzero_ps();
  for (; i + 4 <= n; i += 4) {
    const __m128 v = _mm_loadu_ps(x + i);
    const __m128 keep = _mm_cmpge_ps(v, zero);  // false for NaN
    const __m128 scaled = _mm_mul_ps(v, _mm_loadu_ps(a + i));
    _mm_storeu_ps(out + i, _mm_or_ps(_mm_and_ps(keep, v), _mm_andnot_ps(keep, scaled)));
  }
#endif
  prelu_scalar(x, a, out, i, n);
}

#if defined(TFC_HAVE_AVX2_KERNELS)
__attribute__((target("avx2"))) void prelu_avx2(const float* x, const float* a, float* out, int64_t n) {
  const __m256 zero = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    const __m256 keep = _mm256_cmp_ps(v, zero, _CMP_GE_OQ);  // false for NaN
    const __m256 scaled = _mm256_mul_ps(v, _mm256_loadu_ps(a + i));
    _mm256_storeu_ps(out + i, _mm256_blendv_ps(scaled, v, keep));
  }
  prelu_scalar(x, a, out, i, n);
}
#endif

class PreluFloat final : public FastKernel {
 public:
  // x's dims, split at `axis` (alpha is 1 on every axis before it) into
  // `outer` repeats of the trailing dims; alpha_dims right-aligned to x's.
  PreluFloat(const ir::Shape& x, std::vector<int32_t> alpha_dims, size_t axis, Backend& backend)
      : trailing_(x.begin() + static_cast<std::ptrdiff_t>(axis), x.end()),
        alpha_dims_(alpha_dims.begin() + static_cast<std::ptrdiff_t>(axis), alpha_dims.end()),
        backend_(backend) {
    n_ = ir::num_elements(x);
    inner_ = kernels::flat_size(trailing_);
    const int64_t outer = inner_ == 0 ? 0 : n_ / inner_;
    tile_ = inner_ * std::clamp<int64_t>((kTile + inner_ - 1) / std::max<int64_t>(inner_, 1), 1,
                                         std::max<int64_t>(outer, 1));
#if defined(TFC_HAVE_AVX2_KERNELS)
    avx2_ = __builtin_cpu_supports("avx2");
#endif
  }

  Status run(ops::OpContext& ctx) override {
    if (n_ == 0) return Status::ok();
    expand_alpha(ctx.input<float>(1));
    const float* x = ctx.input<float>(0);
    float* out = ctx.output<float>(0);
    const int64_t chunks = (n_ + tile_ - 1) / tile_;
    const int64_t tasks = own_task_count(backend_, chunks, n_ * int64_t{sizeof(float)});
    backend_.parallel(tasks, [&](int64_t t) {
      const int64_t begin = chunks * t / tasks * tile_, end = std::min(n_, chunks * (t + 1) / tasks * tile_);
      for (int64_t c = begin; c < end; c += tile_) rows(x + c, out + c, std::min(tile_, end - c));
    });
    return Status::ok();
  }
  const char* library() const override { return "own"; }

 private:
  // alpha_ = alpha broadcast over the trailing dims, repeated to tile_ floats.
  void expand_alpha(const float* alpha) {
    alpha_.resize(static_cast<size_t>(tile_));
    kernels::for_each_broadcast<1>(trailing_, {alpha_dims_}, [&](int64_t o, const std::array<int64_t, 1>& off) {
      alpha_[static_cast<size_t>(o)] = alpha[off[0]];
    });
    for (int64_t i = inner_; i < tile_; ++i) alpha_[static_cast<size_t>(i)] = alpha_[static_cast<size_t>(i - inner_)];
  }

  // n <= tile_ floats starting at a multiple of the tile.
  void rows(const float* x, float* out, int64_t n) const {
#if defined(TFC_HAVE_AVX2_KERNELS)
    if (avx2_) return prelu_avx2(x, alpha_.data(), out, n);
#endif
    prelu_sse2(x, alpha_.data(), out, n);
  }

  std::vector<int32_t> trailing_, alpha_dims_;
  Backend& backend_;
  int64_t n_ = 0, inner_ = 1, tile_ = 1;
  std::vector<float> alpha_;
#if defined(TFC_HAVE_AVX2_KERNELS)
  bool avx2_ = false;
#endif
};

}  // namespace

Expected<std::unique_ptr<FastKernel>> prepare_own_prelu(const ops::OpContext& ctx, Backend& backend) {
  if (ctx.op().code.is_custom() || ctx.op().code.builtin != tflite::BuiltinOperator_PRELU)
    return std::unique_ptr<FastKernel>();
  if (ctx.num_inputs() != 2 || !ctx.has_input(1) || ctx.num_outputs() != 1 ||
      ctx.input_dtype(0) != DType::kFloat32 || ctx.input_dtype(1) != DType::kFloat32 ||
      ctx.output_dtype(0) != DType::kFloat32)
    return std::unique_ptr<FastKernel>();
  const ir::Shape& x = ctx.input_shape(0);
  const ir::Shape& a = ctx.input_shape(1);
  if (a.size() > x.size() || ctx.output_shape(0) != x) return std::unique_ptr<FastKernel>();
  for (auto d : x)
    if (d < 0) return std::unique_ptr<FastKernel>();
  // alpha right-aligned to x's rank; each dim 1 or x's.
  std::vector<int32_t> alpha(x.size() - a.size(), 1);
  alpha.insert(alpha.end(), a.begin(), a.end());
  size_t axis = x.size();  // alpha's first dim that is not 1
  for (size_t d = x.size(); d-- > 0;) {
    if (alpha[d] != 1 && alpha[d] != x[d]) return std::unique_ptr<FastKernel>();
    if (alpha[d] != 1) axis = d;
  }
  return std::unique_ptr<FastKernel>(new PreluFloat(x, std::move(alpha), axis, backend));
}

}  // namespace tfc::runtime::fast
