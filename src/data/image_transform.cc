// Implementation of image_transform.h: per-pixel channel conversion, the
// bilinear sampler and the float/uint8/int8 writers.
#include "data/image_transform.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <sstream>

namespace tfc::data {
namespace {

// `image` with `channels` channels (1 or 3), converted on 8-bit values.
std::vector<uint8_t> convert_channels(const Image& image, int channels) {
  const int64_t pixels = image.header.height * image.header.width;
  std::vector<uint8_t> out(static_cast<size_t>(pixels * channels));
  const uint8_t* in = image.pixels.data();
  for (int64_t p = 0; p < pixels; ++p) {
    if (channels == 3) {  // from grayscale
      std::fill_n(&out[static_cast<size_t>(p * 3)], 3, in[p]);
    } else {
      const uint8_t* rgb = in + p * 3;
      const uint32_t luma = (19595u * rgb[0] + 38470u * rgb[1] + 7471u * rgb[2] + 32768u) >> 16;
      out[static_cast<size_t>(p)] = static_cast<uint8_t>(luma);
    }
  }
  return out;
}

// Source coordinate of output index `dst`: lower index, upper index, weight of the upper.
struct Tap {
  int64_t lo, hi;
  float w;
};
std::vector<Tap> taps(int64_t in, int64_t out) {
  std::vector<Tap> t(static_cast<size_t>(out));
  const double scale = static_cast<double>(in) / static_cast<double>(out);
  for (int64_t d = 0; d < out; ++d) {
    const double src = std::clamp((static_cast<double>(d) + 0.5) * scale - 0.5, 0.0, static_cast<double>(in - 1));
    const int64_t lo = static_cast<int64_t>(std::floor(src));
    t[static_cast<size_t>(d)] = {lo, std::min(lo + 1, in - 1), static_cast<float>(src - static_cast<double>(lo))};
  }
  return t;
}

float channel_value(const std::vector<float>& v, int c) { return v.size() == 1 ? v[0] : v[static_cast<size_t>(c)]; }

void store(float value, int c, const ImageOptions& o, int64_t i, uint8_t* out) {
  switch (o.dtype) {
    case DType::kUInt8: out[i] = static_cast<uint8_t>(std::clamp(std::nearbyint(value), 0.0f, 255.0f)); break;
    case DType::kInt8:
      reinterpret_cast<int8_t*>(out)[i] = static_cast<int8_t>(std::clamp(std::nearbyint(value), 0.0f, 255.0f) - 128);
      break;
    default: {
      const float v = o.normalize ? value * channel_value(o.normalize->scale, c) + channel_value(o.normalize->offset, c)
                                  : value;
      reinterpret_cast<float*>(out)[i] = v;
    }
  }
}

Expected<std::vector<float>> parse_floats(const std::string& text) {
  std::vector<float> values;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    size_t used = 0;
    float v = 0;
    try {
      v = std::stof(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size() || !std::isfinite(v)) return invalid_argument("'{}' is not a number", item);
    values.push_back(v);
  }
  if (values.empty()) return invalid_argument("no numbers in '{}'", text);
  return values;
}

}  // namespace

Normalization mean_std_normalization(const std::vector<float>& mean, const std::vector<float>& std_dev) {
  Normalization n;
  const size_t count = std::max(mean.size(), std_dev.size());
  n.scale.resize(count);
  n.offset.resize(count);
  for (size_t c = 0; c < count; ++c) {
    const float m = mean.size() == 1 ? mean[0] : mean[c];
    const float s = std_dev.size() == 1 ? std_dev[0] : std_dev[c];
    n.scale[c] = 1.0f / (255.0f * s);
    n.offset[c] = -m / s;
  }
  return n;
}

Expected<Normalization> parse_normalization(const std::string& text) {
  if (text == "unit") return Normalization{{1.0f / 255.0f}, {0.0f}};
  if (text == "symmetric") return Normalization{{1.0f / 127.5f}, {-1.0f}};
  if (text == "imagenet") return mean_std_normalization({0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f});
  const std::string usage =
      "expected SCALE,OFFSET, unit, symmetric, imagenet or mean=M[,M,M]:std=S[,S,S]";
  if (text.starts_with("mean=")) {
    const size_t colon = text.find(":std=");
    if (colon == std::string::npos) return invalid_argument("--normalize '{}': {}", text, usage);
    auto mean = parse_floats(text.substr(5, colon - 5));
    auto std_dev = parse_floats(text.substr(colon + 5));
    if (!mean.has_value() || !std_dev.has_value()) {
      return invalid_argument("--normalize '{}': {}", text, (mean.has_value() ? std_dev : mean).status().message());
    }
    for (const auto* v : {&*mean, &*std_dev}) {
      if (v->size() != 1 && v->size() != 3) {
        return invalid_argument("--normalize '{}': give one value or three (one per channel)", text);
      }
    }
    if (std::any_of(std_dev->begin(), std_dev->end(), [](float s) { return s == 0; })) {
      return invalid_argument("--normalize '{}': std must not be 0", text);
    }
    if (mean->size() != std_dev->size() && mean->size() != 1 && std_dev->size() != 1) {
      return invalid_argument("--normalize '{}': mean and std have different channel counts", text);
    }
    return mean_std_normalization(*mean, *std_dev);
  }
  auto values = parse_floats(text);
  if (!values.has_value() || values->size() != 2) return invalid_argument("--normalize '{}': {}", text, usage);
  return Normalization{{(*values)[0]}, {(*values)[1]}};
}

Expected<ImageSize> parse_image_size(const std::string& text) {
  const size_t x = text.find_first_of("xX");
  const std::string h = text.substr(0, x), w = x == std::string::npos ? h : text.substr(x + 1);
  const auto dim = [](const std::string& t) -> int64_t {
    const auto digit = [](unsigned char c) { return std::isdigit(c) != 0; };
    if (t.empty() || t.size() > 6 || !std::all_of(t.begin(), t.end(), digit)) return 0;
    return std::stoll(t);
  };
  const ImageSize size{dim(h), dim(w)};
  if (size.height <= 0 || size.width <= 0) {
    return invalid_argument("--image-size '{}': expected HEIGHTxWIDTH (e.g. 224x224) or one size, positive", text);
  }
  return size;
}

Status check_image_options(const ImageOptions& o) {
  if (o.dtype != DType::kFloat32 && o.dtype != DType::kUInt8 && o.dtype != DType::kInt8) {
    return unsupported("image samples are float32, uint8 or int8, not {}", dtype_name(o.dtype));
  }
  if (o.normalize && o.dtype != DType::kFloat32) {
    return invalid_argument("normalisation gives float32 samples, not {}", dtype_name(o.dtype));
  }
  if (o.channels != 0 && o.channels != 1 && o.channels != 3) {
    return invalid_argument("images have 1 or 3 channels, not {}", o.channels);
  }
  if (o.height < 0 || o.width < 0 || (o.height == 0) != (o.width == 0)) {
    return invalid_argument("image size {} x {}: give both height and width, positive", o.height, o.width);
  }
  if (o.max_pixels <= 0 || (o.height > 0 && o.height > o.max_pixels / o.width)) {
    return invalid_argument("image size {} x {} is more than the limit of {} pixels", o.height, o.width, o.max_pixels);
  }
  if (o.normalize) {
    for (const auto* v : {&o.normalize->scale, &o.normalize->offset}) {
      if (v->size() != 1 && o.channels != 0 && v->size() != static_cast<size_t>(o.channels)) {
        return invalid_argument("normalisation has {} values per channel for {}-channel images", v->size(),
                                o.channels);
      }
    }
  }
  return Status::ok();
}

void write_image(const Image& image, const ImageOptions& o, std::span<uint8_t> out) {
  const int c_out = o.channels;
  std::vector<uint8_t> converted;
  const uint8_t* px = image.pixels.data();
  if (image.header.channels != c_out) {
    converted = convert_channels(image, c_out);
    px = converted.data();
  }
  const int64_t in_w = image.header.width;
  const std::vector<Tap> ty = taps(image.header.height, o.height);
  const std::vector<Tap> tx = taps(in_w, o.width);
  int64_t i = 0;
  for (const Tap& y : ty) {
    for (const Tap& x : tx) {
      for (int c = 0; c < c_out; ++c, ++i) {
        const auto at = [&](int64_t r, int64_t col) { return static_cast<float>(px[(r * in_w + col) * c_out + c]); };
        const float top = at(y.lo, x.lo) + (at(y.lo, x.hi) - at(y.lo, x.lo)) * x.w;
        const float bottom = at(y.hi, x.lo) + (at(y.hi, x.hi) - at(y.hi, x.lo)) * x.w;
        store(top + (bottom - top) * y.w, c, o, i, out.data());
      }
    }
  }
}

}  // namespace tfc::data
