// Static memory planning for activations: given each buffer's size and the
// span of ops during which it must hold its value, assigns offsets in one arena
// so that buffers whose spans overlap never share bytes, reusing memory
// otherwise. Greedy by size: the largest buffers are placed first, each at the
// lowest aligned offset that fits between the buffers already placed whose
// spans overlap its own.
// Not: deciding the spans (the interpreter does), dynamic shapes.
#pragma once

#include <cstdint>
#include <vector>

namespace tfc::runtime {

struct BufferRequest {
  int64_t size = 0;    // bytes
  int first_use = 0;   // first op index at which the buffer holds a value (inclusive)
  int last_use = 0;    // last op index at which it is read (inclusive)
};

struct MemoryPlan {
  std::vector<int64_t> offsets;  // one per request
  int64_t arena_bytes = 0;       // bytes the arena needs
};

MemoryPlan plan_memory(const std::vector<BufferRequest>& requests, int64_t alignment = 64);

}  // namespace tfc::runtime
