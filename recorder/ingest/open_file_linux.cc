// Opening a client's file source on Linux: openat2's RESOLVE_BENEATH keeps
// the lookup inside the permitted directory, whatever symlinks say.
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "recorder/ingest/source_policy.h"

namespace discrec::recorder::ingest {
namespace {

int open_beneath_fallback(const std::string& root, const std::string& relative) {
  // No openat2 (Linux < 5.6): resolve, check the result is still under the
  // root, and open that exact path without following a final symlink.
  char real_root[PATH_MAX], real[PATH_MAX];
  if (!::realpath(root.c_str(), real_root)) return -1;
  std::string full = root + "/" + relative;
  if (!::realpath(full.c_str(), real)) return -1;
  std::string_view r(real_root), p(real);
  bool under = r == "/" ? true : (p.size() > r.size() && p.substr(0, r.size()) == r && p[r.size()] == '/');
  if (!under) return -1;
  return ::open(real, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
}

// Accepts fd only if it is a regular file; closes it otherwise.
Result<int> keep_if_regular(int fd) {
  struct stat st {};
  if (fd < 0) return Error(ErrorCode::kPermissionDenied, "not a readable regular file");
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Error(ErrorCode::kPermissionDenied, "not a readable regular file");
  }
  return fd;
}

}  // namespace

Result<int> open_file_beneath(const std::string& root, const std::string& relative) {
  if (relative.empty() || relative[0] == '/') return Error(ErrorCode::kPermissionDenied, "not beneath the directory");
  int dirfd = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) return Error(ErrorCode::kPermissionDenied, "directory not available");
  open_how how{};
  how.flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  int fd = -1;
  for (int attempt = 0; attempt < 8; ++attempt) {  // EAGAIN: a rename raced the lookup
    fd = static_cast<int>(::syscall(SYS_openat2, dirfd, relative.c_str(), &how, sizeof how));
    if (fd >= 0 || (errno != EINTR && errno != EAGAIN)) break;
  }
  const int open_errno = errno;
  ::close(dirfd);
  if (fd < 0 && open_errno == ENOSYS) fd = open_beneath_fallback(root, relative);
  return keep_if_regular(fd);
}

Result<int> open_regular_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  // The caller is trusted with the path: it may learn why.
  if (fd < 0 && errno == ENOENT) return Error(ErrorCode::kNotFound, "no such file");
  if (fd < 0) return Error(ErrorCode::kPermissionDenied, std::strerror(errno));
  return keep_if_regular(fd);
}

}  // namespace discrec::recorder::ingest
