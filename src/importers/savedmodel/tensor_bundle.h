// A TensorFlow tensor bundle (a SavedModel's variables/): the index
// (variables.index, a sorted table of BundleEntryProto values keyed by
// checkpoint key, read with leveldb's table reader) and the data shards
// (variables.data-NNNNN-of-NNNNN). Every entry's shard, offset and size are
// checked against the shards when the bundle is opened; its dtype and shape
// when it is read.
// Not here: which variable a key belongs to (savedmodel.cc).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/array.h"
#include "core/status.h"

namespace tfc::importers::savedmodel {

class TensorBundle {
 public:
  // Reads <dir>/variables.index and its data shards. A directory without an
  // index is an empty bundle (a model without variables).
  static Expected<TensorBundle> open_dir(const std::string& dir);
  // The same from bytes: the index file and the data shards in order.
  static Expected<TensorBundle> from_bytes(std::vector<uint8_t> index, std::vector<std::vector<uint8_t>> shards);

  bool contains(const std::string& key) const { return entries_.count(key) != 0; }
  // Every checkpoint key, sorted.
  std::vector<std::string> keys() const;
  // The tensor stored under `key` (fixed-size dtypes only).
  Expected<Array> read(const std::string& key) const;
  // The string scalar stored under `key` (e.g. the checkpoint's object graph).
  Expected<std::string> read_string(const std::string& key) const;

 private:
  struct Entry {
    int tf_dtype = 0;
    std::vector<int64_t> shape;  // checked when read
    bool shape_known = false;
    int shard = 0;
    int64_t offset = 0, size = 0;
  };
  static Expected<int> read_header(const std::vector<uint8_t>& index, const std::string& what);
  Status read_index(const std::vector<uint8_t>& index);

  std::map<std::string, Entry> entries_;
  std::vector<std::vector<uint8_t>> shards_;
};

}  // namespace tfc::importers::savedmodel
