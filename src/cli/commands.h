// The subcommand table of the tfcompress CLI. Each subcommand lives in its own
// cmd_<name>.cc: an options struct with defaults next to the names, a setup
// function that declares flags on a CLI11 subcommand, and a run function that
// returns a Status. main.cc maps a Status to the documented exit codes.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/status.h"
#include "importers/import.h"

namespace tfc::cli {

struct Command {
  const char* name;
  const char* summary;
  // Declares the subcommand's flags; returns the action to run after parsing.
  std::function<std::function<Status()>(CLI::App&)> setup;
};

Command inspect_command();
Command run_command();
Command convert_command();
Command check_command();
Command quantize_command();
Command debug_command();
Command registry_command();
Command report_command();
Command baseline_command();
Command eval_command();
Command gate_command();
Command import_command();
Command train_command();

// --signature and --batch: how a Keras or SavedModel model is imported
// (importers::ImportOptions), for every command that takes a model.
void add_import_options(CLI::App& app, importers::ImportOptions* options);

// Prints a status to stderr in the CLI's format ("error: ...").
void print_error(const Status& s);

// --arithmetic litert|reference for commands that run integer models: litert
// (the default) rescales int8 conv-family and MEAN outputs as LiteRT's default
// CPU path (XNNPACK) does, so results match what a deployed model computes;
// reference uses the TFLite reference kernels' fixed-point rescaling. `value`
// holds the default ("litert"); runtime::parse_arithmetic turns it into
// InterpreterOptions::arithmetic.
void add_arithmetic_option(CLI::App& app, std::string* value);

// --kernels fast|reference: the runtime's kernels (fast, the default: oneDNN /
// XNNPACK where an op has one, docs/RUNTIME.md; reference: the reference
// kernels only, the source of truth). `value` holds the default ("fast").
// Returns the option, so callers can tell whether it was given.
CLI::Option* add_kernels_option(CLI::App& app, std::string* value);
// --int8-isa (runtime::parse_int8_isa).
CLI::Option* add_int8_isa_option(CLI::App& app, std::string* value);

}  // namespace tfc::cli
