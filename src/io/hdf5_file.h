// Read-only access to an HDF5 file held in memory (libhdf5's C API, core
// driver with a file image: nothing is written to disk), for the Keras weight
// readers. Every libhdf5 error becomes an InvalidArgument naming the file's
// context and the object; libhdf5's own error printing is switched off. The
// bytes are checked before libhdf5 sees them (signature, superblock fields,
// end-of-file address within the real size), only hard links are followed,
// and datasets are read only when their type, rank, size and storage are
// plain (no filters, external or virtual storage) and fit the file's size.
// Not here: what Keras stores where (importers/keras/keras_file.cc).
#pragma once

#include <cstdint>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "core/array.h"
#include "core/status.h"
#include "io/hdf5_check.h"

namespace tfc::io {

class Hdf5File {
 public:
  // Opens the image `bytes` (kept for the checks, and copied by libhdf5);
  // `context` names it in every error ("model.weights.h5"). Fails on
  // anything that is not a complete HDF5 file.
  static Expected<Hdf5File> open(std::span<const uint8_t> bytes, const std::string& context);

  Hdf5File(Hdf5File&&) noexcept;
  Hdf5File& operator=(Hdf5File&&) noexcept;
  ~Hdf5File();

  const std::string& context() const { return context_; }

  // Whether `path` ("layers/dense/vars", relative to the root; "" is the
  // root) names a group reached through hard links only.
  bool has_group(const std::string& path) const;
  // The names of the hard links in group `path`, in name order.
  Expected<std::vector<std::string>> children(const std::string& path) const;
  // Whether the object at `path` has attribute `name` (an error when the
  // object's attribute messages are damaged, see hdf5_check.h).
  Expected<bool> has_attribute(const std::string& path, const std::string& name) const;
  // A string attribute (fixed- or variable-length, scalar or one element).
  Expected<std::string> string_attribute(const std::string& path, const std::string& name) const;
  // A list-of-strings attribute; an empty attribute of any type is an empty
  // list. When `name` is absent, its numbered parts name0, name1, ... are
  // read in turn and joined (how Keras 2 stores long lists); none gives an
  // empty list.
  Expected<std::vector<std::string>> string_list_attribute(const std::string& path, const std::string& name) const;
  // The dataset at `path` as an Array: float16/32/64, (u)int8/16/32/64.
  Expected<Array> read_dataset(const std::string& path) const;

 private:
  Hdf5File(int64_t file, std::string context, std::vector<uint8_t> bytes, Hdf5Layout layout);
  // Checks the attribute messages of the object `object` (hid_t) once.
  Status check_attributes(int64_t object) const;
  // The attribute `name` of `path`, its messages checked first.
  Expected<std::vector<std::string>> attribute(const std::string& path, const std::string& name) const;

  int64_t file_ = -1;  // hid_t
  std::string context_;
  std::vector<uint8_t> bytes_;  // the image: its size bounds what any dataset may hold
  Hdf5Layout layout_;
  mutable std::set<uint64_t> checked_;  // object header addresses whose attributes were checked
};

}  // namespace tfc::io
