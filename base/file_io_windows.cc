#include <windows.h>
// windows.h first: io.h and the CRT's HANDLE helpers need its types.
#include <io.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include "base/file_io.h"

namespace discrec::file_io {

namespace {
HANDLE handle_of(int fd) { return reinterpret_cast<HANDLE>(::_get_osfhandle(fd)); }

// The errno closest to what Windows said (enough for strerror in messages).
int errno_from(DWORD error) {
  switch (error) {
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
      return ENOENT;
    case ERROR_ACCESS_DENIED:
    case ERROR_SHARING_VIOLATION:
    case ERROR_LOCK_VIOLATION:
      return EACCES;
    case ERROR_INVALID_HANDLE:
      return EBADF;
    case ERROR_DISK_FULL:
    case ERROR_HANDLE_DISK_FULL:
      return ENOSPC;
    case ERROR_WRITE_PROTECT:
      return EROFS;
    default:
      return EIO;
  }
}

int fail(DWORD error) {
  errno = errno_from(error);
  return -1;
}

// ReadFile/WriteFile take a DWORD count: at most 1 GiB per call.
DWORD chunk(size_t size) { return static_cast<DWORD>(size > (1u << 30) ? (1u << 30) : size); }

OVERLAPPED at(uint64_t offset) {
  OVERLAPPED o{};
  o.Offset = static_cast<DWORD>(offset);
  o.OffsetHigh = static_cast<DWORD>(offset >> 32);
  return o;
}
}  // namespace

int open_file(const std::string& path, int flags, int mode) {
  DWORD access = GENERIC_READ;
  if ((flags & O_ACCMODE) == O_WRONLY) access = GENERIC_WRITE;
  if ((flags & O_ACCMODE) == O_RDWR) access = GENERIC_READ | GENERIC_WRITE;
  DWORD disposition = OPEN_EXISTING;
  if ((flags & O_CREAT) && (flags & O_EXCL)) {
    disposition = CREATE_NEW;
  } else if ((flags & O_CREAT) && (flags & O_TRUNC)) {
    disposition = CREATE_ALWAYS;
  } else if (flags & O_CREAT) {
    disposition = OPEN_ALWAYS;
  } else if (flags & O_TRUNC) {
    disposition = TRUNCATE_EXISTING;
  }
  const DWORD attributes = (flags & O_CREAT) && !(mode & 0222) ? FILE_ATTRIBUTE_READONLY : FILE_ATTRIBUTE_NORMAL;
  HANDLE h = ::CreateFileA(path.c_str(), access, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                           disposition, attributes, nullptr);
  if (h == INVALID_HANDLE_VALUE) return fail(::GetLastError());
  const int fd = ::_open_osfhandle(reinterpret_cast<intptr_t>(h),
                                   _O_BINARY | ((flags & O_ACCMODE) == O_RDONLY ? _O_RDONLY : 0));
  if (fd < 0) ::CloseHandle(h);
  return fd;
}

int64_t read_at(int fd, void* data, size_t size, uint64_t offset) {
  HANDLE h = handle_of(fd);
  if (h == INVALID_HANDLE_VALUE) return fail(ERROR_INVALID_HANDLE);
  OVERLAPPED o = at(offset);
  DWORD n = 0;
  if (!::ReadFile(h, data, chunk(size), &n, &o)) {
    const DWORD e = ::GetLastError();
    return e == ERROR_HANDLE_EOF ? 0 : fail(e);
  }
  return n;
}

int64_t write_at(int fd, const void* data, size_t size, uint64_t offset) {
  HANDLE h = handle_of(fd);
  if (h == INVALID_HANDLE_VALUE) return fail(ERROR_INVALID_HANDLE);
  OVERLAPPED o = at(offset);
  DWORD n = 0;
  if (!::WriteFile(h, data, chunk(size), &n, &o)) return fail(::GetLastError());
  return n;
}

int sync_data(int fd) { return sync_file(fd); }

int sync_file(int fd) {
  HANDLE h = handle_of(fd);
  if (h == INVALID_HANDLE_VALUE) return fail(ERROR_INVALID_HANDLE);
  return ::FlushFileBuffers(h) ? 0 : fail(::GetLastError());
}

int truncate_file(int fd, uint64_t size) {
  const errno_t e = ::_chsize_s(fd, static_cast<long long>(size));
  if (e == 0) return 0;
  errno = e;
  return -1;
}

int64_t regular_file_size(int fd) {
  struct _stat64 st {};
  if (::_fstat64(fd, &st) != 0) return -1;
  if ((st.st_mode & _S_IFMT) != _S_IFREG) {
    errno = EINVAL;
    return -1;
  }
  return st.st_size;
}

int64_t seek(int fd, int64_t offset, int whence) { return ::_lseeki64(fd, offset, whence); }

int wait_readable(int fd, int timeout_ms) {
  HANDLE h = handle_of(fd);
  if (h == INVALID_HANDLE_VALUE) return fail(ERROR_INVALID_HANDLE);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    DWORD available = 0;
    if (!::PeekNamedPipe(h, nullptr, 0, nullptr, &available, nullptr)) {
      const DWORD e = ::GetLastError();
      // The writer is gone: read() returns the end of the stream now.
      if (e == ERROR_BROKEN_PIPE) return 1;
      // Not a pipe (a file, a console): read() does not block for long.
      if (e == ERROR_INVALID_FUNCTION) return 1;
      return fail(e);
    }
    if (available > 0) return 1;
    if (std::chrono::steady_clock::now() >= deadline) return 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

int sync_directory(const std::string&) { return 0; }

int replace_file(const std::string& from, const std::string& to) {
  if (::MoveFileExA(from.c_str(), to.c_str(), MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) return 0;
  return fail(::GetLastError());
}

int duplicate(int fd) {
  HANDLE h = handle_of(fd);
  if (h == INVALID_HANDLE_VALUE) return fail(ERROR_INVALID_HANDLE);
  HANDLE copy = nullptr;
  HANDLE self = ::GetCurrentProcess();
  if (!::DuplicateHandle(self, h, self, &copy, 0, FALSE, DUPLICATE_SAME_ACCESS)) return fail(::GetLastError());
  const int out = ::_open_osfhandle(reinterpret_cast<intptr_t>(copy), _O_BINARY);
  if (out < 0) ::CloseHandle(copy);
  return out;
}

int lock_exclusive(int fd) {
  HANDLE h = handle_of(fd);
  if (h == INVALID_HANDLE_VALUE) return fail(ERROR_INVALID_HANDLE);
  // Windows locks are mandatory for the range they cover: the byte at
  // 2^62 is never data, so readers of the file are not blocked.
  OVERLAPPED o = at(uint64_t{1} << 62);
  if (::LockFileEx(h, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &o)) return 0;
  const DWORD e = ::GetLastError();
  if (e == ERROR_LOCK_VIOLATION || e == ERROR_IO_PENDING) {
    errno = EWOULDBLOCK;
    return -1;
  }
  return fail(e);
}

int make_directory(const std::string& path, int) {
  if (::CreateDirectoryA(path.c_str(), nullptr)) return 0;
  const DWORD e = ::GetLastError();
  if (e == ERROR_ALREADY_EXISTS) {
    errno = EEXIST;
    return -1;
  }
  return fail(e);
}

std::tm utc_time(std::time_t t) {
  std::tm tm{};
  ::gmtime_s(&tm, &t);
  return tm;
}

bool space_of(const std::string& directory, SpaceInfo* out) {
  ULARGE_INTEGER available{};
  if (!::GetDiskFreeSpaceExA(directory.c_str(), &available, nullptr, nullptr)) {
    fail(::GetLastError());
    return false;
  }
  out->free_bytes = available.QuadPart;
  DWORD flags = 0;
  char root[MAX_PATH] = {};
  if (::GetVolumePathNameA(directory.c_str(), root, sizeof root) &&
      ::GetVolumeInformationA(root, nullptr, 0, nullptr, nullptr, &flags, nullptr, 0)) {
    out->read_only = (flags & FILE_READ_ONLY_VOLUME) != 0;
  }
  return true;
}

}  // namespace discrec::file_io
