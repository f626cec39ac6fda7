// Shared by the daemon benchmarks: a real discrecd on a private socket with
// one emulated drive, and small /proc readers. Header-only, bench use only.
#pragma once

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/process.h"

namespace discrec::bench {

inline std::filesystem::path cache_dir() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  const char* home = std::getenv("HOME");
  std::filesystem::path base = xdg && *xdg ? std::filesystem::path(xdg) : std::filesystem::path(home ? home : "/tmp") / ".cache";
  return base / "discrec";
}

// discrecd serve with a generated config: drive "bd0" = sim://<dir>/bd0.img?<query>,
// or several drives, each id = sim://<dir>/<id>.img?<query>.
class BenchDaemon {
 public:
  BenchDaemon(const test::TempDir& dir, const std::string& sim_query, const std::string& extra_toml = "")
      : BenchDaemon(dir, std::vector<std::pair<std::string, std::string>>{{"bd0", sim_query}}, extra_toml) {}
  BenchDaemon(const test::TempDir& dir, const std::vector<std::pair<std::string, std::string>>& drives,
              const std::string& extra_toml = "")
      : socket_(dir.file("discrecd.sock")), log_(dir.file("discrecd.log")) {
    const std::string config = dir.file("discrecd.toml");
    {
      std::ofstream out(config);
      out << "[daemon]\nsocket = \"" << socket_ << "\"\nstate_directory = \"" << dir.path() << "\"\n"
          << extra_toml << "\n[drives]\n";
      for (const auto& [id, query] : drives)
        out << id << " = { uri = \"sim://" << dir.file(id + ".img") << "?" << query << "\" }\n";
    }
    process_ = std::make_unique<test::Process>(
        std::vector<std::string>{test::binary_path("daemon/discrecd"), "serve", "--config", config}, log_);
    started_ = test::wait_for_file(socket_, std::chrono::seconds(30)) && process_->running();
  }
  ~BenchDaemon() {
    if (process_ && process_->running()) {
      process_->signal(SIGTERM);
      if (process_->wait(std::chrono::seconds(30)) == -1) process_->signal(SIGKILL);
    }
  }
  bool started() const { return started_; }
  pid_t pid() const { return process_->pid(); }
  const std::string& socket() const { return socket_; }
  std::string log_text() const { return test::read_file(log_); }

  std::vector<std::string> cli(std::vector<std::string> args) const {
    args.insert(args.begin(), {test::binary_path("clients/discrec"), "--socket", socket_});
    return args;
  }

 private:
  std::string socket_, log_;
  std::unique_ptr<test::Process> process_;
  bool started_ = false;
};

// utime + stime of a process (and, with children, its reaped children), in seconds.
inline double cpu_seconds(pid_t pid, bool with_reaped_children = false) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto close = text.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(text.substr(close + 2));
  std::string f[20];
  for (auto& x : f) fields >> x;
  // After "(comm)": state is field 3, utime 14, stime 15, cutime 16, cstime 17.
  double ticks = std::stod(f[11]) + std::stod(f[12]);
  if (with_reaped_children) ticks += std::stod(f[13]) + std::stod(f[14]);
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// A /proc/<pid>/status field in kB (VmHWM, VmRSS), or -1.
inline long status_kb(pid_t pid, const std::string& key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key + ":", 0) == 0) return std::strtol(line.c_str() + key.size() + 1, nullptr, 10);
  return -1;
}

// The number after `"key":` at or after `from` (uint64 prints as "123"), or -1.
inline long long json_number_after(const std::string& text, const std::string& key, size_t from,
                                   size_t* found = nullptr) {
  auto at = text.find("\"" + key + "\"", from);
  if (found) *found = at;
  if (at == std::string::npos) return -1;
  at = text.find(':', at);
  if (at == std::string::npos) return -1;
  ++at;
  while (at < text.size() && (text[at] == ' ' || text[at] == '"')) ++at;
  return std::strtoll(text.c_str() + at, nullptr, 10);
}

// The last such number in the text (the final Watch update), or -1.
inline long long last_json_number(const std::string& text, const std::string& key) {
  auto at = text.rfind("\"" + key + "\"");
  return at == std::string::npos ? -1 : json_number_after(text, key, at);
}

}  // namespace discrec::bench
