// Backward kernels for training: the reference (kernels/conv_grad_ref.h)
// against oneDNN (runtime/fast/dnnl_backward.h) on MobileNetV2-sized layers
// (224 input, SAME padding) at a training batch of 8, one thread each (the
// reference is single-threaded; oneDNN's OpenMP team is set to one thread).
// Each case times one backward pass of the layer: the input gradient and the
// weight and bias gradients, added into buffers as the trainer does.
//
// Not here: fused activations (their backward is a pass over the output,
// the same for both), more threads, other batch sizes.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "kernels/conv_grad_ref.h"
#include "runtime/fast/dnnl_backward.h"

namespace {

namespace k = tfc::kernels;

struct Layer {
  const char* name;
  bool depthwise;
  int32_t n, h, w, cin, cout, kernel, stride;
};

// MobileNetV2 224: the 1x1 expansion and the 3x3 depthwise of the 28x28
// blocks, and the first 3x3 conv (stride 2).
constexpr Layer kLayers[] = {
    {"conv1x1_28x28x32_to_192", false, 8, 28, 28, 32, 192, 1, 1},
    {"depthwise3x3_28x28x192", true, 8, 28, 28, 192, 192, 3, 1},
    {"conv3x3_224x224x3_to_32_s2", false, 8, 224, 224, 3, 32, 3, 2},
};

struct Buffers {
  std::vector<int32_t> in_d, f_d, out_d;
  std::vector<float> input, filter, dout, dinput, dfilter, dbias;
};

std::vector<float> random_values(size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

Buffers buffers(const Layer& l) {
  Buffers b;
  const int32_t oh = (l.h + l.stride - 1) / l.stride, ow = (l.w + l.stride - 1) / l.stride;
  b.in_d = {l.n, l.h, l.w, l.cin};
  b.f_d = l.depthwise ? std::vector<int32_t>{1, l.kernel, l.kernel, l.cout}
                      : std::vector<int32_t>{l.cout, l.kernel, l.kernel, l.cin};
  b.out_d = {l.n, oh, ow, l.cout};
  std::mt19937 rng(1);
  b.input = random_values(static_cast<size_t>(k::flat_size(b.in_d)), rng);
  b.filter = random_values(static_cast<size_t>(k::flat_size(b.f_d)), rng);
  b.dout = random_values(static_cast<size_t>(k::flat_size(b.out_d)), rng);
  b.dinput.assign(b.input.size(), 0.0f);
  b.dfilter.assign(b.filter.size(), 0.0f);
  b.dbias.assign(static_cast<size_t>(l.cout), 0.0f);
  return b;
}

k::ConvParams params(const Layer& l) {
  return {k::Padding::kSame, l.stride, l.stride, 1, 1, k::Activation::kNone};
}

void bench_reference(benchmark::State& state, const Layer& l) {
  Buffers b = buffers(l);
  const k::ConvParams p = params(l);
  const int64_t rows = k::flat_size(b.out_d) / l.cout;
  for (auto _ : state) {
    if (l.depthwise) {
      k::depthwise_conv2d_backward_input(p, b.dout.data(), b.out_d, b.filter.data(), b.f_d, b.dinput.data(), b.in_d);
      k::depthwise_conv2d_backward_filter(p, b.input.data(), b.in_d, b.dout.data(), b.out_d, b.dfilter.data(), b.f_d);
    } else {
      k::conv2d_backward_input(p, b.dout.data(), b.out_d, b.filter.data(), b.f_d, b.dinput.data(), b.in_d);
      k::conv2d_backward_filter(p, b.input.data(), b.in_d, b.dout.data(), b.out_d, b.dfilter.data(), b.f_d);
    }
    k::bias_backward(b.dout.data(), rows, l.cout, b.dbias.data());
    benchmark::DoNotOptimize(b.dinput.data());
  }
}

void bench_onednn(benchmark::State& state, const Layer& l) {
  Buffers b = buffers(l);
  omp_set_num_threads(1);
  auto fast = tfc::runtime::fast::ConvBackward::create(params(l), l.depthwise, b.in_d, b.f_d, b.out_d);
  if (!fast.has_value()) {
    state.SkipWithError(fast.status().message().c_str());
    return;
  }
  for (auto _ : state) {
    if (!(*fast)->backward_data(b.dout.data(), b.filter.data(), b.dinput.data()).is_ok() ||
        !(*fast)->backward_weights(b.input.data(), b.dout.data(), b.dfilter.data(), b.dbias.data()).is_ok()) {
      state.SkipWithError("oneDNN failed");
      return;
    }
    benchmark::DoNotOptimize(b.dinput.data());
  }
}

}  // namespace

int main(int argc, char** argv) {
  for (const Layer& l : kLayers) {
    const std::string base = l.name;
    benchmark::RegisterBenchmark((base + "/reference").c_str(), [&l](benchmark::State& s) { bench_reference(s, l); })
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark((base + "/onednn").c_str(), [&l](benchmark::State& s) { bench_onednn(s, l); })
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
