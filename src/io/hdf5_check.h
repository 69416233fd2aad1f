// Structural checks of HDF5 bytes made before libhdf5 1.10 reads them, for
// damage libhdf5 itself does not survive (found by fuzzing, docs/FUZZING.md):
// the superblock and end-of-file address, global heap collections, and the
// attribute messages of an object header (a name without its terminator, a
// variable-length string pointing at a heap object that does not exist or is
// longer than the string). Not a full validation of the format: the rest is
// left to libhdf5 (docs/FUZZING.md says what is not covered).
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>

#include "core/status.h"

namespace tfc::io {

struct Hdf5Layout {
  size_t offsets = 8;  // bytes of an address
  size_t lengths = 8;  // bytes of a length
  // Global heap collections by address: object index -> object size.
  std::map<uint64_t, std::map<uint64_t, uint64_t>> heaps;
};

// The signature at offset 0, a superblock of version 0-3 with 2, 4 or 8 byte
// offsets and lengths, base address 0, the end-of-file address within
// `bytes`, and every global heap collection walking to its end.
Expected<Hdf5Layout> check_hdf5_image(std::span<const uint8_t> bytes, const std::string& context);

// The attribute messages in the object header at `address` (version 1 or 2,
// continuation chunks followed): each name null-terminated within its
// message, the datatype and dataspace within it, and every variable-length
// element naming an object of `layout.heaps` no longer than its length.
Status check_attribute_messages(std::span<const uint8_t> bytes, uint64_t address, const Hdf5Layout& layout,
                                const std::string& context);

}  // namespace tfc::io
