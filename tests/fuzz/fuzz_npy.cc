// libFuzzer harness for the .npy reader (parse_npy): any byte string gives an
// array or an error, never a crash, hang or sanitizer report. An array that
// parses is encoded again and must read back equal.
#include <cstddef>
#include <cstdint>
#include <span>

#include "io/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto array = tfc::parse_npy(std::span<const uint8_t>(data, size));
  if (!array.has_value()) return 0;
  auto bytes = tfc::encode_npy(*array);
  if (!bytes.has_value()) __builtin_trap();  // what we read we can write
  auto again = tfc::parse_npy(*bytes);
  if (!again.has_value() || again->dtype != array->dtype || again->shape != array->shape ||
      again->data != array->data) {
    __builtin_trap();
  }
  return 0;
}
