// Fast kernels of our own, for ops on MobileNet-style paths that neither
// library covers in the versions Debian ships (docs/RUNTIME.md):
// - QUANTIZE float32 -> int8 per tensor, with the reference's arithmetic
//   (kernels/elementwise_ref.h quantize: x * (1 / scale) in float, rounded
//   half to even, saturated, NaN -> 127), four lanes at a time;
// - RELU and RELU6 float32, bit-exact with the reference (x < 0 ? 0 : x,
//   then x > 6 ? 6 : x: NaN and -0 pass through), four lanes at a time.
#include <cmath>

#include "kernels/quant_util.h"
#include "runtime/fast/fast_kernel.h"
#include "runtime/fast/simd.h"

namespace tfc::runtime::fast {
namespace {


class QuantizeInt8 final : public FastKernel {
 public:
  QuantizeInt8(float scale, int32_t zero_point) : inverse_(1.0f / scale), zero_point_(zero_point) {}

  Status run(ops::OpContext& ctx) override {
    const float* in = ctx.input<float>(0);
    int8_t* out = ctx.output<int8_t>(0);
    const int64_t n = ir::num_elements(ctx.input_shape(0));
    // Bounds of the rounded value before the zero point is added.
    const float lo = static_cast<float>(-128 - zero_point_), hi = static_cast<float>(127 - zero_point_);
    int64_t i = 0;
#if defined(__SSE2__)
    const __m128 inv = _mm_set1_ps(inverse_), vlo = _mm_set1_ps(lo), vhi = _mm_set1_ps(hi);
    const __m128i zp = _mm_set1_epi16(static_cast<int16_t>(zero_point_));
    // min(v, hi) gives hi for NaN (the second operand), as the reference does.
    auto q = [&](int64_t k) {
      const __m128 v = _mm_mul_ps(_mm_loadu_ps(in + k), inv);
      return _mm_cvtps_epi32(_mm_max_ps(_mm_min_ps(v, vhi), vlo));
    };
    for (; i + 16 <= n; i += 16) store_int8x16(out + i, q(i), q(i + 4), q(i + 8), q(i + 12), zp);
#endif
    for (; i < n; ++i) {
      float v = in[i] * inverse_;
      v = std::isnan(v) ? hi : std::min(std::max(v, lo), hi);
      out[i] = static_cast<int8_t>(static_cast<int32_t>(std::nearbyint(v)) + zero_point_);
    }
    return Status::ok();
  }
  const char* library() const override { return "own"; }

 private:
  float inverse_;
  int32_t zero_point_;
};

Expected<std::unique_ptr<FastKernel>> prepare_quantize(const ops::OpContext& ctx) {
  if (ctx.num_inputs() != 1 || ctx.input_dtype(0) != DType::kFloat32 || ctx.output_dtype(0) != DType::kInt8)
    return std::unique_ptr<FastKernel>();
  float scale = 0;
  int32_t zp = 0;
  if (!per_tensor_int8(ctx.output_tensor(0), scale, zp)) return std::unique_ptr<FastKernel>();
  return std::unique_ptr<FastKernel>(new QuantizeInt8(scale, zp));
}

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
    case tflite::BuiltinOperator_QUANTIZE: return prepare_quantize(ctx);
    case tflite::BuiltinOperator_RELU: return prepare_relu(ctx, false);
    case tflite::BuiltinOperator_RELU6: return prepare_relu(ctx, true);
    default: return std::unique_ptr<FastKernel>();
  }
}

}  // namespace tfc::runtime::fast
