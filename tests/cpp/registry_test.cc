// Tests for registry/registry: content-addressed pushes, the promote/rollback
// stack, verification of damaged artifacts, id prefix resolution and garbage
// collection, each on a fresh temporary registry directory.
// Not: crash and concurrency tests (tests/python/test_registry.py kills and
// races real tfcompress processes).

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "io/file_util.h"
#include "registry/registry.h"
#include "test_util.h"

namespace tfc::registry {
namespace {

namespace fs = std::filesystem;

class RegistryTest : public ::testing::Test {
 protected:
  test::ScratchDir scratch_{"tfc-registry-test"};
  const fs::path root_ = scratch_.path();
  const std::string dir_ = (root_ / "reg").string();

  // A "model" file with distinct content per seed (the registry never parses it).
  std::string make_model(const std::string& name, int seed, size_t size = 4096) {
    const fs::path p = root_ / name;
    std::ofstream f(p, std::ios::binary);
    for (size_t i = 0; i < size; ++i) f.put(static_cast<char>((i * 131 + static_cast<size_t>(seed) * 7919) % 251));
    return p.string();
  }

  Registry open() {
    auto r = Registry::open(dir_, /*create=*/true);
    EXPECT_TRUE(r.has_value()) << r.status().message();
    return std::move(r).value();
  }

  std::string push(Registry& reg, const std::string& model) {
    auto r = reg.push(model, "", "");
    EXPECT_TRUE(r.has_value()) << r.status().message();
    std::this_thread::sleep_for(std::chrono::milliseconds(3));  // distinct pushed_at
    return r.has_value() ? r->id : std::string();
  }

  void flip_byte(const std::string& path, size_t offset) {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(offset));
    const char c = static_cast<char>(f.get());
    f.seekp(static_cast<std::streamoff>(offset));
    f.put(static_cast<char>(c ^ 0x01));
  }

};

TEST_F(RegistryTest, PushSameBytesTwiceStoresOneObject) {
  Registry reg = open();
  const std::string a = make_model("a.tflite", 1);
  const std::string copy = (root_ / "copy.tflite").string();
  fs::copy_file(a, copy);
  const std::string report = (root_ / "report.json").string();
  ASSERT_TRUE(io::write_file_durable(report, std::string(R"({"accuracy": 0.91})")));

  auto first = reg.push(a, "", "first");
  ASSERT_TRUE(first.has_value()) << first.status().message();
  EXPECT_FALSE(first->already_stored);
  auto second = reg.push(copy, report, "");
  ASSERT_TRUE(second.has_value()) << second.status().message();
  EXPECT_EQ(second->id, first->id);
  EXPECT_TRUE(second->already_stored);
  EXPECT_TRUE(second->report_attached);  // attached to the existing artifact

  EXPECT_EQ(first->id, io::sha256_file(a).value());
  auto list = reg.list();
  ASSERT_TRUE(list.has_value());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].name, "first");
  EXPECT_TRUE((*list)[0].has_report);
  EXPECT_TRUE(fs::exists(reg.report_path(first->id)));
  auto state = reg.state();
  ASSERT_TRUE(state.has_value());
  ASSERT_EQ(state->history.size(), 2u);
  EXPECT_EQ(state->history[0].action, "push");
  EXPECT_EQ(state->history[1].seq, 2);
  EXPECT_FALSE(state->production.has_value());
  EXPECT_TRUE(fs::is_empty(fs::path(dir_) / "tmp"));
}

TEST_F(RegistryTest, PushRejectsMissingModelAndNonJsonReport) {
  Registry reg = open();
  auto missing = reg.push((root_ / "nope.tflite").string(), "", "");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  const std::string bad_report = (root_ / "bad.json").string();
  ASSERT_TRUE(io::write_file_durable(bad_report, std::string("{not json")));
  auto bad = reg.push(make_model("m.tflite", 1), bad_report, "");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(reg.list()->empty());
}

TEST_F(RegistryTest, PromoteAndRollbackSequence) {
  Registry reg = open();
  const std::string a = push(reg, make_model("a.tflite", 1));
  const std::string b = push(reg, make_model("b.tflite", 2));
  const std::string c = push(reg, make_model("c.tflite", 3));

  auto pa = reg.promote(a.substr(0, 8));  // by prefix
  ASSERT_TRUE(pa.has_value()) << pa.status().message();
  EXPECT_TRUE(pa->changed);
  EXPECT_FALSE(pa->previous.has_value());
  ASSERT_TRUE(reg.promote(b).has_value());
  auto pc = reg.promote((root_ / "c.tflite").string());  // by model path, already stored
  ASSERT_TRUE(pc.has_value()) << pc.status().message();
  EXPECT_EQ(pc->id, c);
  EXPECT_EQ(pc->previous, b);

  auto again = reg.promote(c);
  ASSERT_TRUE(again.has_value());
  EXPECT_FALSE(again->changed);

  auto s = reg.state();
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->production, c);
  EXPECT_EQ(s->stack, (std::vector<std::string>{a, b, c}));

  auto r1 = reg.rollback();
  ASSERT_TRUE(r1.has_value()) << r1.status().message();
  EXPECT_EQ(r1->id, b);
  EXPECT_EQ(r1->previous, c);
  auto r2 = reg.rollback();
  ASSERT_TRUE(r2.has_value());
  EXPECT_EQ(r2->id, a);
  auto r3 = reg.rollback();
  ASSERT_FALSE(r3.has_value());
  EXPECT_EQ(r3.status().code(), StatusCode::kCheckFailed);
  EXPECT_EQ(reg.state()->production, a);

  // rollback --to: back down several levels at once.
  ASSERT_TRUE(reg.promote(b).has_value());
  ASSERT_TRUE(reg.promote(c).has_value());
  auto to_a = reg.rollback(a.substr(0, 10));
  ASSERT_TRUE(to_a.has_value()) << to_a.status().message();
  EXPECT_EQ(to_a->id, a);
  EXPECT_EQ(reg.state()->stack, std::vector<std::string>{a});
  ASSERT_TRUE(reg.promote(b).has_value());
  auto not_below = reg.rollback(c);
  ASSERT_FALSE(not_below.has_value());
  EXPECT_EQ(not_below.status().code(), StatusCode::kCheckFailed);

  // The history records every step with consecutive sequence numbers.
  s = reg.state();
  ASSERT_TRUE(s.has_value());
  for (size_t i = 0; i < s->history.size(); ++i) EXPECT_EQ(s->history[i].seq, static_cast<int64_t>(i + 1));
  EXPECT_EQ(s->history.back().action, "promote");
  EXPECT_EQ(s->history.back().previous, a);
  auto v = reg.verify();
  ASSERT_TRUE(v.has_value());
  EXPECT_TRUE(v->problems.empty()) << v->problems.front();
  EXPECT_EQ(v->artifacts_checked, 3);
}

TEST_F(RegistryTest, RollbackWithNoPreviousIsRefused) {
  Registry reg = open();
  auto empty = reg.rollback();
  ASSERT_FALSE(empty.has_value());
  EXPECT_EQ(empty.status().code(), StatusCode::kCheckFailed);
  EXPECT_NE(empty.status().message().find("no previous production"), std::string::npos);

  const std::string a = push(reg, make_model("a.tflite", 1));
  ASSERT_TRUE(reg.promote(a).has_value());
  auto one = reg.rollback();
  ASSERT_FALSE(one.has_value());
  EXPECT_EQ(one.status().code(), StatusCode::kCheckFailed);
  EXPECT_EQ(reg.state()->production, a);
}

TEST_F(RegistryTest, VerifyDetectsFlippedByte) {
  Registry reg = open();
  const std::string a = push(reg, make_model("a.tflite", 1));
  const std::string b = push(reg, make_model("b.tflite", 2));
  ASSERT_TRUE(reg.promote(a).has_value());
  ASSERT_TRUE(reg.promote(b).has_value());
  ASSERT_TRUE(reg.verify()->problems.empty());

  flip_byte(reg.model_path(a), 100);
  auto v = reg.verify();
  ASSERT_TRUE(v.has_value());
  ASSERT_EQ(v->problems.size(), 1u);
  EXPECT_NE(v->problems[0].find(a), std::string::npos);
  EXPECT_NE(v->problems[0].find("corrupted"), std::string::npos);
  EXPECT_TRUE(reg.verify(b.substr(0, 6))->problems.empty());

  // A corrupted artifact is never switched to; production stays where it was.
  auto back = reg.rollback();
  ASSERT_FALSE(back.has_value());
  EXPECT_EQ(back.status().code(), StatusCode::kCheckFailed);
  EXPECT_EQ(reg.state()->production, b);

  // Pushing the right bytes again repairs the stored copy.
  auto repaired = reg.push((root_ / "a.tflite").string(), "", "");
  ASSERT_TRUE(repaired.has_value());
  EXPECT_TRUE(repaired->repaired);
  EXPECT_TRUE(reg.verify()->problems.empty());
  EXPECT_TRUE(reg.rollback().has_value());
  EXPECT_EQ(reg.state()->production, a);
}

TEST_F(RegistryTest, VerifyReportsCorruptProductionFile) {
  Registry reg = open();
  const std::string a = push(reg, make_model("a.tflite", 1));
  ASSERT_TRUE(io::write_file_durable(dir_ + "/production.json", std::string("{\"schema\": \"tfcompress-registry\"")));
  auto v = reg.verify();
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->problems.size(), 1u);
  auto p = reg.promote(a);
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(p.status().message().find("production.json"), std::string::npos);
}

// Integers the files hold out of range (1e50 where a byte count or a version
// belongs; the fuzzer's input is tests/fuzz/regressions/registry_json/) are
// reported as malformed, not converted out of range.
TEST_F(RegistryTest, OutOfRangeNumbersAreMalformed) {
  Registry reg = open();
  const std::string a = push(reg, make_model("a.tflite", 1));
  const std::string meta = dir_ + "/objects/" + a + "/meta.json";
  ASSERT_TRUE(io::write_file_durable(meta, std::string("{\"sha256\": \"" + a + "\", \"size_bytes\": 1e50}")));
  auto list = reg.list();
  ASSERT_TRUE(list.has_value());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_NE((*list)[0].meta_error.find("size_bytes"), std::string::npos) << (*list)[0].meta_error;
  auto v = reg.verify();
  ASSERT_TRUE(v.has_value());
  ASSERT_EQ(v->problems.size(), 1u);
  EXPECT_NE(v->problems[0].find("meta.json malformed"), std::string::npos) << v->problems[0];

  ASSERT_TRUE(io::write_file_durable(dir_ + "/production.json",
                                     std::string(R"({"schema": "tfcompress-registry", "schema_version": 1e50,)"
                                                 R"( "production": null, "stack": [], "history": []})")));
  auto state = reg.state();
  ASSERT_FALSE(state.has_value());
  EXPECT_NE(state.status().message().find("schema_version"), std::string::npos) << state.status().message();
}

TEST_F(RegistryTest, PrefixResolution) {
  Registry reg = open();
  const std::string real = push(reg, make_model("a.tflite", 1));
  // Two fabricated object directories that share a 7-character prefix.
  const std::string x = "abcdef0" + std::string(57, '1');
  const std::string y = "abcdef0" + std::string(57, '2');
  fs::create_directories(fs::path(dir_) / "objects" / x);
  fs::create_directories(fs::path(dir_) / "objects" / y);

  EXPECT_EQ(reg.resolve(real).value(), real);
  EXPECT_EQ(reg.resolve(real.substr(0, 6)).value(), real);
  std::string upper = real.substr(0, 12);
  for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  EXPECT_EQ(reg.resolve(upper).value(), real);
  EXPECT_EQ(reg.resolve(x.substr(0, 8)).value(), x);

  auto ambiguous = reg.resolve("abcdef0");
  ASSERT_FALSE(ambiguous.has_value());
  EXPECT_EQ(ambiguous.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(ambiguous.status().message().find("ambiguous"), std::string::npos);
  EXPECT_NE(ambiguous.status().message().find(x), std::string::npos);

  EXPECT_EQ(reg.resolve("abc").status().code(), StatusCode::kInvalidArgument);      // too short
  EXPECT_EQ(reg.resolve("xyz123").status().code(), StatusCode::kInvalidArgument);   // not hex
  const std::string absent = real[0] == '0' ? "1234567" : "0123456";
  EXPECT_EQ(reg.resolve(absent).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(reg.promote("abcdef0").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(reg.promote("not-a-file.tflite").status().code(), StatusCode::kNotFound);
}

TEST_F(RegistryTest, GcKeepsPromotedArtifactsAndRemovesStaleLeftovers) {
  Registry reg = open();
  const std::string a = push(reg, make_model("a.tflite", 1));
  const std::string b = push(reg, make_model("b.tflite", 2));
  const std::string c = push(reg, make_model("c.tflite", 3));
  const std::string d = push(reg, make_model("d.tflite", 4));
  ASSERT_TRUE(reg.promote(a).has_value());
  ASSERT_TRUE(reg.promote(b).has_value());
  ASSERT_TRUE(reg.rollback().has_value());  // b leaves the stack but stays in the history of promotions

  // Leftovers of a killed push (its pid is long gone), of a killed durable write,
  // and a staging directory of a push that is still running.
  const long dead_pid = 2147483000;
  const fs::path tmp = fs::path(dir_) / "tmp";
  const fs::path stale_stage = tmp / ("push-" + std::to_string(dead_pid) + "-1-0");
  fs::create_directories(stale_stage);
  std::ofstream(stale_stage / "model.tflite") << "partial";
  const fs::path stale_write = fs::path(dir_) / ("production.json.tmp-" + std::to_string(dead_pid) + "-3");
  std::ofstream(stale_write) << "{";
  const fs::path stale_meta = fs::path(dir_) / "objects" / a / ("meta.json.tmp-" + std::to_string(dead_pid) + "-0");
  std::ofstream(stale_meta) << "{";
  const fs::path live_stage = tmp / ("push-" + std::to_string(::getppid()) + "-1-0");
  fs::create_directories(live_stage);
  const auto old = fs::file_time_type::clock::now() - std::chrono::seconds(30);
  for (const auto& p : {stale_stage, stale_write, stale_meta, live_stage}) fs::last_write_time(p, old);

  GcOptions dry;
  dry.keep_last = 1;
  dry.dry_run = true;
  auto preview = reg.gc(dry);
  ASSERT_TRUE(preview.has_value()) << preview.status().message();
  EXPECT_EQ(preview->removed_artifacts, std::vector<std::string>{c});
  EXPECT_EQ(preview->removed_leftovers.size(), 3u);
  EXPECT_TRUE(fs::exists(stale_stage));
  EXPECT_TRUE(fs::exists(fs::path(dir_) / "objects" / c));

  GcOptions opts;
  opts.keep_last = 1;
  auto r = reg.gc(opts);
  ASSERT_TRUE(r.has_value()) << r.status().message();
  EXPECT_EQ(r->removed_artifacts, std::vector<std::string>{c});
  EXPECT_FALSE(fs::exists(stale_stage));
  EXPECT_FALSE(fs::exists(stale_write));
  EXPECT_FALSE(fs::exists(stale_meta));
  EXPECT_TRUE(fs::exists(live_stage));  // its process may still be writing it
  for (const auto& id : {a, b, d}) EXPECT_TRUE(fs::exists(reg.model_path(id))) << id;
  EXPECT_FALSE(fs::exists(fs::path(dir_) / "objects" / c));
  EXPECT_EQ(reg.state()->production, a);

  // gc --keep-last 0 still keeps production and every artifact ever promoted.
  GcOptions all;
  all.keep_last = 0;
  auto r0 = reg.gc(all);
  ASSERT_TRUE(r0.has_value());
  EXPECT_EQ(r0->removed_artifacts, std::vector<std::string>{d});
  EXPECT_TRUE(fs::exists(reg.model_path(a)));
  EXPECT_TRUE(fs::exists(reg.model_path(b)));
  auto v = reg.verify();
  ASSERT_TRUE(v.has_value());
  EXPECT_TRUE(v->problems.empty()) << v->problems.front();
}

}  // namespace
}  // namespace tfc::registry
