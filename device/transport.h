// The one small OS interface of discrec: execute one SCSI command.
//
// Backends, one file each, chosen from the drive URI by open_transport():
//   sg:///dev/sr0, sg:///dev/sg0          Linux SG_IO           (transport_sg_linux.cc)
//   iscsi://host:port/<iqn>/<lun>         libiscsi              (transport_iscsi.cc)
//   sim:///path/disc.img?profile=bd-re    the emulated drive    (sim/)
//   sim-changer:///path/lib[?drive=N]     the emulated library: its changer, or drive N (sim/)
//   win://CdRom0, win://E:                Windows Cdrom.sys     (transport_windows.cc)
//
// A transport never logs and never interprets sense data: a CHECK CONDITION
// is a *successful* execution whose CommandResult carries status 0x02 and the
// sense bytes. Only a failure to deliver or complete the command (ioctl
// error, iSCSI connection loss, timeout) is an Error. The Drive decides what
// a sense code means.
//
// Thread-safety: a Transport is thread-compatible. One thread at a time may
// call execute(); the Drive serialises access.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"

namespace discrec {

class Clock;

namespace device {

enum class DataDirection { kNone, kIn, kOut };

// SAM status byte values (not glibc's shifted ones).
inline constexpr uint8_t kStatusGood = 0x00;
inline constexpr uint8_t kStatusCheckCondition = 0x02;
inline constexpr uint8_t kStatusBusy = 0x08;

struct CommandRequest {
  std::span<const uint8_t> cdb;     // 6, 10, 12 or 16 bytes
  DataDirection direction = DataDirection::kNone;
  // kIn: filled by the device (at most data.size() bytes).
  // kOut: sent to the device. kNone: empty.
  std::span<uint8_t> data;
  std::chrono::milliseconds timeout{30000};
};

struct CommandResult {
  uint8_t status = kStatusGood;       // SAM status
  std::array<uint8_t, 96> sense{};    // valid when sense_length > 0
  size_t sense_length = 0;
  size_t residual = 0;                // bytes requested but not transferred
  std::span<const uint8_t> sense_bytes() const { return {sense.data(), sense_length}; }
  bool good() const { return status == kStatusGood; }
};

class Transport {
 public:
  virtual ~Transport() = default;
  virtual Result<CommandResult> execute(const CommandRequest& request) = 0;
  // Human-readable identity for messages: "iscsi://127.0.0.1:3260/iqn.../1".
  virtual std::string describe() const = 0;
};

struct TransportOptions {
  // Time source for backends with a timing model (sim://). Null = real time.
  Clock* clock = nullptr;
};

// Opens the backend named by `uri`. Errors: kInvalidArgument for a malformed
// or unknown URI, kUnavailable/kIo when the device cannot be opened.
Result<std::unique_ptr<Transport>> open_transport(std::string_view uri,
                                                  const TransportOptions& options = {});

}  // namespace device
}  // namespace discrec
