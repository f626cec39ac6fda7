// Builds the gRPC server: the discrec.v1 services plus health and reflection,
// on a Unix socket (default, mode from the config) and, only when configured,
// TCP with TLS and a bearer token or client certificates.
#pragma once

#include <grpcpp/server.h>

#include <memory>

#include "daemon/config.h"
#include "daemon/services.h"
#include "device/result.h"

namespace discrec::daemon {

class Server {
 public:
  static Result<std::unique_ptr<Server>> start(ServiceContext& context);
  ~Server();
  void shutdown();
  void wait();

 private:
  explicit Server(ServiceContext& context);
  ServiceContext& context_;
  DriveServiceImpl drives_;
  RecordingServiceImpl recordings_;
  DiscServiceImpl discs_;
  EventServiceImpl events_;
  DaemonServiceImpl daemon_;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace discrec::daemon
