// Tests for runtime/memory_plan and the interpreter's planned arena: buffers
// alive at the same time never overlap, buffers with disjoint spans share
// memory, and every fixture model gives the same outputs with the planned
// arena as with every tensor kept apart, in less activation memory.
#include <gtest/gtest.h>

#include <random>

#include "io/tflite_reader.h"
#include "runtime/interpreter.h"
#include "runtime/memory_plan.h"
#include "test_util.h"

namespace tfc::runtime {
namespace {

void expect_valid(const std::vector<BufferRequest>& r, const MemoryPlan& p) {
  ASSERT_EQ(p.offsets.size(), r.size());
  for (size_t i = 0; i < r.size(); ++i) {
    EXPECT_EQ(p.offsets[i] % 64, 0);
    EXPECT_LE(p.offsets[i] + r[i].size, p.arena_bytes);
    for (size_t j = i + 1; j < r.size(); ++j) {
      const bool same_time = r[i].first_use <= r[j].last_use && r[j].first_use <= r[i].last_use;
      const bool overlap = p.offsets[i] < p.offsets[j] + r[j].size && p.offsets[j] < p.offsets[i] + r[i].size;
      EXPECT_FALSE(same_time && overlap) << "buffers " << i << " and " << j;
    }
  }
}

TEST(MemoryPlan, ChainReusesMemory) {
  // a -> b -> c -> d: each buffer lives from its producer to its one consumer.
  const std::vector<BufferRequest> r = {{1000, -1, 0}, {1000, 0, 1}, {1000, 1, 2}, {1000, 2, 3}};
  const MemoryPlan p = plan_memory(r);
  expect_valid(r, p);
  EXPECT_EQ(p.arena_bytes, 2 * 1024);  // two buffers alive at a time, each rounded to 64 bytes
}

TEST(MemoryPlan, RandomRequestsNeverOverlapWhileAlive) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<BufferRequest> r;
    int64_t total = 0;
    for (int i = 0; i < 40; ++i) {
      const int a = static_cast<int>(rng() % 30) - 1;
      const int b = a + static_cast<int>(rng() % 8);
      r.push_back({1 + static_cast<int64_t>(rng() % 5000), a, b});
      total += (r.back().size + 63) / 64 * 64;
    }
    const MemoryPlan p = plan_memory(r);
    expect_valid(r, p);
    EXPECT_LE(p.arena_bytes, total);
  }
}

TEST(MemoryPlan, PlannedArenaGivesTheSameOutputsAsSeparateBuffers) {
  int compared = 0;
  size_t planned_total = 0, separate_total = 0;
  for (const auto& path : test::fixture_models()) {
    auto model = io::read_tflite(path.string());
    ASSERT_TRUE(model.has_value());
    auto planned = Interpreter::create(*model);
    auto separate = Interpreter::create(*model, 0, {.preserve_all_tensors = true});
    if (!planned.has_value()) continue;  // ops the reference runtime lacks
    ASSERT_TRUE(separate.has_value());
    // Deterministic inputs of the right dtype and shape.
    bool fed = true;
    for (int i = 0; i < (*planned)->num_inputs() && fed; ++i) {
      const ir::Tensor& t = (*planned)->input_tensor(i);
      Array a{t.dtype, std::vector<int64_t>(t.shape.begin(), t.shape.end()), {}};
      const int64_t bytes = a.num_elements() * static_cast<int64_t>(dtype_size(t.dtype));
      if (bytes <= 0 || t.dtype == DType::kString) {
        fed = false;
        break;
      }
      a.data.resize(static_cast<size_t>(bytes));
      if (t.dtype == DType::kFloat32) {
        for (int64_t k = 0; k < a.num_elements(); ++k) a.as<float>()[k] = static_cast<float>((k * 37) % 101) / 101.0f;
      } else {
        for (size_t k = 0; k < a.data.size(); ++k) a.data[k] = static_cast<uint8_t>((k * 13) % 7);
      }
      fed = (*planned)->set_input(i, a).is_ok() && (*separate)->set_input(i, a).is_ok();
    }
    if (!fed) continue;
    const bool ran_planned = (*planned)->invoke().is_ok();
    const bool ran_separate = (*separate)->invoke().is_ok();
    ASSERT_EQ(ran_planned, ran_separate) << path;
    if (!ran_planned) continue;
    // Twice: graph inputs must survive an invoke.
    ASSERT_TRUE((*planned)->invoke().is_ok()) << path;
    for (int o = 0; o < (*planned)->num_outputs(); ++o) {
      EXPECT_EQ((*planned)->output(o).data, (*separate)->output(o).data) << path << " output " << o;
    }
    // Per model, at most the 64-byte alignment of each tensor more; over all, less.
    EXPECT_LE((*planned)->arena_bytes(), (*separate)->arena_bytes() + 64 * model->subgraphs[0].tensors.size())
        << path;
    planned_total += (*planned)->arena_bytes();
    separate_total += (*separate)->arena_bytes();
    ++compared;
  }
  EXPECT_GE(compared, 10);
  EXPECT_LT(planned_total, separate_total * 3 / 4);
}

}  // namespace
}  // namespace tfc::runtime
