// The service manager the daemon runs under: systemd (sd_notify: READY,
// STATUS, WATCHDOG, STOPPING) on Linux, the Windows SCM on Windows. One
// implementation file per OS, chosen by CMake.
//
// Thread-safety: thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <string>

namespace discrec::daemon {

class ServiceHost {
 public:
  virtual ~ServiceHost() = default;
  virtual void ready() = 0;
  virtual void status(const std::string& text) = 0;
  virtual void reloading() = 0;
  virtual void stopping() = 0;
  virtual void watchdog() = 0;
  // How often watchdog() must be called; zero when no watchdog is armed.
  virtual std::chrono::microseconds watchdog_interval() const = 0;
};

std::unique_ptr<ServiceHost> make_service_host();

}  // namespace discrec::daemon
