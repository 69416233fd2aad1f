// `tfcompress import MODEL -o OUT.tflite`: a Keras (.keras, .h5) or SavedModel
// model -> TFLite, natively (importers/import.h), as the TFLite converter
// would write it.
#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "importers/import.h"
#include "io/file_util.h"
#include "io/tflite_writer.h"

namespace tfc::cli {
namespace {

struct ImportCmdOptions {
  std::string model;
  std::string output;
  importers::ImportOptions import;
  bool json = false;
};

nlohmann::json import_summary(const ImportCmdOptions& o, const importers::Imported& imported, size_t bytes) {
  const ir::Subgraph& g = imported.model.subgraphs.at(0);
  nlohmann::json ops = nlohmann::json::object();
  for (const auto& op : g.ops) ops[ir::op_name(op.code)] = ops.value(ir::op_name(op.code), 0) + 1;
  return {{"input", o.model},
          {"format", importers::format_name(imported.format)},
          {"output", o.output},
          {"bytes", bytes},
          {"ops", g.ops.size()},
          {"op_counts", ops},
          {"batch_norms", imported.training.batch_norms.size()},
          {"dropouts", imported.training.dropouts.size()}};
}

Status run_import(const ImportCmdOptions& o) {
  TFC_ASSIGN_OR_RETURN(importers::Imported imported, importers::import_model(o.model, o.import));
  TFC_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, io::serialize_tflite(imported.model));
  TFC_RETURN_IF_ERROR(io::write_file_durable(o.output, bytes));
  const nlohmann::json summary = import_summary(o, imported, bytes.size());
  if (o.json) {
    fmt::print("{}\n", summary.dump(2));
    return Status::ok();
  }
  fmt::print("imported {} ({}): {} ops, {} batch norm{} folded or lowered, {} dropout layer{} removed\n", o.model,
             summary["format"].get<std::string>(), summary["ops"].get<size_t>(), imported.training.batch_norms.size(),
             imported.training.batch_norms.size() == 1 ? "" : "s", imported.training.dropouts.size(),
             imported.training.dropouts.size() == 1 ? "" : "s");
  fmt::print("wrote {} ({} bytes)\n", o.output, bytes.size());
  return Status::ok();
}

}  // namespace

void add_import_options(CLI::App& app, importers::ImportOptions* options) {
  app.add_option("--signature", options->signature,
                 "SavedModel signature to import (default: serving_default, or the only one)");
  app.add_option("--batch", options->batch, "Static batch size given to a dynamic batch dim")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20));
}

Command import_command() {
  return {"import", "Import a Keras (.keras, .h5) or SavedModel model and write it as TFLite", [](CLI::App& app) {
            auto o = std::make_shared<ImportCmdOptions>();
            app.add_option("model", o->model, "Keras .keras / .h5 file or SavedModel directory")->required();
            app.add_option("-o,--output", o->output, "Output .tflite path (written atomically)")->required();
            add_import_options(app, &o->import);
            app.add_flag("--json", o->json, "Print a machine-readable summary");
            app.footer(
                "Example:\n  tfcompress import fixtures/keras/cnn_bn/model.keras -o cnn_bn.tflite\n"
                "  tfcompress import my_saved_model/ -o model.tflite --signature serving_default --batch 1");
            return [o] { return run_import(*o); };
          }};
}

}  // namespace tfc::cli
