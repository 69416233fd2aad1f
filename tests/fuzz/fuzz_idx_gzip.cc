// libFuzzer harness for the gzip path of the IDX reader (read_idx): the input
// is the decompressed content, gzip-compressed here (zlib, fastest level, small
// state) into a scratch file, so the fuzzer mutates the IDX header and data
// behind a valid gzip stream. Any content gives an array or an error, never a
// crash, hang or sanitizer report.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include <zlib.h>

#include "io/idx.h"
#include "fuzz_util.h"

namespace {

// The gzip member holding `size` bytes of `data`.
std::vector<uint8_t> gzip(const uint8_t* data, size_t size) {
  z_stream z{};
  constexpr int kGzipWindowBits = 16 + 9;  // gzip wrapper, smallest window
  if (deflateInit2(&z, 1, Z_DEFLATED, kGzipWindowBits, /*memLevel=*/1, Z_DEFAULT_STRATEGY) != Z_OK) std::abort();
  std::vector<uint8_t> out(deflateBound(&z, size));
  z.next_in = const_cast<uint8_t*>(data);
  z.avail_in = static_cast<uInt>(size);
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) std::abort();
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static tfc::fuzz::ScratchFile file("input.idx.gz");
  const std::vector<uint8_t> gz = gzip(data, size);
  auto array = tfc::read_idx(file.write(gz.data(), gz.size()));
  if (array.has_value() && static_cast<size_t>(array->num_elements()) * tfc::dtype_size(array->dtype) !=
                               array->data.size()) {
    __builtin_trap();
  }
  return 0;
}
