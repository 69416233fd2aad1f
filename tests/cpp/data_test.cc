// Tests of data/: PNG and JPEG folders written here by libpng and libjpeg
// (decoded values, channel conversion, resizing, normalisation, errors), the
// array source, and the Loader (shuffle and augmentation determinism across
// thread counts, drop_last, labels, buffer reuse, shutdown).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <jpeglib.h>
#include <png.h>
#include <zlib.h>

#include "data/image_decode.h"
#include "data/loader.h"
#include "data/source.h"
#include "eval/evaluate.h"
#include "io/tflite_reader.h"
#include "passes/ptq.h"
#include "test_util.h"

namespace tfc::data {
namespace {

namespace fs = std::filesystem;

#define EXPECT_ERROR(expr, code_value, substring)                   \
  do {                                                              \
    const Status s_ = (expr);                                       \
    EXPECT_EQ(s_.code(), code_value) << s_.message();               \
    EXPECT_NE(s_.message().find(substring), std::string::npos) << s_.message(); \
  } while (0)

// (h, w, c) pixels, value = f(y, x, ch).
std::vector<uint8_t> pattern(int h, int w, int c, int salt) {
  std::vector<uint8_t> p(static_cast<size_t>(h * w * c));
  for (size_t i = 0; i < p.size(); ++i) p[i] = static_cast<uint8_t>((i * 37 + static_cast<size_t>(salt) * 11) % 256);
  return p;
}

void write_png(const fs::path& path, int h, int w, int c, const std::vector<uint8_t>& pixels) {
  fs::create_directories(path.parent_path());
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(w);
  image.height = static_cast<png_uint_32>(h);
  image.format = c == 1 ? PNG_FORMAT_GRAY : c == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_RGBA;
  ASSERT_TRUE(png_image_write_to_file(&image, path.c_str(), 0, pixels.data(), 0, nullptr)) << image.message;
}

std::vector<uint8_t> encode_jpeg(int h, int w, int c, const std::vector<uint8_t>& pixels) {
  jpeg_compress_struct cinfo;
  jpeg_error_mgr err;
  cinfo.err = jpeg_std_error(&err);
  jpeg_create_compress(&cinfo);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &buffer, &size);
  cinfo.image_width = static_cast<JDIMENSION>(w);
  cinfo.image_height = static_cast<JDIMENSION>(h);
  cinfo.input_components = c;
  cinfo.in_color_space = c == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, 85, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<uint8_t*>(pixels.data()) + cinfo.next_scanline * static_cast<size_t>(w * c);
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  std::vector<uint8_t> out(buffer, buffer + size);
  jpeg_destroy_compress(&cinfo);
  std::free(buffer);
  return out;
}

// libjpeg's own decode with its defaults: the reference for our reader.
std::vector<uint8_t> libjpeg_decode(const std::vector<uint8_t>& bytes) {
  jpeg_decompress_struct cinfo;
  jpeg_error_mgr err;
  cinfo.err = jpeg_std_error(&err);
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, bytes.data(), bytes.size());
  jpeg_read_header(&cinfo, TRUE);
  jpeg_start_decompress(&cinfo);
  const size_t row = static_cast<size_t>(cinfo.output_width) * static_cast<size_t>(cinfo.output_components);
  std::vector<uint8_t> out(row * cinfo.output_height);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW r = out.data() + row * cinfo.output_scanline;
    jpeg_read_scanlines(&cinfo, &r, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return out;
}

void write_bytes(const fs::path& path, const std::vector<uint8_t>& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                               static_cast<std::streamsize>(bytes.size()));
}

std::vector<uint8_t> read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Every sample of `source` as whole arrays.
DataArrays all(const Source& source) {
  auto arrays = read_all(source);
  EXPECT_TRUE(arrays.has_value()) << arrays.status().message();
  return arrays.has_value() ? std::move(*arrays) : DataArrays{};
}

std::unique_ptr<Source> folder(const fs::path& dir, const ImageOptions& options) {
  auto s = image_folder_source(dir.string(), options);
  EXPECT_TRUE(s.has_value()) << s.status().message();
  return s.has_value() ? std::move(*s) : nullptr;
}

ImageOptions u8(int channels = 0) {
  ImageOptions o;
  o.dtype = DType::kUInt8;
  o.channels = channels;
  return o;
}

TEST(DataImages, PngDecodesExactlyWithSortedClasses) {
  test::ScratchDir dir("tfc-data");
  const auto a = pattern(4, 5, 3, 1), b = pattern(4, 5, 3, 2), c = pattern(4, 5, 3, 3);
  write_png(dir.path() / "zebra" / "1.png", 4, 5, 3, a);
  write_png(dir.path() / "ant" / "b.PNG", 4, 5, 3, b);
  write_png(dir.path() / "ant" / "a.png", 4, 5, 3, c);
  write_bytes(dir.path() / "ant" / "notes.txt", {'h', 'i'});  // skipped
  auto source = folder(dir.path(), u8());
  ASSERT_TRUE(source);
  EXPECT_EQ(source->size(), 3);
  EXPECT_EQ(source->num_classes(), 2);
  EXPECT_EQ(source->class_names(), (std::vector<std::string>{"ant", "zebra"}));
  EXPECT_EQ(source->inputs()[0].shape, (std::vector<int64_t>{4, 5, 3}));
  const DataArrays arrays = all(*source);
  std::vector<uint8_t> expected = c;  // ant/a.png, ant/b.PNG, zebra/1.png
  expected.insert(expected.end(), b.begin(), b.end());
  expected.insert(expected.end(), a.begin(), a.end());
  EXPECT_EQ(arrays.inputs[0].data, expected);
  ASSERT_TRUE(arrays.labels);
  EXPECT_EQ(arrays.labels->dtype, DType::kInt32);
  EXPECT_EQ(std::vector<int32_t>(arrays.labels->as<int32_t>(), arrays.labels->as<int32_t>() + 3),
            (std::vector<int32_t>{0, 0, 1}));

  // float32 without normalisation: the pixel values; RGBA drops alpha.
  test::ScratchDir flat("tfc-data");
  const auto rgba = pattern(2, 3, 4, 5);
  write_png(flat.path() / "x.png", 2, 3, 4, rgba);
  auto f = folder(flat.path(), ImageOptions{});
  ASSERT_TRUE(f);
  EXPECT_FALSE(f->labels());
  const DataArrays fa = all(*f);
  ASSERT_EQ(fa.inputs[0].num_elements(), 18);
  for (int p = 0; p < 6; ++p) {
    for (int ch = 0; ch < 3; ++ch) EXPECT_EQ(fa.inputs[0].as<float>()[p * 3 + ch], rgba[p * 4 + ch]);
  }
}

TEST(DataImages, JpegMatchesLibjpegAndChannelsConvert) {
  test::ScratchDir dir("tfc-data");
  const auto rgb = pattern(9, 7, 3, 4), gray = pattern(9, 7, 1, 6);
  const auto rgb_jpeg = encode_jpeg(9, 7, 3, rgb), gray_jpeg = encode_jpeg(9, 7, 1, gray);
  write_bytes(dir.path() / "c" / "a.jpg", rgb_jpeg);
  write_bytes(dir.path() / "g" / "b.jpeg", gray_jpeg);
  auto mixed = image_folder_source(dir.path().string(), u8());
  EXPECT_ERROR(mixed.status(), StatusCode::kInvalidArgument, "differ in channels");

  const DataArrays as_rgb = all(*folder(dir.path(), u8(3)));
  const auto ref_rgb = libjpeg_decode(rgb_jpeg), ref_gray = libjpeg_decode(gray_jpeg);
  ASSERT_EQ(as_rgb.inputs[0].data.size(), 2u * 9 * 7 * 3);
  EXPECT_TRUE(std::equal(ref_rgb.begin(), ref_rgb.end(), as_rgb.inputs[0].data.begin()));
  for (size_t p = 0; p < ref_gray.size(); ++p) {  // grayscale -> RGB repeats the value
    for (size_t ch = 0; ch < 3; ++ch) ASSERT_EQ(as_rgb.inputs[0].data[ref_rgb.size() + p * 3 + ch], ref_gray[p]);
  }
  const DataArrays as_gray = all(*folder(dir.path(), u8(1)));
  for (size_t p = 0; p < ref_gray.size(); ++p) {  // RGB -> gray: ITU-R 601-2 luma as PIL
    const uint8_t* rgb = &ref_rgb[p * 3];
    const uint32_t luma = (19595u * rgb[0] + 38470u * rgb[1] + 7471u * rgb[2] + 32768u) >> 16;
    ASSERT_EQ(as_gray.inputs[0].data[p], luma);
    ASSERT_EQ(as_gray.inputs[0].data[ref_gray.size() + p], ref_gray[p]);
  }
}

// One channel, (1, 2) -> (1, 4) and (2, 2) -> (4, 4) upsampling, (4, 4) ->
// (2, 2) downsampling, with half-pixel centres.
TEST(DataImages, BilinearResizeHalfPixelCentres) {
  test::ScratchDir dir("tfc-data");
  write_png(dir.path() / "a.png", 2, 2, 1, {0, 100, 200, 40});
  ImageOptions o;
  o.height = 4;
  o.width = 4;
  const DataArrays up = all(*folder(dir.path(), o));
  // Taps per output index: src = (d + 0.5) / 2 - 0.5 -> 0 (clamped), 0.25, 0.75, 1 (clamped).
  const double w[4] = {0, 0.25, 0.75, 1};
  const double v[2][2] = {{0, 100}, {200, 40}};
  for (int y = 0; y < 4; ++y) {
    for (int x = 0; x < 4; ++x) {
      const double top = v[0][0] + (v[0][1] - v[0][0]) * w[x], bottom = v[1][0] + (v[1][1] - v[1][0]) * w[x];
      EXPECT_NEAR(up.inputs[0].as<float>()[y * 4 + x], top + (bottom - top) * w[y], 1e-4) << y << "," << x;
    }
  }
  test::ScratchDir big("tfc-data");
  std::vector<uint8_t> px(16);
  for (int i = 0; i < 16; ++i) px[static_cast<size_t>(i)] = static_cast<uint8_t>(i * 10);
  write_png(big.path() / "a.png", 4, 4, 1, px);
  o.height = 2;
  o.width = 2;
  o.dtype = DType::kUInt8;
  const DataArrays down = all(*folder(big.path(), o));
  // src = (d + 0.5) * 2 - 0.5 = 0.5, 2.5: the mean of each 2 x 2 block's centre taps.
  EXPECT_EQ(down.inputs[0].data, (std::vector<uint8_t>{25, 45, 105, 125}));
}

TEST(DataImages, Normalization) {
  test::ScratchDir dir("tfc-data");
  write_png(dir.path() / "a.png", 1, 2, 3, {0, 51, 255, 102, 204, 153});
  ImageOptions o;
  o.normalize = parse_normalization("unit").value();
  DataArrays a = all(*folder(dir.path(), o));
  EXPECT_NEAR(a.inputs[0].as<float>()[1], 0.2f, 1e-6);
  EXPECT_NEAR(a.inputs[0].as<float>()[2], 1.0f, 1e-6);
  o.normalize = parse_normalization("0.5,-10").value();
  a = all(*folder(dir.path(), o));
  EXPECT_FLOAT_EQ(a.inputs[0].as<float>()[3], 41.0f);
  o.normalize = parse_normalization("mean=0.1,0.2,0.3:std=0.5,0.25,2").value();
  a = all(*folder(dir.path(), o));
  const float px[6] = {0, 51, 255, 102, 204, 153}, mean[3] = {0.1f, 0.2f, 0.3f}, sd[3] = {0.5f, 0.25f, 2};
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(a.inputs[0].as<float>()[i], (px[i] / 255 - mean[i % 3]) / sd[i % 3], 1e-5);
  o.normalize = parse_normalization("symmetric").value();
  a = all(*folder(dir.path(), o));
  EXPECT_NEAR(a.inputs[0].as<float>()[0], -1.0f, 1e-6);
  EXPECT_NEAR(a.inputs[0].as<float>()[2], 1.0f, 1e-6);
  EXPECT_TRUE(parse_normalization("imagenet").has_value());
  EXPECT_EQ(parse_image_size("224x160").value().width, 160);
  EXPECT_EQ(parse_image_size("32").value().height, 32);
  for (const char* bad : {"", "x", "0x4", "4x", "-3", "3x3x3", "9999999"}) {
    SCOPED_TRACE(bad);
    EXPECT_ERROR(parse_image_size(bad).status(), StatusCode::kInvalidArgument, "--image-size");
  }
  for (const char* bad : {"", "1", "1,2,3", "x,1", "mean=0.5", "mean=0.5:std=0", "mean=1,2:std=1"}) {
    SCOPED_TRACE(bad);
    EXPECT_ERROR(parse_normalization(bad).status(), StatusCode::kInvalidArgument, "--normalize");
  }
  ImageOptions gray = o;
  gray.channels = 1;
  gray.normalize = parse_normalization("imagenet").value();
  EXPECT_ERROR(image_folder_source(dir.path().string(), gray).status(), StatusCode::kInvalidArgument, "per channel");
  ImageOptions int_norm = u8();
  int_norm.normalize = Normalization{};
  EXPECT_ERROR(image_folder_source(dir.path().string(), int_norm).status(), StatusCode::kInvalidArgument, "float32");
  ImageOptions i8 = u8();
  i8.dtype = DType::kInt8;
  a = all(*folder(dir.path(), i8));
  EXPECT_EQ(reinterpret_cast<const int8_t*>(a.inputs[0].data.data())[0], -128);
  EXPECT_EQ(reinterpret_cast<const int8_t*>(a.inputs[0].data.data())[2], 127);
}

// A PNG of `h` x `w` whose IHDR says so (with its CRC), and no image data.
std::vector<uint8_t> png_header_only(uint32_t h, uint32_t w) {
  std::vector<uint8_t> b = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R'};
  for (uint32_t v : {w, h}) {
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(v >> s));
  }
  b.insert(b.end(), {8, 2, 0, 0, 0});  // 8-bit RGB
  const uLong crc = crc32(0, b.data() + 12, 17);
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(crc >> s));
  b.insert(b.end(), {0, 0, 0, 0, 'I', 'D', 'A', 'T'});  // an empty IDAT: libpng reads the header up to it
  const uLong idat_crc = crc32(0, b.data() + b.size() - 4, 4);
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(idat_crc >> s));
  return b;
}

TEST(DataImages, ErrorsNameTheFile) {
  test::ScratchDir dir("tfc-data");
  const fs::path empty = dir.path() / "empty";
  fs::create_directories(empty);
  EXPECT_ERROR(image_folder_source(empty.string(), {}).status(), StatusCode::kInvalidArgument, "no images");
  fs::create_directories(dir.path() / "classes" / "none");
  write_png(dir.path() / "classes" / "one" / "a.png", 2, 2, 1, {1, 2, 3, 4});
  EXPECT_ERROR(image_folder_source((dir.path() / "classes").string(), {}).status(), StatusCode::kInvalidArgument,
               "none: class folder has no images");
  write_png(dir.path() / "both" / "c" / "a.png", 2, 2, 1, {1, 2, 3, 4});
  write_png(dir.path() / "both" / "loose.png", 2, 2, 1, {1, 2, 3, 4});
  EXPECT_ERROR(image_folder_source((dir.path() / "both").string(), {}).status(), StatusCode::kInvalidArgument,
               "loose.png");
  write_png(dir.path() / "sizes" / "a.png", 2, 2, 1, {1, 2, 3, 4});
  write_png(dir.path() / "sizes" / "b.png", 2, 3, 1, {1, 2, 3, 4, 5, 6});
  EXPECT_ERROR(image_folder_source((dir.path() / "sizes").string(), {}).status(), StatusCode::kInvalidArgument,
               "differ in size");
  ImageOptions sized;
  sized.height = sized.width = 3;
  EXPECT_TRUE(image_folder_source((dir.path() / "sizes").string(), sized).has_value());

  // Corrupt files: found when the header is read, or when the sample is.
  const auto jpeg = encode_jpeg(16, 16, 3, pattern(16, 16, 3, 0));
  write_bytes(dir.path() / "bad" / "trunc.jpg", std::vector<uint8_t>(jpeg.begin(), jpeg.begin() + jpeg.size() / 2));
  ImageOptions fixed;
  fixed.height = fixed.width = 16;
  fixed.channels = 3;
  auto src = folder(dir.path() / "bad", fixed);
  ASSERT_TRUE(src);
  EXPECT_ERROR(read_all(*src).status(), StatusCode::kInvalidArgument, "trunc.jpg: corrupt JPEG");
  write_png(dir.path() / "badpng" / "p.png", 8, 8, 3, pattern(8, 8, 3, 0));
  auto png = read_bytes(dir.path() / "badpng" / "p.png");
  ASSERT_GT(png.size(), 40u);
  png.erase(png.end() - 20, png.end());
  write_bytes(dir.path() / "badpng" / "p.png", png);
  src = folder(dir.path() / "badpng", fixed);
  ASSERT_TRUE(src);
  EXPECT_ERROR(read_all(*src).status(), StatusCode::kInvalidArgument, "p.png: corrupt PNG");
  write_bytes(dir.path() / "text" / "t.png", {'n', 'o', 't', ' ', 'p', 'n', 'g'});
  EXPECT_ERROR(image_folder_source((dir.path() / "text").string(), {}).status(), StatusCode::kInvalidArgument,
               "t.png: not a PNG or JPEG");
  // A symlink loop under a class folder.
  write_png(dir.path() / "loop" / "c" / "a.png", 2, 2, 1, {1, 2, 3, 4});
  fs::create_directory_symlink(dir.path() / "loop" / "c", dir.path() / "loop" / "c" / "again");
  EXPECT_ERROR(image_folder_source((dir.path() / "loop").string(), {}).status(), StatusCode::kInvalidArgument,
               "nested more than");
  // Huge dimensions are refused from the header, before any allocation.
  write_bytes(dir.path() / "huge" / "h.png", png_header_only(60000, 60000));
  EXPECT_ERROR(image_folder_source((dir.path() / "huge").string(), {}).status(), StatusCode::kInvalidArgument,
               "h.png: image is 60000 x 60000 pixels, more than the limit");
  ImageOptions tiny = fixed;
  tiny.height = tiny.width = 2;
  tiny.channels = 1;
  tiny.max_pixels = 4;
  src = folder(dir.path() / "sizes", tiny);
  ASSERT_TRUE(src);
  EXPECT_ERROR(read_all(*src).status(), StatusCode::kInvalidArgument, "b.png: image is 2 x 3 pixels");
  EXPECT_ERROR(decode_image(std::vector<uint8_t>{0xFF, 0xD8, 0xFF}, "x.jpg").status(), StatusCode::kInvalidArgument,
               "x.jpg: corrupt JPEG");
}

TEST(DataArraysSource, ShapesAndLabels) {
  DataArrays arrays;
  arrays.inputs.push_back(Array{DType::kInt32, {3, 2}, std::vector<uint8_t>(24, 1)});
  arrays.labels = Array{DType::kUInt8, {2}, {0, 1}};
  EXPECT_ERROR(array_source(arrays).status(), StatusCode::kInvalidArgument, "labels have shape (2)");
  arrays.labels = Array{DType::kUInt8, {3}, {0, 4, 1}};
  auto s = array_source(arrays);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ((*s)->num_classes(), 5);
  EXPECT_EQ((*s)->inputs()[0].shape, (std::vector<int64_t>{2}));
  arrays.inputs.push_back(Array{DType::kFloat32, {4}, std::vector<uint8_t>(16)});
  EXPECT_ERROR(array_source(arrays).status(), StatusCode::kInvalidArgument, "input 1 has 4 samples");
  EXPECT_ERROR(array_source(DataArrays{{Array{DType::kFloat32, {2, 2}, {}}}, {}}).status(),
               StatusCode::kInvalidArgument, "do not match");
}

// int32 samples (4, 5, 1) whose elements are 1000 * index + position + 1 (never 0), labels = index.
std::shared_ptr<const Source> counting_source(int64_t n) {
  DataArrays arrays;
  Array x{DType::kInt32, {n, 4, 5, 1}, std::vector<uint8_t>(static_cast<size_t>(n * 20 * 4))};
  Array y{DType::kInt32, {n}, std::vector<uint8_t>(static_cast<size_t>(n * 4))};
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t p = 0; p < 20; ++p) x.as<int32_t>()[i * 20 + p] = static_cast<int32_t>(1000 * i + p + 1);
    y.as<int32_t>()[i] = static_cast<int32_t>(i);
  }
  arrays.inputs.push_back(std::move(x));
  arrays.labels = std::move(y);
  return std::shared_ptr<const Source>(array_source(std::move(arrays)).value().release());
}

// Every batch of one epoch, inputs and labels concatenated, with the sizes.
struct Epoch {
  std::vector<int32_t> x, y;
  std::vector<int64_t> sizes;
  bool operator==(const Epoch&) const = default;
};
Epoch run_epoch(Loader& loader, int64_t epoch) {
  Epoch e;
  loader.start_epoch(epoch);
  Batch b;
  while (true) {
    auto more = loader.next(b);
    EXPECT_TRUE(more.has_value()) << more.status().message();
    if (!more.has_value() || !*more) break;
    e.sizes.push_back(b.size);
    EXPECT_EQ(b.inputs[0].shape, (std::vector<int64_t>{b.size, 4, 5, 1}));
    e.x.insert(e.x.end(), b.inputs[0].as<int32_t>(), b.inputs[0].as<int32_t>() + b.inputs[0].num_elements());
    e.y.insert(e.y.end(), b.labels->as<int32_t>(), b.labels->as<int32_t>() + b.size);
  }
  return e;
}

std::unique_ptr<Loader> make_loader(std::shared_ptr<const Source> s, LoaderOptions o) {
  auto l = Loader::create(std::move(s), o);
  EXPECT_TRUE(l.has_value()) << l.status().message();
  return std::move(*l);
}

TEST(DataLoader, ShuffleIsDeterministicForAnyThreadCount) {
  const auto source = counting_source(23);
  LoaderOptions o;
  o.batch = 4;
  o.seed = 7;
  o.threads = 0;
  const Epoch e0 = run_epoch(*make_loader(source, o), 0);
  EXPECT_EQ(e0.sizes, (std::vector<int64_t>{4, 4, 4, 4, 4, 3}));
  std::vector<int32_t> sorted = e0.y;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i < 23; ++i) EXPECT_EQ(sorted[static_cast<size_t>(i)], i);  // a permutation
  EXPECT_NE(sorted, e0.y);
  for (size_t k = 0; k < e0.y.size(); ++k) EXPECT_EQ(e0.x[k * 20], 1000 * e0.y[k] + 1);  // labels follow samples
  for (int threads : {1, 3}) {
    o.threads = threads;
    auto loader = make_loader(source, o);
    EXPECT_EQ(run_epoch(*loader, 0), e0) << threads;
    const Epoch e1 = run_epoch(*loader, 1);
    EXPECT_NE(e1.y, e0.y);
    EXPECT_EQ(run_epoch(*loader, 1), e1);  // an epoch reshuffles the same way again
  }
  o.shuffle = false;
  o.drop_last = true;
  const Epoch plain = run_epoch(*make_loader(source, o), 3);
  EXPECT_EQ(plain.sizes, (std::vector<int64_t>{4, 4, 4, 4, 4}));
  for (int i = 0; i < 20; ++i) EXPECT_EQ(plain.y[static_cast<size_t>(i)], i);
}

TEST(DataLoader, AugmentationFlipsAndShiftsDeterministically) {
  const auto source = counting_source(40);
  LoaderOptions o;
  o.batch = 8;
  o.seed = 3;
  o.threads = 0;
  o.augment.horizontal_flip = true;
  const Epoch flip = run_epoch(*make_loader(source, o), 2);
  int flipped = 0;
  for (size_t k = 0; k < flip.y.size(); ++k) {
    const int32_t base = 1000 * flip.y[k] + 1;
    const bool mirrored = flip.x[k * 20] == base + 4;
    flipped += mirrored;
    for (int r = 0; r < 4; ++r) {
      for (int c = 0; c < 5; ++c) ASSERT_EQ(flip.x[k * 20 + r * 5 + c], base + r * 5 + (mirrored ? 4 - c : c));
    }
  }
  EXPECT_GT(flipped, 5);
  EXPECT_LT(flipped, 35);

  o.augment = {2, false};
  const Epoch crop = run_epoch(*make_loader(source, o), 2);
  int shifted = 0, zeros = 0;
  for (size_t k = 0; k < crop.y.size(); ++k) {
    const int32_t base = 1000 * crop.y[k] + 1;
    // Find the shift from any kept pixel; every pixel must agree with it or be 0.
    int dy = 99, dx = 99;
    for (int p = 0; p < 20 && dy == 99; ++p) {
      const int32_t v = crop.x[k * 20 + static_cast<size_t>(p)];
      if (v != 0) {
        dy = (v - base) / 5 - p / 5;
        dx = (v - base) % 5 - p % 5;
      }
    }
    ASSERT_NE(dy, 99) << "a crop of padding 2 keeps at least one pixel of a 4 x 5 image";
    ASSERT_LE(std::abs(dy), 2);
    ASSERT_LE(std::abs(dx), 2);
    shifted += dy != 0 || dx != 0;
    for (int r = 0; r < 4; ++r) {
      for (int c = 0; c < 5; ++c) {
        const int sr = r + dy, sc = c + dx;
        const bool inside = sr >= 0 && sr < 4 && sc >= 0 && sc < 5;
        zeros += !inside;
        ASSERT_EQ(crop.x[k * 20 + static_cast<size_t>(r * 5 + c)], inside ? base + sr * 5 + sc : 0);
      }
    }
  }
  EXPECT_GT(shifted, 20);
  EXPECT_GT(zeros, 0);

  o.augment = {2, true};
  const Epoch both = run_epoch(*make_loader(source, o), 5);
  for (int threads : {2, 4}) {
    o.threads = threads;
    EXPECT_EQ(run_epoch(*make_loader(source, o), 5), both) << threads;
  }
  DataArrays flat;
  flat.inputs.push_back(Array{DType::kFloat32, {2, 3}, std::vector<uint8_t>(24)});
  auto vectors = std::shared_ptr<const Source>(array_source(flat).value().release());
  EXPECT_ERROR(Loader::create(vectors, o).status(), StatusCode::kInvalidArgument, "image samples");
}

TEST(DataLoader, ReusesBuffersAndStopsMidEpoch) {
  const auto source = counting_source(50);
  LoaderOptions o;
  o.batch = 4;
  o.threads = 2;
  o.prefetch = 1;
  auto loader = make_loader(source, o);
  std::set<const uint8_t*> buffers;
  Batch b;
  for (int epoch = 0; epoch < 3; ++epoch) {
    loader->start_epoch(epoch);
    while (loader->next(b).value()) buffers.insert(b.inputs[0].data.data());
  }
  EXPECT_LE(buffers.size(), 4u);  // three slots and the caller's batch circulate
  loader->start_epoch(3);
  ASSERT_TRUE(loader->next(b).value());
  loader->start_epoch(4);  // restarting mid-epoch
  ASSERT_TRUE(loader->next(b).value());
  loader.reset();  // destroyed mid-epoch: the threads stop
  EXPECT_ERROR(make_loader(source, o)->next(b).status(), StatusCode::kInvalidArgument, "start_epoch");
  o.batch = 0;
  EXPECT_FALSE(Loader::create(source, o).has_value());
}

TEST(DataLoader, ReadErrorEndsTheEpoch) {
  test::ScratchDir dir("tfc-data");
  for (int i = 0; i < 6; ++i) write_png(dir.path() / "c" / fmt::format("{}.png", i), 3, 3, 1, pattern(3, 3, 1, i));
  write_bytes(dir.path() / "c" / "4.png", {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
  ImageOptions fixed;
  fixed.height = fixed.width = 3;
  fixed.channels = 1;
  auto source = std::shared_ptr<const Source>(folder(dir.path(), fixed).release());
  LoaderOptions o;
  o.batch = 2;
  o.shuffle = false;
  o.threads = 2;
  auto loader = make_loader(source, o);
  loader->start_epoch(0);
  Batch b;
  EXPECT_TRUE(loader->next(b).value());
  EXPECT_TRUE(loader->next(b).value());
  EXPECT_ERROR(loader->next(b).status(), StatusCode::kInvalidArgument, "4.png");
  EXPECT_FALSE(loader->next(b).value());
}

TEST(DataSpec, FolderFeedsCalibrationAndEvaluation) {
  test::ScratchDir dir("tfc-data");
  write_png(dir.path() / "a" / "0.png", 6, 6, 3, pattern(6, 6, 3, 0));
  write_png(dir.path() / "b" / "0.png", 8, 4, 1, pattern(8, 4, 1, 1));
  const ImageOptions fit = image_options_for_input({1, 5, 5, 3}, DType::kFloat32);
  EXPECT_EQ(fit.height, 5);
  EXPECT_EQ(fit.channels, 3);
  EXPECT_EQ(fit.dtype, DType::kUInt8);  // --input-scale converts, as for IDX images
  EXPECT_EQ(image_options_for_input({1, 5, 5, 3}, DType::kFloat32, Normalization{}).dtype, DType::kFloat32);
  EXPECT_EQ(image_options_for_input({1, 5, 5, 3}, DType::kInt8).dtype, DType::kUInt8);
  EXPECT_EQ(image_options_for_input({1, 5, 5, 3}, DType::kUInt8, Normalization{}).dtype, DType::kUInt8);
  EXPECT_EQ(image_options_for_input({1, 10}, DType::kFloat32).height, 0);
  auto d = load_dataset(dir.path().string(), "in", SourceOptions{fit});
  ASSERT_TRUE(d.has_value()) << d.status().message();
  EXPECT_EQ(d->x.shape, (std::vector<int64_t>{2, 5, 5, 3}));
  ASSERT_TRUE(d->y);
  EXPECT_EQ(d->y->shape, (std::vector<int64_t>{2}));
  auto files = spec_files(dir.path().string());
  ASSERT_TRUE(files.has_value());
  EXPECT_EQ(files->size(), 2u);
  EXPECT_EQ(spec_files("a.idx,b.idx").value(), (std::vector<std::string>{"a.idx", "b.idx"}));
  EXPECT_ERROR(open_source(dir.path().string(), {"p", "q"}).status(), StatusCode::kInvalidArgument, "one input");
}


// Fashion-MNIST test images written as a PNG class folder read exactly as the
// IDX files do, for evaluation and for calibration of the CNN fixture.
TEST(DataSpec, ImageFolderReadsLikeIdxForEvalAndCalibration) {
  const std::string images = test::fmnist_file("t10k-images-idx3-ubyte.gz");
  const std::string labels = test::fmnist_file("t10k-labels-idx1-ubyte.gz");
  if (!fs::exists(images)) GTEST_SKIP() << "Fashion-MNIST not found: " << images;
  const int64_t n = 16;
  auto idx = eval::load_eval_data(images + "," + labels, "", 1.0f / 255.0f, n);
  ASSERT_TRUE(idx.has_value()) << idx.status().message();
  auto raw = tfc::load_dataset(images + "," + labels);
  ASSERT_TRUE(raw.has_value());
  test::ScratchDir dir("tfc-data");
  std::vector<std::pair<int, int>> order;  // (label, index): the folder's sorted order
  for (int i = 0; i < n; ++i) {
    const uint8_t* px = raw->x.as<uint8_t>() + i * 28 * 28;
    const int label = raw->y->as<uint8_t>()[i];
    write_png(dir.path() / std::to_string(label) / fmt::format("{:02}.png", i), 28, 28, 1,
              std::vector<uint8_t>(px, px + 28 * 28));
    order.emplace_back(label, i);
  }
  std::sort(order.begin(), order.end());
  const std::string model = (test::source_dir() / "fixtures" / "models" / "cnn_fmnist.tflite").string();
  auto input = eval::model_input(model);
  ASSERT_TRUE(input.has_value()) << input.status().message();
  auto from_folder = eval::load_eval_data(dir.path().string(), "", 1.0f / 255.0f, 0, *input);
  ASSERT_TRUE(from_folder.has_value()) << from_folder.status().message();
  ASSERT_EQ(from_folder->data.x.shape, (std::vector<int64_t>{n, 28, 28, 1}));
  ASSERT_EQ(from_folder->data.x.dtype, DType::kFloat32);
  ASSERT_TRUE(from_folder->labels);
  std::vector<int> classes;  // folder class id -> Fashion-MNIST label
  for (const auto& [label, i] : order) {
    if (classes.empty() || classes.back() != label) classes.push_back(label);
  }
  const size_t row = 28 * 28;
  for (size_t k = 0; k < order.size(); ++k) {
    const auto [label, i] = order[k];
    EXPECT_EQ(classes[static_cast<size_t>((*from_folder->labels)[k])], label);
    EXPECT_EQ(0, std::memcmp(from_folder->data.x.as<float>() + k * row, idx->data.x.as<float>() + i * row,
                             row * sizeof(float)));
  }
  EXPECT_NE(from_folder->sha256, idx->sha256);
  auto m = io::read_tflite(model);
  ASSERT_TRUE(m.has_value());
  auto calibration = passes::load_model_dataset(*m, dir.path().string(), 1.0f / 255.0f);
  ASSERT_TRUE(calibration.has_value()) << calibration.status().message();
  EXPECT_EQ(calibration->x.data, from_folder->data.x.data);
}

}  // namespace
}  // namespace tfc::data
