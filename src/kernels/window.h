// The one window walk of the conv family and pooling: which input pixel each
// filter tap of an output pixel reads, with stride, dilation and TFLite's
// padding, for the forward windows (CONV_2D, DEPTHWISE_CONV_2D, the pools) and
// TRANSPOSE_CONV's (each output pixel gathers the input pixels that scatter
// to it). Taps that land in the padding (or, transposed, between input rows)
// are skipped: each axis gives the range of taps that read an input pixel
// per output index (WindowAxis::taps_of), so no tap is checked on its own.
// Kernels in conv_ref.cc, conv_int.cc and hybrid_ref.cc walk their windows
// through for_each_output and for_each_tap.
#pragma once

#include <algorithm>
#include <cstdint>

#include "kernels/common.h"

namespace tfc::kernels {

// The taps of one output index along one axis that read an input pixel.
struct AxisTaps {
  int32_t first = 0, k_step = 1, count = 0;  // taps first + j * k_step, j in [0, count)
  int32_t input = 0, i_step = 1;             // the input index tap j reads: input + j * i_step
};

// One spatial axis of a window.
struct WindowAxis {
  int32_t in = 1;        // input size
  int32_t out = 1;       // output size
  int32_t taps = 1;      // filter size
  int32_t stride = 1;
  int32_t dilation = 1;
  int32_t pad = 0;       // padding before (TFLite's rule)
  bool transposed = false;

  // The taps of output o that read an input pixel, ascending k: tap
  // k = first + j * k_step reads input index i = input + j * i_step for j in
  // [0, count). Computed once per output index, so the walk checks no tap
  // against the input bounds:
  //   forward:    i = o * stride - pad + k * dilation, in [0, in);
  //   transposed: i * stride = o + pad - k, in [0, in).
  AxisTaps taps_of(int32_t o) const {
    if (!transposed) {
      const int32_t base = o * stride - pad;  // the input index of tap 0
      if (base >= 0 && base + (taps - 1) * dilation < in) return {0, 1, taps, base, dilation};  // inside
      const int32_t first = base >= 0 ? 0 : (-base + dilation - 1) / dilation;
      const int32_t end = in > base ? std::min(taps, (in - base + dilation - 1) / dilation) : 0;
      return {first, 1, std::max(end - first, 0), base + first * dilation, dilation};
    }
    const int32_t t = o + pad;                          // tap k reads (t - k) / stride where stride divides it
    const int32_t lo = std::max(0, t - in * stride + 1);  // (t - k) / stride < in
    const int32_t hi = std::min(taps - 1, t);             // t - k >= 0
    if (lo > hi) return {};
    const int32_t first = lo + (t - lo) % stride;
    const int32_t count = first <= hi ? (hi - first) / stride + 1 : 0;
    return {first, stride, count, (t - first) / stride, -1};
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

// The taps of one output pixel. Kernels that walk the same pixel's taps
// once per output channel compute them once (pixel_taps).
struct PixelTaps {
  AxisTaps y, x;
};
inline PixelTaps pixel_taps(const Window& w, int32_t oy, int32_t ox) { return {w.y.taps_of(oy), w.x.taps_of(ox)}; }

// tap(ky, kx, iy, ix) for every filter tap of an output pixel that reads an
// input pixel, ky outer, kx inner, both ascending.
template <typename Tap>
[[gnu::always_inline]] inline void for_each_tap(const PixelTaps& t, Tap&& tap) {
  const AxisTaps y = t.y, x = t.x;  // local copies stay in registers while tap writes memory
  for (int32_t j = 0, ky = y.first, iy = y.input; j < y.count; ++j, ky += y.k_step, iy += y.i_step)
    for (int32_t i = 0, kx = x.first, ix = x.input; i < x.count; ++i, kx += x.k_step, ix += x.i_step)
      tap(ky, kx, iy, ix);
}
template <typename Tap>
[[gnu::always_inline]] inline void for_each_tap(const Window& w, int32_t oy, int32_t ox, Tap&& tap) {
  for_each_tap(pixel_taps(w, oy, ox), tap);
}

// Flat offset of element (a, b, c, d) of a rank-4 row-major buffer.
inline int64_t offset4(Dims dims, int64_t a, int64_t b, int64_t c, int64_t d) {
  return ((a * dims[1] + b) * dims[2] + c) * dims[3] + d;
}

}  // namespace tfc::kernels
