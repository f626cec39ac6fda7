// ChecksumTarget: a BlockTarget that passes writes through and remembers a
// CRC-32C (crc32c.h) of every ECC unit that the drive acknowledged, so verify can read
// the disc back and say exactly which units differ.
//
// The table is allocated once for the whole writable range (4 bytes and a
// bit per unit: 1.6 MB for a 25 GB BD), so the writer's hot path never
// allocates and the memory does not grow with what is recorded.
//
// Thread-safety: write_blocks()/flush() from the writer thread; crc_of()
// from any thread: a unit's CRC is stored before its bit in the presence
// bitmap is set (release), both before the writer publishes the extent
// that contains the unit.
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

  Status write_blocks(uint32_t lba, std::span<const uint8_t> data, bool live) override;
  Status flush() override { return inner_.flush(); }
  Result<uint32_t> next_writable_address(uint32_t lba) override { return inner_.next_writable_address(lba); }
  Result<Position> position(uint32_t lba) override { return inner_.position(lba); }
  void taken_unanswered(uint32_t lba, std::span<const uint8_t> data) override;
  Status read_blocks(uint32_t lba, std::span<uint8_t> out) override { return inner_.read_blocks(lba, out); }

  // CRC-32C of the unit starting at `lba` (unit-aligned), if it was written.
  std::optional<uint32_t> crc_of(uint32_t lba) const;
  uint32_t unit_blocks() const { return unit_blocks_; }
  // Heap bytes of the table (fixed by the range).
  size_t bookkeeping_bytes() const { return units_ * sizeof(uint32_t) + (units_ + 63) / 64 * sizeof(uint64_t); }

 private:
  void remember(uint32_t lba, std::span<const uint8_t> data);

  BlockTarget& inner_;
  const uint32_t first_lba_;
  const uint32_t end_lba_;
  const uint32_t unit_blocks_;
  const uint32_t block_size_;
  size_t units_ = 0;
  std::unique_ptr<std::atomic<uint32_t>[]> crcs_;    // per unit, valid where its bit is set
  std::unique_ptr<std::atomic<uint64_t>[]> written_;  // bitmap: one bit per unit
};

}  // namespace discrec::recorder
