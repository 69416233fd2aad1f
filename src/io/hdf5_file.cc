// Hdf5File: RAII handles over libhdf5's C API, a file image opened with the
// core driver, and the checks made before and while reading (see the header).
#include "io/hdf5_file.h"

#include <hdf5.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>

namespace tfc::io {
namespace {

constexpr int kMaxRank = 8;
constexpr size_t kMaxChildren = 1 << 20;
constexpr size_t kMaxAttributeParts = 1 << 16;

// One libhdf5 identifier, closed with the function that fits its kind.
class Handle {
 public:
  Handle() = default;
  explicit Handle(hid_t id) : id_(id) {}
  Handle(Handle&& o) noexcept : id_(std::exchange(o.id_, -1)) {}
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = std::exchange(o.id_, -1);
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }

 private:
  void reset() {
    if (id_ < 0) return;
    switch (H5Iget_type(id_)) {
      case H5I_FILE: H5Fclose(id_); break;
      case H5I_GROUP: H5Gclose(id_); break;
      case H5I_DATASET: H5Dclose(id_); break;
      case H5I_DATATYPE: H5Tclose(id_); break;
      case H5I_DATASPACE: H5Sclose(id_); break;
      case H5I_ATTR: H5Aclose(id_); break;
      case H5I_GENPROP_LST: H5Pclose(id_); break;
      default: H5Oclose(id_); break;
    }
    id_ = -1;
  }
  hid_t id_ = -1;
};

// libhdf5 prints its error stack by default; errors are returned instead.
void silence_libhdf5() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

herr_t keep_first(unsigned n, const H5E_error2_t* e, void* out) {
  auto* message = static_cast<std::string*>(out);
  if (n == 0 && e->desc != nullptr) *message = e->desc;
  return 0;
}

// The innermost message on libhdf5's error stack (then cleared).
std::string libhdf5_message() {
  std::string message;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, keep_first, &message);
  H5Eclear2(H5E_DEFAULT);
  return message.empty() ? "libhdf5 error" : message;
}

uint64_t read_le(std::span<const uint8_t> b, size_t at, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(b[at + i]) << (8 * i);
  return v;
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t end = std::min(path.find('/', start), path.size());
    if (end > start) parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

std::string shown(const std::string& path) { return path.empty() ? "/" : path; }

// Opens `path` from the root, following hard links only: a soft or external
// link could lead anywhere, another file included.
Expected<Handle> open_object(hid_t file, const std::string& path, const std::string& context) {
  std::string walked;
  for (const std::string& part : split_path(path)) {
    walked += walked.empty() ? part : "/" + part;
    H5L_info_t info;
    if (H5Lexists(file, walked.c_str(), H5P_DEFAULT) <= 0 ||
        H5Lget_info(file, walked.c_str(), &info, H5P_DEFAULT) < 0) {
      H5Eclear2(H5E_DEFAULT);
      return invalid_argument("{}: no object '{}'", context, walked);
    }
    if (info.type != H5L_TYPE_HARD) return invalid_argument("{}: '{}' is not a hard link", context, walked);
  }
  Handle object(H5Oopen(file, path.empty() ? "/" : path.c_str(), H5P_DEFAULT));
  if (!object.valid()) return invalid_argument("{}: cannot open '{}': {}", context, shown(path), libhdf5_message());
  return object;
}

herr_t collect_hard_link(hid_t, const char* name, const H5L_info_t* info, void* out) {
  auto* names = static_cast<std::vector<std::string>*>(out);
  if (info->type == H5L_TYPE_HARD) names->emplace_back(name);
  return names->size() > kMaxChildren ? 1 : 0;
}

// Strings of attribute `attr` of string type `type`, `count` elements.
Expected<std::vector<std::string>> read_strings(hid_t attr, hid_t type, size_t count, const std::string& where) {
  std::vector<std::string> out;
  if (H5Tis_variable_str(type) > 0) {
    Handle memtype(H5Tcopy(H5T_C_S1));
    H5Tset_size(memtype.get(), H5T_VARIABLE);
    H5Tset_cset(memtype.get(), H5Tget_cset(type));
    std::vector<char*> ptrs(count, nullptr);
    if (H5Aread(attr, memtype.get(), ptrs.data()) < 0) {
      return invalid_argument("{}: cannot read: {}", where, libhdf5_message());
    }
    for (char* p : ptrs) out.emplace_back(p == nullptr ? "" : p);
    Handle space(H5Aget_space(attr));
    H5Dvlen_reclaim(memtype.get(), space.get(), H5P_DEFAULT, ptrs.data());
    return out;
  }
  const size_t width = H5Tget_size(type);
  if (width == 0 || count > std::numeric_limits<size_t>::max() / width) {
    return invalid_argument("{}: bad string size {}", where, width);
  }
  std::vector<char> buffer(count * width);
  Handle memtype(H5Tcopy(type));
  if (buffer.empty() || H5Aread(attr, memtype.get(), buffer.data()) < 0) {
    return invalid_argument("{}: cannot read: {}", where, libhdf5_message());
  }
  for (size_t i = 0; i < count; ++i) {
    const char* s = buffer.data() + i * width;
    out.emplace_back(s, strnlen(s, width));  // null-terminated or null-padded
  }
  return out;
}

// All strings of attribute `name` of object `path`; an empty non-string
// attribute is an empty list (Keras 2 writes [] as an empty float64 array).
Expected<std::vector<std::string>> attribute_strings(hid_t file, const std::string& path, const std::string& name,
                                                     const std::string& context, uint64_t max_bytes) {
  const std::string where = fmt::format("{}: attribute '{}' of '{}'", context, name, shown(path));
  TFC_ASSIGN_OR_RETURN(Handle object, open_object(file, path, context));
  Handle attr(H5Aopen(object.get(), name.c_str(), H5P_DEFAULT));
  if (!attr.valid()) return invalid_argument("{}: cannot open: {}", where, libhdf5_message());
  Handle type(H5Aget_type(attr.get()));
  Handle space(H5Aget_space(attr.get()));
  const hssize_t count = H5Sget_simple_extent_npoints(space.get());
  if (!type.valid() || !space.valid() || count < 0) return invalid_argument("{}: {}", where, libhdf5_message());
  if (count == 0) return std::vector<std::string>{};
  if (H5Tget_class(type.get()) != H5T_STRING) return invalid_argument("{}: not a string", where);
  if (H5Tis_variable_str(type.get()) <= 0 &&
      static_cast<uint64_t>(count) > max_bytes / std::max<size_t>(1, H5Tget_size(type.get()))) {
    return invalid_argument("{}: {} strings of {} bytes are more than the file holds", where, count,
                            H5Tget_size(type.get()));
  }
  if (static_cast<uint64_t>(count) > max_bytes) return invalid_argument("{}: {} strings", where, count);
  return read_strings(attr.get(), type.get(), static_cast<size_t>(count), where);
}

// IEEE half precision, little-endian (libhdf5 1.10 has no predefined type).
Handle half_type() {
  Handle t(H5Tcopy(H5T_IEEE_F32LE));
  H5Tset_fields(t.get(), 15, 10, 5, 0, 10);
  H5Tset_size(t.get(), 2);
  H5Tset_ebias(t.get(), 15);
  H5Tset_precision(t.get(), 16);
  return t;
}

struct MemType {
  DType dtype;
  Handle type;
};

// The Array dtype and memory type libhdf5 converts the file's type to.
Expected<MemType> mem_type(hid_t type, const std::string& where) {
  const H5T_class_t cls = H5Tget_class(type);
  const size_t size = H5Tget_size(type);
  if (cls == H5T_FLOAT) {
    if (size == 2) return MemType{DType::kFloat16, half_type()};
    if (size == 4) return MemType{DType::kFloat32, Handle(H5Tcopy(H5T_NATIVE_FLOAT))};
    if (size == 8) return MemType{DType::kFloat64, Handle(H5Tcopy(H5T_NATIVE_DOUBLE))};
  }
  if (cls == H5T_INTEGER) {
    const bool sign = H5Tget_sign(type) == H5T_SGN_2;
    switch (size) {
      case 1: return MemType{sign ? DType::kInt8 : DType::kUInt8, Handle(H5Tcopy(sign ? H5T_NATIVE_INT8 : H5T_NATIVE_UINT8))};
      case 2: return MemType{sign ? DType::kInt16 : DType::kUInt16, Handle(H5Tcopy(sign ? H5T_NATIVE_INT16 : H5T_NATIVE_UINT16))};
      case 4: return MemType{sign ? DType::kInt32 : DType::kUInt32, Handle(H5Tcopy(sign ? H5T_NATIVE_INT32 : H5T_NATIVE_UINT32))};
      case 8: return MemType{sign ? DType::kInt64 : DType::kUInt64, Handle(H5Tcopy(sign ? H5T_NATIVE_INT64 : H5T_NATIVE_UINT64))};
      default: break;
    }
  }
  return unsupported("{}: element type (HDF5 class {}, {} bytes) is not a float or integer type tfcompress reads",
                     where, static_cast<int>(cls), size);
}

// Rank, dimensions and byte size of a dataset's space, checked.
Expected<std::vector<int64_t>> dataset_shape(hid_t space, const std::string& where) {
  if (H5Sget_simple_extent_type(space) == H5S_NULL) return invalid_argument("{}: has a null dataspace", where);
  const int rank = H5Sget_simple_extent_ndims(space);
  if (rank < 0 || rank > kMaxRank) return invalid_argument("{}: rank {} (at most {})", where, rank, kMaxRank);
  hsize_t dims[kMaxRank] = {};
  if (H5Sget_simple_extent_dims(space, dims, nullptr) < 0) return invalid_argument("{}: bad dimensions", where);
  return std::vector<int64_t>(dims, dims + rank);
}

// Plain storage only: no filters (Keras never compresses), no external
// files, no virtual dataset.
Status check_storage(hid_t dataset, const std::string& where) {
  Handle plist(H5Dget_create_plist(dataset));
  if (!plist.valid()) return invalid_argument("{}: {}", where, libhdf5_message());
  const H5D_layout_t layout = H5Pget_layout(plist.get());
  if (layout != H5D_CONTIGUOUS && layout != H5D_CHUNKED && layout != H5D_COMPACT) {
    return unsupported("{}: storage layout {} (only contiguous, chunked or compact)", where, static_cast<int>(layout));
  }
  if (H5Pget_nfilters(plist.get()) != 0) return unsupported("{}: compressed or filtered data", where);
  if (H5Pget_external_count(plist.get()) != 0) return unsupported("{}: data in external files", where);
  return Status::ok();
}

// Every global heap collection ("GCOL", where variable-length strings live)
// must walk to its end: libhdf5 1.10 loops forever on an object of size 0 and
// steps out of its buffer on sizes past the end. Any offset with the
// signature and version 1 (what libhdf5 goes on to read) is checked, since a
// damaged reference can point anywhere; a collection running past the file is
// cut at its end.
Status check_global_heaps(std::span<const uint8_t> b, size_t lengths, const std::string& context) {
  static constexpr uint8_t kMagic[4] = {'G', 'C', 'O', 'L'};
  const size_t header = 8 + lengths;        // magic, version, reserved, collection size
  const size_t object_header = 8 + lengths;  // index, references, reserved, object size
  for (auto it = std::search(b.begin(), b.end(), kMagic, kMagic + 4); it != b.end();
       it = std::search(it + 1, b.end(), kMagic, kMagic + 4)) {
    const size_t at = static_cast<size_t>(it - b.begin());
    if (b.size() - at < header) break;
    if (b[at + 4] != 1) continue;
    const uint64_t declared = read_le(b, at + 8, lengths);
    const uint64_t end = at + std::min<uint64_t>(declared, b.size() - at);
    for (uint64_t p = at + header; p + object_header <= end;) {
      const uint64_t index = read_le(b, p, 2);
      const uint64_t size = read_le(b, p + 8, lengths);
      const uint64_t remaining = end - p;
      const uint64_t need = size > remaining ? remaining + 1 : index > 0 ? object_header + (size + 7) / 8 * 8 : size;
      if (need == 0 || need > remaining) {
        return invalid_argument("{}: damaged global heap at offset {} (object {} of {} bytes)", context, at, index, size);
      }
      p += need;
    }
  }
  return Status::ok();
}

}  // namespace

Status check_hdf5_image(std::span<const uint8_t> b, const std::string& context) {
  static constexpr uint8_t kSignature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  if (b.size() < 8 || std::memcmp(b.data(), kSignature, 8) != 0) {
    return invalid_argument("{}: not an HDF5 file (no signature at offset 0)", context);
  }
  if (b.size() < 16) return invalid_argument("{}: truncated HDF5 superblock", context);
  const int version = b[8];
  if (version > 3) return unsupported("{}: HDF5 superblock version {}", context, version);
  const size_t offsets = version < 2 ? b[13] : b[9];
  const size_t lengths = version < 2 ? b[14] : b[10];
  const auto valid_size = [](size_t n) { return n == 2 || n == 4 || n == 8; };
  if (!valid_size(offsets) || !valid_size(lengths)) {
    return invalid_argument("{}: HDF5 superblock sizes of offsets {} and lengths {}", context, offsets, lengths);
  }
  const size_t addresses = version == 0 ? 24 : version == 1 ? 28 : 12;
  const size_t end = addresses + 4 * offsets + (version < 2 ? 0 : 4);
  if (b.size() < end) return invalid_argument("{}: truncated HDF5 superblock", context);
  const uint64_t base = read_le(b, addresses, offsets);
  const uint64_t eof = read_le(b, addresses + 2 * offsets, offsets);
  if (base != 0) return unsupported("{}: HDF5 base address {} (user blocks are not read)", context, base);
  if (eof > b.size() || eof < end) {
    return invalid_argument("{}: truncated HDF5 file: its superblock gives {} bytes, the file has {}", context,
                            eof, b.size());
  }
  return check_global_heaps(b, lengths, context);
}

Expected<Hdf5File> Hdf5File::open(std::span<const uint8_t> bytes, const std::string& context) {
  silence_libhdf5();
  TFC_RETURN_IF_ERROR(check_hdf5_image(bytes, context));
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS));
  if (!fapl.valid() || H5Pset_fapl_core(fapl.get(), 1 << 16, 0) < 0 ||
      H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG) < 0 ||
      H5Pset_file_image(fapl.get(), const_cast<uint8_t*>(bytes.data()), bytes.size()) < 0) {
    return internal_error("{}: cannot set up an HDF5 file image: {}", context, libhdf5_message());
  }
  const hid_t file = H5Fopen(context.c_str(), H5F_ACC_RDONLY, fapl.get());
  if (file < 0) return invalid_argument("{}: not a readable HDF5 file: {}", context, libhdf5_message());
  return Hdf5File(file, context, bytes.size());
}

Hdf5File::Hdf5File(int64_t file, std::string context, uint64_t size)
    : file_(file), context_(std::move(context)), size_(size) {}

Hdf5File::Hdf5File(Hdf5File&& o) noexcept
    : file_(std::exchange(o.file_, -1)), context_(std::move(o.context_)), size_(o.size_) {}

Hdf5File& Hdf5File::operator=(Hdf5File&& o) noexcept {
  if (this != &o) {
    if (file_ >= 0) H5Fclose(file_);
    file_ = std::exchange(o.file_, -1);
    context_ = std::move(o.context_);
    size_ = o.size_;
  }
  return *this;
}

Hdf5File::~Hdf5File() {
  if (file_ >= 0) H5Fclose(file_);
}

bool Hdf5File::has_group(const std::string& path) const {
  auto object = open_object(file_, path, context_);
  return object.has_value() && H5Iget_type(object->get()) == H5I_GROUP;
}

Expected<std::vector<std::string>> Hdf5File::children(const std::string& path) const {
  TFC_ASSIGN_OR_RETURN(Handle group, open_object(file_, path, context_));
  if (H5Iget_type(group.get()) != H5I_GROUP) return invalid_argument("{}: '{}' is not a group", context_, shown(path));
  std::vector<std::string> names;
  hsize_t index = 0;
  if (H5Literate(group.get(), H5_INDEX_NAME, H5_ITER_INC, &index, collect_hard_link, &names) < 0) {
    return invalid_argument("{}: cannot list group '{}': {}", context_, shown(path), libhdf5_message());
  }
  if (names.size() > kMaxChildren) return invalid_argument("{}: group '{}' has too many members", context_, path);
  return names;
}

bool Hdf5File::has_attribute(const std::string& path, const std::string& name) const {
  auto object = open_object(file_, path, context_);
  if (!object.has_value()) return false;
  const htri_t exists = H5Aexists(object->get(), name.c_str());
  if (exists < 0) H5Eclear2(H5E_DEFAULT);
  return exists > 0;
}

Expected<std::string> Hdf5File::string_attribute(const std::string& path, const std::string& name) const {
  TFC_ASSIGN_OR_RETURN(auto strings, attribute_strings(file_, path, name, context_, size_));
  if (strings.size() != 1) {
    return invalid_argument("{}: attribute '{}' of '{}' holds {} strings, expected one", context_, name,
                            shown(path), strings.size());
  }
  return std::move(strings[0]);
}

Expected<std::vector<std::string>> Hdf5File::string_list_attribute(const std::string& path,
                                                                    const std::string& name) const {
  if (has_attribute(path, name)) return attribute_strings(file_, path, name, context_, size_);
  std::vector<std::string> all;
  for (size_t part = 0; part < kMaxAttributeParts; ++part) {
    const std::string part_name = name + std::to_string(part);
    if (!has_attribute(path, part_name)) return all;
    TFC_ASSIGN_OR_RETURN(auto strings, attribute_strings(file_, path, part_name, context_, size_));
    all.insert(all.end(), std::make_move_iterator(strings.begin()), std::make_move_iterator(strings.end()));
  }
  return invalid_argument("{}: attribute '{}' of '{}' has too many parts", context_, name, shown(path));
}

Expected<Array> Hdf5File::read_dataset(const std::string& path) const {
  const std::string where = fmt::format("{}: dataset '{}'", context_, shown(path));
  TFC_ASSIGN_OR_RETURN(Handle dataset, open_object(file_, path, context_));
  if (H5Iget_type(dataset.get()) != H5I_DATASET) return invalid_argument("{}: not a dataset", where);
  Handle type(H5Dget_type(dataset.get()));
  Handle space(H5Dget_space(dataset.get()));
  if (!type.valid() || !space.valid()) return invalid_argument("{}: {}", where, libhdf5_message());
  TFC_ASSIGN_OR_RETURN(MemType mem, mem_type(type.get(), where));
  TFC_ASSIGN_OR_RETURN(std::vector<int64_t> shape, dataset_shape(space.get(), where));
  TFC_RETURN_IF_ERROR(check_storage(dataset.get(), where));
  const uint64_t element = dtype_size(mem.dtype);
  uint64_t bytes = element;
  for (int64_t d : shape) {
    if (d != 0 && bytes > size_ / static_cast<uint64_t>(d)) {
      return invalid_argument("{}: shape of {} dimensions needs more bytes than the file's {}", where,
                              shape.size(), size_);
    }
    bytes *= static_cast<uint64_t>(d);
  }
  // The file's own element size can differ from ours only for integers and
  // floats of the same class; what it stores must be there in full.
  const uint64_t stored_element = H5Tget_size(type.get());
  const uint64_t stored = H5Dget_storage_size(dataset.get());
  if (bytes != 0 && stored < bytes / element * stored_element) {
    return invalid_argument("{}: stores {} bytes, its shape needs {}", where, stored, bytes / element * stored_element);
  }
  Array array;
  array.dtype = mem.dtype;
  array.shape = std::move(shape);
  array.data.resize(bytes);
  if (bytes != 0 && H5Dread(dataset.get(), mem.type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, array.data.data()) < 0) {
    return invalid_argument("{}: cannot read: {}", where, libhdf5_message());
  }
  return array;
}

}  // namespace tfc::io
