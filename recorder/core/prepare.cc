#include "recorder/core/prepare.h"

#include <algorithm>

namespace discrec::recorder {

Result<PreparedDrive> prepare_for_writing(device::Drive& drive, const PrepareOptions& options) {
  PreparedDrive out;
  ASSIGN_OR_RETURN(out.capabilities, drive.probe());
  const auto& caps = out.capabilities;
  out.write_mode = options.write_mode;
  ASSIGN_OR_RETURN(out.mode, choose_write_mode(options.write_mode, caps));

  uint32_t wanted = options.write_kbps;
  if (wanted == 0) {
    for (const auto& d : caps.write_speeds) wanted = std::max(wanted, d.write_kbps);
  }
  if (wanted == 0) wanted = static_cast<uint32_t>(caps.one_x_bytes_per_second / 1000);
  out.requested_kbps = wanted;
  const uint32_t end =
      caps.next_writable_address && caps.free_blocks ? *caps.next_writable_address + caps.free_blocks - 1 : 0;
  ASSIGN_OR_RETURN(out.effective_kbps, drive.set_write_speed(wanted, end));
  if (out.effective_kbps == 0) {
    return Error(ErrorCode::kFailedPrecondition,
                 "the drive reports a write speed of 0 kB/s after SET STREAMING (asked " +
                     std::to_string(wanted) + " kB/s)");
  }
  // OPC after the speed is set: calibration is per write speed, so an OPC
  // run before SET STREAMING would be redone by the first write.
  if (options.run_opc) {
    Status opc = drive.send_opc();
    if (opc.ok()) {
      out.opc_done = true;
    } else if (opc.error().has_sense(0x05, 0x20) || opc.error().has_sense(0x05, 0x24) ||
               opc.error().code() == ErrorCode::kUnsupported) {
      out.opc_done = false;  // many drives refuse OPC; calibration then happens on first write
    } else if (opc.error().sense() && opc.error().sense()->asc == 0x73) {
      Error e = opc.error();
      e.with_context("power calibration failed; the disc cannot be written reliably");
      return e;
    } else {
      return opc.error();
    }
  }

  out.guaranteed_bytes_per_second = uint64_t{out.effective_kbps} * 1000;
  if (out.mode.half_speed) out.guaranteed_bytes_per_second /= 2;
  out.start_lba = caps.next_writable_address.value_or(0);
  out.end_lba = out.start_lba + caps.free_blocks;
  return out;
}

WriterOptions writer_options_for(const PreparedDrive& prepared) {
  WriterOptions o;
  o.block_size = prepared.capabilities.block_size;
  o.ecc_unit_blocks = prepared.capabilities.ecc_unit_blocks;
  o.start_lba = prepared.start_lba;
  o.end_lba = prepared.end_lba;
  o.guaranteed_bytes_per_second = prepared.guaranteed_bytes_per_second;
  o.profile = prepared.capabilities.current_profile;
  return o;
}

std::unique_ptr<DriveBlockTarget> block_target_for(device::Drive& drive, const PreparedDrive& prepared) {
  auto target = std::make_unique<DriveBlockTarget>(drive);
  target->set_streaming(prepared.mode.streaming);
  return target;
}

Status write_reliable(BlockTarget& target, Clock& clock, uint32_t lba, std::span<const uint8_t> data,
                      const ReliableWritePolicy& policy) {
  std::optional<Error> last;
  const auto transient = [](const Error& e) {
    return device::classify_failure(e) == device::CommandFailure::kTransientState;
  };
  const TimePoint give_up = clock.now() + policy.max_wait;
  bool waited = false;
  for (int attempt = 0; attempt < std::max(policy.attempts, 1); ++attempt) {
    if (attempt > 0 || waited) clock.sleep_for(policy.backoff);
    Status s = target.write_blocks(lba, data, /*streaming=*/false);
    if (s.ok()) return s;
    last = std::move(s).error();
    if (!transient(*last)) {
      // Nothing to gain from retrying a command the drive rejects outright.
      if (last->sense() && last->sense()->key == 0x05) break;
      continue;
    }
    // The drive's state, not the medium: wait for it, then write what it
    // has not taken yet. Not an attempt.
    --attempt;
    waited = true;
    Result<BlockTarget::Position> where = Error(*last);
    while (!(where = target.position(lba)).ok() && transient(where.error()) && clock.now() < give_up) {
      clock.sleep_for(policy.backoff);
    }
    if (!where.ok()) {
      last = std::move(where).error();
      if (transient(*last)) break;  // still not ready at the end of max_wait
      continue;
    }
    if (where->next_writable_address && *where->next_writable_address > lba) {
      const uint64_t taken = uint64_t{*where->next_writable_address - lba} * policy.block_size;
      if (taken >= data.size()) return ok_status();
      data = data.subspan(static_cast<size_t>(taken));
      lba = *where->next_writable_address;
    }
    if (clock.now() >= give_up) break;
  }
  last->with_context("reliable write at LBA " + std::to_string(lba) + " failed");
  return *last;
}

}  // namespace discrec::recorder
