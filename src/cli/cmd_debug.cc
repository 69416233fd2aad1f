// `tfcompress debug FLOAT.tflite QUANTIZED.tflite --data DATA`: per-layer
// quantization error of a quantized model against the float model it was made
// from, on the same samples (analysis/layer_error.h), worst layers first.
#include <fmt/core.h>

#include "analysis/layer_error.h"
#include "cli/commands.h"
#include "importers/import.h"
#include "passes/passes.h"
#include "passes/ptq.h"
#include "runtime/interpreter.h"

namespace tfc::cli {
namespace {

struct DebugOptions {
  std::string float_model, quantized_model, data;
  int64_t samples = 100;
  double input_scale = 0;
  int top = 20;
  bool json = false;
  std::string arithmetic = "litert";  // --arithmetic
  std::string kernels = "fast";  // --kernels
};

Status run_debug(const DebugOptions& o) {
  TFC_ASSIGN_OR_RETURN(ir::Model fm, importers::load_model(o.float_model));
  TFC_ASSIGN_OR_RETURN(const ir::Model qm, importers::load_model(o.quantized_model));
  TFC_RETURN_IF_ERROR(passes::fold_dequantize(fm));  // float16-weight models compare as float
  std::optional<float> scale;
  if (o.input_scale != 0) scale = static_cast<float>(o.input_scale);
  TFC_ASSIGN_OR_RETURN(const Dataset data, passes::load_model_dataset(fm, o.data, scale));
  analysis::LayerErrorOptions lo;
  lo.max_samples = o.samples;
  lo.progress = o.json ? ProgressMode::kNever : ProgressMode::kAuto;
  TFC_ASSIGN_OR_RETURN(lo.kernels, runtime::parse_kernels(o.kernels));
  TFC_ASSIGN_OR_RETURN(lo.arithmetic, runtime::parse_arithmetic(o.arithmetic));
  TFC_ASSIGN_OR_RETURN(const auto errors, analysis::compare_layers(fm, qm, data, lo));
  if (o.json) {
    fmt::print("{}\n", nlohmann::json{{"float_model", o.float_model},
                                      {"quantized_model", o.quantized_model},
                                      {"samples", std::min<int64_t>(data.num_samples(), o.samples > 0 ? o.samples : data.num_samples())},
                                      {"layers", analysis::layer_errors_json(errors)}}
                           .dump(2));
  } else {
    fmt::print("{}", analysis::render_layer_errors(errors, o.top));
    fmt::print("Keep the worst layers float with: tfcompress quantize ... --keep-float TENSOR[,TENSOR...]\n");
  }
  return Status::ok();
}

}  // namespace

Command debug_command() {
  return {"debug", "Per-layer quantization error of a quantized model against its float model", [](CLI::App& app) {
            auto o = std::make_shared<DebugOptions>();
            app.add_option("float_model", o->float_model, "The float model (.tflite)")->required();
            app.add_option("quantized_model", o->quantized_model, "Its quantized version made by tfcompress quantize")
                ->required();
            app.add_option("--data", o->data, "Samples to run both on: DATA.npz (the array named like the input, else x, else the only "
                           "array), DATA.npy, IMAGES.idx[.gz] or a folder of PNG/JPEG images")
                ->required();
            app.add_option("--samples", o->samples, "Use the first N samples (0: all)")->capture_default_str();
            app.add_option("--input-scale", o->input_scale, "Multiply integer samples by this (e.g. 1/255)");
            app.add_option("--top", o->top, "Show the N worst tensors (0: all)")->capture_default_str();
            app.add_flag("--json", o->json, "Print every tensor's metrics as JSON");
            add_arithmetic_option(app, &o->arithmetic);
            add_kernels_option(app, &o->kernels);
            app.footer(
                "Tensors are matched by name; integer values are dequantized. SNR = 10 log10(signal / error power);\n"
                "max steps = max error in units of the tensor's scale. Errors include what earlier layers pass on.\n"
                "Example:\n  tfcompress debug cnn.tflite cnn_int8.tflite --data val.npz --top 10");
            return [o] { return run_debug(*o); };
          }};
}

}  // namespace tfc::cli
