// The fast backend: per-op kernels prepared once at load on top of the CPU
// kernel libraries chosen in docs/RUNTIME.md — oneDNN for float32 (conv,
// depthwise conv, fully connected, add), XNNPACK for int8 (the same ops, with
// LiteRT's default-path arithmetic). Preparing a kernel packs its weights into
// the library's layout and fixes its geometry; running it only binds the
// current input and output buffers.
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

#include <memory>
#include <string>

#include <pthreadpool.h>

#include "core/status.h"
#include "ops/op_context.h"

namespace tfc::runtime::fast {

// The worker threads of both libraries for one interpreter: a pthreadpool
// for XNNPACK, OpenMP's team size for oneDNN.
class Threads {
 public:
  explicit Threads(int count);
  ~Threads();
  Threads(const Threads&) = delete;
  Threads& operator=(const Threads&) = delete;

  int count() const { return count_; }
  pthreadpool_t pool() const { return pool_; }  // nullptr at one thread
  // Sets the calling thread's OpenMP team size (oneDNN's parallelism) to
  // count(); called at the start of each invoke.
  void enter() const;

 private:
  int count_ = 1;
  pthreadpool_t pool_ = nullptr;
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
};

// Options that change which kernels may be used.
struct FastOptions {
  // int8 kernels compute LiteRT's default-path (XNNPACK) rescaling; they are
  // used only when the process-wide requantization is that one (kFloat), so
  // that the fixed-point reference arithmetic always gives reference results.
  bool int8_float_requantization = true;
};

// The fast kernel for the op in ctx, prepared for its current input shapes
// (constant inputs must have their data; others need not), or nullptr when
// the op has none (the reference kernel then runs). An error only when
// preparing a kernel the libraries accepted failed (e.g. out of memory).
Expected<std::unique_ptr<FastKernel>> prepare_kernel(const ops::OpContext& ctx, const Threads& threads,
                                                     const FastOptions& options);

// Per library (dnnl_kernels.cc, xnn_kernels.cc); same contract as above.
Expected<std::unique_ptr<FastKernel>> prepare_dnnl(const ops::OpContext& ctx, const Threads& threads);
Expected<std::unique_ptr<FastKernel>> prepare_xnn(const ops::OpContext& ctx, const Threads& threads,
                                                  const FastOptions& options);

}  // namespace tfc::runtime::fast
