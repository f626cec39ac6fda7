// journald entries with fields, through libsystemd's native protocol (one
// datagram per entry, no line parsing on the way).
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#include <string>
#include <vector>

#include "daemon/log.h"

namespace discrec::daemon {
namespace {

class JournalSink final : public LogSink {
 public:
  void write(LogLevel level, std::string_view message, const LogFields& fields) override {
    const int priority = level == LogLevel::kError ? 3 : level == LogLevel::kWarning ? 4 : 6;
    std::vector<std::string> entry = {"MESSAGE=" + std::string(message), "PRIORITY=" + std::to_string(priority),
                                      "SYSLOG_IDENTIFIER=discrecd"};
    // Empty fields are left out rather than sent empty, so a filter on one
    // finds only the entries about it.
    if (!fields.drive.empty()) entry.push_back("DISCREC_DRIVE=" + std::string(fields.drive));
    if (!fields.recording.empty()) entry.push_back("DISCREC_RECORDING=" + std::string(fields.recording));
    if (!fields.disc.empty()) entry.push_back("DISCREC_DISC=" + std::string(fields.disc));
    std::vector<iovec> iov;
    for (auto& field : entry) iov.push_back({field.data(), field.size()});
    // sd_journal_sendv, not sd_journal_send: no printf formats, so a '%' in
    // a title is a '%'. A journal that is gone loses the line, as stderr would.
    (void)sd_journal_sendv(iov.data(), static_cast<int>(iov.size()));
  }
};

}  // namespace

std::shared_ptr<LogSink> journal_log_sink() { return std::make_shared<JournalSink>(); }

}  // namespace discrec::daemon
