// `tfcompress report REPORT.json -o DIR [--format md|html|all]`: renders
// report.md and/or report.html again from a report.json written by
// `tfcompress eval`.
// Not: evaluating models; the figures are taken from the JSON as they are.
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "io/file_util.h"
#include "io/json_file.h"
#include "report/render.h"

namespace tfc::cli {
namespace {

struct ReportOptions {
  std::string report;
  std::string out_dir;
  std::string format = "all";
};

Expected<nlohmann::json> read_report(const std::string& path) {
  TFC_ASSIGN_OR_RETURN(nlohmann::json j, io::read_json_file(path, "report"));
  Status s = report::check_report_schema(j);
  if (!s.is_ok()) return s.with_context(path);
  return j;
}

Status run_report(const ReportOptions& o) {
  TFC_ASSIGN_OR_RETURN(nlohmann::json report, read_report(o.report));
  std::error_code ec;
  std::filesystem::create_directories(o.out_dir, ec);
  if (ec) return invalid_argument("cannot create output directory {}: {}", o.out_dir, ec.message());
  const std::filesystem::path dir(o.out_dir);
  if (o.format == "md" || o.format == "all") {
    const std::string path = (dir / "report.md").string();
    TFC_RETURN_IF_ERROR(io::write_file_durable(path, report::render_markdown(report)));
    fmt::print("wrote {}\n", path);
  }
  if (o.format == "html" || o.format == "all") {
    const std::string path = (dir / "report.html").string();
    TFC_RETURN_IF_ERROR(io::write_file_durable(path, report::render_html(report)));
    fmt::print("wrote {}\n", path);
  }
  return Status::ok();
}

}  // namespace

Command report_command() {
  return {"report", "Render report.md / report.html from an eval report.json", [](CLI::App& app) {
            auto o = std::make_shared<ReportOptions>();
            app.add_option("report", o->report, "report.json written by 'tfcompress eval'")->required();
            app.add_option("-o,--output", o->out_dir, "Directory for report.md / report.html (created if missing)")
                ->required();
            app.add_option("--format", o->format, "md | html | all")
                ->check(CLI::IsMember({"md", "html", "all"}))
                ->capture_default_str();
            app.footer(
                "Example:\n  tfcompress report eval/report.json -o eval --format html\n"
                "The HTML page is self-contained (inline CSS and SVG plots); open it in any browser.");
            return [o] { return run_report(*o); };
          }};
}

}  // namespace tfc::cli
