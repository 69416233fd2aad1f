// io/file_util.h and io/json_file.h: the one file reader, the one durable
// atomic write (nothing half-written, nothing left behind on failure) and the
// one JSON-file reader with its error style.
#include "io/file_util.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "io/json_file.h"
#include "test_util.h"

namespace tfc {
namespace {

namespace fs = std::filesystem;

class FileUtilTest : public ::testing::Test {
 protected:
  test::ScratchDir scratch_{"file_util_test"};
  const fs::path dir_ = scratch_.path();
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  size_t entries() const { return static_cast<size_t>(std::distance(fs::directory_iterator(dir_), {})); }
};

std::string text(const std::vector<uint8_t>& bytes) { return {bytes.begin(), bytes.end()}; }

TEST_F(FileUtilTest, ReadFileNamesThePathOfWhatItCannotRead) {
  ASSERT_TRUE(io::write_file_durable(path("a.txt"), std::string("hello")).is_ok());
  EXPECT_EQ(text(io::read_file(path("a.txt")).value()), "hello");
  const auto missing = io::read_file(path("missing"));
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("missing: no such file"), std::string::npos);
  const auto dir = io::read_file(dir_.string());
  EXPECT_EQ(dir.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(dir.status().message().find("a directory, not a file"), std::string::npos);
  ASSERT_EQ(::mkfifo(path("fifo").c_str(), 0600), 0);
  EXPECT_NE(io::read_file(path("fifo")).status().message().find("fifo: not a regular file"), std::string::npos);
}

TEST_F(FileUtilTest, DurableWritesReplaceWholeOrLeaveTheOldFile) {
  const std::string p = path("out.bin");
  ASSERT_TRUE(io::write_file_durable(p, std::string("old")).is_ok());
  // A writer that fails half-way: the old content stays, no temporary file is left.
  const Status failed = io::write_file_durable_with(p, [&](const std::string& tmp) {
    EXPECT_EQ(fs::file_size(tmp), 0u);  // created empty, beside the target
    EXPECT_EQ(fs::path(tmp).parent_path(), fs::path(p).parent_path());
    return invalid_argument("disk on fire");
  });
  EXPECT_EQ(failed.message(), "disk on fire");
  EXPECT_EQ(text(io::read_file(p).value()), "old");
  EXPECT_EQ(entries(), 1u);
  ASSERT_TRUE(io::write_file_durable_with(p, [](const std::string& tmp) {
                return io::write_file_durable(tmp, std::string("new"));
              }).is_ok());
  EXPECT_EQ(text(io::read_file(p).value()), "new");
  EXPECT_EQ(io::write_file_durable(path("no/such/dir/f"), std::string("x")).code(), StatusCode::kNotFound);
}

TEST_F(FileUtilTest, DurableWritesLeaveTheModeToTheUmask) {
  // Created 0666 and cut down by the umask, like any ordinary new file.
  const mode_t old_mask = ::umask(0002);
  const Status s = io::write_file_durable(path("shared.bin"), std::string("x"));
  ::umask(old_mask);
  ASSERT_TRUE(s.is_ok()) << s.message();
  struct stat st {};
  ASSERT_EQ(::stat(path("shared.bin").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0664u);
}

TEST_F(FileUtilTest, JsonFilesHaveOneErrorStyle) {
  ASSERT_TRUE(io::write_file_durable(path("ok.json"), std::string(R"({"a": [1, 2]})")).is_ok());
  const auto ok = io::read_json_file(path("ok.json"), "budget");
  ASSERT_TRUE(ok.has_value()) << ok.status().message();
  EXPECT_EQ((*ok)["a"][1], 2);
  ASSERT_TRUE(io::write_file_durable(path("bad.json"), std::string("{\"a\": ")).is_ok());
  const auto bad = io::read_json_file(path("bad.json"), "budget");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message().rfind("budget " + path("bad.json") + ": not valid JSON: parse error", 0), 0u)
      << bad.status().message();
  ASSERT_TRUE(io::write_file_durable(path("huge.json"), std::string("1e999")).is_ok());
  EXPECT_NE(io::read_json_file(path("huge.json"), "report").status().message().find("not valid JSON"),
            std::string::npos);
  const auto missing = io::read_json_file(path("none.json"), "report");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "report " + path("none.json") + ": no such file");
}

}  // namespace
}  // namespace tfc
