// libFuzzer harness for the .npz reader (read_npz, libzip): any byte string,
// written to a scratch file, gives arrays or an error, never a crash, hang or
// sanitizer report. Every array read must encode as .npy again.
#include <cstddef>
#include <cstdint>

#include "io/npy.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static tfc::fuzz::ScratchFile file("input.npz");
  auto arrays = tfc::read_npz(file.write(data, size));
  if (!arrays.has_value()) return 0;
  for (const tfc::NamedArray& a : *arrays) {
    if (!tfc::encode_npy(a.array).has_value()) __builtin_trap();
  }
  return 0;
}
