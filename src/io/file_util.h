// Whole-file helpers, the one place each of these is done: reading a file,
// durable atomic writes (temporary file, fsync, rename, fsync of the
// directory) used by every writer of models, arrays, reports, statistics and
// the registry, SHA-256 digests (OpenSSL's libcrypto) and gzip-compressed size
// (zlib). JSON files: json_file.h.
// Not: streaming reads of large arrays (npy, idx).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"

namespace tfc::io {

// The whole content of a regular file. Errors name the path: NotFound when
// it does not exist, InvalidArgument when it cannot be read or is not a
// regular file (a directory, a FIFO).
Expected<std::vector<uint8_t>> read_file(const std::string& path);

// Writes `bytes` to a uniquely named temporary file beside `path`, fsyncs it,
// renames it over `path` and fsyncs the directory, so that after a crash at any
// point `path` holds either its old content or the new one in full. On any
// error the temporary file is removed and `path` is untouched.
Status write_file_durable(const std::string& path, std::span<const uint8_t> bytes);
Status write_file_durable(const std::string& path, const std::string& text);

// The same for writers that need a file name rather than bytes (libzip):
// `write` fills the empty temporary file it is given, by name; then the file
// is fsynced, renamed over `path` and the directory fsynced.
Status write_file_durable_with(const std::string& path, const std::function<Status(const std::string& tmp)>& write);

// fsync of a directory, after a rename into it.
Status sync_directory(const std::string& dir);

// Lower-case hex SHA-256.
std::string sha256_hex(std::span<const uint8_t> bytes);
Expected<std::string> sha256_file(const std::string& path);

// Size of `bytes` after gzip at the highest compression level (what
// `gzip -9` would write, header included).
Expected<uint64_t> gzip_size(std::span<const uint8_t> bytes);

}  // namespace tfc::io
