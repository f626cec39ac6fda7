#include "base/file_io.h"

#include <poll.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace discrec::file_io {

int open_file(const std::string& path, int flags, int mode) {
  return ::open(path.c_str(), flags | O_CLOEXEC, mode);
}

int64_t read_at(int fd, void* data, size_t size, uint64_t offset) {
  return ::pread(fd, data, size, static_cast<off_t>(offset));
}

int64_t write_at(int fd, const void* data, size_t size, uint64_t offset) {
  return ::pwrite(fd, data, size, static_cast<off_t>(offset));
}

int sync_data(int fd) { return ::fdatasync(fd); }
int sync_file(int fd) { return ::fsync(fd); }
int truncate_file(int fd, uint64_t size) { return ::ftruncate(fd, static_cast<off_t>(size)); }

int64_t regular_file_size(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return -1;
  if (!S_ISREG(st.st_mode)) {
    errno = EINVAL;
    return -1;
  }
  return st.st_size;
}

int64_t seek(int fd, int64_t offset, int whence) { return ::lseek(fd, static_cast<off_t>(offset), whence); }

int wait_readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms);
}

int sync_directory(const std::string& directory) {
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -1;
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  errno = saved;
  return rc;
}

int replace_file(const std::string& from, const std::string& to) { return std::rename(from.c_str(), to.c_str()); }

int duplicate(int fd) { return ::fcntl(fd, F_DUPFD_CLOEXEC, 0); }

int lock_exclusive(int fd) { return ::flock(fd, LOCK_EX | LOCK_NB); }

int make_directory(const std::string& path, int mode) { return ::mkdir(path.c_str(), static_cast<mode_t>(mode)); }

std::tm utc_time(std::time_t t) {
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  return tm;
}

bool space_of(const std::string& directory, SpaceInfo* out) {
  struct statvfs fs {};
  if (::statvfs(directory.c_str(), &fs) != 0) return false;
  out->free_bytes = uint64_t{fs.f_bavail} * fs.f_frsize;
  out->read_only = (fs.f_flag & ST_RDONLY) != 0;
  return true;
}

}  // namespace discrec::file_io
