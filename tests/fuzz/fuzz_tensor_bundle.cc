// libFuzzer harness for the tensor bundle reader (variables.index through
// leveldb's table reader, BundleEntryProto checks against the data shard):
// the input is a 4-byte little-endian index length, the index bytes, then the
// one data shard. Opening gives a bundle or an error; reading every key gives
// a tensor of exactly its shape's size or an error, never a crash.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "importers/savedmodel/tensor_bundle.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  const size_t n = std::min<size_t>(size - 4, data[0] | (data[1] << 8) | (data[2] << 16) | (size_t{data[3]} << 24));
  std::vector<uint8_t> index(data + 4, data + 4 + n), shard(data + 4 + n, data + size);
  auto bundle = tfc::importers::savedmodel::TensorBundle::from_bytes(std::move(index), {std::move(shard)});
  if (!bundle.has_value()) return 0;
  for (const std::string& key : bundle->keys()) {
    auto value = bundle->read(key);
    if (value.has_value() && static_cast<int64_t>(value->data.size()) !=
                                 value->num_elements() * static_cast<int64_t>(tfc::dtype_size(value->dtype))) {
      __builtin_trap();
    }
  }
  return 0;
}
