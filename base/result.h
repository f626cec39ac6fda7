// discrec's one error type and the Result<T> that carries it.
//
// Why not std::expected: g++ 12 has it under -std=c++23, but clang 14 (the
// libFuzzer compiler on Debian 12) cannot compile libstdc++'s <expected>, and
// every parser here is fuzzed. This is the small subset we need.
//
// Thread-safety: value types; no shared state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace discrec {

// What went wrong, in terms a caller can act on. The daemon maps these onto
// gRPC codes in exactly one place (daemon/status.cc).
enum class ErrorCode {
  kInvalidArgument,     // the caller asked for something malformed
  kPermissionDenied,    // well formed, but the source policy or the caller's role does not allow it
  kNotFound,            // no such drive / recording / file
  kFailedPrecondition,  // valid request, wrong state (no disc, disc closed, ...)
  kResourceExhausted,   // admission refused, disc full, ring full
  kUnavailable,         // device or source not reachable (yet)
  kTimeout,             // a command or source did not answer in time
  kCheckCondition,      // the drive answered CHECK CONDITION; see sense
  kTransport,           // the command could not be delivered (ioctl, iSCSI)
  kMalformedResponse,   // the drive's answer does not parse
  kUnsupported,         // the drive or medium lacks a feature
  kIo,                  // local file system error (image, journal)
  kDataLoss,            // bytes that should exist do not
  kAborted,             // stopped on request
  kInternal,            // a bug
};

const char* error_code_name(ErrorCode code);

// SCSI sense: key / additional sense code / qualifier.
struct SenseCode {
  uint8_t key = 0;
  uint8_t asc = 0;
  uint8_t ascq = 0;
  friend bool operator==(const SenseCode&, const SenseCode&) = default;
};

class Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}
  Error(ErrorCode code, std::string command, std::string message)
      : code_(code), command_(std::move(command)), message_(std::move(message)) {}

  static Error scsi(std::string command, SenseCode sense, std::string message) {
    Error e(ErrorCode::kCheckCondition, std::move(command), std::move(message));
    e.sense_ = sense;
    return e;
  }
  // Same, with a code other than kCheckCondition (e.g. kUnsupported for
  // 5/20/00) while keeping the sense.
  static Error scsi(ErrorCode code, std::string command, SenseCode sense, std::string message) {
    Error e(code, std::move(command), std::move(message));
    e.sense_ = sense;
    return e;
  }

  ErrorCode code() const { return code_; }
  // The command that failed ("WRITE(12)", "GET CONFIGURATION"), empty if none.
  const std::string& command() const { return command_; }
  const std::string& message() const { return message_; }
  const std::optional<SenseCode>& sense() const { return sense_; }
  bool has_sense(uint8_t key, uint8_t asc) const {
    return sense_ && sense_->key == key && sense_->asc == asc;
  }
  bool has_sense(uint8_t key, uint8_t asc, uint8_t ascq) const {
    return sense_ && *sense_ == SenseCode{key, asc, ascq};
  }

  // Adds context in front of the message: "starting recording: WRITE(12): ...".
  Error& with_context(const std::string& context) {
    message_ = context + ": " + message_;
    return *this;
  }

  // "WRITE(12): MEDIUM ERROR 3/0C/00 write error (lba 4096)".
  std::string to_string() const;

 private:
  ErrorCode code_;
  std::string command_;
  std::string message_;
  std::optional<SenseCode> sense_;
};

// Either a T or an Error. Construct from either; test with ok().
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

  template <typename U>
  T value_or(U&& fallback) const& {
    return ok() ? value() : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const& { return *error_; }
  Error&& error() && { return std::move(*error_); }

 private:
  std::optional<Error> error_;
};

using Status = Result<void>;

inline Status ok_status() { return {}; }

}  // namespace discrec

#define DISCREC_CONCAT_INNER(a, b) a##b
#define DISCREC_CONCAT(a, b) DISCREC_CONCAT_INNER(a, b)

// Returns the error of a Result/Status expression from the enclosing function.
#define RETURN_IF_ERROR(expr)                    \
  do {                                           \
    auto _discrec_status = (expr);               \
    if (!_discrec_status.ok()) {                 \
      return std::move(_discrec_status).error(); \
    }                                            \
  } while (0)

// `ASSIGN_OR_RETURN(auto x, make_x());` declares x from a Result or returns its error.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(DISCREC_CONCAT(_discrec_result_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return std::move(tmp).error(); \
  lhs = std::move(tmp).value()
