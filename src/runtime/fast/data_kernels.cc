// Fast kernels of our own for data-movement ops, exact (bit-identical to the
// reference kernels in kernels/shape_ref.cc and kernels/conv_int.cc, so any
// arithmetic setting may take them):
// - PAD / PADV2 of any element size: trailing unpadded axes are merged into
//   one element, then each output row is the fill before, one memcpy of the
//   input row and the fill after (or the fill alone), rows split over the
//   backend's threads when the output is large;
// - int8 MAX_POOL_2D: the max of the window's int8 values per channel, then
//   the activation clamp, 32 (then 16) channels at a time with AVX2 (after a
//   run-time CPU check; a scalar loop otherwise), output rows over the
//   threads;
// - int8 AVERAGE_POOL_2D: int32 sums (AVX2 over channels), the reference's
//   rounding division and clamp.
#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/quant_util.h"
#include "kernels/window.h"
#include "runtime/fast/fast_kernel.h"
#include "runtime/fast/simd.h"

namespace tfc::runtime::fast {
namespace {

// ---- PAD / PADV2 ------------------------------------------------------------

class Pad final : public FastKernel {
 public:
  Pad(size_t elem, Backend& backend) : elem_(elem), backend_(backend) {}

  Status run(ops::OpContext& ctx) override {
    TFC_RETURN_IF_ERROR(plan(ctx));
    const auto* in = static_cast<const uint8_t*>(ctx.input_data(0));
    auto* out = static_cast<uint8_t*>(ctx.output_data(0));
    const int64_t rows = out_rows_, out_row = row_bytes(out_dims_.back());
    const int64_t tasks = own_task_count(backend_, rows, rows * out_row);
    backend_.parallel(tasks, [&](int64_t t) {
      write_rows(in, out, rows * t / tasks, rows * (t + 1) / tasks);
    });
    return Status::ok();
  }
  const char* library() const override { return "own"; }

 private:
  int64_t row_bytes(int64_t elems) const { return elems * static_cast<int64_t>(block_); }

  // The merged geometry and the fill row of this run (paddings and PADV2's
  // value are read every run: neither need be constant).
  Status plan(ops::OpContext& ctx) {
    const ir::Shape& in = ctx.input_shape(0);
    const size_t rank = in.size();
    std::vector<int64_t> pads(2 * rank);
    for (size_t k = 0; k < 2 * rank; ++k)
      pads[k] = ctx.input_dtype(1) == DType::kInt64 ? ctx.input<int64_t>(1)[k] : ctx.input<int32_t>(1)[k];
    // Merge trailing axes without padding into the element.
    size_t kept = rank;
    block_ = elem_;
    while (kept > 1 && pads[2 * (kept - 1)] == 0 && pads[2 * (kept - 1) + 1] == 0) {
      --kept;
      block_ *= static_cast<size_t>(in[kept]);
    }
    in_dims_.assign(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(kept));
    if (in_dims_.empty()) in_dims_.push_back(1);
    before_.resize(in_dims_.size());
    out_dims_.resize(in_dims_.size());
    for (size_t d = 0; d < in_dims_.size(); ++d) {
      before_[d] = rank == 0 ? 0 : pads[2 * d];
      out_dims_[d] = in_dims_[d] + (rank == 0 ? 0 : pads[2 * d] + pads[2 * d + 1]);
    }
    out_rows_ = 1;
    for (size_t d = 0; d + 1 < out_dims_.size(); ++d) out_rows_ *= out_dims_[d];
    if (out_rows_ * row_bytes(out_dims_.back()) != ir::num_elements(ctx.output_shape(0)) * static_cast<int64_t>(elem_))
      return internal_error("{}: output '{}' does not have the padded size", ctx.op_name(),
                            ctx.output_tensor(0).name);
    fill_row(ctx);
    return Status::ok();
  }

  // One output row of fill values: PADV2's constant, else the output zero
  // point of quantized uint8 / int8 / int16, else zeros (as the reference).
  void fill_row(const ops::OpContext& ctx) {
    std::vector<uint8_t> value(elem_, 0);
    if (ctx.has_input(2)) {
      std::memcpy(value.data(), ctx.input_data(2), elem_);
    } else {
      const ir::Tensor& out = ctx.output_tensor(0);
      const int64_t zp = out.is_quantized() && !out.quantization->zero_point.empty()
                             ? out.quantization->zero_point[0] : 0;
      const DType t = ctx.input_dtype(0);
      if (t == DType::kUInt8) value[0] = static_cast<uint8_t>(zp);
      if (t == DType::kInt8) value[0] = static_cast<uint8_t>(static_cast<int8_t>(zp));
      if (t == DType::kInt16) {
        const int16_t v = static_cast<int16_t>(zp);
        std::memcpy(value.data(), &v, sizeof v);
      }
    }
    const size_t bytes = static_cast<size_t>(row_bytes(out_dims_.back()));
    fill_.resize(bytes);
    for (size_t k = 0; k < bytes; k += elem_) std::memcpy(fill_.data() + k, value.data(), elem_);
  }

  // Output rows [begin, end) (flat indices over all axes but the last),
  // walking the row's index over those axes.
  void write_rows(const uint8_t* in, uint8_t* out, int64_t begin, int64_t end) const {
    if (begin >= end) return;
    const size_t last = out_dims_.size() - 1;
    std::vector<int64_t> idx(last);
    for (size_t d = last, rest = static_cast<size_t>(begin); d-- > 0;) {
      idx[d] = static_cast<int64_t>(rest % static_cast<size_t>(out_dims_[d]));
      rest /= static_cast<size_t>(out_dims_[d]);
    }
    const int64_t pre = row_bytes(before_[last]), body = row_bytes(in_dims_[last]);
    for (int64_t r = begin; r < end; ++r) {
      uint8_t* dst = out + r * row_bytes(out_dims_[last]);
      // The input row it holds, if every axis but the last is inside the input.
      int64_t in_row = 0;
      bool inside = true;
      for (size_t d = 0; d < last; ++d) {
        const int64_t i = idx[d] - before_[d];
        inside = inside && i >= 0 && i < in_dims_[d];
        in_row = in_row * in_dims_[d] + i;
      }
      if (!inside) {
        std::memcpy(dst, fill_.data(), fill_.size());
      } else {
        std::memcpy(dst, fill_.data(), static_cast<size_t>(pre));
        std::memcpy(dst + pre, in + in_row * body, static_cast<size_t>(body));
        std::memcpy(dst + pre + body, fill_.data(), fill_.size() - static_cast<size_t>(pre + body));
      }
      for (size_t d = last; d-- > 0 && ++idx[d] == out_dims_[d];) idx[d] = 0;
    }
  }

  size_t elem_;
  Backend& backend_;
  size_t block_ = 1;  // bytes of one merged element
  std::vector<int64_t> in_dims_, out_dims_, before_;
  int64_t out_rows_ = 1;
  std::vector<uint8_t> fill_;
};

Expected<std::unique_ptr<FastKernel>> prepare_pad(const ops::OpContext& ctx, Backend& backend) {
  if (ctx.num_inputs() < 2 || !ctx.has_input(1) || ctx.num_outputs() != 1) return std::unique_ptr<FastKernel>();
  const DType pt = ctx.input_dtype(1);
  if (pt != DType::kInt32 && pt != DType::kInt64) return std::unique_ptr<FastKernel>();
  const DType t = ctx.input_dtype(0);
  if (t != DType::kFloat32 && t != DType::kInt8 && t != DType::kInt16 && t != DType::kUInt8)
    return std::unique_ptr<FastKernel>();
  if (ctx.output_dtype(0) != t || (ctx.has_input(2) && ctx.input_dtype(2) != t)) return std::unique_ptr<FastKernel>();
  const size_t elem = t == DType::kFloat32 ? 4 : t == DType::kInt16 ? 2 : 1;
  return std::unique_ptr<FastKernel>(new Pad(elem, backend));
}

// ---- int8 MAX_POOL_2D -------------------------------------------------------

// The output pixels of an NHWC pool, output rows split among `tasks` of the
// backend's threads: f(task, image, ty, tx, pixel), with `image` the input
// image of the pixel, ty/tx its in-bounds taps and `pixel` its flat index in
// the output (times C for its first channel).
int64_t pool_tasks(Backend& backend, const kernels::Window& w, const ir::Shape& in) {
  const int64_t rows = int64_t{in[0]} * w.y.out;
  return own_task_count(backend, rows, rows * w.x.out * in[3]);
}
template <typename F>
void for_each_pool_pixel(Backend& backend, const kernels::Window& w, const ir::Shape& in, const int8_t* input,
                         int64_t tasks, F&& f) {
  const int64_t c = in[3], rows = int64_t{in[0]} * w.y.out;
  backend.parallel(tasks, [&](int64_t t) {
    for (int64_t r = rows * t / tasks, end = rows * (t + 1) / tasks; r < end; ++r) {
      const int32_t n = static_cast<int32_t>(r / w.y.out), oy = static_cast<int32_t>(r % w.y.out);
      const kernels::AxisTaps ty = w.y.taps_of(oy);
      const int8_t* image = input + int64_t{n} * in[1] * in[2] * c;
      for (int32_t ox = 0; ox < w.x.out; ++ox) f(t, image, ty, w.x.taps_of(ox), r * w.x.out + ox);
    }
  });
}

class Int8MaxPool final : public FastKernel {
 public:
  Int8MaxPool(const kernels::Window& w, kernels::IntRange range, Backend& backend)
      : w_(w), lo_(static_cast<int8_t>(range.min)), hi_(static_cast<int8_t>(range.max)), backend_(backend) {
#if defined(TFC_HAVE_AVX2_KERNELS)
    avx2_ = __builtin_cpu_supports("avx2");
#endif
  }

  Status run(ops::OpContext& ctx) override {
    const ir::Shape& in = ctx.input_shape(0);
    const int8_t* input = ctx.input<int8_t>(0);
    int8_t* output = ctx.output<int8_t>(0);
    const int64_t c = in[3];
    for_each_pool_pixel(backend_, w_, in, input, pool_tasks(backend_, w_, in),
                        [&](int64_t, const int8_t* image, const kernels::AxisTaps& ty, const kernels::AxisTaps& tx,
                            int64_t pixel) {
                          int8_t* dst = output + pixel * c;
#if defined(TFC_HAVE_AVX2_KERNELS)
                          if (avx2_) return pixel_avx2(image, in[2], c, ty, tx, dst);
#endif
                          pixel_scalar(image, in[2], c, 0, ty, tx, dst);
                        });
    return Status::ok();
  }
  const char* library() const override { return "own"; }

 private:
  // Channels [from, c) of one output pixel: the max over its taps that read
  // an input pixel (int8's lowest with none), clamped to the activation.
  void pixel_scalar(const int8_t* image, int64_t width, int64_t c, int64_t from, const kernels::AxisTaps& ty,
                    const kernels::AxisTaps& tx, int8_t* dst) const {
    for (int64_t k = from; k < c; ++k) dst[k] = std::numeric_limits<int8_t>::lowest();
    for (int32_t j = 0, iy = ty.input; j < ty.count; ++j, iy += ty.i_step)
      for (int32_t i = 0, ix = tx.input; i < tx.count; ++i, ix += tx.i_step) {
        const int8_t* px = image + (int64_t{iy} * width + ix) * c;
        for (int64_t k = from; k < c; ++k) dst[k] = std::max(dst[k], px[k]);
      }
    for (int64_t k = from; k < c; ++k) dst[k] = std::min(std::max(dst[k], lo_), hi_);
  }

#if defined(TFC_HAVE_AVX2_KERNELS)
  __attribute__((target("avx2"))) void pixel_avx2(const int8_t* image, int64_t width, int64_t c,
                                                  const kernels::AxisTaps& ty, const kernels::AxisTaps& tx,
                                                  int8_t* dst) const {
    const __m256i lo = _mm256_set1_epi8(lo_), hi = _mm256_set1_epi8(hi_);
    int64_t k = 0;
    for (; k + 32 <= c; k += 32) {
      __m256i best = _mm256_set1_epi8(std::numeric_limits<int8_t>::lowest());
      for (int32_t j = 0, iy = ty.input; j < ty.count; ++j, iy += ty.i_step)
        for (int32_t i = 0, ix = tx.input; i < tx.count; ++i, ix += tx.i_step) {
          const int8_t* px = image + (int64_t{iy} * width + ix) * c + k;
          best = _mm256_max_epi8(best, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(px)));
        }
      best = _mm256_min_epi8(_mm256_max_epi8(best, lo), hi);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + k), best);
    }
    for (; k + 16 <= c; k += 16) {  // e.g. 16 channels in all
      __m128i best = _mm_set1_epi8(std::numeric_limits<int8_t>::lowest());
      for (int32_t j = 0, iy = ty.input; j < ty.count; ++j, iy += ty.i_step)
        for (int32_t i = 0, ix = tx.input; i < tx.count; ++i, ix += tx.i_step) {
          const int8_t* px = image + (int64_t{iy} * width + ix) * c + k;
          best = _mm_max_epi8(best, _mm_loadu_si128(reinterpret_cast<const __m128i*>(px)));
        }
      best = _mm_min_epi8(_mm_max_epi8(best, _mm256_castsi256_si128(lo)), _mm256_castsi256_si128(hi));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + k), best);
    }
    if (k < c) pixel_scalar(image, width, c, k, ty, tx, dst);
  }
  bool avx2_ = false;
#endif

  kernels::Window w_;
  int8_t lo_, hi_;
  Backend& backend_;
};

// ---- int8 AVERAGE_POOL_2D ---------------------------------------------------

// As the reference (kernels/conv_int.cc average_pool2d_int): per channel the
// int32 sum of the taps that read an input pixel, divided by their count
// rounded half away from zero, then the activation clamp. The sums run over
// 8 channels at a time with AVX2 (a scalar loop without it); the division is
// scalar. Output rows over the threads.
class Int8AveragePool final : public FastKernel {
 public:
  Int8AveragePool(const kernels::Window& w, kernels::IntRange range, Backend& backend)
      : w_(w), range_(range), backend_(backend) {
#if defined(TFC_HAVE_AVX2_KERNELS)
    avx2_ = __builtin_cpu_supports("avx2");
#endif
  }

  Status run(ops::OpContext& ctx) override {
    const ir::Shape& in = ctx.input_shape(0);
    const int8_t* input = ctx.input<int8_t>(0);
    int8_t* output = ctx.output<int8_t>(0);
    const int64_t c = in[3], tasks = pool_tasks(backend_, w_, in);
    // One row of sums per task, (tasks, C): grown when the shape grows, not per run.
    if (sums_.size() < static_cast<size_t>(tasks * c)) sums_.resize(static_cast<size_t>(tasks * c));
    for_each_pool_pixel(backend_, w_, in, input, tasks,
                        [&](int64_t t, const int8_t* image, const kernels::AxisTaps& ty, const kernels::AxisTaps& tx,
                            int64_t pixel) {
                          int32_t* acc = sums_.data() + t * c;
                          std::fill(acc, acc + c, 0);
                          for (int32_t j = 0, iy = ty.input; j < ty.count; ++j, iy += ty.i_step)
                            for (int32_t i = 0, ix = tx.input; i < tx.count; ++i, ix += tx.i_step)
                              add(image + (int64_t{iy} * in[2] + ix) * c, c, acc);
                          finish(acc, c, ty.count * tx.count, output + pixel * c);
                        });
    return Status::ok();
  }
  const char* library() const override { return "own"; }

 private:
  // acc[k] += px[k] for k < c.
  void add(const int8_t* px, int64_t c, int32_t* acc) const {
    int64_t k = 0;
#if defined(TFC_HAVE_AVX2_KERNELS)
    if (avx2_) k = add_avx2(px, c, acc);
#endif
    for (; k < c; ++k) acc[k] += px[k];
  }
#if defined(TFC_HAVE_AVX2_KERNELS)
  // The first multiple of 8 channels; returns how many.
  __attribute__((target("avx2"))) static int64_t add_avx2(const int8_t* px, int64_t c, int32_t* acc) {
    int64_t k = 0;
    for (; k + 8 <= c; k += 8) {
      const __m256i v = _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(px + k)));
      auto* a = reinterpret_cast<__m256i*>(acc + k);
      _mm256_storeu_si256(a, _mm256_add_epi32(_mm256_loadu_si256(a), v));
    }
    return k;
  }
  bool avx2_ = false;
#endif

  // The reference's rounding division and clamp.
  void finish(const int32_t* acc, int64_t c, int32_t count, int8_t* dst) const {
    for (int64_t k = 0; k < c; ++k) {
      int32_t v = acc[k];
      if (count > 0) v = v > 0 ? (v + count / 2) / count : (v - count / 2) / count;
      dst[k] = static_cast<int8_t>(std::min(std::max(v, range_.min), range_.max));
    }
  }

  kernels::Window w_;
  kernels::IntRange range_;
  std::vector<int32_t> sums_;
  Backend& backend_;
};

// int8 MAX_POOL_2D (max) or AVERAGE_POOL_2D.
Expected<std::unique_ptr<FastKernel>> prepare_int8_pool(const ops::OpContext& ctx, Backend& backend, bool max) {
  if (ctx.num_inputs() != 1 || ctx.input_dtype(0) != DType::kInt8 || ctx.output_dtype(0) != DType::kInt8)
    return std::unique_ptr<FastKernel>();
  const ir::Shape& in = ctx.input_shape(0);
  const ir::Shape& out = ctx.output_shape(0);
  if (in.size() != 4 || out.size() != 4) return std::unique_ptr<FastKernel>();
  const auto* o = ctx.op().options_as<tflite::Pool2DOptionsT>();
  if (o == nullptr || o->filter_height <= 0 || o->filter_width <= 0 || o->stride_h <= 0 || o->stride_w <= 0)
    return std::unique_ptr<FastKernel>();
  const kernels::Activation a = ops::to_activation(o->fused_activation_function);
  if (a == kernels::Activation::kTanh || a == kernels::Activation::kSignBit) return std::unique_ptr<FastKernel>();
  float scale = 0;
  int32_t zp = 0;
  if (!per_tensor_int8(ctx.output_tensor(0), scale, zp)) return std::unique_ptr<FastKernel>();
  // As the reference (ops/conv_ops.cc pool_range): the output's range.
  const kernels::IntRange range =
      kernels::activation_range<int8_t>(a, scale, zp);
  const kernels::Window w = kernels::forward_window(in[1], in[2], out[1], out[2], o->filter_height, o->filter_width,
                                                    o->stride_h, o->stride_w);
  if (!max) return std::unique_ptr<FastKernel>(new Int8AveragePool(w, range, backend));
  return std::unique_ptr<FastKernel>(new Int8MaxPool(w, range, backend));
}

}  // namespace

Expected<std::unique_ptr<FastKernel>> prepare_own_data(const ops::OpContext& ctx, Backend& backend) {
  if (ctx.op().code.is_custom()) return std::unique_ptr<FastKernel>();
  switch (ctx.op().code.builtin) {
    case tflite::BuiltinOperator_PAD:
    case tflite::BuiltinOperator_PADV2: return prepare_pad(ctx, backend);
    case tflite::BuiltinOperator_MAX_POOL_2D: return prepare_int8_pool(ctx, backend, true);
    case tflite::BuiltinOperator_AVERAGE_POOL_2D: return prepare_int8_pool(ctx, backend, false);
    default: return std::unique_ptr<FastKernel>();
  }
}

}  // namespace tfc::runtime::fast
