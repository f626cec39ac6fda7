// The portable half of LockedMemory: ownership moves. Allocation, locking
// and release are per OS (locked_memory_posix.cc, locked_memory_windows.cc).
#include "recorder/core/locked_memory.h"

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

}  // namespace discrec::recorder
