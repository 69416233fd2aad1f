// Writing the three files of a report (see render.h).
#include <filesystem>
#include <system_error>

#include "io/file_util.h"
#include "report/render.h"

namespace tfc::report {

Status write_report_files(const Report& report, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return invalid_argument("cannot create directory {}: {}", dir, ec.message());
  const std::filesystem::path d(dir);
  TFC_RETURN_IF_ERROR(io::write_file_durable((d / "report.json").string(), report_text(report)));
  TFC_RETURN_IF_ERROR(io::write_file_durable((d / "report.md").string(), render_markdown(report)));
  TFC_RETURN_IF_ERROR(io::write_file_durable((d / "report.html").string(), render_html(report)));
  return Status::ok();
}

}  // namespace tfc::report
