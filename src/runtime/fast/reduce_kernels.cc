// Fast reductions of our own over any axes, exact (the reference's bytes):
// MEAN and SUM (float32, int32 SUM, quantized int8 / uint8 / int16),
// REDUCE_MAX and REDUCE_MIN (float32, int8, uint8, int16, int32, int64).
// The plan, made at prepare: the input's dims without those of size 1,
// neighbours merged when both are reduced or both kept. The walk visits the
// input in row-major order, as the reference does, so every output
// accumulates its elements in the reference's order (float sums round
// alike; max / min keep its `a > x ? a : x` NaN rule): an inner kept run adds
// (max, min) a row into a row of outputs — AVX2 (where the CPU has it, else
// SSE2 for float32) for float32 and the integer max / min and 8- / 16-bit
// sums, one rounding per element as the scalar form — and an inner reduced
// run folds into one output in a register (integers in AVX2 lanes, float32
// max / min in SSE2 lanes where the order cannot show, fold_run). Integer
// sums are exact: in int32 when count * 2^bits fits (the vector rows), else
// int64 (int32 SUM wraps in uint32 as the reference); the quantized MEAN / SUM end with the
// reference's own rescaling (kernels::reduce_mean_sum_finish, or the
// XNNPACK-form int8 MEAN under the float arithmetic). The first kept dim is
// split over the backend's threads (disjoint outputs, each walked in order)
// when the input is at least 256 KiB, at least 64 outputs a thread.
#include <algorithm>
#include <limits>
#include <vector>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include "kernels/shape_int.h"
#include "kernels/xnn_reduce.h"
#include "ops/op_util.h"
#include "runtime/fast/fast_kernel.h"
#include "runtime/fast/simd.h"

namespace tfc::runtime::fast {
namespace {

enum class Fold { kSum, kMax, kMin };

// The merged walk of one reduction.
struct ReducePlan {
  std::vector<int64_t> dims, in_stride, out_stride;  // out_stride 0 on reduced dims
  std::vector<bool> reduced;
  int64_t num_out = 1, count = 1;  // outputs; input elements per output
  int split = -1;                  // the first kept dim, -1 when none

  // False for an empty input (the reference handles it).
  bool make(const ir::Shape& in, std::span<const int32_t> axes) {
    std::vector<bool> is_axis(in.size(), false);
    for (int32_t a : axes) is_axis[static_cast<size_t>(a)] = true;
    for (size_t d = 0; d < in.size(); ++d) {
      if (in[d] == 0) return false;
      if (in[d] == 1) continue;
      if (!dims.empty() && reduced.back() == is_axis[d]) {
        dims.back() *= in[d];
      } else {
        dims.push_back(in[d]);
        reduced.push_back(is_axis[d]);
      }
      (is_axis[d] ? count : num_out) *= in[d];
    }
    if (dims.empty()) {
      dims.push_back(1);
      reduced.push_back(false);
    }
    const size_t n = dims.size();
    in_stride.assign(n, 1);
    out_stride.assign(n, 0);
    int64_t in_s = 1, out_s = 1;
    for (size_t d = n; d-- > 0;) {
      in_stride[d] = in_s;
      in_s *= dims[d];
      if (!reduced[d]) {
        out_stride[d] = out_s;
        out_s *= dims[d];
      }
    }
    for (size_t d = 0; d < n && split < 0; ++d)
      if (!reduced[d]) split = static_cast<int>(d);
    return true;
  }
};

template <Fold F, typename A, typename T>
inline A fold(A a, T x) {
  if constexpr (F == Fold::kSum) return a + static_cast<A>(x);
  if constexpr (F == Fold::kMax) return a > x ? a : x;
  if constexpr (F == Fold::kMin) return a < x ? a : x;
}

#if defined(TFC_HAVE_AVX2_KERNELS)
bool have_avx2() {
  static const bool avx2 = __builtin_cpu_supports("avx2");
  return avx2;
}

// The 32-byte vector fold of acc's and in's lanes, where one exists that
// computes the scalar fold exactly: max / min of one type (vmaxps / vminps
// return the second operand unless the first is greater / smaller, as the
// scalar rule), float32 sums, and 8- and 16-bit integers summed into int32.
template <Fold F, typename A, typename T>
constexpr bool kVectorRow =
    (std::is_same_v<A, T> && (std::is_same_v<T, float> || std::is_same_v<T, int8_t> ||
                              std::is_same_v<T, uint8_t> || std::is_same_v<T, int16_t> ||
                              std::is_same_v<T, int32_t>) && (F != Fold::kSum || std::is_same_v<T, float>)) ||
    (F == Fold::kSum && std::is_same_v<A, int32_t> &&
     (std::is_same_v<T, int8_t> || std::is_same_v<T, uint8_t> || std::is_same_v<T, int16_t>));

template <Fold F, typename T>
__attribute__((target("avx2"))) inline __m256i extreme_epi(__m256i a, __m256i x) {
  constexpr bool kMax = F == Fold::kMax;
  if constexpr (std::is_same_v<T, int8_t>) return kMax ? _mm256_max_epi8(a, x) : _mm256_min_epi8(a, x);
  if constexpr (std::is_same_v<T, uint8_t>) return kMax ? _mm256_max_epu8(a, x) : _mm256_min_epu8(a, x);
  if constexpr (std::is_same_v<T, int16_t>) return kMax ? _mm256_max_epi16(a, x) : _mm256_min_epi16(a, x);
  return kMax ? _mm256_max_epi32(a, x) : _mm256_min_epi32(a, x);
}

// in[k .. k + 8) widened to int32.
template <typename T>
__attribute__((target("avx2"))) inline __m256i widen8(const T* in) {
  if constexpr (std::is_same_v<T, int16_t>)
    return _mm256_cvtepi16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in)));
  const __m128i v = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(in));
  if constexpr (std::is_same_v<T, int8_t>) return _mm256_cvtepi8_epi32(v);
  return _mm256_cvtepu8_epi32(v);
}

// acc[k] = fold(acc[k], in[k]) for the leading whole vectors of n; returns
// how many elements it folded.
template <Fold F, typename A, typename T>
__attribute__((target("avx2"))) int64_t fold_row_avx2(A* acc, const T* in, int64_t n) {
  int64_t k = 0;
  if constexpr (std::is_same_v<A, float>) {
    for (; k + 8 <= n; k += 8) {
      const __m256 a = _mm256_loadu_ps(acc + k), x = _mm256_loadu_ps(in + k);
      _mm256_storeu_ps(acc + k, F == Fold::kSum ? _mm256_add_ps(a, x)
                                : F == Fold::kMax ? _mm256_max_ps(a, x) : _mm256_min_ps(a, x));
    }
  } else if constexpr (F == Fold::kSum) {
    for (; k + 8 <= n; k += 8) {
      __m256i* p = reinterpret_cast<__m256i*>(acc + k);
      _mm256_storeu_si256(p, _mm256_add_epi32(_mm256_loadu_si256(p), widen8(in + k)));
    }
  } else {
    constexpr int64_t kLanes = 32 / sizeof(T);
    for (; k + kLanes <= n; k += kLanes) {
      __m256i* p = reinterpret_cast<__m256i*>(acc + k);
      const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + k));
      _mm256_storeu_si256(p, extreme_epi<F, T>(_mm256_loadu_si256(p), x));
    }
  }
  return k;
}

// fold(a, in[0 .. n)) for integers, whose max, min and (int32) sum do not
// depend on the order: lane-wise, then across the lanes.
template <Fold F, typename A, typename T>
__attribute__((target("avx2"))) A fold_run_avx2(A a, const T* in, int64_t n) {
  int64_t k = 0;
  alignas(32) A lanes[32 / sizeof(A)];
  if constexpr (F == Fold::kSum) {
    __m256i s = _mm256_setzero_si256();
    for (; k + 8 <= n; k += 8) s = _mm256_add_epi32(s, widen8(in + k));
    _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), s);
  } else {
    constexpr int64_t kLanes = 32 / sizeof(T);
    __m256i best = _mm256_set1_epi8(0);
    if (n >= kLanes) best = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in));
    for (k = n >= kLanes ? kLanes : 0; k + kLanes <= n; k += kLanes)
      best = extreme_epi<F, T>(best, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + k)));
    _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), best);
  }
  if (k > 0)
    for (A v : lanes) a = fold<F, A, A>(a, v);
  for (; k < n; ++k) a = fold<F, A, T>(a, in[k]);
  return a;
}
#endif

// acc[k] = fold(acc[k], in[k]) for k < n.
template <Fold F, typename A, typename T>
void fold_row(A* acc, const T* in, int64_t n) {
  int64_t k = 0;
#if defined(TFC_HAVE_AVX2_KERNELS)
  if constexpr (kVectorRow<F, A, T>) {
    if (have_avx2()) k = fold_row_avx2<F, A, T>(acc, in, n);
  }
#endif
#if defined(__SSE2__)
  if constexpr (std::is_same_v<A, float> && std::is_same_v<T, float>) {
    for (; k + 4 <= n; k += 4) {
      const __m128 a = _mm_loadu_ps(acc + k), x = _mm_loadu_ps(in + k);
      // maxps / minps return the second operand unless the first is greater /
      // smaller: the scalar rule, NaN included.
      const __m128 r = F == Fold::kSum ? _mm_add_ps(a, x) : F == Fold::kMax ? _mm_max_ps(a, x) : _mm_min_ps(a, x);
      _mm_storeu_ps(acc + k, r);
    }
  }
#endif
  for (; k < n; ++k) acc[k] = fold<F, A, T>(acc[k], in[k]);
}

// fold(fold(a, in[0]), in[1])... over n elements: in order, except float32
// max / min, which take the SSE2 lane-wise max (min) and then check the one
// case where the order shows — NaN (in a or the run) or a zero result (+0 and
// -0 compare equal; the last of them wins) — folding in order instead when
// either occurs. Otherwise the result is the unique extreme value, whatever
// the order.
template <Fold F, typename A, typename T>
A fold_run(A a, const T* in, int64_t n) {
#if defined(TFC_HAVE_AVX2_KERNELS)
  if constexpr (kVectorRow<F, A, T> && !std::is_same_v<T, float>) {
    if (n >= 32 && have_avx2()) return fold_run_avx2<F, A, T>(a, in, n);
  }
#endif
#if defined(__SSE2__)
  if constexpr (F != Fold::kSum && std::is_same_v<A, float> && std::is_same_v<T, float>) {
    if (n >= 16) {
      __m128 best = _mm_loadu_ps(in), nan = _mm_cmpunord_ps(best, best);
      int64_t k = 4;
      for (; k + 4 <= n; k += 4) {
        const __m128 x = _mm_loadu_ps(in + k);
        nan = _mm_or_ps(nan, _mm_cmpunord_ps(x, x));
        best = F == Fold::kMax ? _mm_max_ps(best, x) : _mm_min_ps(best, x);
      }
      alignas(16) float lanes[4];
      _mm_store_ps(lanes, best);
      float r = a;
      for (float v : lanes) r = fold<F, float, float>(r, v);
      for (; k < n; ++k) r = fold<F, float, float>(r, in[k]);
      if (_mm_movemask_ps(nan) == 0 && r == r && a == a && r != 0.0f) return r;
    }
  }
#endif
  for (int64_t k = 0; k < n; ++k) a = fold<F, A, T>(a, in[k]);
  return a;
}

// Folds the input into acc along the plan, dims from d on; the split dim
// takes only [lo, hi).
template <Fold F, typename A, typename T>
void walk(const ReducePlan& p, const T* in, A* acc, size_t d, int64_t lo, int64_t hi) {
  const bool split = static_cast<int>(d) == p.split;
  const int64_t begin = split ? lo : 0, end = split ? hi : p.dims[d];
  if (d + 1 == p.dims.size()) {
    if (p.reduced[d]) {
      acc[0] = fold_run<F, A, T>(acc[0], in + begin, end - begin);
    } else {
      fold_row<F, A, T>(acc + begin, in + begin, end - begin);
    }
    return;
  }
  for (int64_t i = begin; i < end; ++i) walk<F, A, T>(p, in + i * p.in_stride[d], acc + i * p.out_stride[d], d + 1, lo, hi);
}

template <Fold F, typename A, typename T>
void reduce_into(const ReducePlan& p, const T* in, A* acc, Backend& backend) {
  const int64_t parts = p.split < 0 ? 1 : p.dims[static_cast<size_t>(p.split)];
  // At least 64 outputs a task: the tasks write their outputs once per input
  // row, and outputs sharing a cache line across threads (a spatial MEAN of
  // 16 channels) cost more than one thread walking them all. At least
  // 256 KiB of input: below, the vector walk takes a few microseconds, no
  // more than waking a worker, and a worker another process holds off its
  // core stalls the op for a scheduler slice.
  const int64_t bytes = p.num_out * p.count * static_cast<int64_t>(sizeof(T));
  const int64_t tasks = bytes < (int64_t{1} << 18) ? 1
                        : std::min(own_task_count(backend, parts, bytes), std::max<int64_t>(1, p.num_out / 64));
  backend.parallel(tasks, [&](int64_t t) {
    walk<F, A, T>(p, in, acc, 0, parts * t / tasks, parts * (t + 1) / tasks);
  });
}

// float32 MEAN / SUM, REDUCE_MAX / MIN of any listed type: folded in place
// in the output.
template <Fold F, typename T>
class InPlace final : public FastKernel {
 public:
  InPlace(ReducePlan p, bool mean, Backend& backend) : p_(std::move(p)), mean_(mean), backend_(backend) {}
  Status run(ops::OpContext& ctx) override {
    T* out = ctx.output<T>(0);
    const T start = F == Fold::kSum ? T{0} : F == Fold::kMax ? std::numeric_limits<T>::lowest()
                                                               : std::numeric_limits<T>::max();
    std::fill(out, out + p_.num_out, start);
    reduce_into<F, T, T>(p_, ctx.input<T>(0), out, backend_);
    if constexpr (std::is_same_v<T, float>) {
      if (mean_) {
        const float n = static_cast<float>(p_.count);
        for (int64_t o = 0; o < p_.num_out; ++o) out[o] /= n;
      }
    }
    return Status::ok();
  }
  const char* library() const override { return "own"; }

 private:
  ReducePlan p_;
  bool mean_;
  Backend& backend_;
};

// int32 SUM: wraps in uint32, as the reference.
class Int32Sum final : public FastKernel {
 public:
  Int32Sum(ReducePlan p, Backend& backend) : p_(std::move(p)), backend_(backend) {}
  Status run(ops::OpContext& ctx) override {
    acc_.assign(static_cast<size_t>(p_.num_out), 0);
    reduce_into<Fold::kSum, uint32_t, int32_t>(p_, ctx.input<int32_t>(0), acc_.data(), backend_);
    int32_t* out = ctx.output<int32_t>(0);
    for (int64_t o = 0; o < p_.num_out; ++o) out[o] = static_cast<int32_t>(acc_[static_cast<size_t>(o)]);
    return Status::ok();
  }
  const char* library() const override { return "own"; }

 private:
  ReducePlan p_;
  Backend& backend_;
  std::vector<uint32_t> acc_;
};

// Quantized MEAN / SUM: exact sums of q, less count * in.zp, then the
// reference's rescaling.
template <typename T>
class QuantizedSum final : public FastKernel {
 public:
  QuantizedSum(ReducePlan p, bool mean, bool xnn, kernels::QParams qi, kernels::QParams qo, Backend& backend)
      : p_(std::move(p)), mean_(mean), xnn_(xnn), qi_(qi), qo_(qo), backend_(backend) {}
  Status run(ops::OpContext& ctx) override {
    acc_.assign(static_cast<size_t>(p_.num_out), 0);
    if (p_.count <= kInt32Count) {
      // Exact in int32 (the vector rows): |sum| <= count * 2^(bits of T).
      acc32_.assign(static_cast<size_t>(p_.num_out), 0);
      reduce_into<Fold::kSum, int32_t, T>(p_, ctx.input<T>(0), acc32_.data(), backend_);
      std::copy(acc32_.begin(), acc32_.end(), acc_.begin());
    } else {
      reduce_into<Fold::kSum, int64_t, T>(p_, ctx.input<T>(0), acc_.data(), backend_);
    }
    for (auto& a : acc_) a -= p_.count * qi_.zero_point;
    T* out = ctx.output<T>(0);
    if constexpr (std::is_same_v<T, int8_t>) {
      if (xnn_) {
        const float scale = kernels::xnn_mean_scale(qi_.scale, qo_.scale, p_.count);
        for (int64_t o = 0; o < p_.num_out; ++o)
          out[o] = kernels::xnn_mean_requantize(acc_[static_cast<size_t>(o)], scale, qo_.zero_point);
        return Status::ok();
      }
    }
    kernels::reduce_mean_sum_finish<T>(mean_, acc_.data(), p_.num_out, p_.count, qi_, qo_, out);
    return Status::ok();
  }
  const char* library() const override { return "own"; }

 private:
  ReducePlan p_;
  bool mean_, xnn_;
  static constexpr int64_t kInt32Count = (int64_t{1} << 31) / (int64_t{1} << (8 * sizeof(T))) - 1;
  kernels::QParams qi_, qo_;
  Backend& backend_;
  std::vector<int64_t> acc_;
  std::vector<int32_t> acc32_;
};

template <Fold F>
std::unique_ptr<FastKernel> extreme(DType t, ReducePlan p, Backend& b) {
  switch (t) {
    case DType::kFloat32: return std::make_unique<InPlace<F, float>>(std::move(p), false, b);
    case DType::kInt8: return std::make_unique<InPlace<F, int8_t>>(std::move(p), false, b);
    case DType::kUInt8: return std::make_unique<InPlace<F, uint8_t>>(std::move(p), false, b);
    case DType::kInt16: return std::make_unique<InPlace<F, int16_t>>(std::move(p), false, b);
    case DType::kInt32: return std::make_unique<InPlace<F, int32_t>>(std::move(p), false, b);
    case DType::kInt64: return std::make_unique<InPlace<F, int64_t>>(std::move(p), false, b);
    default: return nullptr;
  }
}

// MEAN / SUM: the reference's dtypes and quantization checks (ops/shape_ops.cc).
Expected<std::unique_ptr<FastKernel>> mean_or_sum(const ops::OpContext& ctx, ReducePlan p, bool mean,
                                                  Backend& b) {
  const DType t = ctx.input_dtype(0);
  if (t == DType::kFloat32) return std::unique_ptr<FastKernel>(std::make_unique<InPlace<Fold::kSum, float>>(std::move(p), mean, b));
  if (t == DType::kInt32 && !mean) return std::unique_ptr<FastKernel>(std::make_unique<Int32Sum>(std::move(p), b));
  if (t != DType::kInt8 && t != DType::kUInt8 && t != DType::kInt16) return std::unique_ptr<FastKernel>();
  auto qi = ops::int_qparams(ctx, ctx.input_tensor(0), true);
  auto qo = ops::int_qparams(ctx, ctx.output_tensor(0), true);
  if (!qi || !qo) return std::unique_ptr<FastKernel>();
  const bool xnn = mean && t == DType::kInt8 && ctx.arithmetic() == kernels::Requantization::kFloat;
  if (t == DType::kInt8) return std::unique_ptr<FastKernel>(new QuantizedSum<int8_t>(std::move(p), mean, xnn, *qi, *qo, b));
  if (t == DType::kUInt8) return std::unique_ptr<FastKernel>(new QuantizedSum<uint8_t>(std::move(p), mean, false, *qi, *qo, b));
  return std::unique_ptr<FastKernel>(new QuantizedSum<int16_t>(std::move(p), mean, false, *qi, *qo, b));
}

}  // namespace

Expected<std::unique_ptr<FastKernel>> prepare_own_reduce(const ops::OpContext& ctx, Backend& backend) {
  if (ctx.op().code.is_custom()) return std::unique_ptr<FastKernel>();
  const auto op = ctx.op().code.builtin;
  if (op != tflite::BuiltinOperator_MEAN && op != tflite::BuiltinOperator_SUM &&
      op != tflite::BuiltinOperator_REDUCE_MAX && op != tflite::BuiltinOperator_REDUCE_MIN)
    return std::unique_ptr<FastKernel>();
  // The axes are read once: constant only.
  if (ctx.num_inputs() != 2 || ctx.num_outputs() != 1 || !ctx.has_input(1) ||
      ctx.input_tensor(1).buffer == 0 || ctx.input_data(1) == nullptr ||
      ctx.output_dtype(0) != ctx.input_dtype(0))
    return std::unique_ptr<FastKernel>();
  auto r = ops::resolve_reduction_axes(const_cast<ops::OpContext&>(ctx));
  ReducePlan p;
  if (!r || !p.make(ctx.input_shape(0), r->axes)) return std::unique_ptr<FastKernel>();
  if (op == tflite::BuiltinOperator_MEAN || op == tflite::BuiltinOperator_SUM)
    return mean_or_sum(ctx, std::move(p), op == tflite::BuiltinOperator_MEAN, backend);
  if (!ops::same_quantization(ctx.input_tensor(0), ctx.output_tensor(0))) return std::unique_ptr<FastKernel>();
  return op == tflite::BuiltinOperator_REDUCE_MAX ? extreme<Fold::kMax>(ctx.input_dtype(0), std::move(p), backend)
                                                  : extreme<Fold::kMin>(ctx.input_dtype(0), std::move(p), backend);
}

}  // namespace tfc::runtime::fast
