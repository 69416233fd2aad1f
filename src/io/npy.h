// NumPy .npy and .npz files read into and written from Arrays.
// Reads .npy format versions 1.0, 2.0 and 3.0 with little-endian numeric and
// bool dtypes in C order; writes version 1.0. .npz archives are read and
// written through libzip, stored or deflated.
// Not: big-endian or Fortran-order data, string/object/structured dtypes,
// memory mapping, or non-.npy members inside an .npz.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/array.h"
#include "core/status.h"

namespace tfc {

// Largest uncompressed .npz member read; larger declared sizes are refused
// before anything is decompressed (zip bomb guard).
inline constexpr uint64_t kMaxNpzMemberBytes = uint64_t{4} << 30;
// Highest rank read or written (NumPy's own limit).
inline constexpr size_t kMaxNpyRank = 64;

enum class NpzCompression { kStored, kDeflated };

// Parses a complete .npy image; `name` is used in error messages.
Expected<Array> parse_npy(std::span<const uint8_t> bytes, std::string_view name = "<npy bytes>");
Expected<Array> read_npy(const std::string& path);

// The .npy image of `array`; fails for dtypes NumPy cannot hold (e.g. int4,
// bfloat16, string) and for arrays whose data size does not match the shape.
Expected<std::vector<uint8_t>> encode_npy(const Array& array);
// Written atomically and durably (io::write_file_durable).
Status write_npy(const std::string& path, const Array& array);

// Members in stored order; names without the ".npy" suffix.
Expected<std::vector<NamedArray>> read_npz(const std::string& path);
// Each array becomes member "<name>.npy"; names must be unique and non-empty,
// and there must be at least one array. libzip writes a temporary file beside
// `path`, which io::write_file_durable_with syncs and renames over it.
Status write_npz(const std::string& path, const std::vector<NamedArray>& arrays,
                 NpzCompression compression = NpzCompression::kStored);

}  // namespace tfc
