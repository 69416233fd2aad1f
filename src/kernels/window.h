// The one window walk of the conv family and pooling: which input pixel each
// filter tap of an output pixel reads, with stride, dilation and TFLite's
// padding, for the forward windows (CONV_2D, DEPTHWISE_CONV_2D, the pools) and
// TRANSPOSE_CONV's (each output pixel gathers the input pixels that scatter
// to it). Taps that land in the padding (or, transposed, between input rows)
// are skipped. Kernels in conv_ref.cc, conv_int.cc and hybrid_ref.cc walk
// their windows through for_each_output and for_each_tap.
#pragma once

#include <cstdint>

#include "kernels/common.h"

namespace tfc::kernels {

// One spatial axis of a window.
struct WindowAxis {
  int32_t in = 1;        // input size
  int32_t out = 1;       // output size
  int32_t taps = 1;      // filter size
  int32_t stride = 1;
  int32_t dilation = 1;
  int32_t pad = 0;       // padding before (TFLite's rule)
  bool transposed = false;

  // The input index that tap k of output o reads, or -1 when there is none:
  //   forward:    i = o * stride - pad + k * dilation, in [0, in);
  //   transposed: i * stride = o + pad - k, in [0, in).
  int32_t input_index(int32_t o, int32_t k) const {
    if (!transposed) {
      const int32_t i = o * stride - pad + k * dilation;
      return i >= 0 && i < in ? i : -1;
    }
    const int32_t t = o + pad - k;
    if (t < 0 || t % stride != 0 || t / stride >= in) return -1;
    return t / stride;
  }
};

// The two spatial axes of an NHWC window.
struct Window {
  WindowAxis y, x;
};

// CONV_2D / DEPTHWISE_CONV_2D / the pools: input (in_h, in_w), filter
// (k_h, k_w), output (out_h, out_w) as window_output_size gives it.
inline WindowAxis forward_axis(int32_t in, int32_t out, int32_t taps, int32_t stride, int32_t dilation) {
  return {in, out, taps, stride, dilation, window_padding_before(in, taps, stride, dilation, out), false};
}
inline Window forward_window(int32_t in_h, int32_t in_w, int32_t out_h, int32_t out_w, int32_t k_h, int32_t k_w,
                             int32_t stride_h, int32_t stride_w, int32_t dilation_h = 1, int32_t dilation_w = 1) {
  return {forward_axis(in_h, out_h, k_h, stride_h, dilation_h), forward_axis(in_w, out_w, k_w, stride_w, dilation_w)};
}

// TRANSPOSE_CONV: the padding is that of the forward conv mapping the output
// size back to the input size.
inline WindowAxis transposed_axis(Padding padding, int32_t in, int32_t out, int32_t taps, int32_t stride) {
  const int32_t pad = window_padding_before(out, taps, stride, 1, window_output_size(padding, out, taps, stride, 1));
  return {in, out, taps, stride, 1, pad, true};
}
inline Window transposed_window(Padding padding, int32_t in_h, int32_t in_w, int32_t out_h, int32_t out_w,
                                int32_t k_h, int32_t k_w, int32_t stride_h, int32_t stride_w) {
  return {transposed_axis(padding, in_h, out_h, k_h, stride_h), transposed_axis(padding, in_w, out_w, k_w, stride_w)};
}

// f(n, oy, ox) for every output pixel, row-major. Both walks are forced
// inline: as calls, the kernels' loops lose their registers (measured 1.7x
// slower on an int8 conv).
template <typename F>
[[gnu::always_inline]] inline void for_each_output(const Window& w, int32_t batches, F&& f) {
  for (int32_t n = 0; n < batches; ++n)
    for (int32_t oy = 0; oy < w.y.out; ++oy)
      for (int32_t ox = 0; ox < w.x.out; ++ox) f(n, oy, ox);
}

// tap(ky, kx, iy, ix) for every filter tap of output pixel (oy, ox) that reads
// an input pixel, ky outer, kx inner.
template <typename Tap>
[[gnu::always_inline]] inline void for_each_tap(const Window& w, int32_t oy, int32_t ox, Tap&& tap) {
  const WindowAxis y = w.y, x = w.x;  // local copies stay in registers while tap writes memory
  for (int32_t ky = 0; ky < y.taps; ++ky) {
    const int32_t iy = y.input_index(oy, ky);
    if (iy < 0) continue;
    for (int32_t kx = 0; kx < x.taps; ++kx) {
      const int32_t ix = x.input_index(ox, kx);
      if (ix >= 0) tap(ky, kx, iy, ix);
    }
  }
}

// Flat offset of element (a, b, c, d) of a rank-4 row-major buffer.
inline int64_t offset4(Dims dims, int64_t a, int64_t b, int64_t c, int64_t d) {
  return ((a * dims[1] + b) * dims[2] + c) * dims[3] + d;
}

}  // namespace tfc::kernels
