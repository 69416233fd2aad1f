// tfcompress: the command-line entry point. Dispatches to the subcommand table
// and maps results to exit codes: 0 success, 1 a check failed, 2 bad input or
// usage, 3 internal error.
#include <cstdio>
#include <exception>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <fmt/core.h>

#include "cli/commands.h"

namespace tfc::cli {

void print_error(const Status& s) { fmt::print(stderr, "error: {}\n", s.message()); }

void add_arithmetic_option(CLI::App& app, std::string* value) {
  app.add_option("--arithmetic", *value,
                 "Integer rescaling: litert (default; as LiteRT's default CPU path, XNNPACK) or reference "
                 "(TFLite's reference fixed-point kernels)")
      ->check(CLI::IsMember({"litert", "reference"}));
}

CLI::Option* add_kernels_option(CLI::App& app, std::string* value) {
  return app
      .add_option("--kernels", *value,
                  "Runtime kernels: fast (oneDNN for float32, our AVX2 kernels and XNNPACK for int8, reference kernels for the "
                  "other ops) or reference (the reference kernels only)")
      ->check(CLI::IsMember({"fast", "reference"}))
      ->capture_default_str();
}

CLI::Option* add_int8_isa_option(CLI::App& app, std::string* value) {
  return app
      .add_option("--int8-isa", *value,
                  "The most our own int8 and hybrid kernels' products may use, all with the same outputs: best (AMX, "
                  "AVX-512 VNNI or AVX-VNNI where the CPU has them), avx512vnni (no AMX), avxvnni (256-bit VNNI at "
                  "most), avx2 (as on a CPU without VNNI) or scalar (no own vector kernel)")
      ->check(CLI::IsMember({"best", "avx512vnni", "avxvnni", "avx2", "scalar"}))
      ->capture_default_str();
}

namespace {

std::vector<Command> all_commands() {
  return {import_command(), inspect_command(), run_command(), convert_command(), check_command(), quantize_command(), debug_command(),
          baseline_command(), eval_command(), gate_command(), report_command(), registry_command(), train_command()};
}

int run_main(int argc, char** argv) {
  CLI::App app{
      "tfcompress: compress TensorFlow Lite models, measure what each compression costs, and gate the result.\n"
      "Exit codes: 0 success, 1 a check failed, 2 bad input or usage, 3 internal error.",
      "tfcompress"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "tfcompress 0.1.0");
  app.footer("Run 'tfcompress COMMAND --help' for a command's options and an example.");
  std::function<Status()> action;
  for (const Command& c : all_commands()) {
    CLI::App* sub = app.add_subcommand(c.name, c.summary);
    auto act = c.setup(*sub);
    sub->callback([&action, act] { action = act; });
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  if (!action) return 2;
  const Status s = action();
  if (!s.is_ok()) print_error(s);
  return exit_code(s);
}

}  // namespace
}  // namespace tfc::cli

int main(int argc, char** argv) {
#if defined(__GLIBC__)
  // Blocks of 128 KiB and more (model buffers, weights computed at load and
  // released once packed, a model loaded for its input's shape) are mapped
  // from the OS and go back to it when freed. glibc would otherwise raise
  // this threshold after the first such free and keep later ones in the heap,
  // where they add to the peak memory that eval reports (SSD of the
  // production suite: float16 127 -> 116 MB, float32 134 -> 118 MB).
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
  try {
    return tfc::cli::run_main(argc, argv);
  } catch (const std::exception& e) {
    fmt::print(stderr, "internal error: {}\n", e.what());
    return 3;
  }
}
