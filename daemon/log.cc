#include "daemon/log.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

namespace discrec::daemon {
namespace {

class StderrSink final : public LogSink {
 public:
  void write(LogLevel level, std::string_view message, const LogFields&) override {
    // sd-daemon(3) priority prefixes, understood by journald and harmless elsewhere.
    const char* prefix = level == LogLevel::kError ? "<3>" : level == LogLevel::kWarning ? "<4>" : "<6>";
    std::lock_guard lock(mutex_);
    std::fprintf(stderr, "%s%.*s\n", prefix, static_cast<int>(message.size()), message.data());
    std::fflush(stderr);
  }

 private:
  std::mutex mutex_;
};

std::mutex g_sink_mutex;
std::shared_ptr<LogSink> g_sink;  // GUARDED_BY(g_sink_mutex); null = stderr

}  // namespace

std::shared_ptr<LogSink> stderr_log_sink() {
  static const auto sink = std::make_shared<StderrSink>();
  return sink;
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
