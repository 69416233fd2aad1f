// IDX files (the MNIST family format) read into Arrays, plain or
// gzip-compressed; gzip is detected by its 1f 8b magic, not the file name.
// Big-endian values are converted to host order.
// Not: writing IDX files.
#pragma once

#include <cstdint>
#include <string>

#include "core/array.h"
#include "core/status.h"

namespace tfc {

// Largest data size read from a gzip-compressed IDX file, whose real size is
// only known once decompressed (zip bomb guard). Plain files are bounded by
// their size on disk.
inline constexpr uint64_t kMaxIdxGzipBytes = uint64_t{4} << 30;

Expected<Array> read_idx(const std::string& path);

}  // namespace tfc
