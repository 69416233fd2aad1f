// `tfcompress convert IN -o OUT`: read, verify, write. Input formats and
// passes are added here as they land.
#include <fmt/core.h>

#include "cli/commands.h"
#include "io/file_util.h"
#include "importers/import.h"
#include "io/tflite_writer.h"

namespace tfc::cli {
namespace {

struct ConvertOptions {
  std::string input;
  std::string output;
  importers::ImportOptions import;
};

Status run_convert(const ConvertOptions& o) {
  TFC_ASSIGN_OR_RETURN(ir::Model model, importers::load_model(o.input, o.import));
  TFC_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, io::serialize_tflite(model));
  TFC_RETURN_IF_ERROR(io::write_file_durable(o.output, bytes));
  fmt::print("wrote {} ({} bytes)\n", o.output, bytes.size());
  return Status::ok();
}

}  // namespace

Command convert_command() {
  return {"convert", "Read a model, verify it and write it as TFLite", [](CLI::App& app) {
            auto o = std::make_shared<ConvertOptions>();
            app.add_option("input", o->input, "Input model: .tflite, Keras .keras / .h5, or a SavedModel directory")->required();
            add_import_options(app, &o->import);
            app.add_option("-o,--output", o->output, "Output .tflite path (written atomically)")->required();
            app.footer("Example:\n  tfcompress convert model.tflite -o model.out.tflite");
            return [o] { return run_convert(*o); };
          }};
}

}  // namespace tfc::cli
