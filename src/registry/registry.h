// A content-addressed model registry on a local directory: artifacts stored
// under their SHA-256 with the report they were pushed with, a `production`
// pointer with a stack of earlier productions (so a rollback is a pointer switch
// that needs no rebuild), a history of pushes, promotions and rollbacks, a check
// that every artifact still matches its hash, and garbage collection.
//
// Layout of a registry directory DIR:
//   objects/<sha256>/model.tflite   the model bytes, never modified once stored
//   objects/<sha256>/meta.json      {sha256, size_bytes, name, source_path, pushed_at, report}
//   objects/<sha256>/report.json    optional report attached to the artifact
//   production.json                 the pointer, the stack and the history (one file, one truth)
//   lock                            flock(LOCK_EX) held by every writer of production.json
//   tmp/                            staging for pushes; leftovers of killed processes go to gc
//
// Crash safety: an artifact appears in objects/ only by renaming a complete,
// fsynced staging directory; production.json is only ever replaced whole
// (temporary file + fsync + rename + fsync of the directory) under the lock, so
// a process killed at any point leaves either the old or the new state.
// Readers (list, verify) take no lock.
// Not: a model parser (artifacts are opaque bytes), a network service, or safe
// on file systems without atomic rename and flock (some network file systems).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace tfc::registry {

// The directory used when none is given: $TFC_REGISTRY, else ./.tfcompress-registry.
std::string default_registry_dir();

struct Artifact {
  std::string id;  // full lower-case hex SHA-256 of the model bytes
  uint64_t size_bytes = 0;
  std::string name;
  std::string source_path;
  std::string pushed_at;  // UTC ISO-8601 with milliseconds
  bool has_report = false;
  std::string meta_error;  // non-empty when meta.json could not be read
};

struct HistoryEntry {
  int64_t seq = 0;
  std::string action;  // "push" | "promote" | "rollback"
  std::string id;
  std::optional<std::string> previous;  // the production before this action
  std::string at;
  int64_t pid = 0;
};

// The content of production.json.
struct State {
  std::optional<std::string> production;
  std::vector<std::string> stack;  // successive productions, oldest first; back() == production
  std::vector<HistoryEntry> history;
};

nlohmann::json state_to_json(const State& s);
// Parses and checks production.json's content (schema, ids, stack top == production).
Expected<State> state_from_json(const nlohmann::json& j);

struct PushResult {
  std::string id;
  bool already_stored = false;
  bool report_attached = false;  // a report was stored by this push
  bool repaired = false;         // the stored bytes were corrupt and were replaced by this push's
};

struct SwitchResult {
  std::string id;                       // production after the operation
  std::optional<std::string> previous;  // production before it
  bool changed = false;                 // false: it already was the production
};

struct VerifyResult {
  int artifacts_checked = 0;
  std::vector<std::string> problems;
};

struct GcOptions {
  std::optional<int> keep_last;  // also remove never-promoted artifacts beyond the newest N
  bool dry_run = false;
  // A staging leftover whose owner process is gone is removed once older than
  // this; one whose owner seems alive only once older than max_age_seconds (the
  // pid may have been reused).
  double min_age_seconds = 2;
  double max_age_seconds = 3600;
};

struct GcResult {
  std::vector<std::string> removed_leftovers;  // paths under DIR
  std::vector<std::string> removed_artifacts;  // ids
  std::vector<std::string> kept_artifacts;     // ids
};

class Registry {
 public:
  // Opens the registry at `dir`; creates it when `create` is set, otherwise a
  // missing directory is a not_found error.
  static Expected<Registry> open(const std::string& dir, bool create);

  const std::string& dir() const { return dir_; }
  std::string model_path(const std::string& id) const;
  std::string report_path(const std::string& id) const;

  // Stores the model (and the JSON report, when `report_path` is not empty) and
  // records a "push" in the history. `name` defaults to the model's file stem.
  Expected<PushResult> push(const std::string& model_path, const std::string& report_path, const std::string& name);

  // A full id, or a unique prefix of at least 6 hex characters -> full id.
  Expected<std::string> resolve(const std::string& id_or_prefix) const;

  // Makes an artifact the production: `model_or_id` is a model file (pushed
  // first when not stored) or an id/prefix. Refuses an artifact whose bytes no
  // longer match its hash (check_failed).
  Expected<SwitchResult> promote(const std::string& model_or_id);

  // Switches production back to the previous one on the stack, or to the
  // earlier production `to` (an id/prefix), dropping the productions above it.
  // check_failed when there is none.
  Expected<SwitchResult> rollback(const std::string& to = "");

  // Every artifact, oldest push first (readers take no lock).
  Expected<std::vector<Artifact>> list() const;
  // production.json; an empty state when it does not exist yet.
  Expected<State> state() const;

  // Recomputes the hash of every artifact (or of `id` only) and checks
  // production.json; problems are returned, not raised.
  Expected<VerifyResult> verify(const std::string& id = "") const;

  Expected<GcResult> gc(const GcOptions& options);

 private:
  explicit Registry(std::string dir) : dir_(std::move(dir)) {}
  std::string objects_dir() const;
  std::string tmp_dir() const;
  std::string production_file() const;
  Expected<State> read_state() const;
  Status write_state(const State& s) const;
  static void append_history(State& s, const std::string& action, const std::string& id,
                             const std::optional<std::string>& previous);
  // Empty when objects/<id>/model.tflite hashes to id, else what is wrong.
  std::string check_artifact(const std::string& id) const;
  Expected<Artifact> read_artifact(const std::string& id) const;

  std::string dir_;
};

}  // namespace tfc::registry
