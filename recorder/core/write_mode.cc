#include "recorder/core/write_mode.h"

namespace discrec::recorder {

std::string_view write_mode_name(WriteMode mode) {
  switch (mode) {
    case WriteMode::kStreamingPreferred: return "streaming-preferred";
    case WriteMode::kStreamingRequired: return "streaming-required";
    case WriteMode::kPlain: return "plain";
  }
  return "?";
}

Result<WriteMode> parse_write_mode(std::string_view name) {
  for (WriteMode m : {WriteMode::kStreamingPreferred, WriteMode::kStreamingRequired, WriteMode::kPlain})
    if (name == write_mode_name(m)) return m;
  return Error(ErrorCode::kInvalidArgument, "write_mode '" + std::string(name) +
                                                "': expected \"streaming-preferred\", \"streaming-required\" or "
                                                "\"plain\"");
}

bool has_defect_management(const device::DriveCapabilities& caps) {
  return caps.defect_management || caps.current_profile == device::profile::kDvdRam;
}

Status check_streaming_capable(const device::DriveCapabilities& caps) {
  if (!caps.has_medium()) {
    return Error(ErrorCode::kFailedPrecondition, "no medium in " + caps.uri);
  }
  const auto& rt = caps.rt_streaming;
  const std::string media = caps.medium_name();
  if (!rt.present) {
    return Error(ErrorCode::kFailedPrecondition,
                 "cannot stream to " + media + ": the drive does not report the Real-Time "
                 "Streaming feature (0x0107)");
  }
  if (!rt.current) {
    return Error(ErrorCode::kFailedPrecondition,
                 "cannot stream to " + media + ": Real-Time Streaming (0x0107) is not current "
                 "for this medium");
  }
  if (!rt.stream_writing) {
    return Error(ErrorCode::kFailedPrecondition,
                 "cannot stream to " + media + ": Real-Time Streaming (0x0107) is current but "
                 "Stream Writing (SW) is 0, so WRITE(12) Streaming is not supported");
  }
  if (caps.block_size == 0 || caps.ecc_unit_blocks == 0) {
    return Error(ErrorCode::kFailedPrecondition, "drive reported a zero block or ECC unit size");
  }
  return ok_status();
}

Result<WriteModeChoice> choose_write_mode(WriteMode policy, const device::DriveCapabilities& caps) {
  if (!caps.has_medium()) return Error(ErrorCode::kFailedPrecondition, "no medium in " + caps.uri);
  if (caps.block_size == 0 || caps.ecc_unit_blocks == 0)
    return Error(ErrorCode::kFailedPrecondition, "drive reported a zero block or ECC unit size");
  const std::string media = caps.medium_name();
  const bool spares = has_defect_management(caps);
  WriteModeChoice choice;
  if (policy == WriteMode::kPlain) {
    choice.streaming = false;
    choice.half_speed = spares;
    choice.reason = spares ? "write_mode plain: WRITE(12) without the Streaming bit; " + media +
                                 " has spare areas, so the drive verifies as it writes and recordings are "
                                 "admitted against half its rated speed"
                           : "write_mode plain: WRITE(12) without the Streaming bit (" + media +
                                 " has no defect management: the drive keeps its rated speed)";
    return choice;
  }
  const Status capable = check_streaming_capable(caps);
  if (capable.ok()) {
    choice.reason = "streaming: Real-Time Streaming (0x0107) is current with Stream Writing";
    return choice;
  }
  if (policy == WriteMode::kStreamingRequired) {
    Error e = capable.error();
    return e.with_context("write_mode streaming-required");
  }
  // Preferred, and streaming is impossible.
  if (spares)
    return Error(ErrorCode::kFailedPrecondition,
                 capable.error().message() + "; without streaming the drive verifies and replaces defects in " +
                     media + "'s spare areas as it writes, at half speed with stalls a live recording cannot "
                     "absorb: format the disc without spare areas, or set write_mode = \"plain\" for this drive "
                     "(recordings are then admitted against half the rated speed)");
  choice.streaming = false;
  choice.reason = "plain writes: " + capable.error().message() + "; " + media +
                  " has no defect management, so WRITE(12) without the Streaming bit keeps the rated speed";
  return choice;
}

}  // namespace discrec::recorder
