#include "recorder/session/checksum_target.h"

#include "recorder/session/crc32c.h"

namespace discrec::recorder {

ChecksumTarget::ChecksumTarget(BlockTarget& inner, uint32_t first_lba, uint32_t end_lba, uint32_t unit_blocks,
                               uint32_t block_size)
    : inner_(inner),
      first_lba_(first_lba),
      end_lba_(end_lba),
      unit_blocks_(unit_blocks ? unit_blocks : 1),
      block_size_(block_size) {
  units_ = end_lba > first_lba ? (end_lba - first_lba + unit_blocks_ - 1) / unit_blocks_ : 0;
  crcs_ = std::make_unique<std::atomic<uint32_t>[]>(units_);
  written_ = std::make_unique<std::atomic<uint64_t>[]>((units_ + 63) / 64);
  for (size_t i = 0; i < units_; ++i) crcs_[i].store(0, std::memory_order_relaxed);
  for (size_t i = 0; i < (units_ + 63) / 64; ++i) written_[i].store(0, std::memory_order_relaxed);
}

Status ChecksumTarget::write_blocks(uint32_t lba, std::span<const uint8_t> data, bool live) {
  Status status = inner_.write_blocks(lba, data, live);
  // Only what the drive acknowledged gets a checksum; a failed unit stays
  // unknown and verify reports it as a lost extent, not a mismatch.
  if (status.ok()) remember(lba, data);
  return status;
}

void ChecksumTarget::taken_unanswered(uint32_t lba, std::span<const uint8_t> data) {
  remember(lba, data);
  inner_.taken_unanswered(lba, data);
}

void ChecksumTarget::remember(uint32_t lba, std::span<const uint8_t> data) {
  const size_t unit_bytes = size_t{unit_blocks_} * block_size_;
  for (size_t off = 0; off + unit_bytes <= data.size(); off += unit_bytes) {
    uint32_t unit_lba = lba + static_cast<uint32_t>(off / block_size_);
    if (unit_lba < first_lba_ || unit_lba >= end_lba_ || (unit_lba - first_lba_) % unit_blocks_ != 0) continue;
    size_t index = (unit_lba - first_lba_) / unit_blocks_;
    crcs_[index].store(crc32c(data.subspan(off, unit_bytes)), std::memory_order_relaxed);
    // Only the writer thread sets bits: a load and a store, no read-modify-write.
    const uint64_t word = written_[index / 64].load(std::memory_order_relaxed);
    written_[index / 64].store(word | uint64_t{1} << (index % 64), std::memory_order_release);
  }
}

std::optional<uint32_t> ChecksumTarget::crc_of(uint32_t lba) const {
  if (lba < first_lba_ || lba >= end_lba_ || (lba - first_lba_) % unit_blocks_ != 0) return std::nullopt;
  size_t index = (lba - first_lba_) / unit_blocks_;
  if ((written_[index / 64].load(std::memory_order_acquire) >> (index % 64) & 1) == 0) return std::nullopt;
  return crcs_[index].load(std::memory_order_relaxed);
}

}  // namespace discrec::recorder
