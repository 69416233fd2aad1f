// The model registry (see registry.h for the layout and the crash-safety rules).
// Every mutation of production.json and every rename into objects/ happens under
// an exclusive flock on DIR/lock; the slow parts of a push (reading, hashing,
// staging with fsync) happen before the lock is taken.
// Not: the CLI (cli/cmd_registry.cc) or a reader of model contents.
#include "registry/registry.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <set>
#include <tuple>
#include <utility>

#include <fmt/format.h>

#include "io/file_util.h"
#include "io/json_file.h"

namespace tfc::registry {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr const char* kSchema = "tfcompress-registry";
constexpr int kSchemaVersion = 1;
constexpr size_t kMinPrefix = 6;

bool is_hex(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}
bool is_id(const std::string& s) { return s.size() == 64 && is_hex(s); }
std::string short_id(const std::string& id) { return id.substr(0, 12); }

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string now_iso() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

Status errno_status(const std::string& path, const char* what, int err) {
  return invalid_argument("{}: cannot {}: {}", path, what, std::strerror(err));
}

// Exclusive advisory lock on a file, released on destruction or when the
// process dies.
class FileLock {
 public:
  static Expected<FileLock> acquire(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return errno_status(path, "open the lock file", errno);
    while (::flock(fd, LOCK_EX) != 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return errno_status(path, "lock", err);
    }
    return FileLock(fd);
  }
  FileLock(FileLock&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  FileLock& operator=(FileLock&&) = delete;
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the flock
  }

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

bool pid_alive(long pid) {
  if (pid <= 0) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

// Seconds since the last modification of `path`; 0 when it cannot be read.
double age_seconds(const std::string& path) {
  struct stat st{};
  if (::lstat(path.c_str(), &st) != 0) return 0;
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<double>(now.tv_sec - st.st_mtim.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec - st.st_mtim.tv_nsec);
}

// The pid embedded in a leftover's name: "push-<pid>-...", "gc-<pid>-..." or
// "<file>.tmp-<pid>-<n>" (io::write_file_durable); -1 when there is none.
long leftover_pid(const std::string& name) {
  std::string rest;
  if (const auto p = name.rfind(".tmp-"); p != std::string::npos) {
    rest = name.substr(p + 5);
  } else if (const auto d = name.find('-'); d != std::string::npos) {
    rest = name.substr(d + 1);
  } else {
    return -1;
  }
  char* end = nullptr;
  const long pid = std::strtol(rest.c_str(), &end, 10);
  return end != rest.c_str() && *end == '-' ? pid : -1;
}

// j.at(field) as an integer of type T; throws, as json's own at() and get()
// do, when it is not an integer T holds (a number such as 1e50 would otherwise
// be converted out of range).
template <typename T>
T integer_at(const json& j, const char* field) {
  const json& v = j.at(field);
  const bool fits = v.is_number_unsigned() ? std::in_range<T>(v.get<uint64_t>())
                                           : v.is_number_integer() && std::in_range<T>(v.get<int64_t>());
  if (!fits) throw std::invalid_argument(fmt::format("'{}' is not an integer in range: {}", field, v.dump()));
  return v.get<T>();
}

std::string dump(const json& j) { return j.dump(2) + "\n"; }

json opt_json(const std::optional<std::string>& s) { return s ? json(*s) : json(nullptr); }

std::optional<std::string> opt_id(const json& j, const char* field) {
  const json& v = j.at(field);
  if (v.is_null()) return std::nullopt;
  const std::string s = v.get<std::string>();
  if (!is_id(s)) throw std::invalid_argument(fmt::format("'{}' is not a sha256 id: '{}'", field, s));
  return s;
}

uint64_t file_size_or_zero(const std::string& path) {
  std::error_code ec;
  const auto n = fs::file_size(path, ec);
  return ec ? 0 : n;
}

}  // namespace

std::string default_registry_dir() {
  const char* env = std::getenv("TFC_REGISTRY");
  return env != nullptr && *env != '\0' ? std::string(env) : std::string("./.tfcompress-registry");
}

// ---- production.json ----

json state_to_json(const State& s) {
  json history = json::array();
  for (const HistoryEntry& h : s.history) {
    history.push_back({{"seq", h.seq},
                       {"action", h.action},
                       {"id", h.id},
                       {"previous", opt_json(h.previous)},
                       {"at", h.at},
                       {"pid", h.pid}});
  }
  return {{"schema", kSchema},
          {"schema_version", kSchemaVersion},
          {"production", opt_json(s.production)},
          {"stack", s.stack},
          {"history", std::move(history)}};
}

Expected<State> state_from_json(const json& j) {
  try {
    if (!j.is_object() || j.value("schema", "") != kSchema) {
      return invalid_argument("not a tfcompress registry file (schema is not '{}')", kSchema);
    }
    const int version = integer_at<int>(j, "schema_version");
    if (version > kSchemaVersion) {
      return unsupported("schema_version {} was written by a newer tfcompress (this one reads {})", version,
                         kSchemaVersion);
    }
    State s;
    s.production = opt_id(j, "production");
    for (const json& v : j.at("stack")) {
      const std::string id = v.get<std::string>();
      if (!is_id(id)) return invalid_argument("stack entry '{}' is not a sha256 id", id);
      s.stack.push_back(id);
    }
    for (const json& h : j.at("history")) {
      HistoryEntry e;
      e.seq = integer_at<int64_t>(h, "seq");
      e.action = h.at("action").get<std::string>();
      e.id = h.at("id").get<std::string>();
      if (!is_id(e.id)) return invalid_argument("history entry {}: '{}' is not a sha256 id", e.seq, e.id);
      e.previous = opt_id(h, "previous");
      e.at = h.at("at").get<std::string>();
      e.pid = integer_at<int64_t>(h, "pid");
      s.history.push_back(std::move(e));
    }
    const std::optional<std::string> top = s.stack.empty() ? std::nullopt : std::optional(s.stack.back());
    if (top != s.production) {
      return invalid_argument("production ({}) is not the top of the stack ({})", s.production.value_or("null"),
                              top.value_or("empty"));
    }
    return s;
  } catch (const std::exception& e) {
    return invalid_argument("malformed: {}", e.what());
  }
}

// ---- Registry ----

Expected<Registry> Registry::open(const std::string& dir, bool create) {
  if (dir.empty()) return invalid_argument("registry directory is empty");
  Registry r(dir);
  std::error_code ec;
  if (create) {
    for (const std::string& d : {r.objects_dir(), r.tmp_dir()}) {
      fs::create_directories(d, ec);
      if (ec) return invalid_argument("{}: cannot create directory: {}", d, ec.message());
    }
    return r;
  }
  if (!fs::is_directory(dir, ec)) {
    return not_found("{}: no registry there (set --registry or TFC_REGISTRY, or push a model first)", dir);
  }
  return r;
}

std::string Registry::objects_dir() const { return dir_ + "/objects"; }
std::string Registry::tmp_dir() const { return dir_ + "/tmp"; }
std::string Registry::production_file() const { return dir_ + "/production.json"; }
std::string Registry::model_path(const std::string& id) const { return objects_dir() + "/" + id + "/model.tflite"; }
std::string Registry::report_path(const std::string& id) const { return objects_dir() + "/" + id + "/report.json"; }

Expected<State> Registry::read_state() const {
  auto bytes = io::read_file(production_file());
  if (!bytes.has_value()) {
    if (bytes.status().code() == StatusCode::kNotFound) return State{};
    return bytes.status();
  }
  const auto j = io::parse_json(*bytes, production_file(), "registry state");
  if (!j) return Status(j.status().code(), j.status().message() + " (corrupt?); see 'tfcompress registry verify'");
  auto s = state_from_json(*j);
  if (!s.has_value()) return s.status().with_context(production_file());
  return s;
}

Expected<State> Registry::state() const { return read_state(); }

Status Registry::write_state(const State& s) const {
  return io::write_file_durable(production_file(), dump(state_to_json(s)));
}

void Registry::append_history(State& s, const std::string& action, const std::string& id,
                              const std::optional<std::string>& previous) {
  HistoryEntry e;
  e.seq = s.history.empty() ? 1 : s.history.back().seq + 1;
  e.action = action;
  e.id = id;
  e.previous = previous;
  e.at = now_iso();
  e.pid = ::getpid();
  s.history.push_back(std::move(e));
}

std::string Registry::check_artifact(const std::string& id) const {
  auto digest = io::sha256_file(model_path(id));
  if (!digest.has_value()) return digest.status().message();
  if (*digest != id) return fmt::format("{}: content hashes to {}, not to its id (corrupted)", model_path(id), *digest);
  return {};
}

Expected<Artifact> Registry::read_artifact(const std::string& id) const {
  std::error_code ec;
  if (!fs::is_directory(objects_dir() + "/" + id, ec)) return not_found("no artifact {}", id);
  Artifact a;
  a.id = id;
  auto meta = io::read_json_file(objects_dir() + "/" + id + "/meta.json", "artifact metadata");
  if (!meta.has_value()) {
    a.meta_error = meta.status().message();
    a.size_bytes = file_size_or_zero(model_path(id));
    return a;
  }
  try {
    a.size_bytes = integer_at<uint64_t>(*meta, "size_bytes");
    a.name = meta->value("name", "");
    a.source_path = meta->value("source_path", "");
    a.pushed_at = meta->value("pushed_at", "");
    a.has_report = meta->contains("report") && !meta->at("report").is_null();
  } catch (const std::exception& e) {
    a.meta_error = fmt::format("meta.json: {}", e.what());
    a.size_bytes = file_size_or_zero(model_path(id));
  }
  return a;
}

Expected<std::string> Registry::resolve(const std::string& id_or_prefix) const {
  const std::string p = lower(id_or_prefix);
  if (!is_hex(p) || p.size() > 64) return invalid_argument("'{}' is not an artifact id (hex sha256 or a prefix of it)", id_or_prefix);
  if (p.size() < kMinPrefix) {
    return invalid_argument("id prefix '{}' is too short (give at least {} hex characters)", id_or_prefix, kMinPrefix);
  }
  std::vector<std::string> matches;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(objects_dir(), ec)) {
    const std::string name = e.path().filename().string();
    if (is_id(name) && name.compare(0, p.size(), p) == 0) matches.push_back(name);
  }
  if (matches.empty()) return not_found("no artifact with id {} in {}", id_or_prefix, dir_);
  if (matches.size() > 1) {
    std::sort(matches.begin(), matches.end());
    std::string list;
    for (const auto& m : matches) list += "\n  " + m;
    return invalid_argument("id prefix '{}' is ambiguous; it matches {} artifacts:{}", id_or_prefix, matches.size(), list);
  }
  return matches.front();
}

Expected<PushResult> Registry::push(const std::string& model, const std::string& report, const std::string& name) {
  TFC_ASSIGN_OR_RETURN(const std::vector<uint8_t> bytes, io::read_file(model));
  if (bytes.empty()) return invalid_argument("{}: empty file, not a model", model);
  std::vector<uint8_t> report_bytes;
  if (!report.empty()) {
    TFC_ASSIGN_OR_RETURN(report_bytes, io::read_file(report));
    TFC_RETURN_IF_ERROR(io::parse_json(report_bytes, report, "report").status());
  }
  PushResult r;
  r.id = io::sha256_hex(bytes);
  std::error_code ec;
  const std::string source = fs::absolute(model, ec).lexically_normal().string();
  const json meta = {{"schema", "tfcompress-artifact"},
                     {"sha256", r.id},
                     {"size_bytes", bytes.size()},
                     {"name", name.empty() ? fs::path(model).stem().string() : name},
                     {"source_path", ec ? model : source},
                     {"pushed_at", now_iso()},
                     {"report", report.empty() ? json(nullptr) : json("report.json")}};
  const std::string object = objects_dir() + "/" + r.id;

  // Stage a complete, fsynced copy outside the lock (the slow part).
  std::string stage;
  if (!fs::exists(object, ec)) {
    static std::atomic<uint64_t> counter{0};
    stage = fmt::format("{}/push-{}-{}-{}", tmp_dir(), ::getpid(),
                        std::chrono::steady_clock::now().time_since_epoch().count(), counter++);
    if (::mkdir(stage.c_str(), 0755) != 0) return errno_status(stage, "create staging directory", errno);
    Status s = io::write_file_durable(stage + "/model.tflite", bytes);
    if (s && !report.empty()) s = io::write_file_durable(stage + "/report.json", report_bytes);
    if (s) s = io::write_file_durable(stage + "/meta.json", dump(meta));
    if (!s) {
      fs::remove_all(stage, ec);
      return s;
    }
  }

  TFC_ASSIGN_OR_RETURN(FileLock lock, FileLock::acquire(dir_ + "/lock"));
  if (!stage.empty()) {
    if (::rename(stage.c_str(), object.c_str()) == 0) {
      TFC_RETURN_IF_ERROR(io::sync_directory(objects_dir()));
      r.report_attached = !report.empty();
    } else {
      const int err = errno;
      fs::remove_all(stage, ec);
      if ((err != EEXIST && err != ENOTEMPTY) || !fs::exists(object, ec)) {
        return errno_status(object, "move the staged artifact to", err);
      }
      r.already_stored = true;  // another push stored the same bytes meanwhile
    }
  } else {
    r.already_stored = true;
  }
  if (r.already_stored) {
    if (!check_artifact(r.id).empty()) {  // the stored copy is damaged: these bytes are the right ones
      TFC_RETURN_IF_ERROR(io::write_file_durable(model_path(r.id), bytes));
      r.repaired = true;
    }
    auto stored_meta = io::read_json_file(object + "/meta.json", "artifact metadata");
    const bool meta_ok = stored_meta.has_value() && stored_meta->is_object() && stored_meta->contains("report");
    const bool has_report = meta_ok && !stored_meta->at("report").is_null() && fs::exists(report_path(r.id), ec);
    if (!report.empty() && !has_report) {
      TFC_RETURN_IF_ERROR(io::write_file_durable(report_path(r.id), report_bytes));
      r.report_attached = true;
    }
    if (!meta_ok || r.report_attached) {
      json updated = meta_ok ? *stored_meta : meta;
      updated["report"] = (has_report || r.report_attached) ? json("report.json") : json(nullptr);
      TFC_RETURN_IF_ERROR(io::write_file_durable(object + "/meta.json", dump(updated)));
    }
  }
  TFC_ASSIGN_OR_RETURN(State state, read_state());
  append_history(state, "push", r.id, state.production);
  TFC_RETURN_IF_ERROR(write_state(state));
  return r;
}

Expected<SwitchResult> Registry::promote(const std::string& model_or_id) {
  std::string id;
  std::error_code ec;
  if (fs::is_regular_file(model_or_id, ec)) {
    TFC_ASSIGN_OR_RETURN(const PushResult pushed, push(model_or_id, "", ""));
    id = pushed.id;
  } else if (!is_hex(lower(model_or_id))) {
    return not_found("{}: no such model file, and not an artifact id", model_or_id);
  }
  TFC_ASSIGN_OR_RETURN(FileLock lock, FileLock::acquire(dir_ + "/lock"));
  if (id.empty()) {
    TFC_ASSIGN_OR_RETURN(id, resolve(model_or_id));
  }
  TFC_ASSIGN_OR_RETURN(State state, read_state());
  SwitchResult r{id, state.production, false};
  if (state.production == id) return r;
  if (const std::string problem = check_artifact(id); !problem.empty()) {
    return check_failed("refusing to promote {}: {}", short_id(id), problem);
  }
  state.stack.push_back(id);
  state.production = id;
  append_history(state, "promote", id, r.previous);
  TFC_RETURN_IF_ERROR(write_state(state));
  r.changed = true;
  return r;
}

Expected<SwitchResult> Registry::rollback(const std::string& to) {
  TFC_ASSIGN_OR_RETURN(FileLock lock, FileLock::acquire(dir_ + "/lock"));
  TFC_ASSIGN_OR_RETURN(State state, read_state());
  if (state.stack.size() < 2) {
    return check_failed("no previous production to roll back to ({})",
                        state.production ? fmt::format("{} is the first one promoted", short_id(*state.production))
                                         : std::string("nothing has been promoted"));
  }
  size_t target = state.stack.size() - 2;
  if (!to.empty()) {
    TFC_ASSIGN_OR_RETURN(const std::string id, resolve(to));
    const auto below = state.stack.begin() + static_cast<std::ptrdiff_t>(state.stack.size() - 1);
    const auto it = std::find(std::make_reverse_iterator(below), state.stack.rend(), id);
    if (it == state.stack.rend()) {
      return check_failed("{} is not an earlier production (rollback only goes back down the stack; use promote)",
                          short_id(id));
    }
    target = static_cast<size_t>(std::distance(state.stack.begin(), it.base()) - 1);
  }
  const std::string id = state.stack[target];
  if (const std::string problem = check_artifact(id); !problem.empty()) {
    return check_failed("refusing to roll back to {}: {}", short_id(id), problem);
  }
  SwitchResult r{id, state.production, true};
  state.stack.resize(target + 1);
  state.production = id;
  append_history(state, "rollback", id, r.previous);
  TFC_RETURN_IF_ERROR(write_state(state));
  return r;
}

Expected<std::vector<Artifact>> Registry::list() const {
  std::vector<Artifact> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(objects_dir(), ec)) {
    const std::string name = e.path().filename().string();
    if (!is_id(name)) continue;
    auto a = read_artifact(name);
    if (a.has_value()) out.push_back(std::move(*a));  // one removed meanwhile by gc is skipped
  }
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return invalid_argument("{}: cannot list: {}", objects_dir(), ec.message());
  }
  std::sort(out.begin(), out.end(), [](const Artifact& a, const Artifact& b) {
    return std::tie(a.pushed_at, a.id) < std::tie(b.pushed_at, b.id);
  });
  return out;
}

Expected<VerifyResult> Registry::verify(const std::string& only) const {
  VerifyResult r;
  std::vector<std::string> ids;
  std::set<std::string> present;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(objects_dir(), ec)) {
    const std::string name = e.path().filename().string();
    if (is_id(name)) {
      present.insert(name);
    } else {
      r.problems.push_back(fmt::format("objects/{}: unexpected entry (not a sha256 id)", name));
    }
  }
  if (ec) r.problems.push_back(fmt::format("{}: cannot list: {}", objects_dir(), ec.message()));
  if (!only.empty()) {
    TFC_ASSIGN_OR_RETURN(const std::string id, resolve(only));
    ids.push_back(id);
  } else {
    ids.assign(present.begin(), present.end());
  }

  auto check_one = [&](const std::string& id) {
    ++r.artifacts_checked;
    if (std::string p = check_artifact(id); !p.empty()) r.problems.push_back(fmt::format("artifact {}: {}", id, p));
    const std::string base = objects_dir() + "/" + id;
    auto meta = io::read_json_file(base + "/meta.json", "artifact metadata");
    if (!meta.has_value()) {
      r.problems.push_back(fmt::format("artifact {}: {}", id, meta.status().message()));
      return;
    }
    try {
      if (meta->at("sha256").get<std::string>() != id) {
        r.problems.push_back(fmt::format("artifact {}: meta.json names sha256 {}", id, meta->at("sha256").get<std::string>()));
      }
      const uint64_t size = integer_at<uint64_t>(*meta, "size_bytes");
      if (size != file_size_or_zero(model_path(id))) {
        r.problems.push_back(fmt::format("artifact {}: meta.json says {} bytes, model.tflite has {}", id, size,
                                         file_size_or_zero(model_path(id))));
      }
      if (meta->contains("report") && !meta->at("report").is_null()) {
        auto report = io::read_json_file(report_path(id), "report");
        if (!report.has_value()) r.problems.push_back(fmt::format("artifact {}: {}", id, report.status().message()));
      }
    } catch (const std::exception& e) {
      r.problems.push_back(fmt::format("artifact {}: meta.json malformed: {}", id, e.what()));
    }
  };
  for (const auto& id : ids) check_one(id);

  auto state = read_state();
  if (!state.has_value()) {
    r.problems.push_back(state.status().message());
    return r;
  }
  auto require = [&](const std::string& id, const std::string& where) {
    if (!present.count(id)) r.problems.push_back(fmt::format("{} names {}, which is not stored", where, id));
  };
  if (state->production) {
    require(*state->production, "production");
    if (present.count(*state->production) &&
        std::find(ids.begin(), ids.end(), *state->production) == ids.end()) {
      check_one(*state->production);
    }
  }
  for (size_t i = 0; i < state->stack.size(); ++i) require(state->stack[i], fmt::format("stack[{}]", i));
  for (size_t i = 0; i < state->history.size(); ++i) {
    const HistoryEntry& h = state->history[i];
    if (h.seq != static_cast<int64_t>(i) + 1) {
      r.problems.push_back(fmt::format("history entry {} has seq {} (expected {})", i, h.seq, i + 1));
    }
    // Never-promoted artifacts may have been removed by gc --keep-last; pushes are not checked.
    if (h.action != "push") require(h.id, fmt::format("history seq {} ({})", h.seq, h.action));
    if (h.previous) require(*h.previous, fmt::format("history seq {} (previous)", h.seq));
  }
  return r;
}

Expected<GcResult> Registry::gc(const GcOptions& o) {
  TFC_ASSIGN_OR_RETURN(FileLock lock, FileLock::acquire(dir_ + "/lock"));
  TFC_ASSIGN_OR_RETURN(const State state, read_state());
  GcResult r;
  std::error_code ec;

  auto stale = [&](const std::string& path, const std::string& name) {
    const double age = age_seconds(path);
    const long pid = leftover_pid(name);
    if (pid == ::getpid()) return false;
    return (pid > 0 && !pid_alive(pid) && age >= o.min_age_seconds) || age >= o.max_age_seconds;
  };
  auto remove = [&](const std::string& path) {
    r.removed_leftovers.push_back(fs::relative(path, dir_, ec).string());
    if (!o.dry_run) fs::remove_all(path, ec);
  };
  for (const auto& e : fs::directory_iterator(tmp_dir(), ec)) {
    if (stale(e.path().string(), e.path().filename().string())) remove(e.path().string());
  }
  auto sweep_temp_files = [&](const std::string& dir) {
    std::error_code dec;
    for (const auto& e : fs::directory_iterator(dir, dec)) {
      const std::string name = e.path().filename().string();
      if (name.find(".tmp-") != std::string::npos && stale(e.path().string(), name)) remove(e.path().string());
    }
  };
  sweep_temp_files(dir_);
  for (const auto& e : fs::directory_iterator(objects_dir(), ec)) {
    if (e.is_directory(ec)) sweep_temp_files(e.path().string());
  }

  std::set<std::string> promoted(state.stack.begin(), state.stack.end());
  if (state.production) promoted.insert(*state.production);
  for (const HistoryEntry& h : state.history) {
    if (h.action != "push") promoted.insert(h.id);
    if (h.previous) promoted.insert(*h.previous);
  }
  TFC_ASSIGN_OR_RETURN(const std::vector<Artifact> artifacts, list());
  const size_t keep = o.keep_last ? static_cast<size_t>(std::max(0, *o.keep_last)) : artifacts.size();
  for (size_t i = 0; i < artifacts.size(); ++i) {
    const std::string& id = artifacts[i].id;
    const bool newest = i + keep >= artifacts.size();
    if (newest || promoted.count(id)) {
      r.kept_artifacts.push_back(id);
      continue;
    }
    r.removed_artifacts.push_back(id);
    if (o.dry_run) continue;
    // Move it out of objects/ in one atomic step, then delete it at leisure.
    const std::string doomed = fmt::format("{}/gc-{}-{}", tmp_dir(), ::getpid(), id);
    if (::rename((objects_dir() + "/" + id).c_str(), doomed.c_str()) != 0) {
      return errno_status(objects_dir() + "/" + id, "move out for removal", errno);
    }
    TFC_RETURN_IF_ERROR(io::sync_directory(objects_dir()));
    fs::remove_all(doomed, ec);
  }
  return r;
}

}  // namespace tfc::registry
