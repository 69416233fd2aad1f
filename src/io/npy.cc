// Implementation of npy.h: the .npy header (a Python dict literal), byte
// sources for memory, plain files and zip members; writes go through
// io/file_util.h's durable atomic write.
// Not a general Python literal parser: only the three keys NumPy writes.
#include "io/npy.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <memory>
#include <exception>
#include <optional>
#include <set>
#include <utility>

#include <fmt/ranges.h>

#include "io/file_util.h"

namespace tfc {
namespace {

static_assert(std::endian::native == std::endian::little,
              ".npy data is copied as is; a big-endian host would need byte swaps");

constexpr std::string_view kMagic{"\x93NUMPY", 6};
constexpr size_t kPrefixV1 = 10;  // magic, version, uint16 header length
constexpr size_t kMaxHeaderLen = size_t{1} << 20;
constexpr size_t kHeaderAlign = 64;

struct DescrCode {
  std::string_view code;
  DType dtype;
};
constexpr DescrCode kDescrCodes[] = {
    {"f2", DType::kFloat16},   {"f4", DType::kFloat32},    {"f8", DType::kFloat64},
    {"i1", DType::kInt8},      {"u1", DType::kUInt8},      {"i2", DType::kInt16},
    {"u2", DType::kUInt16},    {"i4", DType::kInt32},      {"u4", DType::kUInt32},
    {"i8", DType::kInt64},     {"u8", DType::kUInt64},     {"b1", DType::kBool},
    {"c8", DType::kComplex64}, {"c16", DType::kComplex128},
};

// Text from a file, safe to put in a message: trailing padding is dropped,
// non-printable bytes become '?' and long text is cut.
std::string printable(std::string_view text, size_t limit = 160) {
  text = text.substr(0, text.find_last_not_of(" \n") + 1);
  std::string out(text.substr(0, limit));
  for (char& c : out) {
    if (c < 0x20 || c > 0x7e) c = '?';
  }
  if (text.size() > limit) out += "...";
  return out;
}

std::string shape_str(const std::vector<int64_t>& shape) {
  if (shape.size() == 1) return fmt::format("({},)", shape[0]);
  return fmt::format("({})", fmt::join(shape, ", "));
}

Status io_error(const std::string& path, std::string_view what, int err) {
  std::string message = fmt::format("{}: cannot {}: {}", path, what, std::strerror(err));
  return {err == ENOENT ? StatusCode::kNotFound : StatusCode::kInvalidArgument, message};
}

template <typename T>
Expected<T> in_context(Expected<T> result, const std::string& context) {
  if (!result) return result.status().with_context(context);
  return result;
}

Status allocate(std::vector<uint8_t>& buffer, uint64_t bytes) {
  try {
    buffer.resize(bytes);
  } catch (const std::exception&) {
    return invalid_argument("cannot allocate {} bytes for the array data", bytes);
  }
  return Status::ok();
}

// Bytes of an array of `dtype` and `shape`, refusing negative dimensions and
// element counts or byte sizes that overflow int64.
Expected<uint64_t> byte_size(DType dtype, const std::vector<int64_t>& shape) {
  int64_t count = 1;
  for (int64_t d : shape) {
    if (d < 0) return invalid_argument("negative dimension in shape {}", shape_str(shape));
    if (__builtin_mul_overflow(count, d, &count)) {
      return invalid_argument("shape {} has more elements than int64 can count", shape_str(shape));
    }
  }
  int64_t bytes = 0;
  if (__builtin_mul_overflow(count, static_cast<int64_t>(dtype_size(dtype)), &bytes)) {
    return invalid_argument("shape {} of {} needs more bytes than int64 can count",
                            shape_str(shape), dtype_name(dtype));
  }
  return static_cast<uint64_t>(bytes);
}

// ---- Header parsing --------------------------------------------------------

struct NpyHeader {
  DType dtype = DType::kFloat32;
  std::vector<int64_t> shape;
};

Expected<DType> dtype_from_descr(std::string_view descr) {
  const std::string_view code = descr.empty() ? descr : descr.substr(1);
  const auto* it = std::find_if(std::begin(kDescrCodes), std::end(kDescrCodes),
                                [&](const DescrCode& d) { return d.code == code; });
  if (descr.empty() || it == std::end(kDescrCodes)) {
    return unsupported("dtype '{}' is not supported (numeric and bool dtypes only)",
                       printable(descr));
  }
  const char order = descr[0];
  if (dtype_size(it->dtype) == 1 && std::string_view("|<>=").find(order) != std::string_view::npos) {
    return it->dtype;
  }
  if (order == '<' || order == '=') return it->dtype;
  if (order == '>') {
    return unsupported("big-endian dtype '{}' is not supported; save it as '<{}'", descr, code);
  }
  return invalid_argument("dtype '{}' has an invalid byte order character", printable(descr));
}

// Reads the Python dict literal of an .npy header, e.g.
//   {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
class HeaderParser {
 public:
  explicit HeaderParser(std::string_view text) : text_(text) {}

  Expected<NpyHeader> parse() {
    skip_space();
    if (!consume('{')) return error("expected '{'");
    TFC_RETURN_IF_ERROR(parse_entries());
    skip_space();
    if (pos_ != text_.size()) return error("unexpected text after the closing '}'");
    return finish();
  }

 private:
  Status parse_entries() {
    while (true) {
      skip_space();
      if (consume('}')) return Status::ok();
      TFC_ASSIGN_OR_RETURN(std::string_view key, string_literal());
      skip_space();
      if (!consume(':')) return error("expected ':' after a key");
      skip_space();
      TFC_RETURN_IF_ERROR(parse_value(key));
      skip_space();
      if (consume('}')) return Status::ok();
      if (!consume(',')) return error("expected ',' or '}'");
    }
  }

  Status parse_value(std::string_view key) {
    if (key == "descr" && !descr_) {
      TFC_ASSIGN_OR_RETURN(descr_, string_literal());
    } else if (key == "fortran_order" && !fortran_order_) {
      TFC_ASSIGN_OR_RETURN(fortran_order_, bool_literal());
    } else if (key == "shape" && !shape_) {
      TFC_ASSIGN_OR_RETURN(shape_, int_tuple());
    } else if (key == "descr" || key == "fortran_order" || key == "shape") {
      return error(fmt::format("duplicate key '{}'", key));
    } else {
      return error(fmt::format("unexpected key '{}'", printable(key)));
    }
    return Status::ok();
  }

  Expected<NpyHeader> finish() const {
    if (!descr_ || !fortran_order_ || !shape_) {
      return error("missing one of the keys 'descr', 'fortran_order', 'shape'");
    }
    if (*fortran_order_) {
      return unsupported("Fortran-order arrays (fortran_order: True) are not supported; "
                         "save a C-order array (numpy.ascontiguousarray)");
    }
    TFC_ASSIGN_OR_RETURN(DType dtype, dtype_from_descr(*descr_));
    return NpyHeader{dtype, *shape_};
  }

  void skip_space() {
    while (pos_ < text_.size() && std::string_view(" \t\r\n").find(text_[pos_]) != std::string_view::npos) {
      ++pos_;
    }
  }

  bool consume(char c) {
    if (pos_ >= text_.size() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }

  bool consume_word(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  Expected<std::string_view> string_literal() {
    const char quote = pos_ < text_.size() ? text_[pos_] : '\0';
    if (quote != '\'' && quote != '"') return error("expected a quoted string");
    const size_t end = text_.find(quote, pos_ + 1);
    if (end == std::string_view::npos) return error("unterminated string");
    std::string_view s = text_.substr(pos_ + 1, end - pos_ - 1);
    pos_ = end + 1;
    return s;
  }

  Expected<bool> bool_literal() {
    if (consume_word("True")) return true;
    if (consume_word("False")) return false;
    return error("expected True or False");
  }

  Expected<int64_t> integer() {
    const size_t start = pos_;
    int64_t value = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      if (__builtin_mul_overflow(value, 10, &value) ||
          __builtin_add_overflow(value, text_[pos_] - '0', &value)) {
        return error("dimension does not fit in int64");
      }
      ++pos_;
    }
    if (pos_ == start) return error("expected a non-negative integer dimension");
    consume('L');  // Python 2 long suffix, as old NumPy wrote it.
    return value;
  }

  Expected<std::vector<int64_t>> int_tuple() {
    if (!consume('(')) return error("expected a tuple for 'shape'");
    std::vector<int64_t> dims;
    while (true) {
      skip_space();
      if (consume(')')) return dims;
      if (dims.size() == kMaxNpyRank) return error(fmt::format("more than {} dimensions", kMaxNpyRank));
      TFC_ASSIGN_OR_RETURN(int64_t d, integer());
      dims.push_back(d);
      skip_space();
      if (consume(')')) return dims;
      if (!consume(',')) return error("expected ',' or ')' in 'shape'");
    }
  }

  Status error(std::string_view what) const {
    return invalid_argument("bad .npy header at offset {}: {}; header: {}", pos_, what,
                            printable(text_));
  }

  std::string_view text_;
  size_t pos_ = 0;
  std::optional<std::string_view> descr_;
  std::optional<bool> fortran_order_;
  std::optional<std::vector<int64_t>> shape_;
};

// ---- Byte sources ----------------------------------------------------------

// Sequential input whose total length is known (or declared) up front.
class Reader {
 public:
  virtual ~Reader() = default;
  // Reads exactly n bytes.
  virtual Status read(uint8_t* dst, size_t n) = 0;
  // Bytes left according to the known or declared length.
  virtual uint64_t remaining() const = 0;
  // Verifies that the input really ends here (and its checksum, if any).
  virtual Status finish() { return Status::ok(); }
};

class SpanReader : public Reader {
 public:
  explicit SpanReader(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  Status read(uint8_t* dst, size_t n) override {
    if (n > remaining()) return invalid_argument("truncated at byte {}", pos_);
    if (n == 0) return Status::ok();  // dst may be null for empty arrays
    std::memcpy(dst, bytes_.data() + pos_, n);
    pos_ += n;
    return Status::ok();
  }
  uint64_t remaining() const override { return bytes_.size() - pos_; }

 private:
  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
};

class FileReader : public Reader {
 public:
  FileReader(int fd, uint64_t size) : fd_(fd), size_(size) {}
  Status read(uint8_t* dst, size_t n) override {
    size_t got = 0;
    while (got < n) {
      const ssize_t r = ::read(fd_, dst + got, std::min<size_t>(n - got, size_t{1} << 30));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return invalid_argument("read failed at byte {}: {}", pos_ + got, std::strerror(errno));
      if (r == 0) return invalid_argument("file ended at byte {} while being read", pos_ + got);
      got += static_cast<size_t>(r);
    }
    pos_ += n;
    return Status::ok();
  }
  uint64_t remaining() const override { return size_ - pos_; }

 private:
  int fd_;
  uint64_t size_;
  uint64_t pos_ = 0;
};

class ZipMemberReader : public Reader {
 public:
  ZipMemberReader(zip_file_t* file, uint64_t declared_size) : file_(file), size_(declared_size) {}
  Status read(uint8_t* dst, size_t n) override {
    size_t got = 0;
    while (got < n) {
      const zip_int64_t r = zip_fread(file_, dst + got, n - got);
      if (r < 0) return invalid_argument("cannot decompress: {}", zip_file_strerror(file_));
      if (r == 0) return invalid_argument("data ends at byte {} of {} declared", pos_ + got, size_);
      got += static_cast<size_t>(r);
    }
    pos_ += n;
    return Status::ok();
  }
  uint64_t remaining() const override { return size_ - pos_; }
  Status finish() override {
    uint8_t extra = 0;
    const zip_int64_t r = zip_fread(file_, &extra, 1);
    if (r < 0) return invalid_argument("cannot decompress: {}", zip_file_strerror(file_));
    if (r > 0) return invalid_argument("holds more data than its declared size {}", size_);
    return Status::ok();
  }

 private:
  zip_file_t* file_;
  uint64_t size_;
  uint64_t pos_ = 0;
};

// ---- Reading ---------------------------------------------------------------

Expected<uint64_t> read_header_len(Reader& r, uint8_t major, uint8_t minor) {
  if (major < 1 || major > 3) return unsupported(".npy format version {}.{} is not supported", major, minor);
  const size_t len_bytes = major == 1 ? 2 : 4;
  uint8_t le[4] = {};
  if (r.remaining() < len_bytes) return invalid_argument("truncated in the header length");
  TFC_RETURN_IF_ERROR(r.read(le, len_bytes));
  uint64_t len = 0;
  for (size_t i = len_bytes; i-- > 0;) len = (len << 8) | le[i];
  if (len > r.remaining()) {
    return invalid_argument("header length {} runs past the end ({} bytes left)", len, r.remaining());
  }
  if (len > kMaxHeaderLen) return invalid_argument("header length {} exceeds the {} byte limit", len, kMaxHeaderLen);
  return len;
}

Expected<NpyHeader> read_header(Reader& r) {
  if (r.remaining() < kPrefixV1) return invalid_argument("too short for an .npy file ({} bytes)", r.remaining());
  uint8_t prefix[8];
  TFC_RETURN_IF_ERROR(r.read(prefix, sizeof prefix));
  if (std::memcmp(prefix, kMagic.data(), kMagic.size()) != 0) {
    return invalid_argument("not an .npy file (the magic string \\x93NUMPY is missing)");
  }
  TFC_ASSIGN_OR_RETURN(uint64_t len, read_header_len(r, prefix[6], prefix[7]));
  std::string text(len, '\0');
  TFC_RETURN_IF_ERROR(r.read(reinterpret_cast<uint8_t*>(text.data()), len));
  return HeaderParser(text).parse();
}

Expected<Array> read_array(Reader& r) {
  TFC_ASSIGN_OR_RETURN(NpyHeader header, read_header(r));
  TFC_ASSIGN_OR_RETURN(uint64_t bytes, byte_size(header.dtype, header.shape));
  const uint64_t present = r.remaining();
  if (bytes > present) {
    return invalid_argument("truncated: {} shape {} needs {} data bytes but only {} follow the header",
                            dtype_name(header.dtype), shape_str(header.shape), bytes, present);
  }
  if (bytes < present) {
    return invalid_argument("{} shape {} needs {} data bytes but {} follow the header",
                            dtype_name(header.dtype), shape_str(header.shape), bytes, present);
  }
  Array array{header.dtype, std::move(header.shape), {}};
  TFC_RETURN_IF_ERROR(allocate(array.data, bytes));
  TFC_RETURN_IF_ERROR(r.read(array.data.data(), bytes));
  TFC_RETURN_IF_ERROR(r.finish());
  return array;
}

class UniqueFd {
 public:
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&&) = delete;
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// Opens a regular file for reading; O_NONBLOCK keeps a FIFO from hanging the open.
Expected<UniqueFd> open_regular_file(const std::string& path, uint64_t* size) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) return io_error(path, "open", errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return io_error(path, "stat", errno);
  if (!S_ISREG(st.st_mode)) return invalid_argument("{}: not a regular file", path);
  *size = static_cast<uint64_t>(st.st_size);
  return fd;
}

// ---- Writing ---------------------------------------------------------------

Expected<std::string_view> descr_code(DType dtype) {
  const auto* it = std::find_if(std::begin(kDescrCodes), std::end(kDescrCodes),
                                [&](const DescrCode& d) { return d.dtype == dtype; });
  if (it == std::end(kDescrCodes)) return unsupported("{} arrays cannot be stored in .npy", dtype_name(dtype));
  return it->code;
}

// The complete version 1.0 header (magic to '\n') for `array`, after
// checking that its data size matches its shape.
Expected<std::string> npy_header(const Array& array) {
  TFC_ASSIGN_OR_RETURN(std::string_view code, descr_code(array.dtype));
  if (array.shape.size() > kMaxNpyRank) {
    return unsupported("rank {} exceeds the .npy limit of {}", array.shape.size(), kMaxNpyRank);
  }
  TFC_ASSIGN_OR_RETURN(uint64_t bytes, byte_size(array.dtype, array.shape));
  if (bytes != array.data.size()) {
    return invalid_argument("array data is {} bytes but {} shape {} needs {}", array.data.size(),
                            dtype_name(array.dtype), shape_str(array.shape), bytes);
  }
  std::string dict = fmt::format("{{'descr': '{}{}', 'fortran_order': False, 'shape': {}, }}",
                                 dtype_size(array.dtype) == 1 ? '|' : '<', code, shape_str(array.shape));
  const size_t unpadded = kPrefixV1 + dict.size() + 1;
  dict.append((kHeaderAlign - unpadded % kHeaderAlign) % kHeaderAlign, ' ');
  dict.push_back('\n');
  const uint16_t len = static_cast<uint16_t>(dict.size());  // <= 64 dims keep it far below 65535
  std::string header(kMagic);
  header += {'\x01', '\x00', static_cast<char>(len & 0xff), static_cast<char>(len >> 8)};
  return header + dict;
}

// ---- libzip helpers --------------------------------------------------------

struct ZipDiscard {
  void operator()(zip_t* z) const { zip_discard(z); }
};
struct ZipFileClose {
  void operator()(zip_file_t* f) const { zip_fclose(f); }
};
using ZipPtr = std::unique_ptr<zip_t, ZipDiscard>;

std::string zip_code_message(int code) {
  zip_error_t error;
  zip_error_init_with_code(&error, code);
  std::string message = zip_error_strerror(&error);
  zip_error_fini(&error);
  return message;
}

Expected<NamedArray> read_member(zip_t* zip, zip_uint64_t index, const std::string& path) {
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat_index(zip, index, 0, &st) != 0 || !(st.valid & ZIP_STAT_NAME) || !(st.valid & ZIP_STAT_SIZE)) {
    return invalid_argument("{}: cannot read zip entry {}: {}", path, index, zip_strerror(zip));
  }
  const std::string_view name = st.name;
  const std::string context = fmt::format("{}: member '{}'", path, printable(name));
  if (!name.ends_with(".npy")) return invalid_argument("{}: not an .npy member", context);
  if (st.size > kMaxNpzMemberBytes) {
    return invalid_argument("{}: declares {} uncompressed bytes, over the {} byte limit", context,
                            st.size, kMaxNpzMemberBytes);
  }
  std::unique_ptr<zip_file_t, ZipFileClose> file(zip_fopen_index(zip, index, 0));
  if (!file) return invalid_argument("{}: cannot open: {}", context, zip_strerror(zip));
  ZipMemberReader reader(file.get(), st.size);
  TFC_ASSIGN_OR_RETURN(Array array, in_context(read_array(reader), context));
  return NamedArray{std::string(name.substr(0, name.size() - 4)), std::move(array)};
}

Status add_member(zip_t* zip, const NamedArray& named, const std::string& header, NpzCompression compression) {
  const zip_buffer_fragment_t fragments[2] = {
      {reinterpret_cast<zip_uint8_t*>(const_cast<char*>(header.data())), header.size()},
      {const_cast<zip_uint8_t*>(named.array.data.data()), named.array.data.size()},
  };
  zip_source_t* source = zip_source_buffer_fragment(zip, fragments, named.array.data.empty() ? 1 : 2, 0);
  if (source == nullptr) return invalid_argument("cannot buffer array '{}': {}", named.name, zip_strerror(zip));
  const std::string member = named.name + ".npy";
  const zip_int64_t index = zip_file_add(zip, member.c_str(), source, ZIP_FL_ENC_GUESS);
  if (index < 0) {
    zip_source_free(source);
    return invalid_argument("cannot add member '{}': {}", member, zip_strerror(zip));
  }
  const zip_int32_t method = compression == NpzCompression::kDeflated ? ZIP_CM_DEFLATE : ZIP_CM_STORE;
  if (zip_set_file_compression(zip, static_cast<zip_uint64_t>(index), method, 0) != 0) {
    return invalid_argument("cannot set compression of '{}': {}", member, zip_strerror(zip));
  }
  return Status::ok();
}

// Writes the archive to `tmp` (libzip itself writes beside it and renames).
Status write_zip(const std::string& tmp, const std::vector<NamedArray>& arrays,
                 const std::vector<std::string>& headers, NpzCompression compression) {
  int code = 0;
  ZipPtr zip(zip_open(tmp.c_str(), ZIP_TRUNCATE, &code));
  if (!zip) return invalid_argument("{}: cannot create zip: {}", tmp, zip_code_message(code));
  for (size_t i = 0; i < arrays.size(); ++i) {
    TFC_RETURN_IF_ERROR(add_member(zip.get(), arrays[i], headers[i], compression).with_context(tmp));
  }
  if (zip_close(zip.get()) != 0) return invalid_argument("{}: cannot write zip: {}", tmp, zip_strerror(zip.get()));
  zip.release();  // zip_close freed it.
  return Status::ok();
}

Status check_names(const std::vector<NamedArray>& arrays) {
  if (arrays.empty()) return invalid_argument("no arrays to write");
  std::set<std::string_view> seen;
  for (const NamedArray& a : arrays) {
    if (a.name.empty()) return invalid_argument("an array has an empty name");
    if (!seen.insert(a.name).second) return invalid_argument("duplicate array name '{}'", a.name);
  }
  return Status::ok();
}

}  // namespace

Expected<Array> parse_npy(std::span<const uint8_t> bytes, std::string_view name) {
  SpanReader reader(bytes);
  return in_context(read_array(reader), std::string(name));
}

Expected<Array> read_npy(const std::string& path) {
  uint64_t size = 0;
  TFC_ASSIGN_OR_RETURN(UniqueFd fd, open_regular_file(path, &size));
  FileReader reader(fd.get(), size);
  return in_context(read_array(reader), path);
}

Expected<std::vector<uint8_t>> encode_npy(const Array& array) {
  TFC_ASSIGN_OR_RETURN(std::string header, npy_header(array));
  std::vector<uint8_t> out(header.begin(), header.end());
  out.insert(out.end(), array.data.begin(), array.data.end());
  return out;
}

Status write_npy(const std::string& path, const Array& array) {
  auto bytes = encode_npy(array);
  if (!bytes) return bytes.status().with_context(path);
  return io::write_file_durable(path, *bytes);
}

Expected<std::vector<NamedArray>> read_npz(const std::string& path) {
  uint64_t size = 0;
  TFC_ASSIGN_OR_RETURN(UniqueFd fd, open_regular_file(path, &size));
  int code = 0;
  ZipPtr zip(zip_fdopen(fd.get(), ZIP_CHECKCONS, &code));
  if (!zip) return invalid_argument("{}: not a valid .npz (zip) file: {}", path, zip_code_message(code));
  fd.release();  // Owned by the zip handle now.
  const zip_int64_t count = zip_get_num_entries(zip.get(), 0);
  std::vector<NamedArray> arrays;
  std::set<std::string> names;
  for (zip_int64_t i = 0; i < count; ++i) {
    TFC_ASSIGN_OR_RETURN(NamedArray named, read_member(zip.get(), static_cast<zip_uint64_t>(i), path));
    if (!names.insert(named.name).second) {
      return invalid_argument("{}: member '{}.npy' appears twice", path, printable(named.name));
    }
    arrays.push_back(std::move(named));
  }
  return arrays;
}

Status write_npz(const std::string& path, const std::vector<NamedArray>& arrays, NpzCompression compression) {
  TFC_RETURN_IF_ERROR(check_names(arrays).with_context(path));
  std::vector<std::string> headers;
  headers.reserve(arrays.size());
  for (const NamedArray& a : arrays) {
    auto header = npy_header(a.array);
    if (!header) return header.status().with_context(fmt::format("{}: array '{}'", path, a.name));
    headers.push_back(std::move(header).value());
  }
  return io::write_file_durable_with(path, [&](const std::string& tmp) {
    return write_zip(tmp, arrays, headers, compression);
  });
}

}  // namespace tfc
