// The loop every banded oneDNN kernel of the fast backend runs its tasks in
// (dnnl_kernels.cc, dnnl_deconv.cc, matmul_kernel.cc, softmax_kernel.cc).
#pragma once

#include <atomic>
#include <cstddef>

#include <oneapi/dnnl/dnnl.hpp>

#include "runtime/fast/fast_kernel.h"

namespace tfc::runtime::fast {

// Runs f(k) for every k < count on the backend's pool (inline for one), each
// task on a thread whose OpenMP team is one thread (Backend); a oneDNN error
// in any task becomes the op's error.
template <typename F>
Status run_dnnl_tasks(const ops::OpContext& ctx, const Backend& backend, size_t count, F&& f) {
  std::atomic<bool> failed{false};
  backend.parallel(static_cast<int64_t>(count), [&](int64_t k) {
    try {
      f(static_cast<size_t>(k));
    } catch (const dnnl::error&) {
      failed = true;
    }
  });
  if (failed) return internal_error("{}: oneDNN failed", ctx.op_name());
  return Status::ok();
}

}  // namespace tfc::runtime::fast
