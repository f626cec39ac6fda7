// A SectorSource over a Drive: read_volume and read_file_bytes on a real (or
// emulated) disc, with READ(12), not streaming, in runs of up to 32 sectors.
//
// Thread-safety: thread-bound like any SectorSource; the Drive it borrows is
// thread-safe and must outlive it.
#pragma once

#include <cstdint>
#include <span>

#include "device/drive.h"
#include "recorder/udf/volume_reader.h"

namespace discrec::recorder::udf {

class DriveSectorSource : public SectorSource {
 public:
  // `sector_count`: READ CAPACITY's last LBA + 1 (a closed disc ends at its
  // closing anchor); 0 asks READ CAPACITY now (a failure leaves an empty
  // source, whose reads fail).
  DriveSectorSource(device::Drive& drive, uint32_t sector_count);
  uint32_t sector_count() const override { return sectors_; }
  Status read(uint32_t lba, std::span<uint8_t> out) override;

 private:
  device::Drive& drive_;
  uint32_t sectors_;
};

}  // namespace discrec::recorder::udf
