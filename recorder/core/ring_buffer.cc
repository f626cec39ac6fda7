#include "recorder/core/ring_buffer.h"

#include <algorithm>
#include <bit>

namespace discrec::recorder {

size_t ring_capacity_for(size_t requested) {
  return std::bit_ceil(std::max<size_t>(requested, 2));
}

Result<ByteRing> ByteRing::create(size_t requested, RingPool* pool) {
  if (requested == 0) return Error(ErrorCode::kInvalidArgument, "ring size must be > 0");
  size_t capacity = ring_capacity_for(requested);
  if (pool == nullptr) {
    ASSIGN_OR_RETURN(RingMemory memory, RingMemory::allocate(capacity));
    return ByteRing(std::move(memory), capacity);
  }
  // Whole granules: the booking is exactly what the ring uses.
  capacity = std::max(capacity, RingPool::kGranuleBytes);
  ASSIGN_OR_RETURN(RingMemory memory, RingMemory::carve(*pool, capacity));
  return ByteRing(std::move(memory), capacity);
}

ByteRing::ByteRing(RingMemory memory, size_t capacity)
    : memory_(std::move(memory)), capacity_(capacity), mask_(capacity - 1) {}

ByteRing::ByteRing(ByteRing&& other) noexcept
    : memory_(std::move(other.memory_)), capacity_(other.capacity_), mask_(other.mask_) {
  write_.store(other.write_.load());
  read_.store(other.read_.load());
  cached_read_ = other.cached_read_;
}

// Piece by piece up to each seam (a run's end, or the ring's end, where the
// next piece starts at offset 0).
void ByteRing::copy_in_split(size_t offset, std::span<const uint8_t> bytes) {
  while (!bytes.empty()) {
    const size_t n = std::min(bytes.size(), memory_.contiguous_from(offset));
    std::memcpy(memory_.at(offset), bytes.data(), n);
    bytes = bytes.subspan(n);
    offset = (offset + n) & mask_;
  }
}

void ByteRing::copy_out(uint64_t pos, std::span<uint8_t> out) const {
  size_t offset = static_cast<size_t>(pos & mask_);
  while (!out.empty()) {
    const size_t n = std::min(out.size(), memory_.contiguous_from(offset));
    std::memcpy(out.data(), memory_.at(offset), n);
    out = out.subspan(n);
    offset = (offset + n) & mask_;
  }
}

}  // namespace discrec::recorder
