// `tfcompress registry push|list|promote|rollback|verify|gc`: the command-line
// face of the content-addressed model registry (registry/registry.h): options,
// help text and output formatting (text, or JSON on stdout with --json).
// Not: the storage, locking or crash-safety logic, which live in registry.cc.
#include <memory>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "registry/registry.h"

namespace tfc::cli {
namespace {

using json = nlohmann::json;

struct RegistryOptions {
  std::string registry;  // --registry (empty: $TFC_REGISTRY or ./.tfcompress-registry)
  bool json = false;
  std::string model, report, name;  // push
  std::string target;               // promote MODEL|ID, verify [ID]
  std::string to;                   // rollback --to
  int keep_last = -1;               // gc --keep-last (-1: keep all)
  bool dry_run = false;             // gc --dry-run

  std::string dir() const { return registry.empty() ? registry::default_registry_dir() : registry; }
};

std::string short_id(const std::string& id) { return id.substr(0, 12); }

std::string human_size(uint64_t n) {
  if (n >= (uint64_t{1} << 30)) return fmt::format("{:.1f} GiB", static_cast<double>(n) / (1 << 30));
  if (n >= (uint64_t{1} << 20)) return fmt::format("{:.1f} MiB", static_cast<double>(n) / (1 << 20));
  if (n >= 1024) return fmt::format("{:.1f} KiB", static_cast<double>(n) / 1024);
  return fmt::format("{} B", n);
}

json opt(const std::optional<std::string>& s) { return s ? json(*s) : json(nullptr); }

Status run_push(const RegistryOptions& o) {
  TFC_ASSIGN_OR_RETURN(auto reg, registry::Registry::open(o.dir(), /*create=*/true));
  TFC_ASSIGN_OR_RETURN(const registry::PushResult r, reg.push(o.model, o.report, o.name));
  if (o.json) {
    fmt::print("{}\n", json{{"id", r.id},
                            {"already_stored", r.already_stored},
                            {"report_attached", r.report_attached},
                            {"repaired", r.repaired},
                            {"model", reg.model_path(r.id)}}
                           .dump(2));
    return Status::ok();
  }
  fmt::print("{}\n", r.id);
  fmt::print(stderr, "{} {}{}{}\n", r.already_stored ? "already stored as" : "stored as", short_id(r.id),
             r.report_attached ? ", report attached" : "", r.repaired ? " (damaged stored copy repaired)" : "");
  return Status::ok();
}

Status print_switch(const registry::Registry& reg, const registry::SwitchResult& r, const char* verb, bool as_json) {
  if (as_json) {
    fmt::print("{}\n", json{{"production", r.id},
                            {"previous", opt(r.previous)},
                            {"changed", r.changed},
                            {"model", reg.model_path(r.id)}}
                           .dump(2));
    return Status::ok();
  }
  if (!r.changed) {
    fmt::print("{} is already the production; nothing changed\n", short_id(r.id));
  } else {
    fmt::print("{} {} (was {})\n", verb, r.id, r.previous ? short_id(*r.previous) : std::string("none"));
  }
  fmt::print("production model: {}\n", reg.model_path(r.id));
  return Status::ok();
}

Status run_promote(const RegistryOptions& o) {
  TFC_ASSIGN_OR_RETURN(auto reg, registry::Registry::open(o.dir(), /*create=*/true));
  TFC_ASSIGN_OR_RETURN(const registry::SwitchResult r, reg.promote(o.target));
  return print_switch(reg, r, "promoted", o.json);
}

Status run_rollback(const RegistryOptions& o) {
  TFC_ASSIGN_OR_RETURN(auto reg, registry::Registry::open(o.dir(), /*create=*/false));
  TFC_ASSIGN_OR_RETURN(const registry::SwitchResult r, reg.rollback(o.to));
  return print_switch(reg, r, "rolled back to", o.json);
}

Status run_list(const RegistryOptions& o) {
  TFC_ASSIGN_OR_RETURN(auto reg, registry::Registry::open(o.dir(), /*create=*/false));
  TFC_ASSIGN_OR_RETURN(const registry::State state, reg.state());
  TFC_ASSIGN_OR_RETURN(const auto artifacts, reg.list());
  auto is_prod = [&](const std::string& id) { return state.production == id; };
  auto in_stack = [&](const std::string& id) {
    return std::find(state.stack.begin(), state.stack.end(), id) != state.stack.end();
  };
  if (o.json) {
    json items = json::array();
    for (const auto& a : artifacts) {
      items.push_back({{"id", a.id},
                       {"name", a.name},
                       {"size_bytes", a.size_bytes},
                       {"pushed_at", a.pushed_at},
                       {"source_path", a.source_path},
                       {"production", is_prod(a.id)},
                       {"in_stack", in_stack(a.id)},
                       {"model", reg.model_path(a.id)},
                       {"report", a.has_report ? json(reg.report_path(a.id)) : json(nullptr)},
                       {"meta_error", a.meta_error.empty() ? json(nullptr) : json(a.meta_error)}});
    }
    fmt::print("{}\n", json{{"registry", reg.dir()},
                            {"production", opt(state.production)},
                            {"production_model", state.production ? json(reg.model_path(*state.production)) : json(nullptr)},
                            {"stack", state.stack},
                            {"artifacts", std::move(items)}}
                           .dump(2));
    return Status::ok();
  }
  if (artifacts.empty()) {
    fmt::print("{}: no artifacts (push one with: tfcompress registry push MODEL)\n", reg.dir());
    return Status::ok();
  }
  fmt::print("  {:12}  {:>10}  {:24}  {:6}  {}\n", "ID", "SIZE", "PUSHED (UTC)", "REPORT", "NAME");
  for (const auto& a : artifacts) {
    fmt::print("{} {:12}  {:>10}  {:24}  {:6}  {}{}\n", is_prod(a.id) ? '*' : ' ', short_id(a.id),
               human_size(a.size_bytes), a.pushed_at, a.has_report ? "yes" : "-", a.name,
               a.meta_error.empty() ? "" : "  (meta.json unreadable: run verify)");
  }
  if (state.production) {
    fmt::print("production: {}\nproduction model: {}\n", *state.production, reg.model_path(*state.production));
  } else {
    fmt::print("production: none (promote one with: tfcompress registry promote ID)\n");
  }
  return Status::ok();
}

Status run_verify(const RegistryOptions& o) {
  TFC_ASSIGN_OR_RETURN(auto reg, registry::Registry::open(o.dir(), /*create=*/false));
  TFC_ASSIGN_OR_RETURN(const registry::VerifyResult r, reg.verify(o.target));
  if (o.json) {
    fmt::print("{}\n", json{{"registry", reg.dir()},
                            {"ok", r.problems.empty()},
                            {"artifacts_checked", r.artifacts_checked},
                            {"problems", r.problems}}
                           .dump(2));
  } else {
    for (const auto& p : r.problems) fmt::print("problem: {}\n", p);
    fmt::print("{}: {} artifact(s) checked, {} problem(s)\n", reg.dir(), r.artifacts_checked, r.problems.size());
  }
  if (!r.problems.empty()) return check_failed("registry {} failed verification ({} problem(s))", reg.dir(), r.problems.size());
  return Status::ok();
}

Status run_gc(const RegistryOptions& o) {
  TFC_ASSIGN_OR_RETURN(auto reg, registry::Registry::open(o.dir(), /*create=*/false));
  registry::GcOptions go;
  if (o.keep_last >= 0) go.keep_last = o.keep_last;
  go.dry_run = o.dry_run;
  TFC_ASSIGN_OR_RETURN(const registry::GcResult r, reg.gc(go));
  if (o.json) {
    fmt::print("{}\n", json{{"dry_run", o.dry_run},
                            {"removed_leftovers", r.removed_leftovers},
                            {"removed_artifacts", r.removed_artifacts},
                            {"kept_artifacts", r.kept_artifacts}}
                           .dump(2));
    return Status::ok();
  }
  const char* verb = o.dry_run ? "would remove" : "removed";
  for (const auto& p : r.removed_leftovers) fmt::print("{} leftover {}\n", verb, p);
  for (const auto& id : r.removed_artifacts) fmt::print("{} artifact {}\n", verb, id);
  fmt::print("{} {} leftover(s) and {} artifact(s); {} artifact(s) kept\n", verb, r.removed_leftovers.size(),
             r.removed_artifacts.size(), r.kept_artifacts.size());
  return Status::ok();
}

void add_common(CLI::App& app, RegistryOptions& o) {
  app.add_option("--registry", o.registry, "Registry directory (default: $TFC_REGISTRY, else ./.tfcompress-registry)");
  app.add_flag("--json", o.json, "Print machine-readable JSON on stdout");
}

}  // namespace

Command registry_command() {
  return {"registry", "Store models by content hash, promote one to production, roll back instantly", [](CLI::App& app) {
            auto o = std::make_shared<RegistryOptions>();
            auto chosen = std::make_shared<std::function<Status()>>();
            app.require_subcommand(1);
            auto add = [&](const char* name, const char* summary, Status (*run)(const RegistryOptions&)) {
              CLI::App* sub = app.add_subcommand(name, summary);
              add_common(*sub, *o);
              sub->callback([o, chosen, run] { *chosen = [o, run] { return run(*o); }; });
              return sub;
            };

            CLI::App* push = add("push", "Store a model (and its report) under its sha256; prints the id", run_push);
            push->add_option("model", o->model, "Model file (.tflite); stored as opaque bytes")->required();
            push->add_option("--report", o->report, "JSON report to attach (e.g. tfcompress eval's report.json)");
            push->add_option("--name", o->name, "A name to show in list (default: the file's stem)");
            push->footer("Pushing the same bytes twice stores them once.\n"
                         "Example:\n  tfcompress registry push out/model_int8.tflite --report out/report.json");

            CLI::App* list = add("list", "List artifacts, oldest first; * marks the production", run_list);
            list->footer("The last line names the production model file a deployment should read.\n"
                         "Example:\n  tfcompress registry list --json");

            CLI::App* promote = add("promote", "Make an artifact the production (atomic pointer switch)", run_promote);
            promote->add_option("target", o->target, "A model file (pushed first if new) or an artifact id / unique prefix (>= 6 hex)")
                ->required();
            promote->footer("The artifact's bytes are re-hashed first; a corrupted one is refused (exit 1).\n"
                            "Example:\n  tfcompress registry promote 3f2a9c\n  tfcompress registry promote out/model_int8.tflite");

            CLI::App* rollback = add("rollback", "Switch production back to the previous one (no rebuild)", run_rollback);
            rollback->add_option("--to", o->to, "Roll back further, to this earlier production (id or prefix)");
            rollback->footer("Each promote pushes onto a stack of productions; rollback pops it. Exit 1 when there is\n"
                             "no previous production.\n"
                             "Example:\n  tfcompress registry rollback\n  tfcompress registry rollback --to 3f2a9c");

            CLI::App* verify = add("verify", "Re-hash artifacts and check production.json (exit 1 on any problem)", run_verify);
            verify->add_option("id", o->target, "Check only this artifact (id or prefix); default: all");
            verify->footer("Example:\n  tfcompress registry verify && tfcompress registry list");

            CLI::App* gc = add("gc", "Remove leftovers of killed processes and, optionally, old artifacts", run_gc);
            gc->add_option("--keep-last", o->keep_last,
                           "Also remove artifacts never promoted, except the N most recently pushed");
            gc->add_flag("--dry-run", o->dry_run, "Only print what would be removed");
            gc->footer("Production and every artifact ever promoted are never removed; staging leftovers are removed\n"
                       "only once their process is gone.\n"
                       "Example:\n  tfcompress registry gc --keep-last 10 --dry-run");

            app.footer(
                "Artifacts live in DIR/objects/<sha256>/ (model.tflite, meta.json, report.json); DIR/production.json\n"
                "holds the production pointer, the stack of earlier productions and the history. Every id argument\n"
                "accepts a unique prefix of at least 6 hex characters.\n"
                "Example:\n"
                "  export TFC_REGISTRY=/srv/models\n"
                "  ID=$(tfcompress registry push model_int8.tflite --report report.json)\n"
                "  tfcompress registry promote $ID\n"
                "  tfcompress registry rollback      # back to the previous production, instantly");
            return [chosen]() -> Status {
              if (!*chosen) return invalid_argument("registry: a subcommand is required");
              return (*chosen)();
            };
          }};
}

}  // namespace tfc::cli
