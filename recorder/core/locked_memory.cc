// The portable half of LockedMemory: ownership moves. Allocation, locking
// and release are per OS (locked_memory_posix.cc, locked_memory_windows.cc).
#include "recorder/core/locked_memory.h"

#include <cstring>
#include <utility>

namespace discrec::recorder {

LockedMemory::LockedMemory(LockedMemory&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      locked_(std::exchange(other.locked_, false)) {}

LockedMemory& LockedMemory::operator=(LockedMemory&& other) noexcept {
  if (this != &other) {
    release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    locked_ = std::exchange(other.locked_, false);
  }
  return *this;
}

LockedMemory::~LockedMemory() { release(); }

Result<LockedMemory> LockedMemory::allocate(size_t bytes) { return map(bytes, /*touch_unlocked=*/true); }

Result<LockedMemory> LockedMemory::reserve(size_t bytes) { return map(bytes, /*touch_unlocked=*/false); }

void LockedMemory::prefault(size_t offset, size_t bytes) { std::memset(data_ + offset, 0, bytes); }

}  // namespace discrec::recorder
