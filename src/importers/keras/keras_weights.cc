// Keras 3 and Keras 2 weight layouts in HDF5 -> Layer::weights (see the header).
#include "importers/keras/keras_weights.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>

namespace tfc::importers::keras {
namespace {

constexpr int kMaxDepth = 16;          // nested models and sub-objects
constexpr size_t kMaxVariables = 1 << 16;  // per group

bool lower(char c) { return c >= 'a' && c <= 'z'; }
bool upper(char c) { return c >= 'A' && c <= 'Z'; }

// Keras's order of an object's attributes: by name, private ("_x") ones last.
std::string attribute_key(const std::string& name) { return name.starts_with("_") ? "~" + name : name; }

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t end = s.find(sep, start);
    parts.push_back(s.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

Layer* find_layer(KerasModel& model, const std::string& name) {
  for (Layer& l : model.layers) {
    if (l.name == name) return &l;
  }
  return nullptr;
}

// A vars key: a decimal index below kMaxVariables.
std::optional<size_t> var_index(const std::string& key) {
  if (key.empty() || key.size() > 6 || !std::all_of(key.begin(), key.end(), ::isdigit)) return std::nullopt;
  if (key.size() > 1 && key[0] == '0') return std::nullopt;
  const size_t i = std::stoul(key);
  return i < kMaxVariables ? std::optional<size_t>(i) : std::nullopt;
}

// Keras 3 weights: one file or several shards holding parts of the same tree.
class Keras3Store {
 public:
  explicit Keras3Store(const std::vector<io::Hdf5File>& files) : files_(files) {}

  bool has_group(const std::string& path) const {
    return std::any_of(files_.begin(), files_.end(), [&](const io::Hdf5File& f) { return f.has_group(path); });
  }

  // Child group names of `path` over all files, in Keras's attribute order.
  Expected<std::vector<std::string>> children(const std::string& path) const {
    std::set<std::string> names;
    for (const io::Hdf5File& f : files_) {
      if (!f.has_group(path)) continue;
      TFC_ASSIGN_OR_RETURN(std::vector<std::string> here, f.children(path));
      for (std::string& n : here) {
        if (f.has_group(path + "/" + n)) names.insert(std::move(n));
      }
    }
    std::vector<std::string> sorted(names.begin(), names.end());
    std::sort(sorted.begin(), sorted.end(),
              [](const std::string& a, const std::string& b) { return attribute_key(a) < attribute_key(b); });
    return sorted;
  }

  // The variables of `path`/vars in index order; `layer` (when not empty)
  // must be the name the group records.
  Expected<std::vector<Array>> vars(const std::string& path, const std::string& layer) const {
    const std::string group = path + "/vars";
    std::map<size_t, Array> found;
    for (const io::Hdf5File& f : files_) {
      if (!f.has_group(group)) continue;
      TFC_RETURN_IF_ERROR(check_name(f, group, layer));
      TFC_ASSIGN_OR_RETURN(std::vector<std::string> keys, f.children(group));
      for (const std::string& key : keys) {
        const auto index = var_index(key);
        if (!index) return invalid_argument("{}: '{}/{}' is not a variable index", f.context(), group, key);
        TFC_ASSIGN_OR_RETURN(Array array, f.read_dataset(group + "/" + key));
        if (!found.emplace(*index, std::move(array)).second) {
          return invalid_argument("{}: variable '{}/{}' is stored twice", f.context(), group, key);
        }
      }
    }
    std::vector<Array> out;
    for (auto& [index, array] : found) {
      if (index != out.size()) return invalid_argument("weights: '{}' has no variable {}", group, out.size());
      out.push_back(std::move(array));
    }
    return out;
  }

 private:
  static Status check_name(const io::Hdf5File& f, const std::string& group, const std::string& layer) {
    if (layer.empty()) return Status::ok();
    TFC_ASSIGN_OR_RETURN(bool named, f.has_attribute(group, "name"));
    if (!named) return Status::ok();
    TFC_ASSIGN_OR_RETURN(std::string recorded, f.string_attribute(group, "name"));
    if (recorded != layer) {
      return invalid_argument("{}: '{}' holds the variables of layer '{}', but the config puts layer '{}' there",
                              f.context(), group, recorded, layer);
    }
    return Status::ok();
  }

  const std::vector<io::Hdf5File>& files_;
};

Status attach_model3(KerasModel& model, const std::string& prefix, const Keras3Store& store, int depth);

// Variables of the sub-objects of `path` (e.g. a layer's inner layers), depth first.
Status append_sub_objects(std::vector<Array>& weights, const std::string& path, const Keras3Store& store, int depth) {
  if (depth > kMaxDepth) return invalid_argument("weights: '{}' is nested too deeply", path);
  TFC_ASSIGN_OR_RETURN(std::vector<std::string> children, store.children(path));
  for (const std::string& child : children) {
    if (child == "vars" || child == "layers") continue;
    const std::string sub = path + "/" + child;
    TFC_ASSIGN_OR_RETURN(std::vector<Array> vars, store.vars(sub, ""));
    std::move(vars.begin(), vars.end(), std::back_inserter(weights));
    TFC_RETURN_IF_ERROR(append_sub_objects(weights, sub, store, depth + 1));
  }
  return Status::ok();
}

Status attach_layer3(Layer& layer, const std::string& path, const Keras3Store& store, int depth) {
  if (!store.has_group(path)) return Status::ok();  // a layer without variables may have no group
  TFC_ASSIGN_OR_RETURN(layer.weights, store.vars(path, layer.name));
  if (layer.nested) return attach_model3(*layer.nested, path + "/", store, depth + 1);
  return append_sub_objects(layer.weights, path, store, depth + 1);
}

Status attach_model3(KerasModel& model, const std::string& prefix, const Keras3Store& store, int depth) {
  if (depth > kMaxDepth) return invalid_argument("weights: models nested more than {} deep", kMaxDepth);
  // Keras walks Model.layers, which holds every Layer (InputLayer and layers
  // without variables too: each gets a group) but neither a Sequential's
  // InputLayer nor keras.ops operations.
  std::map<std::string, int> used;
  for (Layer& layer : model.layers) {
    if (model.class_name == "Sequential" && layer.class_name == "InputLayer") continue;
    if (layer.operation) continue;
    std::string name = keras_snake_case(layer.class_name);
    const int seen = used[name]++;
    if (seen > 0) name += "_" + std::to_string(seen);
    TFC_RETURN_IF_ERROR(attach_layer3(layer, prefix + "layers/" + name, store, depth));
  }
  return Status::ok();
}

// Keras 2: the weight `name` ("block/conv/kernel:0") of a nested model goes to
// the innermost of its layers the name's scopes mention.
Status assign_nested2(KerasModel& model, const std::string& name, Array array, int depth) {
  if (depth > kMaxDepth) return invalid_argument("weight '{}': models nested more than {} deep", name, kMaxDepth);
  std::vector<std::string> scopes = split(name, '/');
  scopes.pop_back();  // the variable's own name
  for (auto it = scopes.rbegin(); it != scopes.rend(); ++it) {
    Layer* layer = find_layer(model, *it);
    if (layer == nullptr) continue;
    if (layer->nested) return assign_nested2(*layer->nested, name, std::move(array), depth + 1);
    layer->weights.push_back(std::move(array));
    layer->weight_names.push_back(name);
    return Status::ok();
  }
  return invalid_argument("weight '{}' of nested model '{}' names none of its layers", name, model.name);
}

}  // namespace

std::string keras_snake_case(const std::string& class_name) {
  std::string s;
  for (char c : class_name) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') s += c;
  }
  std::string a;  // "x" + "Word" -> "x_Word"
  for (size_t i = 0; i < s.size();) {
    if (i + 2 < s.size() && upper(s[i + 1]) && lower(s[i + 2])) {
      size_t j = i + 2;
      while (j < s.size() && lower(s[j])) ++j;
      a += s[i];
      a += '_';
      a.append(s, i + 1, j - i - 1);
      i = j;
    } else {
      a += s[i++];
    }
  }
  std::string b;  // "aB" -> "a_B"
  for (size_t i = 0; i < a.size();) {
    if (i + 1 < a.size() && lower(a[i]) && upper(a[i + 1])) {
      b += a[i];
      b += '_';
      b += a[i + 1];
      i += 2;
    } else {
      b += a[i++];
    }
  }
  std::transform(b.begin(), b.end(), b.begin(), [](char c) { return std::tolower(static_cast<unsigned char>(c)); });
  return b;
}

Expected<std::vector<std::string>> shard_names(const nlohmann::json& index) {
  if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object()) {
    return invalid_argument("model.weights.json: no weight_map object");
  }
  std::vector<std::string> names;
  for (const auto& [path, files] : index["weight_map"].items()) {
    if (!files.is_array()) return invalid_argument("model.weights.json: weight_map['{}'] is not a list", path);
    for (const auto& f : files) {
      if (!f.is_string()) return invalid_argument("model.weights.json: weight_map['{}'] holds a non-string", path);
      const std::string name = f.get<std::string>();
      if (name.find('/') != std::string::npos || name.find('\\') != std::string::npos ||
          !name.ends_with(".weights.h5") || name.starts_with(".")) {
        return invalid_argument("model.weights.json: bad shard name '{}'", name);
      }
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
  }
  if (names.empty()) return invalid_argument("model.weights.json: names no shard");
  return names;
}

Status attach_keras3_weights(KerasModel& model, const std::vector<io::Hdf5File>& files) {
  const Keras3Store store(files);
  if (!model.layers.empty() && !store.has_group("layers")) {
    return invalid_argument("weights: no 'layers' group (not the weights of a Keras 3 model)");
  }
  return attach_model3(model, "", store, 0);
}

Status attach_keras2_weights(KerasModel& model, const io::Hdf5File& file) {
  if (!file.has_group("model_weights")) return invalid_argument("{}: no model_weights group", file.context());
  TFC_ASSIGN_OR_RETURN(std::vector<std::string> layer_names, file.string_list_attribute("model_weights", "layer_names"));
  std::set<std::string> seen;
  for (const std::string& name : layer_names) {
    Layer* layer = find_layer(model, name);
    if (layer == nullptr) {
      return invalid_argument("{}: model_weights lists layer '{}', which model_config does not have", file.context(),
                              name);
    }
    if (!seen.insert(name).second) return invalid_argument("{}: model_weights lists layer '{}' twice", file.context(), name);
    const std::string group = "model_weights/" + name;
    TFC_ASSIGN_OR_RETURN(std::vector<std::string> weight_names, file.string_list_attribute(group, "weight_names"));
    for (const std::string& weight : weight_names) {
      TFC_ASSIGN_OR_RETURN(Array array, file.read_dataset(group + "/" + weight));
      if (layer->nested) {
        TFC_RETURN_IF_ERROR(assign_nested2(*layer->nested, weight, std::move(array), 0)
                                .with_context(fmt::format("{}: layer '{}'", file.context(), name)));
      } else {
        layer->weights.push_back(std::move(array));
        layer->weight_names.push_back(weight);
      }
    }
  }
  return Status::ok();
}

}  // namespace tfc::importers::keras
