// Admission control for one drive: a recording is admitted only if the sum
// of admitted bitrates, each with the margin, fits inside the speed the drive
// guarantees. A refusal (kResourceExhausted) names the numbers in Mbit/s.
//
// Thread-safety: thread-compatible; StreamingWriter calls it under its
// control-side mutex.
#pragma once

#include <cstdint>

#include "device/result.h"

namespace discrec::recorder {

class AdmissionControl {
 public:
  // `guaranteed_bytes_per_second`: what the drive took (GET PERFORMANCE).
  // `margin`: 0.10 = every stream is budgeted at 110% of its bitrate.
  AdmissionControl(uint64_t guaranteed_bytes_per_second, double margin)
      : capacity_bps_(guaranteed_bytes_per_second * 8), margin_(margin) {}

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
