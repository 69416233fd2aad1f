// Batches of a Source for training: a per-epoch shuffle, optional
// augmentation (random crop with zero padding, horizontal flip) and
// background threads that prepare batches ahead through a bounded queue.
// Deterministic: the order comes from (seed, epoch) and each sample's
// augmentation from (seed, epoch, sample index), so the batches are the same
// for any thread count.
// Not: decoding or preprocessing (source.h), the model's input conversion
// (runtime/dataset_runner.h).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <vector>

#include "core/array.h"
#include "core/status.h"
#include "data/source.h"

namespace tfc::data {

struct Augment {
  // Pad each image sample by this many zeros on every side, then crop its
  // original size at a uniformly drawn offset (0..2P in each direction).
  int64_t crop_padding = 0;
  bool horizontal_flip = false;  // mirror left-right with probability 1/2
};

struct LoaderOptions {
  int64_t batch = 32;
  bool shuffle = true;
  uint64_t seed = 0;
  bool drop_last = false;  // leave out the samples that do not fill the last batch
  // Applied to every input whose samples are (H, W) or (H, W, C), as stored
  // (after normalisation: padding is 0 of the sample's type).
  Augment augment;
  int threads = 1;        // background threads; 0: batches are made in next()
  int prefetch = 2;       // batches kept ready beyond one per thread
};

struct Batch {
  std::vector<Array> inputs;    // one per input: (size, sample shape...)
  std::optional<Array> labels;  // (size, label shape...) when the source has labels
  int64_t size = 0;
};

class Loader {
 public:
  // Errors: a batch below 1, negative threads, prefetch or padding, or
  // augmentation of a source with no image-shaped input.
  static Expected<std::unique_ptr<Loader>> create(std::shared_ptr<const Source> source, const LoaderOptions& options);
  ~Loader();  // stops the threads, mid-epoch too
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  // Begins epoch `epoch` (any order, any number of times): its sample order
  // is a permutation drawn from (seed, epoch), or 0..N-1 without shuffle.
  void start_epoch(int64_t epoch);
  // The epoch's next batch into `out`, reusing its buffers (once they have
  // grown to a full batch, nothing is allocated); false at the end of the
  // epoch. Errors: a sample that cannot be read (then the epoch ends), or no
  // epoch started.
  Expected<bool> next(Batch& out);
  int64_t batches_per_epoch() const;
  const Source& source() const { return *source_; }

 private:
  struct Slot {
    Batch batch;
    Status status;
    bool ready = false;
  };
  struct Scratch {  // a filler's own buffers, kept across batches
    std::vector<uint8_t> pixels;
    std::vector<std::span<uint8_t>> rows;
  };

  Loader(std::shared_ptr<const Source> source, const LoaderOptions& options);
  void stop_workers();
  void work();
  Status fill(int64_t batch_index, Batch& out, Scratch& scratch) const;

  std::shared_ptr<const Source> source_;
  LoaderOptions options_;
  std::vector<bool> augmented_;  // per input
  std::vector<int64_t> order_;   // this epoch's sample order
  int64_t epoch_ = -1;
  int64_t num_batches_ = 0;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Slot> slots_;  // batch b goes in slots_[b % slots_.size()]
  int64_t next_to_make_ = 0;
  int64_t next_to_take_ = 0;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> workers_;
  Scratch scratch_;  // next()'s own, without threads
};

}  // namespace tfc::data
