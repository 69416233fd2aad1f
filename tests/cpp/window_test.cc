// Tests of the window walk (kernels/window.h): the tap range each output index
// gets equals, tap for tap, the taps whose input index the window's formula
// puts inside the input, for forward and transposed axes.
#include <gtest/gtest.h>

#include <vector>

#include "kernels/window.h"

namespace tfc::kernels {
namespace {

// The input index tap k of output o reads by the formula alone, or -1.
int32_t formula_index(const WindowAxis& a, int32_t o, int32_t k) {
  if (!a.transposed) {
    const int32_t i = o * a.stride - a.pad + k * a.dilation;
    return i >= 0 && i < a.in ? i : -1;
  }
  const int32_t t = o + a.pad - k;
  if (t < 0 || t % a.stride != 0 || t / a.stride >= a.in) return -1;
  return t / a.stride;
}

struct Tap {
  int32_t k, i;
  bool operator==(const Tap&) const = default;
};

std::vector<Tap> walked(const AxisTaps& t) {
  std::vector<Tap> out;
  for (int32_t j = 0; j < t.count; ++j) out.push_back({t.first + j * t.k_step, t.input + j * t.i_step});
  return out;
}

std::vector<Tap> expected(const WindowAxis& a, int32_t o) {
  std::vector<Tap> out;
  for (int32_t k = 0; k < a.taps; ++k)
    if (const int32_t i = formula_index(a, o, k); i >= 0) out.push_back({k, i});
  return out;
}

void check_all(bool transposed) {
  int32_t checked = 0;
  for (int32_t in = 1; in <= 9; ++in)
    for (int32_t taps = 1; taps <= 6; ++taps)
      for (int32_t stride = 1; stride <= 4; ++stride)
        for (int32_t dilation = 1; dilation <= (transposed ? 1 : 3); ++dilation)
          for (int32_t pad = -2; pad <= 7; ++pad)
            for (int32_t out = 1; out <= 12; ++out) {
              const WindowAxis a{in, out, taps, stride, dilation, pad, transposed};
              for (int32_t o = 0; o < out; ++o) {
                ASSERT_EQ(walked(a.taps_of(o)), expected(a, o))
                    << "in " << in << " taps " << taps << " stride " << stride << " dilation " << dilation << " pad "
                    << pad << " o " << o;
                ++checked;
              }
            }
  EXPECT_GT(checked, 0);
}

TEST(WindowTaps, ForwardRangeEqualsTheTapsInsideTheInput) { check_all(false); }

TEST(WindowTaps, TransposedRangeEqualsTheTapsThatLandOnAnInputPixel) { check_all(true); }

TEST(WindowTaps, ForEachTapWalksRowsThenColumnsAscending) {
  // 3x3 taps, stride 1, pad 1 on a 4x4 input: the corner output (0, 0)
  // reads taps (1..2, 1..2).
  const Window w = forward_window(4, 4, 4, 4, 3, 3, 1, 1);
  std::vector<std::vector<int32_t>> taps;
  for_each_tap(w, 0, 0, [&](int32_t ky, int32_t kx, int32_t iy, int32_t ix) { taps.push_back({ky, kx, iy, ix}); });
  const std::vector<std::vector<int32_t>> want{{1, 1, 0, 0}, {1, 2, 0, 1}, {2, 1, 1, 0}, {2, 2, 1, 1}};
  EXPECT_EQ(taps, want);
}

}  // namespace
}  // namespace tfc::kernels
