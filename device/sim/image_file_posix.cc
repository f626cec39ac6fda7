#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "device/sim/image_file.h"

namespace discrec::device::sim {
namespace {

Error io_error(const std::string& what, const std::string& path) {
  return Error(ErrorCode::kIo, what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

namespace {

const char* file_type_name(mode_t mode) {
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISDIR(mode)) return "a directory";
  return "a special file";
}

Error not_an_image(const std::string& path, mode_t mode) {
  return Error(ErrorCode::kFailedPrecondition,
               "image " + path + " is " + file_type_name(mode) + ", not a regular file; refusing to use it");
}

// The daemon runs as root: an image path must only ever name a regular file.
// Opening a device node as an image overwrote a loop device once, and
// O_CREAT made files in /dev. So: a new image is created with O_EXCL (a
// fresh regular file, nothing else); an existing one must be a regular file
// before it is opened (a FIFO or device is not even opened, since opening
// one can block or have effects) and is the same file after (O_NOFOLLOW,
// same inode), so swapping the path in between does not help either.
Result<int> open_regular_file(const std::string& path) {
  struct stat before {};
  if (::lstat(path.c_str(), &before) != 0) {
    if (errno != ENOENT) return io_error("cannot stat image", path);
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) return io_error("cannot create image", path);
    return fd;
  }
  if (!S_ISREG(before.st_mode)) return not_an_image(path, before.st_mode);
  int fd = ::open(path.c_str(), O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open image", path);
  struct stat after {};
  if (::fstat(fd, &after) != 0 || !S_ISREG(after.st_mode) || after.st_dev != before.st_dev ||
      after.st_ino != before.st_ino) {
    ::close(fd);
    return Error(ErrorCode::kFailedPrecondition, "image " + path + " changed while being opened; refusing to use it");
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

}  // namespace

Result<std::unique_ptr<ImageFile>> ImageFile::open(const std::string& path) {
  ASSIGN_OR_RETURN(int fd, open_regular_file(path));
  // One drive per image: a second opener would corrupt the NWA bookkeeping.
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    Error e = errno == EWOULDBLOCK
                  ? Error(ErrorCode::kUnavailable, "image " + path + " is in use by another sim drive")
                  : io_error("cannot lock image", path);
    ::close(fd);
    return e;
  }
  return std::unique_ptr<ImageFile>(new ImageFile(path, fd));
}

ImageFile::~ImageFile() { ::close(static_cast<int>(handle_)); }

Status ImageFile::write(uint64_t offset, std::span<const uint8_t> data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::pwrite(static_cast<int>(handle_), data.data() + done, data.size() - done,
                         static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("cannot write image", path_);
    }
    done += static_cast<size_t>(n);
  }
  return ok_status();
}

Status ImageFile::read(uint64_t offset, std::span<uint8_t> data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::pread(static_cast<int>(handle_), data.data() + done, data.size() - done,
                        static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("cannot read image", path_);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  std::fill(data.begin() + static_cast<ptrdiff_t>(done), data.end(), uint8_t{0});
  return ok_status();
}

Result<uint64_t> ImageFile::size() const {
  struct stat st {};
  if (::fstat(static_cast<int>(handle_), &st) != 0) return io_error("cannot stat image", path_);
  return static_cast<uint64_t>(st.st_size);
}

Status ImageFile::truncate(uint64_t size) {
  if (::ftruncate(static_cast<int>(handle_), static_cast<off_t>(size)) != 0)
    return io_error("cannot truncate image", path_);
  return ok_status();
}

}  // namespace discrec::device::sim
