// float32 BATCH_MATMUL on oneDNN's matmul primitive (within the float
// tolerance of the reference). adj_x / adj_y become the operands' strides
// (no transposed copies); the batch dims broadcast as the reference's: the
// offsets of each output matrix's lhs and rhs matrices are listed at
// prepare. The work is split over the backend's threads by output matrices,
// or, when there are fewer matrices than threads, by bands of output rows;
// each task runs its own primitive on one thread.
#include <array>
#include <atomic>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "kernels/broadcast.h"
#include "runtime/fast/dnnl_tasks.h"
#include "runtime/fast/dnnl_util.h"
#include "runtime/fast/fast_kernel.h"

namespace tfc::runtime::fast {
namespace {

using dnnl::memory;

// One task: output matrices [first, last), rows [row0, row0 + rows) of each.
struct MatmulTask {
  int64_t first = 0, last = 0, row0 = 0;
  dnnl::matmul prim;
  memory src, wei, dst;
  dnnl::stream stream;
};

class DnnlBatchMatmul final : public FastKernel {
 public:
  DnnlBatchMatmul(std::vector<MatmulTask> tasks, std::vector<std::array<int64_t, 2>> mats, int64_t m, int64_t k,
                  int64_t n, bool adj_x, Backend& backend)
      : tasks_(std::move(tasks)), mats_(std::move(mats)), m_(m), k_(k), n_(n), adj_x_(adj_x), backend_(backend) {}

  Status run(ops::OpContext& ctx) override {
    const float* lhs = ctx.input<float>(0);
    const float* rhs = ctx.input<float>(1);
    float* out = ctx.output<float>(0);
    return run_dnnl_tasks(ctx, backend_, tasks_.size(), [&](size_t t) {
      MatmulTask& task = tasks_[t];
      for (int64_t b = task.first; b < task.last; ++b) {
        const auto& [a, w] = mats_[static_cast<size_t>(b)];
        // Row r0 of lhs: row r0 of (M, K), or column r0 of the stored (K, M).
        const int64_t row_offset = adj_x_ ? task.row0 : task.row0 * k_;
        task.src.set_data_handle(const_cast<float*>(lhs + a * m_ * k_ + row_offset));
        task.wei.set_data_handle(const_cast<float*>(rhs + w * k_ * n_));
        task.dst.set_data_handle(out + (b * m_ + task.row0) * n_);
        task.prim.execute(task.stream, {{DNNL_ARG_SRC, task.src}, {DNNL_ARG_WEIGHTS, task.wei},
                                        {DNNL_ARG_DST, task.dst}});
        task.stream.wait();  // before the handles change
      }
    });
  }
  const char* library() const override { return "onednn"; }

 private:
  std::vector<MatmulTask> tasks_;
  std::vector<std::array<int64_t, 2>> mats_;  // per output matrix: lhs and rhs matrix index
  int64_t m_, k_, n_;
  bool adj_x_;
  Backend& backend_;
};

// A matmul of `rows` rows: src (rows, K) from lhs, weights (K, N) from rhs,
// with strides that read the stored (transposed) layouts in place.
bool make_task(MatmulTask& t, int64_t rows, int64_t m, int64_t k, int64_t n, bool adj_x, bool adj_y) {
  try {
    const memory::desc src({rows, k}, memory::data_type::f32, adj_x ? memory::dims{1, m} : memory::dims{k, 1});
    const memory::desc wei({k, n}, memory::data_type::f32, adj_y ? memory::dims{1, k} : memory::dims{n, 1});
    const memory::desc dst({rows, n}, memory::data_type::f32, memory::dims{n, 1});
    dnnl::matmul::desc d(src, wei, dst);
    t.prim = dnnl::matmul(dnnl::matmul::primitive_desc(d, engine()));
    t.src = memory(src, engine(), nullptr);
    t.wei = memory(wei, engine(), nullptr);
    t.dst = memory(dst, engine(), nullptr);
    t.stream = dnnl::stream(engine());
  } catch (const dnnl::error&) {
    return false;
  }
  return true;
}

}  // namespace

Expected<std::unique_ptr<FastKernel>> prepare_dnnl_batch_matmul(const ops::OpContext& ctx, Backend& backend) {
  if (ctx.op().code.builtin != tflite::BuiltinOperator_BATCH_MATMUL || ctx.num_inputs() != 2 ||
      ctx.num_outputs() != 1 || ctx.input_dtype(0) != DType::kFloat32 || ctx.input_dtype(1) != DType::kFloat32 ||
      ctx.output_dtype(0) != DType::kFloat32)
    return std::unique_ptr<FastKernel>();
  const auto* o = ctx.op().options_as<tflite::BatchMatMulOptionsT>();
  const bool adj_x = o && o->adj_x, adj_y = o && o->adj_y;
  const ir::Shape& lhs = ctx.input_shape(0);
  const ir::Shape& rhs = ctx.input_shape(1);
  const ir::Shape& out = ctx.output_shape(0);
  if (lhs.size() < 2 || rhs.size() < 2 || out.size() < 2) return std::unique_ptr<FastKernel>();
  const int64_t m = out[out.size() - 2], n = out[out.size() - 1];
  const int64_t k = adj_x ? lhs[lhs.size() - 2] : lhs[lhs.size() - 1];
  if (m <= 0 || n <= 0 || k <= 0) return std::unique_ptr<FastKernel>();
  const kernels::Dims out_batch = std::span(out).first(out.size() - 2);
  const kernels::Dims lhs_batch = std::span(lhs).first(lhs.size() - 2);
  const kernels::Dims rhs_batch = std::span(rhs).first(rhs.size() - 2);
  std::vector<std::array<int64_t, 2>> mats;
  kernels::for_each_broadcast<2>(out_batch, {lhs_batch, rhs_batch},
                                 [&](int64_t, const std::array<int64_t, 2>& mat) { mats.push_back(mat); });
  const int64_t batches = static_cast<int64_t>(mats.size());
  if (batches <= 0) return std::unique_ptr<FastKernel>();
  // One task below 64 KiB of output, or at one thread.
  const int64_t work = own_task_count(backend, batches * m, batches * m * n * 4 + batches * m * k * 4);
  std::vector<MatmulTask> tasks;
  const bool by_rows = batches < work;
  const int64_t count = by_rows ? std::min(work, m) : work;
  for (int64_t t = 0; t < count; ++t) {
    MatmulTask task;
    int64_t rows = m;
    if (by_rows) {
      task.first = 0;
      task.last = batches;
      task.row0 = m * t / count;
      rows = m * (t + 1) / count - task.row0;
    } else {
      task.first = batches * t / count;
      task.last = batches * (t + 1) / count;
    }
    if (!make_task(task, rows, m, k, n, adj_x, adj_y)) return std::unique_ptr<FastKernel>();
    tasks.push_back(std::move(task));
  }
  return std::unique_ptr<FastKernel>(new DnnlBatchMatmul(std::move(tasks), std::move(mats), m, k, n, adj_x, backend));
}

}  // namespace tfc::runtime::fast
