#include "io/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>
#include <openssl/evp.h>

namespace tfc::io {
namespace {

// NotFound for a missing file or directory, else InvalidArgument.
Status errno_error(const std::string& path, const char* what, int err) {
  return {err == ENOENT ? StatusCode::kNotFound : StatusCode::kInvalidArgument,
          fmt::format("{}: cannot {}: {}", path, what, std::strerror(err))};
}

Status write_all(int fd, const uint8_t* p, size_t n, const std::string& path) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, std::min<size_t>(n, size_t{1} << 30));
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return errno_error(path, "write", errno);
    p += w;
    n -= static_cast<size_t>(w);
  }
  return Status::ok();
}

// fsync of a file that is already written and closed.
Status sync_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_error(path, "open", errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  return rc == 0 ? Status::ok() : errno_error(path, "sync", err);
}

std::string parent_dir(const std::string& path) {
  const std::filesystem::path p(path);
  return p.has_parent_path() ? p.parent_path().string() : std::string(".");
}

}  // namespace

Expected<std::vector<uint8_t>> read_file(const std::string& path) {
  // O_NONBLOCK: opening a FIFO must not hang; it is refused below.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return not_found("{}: no such file", path);
    return errno_error(path, "open", errno);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return errno_error(path, "stat", err);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return invalid_argument("{}: {}", path, S_ISDIR(st.st_mode) ? "a directory, not a file" : "not a regular file");
  }
  std::vector<uint8_t> bytes;
  bytes.reserve(static_cast<size_t>(st.st_size));
  uint8_t buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return errno_error(path, "read", err);
    }
    if (n == 0) break;
    bytes.insert(bytes.end(), buf, buf + n);
  }
  ::close(fd);
  return bytes;
}

Status sync_directory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_error(dir, "open directory", errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  // Some file systems refuse fsync on directories; the rename itself is still atomic.
  if (rc != 0 && err != EINVAL && err != EROFS) return errno_error(dir, "sync directory", err);
  return Status::ok();
}

Status write_file_durable_with(const std::string& path, const std::function<Status(const std::string& tmp)>& write) {
  static std::atomic<uint64_t> counter{0};
  std::string tmp;
  int fd = -1;
  for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
    tmp = fmt::format("{}.tmp-{}-{}", path, ::getpid(), counter++);
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST) return errno_error(path, "create a temporary file beside", errno);
  }
  if (fd < 0) return invalid_argument("{}: cannot find a free temporary file name beside it", path);
  ::close(fd);
  Status s = write(tmp);
  if (s) s = sync_file(tmp);
  if (s && ::rename(tmp.c_str(), path.c_str()) != 0) s = errno_error(path, "rename a temporary file to", errno);
  if (!s) {
    ::unlink(tmp.c_str());
    return s;
  }
  return sync_directory(parent_dir(path));
}

Status write_file_durable(const std::string& path, std::span<const uint8_t> bytes) {
  return write_file_durable_with(path, [&](const std::string& tmp) {
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0) return errno_error(tmp, "open", errno);
    const Status s = write_all(fd, bytes.data(), bytes.size(), path);
    ::close(fd);
    return s;
  });
}

Status write_file_durable(const std::string& path, const std::string& text) {
  return write_file_durable(path, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

std::string sha256_hex(std::span<const uint8_t> bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr);
  std::string hex;
  hex.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

Expected<std::string> sha256_file(const std::string& path) {
  TFC_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, read_file(path));
  return sha256_hex(bytes);
}

Expected<uint64_t> gzip_size(std::span<const uint8_t> bytes) {
  z_stream zs{};
  // windowBits 15 + 16: a gzip wrapper, as the gzip tool writes.
  if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
    return internal_error("zlib: deflateInit2 failed");
  }
  uint64_t total = 0;
  uint8_t out[1 << 16];
  size_t offset = 0;
  int rc = Z_OK;
  do {
    const size_t chunk = std::min<size_t>(bytes.size() - offset, size_t{1} << 30);
    zs.next_in = const_cast<Bytef*>(bytes.data() + offset);
    zs.avail_in = static_cast<uInt>(chunk);
    offset += chunk;
    const int flush = offset == bytes.size() ? Z_FINISH : Z_NO_FLUSH;
    do {
      zs.next_out = out;
      zs.avail_out = sizeof out;
      rc = deflate(&zs, flush);
      total += sizeof out - zs.avail_out;
    } while (zs.avail_out == 0);
  } while (offset < bytes.size());
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return internal_error("zlib: deflate did not finish");
  return total;
}

}  // namespace tfc::io
