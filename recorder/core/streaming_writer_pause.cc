// StreamingWriter: pausing for the drive's passing states (not ready, unit
// attention, reset, dropped connection, a disc taken out) and resuming where
// the drive is; and counting input that never reached the disc. Holding a
// refused command is in write_command() (streaming_writer.cc).
#include "recorder/core/streaming_writer.h"

#include <cstring>
#include <utility>

#include "device/drive.h"

namespace discrec::recorder {

void StreamingWriter::resume_when_ready() {
  const TimePoint now = clock_.now();
  if (now < next_poll_) return;
  Recording& r = *held_recording_;
  auto where = target_.position(next_lba_);
  if (!where.ok()) {
    const Error& e = where.error();
    switch (device::classify_failure(e)) {
      case device::CommandFailure::kTransientState:
        return back_off(now, e);
      case device::CommandFailure::kMediumAbsent:
        medium_was_absent_ = true;
        return back_off(now, e);
      default: {
        Error fatal = e;
        fatal.with_context("the drive did not come back after " + pause_cause_->to_string());
        return fail(std::move(fatal));
      }
    }
  }
  if (options_.profile != 0 && where->profile != 0 && where->profile != options_.profile) {
    return fail(Error(ErrorCode::kFailedPrecondition,
                      "the medium changed while the drive was not ready (profile 0x" +
                          std::to_string(where->profile) + ", was 0x" + std::to_string(options_.profile) +
                          "): not writing on another disc"));
  }
  if (held_failure_) {
    // A failed command whose outcome the drive's state hid: not written
    // again, only counted, now that the drive can say what it took.
    // Cleared first: complete_command() may hold it again.
    const Status failed = *std::exchange(held_failure_, std::nullopt);
    held_recording_ = nullptr;
    drive_.paused = false;
    return complete_command(r, held_, failed, now, 0, 0);
  }
  uint32_t lba = next_lba_;
  if (where->next_writable_address) {
    const uint32_t nwa = *where->next_writable_address;
    if (nwa == next_lba_ + held_.blocks) {
      // The drive took the command before it answered (a reset or a lost
      // connection after the data went over). Whether it wrote it well only
      // the disc can say: the address moves past blocks a medium error
      // spoiled too (the soak found such a command counted as recorded). So
      // it is read back; what does not read back as sent is a lost extent.
      const Status readback = read_back_held(next_lba_);
      if (!readback.ok() && pauses_for(readback.error())) return back_off(now, readback.error());
      held_recording_ = nullptr;
      drive_.paused = false;
      if (!readback.ok() && readback.error().code() != ErrorCode::kUnsupported)
        return complete_command(r, held_, readback, clock_.now(), 0, 0);
      target_.taken_unanswered(next_lba_, std::span<const uint8_t>(staging_.data(), held_.command_bytes));
      return complete_command(r, held_, ok_status(), now, 0, 0);
    }
    if (nwa < next_lba_ || nwa > next_lba_ + held_.blocks) {
      return fail(Error(ErrorCode::kFailedPrecondition,
                        "after " + pause_cause_->to_string() + " the drive's next writable address is " +
                            std::to_string(nwa) + " where the writer was at " + std::to_string(next_lba_) +
                            ": the medium changed or was written behind the writer's back; not writing over it"));
    }
    // Part of the command got onto the disc (a reset mid-transfer): those
    // blocks are skipped, part of no file, and the whole command goes again.
    lba = nwa;
  } else if (medium_was_absent_) {
    // Random-access media have no write position to tell whether the disc
    // that came back is the one being written.
    return fail(Error(ErrorCode::kFailedPrecondition,
                      "the disc was taken out while recording: not writing on what was put back"));
  }
  if (uint64_t{lba} + held_.blocks > options_.end_lba) {
    return fail(Error(ErrorCode::kResourceExhausted,
                      "disc full: " + std::to_string(held_.blocks) + " blocks needed at LBA " + std::to_string(lba) +
                          ", the disc ends at " + std::to_string(options_.end_lba)));
  }
  const Status status = target_.write_blocks(lba, std::span<const uint8_t>(staging_.data(), held_.command_bytes), true);
  const TimePoint done = clock_.now();
  ++drive_.commands;
  dirty_ = true;
  if (!status.ok() && pauses_for(status.error())) return back_off(done, status.error());
  next_lba_ = lba;
  drive_.next_lba = next_lba_;
  held_.lba = lba;
  // Cleared first: a failed write whose outcome the drive's state hides is
  // held again by complete_command().
  held_recording_ = nullptr;
  drive_.paused = false;
  complete_command(r, held_, status, done, 0, 0);
}

Status StreamingWriter::read_back_held(uint32_t lba) {
  // Rare (a write's answer lost with a reset), so the buffer is allocated
  // here, once, rather than kept for every writer.
  readback_.resize(held_.command_bytes);
  RETURN_IF_ERROR(target_.read_blocks(lba, readback_));
  if (std::memcmp(readback_.data(), staging_.data(), held_.command_bytes) != 0)
    return Error(ErrorCode::kDataLoss, "WRITE(12)",
                 "a write the drive took without answering (" + pause_cause_->to_string() +
                     ") does not read back as sent at LBA " + std::to_string(lba));
  return ok_status();
}

bool StreamingWriter::pauses_for(const Error& error) {
  // A disc taken out may come back: the pause's bound decides, and what
  // comes back is checked (resume_when_ready()) before it is written on.
  switch (device::classify_failure(error)) {
    case device::CommandFailure::kTransientState:
      return true;
    case device::CommandFailure::kMediumAbsent:
      medium_was_absent_ = true;
      return true;
    default:
      return false;
  }
}

void StreamingWriter::back_off(TimePoint now, const Error& error) {
  pause_cause_ = error;
  if (now - paused_since_ >= options_.max_pause) {
    Error fatal = error;
    fatal.with_context("the drive has not taken a write for " +
                       std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(now - paused_since_).count()) +
                       " ms (the limit is " +
                       std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(options_.max_pause).count()) +
                       " ms)");
    return fail(std::move(fatal));
  }
  next_poll_ = now + poll_interval_;
  poll_interval_ = std::min(poll_interval_ * 2, options_.pause_poll_max);
}

void StreamingWriter::drop_held(const Error& error) {
  held_failure_.reset();
  if (held_recording_ == nullptr) return;
  count_lost_input(*held_recording_, held_.input_begin, held_.input_end, held_.time_begin, held_.time_end,
                   held_.copied, error);
  held_recording_ = nullptr;
  drive_.paused = false;
}

void StreamingWriter::count_lost_input(Recording& r, uint64_t input_begin, uint64_t input_end, TimePoint time_begin,
                                       TimePoint time_end, size_t bytes, const Error& error) {
  // Input that never reached the disc and takes no space on it (blocks 0):
  // counted, so that written + shed + lost is what the recording took in.
  auto& w = r.writer_;
  close_open_extent(r);
  LostExtent lost;
  lost.recording_id = r.id();
  lost.lba = next_lba_;
  lost.blocks = 0;
  lost.file_offset = w.file_offset;
  lost.input_begin = input_begin;
  lost.input_end = input_end;
  lost.time_begin = time_begin;
  lost.time_end = time_end;
  lost.code = error.code();
  lost.sense = error.sense().value_or(SenseCode{});
  lost.message = error.to_string();
  (void)w.pending_lost.push(std::move(lost));  // room checked: extent_room()
  ++w.stats.lost_extents;
  w.stats.lost_bytes += bytes;
  ++drive_.lost_extents;
  w.dirty = dirty_ = true;
}

void StreamingWriter::pause_holding(Recording& r, const IssuedCommand& cmd, const Error& cause, TimePoint now) {
  held_recording_ = &r;
  held_ = cmd;
  pause_cause_ = cause;
  medium_was_absent_ = device::classify_failure(cause) == device::CommandFailure::kMediumAbsent;
  paused_since_ = now;
  poll_interval_ = options_.pause_poll_min;
  next_poll_ = now + poll_interval_;
  ++drive_.pauses;
  drive_.paused = true;
}

}  // namespace discrec::recorder
