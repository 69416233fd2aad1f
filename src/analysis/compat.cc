// Target compatibility rules (see compat.h). The op lists are facts about each
// runtime's published op support.
#include "analysis/compat.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

namespace tfc::analysis {
namespace {

using BO = tflite::BuiltinOperator;

// Builtin codes the LiteRT builtin resolver does not register.
const std::set<int32_t> kLiteRTMissing = {
    tflite::BuiltinOperator_CONCAT_EMBEDDINGS, tflite::BuiltinOperator_CALL,
    tflite::BuiltinOperator_DELEGATE, tflite::BuiltinOperator_PLACEHOLDER_FOR_GREATER_OP_CODES,
};

// Custom ops LiteRT's default resolver registers.
const std::set<std::string> kLiteRTCustom = {"TFLite_Detection_PostProcess", "Mfcc", "AudioSpectrogram"};

// Ops with integer (int8) kernels, as an int8-only accelerator expects them.
const std::set<int32_t> kInt8Ops = {
    BO::BuiltinOperator_ADD, BO::BuiltinOperator_AVERAGE_POOL_2D, BO::BuiltinOperator_CONCATENATION,
    BO::BuiltinOperator_CONV_2D, BO::BuiltinOperator_DEPTHWISE_CONV_2D, BO::BuiltinOperator_DEPTH_TO_SPACE,
    BO::BuiltinOperator_FULLY_CONNECTED, BO::BuiltinOperator_LOGISTIC, BO::BuiltinOperator_MAX_POOL_2D,
    BO::BuiltinOperator_MUL, BO::BuiltinOperator_RELU, BO::BuiltinOperator_RELU6, BO::BuiltinOperator_RESHAPE,
    BO::BuiltinOperator_RESIZE_BILINEAR, BO::BuiltinOperator_RESIZE_NEAREST_NEIGHBOR, BO::BuiltinOperator_SOFTMAX,
    BO::BuiltinOperator_SPACE_TO_DEPTH, BO::BuiltinOperator_TANH, BO::BuiltinOperator_PAD,
    BO::BuiltinOperator_GATHER, BO::BuiltinOperator_MEAN, BO::BuiltinOperator_SUB, BO::BuiltinOperator_SQUEEZE,
    BO::BuiltinOperator_STRIDED_SLICE, BO::BuiltinOperator_TRANSPOSE, BO::BuiltinOperator_SLICE,
    BO::BuiltinOperator_SPLIT, BO::BuiltinOperator_PADV2, BO::BuiltinOperator_EXPAND_DIMS,
    BO::BuiltinOperator_MAXIMUM, BO::BuiltinOperator_MINIMUM, BO::BuiltinOperator_PACK,
    BO::BuiltinOperator_UNPACK, BO::BuiltinOperator_LEAKY_RELU, BO::BuiltinOperator_PRELU,
    BO::BuiltinOperator_HARD_SWISH, BO::BuiltinOperator_TRANSPOSE_CONV, BO::BuiltinOperator_SUM,
    BO::BuiltinOperator_QUANTIZE, BO::BuiltinOperator_DEQUANTIZE, BO::BuiltinOperator_BATCH_MATMUL,
    BO::BuiltinOperator_SQUARED_DIFFERENCE, BO::BuiltinOperator_RSQRT, BO::BuiltinOperator_L2_NORMALIZATION,
    BO::BuiltinOperator_REDUCE_MAX, BO::BuiltinOperator_ARG_MAX, BO::BuiltinOperator_SPLIT_V,
    BO::BuiltinOperator_SHAPE,
};

// LiteRT for Microcontrollers' builtin op list.
const std::set<int32_t> kMicroOps = {
    BO::BuiltinOperator_ABS, BO::BuiltinOperator_ADD, BO::BuiltinOperator_ADD_N, BO::BuiltinOperator_ARG_MAX,
    BO::BuiltinOperator_ARG_MIN, BO::BuiltinOperator_ASSIGN_VARIABLE, BO::BuiltinOperator_AVERAGE_POOL_2D,
    BO::BuiltinOperator_BATCH_MATMUL, BO::BuiltinOperator_BATCH_TO_SPACE_ND, BO::BuiltinOperator_BROADCAST_ARGS,
    BO::BuiltinOperator_BROADCAST_TO, BO::BuiltinOperator_CALL_ONCE, BO::BuiltinOperator_CAST,
    BO::BuiltinOperator_CEIL, BO::BuiltinOperator_CONCATENATION, BO::BuiltinOperator_CONV_2D,
    BO::BuiltinOperator_COS, BO::BuiltinOperator_CUMSUM, BO::BuiltinOperator_DEPTH_TO_SPACE,
    BO::BuiltinOperator_DEPTHWISE_CONV_2D, BO::BuiltinOperator_DEQUANTIZE, BO::BuiltinOperator_DIV,
    BO::BuiltinOperator_ELU, BO::BuiltinOperator_EMBEDDING_LOOKUP, BO::BuiltinOperator_EQUAL,
    BO::BuiltinOperator_EXP, BO::BuiltinOperator_EXPAND_DIMS, BO::BuiltinOperator_FILL, BO::BuiltinOperator_FLOOR,
    BO::BuiltinOperator_FLOOR_DIV, BO::BuiltinOperator_FLOOR_MOD, BO::BuiltinOperator_FULLY_CONNECTED,
    BO::BuiltinOperator_GATHER, BO::BuiltinOperator_GATHER_ND, BO::BuiltinOperator_GREATER,
    BO::BuiltinOperator_GREATER_EQUAL, BO::BuiltinOperator_HARD_SWISH, BO::BuiltinOperator_IF,
    BO::BuiltinOperator_L2_NORMALIZATION, BO::BuiltinOperator_L2_POOL_2D, BO::BuiltinOperator_LEAKY_RELU,
    BO::BuiltinOperator_LESS, BO::BuiltinOperator_LESS_EQUAL, BO::BuiltinOperator_LOG,
    BO::BuiltinOperator_LOG_SOFTMAX, BO::BuiltinOperator_LOGICAL_AND, BO::BuiltinOperator_LOGICAL_NOT,
    BO::BuiltinOperator_LOGICAL_OR, BO::BuiltinOperator_LOGISTIC, BO::BuiltinOperator_MAX_POOL_2D,
    BO::BuiltinOperator_MAXIMUM, BO::BuiltinOperator_MEAN, BO::BuiltinOperator_MINIMUM,
    BO::BuiltinOperator_MIRROR_PAD, BO::BuiltinOperator_MUL, BO::BuiltinOperator_NEG,
    BO::BuiltinOperator_NOT_EQUAL, BO::BuiltinOperator_PACK, BO::BuiltinOperator_PAD, BO::BuiltinOperator_PADV2,
    BO::BuiltinOperator_PRELU, BO::BuiltinOperator_QUANTIZE, BO::BuiltinOperator_READ_VARIABLE,
    BO::BuiltinOperator_REDUCE_MAX, BO::BuiltinOperator_RELU, BO::BuiltinOperator_RELU6,
    BO::BuiltinOperator_RESHAPE, BO::BuiltinOperator_RESIZE_BILINEAR, BO::BuiltinOperator_RESIZE_NEAREST_NEIGHBOR,
    BO::BuiltinOperator_ROUND, BO::BuiltinOperator_RSQRT, BO::BuiltinOperator_SELECT_V2, BO::BuiltinOperator_SHAPE,
    BO::BuiltinOperator_SIN, BO::BuiltinOperator_SLICE, BO::BuiltinOperator_SOFTMAX,
    BO::BuiltinOperator_SPACE_TO_BATCH_ND, BO::BuiltinOperator_SPACE_TO_DEPTH, BO::BuiltinOperator_SPLIT,
    BO::BuiltinOperator_SPLIT_V, BO::BuiltinOperator_SQRT, BO::BuiltinOperator_SQUARE,
    BO::BuiltinOperator_SQUARED_DIFFERENCE, BO::BuiltinOperator_SQUEEZE, BO::BuiltinOperator_STRIDED_SLICE,
    BO::BuiltinOperator_SUB, BO::BuiltinOperator_SUM, BO::BuiltinOperator_SVDF, BO::BuiltinOperator_TANH,
    BO::BuiltinOperator_TRANSPOSE, BO::BuiltinOperator_TRANSPOSE_CONV,
    BO::BuiltinOperator_UNIDIRECTIONAL_SEQUENCE_LSTM, BO::BuiltinOperator_UNPACK, BO::BuiltinOperator_VAR_HANDLE,
    BO::BuiltinOperator_WHILE, BO::BuiltinOperator_ZEROS_LIKE,
};

// Custom ops shipped with LiteRT for Microcontrollers.
const std::set<std::string> kMicroCustom = {"TFLite_Detection_PostProcess", "ETHOSU", "CIRCULAR_BUFFER"};

bool is_int_dtype(DType t) {
  return t == DType::kInt8 || t == DType::kUInt8 || t == DType::kInt16 || t == DType::kInt32 ||
         t == DType::kInt64 || t == DType::kBool;
}

void check_litert(const ir::Subgraph& g, int sg, std::vector<Incompatibility>& out) {
  for (size_t i = 0; i < g.ops.size(); ++i) {
    const auto& c = g.ops[i].code;
    const std::string name = ir::op_name(c);
    if (c.is_custom()) {
      if (!kLiteRTCustom.count(c.custom_code)) {
        out.push_back({sg, static_cast<int>(i), name, "custom op not in LiteRT's builtin resolver"});
      }
    } else if (kLiteRTMissing.count(c.builtin) || c.builtin > tflite::BuiltinOperator_MAX) {
      out.push_back({sg, static_cast<int>(i), name, "builtin op without a LiteRT kernel"});
    }
  }
}

void check_int8(const ir::Model& m, const ir::Subgraph& g, int sg, std::vector<Incompatibility>& out) {
  for (size_t i = 0; i < g.ops.size(); ++i) {
    const auto& op = g.ops[i];
    const std::string name = ir::op_name(op.code);
    if (op.code.is_custom() || !kInt8Ops.count(op.code.builtin)) {
      out.push_back({sg, static_cast<int>(i), name, "no integer kernel for this op on int8-only targets"});
      continue;
    }
    const bool boundary = op.code.builtin == tflite::BuiltinOperator_QUANTIZE ||
                          op.code.builtin == tflite::BuiltinOperator_DEQUANTIZE;
    if (boundary) {
      const bool at_input = std::find(g.inputs.begin(), g.inputs.end(), op.inputs[0]) != g.inputs.end();
      const bool at_output = std::find(g.outputs.begin(), g.outputs.end(), op.outputs[0]) != g.outputs.end();
      if (at_input || at_output) continue;
    }
    // One finding per op: its first non-integer tensor.
    std::vector<ir::TensorId> ids = op.inputs;
    ids.insert(ids.end(), op.outputs.begin(), op.outputs.end());
    auto bad = std::find_if(ids.begin(), ids.end(), [&](ir::TensorId id) {
      return id != ir::kNoTensor && !is_int_dtype(g.tensors[id].dtype);
    });
    if (bad != ids.end()) {
      const auto& t = g.tensors[*bad];
      out.push_back({sg, static_cast<int>(i), name,
                     fmt::format("tensor '{}' is {}; int8-only targets need integer tensors", t.name,
                                 dtype_name(t.dtype))});
    }
  }
}

void check_micro(const ir::Subgraph& g, int sg, std::vector<Incompatibility>& out) {
  for (size_t i = 0; i < g.ops.size(); ++i) {
    const auto& op = g.ops[i];
    const std::string name = ir::op_name(op.code);
    if (op.code.is_custom() ? !kMicroCustom.count(op.code.custom_code) : !kMicroOps.count(op.code.builtin)) {
      out.push_back({sg, static_cast<int>(i), name, "not in LiteRT for Microcontrollers' op list"});
      continue;
    }
    for (ir::TensorId id : op.inputs) {
      if (id != ir::kNoTensor && g.tensors[id].dtype == DType::kFloat16) {
        out.push_back({sg, static_cast<int>(i), name,
                       fmt::format("float16 tensor '{}' (microcontroller kernels have no float16)", g.tensors[id].name)});
      }
    }
  }
  // Microcontroller runtimes plan memory from the stored shapes; a dynamic
  // batch dim runs as 1, other dynamic input dims cannot be planned.
  for (ir::TensorId id : g.inputs) {
    const auto& sig = g.tensors[id].shape_signature;
    if (std::any_of(sig.begin() + std::min<size_t>(1, sig.size()), sig.end(), [](int32_t d) { return d < 0; })) {
      out.push_back({sg, -1, "", fmt::format("input '{}' has dynamic non-batch dims; microcontrollers need static shapes",
                                             g.tensors[id].name)});
    }
  }
}

}  // namespace

Expected<Target> parse_target(const std::string& name) {
  if (name == "litert") return Target::kLiteRT;
  if (name == "int8-only") return Target::kInt8Only;
  if (name == "micro") return Target::kMicro;
  return invalid_argument("unknown target '{}' (expected litert, int8-only or micro)", name);
}

const char* target_name(Target t) {
  switch (t) {
    case Target::kLiteRT: return "litert";
    case Target::kInt8Only: return "int8-only";
    case Target::kMicro: return "micro";
  }
  return "?";
}

std::vector<Incompatibility> check_compatibility(const ir::Model& model, Target target) {
  std::vector<Incompatibility> out;
  for (size_t s = 0; s < model.subgraphs.size(); ++s) {
    const auto& g = model.subgraphs[s];
    const int sg = static_cast<int>(s);
    switch (target) {
      case Target::kLiteRT: check_litert(g, sg, out); break;
      case Target::kInt8Only: check_int8(model, g, sg, out); break;
      case Target::kMicro: check_micro(g, sg, out); break;
    }
  }
  return out;
}

nlohmann::json compatibility_json(Target target, const std::vector<Incompatibility>& problems) {
  nlohmann::json j{{"target", target_name(target)}, {"compatible", problems.empty()}};
  std::set<std::string> ops;
  j["problems"] = nlohmann::json::array();
  for (const auto& p : problems) {
    if (!p.op.empty()) ops.insert(p.op);
    j["problems"].push_back({{"subgraph", p.subgraph}, {"op_index", p.op_index}, {"op", p.op}, {"reason", p.reason}});
  }
  j["unsupported_ops"] = ops;
  return j;
}

}  // namespace tfc::analysis
