// The fast backend (runtime/fast/) checked against the reference kernels: each
// fast kernel on random shapes and options, as a one-op model run through the
// Interpreter with Kernels::kFast and Kernels::kReference (float32 within 1e-4
// relative, int8 within one quantization step), asserting that the fast run
// really took a fast kernel; then the interpreter's side of it: re-preparing
// when the batch changes, threads, the fixed-point requantization (no int8
// fast kernels), ops computed at load, and every runnable fixture model.
#include <fmt/core.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "io/tflite_reader.h"
#include "kernels/common.h"
#include "kernels/fp16.h"
#include "kernels/hybrid_ref.h"
#include "kernels/quant_util.h"
#include "model_builder.h"
#include "runtime/fast/fast_kernel.h"
#include "runtime/fast/int8_dot.h"
#include "runtime/interpreter.h"
#include "test_util.h"

// libgomp's (see runtime/fast/fast_kernel.cc).
extern "C" int omp_get_max_threads();

namespace tfc::runtime {
namespace {

using test::ModelBuilder;
using tflite::BuiltinOperator;

// ---- helpers ----------------------------------------------------------------


int rand_int(std::mt19937& rng, int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }
float rand_float(std::mt19937& rng, float lo, float hi) { return std::uniform_real_distribution<float>(lo, hi)(rng); }

std::vector<float> random_floats(std::mt19937& rng, int64_t n, float lo = -1.0f, float hi = 1.0f) {
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = rand_float(rng, lo, hi);
  return v;
}
template <typename T>
std::vector<T> random_ints(std::mt19937& rng, int64_t n, int lo, int hi) {
  std::vector<T> v(static_cast<size_t>(n));
  for (T& x : v) x = static_cast<T>(rand_int(rng, lo, hi));
  return v;
}

template <typename T>
Array array_of(DType dtype, const ir::Shape& shape, const std::vector<T>& values) {
  Array a{dtype, std::vector<int64_t>(shape.begin(), shape.end()), {}};
  a.data.resize(values.size() * sizeof(T));
  if (!values.empty()) std::memcpy(a.data.data(), values.data(), a.data.size());
  return a;
}

using test::quantization;

void quantize_tensor(ModelBuilder& b, ir::TensorId id, float scale, int64_t zero_point) {
  b.g().tensors[static_cast<size_t>(id)].quantization = quantization({scale}, {zero_point});
}

const std::vector<tflite::ActivationFunctionType> kActivations = {
    tflite::ActivationFunctionType_NONE, tflite::ActivationFunctionType_RELU, tflite::ActivationFunctionType_RELU6,
    tflite::ActivationFunctionType_RELU_N1_TO_1};

tflite::ActivationFunctionType random_activation(std::mt19937& rng) {
  return kActivations[static_cast<size_t>(rand_int(rng, 0, static_cast<int>(kActivations.size()) - 1))];
}

// One run of a model: its outputs and which kernels ran.
struct Outcome {
  std::vector<Array> outputs;
  int fast_ops = 0;
  int folded_ops = 0;
  std::vector<std::string> kernels;  // per op, from op_profile()
};

void run(const ir::Model& model, const std::vector<std::vector<Array>>& feeds, InterpreterOptions options,
         std::vector<Outcome>* out) {
  options.profile = true;
  options.amx_min_macs = 0;  // our int8 conv on AMX tiles at every size, where the CPU has them
  auto interp = Interpreter::create(model, 0, options);
  ASSERT_TRUE(interp.has_value()) << interp.status().message();
  for (const auto& inputs : feeds) {
    for (size_t i = 0; i < inputs.size(); ++i) {
      const Status s = (*interp)->set_input(static_cast<int>(i), inputs[i]);
      ASSERT_TRUE(s.is_ok()) << s.message();
    }
    const Status s = (*interp)->invoke();
    ASSERT_TRUE(s.is_ok()) << s.message();
    Outcome o;
    for (int k = 0; k < (*interp)->num_outputs(); ++k) o.outputs.push_back((*interp)->output(k));
    o.fast_ops = (*interp)->num_fast_ops();
    o.folded_ops = (*interp)->num_folded_ops();
    for (const auto& p : (*interp)->op_profile()) o.kernels.push_back(p.kernel);
    out->push_back(std::move(o));
  }
}

// The largest difference of two outputs: float32 relative to max(1, |ref|),
// integers in steps; 0 when they match exactly.
double max_error(const Array& fast, const Array& ref) {
  EXPECT_EQ(fast.dtype, ref.dtype);
  EXPECT_EQ(fast.shape, ref.shape);
  if (fast.data.size() != ref.data.size()) return INFINITY;
  double worst = 0;
  const int64_t n = ref.num_elements();
  for (int64_t i = 0; i < n; ++i) {
    double e = 0;
    switch (ref.dtype) {
      case DType::kFloat32: {
        const double r = ref.as<float>()[i], f = fast.as<float>()[i];
        e = std::isnan(r) || std::isnan(f) ? (std::isnan(r) && std::isnan(f) ? 0 : INFINITY)
                                           : std::fabs(f - r) / std::max(1.0, std::fabs(r));
        break;
      }
      case DType::kInt8: e = std::abs(fast.as<int8_t>()[i] - ref.as<int8_t>()[i]); break;
      case DType::kUInt8: e = std::abs(fast.as<uint8_t>()[i] - ref.as<uint8_t>()[i]); break;
      case DType::kInt16: e = std::abs(fast.as<int16_t>()[i] - ref.as<int16_t>()[i]); break;
      case DType::kInt32: e = std::abs(static_cast<int64_t>(fast.as<int32_t>()[i]) - ref.as<int32_t>()[i]); break;
      default: e = fast.data == ref.data ? 0 : INFINITY; break;
    }
    worst = std::max(worst, e);
  }
  return worst;
}

double tolerance(DType dtype) { return dtype == DType::kFloat32 ? 1e-4 : 1.0; }

// How many random cases of one op took the fast path.
struct PathCount {
  std::string what;
  int fast = 0;
  int fallback = 0;
  ~PathCount() {
    std::cout << "[ fast path ] " << what << ": " << fast << " fast, " << fallback << " reference fallback\n";
  }
  // Most cases must take the fast path: a comparison of the reference with
  // itself proves nothing.
  void expect_mostly_fast(double fraction = 0.75) const {
    EXPECT_GE(fast, fraction * (fast + fallback)) << what << ": " << fallback << " of " << fast + fallback
                                                  << " cases fell back to the reference";
  }
};

// Runs a one-op model with both kernel sets on the same inputs and compares.
// `library` is the kernel the fast run must name when it takes one; `exact`
// requires the same bytes.
void check_one_op(const ir::Model& model, const std::vector<Array>& inputs, const char* library, PathCount& count,
                  const std::string& what, InterpreterOptions fast_options = {}, bool exact = false) {
  SCOPED_TRACE(what);
  if (std::getenv("TFC_TEST_TRACE")) std::cerr << what << "\n";
  std::vector<Outcome> fast, ref;
  fast_options.kernels = Kernels::kFast;
  ASSERT_NO_FATAL_FAILURE(run(model, {inputs}, fast_options, &fast));
  ASSERT_NO_FATAL_FAILURE(
      run(model, {inputs}, {.kernels = Kernels::kReference, .arithmetic = fast_options.arithmetic}, &ref));
  EXPECT_EQ(ref[0].fast_ops, 0);
  ASSERT_EQ(fast[0].kernels.size(), 1u);
  if (fast[0].fast_ops == 1) {
    EXPECT_EQ(fast[0].kernels[0], library);
    ++count.fast;
  } else {
    EXPECT_EQ(fast[0].fast_ops, 0);
    EXPECT_EQ(fast[0].kernels[0], "reference");
    ++count.fallback;
  }
  ASSERT_EQ(fast[0].outputs.size(), 1u);
  const double err = max_error(fast[0].outputs[0], ref[0].outputs[0]);
  EXPECT_LE(err, tolerance(ref[0].outputs[0].dtype)) << "fast kernel: " << fast[0].kernels[0];
  if (exact) EXPECT_EQ(fast[0].outputs[0].data, ref[0].outputs[0].data) << "fast kernel: " << fast[0].kernels[0];
}

// ---- CONV_2D / DEPTHWISE_CONV_2D ---------------------------------------------

struct ConvConfig {
  bool depthwise = false;
  int n = 1, h = 1, w = 1, cin = 1, cout = 1, kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1;
  int groups = 1;            // conv: filter channels = cin / groups
  int depth_multiplier = 1;  // depthwise: cout = cin * depth_multiplier
  tflite::Padding padding = tflite::Padding_SAME;
  bool bias = true;
  tflite::ActivationFunctionType activation = tflite::ActivationFunctionType_NONE;
  bool per_channel = true;   // int8 weight scales

  int out_dim(int in, int k, int s, int d) const {
    const int effective = (k - 1) * d + 1;
    return padding == tflite::Padding_SAME ? (in + s - 1) / s : (in - effective) / s + 1;
  }
  int oh() const { return out_dim(h, kh, sh, dh); }
  int ow() const { return out_dim(w, kw, sw, dw); }
  ir::Shape filter_shape() const {
    return depthwise ? ir::Shape{1, kh, kw, cout} : ir::Shape{cout, kh, kw, cin / groups};
  }
  std::string str() const {
    return std::string(depthwise ? "depthwise" : "conv") + " in [" + std::to_string(n) + "," + std::to_string(h) +
           "," + std::to_string(w) + "," + std::to_string(cin) + "] cout " + std::to_string(cout) + " k " +
           std::to_string(kh) + "x" + std::to_string(kw) + " stride " + std::to_string(sh) + "x" +
           std::to_string(sw) + " dilation " + std::to_string(dh) + "x" + std::to_string(dw) + " groups " +
           std::to_string(groups) + " multiplier " + std::to_string(depth_multiplier) +
           (padding == tflite::Padding_SAME ? " SAME" : " VALID") + (bias ? " bias" : " no-bias") + " act " +
           tflite::EnumNameActivationFunctionType(activation) + (per_channel ? " per-channel" : " per-tensor");
  }
};

ConvConfig random_conv(std::mt19937& rng, bool depthwise, bool grouped) {
  ConvConfig c;
  c.depthwise = depthwise;
  c.n = rand_int(rng, 1, 2);
  c.h = rand_int(rng, 1, 20);
  c.w = rand_int(rng, 1, 20);
  c.kh = rand_int(rng, 1, 5);
  c.kw = rand_int(rng, 1, 5);
  c.sh = rand_int(rng, 1, 3);
  c.sw = rand_int(rng, 1, 3);
  c.dh = rand_int(rng, 1, 2);
  c.dw = rand_int(rng, 1, 2);
  c.padding = rand_int(rng, 0, 1) ? tflite::Padding_SAME : tflite::Padding_VALID;
  // VALID needs the (dilated) window to fit.
  if (c.padding == tflite::Padding_VALID && (c.h < (c.kh - 1) * c.dh + 1 || c.w < (c.kw - 1) * c.dw + 1))
    c.padding = tflite::Padding_SAME;
  if (depthwise) {
    c.cin = rand_int(rng, 1, 40);
    c.depth_multiplier = rand_int(rng, 1, 3);
    c.cout = c.cin * c.depth_multiplier;
  } else if (grouped) {
    c.groups = rand_int(rng, 2, 4);
    c.cin = c.groups * rand_int(rng, 1, 10);
    c.cout = c.groups * rand_int(rng, 1, 10);
  } else {
    c.cin = rand_int(rng, 1, 40);
    c.cout = rand_int(rng, 1, 40);
  }
  c.bias = rand_int(rng, 0, 3) != 0;
  c.activation = random_activation(rng);
  c.per_channel = rand_int(rng, 0, 1) != 0;
  return c;
}

void set_conv_options(ir::Op& op, const ConvConfig& c) {
  if (c.depthwise) {
    tflite::DepthwiseConv2DOptionsT o;
    o.padding = c.padding;
    o.stride_h = c.sh;
    o.stride_w = c.sw;
    o.dilation_h_factor = c.dh;
    o.dilation_w_factor = c.dw;
    o.depth_multiplier = c.depth_multiplier;
    o.fused_activation_function = c.activation;
    op.options.Set(o);
  } else {
    tflite::Conv2DOptionsT o;
    o.padding = c.padding;
    o.stride_h = c.sh;
    o.stride_w = c.sw;
    o.dilation_h_factor = c.dh;
    o.dilation_w_factor = c.dw;
    o.fused_activation_function = c.activation;
    op.options.Set(o);
  }
}

BuiltinOperator conv_code(const ConvConfig& c) {
  return c.depthwise ? BuiltinOperator::BuiltinOperator_DEPTHWISE_CONV_2D : BuiltinOperator::BuiltinOperator_CONV_2D;
}

// float32 conv with random weights and bias.
ir::Model float_conv_model(const ConvConfig& c, std::mt19937& rng) {
  ModelBuilder b;
  const ir::TensorId x = b.input("x", {c.n, c.h, c.w, c.cin});
  const ir::Shape fs = c.filter_shape();
  const ir::TensorId w = b.constant("w", fs, DType::kFloat32, random_floats(rng, ir::num_elements(fs)));
  const ir::TensorId bias =
      c.bias ? b.constant("b", {c.cout}, DType::kFloat32, random_floats(rng, c.cout)) : ir::kNoTensor;
  const ir::TensorId y = b.output("y", {c.n, c.oh(), c.ow(), c.cout});
  set_conv_options(b.op(conv_code(c), {x, w, bias}, {y}), c);
  return std::move(b.m);
}

// int8 conv with random scales and zero points, symmetric weights (per
// channel along the filter's output axis, or per tensor) and an int32 bias.
ir::Model int8_conv_model(const ConvConfig& c, std::mt19937& rng) {
  ModelBuilder b;
  const float in_scale = rand_float(rng, 0.005f, 0.05f);
  const int in_zp = rand_int(rng, -20, 20);
  const ir::TensorId x = b.input("x", {c.n, c.h, c.w, c.cin}, DType::kInt8);
  quantize_tensor(b, x, in_scale, in_zp);
  const ir::Shape fs = c.filter_shape();
  std::vector<float> w_scales(c.per_channel ? static_cast<size_t>(c.cout) : 1);
  for (float& s : w_scales) s = rand_float(rng, 0.002f, 0.02f);
  const int32_t axis = c.depthwise ? 3 : 0;
  const ir::TensorId w =
      b.constant("w", fs, DType::kInt8, random_ints<int8_t>(rng, ir::num_elements(fs), -127, 127),
                 quantization(w_scales, std::vector<int64_t>(w_scales.size(), 0), axis));
  // Output scale from the accumulator's spread, so that outputs use the range
  // and some saturate.
  const int k = c.kh * c.kw * (c.depthwise ? 1 : c.cin / c.groups);
  const float mean_w = std::accumulate(w_scales.begin(), w_scales.end(), 0.0f) / static_cast<float>(w_scales.size());
  const float acc_std = 74.0f * 73.0f * std::sqrt(static_cast<float>(k));
  const float out_scale = in_scale * mean_w * acc_std / rand_float(rng, 30.0f, 60.0f);
  ir::TensorId bias = ir::kNoTensor;
  if (c.bias) {
    std::vector<float> b_scales(w_scales.size());
    for (size_t i = 0; i < b_scales.size(); ++i) b_scales[i] = in_scale * w_scales[i];
    const int bound = static_cast<int>(acc_std);
    bias = b.constant("b", {c.cout}, DType::kInt32, random_ints<int32_t>(rng, c.cout, -bound, bound),
                      quantization(b_scales, std::vector<int64_t>(b_scales.size(), 0)));
  }
  const ir::TensorId y = b.output("y", {c.n, c.oh(), c.ow(), c.cout}, DType::kInt8);
  quantize_tensor(b, y, out_scale, rand_int(rng, -30, 30));
  set_conv_options(b.op(conv_code(c), {x, w, bias}, {y}), c);
  return std::move(b.m);
}

Array conv_input(const ConvConfig& c, DType dtype, std::mt19937& rng) {
  const ir::Shape s = {c.n, c.h, c.w, c.cin};
  if (dtype == DType::kFloat32) return array_of(dtype, s, random_floats(rng, ir::num_elements(s)));
  return array_of(dtype, s, random_ints<int8_t>(rng, ir::num_elements(s), -128, 127));
}

constexpr int kCases = 40;

TEST(FastKernels, Float32Conv2DMatchesReference) {
  std::mt19937 rng(1001);
  PathCount count{"float32 CONV_2D"};
  for (int i = 0; i < kCases; ++i) {
    const ConvConfig c = random_conv(rng, false, /*grouped=*/i % 5 == 4);
    const ir::Model m = float_conv_model(c, rng);
    // Odd cases run in two bands of output rows on two threads (dnnl_kernels.cc).
    check_one_op(m, {conv_input(c, DType::kFloat32, rng)}, "onednn", count, c.str(), {.threads = 1 + i % 2});
  }
  count.expect_mostly_fast();
}

// One or two input channels with a stride along W run as a stride-1
// convolution over sw * C channels (dnnl_kernels.cc stride_to_channels):
// 1-D waveform layers and grayscale stems, SAME and VALID, odd padding.
TEST(FastKernels, Float32FewChannelStridedConvMatchesReference) {
  std::mt19937 rng(1035);
  PathCount count{"float32 CONV_2D, few channels, strided"};
  for (int i = 0; i < kCases; ++i) {
    ConvConfig c = random_conv(rng, false, false);
    c.cin = 1 + i % 2;
    c.sw = rand_int(rng, 2, 4);
    c.dw = 1;
    c.kw = rand_int(rng, 2 * c.sw, 4 * c.sw + 3);
    c.w = c.sw * rand_int(rng, c.kw / c.sw + 1, 40);
    if (i % 3 == 0) c.h = 1, c.kh = 1, c.sh = 1, c.dh = 1;  // a 1-D layer
    if (c.padding == tflite::Padding_VALID && c.h < (c.kh - 1) * c.dh + 1) c.padding = tflite::Padding_SAME;
    const ir::Model m = float_conv_model(c, rng);
    check_one_op(m, {conv_input(c, DType::kFloat32, rng)}, "onednn", count, c.str(), {.threads = 1 + i % 3});
  }
  count.expect_mostly_fast(1.0);
}

// One output pixel with weights of 256 KiB or more (the 1x1 convolutions
// after a global pool) runs in bands of output channels at 2-3 threads
// (dnnl_kernels.cc make_channel_bands): odd channel counts, bias or none,
// a fused activation, a 1x1 input or a VALID window covering the input.
TEST(FastKernels, Float32OnePixelConvInChannelBandsMatchesReference) {
  std::mt19937 rng(1036);
  PathCount count{"float32 CONV_2D, one output pixel"};
  for (int i = 0; i < 12; ++i) {
    ConvConfig c;
    c.cin = rand_int(rng, 200, 600);
    c.cout = rand_int(rng, 330, 700) + (i % 3 == 0 ? 0 : 1);
    if (i % 2) c.h = c.w = c.kh = c.kw = 2, c.padding = tflite::Padding_VALID;
    c.bias = i % 4 != 1;
    c.activation = i % 3 == 2 ? tflite::ActivationFunctionType_RELU6 : tflite::ActivationFunctionType_NONE;
    const ir::Model m = float_conv_model(c, rng);
    check_one_op(m, {conv_input(c, DType::kFloat32, rng)}, "onednn", count, c.str(), {.threads = 1 + i % 3});
  }
  count.expect_mostly_fast(1.0);
}

TEST(FastKernels, Float32DepthwiseConv2DMatchesReference) {
  std::mt19937 rng(1002);
  PathCount count{"float32 DEPTHWISE_CONV_2D"};
  for (int i = 0; i < kCases; ++i) {
    const ConvConfig c = random_conv(rng, true, false);
    const ir::Model m = float_conv_model(c, rng);
    // Odd cases run in two bands of output rows on two threads (dnnl_kernels.cc).
    check_one_op(m, {conv_input(c, DType::kFloat32, rng)}, "onednn", count, c.str(), {.threads = 1 + i % 2});
  }
  count.expect_mostly_fast();
}

// The int8 convolutions have several fast kernels (fast_kernel.h, Int8Conv):
// XNNPACK's qc8, the exact float32 form on oneDNN and, for depthwise, our own
// AVX2 kernel; each is checked alone, and the measured choice must be one of
// them.
struct Int8ConvKernel {
  fast::FastOptions::Int8Conv choice;
  const char* library;
  bool one_group_only = false;  // grouped CONV_2D takes another kernel
};
constexpr Int8ConvKernel kInt8ConvKernels[] = {
    {fast::FastOptions::Int8Conv::kXnnpack, "xnnpack"},
    {fast::FastOptions::Int8Conv::kExactFloat, "onednn-int8-as-f32"},
    {fast::FastOptions::Int8Conv::kOwn, "own", /*one_group_only=*/true},
};

// Our own one-group CONV_2D (int8 and hybrid) names the products it uses.
// The depthwise kernel has AVX2 and AVX-512 paths only.
std::string own_conv_library(bool depthwise) {
  switch (fast::best_int8_dot_path()) {
    case fast::Int8DotPath::kAmx: return depthwise ? "own-avx512vnni" : "own-amx";
    case fast::Int8DotPath::kAvx512Vnni: return "own-avx512vnni";
    case fast::Int8DotPath::kAvxVnni: return depthwise ? "own" : "own-vnni";
    default: return "own";
  }
}
// The hybrid FULLY_CONNECTED's (int8_dot.h: 256-bit at most).
std::string own_fc_library() { return fast::cpu_has_avx_vnni() ? "own-vnni" : "own"; }

void check_int8_convs(bool depthwise, unsigned seed) {
  for (const auto& k : kInt8ConvKernels) {
    std::mt19937 rng(seed);
    const std::string library =
        k.choice == fast::FastOptions::Int8Conv::kOwn ? own_conv_library(depthwise) : k.library;
    PathCount count{std::string("int8 ") + (depthwise ? "DEPTHWISE_CONV_2D" : "CONV_2D") + " on " + library};
    for (int i = 0; i < kCases; ++i) {
      const ConvConfig c = random_conv(rng, depthwise, /*grouped=*/!depthwise && i % 5 == 4 && !k.one_group_only);
      const ir::Model m = int8_conv_model(c, rng);
      check_one_op(m, {conv_input(c, DType::kInt8, rng)}, library.c_str(), count, c.str(),
                   {.threads = 1 + i % 2, .int8_conv = k.choice});
    }
    count.expect_mostly_fast();
  }
  // Measured: whichever ran fastest, with the same outputs.
  std::mt19937 rng(seed + 1);
  int fast = 0;
  for (int i = 0; i < 8; ++i) {
    const ConvConfig c = random_conv(rng, depthwise, false);
    const ir::Model m = int8_conv_model(c, rng);
    const std::vector<Array> in = {conv_input(c, DType::kInt8, rng)};
    std::vector<Outcome> measured, ref;
    run(m, {in}, {.profile = true, .int8_conv = fast::FastOptions::Int8Conv::kMeasured}, &measured);
    run(m, {in}, {.kernels = Kernels::kReference}, &ref);
    ASSERT_EQ(measured.size(), 1u);
    if (measured[0].fast_ops == 1) {
      ++fast;
      EXPECT_TRUE(measured[0].kernels[0] == own_conv_library(depthwise) ||
                  std::any_of(std::begin(kInt8ConvKernels), std::end(kInt8ConvKernels),
                              [&](const Int8ConvKernel& k) { return measured[0].kernels[0] == k.library; }))
          << measured[0].kernels[0];
    }
    EXPECT_LE(max_error(measured[0].outputs[0], ref[0].outputs[0]), 1.0) << c.str();
    // The default (kAuto) takes our own kernel, which every one-group conv has.
    std::vector<Outcome> automatic;
    run(m, {in}, {.profile = true}, &automatic);
    EXPECT_EQ(automatic[0].kernels[0], own_conv_library(depthwise)) << c.str();
    EXPECT_EQ(automatic[0].outputs[0].data, measured[0].outputs[0].data) << c.str();
  }
  EXPECT_GE(fast, 6);
}

TEST(FastKernels, Int8Conv2DMatchesReference) { check_int8_convs(false, 1003); }

TEST(FastKernels, Int8DepthwiseConv2DMatchesReference) { check_int8_convs(true, 1004); }

// The int8 conv kernels compute the same integer sums and the same float
// rescale, so our own kernels' outputs are XNNPACK's exactly, not only within
// a step.
void check_own_int8_conv_exact(bool depthwise, unsigned seed) {
  std::mt19937 rng(seed);
  int compared = 0;
  for (int i = 0; i < kCases; ++i) {
    ConvConfig c = random_conv(rng, depthwise, false);
    if (i % 4 == 0) {  // MobileNet-like: 3x3 depthwise or 1x1, many channels, more rows than threads
      c.kh = c.kw = depthwise ? 3 : 1;
      c.sh = c.sw = depthwise ? rand_int(rng, 1, 2) : 1;
      c.dh = c.dw = 1;
      c.h = c.w = rand_int(rng, 8, 30);
      c.cin = rand_int(rng, 16, 200);
      c.depth_multiplier = 1;
      c.cout = depthwise ? c.cin : rand_int(rng, 16, 200);
    }
    const ir::Model m = int8_conv_model(c, rng);
    const std::vector<Array> in = {conv_input(c, DType::kInt8, rng)};
    std::vector<Outcome> own, xnn;
    const int threads = 1 + i % 2;
    run(m, {in}, {.threads = threads, .profile = true, .int8_conv = fast::FastOptions::Int8Conv::kOwn}, &own);
    run(m, {in}, {.threads = threads, .profile = true, .int8_conv = fast::FastOptions::Int8Conv::kXnnpack}, &xnn);
    if (own[0].kernels[0] != own_conv_library(depthwise) || xnn[0].kernels[0] != "xnnpack") continue;
    ++compared;
    EXPECT_EQ(max_error(own[0].outputs[0], xnn[0].outputs[0]), 0.0) << c.str();
  }
  EXPECT_GE(compared, kCases * 3 / 4);
}

TEST(FastKernels, OwnInt8DepthwiseIsExactlyXnnpack) { check_own_int8_conv_exact(true, 1005); }

TEST(FastKernels, OwnInt8Conv2DIsExactlyXnnpack) { check_own_int8_conv_exact(false, 1006); }

// ---- FULLY_CONNECTED ------------------------------------------------------------

struct FcConfig {
  ir::Shape input;  // rank 2 or 4
  int depth = 1, units = 1;
  bool bias = true;
  tflite::ActivationFunctionType activation = tflite::ActivationFunctionType_NONE;
  bool per_channel = true;

  int64_t rows() const { return ir::num_elements(input) / depth; }
  std::string str() const {
    std::string s = "fully connected in [";
    for (size_t i = 0; i < input.size(); ++i) s += (i ? "," : "") + std::to_string(input[i]);
    return s + "] depth " + std::to_string(depth) + " units " + std::to_string(units) +
           (bias ? " bias" : " no-bias") + " act " + tflite::EnumNameActivationFunctionType(activation) +
           (per_channel ? " per-channel" : " per-tensor");
  }
};

FcConfig random_fc(std::mt19937& rng) {
  FcConfig c;
  if (rand_int(rng, 0, 1)) {
    c.depth = rand_int(rng, 1, 64);
    c.input = {rand_int(rng, 1, 8), c.depth};
  } else {
    c.input = {rand_int(rng, 1, 2), rand_int(rng, 1, 6), rand_int(rng, 1, 6), rand_int(rng, 1, 16)};
    // depth: the last dim, the last two, or all but the batch (rows = elements / depth).
    const int suffix = rand_int(rng, 1, 3);
    c.depth = 1;
    for (int d = 4 - suffix; d < 4; ++d) c.depth *= c.input[static_cast<size_t>(d)];
  }
  c.units = rand_int(rng, 1, 40);
  c.bias = rand_int(rng, 0, 3) != 0;
  c.activation = random_activation(rng);
  c.per_channel = rand_int(rng, 0, 1) != 0;
  return c;
}

ir::Model fc_model(const FcConfig& c, DType dtype, std::mt19937& rng) {
  ModelBuilder b;
  const ir::TensorId x = b.input("x", c.input, dtype);
  ir::TensorId w, bias = ir::kNoTensor, y;
  if (dtype == DType::kFloat32) {
    w = b.constant("w", {c.units, c.depth}, dtype, random_floats(rng, int64_t{c.units} * c.depth));
    if (c.bias) bias = b.constant("b", {c.units}, dtype, random_floats(rng, c.units));
    y = b.output("y", {static_cast<int32_t>(c.rows()), c.units}, dtype);
  } else {
    const float in_scale = rand_float(rng, 0.005f, 0.05f);
    quantize_tensor(b, x, in_scale, rand_int(rng, -20, 20));
    std::vector<float> w_scales(c.per_channel ? static_cast<size_t>(c.units) : 1);
    for (float& s : w_scales) s = rand_float(rng, 0.002f, 0.02f);
    w = b.constant("w", {c.units, c.depth}, dtype, random_ints<int8_t>(rng, int64_t{c.units} * c.depth, -127, 127),
                   quantization(w_scales, std::vector<int64_t>(w_scales.size(), 0)));
    const float acc_std = 74.0f * 73.0f * std::sqrt(static_cast<float>(c.depth));
    if (c.bias) {
      std::vector<float> b_scales(w_scales.size());
      for (size_t i = 0; i < b_scales.size(); ++i) b_scales[i] = in_scale * w_scales[i];
      bias = b.constant("b", {c.units}, DType::kInt32,
                        random_ints<int32_t>(rng, c.units, -static_cast<int>(acc_std), static_cast<int>(acc_std)),
                        quantization(b_scales, std::vector<int64_t>(b_scales.size(), 0)));
    }
    y = b.output("y", {static_cast<int32_t>(c.rows()), c.units}, dtype);
    quantize_tensor(b, y, in_scale * w_scales[0] * acc_std / rand_float(rng, 30.0f, 60.0f), rand_int(rng, -30, 30));
  }
  tflite::FullyConnectedOptionsT o;
  o.fused_activation_function = c.activation;
  b.op(BuiltinOperator::BuiltinOperator_FULLY_CONNECTED, {x, w, bias}, {y}).options.Set(o);
  return std::move(b.m);
}

Array random_input(const ir::Shape& s, DType dtype, std::mt19937& rng) {
  if (dtype == DType::kFloat32) return array_of(dtype, s, random_floats(rng, ir::num_elements(s)));
  return array_of(dtype, s, random_ints<int8_t>(rng, ir::num_elements(s), -128, 127));
}

TEST(FastKernels, Float32FullyConnectedMatchesReference) {
  std::mt19937 rng(1005);
  PathCount count{"float32 FULLY_CONNECTED"};
  for (int i = 0; i < kCases; ++i) {
    FcConfig c = random_fc(rng);
    // Odd cases: one row and enough units for two bands on two threads
    // (dnnl_kernels.cc).
    if (i % 2) {
      c.units = rand_int(rng, 128, 300);
      c.input = {1, c.depth};
    }
    const ir::Model m = fc_model(c, DType::kFloat32, rng);
    check_one_op(m, {random_input(c.input, DType::kFloat32, rng)}, "onednn", count, c.str(), {.threads = 1 + i % 2});
  }
  count.expect_mostly_fast(1.0);
}

TEST(FastKernels, Int8FullyConnectedMatchesReference) {
  std::mt19937 rng(1006);
  PathCount count{"int8 FULLY_CONNECTED"};
  for (int i = 0; i < kCases; ++i) {
    const FcConfig c = random_fc(rng);
    const ir::Model m = fc_model(c, DType::kInt8, rng);
    check_one_op(m, {random_input(c.input, DType::kInt8, rng)}, "xnnpack", count, c.str());
  }
  count.expect_mostly_fast(1.0);
}

// ---- hybrid FULLY_CONNECTED (float32 activations, int8 weights) ---------------------

struct HybridFcConfig {
  int rows = 1, depth = 1, units = 1, threads = 1;
  bool bias = true, per_channel = true, asymmetric = false, zero_row = false;
  tflite::ActivationFunctionType activation = tflite::ActivationFunctionType_NONE;
  std::string str() const {
    return fmt::format("hybrid fully connected rows {} depth {} units {}{}{}{}{} act {} threads {}", rows, depth,
                       units, bias ? " bias" : " no-bias", per_channel ? " per-channel" : " per-tensor",
                       asymmetric ? " asymmetric" : " symmetric", zero_row ? " zero-row" : "",
                       tflite::EnumNameActivationFunctionType(activation), threads);
  }
};

ir::Model hybrid_fc_model(const HybridFcConfig& c, std::mt19937& rng) {
  ModelBuilder b;
  const ir::TensorId x = b.input("x", {c.rows, c.depth}, DType::kFloat32);
  std::vector<float> w_scales(c.per_channel ? static_cast<size_t>(c.units) : 1);
  for (float& s : w_scales) s = rand_float(rng, 0.002f, 0.02f);
  const ir::TensorId w =
      b.constant("w", {c.units, c.depth}, DType::kInt8, random_ints<int8_t>(rng, int64_t{c.units} * c.depth, -127, 127),
                 quantization(w_scales, std::vector<int64_t>(w_scales.size(), 0)));
  const ir::TensorId bias = c.bias ? b.constant("b", {c.units}, DType::kFloat32, random_floats(rng, c.units))
                                   : ir::kNoTensor;
  const ir::TensorId y = b.output("y", {c.rows, c.units}, DType::kFloat32);
  tflite::FullyConnectedOptionsT o;
  o.fused_activation_function = c.activation;
  o.asymmetric_quantize_inputs = c.asymmetric;
  b.op(BuiltinOperator::BuiltinOperator_FULLY_CONNECTED, {x, w, bias}, {y}).options.Set(o);
  return std::move(b.m);
}

// The fast kernel computes the reference's arithmetic, so the bytes match.
TEST(FastKernels, HybridFullyConnectedIsExactlyTheReference) {
  std::mt19937 rng(1030);
  PathCount count{"hybrid FULLY_CONNECTED"};
  for (int i = 0; i < kCases; ++i) {
    HybridFcConfig c;
    c.rows = rand_int(rng, 1, 7);
    c.depth = rand_int(rng, 1, 200);
    c.units = 2 * rand_int(rng, 0, 20) + 1;
    // Every third case large enough for several tasks (own_task_count).
    if (i % 3 == 0) c.units = 2 * rand_int(rng, 100, 200) + 1, c.depth = rand_int(rng, 100, 300);
    c.threads = 1 + i % 3;
    c.bias = rand_int(rng, 0, 3) != 0;
    c.per_channel = rand_int(rng, 0, 1) != 0;
    c.asymmetric = rand_int(rng, 0, 1) != 0;
    c.zero_row = rand_int(rng, 0, 4) == 0;
    c.activation = random_activation(rng);
    const ir::Model m = hybrid_fc_model(c, rng);
    // Positive-only rows too, so the asymmetric zero point is not always near 0.
    std::vector<float> in = random_floats(rng, int64_t{c.rows} * c.depth, i % 2 ? -1.0f : 0.1f, 3.0f);
    if (c.zero_row) std::fill(in.begin(), in.begin() + c.depth, 0.0f);
    check_one_op(m, {array_of(DType::kFloat32, {c.rows, c.depth}, in)}, own_fc_library().c_str(), count, c.str(),
                 {.threads = c.threads}, /*exact=*/true);
  }
  count.expect_mostly_fast(1.0);
}

// Hybrid CONV_2D: float32 input, int8 weights (per channel: asymmetric input
// quantization; per tensor: symmetric), float32 bias; exactly the reference.
ir::Model hybrid_conv_model(const ConvConfig& c, std::mt19937& rng) {
  ModelBuilder b;
  const ir::TensorId x = b.input("x", {c.n, c.h, c.w, c.cin});
  const ir::Shape fs = c.filter_shape();
  std::vector<float> w_scales(c.per_channel ? static_cast<size_t>(c.cout) : 1);
  for (float& s : w_scales) s = rand_float(rng, 0.002f, 0.02f);
  const ir::TensorId w = b.constant("w", fs, DType::kInt8, random_ints<int8_t>(rng, ir::num_elements(fs), -127, 127),
                                    quantization(w_scales, std::vector<int64_t>(w_scales.size(), 0),
                                                 c.depthwise ? 3 : 0));
  const ir::TensorId bias =
      c.bias ? b.constant("b", {c.cout}, DType::kFloat32, random_floats(rng, c.cout)) : ir::kNoTensor;
  const ir::TensorId y = b.output("y", {c.n, c.oh(), c.ow(), c.cout});
  set_conv_options(b.op(conv_code(c), {x, w, bias}, {y}), c);
  return std::move(b.m);
}

TEST(FastKernels, HybridConv2DIsExactlyTheReference) {
  std::mt19937 rng(1032);
  PathCount count{"hybrid CONV_2D"};
  for (int i = 0; i < kCases; ++i) {
    ConvConfig c = random_conv(rng, /*depthwise=*/false, /*grouped=*/false);
    // Every fourth case a 1x1 stride-1 conv (windows are the input's pixels).
    if (i % 4 == 0) c.kh = c.kw = c.sh = c.sw = 1;
    const ir::Model m = hybrid_conv_model(c, rng);
    const ir::Shape s = {c.n, c.h, c.w, c.cin};
    check_one_op(m, {array_of(DType::kFloat32, s, random_floats(rng, ir::num_elements(s), i % 2 ? -1.0f : 0.2f, 2.0f))},
                 own_conv_library(false).c_str(), count, c.str(), {.threads = 1 + i % 3}, /*exact=*/true);
  }
  count.expect_mostly_fast(1.0);
}

// Hybrid DEPTHWISE_CONV_2D and grouped CONV_2D: computed exactly in float32
// on oneDNN, so again the reference's bytes.
TEST(FastKernels, HybridDepthwiseAndGroupedConvAreExactlyTheReference) {
  std::mt19937 rng(1033);
  PathCount count{"hybrid DEPTHWISE_CONV_2D / grouped CONV_2D"};
  for (int i = 0; i < kCases; ++i) {
    const bool depthwise = i % 3 != 2;
    const ConvConfig c = random_conv(rng, depthwise, /*grouped=*/!depthwise);
    const ir::Model m = hybrid_conv_model(c, rng);
    const ir::Shape s = {c.n, c.h, c.w, c.cin};
    check_one_op(m, {array_of(DType::kFloat32, s, random_floats(rng, ir::num_elements(s), i % 2 ? -1.0f : 0.2f, 2.0f))},
                 "onednn-hybrid-as-f32", count, c.str(), {.threads = 1 + i % 3}, /*exact=*/true);
  }
  count.expect_mostly_fast(1.0);
}

// Each path of our own int8 products the CPU has (forced through
// InterpreterOptions::int8_path, as on a CPU without VNNI or without AVX2)
// gives the same bytes: int8 and hybrid CONV_2D, hybrid FULLY_CONNECTED.
TEST(FastKernels, ForcedInt8PathsGiveTheSameBytes) {
  using fast::Int8DotPath;
  std::vector<Int8DotPath> paths = {Int8DotPath::kScalar};
  if (fast::best_int8_dot_path() != Int8DotPath::kScalar) paths.push_back(Int8DotPath::kAvx2);
  if (fast::cpu_has_avx_vnni()) paths.push_back(Int8DotPath::kAvxVnni);
  if (fast::best_int8_dot_path() >= Int8DotPath::kAvx512Vnni) paths.push_back(Int8DotPath::kAvx512Vnni);
  if (fast::best_int8_dot_path() == Int8DotPath::kAmx) paths.push_back(Int8DotPath::kAmx);
  std::mt19937 rng(1034);
  for (int i = 0; i < 24; ++i) {
    ConvConfig c = random_conv(rng, /*depthwise=*/false, /*grouped=*/false);
    if (i % 3 == 0) c.kh = c.kw = c.sh = c.sw = 1;
    std::vector<Array> in;
    ir::Model m;
    if (i % 3 == 2) {
      HybridFcConfig f;
      f.rows = rand_int(rng, 1, 5), f.depth = rand_int(rng, 1, 300), f.units = rand_int(rng, 1, 70);
      f.asymmetric = i % 2 == 0;
      m = hybrid_fc_model(f, rng);
      in = {array_of(DType::kFloat32, {f.rows, f.depth}, random_floats(rng, int64_t{f.rows} * f.depth, -1.0f, 3.0f))};
    } else if (i % 2 == 0) {
      m = int8_conv_model(c, rng);
      in = {conv_input(c, DType::kInt8, rng)};
    } else {
      m = hybrid_conv_model(c, rng);
      const ir::Shape s = {c.n, c.h, c.w, c.cin};
      in = {array_of(DType::kFloat32, s, random_floats(rng, ir::num_elements(s), -1.0f, 2.0f))};
    }
    std::vector<std::vector<Outcome>> outs(paths.size());
    for (size_t p = 0; p < paths.size(); ++p)
      run(m, {in}, {.threads = 1 + i % 3, .profile = true, .int8_path = paths[p]}, &outs[p]);
    for (size_t p = 1; p < paths.size(); ++p)
      EXPECT_EQ(outs[p][0].outputs[0].data, outs[0][0].outputs[0].data) << c.str() << " path " << p;
    // The fastest path names itself (a conv; the FULLY_CONNECTED's dot products stop at AVX-VNNI).
    if (i % 3 != 2) EXPECT_EQ(outs.back()[0].kernels[0], own_conv_library(false)) << c.str();
  }
}

// The hybrid kernels' input quantization (vector loops of every width the
// CPU has, then a scalar tail) gives the reference's scale, zero point and
// bytes, values half a step apart included (ties round away from zero).
TEST(FastKernels, HybridInputQuantizationIsTheReferences) {
  std::mt19937 rng(1036);
  for (int i = 0; i < 60; ++i) {
    const bool asymmetric = i % 2 == 0;
    const int64_t n = rand_int(rng, 1, 200);
    std::vector<float> x = random_floats(rng, n, -3.0f, i % 3 == 0 ? 0.5f : 4.0f);
    // Ties: with the range [-128, 127] a step is 1, and x = j + 0.5 lies
    // half a step from two values.
    if (i % 4 == 1) {
      for (int64_t k = 0; k < n; ++k) x[static_cast<size_t>(k)] = static_cast<float>(k % 254 - 127) + 0.5f;
      x[0] = asymmetric ? -128.0f : -127.0f;
      x[static_cast<size_t>(n - 1)] = 127.0f;
    }
    std::vector<int8_t> want(static_cast<size_t>(n)), got(static_cast<size_t>(n));
    const kernels::RowQuant r = asymmetric ? kernels::quantize_row_asymmetric(x.data(), n, want.data())
                                           : kernels::quantize_row_symmetric(x.data(), n, want.data());
    const kernels::RowQuant f = fast::quantize_hybrid_input(asymmetric, x.data(), n, got.data());
    EXPECT_EQ(f.scale, r.scale) << n;
    EXPECT_EQ(f.zero_point, r.zero_point) << n;
    EXPECT_EQ(got, want) << "n " << n << (asymmetric ? " asymmetric" : " symmetric");
  }
}

// Our own int8 DEPTHWISE_CONV_2D on each path the CPU has (AVX2, AVX-512)
// gives the reference's bytes: odd channel counts, multipliers 1-3, strides,
// dilations, both paddings, MobileNet's 3x3 with many channels, threads 1-3.
TEST(FastKernels, ForcedInt8PathsGiveTheSameDepthwiseBytes) {
  using fast::Int8DotPath;
  if (fast::best_int8_dot_path() == Int8DotPath::kScalar) GTEST_SKIP() << "no AVX2";
  std::vector<std::pair<Int8DotPath, std::string>> paths = {{Int8DotPath::kAvx2, "own"}};
  if (fast::best_int8_dot_path() >= Int8DotPath::kAvx512Vnni) paths.emplace_back(Int8DotPath::kAvx512Vnni, "own-avx512vnni");
  std::mt19937 rng(1036);
  for (int i = 0; i < 24; ++i) {
    ConvConfig c = random_conv(rng, /*depthwise=*/true, /*grouped=*/false);
    if (i % 3 == 0) {  // MobileNet-like: 3x3, channels past a block of 32
      c.kh = c.kw = 3;
      c.dh = c.dw = 1;
      c.cin = rand_int(rng, 17, 100);
      c.depth_multiplier = i % 2 + 1;
      c.cout = c.cin * c.depth_multiplier;
    }
    const ir::Model m = int8_conv_model(c, rng);
    const std::vector<Array> in = {conv_input(c, DType::kInt8, rng)};
    std::vector<Outcome> ref;
    run(m, {in}, {.kernels = Kernels::kReference}, &ref);
    for (const auto& [path, library] : paths) {
      std::vector<Outcome> out;
      run(m, {in}, {.threads = 1 + i % 3, .profile = true, .int8_path = path}, &out);
      EXPECT_EQ(out[0].kernels[0], library) << c.str();
      EXPECT_EQ(out[0].outputs[0].data, ref[0].outputs[0].data) << c.str() << " " << library;
    }
  }
}

// Every dot-product path the CPU has gives the scalar path's sums, on rows
// in int8_dot.h's layout (zeros up to the stride, weight rows up to four).
TEST(FastKernels, Int8DotPathsAgree) {
  using fast::Int8DotPath;
  std::mt19937 rng(1031);
  std::vector<Int8DotPath> paths = {Int8DotPath::kScalar};
  if (fast::best_int8_dot_path() != Int8DotPath::kScalar) paths.push_back(Int8DotPath::kAvx2);
  if (fast::cpu_has_avx_vnni()) paths.push_back(Int8DotPath::kAvxVnni);
  for (int i = 0; i < 30; ++i) {
    const int rows = rand_int(rng, 1, 7), depth = rand_int(rng, 1, 130), units = rand_int(rng, 1, 13);
    const int64_t stride = fast::int8_dot_stride(depth);
    std::vector<int8_t> w(static_cast<size_t>(fast::int8_dot_units(units) * stride), 0);
    std::vector<int8_t> q(static_cast<size_t>(rows * stride), 0);
    std::vector<int32_t> sums(static_cast<size_t>(units), 0);
    for (int u = 0; u < units; ++u)
      for (int d = 0; d < depth; ++d) {
        w[static_cast<size_t>(u * stride + d)] = static_cast<int8_t>(rand_int(rng, -128, 127));
        sums[static_cast<size_t>(u)] += w[static_cast<size_t>(u * stride + d)];
      }
    for (int r = 0; r < rows; ++r)
      for (int d = 0; d < depth; ++d)
        q[static_cast<size_t>(r * stride + d)] = static_cast<int8_t>(rand_int(rng, -128, 127));
    std::vector<std::vector<int32_t>> acc;
    for (const Int8DotPath p : paths) {
      acc.emplace_back(static_cast<size_t>(rows * units), 0);
      fast::int8_dots(p, w.data(), sums.data(), units, stride, q.data(), rows, acc.back().data(), units);
    }
    for (size_t p = 1; p < acc.size(); ++p) EXPECT_EQ(acc[p], acc[0]) << "path " << p << " depth " << depth;
    // The scalar path against a plain sum, on the last element.
    int32_t expect = 0;
    for (int d = 0; d < depth; ++d)
      expect += int32_t{w[static_cast<size_t>((units - 1) * stride + d)]} *
                q[static_cast<size_t>((rows - 1) * stride + d)];
    EXPECT_EQ(acc[0].back(), expect);
  }
}

// ---- ADD ---------------------------------------------------------------------------

// "[d0,d1,..]" for a case's description.
std::string dims(const ir::Shape& s) { return "[" + fmt::format("{}", fmt::join(s, ",")) + "]"; }

struct AddConfig {
  ir::Shape a, b, out;
  tflite::ActivationFunctionType activation = tflite::ActivationFunctionType_NONE;
  std::string kind;
  std::string str() const {
    return "add " + kind + " " + dims(a) + " + " + dims(b) + " act " +
           tflite::EnumNameActivationFunctionType(activation);
  }
};

// Same shapes, or one input broadcast: [1,1,1,C], rank-lower ([C], [W,C]),
// the broadcast one first, and (rarely) both inputs broadcast.
AddConfig random_add(std::mt19937& rng) {
  AddConfig c;
  const int rank = rand_int(rng, 1, 4);
  for (int d = 0; d < rank; ++d) c.out.push_back(rand_int(rng, 1, d == rank - 1 ? 40 : 8));
  c.a = c.out;
  c.b = c.out;
  const int kind = rand_int(rng, 0, 9);
  if (kind <= 2) {
    c.kind = "same";
  } else if (kind <= 4) {
    c.kind = "channel";
    c.b.assign(c.out.size(), 1);
    c.b.back() = c.out.back();
  } else if (kind <= 6) {
    c.kind = "lower-rank";
    const int keep = rand_int(rng, 0, rank - 1);  // trailing dims kept (0: a scalar-like [])
    c.b.assign(c.out.end() - keep, c.out.end());
    if (c.b.empty()) c.b = {1};
  } else if (kind <= 8) {
    c.kind = "broadcast-first";
    c.a.assign(c.out.size(), 1);
    c.a.back() = c.out.back();
    if (rand_int(rng, 0, 1)) c.a = {c.out.back()};
  } else {
    c.kind = "both-broadcast";
    for (size_t d = 0; d < c.out.size(); ++d) (d % 2 ? c.a : c.b)[d] = 1;
  }
  c.activation = random_activation(rng);
  return c;
}

ir::Model add_model(const AddConfig& c, DType dtype, std::mt19937& rng) {
  ModelBuilder b;
  const ir::TensorId x = b.input("a", c.a, dtype);
  const ir::TensorId z = b.input("b", c.b, dtype);
  const ir::TensorId y = b.output("y", c.out, dtype);
  if (dtype == DType::kInt8) {
    const float sa = rand_float(rng, 0.01f, 0.1f), sb = rand_float(rng, 0.01f, 0.1f);
    quantize_tensor(b, x, sa, rand_int(rng, -100, 100));
    quantize_tensor(b, z, sb, rand_int(rng, -100, 100));
    quantize_tensor(b, y, (sa + sb) * rand_float(rng, 0.6f, 1.5f), rand_int(rng, -50, 50));
  }
  tflite::AddOptionsT o;
  o.fused_activation_function = c.activation;
  b.op(BuiltinOperator::BuiltinOperator_ADD, {x, z}, {y}).options.Set(o);
  return std::move(b.m);
}

TEST(FastKernels, Float32AddMatchesReference) {
  std::mt19937 rng(1007);
  PathCount count{"float32 ADD"};
  for (int i = 0; i < kCases; ++i) {
    const AddConfig c = random_add(rng);
    const ir::Model m = add_model(c, DType::kFloat32, rng);
    check_one_op(m, {random_input(c.a, DType::kFloat32, rng), random_input(c.b, DType::kFloat32, rng)}, "onednn",
                 count, c.str());
  }
  count.expect_mostly_fast();
}

TEST(FastKernels, Int8AddMatchesReference) {
  std::mt19937 rng(1008);
  PathCount count{"int8 ADD"};
  for (int i = 0; i < kCases; ++i) {
    const AddConfig c = random_add(rng);
    const ir::Model m = add_model(c, DType::kInt8, rng);
    check_one_op(m, {random_input(c.a, DType::kInt8, rng), random_input(c.b, DType::kInt8, rng)}, "xnnpack", count,
                 c.str());
  }
  count.expect_mostly_fast();
}

// ---- SUB, MUL, DIV, MAXIMUM, MINIMUM, SQUARED_DIFFERENCE ---------------------------

// The broadcast patterns of TFLite graphs: the second input per channel [C] or
// [1,1,1,C], squeeze-excite [N,1,1,C], a scalar, the same shape, or the first
// input broadcast (SUB and DIV then run the reference: they do not commute).
struct BinaryConfig {
  BuiltinOperator op = BuiltinOperator::BuiltinOperator_MUL;
  ir::Shape a, b, out;
  tflite::ActivationFunctionType activation = tflite::ActivationFunctionType_NONE;
  std::string kind;
  std::string str() const {
    return std::string(tflite::EnumNameBuiltinOperator(op)) + " " + kind + " " + dims(a) + " " + dims(b) + " act " +
           tflite::EnumNameActivationFunctionType(activation);
  }
};

BinaryConfig random_binary(std::mt19937& rng, BuiltinOperator op) {
  BinaryConfig c;
  c.op = op;
  const int kind = rand_int(rng, 0, 5);
  const int rank = kind == 2 ? 4 : rand_int(rng, 1, 4);
  for (int d = 0; d < rank; ++d) c.out.push_back(rand_int(rng, 1, d == rank - 1 ? 70 : 9));
  c.a = c.b = c.out;
  const int channels = c.out.back();
  switch (kind) {
    case 0: c.kind = "same"; break;
    case 1:
      c.kind = "channel";
      c.b = rand_int(rng, 0, 1) ? ir::Shape{channels} : ir::Shape(c.out.size(), 1);
      c.b.back() = channels;
      break;
    case 2: c.kind = "squeeze-excite", c.b = {c.out[0], 1, 1, channels}; break;
    case 3: c.kind = "scalar", c.b = rand_int(rng, 0, 1) ? ir::Shape{} : ir::Shape{1}; break;
    default:
      c.kind = "broadcast-first";
      c.a = kind == 4 ? ir::Shape{channels} : ir::Shape{};
      break;
  }
  const bool fused = op == BuiltinOperator::BuiltinOperator_SUB || op == BuiltinOperator::BuiltinOperator_MUL ||
                     op == BuiltinOperator::BuiltinOperator_DIV;
  // TANH and SIGN_BIT: the reference ignores them on these ops (TFLite's
  // CalculateActivationRange); the fast path must agree.
  if (fused) {
    c.activation = rand_int(rng, 0, 9) == 0
                       ? (rand_int(rng, 0, 1) ? tflite::ActivationFunctionType_TANH
                                              : tflite::ActivationFunctionType_SIGN_BIT)
                       : random_activation(rng);
  }
  return c;
}

ir::Model binary_model(const BinaryConfig& c) {
  ModelBuilder b;
  const ir::TensorId x = b.input("a", c.a);
  const ir::TensorId z = b.input("b", c.b);
  const ir::TensorId y = b.output("y", c.out);
  ir::Op& op = b.op(c.op, {x, z}, {y});
  auto set = [&](auto o) {
    o.fused_activation_function = c.activation;
    op.options.Set(o);
  };
  if (c.op == BuiltinOperator::BuiltinOperator_SUB) set(tflite::SubOptionsT{});
  if (c.op == BuiltinOperator::BuiltinOperator_MUL) set(tflite::MulOptionsT{});
  if (c.op == BuiltinOperator::BuiltinOperator_DIV) set(tflite::DivOptionsT{});
  return std::move(b.m);
}

// Each op on oneDNN gives the reference's bytes (one IEEE operation per
// element), on 1, 2 and 3 threads.
void check_binary(BuiltinOperator op, uint32_t seed) {
  std::mt19937 rng(seed);
  PathCount count{std::string("float32 ") + tflite::EnumNameBuiltinOperator(op)};
  for (int i = 0; i < kCases; ++i) {
    const BinaryConfig c = random_binary(rng, op);
    std::vector<float> bv = random_floats(rng, ir::num_elements(c.b), -4.0f, 4.0f);
    if (op == BuiltinOperator::BuiltinOperator_DIV) {
      for (float& v : bv) v = std::copysign(std::fabs(v) + 0.25f, v);  // no quotient near overflow
    }
    check_one_op(binary_model(c), {random_input(c.a, DType::kFloat32, rng), array_of(DType::kFloat32, c.b, bv)},
                 "onednn", count, c.str(), {.threads = 1 + i % 3}, true);
  }
  count.expect_mostly_fast(op == BuiltinOperator::BuiltinOperator_SUB || op == BuiltinOperator::BuiltinOperator_DIV
                               ? 0.6
                               : 0.75);
}

TEST(FastKernels, Float32SubMatchesReferenceExactly) { check_binary(BuiltinOperator::BuiltinOperator_SUB, 1031); }
TEST(FastKernels, Float32MulMatchesReferenceExactly) { check_binary(BuiltinOperator::BuiltinOperator_MUL, 1032); }
TEST(FastKernels, Float32DivMatchesReferenceExactly) { check_binary(BuiltinOperator::BuiltinOperator_DIV, 1033); }
TEST(FastKernels, Float32MaximumMatchesReferenceExactly) {
  check_binary(BuiltinOperator::BuiltinOperator_MAXIMUM, 1034);
}
TEST(FastKernels, Float32MinimumMatchesReferenceExactly) {
  check_binary(BuiltinOperator::BuiltinOperator_MINIMUM, 1035);
}
TEST(FastKernels, Float32SquaredDifferenceMatchesReferenceExactly) {
  check_binary(BuiltinOperator::BuiltinOperator_SQUARED_DIFFERENCE, 1036);
}

// ---- QUANTIZE and MEAN (our own fast kernels) ------------------------------------

TEST(FastKernels, QuantizeMatchesReferenceExactly) {
  std::mt19937 rng(1011);
  PathCount count{"float32 -> int8 QUANTIZE"};
  for (int i = 0; i < kCases; ++i) {
    const ir::Shape shape = {1, rand_int(rng, 1, 9), rand_int(rng, 1, 9), rand_int(rng, 1, 37)};
    ModelBuilder b;
    const ir::TensorId x = b.input("x", shape);
    const ir::TensorId y = b.output("y", shape, DType::kInt8);
    const float scale = rand_float(rng, 0.001f, 0.2f);
    quantize_tensor(b, y, scale, rand_int(rng, -128, 127));
    b.op(BuiltinOperator::BuiltinOperator_QUANTIZE, {x}, {y});
    std::vector<float> v = random_floats(rng, ir::num_elements(shape));
    // Out of range, ties, infinities and NaN must round and saturate as the reference does.
    for (size_t k = 0; k < v.size(); ++k) {
      switch (k % 7) {
        case 0: v[k] *= 100.0f * scale * 128; break;
        case 1: v[k] = (std::round(v[k] * 40.0f) + 0.5f) * scale; break;
        case 2: if (k % 3 == 0) v[k] = k % 2 ? INFINITY : -INFINITY; break;
        case 3: if (k % 5 == 0) v[k] = NAN; break;
        default: break;
      }
    }
    const Array in = array_of(DType::kFloat32, shape, v);
    check_one_op(b.m, {in}, "own", count, fmt::format("quantize {} elements, scale {}", v.size(), scale));
    std::vector<Outcome> fast, ref;
    run(b.m, {{in}}, {}, &fast);
    run(b.m, {{in}}, {.kernels = Kernels::kReference}, &ref);
    EXPECT_EQ(fast[0].outputs[0].data, ref[0].outputs[0].data);  // bit-exact, not just within a step
  }
  count.expect_mostly_fast(1.0);
}

void check_spatial_mean(DType dtype, unsigned seed) {
  std::mt19937 rng(seed);
  PathCount count{std::string(dtype_name(dtype)) + " MEAN over H, W"};
  for (int i = 0; i < kCases; ++i) {
    const int n = rand_int(rng, 1, 2), h = rand_int(rng, 1, 12), w = rand_int(rng, 1, 12), c = rand_int(rng, 1, 70);
    const bool keep = i % 2 == 0;
    const ir::Shape in_shape = {n, h, w, c};
    const ir::Shape out_shape = keep ? ir::Shape{n, 1, 1, c} : ir::Shape{n, c};
    ModelBuilder b;
    const ir::TensorId x = b.input("x", in_shape, dtype);
    const std::vector<int32_t> axes = i % 3 == 0 ? std::vector<int32_t>{-2, 1} : std::vector<int32_t>{1, 2};
    const ir::TensorId a = b.constant("axes", {2}, DType::kInt32, axes);
    const ir::TensorId y = b.output("y", out_shape, dtype);
    if (dtype == DType::kInt8) {
      const float s = rand_float(rng, 0.01f, 0.1f);
      quantize_tensor(b, x, s, rand_int(rng, -100, 100));
      quantize_tensor(b, y, s * rand_float(rng, 0.3f, 1.5f), rand_int(rng, -50, 50));
    }
    tflite::ReducerOptionsT o;
    o.keep_dims = keep;
    b.op(BuiltinOperator::BuiltinOperator_MEAN, {x, a}, {y}).options.Set(o);
    check_one_op(b.m, {random_input(in_shape, dtype, rng)}, "own", count,
                 fmt::format("mean of [{},{},{},{}] keep_dims {}", n, h, w, c, keep));
  }
  count.expect_mostly_fast(1.0);
}

TEST(FastKernels, Float32SpatialMeanMatchesReference) { check_spatial_mean(DType::kFloat32, 1012); }
TEST(FastKernels, Int8SpatialMeanMatchesReference) { check_spatial_mean(DType::kInt8, 1013); }

// Pool options: a 1-4 window, strides 1-3, SAME or VALID; the caller sets the
// activation (after these draws, as the pool tests always drew them).
tflite::Pool2DOptionsT random_pool_options(std::mt19937& rng, bool same) {
  tflite::Pool2DOptionsT o;
  o.filter_height = rand_int(rng, 1, 4);
  o.filter_width = rand_int(rng, 1, 4);
  o.stride_h = rand_int(rng, 1, 3);
  o.stride_w = rand_int(rng, 1, 3);
  o.padding = same ? tflite::Padding_SAME : tflite::Padding_VALID;
  return o;
}

// ---- MAX_POOL_2D / AVERAGE_POOL_2D (float32, oneDNN) -------------------------------

void check_pools(bool max, unsigned seed) {
  std::mt19937 rng(seed);
  PathCount count{std::string("float32 ") + (max ? "MAX_POOL_2D" : "AVERAGE_POOL_2D")};
  const tflite::ActivationFunctionType acts[] = {
      tflite::ActivationFunctionType_NONE, tflite::ActivationFunctionType_RELU,
      tflite::ActivationFunctionType_RELU6, tflite::ActivationFunctionType_RELU_N1_TO_1};
  for (int i = 0; i < kCases; ++i) {
    tflite::Pool2DOptionsT o = random_pool_options(rng, i % 2 == 1);
    o.fused_activation_function = acts[i % 4];
    const int n = rand_int(rng, 1, 2), h = rand_int(rng, o.filter_height, 16), w = rand_int(rng, o.filter_width, 16),
              c = rand_int(rng, 1, 40);
    const auto pad = static_cast<kernels::Padding>(o.padding);
    const int oh = kernels::window_output_size(pad, h, o.filter_height, o.stride_h, 1);
    const int ow = kernels::window_output_size(pad, w, o.filter_width, o.stride_w, 1);
    ModelBuilder b;
    const ir::TensorId x = b.input("x", {n, h, w, c});
    const ir::TensorId y = b.output("y", {n, oh, ow, c});
    const std::string what = fmt::format("pool [{},{},{},{}] k {}x{} s {}x{} {} act {}", n, h, w, c, o.filter_height,
                                         o.filter_width, o.stride_h, o.stride_w, i % 2 ? "SAME" : "VALID", i % 4);
    b.op(max ? BuiltinOperator::BuiltinOperator_MAX_POOL_2D : BuiltinOperator::BuiltinOperator_AVERAGE_POOL_2D, {x},
         {y})
        .options.Set(o);
    check_one_op(b.m, {random_input({n, h, w, c}, DType::kFloat32, rng)}, "onednn", count, what);
  }
  count.expect_mostly_fast();
}

TEST(FastKernels, Float32MaxPoolMatchesReference) { check_pools(true, 1014); }
TEST(FastKernels, Float32AveragePoolMatchesReference) { check_pools(false, 1015); }

// RELU / RELU6 float32: NaN, infinities, -0, 0, 6 and values around them
// must come out as the reference's bytes.
TEST(FastKernels, Float32ReluMatchesReferenceExactly) {
  std::mt19937 rng(1020);
  PathCount count{"float32 RELU / RELU6"};
  const float special[] = {NAN, -NAN, INFINITY, -INFINITY, -0.0f, 0.0f, 6.0f, 6.0000005f, 5.9999995f, -1e-30f};
  for (int i = 0; i < kCases; ++i) {
    const ir::Shape shape = {rand_int(rng, 1, 3), rand_int(rng, 1, 9), rand_int(rng, 1, 37)};
    std::vector<float> v = random_floats(rng, ir::num_elements(shape), -8.0f, 8.0f);
    for (size_t k = 0; k < v.size(); k += 3) v[k] = special[k / 3 % std::size(special)];
    const bool six = i % 2 == 1;
    ModelBuilder b;
    const ir::TensorId x = b.input("x", shape);
    const ir::TensorId y = b.output("y", shape);
    b.op(six ? BuiltinOperator::BuiltinOperator_RELU6 : BuiltinOperator::BuiltinOperator_RELU, {x}, {y});
    check_one_op(b.m, {array_of(DType::kFloat32, shape, v)}, "own", count,
                 fmt::format("{} of {} elements", six ? "RELU6" : "RELU", v.size()), {}, /*exact=*/true);
  }
  count.expect_mostly_fast(1.0);
}

// float32 PRELU: ranks 1-4 with odd sizes, alpha of every broadcasting form
// (each dim x's or 1, leading dims dropped: per channel [C] / [1,1,C],
// per tensor [1] / [], per pixel, the whole shape), constant or a model
// input, 1-3 threads; x has NaN, infinities, -0, 0 and values whose product
// with alpha is subnormal, alpha zeros and infinities. Every tenth case is
// large enough to be split over the threads. The bytes must be the reference's.
TEST(FastKernels, Float32PreluMatchesReferenceExactly) {
  std::mt19937 rng(1021);
  PathCount count{"float32 PRELU"};
  const float special_x[] = {NAN, -NAN, INFINITY, -INFINITY, -0.0f, 0.0f, -1e-38f, 1e-38f, -3e-39f};
  const float special_a[] = {0.0f, -0.0f, INFINITY, -INFINITY, 1e-3f, -2.0f};
  for (int i = 0; i < kCases; ++i) {
    const bool big = i % 10 == 0;
    const int rank = big ? 4 : rand_int(rng, 1, 4);
    ir::Shape x_shape, a_shape;
    for (int d = 0; d < rank; ++d) {
      x_shape.push_back(big ? (d == 0 ? 2 : rand_int(rng, 20, 45)) : rand_int(rng, 1, 9 + (d == rank - 1) * 30));
      a_shape.push_back(rand_int(rng, 0, 2) == 0 ? 1 : x_shape.back());
    }
    if (i % 5 == 1) a_shape.assign(rank, 1);  // per tensor
    if (i % 5 == 2) std::fill(a_shape.begin(), a_shape.end() - 1, 1), a_shape.back() = x_shape.back();  // per channel
    a_shape.erase(a_shape.begin(), a_shape.begin() + rand_int(rng, 0, rank));
    std::vector<float> xv = random_floats(rng, ir::num_elements(x_shape), -4.0f, 4.0f);
    for (size_t k = 0; k < xv.size(); k += 5) xv[k] = special_x[k / 5 % std::size(special_x)];
    std::vector<float> av = random_floats(rng, ir::num_elements(a_shape), -1.5f, 1.5f);
    for (size_t k = 0; k < av.size(); k += 7) av[k] = special_a[k / 7 % std::size(special_a)];
    const bool alpha_input = i % 4 == 3;
    ModelBuilder b;
    const ir::TensorId x = b.input("x", x_shape);
    const ir::TensorId a = alpha_input ? b.input("alpha", a_shape) : b.constant("alpha", a_shape, DType::kFloat32, av);
    const ir::TensorId y = b.output("y", x_shape);
    b.op(BuiltinOperator::BuiltinOperator_PRELU, {x, a}, {y});
    std::vector<Array> inputs = {array_of(DType::kFloat32, x_shape, xv)};
    if (alpha_input) inputs.push_back(array_of(DType::kFloat32, a_shape, av));
    const int threads = 1 + i % 3;
    check_one_op(b.m, inputs, "own", count,
                 fmt::format("PRELU x [{}] alpha [{}]{} threads {}", fmt::join(x_shape, ","), fmt::join(a_shape, ","),
                             alpha_input ? " (input)" : "", threads),
                 {.threads = threads}, /*exact=*/true);
  }
  count.expect_mostly_fast(1.0);
}

// ---- Quantized unary ops and QUANTIZE / DEQUANTIZE (our own, exact) ---------------

// Quantization parameters of a tensor of dtype t drawn to cover the extremes:
// tiny and huge scales, zero points at both ends of the type (int16: 0).
std::pair<float, int64_t> random_qparams(std::mt19937& rng, DType t, int i) {
  const float scales[] = {1e-6f, 1.0f / 4096, 0.02f, 0.5f, 3.0f, 1000.0f};
  const float scale = scales[static_cast<size_t>(i) % std::size(scales)] * rand_float(rng, 0.5f, 2.0f);
  if (t == DType::kInt16) return {scale, 0};
  const int lo = t == DType::kInt8 ? -128 : 0, hi = t == DType::kInt8 ? 127 : 255;
  const int pick = rand_int(rng, 0, 3);
  return {scale, pick == 0 ? lo : pick == 1 ? hi : rand_int(rng, lo, hi)};
}

// ---- int8 SUB, MUL, MAXIMUM, MINIMUM, PRELU, ADD (our own, exact) -----------------

// The int8 form of random_binary: the same broadcast kinds (PRELU: alpha
// broadcast into x only), every tenth case large enough to be split over the
// threads; scales and zero points drawn to the extremes (MAXIMUM / MINIMUM:
// one quantization for all three, as the op requires).
ir::Model int8_binary_model(BuiltinOperator op, int i, std::mt19937& rng, BinaryConfig& c) {
  c = random_binary(rng, op);
  if (i % 10 == 0) {
    c.out = {2, 31, 37, 43};
    c.a = c.b = c.out;
    c.kind = i % 30 == 0 ? "same" : "channel";
    if (i % 30 != 0) c.b = {43};
  }
  if (op == BuiltinOperator::BuiltinOperator_PRELU && c.a != c.out) c.a = c.out, c.kind = "same";
  if (c.activation == tflite::ActivationFunctionType_TANH || c.activation == tflite::ActivationFunctionType_SIGN_BIT)
    c.activation = tflite::ActivationFunctionType_NONE;
  if (op == BuiltinOperator::BuiltinOperator_ADD) c.activation = random_activation(rng);
  ir::Model m = binary_model(c);
  if (op == BuiltinOperator::BuiltinOperator_ADD) {
    tflite::AddOptionsT o;
    o.fused_activation_function = c.activation;
    m.subgraphs[0].ops[0].options.Set(o);
  }
  const bool same_q = op == BuiltinOperator::BuiltinOperator_MAXIMUM || op == BuiltinOperator::BuiltinOperator_MINIMUM;
  const auto q = random_qparams(rng, DType::kInt8, i);
  for (size_t t = 0; t < 3; ++t) {
    auto [scale, zp] = same_q ? q : random_qparams(rng, DType::kInt8, i + rand_int(rng, 0, 5));
    // ADD: the inputs' scales at least 2^8 times the output's, which XNNPACK refuses.
    if (op == BuiltinOperator::BuiltinOperator_ADD) scale = rand_float(rng, 0.5f, 2.0f) * (t == 2 ? 1e-3f : 1.0f);
    m.subgraphs[0].tensors[t].dtype = DType::kInt8;
    m.subgraphs[0].tensors[t].quantization = quantization({scale}, {zp});
  }
  return m;
}

void check_int8_binary(BuiltinOperator op, uint32_t seed) {
  std::mt19937 rng(seed);
  const bool add = op == BuiltinOperator::BuiltinOperator_ADD;
  PathCount count{std::string("int8 ") + tflite::EnumNameBuiltinOperator(op)};
  for (int i = 0; i < kCases; ++i) {
    BinaryConfig c;
    const ir::Model m = int8_binary_model(op, i, rng, c);
    const int threads = 1 + i % 3;
    // ADD: ours only under kFloat (where XNNPACK refuses); the others both.
    const auto arithmetic =
        !add && i % 2 ? kernels::Requantization::kFixedPoint : kernels::Requantization::kFloat;
    check_one_op(m, {random_input(c.a, DType::kInt8, rng), random_input(c.b, DType::kInt8, rng)}, "own", count,
                 fmt::format("{} threads {} {}", c.str(), threads,
                             arithmetic == kernels::Requantization::kFloat ? "float" : "fixed-point"),
                 {.arithmetic = arithmetic, .threads = threads}, /*exact=*/true);
  }
  count.expect_mostly_fast(0.75);
}

TEST(FastKernels, Int8SubMatchesReferenceExactly) { check_int8_binary(BuiltinOperator::BuiltinOperator_SUB, 1051); }
TEST(FastKernels, Int8MulMatchesReferenceExactly) { check_int8_binary(BuiltinOperator::BuiltinOperator_MUL, 1052); }
TEST(FastKernels, Int8MaximumMatchesReferenceExactly) {
  check_int8_binary(BuiltinOperator::BuiltinOperator_MAXIMUM, 1053);
}
TEST(FastKernels, Int8MinimumMatchesReferenceExactly) {
  check_int8_binary(BuiltinOperator::BuiltinOperator_MINIMUM, 1054);
}
TEST(FastKernels, Int8PreluMatchesReferenceExactly) {
  check_int8_binary(BuiltinOperator::BuiltinOperator_PRELU, 1055);
}
TEST(FastKernels, Int8AddXnnpackRefusesMatchesReferenceExactly) {
  check_int8_binary(BuiltinOperator::BuiltinOperator_ADD, 1056);
}

// Consecutive values of the input's type from a random start (every value
// where the tensor is large enough: the table's every entry is read), then
// random ones, shuffled.
Array all_values_input(const ir::Shape& shape, DType t, std::mt19937& rng) {
  const int64_t n = ir::num_elements(shape);
  const int lo = t == DType::kInt8 ? -128 : t == DType::kUInt8 ? 0 : -32768;
  const int hi = t == DType::kInt8 ? 127 : t == DType::kUInt8 ? 255 : 32767;
  const int range = hi - lo + 1, offset = rand_int(rng, 0, range - 1);
  std::vector<int> v(static_cast<size_t>(n));
  for (int64_t k = 0; k < n; ++k)
    v[static_cast<size_t>(k)] = k < range ? lo + static_cast<int>((k + offset) % range) : rand_int(rng, lo, hi);
  std::shuffle(v.begin(), v.end(), rng);
  if (t == DType::kInt8) return array_of(t, shape, std::vector<int8_t>(v.begin(), v.end()));
  if (t == DType::kUInt8) return array_of(t, shape, std::vector<uint8_t>(v.begin(), v.end()));
  return array_of(t, shape, std::vector<int16_t>(v.begin(), v.end()));
}

ir::Shape random_unary_shape(std::mt19937& rng, int i) {
  if (i % 5 == 0) return {2, rand_int(rng, 100, 180), rand_int(rng, 100, 180)};  // threads split it
  return {rand_int(rng, 1, 3), rand_int(rng, 1, 9), rand_int(rng, 1, 37)};
}

struct QuantUnaryCase {
  BuiltinOperator op;
  std::vector<DType> dtypes;
};

// The output quantization LOGISTIC / TANH require; others draw their own
// (HARD_SWISH: an output scale above in.scale / 128, which its kernel needs).
std::pair<float, int64_t> unary_output_qparams(std::mt19937& rng, BuiltinOperator op, DType t, float in_scale,
                                               int i) {
  using Q = std::pair<float, int64_t>;
  const bool u8 = t == DType::kUInt8;
  if (op == BuiltinOperator::BuiltinOperator_LOGISTIC)
    return t == DType::kInt16 ? Q{1.0f / 32768, 0} : Q{1.0f / 256, u8 ? 0 : -128};
  if (op == BuiltinOperator::BuiltinOperator_TANH)
    return t == DType::kInt16 ? Q{1.0f / 32768, 0} : Q{1.0f / 128, u8 ? 128 : 0};
  auto q = random_qparams(rng, t, i + 3);
  if (op == BuiltinOperator::BuiltinOperator_HARD_SWISH) q.first = in_scale * rand_float(rng, 0.02f, 3.0f);
  return q;
}

// int8, uint8 and int16 unary activations: the table kernel, under both
// arithmetics, 1-3 threads, every input value, the reference's bytes.
TEST(FastKernels, QuantizedUnaryOpsMatchReferenceExactly) {
  using B = BuiltinOperator;
  const std::vector<DType> all = {DType::kInt8, DType::kUInt8, DType::kInt16};
  const std::vector<DType> eight = {DType::kInt8, DType::kUInt8};
  const QuantUnaryCase cases[] = {{B::BuiltinOperator_LOGISTIC, all},     {B::BuiltinOperator_TANH, all},
                                  {B::BuiltinOperator_RELU, all},         {B::BuiltinOperator_RELU6, all},
                                  {B::BuiltinOperator_RELU_N1_TO_1, eight}, {B::BuiltinOperator_LEAKY_RELU, all},
                                  {B::BuiltinOperator_HARD_SWISH, eight}, {B::BuiltinOperator_EXP, eight},
                                  {B::BuiltinOperator_GELU, eight}};
  std::mt19937 rng(1040);
  PathCount count{"quantized unary ops (table)"};
  int i = 0;
  for (const QuantUnaryCase& c : cases) {
    for (DType t : c.dtypes) {
      for (int rep = 0; rep < 4; ++rep, ++i) {
        const ir::Shape shape = random_unary_shape(rng, i);
        ModelBuilder b;
        const ir::TensorId x = b.input("x", shape, t);
        const ir::TensorId y = b.output("y", shape, t);
        const auto [si, zi] = random_qparams(rng, t, i);
        const auto [so, zo] = unary_output_qparams(rng, c.op, t, si, i);
        quantize_tensor(b, x, si, zi);
        quantize_tensor(b, y, so, zo);
        ir::Op& op = b.op(c.op, {x}, {y});
        if (c.op == B::BuiltinOperator_LEAKY_RELU) {
          tflite::LeakyReluOptionsT o;
          o.alpha = rep % 2 ? rand_float(rng, -2.0f, 2.0f) : 0.1f;
          op.options.Set(o);
        }
        if (c.op == B::BuiltinOperator_GELU) {
          tflite::GeluOptionsT o;
          o.approximate = rep % 2 == 1;
          op.options.Set(o);
        }
        const auto arithmetic = rep % 2 ? kernels::Requantization::kFixedPoint : kernels::Requantization::kFloat;
        const int threads = 1 + i % 3;
        check_one_op(b.m, {all_values_input(shape, t, rng)}, "own", count,
                     fmt::format("{} {} [{}] in ({}, {}) out ({}, {}) threads {}",
                                 tflite::EnumNameBuiltinOperator(c.op), dtype_name(t), fmt::join(shape, ","), si, zi,
                                 so, zo, threads),
                     {.arithmetic = arithmetic, .threads = threads}, /*exact=*/true);
      }
    }
  }
  count.expect_mostly_fast(1.0);
}

// QUANTIZE between integer types (requantize), every pair: the table kernel.
TEST(FastKernels, RequantizeMatchesReferenceExactly) {
  std::mt19937 rng(1041);
  PathCount count{"integer QUANTIZE (table)"};
  const DType types[] = {DType::kInt8, DType::kUInt8, DType::kInt16};
  int i = 0;
  for (DType from : types) {
    for (DType to : types) {
      for (int rep = 0; rep < 3; ++rep, ++i) {
        const ir::Shape shape = random_unary_shape(rng, i);
        ModelBuilder b;
        const ir::TensorId x = b.input("x", shape, from);
        const ir::TensorId y = b.output("y", shape, to);
        const auto [si, zi] = random_qparams(rng, from, i);
        auto [so, zo] = random_qparams(rng, to, i + rep + 1);
        if (rep == 0) so = si * rand_float(rng, 0.5f, 2.0f);  // a moderate ratio
        quantize_tensor(b, x, si, zi);
        quantize_tensor(b, y, so, zo);
        b.op(BuiltinOperator::BuiltinOperator_QUANTIZE, {x}, {y});
        const int threads = 1 + i % 3;
        check_one_op(b.m, {all_values_input(shape, from, rng)}, "own", count,
                     fmt::format("{} -> {} [{}] ({}, {}) -> ({}, {}) threads {}", dtype_name(from), dtype_name(to),
                                 fmt::join(shape, ","), si, zi, so, zo, threads),
                     {.arithmetic = rep == 1 ? kernels::Requantization::kFixedPoint : kernels::Requantization::kFloat,
                      .threads = threads},
                     /*exact=*/true);
      }
    }
  }
  count.expect_mostly_fast(1.0);
}

// float32 values that stress rounding and saturation for scale s.
std::vector<float> stress_floats(std::mt19937& rng, int64_t n, float s) {
  std::vector<float> v = random_floats(rng, n, -300.0f * s, 300.0f * s);
  const float special[] = {NAN, -NAN, INFINITY, -INFINITY, -0.0f, 0.0f, 1e30f, -1e30f, 1e-40f};
  for (size_t k = 0; k < v.size(); ++k) {
    if (k % 7 == 1) v[k] = (std::round(v[k] / s) + 0.5f) * s;  // ties
    if (k % 11 == 2) v[k] = special[k / 11 % std::size(special)];
    if (k % 13 == 3) v[k] *= 200.0f;  // far out of range, even for int16
  }
  return v;
}

TEST(FastKernels, QuantizeToEveryTypeMatchesReferenceExactly) {
  std::mt19937 rng(1042);
  PathCount count{"float32 -> int8 / uint8 / int16 QUANTIZE"};
  const DType types[] = {DType::kInt8, DType::kUInt8, DType::kInt16};
  for (int i = 0; i < 24; ++i) {
    const DType t = types[i % 3];
    const ir::Shape shape = random_unary_shape(rng, i);
    ModelBuilder b;
    const ir::TensorId x = b.input("x", shape);
    const ir::TensorId y = b.output("y", shape, t);
    const auto [s, z] = random_qparams(rng, t, i / 3);
    quantize_tensor(b, y, s, z);
    b.op(BuiltinOperator::BuiltinOperator_QUANTIZE, {x}, {y});
    const int threads = 1 + i % 3;
    const Array in = array_of(DType::kFloat32, shape, stress_floats(rng, ir::num_elements(shape), s));
    check_one_op(b.m, {in}, "own", count,
                 fmt::format("-> {} [{}] ({}, {}) threads {}", dtype_name(t), fmt::join(shape, ","), s, z, threads),
                 {.threads = threads}, /*exact=*/true);
  }
  count.expect_mostly_fast(1.0);
}

TEST(FastKernels, DequantizeMatchesReferenceExactly) {
  std::mt19937 rng(1043);
  PathCount count{"int8 / uint8 / int16 -> float32 DEQUANTIZE"};
  const DType types[] = {DType::kInt8, DType::kUInt8, DType::kInt16};
  for (int i = 0; i < 24; ++i) {
    const DType t = types[i % 3];
    const ir::Shape shape = random_unary_shape(rng, i);
    ModelBuilder b;
    const ir::TensorId x = b.input("x", shape, t);
    const ir::TensorId y = b.output("y", shape);
    auto [s, z] = random_qparams(rng, t, i / 3);
    if (i % 8 == 7) s = i % 16 == 7 ? 3e38f / 40000 : 1e-42f;  // products that overflow or are subnormal
    quantize_tensor(b, x, s, z);
    b.op(BuiltinOperator::BuiltinOperator_DEQUANTIZE, {x}, {y});
    const int threads = 1 + i % 3;
    check_one_op(b.m, {all_values_input(shape, t, rng)}, "own", count,
                 fmt::format("{} [{}] ({}, {}) threads {}", dtype_name(t), fmt::join(shape, ","), s, z, threads),
                 {.arithmetic = i % 2 ? kernels::Requantization::kFixedPoint : kernels::Requantization::kFloat,
                  .threads = threads},
                 /*exact=*/true);
  }
  count.expect_mostly_fast(1.0);
}

// float32 HARD_SWISH, LEAKY_RELU, RELU_N1_TO_1, ABS, NEG, SQUARE, SQRT, RSQRT:
// NaN, infinities, -0, subnormals and the formulas' breakpoints must come out
// as the reference's bytes.
TEST(FastKernels, Float32UnaryOpsMatchReferenceExactly) {
  using B = BuiltinOperator;
  const BuiltinOperator ops[] = {B::BuiltinOperator_HARD_SWISH, B::BuiltinOperator_LEAKY_RELU,
                                 B::BuiltinOperator_RELU_N1_TO_1, B::BuiltinOperator_ABS,
                                 B::BuiltinOperator_NEG,        B::BuiltinOperator_SQUARE,
                                 B::BuiltinOperator_SQRT,       B::BuiltinOperator_RSQRT};
  const float special[] = {NAN,   -NAN, INFINITY, -INFINITY, -0.0f, 0.0f, -3.0f, 3.0f,  -2.9999998f,
                           6.0f,  1.0f, -1.0f,    1e-40f,    -1e-40f, 1e30f, -1e30f, 1.0000001f, -1.0000001f};
  std::mt19937 rng(1044);
  PathCount count{"float32 unary ops"};
  int i = 0;
  for (BuiltinOperator code : ops) {
    for (int rep = 0; rep < 4; ++rep, ++i) {
      const ir::Shape shape = random_unary_shape(rng, i);
      std::vector<float> v = random_floats(rng, ir::num_elements(shape), -8.0f, 8.0f);
      for (size_t k = 0; k < v.size(); k += 3) v[k] = special[k / 3 % std::size(special)];
      ModelBuilder b;
      const ir::TensorId x = b.input("x", shape);
      const ir::TensorId y = b.output("y", shape);
      ir::Op& op = b.op(code, {x}, {y});
      if (code == B::BuiltinOperator_LEAKY_RELU) {
        tflite::LeakyReluOptionsT o;
        o.alpha = rep == 0 ? 0.2f : rand_float(rng, -3.0f, 3.0f);
        op.options.Set(o);
      }
      const int threads = 1 + i % 3;
      check_one_op(b.m, {array_of(DType::kFloat32, shape, v)}, "own", count,
                   fmt::format("{} [{}] threads {}", tflite::EnumNameBuiltinOperator(code), fmt::join(shape, ","),
                               threads),
                   {.threads = threads}, /*exact=*/true);
    }
  }
  count.expect_mostly_fast(1.0);
}

// float32 LOGISTIC, TANH, ELU, EXP, LOG, GELU on oneDNN's eltwise: within
// 1e-4 relative of the reference (libm), over each function's whole useful
// range, with infinities, zeros and values where the results underflow or
// overflow.
TEST(FastKernels, Float32EltwiseOpsMatchReference) {
  using B = BuiltinOperator;
  struct Case {
    BuiltinOperator op;
    float lo, hi;
  };
  const Case cases[] = {{B::BuiltinOperator_LOGISTIC, -100.0f, 100.0f}, {B::BuiltinOperator_TANH, -12.0f, 12.0f},
                        {B::BuiltinOperator_ELU, -20.0f, 20.0f},        {B::BuiltinOperator_EXP, -100.0f, 88.0f},
                        {B::BuiltinOperator_LOG, 0.0f, 1e6f},           {B::BuiltinOperator_GELU, -12.0f, 12.0f}};
  const float special[] = {INFINITY, -INFINITY, 0.0f, -0.0f, 1e-30f, -1e-30f, 1.0f, -1.0f, 90.0f, -90.0f};
  std::mt19937 rng(1045);
  PathCount count{"float32 eltwise ops (oneDNN)"};
  int i = 0;
  for (const Case& c : cases) {
    for (int rep = 0; rep < 4; ++rep, ++i) {
      const ir::Shape shape = random_unary_shape(rng, i);
      std::vector<float> v = random_floats(rng, ir::num_elements(shape), c.lo, c.hi);
      for (size_t k = 0; k < v.size(); k += 5) v[k] = special[k / 5 % std::size(special)];
      if (c.op == B::BuiltinOperator_LOG)
        for (float& x : v) x = std::fabs(x) * (rep % 2 ? 1e-6f : 1.0f);
      ModelBuilder b;
      const ir::TensorId x = b.input("x", shape);
      const ir::TensorId y = b.output("y", shape);
      ir::Op& op = b.op(c.op, {x}, {y});
      if (c.op == B::BuiltinOperator_GELU) {
        tflite::GeluOptionsT o;
        o.approximate = rep % 2 == 1;
        op.options.Set(o);
      }
      check_one_op(b.m, {array_of(DType::kFloat32, shape, v)}, "onednn", count,
                   fmt::format("{} [{}]", tflite::EnumNameBuiltinOperator(c.op), fmt::join(shape, ",")),
                   {.threads = 1 + i % 3});
    }
  }
  count.expect_mostly_fast(1.0);
}

// ---- PAD / PADV2 and int8 MAX_POOL_2D (our own, exact) -----------------------------

// Random inputs of any dtype the tests use.
Array random_any(const ir::Shape& s, DType dtype, std::mt19937& rng) {
  if (dtype == DType::kInt16) return array_of(dtype, s, random_ints<int16_t>(rng, ir::num_elements(s), -32768, 32767));
  return random_input(s, dtype, rng);
}

// Random ranks 1-4 (odd sizes, zero paddings, axes of size 0 excluded: the
// reference refuses negative paddings), float32 / int8 / int16, PAD or PADV2
// (with a constant value), int32 or int64 paddings, 1-3 threads, either
// arithmetic; every tenth case is large enough to be split over the threads.
void check_pad(DType dtype, unsigned seed) {
  std::mt19937 rng(seed);
  PathCount count{std::string(dtype_name(dtype)) + " PAD / PADV2"};
  for (int i = 0; i < kCases; ++i) {
    const bool big = i % 10 == 0;  // at least 64 KiB out (data_kernels.cc)
    const int rank = big ? rand_int(rng, 3, 4) : rand_int(rng, 1, 4);
    ir::Shape in_shape, out_shape;
    std::vector<int64_t> pads;
    for (int d = 0; d < rank; ++d) {
      in_shape.push_back(!big ? rand_int(rng, 1, 9) : d >= rank - 2 ? rand_int(rng, 130, 200) : rand_int(rng, 4, 9));
      const int before = rand_int(rng, 0, 3) == 0 ? 0 : rand_int(rng, 1, 3);
      const int after = rand_int(rng, 0, 3) == 0 ? 0 : rand_int(rng, 1, 4);
      pads.push_back(before);
      pads.push_back(after);
      out_shape.push_back(in_shape.back() + before + after);
    }
    const bool v2 = i % 3 == 1, wide = i % 2 == 1;
    ModelBuilder b;
    const ir::TensorId x = b.input("x", in_shape, dtype);
    const ir::TensorId p =
        wide ? b.constant("pads", {rank, 2}, DType::kInt64, pads)
             : b.constant("pads", {rank, 2}, DType::kInt32, std::vector<int32_t>(pads.begin(), pads.end()));
    const ir::TensorId y = b.output("y", out_shape, dtype);
    if (dtype != DType::kFloat32) {
      quantize_tensor(b, x, 0.05f, dtype == DType::kInt8 ? 7 : 0);
      quantize_tensor(b, y, 0.05f, dtype == DType::kInt8 ? 7 : 0);
    }
    std::vector<ir::TensorId> inputs = {x, p};
    if (v2) {
      const Array v = random_any({1}, dtype, rng);
      inputs.push_back(dtype == DType::kFloat32 ? b.constant("v", {1}, dtype, std::vector<float>{v.as<float>()[0]})
                       : dtype == DType::kInt8  ? b.constant("v", {1}, dtype, std::vector<int8_t>{v.as<int8_t>()[0]})
                                                : b.constant("v", {1}, dtype, std::vector<int16_t>{v.as<int16_t>()[0]}));
    }
    b.op(v2 ? BuiltinOperator::BuiltinOperator_PADV2 : BuiltinOperator::BuiltinOperator_PAD, inputs, {y});
    const int threads = 1 + i % 3;
    // Data movement: the fixed-point arithmetic takes it too.
    const auto arithmetic = i % 4 == 3 ? kernels::Requantization::kFixedPoint : kernels::Requantization::kFloat;
    check_one_op(b.m, {random_any(in_shape, dtype, rng)}, "own", count,
                 fmt::format("{} [{}] pads [{}] threads {} arithmetic {}", v2 ? "PADV2" : "PAD",
                             fmt::join(in_shape, ","), fmt::join(pads, ","), threads, i % 4 == 3 ? "fixed" : "float"),
                 {.arithmetic = arithmetic, .threads = threads}, /*exact=*/true);
  }
  count.expect_mostly_fast(1.0);
}

TEST(FastKernels, Float32PadMatchesReferenceExactly) { check_pad(DType::kFloat32, 1016); }
TEST(FastKernels, Int8PadMatchesReferenceExactly) { check_pad(DType::kInt8, 1017); }
TEST(FastKernels, Int16PadMatchesReferenceExactly) { check_pad(DType::kInt16, 1018); }

// int8 MAX_POOL_2D / AVERAGE_POOL_2D: random windows, strides, SAME / VALID,
// activations and quantization (the clamp bites), channels below, at and
// above the 32 of one AVX2 vector, 1-3 threads; the output bytes must be the
// reference's.
void check_int8_pool(bool max, unsigned seed) {
  std::mt19937 rng(seed);
  PathCount count{max ? "int8 MAX_POOL_2D" : "int8 AVERAGE_POOL_2D"};
  for (int i = 0; i < kCases; ++i) {
    tflite::Pool2DOptionsT o = random_pool_options(rng, i % 2 == 1);
    o.fused_activation_function = random_activation(rng);
    const int n = rand_int(rng, 1, 2), h = rand_int(rng, o.filter_height, i % 8 == 0 ? 60 : 16),
              w = rand_int(rng, o.filter_width, i % 8 == 0 ? 60 : 16), c = rand_int(rng, 1, 80);
    const auto pad = static_cast<kernels::Padding>(o.padding);
    const int oh = kernels::window_output_size(pad, h, o.filter_height, o.stride_h, 1);
    const int ow = kernels::window_output_size(pad, w, o.filter_width, o.stride_w, 1);
    ModelBuilder b;
    const ir::TensorId x = b.input("x", {n, h, w, c}, DType::kInt8);
    const ir::TensorId y = b.output("y", {n, oh, ow, c}, DType::kInt8);
    const float scale = rand_float(rng, 0.005f, 0.1f);
    const int zp = rand_int(rng, -100, 100);
    quantize_tensor(b, x, scale, zp);
    quantize_tensor(b, y, scale, zp);
    b.op(max ? BuiltinOperator::BuiltinOperator_MAX_POOL_2D : BuiltinOperator::BuiltinOperator_AVERAGE_POOL_2D,
         {x}, {y})
        .options.Set(o);
    const int threads = 1 + i % 3;
    const std::string what =
        fmt::format("int8 {} pool [{},{},{},{}] k {}x{} s {}x{} {} act {} scale {} zp {} threads {}",
                    max ? "max" : "average", n, h, w, c,
                    o.filter_height, o.filter_width, o.stride_h, o.stride_w, i % 2 ? "SAME" : "VALID",
                    tflite::EnumNameActivationFunctionType(o.fused_activation_function), scale, zp, threads);
    check_one_op(b.m, {random_input({n, h, w, c}, DType::kInt8, rng)}, "own", count, what, {.threads = threads},
                 /*exact=*/true);
    // The fixed-point arithmetic takes it too: neither pool rescales.
    check_one_op(b.m, {random_input({n, h, w, c}, DType::kInt8, rng)}, "own", count, what + " fixed-point",
                 {.arithmetic = kernels::Requantization::kFixedPoint}, /*exact=*/true);
  }
  count.expect_mostly_fast(1.0);
}

TEST(FastKernels, Int8MaxPoolMatchesReferenceExactly) { check_int8_pool(true, 1019); }
TEST(FastKernels, Int8AveragePoolMatchesReferenceExactly) { check_int8_pool(false, 1022); }

// ---- RESIZE_BILINEAR / RESIZE_NEAREST_NEIGHBOR (our own, exact) ---------------------

// Random images up- and down-scaled by integer and other ratios (1-pixel
// inputs and outputs among them), channels 1, 3, 5, 17 or 1-40, each option
// combination (bilinear refuses align_corners with half_pixel_centers),
// float32 (with NaN or infinities, and -0), int8 and, for nearest, int16;
// 1-3 threads, every tenth case large enough to be split over them, either
// arithmetic (neither op rescales). The
// output bytes must be the reference's. (A case has NaN or infinities, not
// both: where an input NaN meets the NaN of inf * 0 in one sum, which of the
// two comes out is the compiler's choice of operand order, in the reference
// as in ours.)
void check_resize(bool bilinear, unsigned seed) {
  std::mt19937 rng(seed);
  PathCount count{bilinear ? "RESIZE_BILINEAR" : "RESIZE_NEAREST_NEIGHBOR"};
  const int channels[] = {1, 3, 5, 17};
  const float special[2][3] = {{NAN, -0.0f, NAN}, {INFINITY, -INFINITY, -0.0f}};
  for (int i = 0; i < kCases; ++i) {
    const bool big = i % 10 == 0;  // at least 64 KiB out (fast_kernel.h own_task_count)
    const int n = rand_int(rng, 1, 2), h = i % 7 == 1 ? 1 : rand_int(rng, 1, big ? 30 : 12),
              w = i % 7 == 2 ? 1 : rand_int(rng, 1, big ? 30 : 12);
    const int c = big ? 32 : i % 5 < 4 ? channels[i % 5] : rand_int(rng, 1, 40);
    const int oh = i % 7 == 3 ? 1 : rand_int(rng, 1, big ? 64 : 25), ow = i % 9 == 4 ? 2 * w : rand_int(rng, 1, 25);
    // none, align_corners, half_pixel_centers, both: each with every dtype (i % 3)
    const int combo = i / 3 % (bilinear ? 3 : 4);
    const bool align = combo == 1 || combo == 3, half = combo >= 2;
    const DType dtype = i % 3 == 0 ? DType::kFloat32 : i % 3 == 1 ? DType::kInt8 : bilinear ? DType::kFloat32
                                                                                         : DType::kInt16;
    ModelBuilder b;
    const ir::TensorId x = b.input("x", {n, h, w, c}, dtype);
    const ir::TensorId size = b.constant("size", {2}, DType::kInt32, std::vector<int32_t>{oh, ow});
    const ir::TensorId y = b.output("y", {n, oh, ow, c}, dtype);
    if (dtype != DType::kFloat32) {
      quantize_tensor(b, x, 0.05f, dtype == DType::kInt8 ? 7 : 0);
      quantize_tensor(b, y, 0.05f, dtype == DType::kInt8 ? 7 : 0);
    }
    ir::Op& op = b.op(bilinear ? BuiltinOperator::BuiltinOperator_RESIZE_BILINEAR
                               : BuiltinOperator::BuiltinOperator_RESIZE_NEAREST_NEIGHBOR,
                      {x, size}, {y});
    if (bilinear) {
      tflite::ResizeBilinearOptionsT o;
      o.align_corners = align;
      o.half_pixel_centers = half;
      op.options.Set(o);
    } else {
      tflite::ResizeNearestNeighborOptionsT o;
      o.align_corners = align;
      o.half_pixel_centers = half;
      op.options.Set(o);
    }
    Array input = random_any({n, h, w, c}, dtype, rng);
    if (dtype == DType::kFloat32)
      for (int64_t k = 0; k < input.num_elements(); k += 11) input.as<float>()[k] = special[i % 2][k / 11 % 3];
    const int threads = 1 + (i / 12 + i) % 3;  // 1-3 with every dtype
    const bool fixed = i % 4 == 1;
    check_one_op(b.m, {input}, "own", count,
                 fmt::format("{} {} [{},{},{},{}] to {}x{} align_corners {} half_pixel_centers {} threads {}{}",
                             bilinear ? "bilinear" : "nearest", dtype_name(dtype), n, h, w, c, oh, ow, align, half,
                             threads, fixed ? " fixed-point" : ""),
                 {.arithmetic = fixed ? kernels::Requantization::kFixedPoint : kernels::Requantization::kFloat,
                  .threads = threads},
                 /*exact=*/true);
  }
  count.expect_mostly_fast(1.0);
}

TEST(FastKernels, ResizeBilinearMatchesReferenceExactly) { check_resize(true, 1023); }
TEST(FastKernels, ResizeNearestNeighborMatchesReferenceExactly) { check_resize(false, 1024); }

// SIGN_BIT has no oneDNN post-op: the reference runs, with the same results.
TEST(FastKernels, ActivationWithoutFastKernelFallsBack) {
  std::mt19937 rng(1009);
  AddConfig c;
  c.a = c.b = c.out = {2, 3, 4};
  c.activation = tflite::ActivationFunctionType_SIGN_BIT;
  const ir::Model m = add_model(c, DType::kFloat32, rng);
  PathCount count{"float32 ADD with SIGN_BIT"};
  check_one_op(m, {random_input(c.a, DType::kFloat32, rng), random_input(c.b, DType::kFloat32, rng)}, "onednn",
               count, c.str());
  EXPECT_EQ(count.fallback, 1);
}

// TFLite's SAME with a stride above the (dilated) window, e.g. the 1x1
// stride-2 shortcut conv of a ResNet on an even input, and VALID with an unused
// remainder, both need no padding after; the oneDNN conv must still take them
// (the window end is below the input end: oneDNN's padding after is then 0 with
// the output size still right, as XNNPACK's geometry already computes it).
TEST(FastKernels, Float32ConvWithStrideAboveWindowTakesTheFastPath) {
  std::mt19937 rng(1015);
  ConvConfig same;  // [1,4,4,3] 1x1 stride 2 SAME -> [1,2,2,5]
  same.h = same.w = 4;
  same.cin = 3;
  same.cout = 5;
  same.sh = same.sw = 2;
  ConvConfig valid = same;  // [1,5,5,3] 2x2 stride 2 VALID -> [1,2,2,5]
  valid.h = valid.w = 5;
  valid.kh = valid.kw = 2;
  valid.padding = tflite::Padding_VALID;
  ConvConfig depthwise = same;
  depthwise.depthwise = true;
  depthwise.cout = depthwise.cin;
  for (const ConvConfig& c : {same, valid, depthwise}) {
    PathCount count{c.str()};
    check_one_op(float_conv_model(c, rng), {conv_input(c, DType::kFloat32, rng)}, "onednn", count, c.str());
    EXPECT_EQ(count.fast, 1) << c.str();
  }
}

// ---- TRANSPOSE_CONV ---------------------------------------------------------------

struct TConvConfig {
  int n = 1, h = 1, w = 1, cin = 1, cout = 1, kh = 1, kw = 1, sh = 1, sw = 1, oh = 1, ow = 1;
  tflite::Padding padding = tflite::Padding_SAME;
  bool bias = true;
  tflite::ActivationFunctionType activation = tflite::ActivationFunctionType_NONE;
  std::string str() const {
    return fmt::format("transpose_conv in [{},{},{},{}] out [{},{}] cout {} k {}x{} stride {}x{} {}{} act {}", n, h, w,
                       cin, oh, ow, cout, kh, kw, sh, sw, padding == tflite::Padding_SAME ? "SAME" : "VALID",
                       bias ? " bias" : " no-bias", tflite::EnumNameActivationFunctionType(activation));
  }
};

// An output size whose forward window gives back `in` (TFLite's rule), any
// of the several that do: SAME ceil(out / s) = in; VALID (out - k) / s + 1 = in.
int tconv_out(std::mt19937& rng, tflite::Padding p, int in, int k, int s) {
  const int lo = p == tflite::Padding_SAME ? (in - 1) * s + 1 : (in - 1) * s + k;
  return rand_int(rng, lo, lo + s - 1);
}

TConvConfig random_tconv(std::mt19937& rng) {
  TConvConfig c;
  c.n = rand_int(rng, 1, 4) == 4 ? 2 : 1;
  c.h = rand_int(rng, 1, 12);
  c.w = rand_int(rng, 1, 12);
  c.cin = rand_int(rng, 1, 24);
  c.cout = rand_int(rng, 1, 24);
  c.kh = rand_int(rng, 1, 5);
  c.kw = rand_int(rng, 1, 5);
  c.sh = rand_int(rng, 1, 3);
  c.sw = rand_int(rng, 1, 3);
  c.padding = rand_int(rng, 0, 1) ? tflite::Padding_SAME : tflite::Padding_VALID;
  c.oh = tconv_out(rng, c.padding, c.h, c.kh, c.sh);
  c.ow = tconv_out(rng, c.padding, c.w, c.kw, c.sw);
  c.bias = rand_int(rng, 0, 3) != 0;
  c.activation = random_activation(rng);
  return c;
}

ir::Model float_tconv_model(const TConvConfig& c, std::mt19937& rng) {
  ModelBuilder b;
  const ir::TensorId shape = b.constant("shape", {4}, DType::kInt32, std::vector<int32_t>{c.n, c.oh, c.ow, c.cout});
  const ir::Shape fs = {c.cout, c.kh, c.kw, c.cin};
  const ir::TensorId w = b.constant("w", fs, DType::kFloat32, random_floats(rng, ir::num_elements(fs)));
  const ir::TensorId x = b.input("x", {c.n, c.h, c.w, c.cin});
  const ir::TensorId bias =
      c.bias ? b.constant("b", {c.cout}, DType::kFloat32, random_floats(rng, c.cout)) : ir::kNoTensor;
  const ir::TensorId y = b.output("y", {c.n, c.oh, c.ow, c.cout});
  tflite::TransposeConvOptionsT o;
  o.padding = c.padding;
  o.stride_h = c.sh;
  o.stride_w = c.sw;
  o.fused_activation_function = c.activation;
  const std::vector<ir::TensorId> inputs =
      c.bias ? std::vector<ir::TensorId>{shape, w, x, bias} : std::vector<ir::TensorId>{shape, w, x};
  b.op(BuiltinOperator::BuiltinOperator_TRANSPOSE_CONV, inputs, {y}).options.Set(o);
  return std::move(b.m);
}

TEST(FastKernels, Float32TransposeConvMatchesReference) {
  std::mt19937 rng(1041);
  PathCount count{"float32 TRANSPOSE_CONV"};
  for (int i = 0; i < kCases; ++i) {
    const TConvConfig c = random_tconv(rng);
    const ir::Model m = float_tconv_model(c, rng);
    const Array x = array_of(DType::kFloat32, {c.n, c.h, c.w, c.cin},
                             random_floats(rng, int64_t{c.n} * c.h * c.w * c.cin));
    // Threads 1, 2 and 3: bands of output rows at batch 1 (dnnl_deconv.cc).
    check_one_op(m, {x}, "onednn", count, c.str() + fmt::format(" threads {}", 1 + i % 3), {.threads = 1 + i % 3});
  }
  count.expect_mostly_fast(0.9);
}

// int8 TRANSPOSE_CONV: random scales and zero points, symmetric weights per
// channel or per tensor, an int32 bias; the output scale from the
// accumulator's spread so that outputs use the range.
ir::Model int8_tconv_model(const TConvConfig& c, bool per_channel, std::mt19937& rng) {
  ModelBuilder b;
  const ir::TensorId shape = b.constant("shape", {4}, DType::kInt32, std::vector<int32_t>{c.n, c.oh, c.ow, c.cout});
  const float in_scale = rand_float(rng, 0.005f, 0.05f);
  const ir::Shape fs = {c.cout, c.kh, c.kw, c.cin};
  std::vector<float> w_scales(per_channel ? static_cast<size_t>(c.cout) : 1);
  for (float& s : w_scales) s = rand_float(rng, 0.002f, 0.02f);
  const ir::TensorId w =
      b.constant("w", fs, DType::kInt8, random_ints<int8_t>(rng, ir::num_elements(fs), -127, 127),
                 quantization(w_scales, std::vector<int64_t>(w_scales.size(), 0), 0));
  const ir::TensorId x = b.input("x", {c.n, c.h, c.w, c.cin}, DType::kInt8);
  quantize_tensor(b, x, in_scale, rand_int(rng, -20, 20));
  const float acc_std = 74.0f * 73.0f * std::sqrt(static_cast<float>(c.kh * c.kw * c.cin) / (c.sh * c.sw));
  const float out_scale = in_scale * w_scales[0] * acc_std / rand_float(rng, 30.0f, 60.0f);
  std::vector<ir::TensorId> inputs{shape, w, x};
  if (c.bias) {
    std::vector<float> b_scales(w_scales.size());
    for (size_t i = 0; i < b_scales.size(); ++i) b_scales[i] = in_scale * w_scales[i];
    const int bound = static_cast<int>(acc_std);
    inputs.push_back(b.constant("b", {c.cout}, DType::kInt32, random_ints<int32_t>(rng, c.cout, -bound, bound),
                                quantization(b_scales, std::vector<int64_t>(b_scales.size(), 0))));
  }
  const ir::TensorId y = b.output("y", {c.n, c.oh, c.ow, c.cout}, DType::kInt8);
  quantize_tensor(b, y, out_scale, rand_int(rng, -30, 30));
  tflite::TransposeConvOptionsT o;
  o.padding = c.padding;
  o.stride_h = c.sh;
  o.stride_w = c.sw;
  o.fused_activation_function = c.activation;
  b.op(BuiltinOperator::BuiltinOperator_TRANSPOSE_CONV, inputs, {y}).options.Set(o);
  return std::move(b.m);
}

// Exact float sums rescaled as XNNPACK does: the reference's bytes.
TEST(FastKernels, Int8TransposeConvIsExactlyTheReference) {
  std::mt19937 rng(1042);
  PathCount count{"int8 TRANSPOSE_CONV"};
  for (int i = 0; i < kCases; ++i) {
    const TConvConfig c = random_tconv(rng);
    const ir::Model m = int8_tconv_model(c, i % 2 == 0, rng);
    const Array x = array_of(DType::kInt8, {c.n, c.h, c.w, c.cin},
                             random_ints<int8_t>(rng, int64_t{c.n} * c.h * c.w * c.cin, -128, 127));
    check_one_op(m, {x}, "onednn", count, c.str() + fmt::format(" threads {}", 1 + i % 3),
                 {.arithmetic = kernels::Requantization::kFloat, .threads = 1 + i % 3}, /*exact=*/true);
  }
  count.expect_mostly_fast(0.9);
}

// Hybrid TRANSPOSE_CONV: int8 weights (per channel or per tensor), float
// input, bias and output. The fast kernel sums exactly and scales once; the
// reference (as LiteRT) adds scaled products: within 1e-4, not bit for bit.
TEST(FastKernels, HybridTransposeConvMatchesReference) {
  std::mt19937 rng(1043);
  PathCount count{"hybrid TRANSPOSE_CONV"};
  for (int i = 0; i < kCases; ++i) {
    const TConvConfig c = random_tconv(rng);
    ModelBuilder b;
    const ir::TensorId shape =
        b.constant("shape", {4}, DType::kInt32, std::vector<int32_t>{c.n, c.oh, c.ow, c.cout});
    const ir::Shape fs = {c.cout, c.kh, c.kw, c.cin};
    std::vector<float> w_scales(i % 2 == 0 ? static_cast<size_t>(c.cout) : 1);
    for (float& s : w_scales) s = rand_float(rng, 0.002f, 0.02f);
    const ir::TensorId w = b.constant("w", fs, DType::kInt8, random_ints<int8_t>(rng, ir::num_elements(fs), -127, 127),
                                      quantization(w_scales, std::vector<int64_t>(w_scales.size(), 0), 0));
    const ir::TensorId x = b.input("x", {c.n, c.h, c.w, c.cin});
    std::vector<ir::TensorId> inputs{shape, w, x};
    if (c.bias) inputs.push_back(b.constant("b", {c.cout}, DType::kFloat32, random_floats(rng, c.cout)));
    const ir::TensorId y = b.output("y", {c.n, c.oh, c.ow, c.cout});
    tflite::TransposeConvOptionsT o;
    o.padding = c.padding;
    o.stride_h = c.sh;
    o.stride_w = c.sw;
    o.fused_activation_function = c.activation;
    b.op(BuiltinOperator::BuiltinOperator_TRANSPOSE_CONV, inputs, {y}).options.Set(o);
    const Array in = array_of(DType::kFloat32, {c.n, c.h, c.w, c.cin},
                              random_floats(rng, int64_t{c.n} * c.h * c.w * c.cin));
    check_one_op(b.m, {in}, "onednn", count, c.str() + fmt::format(" threads {}", 1 + i % 3), {.threads = 1 + i % 3});
  }
  count.expect_mostly_fast(0.75);
}

// ---- the interpreter's side ------------------------------------------------------

// Compares fast and reference runs of one model over several feeds.
void expect_same_runs(const ir::Model& m, const std::vector<std::vector<Array>>& feeds, int expected_fast_ops) {
  std::vector<Outcome> fast, ref;
  ASSERT_NO_FATAL_FAILURE(run(m, feeds, {.kernels = Kernels::kFast}, &fast));
  ASSERT_NO_FATAL_FAILURE(run(m, feeds, {.kernels = Kernels::kReference}, &ref));
  for (size_t f = 0; f < feeds.size(); ++f) {
    EXPECT_EQ(fast[f].fast_ops, expected_fast_ops) << "feed " << f;
    ASSERT_EQ(fast[f].outputs.size(), ref[f].outputs.size());
    for (size_t o = 0; o < ref[f].outputs.size(); ++o) {
      EXPECT_EQ(fast[f].outputs[o].shape, ref[f].outputs[o].shape) << "feed " << f;
      EXPECT_LE(max_error(fast[f].outputs[o], ref[f].outputs[o]), tolerance(ref[f].outputs[o].dtype))
          << "feed " << f << " output " << o;
    }
  }
}

// The model's input batch is dynamic (shape_signature -1); feeding batch 1,
// then 3, then 1 again re-prepares the fast kernel each time.
TEST(FastKernels, KernelsPrepareAgainWhenTheBatchChanges) {
  std::mt19937 rng(1010);
  ConvConfig c;
  c.n = 1;
  c.h = 7;
  c.w = 6;
  c.cin = 5;
  c.cout = 8;
  c.kh = c.kw = 3;
  c.sh = 2;
  c.activation = tflite::ActivationFunctionType_RELU;
  for (bool depthwise : {false, true}) {
    c.depthwise = depthwise;
    c.depth_multiplier = depthwise ? 2 : 1;
    c.cout = depthwise ? c.cin * 2 : 8;
    for (DType dtype : {DType::kFloat32, DType::kInt8}) {
      SCOPED_TRACE(c.str() + (dtype == DType::kInt8 ? " int8" : " float32"));
      ir::Model m = dtype == DType::kFloat32 ? float_conv_model(c, rng) : int8_conv_model(c, rng);
      m.subgraphs[0].tensors[static_cast<size_t>(m.subgraphs[0].inputs[0])].shape_signature = {-1, c.h, c.w, c.cin};
      std::vector<std::vector<Array>> feeds;
      for (int batch : {1, 3, 1}) {
        ConvConfig fed = c;
        fed.n = batch;
        feeds.push_back({conv_input(fed, dtype, rng)});
      }
      expect_same_runs(m, feeds, 1);
    }
  }
  // Fully connected: rows follow the batch.
  for (DType dtype : {DType::kFloat32, DType::kInt8}) {
    FcConfig f;
    f.input = {1, 24};
    f.depth = 24;
    f.units = 10;
    ir::Model m = fc_model(f, dtype, rng);
    m.subgraphs[0].tensors[static_cast<size_t>(m.subgraphs[0].inputs[0])].shape_signature = {-1, 24};
    expect_same_runs(m, {{random_input({1, 24}, dtype, rng)}, {random_input({3, 24}, dtype, rng)}}, 1);
  }
}

// Making a backend sets oneDNN's OpenMP team to one thread in the creating
// thread and in every pool worker, once (not on each invoke): each of four
// tasks, one per pool thread (they wait for each other), sees one.
TEST(FastKernels, BackendKeepsOpenMPAtOneThreadInEveryPoolThread) {
  const fast::Backend backend(4);
  EXPECT_EQ(omp_get_max_threads(), 1);
  std::atomic<int> started{0};
  std::vector<int> seen(4, 0);
  std::vector<std::thread::id> ids(4);
  backend.parallel(4, [&](int64_t k) {
    seen[static_cast<size_t>(k)] = omp_get_max_threads();
    ids[static_cast<size_t>(k)] = std::this_thread::get_id();
    started.fetch_add(1);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (started.load() < 4 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  });
  EXPECT_EQ(seen, std::vector<int>(4, 1));
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(std::unique(ids.begin(), ids.end()) - ids.begin(), 4) << "the four tasks did not run on four threads";
}

TEST(FastKernels, TwoThreadsGiveTheSameOutputsAsOne) {
  std::mt19937 rng(1011);
  for (int i = 0; i < 12; ++i) {
    const DType dtype = i % 2 ? DType::kInt8 : DType::kFloat32;
    ConvConfig c = random_conv(rng, i % 4 >= 2, false);
    c.h = std::max(c.h, 12);  // enough work to split
    c.w = std::max(c.w, 12);
    c.padding = tflite::Padding_SAME;
    // A window at least as large as the stride: SAME then needs no negative
    // padding, which oneDNN's kernel refuses (see the test below).
    c.kh = std::max(c.kh, c.sh);
    c.kw = std::max(c.kw, c.sw);
    const ir::Model m = dtype == DType::kFloat32 ? float_conv_model(c, rng) : int8_conv_model(c, rng);
    const std::vector<std::vector<Array>> feeds = {{conv_input(c, dtype, rng)}};
    std::vector<Outcome> one, two;
    ASSERT_NO_FATAL_FAILURE(run(m, feeds, {.kernels = Kernels::kFast, .threads = 1}, &one));
    ASSERT_NO_FATAL_FAILURE(run(m, feeds, {.kernels = Kernels::kFast, .threads = 2}, &two));
    EXPECT_EQ(one[0].fast_ops, 1) << c.str();
    EXPECT_EQ(two[0].fast_ops, 1) << c.str();
    if (dtype == DType::kInt8) {
      EXPECT_EQ(one[0].outputs[0].data, two[0].outputs[0].data) << c.str();
    } else {
      // oneDNN may split reductions differently per thread count.
      EXPECT_LE(max_error(one[0].outputs[0], two[0].outputs[0]), 1e-5) << c.str();
    }
  }
}

// The fast int8 kernels compute the float rescale; with the fixed-point
// reference arithmetic they must stay out, and int8 results match exactly.
TEST(FastKernels, FixedPointRequantizationTakesNoInt8FastKernel) {
  constexpr auto kFixed = kernels::Requantization::kFixedPoint;
  std::mt19937 rng(1012);
  const ConvConfig c = random_conv(rng, false, false);
  const FcConfig f = random_fc(rng);
  AddConfig a = random_add(rng);
  const std::vector<std::pair<ir::Model, std::vector<Array>>> models = {
      {int8_conv_model(c, rng), {conv_input(c, DType::kInt8, rng)}},
      {fc_model(f, DType::kInt8, rng), {random_input(f.input, DType::kInt8, rng)}},
      {add_model(a, DType::kInt8, rng), {random_input(a.a, DType::kInt8, rng), random_input(a.b, DType::kInt8, rng)}},
  };
  for (const auto& model_and_inputs : models) {
    std::vector<Outcome> fast, ref;
    ASSERT_NO_FATAL_FAILURE(run(model_and_inputs.first, {model_and_inputs.second},
                                {.kernels = Kernels::kFast, .arithmetic = kFixed}, &fast));
    ASSERT_NO_FATAL_FAILURE(run(model_and_inputs.first, {model_and_inputs.second},
                                {.kernels = Kernels::kReference, .arithmetic = kFixed}, &ref));
    EXPECT_EQ(fast[0].fast_ops, 0);
    EXPECT_EQ(fast[0].kernels, std::vector<std::string>{"reference"});
    EXPECT_EQ(fast[0].outputs[0].data, ref[0].outputs[0].data);
  }
}

// A float32 CONV_2D whose weights are a DEQUANTIZE of float16 constants
// (their float32 tensor in `w`).
ModelBuilder float16_weight_conv(const ConvConfig& c, std::mt19937& rng, bool with_bias, ir::TensorId& w) {
  ModelBuilder b;
  const ir::TensorId x = b.input("x", {c.n, c.h, c.w, c.cin});
  const ir::Shape fs = c.filter_shape();
  std::vector<uint16_t> half;
  for (float v : random_floats(rng, ir::num_elements(fs))) half.push_back(kernels::float_to_half(v));
  const ir::TensorId w16 = b.constant("w16", fs, DType::kFloat16, half);
  w = b.tensor("w", fs);
  std::vector<ir::TensorId> inputs = {x, w};
  if (with_bias) inputs.push_back(b.constant("b", {c.cout}, DType::kFloat32, random_floats(rng, c.cout)));
  const ir::TensorId y = b.output("y", {c.n, c.oh(), c.ow(), c.cout});
  b.op(BuiltinOperator::BuiltinOperator_DEQUANTIZE, {w16}, {w});
  set_conv_options(b.op(BuiltinOperator::BuiltinOperator_CONV_2D, inputs, {y}), c);
  return b;
}

// float16 weights: DEQUANTIZE of a constant computed once at load, its output
// packed into the conv's fast kernel.
TEST(FastKernels, Float16WeightsAreDequantizedAtLoad) {
  std::mt19937 rng(1013);
  ConvConfig c;
  c.n = 2;
  c.h = 9;
  c.w = 11;
  c.cin = 6;
  c.cout = 7;
  c.kh = 3;
  c.kw = 2;
  c.activation = tflite::ActivationFunctionType_RELU6;
  ir::TensorId w = 0;
  const ModelBuilder b = float16_weight_conv(c, rng, /*bias=*/true, w);
  std::vector<Outcome> fast, ref;
  const std::vector<std::vector<Array>> feeds = {{conv_input(c, DType::kFloat32, rng)}};
  ASSERT_NO_FATAL_FAILURE(run(b.m, feeds, {.kernels = Kernels::kFast}, &fast));
  ASSERT_NO_FATAL_FAILURE(run(b.m, feeds, {.kernels = Kernels::kReference}, &ref));
  EXPECT_EQ(fast[0].folded_ops, 1);
  EXPECT_EQ(fast[0].fast_ops, 1);
  EXPECT_EQ(fast[0].kernels, (std::vector<std::string>{"constant", "onednn"}));
  EXPECT_EQ(ref[0].folded_ops, 0);
  EXPECT_LE(max_error(fast[0].outputs[0], ref[0].outputs[0]), 1e-4);
}

// The float32 weights computed at load are released once the conv's kernel
// has packed them, and computed again when the conv must be prepared anew
// (another batch) or an observer wants every op's outputs; kept with
// preserve_all_tensors.
TEST(FastKernels, WeightsComputedAtLoadAreReleasedOncePacked) {
  std::mt19937 rng(1014);
  ConvConfig c;
  c.n = 1, c.h = 7, c.w = 8, c.cin = 5, c.cout = 6, c.kh = 3, c.kw = 3;
  ir::TensorId w = 0;
  const ModelBuilder b = float16_weight_conv(c, rng, /*bias=*/false, w);
  const int64_t weights_bytes = ir::num_elements(c.filter_shape()) * 4;
  auto run_batch = [&](Interpreter& interp, int64_t n) {
    c.n = n;
    const Array in = conv_input(c, DType::kFloat32, rng);
    EXPECT_TRUE(interp.set_input(0, in).is_ok());
    const Status s = interp.invoke();
    EXPECT_TRUE(s.is_ok()) << s.message();
    auto expect = run_model(b.m, {in}, 0, {.kernels = Kernels::kReference});
    EXPECT_TRUE(expect.has_value());
    if (expect) EXPECT_LE(max_error(interp.output(0), (*expect)[0]), 1e-4) << "batch " << n;
  };
  auto fast = Interpreter::create(b.m, 0, {.kernels = Kernels::kFast});
  ASSERT_TRUE(fast.has_value()) << fast.status().message();
  EXPECT_TRUE((*fast)->tensor_value(w).data.empty());
  run_batch(**fast, 1);
  EXPECT_TRUE((*fast)->tensor_value(w).data.empty());
  run_batch(**fast, 3);  // prepared again: the weights computed again
  EXPECT_EQ(static_cast<int64_t>((*fast)->tensor_value(w).data.size()), weights_bytes);

  auto observed = Interpreter::create(b.m, 0, {.kernels = Kernels::kFast});
  ASSERT_TRUE(observed.has_value());
  int64_t seen = 0;
  (*observed)->set_observer([&](int op, const ir::Op&, std::span<ops::TensorSlot* const> outputs) {
    if (op == 0 && outputs[0]->data) seen = ir::num_elements(outputs[0]->shape) * 4;
  });
  run_batch(**observed, 1);
  EXPECT_EQ(seen, weights_bytes);

  auto kept = Interpreter::create(b.m, 0, {.preserve_all_tensors = true, .kernels = Kernels::kFast});
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(static_cast<int64_t>((*kept)->tensor_value(w).data.size()), weights_bytes);
}

// Deterministic inputs of each input's dtype and shape, as memory_plan_test
// feeds the fixtures; false when an input cannot be fed.
bool fixture_inputs(const Interpreter& interp, std::mt19937& rng, std::vector<Array>& inputs) {
  for (int i = 0; i < interp.num_inputs(); ++i) {
    const ir::Tensor& t = interp.input_tensor(i);
    Array a{t.dtype, std::vector<int64_t>(t.shape.begin(), t.shape.end()), {}};
    const int64_t bytes = a.num_elements() * static_cast<int64_t>(dtype_size(t.dtype));
    if (bytes <= 0 || t.dtype == DType::kString) return false;
    a.data.resize(static_cast<size_t>(bytes));
    if (t.dtype == DType::kFloat32) {
      for (int64_t k = 0; k < a.num_elements(); ++k) a.as<float>()[k] = rand_float(rng, 0.0f, 1.0f);
    } else if (t.dtype == DType::kInt8 || t.dtype == DType::kUInt8) {
      for (auto& byte : a.data) byte = static_cast<uint8_t>(rand_int(rng, 0, 255));
    } else {
      for (size_t k = 0; k < a.data.size(); ++k) a.data[k] = static_cast<uint8_t>((k * 13) % 7);
    }
    inputs.push_back(std::move(a));
  }
  return true;
}

// Every fixture the reference runtime can run gives, with the fast kernels,
// its reference outputs: float32 within 1e-4 relative to max(1, |ref|) (the
// largest error measured over the fixtures is 3.6e-7, sparse_fc), integer
// outputs within one step (measured: all equal). Run with the float rescale (int8 fast kernels on)
// and with the fixed-point one (int8 ops on the reference).
TEST(FastKernels, FixtureModelsMatchTheReference) {
  int compared = 0, with_fast_ops = 0;
  for (auto r : {kernels::Requantization::kFloat, kernels::Requantization::kFixedPoint}) {
    for (const auto& path : test::fixture_models()) {
      auto model = io::read_tflite(path.string());
      ASSERT_TRUE(model.has_value()) << path;
      auto probe = Interpreter::create(*model, 0, {.kernels = Kernels::kReference, .arithmetic = r});
      if (!probe.has_value()) continue;  // ops the reference runtime lacks
      std::mt19937 rng(1014);
      std::vector<Array> inputs;
      if (!fixture_inputs(**probe, rng, inputs)) continue;
      std::vector<Outcome> fast, ref;
      bool ran = true;
      {
        // Models the reference cannot invoke (e.g. several subgraphs) are skipped.
        for (size_t i = 0; i < inputs.size(); ++i) ran = ran && (*probe)->set_input(static_cast<int>(i), inputs[i]).is_ok();
        ran = ran && (*probe)->invoke().is_ok();
      }
      if (!ran) continue;
      SCOPED_TRACE(path.filename().string() + (r == kernels::Requantization::kFloat ? " (float rescale)" : " (fixed point)"));
      ASSERT_NO_FATAL_FAILURE(run(*model, {inputs}, {.kernels = Kernels::kFast, .arithmetic = r}, &fast));
      ASSERT_NO_FATAL_FAILURE(run(*model, {inputs}, {.kernels = Kernels::kReference, .arithmetic = r}, &ref));
      ASSERT_EQ(fast[0].outputs.size(), ref[0].outputs.size());
      for (size_t o = 0; o < ref[0].outputs.size(); ++o) {
        const double err = max_error(fast[0].outputs[o], ref[0].outputs[o]);
        std::cout << "[ fixture ] " << path.filename().string() << " "
                  << (r == kernels::Requantization::kFloat ? "float" : "fixed") << " output " << o << ": "
                  << fast[0].fast_ops << " fast ops, " << fast[0].folded_ops << " folded, max error " << err << "\n";
        EXPECT_LE(err, tolerance(ref[0].outputs[o].dtype)) << "output " << o;
      }
      ++compared;
      with_fast_ops += fast[0].fast_ops > 0 ? 1 : 0;
    }
  }
  EXPECT_GE(compared, 10);
  EXPECT_GE(with_fast_ops, compared / 2);
}

}  // namespace
}  // namespace tfc::runtime
