// Plain float32 loops of the training fast path, in SSE2 where the target has
// it (every x86-64; else scalar), each computing exactly what its scalar form
// computes (same comparisons, same single rounding per element):
// - clamp_forward: y = x < lo ? lo : (x > hi ? hi : x), NaN passing, as
//   kernels/elementwise_ref.cc's clamp_f32 (RELU, RELU6, RELU_N1_TO_1);
// - clamp_backward: dx += lo < x < hi ? dy : 0, as ops/elementwise_grad.cc's
//   clamp gradient;
// - gate_backward: dz = y > lo && y < hi ? dy : 0 (hi +inf or the largest
//   float, RELU's clamp: y > lo alone), as
//   ops/grad_util.h's fused_activation_grad for RELU, RELU6, RELU_N1_TO_1 on
//   the activation's output y;
// - add_into: out += v.
// Memory-bound: wider vectors buy nothing measurable here. Long loops are
// shared by the calling thread's OpenMP team in fixed chunks (the executor
// sets its size, ExecutorOptions::threads): elementwise, so the results do
// not depend on it.
#pragma once

#include <cstdint>

namespace tfc::runtime::fast {

void clamp_forward(const float* x, int64_t n, float lo, float hi, float* y);
void clamp_backward(const float* x, const float* dy, int64_t n, float lo, float hi, float* dx);
void gate_backward(const float* y, const float* dy, int64_t n, float lo, float hi, float* dz);
void add_into(float* out, const float* v, int64_t n);

}  // namespace tfc::runtime::fast
