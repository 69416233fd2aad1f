// libFuzzer harness for the IDX reader (read_idx) on raw file bytes: plain IDX
// and, when the bytes start with the gzip magic, damaged gzip streams. Any byte
// string gives an array or an error, never a crash, hang or sanitizer report.
// Well-formed gzip content is fuzzed by fuzz_idx_gzip.
#include <cstddef>
#include <cstdint>

#include "io/idx.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static tfc::fuzz::ScratchFile file("input.idx");
  auto array = tfc::read_idx(file.write(data, size));
  if (array.has_value() && static_cast<size_t>(array->num_elements()) * tfc::dtype_size(array->dtype) !=
                               array->data.size()) {
    __builtin_trap();  // an array that parses holds exactly what its shape says
  }
  return 0;
}
