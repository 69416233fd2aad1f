// The pass framework: a pass rewrites an ir::Model in place and is run by name
// from the one table in registry.cc, with its options as a JSON object, alone
// (run_pass) or as a step of a recipe (run_recipe). A recipe is JSON:
//   {"passes": [{"name": "fold-dequantize"}, {"name": "quantize", "mode": "fp16"}]}
// where every key of a step other than "name" is an option of that pass. Option
// keys a pass does not accept are errors naming the pass and the key; after
// every pass the model is checked with ir::verify_model.
// Not here: the passes themselves (passes.h), graph rewriting helpers
// (graph_edit.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/status.h"
#include "ir/graph.h"

namespace tfc::passes {

// Runs a pass on `model` with validated options (a JSON object).
using PassFn = Status (*)(ir::Model& model, const nlohmann::json& options);

struct PassInfo {
  std::string_view name;                     // e.g. "fold-dequantize"
  std::string_view summary;                  // one line, for --help and listings
  PassFn run;
  std::vector<std::string_view> option_keys;  // the only keys its options may hold
};

// Every registered pass, in table order.
const std::vector<PassInfo>& all_passes();
// The pass called `name`, or nullptr.
const PassInfo* find_pass(std::string_view name);

// Runs one pass. `options` is a JSON object (null means no options). Unknown
// pass names and option keys are InvalidArgument; a pass that leaves a model
// ir::verify_model rejects is an Internal error naming the pass.
Status run_pass(ir::Model& model, const std::string& name, const nlohmann::json& options);

// Checks a recipe's form, pass names and option keys without running anything.
Status check_recipe(const nlohmann::json& recipe);
// Checks the whole recipe, then runs its passes in order; stops at the first
// failure (the model may then be partly rewritten).
Status run_recipe(ir::Model& model, const nlohmann::json& recipe);

}  // namespace tfc::passes
