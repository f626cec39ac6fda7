// How long the emulated drive takes. The drive buffer fills at the host
// rate and drains at the media rate; a command returns once its data is in
// the buffer. Everything is O(1) per command: one "media busy until" time
// point stands for the queued data.
//
// Thread-safety: thread-compatible (SimDrive serialises access).
#pragma once

#include <cstdint>

#include "base/clock.h"

namespace discrec::device::sim {

struct TimingParams {
  bool enabled = true;
  uint64_t host_bytes_per_second = 150'000'000;
  uint64_t buffer_bytes = 4 << 20;
  Nanos seek{0};
  Nanos opc{0};
};

// Duration of `bytes` at `bytes_per_second`, without 64-bit overflow.
Nanos transfer_time(uint64_t bytes, uint64_t bytes_per_second);

class TimingModel {
 public:
  explicit TimingModel(TimingParams params) : params_(params) {}

  // A write of `bytes` at `lba`, issued at `now`, recorded at
  // `media_bytes_per_second`. `calibrate` adds an OPC before the media
  // starts. Returns when the command completes (data accepted).
  TimePoint write(TimePoint now, uint32_t lba, uint64_t bytes, uint64_t media_bytes_per_second, bool calibrate);
  // A read: waits for queued writes, seeks unless sequential, then reads.
  TimePoint read(TimePoint now, uint32_t lba, uint64_t bytes, uint64_t media_bytes_per_second);
  // When every buffered byte is on the media (SYNCHRONIZE CACHE waits for it).
  TimePoint media_idle_at(TimePoint now) const;
  // The media stops from `at` for `length` (a stall fault).
  void stall(TimePoint at, Nanos length);
  // Bytes in the drive buffer at `now`.
  uint64_t buffer_fill(TimePoint now) const;
  // The drive lost its buffer and position (eject, format).
  void reset(TimePoint now);
  const TimingParams& params() const { return params_; }

 private:
  TimingParams params_;
  TimePoint media_done_{};     // the media finishes the queued data at this time
  TimePoint stalled_until_{};
  uint64_t drain_rate_ = 1;    // media rate of the last queued write, for the fill level
  uint64_t next_lba_ = UINT64_MAX;  // where the head is after the last access
};

}  // namespace discrec::device::sim
