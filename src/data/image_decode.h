// Decoding one PNG or JPEG file's bytes into 8-bit pixels, height x width x
// channels, row-major: PNG through libpng's simplified API, JPEG through
// libjpeg-turbo. The format is told by the signature, never by the name.
// Decoded sizes are bounded before anything is allocated; corrupt data is an
// error naming the file, never a crash or a partly decoded image.
// Not: resizing, channel conversion or normalisation (image_transform.h).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"

namespace tfc::data {

// Images larger than this many pixels are refused unless a caller sets its
// own bound (64 Mi pixels: 8192 x 8192).
inline constexpr int64_t kDefaultMaxPixels = int64_t{1} << 26;

struct ImageHeader {
  int64_t height = 0;
  int64_t width = 0;
  int channels = 0;  // 1 (grayscale) or 3 (RGB), as decoded
};

struct Image {
  ImageHeader header;
  std::vector<uint8_t> pixels;  // (height, width, channels)
};

// True when `bytes` start like a PNG or a JPEG file.
bool is_image_signature(std::span<const uint8_t> bytes);

// The size and channels of the image in `bytes` (a PNG or JPEG file), read
// from its header only. `name` is the file's name, for errors.
Expected<ImageHeader> read_image_header(std::span<const uint8_t> bytes, const std::string& name,
                                        int64_t max_pixels = kDefaultMaxPixels);

// The pixels of the PNG or JPEG image in `bytes`. Grayscale files (with or
// without alpha) decode to 1 channel, colour and palette files to 3 (RGB);
// alpha is dropped, not composited. 16-bit PNG samples are reduced to 8 bits
// by libpng. JPEG uses libjpeg's defaults (JDCT_ISLOW, fancy upsampling);
// CMYK/YCCK JPEGs are refused, and so is a JPEG with corrupt-data warnings
// (a truncated file) or a progressive JPEG of more than 500 scans. Images of
// more than `max_pixels` pixels are refused before they are decoded.
Expected<Image> decode_image(std::span<const uint8_t> bytes, const std::string& name,
                             int64_t max_pixels = kDefaultMaxPixels);

}  // namespace tfc::data
