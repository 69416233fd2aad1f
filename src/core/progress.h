// A one-line progress bar for long loops (calibration, evaluation): label,
// done/total, rate and ETA, redrawn in place on a stream (stderr by default).
// Draws only when enabled: by default when the stream is a terminal, so logs
// and pipes stay clean. No dependencies beyond the C++ and POSIX libraries.
// Not: multi-bar layouts, nested tasks or logging.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace tfc {

// When a ProgressBar draws: only on a terminal (kAuto), always, or never.
enum class ProgressMode { kAuto, kAlways, kNever };

// "H:MM:SS" for an hour or more, else "M:SS"; "?" for a negative or
// non-finite number of seconds.
inline std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<int64_t>(std::llround(seconds));
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

// The text of one progress line, e.g.
//   "calibrating [=========>          ]  45/100  12.5/s  ETA 0:04"
// `elapsed_s` is the time since the start; rate and ETA are shown once there
// is something to measure.
inline std::string format_progress_line(const std::string& label, int64_t done, int64_t total, double elapsed_s,
                                        int bar_width = 24) {
  const double fraction = total > 0 ? std::clamp(static_cast<double>(done) / total, 0.0, 1.0) : 0.0;
  const int filled = static_cast<int>(fraction * bar_width);
  std::string bar(static_cast<size_t>(filled), '=');
  if (filled < bar_width) bar += done > 0 ? ">" : " ";
  bar.resize(static_cast<size_t>(bar_width), ' ');
  std::string line = fmt::format("{} [{}] {}/{}", label, bar, done, total);
  if (done > 0 && elapsed_s > 0) {
    const double rate = done / elapsed_s;
    line += fmt::format("  {:.1f}/s", rate);
    line += done >= total ? fmt::format("  {}", format_duration(elapsed_s))
                          : fmt::format("  ETA {}", format_duration((total - done) / rate));
  }
  return line;
}

class ProgressBar {
 public:
  using Clock = std::chrono::steady_clock;

  ProgressBar(std::string label, int64_t total, ProgressMode mode = ProgressMode::kAuto, std::FILE* out = stderr)
      : label_(std::move(label)), total_(total), out_(out), start_(Clock::now()),
        enabled_(mode == ProgressMode::kAlways || (mode == ProgressMode::kAuto && isatty(fileno(out)))) {}
  ~ProgressBar() { finish(); }
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // Text shown after the counts (e.g. "loss 0.412 acc 0.87"), from the next draw on.
  // Copied into a buffer kept from call to call (no allocation once it has grown).
  void set_suffix(std::string_view suffix) { suffix_.assign(suffix); }

  // Records progress; redraws at most every 100 ms, and always at the end.
  void update(int64_t done) {
    done_ = done;
    if (!enabled_ || finished_) return;
    const auto now = Clock::now();
    if (drawn_ && (done == drawn_done_ || (done < total_ && now - last_draw_ < std::chrono::milliseconds(100)))) {
      return;
    }
    last_draw_ = now;
    drawn_ = true;
    drawn_done_ = done;
    std::string line = format_progress_line(label_, done, total_, seconds_since_start(now));
    if (!suffix_.empty()) line += "  " + suffix_;
    // Pad with spaces so that a shorter line fully covers the previous one.
    const size_t pad = width_ > line.size() ? width_ - line.size() : 0;
    width_ = line.size();
    std::fprintf(out_, "\r%s%*s", line.c_str(), static_cast<int>(pad), "");
    std::fflush(out_);
  }

  // Draws the final state and ends the line; later updates draw nothing.
  void finish() {
    if (!enabled_ || finished_) return;
    if (!drawn_ || drawn_done_ != done_) {
      drawn_ = false;
      update(done_);
    }
    std::fputc('\n', out_);
    std::fflush(out_);
    finished_ = true;
  }

 private:
  double seconds_since_start(Clock::time_point now) const {
    return std::chrono::duration<double>(now - start_).count();
  }

  std::string label_;
  std::string suffix_;
  int64_t total_;
  int64_t done_ = 0;
  int64_t drawn_done_ = 0;  // the count shown by the last draw
  std::FILE* out_;
  Clock::time_point start_;
  Clock::time_point last_draw_{};
  size_t width_ = 0;
  bool enabled_;
  bool drawn_ = false;
  bool finished_ = false;
};

}  // namespace tfc
