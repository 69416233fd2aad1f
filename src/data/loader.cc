// Implementation of loader.h: the seeded shuffle and augmentation draws,
// batch filling, and the worker threads with their ring of batch slots.
#include "data/loader.h"

#include <algorithm>
#include <cstring>
#include <numeric>

namespace tfc::data {
namespace {

// SplitMix64's finaliser (Steele, Lea, Flood: "Fast splittable pseudorandom
// number generators", 2014): a well-mixed 64-bit value from any input.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// A SplitMix64 stream; below(n) is uniform in [0, n) by Lemire's
// multiply-shift (its bias, under n / 2^64, is negligible).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() { return mix(state_++ * 0x9e3779b97f4a7c15ull); }
  uint64_t below(uint64_t n) { return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64); }

 private:
  uint64_t state_;
};

constexpr uint64_t kShuffleStream = 0x53485546464c45ull;  // separate streams for order and augmentation
constexpr uint64_t kAugmentStream = 0x4155474d454e54ull;
constexpr int64_t kMaxPadding = int64_t{1} << 20;

bool image_shaped(const SampleSpec& s) { return s.shape.size() == 2 || s.shape.size() == 3; }

struct Draw {
  int64_t dy = 0, dx = 0;  // crop offset into the padded image, 0..2P
  bool flip = false;
};

// One image sample (H, W, pixel bytes), cropped from its zero-padded self at
// (dy, dx) and then mirrored when `flip`:
//   out[y][x] = padded[y + dy][(flip ? W - 1 - x : x) + dx]
void augment_image(const SampleSpec& spec, int64_t pad, const Draw& d, std::span<uint8_t> sample,
                   std::vector<uint8_t>& scratch) {
  const int64_t h = spec.shape[0], w = spec.shape[1];
  const size_t pixel = spec.bytes() / static_cast<size_t>(h * w);
  scratch.assign(sample.begin(), sample.end());
  for (int64_t y = 0; y < h; ++y) {
    const int64_t sy = y + d.dy - pad;
    for (int64_t x = 0; x < w; ++x) {
      const int64_t sx = (d.flip ? w - 1 - x : x) + d.dx - pad;
      uint8_t* dst = sample.data() + static_cast<size_t>(y * w + x) * pixel;
      if (sy < 0 || sy >= h || sx < 0 || sx >= w) {
        std::memset(dst, 0, pixel);
      } else {
        std::memcpy(dst, scratch.data() + static_cast<size_t>(sy * w + sx) * pixel, pixel);
      }
    }
  }
}

void shape_batch(Array& a, const SampleSpec& spec, int64_t n) {
  a.dtype = spec.dtype;
  a.shape.assign(1, n);
  a.shape.insert(a.shape.end(), spec.shape.begin(), spec.shape.end());
  a.data.resize(static_cast<size_t>(n) * spec.bytes());
}

std::span<uint8_t> row(Array& a, size_t bytes, int64_t k) {
  return std::span<uint8_t>(a.data.data() + static_cast<size_t>(k) * bytes, bytes);
}

}  // namespace

Expected<std::unique_ptr<Loader>> Loader::create(std::shared_ptr<const Source> source, const LoaderOptions& options) {
  if (!source) return invalid_argument("a loader needs a source");
  if (options.batch < 1) return invalid_argument("batch size must be at least 1, got {}", options.batch);
  if (options.threads < 0 || options.threads > 256) {
    return invalid_argument("threads must be 0-256, got {}", options.threads);
  }
  if (options.prefetch < 0 || options.prefetch > 256) {
    return invalid_argument("prefetch must be 0-256, got {}", options.prefetch);
  }
  if (options.augment.crop_padding < 0 || options.augment.crop_padding > kMaxPadding) {
    return invalid_argument("crop padding must be 0-{}, got {}", kMaxPadding, options.augment.crop_padding);
  }
  const bool augment = options.augment.crop_padding > 0 || options.augment.horizontal_flip;
  if (augment && std::none_of(source->inputs().begin(), source->inputs().end(), image_shaped)) {
    return invalid_argument("crop and flip augment image samples, (H, W) or (H, W, C); this dataset has none");
  }
  return std::unique_ptr<Loader>(new Loader(std::move(source), options));
}

Loader::Loader(std::shared_ptr<const Source> source, const LoaderOptions& options)
    : source_(std::move(source)), options_(options) {
  const bool augment = options.augment.crop_padding > 0 || options.augment.horizontal_flip;
  for (const SampleSpec& s : source_->inputs()) augmented_.push_back(augment && image_shaped(s));
  slots_.resize(static_cast<size_t>(std::max(1, options.threads + options.prefetch)));
}

Loader::~Loader() { stop_workers(); }

int64_t Loader::batches_per_epoch() const {
  const int64_t n = source_->size();
  return options_.drop_last ? n / options_.batch : (n + options_.batch - 1) / options_.batch;
}

void Loader::stop_workers() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : workers_) t.join();
  workers_.clear();
}

void Loader::start_epoch(int64_t epoch) {
  stop_workers();
  epoch_ = epoch;
  order_.resize(static_cast<size_t>(source_->size()));
  std::iota(order_.begin(), order_.end(), int64_t{0});
  if (options_.shuffle) {  // Fisher-Yates
    Rng rng(mix(mix(options_.seed ^ kShuffleStream) ^ static_cast<uint64_t>(epoch)));
    for (size_t i = order_.size(); i > 1; --i) std::swap(order_[i - 1], order_[rng.below(i)]);
  }
  num_batches_ = batches_per_epoch();
  next_to_make_ = next_to_take_ = 0;
  for (Slot& s : slots_) {
    s.ready = false;
    s.status = Status::ok();
  }
  stop_ = false;
  for (int t = 0; t < options_.threads; ++t) workers_.emplace_back([this] { work(); });
}

void Loader::work() {
  Scratch scratch;
  while (true) {
    int64_t b = 0;
    Slot* slot = nullptr;
    {
      std::unique_lock<std::mutex> lock(mu_);
      const auto window = static_cast<int64_t>(slots_.size());
      cv_.wait(lock, [&] { return stop_ || next_to_make_ >= num_batches_ || next_to_make_ < next_to_take_ + window; });
      if (stop_ || next_to_make_ >= num_batches_) return;
      b = next_to_make_++;
      slot = &slots_[static_cast<size_t>(b % window)];
    }
    Status status = fill(b, slot->batch, scratch);
    {
      std::lock_guard<std::mutex> lock(mu_);
      slot->status = std::move(status);
      slot->ready = true;
    }
    cv_.notify_all();
  }
}

Status Loader::fill(int64_t batch_index, Batch& out, Scratch& scratch) const {
  const Source& src = *source_;
  const int64_t begin = batch_index * options_.batch;
  const int64_t n = std::min(begin + options_.batch, src.size()) - begin;
  const size_t num_inputs = src.inputs().size();
  out.size = n;
  out.inputs.resize(num_inputs);
  for (size_t i = 0; i < num_inputs; ++i) shape_batch(out.inputs[i], src.inputs()[i], n);
  if (src.labels()) {
    if (!out.labels) out.labels.emplace();
    shape_batch(*out.labels, *src.labels(), n);
  } else {
    out.labels.reset();
  }
  const int64_t pad = options_.augment.crop_padding;
  std::vector<std::span<uint8_t>>& sample_rows = scratch.rows;
  sample_rows.resize(num_inputs);
  for (int64_t k = 0; k < n; ++k) {
    if (stop_.load(std::memory_order_relaxed)) return Status::ok();  // abandoned; never handed out
    const int64_t index = order_[static_cast<size_t>(begin + k)];
    for (size_t i = 0; i < num_inputs; ++i) sample_rows[i] = row(out.inputs[i], src.inputs()[i].bytes(), k);
    const std::span<uint8_t> label = out.labels ? row(*out.labels, src.labels()->bytes(), k) : std::span<uint8_t>();
    TFC_RETURN_IF_ERROR(src.read(index, sample_rows, label));
    if (std::none_of(augmented_.begin(), augmented_.end(), [](bool a) { return a; })) continue;
    const uint64_t epoch_seed = mix(mix(options_.seed ^ kAugmentStream) ^ static_cast<uint64_t>(epoch_));
    Rng rng(mix(epoch_seed ^ static_cast<uint64_t>(index)));
    Draw d;
    d.dy = static_cast<int64_t>(rng.below(static_cast<uint64_t>(2 * pad + 1)));
    d.dx = static_cast<int64_t>(rng.below(static_cast<uint64_t>(2 * pad + 1)));
    d.flip = options_.augment.horizontal_flip && (rng.next() >> 63) != 0;
    for (size_t i = 0; i < num_inputs; ++i) {
      if (augmented_[i]) augment_image(src.inputs()[i], pad, d, sample_rows[i], scratch.pixels);
    }
  }
  return Status::ok();
}

Expected<bool> Loader::next(Batch& out) {
  if (epoch_ < 0) return invalid_argument("the loader's next() was called before start_epoch()");
  if (next_to_take_ >= num_batches_) return false;
  Status status;
  if (options_.threads == 0) {
    status = fill(next_to_take_++, out, scratch_);
  } else {
    std::unique_lock<std::mutex> lock(mu_);
    Slot& slot = slots_[static_cast<size_t>(next_to_take_ % static_cast<int64_t>(slots_.size()))];
    cv_.wait(lock, [&] { return slot.ready; });
    std::swap(out, slot.batch);
    status = std::move(slot.status);
    slot.status = Status::ok();
    slot.ready = false;
    ++next_to_take_;
    lock.unlock();
    cv_.notify_all();
  }
  if (!status.is_ok()) {
    stop_workers();
    num_batches_ = next_to_take_;  // the epoch ends at the error
    return status;
  }
  return true;
}

}  // namespace tfc::data
