#include "recorder/core/admission.h"

#include <cmath>
#include <cstdio>
#include <string>

namespace discrec::recorder {

namespace {
uint64_t saturating_bits(uint64_t bytes) {
  uint64_t bits = 0;
  return __builtin_mul_overflow(bytes, uint64_t{8}, &bits) ? UINT64_MAX : bits;
}
}  // namespace

Status check_declared_bitrate(uint64_t bitrate_bps) {
  if (bitrate_bps == 0) {
    return Error(ErrorCode::kInvalidArgument,
                 "a recording must declare its expected bitrate (got 0 bit/s)");
  }
  if (bitrate_bps > kMaxBitrateBps) {
    return Error(ErrorCode::kInvalidArgument,
                 "declared bitrate " + std::to_string(bitrate_bps) + " bit/s exceeds the maximum of " +
                     std::to_string(kMaxBitrateBps) + " bit/s");
  }
  return ok_status();
}

AdmissionControl::AdmissionControl(uint64_t guaranteed_bytes_per_second, double margin)
    : capacity_bps_(saturating_bits(guaranteed_bytes_per_second)), margin_(margin) {}

Status AdmissionControl::admit(uint64_t bitrate_bps) {
  RETURN_IF_ERROR(check_declared_bitrate(bitrate_bps));
  // Written so NaN fails too.
  if (!(margin_ >= 0 && margin_ <= kMaxAdmissionMargin)) {
    char buf[160];
    std::snprintf(buf, sizeof buf,
                  "admission margin %g is not a number between 0 and %g: refusing every recording",
                  margin_, kMaxAdmissionMargin);
    return Error(ErrorCode::kFailedPrecondition, buf);
  }
  const double factor = 1.0 + margin_;
  // Checked: bitrates are capped and at most max_recordings are admitted, so
  // this cannot wrap today, but admission must not depend on that.
  uint64_t sum = 0;
  const bool wrapped = __builtin_add_overflow(admitted_bps_, bitrate_bps, &sum);
  // In double, where a product cannot wrap (it can only round, by far less
  // than the margin): both sides are at most ~2^64 and the factor <= 10.
  if (!wrapped && static_cast<double>(sum) * factor <= static_cast<double>(capacity_bps_)) {
    admitted_bps_ = sum;
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
                static_cast<double>(bitrate_bps) / mbit, static_cast<double>(bitrate_bps) * factor / mbit,
                margin_ * 100, static_cast<double>(admitted_bps_) / mbit, admitted_with_margin / mbit,
                static_cast<double>(capacity_bps_) / mbit, available / mbit, available / factor / mbit);
  return Error(ErrorCode::kResourceExhausted, buf);
}

void AdmissionControl::release(uint64_t bitrate_bps) {
  admitted_bps_ = bitrate_bps > admitted_bps_ ? 0 : admitted_bps_ - bitrate_bps;
}

}  // namespace discrec::recorder
