// Operator compatibility of a model with a deployment target, checked before
// any conversion work: which ops (custom ops by name) and which tensors the
// target cannot run, and why. Targets:
//   litert    the LiteRT interpreter with its builtin op resolver
//   int8-only an integer-only accelerator: every op int8/uint8 (int32 bias),
//             floats only in QUANTIZE/DEQUANTIZE at the model's boundary
//   micro     LiteRT for Microcontrollers: its op list, static shapes, no float16
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "ir/graph.h"

namespace tfc::analysis {

enum class Target { kLiteRT, kInt8Only, kMicro };

Expected<Target> parse_target(const std::string& name);
const char* target_name(Target t);

struct Incompatibility {
  int subgraph = 0;
  int op_index = -1;   // -1: a model-level problem
  std::string op;      // op name (custom code for custom ops)
  std::string reason;
};

std::vector<Incompatibility> check_compatibility(const ir::Model& model, Target target);
nlohmann::json compatibility_json(Target target, const std::vector<Incompatibility>& problems);

}  // namespace tfc::analysis
