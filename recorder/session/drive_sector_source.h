// A Drive as a UDF SectorSource: READ(12) without the Streaming bit, so the
// drive retries and corrects while the file system is read back.
//
// Thread-safety: as the Drive (thread-safe), one reader at a time.
#pragma once

#include "device/drive.h"
#include "recorder/udf/volume_reader.h"

namespace discrec::recorder {

class DriveSectorSource final : public udf::SectorSource {
 public:
  // `sectors`: the disc's size in sectors (0: ask READ CAPACITY).
  DriveSectorSource(device::Drive& drive, uint32_t sectors, uint32_t block_size = 2048)
      : drive_(drive), sectors_(sectors), block_size_(block_size) {
    if (sectors_ == 0) {
      if (auto cap = drive_.read_capacity(); cap.ok()) sectors_ = cap->last_lba + 1;
    }
  }
  uint32_t sector_count() const override { return sectors_; }
  Status read(uint32_t lba, std::span<uint8_t> out) override {
    if (lba >= sectors_ || out.size() / block_size_ > sectors_ - lba)
      return Error(ErrorCode::kInvalidArgument, "read past the end of the disc at LBA " + std::to_string(lba));
    return drive_.read12(lba, out, /*streaming=*/false);
  }

 private:
  device::Drive& drive_;
  uint32_t sectors_;
  uint32_t block_size_;
};

}  // namespace discrec::recorder
