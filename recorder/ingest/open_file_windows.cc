// Opening a client's file source on Windows. There is no openat2: the file is
// opened by its full path (a final reparse point is opened as itself, never
// followed), then the path Windows resolved it to must still lie beneath the
// resolved directory, so a junction or symbolic link in between cannot lead
// out of it. Only a regular disk file is kept.
#include <windows.h>
// windows.h first: io.h's HANDLE helpers need its types.
#include <fcntl.h>
#include <io.h>

#include <string>

#include "recorder/ingest/source_policy.h"

namespace discrec::recorder::ingest {
namespace {

// The path Windows resolved `h` to (\\?\C:\dir\file), lower-cased for the
// comparison (NTFS is case-insensitive for the names it resolved).
std::string final_path(HANDLE h) {
  char buf[32768];
  const DWORD n = ::GetFinalPathNameByHandleA(h, buf, sizeof buf, FILE_NAME_NORMALIZED | VOLUME_NAME_DOS);
  if (n == 0 || n >= sizeof buf) return {};
  std::string out(buf, n);
  for (char& c : out) c = static_cast<char>(::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Opens `path` for reading; kNotFound or kPermissionDenied (as `denied`
// says) otherwise. The handle is closed unless it is a regular disk file.
Result<HANDLE> open_regular(const std::string& path, ErrorCode denied) {
  HANDLE h = ::CreateFileA(path.c_str(), GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                           nullptr, OPEN_EXISTING, FILE_FLAG_OPEN_REPARSE_POINT, nullptr);
  if (h == INVALID_HANDLE_VALUE) {
    const DWORD e = ::GetLastError();
    if (denied == ErrorCode::kNotFound && (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND))
      return Error(ErrorCode::kNotFound, "no such file");
    return Error(ErrorCode::kPermissionDenied, "not a readable regular file");
  }
  BY_HANDLE_FILE_INFORMATION info{};
  const bool regular = ::GetFileType(h) == FILE_TYPE_DISK && ::GetFileInformationByHandle(h, &info) &&
                       !(info.dwFileAttributes & (FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_REPARSE_POINT));
  if (!regular) {
    ::CloseHandle(h);
    return Error(ErrorCode::kPermissionDenied, "not a readable regular file");
  }
  return h;
}

Result<int> to_fd(HANDLE h) {
  const int fd = ::_open_osfhandle(reinterpret_cast<intptr_t>(h), _O_RDONLY | _O_BINARY);
  if (fd < 0) {
    ::CloseHandle(h);
    return Error(ErrorCode::kResourceExhausted, "no file descriptor");
  }
  return fd;
}

}  // namespace

Result<int> open_file_beneath(const std::string& root, const std::string& relative) {
  const auto denied = [] { return Error(ErrorCode::kPermissionDenied, "not beneath the directory"); };
  // No absolute path, drive, stream name (a:b) or device, no way up.
  if (relative.empty() || relative[0] == '/' || relative[0] == '\\' ||
      relative.find_first_of(":*?\"<>|") != std::string::npos)
    return denied();
  std::string native = relative;
  for (char& c : native) c = c == '/' ? '\\' : c;
  if (native == ".." || native.rfind("..\\", 0) == 0 || native.find("\\..\\") != std::string::npos ||
      (native.size() >= 3 && native.compare(native.size() - 3, 3, "\\..") == 0))
    return denied();

  HANDLE dir = ::CreateFileA(root.c_str(), FILE_LIST_DIRECTORY, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                             nullptr, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, nullptr);
  if (dir == INVALID_HANDLE_VALUE) return Error(ErrorCode::kPermissionDenied, "directory not available");
  std::string under = final_path(dir);
  ::CloseHandle(dir);
  if (under.empty()) return Error(ErrorCode::kPermissionDenied, "directory not available");
  if (under.back() != '\\') under += '\\';

  std::string full = root;
  if (!full.empty() && full.back() != '/' && full.back() != '\\') full += '\\';
  ASSIGN_OR_RETURN(HANDLE h, open_regular(full + native, ErrorCode::kPermissionDenied));
  const std::string resolved = final_path(h);
  if (resolved.size() <= under.size() || resolved.compare(0, under.size(), under) != 0) {
    ::CloseHandle(h);
    return denied();
  }
  return to_fd(h);
}

Result<int> open_regular_file(const std::string& path) {
  ASSIGN_OR_RETURN(HANDLE h, open_regular(path, ErrorCode::kNotFound));
  return to_fd(h);
}

}  // namespace discrec::recorder::ingest
