// Getting a drive ready for the writer (DESIGN.md §1 step 3): probe,
// choose the write mode (write_mode.h: streaming when Real-Time Streaming
// 0x0107 is current with Stream Writing, plain writes where the policy and
// the medium allow), set the write speed and read back what took effect, then pre-run OPC (at
// that speed: power calibration is per speed). The
// result fills the StreamingWriter's options.
//
// Thread-safety: uses the Drive (itself thread-safe); call before the
// writer starts.
#pragma once

#include <cstdint>

#include "device/drive.h"
#include "base/result.h"
#include "recorder/core/streaming_writer.h"
#include "recorder/core/write_mode.h"

namespace discrec::recorder {

struct PrepareOptions {
  // Desired write speed in kB/s (1000 B/s); 0 = the fastest the disc allows.
  uint32_t write_kbps = 0;
  bool run_opc = true;
  WriteMode write_mode = WriteMode::kStreamingPreferred;
};

struct PreparedDrive {
  device::DriveCapabilities capabilities;
  bool opc_done = false;           // false: the drive does not support OPC (not an error)
  uint32_t requested_kbps = 0;
  uint32_t effective_kbps = 0;     // what GET PERFORMANCE says took effect
  // What admission books: the effective speed, halved where plain writes
  // meet defect management (write_mode.h).
  uint64_t guaranteed_bytes_per_second = 0;
  WriteMode write_mode = WriteMode::kStreamingPreferred;  // the policy asked for
  WriteModeChoice mode;                                     // what it chose, and why
  uint32_t start_lba = 0;          // next writable address
  uint32_t end_lba = 0;            // one past the last usable block
};

// Errors: kFailedPrecondition when there is no medium or the write mode
// refuses the medium (choose_write_mode() says why and what to do); kCheckCondition from OPC with ASC 0x73 (power calibration
// failed: the disc cannot be written reliably); the Drive's own errors.
Result<PreparedDrive> prepare_for_writing(device::Drive& drive, const PrepareOptions& options = {});

// Writer options for a prepared drive (block size, ECC unit, LBAs, speed).
WriterOptions writer_options_for(const PreparedDrive& prepared);

// A DriveBlockTarget for the writer of a prepared drive: its live writes
// carry the Streaming bit only in streaming mode.
std::unique_ptr<DriveBlockTarget> block_target_for(device::Drive& drive, const PreparedDrive& prepared);

// The reliable policy for data that must not be lost (file-system metadata,
// journal): WRITE(12) without the Streaming bit, so the drive does its own
// defect management, retried up to `attempts` times with `backoff` between.
// A write the drive's state refused (not ready, unit attention, reset; see
// device::classify_failure()) is no attempt: the drive is polled
// (BlockTarget::position()) every `backoff` for up to `max_wait`, and where
// its next writable address shows the write (or part of it) taken, that
// part is not written again: write-once media refuse a second write there.
struct ReliableWritePolicy {
  int attempts = 4;
  Nanos backoff = std::chrono::milliseconds(200);
  Nanos max_wait = std::chrono::seconds(30);
  uint32_t block_size = 2048;
};
Status write_reliable(BlockTarget& target, Clock& clock, uint32_t lba,
                      std::span<const uint8_t> data, const ReliableWritePolicy& policy = {});

}  // namespace discrec::recorder
