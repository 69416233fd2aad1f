// The fast backend: per-op kernels prepared once at load on top of the CPU
// kernel libraries chosen in docs/RUNTIME.md — oneDNN for float32 (conv,
// depthwise conv, fully connected, add, pooling), XNNPACK for int8 fully
// connected and add — and kernels of our own where they are faster (int8
// conv and depthwise, AVX2) or the libraries have none (QUANTIZE, DEQUANTIZE,
// RELU, RELU6, PRELU, PAD, int8 MAX_POOL_2D and AVERAGE_POOL_2D, quantized
// unary ops as lookup tables, float32 HARD_SWISH and other one-formula unary
// ops, the data-movement ops, reductions, SOFTMAX, int8 binary ops); every
// int8 kernel computes LiteRT's default-path arithmetic (PAD, the int8 pools,
// the int8 binary ops of int_binary_kernel.cc and the exact data-movement and
// reduction kernels give the reference's bytes under both).
// Preparing a kernel packs its weights into its layout and fixes its
// geometry; running it only binds the current input and output buffers.
//
// An op with no fast kernel here (or one the library refuses, e.g. an odd
// quantization) runs its reference kernel from ops/; the interpreter decides
// per op, so one model can mix both. The reference stays the source of truth:
// tests/cpp/fast_kernels_test.cc checks every fast kernel against it on random
// shapes (float32 within 1e-4 relative, int8 within one step).
//
// Where a new fast kernel goes: a prepare_* function in the library's file
// (dnnl_kernels.cc or xnn_kernels.cc), called from prepare_kernel
// (fast_kernel.cc), with a case in tests/cpp/fast_kernels_test.cc.
#pragma once

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <pthreadpool.h>

#include "core/status.h"
#include "kernels/hybrid_ref.h"
#include "ops/op_context.h"
#include "runtime/fast/int8_dot.h"

namespace tfc::runtime::fast {

// The fast backend's state for one interpreter: its worker threads (one
// pthreadpool: XNNPACK's operators take it, oneDNN convolutions run on it in
// bands of output rows, each band single-threaded) and scratch memory shared
// by its kernels, which run one at a time. Creating it sets oneDNN's OpenMP
// team to one thread in the creating thread and the pool's workers (an
// interpreter invoked from another thread computes the same, but oneDNN may
// start an OpenMP team there).
class Backend {
 public:
  explicit Backend(int threads);
  ~Backend();
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  int count() const { return count_; }
  pthreadpool_t pool() const { return pool_; }  // nullptr at one thread
  // f(k) for every k in [0, count): as tasks on the pool, or in the calling
  // thread at one thread or for one task.
  template <typename F>
  void parallel(int64_t count, const F& f) const {
    auto task = [&](size_t k) { f(static_cast<int64_t>(k)); };
    if (count <= 1 || pool_ == nullptr) {
      for (int64_t k = 0; k < count; ++k) task(static_cast<size_t>(k));
    } else {
      pthreadpool_parallelize_1d(pool_, task, static_cast<size_t>(count));
    }
  }
  // Scratch buffer `slot` (0 or 1) of at least `count` floats, 64-byte
  // aligned; valid until the next call for the same slot.
  float* scratch(int slot, size_t count);

 private:
  void single_openmp_thread_in_workers();

  int count_ = 1;
  pthreadpool_t pool_ = nullptr;
  std::vector<float> scratch_[2];
};

// One op prepared for one set of input shapes.
class FastKernel {
 public:
  virtual ~FastKernel() = default;
  // Runs the op on ctx's current buffers. The input shapes are those the
  // kernel was prepared for (the interpreter prepares again when they change).
  virtual Status run(ops::OpContext& ctx) = 0;
  // "onednn" or "xnnpack", for profiles.
  virtual const char* library() const = 0;
  // True when input k is a constant the kernel copied (packed) when it was
  // prepared and never reads when it runs: the interpreter may then release
  // a copy of its own of that value (Interpreter::release_copied_inputs).
  virtual bool copied_input(int /*k*/) const { return false; }
};

// Options that change which kernels may be used.
struct FastOptions {
  // int8 CONV_2D / DEPTHWISE_CONV_2D have up to three kernels, all with the
  // same outputs (dnnl_kernels.cc, simd.h), so the choice changes only the
  // time: XNNPACK's qc8, the exact float32 form on oneDNN (Int8ConvViaF32),
  // and our own AVX2 kernels (int8_depthwise.cc; int8_gemm_conv.cc, one group
  // only).
  // - kAuto: our own kernel where there is one (on MobileNetV2 it is the
  //   fastest or within noise of it on every layer, docs/RUNTIME.md), else
  //   the faster of the other two as timed when the op is prepared;
  // - kMeasured: the fastest of all, timed when the op is prepared (a timing
  //   on a loaded machine can pick a slower one);
  // - kXnnpack, kExactFloat, kOwn: that kernel (XNNPACK where it has none).
  enum class Int8Conv { kAuto, kMeasured, kXnnpack, kExactFloat, kOwn } int8_conv = Int8Conv::kAuto;
  // The most our own int8 products may use (int8_dot.h): the fastest the CPU
  // has up to this one. Every path gives the same outputs; a lower one is
  // for tests and for measuring a CPU without VNNI.
  Int8DotPath int8_path = Int8DotPath::kAmx;
  // AMX where it pays: a convolution of fewer multiply-adds runs on AVX-512
  // VNNI instead (the Fashion-MNIST CNN's two, 0.2 and 0.6 M: 0.015 and
  // 0.006 ms on tiles, 0.011 and 0.005 ms on VNNI; its timings on tiles also
  // varied by a third from one interpreter to the next). Tests set 0.
  int64_t amx_min_macs = int64_t{1} << 21;
};

// The fastest int8_dot.h path the CPU has, up to options.int8_path.
inline Int8DotPath allowed_int8_path(const FastOptions& options) {
  const Int8DotPath best = best_int8_dot_path();
  return static_cast<int>(options.int8_path) < static_cast<int>(best) ? options.int8_path : best;
}

// The fast kernel for the op in ctx, prepared for its current input shapes
// (constant inputs must have their data; others need not), or nullptr when
// the op has none (the reference kernel then runs). int8 kernels compute
// LiteRT's default-path (XNNPACK) rescaling, so an int8 op gets one only when
// ctx.arithmetic() is that one (kFloat): the fixed-point arithmetic always
// gives the reference kernels' results. An error only when
// preparing a kernel the libraries accepted failed (e.g. out of memory).
Expected<std::unique_ptr<FastKernel>> prepare_kernel(const ops::OpContext& ctx, Backend& backend,
                                                     const FastOptions& options);

// The geometry of a CONV_2D / DEPTHWISE_CONV_2D in ctx, as both libraries
// take it: explicit padding (TFLite's SAME puts the odd pixel after), groups
// (depthwise: one per input channel, group_out = depth multiplier).
struct ConvGeometry {
  int64_t batch = 1, ih = 1, iw = 1, oh = 1, ow = 1, kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1;
  int64_t pt = 0, pr = 0, pb = 0, pl = 0;
  int64_t groups = 1, group_in = 1, group_out = 1;
  bool depthwise = false;
  kernels::Activation activation = kernels::Activation::kNone;
  int64_t in_channels() const { return groups * group_in; }
  int64_t out_channels() const { return groups * group_out; }
};
// False when the op is not a 4-D conv with known positive shapes, or its
// window does not cover the input the way a library expects (VALID with an
// unused remainder).
bool conv_geometry(const ops::OpContext& ctx, bool depthwise, ConvGeometry& g);

// A FULLY_CONNECTED in ctx: rows = input elements / depth, weights (units,
// depth) in the default layout; false otherwise.
struct FcGeometry {
  int64_t rows = 0, depth = 0, units = 0;
  kernels::Activation activation = kernels::Activation::kNone;
};
bool fc_geometry(const ops::OpContext& ctx, FcGeometry& g);

// An int8 tensor's single (scale, zero point), positive finite scale and zero
// point inside int8; false for anything else.
bool per_tensor_int8(const ir::Tensor& t, float& scale, int32_t& zero_point);

// An int8 CONV_2D / DEPTHWISE_CONV_2D the int8 fast kernels take: per-tensor
// int8 input and output, constant int8 weights with zero point 0 (one scale,
// or one per output channel), an optional constant int32 bias, and no
// activation beyond RELU / RELU6 / RELU_N1_TO_1. Its geometry and LiteRT's
// default-path rescaling of the int32 accumulator acc[c]:
//   out = out_zp + round_half_even(clamp(float(acc) * scales[c], lo, hi)).
struct Int8ConvParams {
  ConvGeometry g;
  std::vector<float> scales;  // per output channel
  int32_t in_zp = 0, out_zp = 0;
  float lo = 0, hi = 0;  // the activation's range, less out_zp
};
// False (the op keeps another kernel) for anything else.
bool int8_conv_params(const ops::OpContext& ctx, bool depthwise, Int8ConvParams& p);
// A hybrid CONV_2D / DEPTHWISE_CONV_2D (float32 input and output, constant
// int8 weights with zero point 0, one scale or one per output channel, an
// optional constant float32 bias, no activation beyond a clamp): its
// geometry, weight scales and bias (empty without one); false otherwise.
bool hybrid_conv_params(const ops::OpContext& ctx, bool depthwise, ConvGeometry& g, std::vector<float>& scales,
                        std::vector<float>& bias);

// Per library (dnnl_kernels.cc, xnn_kernels.cc); same contract as above.
Expected<std::unique_ptr<FastKernel>> prepare_dnnl(const ops::OpContext& ctx, Backend& backend);
// float32 TRANSPOSE_CONV on oneDNN's deconvolution (dnnl_deconv.cc).
Expected<std::unique_ptr<FastKernel>> prepare_dnnl_transpose_conv(const ops::OpContext& ctx, Backend& backend);
// float32 RELU / RELU6 (own_kernels.cc).
Expected<std::unique_ptr<FastKernel>> prepare_own(const ops::OpContext& ctx);
// int8 CONV_2D / DEPTHWISE_CONV_2D computed exactly in float32 by oneDNN
// (dnnl_kernels.cc, Int8ConvViaF32).
Expected<std::unique_ptr<FastKernel>> prepare_int8_via_f32(const ops::OpContext& ctx, Backend& backend);
Expected<std::unique_ptr<FastKernel>> prepare_xnn(const ops::OpContext& ctx, Backend& backend);
// PAD / PADV2 (any element size), int8 MAX_POOL_2D and AVERAGE_POOL_2D,
// exact, so taken
// under either arithmetic (data_kernels.cc).
Expected<std::unique_ptr<FastKernel>> prepare_own_data(const ops::OpContext& ctx, Backend& backend);
// TRANSPOSE, SLICE, STRIDED_SLICE, CONCATENATION (no requantizing, no
// activation), PACK, UNPACK, SPLIT, SPLIT_V, GATHER, RESHAPE, SQUEEZE,
// EXPAND_DIMS of any fixed-size element, exact, so taken under either
// arithmetic (movement_kernels.cc).
Expected<std::unique_ptr<FastKernel>> prepare_own_movement(const ops::OpContext& ctx, Backend& backend);
// MEAN, SUM, REDUCE_MAX, REDUCE_MIN over constant axes (float32, the
// quantized integer types, int32; MAX / MIN also int64), exact, so taken
// under either arithmetic (reduce_kernels.cc).
Expected<std::unique_ptr<FastKernel>> prepare_own_reduce(const ops::OpContext& ctx, Backend& backend);
// float32 BATCH_MATMUL on oneDNN's matmul (adj_x / adj_y as strides, batch
// dims broadcast), within the float tolerance (matmul_kernel.cc).
Expected<std::unique_ptr<FastKernel>> prepare_dnnl_batch_matmul(const ops::OpContext& ctx, Backend& backend);
// float32 SOFTMAX (beta 1) and LOG_SOFTMAX on oneDNN; 8-bit and int16
// SOFTMAX, exact, so taken under either arithmetic (softmax_kernel.cc).
Expected<std::unique_ptr<FastKernel>> prepare_own_softmax(const ops::OpContext& ctx, Backend& backend);
// float32 PRELU, exact, alpha broadcast into the input (prelu_kernel.cc).
Expected<std::unique_ptr<FastKernel>> prepare_own_prelu(const ops::OpContext& ctx, Backend& backend);
// float32 and int8 RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR (float32,
// int32, int16, int8, uint8), exact, so taken under either arithmetic
// (resize_kernel.cc).
Expected<std::unique_ptr<FastKernel>> prepare_own_resize(const ops::OpContext& ctx, Backend& backend);
// Quantized (int8, uint8, int16) unary activations and integer QUANTIZE:
// a lookup table filled at prepare by the op's reference kernel on every
// input value, so exact under either arithmetic (table_kernel.cc).
Expected<std::unique_ptr<FastKernel>> prepare_own_table(const ops::OpContext& ctx, Backend& backend);
// QUANTIZE float32 -> int8 / uint8 / int16 and DEQUANTIZE int8 / uint8 /
// int16 -> float32, per tensor, exact (quantize_kernel.cc).
Expected<std::unique_ptr<FastKernel>> prepare_own_quantize(const ops::OpContext& ctx, Backend& backend);
// float32 HARD_SWISH, LEAKY_RELU, RELU_N1_TO_1, ABS, NEG, SQUARE, SQRT, RSQRT,
// exact (float_unary_kernel.cc).
Expected<std::unique_ptr<FastKernel>> prepare_own_float_unary(const ops::OpContext& ctx, Backend& backend);
// int8 ADD, SUB, MUL, MAXIMUM, MINIMUM and PRELU, the reference's fixed-point
// arithmetic exactly, so taken under either arithmetic (ADD only where
// XNNPACK refuses it, under kFloat); same-shape operands
// or one that repeats over the output's trailing axes (int_binary_kernel.cc).
Expected<std::unique_ptr<FastKernel>> prepare_own_int_binary(const ops::OpContext& ctx, Backend& backend);
// How many tasks our own kernels split `rows` rows of `bytes` bytes in all
// into: one below 64 KiB or at one thread, else up to one per thread.
inline int64_t own_task_count(const Backend& backend, int64_t rows, int64_t bytes) {
  if (backend.count() <= 1 || bytes < (int64_t{1} << 16)) return 1;
  return std::min<int64_t>(rows, backend.count());
}
// Our own AVX2 kernels, nullptr without AVX2 (or with options.int8_path
// kScalar): int8 DEPTHWISE_CONV_2D (int8_depthwise.cc, AVX-512 where the CPU
// has it and options.int8_path allows) and int8 CONV_2D of one group
// (int8_gemm_conv.cc, AVX-VNNI or AVX-512 VNNI likewise).
Expected<std::unique_ptr<FastKernel>> prepare_own_int8_depthwise(const ops::OpContext& ctx, Backend& backend,
                                                                 const FastOptions& options);
Expected<std::unique_ptr<FastKernel>> prepare_own_int8_conv(const ops::OpContext& ctx, Backend& backend,
                                                            const FastOptions& options);
// Hybrid CONV_2D of one group on the same kernel (int8_gemm_conv.cc).
Expected<std::unique_ptr<FastKernel>> prepare_own_hybrid_conv(const ops::OpContext& ctx, Backend& backend,
                                                              const FastOptions& options);
// Hybrid FULLY_CONNECTED and CONV_2D of one group (float32 activations,
// int8 weights), the reference's outputs exactly (hybrid_kernels.cc); any CPU.
Expected<std::unique_ptr<FastKernel>> prepare_own_hybrid(const ops::OpContext& ctx, Backend& backend,
                                                         const FastOptions& options);
// The reference's run-time quantization of a hybrid op's input row
// (kernels::quantize_row_symmetric / quantize_row_asymmetric), the same
// scale, zero point and bytes, AVX2 where the CPU has it (hybrid_kernels.cc).
kernels::RowQuant quantize_hybrid_input(bool asymmetric, const float* x, int64_t n, int8_t* q);
// Hybrid DEPTHWISE_CONV_2D and grouped CONV_2D computed exactly in float32
// on oneDNN, the reference's outputs exactly (dnnl_kernels.cc).
Expected<std::unique_ptr<FastKernel>> prepare_hybrid_via_f32(const ops::OpContext& ctx, Backend& backend);

}  // namespace tfc::runtime::fast
