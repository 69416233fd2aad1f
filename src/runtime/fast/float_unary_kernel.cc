// Our own fast float32 unary kernels for ops that are one IEEE formula per
// element, bit-identical to the reference kernels (kernels/elementwise_ref.cc,
// kernels/math_ref.cc) because each lane repeats the reference's operations
// in its order: HARD_SWISH x * min(6, max(0, x + 3)) * (1 / 6), LEAKY_RELU
// x > 0 ? x : x * alpha, RELU_N1_TO_1, ABS, NEG, SQUARE, SQRT, RSQRT
// (1 / sqrt(x), both correctly rounded). SSE2 min / max return their second
// operand when either is NaN, which the operand order below makes the
// reference's std::min / std::max and comparisons (NaN and -0 come out as in
// the reference). Eight lanes with AVX2 (after a run-time CPU check), else
// four with SSE2, a scalar tail with the reference's expression, threads when
// large.
#include <algorithm>
#include <cmath>

#include "runtime/fast/fast_kernel.h"
#include "runtime/fast/simd.h"

namespace tfc::runtime::fast {
namespace {

enum class FloatUnary { kHardSwish, kLeakyRelu, kReluN1To1, kAbs, kNeg, kSquare, kSqrt, kRsqrt };

float scalar(FloatUnary op, float x, float alpha) {
  switch (op) {
    case FloatUnary::kHardSwish: return x * std::min(6.0f, std::max(0.0f, x + 3.0f)) * (1.0f / 6.0f);
    case FloatUnary::kLeakyRelu: return x > 0.0f ? x : x * alpha;
    case FloatUnary::kReluN1To1: return x < -1.0f ? -1.0f : (x > 1.0f ? 1.0f : x);
    case FloatUnary::kAbs: return std::fabs(x);
    case FloatUnary::kNeg: return -x;
    case FloatUnary::kSquare: return x * x;
    case FloatUnary::kSqrt: return std::sqrt(x);
    case FloatUnary::kRsqrt: return 1.0f / std::sqrt(x);
  }
  return x;
}

#if defined(__SSE2__)
template <FloatUnary Op>
__m128 lanes(__m128 x, __m128 alpha) {
  const __m128 sign = _mm_set1_ps(-0.0f);
  if constexpr (Op == FloatUnary::kHardSwish) {
    const __m128 r = _mm_min_ps(_mm_max_ps(_mm_add_ps(x, _mm_set1_ps(3.0f)), _mm_setzero_ps()), _mm_set1_ps(6.0f));
    return _mm_mul_ps(_mm_mul_ps(x, r), _mm_set1_ps(1.0f / 6.0f));
  } else if constexpr (Op == FloatUnary::kLeakyRelu) {
    const __m128 keep = _mm_cmpgt_ps(x, _mm_setzero_ps());  // false for NaN
    return _mm_or_ps(_mm_and_ps(keep, x), _mm_andnot_ps(keep, _mm_mul_ps(x, alpha)));
  } else if constexpr (Op == FloatUnary::kReluN1To1) {
    return _mm_max_ps(_mm_set1_ps(-1.0f), _mm_min_ps(_mm_set1_ps(1.0f), x));
  } else if constexpr (Op == FloatUnary::kAbs) {
    return _mm_andnot_ps(sign, x);
  } else if constexpr (Op == FloatUnary::kNeg) {
    return _mm_xor_ps(sign, x);
  } else if constexpr (Op == FloatUnary::kSquare) {
    return _mm_mul_ps(x, x);
  } else if constexpr (Op == FloatUnary::kSqrt) {
    return _mm_sqrt_ps(x);
  } else {
    return _mm_div_ps(_mm_set1_ps(1.0f), _mm_sqrt_ps(x));
  }
}
#endif

template <FloatUnary Op>
void apply(const float* in, float* out, int64_t n, float alpha) {
  int64_t i = 0;
#if defined(__SSE2__)
  const __m128 a = _mm_set1_ps(alpha);
  for (; i + 4 <= n; i += 4) _mm_storeu_ps(out + i, lanes<Op>(_mm_loadu_ps(in + i), a));
#endif
  for (; i < n; ++i) out[i] = scalar(Op, in[i], alpha);
}

#if defined(TFC_HAVE_AVX2_KERNELS)
// The same operations as lanes() on eight lanes (AVX min / max / compare
// treat NaN as SSE2's do).
template <FloatUnary Op>
__attribute__((target("avx2"))) __m256 lanes8(__m256 x, __m256 alpha) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  if constexpr (Op == FloatUnary::kHardSwish) {
    const __m256 r =
        _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(x, _mm256_set1_ps(3.0f)), _mm256_setzero_ps()), _mm256_set1_ps(6.0f));
    return _mm256_mul_ps(_mm256_mul_ps(x, r), _mm256_set1_ps(1.0f / 6.0f));
  } else if constexpr (Op == FloatUnary::kLeakyRelu) {
    const __m256 keep = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GT_OQ);  // false for NaN
    return _mm256_blendv_ps(_mm256_mul_ps(x, alpha), x, keep);
  } else if constexpr (Op == FloatUnary::kReluN1To1) {
    return _mm256_max_ps(_mm256_set1_ps(-1.0f), _mm256_min_ps(_mm256_set1_ps(1.0f), x));
  } else if constexpr (Op == FloatUnary::kAbs) {
    return _mm256_andnot_ps(sign, x);
  } else if constexpr (Op == FloatUnary::kNeg) {
    return _mm256_xor_ps(sign, x);
  } else if constexpr (Op == FloatUnary::kSquare) {
    return _mm256_mul_ps(x, x);
  } else if constexpr (Op == FloatUnary::kSqrt) {
    return _mm256_sqrt_ps(x);
  } else {
    return _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_sqrt_ps(x));
  }
}

template <FloatUnary Op>
__attribute__((target("avx2"))) void apply_avx2(const float* in, float* out, int64_t n, float alpha) {
  const __m256 a = _mm256_set1_ps(alpha);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, lanes8<Op>(_mm256_loadu_ps(in + i), a));
  apply<Op>(in + i, out + i, n - i, alpha);
}
#endif

using Loop = void (*)(const float*, float*, int64_t, float);

// The op's loop: eight lanes where the CPU has AVX2, else four.
template <FloatUnary Op>
Loop best_loop() {
#if defined(TFC_HAVE_AVX2_KERNELS)
  if (__builtin_cpu_supports("avx2")) return apply_avx2<Op>;
#endif
  return apply<Op>;
}

Loop loop_of(FloatUnary op) {
  switch (op) {
    case FloatUnary::kHardSwish: return best_loop<FloatUnary::kHardSwish>();
    case FloatUnary::kLeakyRelu: return best_loop<FloatUnary::kLeakyRelu>();
    case FloatUnary::kReluN1To1: return best_loop<FloatUnary::kReluN1To1>();
    case FloatUnary::kAbs: return best_loop<FloatUnary::kAbs>();
    case FloatUnary::kNeg: return best_loop<FloatUnary::kNeg>();
    case FloatUnary::kSquare: return best_loop<FloatUnary::kSquare>();
    case FloatUnary::kSqrt: return best_loop<FloatUnary::kSqrt>();
    case FloatUnary::kRsqrt: return best_loop<FloatUnary::kRsqrt>();
  }
  return nullptr;
}

class FloatUnaryKernel final : public FastKernel {
 public:
  FloatUnaryKernel(FloatUnary op, float alpha, Backend& backend)
      : loop_(loop_of(op)), alpha_(alpha), backend_(backend) {}

  Status run(ops::OpContext& ctx) override {
    const float* in = ctx.input<float>(0);
    float* out = ctx.output<float>(0);
    const int64_t n = ir::num_elements(ctx.input_shape(0));
    const int64_t blocks = (n + 15) / 16;  // split at whole vectors
    const int64_t tasks = own_task_count(backend_, blocks, n * int64_t{sizeof(float)});
    backend_.parallel(tasks, [&](int64_t t) {
      const int64_t begin = blocks * t / tasks * 16, end = std::min(n, blocks * (t + 1) / tasks * 16);
      loop_(in + begin, out + begin, end - begin, alpha_);
    });
    return Status::ok();
  }
  const char* library() const override { return "own"; }

 private:
  Loop loop_;
  float alpha_;
  Backend& backend_;
};

bool float_unary_op(int32_t builtin, FloatUnary& op) {
  switch (builtin) {
    case tflite::BuiltinOperator_HARD_SWISH: op = FloatUnary::kHardSwish; return true;
    case tflite::BuiltinOperator_LEAKY_RELU: op = FloatUnary::kLeakyRelu; return true;
    case tflite::BuiltinOperator_RELU_N1_TO_1: op = FloatUnary::kReluN1To1; return true;
    case tflite::BuiltinOperator_ABS: op = FloatUnary::kAbs; return true;
    case tflite::BuiltinOperator_NEG: op = FloatUnary::kNeg; return true;
    case tflite::BuiltinOperator_SQUARE: op = FloatUnary::kSquare; return true;
    case tflite::BuiltinOperator_SQRT: op = FloatUnary::kSqrt; return true;
    case tflite::BuiltinOperator_RSQRT: op = FloatUnary::kRsqrt; return true;
    default: return false;
  }
}

}  // namespace

Expected<std::unique_ptr<FastKernel>> prepare_own_float_unary(const ops::OpContext& ctx, Backend& backend) {
  FloatUnary op{};
  if (ctx.op().code.is_custom() || !float_unary_op(ctx.op().code.builtin, op)) return std::unique_ptr<FastKernel>();
  if (ctx.num_inputs() != 1 || ctx.num_outputs() != 1 || ctx.input_dtype(0) != DType::kFloat32 ||
      ctx.output_dtype(0) != DType::kFloat32 || ctx.input_tensor(0).is_quantized() ||
      ctx.output_shape(0) != ctx.input_shape(0))
    return std::unique_ptr<FastKernel>();
  float alpha = 0.0f;
  if (op == FloatUnary::kLeakyRelu) {
    if (const auto* o = ctx.op().options_as<tflite::LeakyReluOptionsT>()) alpha = o->alpha;
  }
  return std::unique_ptr<FastKernel>(new FloatUnaryKernel(op, alpha, backend));
}

}  // namespace tfc::runtime::fast
