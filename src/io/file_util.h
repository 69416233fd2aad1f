// Whole-file helpers shared by the evaluation harness and the model registry:
// reading a file, durable atomic writes (temporary file, fsync, rename, fsync of
// the directory), SHA-256 digests (OpenSSL's libcrypto) and gzip-compressed
// size (zlib).
// Not: streaming I/O of models or datasets (tflite_reader, npy, idx).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"

namespace tfc::io {

Expected<std::vector<uint8_t>> read_file(const std::string& path);

// Writes `bytes` to a uniquely named temporary file beside `path`, fsyncs it,
// renames it over `path` and fsyncs the directory, so that after a crash at any
// point `path` holds either its old content or the new one in full.
Status write_file_durable(const std::string& path, std::span<const uint8_t> bytes);
Status write_file_durable(const std::string& path, const std::string& text);

// fsync of a directory, after a rename into it.
Status sync_directory(const std::string& dir);

// Lower-case hex SHA-256.
std::string sha256_hex(std::span<const uint8_t> bytes);
Expected<std::string> sha256_file(const std::string& path);

// Size of `bytes` after gzip at the highest compression level (what
// `gzip -9` would write, header included).
Expected<uint64_t> gzip_size(std::span<const uint8_t> bytes);

}  // namespace tfc::io
