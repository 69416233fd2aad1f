#include "importers/savedmodel/tensor_bundle.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <filesystem>
#include <memory>

#include <google/protobuf/io/coded_stream.h>
#include <leveldb/iterator.h>
#include <leveldb/env.h>
#include <leveldb/options.h>
#include <leveldb/table.h>

#include "importers/savedmodel/tf_proto.h"
#include "io/file_util.h"
#include "tensor_bundle.pb.h"

namespace tfc::importers::savedmodel {
namespace {

constexpr int kMaxShards = 4096;

// leveldb's random-access file over bytes in memory.
class MemoryFile : public leveldb::RandomAccessFile {
 public:
  explicit MemoryFile(const std::vector<uint8_t>& bytes) : bytes_(bytes) {}
  leveldb::Status Read(uint64_t offset, size_t n, leveldb::Slice* result, char* scratch) const override {
    if (offset > bytes_.size()) return leveldb::Status::IOError("read past the end of the index");
    const size_t len = std::min<uint64_t>(n, bytes_.size() - offset);
    *result = leveldb::Slice(reinterpret_cast<const char*>(bytes_.data()) + offset, len);
    return leveldb::Status::OK();
  }

 private:
  const std::vector<uint8_t>& bytes_;
};

// A table block's place: `size` bytes at `offset`, then a 5-byte trailer
// (compression type, checksum).
struct BlockHandle {
  uint64_t offset = 0, size = 0;
};

constexpr uint64_t kFooterSize = 48, kTrailerSize = 5;

bool read_handle(google::protobuf::io::CodedInputStream& in, BlockHandle& h) {
  return in.ReadVarint64(&h.offset) && in.ReadVarint64(&h.size);
}

// leveldb allocates a block's bytes from its handle before reading them, and
// a compressed block's from its header: so before leveldb reads the table,
// every block handle (the footer's, the index block's entries) must lie
// inside the file, before the footer, and name an uncompressed block (as
// tensor bundles are written).
Status check_block(const std::vector<uint8_t>& file, const BlockHandle& h) {
  const uint64_t end = file.size() - kFooterSize;
  if (h.offset > end || h.size > end || h.offset + h.size + kTrailerSize > end) {
    return invalid_argument("variables.index: a block [{}, +{}) lies outside the file of {} bytes", h.offset, h.size,
                            file.size());
  }
  if (file[h.offset + h.size] != 0) return unsupported("variables.index: compressed table blocks are not supported");
  return Status::ok();
}

Status check_table_layout(const std::vector<uint8_t>& file) {
  if (file.size() < kFooterSize || file.size() > INT_MAX) {
    return invalid_argument("variables.index: {} bytes is no table tfcompress reads", file.size());
  }
  google::protobuf::io::CodedInputStream footer(file.data() + file.size() - kFooterSize, kFooterSize);
  BlockHandle meta, index;
  if (!read_handle(footer, meta) || !read_handle(footer, index)) return invalid_argument("variables.index: bad footer");
  TFC_RETURN_IF_ERROR(check_block(file, meta));
  TFC_RETURN_IF_ERROR(check_block(file, index));
  // The index block: prefix-compressed entries whose values are data block
  // handles, then the restart offsets (fixed32 each) and their count.
  const uint8_t* block = file.data() + index.offset;
  if (index.size < 4) return invalid_argument("variables.index: index block too short");
  uint32_t restarts = 0;
  std::memcpy(&restarts, block + index.size - 4, 4);
  if (restarts > (index.size - 4) / 4) return invalid_argument("variables.index: bad index block restarts");
  const auto entries = static_cast<int>(index.size - 4 - uint64_t{restarts} * 4);
  google::protobuf::io::CodedInputStream in(block, entries);
  while (in.CurrentPosition() < entries) {
    uint32_t shared = 0, unshared = 0, value_size = 0;
    BlockHandle data;
    if (!in.ReadVarint32(&shared) || !in.ReadVarint32(&unshared) || !in.ReadVarint32(&value_size) ||
        unshared > static_cast<uint32_t>(entries) || !in.Skip(static_cast<int>(unshared))) {
      return invalid_argument("variables.index: malformed index block");
    }
    const int value_end = in.CurrentPosition() + static_cast<int>(std::min<uint32_t>(value_size, entries));
    if (!read_handle(in, data) || in.CurrentPosition() > value_end || !in.Skip(value_end - in.CurrentPosition())) {
      return invalid_argument("variables.index: malformed index block entry");
    }
    TFC_RETURN_IF_ERROR(check_block(file, data));
  }
  return Status::ok();
}

// Calls `visit(key, value)` for each entry of the sorted table in `index`.
template <typename Visit>
Status for_each_entry(const std::vector<uint8_t>& index, Visit visit) {
  TFC_RETURN_IF_ERROR(check_table_layout(index));
  MemoryFile file(index);
  leveldb::Options options;
  options.paranoid_checks = true;
  leveldb::Table* raw = nullptr;
  leveldb::Status s = leveldb::Table::Open(options, &file, index.size(), &raw);
  if (!s.ok()) return invalid_argument("variables.index: not a tensor bundle index ({})", s.ToString());
  std::unique_ptr<leveldb::Table> table(raw);
  leveldb::ReadOptions read;
  read.verify_checksums = true;
  read.fill_cache = false;
  std::unique_ptr<leveldb::Iterator> it(table->NewIterator(read));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    TFC_RETURN_IF_ERROR(visit(it->key().ToString(), it->value()));
  }
  if (!it->status().ok()) return invalid_argument("variables.index: {}", it->status().ToString());
  return Status::ok();
}

std::span<const uint8_t> bytes_of(const leveldb::Slice& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace

Expected<int> TensorBundle::read_header(const std::vector<uint8_t>& index, const std::string& what) {
  tfproto::BundleHeaderProto header;
  bool found = false;
  TFC_RETURN_IF_ERROR(for_each_entry(index, [&](const std::string& key, const leveldb::Slice& value) -> Status {
    if (!key.empty()) return Status::ok();
    found = true;
    return parse_proto(bytes_of(value), header, what + " header");
  }));
  if (!found) return invalid_argument("{}: no bundle header (the entry with the empty key)", what);
  if (header.endianness() != tfproto::BundleHeaderProto::LITTLE) {
    return unsupported("{}: big-endian tensor bundles are not supported", what);
  }
  if (header.num_shards() < 1 || header.num_shards() > kMaxShards) {
    return invalid_argument("{}: {} data shards (1 to {} expected)", what, header.num_shards(), kMaxShards);
  }
  return header.num_shards();
}

Status TensorBundle::read_index(const std::vector<uint8_t>& index) {
  return for_each_entry(index, [&](const std::string& key, const leveldb::Slice& value) -> Status {
    if (key.empty()) return Status::ok();
    tfproto::BundleEntryProto proto;
    TFC_RETURN_IF_ERROR(parse_proto(bytes_of(value), proto, "variables.index entry '" + key + "'"));
    if (proto.slices_size() > 0) return unsupported("variable '{}': partitioned (sliced) variables are not supported", key);
    Entry e;
    e.tf_dtype = proto.dtype();
    e.shard = proto.shard_id();
    e.offset = proto.offset();
    e.size = proto.size();
    auto shape = static_shape(proto.shape(), "variable '" + key + "'");
    e.shape_known = shape.has_value();
    if (shape) e.shape = std::move(*shape);
    if (e.shard < 0 || static_cast<size_t>(e.shard) >= shards_.size()) {
      return invalid_argument("variable '{}': data shard {} of {}", key, e.shard, shards_.size());
    }
    const auto shard_size = static_cast<int64_t>(shards_[static_cast<size_t>(e.shard)].size());
    if (e.offset < 0 || e.size < 0 || e.offset > shard_size || e.size > shard_size - e.offset) {
      return invalid_argument("variable '{}': bytes [{}, +{}) lie outside data shard {} of {} bytes", key, e.offset,
                              e.size, e.shard, shard_size);
    }
    entries_[key] = std::move(e);
    return Status::ok();
  });
}

Expected<TensorBundle> TensorBundle::from_bytes(std::vector<uint8_t> index, std::vector<std::vector<uint8_t>> shards) {
  TFC_ASSIGN_OR_RETURN(int num_shards, read_header(index, "variables.index"));
  if (static_cast<size_t>(num_shards) != shards.size()) {
    return invalid_argument("variables.index: {} data shards named, {} given", num_shards, shards.size());
  }
  TensorBundle bundle;
  bundle.shards_ = std::move(shards);
  TFC_RETURN_IF_ERROR(bundle.read_index(index));
  return bundle;
}

Expected<TensorBundle> TensorBundle::open_dir(const std::string& dir) {
  namespace fs = std::filesystem;
  const fs::path index_path = fs::path(dir) / "variables.index";
  std::error_code ec;
  if (!fs::exists(index_path, ec)) return TensorBundle{};
  TFC_ASSIGN_OR_RETURN(std::vector<uint8_t> index, io::read_file(index_path.string()));
  TFC_ASSIGN_OR_RETURN(int num_shards, read_header(index, index_path.string()));
  std::vector<std::vector<uint8_t>> shards;
  for (int i = 0; i < num_shards; ++i) {
    const fs::path shard = fs::path(dir) / fmt::format("variables.data-{:05d}-of-{:05d}", i, num_shards);
    auto bytes = io::read_file(shard.string());
    if (!bytes) return invalid_argument("{}: missing data shard {} ({})", dir, shard.filename().string(), bytes.status().message());
    shards.push_back(std::move(*bytes));
  }
  return from_bytes(std::move(index), std::move(shards));
}

std::vector<std::string> TensorBundle::keys() const {
  std::vector<std::string> out;
  for (const auto& [key, _] : entries_) out.push_back(key);
  return out;
}

Expected<Array> TensorBundle::read(const std::string& key) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) return invalid_argument("variable '{}' is not in the checkpoint", key);
  const Entry& e = it->second;
  const std::string what = "variable '" + key + "'";
  Array out;
  TFC_ASSIGN_OR_RETURN(out.dtype, dtype_from_tf(e.tf_dtype));
  if (!e.shape_known) return invalid_argument("{}: shape is not static", what);
  out.shape = e.shape;
  TFC_ASSIGN_OR_RETURN(int64_t bytes, byte_size(out.dtype, out.shape, what));
  if (bytes != e.size) {
    return invalid_argument("{}: {} bytes stored for {} of {} bytes", what, e.size, dtype_name(out.dtype), bytes);
  }
  const auto& shard = shards_[static_cast<size_t>(e.shard)];
  out.data.assign(shard.begin() + e.offset, shard.begin() + e.offset + e.size);
  return out;
}

Expected<std::string> TensorBundle::read_string(const std::string& key) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) return invalid_argument("'{}' is not in the checkpoint", key);
  const Entry& e = it->second;
  if (e.tf_dtype != tfproto::DT_STRING || !e.shape_known || !e.shape.empty()) {
    return invalid_argument("'{}' is not a string scalar", key);
  }
  // A string tensor's bytes: each length as a varint64, a 4-byte checksum of
  // the lengths, then the strings.
  const auto& shard = shards_[static_cast<size_t>(e.shard)];
  google::protobuf::io::CodedInputStream in(shard.data() + e.offset, static_cast<int>(e.size));
  uint64_t length = 0;
  if (!in.ReadVarint64(&length) || !in.Skip(4) || length > static_cast<uint64_t>(e.size)) {
    return invalid_argument("'{}': malformed string tensor", key);
  }
  std::string out;
  if (!in.ReadString(&out, static_cast<int>(length))) return invalid_argument("'{}': string runs past its bytes", key);
  return out;
}

}  // namespace tfc::importers::savedmodel
