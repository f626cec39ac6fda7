// systemd: Type=notify with WatchdogSec. Outside systemd every call is a no-op
// (sd_notify returns 0 when NOTIFY_SOCKET is unset).
#include <signal.h>

#include <cstdio>
#include <systemd/sd-daemon.h>

#include "daemon/service_host.h"

namespace discrec::daemon {
namespace {

class SystemdServiceHost final : public ServiceHost {
 public:
  SystemdServiceHost() {
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0) interval_ = std::chrono::microseconds(usec / 2);
    // Threads started later inherit this mask, so the signals wait for
    // wait_for_control() instead of interrupting a writer thread.
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGTERM);
    sigaddset(&signals_, SIGINT);
    sigaddset(&signals_, SIGHUP);
    sigset_t blocked = signals_;
    sigaddset(&blocked, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &blocked, nullptr);
  }
  void ready() override { sd_notify(0, "READY=1"); }
  void status(const std::string& text) override { sd_notifyf(0, "STATUS=%s", text.c_str()); }
  void reloading() override { sd_notify(0, "RELOADING=1"); }
  void stopping() override { sd_notify(0, "STOPPING=1"); }
  void watchdog() override { sd_notify(0, "WATCHDOG=1"); }
  std::chrono::microseconds watchdog_interval() const override { return interval_; }
  ServiceControl wait_for_control(std::chrono::milliseconds timeout) override {
    timespec ts{static_cast<time_t>(timeout.count() / 1000), static_cast<long>(timeout.count() % 1000) * 1000000};
    int sig = sigtimedwait(&signals_, nullptr, &ts);
    if (sig == SIGTERM || sig == SIGINT) return ServiceControl::kStop;
    if (sig == SIGHUP) return ServiceControl::kReload;
    return ServiceControl::kNone;
  }

 private:
  std::chrono::microseconds interval_{0};
  sigset_t signals_;
};

}  // namespace

std::unique_ptr<ServiceHost> make_service_host() { return std::make_unique<SystemdServiceHost>(); }

int run_service_command(int, char**, int (*)(int, char**)) {
  std::fprintf(stderr,
               "discrecd service: on Linux, systemd runs the daemon: install daemon/discrecd.service and use\n"
               "  systemctl enable --now discrecd    (it starts `discrecd serve --config ...`)\n");
  return 2;
}

}  // namespace discrec::daemon
