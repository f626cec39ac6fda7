#include "tests/support/process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace discrec::test {
namespace {

int decode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

pid_t spawn(const std::vector<std::string>& argv, int out_fd) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (out_fd >= 0) {
    posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out_fd, STDERR_FILENO);
  }
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  return pid;
}

}  // namespace

Process::Process(std::vector<std::string> argv, const std::string& log_file) {
  int fd = -1;
  if (!log_file.empty()) {
    fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) throw std::runtime_error("cannot open " + log_file);
  }
  pid_ = spawn(argv, fd);
  if (fd >= 0) ::close(fd);
}

Process::~Process() {
  if (!reaped_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    wait(std::chrono::seconds(10));
  }
}

bool Process::running() {
  if (reaped_) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    reaped_ = true;
    status_ = decode(status);
    return false;
  }
  return true;
}

void Process::signal(int sig) {
  if (!reaped_) ::kill(pid_, sig);
}

int Process::wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return status_;
}

CommandResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  TempDir dir;
  std::string log = dir.file("output");
  CommandResult result;
  {
    Process p(argv, log);
    result.exit_code = p.wait(timeout);
    if (result.exit_code == -1) {
      p.signal(SIGKILL);
      p.wait(std::chrono::seconds(5));
      result.exit_code = -1;
    }
  }
  result.output = read_file(log);
  return result;
}

bool have_program(const std::string& name) {
  return run_command({"sh", "-c", "command -v " + name}, std::chrono::seconds(10)).exit_code == 0;
}

bool make_test_stream(const std::string& path, int seconds, const std::string& video_codec, int gop,
                      const std::string& size, std::string* log) {
  std::vector<std::string> argv = {"ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
                                   "-f", "lavfi", "-i", "testsrc=size=" + size + ":rate=25:duration=" + std::to_string(seconds),
                                   "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=" + std::to_string(seconds),
                                   "-c:v", video_codec, "-g", std::to_string(gop), "-b:v", "1M"};
  if (video_codec == "libx264") {
    argv.insert(argv.end(), {"-preset", "ultrafast", "-pix_fmt", "yuv420p"});
  }
  argv.insert(argv.end(), {"-c:a", video_codec == "mpeg2video" ? "mp2" : "aac", "-b:a", "96k", "-f", "mpegts", path});
  auto r = run_command(argv, std::chrono::seconds(120));
  if (log) *log = r.output;
  return r.exit_code == 0;
}

bool make_12mbit_stream(const std::string& path, std::string* log) {
  auto r = run_command({"ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                        "testsrc2=size=1280x720:rate=25:duration=9.6", "-c:v", "libx264", "-preset", "ultrafast",
                        "-g", "12", "-keyint_min", "12", "-sc_threshold", "0", "-b:v", "12M", "-minrate", "12M",
                        "-maxrate", "12M", "-bufsize", "2M", "-pix_fmt", "yuv420p", "-f", "mpegts", path},
                       std::chrono::seconds(120));
  if (log) *log = r.output;
  return r.exit_code == 0;
}

}  // namespace discrec::test
