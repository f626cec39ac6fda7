// The sparse image file behind an emulated disc: positional reads and
// writes, locked against a second opener. One small OS interface with one
// implementation per OS (image_file_posix.cc, image_file_windows.cc), chosen
// by CMake.
//
// Thread-safety: thread-compatible.
#pragma once

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>

#include "base/file_io.h"
#include "base/result.h"

namespace discrec::device::sim {

// Atomically replaces `to` with `from` (the state file next to the image):
// base/file_io's replace_file, as a Status. Errors: kIo.
inline Status replace_file(const std::string& from, const std::string& to) {
  if (file_io::replace_file(from, to) != 0)
    return Error(ErrorCode::kIo, "cannot replace " + to + ": " + std::strerror(errno));
  return ok_status();
}

class ImageFile {
 public:
  // Opens or creates `path` for reading and writing and takes an exclusive
  // lock. Only ever a regular file: a symlink, device node, FIFO or socket at
  // `path` is refused (kFailedPrecondition), and creating makes only a new
  // regular file. Errors: kUnavailable when another opener holds it, kIo otherwise.
  static Result<std::unique_ptr<ImageFile>> open(const std::string& path);
  ~ImageFile();
  ImageFile(const ImageFile&) = delete;
  ImageFile& operator=(const ImageFile&) = delete;

  Status write(uint64_t offset, std::span<const uint8_t> data);
  // Bytes past the end of the file read as zeros (unwritten blocks).
  Status read(uint64_t offset, std::span<uint8_t> data);
  Result<uint64_t> size() const;
  Status truncate(uint64_t size);
  const std::string& path() const { return path_; }

 private:
  ImageFile(std::string path, intptr_t handle) : path_(std::move(path)), handle_(handle) {}
  std::string path_;
  intptr_t handle_;  // a file descriptor (POSIX) or a HANDLE (Windows)
};

}  // namespace discrec::device::sim
