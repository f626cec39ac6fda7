// Admission control for one drive: a recording is admitted only if the sum
// of admitted bitrates, each with the margin, fits inside the speed the drive
// guarantees. A refusal (kResourceExhausted) names the numbers in Mbit/s.
//
// Every number here may come from a stranger (the bitrate) or a
// misconfiguration (the margin, a drive reporting an absurd speed), so the
// arithmetic is checked: no sum or product may wrap and admit what does not
// fit. A bitrate above kMaxBitrateBps is refused as malformed before any
// arithmetic, a margin that is not a finite number >= 0 refuses everything.
//
// Thread-safety: thread-compatible; StreamingWriter calls it under its
// control-side mutex.
#pragma once

#include <cstdint>

#include "base/result.h"

namespace discrec::recorder {

// The largest bitrate a recording may declare: 10 Gbit/s, well above any
// optical drive (BD 16x is 288 Mbit/s) and far from where a sum of 64 of
// them, times any sane margin, could approach 2^64.
inline constexpr uint64_t kMaxBitrateBps = 10'000'000'000;
// The largest admission margin: budgeting a stream at more than 10x its
// bitrate is a configuration error, not a safety margin.
inline constexpr double kMaxAdmissionMargin = 9.0;

// kInvalidArgument naming the value unless 0 < bitrate_bps <= kMaxBitrateBps.
Status check_declared_bitrate(uint64_t bitrate_bps);

class AdmissionControl {
 public:
  // `guaranteed_bytes_per_second`: what the drive took (GET PERFORMANCE);
  // saturates at UINT64_MAX bit/s rather than wrapping.
  // `margin`: 0.10 = every stream is budgeted at 110% of its bitrate; NaN,
  // negative or above kMaxAdmissionMargin makes admit() refuse
  // (kFailedPrecondition): a negative margin would over-admit.
  AdmissionControl(uint64_t guaranteed_bytes_per_second, double margin);

  // Admits `bitrate_bps` (bits/s) or says why not.
  Status admit(uint64_t bitrate_bps);
  void release(uint64_t bitrate_bps);

  uint64_t capacity_bps() const { return capacity_bps_; }
  uint64_t admitted_bps() const { return admitted_bps_; }
  double margin() const { return margin_; }

 private:
  uint64_t capacity_bps_;
  double margin_;
  uint64_t admitted_bps_ = 0;
};

}  // namespace discrec::recorder
