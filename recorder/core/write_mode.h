// The write policy of a drive: whether the writer's WRITE(12)s carry the
// Streaming bit, chosen from the configured policy and what the drive says
// of the loaded medium.
//
// Real drives offer Real-Time Streaming (0x0107) only for some media, and
// some not at all (tgt's DVD+R lists it but never makes it current). On media
// without defect management (DVD±R, DVD-R sequential, CD-R, BD-R without
// spares, BD-RE formatted without spares) a WRITE(12) without the Streaming
// bit runs at the rated speed all the same: there is nothing for the drive to
// verify or replace. On media with spare areas (DVD-RAM, BD-RE or BD-R
// formatted with them) the drive verifies every block it writes and
// reallocates defects, which halves its speed and stalls for seconds: there
// streaming is what keeps a live recording alive, so the fallback is not
// automatic. libburn and growisofs write without the Streaming bit unless
// asked; Windows' Cdrom.sys refuses only ENABLE_STREAMING when 0x0107 is not
// current.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "device/drive.h"

namespace discrec::recorder {

enum class WriteMode {
  // Stream when 0x0107 is current with SW=1; otherwise, on media without
  // defect management, write without the Streaming bit. Refused otherwise.
  kStreamingPreferred,
  // Stream or refuse.
  kStreamingRequired,
  // Never set the Streaming bit. On media with defect management admission
  // books half the rated speed.
  kPlain,
};

// "streaming-preferred", "streaming-required", "plain".
std::string_view write_mode_name(WriteMode mode);
// Errors: kInvalidArgument listing the three names.
Result<WriteMode> parse_write_mode(std::string_view name);

// What the writer does on this medium, and why, in words for a user.
struct WriteModeChoice {
  bool streaming = true;       // the Streaming bit on the writer's WRITE(12)s
  // The drive verifies and replaces defects as it writes (spare areas):
  // only half its rated speed can be promised to recordings.
  bool half_speed = false;
  std::string reason;
};

// Why streaming writes are impossible (no medium, 0x0107 absent or not
// current, SW=0), or ok. No I/O.
Status check_streaming_capable(const device::DriveCapabilities& caps);

// The medium defends its blocks with spare areas and verify-after-write
// unless told to stream: feature 0x0024 current, or DVD-RAM (always
// formatted with spares).
bool has_defect_management(const device::DriveCapabilities& caps);

// Errors: kFailedPrecondition with the reason and the fix (required: why
// streaming is impossible; preferred on a medium with defect management:
// format without spares, or choose plain).
Result<WriteModeChoice> choose_write_mode(WriteMode policy, const device::DriveCapabilities& caps);

}  // namespace discrec::recorder
