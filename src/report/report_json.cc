// JSON reading and writing of the report and the baseline file (see report.h).
#include "report/report.h"

#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "io/file_util.h"
#include "io/json_file.h"

namespace tfc::report {
namespace {

using json = nlohmann::json;

// ---------------------------------------------------------------------------
// Figures: a value of the wrong type reads as missing.

std::optional<double> number(const json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

// A whole number in [lo, hi] held as an integer or a float.
std::optional<int64_t> whole(const json& v, double lo, double hi) {
  if (v.is_number_integer()) {
    const int64_t i = v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)
                          ? INT64_MAX
                          : v.get<int64_t>();
    if (static_cast<double>(i) < lo || static_cast<double>(i) > hi) return std::nullopt;
    return i;
  }
  if (!v.is_number_float()) return std::nullopt;
  const double d = v.get<double>();
  // hi as a double may round up past the type's range (INT64_MAX becomes 2^63): stay below it then.
  const bool above = hi >= 0x1p63 ? d >= 0x1p63 : d > hi;
  if (!(d >= lo) || above || d != std::floor(d)) return std::nullopt;
  return static_cast<int64_t>(d);
}

std::optional<uint64_t> byte_count(const json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end()) return std::nullopt;
  if (it->is_number_unsigned()) return it->get<uint64_t>();
  const auto v = whole(*it, 0, 9.2e18);
  return v ? std::optional<uint64_t>(static_cast<uint64_t>(*v)) : std::nullopt;
}

std::optional<int64_t> integer(const json& j, const char* key) {
  const auto it = j.find(key);
  return it == j.end() ? std::nullopt : whole(*it, -9.2e18, 9.2e18);
}

std::string text(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

const json& object_at(const json& j, const char* key) {
  static const json empty = json::object();
  const auto it = j.find(key);
  return it != j.end() && it->is_object() ? *it : empty;
}

// Numbers of an array; NaN for other elements.
std::vector<double> numbers(const json& v) {
  std::vector<double> out;
  if (!v.is_array()) return out;
  for (const json& x : v) out.push_back(x.is_number() ? x.get<double>() : std::nan(""));
  return out;
}

std::vector<int64_t> counts(const json& v) {
  std::vector<int64_t> out;
  if (!v.is_array()) return out;
  for (const json& x : v) {
    out.push_back(x.is_number() && std::isfinite(x.get<double>()) ? (x.is_number_integer() ? x.get<int64_t>()
                                                                                            : std::llround(x.get<double>()))
                                                                   : 0);
  }
  return out;
}

template <typename T>
json opt(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

json numbers_or_null(const std::vector<double>& v) {
  json out = json::array();
  for (double x : v) out.push_back(std::isfinite(x) ? json(x) : json(nullptr));
  return out;
}

// ---------------------------------------------------------------------------
// Settings: a value of the wrong type is an error naming its key.

Status read_string(const json& s, const char* key, std::optional<std::string>& out) {
  const auto it = s.find(key);
  if (it == s.end() || it->is_null()) return Status::ok();
  if (!it->is_string()) return invalid_argument("settings.{} must be a string, got {}", key, it->dump());
  out = it->get<std::string>();
  return Status::ok();
}

Status read_string(const json& s, const char* key, std::string& out) {
  std::optional<std::string> v;
  TFC_RETURN_IF_ERROR(read_string(s, key, v));
  out = v.value_or("");
  return Status::ok();
}

Status read_number(const json& s, const char* key, std::optional<double>& out) {
  const auto it = s.find(key);
  if (it == s.end() || it->is_null()) return Status::ok();
  if (!it->is_number()) return invalid_argument("settings.{} must be a number, got {}", key, it->dump());
  out = it->get<double>();
  return Status::ok();
}

template <typename T>
Status read_whole(const json& s, const char* key, std::optional<T>& out) {
  const auto it = s.find(key);
  if (it == s.end() || it->is_null()) return Status::ok();
  const auto v = whole(*it, static_cast<double>(std::numeric_limits<T>::min()),
                       static_cast<double>(std::numeric_limits<T>::max()));
  if (!v) return invalid_argument("settings.{} must be a whole number that fits {} bits, got {}", key,
                                  8 * sizeof(T), it->dump());
  out = static_cast<T>(*v);
  return Status::ok();
}

Expected<Settings> settings_from_json(const json& s) {
  Settings r;
  TFC_RETURN_IF_ERROR(read_string(s, "data", r.data));
  TFC_RETURN_IF_ERROR(read_string(s, "labels", r.labels));
  TFC_RETURN_IF_ERROR(read_string(s, "data_sha256", r.data_sha256));
  TFC_RETURN_IF_ERROR(read_whole(s, "samples", r.samples));
  TFC_RETURN_IF_ERROR(read_number(s, "input_scale", r.input_scale));
  TFC_RETURN_IF_ERROR(read_whole(s, "warmup", r.warmup));
  TFC_RETURN_IF_ERROR(read_whole(s, "runs", r.runs));
  TFC_RETURN_IF_ERROR(read_number(s, "max_seconds", r.max_seconds));
  TFC_RETURN_IF_ERROR(read_whole(s, "threads", r.threads));
  TFC_RETURN_IF_ERROR(read_string(s, "kernels", r.kernels));
  TFC_RETURN_IF_ERROR(read_string(s, "runtime", r.runtime));
  TFC_RETURN_IF_ERROR(read_string(s, "arithmetic", r.arithmetic));
  TFC_RETURN_IF_ERROR(read_string(s, "int8_isa", r.int8_isa));
  TFC_RETURN_IF_ERROR(read_whole(s, "top_k", r.top_k));
  TFC_RETURN_IF_ERROR(read_string(s, "runner", r.runner));
  return r;
}

json to_json(const Settings& s) {
  return {{"data", s.data},
          {"labels", opt(s.labels)},
          {"data_sha256", s.data_sha256},
          {"samples", opt(s.samples)},
          {"input_scale", opt(s.input_scale)},
          {"warmup", opt(s.warmup)},
          {"runs", opt(s.runs)},
          {"max_seconds", opt(s.max_seconds)},
          {"threads", opt(s.threads)},
          {"kernels", opt(s.kernels)},
          {"runtime", s.runtime},
          {"arithmetic", s.arithmetic},
          {"int8_isa", opt(s.int8_isa)},
          {"top_k", opt(s.top_k)},
          {"runner", opt(s.runner)}};
}

Expected<Settings> settings_at(const json& j) {
  const auto it = j.find("settings");
  if (it == j.end() || it->is_null()) return Settings{};
  if (!it->is_object()) return invalid_argument("\"settings\" must be an object, got {}", it->dump());
  return settings_from_json(*it);
}

// ---------------------------------------------------------------------------
// The parts of a file beside its models.

json to_json(const Tool& t) { return {{"name", t.name}, {"version", t.version}}; }
Tool tool_from_json(const json& j) { return {text(j, "name"), text(j, "version")}; }

json to_json(const Host& h) {
  return {{"hostname", h.hostname}, {"cpu", h.cpu}, {"cores", opt(h.cores)}, {"os", h.os}};
}
Host host_from_json(const json& j) { return {text(j, "hostname"), text(j, "cpu"), text(j, "os"), integer(j, "cores")}; }

Status check_schema(const json& j, const char* schema, int newest, const char* what) {
  if (!j.is_object()) return invalid_argument("not a tfcompress {}: the JSON is not an object", what);
  const auto s = j.find("schema");
  if (s == j.end() || !s->is_string() || s->get<std::string>() != schema) {
    return invalid_argument("not a tfcompress {}: \"schema\" is {}, expected \"{}\"", what,
                            s == j.end() ? "missing" : s->dump(), schema);
  }
  const auto v = j.find("schema_version");
  if (v == j.end() || !v->is_number_integer()) return invalid_argument("{} has no integer \"schema_version\"", what);
  if (v->get<int64_t>() < 1) return invalid_argument("{} has schema_version {}, below 1", what, v->get<int64_t>());
  if (v->get<int64_t>() > newest) {
    return invalid_argument("{} has schema_version {}, newer than the version {} this tfcompress reads; use a newer "
                            "tfcompress",
                            what, v->get<int64_t>(), newest);
  }
  return Status::ok();
}

// ---------------------------------------------------------------------------
// A model.

Metrics metrics_from_json(const json& j) {
  Metrics m;
  m.task = text(j, "task");
  m.samples = integer(j, "samples");
  m.accuracy = number(j, "accuracy");
  const json& top_k = object_at(j, "top_k");
  if (auto k = integer(top_k, "k"); k && *k >= 0 && *k <= INT32_MAX) m.top_k = static_cast<int>(*k);
  m.top_k_accuracy = number(top_k, "accuracy");
  m.num_classes = integer(j, "num_classes");
  if (const auto it = j.find("class_names"); it != j.end() && it->is_array()) {
    for (const json& n : *it) m.class_names.push_back(n.is_string() ? n.get<std::string>() : n.dump());
  }
  if (const auto it = j.find("per_class_accuracy"); it != j.end()) m.per_class_accuracy = numbers(*it);
  if (const auto it = j.find("per_class_count"); it != j.end()) m.per_class_count = counts(*it);
  if (const auto it = j.find("confusion"); it != j.end() && it->is_array()) {
    for (const json& row : *it) m.confusion.push_back(counts(row));
  }
  return m;
}

json to_json(const Metrics& m) {
  json j;
  j["task"] = m.task;
  j["samples"] = opt(m.samples);
  j["accuracy"] = opt(m.accuracy);
  if (!m.is_classification()) return j;
  j["top_k"] = {{"k", opt(m.top_k)}, {"accuracy", opt(m.top_k_accuracy)}};
  j["num_classes"] = opt(m.num_classes);
  j["class_names"] = m.class_names;
  j["per_class_accuracy"] = numbers_or_null(m.per_class_accuracy);
  j["per_class_count"] = m.per_class_count;
  j["confusion"] = m.confusion;
  return j;
}

eval::ErrorProfile error_profile_from_json(const json& j) {
  eval::ErrorProfile e;
  e.top1_agreement = number(j, "top1_agreement");
  const auto outputs = j.find("outputs");
  if (outputs == j.end() || !outputs->is_array()) return e;
  const double nan = std::nan("");
  for (const json& o : *outputs) {
    eval::OutputError x;
    x.name = text(o, "name");
    x.max_abs_error = number(o, "max_abs_error").value_or(nan);
    x.mean_abs_error = number(o, "mean_abs_error").value_or(nan);
    x.cosine = number(o, "cosine").value_or(nan);
    x.snr_db = number(o, "snr_db").value_or(nan);
    x.nonfinite = integer(o, "nonfinite_values").value_or(0);
    e.outputs.push_back(x);
  }
  return e;
}

Deltas deltas_from_json(const json& j) {
  Deltas d;
  d.accuracy = number(j, "accuracy");
  d.size_raw_bytes = number(j, "size_raw_bytes");
  d.size_ratio = number(j, "size_ratio");
  d.gzip_bytes = number(j, "gzip_bytes");
  d.gzip_ratio = number(j, "gzip_ratio");
  d.latency_p50_ms = number(j, "latency_p50_ms");
  d.latency_p50_ratio = number(j, "latency_p50_ratio");
  d.latency_p90_ms = number(j, "latency_p90_ms");
  d.latency_p99_ms = number(j, "latency_p99_ms");
  d.peak_rss_bytes = number(j, "peak_rss_bytes");
  d.arena_bytes = number(j, "arena_bytes");
  if (const auto it = j.find("per_class_accuracy"); it != j.end() && it->is_array()) {
    d.per_class_accuracy = numbers(*it);
  }
  return d;
}

json to_json(const Deltas& d) {
  json j = {{"accuracy", opt(d.accuracy)},
            {"size_raw_bytes", opt(d.size_raw_bytes)},
            {"size_ratio", opt(d.size_ratio)},
            {"gzip_bytes", opt(d.gzip_bytes)},
            {"gzip_ratio", opt(d.gzip_ratio)},
            {"latency_p50_ms", opt(d.latency_p50_ms)},
            {"latency_p50_ratio", opt(d.latency_p50_ratio)},
            {"latency_p90_ms", opt(d.latency_p90_ms)},
            {"latency_p99_ms", opt(d.latency_p99_ms)},
            {"peak_rss_bytes", opt(d.peak_rss_bytes)},
            {"arena_bytes", opt(d.arena_bytes)}};
  if (d.per_class_accuracy) j["per_class_accuracy"] = numbers_or_null(*d.per_class_accuracy);
  return j;
}

Expected<eval::Latency> latency_at(const json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_object()) return eval::Latency{};
  return eval::latency_from_json(*it);
}

// `key` as one token of a JSON pointer (RFC 6901).
std::string pointer_token(const std::string& key) {
  std::string t;
  for (char c : key) t += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
  return t;
}

// Keys of `written` (objects, and objects inside lists, recursively) that
// `read` does not hold, as JSON pointers below `at`.
void collect_absent(const json& written, const json& read, const std::string& at, std::vector<std::string>& out) {
  if (written.is_array() && read.is_array()) {
    for (size_t i = 0; i < written.size() && i < read.size(); ++i) {
      collect_absent(written[i], read[i], fmt::format("{}/{}", at, i), out);
    }
    return;
  }
  if (!written.is_object() || !read.is_object()) return;
  for (const auto& [key, value] : written.items()) {
    const auto it = read.find(key);
    const std::string path = at + "/" + pointer_token(key);
    if (it == read.end()) out.push_back(path);
    else collect_absent(value, *it, path, out);
  }
}

json full_json(const Report& r) {
  json j;
  j["schema"] = kReportSchema;
  j["schema_version"] = r.schema_version;
  j["tool"] = to_json(r.tool);
  j["created_at"] = r.created_at;
  j["host"] = to_json(r.host);
  j["settings"] = to_json(r.settings);
  j["baseline"] = r.baseline ? to_json(*r.baseline) : json(nullptr);
  j["models"] = json::array();
  for (const ModelEntry& m : r.models) j["models"].push_back(to_json(m));
  if (r.pareto) {
    const auto names = [](const std::vector<std::string>& v) {
      json out = json::array();
      for (const std::string& n : v) out.push_back(n.empty() ? json(nullptr) : json(n));
      return out;
    };
    j["pareto"] = {{"accuracy_vs_size", names(r.pareto->accuracy_vs_size)},
                   {"accuracy_vs_latency", names(r.pareto->accuracy_vs_latency)}};
  } else {
    j["pareto"] = nullptr;
  }
  return j;
}

std::optional<Pareto> pareto_from_json(const json& j) {
  const json& p = object_at(j, "pareto");
  const auto size = p.find("accuracy_vs_size"), latency = p.find("accuracy_vs_latency");
  if (size == p.end() || latency == p.end() || !size->is_array() || !latency->is_array()) return std::nullopt;
  Pareto out;
  for (const json& n : *size)
    if (n.is_string()) out.accuracy_vs_size.push_back(n.get<std::string>());
  for (const json& n : *latency)
    if (n.is_string()) out.accuracy_vs_latency.push_back(n.get<std::string>());
  return out;
}

std::string head(const json& j) {
  const std::string s = j.dump();
  return s.size() <= 80 ? s : s.substr(0, 80) + "...";
}

std::string dump(const json& j) { return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n"; }

}  // namespace

Tool this_tool() { return {"tfcompress", "0.1.0"}; }

Metrics classification_metrics(const eval::Classification& c) {
  Metrics m;
  m.task = "classification";
  m.samples = c.samples;
  m.accuracy = c.accuracy;
  m.top_k = c.top_k;
  m.top_k_accuracy = c.top_k_accuracy;
  m.num_classes = c.num_classes;
  for (int64_t k = 0; k < c.num_classes; ++k) m.class_names.push_back(std::to_string(k));
  m.per_class_accuracy = c.per_class_accuracy;
  m.per_class_count = c.per_class_count;
  m.confusion = c.confusion;
  return m;
}

Metrics outputs_metrics(int64_t samples) {
  Metrics m;
  m.task = "outputs";
  m.samples = samples;
  return m;
}

json to_json(const ModelEntry& m) {
  json j;
  j["name"] = m.name;
  j["path"] = m.path;
  j["sha256"] = m.sha256;
  j["size"] = {{"raw_bytes", opt(m.size.raw_bytes)}, {"gzip_bytes", opt(m.size.gzip_bytes)}};
  j["latency"] = eval::latency_json(m.latency);
  j["memory"] = {{"arena_bytes", opt(m.memory.arena_bytes)},
                 {"peak_rss_bytes", opt(m.memory.peak_rss_bytes)},
                 {"peak_rss_scope", m.memory.peak_rss_scope}};
  j["metrics"] = to_json(m.metrics);
  j["error_vs_baseline"] = m.error_vs_baseline ? eval::error_profile_json(*m.error_vs_baseline) : json(nullptr);
  j["deltas"] = m.deltas ? to_json(*m.deltas) : json(nullptr);
  if (m.recorded_at) j["recorded_at"] = *m.recorded_at;
  if (m.recorded_latency) j["recorded_latency"] = eval::latency_json(*m.recorded_latency);
  if (m.kernels) {
    json ops = json::array();
    for (const ReferenceOp& o : m.kernels->reference_ops)
      ops.push_back({{"op", o.op}, {"count", o.count}, {"ms_per_invoke", o.ms}});
    j["kernels"] = {{"reference_share", m.kernels->reference_share}, {"reference_ops", ops}};
  }
  return j;
}

// "kernels": the numbers that are not numbers are left out.
KernelUse kernels_from_json(const json& j) {
  KernelUse k;
  if (const auto it = j.find("reference_share"); it != j.end() && it->is_number()) k.reference_share = it->get<double>();
  if (const auto it = j.find("reference_ops"); it != j.end() && it->is_array()) {
    for (const json& o : *it) {
      if (!o.is_object()) continue;
      ReferenceOp r;
      r.op = text(o, "op");
      if (const auto c = o.find("count"); c != o.end() && c->is_number_integer()) r.count = c->get<int64_t>();
      if (const auto ms = o.find("ms_per_invoke"); ms != o.end() && ms->is_number()) r.ms = ms->get<double>();
      k.reference_ops.push_back(std::move(r));
    }
  }
  return k;
}

Expected<ModelEntry> model_from_json(const json& j) {
  if (!j.is_object()) return invalid_argument("{} stands where a model object belongs", head(j));
  ModelEntry m;
  m.name = text(j, "name");
  m.path = text(j, "path");
  m.sha256 = text(j, "sha256");
  const json& size = object_at(j, "size");
  m.size = {byte_count(size, "raw_bytes"), byte_count(size, "gzip_bytes")};
  TFC_ASSIGN_OR_RETURN(m.latency, latency_at(j, "latency"));
  const json& memory = object_at(j, "memory");
  m.memory = {byte_count(memory, "arena_bytes"), byte_count(memory, "peak_rss_bytes"),
              text(memory, "peak_rss_scope")};
  m.metrics = metrics_from_json(object_at(j, "metrics"));
  if (const auto it = j.find("error_vs_baseline"); it != j.end() && it->is_object()) {
    m.error_vs_baseline = error_profile_from_json(*it);
  }
  if (const auto it = j.find("deltas"); it != j.end() && it->is_object()) m.deltas = deltas_from_json(*it);
  if (const auto it = j.find("recorded_at"); it != j.end() && it->is_string()) m.recorded_at = it->get<std::string>();
  if (const auto it = j.find("recorded_latency"); it != j.end() && it->is_object()) {
    TFC_ASSIGN_OR_RETURN(m.recorded_latency, eval::latency_from_json(*it));
  }
  if (const auto it = j.find("kernels"); it != j.end() && it->is_object()) m.kernels = kernels_from_json(*it);
  return m;
}

json to_json(const Report& r) {
  json j = full_json(r);
  for (const std::string& p : r.absent_keys) {
    const json::json_pointer ptr(p);
    if (!j.contains(ptr)) continue;
    j[ptr.parent_pointer()].erase(ptr.back());
  }
  return j;
}

Expected<Report> report_from_json(const json& j) {
  TFC_RETURN_IF_ERROR(check_schema(j, kReportSchema, kReportSchemaVersion, "report"));
  Report r;
  r.schema_version = j["schema_version"].get<int>();
  r.tool = tool_from_json(object_at(j, "tool"));
  r.created_at = text(j, "created_at");
  r.host = host_from_json(object_at(j, "host"));
  TFC_ASSIGN_OR_RETURN(r.settings, settings_at(j));
  const auto models = j.find("models");
  if (models == j.end()) return invalid_argument("the report has no \"models\" list");
  if (!models->is_array()) return invalid_argument("report \"models\" is not an array");
  for (size_t i = 0; i < models->size(); ++i) {
    auto m = model_from_json((*models)[i]);
    if (!m) return m.status().with_context(fmt::format("the report's \"models\"[{}]", i));
    r.models.push_back(std::move(*m));
  }
  if (const auto b = j.find("baseline"); b != j.end() && !b->is_null()) {
    auto m = model_from_json(*b);
    if (!m) return m.status().with_context("the report's \"baseline\"");
    r.baseline = std::move(*m);
  }
  r.pareto = pareto_from_json(j);
  collect_absent(full_json(r), j, "", r.absent_keys);
  return r;
}

std::string report_text(const Report& r) { return dump(to_json(r)); }

Expected<Report> read_report(const std::string& path) {
  TFC_ASSIGN_OR_RETURN(json j, io::read_json_file(path, "report"));
  auto r = report_from_json(j);
  if (!r) return r.status().with_context(path);
  return r;
}

json to_json(const BaselineFile& b) {
  json j;
  j["schema"] = kBaselineSchema;
  j["schema_version"] = b.schema_version;
  j["tool"] = to_json(b.tool);
  j["created_at"] = b.created_at;
  j["host"] = to_json(b.host);
  j["settings"] = to_json(b.settings);
  j["model"] = to_json(b.model);
  j["outputs"] = {{"file", b.outputs.file}, {"sha256", b.outputs.sha256}, {"names", b.outputs.names}};
  return j;
}

Expected<BaselineFile> baseline_from_json(const json& j) {
  TFC_RETURN_IF_ERROR(check_schema(j, kBaselineSchema, kBaselineSchemaVersion, "baseline"));
  for (const char* key : {"settings", "model", "outputs"}) {
    if (!j.contains(key) || !j[key].is_object()) return invalid_argument("no \"{}\" object", key);
  }
  BaselineFile b;
  b.schema_version = j["schema_version"].get<int>();
  b.tool = tool_from_json(object_at(j, "tool"));
  b.created_at = text(j, "created_at");
  b.host = host_from_json(object_at(j, "host"));
  TFC_ASSIGN_OR_RETURN(b.settings, settings_from_json(j["settings"]));
  auto model = model_from_json(j["model"]);
  if (!model) return model.status().with_context("\"model\"");
  b.model = std::move(*model);
  if (b.model.name.empty()) b.model.name = "baseline";
  const json& outputs = j["outputs"];
  b.outputs.file = text(outputs, "file");
  b.outputs.sha256 = text(outputs, "sha256");
  if (b.outputs.file.empty()) return invalid_argument("no \"outputs.file\" string");
  if (b.outputs.sha256.empty()) return invalid_argument("no \"outputs.sha256\" string");
  if (const auto it = outputs.find("names"); it != outputs.end() && it->is_array()) {
    for (const json& n : *it) b.outputs.names.push_back(n.is_string() ? n.get<std::string>() : "");
  }
  return b;
}

std::string baseline_text(const BaselineFile& b) { return dump(to_json(b)); }

Expected<BaselineFile> read_baseline(const std::string& path) {
  TFC_ASSIGN_OR_RETURN(const std::vector<uint8_t> bytes, io::read_file(path));  // a missing file says so
  auto j = io::parse_json(bytes, path, "baseline");
  const bool is_baseline = j && j->is_object() && j->contains("schema") && (*j)["schema"] == kBaselineSchema;
  if (!is_baseline) {
    return invalid_argument("{} is not a baseline file (make one with 'tfcompress baseline MODEL --data VAL -o {}')",
                            path, path);
  }
  auto b = baseline_from_json(*j);
  if (!b) return b.status().with_context(path);
  return b;
}

}  // namespace tfc::report
