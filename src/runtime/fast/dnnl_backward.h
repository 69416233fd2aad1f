// Fast kernels for training on oneDNN: the forward of float32 CONV_2D
// (grouped too), DEPTHWISE_CONV_2D and FULLY_CONNECTED on weights that change
// every step (ConvForward, fully_connected_forward: the reference kernels'
// results within float rounding, fused activations applied as they apply
// them), and their gradients with respect to their input (backward-data) and
// their weights and bias (backward-weights). Drop-ins for the reference backward kernels
// (kernels/conv_grad_ref.h), which they are tested against on random shapes
// (tests/cpp/grad_fast_test.cc, within 1e-4 relative).
//
// The buffers are the IR's own, nothing to reorder beforehand:
// - activations NHWC: input and dinput (N, H, W, Cin), dout (N, OH, OW, Cout);
//   FULLY_CONNECTED's (rows, depth) and (rows, units), row-major;
// - weights OHWI (Cout, KH, KW, Cin / groups) for CONV_2D, 1HWC
//   (1, KH, KW, C * M) for DEPTHWISE_CONV_2D, [units, depth] for
//   FULLY_CONNECTED; their gradients in the same layouts;
// - dout is dL/d(pre-activation output): the fused activation's backward
//   (ops/grad_util.h) comes first, as for the reference kernels.
// Like the reference kernels, every call ADDS into the gradient buffers.
//
// A ConvBackward or FcBackward is prepared once per geometry (the oneDNN
// primitives and their weight layouts chosen), then runs on any buffers of
// that geometry, one call at a time. oneDNN runs on the calling thread's
// OpenMP team (omp_set_num_threads in that thread sets its size; the fast
// inference backend sets it to one, runtime/fast/fast_kernel.h).
#pragma once

#include <memory>

#include "core/status.h"
#include "kernels/common.h"
#include "kernels/conv_ref.h"

namespace tfc::runtime::fast {

// A forward convolution prepared once per geometry (as ConvBackward::create);
// the filter is reordered into the primitive's layout on every run.
class ConvForward {
 public:
  static Expected<std::unique_ptr<ConvForward>> create(const kernels::ConvParams& p, bool depthwise,
                                                       kernels::Dims input_dims, kernels::Dims filter_dims,
                                                       kernels::Dims output_dims);
  ~ConvForward();

  // output (N, OH, OW, Cout) = act(conv(input, filter) + bias); bias may be nullptr.
  Status run(const float* input, const float* filter, const float* bias, float* output);

  struct Impl;

 private:
  explicit ConvForward(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// output (rows, units) = act(input (rows, depth) x weights (units, depth)^T +
// bias), as kernels::fully_connected; bias may be nullptr.
Status fully_connected_forward(kernels::Activation activation, const float* input, int64_t rows, int32_t depth,
                               const float* weights, int32_t units, const float* bias, float* output);

class ConvBackward {
 public:
  // CONV_2D (depthwise false; filter OHWI) or DEPTHWISE_CONV_2D (depthwise
  // true; filter 1HWC) with params p (padding, strides, dilations; the
  // activation is ignored) on these dims, as the op's shape rule sized them.
  // Unsupported when oneDNN refuses the geometry (the reference kernels then
  // serve).
  static Expected<std::unique_ptr<ConvBackward>> create(const kernels::ConvParams& p, bool depthwise,
                                                        kernels::Dims input_dims, kernels::Dims filter_dims,
                                                        kernels::Dims output_dims);
  ~ConvBackward();

  // dinput (N, H, W, Cin) += dL/d(input), from dout (N, OH, OW, Cout) and
  // the filter; with add false, dinput = dL/d(input).
  Status backward_data(const float* dout, const float* filter, float* dinput, bool add = true);
  // dfilter += dL/d(filter) from the input and dout; dbias (Cout), unless
  // nullptr, += the sum of dout over N, OH and OW.
  Status backward_weights(const float* input, const float* dout, float* dfilter, float* dbias);

  struct Impl;

 private:
  explicit ConvBackward(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// FULLY_CONNECTED on (rows, depth) inputs and [units, depth] weights, as
// oneDNN's sgemm with beta = 1 (so it adds in place, no temporaries).
class FcBackward {
 public:
  FcBackward(int64_t rows, int32_t depth, int32_t units) : rows_(rows), depth_(depth), units_(units) {}

  // dinput (rows, depth) += dout (rows, units) x weights (units, depth).
  Status backward_data(const float* dout, const float* weights, float* dinput) const;
  // dweights (units, depth) += dout^T x input; dbias (units), unless nullptr,
  // += the column sums of dout.
  Status backward_weights(const float* input, const float* dout, float* dweights, float* dbias) const;

 private:
  int64_t rows_;
  int32_t depth_, units_;
};

// MAX_POOL_2D or AVERAGE_POOL_2D (padding excluded from the average, as
// TFLite's) in training on oneDNN's pooling primitives, NHWC: forward, and
// the gradient with respect to the input. Max pooling keeps, per op, where
// each window's maximum was (the first in the window's row-major order, as
// kernels::max_pool2d_backward): forward before backward, on the same input.
// The fused activation is not applied (the caller takes the reference path
// when there is one). Prepared once per geometry; one call at a time.
class PoolTraining {
 public:
  static Expected<std::unique_ptr<PoolTraining>> create(const kernels::PoolParams& p, bool max,
                                                        kernels::Dims input_dims, kernels::Dims output_dims);
  ~PoolTraining();

  Status forward(const float* input, float* output);
  // dinput (N, H, W, C) += dL/d(input) from dout (N, OH, OW, C); with add
  // false, dinput = dL/d(input).
  Status backward(const float* dout, float* dinput, bool add = true);

  struct Impl;

 private:
  explicit PoolTraining(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Batch normalization in training mode over the last axis of (rows, C) data
// (NHWC activations: rows = N * H * W), on oneDNN's batch_normalization
// primitives: the batch's mean and biased variance per channel, then
// y = gamma * (x - mean) / sqrt(variance + epsilon) + beta — Keras's
// training-mode formula (train/train_batchnorm.cc) within float rounding —
// and its gradient with respect to x, gamma and beta, the batch statistics
// differentiated too. Without scale, gamma is 1; without shift, beta is 0.
// Prepared once per (rows, C); one call at a time.
class BatchNormTraining {
 public:
  static Expected<std::unique_ptr<BatchNormTraining>> create(int64_t rows, int32_t channels, float epsilon, bool scale,
                                                             bool shift);
  ~BatchNormTraining();

  // y (rows, C); mean and variance (C each) are written, as y is.
  Status forward(const float* x, const float* gamma, const float* beta, float* y, float* mean, float* variance);
  // From x, the mean and variance forward wrote, and dy: dL/dx is written
  // into dx (overwritten, or added when `add_dx`), dL/dgamma and dL/dbeta
  // added into dgamma and dbeta; each may be nullptr.
  Status backward(const float* x, const float* mean, const float* variance, const float* gamma, const float* dy,
                  float* dx, bool add_dx, float* dgamma, float* dbeta);

  struct Impl;

 private:
  explicit BatchNormTraining(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tfc::runtime::fast
