// Threads and the choice of library per op (see fast_kernel.h).
#include "runtime/fast/fast_kernel.h"

#include <algorithm>

#include <omp.h>

namespace tfc::runtime::fast {

Threads::Threads(int count) : count_(std::max(count, 1)) {
  if (count_ > 1) pool_ = pthreadpool_create(static_cast<size_t>(count_));
}

Threads::~Threads() {
  if (pool_) pthreadpool_destroy(pool_);
}

void Threads::enter() const { omp_set_num_threads(count_); }

Expected<std::unique_ptr<FastKernel>> prepare_kernel(const ops::OpContext& ctx, const Threads& threads,
                                                     const FastOptions& options) {
  if (ctx.num_inputs() == 0 || ctx.num_outputs() == 0 || !ctx.has_input(0)) return std::unique_ptr<FastKernel>();
  // float32 activations: oneDNN; int8: XNNPACK.
  if (ctx.input_dtype(0) == DType::kFloat32) return prepare_dnnl(ctx, threads);
  if (ctx.input_dtype(0) == DType::kInt8) return prepare_xnn(ctx, threads, options);
  return std::unique_ptr<FastKernel>();
}

}  // namespace tfc::runtime::fast
