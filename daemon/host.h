// What the daemon asks of the operating system it runs on, where POSIX and
// Windows differ: who the daemon is, group names, how many descriptors it
// may open, and whether a secret file is readable by others. One file per
// OS (host_posix.cc, host_windows.cc), chosen in daemon/CMakeLists.txt.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"

namespace discrec::daemon {

// The daemon's effective uid and gid (for [access]: they are admin, and
// the socket's default group). 0 on Windows, which has no such ids.
uint32_t daemon_uid();
uint32_t daemon_gid();

// Logs a warning when the process may run out of descriptors before it
// reaches `max_connections` (POSIX RLIMIT_NOFILE; Windows has no such limit).
void warn_about_fd_limit(uint32_t max_connections);

// A token or key file: refused (kFailedPrecondition) when users other than
// its owner and the administrators may read it — POSIX: mode bits for group
// or others; Windows: an ACL entry granting read to Everyone, Authenticated
// Users or Users, or no ACL at all — unless `allow_readable`.
// Errors: kNotFound, kFailedPrecondition.
Status check_secret_file(const std::string& path, const char* what, bool allow_readable);

}  // namespace discrec::daemon
