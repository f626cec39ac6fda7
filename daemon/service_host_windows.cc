// The Windows SCM service host (see service_host_windows.h), chosen by
// daemon/CMakeLists.txt instead of service_host_systemd.cc.
#include "daemon/service_host_windows.h"

#include <windows.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <cstdio>
#include <string>
#include <thread>

namespace discrec::daemon {
namespace {

std::string win32_text(DWORD e) {
  char buffer[256] = {};
  DWORD n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, nullptr, e,
                           MAKELANGID(LANG_ENGLISH, SUBLANG_DEFAULT), buffer, sizeof buffer, nullptr);
  while (n > 0 && (buffer[n - 1] == '\n' || buffer[n - 1] == '\r' || buffer[n - 1] == '.')) --n;
  return "Win32 error " + std::to_string(e) + (n ? ": " + std::string(buffer, n) : std::string());
}

Error scm_error(const std::string& what, DWORD e) {
  ErrorCode code = ErrorCode::kInternal;
  switch (e) {
    case ERROR_ACCESS_DENIED: code = ErrorCode::kFailedPrecondition; break;
    case ERROR_SERVICE_EXISTS:
    case ERROR_DUPLICATE_SERVICE_NAME: code = ErrorCode::kInvalidArgument; break;
    case ERROR_SERVICE_DOES_NOT_EXIST: code = ErrorCode::kNotFound; break;
    case ERROR_SERVICE_ALREADY_RUNNING:
    case ERROR_SERVICE_NOT_ACTIVE:
    case ERROR_SERVICE_MARKED_FOR_DELETE: code = ErrorCode::kFailedPrecondition; break;
    case ERROR_SERVICE_REQUEST_TIMEOUT: code = ErrorCode::kTimeout; break;
    default: break;
  }
  std::string hint = e == ERROR_ACCESS_DENIED ? " (run as administrator)" : "";
  return Error(code, what + ": " + win32_text(e) + hint);
}

// Process-wide service state: one service per process.
struct ServiceState {
  std::mutex mu;
  std::condition_variable cv;
  ServiceControl pending = ServiceControl::kNone;
  SERVICE_STATUS_HANDLE handle = nullptr;
  SERVICE_STATUS status{};
  std::string name;
  const std::function<int()>* body = nullptr;
  int exit_code = 0;
  std::atomic<bool> stopping{false};
  std::thread checkpoint_thread;
};

ServiceState& state() {
  static ServiceState s;
  return s;
}

// Callers hold state().mu.
void report_locked(ServiceState& s, DWORD current, DWORD wait_hint_ms) {
  if (!s.handle) return;
  s.status.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
  s.status.dwCurrentState = current;
  s.status.dwControlsAccepted =
      current == SERVICE_RUNNING ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_PRESHUTDOWN | SERVICE_ACCEPT_PARAMCHANGE : 0;
  s.status.dwWaitHint = wait_hint_ms;
  if (current == SERVICE_RUNNING || current == SERVICE_STOPPED)
    s.status.dwCheckPoint = 0;
  else
    ++s.status.dwCheckPoint;
  SetServiceStatus(s.handle, &s.status);
}

void request(ServiceControl control) {
  ServiceState& s = state();
  {
    std::lock_guard<std::mutex> lock(s.mu);
    // A stop is never downgraded to a reload.
    if (s.pending != ServiceControl::kStop) s.pending = control;
  }
  s.cv.notify_all();
}

// While recordings are being finalized the SCM must see progress, or it
// declares the service hung after the wait hint.
void start_checkpoints(ServiceState& s) {
  if (s.stopping.exchange(true) || !s.handle) return;
  s.checkpoint_thread = std::thread([&s] {
    std::unique_lock<std::mutex> lock(s.mu);
    while (s.status.dwCurrentState == SERVICE_STOP_PENDING) {
      report_locked(s, SERVICE_STOP_PENDING, 30000);
      s.cv.wait_for(lock, std::chrono::seconds(10));
    }
  });
}

DWORD WINAPI control_handler(DWORD control, DWORD, LPVOID, LPVOID) {
  ServiceState& s = state();
  switch (control) {
    case SERVICE_CONTROL_STOP:
    case SERVICE_CONTROL_PRESHUTDOWN:
    case SERVICE_CONTROL_SHUTDOWN: {
      {
        std::lock_guard<std::mutex> lock(s.mu);
        report_locked(s, SERVICE_STOP_PENDING, 30000);
      }
      start_checkpoints(s);
      request(ServiceControl::kStop);
      return NO_ERROR;
    }
    case SERVICE_CONTROL_PARAMCHANGE:
      request(ServiceControl::kReload);
      return NO_ERROR;
    case SERVICE_CONTROL_INTERROGATE:
      return NO_ERROR;
    default:
      return ERROR_CALL_NOT_IMPLEMENTED;
  }
}

void WINAPI service_main(DWORD, LPSTR*) {
  ServiceState& s = state();
  SERVICE_STATUS_HANDLE handle = RegisterServiceCtrlHandlerExA(s.name.c_str(), control_handler, nullptr);
  if (!handle) return;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    s.handle = handle;
    report_locked(s, SERVICE_START_PENDING, 30000);
  }
  int code = (*s.body)();
  {
    std::lock_guard<std::mutex> lock(s.mu);
    s.exit_code = code;
    s.status.dwWin32ExitCode = code == 0 ? NO_ERROR : ERROR_SERVICE_SPECIFIC_ERROR;
    s.status.dwServiceSpecificExitCode = static_cast<DWORD>(code);
    report_locked(s, SERVICE_STOPPED, 0);
  }
  s.cv.notify_all();
  if (s.checkpoint_thread.joinable()) s.checkpoint_thread.join();
}

BOOL WINAPI console_handler(DWORD event) {
  switch (event) {
    case CTRL_C_EVENT:
    case CTRL_BREAK_EVENT:
    case CTRL_CLOSE_EVENT:
    case CTRL_SHUTDOWN_EVENT:
      request(ServiceControl::kStop);
      return TRUE;
    default:
      return FALSE;
  }
}

class WindowsServiceHost final : public ServiceHost {
 public:
  void ready() override {
    ServiceState& s = state();
    std::lock_guard<std::mutex> lock(s.mu);
    if (!s.stopping) report_locked(s, SERVICE_RUNNING, 0);
  }
  // The SCM shows no status text; the daemon's log carries it.
  void status(const std::string&) override {}
  // The SCM has no "reloading" state: the service stays RUNNING.
  void reloading() override {}
  void stopping() override {
    ServiceState& s = state();
    {
      std::lock_guard<std::mutex> lock(s.mu);
      if (s.status.dwCurrentState != SERVICE_STOP_PENDING) report_locked(s, SERVICE_STOP_PENDING, 30000);
    }
    start_checkpoints(s);
  }
  void watchdog() override {}
  std::chrono::microseconds watchdog_interval() const override { return std::chrono::microseconds(0); }
  ServiceControl wait_for_control(std::chrono::milliseconds timeout) override {
    return daemon::wait_for_control(timeout);
  }
};

struct ScHandle {
  SC_HANDLE h = nullptr;
  explicit ScHandle(SC_HANDLE handle) : h(handle) {}
  ~ScHandle() {
    if (h) CloseServiceHandle(h);
  }
  ScHandle(const ScHandle&) = delete;
  ScHandle& operator=(const ScHandle&) = delete;
};

Result<DWORD> wait_for_state(SC_HANDLE service, DWORD wanted, std::chrono::milliseconds wait,
                             const std::string& name) {
  auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    SERVICE_STATUS_PROCESS st{};
    DWORD needed = 0;
    if (!QueryServiceStatusEx(service, SC_STATUS_PROCESS_INFO, reinterpret_cast<LPBYTE>(&st), sizeof st, &needed))
      return scm_error("QueryServiceStatusEx " + name, GetLastError());
    if (st.dwCurrentState == wanted) return st.dwCurrentState;
    // StartService leaves the service START_PENDING at once, so STOPPED
    // here means its main returned.
    if (wanted == SERVICE_RUNNING && st.dwCurrentState == SERVICE_STOPPED)
      return Error(ErrorCode::kUnavailable, name + " stopped while starting (exit code " +
                                                std::to_string(st.dwServiceSpecificExitCode) + ")");
    if (std::chrono::steady_clock::now() >= deadline)
      return Error(ErrorCode::kTimeout, name + ": still in state " + std::to_string(st.dwCurrentState) +
                                            " after " + std::to_string(wait.count()) + " ms");
    Sleep(100);
  }
}

}  // namespace

std::unique_ptr<ServiceHost> make_service_host() { return std::make_unique<WindowsServiceHost>(); }

bool running_as_service() {
  std::lock_guard<std::mutex> lock(state().mu);
  return state().handle != nullptr;
}

int run_as_service(const std::string& name, const std::function<int()>& body) {
  ServiceState& s = state();
  s.name = name;
  s.body = &body;
  std::string table_name = name;
  SERVICE_TABLE_ENTRYA table[] = {{table_name.data(), service_main}, {nullptr, nullptr}};
  if (StartServiceCtrlDispatcherA(table)) return s.exit_code;
  // ERROR_FAILED_SERVICE_CONTROLLER_CONNECT: started from a console.
  SetConsoleCtrlHandler(console_handler, TRUE);
  return body();
}

ServiceControl wait_for_control(std::chrono::milliseconds timeout) {
  ServiceState& s = state();
  std::unique_lock<std::mutex> lock(s.mu);
  s.cv.wait_for(lock, timeout, [&] { return s.pending != ServiceControl::kNone; });
  ServiceControl c = s.pending;
  // A stop stays pending: every later wait sees it too.
  if (c == ServiceControl::kReload) s.pending = ServiceControl::kNone;
  return c;
}

Status install_service(const ServiceInstallOptions& o) {
  if (o.command_line.empty()) return Error(ErrorCode::kInvalidArgument, "install_service: empty command line");
  ScHandle scm(OpenSCManagerA(nullptr, nullptr, SC_MANAGER_CREATE_SERVICE));
  if (!scm.h) return scm_error("OpenSCManager", GetLastError());
  ScHandle service(CreateServiceA(scm.h, o.name.c_str(), o.display_name.c_str(), SERVICE_ALL_ACCESS,
                                  SERVICE_WIN32_OWN_PROCESS,
                                  o.start_automatically ? SERVICE_AUTO_START : SERVICE_DEMAND_START,
                                  SERVICE_ERROR_NORMAL, o.command_line.c_str(), nullptr, nullptr, nullptr,
                                  nullptr, nullptr));
  if (!service.h) return scm_error("CreateService " + o.name, GetLastError());
  // The rest is best effort: the service works without it.
  std::string description = o.description;
  SERVICE_DESCRIPTIONA desc{description.data()};
  ChangeServiceConfig2A(service.h, SERVICE_CONFIG_DESCRIPTION, &desc);
  SERVICE_PRESHUTDOWN_INFO pre{static_cast<DWORD>(o.preshutdown_timeout.count() * 1000)};
  ChangeServiceConfig2A(service.h, SERVICE_CONFIG_PRESHUTDOWN_INFO, &pre);
  SC_ACTION restart[] = {{SC_ACTION_RESTART, 5000}, {SC_ACTION_RESTART, 5000}, {SC_ACTION_NONE, 0}};
  SERVICE_FAILURE_ACTIONSA failure{};
  failure.dwResetPeriod = 24 * 3600;
  failure.cActions = 3;
  failure.lpsaActions = restart;
  ChangeServiceConfig2A(service.h, SERVICE_CONFIG_FAILURE_ACTIONS, &failure);
  return ok_status();
}

Status uninstall_service(const std::string& name) {
  ScHandle scm(OpenSCManagerA(nullptr, nullptr, SC_MANAGER_CONNECT));
  if (!scm.h) return scm_error("OpenSCManager", GetLastError());
  ScHandle service(OpenServiceA(scm.h, name.c_str(), DELETE));
  if (!service.h) return scm_error("OpenService " + name, GetLastError());
  if (!DeleteService(service.h)) return scm_error("DeleteService " + name, GetLastError());
  return ok_status();
}

Status start_service(const std::string& name, std::chrono::milliseconds wait) {
  ScHandle scm(OpenSCManagerA(nullptr, nullptr, SC_MANAGER_CONNECT));
  if (!scm.h) return scm_error("OpenSCManager", GetLastError());
  ScHandle service(OpenServiceA(scm.h, name.c_str(), SERVICE_START | SERVICE_QUERY_STATUS));
  if (!service.h) return scm_error("OpenService " + name, GetLastError());
  if (!StartServiceA(service.h, 0, nullptr)) return scm_error("StartService " + name, GetLastError());
  auto st = wait_for_state(service.h, SERVICE_RUNNING, wait, name);
  if (!st.ok()) return std::move(st).error();
  return ok_status();
}

Status stop_service(const std::string& name, std::chrono::milliseconds wait) {
  ScHandle scm(OpenSCManagerA(nullptr, nullptr, SC_MANAGER_CONNECT));
  if (!scm.h) return scm_error("OpenSCManager", GetLastError());
  ScHandle service(OpenServiceA(scm.h, name.c_str(), SERVICE_STOP | SERVICE_QUERY_STATUS));
  if (!service.h) return scm_error("OpenService " + name, GetLastError());
  SERVICE_STATUS st{};
  if (!ControlService(service.h, SERVICE_CONTROL_STOP, &st)) return scm_error("ControlService STOP " + name, GetLastError());
  auto done = wait_for_state(service.h, SERVICE_STOPPED, wait, name);
  if (!done.ok()) return std::move(done).error();
  return ok_status();
}

}  // namespace discrec::daemon

namespace discrec::daemon {

int run_service_command(int argc, char** argv, int (*serve)(int, char**)) {
  const std::string name = "discrecd";
  std::string verb = argc > 0 ? argv[0] : "";
  auto report = [](const Status& s, const char* done) {
    if (!s.ok()) {
      std::fprintf(stderr, "discrecd service: %s\n", s.error().to_string().c_str());
      return 1;
    }
    std::printf("%s\n", done);
    return 0;
  };
  if (verb == "install") {
    char path[MAX_PATH];
    GetModuleFileNameA(nullptr, path, MAX_PATH);
    ServiceInstallOptions options;
    options.name = name;
    options.command_line = std::string("\"") + path + "\" service run";
    for (int i = 1; i < argc; ++i) options.command_line += std::string(" \"") + argv[i] + "\"";
    return report(install_service(options), "installed service discrecd");
  }
  if (verb == "uninstall") return report(uninstall_service(name), "uninstalled service discrecd");
  if (verb == "start") return report(start_service(name, std::chrono::seconds(60)), "service discrecd is running");
  if (verb == "stop") return report(stop_service(name, std::chrono::seconds(120)), "service discrecd stopped");
  if (verb == "run") return run_as_service(name, [&] { return serve(argc - 1, argv + 1); });
  std::fprintf(stderr, "usage: discrecd service install [serve options] | uninstall | start | stop | run [serve options]\n");
  return 2;
}

}  // namespace discrec::daemon
