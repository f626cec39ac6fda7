#include "recorder/core/block_target.h"

#include "device/drive.h"

namespace discrec::recorder {

Status DriveBlockTarget::write_blocks(uint32_t lba, std::span<const uint8_t> data, bool streaming) {
  return drive_.write12(lba, data, streaming);
}

Status DriveBlockTarget::flush() { return drive_.synchronize_cache(); }

}  // namespace discrec::recorder
