// Every command that takes a model reads Keras (.keras, .h5) and SavedModel
// models as it reads .tflite: the built CLI (TFC_CLI_PATH) runs `import`,
// `inspect`, `check`, `run`, `convert`, `quantize`, `baseline` and `eval` on a
// committed fixture in each format, and `import` refuses bad input with exit 2
// and no output file.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "test_util.h"

namespace tfc {
namespace {

namespace fs = std::filesystem;

// Exit status of `tfcompress ARGS` (output to a log in `dir`).
int cli(const fs::path& dir, const std::string& args) {
  const std::string command = std::string("'") + TFC_CLI_PATH + "' " + args + " > '" + (dir / "log.txt").string() +
                              "' 2>&1";
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

class CliImport : public ::testing::TestWithParam<const char*> {};

TEST_P(CliImport, EveryModelCommandTakesTheFormat) {
  test::ScratchDir dir("cli_import");
  const fs::path fixture = test::fixtures_dir() / "keras" / "sequential_cnn";
  const fs::path model = fixture / GetParam();
  const fs::path d = dir.path();
  const std::string data = quoted(fixture / "inputs.npz");
  EXPECT_EQ(cli(d, "import " + quoted(model) + " -o " + quoted(d / "m.tflite")), 0);
  EXPECT_TRUE(fs::exists(d / "m.tflite"));
  EXPECT_EQ(cli(d, "inspect " + quoted(model) + " --ops"), 0);
  EXPECT_EQ(cli(d, "check " + quoted(model) + " --target litert"), 0);
  EXPECT_EQ(cli(d, "run " + quoted(model) + " -i " + data + " -o " + quoted(d / "out.npz")), 0);
  EXPECT_EQ(cli(d, "convert " + quoted(model) + " -o " + quoted(d / "c.tflite")), 0);
  EXPECT_EQ(cli(d, "quantize " + quoted(model) + " -o " + quoted(d / "q.tflite") + " --mode fp16"), 0);
  EXPECT_EQ(cli(d, "baseline " + quoted(model) + " --data " + data + " -o " + quoted(d / "baseline.json")), 0);
  EXPECT_EQ(cli(d, "eval " + quoted(model) + " " + quoted(d / "q.tflite") + " --data " + data + " --baseline " +
                       quoted(d / "baseline.json") + " -o " + quoted(d / "report")),
            0);
}

INSTANTIATE_TEST_SUITE_P(Formats, CliImport, ::testing::Values("model.keras", "model.h5", "export", "saved"));

TEST(CliImportErrors, BadInputExitsTwoAndWritesNothing) {
  test::ScratchDir dir("cli_import_bad");
  const fs::path d = dir.path();
  const fs::path out = d / "out.tflite";
  EXPECT_EQ(cli(d, "import " + quoted(d / "missing.keras") + " -o " + quoted(out)), 2);
  EXPECT_EQ(cli(d, "import " + quoted(d) + " -o " + quoted(out)), 2);  // a directory without saved_model.pb
  EXPECT_EQ(cli(d, "import " + quoted(test::fixtures_dir() / "keras" / "refused" / "lambda.keras") + " -o " +
                       quoted(out)),
            2);
  EXPECT_EQ(cli(d, "import " + quoted(test::fixtures_dir() / "keras" / "dense_mlp" / "model.keras") + " -o " +
                       quoted(out) + " --batch 0"),
            2);
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace tfc
