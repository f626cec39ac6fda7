#include "recorder/core/admission.h"

#include <cstdio>
#include <string>

namespace discrec::recorder {

Status AdmissionControl::admit(uint64_t bitrate_bps) {
  if (bitrate_bps == 0) {
    return Error(ErrorCode::kInvalidArgument,
                 "a recording must declare its expected bitrate (got 0 bit/s)");
  }
  const double factor = 1.0 + margin_;
  const double needed = static_cast<double>(admitted_bps_ + bitrate_bps) * factor;
  if (needed <= static_cast<double>(capacity_bps_)) {
    admitted_bps_ += bitrate_bps;
    return ok_status();
  }
  const double mbit = 1e6;
  const double admitted_with_margin = static_cast<double>(admitted_bps_) * factor;
  double available = static_cast<double>(capacity_bps_) - admitted_with_margin;
  if (available < 0) available = 0;
  char buf[320];
  std::snprintf(buf, sizeof buf,
                "admission refused: requested %.2f Mbit/s (%.2f Mbit/s with %.0f%% margin), "
                "already admitted %.2f Mbit/s (%.2f Mbit/s with margin), drive guarantees "
                "%.2f Mbit/s, available %.2f Mbit/s (%.2f Mbit/s before margin)",
                bitrate_bps / mbit, bitrate_bps * factor / mbit, margin_ * 100,
                admitted_bps_ / mbit, admitted_with_margin / mbit, capacity_bps_ / mbit,
                available / mbit, available / factor / mbit);
  return Error(ErrorCode::kResourceExhausted, buf);
}

void AdmissionControl::release(uint64_t bitrate_bps) {
  admitted_bps_ = bitrate_bps > admitted_bps_ ? 0 : admitted_bps_ - bitrate_bps;
}

}  // namespace discrec::recorder
