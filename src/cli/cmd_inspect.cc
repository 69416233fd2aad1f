// `tfcompress inspect MODEL`: what a model holds.
#include <fmt/core.h>

#include "analysis/inspect.h"
#include "cli/commands.h"
#include "io/tflite_reader.h"

namespace tfc::cli {
namespace {

struct InspectOptions {
  std::string model;
  bool json = false;  // print the summary as JSON
};

Status run_inspect(const InspectOptions& o) {
  TFC_ASSIGN_OR_RETURN(ir::Model model, io::read_tflite(o.model));
  auto summary = analysis::summarize_model(model);
  if (o.json) {
    fmt::print("{}\n", summary.dump(2));
  } else {
    fmt::print("{}", analysis::render_summary_text(summary));
  }
  return Status::ok();
}

}  // namespace

Command inspect_command() {
  return {"inspect", "Show a model's inputs/outputs, ops, parameters, quantization and sparsity",
          [](CLI::App& app) {
            auto o = std::make_shared<InspectOptions>();
            app.add_option("model", o->model, "Model file (.tflite)")->required();
            app.add_flag("--json", o->json, "Print machine-readable JSON");
            app.footer("Example:\n  tfcompress inspect fixtures/models/cnn_fmnist.tflite --json");
            return [o] { return run_inspect(*o); };
          }};
}

}  // namespace tfc::cli
