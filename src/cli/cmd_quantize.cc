// `tfcompress quantize MODEL -o OUT --mode fp16|dynamic`: post-training
// quantization without calibration data. Runs the recipe fold-dequantize ->
// quantize{mode} (or a recipe file), writes the result atomically and reports
// size and tensor counts before and after.
#include <map>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "io/tflite_reader.h"
#include "io/tflite_writer.h"
#include "passes/pass.h"

namespace tfc::cli {
namespace {

using nlohmann::json;

struct QuantizeOptions {
  std::string input;
  std::string output;
  std::string mode;         // fp16 | dynamic; int8 | int16x8 need calibration (not yet)
  bool per_tensor = false;  // dynamic: one scale for FULLY_CONNECTED weights
  std::string recipe;       // a recipe file, instead of --mode
  bool json = false;        // print the report as JSON
};

// Size, tensor and op counts, constants by dtype: what the report compares.
json model_stats(const ir::Model& m, size_t file_bytes) {
  int64_t tensors = 0, ops = 0;
  std::map<std::string, int64_t> constants;
  for (const auto& g : m.subgraphs) {
    tensors += static_cast<int64_t>(g.tensors.size());
    ops += static_cast<int64_t>(g.ops.size());
    for (const auto& t : g.tensors) {
      if (m.is_constant(t)) ++constants[std::string(dtype_name(t.dtype))];
    }
  }
  return {{"size_bytes", file_bytes}, {"tensors", tensors}, {"ops", ops}, {"constants_by_dtype", constants}};
}

std::string constants_text(const json& by_dtype) {
  std::string out;
  for (const auto& [dtype, count] : by_dtype.items()) {
    out += fmt::format("{}{} {}", out.empty() ? "" : ", ", count.get<int64_t>(), dtype);
  }
  return out.empty() ? "none" : out;
}

void print_report(const json& r) {
  const json& a = r["before"];
  const json& b = r["after"];
  const double ratio = b["size_bytes"].get<double>() / std::max(1.0, a["size_bytes"].get<double>());
  fmt::print("wrote {}\n", r["output"].get<std::string>());
  fmt::print("size:      {} -> {} bytes ({:.1f}%)\n", a["size_bytes"].get<int64_t>(), b["size_bytes"].get<int64_t>(),
             100.0 * ratio);
  fmt::print("tensors:   {} -> {}\n", a["tensors"].get<int64_t>(), b["tensors"].get<int64_t>());
  fmt::print("ops:       {} -> {}\n", a["ops"].get<int64_t>(), b["ops"].get<int64_t>());
  fmt::print("constants: {} -> {}\n", constants_text(a["constants_by_dtype"]), constants_text(b["constants_by_dtype"]));
}

Expected<json> load_recipe(const QuantizeOptions& o) {
  if (o.recipe.empty()) {
    if (o.mode == "int8" || o.mode == "int16x8") {
      return unsupported("--mode {} quantizes activations and needs --representative DATA (a representative dataset "
                         "for calibration), which is not available yet; use --mode fp16 or --mode dynamic", o.mode);
    }
    if (o.mode.empty()) return invalid_argument("give --mode fp16|dynamic or --recipe FILE");
    if (o.per_tensor && o.mode != "dynamic") return invalid_argument("--per-tensor applies to --mode dynamic only");
    json quantize = {{"name", "quantize"}, {"mode", o.mode}};
    if (o.per_tensor) quantize["per_tensor"] = true;
    return json{{"passes", json::array({json{{"name", "fold-dequantize"}}, quantize})}};
  }
  TFC_ASSIGN_OR_RETURN(const std::vector<uint8_t> bytes, io::read_file_bytes(o.recipe));
  json recipe = json::parse(bytes.begin(), bytes.end(), nullptr, false);
  if (recipe.is_discarded()) return invalid_argument("recipe {}: not valid JSON", o.recipe);
  const Status s = passes::check_recipe(recipe);
  if (!s) return s.with_context(o.recipe);
  return recipe;
}

Status run_quantize(const QuantizeOptions& o) {
  TFC_ASSIGN_OR_RETURN(const json recipe, load_recipe(o));
  TFC_ASSIGN_OR_RETURN(const std::vector<uint8_t> input_bytes, io::read_file_bytes(o.input));
  auto parsed = io::parse_tflite(input_bytes);
  if (!parsed) return parsed.status().with_context(o.input);
  ir::Model model = std::move(*parsed);
  json report = {{"input", o.input}, {"output", o.output}, {"recipe", recipe}};
  report["before"] = model_stats(model, input_bytes.size());
  TFC_RETURN_IF_ERROR(passes::run_recipe(model, recipe));
  TFC_ASSIGN_OR_RETURN(const std::vector<uint8_t> bytes, io::serialize_tflite(model));
  TFC_RETURN_IF_ERROR(io::write_file_atomic(o.output, bytes));
  report["after"] = model_stats(model, bytes.size());
  if (o.json) {
    fmt::print("{}\n", report.dump(2));
  } else {
    print_report(report);
  }
  return Status::ok();
}

}  // namespace

Command quantize_command() {
  return {"quantize", "Post-training quantization without calibration: float16 or dynamic-range int8 weights",
          [](CLI::App& app) {
            auto o = std::make_shared<QuantizeOptions>();
            app.add_option("model", o->input, "Input model (.tflite)")->required();
            app.add_option("-o,--output", o->output, "Output .tflite path (written atomically)")->required();
            auto* mode = app.add_option("--mode", o->mode,
                                        "fp16: float16 weights behind DEQUANTIZE; dynamic: int8 weights, float "
                                        "activations (hybrid ops); int8, int16x8: need calibration (not yet)")
                             ->check(CLI::IsMember({"fp16", "dynamic", "int8", "int16x8"}));
            auto* per_tensor = app.add_flag("--per-tensor", o->per_tensor,
                                            "dynamic: one scale for FULLY_CONNECTED weights, not per channel");
            app.add_option("--recipe", o->recipe,
                           "Run this recipe file instead, e.g. "
                           "{\"passes\": [{\"name\": \"quantize\", \"mode\": \"dynamic\", \"min_elements\": 256}]}")
                ->excludes(mode)
                ->excludes(per_tensor);
            app.add_flag("--json", o->json, "Print the report as JSON");
            app.footer(
                "Runs fold-dequantize, then quantize with the mode (float16-weight models are made float first).\n"
                "Example:\n  tfcompress quantize cnn.tflite -o cnn_dynamic.tflite --mode dynamic");
            return [o] { return run_quantize(*o); };
          }};
}

}  // namespace tfc::cli
