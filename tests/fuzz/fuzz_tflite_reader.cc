// libFuzzer harness for the TFLite reader: any byte string must give a model or
// an error, never a crash, hang or sanitizer report. A model that parses is also
// written back and read again (the writer must accept what the reader accepts).
#include <cstddef>
#include <cstdint>
#include <span>

#include "io/tflite_reader.h"
#include "io/tflite_writer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto model = tfc::io::parse_tflite(std::span<const uint8_t>(data, size));
  if (!model.has_value()) return 0;
  auto bytes = tfc::io::serialize_tflite(*model);
  if (bytes.has_value()) {
    auto again = tfc::io::parse_tflite(*bytes);
    if (!again.has_value()) __builtin_trap();  // our own output must read back
  }
  return 0;
}
