// Builds the gRPC server: the discrec.v1 services (behind the access gate,
// daemon/gated_services.h) plus health and reflection, on the Unix socket
// (our own accept loop, daemon/unix_listener.h) and, only when configured,
// TCP with TLS and bearer tokens or client certificates.
#pragma once

#include <grpcpp/server.h>

#include <memory>

#include "daemon/access.h"
#include "daemon/config.h"
#include "daemon/gated_services.h"
#include "daemon/services.h"
#include "daemon/unix_listener.h"
#include "base/result.h"

namespace discrec::daemon {

class Server {
 public:
  static Result<std::unique_ptr<Server>> start(ServiceContext& context);
  ~Server();
  // Stops accepting connections (the accept loop has exited on return), then
  // shuts gRPC down with a 2 s grace for calls in progress.
  void shutdown();
  void wait();

 private:
  Server(ServiceContext& context, AccessPolicy policy);
  ServiceContext& context_;
  Access access_;
  DriveServiceImpl drives_;
  RecordingServiceImpl recordings_;
  DiscServiceImpl discs_;
  EventServiceImpl events_;
  DaemonServiceImpl daemon_;
  CatalogServiceImpl catalog_;
  GatedDriveService gated_drives_;
  GatedRecordingService gated_recordings_;
  GatedDiscService gated_discs_;
  GatedEventService gated_events_;
  GatedDaemonService gated_daemon_;
  GatedCatalogService gated_catalog_;
  std::unique_ptr<UnixListener> listener_;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace discrec::daemon
