#include "daemon/status.h"

namespace discrec::daemon {

grpc::Status to_grpc_status(const Error& error) {
  grpc::StatusCode code = grpc::StatusCode::UNKNOWN;
  switch (error.code()) {
    case ErrorCode::kInvalidArgument: code = grpc::StatusCode::INVALID_ARGUMENT; break;
    case ErrorCode::kNotFound: code = grpc::StatusCode::NOT_FOUND; break;
    case ErrorCode::kFailedPrecondition: code = grpc::StatusCode::FAILED_PRECONDITION; break;
    case ErrorCode::kResourceExhausted: code = grpc::StatusCode::RESOURCE_EXHAUSTED; break;
    case ErrorCode::kUnavailable: code = grpc::StatusCode::UNAVAILABLE; break;
    case ErrorCode::kTimeout: code = grpc::StatusCode::DEADLINE_EXCEEDED; break;
    // A drive that refuses a command is a state problem the user can act on
    // (no disc, wrong medium, disc closed), reported with its sense.
    case ErrorCode::kCheckCondition: code = grpc::StatusCode::FAILED_PRECONDITION; break;
    case ErrorCode::kTransport: code = grpc::StatusCode::UNAVAILABLE; break;
    case ErrorCode::kMalformedResponse: code = grpc::StatusCode::INTERNAL; break;
    case ErrorCode::kUnsupported: code = grpc::StatusCode::UNIMPLEMENTED; break;
    case ErrorCode::kIo: code = grpc::StatusCode::INTERNAL; break;
    case ErrorCode::kDataLoss: code = grpc::StatusCode::DATA_LOSS; break;
    case ErrorCode::kAborted: code = grpc::StatusCode::ABORTED; break;
    case ErrorCode::kInternal: code = grpc::StatusCode::INTERNAL; break;
    case ErrorCode::kPermissionDenied: code = grpc::StatusCode::PERMISSION_DENIED; break;
  }
  return grpc::Status(code, error.to_string());
}

}  // namespace discrec::daemon
