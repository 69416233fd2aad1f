// What an image folder's samples go through after decoding: channel
// conversion, bilinear resizing, normalisation and the output element type,
// as set by ImageOptions; and the --normalize text form.
// Not: decoding (image_decode.h), augmentation (loader.h).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/status.h"
#include "data/image_decode.h"

namespace tfc::data {

// value * scale[c] + offset[c] on pixel values 0..255, per channel c; one
// value applies to every channel.
struct Normalization {
  std::vector<float> scale{1.0f};
  std::vector<float> offset{0.0f};
};

// (x / 255 - mean[c]) / std[c], as x * scale + offset.
Normalization mean_std_normalization(const std::vector<float>& mean, const std::vector<float>& std_dev);

// The --normalize forms: "SCALE,OFFSET" (x * SCALE + OFFSET, e.g.
// "0.00392156862745098,0" for [0, 1]), "unit" ([0, 1]), "symmetric"
// ([-1, 1]: x / 127.5 - 1), "imagenet" (mean 0.485,0.456,0.406, std
// 0.229,0.224,0.225) or "mean=M1[,M2,M3]:std=S1[,S2,S3]" ((x/255 - mean) / std).
Expected<Normalization> parse_normalization(const std::string& text);

// The --image-size forms: "HxW" (e.g. "224x160") or "N" (N x N); positive.
struct ImageSize {
  int64_t height = 0;
  int64_t width = 0;
};
Expected<ImageSize> parse_image_size(const std::string& text);

struct ImageOptions {
  int64_t height = 0;  // resize to height x width; 0: keep the decoded size (every image must have the same)
  int64_t width = 0;
  int channels = 0;    // 1 or 3 (grayscale <-> RGB); 0: as decoded (every image must have the same)
  DType dtype = DType::kFloat32;           // float32, uint8 (pixels 0..255) or int8 (pixel - 128)
  std::optional<Normalization> normalize;  // float32 only; none: pixel values 0..255
  int64_t max_pixels = kDefaultMaxPixels;  // decoded images larger than this are refused
};

// Options that a folder's samples can be made with: dtype, channels, sizes
// and normalisation (one value or one per output channel) agree.
Status check_image_options(const ImageOptions& options);

// `image` as one sample of `options` (resolved: height, width and channels
// set): (height, width, channels) elements of options.dtype into `out`.
// Grayscale to RGB repeats the value; RGB to grayscale is ITU-R 601-2 luma
// in integers, as PIL's convert("L"): (19595 R + 38470 G + 7471 B + 2^15) >> 16.
// Resizing is bilinear with half-pixel centres (TensorFlow 2's
// tf.image.resize "bilinear", antialias off; src = (dst + 0.5) * in / out - 0.5,
// clamped to the edge) on float values; uint8/int8 outputs round to nearest.
void write_image(const Image& image, const ImageOptions& options, std::span<uint8_t> out);

}  // namespace tfc::data
