// Implementation of image_decode.h: libpng's simplified reading API and
// libjpeg's decompressor reading from memory, with error handlers that turn
// every failure into a Status.
#include "data/image_decode.h"

#include <csetjmp>
#include <cstdio>
#include <cstring>

#include <jpeglib.h>
#include <png.h>

namespace tfc::data {
namespace {

constexpr int kMaxProgressiveScans = 500;  // as TurboJPEG's scan limit

bool is_png(std::span<const uint8_t> b) { return b.size() >= 8 && std::memcmp(b.data(), "\x89PNG\r\n\x1a\n", 8) == 0; }
bool is_jpeg(std::span<const uint8_t> b) { return b.size() >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF; }

Status check_size(int64_t height, int64_t width, int64_t max_pixels, const std::string& name) {
  if (height <= 0 || width <= 0) return invalid_argument("{}: image has no pixels ({} x {})", name, height, width);
  if (height > max_pixels / width) {
    return invalid_argument("{}: image is {} x {} pixels, more than the limit of {} pixels", name, height, width,
                            max_pixels);
  }
  return Status::ok();
}

// ---- PNG ----------------------------------------------------------------

// A png_image that is freed however its reading ends.
struct PngImage {
  png_image image{};
  PngImage() { image.version = PNG_IMAGE_VERSION; }
  ~PngImage() { png_image_free(&image); }
};

Status png_begin(PngImage& png, std::span<const uint8_t> bytes, const std::string& name, int64_t max_pixels) {
  if (!png_image_begin_read_from_memory(&png.image, bytes.data(), bytes.size())) {
    return invalid_argument("{}: not a valid PNG: {}", name, png.image.message);
  }
  return check_size(png.image.height, png.image.width, max_pixels, name);
}

int png_channels(const png_image& image) { return (image.format & PNG_FORMAT_FLAG_COLOR) ? 3 : 1; }

Expected<Image> decode_png(std::span<const uint8_t> bytes, const std::string& name, int64_t max_pixels) {
  PngImage png;
  TFC_RETURN_IF_ERROR(png_begin(png, bytes, name, max_pixels));
  // 8-bit sRGB samples, keeping the file's colour and alpha flags; alpha is
  // dropped below rather than composited onto a background.
  png.image.format &= PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA;
  const int stored = static_cast<int>(PNG_IMAGE_SAMPLE_CHANNELS(png.image.format));
  Image out;
  out.header = {png.image.height, png.image.width, png_channels(png.image)};
  std::vector<uint8_t> buffer(PNG_IMAGE_SIZE(png.image));
  if (!png_image_finish_read(&png.image, nullptr, buffer.data(), 0, nullptr)) {
    return invalid_argument("{}: corrupt PNG: {}", name, png.image.message);
  }
  if (stored == out.header.channels) {
    out.pixels = std::move(buffer);
    return out;
  }
  const int64_t pixels = out.header.height * out.header.width;
  out.pixels.resize(static_cast<size_t>(pixels * out.header.channels));
  for (int64_t p = 0; p < pixels; ++p) {
    std::memcpy(&out.pixels[static_cast<size_t>(p * out.header.channels)], &buffer[static_cast<size_t>(p * stored)],
                static_cast<size_t>(out.header.channels));
  }
  return out;
}

// ---- JPEG ---------------------------------------------------------------

struct JpegError {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX] = "";
};

[[noreturn]] void jpeg_on_error(j_common_ptr c) {
  auto* e = reinterpret_cast<JpegError*>(c->err);
  (*c->err->format_message)(c, e->message);
  std::longjmp(e->jump, 1);
}

// Warnings (level < 0) are counted, the first kept; trace messages dropped.
void jpeg_on_message(j_common_ptr c, int level) {
  auto* e = reinterpret_cast<JpegError*>(c->err);
  if (level >= 0) return;
  if (e->mgr.num_warnings++ == 0) (*c->err->format_message)(c, e->message);
}

void jpeg_on_progress(j_common_ptr c) {
  auto* d = reinterpret_cast<j_decompress_ptr>(c);
  if (d->progressive_mode && d->input_scan_number > kMaxProgressiveScans) {
    auto* e = reinterpret_cast<JpegError*>(c->err);
    std::snprintf(e->message, sizeof(e->message), "progressive JPEG with more than %d scans", kMaxProgressiveScans);
    std::longjmp(e->jump, 1);
  }
}

enum class JpegResult { kOk, kError, kCorrupt, kTooLarge, kCmyk };

// Decodes (or, with `out` null, reads the header of) a JPEG into `header` and
// `*out`. Only plain data is created in this frame after setjmp, so a
// longjmp from libjpeg skips no destructor; the caller turns the result into
// a Status.
JpegResult run_jpeg(std::span<const uint8_t> bytes, int64_t max_pixels, JpegError& err, ImageHeader& header,
                    std::vector<uint8_t>* out) {
  jpeg_decompress_struct cinfo;
  jpeg_progress_mgr progress{};
  cinfo.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = jpeg_on_error;
  err.mgr.emit_message = jpeg_on_message;
  err.mgr.output_message = [](j_common_ptr) {};
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return JpegResult::kError;
  }
  jpeg_create_decompress(&cinfo);
  progress.progress_monitor = jpeg_on_progress;
  cinfo.progress = &progress;
  jpeg_mem_src(&cinfo, bytes.data(), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&cinfo, TRUE);
  header = {cinfo.image_height, cinfo.image_width, cinfo.jpeg_color_space == JCS_GRAYSCALE ? 1 : 3};
  JpegResult result = JpegResult::kOk;
  if (header.height <= 0 || header.width <= 0 || header.height > max_pixels / header.width) {
    result = JpegResult::kTooLarge;
  } else if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
    result = JpegResult::kCmyk;
  }
  if (result != JpegResult::kOk || out == nullptr) {
    jpeg_destroy_decompress(&cinfo);
    return result;
  }
  cinfo.out_color_space = header.channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(&cinfo);
  const size_t row = static_cast<size_t>(cinfo.output_width) * static_cast<size_t>(cinfo.output_components);
  out->resize(row * cinfo.output_height);  // bounded by max_pixels above
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW rows[1] = {out->data() + row * cinfo.output_scanline};
    jpeg_read_scanlines(&cinfo, rows, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return err.mgr.num_warnings > 0 ? JpegResult::kCorrupt : JpegResult::kOk;
}

Status decode_jpeg_into(std::span<const uint8_t> bytes, const std::string& name, int64_t max_pixels,
                        ImageHeader& header, std::vector<uint8_t>* out) {
  JpegError err;
  switch (run_jpeg(bytes, max_pixels, err, header, out)) {
    case JpegResult::kOk: return Status::ok();
    case JpegResult::kError:
    case JpegResult::kCorrupt: return invalid_argument("{}: corrupt JPEG: {}", name, err.message);
    case JpegResult::kTooLarge: return check_size(header.height, header.width, max_pixels, name);
    case JpegResult::kCmyk: return unsupported("{}: CMYK JPEG images are not supported; convert it to RGB", name);
  }
  return internal_error("{}: unknown JPEG result", name);
}

Status not_an_image(const std::string& name) {
  return invalid_argument("{}: not a PNG or JPEG file (unrecognised signature)", name);
}

}  // namespace

bool is_image_signature(std::span<const uint8_t> bytes) { return is_png(bytes) || is_jpeg(bytes); }

Expected<ImageHeader> read_image_header(std::span<const uint8_t> bytes, const std::string& name, int64_t max_pixels) {
  if (is_png(bytes)) {
    PngImage png;
    TFC_RETURN_IF_ERROR(png_begin(png, bytes, name, max_pixels));
    return ImageHeader{png.image.height, png.image.width, png_channels(png.image)};
  }
  if (!is_jpeg(bytes)) return not_an_image(name);
  ImageHeader header;
  TFC_RETURN_IF_ERROR(decode_jpeg_into(bytes, name, max_pixels, header, nullptr));
  return header;
}

Expected<Image> decode_image(std::span<const uint8_t> bytes, const std::string& name, int64_t max_pixels) {
  if (is_png(bytes)) return decode_png(bytes, name, max_pixels);
  if (!is_jpeg(bytes)) return not_an_image(name);
  Image image;
  TFC_RETURN_IF_ERROR(decode_jpeg_into(bytes, name, max_pixels, image.header, &image.pixels));
  return image;
}

}  // namespace tfc::data
