#include <grp.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstring>
#include <vector>

#include "daemon/access.h"
#include "daemon/host.h"
#include "daemon/log.h"

namespace discrec::daemon {

Result<uint32_t> resolve_group(const std::string& name_or_gid) {
  uint32_t gid = 0;
  auto [end, ec] = std::from_chars(name_or_gid.data(), name_or_gid.data() + name_or_gid.size(), gid);
  if (ec == std::errc() && end == name_or_gid.data() + name_or_gid.size()) return gid;
  std::vector<char> buffer(16384);
  struct group entry {};
  struct group* found = nullptr;
  int err = ::getgrnam_r(name_or_gid.c_str(), &entry, buffer.data(), buffer.size(), &found);
  if (err != 0 || found == nullptr)
    return Error(ErrorCode::kInvalidArgument,
                 "unknown group '" + name_or_gid + "'" + (err != 0 ? std::string(": ") + std::strerror(err) : ""));
  return static_cast<uint32_t>(found->gr_gid);
}

uint32_t daemon_uid() { return static_cast<uint32_t>(::geteuid()); }
uint32_t daemon_gid() { return static_cast<uint32_t>(::getegid()); }

// A daemon that may run out of descriptors before it reaches its connection
// limit will meet EMFILE in places that handle it worse than the accept loop.
void warn_about_fd_limit(uint32_t max_connections) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  const rlim_t needed = static_cast<rlim_t>(max_connections) + 128;
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < needed)
    log_warning("discrecd: the open-file limit (" + std::to_string(limit.rlim_cur) +
                ") is below limits.max_connections + 128 (" + std::to_string(needed) +
                "); raise LimitNOFILE or lower limits.max_connections");
}

// Token and key files are secrets: one that the group or everyone may read
// is a leak waiting to happen, so it is refused unless the administrator
// says otherwise (daemon.tcp.allow_readable_secrets).
Status check_secret_file(const std::string& path, const char* what, bool allow_readable) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Error(ErrorCode::kNotFound, std::string("cannot read ") + what + " " + path);
  if ((st.st_mode & 0044) != 0 && !allow_readable) {
    char mode[16];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Error(ErrorCode::kFailedPrecondition,
                 std::string(what) + " " + path + " is readable by group or others (mode " + mode +
                     "); chmod 600 it, or set daemon.tcp.allow_readable_secrets = true");
  }
  return {};
}

}  // namespace discrec::daemon
