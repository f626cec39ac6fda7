// A fixed region of memory for a real-time path: allocated once, pre-faulted
// and, where the process may, locked in RAM so the writer never takes a page
// fault on it. Whether the lock took is reported, not treated as an error:
// an unprivileged daemon with a small RLIMIT_MEMLOCK still records, it just
// says so in its statistics.
//
// Thread-safety: the object is thread-compatible; the bytes it hands out are
// the caller's to synchronise.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/result.h"

namespace discrec::recorder {

class LockedMemory {
 public:
  LockedMemory() = default;
  // Maps `bytes` (rounded up to whole pages), touches every page and tries
  // mlock(). Errors only when the memory cannot be mapped at all.
  static Result<LockedMemory> allocate(size_t bytes);
  // As allocate(), but when mlock() is refused the pages are left untouched:
  // a pool (RingPool) reserved at start-up faults in only what it hands out,
  // with prefault(), and gives pages back with discard().
  static Result<LockedMemory> reserve(size_t bytes);
  // Unlocked regions only: faults [offset, offset + bytes) in now (writes
  // zeros), so the real-time path does not take the faults later.
  void prefault(size_t offset, size_t bytes);
  // Unlocked regions only: gives the pages of [offset, offset + bytes) back
  // to the system; their contents are undefined afterwards. Page-aligned.
  void discard(size_t offset, size_t bytes);

  LockedMemory(LockedMemory&& other) noexcept;
  LockedMemory& operator=(LockedMemory&& other) noexcept;
  LockedMemory(const LockedMemory&) = delete;
  LockedMemory& operator=(const LockedMemory&) = delete;
  ~LockedMemory();

  uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  // True when mlock() succeeded: the pages cannot be swapped out.
  bool locked() const { return locked_; }

 private:
  static Result<LockedMemory> map(size_t bytes, bool touch_unlocked);
  void release();
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
  bool locked_ = false;
};

}  // namespace discrec::recorder
