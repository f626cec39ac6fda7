// The daemon's own listener on its Unix socket.
//
// Why not gRPC's: gRPC 1.51's posix listener gives up for good on one
// EMFILE (the daemon never accepted again after an fd flood), caps nothing,
// and does not tell us who connected. Here we bind the socket ourselves (never
// wider than socket_mode, owned by socket_group, before anyone can connect),
// accept, read SO_PEERCRED/SO_PEERGROUPS, map them to a Peer, enforce the
// connection limits and hand the fd to gRPC (AddInsecureChannelFromFd).
//
// Thread-safety: create/start/stop from one thread; the accept loop runs on
// its own thread.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "daemon/access.h"
#include "daemon/config.h"
#include "base/result.h"

namespace grpc {
class Server;
}

namespace discrec::daemon {

// Resolves daemon.socket_group (empty: the daemon's own group).
Result<uint32_t> socket_group_id(const Config& config);

class UnixListener {
 public:
  // Binds and listens on config.socket_path. Refuses (kFailedPrecondition)
  // when the path exists and is not a socket, or when a daemon answers on
  // it; removes a stale socket. The socket gets socket_mode and
  // socket_group before listen(). Errors: kFailedPrecondition, kIo.
  static Result<std::unique_ptr<UnixListener>> create(const Config& config, uint32_t socket_gid);
  ~UnixListener();  // stops, closes and removes the socket (if still ours)
  UnixListener(const UnixListener&) = delete;
  UnixListener& operator=(const UnixListener&) = delete;

  // Starts the accept loop, handing admitted connections to `server`.
  void start(grpc::Server& server, Access& access);
  // Stops accepting; returns once the loop thread has exited (within one
  // poll wake-up, i.e. promptly).
  void stop();

 private:
  UnixListener(std::string path, int listen_fd, int wake_fd, dev_t dev, ino_t ino);
  void run(grpc::Server& server, Access& access);
  void accept_one(int fd, grpc::Server& server, Access& access);
  void on_fd_exhaustion(int error);

  const std::string path_;
  const int listen_fd_;
  const int wake_fd_;  // eventfd: written by stop()
  const dev_t dev_;    // the socket file we created, so we remove only that
  const ino_t ino_;
  int reserve_fd_ = -1;  // /dev/null, given up to accept-and-close when fds run out
  bool out_of_fds_ = false;
  std::chrono::steady_clock::time_point last_refusal_log_{};
  uint64_t refusals_since_log_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace discrec::daemon
