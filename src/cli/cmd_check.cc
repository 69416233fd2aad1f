// `tfcompress check MODEL --target T`: which ops the target cannot run.
#include <fmt/core.h>

#include "analysis/compat.h"
#include "cli/commands.h"
#include "importers/import.h"

namespace tfc::cli {
namespace {

struct CheckOptions {
  std::string model;
  std::string target = "litert";
  bool json = false;
  importers::ImportOptions import;
};

Status run_check(const CheckOptions& o) {
  TFC_ASSIGN_OR_RETURN(analysis::Target target, analysis::parse_target(o.target));
  TFC_ASSIGN_OR_RETURN(ir::Model model, importers::load_model(o.model, o.import));
  const auto problems = analysis::check_compatibility(model, target);
  if (o.json) {
    fmt::print("{}\n", analysis::compatibility_json(target, problems).dump(2));
  } else if (problems.empty()) {
    fmt::print("{}: compatible with {}\n", o.model, o.target);
  } else {
    fmt::print("{}: {} problem(s) for target {}\n", o.model, problems.size(), o.target);
    for (const auto& p : problems) {
      if (p.op_index >= 0) {
        fmt::print("  subgraph {} op {:>4} {:28} {}\n", p.subgraph, p.op_index, p.op, p.reason);
      } else {
        fmt::print("  subgraph {}: {}\n", p.subgraph, p.reason);
      }
    }
  }
  if (!problems.empty()) return check_failed("{} is not compatible with target {}", o.model, o.target);
  return Status::ok();
}

}  // namespace

Command check_command() {
  return {"check", "List the ops a target runtime cannot run (exit 1 if any)", [](CLI::App& app) {
            auto o = std::make_shared<CheckOptions>();
            app.add_option("model", o->model, "Model: .tflite, Keras .keras / .h5, or a SavedModel directory")->required();
            add_import_options(app, &o->import);
            app.add_option("--target", o->target, "litert | int8-only | micro")
                ->check(CLI::IsMember({"litert", "int8-only", "micro"}))
                ->capture_default_str();
            app.add_flag("--json", o->json, "Print machine-readable JSON");
            app.footer("Example:\n  tfcompress check model.tflite --target micro");
            return [o] { return run_check(*o); };
          }};
}

}  // namespace tfc::cli
