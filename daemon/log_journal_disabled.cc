// No journald on this platform (Windows: the service host collects stderr).
#include "daemon/log.h"

namespace discrec::daemon {

std::shared_ptr<LogSink> journal_log_sink() { return nullptr; }

}  // namespace discrec::daemon
