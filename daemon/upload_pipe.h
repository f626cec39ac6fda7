// The pipe an upload (RecordingService.UploadRecording) is fed through: the
// handler writes the client's bytes into one end, the recording's ingest
// reads the other as its source. One file per OS (upload_pipe_posix.cc,
// upload_pipe_windows.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

#include "base/result.h"
#include "recorder/session/types.h"

namespace discrec::daemon {

class UploadPipe {
 public:
  // The write end, and the read end for StartRecordingParams::upload_fd.
  // Errors: kResourceExhausted (no pipe to be had).
  static Result<std::pair<UploadPipe, std::shared_ptr<recorder::SourceFd>>> open();
  UploadPipe(UploadPipe&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UploadPipe& operator=(UploadPipe&&) = delete;
  ~UploadPipe() { close(); }

  // Writes what the pipe takes: the bytes written (> 0); 0 when it stayed
  // full for about `wait_ms` (the caller checks whether to go on); -1 when
  // the reader is gone (the recording stopped) or the write failed.
  int64_t write_some(const char* data, size_t size, int wait_ms);
  // The end of the source: ingest reads EOF once the pipe is drained.
  void close();

 private:
  explicit UploadPipe(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace discrec::daemon
