// Test support: start real processes (discrecd, the CLI, ffmpeg, tgtd) and
// talk to them (POSIX only: process.cc); temporary directories, files and
// pipes (every platform: files.cc).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace discrec::test {

// A child process; killed (SIGKILL) and reaped on destruction if still running.
class Process {
 public:
  // Starts argv[0] (looked up in PATH) with stdout/stderr appended to `log_file`
  // (empty: inherit). Throws std::runtime_error if it cannot start.
  Process(std::vector<std::string> argv, const std::string& log_file = "");
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  void signal(int sig);
  // Waits for exit; returns the exit status (128+signal if killed), or -1 on timeout.
  int wait(std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  int status_ = -1;
  bool reaped_ = false;
};

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs a command to completion (bounded by `timeout`) and captures its output.
CommandResult run_command(const std::vector<std::string>& argv,
                          std::chrono::milliseconds timeout = std::chrono::seconds(120));

// sim:// URI of a disc image file: sim:///tmp/x.img, or sim:///C:/Users/.../x.img
// on Windows (a drive letter is not a host); `scheme` sim-changer for a library.
std::string sim_uri(const std::string& image_file, const std::string& scheme = "sim");

// A pipe (read end fds[0], write end fds[1]), not inherited by children on
// Windows; false with errno on failure.
bool make_pipe(int fds[2]);

// A fresh temporary directory, removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::string read_file(const std::string& path);
bool wait_for_file(const std::string& path, std::chrono::milliseconds timeout);
bool have_program(const std::string& name);
// Where the build put a target: $DISCREC_BINARY_DIR/<relative>.
std::string binary_path(const std::string& relative);
// A file of the source tree: $DISCREC_SOURCE_DIR/<relative>.
std::string source_path(const std::string& relative);

// Generates a test stream with the ffmpeg CLI (lavfi testsrc + sine, H.264 or
// MPEG-2 video, AAC or MP2 audio) into `path` as MPEG-TS. Returns false if
// ffmpeg failed (output in `log`).
bool make_test_stream(const std::string& path, int seconds, const std::string& video_codec = "libx264",
                      int gop = 25, const std::string& size = "320x240", std::string* log = nullptr);
// 9.6 s of 720p H.264 at a constant 12 Mbit/s in 12-frame GOPs (240 frames),
// video only: enough bytes a second that a drive hang overflows a 2 MiB ring.
bool make_12mbit_stream(const std::string& path, std::string* log = nullptr);

}  // namespace discrec::test
