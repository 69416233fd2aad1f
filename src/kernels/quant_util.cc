#include "kernels/quant_util.h"

namespace tfc::kernels {

QuantizedMultiplier quantize_multiplier(double real) {
  if (!(real > 0.0) || !std::isfinite(real)) return {};
  int shift = 0;
  const double mantissa = std::frexp(real, &shift);  // real = mantissa * 2^shift, mantissa in [0.5, 1)
  auto q = static_cast<int64_t>(std::round(mantissa * static_cast<double>(int64_t{1} << 31)));
  if (q == (int64_t{1} << 31)) {
    q /= 2;
    ++shift;
  }
  if (shift < -31) return {};
  if (shift > 30) return {std::numeric_limits<int32_t>::max(), 30};
  return {static_cast<int32_t>(q), shift};
}

}  // namespace tfc::kernels
