#include <windows.h>
// windows.h first: io.h's HANDLE helpers need its types.
#include <fcntl.h>
#include <io.h>

#include <string>

#include "daemon/upload_pipe.h"

namespace discrec::daemon {

namespace {
HANDLE handle_of(int fd) { return reinterpret_cast<HANDLE>(::_get_osfhandle(fd)); }
}  // namespace

// An anonymous pipe of 1 MiB (CreatePipe: neither end inherited). The write
// end stays blocking — PIPE_NOWAIT is a legacy mode Microsoft advises
// against — and write_some writes at most 64 KiB per call, so a call
// returns as soon as the ingest (which reads without pause until its
// recording ends, then closes its end) has taken one chunk.
Result<std::pair<UploadPipe, std::shared_ptr<recorder::SourceFd>>> UploadPipe::open() {
  HANDLE read_end = nullptr, write_end = nullptr;
  if (!::CreatePipe(&read_end, &write_end, nullptr, 1 << 20))
    return Error(ErrorCode::kResourceExhausted,
                 "cannot make a pipe for the upload (error " + std::to_string(::GetLastError()) + ")");
  const int read_fd = ::_open_osfhandle(reinterpret_cast<intptr_t>(read_end), _O_RDONLY | _O_BINARY);
  const int write_fd = ::_open_osfhandle(reinterpret_cast<intptr_t>(write_end), _O_BINARY);
  if (read_fd < 0 || write_fd < 0) {
    if (read_fd >= 0) ::_close(read_fd); else ::CloseHandle(read_end);
    if (write_fd >= 0) ::_close(write_fd); else ::CloseHandle(write_end);
    return Error(ErrorCode::kResourceExhausted, "cannot make a pipe for the upload: out of C runtime descriptors");
  }
  return std::make_pair(UploadPipe(write_fd), std::make_shared<recorder::SourceFd>(read_fd));
}

int64_t UploadPipe::write_some(const char* data, size_t size, int) {
  DWORD written = 0;
  const DWORD chunk = static_cast<DWORD>(size > (64u << 10) ? (64u << 10) : size);
  if (!::WriteFile(handle_of(fd_), data, chunk, &written, nullptr)) return -1;  // ERROR_NO_DATA: ingest is gone
  return written;
}

void UploadPipe::close() {
  if (fd_ >= 0) ::_close(fd_);
  fd_ = -1;
}

}  // namespace discrec::daemon
