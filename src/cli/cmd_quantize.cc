// `tfcompress quantize MODEL -o OUT --mode fp16|dynamic|int8|int16x8`:
// post-training quantization. fp16 / dynamic run the recipe fold-dequantize ->
// quantize{mode} (or a recipe file); int8 / int16x8 run the calibration
// pipeline (passes/ptq.h) on a representative dataset, optionally checking it
// against a validation sample first. The result is written atomically; the
// report compares size, tensors and constants before and after, and lists the
// ops that stayed float and why.
#include <map>
#include <optional>

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "analysis/layer_error.h"
#include "calibration/distribution_check.h"
#include "calibration/observer.h"
#include "cli/commands.h"
#include "io/file_util.h"
#include "io/json_file.h"
#include "importers/import.h"
#include "io/tflite_reader.h"
#include "io/tflite_writer.h"
#include "passes/pass.h"
#include "passes/ptq.h"
#include "runtime/interpreter.h"

namespace tfc::cli {
namespace {

using nlohmann::json;

struct QuantizeOptions {
  importers::ImportOptions import;
  std::string input;
  std::string output;
  std::string mode;         // fp16 | dynamic | int8 | int16x8
  bool per_tensor = false;  // one weight scale per tensor (dynamic: FULLY_CONNECTED; int8: all weights)
  std::string recipe;       // a recipe file, instead of --mode
  bool json = false;        // print the report as JSON
  // int8 / int16x8
  std::string representative;
  std::string validation;
  double input_scale = 0;   // 0: not given
  int64_t samples = 0;      // 0: all
  std::string method = "minmax";
  double percentile = 99.99;
  std::string stats_in, stats_out;
  std::string io = "float";
  std::vector<std::string> keep_float;
  bool bias_correction = false;
  bool debug = false;
  int top = 10;
  bool quiet = false;
  std::string arithmetic = "litert";  // --arithmetic
  std::string kernels = "fast";  // --kernels: run calibration and --debug/--validation with these
  bool accept_data_mismatch = false;  // write the model although the data check found errors
};

bool integer_mode(const QuantizeOptions& o) { return o.mode == "int8" || o.mode == "int16x8"; }

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
    if (o.mode.empty()) return invalid_argument("give --mode fp16|dynamic|int8|int16x8 or --recipe FILE");
    json quantize = {{"name", "quantize"}, {"mode", o.mode}};
    if (o.per_tensor) quantize["per_tensor"] = true;
    return json{{"passes", json::array({json{{"name", "fold-dequantize"}}, quantize})}};
  }
  TFC_ASSIGN_OR_RETURN(json recipe, io::read_json_file(o.recipe, "recipe"));
  const Status s = passes::check_recipe(recipe);
  if (!s) return s.with_context(o.recipe);
  return recipe;
}

// Flags that only the integer modes read.
Status check_flags(const QuantizeOptions& o) {
  if (integer_mode(o)) {
    if (o.representative.empty() && o.stats_in.empty()) {
      return invalid_argument(
          "--mode {} quantizes activations, whose ranges must be measured on data like the production inputs: "
          "give --representative DATA (.npz, .npy or IDX images; a few hundred samples), or --stats FILE "
          "saved by an earlier run with --save-stats. Without data, use --mode dynamic (int8 weights, float "
          "activations) or --mode fp16", o.mode);
    }
    if (o.accept_data_mismatch && o.validation.empty()) {
      return invalid_argument("--accept-data-mismatch overrides the --validation check; give --validation too");
    }
    return Status::ok();
  }
  const std::vector<std::pair<bool, const char*>> integer_only = {
      {!o.representative.empty(), "--representative"}, {!o.validation.empty(), "--validation"},
      {o.input_scale != 0, "--input-scale"}, {o.samples != 0, "--samples"}, {o.method != "minmax", "--calibration"},
      {!o.stats_in.empty(), "--stats"}, {!o.stats_out.empty(), "--save-stats"}, {o.io != "float", "--io"},
      {!o.keep_float.empty(), "--keep-float"}, {o.bias_correction, "--bias-correction"}, {o.debug, "--debug"},
      {o.kernels != "fast", "--kernels"}, {o.accept_data_mismatch, "--accept-data-mismatch"}};
  for (const auto& [given, flag] : integer_only) {
    if (given) return invalid_argument("{} applies to --mode int8 and int16x8 only", flag);
  }
  if (o.per_tensor && o.mode == "fp16") return invalid_argument("--per-tensor applies to --mode dynamic, int8, int16x8");
  return Status::ok();
}

json findings_json(const std::vector<calibration::Finding>& findings) {
  json out = json::array();
  for (const auto& f : findings) {
    out.push_back({{"severity", calibration::severity_name(f.severity)}, {"subject", f.subject}, {"message", f.message}});
  }
  return out;
}

// Compares the representative set with the validation sample: inputs first,
// then (after calibrating both on the model) the activation ranges.
Expected<json> check_representative(const ir::Model& folded, const QuantizeOptions& o,
                                    const passes::IntegerPtqOptions& p, const passes::IntegerPtqResult& result) {
  const calibration::CalibrationStats& rep = result.stats;
  if (!result.representative) return internal_error("the representative samples were not kept");
  const Dataset& rep_data = *result.representative;
  TFC_ASSIGN_OR_RETURN(const Dataset val_data, passes::load_model_dataset(folded, o.validation, p.input_scale));
  TFC_ASSIGN_OR_RETURN(auto findings, calibration::check_input_distributions(rep_data, val_data));
  calibration::CalibrationOptions co;
  co.max_samples = o.samples;
  co.progress = o.quiet || o.json ? ProgressMode::kNever : ProgressMode::kAuto;
  co.kernels = p.kernels;
  co.arithmetic = p.arithmetic;
  TFC_ASSIGN_OR_RETURN(const auto val_stats, calibration::calibrate(folded, val_data, co));
  calibration::DistributionCheckOptions dco;
  dco.ranges.method = *calibration::parse_range_method(o.method);
  dco.ranges.percentile = o.percentile;
  dco.ranges.num_bits = o.mode == "int16x8" ? 16 : 8;
  TFC_ASSIGN_OR_RETURN(auto range_findings, calibration::compare_activation_ranges(rep, val_stats, dco));
  findings.insert(findings.end(), range_findings.begin(), range_findings.end());
  return findings_json(findings);
}

// Output error of a quantized model against the float one on `data`, run with
// `options` (without a progress bar).
Expected<json> output_error(const ir::Model& folded, const ir::Model& quantized, const Dataset& data,
                            const analysis::LayerErrorOptions& options) {
  analysis::LayerErrorOptions lo = options;
  lo.progress = ProgressMode::kNever;
  TFC_ASSIGN_OR_RETURN(const auto errors, analysis::compare_layers(folded, quantized, data, lo));
  std::vector<analysis::LayerError> outputs;
  for (const auto& e : errors) {
    if (e.is_output) outputs.push_back(e);
  }
  return analysis::layer_errors_json(outputs);
}

// --debug: per-layer error on the validation sample (else the representative
// set); with --keep-float, also what keeping those ops float buys at the
// outputs against quantizing everything.
Status debug_report(const QuantizeOptions& o, const ir::Model& folded, const ir::Model& quantized,
                    const passes::IntegerPtqOptions& p, const passes::IntegerPtqResult& result, json& report) {
  const calibration::CalibrationStats& stats = result.stats;
  const std::string& spec = o.validation.empty() ? o.representative : o.validation;
  if (spec.empty()) return invalid_argument("--debug runs both models on data: give --representative or --validation");
  std::optional<Dataset> loaded;
  if (!o.validation.empty() || !result.representative) {
    TFC_ASSIGN_OR_RETURN(loaded, passes::load_model_dataset(folded, spec, p.input_scale));
  }
  const Dataset& data = loaded ? *loaded : *result.representative;
  analysis::LayerErrorOptions lo;
  lo.max_samples = o.samples > 0 ? o.samples : 200;
  lo.progress = o.quiet || o.json ? ProgressMode::kNever : ProgressMode::kAuto;
  lo.kernels = p.kernels;
  lo.arithmetic = p.arithmetic;
  TFC_ASSIGN_OR_RETURN(const auto errors, analysis::compare_layers(folded, quantized, data, lo));
  report["debug"] = {{"data", spec}, {"layers", analysis::layer_errors_json(errors)}};
  if (!o.json) fmt::print("per-layer error on {} (worst first):\n{}", spec, analysis::render_layer_errors(errors, o.top));
  if (p.quant.keep_float.empty()) return Status::ok();
  ir::Model all_integer = folded;
  passes::IntegerPtqOptions q = p;
  q.quant.keep_float.clear();
  q.stats = &stats;
  q.stats_out.clear();
  q.progress = ProgressMode::kNever;
  TFC_ASSIGN_OR_RETURN(const auto full, passes::quantize_integer_ptq(all_integer, q));
  (void)full;
  TFC_ASSIGN_OR_RETURN(json without, output_error(folded, all_integer, data, lo));
  TFC_ASSIGN_OR_RETURN(json with, output_error(folded, quantized, data, lo));
  TFC_ASSIGN_OR_RETURN(const std::vector<uint8_t> full_bytes, io::serialize_tflite(all_integer));
  report["debug"]["keep_float_effect"] = {{"all_integer_outputs", without},
                                          {"with_keep_float_outputs", with},
                                          {"all_integer_size_bytes", full_bytes.size()}};
  if (!o.json) {
    for (size_t i = 0; i < with.size() && i < without.size(); ++i) {
      fmt::print("keeping {} float: output '{}' SNR {} dB -> {} dB, cosine {:.5f} -> {:.5f} (all-integer file {} bytes)\n",
                 fmt::join(p.quant.keep_float, ","), with[i]["tensor"].get<std::string>(), without[i]["snr_db"].dump(),
                 with[i]["snr_db"].dump(), without[i]["cosine"].get<double>(), with[i]["cosine"].get<double>(),
                 full_bytes.size());
    }
  }
  return Status::ok();
}

int count_errors(const json& data_check) {
  int errors = 0;
  for (const json& f : data_check) errors += f["severity"].get<std::string>() == "error";
  return errors;
}

// The data check's warnings and errors on stderr (a line saying it matched
// when there are none).
void print_findings(const json& data_check) {
  int shown = 0;
  for (const json& f : data_check) {
    const std::string sev = f["severity"].get<std::string>();
    if (sev == "info") continue;
    fmt::print(stderr, "{}: representative data: {}\n", sev, f["message"].get<std::string>());
    ++shown;
  }
  if (shown == 0) fmt::print("representative data: matches the validation sample (inputs and activation ranges)\n");
}

// What the data check calls an error stops quantization before anything is
// written, unless --accept-data-mismatch says to write the model anyway.
Status enforce_data_check(const QuantizeOptions& o, json& report) {
  const int errors = count_errors(report["data_check"]);
  if (errors == 0) return Status::ok();
  if (o.accept_data_mismatch) {
    report["data_mismatch_accepted"] = true;
    return Status::ok();
  }
  print_findings(report["data_check"]);
  return check_failed(
      "the representative data does not match the validation sample ({} error{} above), so the activation ranges "
      "calibrated on it would not fit the production inputs; nothing was written. Calibrate on data like the "
      "production inputs, or pass --accept-data-mismatch to write the model anyway",
      errors, errors == 1 ? "" : "s");
}

Status run_integer(const QuantizeOptions& o, ir::Model& model, json& report) {
  passes::IntegerPtqOptions p;
  p.quant.activations = o.mode == "int16x8" ? DType::kInt16 : DType::kInt8;
  TFC_ASSIGN_OR_RETURN(p.quant.io, passes::parse_io_type(o.io, p.quant.activations));
  p.quant.per_tensor = o.per_tensor;
  for (const std::string& k : o.keep_float) {
    for (size_t start = 0; start <= k.size();) {  // comma-separated lists too
      const size_t comma = std::min(k.find(',', start), k.size());
      if (comma > start) p.quant.keep_float.push_back(k.substr(start, comma - start));
      start = comma + 1;
    }
  }
  p.representative = o.representative;
  if (o.input_scale != 0) p.input_scale = static_cast<float>(o.input_scale);
  p.max_samples = o.samples;
  p.stats_in = o.stats_in;
  p.stats_out = o.validation.empty() ? o.stats_out : "";  // with --validation: saved once the check passed
  const auto method = calibration::parse_range_method(o.method);
  if (!method) return invalid_argument("--calibration {}: expected minmax, moving-average, percentile, entropy or mse", o.method);
  p.range.method = *method;
  p.range.percentile = o.percentile;
  p.bias_correction = o.bias_correction;
  p.progress = o.quiet || o.json ? ProgressMode::kNever : ProgressMode::kAuto;
  TFC_ASSIGN_OR_RETURN(p.kernels, runtime::parse_kernels(o.kernels));
  TFC_ASSIGN_OR_RETURN(p.arithmetic, runtime::parse_arithmetic(o.arithmetic));
  if (!o.validation.empty() && o.representative.empty()) {
    return invalid_argument("--validation is compared with --representative; give both");
  }
  TFC_RETURN_IF_ERROR(passes::fold_dequantize(model));
  std::optional<ir::Model> folded;
  if (!o.validation.empty() || o.debug) folded = model;  // the float model, for the check and the debug report
  TFC_ASSIGN_OR_RETURN(const passes::IntegerPtqResult result, passes::quantize_integer_ptq(model, p));
  report["calibration"] = {{"method", o.method},
                           {"samples", result.samples},
                           {"stats_loaded_from", o.stats_in},
                           {"stats_saved_to", o.stats_out},
                           {"tensors", result.stats.tensors.size()}};
  if (o.method == "percentile") report["calibration"]["percentile"] = o.percentile;
  report["quantized_ops"] = result.report.quantized_ops;
  if (o.bias_correction) report["bias_corrected_ops"] = result.bias_corrected_ops;
  json float_ops = json::array();
  for (const auto& f : result.report.float_ops) {
    float_ops.push_back({{"index", f.index}, {"op", f.op}, {"output", f.output}, {"reason", f.reason}});
  }
  report["float_ops"] = float_ops;
  if (!o.validation.empty()) {
    TFC_ASSIGN_OR_RETURN(report["data_check"], check_representative(*folded, o, p, result));
    TFC_RETURN_IF_ERROR(enforce_data_check(o, report));
    if (!o.stats_out.empty()) TFC_RETURN_IF_ERROR(calibration::save_stats(o.stats_out, result.stats));
  }
  if (o.debug) TFC_RETURN_IF_ERROR(debug_report(o, *folded, model, p, result, report));
  return Status::ok();
}

void print_integer_report(const json& r) {
  if (!r.contains("quantized_ops")) return;
  const json& c = r["calibration"];
  if (c["samples"].get<int64_t>() > 0) {
    fmt::print("calibration: {} on {} samples ({} tensors)\n", c["method"].get<std::string>(),
               c["samples"].get<int64_t>(), c["tensors"].get<size_t>());
  } else {
    fmt::print("calibration: {} from {}\n", c["method"].get<std::string>(), c["stats_loaded_from"].get<std::string>());
  }
  fmt::print("integer ops: {}, float ops: {}\n", r["quantized_ops"].get<int>(), r["float_ops"].size());
  if (r.contains("bias_corrected_ops")) fmt::print("bias corrected: {} ops\n", r["bias_corrected_ops"].get<int>());
  for (const json& f : r["float_ops"]) {
    fmt::print("  float: #{} {} ('{}'): {}\n", f["index"].get<int>(), f["op"].get<std::string>(),
               f["output"].get<std::string>(), f["reason"].get<std::string>());
  }
}

Status run_quantize(const QuantizeOptions& o) {
  TFC_RETURN_IF_ERROR(check_flags(o));
  json recipe;
  if (!integer_mode(o) || !o.recipe.empty()) {
    TFC_ASSIGN_OR_RETURN(recipe, load_recipe(o));
  }
  // The input's size: a .tflite's bytes, or the float TFLite a Keras or
  // SavedModel model imports to (read once either way).
  TFC_ASSIGN_OR_RETURN(const std::vector<uint8_t> input_bytes, importers::tflite_bytes(o.input, o.import));
  auto parsed = io::parse_tflite(input_bytes);
  if (!parsed) return parsed.status().with_context(o.input);
  ir::Model model = std::move(*parsed);
  json report = {{"input", o.input}, {"output", o.output}, {"mode", o.mode}};
  if (!recipe.is_null()) report["recipe"] = recipe;
  report["before"] = model_stats(model, input_bytes.size());
  if (integer_mode(o) && o.recipe.empty()) {
    TFC_RETURN_IF_ERROR(run_integer(o, model, report));
  } else {
    TFC_RETURN_IF_ERROR(passes::run_recipe(model, recipe));
  }
  TFC_ASSIGN_OR_RETURN(const std::vector<uint8_t> bytes, io::serialize_tflite(model));
  TFC_RETURN_IF_ERROR(io::write_file_durable(o.output, bytes));
  report["after"] = model_stats(model, bytes.size());
  if (o.json) {
    fmt::print("{}\n", report.dump(2));
  } else {
    print_report(report);
    print_integer_report(report);
  }
  if (report.contains("data_check")) print_findings(report["data_check"]);
  if (report.contains("data_mismatch_accepted")) {
    const int errors = count_errors(report["data_check"]);
    fmt::print(stderr, "note: wrote {} although the representative data does not match the validation sample "
                       "({} error{}), as --accept-data-mismatch asked\n",
               o.output, errors, errors == 1 ? "" : "s");
  }
  return Status::ok();
}

}  // namespace

Command quantize_command() {
  return {"quantize", "Post-training quantization: float16, dynamic-range int8, full int8 or int16x8",
          [](CLI::App& app) {
            auto o = std::make_shared<QuantizeOptions>();
            app.add_option("model", o->input, "Input model: .tflite (float16-weight models are made float first), Keras .keras / .h5, or a SavedModel "
                           "directory")
                ->required();
            add_import_options(app, &o->import);
            app.add_option("-o,--output", o->output, "Output .tflite path (written atomically)")->required();
            auto* mode = app.add_option("--mode", o->mode,
                                        "fp16: float16 weights behind DEQUANTIZE; dynamic: int8 weights, float "
                                        "activations (hybrid ops); int8: int8 weights and activations; int16x8: "
                                        "int16 activations, int8 weights (int8/int16x8 need --representative)")
                             ->check(CLI::IsMember({"fp16", "dynamic", "int8", "int16x8"}));
            auto* per_tensor = app.add_flag("--per-tensor", o->per_tensor,
                                            "One scale per weight tensor instead of one per output channel");
            app.add_option("--representative", o->representative,
                           "int8/int16x8: calibration data like the production inputs: DATA.npz (the array named "
                           "like the model's input, else 'x', else the only array), DATA.npy, IMAGES.idx[.gz], or a folder of "
                           "PNG/JPEG images (one subfolder per class; resized to the input, read as uint8 pixels)");
            app.add_option("--samples", o->samples, "Calibrate on the first N samples (default: all)")
                ->check(CLI::NonNegativeNumber);
            app.add_option("--input-scale", o->input_scale,
                           "Multiply integer samples (e.g. uint8 IDX images) by this to feed a float input, "
                           "e.g. 0.00392156862745098 for [0, 1]");
            app.add_option("--calibration", o->method,
                           "Range method: minmax, moving-average, percentile, entropy (KL) or mse")
                ->check(CLI::IsMember({"minmax", "moving-average", "percentile", "entropy", "mse"}))
                ->capture_default_str();
            app.add_option("--percentile", o->percentile, "For --calibration percentile: keep this % of values")
                ->check(CLI::Range(50.0001, 100.0))
                ->capture_default_str();
            app.add_option("--save-stats", o->stats_out,
                           "Save calibration statistics (JSON) so another --calibration method can be tried "
                           "without running the model again");
            app.add_option("--stats", o->stats_in, "Use statistics saved by --save-stats instead of calibrating");
            app.add_option("--validation", o->validation,
                           "A validation/production sample, compared with the representative data (inputs, then "
                           "activation ranges): warnings are printed; an error stops quantization (exit 1, nothing "
                           "written) unless --accept-data-mismatch");
            app.add_flag("--accept-data-mismatch", o->accept_data_mismatch,
                         "Write the model even when --validation finds that the representative data does not match "
                         "(the output says so)");
            app.add_option("--io", o->io, "Model inputs/outputs: float (QUANTIZE/DEQUANTIZE inside), int8, uint8 "
                                          "or int16 (int16x8)")
                ->check(CLI::IsMember({"float", "int8", "uint8", "int16"}))
                ->capture_default_str();
            app.add_option("--keep-float", o->keep_float,
                           "Ops that stay float: output tensor names or op names (SOFTMAX), comma-separated or "
                           "repeated (see `tfcompress debug` for the worst layers)");
            app.add_flag("--bias-correction", o->bias_correction,
                         "Fold the mean error that weight quantization adds to each channel into the bias");
            app.add_option("--recipe", o->recipe,
                           "Run this recipe file instead, e.g. "
                           "{\"passes\": [{\"name\": \"quantize\", \"mode\": \"dynamic\", \"min_elements\": 256}]}")
                ->excludes(mode)
                ->excludes(per_tensor);
            app.add_flag("--debug", o->debug,
                         "Per-layer error of the result against the float model on --validation (else "
                         "--representative) data, worst first; with --keep-float, what keeping those ops float buys");
            app.add_option("--top", o->top, "--debug: show the N worst tensors")->capture_default_str();
            app.add_flag("-q,--quiet", o->quiet, "No progress bar");
            app.add_flag("--json", o->json, "Print the report as JSON");
            add_arithmetic_option(app, &o->arithmetic);
            add_kernels_option(app, &o->kernels)
                ->description("int8/int16x8: runtime kernels for calibration, --validation and --debug: fast "
                              "(oneDNN/XNNPACK where an op has one) or reference (the reference kernels only)");
            app.footer(
                "Examples:\n"
                "  tfcompress quantize cnn.tflite -o cnn_fp16.tflite --mode fp16\n"
                "  tfcompress quantize cnn.tflite -o cnn_dynamic.tflite --mode dynamic\n"
                "  tfcompress quantize cnn.tflite -o cnn_int8.tflite --mode int8 --representative rep.npz \\\n"
                "      --validation val.npz --calibration entropy --save-stats cnn.stats.json\n"
                "  tfcompress quantize cnn.tflite -o cnn_int8io.tflite --mode int8 --stats cnn.stats.json --io int8\n"
                "int8 and int16x8 refuse to run without calibration data rather than guess activation ranges,\n"
                "and stop (exit 1, nothing written) when --validation shows the data does not match.");
            return [o] { return run_quantize(*o); };
          }};
}

}  // namespace tfc::cli
