#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "daemon/upload_pipe.h"

namespace discrec::daemon {

Result<std::pair<UploadPipe, std::shared_ptr<recorder::SourceFd>>> UploadPipe::open() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return Error(ErrorCode::kResourceExhausted, std::string("cannot make a pipe for the upload: ") + std::strerror(errno));
  // Non-blocking: the handler polls, so a stop, a cancel or a shutdown
  // ends it promptly. A larger pipe lets the client run ahead a little.
  ::fcntl(fds[1], F_SETFL, O_NONBLOCK);
  ::fcntl(fds[1], F_SETPIPE_SZ, 1 << 20);
  return std::make_pair(UploadPipe(fds[1]), std::make_shared<recorder::SourceFd>(fds[0]));
}

int64_t UploadPipe::write_some(const char* data, size_t size, int wait_ms) {
  for (;;) {
    const ssize_t n = ::write(fd_, data, size);
    if (n > 0) return n;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) return -1;  // EPIPE: ingest is gone
    pollfd p{fd_, POLLOUT, 0};
    ::poll(&p, 1, wait_ms);
    return 0;
  }
}

void UploadPipe::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace discrec::daemon
