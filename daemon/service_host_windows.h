// discrecd as a Windows service (Service Control Manager). The daemon's
// main calls run_as_service(); under the SCM that registers the control
// handler and reports START_PENDING -> RUNNING (ServiceHost::ready) ->
// STOP_PENDING (stop request, with a rising checkpoint while recordings are
// finalized or journaled) -> STOPPED with the body's exit code. Started from
// a console it runs the body directly and Ctrl+C / Ctrl+Break / closing the
// console become the same stop request.
//
// The serve loop takes requests with wait_for_control() where the Linux
// build takes signals (SIGTERM -> kStop, SIGHUP -> kReload).
//
// Thread-safety: every function is thread-safe; the SCM calls the control
// handler on the dispatcher thread.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "daemon/service_host.h"
#include "base/result.h"

namespace discrec::daemon {

struct ServiceInstallOptions {
  std::string name = "discrecd";
  std::string display_name = "discrec optical recording daemon";
  std::string description = "Records live video onto optical discs in MMC real-time streaming mode.";
  // Full command line, quoted: "\"C:\\Program Files\\discrec\\discrecd.exe\" serve --config ...".
  std::string command_line;
  // Time the SCM grants at system shutdown before it ends the process: long
  // enough to close a track or journal every open recording.
  std::chrono::seconds preshutdown_timeout{180};
  bool start_automatically = true;
};

// CreateService (own process, LocalSystem, auto or demand start), its
// description, preshutdown timeout and "restart after 5 s" failure actions.
// Errors: kFailedPrecondition without administrator rights, kInvalidArgument
// if it already exists.
Status install_service(const ServiceInstallOptions& options);
Status uninstall_service(const std::string& name);
// StartService, then waits until RUNNING (or fails with the service's exit code).
Status start_service(const std::string& name, std::chrono::milliseconds wait);
// ControlService(STOP), then waits until STOPPED.
Status stop_service(const std::string& name, std::chrono::milliseconds wait);

// Runs `body` under the SCM as service `name`, or directly when the process
// was not started by the SCM. Returns the body's exit code.
int run_as_service(const std::string& name, const std::function<int()>& body);

// The request that arrived since the last call, waiting up to `timeout`.
ServiceControl wait_for_control(std::chrono::milliseconds timeout);

// True while running under the SCM (false on a console).
bool running_as_service();

}  // namespace discrec::daemon
