// Status and Expected<T>: errors as values at API boundaries.
// A Status carries a code (mapped to CLI exit codes) and a message that names
// the op, tensor and dtype involved. Not an exception mechanism.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

#include <fmt/format.h>

namespace tfc {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // bad user input: malformed file, wrong shape, bad flag  -> exit 2
  kUnsupported,      // valid input we cannot handle (unknown op, dtype)       -> exit 2
  kNotFound,         // missing file, tensor or name                            -> exit 2
  kCheckFailed,      // a check/gate/compare did not hold                       -> exit 1
  kInternal,         // a bug in tfcompress                                     -> exit 3
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return {}; }
  bool is_ok() const { return code_ == StatusCode::kOk; }
  explicit operator bool() const { return is_ok(); }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Prefixes context, e.g. "reading model.tflite: " + message.
  Status with_context(const std::string& context) const {
    if (is_ok()) return *this;
    return {code_, context + ": " + message_};
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

template <typename... Args>
Status invalid_argument(fmt::format_string<Args...> f, Args&&... args) {
  return {StatusCode::kInvalidArgument, fmt::format(f, std::forward<Args>(args)...)};
}
template <typename... Args>
Status unsupported(fmt::format_string<Args...> f, Args&&... args) {
  return {StatusCode::kUnsupported, fmt::format(f, std::forward<Args>(args)...)};
}
template <typename... Args>
Status not_found(fmt::format_string<Args...> f, Args&&... args) {
  return {StatusCode::kNotFound, fmt::format(f, std::forward<Args>(args)...)};
}
template <typename... Args>
Status internal_error(fmt::format_string<Args...> f, Args&&... args) {
  return {StatusCode::kInternal, fmt::format(f, std::forward<Args>(args)...)};
}
template <typename... Args>
Status check_failed(fmt::format_string<Args...> f, Args&&... args) {
  return {StatusCode::kCheckFailed, fmt::format(f, std::forward<Args>(args)...)};
}

// Exit code a CLI command returns for a status (see docs/ARCHITECTURE.md).
inline int exit_code(const Status& s) {
  switch (s.code()) {
    case StatusCode::kOk: return 0;
    case StatusCode::kCheckFailed: return 1;
    case StatusCode::kInvalidArgument:
    case StatusCode::kUnsupported:
    case StatusCode::kNotFound: return 2;
    case StatusCode::kInternal: return 3;
  }
  return 3;
}

// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : v_(std::move(value)) {}
  Expected(Status status) : v_(std::move(status)) { assert(!std::get<Status>(v_).is_ok()); }

  bool has_value() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return has_value(); }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Status& status() const {
    static const Status kOk;
    return has_value() ? kOk : std::get<Status>(v_);
  }

 private:
  std::variant<T, Status> v_;
};

}  // namespace tfc

// Returns early from the enclosing function when `expr` yields a failed Status.
#define TFC_RETURN_IF_ERROR(expr)              \
  do {                                         \
    ::tfc::Status tfc_status_ = (expr);        \
    if (!tfc_status_.is_ok()) return tfc_status_; \
  } while (0)

#define TFC_CONCAT_INNER(a, b) a##b
#define TFC_CONCAT(a, b) TFC_CONCAT_INNER(a, b)
// Declares `lhs` from an Expected<T> expression or returns its Status.
#define TFC_ASSIGN_OR_RETURN(lhs, expr) \
  TFC_ASSIGN_OR_RETURN_IMPL(TFC_CONCAT(tfc_expected_, __LINE__), lhs, expr)
#define TFC_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.has_value()) return tmp.status();      \
  lhs = std::move(tmp).value()
