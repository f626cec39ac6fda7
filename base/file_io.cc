#include "base/file_io.h"

#include <cerrno>

namespace discrec::file_io {

namespace {
// Loops `step` (read_at or write_at) over short transfers; false with errno,
// EIO for a transfer of nothing (a premature end of file).
template <typename Byte, typename Step>
bool whole(int fd, Byte* data, size_t size, uint64_t offset, Step step) {
  size_t done = 0;
  while (done < size) {
    const int64_t n = step(fd, data + done, size - done, offset + done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}
}  // namespace

bool write_all_at(int fd, const void* data, size_t size, uint64_t offset) {
  return whole(fd, static_cast<const uint8_t*>(data), size, offset, write_at);
}

bool read_all_at(int fd, void* data, size_t size, uint64_t offset) {
  return whole(fd, static_cast<uint8_t*>(data), size, offset, read_at);
}

}  // namespace discrec::file_io
