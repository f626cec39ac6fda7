// ChecksumTarget: a BlockTarget that passes writes through and remembers a
// CRC-32C (crc32c.h) of every ECC unit that the drive acknowledged, so verify can read
// the disc back and say exactly which units differ.
//
// The table is allocated once for the whole writable range (4 bytes per
// unit: 1.5 MiB for a 25 GB BD), so the writer's hot path never allocates.
//
// Thread-safety: write_blocks()/flush() from the writer thread; crc_of()
// from any thread: each unit's entry is one atomic word, stored (release)
// before the writer publishes the extent that contains it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "recorder/core/block_target.h"

namespace discrec::recorder {

class ChecksumTarget final : public BlockTarget {
 public:
  // Covers LBAs [first_lba, end_lba) in units of `unit_blocks`.
  ChecksumTarget(BlockTarget& inner, uint32_t first_lba, uint32_t end_lba, uint32_t unit_blocks,
                 uint32_t block_size = 2048);

  Status write_blocks(uint32_t lba, std::span<const uint8_t> data, bool streaming) override;
  Status flush() override { return inner_.flush(); }
  Result<uint32_t> next_writable_address(uint32_t lba) override { return inner_.next_writable_address(lba); }
  Result<Position> position(uint32_t lba) override { return inner_.position(lba); }
  void taken_unanswered(uint32_t lba, std::span<const uint8_t> data) override;
  Status read_blocks(uint32_t lba, std::span<uint8_t> out) override { return inner_.read_blocks(lba, out); }

  // CRC-32C of the unit starting at `lba` (unit-aligned), if it was written.
  std::optional<uint32_t> crc_of(uint32_t lba) const;
  uint32_t unit_blocks() const { return unit_blocks_; }

 private:
  void remember(uint32_t lba, std::span<const uint8_t> data);

  BlockTarget& inner_;
  const uint32_t first_lba_;
  const uint32_t end_lba_;
  const uint32_t unit_blocks_;
  const uint32_t block_size_;
  size_t units_ = 0;
  // Per unit: 0 = not written, else (1 << 32) | crc.
  std::unique_ptr<std::atomic<uint64_t>[]> crcs_;
};

}  // namespace discrec::recorder
