#include "recorder/core/ring_buffer.h"

#include <algorithm>
#include <bit>

namespace discrec::recorder {

size_t ring_capacity_for(size_t requested) {
  return std::bit_ceil(std::max<size_t>(requested, 2));
}

Result<ByteRing> ByteRing::create(size_t requested) {
  if (requested == 0) return Error(ErrorCode::kInvalidArgument, "ring size must be > 0");
  const size_t capacity = ring_capacity_for(requested);
  ASSIGN_OR_RETURN(LockedMemory memory, LockedMemory::allocate(capacity));
  return ByteRing(std::move(memory), capacity);
}

ByteRing::ByteRing(LockedMemory memory, size_t capacity)
    : memory_(std::move(memory)), capacity_(capacity), mask_(capacity - 1) {}

ByteRing::ByteRing(ByteRing&& other) noexcept
    : memory_(std::move(other.memory_)), capacity_(other.capacity_), mask_(other.mask_) {
  write_.store(other.write_.load());
  read_.store(other.read_.load());
  cached_read_ = other.cached_read_;
}

void ByteRing::copy_in_wrapped(size_t offset, std::span<const uint8_t> bytes) {
  const size_t first = capacity_ - offset;
  std::memcpy(memory_.data() + offset, bytes.data(), first);
  std::memcpy(memory_.data(), bytes.data() + first, bytes.size() - first);
}

void ByteRing::copy_out(uint64_t pos, std::span<uint8_t> out) const {
  const size_t offset = static_cast<size_t>(pos & mask_);
  const size_t first = std::min(out.size(), capacity_ - offset);
  std::memcpy(out.data(), memory_.data() + offset, first);
  if (first < out.size()) std::memcpy(out.data() + first, memory_.data(), out.size() - first);
}

}  // namespace discrec::recorder
