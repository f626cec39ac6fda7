// File-level real-time streaming on Windows (MMC.md §15.8): a recording file
// on a mounted UDF volume, opened unbuffered (FILE_FLAG_NO_BUFFERING) and
// marked with FSCTL_MARK_HANDLE / MARK_HANDLE_REALTIME, so UDFS tags its
// I/O with SL_REALTIME_STREAM and Cdrom.sys sends READ(12)/WRITE(12) with
// the Streaming bit. The file system keeps the UDF structures; discrec only
// writes the stream.
//
// Cdrom.sys and UDFS answer STATUS_INVALID_DEVICE_REQUEST (Win32
// ERROR_INVALID_FUNCTION) when the drive or medium lacks real-time streaming
// or the handle is buffered; that becomes kUnsupported with a message
// naming those causes.
//
// Thread-safety: RealtimeFile is thread-compatible.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "base/result.h"
#include "device/windows/device_io.h"

namespace discrec::device::windows {

// Unbuffered I/O must use whole sectors: offsets, lengths and buffer
// addresses multiples of this (2048 on optical media).
inline constexpr uint32_t kOpticalSectorSize = 2048;

// Sends FSCTL_MARK_HANDLE with MARK_HANDLE_INFO{UsnSourceInfo 0,
// VolumeHandle = volume, HandleInfo = MARK_HANDLE_REALTIME} on `file`.
// `path` is only for messages.
Status mark_realtime(DeviceIo& io, NativeHandle file, NativeHandle volume, const std::string& path);

class RealtimeFile {
 public:
  // Creates (or truncates) `path` on a mounted volume, opens that volume
  // (\\.\X: from GetVolumePathName) and marks the file for real-time
  // streaming. Errors: kNotFound, kFailedPrecondition (access or the
  // SE_MANAGE_VOLUME_NAME privilege), kUnsupported (no streaming).
  static Result<RealtimeFile> create(const std::string& path);

  // Over any DeviceIo (tests); takes ownership of both handles.
  RealtimeFile(std::shared_ptr<DeviceIo> io, NativeHandle file, NativeHandle volume, std::string path);
  RealtimeFile(RealtimeFile&& other) noexcept;
  RealtimeFile& operator=(RealtimeFile&& other) noexcept;
  RealtimeFile(const RealtimeFile&) = delete;
  RealtimeFile& operator=(const RealtimeFile&) = delete;
  ~RealtimeFile();

  // Writes whole sectors at `offset`. kInvalidArgument for an offset, size
  // or buffer address that is not sector-aligned (the kernel would refuse
  // with ERROR_INVALID_PARAMETER, which says less).
  Status write_at(uint64_t offset, std::span<const uint8_t> data);

  const std::string& path() const { return path_; }

 private:
  void release();
  std::shared_ptr<DeviceIo> io_;
  NativeHandle file_ = nullptr;
  NativeHandle volume_ = nullptr;
  std::string path_;
};

}  // namespace discrec::device::windows
