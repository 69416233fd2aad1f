// Fast kernels of our own for the data-movement ops, exact (the reference's
// bytes, so either arithmetic setting takes them), any fixed-size element:
// - TRANSPOSE, SLICE, STRIDED_SLICE: one strided copy planned at prepare —
//   the output's dims with the input stride of each, size-1 dims dropped and
//   neighbours merged where the input walks them as one, so the inner loop
//   is one memcpy of the longest contiguous run (or a strided gather of
//   1, 2, 4 or 8-byte elements; a transpose, whose input is contiguous along
//   an outer output dim, in 16 x 16 tiles); negative strides walk backwards;
// - CONCATENATION (inputs quantized as the output, no fused activation),
//   PACK, SPLIT, SPLIT_V, UNPACK: per outer index one memcpy per input
//   (output), of the bytes it holds below the axis;
// - GATHER: one copy per gathered row (inline 16-byte pieces for rows of
//   whole pieces up to 512 bytes), indices read and checked every run;
// - RESHAPE, SQUEEZE, EXPAND_DIMS: one memcpy of the buffer.
// Outer rows are split over the backend's threads when the op moves at least
// 64 KiB (own_task_count). The parameter inputs (perm, begin / end / strides,
// axis, sizes) are read at prepare; a run whose parameters differ (they need
// not be constant) plans again.
#include <algorithm>
#include <cstring>
#include <vector>

#include "ir/verify.h"
#include "ops/data_plans.h"
#include "ops/op_util.h"
#include "ops/shape_plans.h"
#include "runtime/fast/fast_kernel.h"

namespace tfc::runtime::fast {
namespace {

using Builtin = tflite::BuiltinOperator;

// The bytes of the parameter inputs a plan was made from, to notice a run
// with other values.
class ParamGuard {
 public:
  void keep(const ops::OpContext& ctx, std::initializer_list<int> inputs) {
    inputs_.assign(inputs.begin(), inputs.end());
    bytes_.clear();
    for (int i : inputs_) bytes_.push_back(read(ctx, i));
  }
  bool same(const ops::OpContext& ctx) const {
    for (size_t k = 0; k < inputs_.size(); ++k)
      if (read(ctx, inputs_[k]) != bytes_[k]) return false;
    return true;
  }

 private:
  static std::vector<uint8_t> read(const ops::OpContext& ctx, int i) {
    const auto* p = static_cast<const uint8_t*>(ctx.input_data(i));
    const auto bytes = ir::dense_byte_size(ctx.input_dtype(i), ctx.input_shape(i));
    if (p == nullptr || !bytes) return {};
    return std::vector<uint8_t>(p, p + *bytes);
  }
  std::vector<int> inputs_;
  std::vector<std::vector<uint8_t>> bytes_;
};

// True when every parameter input has its data (a plan can be made now).
bool have_values(const ops::OpContext& ctx, std::initializer_list<int> inputs) {
  for (int i : inputs)
    if (!ctx.has_input(i) || ctx.input_data(i) == nullptr) return false;
  return true;
}

// ---- Strided copy: TRANSPOSE, SLICE, STRIDED_SLICE ---------------------------

// out[idx] = in[first + sum idx[d] * stride[d]] over the output's dims.
struct StridedCopy {
  size_t elem = 1;
  std::vector<int64_t> dims, stride;  // merged; innermost last
  int64_t first = 0;
  int64_t rows = 1;  // product of all dims but the innermost
  bool contiguous = false;
  int across = -1;  // a dim of input stride 1 when the inner one is not (copy_tiles)

  void plan(size_t elem_size, std::span<const int64_t> out_dims, std::span<const int64_t> in_stride, int64_t start) {
    elem = elem_size;
    first = start;
    dims.clear();
    stride.clear();
    bool empty = false;
    for (size_t d = 0; d < out_dims.size(); ++d) {
      empty = empty || out_dims[d] == 0;
      if (out_dims[d] == 1) continue;
      if (!dims.empty() && stride.back() == in_stride[d] * out_dims[d]) {
        dims.back() *= out_dims[d];
        stride.back() = in_stride[d];
      } else {
        dims.push_back(out_dims[d]);
        stride.push_back(in_stride[d]);
      }
    }
    if (dims.empty()) {
      dims.push_back(1);
      stride.push_back(1);
    }
    if (empty) dims.assign(dims.size(), 0);
    rows = 1;
    for (size_t d = 0; d + 1 < dims.size(); ++d) rows *= dims[d];
    contiguous = stride.back() == 1;
    // A dim the input walks contiguously, other than the inner one: tiles.
    across = -1;
    for (size_t d = 0; !contiguous && !empty && d + 1 < dims.size(); ++d)
      if (stride[d] == 1 && dims.back() >= kTile / 2) across = static_cast<int>(d);
  }

  void run(const uint8_t* in, uint8_t* out, Backend& backend) const {
    const int64_t n = dims.back();
    if (n == 0 || rows == 0) return;
    const int64_t bytes = rows * n * static_cast<int64_t>(elem);
    if (across >= 0) {
      const int64_t tiles = rows / dims[static_cast<size_t>(across)] * ((dims[static_cast<size_t>(across)] + kTile - 1) / kTile);
      const int64_t tasks = own_task_count(backend, tiles, bytes);
      backend.parallel(tasks, [&](int64_t t) { copy_tiles(in, out, tiles * t / tasks, tiles * (t + 1) / tasks); });
      return;
    }
    const int64_t tasks = own_task_count(backend, rows, bytes);
    backend.parallel(tasks, [&](int64_t t) { copy_rows(in, out, rows * t / tasks, rows * (t + 1) / tasks); });
  }

 private:
  static constexpr int64_t kTile = 16;

  // A transpose: the outer dim `across` is contiguous in the input while the
  // inner one is not. Copied in kTile x kTile tiles of (across, inner), so
  // that both the reads (along `across`) and the writes (along the inner
  // dim) run over whole cache lines. Tile rows [begin, end) of the
  // (other dims, tile of `across`) index.
  void copy_tiles(const uint8_t* in, uint8_t* out, int64_t begin, int64_t end) const {
    const auto a = static_cast<size_t>(across);
    const int64_t na = dims[a], nb = dims.back(), step = stride.back();
    const int64_t tiles_a = (na + kTile - 1) / kTile;
    // Output strides of the merged dims (row-major).
    std::vector<int64_t> out_stride(dims.size(), 1);
    for (size_t d = dims.size() - 1; d-- > 0;) out_stride[d] = out_stride[d + 1] * dims[d + 1];
    for (int64_t r = begin; r < end; ++r) {
      // r = (index over the dims but `across` and the last) * tiles_a + tile.
      int64_t rest = r / tiles_a, src = first, dst = 0;
      for (size_t d = dims.size() - 1; d-- > 0;) {
        if (d == a) continue;
        const int64_t i = rest % dims[d];
        rest /= dims[d];
        src += i * stride[d];
        dst += i * out_stride[d];
      }
      const int64_t a0 = r % tiles_a * kTile, a1 = std::min(a0 + kTile, na);
      for (int64_t b0 = 0; b0 < nb; b0 += kTile) {
        const int64_t b1 = std::min(b0 + kTile, nb);
        for (int64_t i = a0; i < a1; ++i)
          gather_row(in + (src + i * stride[a] + b0 * step) * static_cast<int64_t>(elem),
                     out + (dst + i * out_stride[a] + b0) * static_cast<int64_t>(elem), b1 - b0, step);
      }
    }
  }

  void copy_rows(const uint8_t* in, uint8_t* out, int64_t begin, int64_t end) const {
    if (begin >= end) return;
    const size_t outer = dims.size() - 1;
    std::vector<int64_t> idx(outer);
    int64_t offset = first;  // input element of the row's first output
    for (size_t d = outer, rest = static_cast<size_t>(begin); d-- > 0;) {
      idx[d] = static_cast<int64_t>(rest % static_cast<size_t>(dims[d]));
      rest /= static_cast<size_t>(dims[d]);
      offset += idx[d] * stride[d];
    }
    const int64_t n = dims.back(), step = stride.back();
    const size_t row_bytes = static_cast<size_t>(n) * elem;
    for (int64_t r = begin; r < end; ++r) {
      uint8_t* dst = out + static_cast<size_t>(r) * row_bytes;
      const uint8_t* src = in + offset * static_cast<int64_t>(elem);
      if (contiguous) {
        std::memcpy(dst, src, row_bytes);
      } else {
        gather_row(src, dst, n, step);
      }
      for (size_t d = outer; d-- > 0;) {
        offset += stride[d];
        if (++idx[d] < dims[d]) break;
        offset -= stride[d] * dims[d];
        idx[d] = 0;
      }
    }
  }

  template <typename T>
  static void gather_typed(const uint8_t* src, uint8_t* dst, int64_t n, int64_t step) {
    auto* d = reinterpret_cast<T*>(dst);
    for (int64_t k = 0; k < n; ++k) std::memcpy(d + k, src + k * step * static_cast<int64_t>(sizeof(T)), sizeof(T));
  }
  void gather_row(const uint8_t* src, uint8_t* dst, int64_t n, int64_t step) const {
    switch (elem) {
      case 1: return gather_typed<uint8_t>(src, dst, n, step);
      case 2: return gather_typed<uint16_t>(src, dst, n, step);
      case 4: return gather_typed<uint32_t>(src, dst, n, step);
      case 8: return gather_typed<uint64_t>(src, dst, n, step);
      default:
        for (int64_t k = 0; k < n; ++k)
          std::memcpy(dst + static_cast<size_t>(k) * elem, src + k * step * static_cast<int64_t>(elem), elem);
    }
  }
};

std::vector<int64_t> row_major_strides(const ir::Shape& dims) {
  std::vector<int64_t> s(dims.size(), 1);
  for (size_t d = dims.size(); d-- > 1;) s[d - 1] = s[d] * dims[d];
  return s;
}

class StridedKernel final : public FastKernel {
 public:
  StridedKernel(Builtin op, Backend& backend) : op_(op), backend_(backend) {}

  Status plan(ops::OpContext& ctx) {
    TFC_ASSIGN_OR_RETURN(const size_t elem, ops::element_size(ctx, 0));
    const ir::Shape& in = ctx.input_shape(0);
    std::vector<int64_t> dims, strides;
    int64_t first = 0;
    if (op_ == tflite::BuiltinOperator_TRANSPOSE) {
      TFC_ASSIGN_OR_RETURN(const std::vector<int32_t> perm, ops::transpose_perm(ctx));
      const std::vector<int64_t> s = row_major_strides(in);
      for (int32_t p : perm) {
        dims.push_back(in[static_cast<size_t>(p)]);
        strides.push_back(s[static_cast<size_t>(p)]);
      }
      guard_.keep(ctx, {1});
    } else {
      ir::Shape in_dims = in;
      std::vector<kernels::SliceAxis> axes;
      if (op_ == tflite::BuiltinOperator_SLICE) {
        TFC_ASSIGN_OR_RETURN(axes, ops::plan_slice(ctx));
        guard_.keep(ctx, {1, 2});
      } else {
        TFC_ASSIGN_OR_RETURN(const ops::StridedPlan p, ops::plan_strided_slice(ctx));
        in_dims = p.in_dims;
        axes = p.axes;
        guard_.keep(ctx, {1, 2, 3});
      }
      const kernels::SliceWalk w = kernels::slice_walk(in_dims, axes);
      dims.assign(w.out_dims.begin(), w.out_dims.end());
      strides = w.step;
      first = w.first;
    }
    copy_.plan(elem, dims, strides, first);
    return Status::ok();
  }

  Status run(ops::OpContext& ctx) override {
    if (!guard_.same(ctx)) TFC_RETURN_IF_ERROR(plan(ctx));
    copy_.run(static_cast<const uint8_t*>(ctx.input_data(0)), static_cast<uint8_t*>(ctx.output_data(0)), backend_);
    return Status::ok();
  }
  const char* library() const override { return "own"; }

 private:
  Builtin op_;
  Backend& backend_;
  ParamGuard guard_;
  StridedCopy copy_;
};

Expected<std::unique_ptr<FastKernel>> prepare_strided(const ops::OpContext& ctx, Backend& backend, Builtin op) {
  const int params = op == tflite::BuiltinOperator_TRANSPOSE ? 1 : op == tflite::BuiltinOperator_SLICE ? 2 : 3;
  if (ctx.num_inputs() != params + 1 || ctx.num_outputs() != 1) return std::unique_ptr<FastKernel>();
  for (int i = 1; i <= params; ++i)
    if (!have_values(ctx, {i})) return std::unique_ptr<FastKernel>();
  auto k = std::make_unique<StridedKernel>(op, backend);
  // A plan the reference refuses: it reports the error when it runs.
  if (!k->plan(const_cast<ops::OpContext&>(ctx)).is_ok()) return std::unique_ptr<FastKernel>();
  return std::unique_ptr<FastKernel>(std::move(k));
}

// ---- CONCATENATION, PACK, SPLIT, SPLIT_V, UNPACK ----------------------------

// One tensor `whole` is the concatenation along an axis of `parts`: per outer
// index, part p holds bytes[p] bytes of whole's row, in order. Concatenating
// copies parts into whole, splitting the other way.
class Joiner final : public FastKernel {
 public:
  Joiner(Builtin op, Backend& backend) : op_(op), backend_(backend) {}

  Status plan(ops::OpContext& ctx) {
    int axis = 0;
    size_t elem = 0;
    ir::Shape whole;
    std::vector<int64_t> part_dims;  // each part's dim along the axis
    switch (op_) {
      case tflite::BuiltinOperator_CONCATENATION: {
        TFC_ASSIGN_OR_RETURN(const ops::Concat c, ops::resolve_concat(ctx));
        axis = c.axis;
        whole.assign(c.out_shape.begin(), c.out_shape.end());
        for (int i = 0; i < ctx.num_inputs(); ++i)
          part_dims.push_back(ctx.input_shape(i).empty() ? 1 : ctx.input_shape(i)[static_cast<size_t>(axis)]);
        TFC_ASSIGN_OR_RETURN(elem, ops::element_size(ctx, 0));
        break;
      }
      case tflite::BuiltinOperator_PACK: {
        TFC_ASSIGN_OR_RETURN(axis, ops::resolve_pack(ctx));
        whole = ctx.input_shape(0);
        whole.insert(whole.begin() + axis, ctx.num_inputs());
        part_dims.assign(static_cast<size_t>(ctx.num_inputs()), 1);
        TFC_ASSIGN_OR_RETURN(elem, ops::element_size(ctx, 0));
        break;
      }
      case tflite::BuiltinOperator_UNPACK: {
        TFC_ASSIGN_OR_RETURN(axis, ops::resolve_unpack(ctx));
        whole = ctx.input_shape(0);
        part_dims.assign(static_cast<size_t>(ctx.num_outputs()), 1);
        TFC_ASSIGN_OR_RETURN(elem, ops::element_size(ctx, 0));
        break;
      }
      case tflite::BuiltinOperator_SPLIT: {
        TFC_ASSIGN_OR_RETURN(const ops::SplitPlan p, ops::plan_split(ctx));
        axis = p.axis;
        whole = ctx.input_shape(1);
        part_dims.assign(static_cast<size_t>(ctx.num_outputs()), p.out_shape[static_cast<size_t>(axis)]);
        TFC_ASSIGN_OR_RETURN(elem, ops::element_size(ctx, 1));
        guard_.keep(ctx, {0});
        break;
      }
      default: {  // SPLIT_V
        TFC_ASSIGN_OR_RETURN(const ops::SplitVPlan p, ops::resolve_split_v(ctx));
        axis = p.axis;
        whole = ctx.input_shape(0);
        part_dims.assign(p.sizes.begin(), p.sizes.end());
        TFC_ASSIGN_OR_RETURN(elem, ops::element_size(ctx, 0));
        guard_.keep(ctx, {1, 2});
      }
    }
    outer_ = 1;
    for (int d = 0; d < axis; ++d) outer_ *= whole[static_cast<size_t>(d)];
    int64_t inner = static_cast<int64_t>(elem);
    for (size_t d = static_cast<size_t>(axis) + 1; d < whole.size(); ++d) inner *= whole[d];
    bytes_.clear();
    row_ = 0;
    for (int64_t n : part_dims) {
      bytes_.push_back(n * inner);
      row_ += n * inner;
    }
    return Status::ok();
  }

  Status run(ops::OpContext& ctx) override {
    if (!guard_.same(ctx)) TFC_RETURN_IF_ERROR(plan(ctx));
    const bool join = op_ == tflite::BuiltinOperator_CONCATENATION || op_ == tflite::BuiltinOperator_PACK;
    auto* whole = static_cast<uint8_t*>(
        join ? ctx.output_data(0) : const_cast<void*>(ctx.input_data(op_ == tflite::BuiltinOperator_SPLIT ? 1 : 0)));
    parts_.clear();
    for (size_t p = 0; p < bytes_.size(); ++p) {
      const int i = static_cast<int>(p);
      parts_.push_back(static_cast<uint8_t*>(join ? const_cast<void*>(ctx.input_data(i)) : ctx.output_data(i)));
    }
    const int64_t tasks = own_task_count(backend_, outer_, outer_ * row_);
    backend_.parallel(tasks, [&](int64_t t) {
      for (int64_t b = outer_ * t / tasks, end = outer_ * (t + 1) / tasks; b < end; ++b) {
        uint8_t* row = whole + b * row_;
        for (size_t p = 0; p < bytes_.size(); ++p) {
          const size_t n = static_cast<size_t>(bytes_[p]);
          uint8_t* part = parts_[p] + b * bytes_[p];
          if (join) {
            std::memcpy(row, part, n);
          } else {
            std::memcpy(part, row, n);
          }
          row += n;
        }
      }
    });
    return Status::ok();
  }
  const char* library() const override { return "own"; }

 private:
  Builtin op_;
  Backend& backend_;
  ParamGuard guard_;
  int64_t outer_ = 1, row_ = 0;
  std::vector<int64_t> bytes_;
  std::vector<uint8_t*> parts_;
};

Expected<std::unique_ptr<FastKernel>> prepare_joiner(const ops::OpContext& ctx, Backend& backend, Builtin op) {
  if (op == tflite::BuiltinOperator_SPLIT && !have_values(ctx, {0})) return std::unique_ptr<FastKernel>();
  if (op == tflite::BuiltinOperator_SPLIT_V && !have_values(ctx, {1, 2})) return std::unique_ptr<FastKernel>();
  if (op == tflite::BuiltinOperator_CONCATENATION) {
    // Requantizing inputs and fused activations stay with the reference.
    const auto* o = ctx.op().options_as<tflite::ConcatenationOptionsT>();
    if (o && o->fused_activation_function != tflite::ActivationFunctionType_NONE) return std::unique_ptr<FastKernel>();
    for (int i = 0; i < ctx.num_inputs(); ++i)
      if (!ctx.has_input(i) || !ops::same_quantization(ctx.input_tensor(i), ctx.output_tensor(0)))
        return std::unique_ptr<FastKernel>();
  }
  auto k = std::make_unique<Joiner>(op, backend);
  if (!k->plan(const_cast<ops::OpContext&>(ctx)).is_ok()) return std::unique_ptr<FastKernel>();
  return std::unique_ptr<FastKernel>(std::move(k));
}

// ---- GATHER -----------------------------------------------------------------

// n bytes from s to d: rows of whole 16-byte pieces up to 512 bytes (an
// embedding row) in inline 16-byte copies rather than a call to memcpy each.
inline void copy_row(uint8_t* d, const uint8_t* s, int64_t n) {
  if (n % 16 != 0 || n > 512) {
    std::memcpy(d, s, static_cast<size_t>(n));
    return;
  }
  for (int64_t k = 0; k < n; k += 16) std::memcpy(d + k, s + k, 16);
}

class Gather final : public FastKernel {
 public:
  Gather(ops::GatherPlan plan, size_t elem, Backend& backend) : plan_(plan), elem_(elem), backend_(backend) {}

  Status run(ops::OpContext& ctx) override {
    TFC_RETURN_IF_ERROR(ops::gather_indices(ctx, plan_, indices_));
    const ir::Shape& in = ctx.input_shape(0);
    const ir::Shape& idx = ctx.input_shape(1);
    int64_t batch = 1, outer = 1, inner = static_cast<int64_t>(elem_), count = 1;
    for (int d = 0; d < plan_.batch_dims; ++d) batch *= in[static_cast<size_t>(d)];
    for (int d = plan_.batch_dims; d < plan_.axis; ++d) outer *= in[static_cast<size_t>(d)];
    for (size_t d = static_cast<size_t>(plan_.axis) + 1; d < in.size(); ++d) inner *= in[d];
    for (size_t d = static_cast<size_t>(plan_.batch_dims); d < idx.size(); ++d) count *= idx[d];
    const int64_t axis = in[static_cast<size_t>(plan_.axis)], rows = batch * outer * count;
    const auto* src = static_cast<const uint8_t*>(ctx.input_data(0));
    auto* dst = static_cast<uint8_t*>(ctx.output_data(0));
    const int64_t tasks = own_task_count(backend_, rows, rows * inner);
    backend_.parallel(tasks, [&](int64_t t) {
      // Row r = (b * outer + o) * count + j, its coordinates counted along
      // rather than divided out per row.
      int64_t r = rows * t / tasks;
      const int64_t end = rows * (t + 1) / tasks;
      int64_t j = r % count, bo = r / count, o = bo % outer, b = bo / outer;
      for (; r < end; ++r) {
        const int64_t from = (bo * axis + indices_[static_cast<size_t>(b * count + j)]) * inner;
        copy_row(dst + r * inner, src + from, inner);
        if (++j == count) {
          j = 0, ++bo;
          if (++o == outer) o = 0, ++b;
        }
      }
    });
    return Status::ok();
  }
  const char* library() const override { return "own"; }

 private:
  ops::GatherPlan plan_;
  size_t elem_;
  Backend& backend_;
  std::vector<int64_t> indices_;
};

Expected<std::unique_ptr<FastKernel>> prepare_gather(const ops::OpContext& ctx, Backend& backend) {
  if (ctx.num_inputs() != 2 || ctx.num_outputs() != 1) return std::unique_ptr<FastKernel>();
  auto& c = const_cast<ops::OpContext&>(ctx);
  auto plan = ops::plan_gather(c);
  auto elem = ops::element_size(ctx, 0);
  if (!plan || !elem) return std::unique_ptr<FastKernel>();
  return std::unique_ptr<FastKernel>(new Gather(*plan, *elem, backend));
}

// ---- RESHAPE, SQUEEZE, EXPAND_DIMS ------------------------------------------

class Copy final : public FastKernel {
 public:
  Copy(size_t elem, Backend& backend) : elem_(elem), backend_(backend) {}
  Status run(ops::OpContext& ctx) override {
    const int64_t bytes = ir::num_elements(ctx.input_shape(0)) * static_cast<int64_t>(elem_);
    const auto* src = static_cast<const uint8_t*>(ctx.input_data(0));
    auto* dst = static_cast<uint8_t*>(ctx.output_data(0));
    if (bytes <= 0 || src == dst) return Status::ok();
    // Blocks of 64 KiB over the threads.
    const int64_t blocks = (bytes + 65535) / 65536;
    const int64_t tasks = own_task_count(backend_, blocks, bytes);
    backend_.parallel(tasks, [&](int64_t t) {
      const int64_t from = blocks * t / tasks * 65536, to = std::min(blocks * (t + 1) / tasks * 65536, bytes);
      std::memcpy(dst + from, src + from, static_cast<size_t>(to - from));
    });
    return Status::ok();
  }
  const char* library() const override { return "own"; }

 private:
  size_t elem_;
  Backend& backend_;
};

Expected<std::unique_ptr<FastKernel>> prepare_copy(const ops::OpContext& ctx, Backend& backend) {
  if (ctx.num_outputs() != 1 || ctx.output_dtype(0) != ctx.input_dtype(0)) return std::unique_ptr<FastKernel>();
  auto elem = ops::element_size(ctx, 0);
  if (!elem) return std::unique_ptr<FastKernel>();
  return std::unique_ptr<FastKernel>(new Copy(*elem, backend));
}

}  // namespace

Expected<std::unique_ptr<FastKernel>> prepare_own_movement(const ops::OpContext& ctx, Backend& backend) {
  if (ctx.op().code.is_custom()) return std::unique_ptr<FastKernel>();
  const auto op = static_cast<Builtin>(ctx.op().code.builtin);
  switch (op) {
    case tflite::BuiltinOperator_TRANSPOSE:
    case tflite::BuiltinOperator_SLICE:
    case tflite::BuiltinOperator_STRIDED_SLICE: return prepare_strided(ctx, backend, op);
    case tflite::BuiltinOperator_CONCATENATION:
    case tflite::BuiltinOperator_PACK:
    case tflite::BuiltinOperator_UNPACK:
    case tflite::BuiltinOperator_SPLIT:
    case tflite::BuiltinOperator_SPLIT_V: return prepare_joiner(ctx, backend, op);
    case tflite::BuiltinOperator_GATHER: return prepare_gather(ctx, backend);
    case tflite::BuiltinOperator_RESHAPE:
    case tflite::BuiltinOperator_SQUEEZE:
    case tflite::BuiltinOperator_EXPAND_DIMS: return prepare_copy(ctx, backend);
    default: return std::unique_ptr<FastKernel>();
  }
}

}  // namespace tfc::runtime::fast
