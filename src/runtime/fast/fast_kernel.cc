// The backend's threads and scratch, conv geometry, and the choice of library
// per op (see fast_kernel.h).
#include "runtime/fast/fast_kernel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <thread>

#include "ir/verify.h"
#include "kernels/quant_util.h"

// libgomp's, the OpenMP runtime oneDNN is built with (linked directly; see
// CMakeLists.txt). Declared here rather than through <omp.h>, which clang
// does not have without an OpenMP runtime of its own.
extern "C" void omp_set_num_threads(int);

namespace tfc::runtime::fast {

// oneDNN's OpenMP team is one thread, set once here, before any oneDNN call
// (weight packing at prepare included), in every thread that runs oneDNN for
// this backend: the creating thread and the pool's workers. The backend's
// threads are its pthreadpool, over which convolutions run in bands
// (dnnl_kernels.cc). An OpenMP runtime that once started a team keeps idle
// workers spinning after every parallel region, on the cores the pool needs.
Backend::Backend(int threads) : count_(std::max(threads, 1)) {
  omp_set_num_threads(1);
  if (count_ > 1) {
    pool_ = pthreadpool_create(static_cast<size_t>(count_));
    single_openmp_thread_in_workers();
  }
}

Backend::~Backend() {
  if (pool_) pthreadpool_destroy(pool_);
}

// OpenMP's thread count is a per-thread setting, so each worker must set it
// itself. pthreadpool hands a range of `count_` items one to each of its
// `count_` threads (the caller included); each item waits until all have
// started, so no thread takes two. The wait is bounded, so a pool that
// schedules otherwise leaves a worker unset (slower) rather than hung.
void Backend::single_openmp_thread_in_workers() {
  std::atomic<int64_t> started{0};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  parallel(count_, [&](int64_t) {
    omp_set_num_threads(1);
    started.fetch_add(1);
    while (started.load() < count_ && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  });
}

float* Backend::scratch(int slot, size_t count) {
  auto& buf = scratch_[slot];
  if (buf.size() < count + 16) buf.resize(count + 16);
  auto* p = buf.data();
  return p + (64 - reinterpret_cast<uintptr_t>(p) % 64) % 64 / sizeof(float);
}

namespace {

template <typename Options>
bool fill_geometry(const ops::OpContext& ctx, ConvGeometry& g) {
  static const Options kDefault{};
  const Options* o = ctx.op().options_as<Options>();
  if (!o) o = &kDefault;
  const ir::Shape& in = ctx.input_shape(0);
  const ir::Shape& w = ctx.input_shape(1);
  const ir::Shape& out = ctx.output_shape(0);
  if (in.size() != 4 || w.size() != 4 || out.size() != 4) return false;
  for (auto d : in) if (d <= 0) return false;
  for (auto d : w) if (d <= 0) return false;
  for (auto d : out) if (d <= 0) return false;
  g.batch = in[0];
  g.ih = in[1];
  g.iw = in[2];
  g.oh = out[1];
  g.ow = out[2];
  g.kh = w[1];
  g.kw = w[2];
  g.sh = o->stride_h;
  g.sw = o->stride_w;
  g.dh = o->dilation_h_factor;
  g.dw = o->dilation_w_factor;
  if (g.sh <= 0 || g.sw <= 0 || g.dh <= 0 || g.dw <= 0) return false;
  if (ops::to_padding(o->padding) == kernels::Padding::kSame) {
    g.pt = kernels::window_padding_before(static_cast<int32_t>(g.ih), static_cast<int32_t>(g.kh),
                                          static_cast<int32_t>(g.sh), static_cast<int32_t>(g.dh),
                                          static_cast<int32_t>(g.oh));
    g.pl = kernels::window_padding_before(static_cast<int32_t>(g.iw), static_cast<int32_t>(g.kw),
                                          static_cast<int32_t>(g.sw), static_cast<int32_t>(g.dw),
                                          static_cast<int32_t>(g.ow));
  }
  // The padding after that makes the window end at the last output; 0 when
  // VALID leaves a remainder of the input unread (both libraries round the
  // output size down, as TFLite does).
  g.pb = std::max<int64_t>((g.oh - 1) * g.sh + (g.kh - 1) * g.dh + 1 - g.ih - g.pt, 0);
  g.pr = std::max<int64_t>((g.ow - 1) * g.sw + (g.kw - 1) * g.dw + 1 - g.iw - g.pl, 0);
  const int64_t ic = in[3], oc = out[3];
  if (g.depthwise) {
    g.groups = ic;
    g.group_in = 1;
    g.group_out = oc / ic;
  } else {
    g.groups = ic / w[3];
    g.group_in = w[3];
    g.group_out = oc / g.groups;
  }
  if (g.out_channels() != oc || g.in_channels() != ic) return false;
  g.activation = static_cast<kernels::Activation>(o->fused_activation_function);
  return true;
}

// Runs the candidate kernels (at least one) on scratch buffers shaped like
// the op's (inputs that are not constant get a fixed pattern) — once to warm
// up, then three times each, in turn — and keeps the one with the lowest best
// time.
std::unique_ptr<FastKernel> fastest_of(const ops::OpContext& ctx, std::vector<std::unique_ptr<FastKernel>> kernels) {
  if (kernels.size() == 1) return std::move(kernels[0]);
  std::vector<ops::TensorSlot> in_slots(static_cast<size_t>(ctx.num_inputs()));
  std::vector<ops::TensorSlot> out_slots(static_cast<size_t>(ctx.num_outputs()));
  std::vector<std::vector<uint8_t>> buffers;
  std::vector<ops::TensorSlot*> ins, outs;
  auto fill = [&](ops::TensorSlot& slot, const ir::Tensor& t, const ir::Shape& shape, const void* data) -> bool {
    slot.tensor = &t;
    slot.shape = shape;
    if (data) {
      slot.data = const_cast<void*>(data);
      return true;
    }
    auto bytes = ir::dense_byte_size(t.dtype, shape);
    if (!bytes || *bytes <= 0) return false;
    // XNNPACK's kernels may read up to 16 bytes past an input (its
    // XNN_EXTRA_BYTES); the slack keeps that inside the buffer.
    buffers.emplace_back(static_cast<size_t>(*bytes) + 64);
    for (size_t i = 0; i < buffers.back().size(); ++i) buffers.back()[i] = static_cast<uint8_t>(i * 37 + 11);
    slot.data = buffers.back().data();
    return true;
  };
  buffers.reserve(in_slots.size() + out_slots.size());
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    if (!ctx.has_input(i)) {
      ins.push_back(nullptr);
      continue;
    }
    if (!fill(in_slots[static_cast<size_t>(i)], ctx.input_tensor(i), ctx.input_shape(i), ctx.input_data(i)))
      return std::move(kernels[0]);
    ins.push_back(&in_slots[static_cast<size_t>(i)]);
  }
  for (int i = 0; i < ctx.num_outputs(); ++i) {
    if (!fill(out_slots[static_cast<size_t>(i)], ctx.output_tensor(i), ctx.output_shape(i), nullptr))
      return std::move(kernels[0]);
    outs.push_back(&out_slots[static_cast<size_t>(i)]);
  }
  ops::OpContext trial(ctx.op(), ins, outs, ctx.arithmetic());
  auto time_once = [&](FastKernel& k) {
    const auto start = std::chrono::steady_clock::now();
    const bool ok = k.run(trial).is_ok();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return ok ? s : std::numeric_limits<double>::infinity();
  };
  for (auto& k : kernels) time_once(*k);
  std::vector<double> best(kernels.size(), std::numeric_limits<double>::infinity());
  for (int r = 0; r < 3; ++r)
    for (size_t k = 0; k < kernels.size(); ++k) best[k] = std::min(best[k], time_once(*kernels[k]));
  return std::move(kernels[static_cast<size_t>(std::min_element(best.begin(), best.end()) - best.begin())]);
}

}  // namespace

bool fc_geometry(const ops::OpContext& ctx, FcGeometry& g) {
  if (ctx.num_inputs() < 2 || ctx.num_outputs() < 1) return false;
  static const tflite::FullyConnectedOptionsT kDefault{};
  const auto* o = ctx.op().options_as<tflite::FullyConnectedOptionsT>();
  if (!o) o = &kDefault;
  if (o->weights_format != tflite::FullyConnectedOptionsWeightsFormat_DEFAULT) return false;
  const ir::Shape& w = ctx.input_shape(1);
  if (w.size() != 2 || w[0] <= 0 || w[1] <= 0) return false;
  g.units = w[0];
  g.depth = w[1];
  const int64_t in_elems = ir::num_elements(ctx.input_shape(0));
  if (in_elems <= 0 || in_elems % g.depth != 0) return false;
  g.rows = in_elems / g.depth;
  if (ir::num_elements(ctx.output_shape(0)) != g.rows * g.units) return false;
  g.activation = static_cast<kernels::Activation>(o->fused_activation_function);
  return true;
}

bool per_tensor_int8(const ir::Tensor& t, float& scale, int32_t& zero_point) {
  if (t.dtype != DType::kInt8 || !t.is_quantized() || t.quantization->scale.size() != 1) return false;
  scale = t.quantization->scale[0];
  zero_point = t.quantization->zero_point.empty() ? 0 : static_cast<int32_t>(t.quantization->zero_point[0]);
  return std::isfinite(scale) && scale > 0.0f && zero_point >= -128 && zero_point <= 127;
}

bool conv_geometry(const ops::OpContext& ctx, bool depthwise, ConvGeometry& g) {
  if (ctx.num_inputs() < 2 || ctx.num_outputs() < 1) return false;
  g = ConvGeometry{};
  g.depthwise = depthwise;
  return depthwise ? fill_geometry<tflite::DepthwiseConv2DOptionsT>(ctx, g)
                   : fill_geometry<tflite::Conv2DOptionsT>(ctx, g);
}

bool hybrid_conv_params(const ops::OpContext& ctx, bool depthwise, ConvGeometry& g, std::vector<float>& scales,
                        std::vector<float>& bias) {
  if (ctx.num_inputs() < 2 || ctx.input_dtype(0) != DType::kFloat32 || ctx.input_dtype(1) != DType::kInt8 ||
      ctx.output_dtype(0) != DType::kFloat32 || ctx.input_data(1) == nullptr)
    return false;
  if (ctx.has_input(2) && (ctx.input_dtype(2) != DType::kFloat32 || ctx.input_data(2) == nullptr)) return false;
  if (!conv_geometry(ctx, depthwise, g)) return false;
  if (g.activation != kernels::Activation::kNone && !kernels::FloatClamp::is_clamp(g.activation)) return false;
  const ir::Tensor& wt = ctx.input_tensor(1);
  if (!wt.is_quantized()) return false;
  for (int64_t zp : wt.quantization->zero_point)
    if (zp != 0) return false;
  const int64_t oc = g.out_channels();
  scales = wt.quantization->scale;
  if (scales.size() != 1 && static_cast<int64_t>(scales.size()) != oc) return false;
  bias.clear();
  if (ctx.has_input(2)) bias.assign(ctx.input<float>(2), ctx.input<float>(2) + oc);
  return true;
}

bool int8_conv_params(const ops::OpContext& ctx, bool depthwise, Int8ConvParams& p) {
  if (ctx.num_inputs() < 2 || ctx.input_dtype(0) != DType::kInt8 || ctx.input_dtype(1) != DType::kInt8 ||
      ctx.output_dtype(0) != DType::kInt8)
    return false;
  if (ctx.input_data(1) == nullptr) return false;
  if (ctx.has_input(2) && (ctx.input_dtype(2) != DType::kInt32 || ctx.input_data(2) == nullptr)) return false;
  if (!conv_geometry(ctx, depthwise, p.g)) return false;
  using kernels::Activation;
  const Activation act = p.g.activation;
  if (act != Activation::kNone && act != Activation::kRelu && act != Activation::kRelu6 &&
      act != Activation::kReluN1To1)
    return false;
  float in_scale = 0, out_scale = 0;
  if (!per_tensor_int8(ctx.input_tensor(0), in_scale, p.in_zp) ||
      !per_tensor_int8(ctx.output_tensor(0), out_scale, p.out_zp))
    return false;
  const ir::Tensor& wt = ctx.input_tensor(1);
  if (!wt.is_quantized()) return false;
  for (int64_t zp : wt.quantization->zero_point)
    if (zp != 0) return false;
  const auto& ws = wt.quantization->scale;
  const int64_t oc = p.g.out_channels();
  if (ws.size() != 1 && static_cast<int64_t>(ws.size()) != oc) return false;
  p.scales.resize(static_cast<size_t>(oc));
  for (int64_t c = 0; c < oc; ++c) {
    const float s = kernels::float_requant_scale(in_scale, ws.size() == 1 ? ws[0] : ws[static_cast<size_t>(c)],
                                                 out_scale);
    if (!std::isfinite(s)) return false;
    p.scales[static_cast<size_t>(c)] = s;
  }
  const kernels::IntRange range = kernels::activation_range_float<int8_t>(act, out_scale, p.out_zp);
  p.lo = static_cast<float>(range.min - p.out_zp);
  p.hi = static_cast<float>(range.max - p.out_zp);
  return true;
}

Expected<std::unique_ptr<FastKernel>> prepare_kernel(const ops::OpContext& ctx, Backend& backend,
                                                     const FastOptions& options) {
  if (ctx.num_inputs() == 0 || ctx.num_outputs() == 0 || !ctx.has_input(0)) return std::unique_ptr<FastKernel>();
  // Exact data movement: the same outputs under either arithmetic.
  TFC_ASSIGN_OR_RETURN(auto data, prepare_own_data(ctx, backend));
  if (data) return data;
  // Data movement, reductions, SOFTMAX: exact where integer (float32
  // softmax within tolerance), so before the int8 arithmetic check.
  TFC_ASSIGN_OR_RETURN(auto moved, prepare_own_movement(ctx, backend));
  if (moved) return moved;
  TFC_ASSIGN_OR_RETURN(auto reduced, prepare_own_reduce(ctx, backend));
  if (reduced) return reduced;
  TFC_ASSIGN_OR_RETURN(auto softmax, prepare_own_softmax(ctx, backend));
  if (softmax) return softmax;
  // float32 PRELU, exact.
  TFC_ASSIGN_OR_RETURN(auto prelu, prepare_own_prelu(ctx, backend));
  if (prelu) return prelu;
  // RESIZE_BILINEAR (float32) and RESIZE_NEAREST_NEIGHBOR, exact.
  TFC_ASSIGN_OR_RETURN(auto resize, prepare_own_resize(ctx, backend));
  if (resize) return resize;
  // Quantized unary ops and integer QUANTIZE: a table of the reference's outputs.
  TFC_ASSIGN_OR_RETURN(auto table, prepare_own_table(ctx, backend));
  if (table) return table;
  // QUANTIZE from float32, DEQUANTIZE to float32, and float32 unary formulas: exact.
  TFC_ASSIGN_OR_RETURN(auto quantize, prepare_own_quantize(ctx, backend));
  if (quantize) return quantize;
  TFC_ASSIGN_OR_RETURN(auto unary, prepare_own_float_unary(ctx, backend));
  if (unary) return unary;
  // float32 TRANSPOSE_CONV (its input 0 is the int32 output shape): oneDNN.
  if (!ctx.op().code.is_custom() && ctx.op().code.builtin == tflite::BuiltinOperator_TRANSPOSE_CONV)
    return prepare_dnnl_transpose_conv(ctx, backend);
  // int8 SUB, MUL, MAXIMUM, MINIMUM, PRELU in the reference's fixed-point
  // arithmetic, exact (int8 ADD: below, where XNNPACK refuses it).
  const bool add = !ctx.op().code.is_custom() && ctx.op().code.builtin == tflite::BuiltinOperator_ADD;
  if (!add) {
    TFC_ASSIGN_OR_RETURN(auto binary, prepare_own_int_binary(ctx, backend));
    if (binary) return binary;
  }
  // Every other int8 fast kernel computes LiteRT's default-path rescaling.
  if (ctx.input_dtype(0) == DType::kInt8 && ctx.arithmetic() != kernels::Requantization::kFloat)
    return std::unique_ptr<FastKernel>();
  TFC_ASSIGN_OR_RETURN(auto own, prepare_own(ctx));
  if (own) return own;
  // Hybrid CONV_2D of one group: ours (AVX2 / AVX-VNNI); FULLY_CONNECTED and
  // such a CONV_2D on a CPU without AVX2: ours, any CPU; depthwise and
  // grouped: exact float on oneDNN.
  TFC_ASSIGN_OR_RETURN(auto hybrid_conv, prepare_own_hybrid_conv(ctx, backend, options));
  if (hybrid_conv) return hybrid_conv;
  TFC_ASSIGN_OR_RETURN(auto hybrid, prepare_own_hybrid(ctx, backend, options));
  if (hybrid) return hybrid;
  TFC_ASSIGN_OR_RETURN(auto hybrid_f32, prepare_hybrid_via_f32(ctx, backend));
  if (hybrid_f32) return hybrid_f32;
  // float32 activations: oneDNN; int8: XNNPACK.
  if (ctx.input_dtype(0) == DType::kFloat32) {
    TFC_ASSIGN_OR_RETURN(auto matmul, prepare_dnnl_batch_matmul(ctx, backend));
    if (matmul) return matmul;
    return prepare_dnnl(ctx, backend);
  }
  if (ctx.input_dtype(0) == DType::kInt8) {
    using Choice = FastOptions::Int8Conv;
    const Choice choice = options.int8_conv;
    // Our own kernel first: the default takes it without preparing the others.
    std::unique_ptr<FastKernel> mine;
    if (choice == Choice::kAuto || choice == Choice::kOwn || choice == Choice::kMeasured) {
      TFC_ASSIGN_OR_RETURN(mine, prepare_own_int8_depthwise(ctx, backend, options));
      if (!mine) {
        TFC_ASSIGN_OR_RETURN(mine, prepare_own_int8_conv(ctx, backend, options));
      }
      if (mine && choice != Choice::kMeasured) return mine;
    }
    // A forced choice takes XNNPACK where its kernel is missing.
    TFC_ASSIGN_OR_RETURN(auto xnn, prepare_xnn(ctx, backend));
    if (choice == Choice::kXnnpack || choice == Choice::kOwn) return xnn;
    TFC_ASSIGN_OR_RETURN(auto exact, prepare_int8_via_f32(ctx, backend));
    if (choice == Choice::kExactFloat) return exact ? std::move(exact) : std::move(xnn);
    std::vector<std::unique_ptr<FastKernel>> candidates;
    for (auto* k : {&xnn, &mine, &exact})
      if (*k) candidates.push_back(std::move(*k));
    if (candidates.empty()) return prepare_own_int_binary(ctx, backend);
    return fastest_of(ctx, std::move(candidates));
  }
  return std::unique_ptr<FastKernel>();
}

}  // namespace tfc::runtime::fast
