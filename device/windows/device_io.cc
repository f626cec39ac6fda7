// kernel32 behind the DeviceIo seam.
#include "device/windows/device_io.h"

#include <windows.h>

namespace discrec::device::windows {

uint32_t Win32DeviceIo::control(NativeHandle handle, uint32_t code, const void* in, uint32_t in_size,
                                void* out, uint32_t out_size, uint32_t* returned) {
  DWORD n = 0;
  // DeviceIoControl's input pointer is not const, but METHOD_BUFFERED input is only read.
  BOOL ok = DeviceIoControl(static_cast<HANDLE>(handle), code, const_cast<void*>(in), in_size, out,
                            out_size, &n, nullptr);
  if (returned) *returned = n;
  return ok ? ERROR_SUCCESS : GetLastError();
}

namespace {
OVERLAPPED at(uint64_t offset) {
  OVERLAPPED o{};
  o.Offset = static_cast<DWORD>(offset & 0xFFFFFFFFu);
  o.OffsetHigh = static_cast<DWORD>(offset >> 32);
  return o;
}
}  // namespace

uint32_t Win32DeviceIo::read_at(NativeHandle handle, uint64_t offset, void* data, uint32_t size,
                                uint32_t* done) {
  OVERLAPPED o = at(offset);
  DWORD n = 0;
  BOOL ok = ReadFile(static_cast<HANDLE>(handle), data, size, &n, &o);
  if (done) *done = n;
  return ok ? ERROR_SUCCESS : GetLastError();
}

uint32_t Win32DeviceIo::write_at(NativeHandle handle, uint64_t offset, const void* data, uint32_t size,
                                 uint32_t* done) {
  OVERLAPPED o = at(offset);
  DWORD n = 0;
  BOOL ok = WriteFile(static_cast<HANDLE>(handle), data, size, &n, &o);
  if (done) *done = n;
  return ok ? ERROR_SUCCESS : GetLastError();
}

void Win32DeviceIo::close(NativeHandle handle) {
  if (handle != nullptr && handle != INVALID_HANDLE_VALUE) CloseHandle(static_cast<HANDLE>(handle));
}

}  // namespace discrec::device::windows
