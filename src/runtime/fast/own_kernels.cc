// Fast kernels of our own, for ops on MobileNet-style paths that neither
// library covers in the versions Debian ships (docs/RUNTIME.md):
// - MEAN over the spatial axes (1, 2) of an NHWC tensor — global average
//   pooling — float32 (summed in float, within 1e-4 of the reference's
//   result) and int8 with LiteRT's default-path arithmetic
//   (kernels/xnn_reduce.h; exact integer sums, then the same rescale);
// - RELU and RELU6 float32, bit-exact with the reference (x < 0 ? 0 : x,
//   then x > 6 ? 6 : x: NaN and -0 pass through), four lanes at a time.
#include <cmath>
#include <vector>

#include "kernels/quant_util.h"
#include "kernels/xnn_reduce.h"
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

// MEAN over axes {1, 2} of (N, H, W, C).
class SpatialMean final : public FastKernel {
 public:
  SpatialMean(bool int8, float scale, int32_t in_zp, int32_t out_zp)
      : int8_(int8), scale_(scale), in_zp_(in_zp), out_zp_(out_zp) {}

  Status run(ops::OpContext& ctx) override {
    const ir::Shape& s = ctx.input_shape(0);
    const int64_t n = s[0], pixels = int64_t{s[1]} * s[2], c = s[3];
    if (int8_) {
      acc_i_.resize(static_cast<size_t>(c));
      for (int64_t b = 0; b < n; ++b) {
        const int8_t* in = ctx.input<int8_t>(0) + b * pixels * c;
        std::fill(acc_i_.begin(), acc_i_.end(), 0);
        for (int64_t p = 0; p < pixels; ++p)
          for (int64_t k = 0; k < c; ++k) acc_i_[static_cast<size_t>(k)] += in[p * c + k];
        int8_t* out = ctx.output<int8_t>(0) + b * c;
        // sum of (q - zp) = sum of q - pixels * zp, exactly.
        for (int64_t k = 0; k < c; ++k)
          out[k] = kernels::xnn_mean_requantize(acc_i_[static_cast<size_t>(k)] - pixels * in_zp_, scale_, out_zp_);
      }
    } else {
      acc_f_.resize(static_cast<size_t>(c));
      const float count = static_cast<float>(pixels);
      for (int64_t b = 0; b < n; ++b) {
        const float* in = ctx.input<float>(0) + b * pixels * c;
        std::fill(acc_f_.begin(), acc_f_.end(), 0.0f);
        for (int64_t p = 0; p < pixels; ++p)
          for (int64_t k = 0; k < c; ++k) acc_f_[static_cast<size_t>(k)] += in[p * c + k];
        float* out = ctx.output<float>(0) + b * c;
        for (int64_t k = 0; k < c; ++k) out[k] = acc_f_[static_cast<size_t>(k)] / count;
      }
    }
    return Status::ok();
  }
  const char* library() const override { return "own"; }

 private:
  bool int8_;
  float scale_;
  int32_t in_zp_, out_zp_;
  std::vector<int64_t> acc_i_;
  std::vector<float> acc_f_;
};

Expected<std::unique_ptr<FastKernel>> prepare_mean(const ops::OpContext& ctx) {
  if (ctx.num_inputs() != 2 || ctx.input_data(1) == nullptr || ctx.input_dtype(1) != DType::kInt32)
    return std::unique_ptr<FastKernel>();
  const ir::Shape& s = ctx.input_shape(0);
  if (s.size() != 4) return std::unique_ptr<FastKernel>();
  for (auto d : s) if (d <= 0) return std::unique_ptr<FastKernel>();
  const int64_t naxes = ir::num_elements(ctx.input_shape(1));
  bool h = false, w = false;
  for (int64_t i = 0; i < naxes; ++i) {
    int32_t a = ctx.input<int32_t>(1)[i];
    if (a < 0) a += 4;
    if (a == 1) h = true;
    else if (a == 2) w = true;
    else return std::unique_ptr<FastKernel>();
  }
  if (!h || !w || ir::num_elements(ctx.output_shape(0)) != int64_t{s[0]} * s[3]) return std::unique_ptr<FastKernel>();
  if (ctx.input_dtype(0) == DType::kFloat32 && ctx.output_dtype(0) == DType::kFloat32)
    return std::unique_ptr<FastKernel>(new SpatialMean(false, 0, 0, 0));
  if (ctx.input_dtype(0) != DType::kInt8 || ctx.output_dtype(0) != DType::kInt8) return std::unique_ptr<FastKernel>();
  float si = 0, so = 0;
  int32_t zi = 0, zo = 0;
  if (!per_tensor_int8(ctx.input_tensor(0), si, zi) || !per_tensor_int8(ctx.output_tensor(0), so, zo))
    return std::unique_ptr<FastKernel>();
  return std::unique_ptr<FastKernel>(
      new SpatialMean(true, kernels::xnn_mean_scale(si, so, int64_t{s[1]} * s[2]), zi, zo));
}

}  // namespace

Expected<std::unique_ptr<FastKernel>> prepare_own(const ops::OpContext& ctx) {
  if (ctx.op().code.is_custom()) return std::unique_ptr<FastKernel>();
  switch (ctx.op().code.builtin) {
    case tflite::BuiltinOperator_MEAN: return prepare_mean(ctx);
    case tflite::BuiltinOperator_RELU: return prepare_relu(ctx, false);
    case tflite::BuiltinOperator_RELU6: return prepare_relu(ctx, true);
    default: return std::unique_ptr<FastKernel>();
  }
}

}  // namespace tfc::runtime::fast
