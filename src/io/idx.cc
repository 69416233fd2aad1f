// Implementation of idx.h: header checks, chunked reads through zlib's gz*
// API (which passes plain files through unchanged) and the big-endian to
// host byte swap. Not a general gzip utility.
#include "io/idx.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <exception>
#include <memory>
#include <string_view>
#include <vector>

#include <fmt/ranges.h>

namespace tfc {
namespace {

// Data is read, and its buffer grown, at most this much at a time: a gzip
// header that declares more than its stream holds costs memory in proportion to
// what the stream delivers (with 64 MiB chunks, a 30-byte file cost a zero-filled
// 64 MiB buffer; found by fuzzing).
constexpr size_t kChunk = size_t{1} << 20;

struct IdxType {
  uint8_t code;
  DType dtype;
};
constexpr IdxType kIdxTypes[] = {
    {0x08, DType::kUInt8}, {0x09, DType::kInt8},    {0x0B, DType::kInt16},
    {0x0C, DType::kInt32}, {0x0D, DType::kFloat32}, {0x0E, DType::kFloat64},
};

struct IdxHeader {
  DType dtype = DType::kUInt8;
  std::vector<int64_t> shape;
  uint64_t header_bytes = 0;
  uint64_t data_bytes = 0;
};

struct GzClose {
  void operator()(gzFile_s* f) const { gzclose(f); }
};
using GzPtr = std::unique_ptr<gzFile_s, GzClose>;

// zlib's message for the last error, without the "<fd:N>: " prefix that
// gzdopen streams carry (the caller adds the path).
std::string gz_message(gzFile gz) {
  int errnum = Z_OK;
  const std::string_view message = gzerror(gz, &errnum);
  if (errnum == Z_ERRNO) return std::strerror(errno);
  const size_t colon = message.find(": ");
  return std::string(message.starts_with("<fd:") && colon != std::string_view::npos ? message.substr(colon + 2)
                                                                                    : message);
}

// Reads up to n bytes; fewer only where the (decompressed) data ends.
Expected<size_t> read_some(gzFile gz, uint8_t* dst, size_t n) {
  size_t got = 0;
  while (got < n) {
    const int r = gzread(gz, dst + got, static_cast<unsigned>(std::min(n - got, kChunk)));
    if (r < 0) return invalid_argument("cannot decompress: {}", gz_message(gz));
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  int errnum = Z_OK;
  gzerror(gz, &errnum);
  if (errnum != Z_OK) return invalid_argument("cannot decompress: {}", gz_message(gz));
  return got;
}

Status read_exact(gzFile gz, uint8_t* dst, size_t n, std::string_view what) {
  TFC_ASSIGN_OR_RETURN(size_t got, read_some(gz, dst, n));
  if (got < n) return invalid_argument("truncated: {} ends after {} of {} bytes", what, got, n);
  return Status::ok();
}

Expected<DType> idx_dtype(uint8_t code) {
  for (const IdxType& t : kIdxTypes) {
    if (t.code == code) return t.dtype;
  }
  return invalid_argument("unknown IDX data type 0x{:02x}", code);
}

Expected<IdxHeader> read_header(gzFile gz) {
  uint8_t magic[4];
  TFC_RETURN_IF_ERROR(read_exact(gz, magic, sizeof magic, "the IDX header"));
  if (magic[0] != 0 || magic[1] != 0) {
    return invalid_argument("not an IDX file: magic starts {:02x} {:02x}, expected 00 00", magic[0], magic[1]);
  }
  IdxHeader header;
  TFC_ASSIGN_OR_RETURN(header.dtype, idx_dtype(magic[2]));
  const size_t ndims = magic[3];
  if (ndims == 0) return invalid_argument("IDX header declares 0 dimensions");
  std::vector<uint8_t> dims(4 * ndims);
  TFC_RETURN_IF_ERROR(read_exact(gz, dims.data(), dims.size(), "the IDX dimensions"));
  int64_t count = 1;
  for (size_t i = 0; i < ndims; ++i) {
    const uint8_t* p = &dims[4 * i];
    const int64_t d = (int64_t{p[0]} << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
    header.shape.push_back(d);
    if (__builtin_mul_overflow(count, d, &count)) {
      return invalid_argument("IDX dimensions ({}) have more elements than int64 can count",
                              fmt::join(header.shape, ", "));
    }
  }
  int64_t bytes = 0;
  if (__builtin_mul_overflow(count, static_cast<int64_t>(dtype_size(header.dtype)), &bytes)) {
    return invalid_argument("IDX dimensions need more bytes than int64 can count");
  }
  header.header_bytes = sizeof magic + dims.size();
  header.data_bytes = static_cast<uint64_t>(bytes);
  return header;
}

// Plain files must hold exactly the data the header declares; gzip data is
// only bounded by the size limit until it is decompressed.
Status check_size(const IdxHeader& h, bool compressed, uint64_t file_size) {
  if (compressed) {
    if (h.data_bytes <= kMaxIdxGzipBytes) return Status::ok();
    return invalid_argument("IDX header declares {} data bytes, over the {} byte limit for gzip input",
                            h.data_bytes, kMaxIdxGzipBytes);
  }
  const uint64_t present = file_size > h.header_bytes ? file_size - h.header_bytes : 0;
  if (h.data_bytes > present) {
    return invalid_argument("truncated: {} shape ({}) needs {} data bytes but only {} follow the header",
                            dtype_name(h.dtype), fmt::join(h.shape, ", "), h.data_bytes, present);
  }
  if (h.data_bytes < present) {
    return invalid_argument("{} unexpected bytes after the {} data bytes", present - h.data_bytes, h.data_bytes);
  }
  return Status::ok();
}

// Grows `data` to `size` bytes, doubling its capacity (never past `limit`)
// so that chunked reads copy in amortised linear time.
Status grow(std::vector<uint8_t>& data, uint64_t size, uint64_t limit) {
  try {
    if (size > data.capacity()) data.reserve(std::min(limit, std::max<uint64_t>(size, 2 * data.capacity())));
    data.resize(size);
  } catch (const std::exception&) {
    return invalid_argument("cannot allocate {} bytes for the IDX data", size);
  }
  return Status::ok();
}

// Reads the declared data in chunks, so that a header promising more than
// the stream holds costs no more memory than the stream delivers.
Expected<std::vector<uint8_t>> read_data(gzFile gz, uint64_t bytes) {
  std::vector<uint8_t> data;
  while (data.size() < bytes) {
    const size_t have = data.size();
    TFC_RETURN_IF_ERROR(grow(data, std::min<uint64_t>(bytes, have + kChunk), bytes));
    TFC_ASSIGN_OR_RETURN(size_t got, read_some(gz, data.data() + have, data.size() - have));
    if (have + got < data.size()) {
      return invalid_argument("truncated: data ends after {} of {} bytes", have + got, bytes);
    }
  }
  uint8_t extra = 0;
  TFC_ASSIGN_OR_RETURN(size_t more, read_some(gz, &extra, 1));  // also verifies the gzip trailer
  if (more > 0) return invalid_argument("unexpected bytes after the {} data bytes", bytes);
  return data;
}

void big_endian_to_host(std::vector<uint8_t>& data, size_t element_size) {
  if (std::endian::native == std::endian::big || element_size == 1) return;
  for (size_t i = 0; i + element_size <= data.size(); i += element_size) {
    std::reverse(data.begin() + i, data.begin() + i + element_size);
  }
}

Expected<Array> read_stream(gzFile gz, uint64_t file_size) {
  const bool compressed = gzdirect(gz) == 0;
  TFC_ASSIGN_OR_RETURN(IdxHeader header, read_header(gz));
  TFC_RETURN_IF_ERROR(check_size(header, compressed, file_size));
  TFC_ASSIGN_OR_RETURN(std::vector<uint8_t> data, read_data(gz, header.data_bytes));
  big_endian_to_host(data, dtype_size(header.dtype));
  return Array{header.dtype, std::move(header.shape), std::move(data)};
}

// Opens a regular file as a gz stream; O_NONBLOCK keeps a FIFO from hanging the open.
Expected<GzPtr> open_gz(const std::string& path, uint64_t* size) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return Status(err == ENOENT ? StatusCode::kNotFound : StatusCode::kInvalidArgument,
                  fmt::format("{}: cannot open: {}", path, std::strerror(err)));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return invalid_argument("{}: not a regular file", path);
  }
  GzPtr gz(gzdopen(fd, "rb"));
  if (!gz) {
    ::close(fd);
    return invalid_argument("{}: cannot open a gzip stream", path);
  }
  gzbuffer(gz.get(), 1 << 17);
  *size = static_cast<uint64_t>(st.st_size);
  return gz;
}

}  // namespace

Expected<Array> read_idx(const std::string& path) {
  uint64_t size = 0;
  TFC_ASSIGN_OR_RETURN(GzPtr gz, open_gz(path, &size));
  auto array = read_stream(gz.get(), size);
  if (!array) return array.status().with_context(path);
  return array;
}

}  // namespace tfc
