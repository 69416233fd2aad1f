// The evaluation harness (see evaluate.h).
#include "eval/evaluate.h"

#include <malloc.h>
#include <sys/wait.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "analysis/tensor_values.h"
#include "data/source.h"
#include "eval/compare.h"
#include "io/file_util.h"
#include "importers/import.h"
#include "runtime/dataset_runner.h"
#include "runtime/interpreter.h"

namespace tfc::eval {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

std::vector<std::string> split_spec(const std::string& spec) {
  std::vector<std::string> parts;
  std::stringstream in(spec);
  std::string p;
  while (std::getline(in, p, ',')) parts.push_back(p);
  return parts;
}

template <typename T>
void scale_to_float(const Array& x, float scale, float* out) {
  const T* p = x.as<T>();
  for (int64_t i = 0; i < x.num_elements(); ++i) out[i] = static_cast<float>(p[i]) * scale;
}

template <typename T>
std::vector<double> to_doubles(const Array& a) {
  const T* p = a.as<T>();
  return std::vector<double>(p, p + a.num_elements());
}

// An output's values as real numbers: floats as they are, quantized integers
// dequantized, other integers (class ids, counts, flags) as their values.
Expected<std::vector<double>> output_values(const Array& out, const ir::Tensor& t) {
  if (out.dtype == DType::kFloat32 || t.is_quantized()) return analysis::real_values(out, t);
  switch (out.dtype) {
    case DType::kFloat64: return to_doubles<double>(out);
    case DType::kInt8: return to_doubles<int8_t>(out);
    case DType::kUInt8:
    case DType::kBool: return to_doubles<uint8_t>(out);
    case DType::kInt16: return to_doubles<int16_t>(out);
    case DType::kInt32: return to_doubles<int32_t>(out);
    case DType::kInt64: return to_doubles<int64_t>(out);
    default: return unsupported("output '{}' has dtype {}, which eval cannot compare", t.name, dtype_name(out.dtype));
  }
}

// Resets the kernel's resident high-water mark of this process to its current
// resident size (Linux: write 5 to /proc/self/clear_refs), after returning
// freed heap to the system. False when the kernel does not allow it.
bool reset_peak_rss() {
  malloc_trim(0);
  std::ofstream f("/proc/self/clear_refs");
  if (!f) return false;
  f << "5";
  f.flush();
  return static_cast<bool>(f);
}

uint64_t peak_rss_bytes() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;  // kB
  }
  return 0;
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

Expected<Latency> run_runner(const std::string& command, const std::string& model_path, int threads) {
  const std::string cmd = expand_runner(command, model_path, threads);
  // In a subshell so that the redirections cover every part of the command
  // (the newline ends a trailing comment); no input, so a runner waiting on
  // stdin cannot hang eval.
  const std::string shell = "(" + cmd + "\n) </dev/null 2>&1";
  std::FILE* p = ::popen(shell.c_str(), "r");
  if (!p) return invalid_argument("cannot start the runner: {}", cmd);
  std::string output;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) output.append(buf, n);
  const int status = ::pclose(p);
  if (status != 0) {
    const std::string tail = output.size() > 600 ? "..." + output.substr(output.size() - 600) : output;
    const std::string how = status == -1           ? fmt::format("could not be waited for: {}", std::strerror(errno))
                            : WIFEXITED(status)   ? fmt::format("exit status {}", WEXITSTATUS(status))
                            : WIFSIGNALED(status) ? fmt::format("killed by signal {}", WTERMSIG(status))
                                                  : fmt::format("wait status {}", status);
    return invalid_argument("the runner failed ({}): {}\n{}", how, cmd, tail.empty() ? "(it printed nothing)" : tail);
  }
  auto latency = parse_runner_output(output);
  if (!latency) return latency.status().with_context(fmt::format("runner '{}'", cmd));
  latency->threads = threads;
  return latency;
}

// Integer samples reach a float input only through --input-scale.
Status check_sample_dtype(const Array& x, const ir::Tensor& input) {
  if (x.dtype == input.dtype || x.dtype == DType::kFloat32) return Status::ok();
  return invalid_argument(
      "samples are {} but the model input '{}' is {}; give --input-scale to turn integer samples into floats "
      "(e.g. 0.00392156862745098 for 8-bit images scaled to [0, 1])",
      dtype_name(x.dtype), input.name, dtype_name(input.dtype));
}

}  // namespace

// The runner reads TFLite: a Keras or SavedModel model is handed to it as the
// TFLite it imports to, in a temporary file removed afterwards.
Expected<Latency> run_runner_on(const std::string& command, const std::string& model_path, int threads) {
  TFC_ASSIGN_OR_RETURN(const importers::Format format, importers::detect_format(model_path));
  if (format == importers::Format::kTflite) return run_runner(command, model_path, threads);
  TFC_ASSIGN_OR_RETURN(const std::vector<uint8_t> bytes, importers::tflite_bytes(model_path));
  std::string path = (std::filesystem::temp_directory_path() / "tfcompress-runner-XXXXXX.tflite").string();
  const int fd = mkstemps(path.data(), 7);
  if (fd < 0) return invalid_argument("cannot create a temporary file for the runner: {}", std::strerror(errno));
  close(fd);
  Status written = io::write_file_durable(path, bytes);
  auto latency = written.is_ok() ? run_runner(command, path, threads) : Expected<Latency>(written);
  std::remove(path.c_str());
  return latency;
}

std::string expand_runner(const std::string& command, const std::string& model_path, int threads) {
  std::string out;
  for (size_t i = 0; i < command.size();) {
    if (command.compare(i, 7, "{model}") == 0) {
      out += shell_quote(model_path);
      i += 7;
    } else if (command.compare(i, 9, "{threads}") == 0) {
      out += std::to_string(threads);
      i += 9;
    } else {
      out += command[i++];
    }
  }
  return out;
}

Expected<ModelInput> model_input(const std::string& path) {
  TFC_ASSIGN_OR_RETURN(const ir::Model model, importers::load_model(path));
  if (model.subgraphs.empty() || model.subgraphs[0].inputs.size() != 1) return ModelInput{};
  const ir::Tensor& input = model.subgraphs[0].tensors[model.subgraphs[0].inputs[0]];
  const std::vector<int64_t> shape(input.shape.begin(), input.shape.end());
  return ModelInput{input.name, data::SourceOptions{data::image_options_for_input(shape, input.dtype)}};
}

Expected<EvalData> load_eval_data(const std::string& spec, const std::string& labels_spec,
                                  std::optional<float> input_scale, int64_t max_samples, const ModelInput& input) {
  EvalData d;
  d.spec = spec;
  d.labels_spec = labels_spec;
  TFC_ASSIGN_OR_RETURN(d.data, data::load_dataset(spec, input.name, input.source));
  std::string digests;
  const bool folder = data::is_image_folder(spec);
  TFC_ASSIGN_OR_RETURN(const std::vector<std::string> parts, data::spec_files(spec));
  for (const std::string& part : parts) {
    TFC_ASSIGN_OR_RETURN(std::string h, io::sha256_file(part));
    // A folder's images are named too: the class folder is the label.
    const std::string name = folder ? " " + std::filesystem::path(part).lexically_relative(spec).string() : "";
    digests += h + name + "\n";
  }
  if (!labels_spec.empty()) {
    TFC_ASSIGN_OR_RETURN(Dataset labels, load_dataset(labels_spec));
    if (labels.num_samples() != d.data.num_samples()) {
      return invalid_argument("{} holds {} labels but {} holds {} samples", labels_spec, labels.num_samples(), spec,
                              d.data.num_samples());
    }
    d.data.y = std::move(labels.x);
    for (const std::string& part : split_spec(labels_spec)) {
      TFC_ASSIGN_OR_RETURN(std::string h, io::sha256_file(part));
      digests += "labels " + h + "\n";
    }
  }
  d.sha256 = !folder && parts.size() == 1 && labels_spec.empty()
                 ? digests.substr(0, 64)
                 : io::sha256_hex(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(digests.data()),
                                                           digests.size()));
  if (max_samples > 0 && max_samples < d.data.num_samples()) {
    TFC_ASSIGN_OR_RETURN(d.data.x, slice_batch(d.data.x, 0, max_samples));
    if (d.data.y) {
      TFC_ASSIGN_OR_RETURN(d.data.y, slice_batch(*d.data.y, 0, max_samples));
    }
  }
  if (!input_scale && d.data.x.dtype == DType::kFloat64) {
    // NumPy's default float type: float models take float32.
    const Array& x = d.data.x;
    Array f{DType::kFloat32, x.shape, {}};
    f.data.resize(static_cast<size_t>(x.num_elements()) * sizeof(float));
    const double* p = x.as<double>();
    float* out = f.as<float>();
    for (int64_t i = 0; i < x.num_elements(); ++i) out[i] = static_cast<float>(p[i]);
    d.data.x = std::move(f);
  }
  if (input_scale) {
    if (!std::isfinite(*input_scale) || *input_scale == 0) {
      return invalid_argument("--input-scale must be finite and non-zero, got {}", *input_scale);
    }
    const Array& x = d.data.x;
    Array f{DType::kFloat32, x.shape, {}};
    f.data.resize(static_cast<size_t>(x.num_elements()) * sizeof(float));
    switch (x.dtype) {
      case DType::kUInt8: scale_to_float<uint8_t>(x, *input_scale, f.as<float>()); break;
      case DType::kInt8: scale_to_float<int8_t>(x, *input_scale, f.as<float>()); break;
      case DType::kInt16: scale_to_float<int16_t>(x, *input_scale, f.as<float>()); break;
      case DType::kInt32: scale_to_float<int32_t>(x, *input_scale, f.as<float>()); break;
      default:
        return invalid_argument("--input-scale converts integer samples, but {} holds {}", spec,
                                dtype_name(x.dtype));
    }
    d.data.x = std::move(f);
  }
  if (d.data.y) {
    TFC_ASSIGN_OR_RETURN(d.labels, class_ids(*d.data.y));
  }
  return d;
}

namespace {

struct Loaded {
  ir::Model model;
  std::unique_ptr<runtime::Interpreter> interp;
  double init_ms = 0;
  int64_t batch = 1;
};

// `profile`: time every op (while scoring; the timed runs do not).
Expected<Loaded> load_model(const std::string& path, const EvalSettings& s, bool profile = false) {
  runtime::InterpreterOptions options;
  options.profile = profile;
  TFC_ASSIGN_OR_RETURN(options.kernels, runtime::parse_kernels(s.kernels));
  TFC_ASSIGN_OR_RETURN(options.int8_path, runtime::parse_int8_isa(s.int8_isa));
  TFC_ASSIGN_OR_RETURN(options.arithmetic, runtime::parse_arithmetic(s.arithmetic));
  options.threads = s.threads;
  Loaded m;
  const auto t = Clock::now();
  TFC_ASSIGN_OR_RETURN(m.model, importers::load_model(path));
  TFC_ASSIGN_OR_RETURN(m.interp, runtime::Interpreter::create(m.model, 0, options));
  m.init_ms = ms_since(t);
  if (m.interp->num_inputs() != 1) {
    return unsupported("{}: eval feeds models with one input; this one has {}", path, m.interp->num_inputs());
  }
  if (m.interp->num_outputs() == 0) return unsupported("{}: the model has no outputs to measure", path);
  m.batch = runtime::fixed_batch_size(m.model);
  return m;
}

// Samples [begin, end) as the model's input takes them, padded with copies
// of the last one to the model's fixed batch size (its graph may reshape to
// that batch, so a short batch cannot run).
Expected<Array> full_batch(const Loaded& m, const EvalData& data, int64_t begin, int64_t end) {
  TFC_RETURN_IF_ERROR(check_sample_dtype(data.data.x, m.interp->input_tensor(0)));
  return runtime::input_batch(data.data.x, begin, end, m.batch, m.interp->input_tensor(0));
}

// The batch every timed run uses: the first `batch` samples.
Status set_timing_input(Loaded& m, const EvalData& data) {
  TFC_ASSIGN_OR_RETURN(Array first, full_batch(m, data, 0, std::min(m.batch, data.samples())));
  return m.interp->set_input(0, first);
}

// The ops that ran on the reference kernels, by type, from the profile of
// the scoring runs (ops computed at load take no time and are left out).
report::KernelUse kernel_use(const std::vector<runtime::OpProfile>& ops) {
  report::KernelUse k;
  double total = 0, reference = 0;
  for (const runtime::OpProfile& o : ops) {
    if (o.runs == 0) continue;
    const double ms = o.total_ms / static_cast<double>(o.runs);
    total += ms;
    if (o.kernel != "reference") continue;
    reference += ms;
    auto it = std::find_if(k.reference_ops.begin(), k.reference_ops.end(),
                           [&](const report::ReferenceOp& r) { return r.op == o.op_name; });
    if (it == k.reference_ops.end()) it = k.reference_ops.insert(it, report::ReferenceOp{o.op_name, 0, 0});
    ++it->count;
    it->ms += ms;
  }
  std::stable_sort(k.reference_ops.begin(), k.reference_ops.end(),
                   [](const report::ReferenceOp& a, const report::ReferenceOp& b) { return a.ms > b.ms; });
  k.reference_share = total > 0 ? reference / total : 0;
  return k;
}

// Phase one for one model: everything but the timed runs.
Expected<ModelResult> score_model(const ModelSpec& spec, const EvalData& data, const EvalSettings& s, Latency& latency) {
  ModelResult r;
  report::ModelEntry& e = r.entry;
  TFC_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, importers::tflite_bytes(spec.path));
  TFC_ASSIGN_OR_RETURN(uint64_t gz, io::gzip_size(bytes));
  e.name = spec.name;
  e.path = spec.path;
  e.sha256 = io::sha256_hex(bytes);
  e.size = {bytes.size(), gz};
  std::vector<uint8_t>().swap(bytes);  // the memory back now (`bytes = {}` would keep it)

  const bool per_model_rss = reset_peak_rss();
  // With the fast kernels, the scoring runs also tell which ops ran on the
  // reference kernels.
  const bool fast = s.kernels == "fast";
  TFC_ASSIGN_OR_RETURN(Loaded m, load_model(spec.path, s, fast));
  latency.init_ms = m.init_ms;
  TFC_RETURN_IF_ERROR(set_timing_input(m, data));
  const auto t = Clock::now();
  TFC_RETURN_IF_ERROR(m.interp->invoke());
  latency.first_run_ms = ms_since(t);

  const int64_t n = data.samples();
  const int outputs = m.interp->num_outputs();
  std::vector<std::vector<float>> values(static_cast<size_t>(outputs));
  std::vector<std::vector<int64_t>> shapes(static_cast<size_t>(outputs));
  std::vector<int64_t> rows(static_cast<size_t>(outputs), 0);
  runtime::DatasetRunOptions run;
  run.batch_size = m.batch;
  run.last_batch = runtime::LastBatch::kPad;
  run.what = spec.name;
  run.progress_label = fmt::format("evaluating {}", spec.name);
  run.progress = s.progress;
  runtime::Interpreter* models[] = {m.interp.get()};
  TFC_RETURN_IF_ERROR(runtime::run_dataset(models, data.data.x, run, [&](const runtime::Batch& batch) -> Status {
    const int64_t b = batch.begin, end = batch.end;
    for (int o = 0; o < outputs; ++o) {
      Array out = m.interp->output(o);
      if (end - b < m.batch) {  // drop the padding
        if (out.shape.empty() || out.shape[0] != m.batch) {
          return unsupported("{}: the model takes batches of exactly {} samples, and output {} ('{}') of shape [{}] "
                             "has no batch dimension to drop the padding of the last batch from; score a multiple "
                             "of {} samples (--samples)",
                             spec.path, m.batch, o, m.interp->output_tensor(o).name, fmt::join(out.shape, ", "),
                             m.batch);
        }
        TFC_ASSIGN_OR_RETURN(out, slice_batch(out, 0, end - b));
      }
      TFC_ASSIGN_OR_RETURN(std::vector<double> v, output_values(out, m.interp->output_tensor(o)));
      auto& dst = values[static_cast<size_t>(o)];
      dst.insert(dst.end(), v.begin(), v.end());
      auto& shape = shapes[static_cast<size_t>(o)];
      if (b == 0) {
        shape = out.shape;
      } else if (out.shape.size() != shape.size() ||
                 !std::equal(out.shape.begin() + (out.shape.empty() ? 0 : 1), out.shape.end(),
                             shape.begin() + (shape.empty() ? 0 : 1))) {
        return unsupported("{}: output {} ('{}') has shape [{}] on samples {}..{} but [{}] on the first; eval "
                           "needs outputs of a fixed shape",
                           spec.path, o, m.interp->output_tensor(o).name, fmt::join(out.shape, ", "), b, end - 1,
                           fmt::join(shape, ", "));
      }
      rows[static_cast<size_t>(o)] += out.shape.empty() ? 1 : out.shape[0];
    }
    return Status::ok();
  }));
  for (int o = 0; o < outputs; ++o) {
    Array a{DType::kFloat32, shapes[static_cast<size_t>(o)], {}};
    if (a.shape.empty()) a.shape = {rows[static_cast<size_t>(o)]};
    else a.shape[0] = rows[static_cast<size_t>(o)];
    const auto& v = values[static_cast<size_t>(o)];
    if (static_cast<int64_t>(v.size()) != a.num_elements()) {
      return unsupported("{}: output {} changes shape between samples; eval needs outputs of a fixed shape",
                         spec.path, o);
    }
    a.data.resize(v.size() * sizeof(float));
    std::memcpy(a.data.data(), v.data(), a.data.size());
    r.outputs.names.push_back(m.interp->output_tensor(o).name);
    r.outputs.values.push_back(std::move(a));
  }
  e.memory = {m.interp->arena_bytes(), peak_rss_bytes(), per_model_rss ? "model" : "process"};
  if (fast) e.kernels = kernel_use(m.interp->op_profile());
  const Array& scores = r.outputs.values[0];
  if (data.labels && scores.shape.size() == 2 && scores.shape[0] == n && scores.shape[1] >= 2) {
    TFC_ASSIGN_OR_RETURN(Classification c, classify(scores, *data.labels, s.top_k));
    e.metrics = report::classification_metrics(c);
  } else {
    e.metrics = report::outputs_metrics(n);
  }
  return r;
}

// Phase two: warm-up, then rounds of one timed run per model.
Status time_models(const std::vector<ModelSpec>& specs, const EvalData& data, const EvalSettings& s,
                   std::vector<Latency>& latencies) {
  std::vector<Loaded> loaded;
  for (const auto& spec : specs) {
    TFC_ASSIGN_OR_RETURN(Loaded m, load_model(spec.path, s));
    TFC_RETURN_IF_ERROR(set_timing_input(m, data));
    loaded.push_back(std::move(m));
  }
  for (auto& m : loaded) {
    for (int i = 0; i < s.warmup; ++i) TFC_RETURN_IF_ERROR(m.interp->invoke());
  }
  ProgressBar bar(specs.size() == 1 ? fmt::format("timing {}", specs[0].name)
                                    : fmt::format("timing {} models", specs.size()),
                  s.runs, s.progress);
  const auto start = Clock::now();
  const double budget_s = s.max_seconds * static_cast<double>(loaded.size());
  for (int round = 0; round < s.runs; ++round) {
    if (round >= 5 && std::chrono::duration<double>(Clock::now() - start).count() > budget_s) break;
    for (size_t i = 0; i < loaded.size(); ++i) {
      const auto t = Clock::now();
      TFC_RETURN_IF_ERROR(loaded[i].interp->invoke());
      latencies[i].samples_ms.push_back(ms_since(t));
    }
    bar.update(round + 1);
  }
  bar.finish();
  for (auto& l : latencies) {
    l.warmup = s.warmup;
    l.threads = s.threads;
    summarize(l);
  }
  return Status::ok();
}

}  // namespace

Expected<std::vector<ModelResult>> evaluate_models(const std::vector<ModelSpec>& specs, const EvalData& data,
                                                   const EvalSettings& s, const std::vector<ModelSpec>& also_time,
                                                   std::vector<Latency>* also_latencies) {
  std::vector<ModelResult> results;
  std::vector<Latency> latencies(specs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    auto r = score_model(specs[i], data, s, latencies[i]);
    if (!r) {
      // Name the model unless the message already starts with its path.
      if (r.status().message().rfind(specs[i].path, 0) == 0) return r.status();
      return r.status().with_context(specs[i].path);
    }
    results.push_back(std::move(*r));
  }
  std::vector<ModelSpec> timed = specs;
  timed.insert(timed.end(), also_time.begin(), also_time.end());
  latencies.resize(timed.size());
  if (s.runner.empty()) {
    TFC_RETURN_IF_ERROR(time_models(timed, data, s, latencies));
  } else {
    for (size_t i = 0; i < timed.size(); ++i) {
      TFC_ASSIGN_OR_RETURN(latencies[i], run_runner_on(s.runner, timed[i].path, s.threads));
    }
  }
  for (size_t i = 0; i < specs.size(); ++i) results[i].entry.latency = latencies[i];
  if (also_latencies) also_latencies->assign(latencies.begin() + static_cast<std::ptrdiff_t>(specs.size()), latencies.end());
  return results;
}

Expected<ModelResult> evaluate_model(const std::string& path, const std::string& name, const EvalData& data,
                                     const EvalSettings& s) {
  TFC_ASSIGN_OR_RETURN(auto results, evaluate_models({{path, name}}, data, s));
  return std::move(results[0]);
}

Status compare_to_baseline(ModelResult& model, const report::ModelEntry& base, const Outputs& baseline_outputs) {
  TFC_ASSIGN_OR_RETURN(model.entry.error_vs_baseline, error_profile(model.outputs, baseline_outputs));
  model.entry.deltas = deltas_against(model.entry, base);
  return Status::ok();
}

std::string utc_now_iso8601() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

report::Host this_host() {
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  std::string cpu;
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("model name", 0) == 0) {
      cpu = line.substr(line.find(':') + 1);
      cpu.erase(0, cpu.find_first_not_of(' '));
      break;
    }
  }
  utsname u{};
  ::uname(&u);
  return {host, cpu, fmt::format("{} {} {}", u.sysname, u.release, u.machine),
          static_cast<int64_t>(std::thread::hardware_concurrency())};
}

report::Settings report_settings(const EvalSettings& s, const EvalData& data) {
  report::Settings r;
  r.data = data.spec;
  if (!data.labels_spec.empty()) r.labels = data.labels_spec;
  r.data_sha256 = data.sha256;
  r.samples = data.samples();
  if (s.input_scale) r.input_scale = *s.input_scale;
  r.warmup = s.warmup;
  r.runs = s.runs;
  r.max_seconds = s.max_seconds;
  r.threads = s.threads;
  r.kernels = s.kernels;
  r.runtime = s.kernels;  // schema version 1's name for the kernels
  r.arithmetic = s.arithmetic;
  if (s.int8_isa != "best") r.int8_isa = s.int8_isa;
  r.top_k = s.top_k;
  if (!s.runner.empty()) r.runner = s.runner;
  return r;
}

}  // namespace tfc::eval
