// MetricsServer: HTTP for Prometheus, GET /metrics only (Boost.Beast on
// Boost.Asio, one thread of its own).
//
// Nothing here may hold up the daemon: the server runs on its own thread,
// and `render` (called there, once per scrape) must only read snapshots,
// never wait for a drive. A scraper is a stranger: at most
// `max_connections` at once (more are closed as soon as accepted), a
// request head of at most `max_request_bytes`, no body, and every read or
// write bounded by `timeout` (an idle keep-alive connection is closed after
// it). GET /metrics is answered 200; another method on /metrics 405; any
// other target 404.
//
// Thread-safety: start() and stop() from one thread; `render` is called on
// the server's thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/result.h"

namespace discrec::daemon {

struct MetricsServerOptions {
  std::string host = "127.0.0.1";  // an IPv4 or IPv6 literal
  uint16_t port = 9464;            // 0: any free port (port() says which)
  uint32_t max_connections = 4;
  uint32_t max_request_bytes = 8192;
  std::chrono::milliseconds timeout{10'000};
};

class MetricsServer {
 public:
  using Render = std::function<std::string()>;

  // Binds and starts serving. Errors: kInvalidArgument (not an address
  // literal), kUnavailable (cannot bind: in use, not local).
  static Result<std::unique_ptr<MetricsServer>> start(const MetricsServerOptions& options, Render render);
  ~MetricsServer();  // stop()
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  uint16_t port() const;
  // Closes the listener and every connection, and joins the thread.
  void stop();

  struct Impl;

 private:
  explicit MetricsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace discrec::daemon
