// Fast SOFTMAX and LOG_SOFTMAX over the last axis:
// - float32 SOFTMAX (beta 1) and LOG_SOFTMAX on oneDNN's softmax primitives
//   (within the float tolerance of the reference: oneDNN sums its
//   exponentials in its own order), rows in bands over the backend's
//   threads, one primitive per band, each on one thread;
// - 8-bit SOFTMAX (int8 -> int8, int8 -> int16, uint8 -> uint8) exact: the
//   reference's table of exponentials (kernels::softmax8_table) made once at
//   prepare, then the reference's own row loop (kernels::softmax8_rows) on
//   bands of rows over the threads;
// - int16 SOFTMAX exact: the reference kernel on bands of rows.
#include <atomic>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "kernels/elementwise_int.h"
#include "ops/op_util.h"
#include "runtime/fast/dnnl_tasks.h"
#include "runtime/fast/dnnl_util.h"
#include "runtime/fast/fast_kernel.h"

namespace tfc::runtime::fast {
namespace {

using dnnl::memory;

// Rows [first, first + count) of (rows, depth) on one primitive.
struct SoftmaxBand {
  int64_t first = 0;
  dnnl::primitive prim;
  memory src, dst;
  dnnl::stream stream;
};

class DnnlSoftmax final : public FastKernel {
 public:
  DnnlSoftmax(std::vector<SoftmaxBand> bands, int64_t depth, Backend& backend)
      : bands_(std::move(bands)), depth_(depth), backend_(backend) {}

  Status run(ops::OpContext& ctx) override {
    const float* in = ctx.input<float>(0);
    float* out = ctx.output<float>(0);
    return run_dnnl_tasks(ctx, backend_, bands_.size(), [&](size_t k) {
      SoftmaxBand& b = bands_[k];
      b.src.set_data_handle(const_cast<float*>(in + b.first * depth_));
      b.dst.set_data_handle(out + b.first * depth_);
      b.prim.execute(b.stream, {{DNNL_ARG_SRC, b.src}, {DNNL_ARG_DST, b.dst}});
      b.stream.wait();
    });
  }
  const char* library() const override { return "onednn"; }

 private:
  std::vector<SoftmaxBand> bands_;
  int64_t depth_;
  Backend& backend_;
};

Expected<std::unique_ptr<FastKernel>> prepare_float(const ops::OpContext& ctx, bool log, Backend& backend) {
  if (ctx.output_dtype(0) != DType::kFloat32) return std::unique_ptr<FastKernel>();
  if (!log) {
    const auto* o = ctx.op().options_as<tflite::SoftmaxOptionsT>();
    if (o == nullptr || o->beta != 1.0f) return std::unique_ptr<FastKernel>();
  }
  const ir::Shape& s = ctx.input_shape(0);
  if (s.empty() || s.back() <= 0) return std::unique_ptr<FastKernel>();
  const int64_t depth = s.back(), rows = ir::num_elements(s) / depth;
  if (rows <= 0) return std::unique_ptr<FastKernel>();
  const int64_t tasks = own_task_count(backend, rows, rows * depth * 4);
  std::vector<SoftmaxBand> bands;
  try {
    for (int64_t t = 0; t < tasks; ++t) {
      SoftmaxBand b;
      b.first = rows * t / tasks;
      const int64_t count = rows * (t + 1) / tasks - b.first;
      const memory::desc md({count, depth}, memory::data_type::f32, memory::format_tag::ab);
      if (log) {
        dnnl::logsoftmax_forward::desc d(dnnl::prop_kind::forward_inference, md, 1);
        b.prim = dnnl::logsoftmax_forward(dnnl::logsoftmax_forward::primitive_desc(d, engine()));
      } else {
        dnnl::softmax_forward::desc d(dnnl::prop_kind::forward_inference, md, 1);
        b.prim = dnnl::softmax_forward(dnnl::softmax_forward::primitive_desc(d, engine()));
      }
      b.src = memory(md, engine(), nullptr);
      b.dst = memory(md, engine(), nullptr);
      b.stream = dnnl::stream(engine());
      bands.push_back(std::move(b));
    }
  } catch (const dnnl::error&) {
    return std::unique_ptr<FastKernel>();
  }
  return std::unique_ptr<FastKernel>(new DnnlSoftmax(std::move(bands), depth, backend));
}

// 8-bit SOFTMAX: the reference's arithmetic on a table made once.
template <typename In, typename Out>
class Softmax8 final : public FastKernel {
 public:
  Softmax8(kernels::Softmax8Table table, kernels::QParams out_q, Backend& backend)
      : table_(table), out_q_(out_q), backend_(backend) {}

  Status run(ops::OpContext& ctx) override {
    const ir::Shape& s = ctx.input_shape(0);
    const int32_t depth = s.back();
    const int64_t rows = depth == 0 ? 0 : ir::num_elements(s) / depth;
    const In* in = ctx.input<In>(0);
    Out* out = ctx.output<Out>(0);
    const int64_t tasks = own_task_count(backend_, rows, rows * depth * static_cast<int64_t>(sizeof(Out)));
    backend_.parallel(tasks, [&](int64_t t) {
      const int64_t first = rows * t / tasks, count = rows * (t + 1) / tasks - first;
      kernels::softmax8_rows(table_, in + first * depth, count, depth, out_q_, out + first * depth);
    });
    return Status::ok();
  }
  const char* library() const override { return "own"; }

 private:
  kernels::Softmax8Table table_;
  kernels::QParams out_q_;
  Backend& backend_;
};

// int16 SOFTMAX: the reference kernel itself (its tables are built once per
// process), on bands of rows over the threads.
class Softmax16 final : public FastKernel {
 public:
  Softmax16(kernels::QParams in_q, float beta, kernels::QParams out_q, Backend& backend)
      : in_q_(in_q), beta_(beta), out_q_(out_q), backend_(backend) {}

  Status run(ops::OpContext& ctx) override {
    const ir::Shape& s = ctx.input_shape(0);
    const int32_t depth = s.back();
    const int64_t rows = depth == 0 ? 0 : ir::num_elements(s) / depth;
    const int16_t* in = ctx.input<int16_t>(0);
    int16_t* out = ctx.output<int16_t>(0);
    const int64_t tasks = own_task_count(backend_, rows, rows * depth * 2);
    backend_.parallel(tasks, [&](int64_t t) {
      const int64_t first = rows * t / tasks, count = rows * (t + 1) / tasks - first;
      kernels::softmax<int16_t, int16_t>(in + first * depth, count, depth, in_q_, beta_, out_q_,
                                         out + first * depth);
    });
    return Status::ok();
  }
  const char* library() const override { return "own"; }

 private:
  kernels::QParams in_q_;
  float beta_;
  kernels::QParams out_q_;
  Backend& backend_;
};

Expected<std::unique_ptr<FastKernel>> prepare_int(const ops::OpContext& ctx, Backend& backend) {
  const DType in = ctx.input_dtype(0), out = ctx.output_dtype(0);
  auto qi = ops::int_qparams(ctx, ctx.input_tensor(0), true);
  auto qo = ops::int_qparams(ctx, ctx.output_tensor(0), false);
  if (!qi || !qo || ctx.input_shape(0).empty()) return std::unique_ptr<FastKernel>();
  const float beta = ops::options_or_default<tflite::SoftmaxOptionsT>(ctx).beta;
  const kernels::Softmax8Table table = kernels::softmax8_table(qi->scale, beta);
  if (in == DType::kInt8 && out == DType::kInt8)
    return std::unique_ptr<FastKernel>(new Softmax8<int8_t, int8_t>(table, *qo, backend));
  if (in == DType::kInt8 && out == DType::kInt16)
    return std::unique_ptr<FastKernel>(new Softmax8<int8_t, int16_t>(table, *qo, backend));
  if (in == DType::kUInt8 && out == DType::kUInt8)
    return std::unique_ptr<FastKernel>(new Softmax8<uint8_t, uint8_t>(table, *qo, backend));
  if (in == DType::kInt16 && out == DType::kInt16)
    return std::unique_ptr<FastKernel>(new Softmax16(*qi, beta, *qo, backend));
  return std::unique_ptr<FastKernel>();
}

}  // namespace

Expected<std::unique_ptr<FastKernel>> prepare_own_softmax(const ops::OpContext& ctx, Backend& backend) {
  if (ctx.op().code.is_custom() || ctx.num_inputs() != 1 || ctx.num_outputs() != 1)
    return std::unique_ptr<FastKernel>();
  const auto op = ctx.op().code.builtin;
  const bool log = op == tflite::BuiltinOperator_LOG_SOFTMAX;
  if (op != tflite::BuiltinOperator_SOFTMAX && !log) return std::unique_ptr<FastKernel>();
  if (ctx.input_dtype(0) == DType::kFloat32) return prepare_float(ctx, log, backend);
  if (log) return std::unique_ptr<FastKernel>();
  return prepare_int(ctx, backend);
}

}  // namespace tfc::runtime::fast
