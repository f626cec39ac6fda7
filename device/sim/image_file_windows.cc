#include <windows.h>
#include <winioctl.h>

#include <algorithm>

#include "device/sim/image_file.h"

namespace discrec::device::sim {
namespace {

HANDLE as_handle(intptr_t h) { return reinterpret_cast<HANDLE>(h); }

Error io_error(const std::string& what, const std::string& path) {
  return Error(ErrorCode::kIo, what + " " + path + ": Windows error " + std::to_string(GetLastError()));
}

OVERLAPPED at(uint64_t offset) {
  OVERLAPPED o{};
  o.Offset = static_cast<DWORD>(offset);
  o.OffsetHigh = static_cast<DWORD>(offset >> 32);
  return o;
}

}  // namespace

Result<std::unique_ptr<ImageFile>> ImageFile::open(const std::string& path) {
  // Shared for reading only, as flock(LOCK_EX) on POSIX: a second sim drive
  // (which asks for write access) gets a sharing violation; readers (a UDF
  // reader, a copy of the disc) do not.
  HANDLE h = CreateFileA(path.c_str(), GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ, nullptr, OPEN_ALWAYS,
                         FILE_ATTRIBUTE_NORMAL, nullptr);
  if (h == INVALID_HANDLE_VALUE) {
    if (GetLastError() == ERROR_SHARING_VIOLATION)
      return Error(ErrorCode::kUnavailable, "image " + path + " is in use by another sim drive");
    return io_error("cannot open image", path);
  }
  // Sparse where NTFS allows it, so unwritten blocks take no space; FAT
  // volumes simply store zeros.
  DWORD ignored = 0;
  DeviceIoControl(h, FSCTL_SET_SPARSE, nullptr, 0, nullptr, 0, &ignored, nullptr);
  return std::unique_ptr<ImageFile>(new ImageFile(path, reinterpret_cast<intptr_t>(h)));
}

ImageFile::~ImageFile() { CloseHandle(as_handle(handle_)); }

Status ImageFile::write(uint64_t offset, std::span<const uint8_t> data) {
  size_t done = 0;
  while (done < data.size()) {
    DWORD chunk = static_cast<DWORD>(std::min<size_t>(data.size() - done, 1u << 30));
    OVERLAPPED o = at(offset + done);
    DWORD n = 0;
    if (!WriteFile(as_handle(handle_), data.data() + done, chunk, &n, &o)) return io_error("cannot write image", path_);
    done += n;
  }
  return ok_status();
}

Status ImageFile::read(uint64_t offset, std::span<uint8_t> data) {
  size_t done = 0;
  while (done < data.size()) {
    DWORD chunk = static_cast<DWORD>(std::min<size_t>(data.size() - done, 1u << 30));
    OVERLAPPED o = at(offset + done);
    DWORD n = 0;
    if (!ReadFile(as_handle(handle_), data.data() + done, chunk, &n, &o)) {
      if (GetLastError() == ERROR_HANDLE_EOF) break;
      return io_error("cannot read image", path_);
    }
    if (n == 0) break;
    done += n;
  }
  std::fill(data.begin() + static_cast<ptrdiff_t>(done), data.end(), uint8_t{0});
  return ok_status();
}

Result<uint64_t> ImageFile::size() const {
  LARGE_INTEGER s{};
  if (!GetFileSizeEx(as_handle(handle_), &s)) return io_error("cannot stat image", path_);
  return static_cast<uint64_t>(s.QuadPart);
}

Status ImageFile::truncate(uint64_t size) {
  LARGE_INTEGER to{};
  to.QuadPart = static_cast<LONGLONG>(size);
  if (!SetFilePointerEx(as_handle(handle_), to, nullptr, FILE_BEGIN) || !SetEndOfFile(as_handle(handle_)))
    return io_error("cannot truncate image", path_);
  return ok_status();
}

}  // namespace discrec::device::sim
