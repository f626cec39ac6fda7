// The seam between discrec's Windows code and the kernel: DeviceIoControl,
// positioned ReadFile/WriteFile and CloseHandle on opaque handles. The real
// implementation (Win32DeviceIo) forwards to kernel32; tests substitute a
// fake that checks every I/O control code and input buffer byte for byte
// and plays cdrom.sys's answers back.
//
// Handles are `void*` (HANDLE) so this header needs no <windows.h>. Every
// call returns a Win32 error code: 0 (ERROR_SUCCESS) on success, otherwise
// GetLastError() of the failed call.
//
// Thread-safety: Win32DeviceIo is stateless and thread-safe; fakes document
// their own.
#pragma once

#include <cstdint>

namespace discrec::device::windows {

using NativeHandle = void*;

class DeviceIo {
 public:
  virtual ~DeviceIo() = default;
  // DeviceIoControl(handle, code, in, in_size, out, out_size, &returned, nullptr).
  virtual uint32_t control(NativeHandle handle, uint32_t code, const void* in, uint32_t in_size,
                           void* out, uint32_t out_size, uint32_t* returned) = 0;
  // ReadFile / WriteFile at a byte offset (OVERLAPPED.Offset/OffsetHigh on a
  // synchronous handle); *done receives the bytes transferred.
  virtual uint32_t read_at(NativeHandle handle, uint64_t offset, void* data, uint32_t size,
                           uint32_t* done) = 0;
  virtual uint32_t write_at(NativeHandle handle, uint64_t offset, const void* data, uint32_t size,
                            uint32_t* done) = 0;
  virtual void close(NativeHandle handle) = 0;
};

// kernel32: DeviceIoControl, ReadFile, WriteFile, CloseHandle.
class Win32DeviceIo final : public DeviceIo {
 public:
  uint32_t control(NativeHandle handle, uint32_t code, const void* in, uint32_t in_size, void* out,
                   uint32_t out_size, uint32_t* returned) override;
  uint32_t read_at(NativeHandle handle, uint64_t offset, void* data, uint32_t size,
                   uint32_t* done) override;
  uint32_t write_at(NativeHandle handle, uint64_t offset, const void* data, uint32_t size,
                    uint32_t* done) override;
  void close(NativeHandle handle) override;
};

}  // namespace discrec::device::windows
