#include "daemon/log.h"

#include <cstdio>
#include <mutex>
#include <string>

namespace discrec::daemon {

void log(LogLevel level, std::string_view message) {
  // sd-daemon(3) priority prefixes, understood by journald and harmless elsewhere.
  const char* prefix = level == LogLevel::kError ? "<3>" : level == LogLevel::kWarning ? "<4>" : "<6>";
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  std::fprintf(stderr, "%s%.*s\n", prefix, static_cast<int>(message.size()), message.data());
  std::fflush(stderr);
}

}  // namespace discrec::daemon
