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
Expected<std::vector<std::string>> attribute_strings(hid_t object, const std::string& path, const std::string& name,
                                                     const std::string& context, uint64_t max_bytes) {
  const std::string where = fmt::format("{}: attribute '{}' of '{}'", context, name, shown(path));
  Handle attr(H5Aopen(object, name.c_str(), H5P_DEFAULT));
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

}  // namespace

Expected<Hdf5File> Hdf5File::open(std::span<const uint8_t> bytes, const std::string& context) {
  silence_libhdf5();
  TFC_ASSIGN_OR_RETURN(Hdf5Layout layout, check_hdf5_image(bytes, context));
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS));
  if (!fapl.valid() || H5Pset_fapl_core(fapl.get(), 1 << 16, 0) < 0 ||
      H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG) < 0 ||
      H5Pset_file_image(fapl.get(), const_cast<uint8_t*>(bytes.data()), bytes.size()) < 0) {
    return internal_error("{}: cannot set up an HDF5 file image: {}", context, libhdf5_message());
  }
  const hid_t file = H5Fopen(context.c_str(), H5F_ACC_RDONLY, fapl.get());
  if (file < 0) return invalid_argument("{}: not a readable HDF5 file: {}", context, libhdf5_message());
  return Hdf5File(file, context, std::vector<uint8_t>(bytes.begin(), bytes.end()), std::move(layout));
}

Hdf5File::Hdf5File(int64_t file, std::string context, std::vector<uint8_t> bytes, Hdf5Layout layout)
    : file_(file), context_(std::move(context)), bytes_(std::move(bytes)), layout_(std::move(layout)) {}

Hdf5File::Hdf5File(Hdf5File&& o) noexcept
    : file_(std::exchange(o.file_, -1)),
      context_(std::move(o.context_)),
      bytes_(std::move(o.bytes_)),
      layout_(std::move(o.layout_)),
      checked_(std::move(o.checked_)) {}

Hdf5File& Hdf5File::operator=(Hdf5File&& o) noexcept {
  if (this != &o) {
    if (file_ >= 0) H5Fclose(file_);
    file_ = std::exchange(o.file_, -1);
    context_ = std::move(o.context_);
    bytes_ = std::move(o.bytes_);
    layout_ = std::move(o.layout_);
    checked_ = std::move(o.checked_);
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

Status Hdf5File::check_attributes(int64_t object) const {
  H5O_info_t info;
  if (H5Oget_info2(object, &info, H5O_INFO_BASIC) < 0) {
    return invalid_argument("{}: cannot read an object header: {}", context_, libhdf5_message());
  }
  if (checked_.contains(info.addr)) return Status::ok();
  TFC_RETURN_IF_ERROR(check_attribute_messages(bytes_, info.addr, layout_, context_));
  checked_.insert(info.addr);
  return Status::ok();
}

Expected<bool> Hdf5File::has_attribute(const std::string& path, const std::string& name) const {
  auto object = open_object(file_, path, context_);
  if (!object.has_value()) return false;
  TFC_RETURN_IF_ERROR(check_attributes(object->get()));
  const htri_t exists = H5Aexists(object->get(), name.c_str());
  if (exists < 0) H5Eclear2(H5E_DEFAULT);
  return exists > 0;
}

Expected<std::vector<std::string>> Hdf5File::attribute(const std::string& path, const std::string& name) const {
  TFC_ASSIGN_OR_RETURN(Handle object, open_object(file_, path, context_));
  TFC_RETURN_IF_ERROR(check_attributes(object.get()));
  return attribute_strings(object.get(), path, name, context_, bytes_.size());
}

Expected<std::string> Hdf5File::string_attribute(const std::string& path, const std::string& name) const {
  TFC_ASSIGN_OR_RETURN(auto strings, attribute(path, name));
  if (strings.size() != 1) {
    return invalid_argument("{}: attribute '{}' of '{}' holds {} strings, expected one", context_, name,
                            shown(path), strings.size());
  }
  return std::move(strings[0]);
}

Expected<std::vector<std::string>> Hdf5File::string_list_attribute(const std::string& path,
                                                                    const std::string& name) const {
  TFC_ASSIGN_OR_RETURN(bool whole, has_attribute(path, name));
  if (whole) return attribute(path, name);
  std::vector<std::string> all;
  for (size_t part = 0; part < kMaxAttributeParts; ++part) {
    const std::string part_name = name + std::to_string(part);
    TFC_ASSIGN_OR_RETURN(bool present, has_attribute(path, part_name));
    if (!present) return all;
    TFC_ASSIGN_OR_RETURN(auto strings, attribute(path, part_name));
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
    if (d != 0 && bytes > bytes_.size() / static_cast<uint64_t>(d)) {
      return invalid_argument("{}: shape of {} dimensions needs more bytes than the file's {}", where,
                              shape.size(), bytes_.size());
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
