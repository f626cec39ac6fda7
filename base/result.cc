#include "base/result.h"

#include <cstdio>

namespace discrec {

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid argument";
    case ErrorCode::kPermissionDenied: return "permission denied";
    case ErrorCode::kNotFound: return "not found";
    case ErrorCode::kFailedPrecondition: return "failed precondition";
    case ErrorCode::kResourceExhausted: return "resource exhausted";
    case ErrorCode::kUnavailable: return "unavailable";
    case ErrorCode::kTimeout: return "timeout";
    case ErrorCode::kCheckCondition: return "check condition";
    case ErrorCode::kTransport: return "transport error";
    case ErrorCode::kMalformedResponse: return "malformed response";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kIo: return "i/o error";
    case ErrorCode::kDataLoss: return "data loss";
    case ErrorCode::kAborted: return "aborted";
    case ErrorCode::kInternal: return "internal error";
  }
  return "unknown error";
}

std::string Error::to_string() const {
  std::string out;
  if (!command_.empty()) out += command_ + ": ";
  out += message_;
  if (sense_) {
    char buf[32];
    std::snprintf(buf, sizeof buf, " [sense %X/%02X/%02X]", sense_->key, sense_->asc, sense_->ascq);
    out += buf;
  }
  return out;
}

}  // namespace discrec
