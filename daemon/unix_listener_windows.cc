// Windows has no Unix-socket listener: gRPC 1.51 enables Unix sockets only
// on POSIX, and SO_PEERCRED, which gives a peer its role, is Linux's. The
// daemon listens on [daemon.tcp] there (config validation asks for it);
// these definitions exist so that server.cc stays one file.
#include "daemon/unix_listener.h"

namespace discrec::daemon {

namespace {
Error no_unix_sockets() {
  return Error(ErrorCode::kFailedPrecondition,
               "daemon.socket: there is no Unix-socket listener on Windows; set socket = \"\" and use [daemon.tcp]");
}
}  // namespace

Result<uint32_t> socket_group_id(const Config&) { return no_unix_sockets(); }

Result<std::unique_ptr<UnixListener>> UnixListener::create(const Config&, uint32_t) { return no_unix_sockets(); }

UnixListener::~UnixListener() = default;
void UnixListener::start(grpc::Server&, Access&) {}
void UnixListener::stop() {}

}  // namespace discrec::daemon
