// libFuzzer harness for calibration statistics files (calibration::load_stats,
// as `quantize --stats FILE` reads them): any byte string, written to a scratch
// file, gives statistics or an error, never a crash, hang or sanitizer report.
// Statistics that load are turned into clipping ranges by every range method,
// as quantization does next.
#include <cstddef>
#include <cstdint>

#include "calibration/ranges.h"
#include "calibration/stats.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static tfc::fuzz::ScratchFile file("stats.json");
  auto stats = tfc::calibration::load_stats(file.write(data, size));
  if (!stats.has_value()) return 0;
  using tfc::calibration::RangeMethod;
  for (RangeMethod method : {RangeMethod::kMinMax, RangeMethod::kMovingAverage, RangeMethod::kPercentile,
                             RangeMethod::kEntropy, RangeMethod::kMse}) {
    for (int bits : {8, 16}) {
      tfc::calibration::RangeOptions options;
      options.method = method;
      options.num_bits = bits;
      (void)tfc::calibration::compute_ranges(*stats, options);
    }
  }
  return 0;
}
