// Model summary for `tfcompress inspect`: inputs/outputs, op histogram,
// parameter counts, constant bytes by dtype, quantization and sparsity per
// tensor, metadata and signatures. One JSON value is the data; the text view
// is rendered from it. Reads the IR only.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "ir/graph.h"

namespace tfc::analysis {

nlohmann::json summarize_model(const ir::Model& model);
// `list_ops`: also list every op with the layer or node it came from.
std::string render_summary_text(const nlohmann::json& summary, bool list_ops = false);

}  // namespace tfc::analysis
