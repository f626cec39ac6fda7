// Win32 error codes (GetLastError, or what the DeviceIo seam returns) as
// discrec Errors. cdrom.sys answers a rejected I/O control with an NTSTATUS
// that kernel32 turns into a Win32 code; the mapping below names the ones a
// recorder meets (MMC.md §15): STATUS_INVALID_DEVICE_REQUEST arrives as
// ERROR_INVALID_FUNCTION and means "this drive, medium or handle cannot do
// that" -> kUnsupported.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"

namespace discrec::device::windows {

// "ERROR_INVALID_FUNCTION (1)" for the codes discrec names, "Win32 error N"
// otherwise; followed by the system's text when FormatMessage has one.
std::string win32_error_text(uint32_t win32_error);

ErrorCode win32_error_code(uint32_t win32_error);

// Error{win32_error_code(e), command, context + ": " + win32_error_text(e)}.
Error win32_error(uint32_t win32_error, std::string command, const std::string& context);

}  // namespace discrec::device::windows
