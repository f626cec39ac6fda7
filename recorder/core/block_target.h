// The two commands the streaming writer's hot path needs from a drive. The
// product uses DriveBlockTarget (a device::Drive: real hardware, iSCSI or
// the emulated drive); scheduling tests and benchmarks can put a model
// behind the same interface.
//
// Thread-safety: implementations are used by one writer thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>

#include "base/result.h"

namespace discrec::device {
class Drive;
}

namespace discrec::recorder {

class BlockTarget {
 public:
  virtual ~BlockTarget() = default;
  // WRITE(12) of whole blocks at `lba`. `live`: the streaming writer's own
  // write, sent once with a short timeout and, where the drive streams,
  // the Streaming bit; a failure costs those blocks, not the recording.
  // Otherwise a write that must not be lost (file system, journal): no
  // Streaming bit, so the drive does its own defect management, and the
  // drive's long timeout.
  virtual Status write_blocks(uint32_t lba, std::span<const uint8_t> data, bool live) = 0;
  // SYNCHRONIZE CACHE.
  virtual Status flush() = 0;
  // Where sequential media will accept the next write (READ TRACK
  // INFORMATION for the track holding `lba`), asked only after a failed
  // write: a command that timed out may have left the drive's write position
  // where it was. kUnsupported when the medium has no such position.
  virtual Result<uint32_t> next_writable_address(uint32_t lba) {
    return Error(ErrorCode::kUnsupported, "no next writable address");
  }

  // Where the drive is, asked while the writer is paused after a write its
  // state refused (not ready, unit attention, reset, dropped connection).
  struct Position {
    uint16_t profile = 0;  // the medium's current profile; 0 = not known
    // Where sequential media take the next write (the track holding `lba`);
    // empty on random-access media.
    std::optional<uint32_t> next_writable_address;
  };
  // Errors are the drive's answers (device::classify_failure() tells a state
  // that passes from one that does not). The default: ready, nothing known.
  virtual Result<Position> position(uint32_t lba) { return Position{}; }
  // The drive's address shows it took a write whose answer never came (a
  // reset or a dropped connection after the data went over): `data` is on
  // disc at `lba` as if write_blocks() had succeeded. Layers that keep
  // track of what was written take note; the writer does not send it again.
  virtual void taken_unanswered(uint32_t lba, std::span<const uint8_t> data) {}
  // READ(12) of whole blocks at `lba`, asked only to check a write the drive
  // took without answering: its address moves past a command that hit a
  // medium error just as past one written well. kUnsupported: cannot read
  // (the writer then takes the address's word).
  virtual Status read_blocks(uint32_t lba, std::span<uint8_t> out) {
    return Error(ErrorCode::kUnsupported, "cannot read back");
  }
};

// A device::Drive as a BlockTarget. Live writes get a short timeout: a
// command that hangs longer than the rings can absorb is better lost (and
// recorded as such) than waited for, with or without the Streaming bit.
// Other writes keep the Drive's default.
class DriveBlockTarget final : public BlockTarget {
 public:
  explicit DriveBlockTarget(device::Drive& drive,
                            std::chrono::milliseconds streaming_timeout = std::chrono::seconds(3))
      : drive_(drive), streaming_timeout_(streaming_timeout) {}
  Status write_blocks(uint32_t lba, std::span<const uint8_t> data, bool live) override;
  Status flush() override;
  Result<uint32_t> next_writable_address(uint32_t lba) override;
  // Whether live writes carry the Streaming bit (write_mode.h); true until
  // set. Set before the writer starts.
  void set_streaming(bool streaming) { streaming_ = streaming; }
  bool streaming() const { return streaming_; }
  // TEST UNIT READY, GET CONFIGURATION (the profile), READ TRACK INFORMATION.
  Result<Position> position(uint32_t lba) override;
  Status read_blocks(uint32_t lba, std::span<uint8_t> out) override;

 private:
  device::Drive& drive_;
  std::chrono::milliseconds streaming_timeout_;
  bool streaming_ = true;
};

}  // namespace discrec::recorder
