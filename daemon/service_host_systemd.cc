// systemd: Type=notify with WatchdogSec. Outside systemd every call is a no-op
// (sd_notify returns 0 when NOTIFY_SOCKET is unset).
#include <systemd/sd-daemon.h>

#include "daemon/service_host.h"

namespace discrec::daemon {
namespace {

class SystemdServiceHost final : public ServiceHost {
 public:
  SystemdServiceHost() {
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0) interval_ = std::chrono::microseconds(usec / 2);
  }
  void ready() override { sd_notify(0, "READY=1"); }
  void status(const std::string& text) override { sd_notifyf(0, "STATUS=%s", text.c_str()); }
  void reloading() override { sd_notify(0, "RELOADING=1"); }
  void stopping() override { sd_notify(0, "STOPPING=1"); }
  void watchdog() override { sd_notify(0, "WATCHDOG=1"); }
  std::chrono::microseconds watchdog_interval() const override { return interval_; }

 private:
  std::chrono::microseconds interval_{0};
};

}  // namespace

std::unique_ptr<ServiceHost> make_service_host() { return std::make_unique<SystemdServiceHost>(); }

}  // namespace discrec::daemon
