// libFuzzer harness for the image decoders of data/ (libpng's simplified API,
// libjpeg-turbo): any byte string gives an image or an error, never a crash,
// hang or sanitizer report. A header that reads must agree with the decoded
// image, which must hold exactly its pixels; a decoded image is then resized
// and converted as an image folder's samples are (data/image_transform.h).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "data/image_decode.h"
#include "data/image_transform.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tfc::data;
  constexpr int64_t kMaxPixels = int64_t{1} << 20;  // keeps each run's memory small
  const std::span<const uint8_t> bytes(data, size);
  const auto header = read_image_header(bytes, "fuzz", kMaxPixels);
  const auto image = decode_image(bytes, "fuzz", kMaxPixels);
  if (!image.has_value()) return 0;
  const ImageHeader& h = image->header;
  if (!header.has_value() || header->height != h.height || header->width != h.width ||
      header->channels != h.channels || (h.channels != 1 && h.channels != 3) ||
      image->pixels.size() != static_cast<size_t>(h.height * h.width * h.channels)) {
    __builtin_trap();
  }
  ImageOptions options;
  options.height = 5;
  options.width = 7;
  options.normalize = parse_normalization("imagenet").value();
  options.channels = 3;
  std::vector<uint8_t> out(5 * 7 * 3 * sizeof(float));
  write_image(*image, options, out);
  options.channels = 1;
  options.normalize.reset();
  options.dtype = tfc::DType::kUInt8;
  write_image(*image, options, std::span<uint8_t>(out.data(), 5 * 7));
  return 0;
}
