// Builds the inspect summary (see inspect.h).
#include "analysis/inspect.h"

#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ir/verify.h"

namespace tfc::analysis {
namespace {

using nlohmann::json;

json tensor_brief(const ir::Tensor& t, ir::TensorId id) {
  json j{{"index", id}, {"name", t.name}, {"dtype", dtype_name(t.dtype)}, {"shape", t.shape}};
  if (!t.shape_signature.empty() && t.shape_signature != t.shape) j["shape_signature"] = t.shape_signature;
  if (t.is_quantized()) {
    const auto& q = *t.quantization;
    if (q.is_per_channel()) {
      j["quantization"] = {{"per_channel", true}, {"axis", q.axis}, {"channels", q.scale.size()}};
    } else {
      j["quantization"] = {{"scale", q.scale[0]}, {"zero_point", q.zero_point.empty() ? 0 : q.zero_point[0]}};
    }
  }
  return j;
}

json quantization_detail(const ir::Quantization& q) {
  json j{{"scales", q.scale.size()}, {"axis", q.axis}};
  if (!q.scale.empty()) {
    auto [lo, hi] = std::minmax_element(q.scale.begin(), q.scale.end());
    j["scale_min"] = *lo;
    j["scale_max"] = *hi;
  }
  if (!q.zero_point.empty()) {
    auto [lo, hi] = std::minmax_element(q.zero_point.begin(), q.zero_point.end());
    j["zero_point_min"] = *lo;
    j["zero_point_max"] = *hi;
  }
  if (!q.min.empty()) j["range"] = {q.min.front(), q.max.empty() ? 0.0f : q.max.front()};
  if (q.details.type != tflite::QuantizationDetails_NONE) {
    j["details"] = tflite::EnumNameQuantizationDetails(q.details.type);
  }
  return j;
}

json sparsity_detail(const ir::Tensor& t, size_t stored_bytes) {
  const auto& s = *t.sparsity;
  json dims = json::array();
  for (const auto& d : s.dim_metadata) {
    dims.push_back(d->format == tflite::DimensionType_DENSE ? "dense" : "sparse_csr");
  }
  const int64_t dense = ir::num_elements(t.shape);
  const size_t elem = std::max<size_t>(dtype_size(t.dtype), 1);
  const double density = dense > 0 ? static_cast<double>(stored_bytes / elem) / static_cast<double>(dense) : 0.0;
  return {{"traversal_order", s.traversal_order}, {"block_map", s.block_map}, {"dim_formats", dims},
          {"stored_values", stored_bytes / elem}, {"density", density}};
}

std::string metadata_text(const ir::Model& m, const ir::Metadata& md) {
  const auto& data = m.buffers[md.buffer].data;
  std::string s(data.begin(), data.end());
  const bool printable = !s.empty() && s.size() <= 64 &&
                         std::all_of(s.begin(), s.end(), [](char c) { return c == 0 || (c >= 32 && c < 127); });
  if (printable) return std::string(s.c_str());
  return fmt::format("<{} bytes>", data.size());
}

json summarize_subgraph(const ir::Model& m, const ir::Subgraph& g) {
  json j;
  j["name"] = g.name;
  j["inputs"] = json::array();
  for (auto id : g.inputs) j["inputs"].push_back(tensor_brief(g.tensors[id], id));
  j["outputs"] = json::array();
  for (auto id : g.outputs) j["outputs"].push_back(tensor_brief(g.tensors[id], id));
  std::map<std::string, int> histogram;
  for (const auto& op : g.ops) histogram[ir::op_name(op.code)]++;
  j["ops"] = histogram;
  // Each op with the layer or node it came from: the first part of its first
  // output's name (importers and the converter name tensors "model/layer/Op",
  // the converter joining fused ops' names with ';').
  j["op_list"] = json::array();
  for (size_t i = 0; i < g.ops.size(); ++i) {
    const ir::Op& op = g.ops[i];
    std::string out = op.outputs.empty() || op.outputs[0] < 0 ? "" : g.tensors[op.outputs[0]].name;
    j["op_list"].push_back({{"index", i}, {"op", ir::op_name(op.code)}, {"output", out},
                            {"source", out.substr(0, out.find(';'))}});
  }
  j["num_ops"] = g.ops.size();
  j["num_tensors"] = g.tensors.size();
  int64_t params = 0;
  std::map<std::string, int64_t> bytes_by_dtype, params_by_dtype;
  json quantized = json::array(), sparse = json::array();
  for (size_t i = 0; i < g.tensors.size(); ++i) {
    const auto& t = g.tensors[i];
    const auto data = m.constant_data(t);
    if (!data.empty()) {
      const int64_t n = ir::num_elements(t.shape);
      params += n;
      params_by_dtype[std::string(dtype_name(t.dtype))] += n;
      bytes_by_dtype[std::string(dtype_name(t.dtype))] += static_cast<int64_t>(data.size());
    }
    if (t.quantization && !t.quantization->empty()) {
      json q = quantization_detail(*t.quantization);
      q["index"] = i;
      q["name"] = t.name;
      q["dtype"] = dtype_name(t.dtype);
      quantized.push_back(q);
    }
    if (t.sparsity) {
      json s = sparsity_detail(t, data.size());
      s["index"] = i;
      s["name"] = t.name;
      sparse.push_back(s);
    }
  }
  j["parameters"] = params;
  j["parameters_by_dtype"] = params_by_dtype;
  j["constant_bytes_by_dtype"] = bytes_by_dtype;
  j["quantized_tensors"] = quantized;
  j["sparse_tensors"] = sparse;
  return j;
}

}  // namespace

json summarize_model(const ir::Model& m) {
  json j;
  j["schema_version"] = m.version;
  j["description"] = m.description;
  j["subgraphs"] = json::array();
  for (const auto& g : m.subgraphs) j["subgraphs"].push_back(summarize_subgraph(m, g));
  std::map<std::string, int> codes;
  j["operator_codes"] = json::array();
  for (const auto& g : m.subgraphs) {
    for (const auto& op : g.ops) {
      std::string key = fmt::format("{} v{}", ir::op_name(op.code), op.code.version);
      if (codes.emplace(key, 1).second) {
        j["operator_codes"].push_back(
            {{"name", ir::op_name(op.code)}, {"version", op.code.version}, {"custom", op.code.is_custom()}});
      }
    }
  }
  j["metadata"] = json::object();
  for (const auto& md : m.metadata) j["metadata"][md.name] = metadata_text(m, md);
  j["signatures"] = json::array();
  for (const auto& sd : m.signature_defs) {
    json s{{"key", sd.key}, {"subgraph", sd.subgraph_index}, {"inputs", json::object()}, {"outputs", json::object()}};
    for (const auto& e : sd.inputs) s["inputs"][e.name] = e.tensor_index;
    for (const auto& e : sd.outputs) s["outputs"][e.name] = e.tensor_index;
    j["signatures"].push_back(s);
  }
  int64_t total = 0;
  for (const auto& b : m.buffers) total += static_cast<int64_t>(b.data.size());
  j["buffers"] = m.buffers.size();
  j["constant_bytes"] = total;
  return j;
}

std::string render_summary_text(const json& s, bool list_ops) {
  std::string out;
  auto line = [&](const std::string& l) { out += l + "\n"; };
  line(fmt::format("schema version {}{}", s["schema_version"].get<int>(),
                   s["description"].get<std::string>().empty() ? "" : ", " + s["description"].get<std::string>()));
  for (const auto& [name, value] : s["metadata"].items()) line(fmt::format("metadata {}: {}", name, value.get<std::string>()));
  int index = 0;
  for (const auto& g : s["subgraphs"]) {
    line(fmt::format("\nsubgraph {}{}: {} ops, {} tensors, {} parameters", index++,
                     g["name"].get<std::string>().empty() ? "" : " '" + g["name"].get<std::string>() + "'",
                     g["num_ops"].get<int>(), g["num_tensors"].get<int>(), g["parameters"].get<int64_t>()));
    for (const char* io : {"inputs", "outputs"}) {
      for (const auto& t : g[io]) {
        std::string q;
        if (t.contains("quantization")) q = " quant " + t["quantization"].dump();
        line(fmt::format("  {:7} {:>4} {} {} {}{}", std::string(io).substr(0, std::string(io).size() - 1),
                         t["index"].get<int>(), t["name"].get<std::string>(), t["dtype"].get<std::string>(),
                         t["shape"].dump(), q));
      }
    }
    line("  ops:");
    for (const auto& [name, count] : g["ops"].items()) line(fmt::format("    {:32} {}", name, count.get<int>()));
    if (list_ops) {
      line("  op list (index, op, from):");
      for (const auto& op : g["op_list"]) {
        line(fmt::format("    {:>4} {:28} {}", op["index"].get<size_t>(), op["op"].get<std::string>(),
                         op["source"].get<std::string>()));
      }
    }
    if (!g["constant_bytes_by_dtype"].empty()) {
      line("  constants by dtype:");
      for (const auto& [name, bytes] : g["constant_bytes_by_dtype"].items()) {
        line(fmt::format("    {:10} {:>12} bytes {:>12} values", name, bytes.get<int64_t>(),
                         g["parameters_by_dtype"][name].get<int64_t>()));
      }
    }
    if (!g["quantized_tensors"].empty()) {
      line(fmt::format("  quantized tensors: {}", g["quantized_tensors"].size()));
      for (const auto& q : g["quantized_tensors"]) {
        line(fmt::format("    {:>4} {} {} scales={} axis={}", q["index"].get<int>(), q["name"].get<std::string>(),
                         q["dtype"].get<std::string>(), q["scales"].get<int>(), q["axis"].get<int>()));
      }
    }
    if (!g["sparse_tensors"].empty()) {
      line(fmt::format("  sparse tensors: {}", g["sparse_tensors"].size()));
      for (const auto& t : g["sparse_tensors"]) {
        line(fmt::format("    {:>4} {} density {:.3f} block_map {}", t["index"].get<int>(), t["name"].get<std::string>(),
                         t["density"].get<double>(), t["block_map"].dump()));
      }
    }
  }
  for (const auto& sd : s["signatures"]) {
    line(fmt::format("signature '{}' -> subgraph {}: inputs {} outputs {}", sd["key"].get<std::string>(),
                     sd["subgraph"].get<int>(), sd["inputs"].dump(), sd["outputs"].dump()));
  }
  line(fmt::format("constant bytes: {} in {} buffers", s["constant_bytes"].get<int64_t>(), s["buffers"].get<int>()));
  return out;
}

}  // namespace tfc::analysis
