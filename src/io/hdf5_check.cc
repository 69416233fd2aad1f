// HDF5 structural checks made before libhdf5 reads the bytes (see the header).
// Layouts follow the HDF5 file format specification (superblock versions 0-3,
// global heap collections, object header versions 1 and 2, attribute
// messages versions 1-3).
#include "io/hdf5_check.h"

#include <algorithm>
#include <cstring>
#include <set>
#include <vector>

namespace tfc::io {
namespace {

constexpr uint16_t kContinuation = 0x10;
constexpr uint16_t kAttribute = 0x0C;
constexpr int kVariableLengthClass = 9;
constexpr size_t kMaxChunks = 4096;

uint64_t read_le(std::span<const uint8_t> b, uint64_t at, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(b[at + i]) << (8 * i);
  return v;
}

uint64_t pad8(uint64_t n) { return (n + 7) / 8 * 8; }

// Every global heap collection ("GCOL", where variable-length strings live)
// must walk to its end: libhdf5 1.10 loops forever on an object of size 0 and
// steps out of its buffer on sizes past the end. Any offset with the
// signature and version 1 (what libhdf5 goes on to read) is taken, since a
// damaged reference can point anywhere; a collection running past the file is
// cut at its end.
Status read_global_heaps(std::span<const uint8_t> b, Hdf5Layout& layout, const std::string& context) {
  static constexpr uint8_t kMagic[4] = {'G', 'C', 'O', 'L'};
  const size_t header = 8 + layout.lengths;         // magic, version, reserved, collection size
  const size_t object_header = 8 + layout.lengths;  // index, references, reserved, object size
  for (auto it = std::search(b.begin(), b.end(), kMagic, kMagic + 4); it != b.end();
       it = std::search(it + 1, b.end(), kMagic, kMagic + 4)) {
    const size_t at = static_cast<size_t>(it - b.begin());
    if (b.size() - at < header) break;
    if (b[at + 4] != 1) continue;
    const uint64_t end = at + std::min<uint64_t>(read_le(b, at + 8, layout.lengths), b.size() - at);
    auto& objects = layout.heaps[at];
    for (uint64_t p = at + header; p + object_header <= end;) {
      const uint64_t index = read_le(b, p, 2);
      const uint64_t size = read_le(b, p + 8, layout.lengths);
      const uint64_t remaining = end - p;
      const uint64_t need = size > remaining ? remaining + 1 : index > 0 ? object_header + pad8(size) : size;
      if (need == 0 || need > remaining) {
        return invalid_argument("{}: damaged global heap at offset {} (object {} of {} bytes)", context, at, index, size);
      }
      if (index > 0) objects[index] = size;
      p += need;
    }
  }
  return Status::ok();
}

struct Chunk {
  uint64_t begin = 0;
  uint64_t end = 0;
  bool continuation = false;  // version 2: "OCHK" first, a checksum last
};

struct Message {
  uint16_t type = 0;
  uint8_t flags = 0;
  uint64_t begin = 0;  // its data
  uint64_t size = 0;
};

// The messages of an object header, continuation chunks followed.
class HeaderWalk {
 public:
  HeaderWalk(std::span<const uint8_t> b, const Hdf5Layout& layout, const std::string& context)
      : b_(b), layout_(layout), context_(context) {}

  Expected<std::vector<Message>> messages(uint64_t address) {
    if (address + 16 > b_.size()) return invalid_argument("{}: object header at {} is past the end", context_, address);
    if (std::memcmp(b_.data() + address, "OHDR", 4) == 0) {
      version_ = 2;
      TFC_RETURN_IF_ERROR(first_chunk_v2(address));
    } else if (b_[address] == 1) {
      const uint64_t size = read_le(b_, address + 8, 4);
      TFC_RETURN_IF_ERROR(add_chunk(address + 16, size, false));
    } else {
      return invalid_argument("{}: object header at {} has version {}", context_, address, b_[address]);
    }
    for (size_t i = 0; i < pending_.size(); ++i) TFC_RETURN_IF_ERROR(walk(pending_[i]));
    return std::move(found_);
  }

 private:
  Status first_chunk_v2(uint64_t address) {
    const uint8_t flags = b_[address + 5];
    uint64_t p = address + 6 + ((flags & 0x20) ? 16 : 0) + ((flags & 0x10) ? 4 : 0);
    const size_t width = size_t{1} << (flags & 3);
    if (p + width > b_.size()) return invalid_argument("{}: object header at {} is cut short", context_, address);
    creation_order_ = (flags & 0x04) != 0;
    const uint64_t size = read_le(b_, p, width);
    return add_chunk(p + width, size, false);
  }

  Status add_chunk(uint64_t begin, uint64_t size, bool continuation) {
    if (begin > b_.size() || size > b_.size() - begin) {
      return invalid_argument("{}: object header chunk at {} of {} bytes runs past the end", context_, begin, size);
    }
    if (pending_.size() >= kMaxChunks || !seen_.insert(begin).second) {
      return invalid_argument("{}: object header chunks loop or are too many (at {})", context_, begin);
    }
    pending_.push_back({begin, begin + size, continuation});
    return Status::ok();
  }

  Status walk(Chunk chunk) {
    uint64_t p = chunk.begin;
    uint64_t end = chunk.end;
    if (version_ == 2 && chunk.continuation) {
      if (end - p < 8 || std::memcmp(b_.data() + p, "OCHK", 4) != 0) {
        return invalid_argument("{}: object header continuation at {} is not a chunk", context_, p);
      }
      p += 4;
      end -= 4;
    }
    const uint64_t header = version_ == 2 ? 4 + (creation_order_ ? 2 : 0) : 8;
    while (end - p >= header) {
      Message m;
      m.type = version_ == 2 ? b_[p] : static_cast<uint16_t>(read_le(b_, p, 2));
      m.size = version_ == 2 ? read_le(b_, p + 1, 2) : read_le(b_, p + 2, 2);
      m.flags = version_ == 2 ? b_[p + 3] : b_[p + 4];
      m.begin = p + header;
      if (m.size > end - m.begin) {
        return invalid_argument("{}: object header message at {} of {} bytes runs past its chunk", context_, p, m.size);
      }
      if (m.type == kContinuation) {
        if (m.size < layout_.offsets + layout_.lengths) return invalid_argument("{}: short continuation at {}", context_, p);
        TFC_RETURN_IF_ERROR(add_chunk(read_le(b_, m.begin, layout_.offsets),
                                      read_le(b_, m.begin + layout_.offsets, layout_.lengths), true));
      }
      found_.push_back(m);
      p = m.begin + m.size;
    }
    return Status::ok();
  }

  std::span<const uint8_t> b_;
  const Hdf5Layout& layout_;
  const std::string& context_;
  int version_ = 1;
  bool creation_order_ = false;
  std::vector<Chunk> pending_;
  std::set<uint64_t> seen_;
  std::vector<Message> found_;
};

// Variable-length elements (length, heap address, object index) of an
// attribute's data must name a heap object of exactly length x base-size
// bytes: libhdf5 1.10 checks the index by assertion only, allocates what the
// length says and copies the object into it.
Status check_variable_length(std::span<const uint8_t> b, uint64_t data, uint64_t count, uint64_t base_size,
                             const Hdf5Layout& layout, const std::string& where) {
  const uint64_t element = 4 + layout.offsets + 4;
  const uint64_t end = data + count * element;
  const uint64_t undefined = layout.offsets == 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * layout.offsets)) - 1;
  for (uint64_t p = data; p + element <= end; p += element) {
    const uint64_t length = read_le(b, p, 4);
    const uint64_t address = read_le(b, p + 4, layout.offsets);
    const uint64_t index = read_le(b, p + 4 + layout.offsets, 4);
    if (address == 0 || address == undefined) continue;  // a null element
    auto heap = layout.heaps.find(address);
    const auto* objects = heap == layout.heaps.end() ? nullptr : &heap->second;
    auto object = objects ? objects->find(index) : decltype(heap->second.find(index)){};
    if (objects == nullptr || object == objects->end() || object->second != length * base_size) {
      return invalid_argument("{}: variable-length element refers to object {} of a global heap at {} that {}", where,
                              index, address, objects == nullptr ? "is not there" : "does not hold exactly its length");
    }
  }
  return Status::ok();
}

// The number of elements a dataspace message (version 1 or 2) describes.
Expected<uint64_t> element_count(std::span<const uint8_t> b, uint64_t space, uint64_t size, const Hdf5Layout& layout,
                                 const std::string& where) {
  if (size < 4) return invalid_argument("{}: dataspace too short", where);
  const int version = b[space];
  const uint64_t rank = b[space + 1];
  if (version == 2 && b[space + 3] == 2) return uint64_t{0};  // null dataspace
  const uint64_t dims = space + (version == 1 ? 8 : 4);
  if (version < 1 || version > 2 || dims + rank * layout.lengths > space + size) {
    return invalid_argument("{}: bad dataspace", where);
  }
  uint64_t count = 1;
  for (uint64_t i = 0; i < rank; ++i) {
    const uint64_t d = read_le(b, dims + i * layout.lengths, layout.lengths);
    if (d != 0 && count > b.size() / d) return invalid_argument("{}: dataspace larger than the file", where);
    count *= d;
  }
  return count;
}

Status check_attribute(std::span<const uint8_t> b, const Message& m, const Hdf5Layout& layout,
                       const std::string& context) {
  const std::string where = fmt::format("{}: attribute message at {}", context, m.begin);
  if (m.flags & 0x02) return unsupported("{}: shared datatype or dataspace", where);
  if (m.size < 8) return invalid_argument("{}: too short", where);
  const int version = b[m.begin];
  if (version < 1 || version > 3) return invalid_argument("{}: version {}", where, version);
  if (version >= 2 && (b[m.begin + 1] & 0x03)) return unsupported("{}: shared datatype or dataspace", where);
  const uint64_t name_size = read_le(b, m.begin + 2, 2);
  const uint64_t type_size = read_le(b, m.begin + 4, 2);
  const uint64_t space_size = read_le(b, m.begin + 6, 2);
  const auto field = [&](uint64_t n) { return version == 1 ? pad8(n) : n; };
  const uint64_t name = m.begin + 8 + (version == 3 ? 1 : 0);
  const uint64_t type = name + field(name_size);
  const uint64_t data = type + field(type_size) + field(space_size);
  const uint64_t end = m.begin + m.size;
  if (name_size == 0 || data > end || b[name + name_size - 1] != 0) {
    return invalid_argument("{}: name, datatype or dataspace runs past the message", where);
  }
  if (type_size < 8) return invalid_argument("{}: datatype too short", where);
  // libhdf5 copies elements x datatype size bytes of data out of the message.
  TFC_ASSIGN_OR_RETURN(uint64_t count, element_count(b, type + field(type_size), space_size, layout, where));
  const bool variable = (b[type] & 0x0f) == kVariableLengthClass;
  const uint64_t element = variable ? 4 + layout.offsets + 4 : read_le(b, type + 4, 4);
  if (element != 0 && count > (end - data) / element) return invalid_argument("{}: data runs past the message", where);
  if (!variable) return Status::ok();
  const uint64_t base_size = type_size >= 16 ? read_le(b, type + 12, 4) : 0;
  if (base_size == 0) return invalid_argument("{}: variable-length type without a base type", where);
  return check_variable_length(b, data, count, base_size, layout, where);
}

}  // namespace

Expected<Hdf5Layout> check_hdf5_image(std::span<const uint8_t> b, const std::string& context) {
  static constexpr uint8_t kSignature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  if (b.size() < 8 || std::memcmp(b.data(), kSignature, 8) != 0) {
    return invalid_argument("{}: not an HDF5 file (no signature at offset 0)", context);
  }
  if (b.size() < 16) return invalid_argument("{}: truncated HDF5 superblock", context);
  const int version = b[8];
  if (version > 3) return unsupported("{}: HDF5 superblock version {}", context, version);
  Hdf5Layout layout;
  layout.offsets = version < 2 ? b[13] : b[9];
  layout.lengths = version < 2 ? b[14] : b[10];
  const auto valid_size = [](size_t n) { return n == 2 || n == 4 || n == 8; };
  if (!valid_size(layout.offsets) || !valid_size(layout.lengths)) {
    return invalid_argument("{}: HDF5 superblock sizes of offsets {} and lengths {}", context, layout.offsets,
                            layout.lengths);
  }
  const size_t addresses = version == 0 ? 24 : version == 1 ? 28 : 12;
  const size_t end = addresses + 4 * layout.offsets + (version < 2 ? 0 : 4);
  if (b.size() < end) return invalid_argument("{}: truncated HDF5 superblock", context);
  const uint64_t base = read_le(b, addresses, layout.offsets);
  const uint64_t eof = read_le(b, addresses + 2 * layout.offsets, layout.offsets);
  if (base != 0) return unsupported("{}: HDF5 base address {} (user blocks are not read)", context, base);
  if (eof > b.size() || eof < end) {
    return invalid_argument("{}: truncated HDF5 file: its superblock gives {} bytes, the file has {}", context, eof,
                            b.size());
  }
  TFC_RETURN_IF_ERROR(read_global_heaps(b, layout, context));
  return layout;
}

Status check_attribute_messages(std::span<const uint8_t> b, uint64_t address, const Hdf5Layout& layout,
                                const std::string& context) {
  HeaderWalk walk(b, layout, context);
  TFC_ASSIGN_OR_RETURN(std::vector<Message> messages, walk.messages(address));
  for (const Message& m : messages) {
    if (m.type == kAttribute) TFC_RETURN_IF_ERROR(check_attribute(b, m, layout, context));
  }
  return Status::ok();
}

}  // namespace tfc::io
