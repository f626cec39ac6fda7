#include "daemon/log.h"

#include <fcntl.h>
#include <sys/stat.h>
#ifdef _WIN32
#include <io.h>
#else
#include <unistd.h>
#endif

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <string>

#include "base/file_io.h"

namespace discrec::daemon {
namespace {

// sd-daemon(3) priority prefixes, understood by journald and harmless
// elsewhere: on stderr lines and in the log file alike.
const char* priority_prefix(LogLevel level) {
  return level == LogLevel::kError ? "<3>" : level == LogLevel::kWarning ? "<4>" : "<6>";
}

class StderrSink final : public LogSink {
 public:
  void write(LogLevel level, std::string_view message, const LogFields&) override {
    const char* prefix = priority_prefix(level);
    std::lock_guard lock(mutex_);
    std::fprintf(stderr, "%s%.*s\n", prefix, static_cast<int>(message.size()), message.data());
    std::fflush(stderr);
  }

 private:
  std::mutex mutex_;
};

// Appends "2026-12-05T17:30:00Z <6>message" lines; at max_bytes the file
// becomes path.1 (replacing the one before) and a new one is begun, so the
// log takes at most twice max_bytes. A write that fails is dropped: logging
// never stops the daemon.
class FileSink final : public LogSink {
 public:
  FileSink(std::string path, uint64_t max_bytes, int fd, uint64_t size)
      : path_(std::move(path)), max_bytes_(max_bytes), fd_(fd), size_(size) {}
  ~FileSink() override {
    if (fd_ >= 0) ::close(fd_);
  }
  void write(LogLevel level, std::string_view message, const LogFields&) override {
    const char* prefix = priority_prefix(level);
    const std::tm tm = file_io::utc_time(std::time(nullptr));
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ ", &tm);
    std::string line = stamp + std::string(prefix) + std::string(message) + "\n";
    std::lock_guard lock(mutex_);
    if (size_ + line.size() > max_bytes_ && size_ > 0) rotate_locked();
    if (fd_ < 0) return;
    if (file_io::write_all_at(fd_, line.data(), line.size(), size_)) size_ += line.size();
  }

 private:
  void rotate_locked() {
    if (fd_ >= 0) ::close(fd_);  // Windows replaces no open file
    fd_ = -1;
    file_io::replace_file(path_, path_ + ".1");
    fd_ = file_io::open_file(path_, O_WRONLY | O_CREAT | O_TRUNC, 0640);
    size_ = 0;
  }

  const std::string path_;
  const uint64_t max_bytes_;
  std::mutex mutex_;
  int fd_;         // GUARDED_BY(mutex_)
  uint64_t size_;  // GUARDED_BY(mutex_)
};

std::mutex g_sink_mutex;
std::shared_ptr<LogSink> g_sink;  // GUARDED_BY(g_sink_mutex); null = stderr

}  // namespace

std::shared_ptr<LogSink> stderr_log_sink() {
  static const auto sink = std::make_shared<StderrSink>();
  return sink;
}

std::shared_ptr<LogSink> file_log_sink(const std::string& path, uint64_t max_bytes) {
  const int fd = file_io::open_file(path, O_WRONLY | O_CREAT, 0640);
  if (fd < 0) return nullptr;
  const int64_t size = file_io::regular_file_size(fd);
  return std::make_shared<FileSink>(path, max_bytes, fd, size > 0 ? static_cast<uint64_t>(size) : 0);
}

bool stderr_is_missing() {
#ifdef _WIN32
  // A service has no standard handles: the CRT's fd 2 maps to none.
  const intptr_t handle = ::_get_osfhandle(2);
  return handle == -1 || handle == -2;
#else
  return ::fcntl(2, F_GETFD) == -1;
#endif
}

bool stderr_is_journal() {
#ifdef _WIN32
  return false;
#else
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (!stream) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(stream, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st {};
  if (::fstat(2, &st) != 0) return false;
  return static_cast<unsigned long long>(st.st_dev) == dev && static_cast<unsigned long long>(st.st_ino) == ino;
#endif
}

void set_log_sink(std::shared_ptr<LogSink> sink) {
  std::lock_guard lock(g_sink_mutex);
  g_sink = std::move(sink);
}

void log(LogLevel level, std::string_view message, const LogFields& fields) {
  std::shared_ptr<LogSink> sink;
  {
    std::lock_guard lock(g_sink_mutex);
    sink = g_sink;
  }
  (sink ? sink : stderr_log_sink())->write(level, message, fields);
}

}  // namespace discrec::daemon
