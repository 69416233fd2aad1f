// Fast kernels of our own, for ops on MobileNet-style paths that neither
// library covers in the versions Debian ships (docs/RUNTIME.md):
// - RELU and RELU6 float32, bit-exact with the reference (x < 0 ? 0 : x,
//   then x > 6 ? 6 : x: NaN and -0 pass through), four lanes at a time.
#include <cmath>

#include "kernels/quant_util.h"
#include "runtime/fast/fast_kernel.h"
#include "runtime/fast/simd.h"

namespace tfc::runtime::fast {
namespace {

// RELU / RELU6 (float32). _mm_max_ps(a, b) is a > b ? a : b and _mm_min_ps
// a < b ? a : b, so max(0, min(6, x)) is the reference's comparisons exactly.
class ReluFloat final : public FastKernel {
 public:
  explicit ReluFloat(bool six) : six_(six) {}

  Status run(ops::OpContext& ctx) override {
    const float* in = ctx.input<float>(0);
    float* out = ctx.output<float>(0);
    const int64_t n = ir::num_elements(ctx.input_shape(0));
    const float hi = six_ ? 6.0f : INFINITY;
    int64_t i = 0;
#if defined(__SSE2__)
    const __m128 zero = _mm_setzero_ps(), vhi = _mm_set1_ps(hi);
    for (; i + 4 <= n; i += 4)
      _mm_storeu_ps(out + i, _mm_max_ps(zero, _mm_min_ps(vhi, _mm_loadu_ps(in + i))));
#endif
    for (; i < n; ++i) {
      const float x = in[i];
      out[i] = x < 0.0f ? 0.0f : (x > hi ? hi : x);
    }
    return Status::ok();
  }
  const char* library() const override { return "own"; }

 private:
  bool six_;
};

Expected<std::unique_ptr<FastKernel>> prepare_relu(const ops::OpContext& ctx, bool six) {
  if (ctx.num_inputs() != 1 || ctx.input_dtype(0) != DType::kFloat32 || ctx.output_dtype(0) != DType::kFloat32)
    return std::unique_ptr<FastKernel>();
  return std::unique_ptr<FastKernel>(new ReluFloat(six));
}

}  // namespace

Expected<std::unique_ptr<FastKernel>> prepare_own(const ops::OpContext& ctx) {
  if (ctx.op().code.is_custom()) return std::unique_ptr<FastKernel>();
  switch (ctx.op().code.builtin) {
    case tflite::BuiltinOperator_RELU: return prepare_relu(ctx, false);
    case tflite::BuiltinOperator_RELU6: return prepare_relu(ctx, true);
    default: return std::unique_ptr<FastKernel>();
  }
}

}  // namespace tfc::runtime::fast
