#include "device/windows/realtime_file.h"

#include <utility>

#include "device/windows/cdrom_ioctl.h"
#include "device/windows/win32_error.h"

namespace discrec::device::windows {

Status mark_realtime(DeviceIo& io, NativeHandle file, NativeHandle volume, const std::string& path) {
  MARK_HANDLE_INFO info{};
  info.UsnSourceInfo = 0;
  info.VolumeHandle = static_cast<HANDLE>(volume);
  info.HandleInfo = MARK_HANDLE_REALTIME;
  uint32_t returned = 0;
  uint32_t e = io.control(file, FSCTL_MARK_HANDLE, &info, sizeof info, nullptr, 0, &returned);
  if (e == 0) return ok_status();
  if (e == ERROR_INVALID_FUNCTION)  // STATUS_INVALID_DEVICE_REQUEST
    return Error(ErrorCode::kUnsupported, "FSCTL_MARK_HANDLE",
                 path + ": real-time streaming refused: the drive or medium lacks Real-Time Streaming "
                        "(feature 0x0107), the volume is not on an optical drive, or the handle is "
                        "buffered (" + win32_error_text(e) + ")");
  Error error = win32_error(e, "FSCTL_MARK_HANDLE", path + ": marking the file MARK_HANDLE_REALTIME");
  if (e == ERROR_ACCESS_DENIED || e == ERROR_PRIVILEGE_NOT_HELD)
    error.with_context("needs the SE_MANAGE_VOLUME_NAME privilege (administrator)");
  return error;
}

RealtimeFile::RealtimeFile(std::shared_ptr<DeviceIo> io, NativeHandle file, NativeHandle volume, std::string path)
    : io_(std::move(io)), file_(file), volume_(volume), path_(std::move(path)) {}

RealtimeFile::RealtimeFile(RealtimeFile&& other) noexcept
    : io_(std::move(other.io_)),
      file_(std::exchange(other.file_, nullptr)),
      volume_(std::exchange(other.volume_, nullptr)),
      path_(std::move(other.path_)) {}

RealtimeFile& RealtimeFile::operator=(RealtimeFile&& other) noexcept {
  if (this != &other) {
    release();
    io_ = std::move(other.io_);
    file_ = std::exchange(other.file_, nullptr);
    volume_ = std::exchange(other.volume_, nullptr);
    path_ = std::move(other.path_);
  }
  return *this;
}

RealtimeFile::~RealtimeFile() { release(); }

void RealtimeFile::release() {
  if (!io_) return;
  if (file_) io_->close(file_);
  if (volume_) io_->close(volume_);
  file_ = volume_ = nullptr;
}

Status RealtimeFile::write_at(uint64_t offset, std::span<const uint8_t> data) {
  if (offset % kOpticalSectorSize || data.size() % kOpticalSectorSize ||
      reinterpret_cast<uintptr_t>(data.data()) % kOpticalSectorSize)
    return Error(ErrorCode::kInvalidArgument, "WriteFile",
                 path_ + ": unbuffered writes need offset, size and buffer address in whole " +
                     std::to_string(kOpticalSectorSize) + "-byte sectors");
  size_t done = 0;
  while (done < data.size()) {
    uint32_t chunk = static_cast<uint32_t>(std::min<size_t>(data.size() - done, 0x40000000));
    uint32_t n = 0;
    uint32_t e = io_->write_at(file_, offset + done, data.data() + done, chunk, &n);
    if (e != 0) return win32_error(e, "WriteFile", path_ + " at offset " + std::to_string(offset + done));
    if (n == 0) return Error(ErrorCode::kIo, "WriteFile", path_ + ": wrote nothing");
    done += n;
  }
  return ok_status();
}

Result<RealtimeFile> RealtimeFile::create(const std::string& path) {
  char mount[MAX_PATH] = {};
  if (!GetVolumePathNameA(path.c_str(), mount, MAX_PATH))
    return win32_error(GetLastError(), "GetVolumePathName", path);
  // "E:\" -> "\\.\E:"; a volume mounted in a folder has no drive letter form.
  std::string m(mount);
  if (m.size() < 2 || m[1] != ':')
    return Error(ErrorCode::kInvalidArgument, path + ": volume '" + m + "' has no drive letter");
  std::string volume_path = "\\\\.\\" + m.substr(0, 2);
  HANDLE file = CreateFileA(path.c_str(), GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ, nullptr, CREATE_ALWAYS,
                            FILE_FLAG_NO_BUFFERING | FILE_FLAG_WRITE_THROUGH, nullptr);
  if (file == INVALID_HANDLE_VALUE) return win32_error(GetLastError(), "CreateFile", path);
  HANDLE volume = CreateFileA(volume_path.c_str(), GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr,
                              OPEN_EXISTING, 0, nullptr);
  if (volume == INVALID_HANDLE_VALUE) {
    uint32_t e = GetLastError();
    CloseHandle(file);
    return win32_error(e, "CreateFile", volume_path + " (volume of " + path + ")");
  }
  RealtimeFile f(std::make_shared<Win32DeviceIo>(), file, volume, path);
  RETURN_IF_ERROR(mark_realtime(*f.io_, file, volume, path));
  return f;
}

}  // namespace discrec::device::windows
