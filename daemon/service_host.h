// The service manager the daemon runs under: systemd (sd_notify: READY,
// STATUS, WATCHDOG, STOPPING) on Linux, the Windows SCM on Windows. One
// implementation file per OS, chosen by CMake.
//
// Thread-safety: thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace discrec::daemon {

// What the service manager asks of the daemon.
enum class ServiceControl {
  kNone,    // nothing within the timeout
  kStop,    // SIGTERM/SIGINT; SCM stop, preshutdown, shutdown, console Ctrl+C
  kReload,  // SIGHUP; SCM paramchange
};

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
  // Waits up to `timeout` for a request from the service manager.
  virtual ServiceControl wait_for_control(std::chrono::milliseconds timeout) = 0;
};

// Call before any thread starts: on Linux it blocks the control signals so
// only wait_for_control() takes them (never an asynchronous handler).
std::unique_ptr<ServiceHost> make_service_host();

// `discrecd service <install|uninstall|start|stop|run> [serve options]`: the
// OS service manager's side. On Windows it talks to the SCM (`run` is what
// the SCM starts, and runs `serve` under it); on Linux systemd starts
// `discrecd serve` directly, so it explains that and returns 2.
int run_service_command(int argc, char** argv, int (*serve)(int, char**));

}  // namespace discrec::daemon
