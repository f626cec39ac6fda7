// The sim-changer:// URI, parsed. One URI names a library directory; with
// drive=N it names the emulated drive at data transfer element N instead of
// the changer. Every parameter is documented in device/sim/README.md.
//
// Thread-safety: value type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "device/sim/media.h"
#include "device/sim/sim_options.h"

namespace discrec::device::sim {

// What the library holds. Unset fields come from library.state, else the
// defaults; a set field must match an existing library.state.
struct LibraryShape {
  std::optional<uint16_t> slots;          // slots=, storage elements (default 6)
  std::optional<uint16_t> drives;         // drives=, data transfer elements (default 2)
  std::optional<uint16_t> import_export;  // import_export=, mail slots (default 1)
  // Only when the library is created:
  std::optional<uint16_t> discs;          // discs=, slots 1..n start with a blank disc (default all)
  const MediaProfile* media = nullptr;    // profile=, the blank discs (default bd-re)
  std::optional<uint32_t> blocks;         // blocks=, their capacity
  Preformat preformat = Preformat::kNone; // formatted=, rewritable blanks start formatted
};

struct SimChangerOptions {
  std::string directory;
  uint16_t drive = 0;  // drive=N (1-based); 0 = the changer itself
  LibraryShape shape;
  bool timing = true;                   // timing=on|off (moves; and the drive's own timing)
  std::optional<uint32_t> move_ms;      // move_ms=, one MOVE MEDIUM (default 8000, 0 with timing=off)
  // The drive's parameters (speed, buffer, rate_divisor, streaming, faults,
  // ...; sim:// spelling). image_path is left empty: the disc decides.
  SimOptions drive_options;

  uint32_t move_time_ms() const { return move_ms.value_or(timing ? 8000 : 0); }
};

// Errors: kInvalidArgument naming the offending parameter.
Result<SimChangerOptions> parse_sim_changer_uri(std::string_view uri);

}  // namespace discrec::device::sim
