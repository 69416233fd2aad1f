// Greedy-by-size arena planning (see memory_plan.h).
#include "runtime/memory_plan.h"

#include <algorithm>
#include <numeric>

namespace tfc::runtime {

MemoryPlan plan_memory(const std::vector<BufferRequest>& requests, int64_t alignment) {
  MemoryPlan plan;
  plan.offsets.assign(requests.size(), 0);
  std::vector<size_t> order(requests.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (requests[a].size != requests[b].size) return requests[a].size > requests[b].size;
    return requests[a].first_use < requests[b].first_use;
  });
  const auto align = [&](int64_t x) { return (x + alignment - 1) / alignment * alignment; };
  std::vector<size_t> placed;
  for (size_t i : order) {
    const BufferRequest& r = requests[i];
    // The placed buffers alive at the same time, by offset.
    std::vector<size_t> live;
    for (size_t p : placed) {
      const BufferRequest& q = requests[p];
      if (q.first_use <= r.last_use && r.first_use <= q.last_use) live.push_back(p);
    }
    std::sort(live.begin(), live.end(), [&](size_t a, size_t b) { return plan.offsets[a] < plan.offsets[b]; });
    int64_t offset = 0;
    for (size_t p : live) {
      if (plan.offsets[p] - offset >= r.size) break;  // fits in the gap before p
      offset = std::max(offset, align(plan.offsets[p] + requests[p].size));
    }
    plan.offsets[i] = offset;
    plan.arena_bytes = std::max(plan.arena_bytes, align(offset + r.size));
    placed.push_back(i);
  }
  return plan;
}

}  // namespace tfc::runtime
