// Daemon logging. Only the daemon logs; lower layers return errors and the
// daemon says each one once, with context.
//
// Where the lines go is a LogSink: plain lines with sd-daemon(3) priority
// prefixes on stderr (what systemd, the Windows service host or a terminal
// collect), or, under systemd, journald entries through sd_journal_send
// with fields to filter on (DISCREC_DRIVE=, DISCREC_RECORDING=,
// DISCREC_DISC=, PRIORITY=): `journalctl DISCREC_DRIVE=bd0`.
//
// Thread-safety: log() and set_log_sink() from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace discrec::daemon {

enum class LogLevel { kInfo, kWarning, kError };

// What a message is about, for a journal to filter on; empty = not about one.
struct LogFields {
  std::string_view drive;      // the config's drive id, "bd0"
  std::string_view recording;  // the recording id
  std::string_view disc;       // the disc being recorded (Event::disc)
};

class LogSink {
 public:
  virtual ~LogSink() = default;
  virtual void write(LogLevel level, std::string_view message, const LogFields& fields) = 0;
};

// "<6>message" lines on stderr (the fields are in the message already).
std::shared_ptr<LogSink> stderr_log_sink();
// Time-stamped lines appended to `path`, which becomes path.1 when it
// reaches `max_bytes`. Null (errno set) if it cannot be opened.
std::shared_ptr<LogSink> file_log_sink(const std::string& path, uint64_t max_bytes = 16u << 20);
// There is no stderr to write to (a Windows service has no standard handles).
bool stderr_is_missing();
// journald through sd_journal_send; null where the daemon is built without
// libsystemd.
std::shared_ptr<LogSink> journal_log_sink();
// stderr is a stream into journald (systemd.exec(5): $JOURNAL_STREAM names
// fd 2's device and inode): log there with fields, not as lines.
bool stderr_is_journal();

// Every later log() goes to `sink` (null: back to stderr lines).
void set_log_sink(std::shared_ptr<LogSink> sink);

void log(LogLevel level, std::string_view message, const LogFields& fields = {});
inline void log_info(std::string_view m, const LogFields& f = {}) { log(LogLevel::kInfo, m, f); }
inline void log_warning(std::string_view m, const LogFields& f = {}) { log(LogLevel::kWarning, m, f); }
inline void log_error(std::string_view m, const LogFields& f = {}) { log(LogLevel::kError, m, f); }

}  // namespace discrec::daemon
