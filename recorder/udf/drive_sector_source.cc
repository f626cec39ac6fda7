#include "recorder/udf/drive_sector_source.h"

#include <algorithm>
#include <string>

namespace discrec::recorder::udf {

DriveSectorSource::DriveSectorSource(device::Drive& drive, uint32_t sector_count)
    : drive_(drive), sectors_(sector_count) {
  if (sectors_ == 0) {
    if (auto capacity = drive_.read_capacity(); capacity.ok()) sectors_ = capacity->last_lba + 1;
  }
}

Status DriveSectorSource::read(uint32_t lba, std::span<uint8_t> out) {
  if (out.size() % kSectorSize != 0 || uint64_t{lba} + out.size() / kSectorSize > sectors_) {
    return Error(ErrorCode::kInvalidArgument, "read past the end of the disc at " + std::to_string(lba));
  }
  // Small runs: one failing sector costs little, and every drive takes 64 KiB.
  constexpr size_t kRun = 32 * kSectorSize;
  for (size_t done = 0; done < out.size(); done += kRun) {
    const size_t n = std::min(kRun, out.size() - done);
    const uint32_t at = lba + static_cast<uint32_t>(done / kSectorSize);
    Status st = drive_.read12(at, out.subspan(done, n), /*streaming=*/false);
    if (!st.ok()) return std::move(st).error().with_context("reading UDF sectors at " + std::to_string(at));
  }
  return ok_status();
}

}  // namespace discrec::recorder::udf
