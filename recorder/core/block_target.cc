#include "recorder/core/block_target.h"

#include "device/drive.h"

namespace discrec::recorder {

Status DriveBlockTarget::write_blocks(uint32_t lba, std::span<const uint8_t> data, bool live) {
  if (live) return drive_.write12(lba, data, streaming_, streaming_timeout_);
  return drive_.write12(lba, data, false);
}

Status DriveBlockTarget::flush() { return drive_.synchronize_cache(); }

Result<uint32_t> DriveBlockTarget::next_writable_address(uint32_t lba) {
  ASSIGN_OR_RETURN(std::optional<uint32_t> nwa, drive_.next_writable_address_at(lba));
  if (!nwa) return Error(ErrorCode::kUnsupported, "the track has no next writable address");
  return *nwa;
}

Status DriveBlockTarget::read_blocks(uint32_t lba, std::span<uint8_t> out) { return drive_.read12(lba, out, false); }

Result<BlockTarget::Position> DriveBlockTarget::position(uint32_t lba) {
  RETURN_IF_ERROR(drive_.test_unit_ready());
  Position out;
  ASSIGN_OR_RETURN(device::Configuration config, drive_.get_configuration());
  out.profile = config.current_profile;
  if (device::profile_is_sequential(out.profile)) {
    // kUnsupported: the drive's address is known to be wrong (a quirk, e.g.
    // tgt's that never moves): unknown, and the writer keeps its own.
    auto nwa = drive_.next_writable_address_at(lba);
    if (nwa.ok()) out.next_writable_address = *nwa;
    else if (nwa.error().code() != ErrorCode::kUnsupported) return std::move(nwa).error();
  }
  return out;
}

}  // namespace discrec::recorder
