#include "device/windows/win32_error.h"

#include <windows.h>

namespace discrec::device::windows {
namespace {

const char* win32_error_name(uint32_t e) {
  switch (e) {
    case ERROR_INVALID_FUNCTION: return "ERROR_INVALID_FUNCTION";
    case ERROR_FILE_NOT_FOUND: return "ERROR_FILE_NOT_FOUND";
    case ERROR_PATH_NOT_FOUND: return "ERROR_PATH_NOT_FOUND";
    case ERROR_ACCESS_DENIED: return "ERROR_ACCESS_DENIED";
    case ERROR_INVALID_HANDLE: return "ERROR_INVALID_HANDLE";
    case ERROR_WRITE_PROTECT: return "ERROR_WRITE_PROTECT";
    case ERROR_NOT_READY: return "ERROR_NOT_READY";
    case ERROR_CRC: return "ERROR_CRC";
    case ERROR_BAD_LENGTH: return "ERROR_BAD_LENGTH";
    case ERROR_SECTOR_NOT_FOUND: return "ERROR_SECTOR_NOT_FOUND";
    case ERROR_WRITE_FAULT: return "ERROR_WRITE_FAULT";
    case ERROR_READ_FAULT: return "ERROR_READ_FAULT";
    case ERROR_SHARING_VIOLATION: return "ERROR_SHARING_VIOLATION";
    case ERROR_HANDLE_DISK_FULL: return "ERROR_HANDLE_DISK_FULL";
    case ERROR_NOT_SUPPORTED: return "ERROR_NOT_SUPPORTED";
    case ERROR_INVALID_PARAMETER: return "ERROR_INVALID_PARAMETER";
    case ERROR_DISK_FULL: return "ERROR_DISK_FULL";
    case ERROR_SEM_TIMEOUT: return "ERROR_SEM_TIMEOUT";
    case ERROR_INSUFFICIENT_BUFFER: return "ERROR_INSUFFICIENT_BUFFER";
    case ERROR_OPERATION_ABORTED: return "ERROR_OPERATION_ABORTED";
    case ERROR_MEDIA_CHANGED: return "ERROR_MEDIA_CHANGED";
    case ERROR_NO_MEDIA_IN_DRIVE: return "ERROR_NO_MEDIA_IN_DRIVE";
    case ERROR_IO_DEVICE: return "ERROR_IO_DEVICE";
    case ERROR_PRIVILEGE_NOT_HELD: return "ERROR_PRIVILEGE_NOT_HELD";
    case ERROR_TIMEOUT: return "ERROR_TIMEOUT";
    case ERROR_INVALID_USER_BUFFER: return "ERROR_INVALID_USER_BUFFER";
    default: return nullptr;
  }
}

}  // namespace

std::string win32_error_text(uint32_t e) {
  const char* name = win32_error_name(e);
  std::string text = name ? std::string(name) + " (" + std::to_string(e) + ")"
                          : "Win32 error " + std::to_string(e);
  char buffer[256] = {};
  DWORD n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, nullptr, e,
                           MAKELANGID(LANG_ENGLISH, SUBLANG_DEFAULT), buffer, sizeof buffer, nullptr);
  while (n > 0 && (buffer[n - 1] == '\n' || buffer[n - 1] == '\r' || buffer[n - 1] == ' ' ||
                   buffer[n - 1] == '.'))
    --n;
  if (n > 0) text += ": " + std::string(buffer, n);
  return text;
}

ErrorCode win32_error_code(uint32_t e) {
  switch (e) {
    case ERROR_INVALID_FUNCTION:  // STATUS_INVALID_DEVICE_REQUEST
    case ERROR_NOT_SUPPORTED:
      return ErrorCode::kUnsupported;
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
      return ErrorCode::kNotFound;
    case ERROR_ACCESS_DENIED:
    case ERROR_PRIVILEGE_NOT_HELD:
    case ERROR_WRITE_PROTECT:
      return ErrorCode::kFailedPrecondition;
    case ERROR_SHARING_VIOLATION:
    case ERROR_NOT_READY:
    case ERROR_MEDIA_CHANGED:
    case ERROR_NO_MEDIA_IN_DRIVE:
      return ErrorCode::kUnavailable;
    case ERROR_SEM_TIMEOUT:  // STATUS_IO_TIMEOUT from the port driver
    case ERROR_TIMEOUT:
      return ErrorCode::kTimeout;
    case ERROR_INVALID_PARAMETER:
    case ERROR_BAD_LENGTH:
    case ERROR_INSUFFICIENT_BUFFER:
    case ERROR_INVALID_USER_BUFFER:
      return ErrorCode::kInvalidArgument;
    case ERROR_DISK_FULL:
    case ERROR_HANDLE_DISK_FULL:
      return ErrorCode::kResourceExhausted;
    case ERROR_OPERATION_ABORTED:
      return ErrorCode::kAborted;
    default:
      return ErrorCode::kTransport;
  }
}

Error win32_error(uint32_t e, std::string command, const std::string& context) {
  return Error(win32_error_code(e), std::move(command), context + ": " + win32_error_text(e));
}

}  // namespace discrec::device::windows
