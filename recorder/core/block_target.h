// The two commands the streaming writer's hot path needs from a drive. The
// product uses DriveBlockTarget (a device::Drive: real hardware, iSCSI or
// the emulated drive); scheduling tests and benchmarks can put a model
// behind the same interface.
//
// Thread-safety: implementations are used by one writer thread at a time.
#pragma once

#include <cstdint>
#include <span>

#include "device/result.h"

namespace discrec::device {
class Drive;
}

namespace discrec::recorder {

class BlockTarget {
 public:
  virtual ~BlockTarget() = default;
  // WRITE(12) of whole blocks at `lba`; `streaming` sets the Streaming bit.
  virtual Status write_blocks(uint32_t lba, std::span<const uint8_t> data, bool streaming) = 0;
  // SYNCHRONIZE CACHE.
  virtual Status flush() = 0;
};

// A device::Drive as a BlockTarget.
class DriveBlockTarget final : public BlockTarget {
 public:
  explicit DriveBlockTarget(device::Drive& drive) : drive_(drive) {}
  Status write_blocks(uint32_t lba, std::span<const uint8_t> data, bool streaming) override;
  Status flush() override;

 private:
  device::Drive& drive_;
};

}  // namespace discrec::recorder
