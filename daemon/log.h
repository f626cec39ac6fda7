// Daemon logging: one line per message on stderr, which systemd's journal
// (or the Windows service host) collects. Only the daemon logs; lower layers
// return errors and the daemon says each one once, with context.
#pragma once

#include <string_view>

namespace discrec::daemon {

enum class LogLevel { kInfo, kWarning, kError };

void log(LogLevel level, std::string_view message);
inline void log_info(std::string_view m) { log(LogLevel::kInfo, m); }
inline void log_warning(std::string_view m) { log(LogLevel::kWarning, m); }
inline void log_error(std::string_view m) { log(LogLevel::kError, m); }

}  // namespace discrec::daemon
