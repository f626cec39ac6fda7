// The sim:// URI, parsed. Every parameter is documented in device/sim/README.md.
//
// Thread-safety: value type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "device/sim/media.h"

namespace discrec::device::sim {

enum class Preformat { kNone, kWithSpares, kWithoutSpares };

// What the drive offers of Real-Time Streaming (0x0107) for the medium.
enum class StreamingSupport {
  kCurrent,     // on: current with SW=1 (the default)
  kNotCurrent,  // off: listed but not current, like tgt's DVD+R; a WRITE
                // with the Streaming bit is refused (5/24/00)
  kNoStreamWriting,  // no-sw: current, SW=0; the Streaming bit is refused
};

struct SimOptions {
  std::string image_path;
  const MediaProfile* media = nullptr;      // profile=; null = from the state file, else bd-re
  std::optional<uint16_t> speed_x10;        // speed=4 / speed=2.4
  bool timing = true;                       // timing=on|off
  std::string faults_path;                  // faults=<script>
  uint64_t buffer_bytes = 4 << 20;          // buffer=<KiB>
  std::optional<uint32_t> blocks;           // blocks=<n> capacity override
  uint64_t host_bytes_per_second = 150'000'000;  // host_mbps=<MB/s>
  std::optional<uint32_t> seek_ms;          // seek_ms=
  std::optional<uint32_t> opc_ms;           // opc_ms=
  bool powercut = false;                    // powercut=on
  Preformat preformat = Preformat::kNone;   // formatted=spares|nospares (new images only)
  bool start_empty = false;                 // medium=absent: tray empty until load
  uint32_t rate_divisor = 1;                // rate_divisor=<n>: every media rate / n
  StreamingSupport streaming = StreamingSupport::kCurrent;  // streaming=on|off|no-sw
};

// Errors: kInvalidArgument naming the offending parameter.
Result<SimOptions> parse_sim_uri(std::string_view uri);
// One key=value of a sim:// query (the sim-changer:// parser shares them).
// Errors: kInvalidArgument naming the parameter.
Status apply_sim_option(SimOptions& o, std::string_view key, std::string_view value);

}  // namespace discrec::device::sim
