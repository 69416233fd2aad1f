// `tfcompress inspect MODEL`: what a model holds.
#include <fmt/core.h>

#include "analysis/inspect.h"
#include "cli/commands.h"
#include "importers/import.h"

namespace tfc::cli {
namespace {

struct InspectOptions {
  std::string model;
  bool json = false;  // print the summary as JSON
  bool ops = false;   // list every op with its source
  importers::ImportOptions import;
};

Status run_inspect(const InspectOptions& o) {
  TFC_ASSIGN_OR_RETURN(ir::Model model, importers::load_model(o.model, o.import));
  auto summary = analysis::summarize_model(model);
  if (o.json) {
    fmt::print("{}\n", summary.dump(2));
  } else {
    fmt::print("{}", analysis::render_summary_text(summary, o.ops));
  }
  return Status::ok();
}

}  // namespace

Command inspect_command() {
  return {"inspect", "Show a model's inputs/outputs, ops, parameters, quantization and sparsity",
          [](CLI::App& app) {
            auto o = std::make_shared<InspectOptions>();
            app.add_option("model", o->model, "Model: .tflite, Keras .keras / .h5, or a SavedModel directory")->required();
            add_import_options(app, &o->import);
            app.add_flag("--json", o->json, "Print machine-readable JSON (it always has the op list)");
            app.add_flag("--ops", o->ops, "List every op with the Keras layer or TF node it came from");
            app.footer("Examples:\n  tfcompress inspect fixtures/models/cnn_fmnist.tflite --json\n"
                       "  tfcompress inspect model.keras --ops");
            return [o] { return run_inspect(*o); };
          }};
}

}  // namespace tfc::cli
