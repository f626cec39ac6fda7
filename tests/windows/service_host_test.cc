// The Windows service host against wine's real Service Control Manager:
// install, start (RUNNING only after ready()), stop (the body sees kStop and
// finishes its clean shutdown before STOPPED), uninstall.
#include "daemon/service_host_windows.h"

#include <gtest/gtest.h>
#include <windows.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

namespace discrec::daemon {
namespace {

std::string self_path() {
  char path[MAX_PATH];
  DWORD n = GetModuleFileNameA(nullptr, path, MAX_PATH);
  return std::string(path, n);
}

std::string temp_file(const std::string& name) {
  char dir[MAX_PATH];
  GetTempPathA(MAX_PATH, dir);
  return std::string(dir) + name;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The service side: this same executable started by the SCM.
int service_body(const std::string& marker) {
  auto host = make_service_host();
  host->ready();
  ServiceControl c = wait_for_control(std::chrono::seconds(60));
  host->stopping();
  Sleep(300);  // stands in for closing tracks / journaling recordings
  std::ofstream(marker) << (running_as_service() ? "service " : "console ")
                        << (c == ServiceControl::kStop ? "stopped-cleanly" : "timed-out");
  return 0;
}

TEST(WindowsServiceHost, InstallStartStopUninstallUnderTheScm) {
  // Unique per run: a fresh wine prefix hands out the same process ids.
  const std::string name = "discrec_test_" + std::to_string(GetCurrentProcessId()) + "_" +
                           std::to_string(GetTickCount64());
  const std::string marker = temp_file(name + ".marker");
  DeleteFileA(marker.c_str());
  ServiceInstallOptions o;
  o.name = name;
  o.display_name = name;
  // Built by appending: GCC 12 warns (-Wrestrict, a known false positive) on "..." + std::string&&.
  std::string command = "\"";
  command += self_path();
  command += "\" --service ";
  command += name;
  command += " \"";
  command += marker;
  command += "\"";
  o.command_line = command;
  o.start_automatically = false;
  auto installed = install_service(o);
  ASSERT_TRUE(installed.ok()) << installed.error().to_string();
  // Removed even when an assertion below ends the test early.
  struct Uninstall {
    std::string name;
    bool armed = true;
    ~Uninstall() {
      if (armed) (void)uninstall_service(name);
    }
  } cleanup{name};

  auto started = start_service(name, std::chrono::seconds(30));
  EXPECT_TRUE(started.ok()) << started.error().to_string();
  auto stopped = stop_service(name, std::chrono::seconds(30));
  EXPECT_TRUE(stopped.ok()) << stopped.error().to_string();
  EXPECT_EQ(read_file(marker), "service stopped-cleanly");

  auto removed = uninstall_service(name);
  EXPECT_TRUE(removed.ok()) << removed.error().to_string();
  cleanup.armed = false;
  auto missing = uninstall_service(name);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound) << missing.error().to_string();
  DeleteFileA(marker.c_str());
}

TEST(WindowsServiceHost, FromAConsoleTheBodyRunsDirectly) {
  int code = run_as_service("discrec_console_test", [] { return running_as_service() ? 1 : 7; });
  EXPECT_EQ(code, 7);
  EXPECT_EQ(wait_for_control(std::chrono::milliseconds(10)), ServiceControl::kNone);
}

}  // namespace
}  // namespace discrec::daemon

int main(int argc, char** argv) {
  if (argc == 4 && std::strcmp(argv[1], "--service") == 0) {
    std::string marker = argv[3];
    return discrec::daemon::run_as_service(argv[2], [&] { return discrec::daemon::service_body(marker); });
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
