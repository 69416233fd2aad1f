// The one table of passes, their JSON options, and recipes (see pass.h).
#include <algorithm>
#include <limits>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "ir/verify.h"
#include "passes/pass.h"
#include "passes/passes.h"
#include "passes/ptq.h"

namespace tfc::passes {
namespace {

using nlohmann::json;

// ---- Typed option readers: `fallback` when the key is absent ----------------------

Expected<std::string> string_option(const json& options, std::string_view pass, const char* key,
                                    std::string fallback) {
  if (!options.contains(key)) return fallback;
  if (!options[key].is_string()) return invalid_argument("pass '{}': option '{}' must be a string", pass, key);
  return options[key].get<std::string>();
}

Expected<bool> bool_option(const json& options, std::string_view pass, const char* key, bool fallback) {
  if (!options.contains(key)) return fallback;
  if (!options[key].is_boolean()) return invalid_argument("pass '{}': option '{}' must be true or false", pass, key);
  return options[key].get<bool>();
}

Expected<int64_t> int_option(const json& options, std::string_view pass, const char* key, int64_t fallback,
                             int64_t min) {
  if (!options.contains(key)) return fallback;
  const json& v = options[key];
  constexpr auto kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  const bool too_big = v.is_number_unsigned() && v.get<uint64_t>() > kMax;
  if (!v.is_number_integer() || too_big || v.get<int64_t>() < min) {
    return invalid_argument("pass '{}': option '{}' must be an integer >= {}", pass, key, min);
  }
  return v.get<int64_t>();
}

// Options of modes int8 / int16x8.
Expected<IntegerPtqOptions> integer_options(const json& options, const std::string& mode) {
  constexpr std::string_view kPass = "quantize";
  IntegerPtqOptions o;
  o.quant.activations = mode == "int16x8" ? DType::kInt16 : DType::kInt8;
  o.progress = ProgressMode::kAuto;
  TFC_ASSIGN_OR_RETURN(o.representative, string_option(options, kPass, "representative", ""));
  TFC_ASSIGN_OR_RETURN(o.stats_in, string_option(options, kPass, "stats", ""));
  TFC_ASSIGN_OR_RETURN(o.max_samples, int_option(options, kPass, "max_samples", 0, 0));
  TFC_ASSIGN_OR_RETURN(o.quant.per_tensor, bool_option(options, kPass, "per_tensor", false));
  TFC_ASSIGN_OR_RETURN(o.bias_correction, bool_option(options, kPass, "bias_correction", false));
  TFC_ASSIGN_OR_RETURN(const std::string method, string_option(options, kPass, "method", "minmax"));
  const auto parsed = calibration::parse_range_method(method);
  if (!parsed) {
    return invalid_argument("pass 'quantize': unknown calibration method '{}' (minmax, moving-average, percentile, "
                            "entropy, mse)", method);
  }
  o.range.method = *parsed;
  if (options.contains("percentile")) {
    if (!options["percentile"].is_number()) return invalid_argument("pass 'quantize': option 'percentile' must be a number");
    o.range.percentile = options["percentile"].get<double>();
    if (!(o.range.percentile > 50 && o.range.percentile <= 100)) {
      return invalid_argument("pass 'quantize': option 'percentile' must be in (50, 100], got {}", o.range.percentile);
    }
  }
  if (options.contains("input_scale")) {
    if (!options["input_scale"].is_number()) return invalid_argument("pass 'quantize': option 'input_scale' must be a number");
    o.input_scale = options["input_scale"].get<float>();
  }
  TFC_ASSIGN_OR_RETURN(const std::string io, string_option(options, kPass, "io", "float"));
  TFC_ASSIGN_OR_RETURN(o.quant.io, parse_io_type(io, o.quant.activations));
  if (options.contains("keep_float")) {
    const json& k = options["keep_float"];
    if (!k.is_array() || !std::all_of(k.begin(), k.end(), [](const json& v) { return v.is_string(); })) {
      return invalid_argument("pass 'quantize': option 'keep_float' must be a list of tensor or op names");
    }
    for (const json& v : k) o.quant.keep_float.push_back(v.get<std::string>());
  }
  return o;
}

// ---- The passes behind their JSON options --------------------------------------------

Status run_fold_dequantize(ir::Model& model, const json&) { return fold_dequantize(model); }

// A pass that counts what it rewrote; the count is for the API, not the recipe.
template <Expected<int> (*Pass)(ir::Model&)>
Status run_counting(ir::Model& model, const json&) {
  return Pass(model).status();
}

Status run_quantize(ir::Model& model, const json& options) {
  TFC_ASSIGN_OR_RETURN(const std::string mode, string_option(options, "quantize", "mode", ""));
  if (mode == "fp16") {
    for (const char* key : {"per_tensor", "min_elements"}) {
      if (options.contains(key)) {
        return invalid_argument("pass 'quantize': option '{}' applies to mode 'dynamic' only", key);
      }
    }
    return quantize_fp16(model);
  }
  if (mode == "dynamic") {
    DynamicRangeOptions o;
    TFC_ASSIGN_OR_RETURN(o.per_tensor, bool_option(options, "quantize", "per_tensor", o.per_tensor));
    TFC_ASSIGN_OR_RETURN(o.min_elements, int_option(options, "quantize", "min_elements", o.min_elements, 0));
    return quantize_dynamic_range(model, o);
  }
  if (mode == "int8" || mode == "int16x8") {
    if (options.contains("min_elements")) {
      return invalid_argument("pass 'quantize': option 'min_elements' applies to mode 'dynamic' only");
    }
    TFC_ASSIGN_OR_RETURN(IntegerPtqOptions o, integer_options(options, mode));
    TFC_ASSIGN_OR_RETURN(const IntegerPtqResult result, quantize_integer_ptq(model, o));
    (void)result;
    return Status::ok();
  }
  if (mode.empty()) return invalid_argument("pass 'quantize' needs option 'mode': fp16, dynamic, int8 or int16x8");
  return invalid_argument("pass 'quantize': unknown mode '{}'; expected fp16, dynamic, int8 or int16x8", mode);
}

Status check_options(const PassInfo& pass, const json& options) {
  if (options.is_null()) return Status::ok();
  if (!options.is_object()) return invalid_argument("pass '{}': options must be a JSON object", pass.name);
  for (const auto& [key, value] : options.items()) {
    if (std::find(pass.option_keys.begin(), pass.option_keys.end(), key) == pass.option_keys.end()) {
      const std::string accepted = pass.option_keys.empty()
                                       ? std::string("it takes none")
                                       : fmt::format("it takes: {}", fmt::join(pass.option_keys, ", "));
      return invalid_argument("pass '{}' has no option '{}' ({})", pass.name, key, accepted);
    }
  }
  return Status::ok();
}

Expected<const PassInfo*> lookup(std::string_view name) {
  if (const PassInfo* p = find_pass(name)) return p;
  std::vector<std::string_view> names;
  for (const PassInfo& p : all_passes()) names.push_back(p.name);
  return invalid_argument("unknown pass '{}' (known: {})", name, fmt::join(names, ", "));
}

// A recipe step's options: every key but "name".
json step_options(const json& step) {
  json options = json::object();
  for (const auto& [key, value] : step.items()) {
    if (key != "name") options[key] = value;
  }
  return options;
}

}  // namespace

const std::vector<PassInfo>& all_passes() {
  static const std::vector<PassInfo> kPasses = {
      {"fold-dequantize", "Turn DEQUANTIZE ops of constants (float16, int8) into float32 constants",
       run_fold_dequantize, {}},
      {"fold-batchnorm",
       "Fold a per-channel MUL / ADD / SUB of constants (BatchNormalization, BiasAdd) after a conv, depthwise, "
       "fully connected or transpose conv into its weights and bias",
       run_counting<fold_batch_norms>, {}},
      {"fuse-activation",
       "Fuse a RELU / RELU6 / RELU_N1_TO_1 into the op before it, where the TFLite converter does",
       run_counting<fuse_activations>, {}},
      {"fuse-hard-swish", "Replace x * relu6(x + 3) / 6 by HARD_SWISH, where the TFLite converter does",
       run_counting<fuse_hard_swish>, {}},
      {"fuse-gelu", "Replace GELU's tanh approximation by GELU (approximate), where the TFLite converter does",
       run_counting<fuse_gelu>, {}},
      {"fold-pad", "Fold a PAD that pads as SAME would into the VALID conv or depthwise conv after it",
       run_counting<fold_pads>, {}},
      {"fold-reshapes", "Merge a RESHAPE, SQUEEZE or EXPAND_DIMS read only by a RESHAPE into it",
       run_counting<fold_reshapes>, {}},
      {"merge-duplicate-ops", "Merge ops that compute the same values from the same inputs (common subexpressions)",
       run_counting<merge_duplicate_ops>, {}},
      {"fuse-relu-clip",
       "Replace MAXIMUM(x, 0) and MINIMUM / MAXIMUM clips to [0, 6], [-1, 1] by RELU, RELU6, RELU_N1_TO_1",
       run_counting<fuse_relu_clips>, {}},
      {"fuse-squared-difference", "Replace SQUARE(SUB(x, y)) by SQUARED_DIFFERENCE(x, y)",
       run_counting<fuse_squared_differences>, {}},
      {"fuse-rsqrt", "Replace DIV(x, SQRT(y)) by MUL(x, RSQRT(y)), as the TFLite converter does",
       run_counting<fuse_rsqrt>, {}},
      {"fuse-prelu", "Replace relu(x) - a * relu(-x) (constant a) by PRELU, as the TFLite converter does",
       run_counting<fuse_prelu>, {}},
      {"hoist-channel-ops", "Move a per-channel op after a conv's SQUEEZE / RESHAPE before it, where it folds",
       run_counting<hoist_channel_ops>, {}},
      {"converter-fusions", "Run every fusion pass above in the order that matches the TFLite converter's output",
       run_counting<fuse_like_converter>, {}},
      {"quantize",
       "Post-training quantization: mode fp16 (float16 weights), dynamic (int8 weights, float activations), "
       "int8 or int16x8 (integer activations calibrated on a representative dataset)",
       run_quantize,
       {"mode", "per_tensor", "min_elements", "representative", "input_scale", "max_samples", "stats", "method",
        "percentile", "io", "keep_float", "bias_correction"}},
  };
  return kPasses;
}

const PassInfo* find_pass(std::string_view name) {
  const auto& passes = all_passes();
  auto it = std::find_if(passes.begin(), passes.end(), [&](const PassInfo& p) { return p.name == name; });
  return it == passes.end() ? nullptr : &*it;
}

Status run_pass(ir::Model& model, const std::string& name, const json& options) {
  TFC_ASSIGN_OR_RETURN(const PassInfo* pass, lookup(name));
  TFC_RETURN_IF_ERROR(check_options(*pass, options));
  TFC_RETURN_IF_ERROR(pass->run(model, options.is_null() ? json::object() : options));
  const Status valid = ir::verify_model(model);
  if (!valid) return internal_error("pass '{}' left an invalid model: {}", name, valid.message());
  return Status::ok();
}

Status check_recipe(const json& recipe) {
  if (!recipe.is_object()) return invalid_argument("a recipe must be a JSON object {{\"passes\": [...]}}");
  for (const auto& [key, value] : recipe.items()) {
    if (key != "passes") return invalid_argument("recipe: unknown key '{}' (expected only 'passes')", key);
  }
  if (!recipe.contains("passes") || !recipe["passes"].is_array()) {
    return invalid_argument("recipe: 'passes' must be a list of steps {{\"name\": ..., options...}}");
  }
  const json& steps = recipe["passes"];
  for (size_t i = 0; i < steps.size(); ++i) {
    const json& step = steps[i];
    if (!step.is_object() || !step.contains("name") || !step["name"].is_string()) {
      return invalid_argument("recipe step {}: expected an object with a string 'name'", i);
    }
    TFC_ASSIGN_OR_RETURN(const PassInfo* pass, lookup(step["name"].get<std::string>()));
    const Status s = check_options(*pass, step_options(step));
    if (!s) return s.with_context(fmt::format("recipe step {}", i));
  }
  return Status::ok();
}

Status run_recipe(ir::Model& model, const json& recipe) {
  TFC_RETURN_IF_ERROR(check_recipe(recipe));
  const json& steps = recipe["passes"];
  for (size_t i = 0; i < steps.size(); ++i) {
    const Status s = run_pass(model, steps[i]["name"].get<std::string>(), step_options(steps[i]));
    if (!s) return s.with_context(fmt::format("recipe step {}", i));
  }
  return Status::ok();
}

}  // namespace tfc::passes
