// Kernel-library comparison on the layer shapes that dominate MobileNetV2 224
// (batch 1, NHWC, SAME padding, no fused activation): our reference kernels
// (kernels/conv_ref.h, kernels/conv_int.h) against Debian's XNNPACK (operator
// API, f32 and per-channel int8 "qc8") and Debian's oneDNN (f32, and int8 with
// s8 weights, per-channel scales and activation zero points, the activations
// either s8 as stored or shifted to u8), at 1 and 2 threads (the reference is
// single-threaded and runs at 1 only). Per-channel int8 FC runs as a 1x1
// convolution on a 1x1 image in both libraries (Debian's XNNPACK has no
// per-channel FC; oneDNN's int8 matmul is also timed, as a slower variant).
//
// Each case first checks the library's output against our reference kernel
// (float: max |diff| <= 1e-4 * max |ref|; int8: every element within one
// step); a mismatch prints "FAILURE ..." on stderr and becomes the case's
// label (its time is kept for the record, the kernel is not usable).
// Counters: FLOP/s = 2 * MACs / time (int8 MACs count the same), %peak
// against cores used x nominal MHz x FLOPs/cycle (32 with AVX2+FMA, 64 with
// AVX-512), a float peak that int8 kernels are also measured against.
//
// Not here: whole models, other ops, fused activations, batch > 1. The
// decision drawn from these numbers is in docs/RUNTIME.md.

#include <benchmark/benchmark.h>
#include <omp.h>
#include <pthreadpool.h>
#include <xnnpack.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "kernels/common.h"
#include "kernels/conv_int.h"
#include "kernels/conv_ref.h"
#include "kernels/quant_util.h"

namespace {

namespace k = tfc::kernels;

// ---- Shapes ----------------------------------------------------------------

enum class LayerKind { kConv, kDepthwise, kFullyConnected };

struct Layer {
  const char* name;
  LayerKind kind;
  int32_t h, w, cin, cout, kernel, stride;

  int32_t out_h() const { return k::window_output_size(k::Padding::kSame, h, kernel, stride, 1); }
  int32_t out_w() const { return k::window_output_size(k::Padding::kSame, w, kernel, stride, 1); }
  int32_t pad_top() const { return k::window_padding_before(h, kernel, stride, 1, out_h()); }
  int32_t pad_left() const { return k::window_padding_before(w, kernel, stride, 1, out_w()); }
  int32_t pad_bottom() const { return std::max((out_h() - 1) * stride + kernel - h, 0) - pad_top(); }
  int32_t pad_right() const { return std::max((out_w() - 1) * stride + kernel - w, 0) - pad_left(); }
  int64_t input_size() const { return int64_t{h} * w * cin; }
  int64_t output_size() const { return int64_t{out_h()} * out_w() * cout; }
  // Weights: conv (Cout, KH, KW, Cin); depthwise (1, KH, KW, C); FC (units, depth).
  int64_t weight_size() const {
    return kind == LayerKind::kDepthwise ? int64_t{kernel} * kernel * cout : int64_t{cout} * kernel * kernel * cin;
  }
  int64_t macs() const {
    const int64_t per_output = kind == LayerKind::kDepthwise ? int64_t{kernel} * kernel : int64_t{kernel} * kernel * cin;
    return output_size() * per_output;
  }
};

const Layer kLayers[] = {
    {"stem_conv3x3s2_224x224x3_to32", LayerKind::kConv, 224, 224, 3, 32, 3, 2},
    {"expand_conv1x1_56x56x24_to144", LayerKind::kConv, 56, 56, 24, 144, 1, 1},
    {"dwconv3x3s1_56x56x144", LayerKind::kDepthwise, 56, 56, 144, 144, 3, 1},
    {"dwconv3x3s2_112x112x96", LayerKind::kDepthwise, 112, 112, 96, 96, 3, 2},
    {"project_conv1x1_28x28x192_to32", LayerKind::kConv, 28, 28, 192, 32, 1, 1},
    {"head_conv1x1_7x7x320_to1280", LayerKind::kConv, 7, 7, 320, 1280, 1, 1},
    {"fc_1280_to1000", LayerKind::kFullyConnected, 1, 1, 1280, 1000, 1, 1},
};

// ---- Data and reference outputs --------------------------------------------

struct FloatCase {
  std::vector<float> input, weights, bias, expected;
};

struct Int8Case {
  std::vector<int8_t> input, weights, expected;
  std::vector<uint8_t> input_u8;  // input + 128: the same values as u8 with zero point + 128
  std::vector<int32_t> bias;
  std::vector<float> weight_scales;  // per output channel
  float input_scale = 0.02f, output_scale = 1.0f;
  int32_t input_zero_point = -10, output_zero_point = 5;
};

k::ConvParams conv_params(const Layer& l) {
  k::ConvParams p;
  p.padding = k::Padding::kSame;
  p.stride_h = p.stride_w = l.stride;
  return p;
}

std::vector<int32_t> input_dims(const Layer& l) { return {1, l.h, l.w, l.cin}; }
std::vector<int32_t> output_dims(const Layer& l) { return {1, l.out_h(), l.out_w(), l.cout}; }
std::vector<int32_t> filter_dims(const Layer& l) {
  if (l.kind == LayerKind::kDepthwise) return {1, l.kernel, l.kernel, l.cout};
  return {l.cout, l.kernel, l.kernel, l.cin};
}
int32_t fan_in(const Layer& l) { return l.kind == LayerKind::kDepthwise ? l.kernel * l.kernel : l.kernel * l.kernel * l.cin; }

const FloatCase& float_case(const Layer& l) {
  static std::map<std::string, FloatCase> cache;
  auto [it, inserted] = cache.try_emplace(l.name);
  FloatCase& c = it->second;
  if (!inserted) return c;
  std::mt19937 rng(1234);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  const float wscale = 1.0f / std::sqrt(static_cast<float>(fan_in(l)));
  c.input.resize(l.input_size());
  c.weights.resize(l.weight_size());
  c.bias.resize(l.cout);
  for (auto& v : c.input) v = u(rng);
  for (auto& v : c.weights) v = u(rng) * wscale;
  for (auto& v : c.bias) v = u(rng) * 0.1f;
  c.expected.resize(l.output_size());
  const auto in_d = input_dims(l), f_d = filter_dims(l), out_d = output_dims(l);
  switch (l.kind) {
    case LayerKind::kConv:
      k::conv2d(conv_params(l), c.input.data(), in_d, c.weights.data(), f_d, c.bias.data(), c.expected.data(), out_d);
      break;
    case LayerKind::kDepthwise:
      k::depthwise_conv2d(conv_params(l), c.input.data(), in_d, c.weights.data(), f_d, c.bias.data(),
                          c.expected.data(), out_d);
      break;
    case LayerKind::kFullyConnected:
      k::fully_connected(k::Activation::kNone, c.input.data(), 1, l.cin, c.weights.data(), l.cout, c.bias.data(),
                         c.expected.data());
      break;
  }
  return c;
}

// The requantization XNNPACK (and LiteRT's XNNPACK delegate) uses: float
// scales, round half to even.
k::IntConvQuant int8_quant(const Int8Case& c, int32_t channels) {
  k::IntConvQuant q;
  q.input_zero_point = c.input_zero_point;
  q.output_zero_point = c.output_zero_point;
  q.multipliers = k::conv_multipliers(c.input_scale, c.weight_scales, c.output_scale, channels);
  q.float_scales = k::conv_float_scales(c.input_scale, c.weight_scales, c.output_scale, channels);
  q.requantization = k::Requantization::kFloat;
  q.range = k::activation_range_float<int8_t>(k::Activation::kNone, c.output_scale, c.output_zero_point);
  return q;
}

const Int8Case& int8_case(const Layer& l) {
  static std::map<std::string, Int8Case> cache;
  auto [it, inserted] = cache.try_emplace(l.name);
  Int8Case& c = it->second;
  if (!inserted) return c;
  std::mt19937 rng(4321);
  std::uniform_int_distribution<int> act(-128, 127), wgt(-127, 127), b(-2000, 2000);
  std::uniform_real_distribution<float> ws(0.002f, 0.01f);
  c.input.resize(l.input_size());
  c.weights.resize(l.weight_size());
  c.bias.resize(l.cout);
  c.weight_scales.resize(l.cout);
  for (auto& v : c.input) v = static_cast<int8_t>(act(rng));
  for (int8_t v : c.input) c.input_u8.push_back(static_cast<uint8_t>(v + 128));
  for (auto& v : c.weights) v = static_cast<int8_t>(wgt(rng));
  for (auto& v : c.bias) v = b(rng);
  float mean_scale = 0.0f;
  for (auto& v : c.weight_scales) mean_scale += (v = ws(rng));
  mean_scale /= static_cast<float>(l.cout);
  // Outputs spread over roughly +-40 steps: uniform int8 has a std of ~74,
  // the weights ~73, and the accumulator sums fan_in such products.
  c.output_scale = c.input_scale * mean_scale * std::sqrt(static_cast<float>(fan_in(l))) * 74.0f * 73.0f / 40.0f;
  c.expected.resize(l.output_size());
  const k::IntConvQuant q = int8_quant(c, l.cout);
  const auto in_d = input_dims(l), f_d = filter_dims(l), out_d = output_dims(l);
  switch (l.kind) {
    case LayerKind::kConv:
      k::conv2d_int<int8_t, int32_t>(conv_params(l), q, c.input.data(), in_d, c.weights.data(), f_d, c.bias.data(),
                                     c.expected.data(), out_d);
      break;
    case LayerKind::kDepthwise:
      k::depthwise_conv2d_int<int8_t, int32_t>(conv_params(l), q, c.input.data(), in_d, c.weights.data(), f_d,
                                               c.bias.data(), c.expected.data(), out_d);
      break;
    case LayerKind::kFullyConnected:
      k::fully_connected_int<int8_t, int32_t>(q, c.input.data(), 1, l.cin, c.weights.data(), l.cout, c.bias.data(),
                                              c.expected.data());
      break;
  }
  return c;
}

// The name of the running benchmark, for messages (State has no name() in
// Google Benchmark 1.7).
std::string current_benchmark;

// Empty when the output matches; otherwise a description of the mismatch.
std::string check_float(const std::vector<float>& got, const std::vector<float>& want) {
  double max_ref = 0.0, max_diff = 0.0;
  size_t worst = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    max_ref = std::max(max_ref, std::fabs(static_cast<double>(want[i])));
    const double d = std::fabs(static_cast<double>(got[i]) - want[i]);
    if (!(d <= max_diff)) max_diff = d, worst = i;
  }
  if (max_diff <= 1e-4 * max_ref) return {};
  std::ostringstream s;
  s << "MISMATCH (float): max |diff| " << max_diff << " at " << worst << " (got " << got[worst] << ", want "
    << want[worst] << "), max |ref| " << max_ref;
  return s.str();
}

std::string check_int8(const std::vector<int8_t>& got, const std::vector<int8_t>& want) {
  size_t off_by_one = 0, wrong = 0;
  int max_diff = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    const int d = std::abs(int{got[i]} - int{want[i]});
    max_diff = std::max(max_diff, d);
    off_by_one += d == 1;
    wrong += d > 1;
  }
  if (wrong == 0) {
    static std::set<std::string> reported;
    if (off_by_one > 0 && reported.insert(current_benchmark).second)
      std::fprintf(stderr, "%s: %zu of %zu int8 outputs one step off the reference\n", current_benchmark.c_str(),
                   off_by_one, want.size());
    return {};
  }
  std::ostringstream s;
  s << "MISMATCH (int8): " << wrong << " of " << want.size() << " outputs more than one step off, max " << max_diff
    << " steps";
  return s.str();
}

// ---- Machine peak ----------------------------------------------------------

struct Peak {
  double mhz = 0.0;
  int flops_per_cycle = 16;
  std::string cpu, isa;
  double gflops(int cores) const { return cores * mhz * 1e-3 * flops_per_cycle; }
};

const Peak& machine_peak() {
  static const Peak peak = [] {
    Peak p;
    std::ifstream in("/proc/cpuinfo");
    std::string line, flags;
    while (std::getline(in, line)) {
      auto value = [&] { return line.substr(line.find(':') + 2); };
      if (p.cpu.empty() && line.rfind("model name", 0) == 0) p.cpu = value();
      if (p.mhz == 0.0 && line.rfind("cpu MHz", 0) == 0) p.mhz = std::stod(value());
      if (flags.empty() && line.rfind("flags", 0) == 0) flags = " " + value() + " ";
    }
    auto has = [&](const char* f) { return flags.find(std::string(" ") + f + " ") != std::string::npos; };
    if (has("avx512f")) {
      p.flops_per_cycle = 64, p.isa = "AVX-512 (2 x 16-lane FMA/cycle)";
    } else if (has("avx2") && has("fma")) {
      p.flops_per_cycle = 32, p.isa = "AVX2+FMA (2 x 8-lane FMA/cycle)";
    } else {
      p.flops_per_cycle = 16, p.isa = "SSE/AVX without FMA (assumed 16 FLOPs/cycle)";
    }
    p.isa += std::string(", VNNI: ") + (has("avx512_vnni") || has("avx_vnni") ? "yes" : "no");
    return p;
  }();
  return peak;
}

// FLOP/s and %peak over the timed loop that started at `start` (wall time,
// as the benchmarks report).
void set_counters(benchmark::State& state, const Layer& l, int threads, std::chrono::steady_clock::time_point start) {
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (state.iterations() == 0 || seconds <= 0.0) return;
  const double flops_per_s = 2.0 * static_cast<double>(l.macs()) * static_cast<double>(state.iterations()) / seconds;
  state.counters["FLOP/s"] = flops_per_s;
  state.counters["%peak"] = flops_per_s * 100.0 / (machine_peak().gflops(threads) * 1e9);
}

// Prints a mismatch as a failure on stderr. The case is still timed, for the
// record, with the mismatch as its label: its numbers are not usable.
std::string mismatch_label;
void record_check(const std::string& mismatch) {
  mismatch_label = mismatch;
  static std::set<std::string> reported;  // once per case, not per call
  if (!mismatch.empty() && reported.insert(current_benchmark).second)
    std::fprintf(stderr, "FAILURE %s: %s\n", current_benchmark.c_str(), mismatch.c_str());
}

std::string with_mismatch(const std::string& label) {
  return mismatch_label.empty() ? label : mismatch_label + " [" + label + "]";
}

// ---- Reference kernels -----------------------------------------------------

void bench_reference_f32(benchmark::State& state, const Layer& l) {
  const FloatCase& c = float_case(l);
  std::vector<float> out(l.output_size());
  const auto in_d = input_dims(l), f_d = filter_dims(l), out_d = output_dims(l);
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    switch (l.kind) {
      case LayerKind::kConv:
        k::conv2d(conv_params(l), c.input.data(), in_d, c.weights.data(), f_d, c.bias.data(), out.data(), out_d);
        break;
      case LayerKind::kDepthwise:
        k::depthwise_conv2d(conv_params(l), c.input.data(), in_d, c.weights.data(), f_d, c.bias.data(), out.data(),
                            out_d);
        break;
      case LayerKind::kFullyConnected:
        k::fully_connected(k::Activation::kNone, c.input.data(), 1, l.cin, c.weights.data(), l.cout, c.bias.data(),
                           out.data());
        break;
    }
    benchmark::DoNotOptimize(out.data());
  }
  set_counters(state, l, 1, start);
}

void bench_reference_i8(benchmark::State& state, const Layer& l) {
  const Int8Case& c = int8_case(l);
  const k::IntConvQuant q = int8_quant(c, l.cout);
  std::vector<int8_t> out(l.output_size());
  const auto in_d = input_dims(l), f_d = filter_dims(l), out_d = output_dims(l);
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    switch (l.kind) {
      case LayerKind::kConv:
        k::conv2d_int<int8_t, int32_t>(conv_params(l), q, c.input.data(), in_d, c.weights.data(), f_d,
                                       c.bias.data(), out.data(), out_d);
        break;
      case LayerKind::kDepthwise:
        k::depthwise_conv2d_int<int8_t, int32_t>(conv_params(l), q, c.input.data(), in_d, c.weights.data(), f_d,
                                                 c.bias.data(), out.data(), out_d);
        break;
      case LayerKind::kFullyConnected:
        k::fully_connected_int<int8_t, int32_t>(q, c.input.data(), 1, l.cin, c.weights.data(), l.cout,
                                                c.bias.data(), out.data());
        break;
    }
    benchmark::DoNotOptimize(out.data());
  }
  set_counters(state, l, 1, start);
}

// ---- XNNPACK ---------------------------------------------------------------

struct XnnOperator {
  xnn_operator_t op = nullptr;
  ~XnnOperator() {
    if (op) xnn_delete_operator(op);
  }
};

struct ThreadPool {
  pthreadpool_t pool = nullptr;  // nullptr: run on the calling thread
  explicit ThreadPool(int threads) {
    if (threads > 1) pool = pthreadpool_create(threads);
  }
  ~ThreadPool() {
    if (pool) pthreadpool_destroy(pool);
  }
};

bool xnn_ok(benchmark::State& state, xnn_status status, const char* what) {
  if (status == xnn_status_success) return true;
  const std::string msg = std::string(what) + " failed: xnn_status " + std::to_string(status);
  std::fprintf(stderr, "%s: %s\n", current_benchmark.c_str(), msg.c_str());
  state.SkipWithError(msg.c_str());
  return false;
}

void bench_xnnpack_f32(benchmark::State& state, const Layer& l, int threads) {
  const FloatCase& c = float_case(l);
  ThreadPool tp(threads);
  XnnOperator op;
  std::vector<float> out(l.output_size());
  const float lo = -std::numeric_limits<float>::infinity(), hi = std::numeric_limits<float>::infinity();
  xnn_status st;
  if (l.kind == LayerKind::kFullyConnected) {
    st = xnn_create_fully_connected_nc_f32(l.cin, l.cout, l.cin, l.cout, c.weights.data(), c.bias.data(), lo, hi, 0,
                                           &op.op);
    if (!xnn_ok(state, st, "xnn_create_fully_connected_nc_f32")) return;
    st = xnn_setup_fully_connected_nc_f32(op.op, 1, c.input.data(), out.data(), tp.pool);
  } else {
    const bool dw = l.kind == LayerKind::kDepthwise;
    st = xnn_create_convolution2d_nhwc_f32(l.pad_top(), l.pad_right(), l.pad_bottom(), l.pad_left(), l.kernel,
                                           l.kernel, l.stride, l.stride, 1, 1, dw ? l.cin : 1, dw ? 1 : l.cin,
                                           dw ? 1 : l.cout, l.cin, l.cout, c.weights.data(), c.bias.data(), lo, hi,
                                           dw ? XNN_FLAG_DEPTHWISE_CONVOLUTION : 0, &op.op);
    if (!xnn_ok(state, st, "xnn_create_convolution2d_nhwc_f32")) return;
    st = xnn_setup_convolution2d_nhwc_f32(op.op, 1, l.h, l.w, c.input.data(), out.data(), tp.pool);
  }
  if (!xnn_ok(state, st, "xnn_setup")) return;
  if (!xnn_ok(state, xnn_run_operator(op.op, tp.pool), "xnn_run_operator")) return;
  record_check(check_float(out, c.expected));
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    xnn_run_operator(op.op, tp.pool);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetLabel(
      with_mismatch(l.kind == LayerKind::kFullyConnected ? "fully_connected_nc_f32" : "convolution2d_nhwc_f32"));
  set_counters(state, l, threads, start);
}

// Per-channel int8 ("qc8"). Debian's XNNPACK has no per-channel fully
// connected operator, so FC runs as a 1x1 qc8 convolution on a 1x1 image.
void bench_xnnpack_i8(benchmark::State& state, const Layer& l, int threads) {
  const Int8Case& c = int8_case(l);
  ThreadPool tp(threads);
  XnnOperator op;
  std::vector<int8_t> out(l.output_size());
  const bool dw = l.kind == LayerKind::kDepthwise;
  xnn_status st = xnn_create_convolution2d_nhwc_qc8(
      l.pad_top(), l.pad_right(), l.pad_bottom(), l.pad_left(), l.kernel, l.kernel, l.stride, l.stride, 1, 1,
      dw ? l.cin : 1, dw ? 1 : l.cin, dw ? 1 : l.cout, l.cin, l.cout, static_cast<int8_t>(c.input_zero_point),
      c.input_scale, c.weight_scales.data(), c.weights.data(), c.bias.data(),
      static_cast<int8_t>(c.output_zero_point), c.output_scale, -128, 127, dw ? XNN_FLAG_DEPTHWISE_CONVOLUTION : 0,
      &op.op);
  if (!xnn_ok(state, st, "xnn_create_convolution2d_nhwc_qc8")) return;
  st = xnn_setup_convolution2d_nhwc_qc8(op.op, 1, l.h, l.w, c.input.data(), out.data(), tp.pool);
  if (!xnn_ok(state, st, "xnn_setup_convolution2d_nhwc_qc8")) return;
  if (!xnn_ok(state, xnn_run_operator(op.op, tp.pool), "xnn_run_operator")) return;
  record_check(check_int8(out, c.expected));
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    xnn_run_operator(op.op, tp.pool);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetLabel(with_mismatch(l.kind == LayerKind::kFullyConnected ? "convolution2d_nhwc_qc8 (1x1, as FC)"
                                                                   : "convolution2d_nhwc_qc8"));
  set_counters(state, l, threads, start);
}

// ---- oneDNN ----------------------------------------------------------------

using dnnl::memory;
using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

dnnl::engine& dnnl_engine() {
  static dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  return eng;
}

// Weights as we store them, described for oneDNN: conv (O, I, KH, KW) over
// OHWI memory; depthwise (G, 1, 1, KH, KW) over (1, KH, KW, G) memory; FC
// (matmul) (K, N) over (N, K) memory.
memory::desc user_weights_desc(const Layer& l, dt type) {
  switch (l.kind) {
    case LayerKind::kConv: return memory::desc({l.cout, l.cin, l.kernel, l.kernel}, type, tag::ohwi);
    case LayerKind::kDepthwise:
      return memory::desc({l.cout, 1, 1, l.kernel, l.kernel}, type,
                          memory::dims{1, 1, 1, int64_t{l.kernel} * l.cout, l.cout});
    case LayerKind::kFullyConnected: return memory::desc({l.cin, l.cout}, type, tag::ba);
  }
  return {};
}

memory::dims weights_dims(const Layer& l) {
  switch (l.kind) {
    case LayerKind::kConv: return {l.cout, l.cin, l.kernel, l.kernel};
    case LayerKind::kDepthwise: return {l.cout, 1, 1, l.kernel, l.kernel};
    case LayerKind::kFullyConnected: return {l.cin, l.cout};
  }
  return {};
}

// oneDNN variants: float32, and int8 with s8 weights (per-channel scales) and
// either s8 activations (our tensors as they are) or u8 activations (the same
// values shifted by +128, zero points too), which oneDNN's AVX2 int8 kernels
// take without rescaling the weights.
enum class DnnlType { kF32, kS8, kU8 };

// One primitive with its memories.
struct DnnlLayer {
  dnnl::primitive prim;
  std::string impl;
  std::unordered_map<int, memory> args;
  memory dst;
};

DnnlLayer make_dnnl_layer(const Layer& l, DnnlType type, const void* input, const void* weights, const void* bias,
                          const Int8Case* q) {
  auto& eng = dnnl_engine();
  const bool int8 = type != DnnlType::kF32;
  const int32_t shift = type == DnnlType::kU8 ? 128 : 0;
  const dt act = type == DnnlType::kF32 ? dt::f32 : type == DnnlType::kS8 ? dt::s8 : dt::u8;
  const dt wt = int8 ? dt::s8 : dt::f32, bt = int8 ? dt::s32 : dt::f32;
  const bool fc = l.kind == LayerKind::kFullyConnected;
  memory::desc src_md = fc ? memory::desc({1, l.cin}, act, tag::ab) : memory::desc({1, l.cin, l.h, l.w}, act, tag::nhwc);
  memory::desc dst_md = fc ? memory::desc({1, l.cout}, act, tag::ab)
                           : memory::desc({1, l.cout, l.out_h(), l.out_w()}, act, tag::nhwc);
  memory::desc bias_md = fc ? memory::desc({1, l.cout}, bt, tag::ab) : memory::desc({l.cout}, bt, tag::x);
  memory::desc wei_any(weights_dims(l), wt, tag::any);

  dnnl::primitive_attr attr;
  if (int8) {
    std::vector<float> scales(l.cout);
    for (int32_t c = 0; c < l.cout; ++c) scales[c] = q->input_scale * q->weight_scales[c] / q->output_scale;
    attr.set_output_scales(1 << 1, scales);
    attr.set_zero_points(DNNL_ARG_SRC, 0, {DNNL_RUNTIME_S32_VAL});
    attr.set_zero_points(DNNL_ARG_DST, 0, {DNNL_RUNTIME_S32_VAL});
  }

  DnnlLayer out;
  memory::desc wei_md;
  if (fc) {
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src_md, wei_any, bias_md, dst_md), attr, eng);
    out.prim = dnnl::matmul(pd);
    out.impl = std::string("matmul ") + pd.impl_info_str();
    wei_md = pd.weights_desc();
  } else {
    const memory::dims strides{l.stride, l.stride}, pad_l{l.pad_top(), l.pad_left()},
        pad_r{l.pad_bottom(), l.pad_right()};
    dnnl::convolution_forward::primitive_desc pd(
        dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                        src_md, wei_any, bias_md, dst_md, strides, pad_l, pad_r),
        attr, eng);
    out.prim = dnnl::convolution_forward(pd);
    out.impl = pd.impl_info_str();
    wei_md = pd.weights_desc();
  }
  dnnl::stream strm(eng);
  memory user_w(user_weights_desc(l, wt), eng, const_cast<void*>(weights));
  memory w(wei_md, eng);
  dnnl::reorder(user_w, w).execute(strm, user_w, w);
  strm.wait();
  out.dst = memory(dst_md, eng);
  out.args = {{DNNL_ARG_SRC, memory(src_md, eng, const_cast<void*>(input))},
              {DNNL_ARG_WEIGHTS, w},
              {DNNL_ARG_BIAS, memory(bias_md, eng, const_cast<void*>(bias))},
              {DNNL_ARG_DST, out.dst}};
  if (int8) {
    memory::desc zp_md({1}, dt::s32, tag::x);
    memory src_zp(zp_md, eng), dst_zp(zp_md, eng);
    *static_cast<int32_t*>(src_zp.get_data_handle()) = q->input_zero_point + shift;
    *static_cast<int32_t*>(dst_zp.get_data_handle()) = q->output_zero_point + shift;
    out.args[DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC] = src_zp;
    out.args[DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_DST] = dst_zp;
  }
  return out;
}

// int8 fully connected runs as a 1x1 convolution on a 1x1 image when
// fc_as_conv (oneDNN 2.6's int8 matmul with zero points is a slow path).
void bench_dnnl(benchmark::State& state, const Layer& layer, int threads, DnnlType type, bool fc_as_conv) {
  omp_set_num_threads(threads);
  Layer l = layer;
  if (fc_as_conv && l.kind == LayerKind::kFullyConnected) l.kind = LayerKind::kConv;
  const FloatCase* fcase = type == DnnlType::kF32 ? &float_case(layer) : nullptr;
  const Int8Case* icase = type == DnnlType::kF32 ? nullptr : &int8_case(layer);
  DnnlLayer dl;
  try {
    if (fcase) {
      dl = make_dnnl_layer(l, type, fcase->input.data(), fcase->weights.data(), fcase->bias.data(), nullptr);
    } else {
      const void* input = type == DnnlType::kU8 ? static_cast<const void*>(icase->input_u8.data())
                                                : static_cast<const void*>(icase->input.data());
      dl = make_dnnl_layer(l, type, input, icase->weights.data(), icase->bias.data(), icase);
    }
  } catch (const dnnl::error& e) {
    const std::string msg = std::string("oneDNN primitive creation failed: ") + e.what();
    std::fprintf(stderr, "%s: %s\n", current_benchmark.c_str(), msg.c_str());
    state.SkipWithError(msg.c_str());
    return;
  }
  dnnl::stream strm(dnnl_engine());
  dl.prim.execute(strm, dl.args);
  strm.wait();
  const size_t n = static_cast<size_t>(l.output_size());
  if (fcase) {
    const auto* p = static_cast<const float*>(dl.dst.get_data_handle());
    record_check(check_float(std::vector<float>(p, p + n), fcase->expected));
  } else {
    std::vector<int8_t> got(n);
    if (type == DnnlType::kU8) {
      const auto* p = static_cast<const uint8_t*>(dl.dst.get_data_handle());
      for (size_t i = 0; i < n; ++i) got[i] = static_cast<int8_t>(int{p[i]} - 128);
    } else {
      const auto* p = static_cast<const int8_t*>(dl.dst.get_data_handle());
      got.assign(p, p + n);
    }
    record_check(check_int8(got, icase->expected));
  }
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    dl.prim.execute(strm, dl.args);
    strm.wait();
  }
  const bool as_conv = layer.kind == LayerKind::kFullyConnected && l.kind == LayerKind::kConv;
  state.SetLabel(with_mismatch(dl.impl + (as_conv ? " (1x1, as FC)" : "")));
  set_counters(state, layer, threads, start);
}

// ---- Registration ----------------------------------------------------------

void register_all() {
  for (const Layer& l : kLayers) {
    const std::string base = l.name;
    auto reg = [&](const std::string& name, auto fn) {
      benchmark::RegisterBenchmark(name.c_str(), [name, fn](benchmark::State& s) {
        current_benchmark = name;
        fn(s);
      })->UseRealTime()->Unit(benchmark::kMicrosecond);
    };
    reg(base + "/reference_f32/threads:1", [&l](benchmark::State& s) { bench_reference_f32(s, l); });
    reg(base + "/reference_i8/threads:1", [&l](benchmark::State& s) { bench_reference_i8(s, l); });
    for (int t : {1, 2}) {
      const std::string ts = "/threads:" + std::to_string(t);
      reg(base + "/xnnpack_f32" + ts, [&l, t](benchmark::State& s) { bench_xnnpack_f32(s, l, t); });
      reg(base + "/xnnpack_i8" + ts, [&l, t](benchmark::State& s) { bench_xnnpack_i8(s, l, t); });
      reg(base + "/onednn_f32" + ts, [&l, t](benchmark::State& s) { bench_dnnl(s, l, t, DnnlType::kF32, false); });
      reg(base + "/onednn_i8_u8act" + ts,
          [&l, t](benchmark::State& s) { bench_dnnl(s, l, t, DnnlType::kU8, true); });
      reg(base + "/onednn_i8_s8act" + ts,
          [&l, t](benchmark::State& s) { bench_dnnl(s, l, t, DnnlType::kS8, true); });
      if (l.kind == LayerKind::kFullyConnected)
        reg(base + "/onednn_i8_u8act_matmul" + ts,
            [&l, t](benchmark::State& s) { bench_dnnl(s, l, t, DnnlType::kU8, false); });
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (xnn_initialize(nullptr) != xnn_status_success) {
    std::fprintf(stderr, "xnn_initialize failed (unsupported CPU?)\n");
    return 1;
  }
  const Peak& peak = machine_peak();
  const dnnl_version_t* v = dnnl_version();
  std::ostringstream assumption;
  assumption << peak.mhz << " MHz (nominal, /proc/cpuinfo) x " << peak.flops_per_cycle << " FLOPs/cycle/core ["
             << peak.isa << "] = " << peak.gflops(1) << " GFLOP/s per core; %peak uses threads x that";
  benchmark::AddCustomContext("cpu", peak.cpu);
  benchmark::AddCustomContext("peak", assumption.str());
  benchmark::AddCustomContext("onednn", std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                                            std::to_string(v->patch) + " (cpu runtime " +
                                            (v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : "other") + ")");
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
