// The one place where discrec errors become gRPC statuses.
#pragma once

#include <grpcpp/support/status.h>

#include "base/result.h"

namespace discrec::daemon {

// unknown drive -> NOT_FOUND, admission refused -> RESOURCE_EXHAUSTED, wrong
// state -> FAILED_PRECONDITION, bad source URL -> INVALID_ARGUMENT, ...
// The message is the error's readable text (command, sense, numbers).
grpc::Status to_grpc_status(const Error& error);

inline grpc::Status to_grpc_status(const Status& status) {
  return status.ok() ? grpc::Status::OK : to_grpc_status(status.error());
}

}  // namespace discrec::daemon
