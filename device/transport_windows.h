// Windows backend: win://CdRom0 or win://E:, through Cdrom.sys (MMC.md §15).
//
// device::Transport executes raw CDBs; on Windows some MMC commands have a
// documented Cdrom.sys I/O control, and those are the path Microsoft
// supports for real-time streaming. execute() therefore routes by opcode:
//
//   CDB                                     -> what reaches the kernel
//   GET CONFIGURATION 0x46 (RT 0-2, >= 8 B) -> IOCTL_CDROM_GET_CONFIGURATION
//   SEND OPC INFORMATION 0x54 (DoOpc=1,
//     no parameter data)                    -> IOCTL_CDROM_SEND_OPC_INFORMATION
//   SET STREAMING 0xB6 (Type 00h, 28 B PD)  -> IOCTL_CDROM_SET_SPEED with
//                                              CDROM_SET_STREAMING; if Cdrom.sys
//                                              answers ERROR_INVALID_FUNCTION or
//                                              ERROR_NOT_SUPPORTED, again with
//                                              CDROM_SET_SPEED (CdromSetSpeed) at
//                                              Size*1000/Time kB/s
//   SET CD SPEED 0xBB                       -> IOCTL_CDROM_SET_SPEED, CDROM_SET_SPEED
//   GET PERFORMANCE 0xAC (Type 00h with
//     Tolerance 10b, or Type 03h)           -> IOCTL_CDROM_GET_PERFORMANCE
//   READ(12) 0xA8 / WRITE(12) 0xAA with
//     Streaming (byte 10 bit 7)             -> the *streaming handle*: once
//                                              IOCTL_CDROM_ENABLE_STREAMING (read-
//                                              only, write-only or read-write as
//                                              needed), then ReadFile/WriteFile at
//                                              LBA*2048; Cdrom.sys builds the
//                                              READ(12)/WRITE(12) with Streaming=1
//   everything else                         -> IOCTL_SCSI_PASS_THROUGH_DIRECT on
//                                              the metadata handle
//
// Two raw handles on the same device are opened (GENERIC_READ|GENERIC_WRITE,
// shared): the metadata handle serves every command above except the
// real-time data, which only the streaming handle carries, as the Windows
// "CD-ROM Real-Time Streaming" documentation recommends (streaming is a
// per-handle state that every new handle starts without).
//
// What the I/O-control path cannot report: Cdrom.sys interprets the drive's
// sense data itself, so a rejected I/O control or ReadFile/WriteFile is an
// Error carrying the Win32 code (ERROR_INVALID_FUNCTION = the drive, medium
// or handle cannot do it -> kUnsupported; see windows/win32_error.h), never
// a CommandResult with sense. The URI option `?streaming=spti` sends the
// caller's streaming READ(12)/WRITE(12) CDB unchanged by SCSI pass-through on
// the streaming handle instead: sense data survives and Cdrom.sys's
// writable-medium checks (MMC.md §15.2, §18.18) are bypassed, at the price of
// leaving the documented path. Per-command timeouts apply to pass-through
// only (TimeOutValue, whole seconds); Cdrom.sys times its own I/O controls.
//
// Pass-through data buffers that miss the adapter's AlignmentMask are
// bounced through an aligned copy; transfers above MaximumTransferLength
// (both from IOCTL_STORAGE_QUERY_PROPERTY at open) are refused with
// kInvalidArgument rather than failing inside the port driver.
//
// Prefer win://CdRomN: a volume handle (win://E:) on a mounted file system
// lets the file system veto raw writes. For recording into a file on a
// mounted UDF volume, see windows/realtime_file.h.
//
// Thread-safety: thread-compatible, like every Transport.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "device/transport.h"
#include "device/windows/device_io.h"

namespace discrec::device {

enum class WinStreamingPath {
  kStreamingHandle,  // default: IOCTL_CDROM_ENABLE_STREAMING + ReadFile/WriteFile
  kPassThrough,      // ?streaming=spti: the CDB by SCSI pass-through on the streaming handle
};

struct WinDriveUri {
  std::string device_path;  // \\.\CdRom0 or \\.\E:
  std::string name;         // win://CdRom0, for describe()
  WinStreamingPath streaming_path = WinStreamingPath::kStreamingHandle;
};

// win://CdRom<N> or win://<letter>: with an optional ?streaming=ioctl|spti.
// Errors: kInvalidArgument naming what is wrong.
Result<WinDriveUri> parse_win_uri(std::string_view uri);

// From IOCTL_STORAGE_QUERY_PROPERTY (StorageAdapterProperty).
struct WinAdapterLimits {
  uint32_t alignment_mask = 0;        // DataBuffer & mask must be 0
  uint32_t max_transfer_length = 0;   // bytes; 0 = not reported
};

// Asks the adapter for its limits. A failed query is not an error for the
// caller: defaults (no alignment, no limit) are returned with the code so
// open_win_transport() can still open drives behind odd filter drivers.
WinAdapterLimits query_adapter_limits(windows::DeviceIo& io, windows::NativeHandle handle,
                                      uint32_t* win32_error = nullptr);

struct WinTransportConfig {
  std::string name;                          // describe()
  windows::NativeHandle metadata = nullptr;  // owned: closed through `io`
  windows::NativeHandle streaming = nullptr; // owned: closed through `io`
  WinStreamingPath streaming_path = WinStreamingPath::kStreamingHandle;
  WinAdapterLimits limits;
};

// The routing logic over any DeviceIo: the real one (open_win_transport in
// transport_backends.h) or a test fake.
std::unique_ptr<Transport> make_win_transport(std::shared_ptr<windows::DeviceIo> io,
                                              WinTransportConfig config);

}  // namespace discrec::device
