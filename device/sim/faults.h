// Scripted faults for the emulated drive. Text format (README.md, "Faults"):
//
//   # one fault per line; times in ms since the drive was opened
//   write-error lba=1000-1031 [count=N]
//   read-error  lba=5000
//   latency     delay=200 (at=<ms> | lba=<a[-b]> | opcode=0x2a) [count=N]
//   stall       for=3000 (at=<ms> | lba=<a[-b]>)
//   not-ready   for=2000 (at=<ms> | lba=...) [ascq=1]
//   remove      (at=<ms> | lba=...) [for=<ms>]     # reinserted after `for`, else stays out
//   hang        (at=<ms> | lba=... | opcode=0xNN) [count=N]
//   opc-fail    [at=<ms>] [count=N]
//   unit-attention (at=<ms> | lba=... | opcode=0xNN) [asc=0x29] [ascq=0]
//   reset       (at=<ms> | lba=... | opcode=0xNN) [for=<ms>] [executed=1]
//
// Thread-safety: value types and a pure parser.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"

namespace discrec::device::sim {

enum class FaultKind {
  kWriteError,   // 3/0C/00 on writes touching the LBA range
  kReadError,    // 3/11/00 on reads touching the LBA range
  kLatency,      // one command takes `duration` longer
  kStall,        // the media stops writing for `duration` (the buffer stops draining)
  kNotReady,     // 2/04/<ascq> for `duration`
  kMediumRemoval,// 2/3A/00; 6/28/00 once the medium is back
  kHang,         // the command never completes: only its timeout ends it
  kOpcFailure,   // SEND OPC and the implicit calibration of a first write fail, 3/73/03
  kUnitAttention,// 6/<asc>/<ascq> (default 6/29/00 power on or reset) once, on the next command that reports one
  kReset,        // the drive resets: the command is dropped (a transport error, kTransport; with
                 // `executed` it ran first), 6/29/00 follows, and for `duration` it is
                 // becoming ready (2/04/01)
};

const char* fault_kind_name(FaultKind kind);

struct FaultSpec {
  FaultKind kind = FaultKind::kWriteError;
  // Triggers. A fault with none fires on the first command it can affect.
  std::optional<uint32_t> lba_first;     // with lba_last: inclusive range
  std::optional<uint32_t> lba_last;
  std::optional<Nanos> at;               // since the drive was opened
  std::optional<uint8_t> opcode;
  Nanos duration{0};                     // latency/stall/not-ready/removal length
  // How often it fires; 0 = every time it matches. Default per kind: errors
  // and OPC failure 0, everything else 1.
  uint32_t count = 0;
  uint8_t ascq = 0x01;                   // not-ready qualifier; unit attention's (default 0)
  uint8_t asc = 0x29;                    // unit attention's additional sense code
  bool executed = false;                 // reset: the dropped command ran before the reset

  bool touches(uint32_t lba, uint32_t blocks) const {
    if (!lba_first) return false;
    uint64_t end = uint64_t{lba} + (blocks ? blocks : 1);
    return *lba_first < end && lba <= *lba_last;
  }
};

// Errors: kInvalidArgument with the line number.
Result<std::vector<FaultSpec>> parse_fault_script(std::string_view text);
// Reads and parses a script file. Errors: kIo, kInvalidArgument.
Result<std::vector<FaultSpec>> load_fault_script(const std::string& path);

}  // namespace discrec::device::sim
