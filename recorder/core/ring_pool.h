// RingPool: the memory of every recording's rings, mapped and locked once
// when the daemon starts. A recording's rings are carved from it and given
// back, so starting and stopping recordings never maps, locks or unmaps
// memory: those take the process's address-space lock for writing, and
// while a large ring was being mapped and faulted in every running
// recording's threads stalled behind it (issue 17: missed deadlines in a
// start storm).
//
// The allocator: fixed 64 KiB granules, a bitmap of the free ones, and rings
// that need not be contiguous (RingMemory maps a ring's offset to its
// granule through a table). Why: rings have many sizes (a client may ask
// for any), live for hours and end in any order, so any contiguous scheme
// (best fit, buddy) can leave the free memory in pieces too small for the
// next ring although together they would hold it: capacity stranded exactly
// when a start storm needs it. With granules every free granule is usable
// by any ring, so what is free can always be carved. The cost is bounded:
// a carve takes the best-fitting single run of free granules when there is
// one (the usual case: the ring is one contiguous region, as before), and
// only otherwise the fewest, largest runs; a ring's writer then stops a
// command at a run's end as it stops at the ring's end (ByteRing::
// bytes_to_end). 64 KiB: a BD ECC cluster, so in-place commands of whole
// units are cut only at run ends; small enough that a ring's chunk records
// waste little; large enough that a 64 MiB ring's table is 16 KiB.
//
// When the pool cannot be locked (no CAP_IPC_LOCK, RLIMIT_MEMLOCK too
// small) it is only reserved: carved granules are faulted in at the carve
// (as an unlocked ring was touched when allocated) and given back to the
// system when returned, so the daemon's resident memory follows its rings
// as before. Rings then report themselves not locked.
//
// Thread-safety: thread-safe. carve() and returning a carve are for control
// threads, never the real-time path (they take a mutex; an unlocked pool
// touches or discards pages).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "recorder/core/locked_memory.h"

namespace discrec::recorder {

// "12.5 MiB": ring sizes in messages.
std::string format_mib(uint64_t bytes);

class RingPool;

// The memory one ring indexes: `size()` bytes at logical offsets
// 0..size()-1, in one or more physically contiguous runs. Owns what it
// maps or carves and gives it back when destroyed or reset.
//
// Thread-safety: const methods are safe from any thread while the object
// lives; moving and destroying are the owner's.
class RingMemory {
 public:
  RingMemory() = default;
  // A region of its own (LockedMemory::allocate): one run.
  static Result<RingMemory> allocate(size_t bytes);
  // `bytes` (rounded up to granules) from `pool`; kResourceExhausted when
  // the pool has not that much free.
  static Result<RingMemory> carve(RingPool& pool, size_t bytes);
  // Plain heap memory, never locked: for records so small (a few hundred
  // bytes) that a granule would be wasted on them; they are as resident as
  // the object holding them.
  static RingMemory on_heap(size_t bytes);

  RingMemory(RingMemory&& other) noexcept { *this = std::move(other); }
  RingMemory& operator=(RingMemory&& other) noexcept;
  RingMemory(const RingMemory&) = delete;
  RingMemory& operator=(const RingMemory&) = delete;
  ~RingMemory() { reset(); }
  void reset();

  size_t size() const { return size_; }
  bool locked() const { return locked_; }
  // Address of the byte at `offset`. REQUIRES: offset < size().
  uint8_t* at(size_t offset) const { return runs_[offset >> shift_].base + (offset & within_mask_); }
  // Bytes from `offset` to the end of its physically contiguous run (at
  // most size() - offset). REQUIRES: offset < size().
  size_t contiguous_from(size_t offset) const { return runs_[offset >> shift_].run_end - offset; }
  // The physically contiguous runs, in offset order.
  size_t run_count() const;
  // How many granules of a pool this holds (0 for other memory).
  size_t granules() const { return granules_.size(); }

 private:
  friend class RingPool;
  // One per granule (or a single entry for a one-run region): where the
  // granule's bytes are, and where its run ends, as a ring offset.
  struct Granule {
    uint8_t* base = nullptr;
    size_t run_end = 0;
  };
  std::vector<Granule> runs_;
  unsigned shift_ = 63;            // offset >> shift_ = index into runs_
  size_t within_mask_ = ~size_t{0} >> 1;
  size_t size_ = 0;
  bool locked_ = false;
  LockedMemory own_;               // allocate()
  std::unique_ptr<uint8_t[]> heap_;  // on_heap()
  RingPool* pool_ = nullptr;       // carve(): the granules go back here
  std::vector<uint32_t> granules_;  // carve(): pool granule indices, in offset order
};

class RingPool {
 public:
  static constexpr size_t kGranuleBytes = size_t{64} << 10;
  static constexpr unsigned kGranuleShift = 16;

  // Maps `bytes` (rounded up to granules) and tries to lock it; errors only
  // when it cannot be mapped at all.
  static Result<std::unique_ptr<RingPool>> create(size_t bytes);
  RingPool(const RingPool&) = delete;
  RingPool& operator=(const RingPool&) = delete;
  // REQUIRES: every carve has been returned.
  ~RingPool() = default;

  size_t capacity() const { return granule_count_ * kGranuleBytes; }
  size_t free_bytes() const;
  size_t used_bytes() const { return capacity() - free_bytes(); }
  // The whole pool is locked in RAM.
  bool locked() const { return memory_.locked(); }
  // What `bytes` takes from a pool: whole granules.
  static size_t carve_size(size_t bytes) { return (bytes + kGranuleBytes - 1) / kGranuleBytes * kGranuleBytes; }

 private:
  friend class RingMemory;
  explicit RingPool(LockedMemory memory);
  // The granules for `count`, in the order the ring uses them.
  Result<std::vector<uint32_t>> take(size_t count);
  void give_back(std::span<const uint32_t> granules);
  uint8_t* granule(uint32_t index) const { return memory_.data() + (size_t{index} << kGranuleShift); }
  bool is_free(size_t i) const { return (free_[i / 64] >> (i % 64)) & 1; }
  void set_free(size_t i, bool f) {
    if (f) free_[i / 64] |= uint64_t{1} << (i % 64);
    else free_[i / 64] &= ~(uint64_t{1} << (i % 64));
  }

  LockedMemory memory_;
  const size_t granule_count_;
  mutable std::mutex mutex_;
  std::vector<uint64_t> free_;  // GUARDED_BY(mutex_): bit set = granule free
  size_t free_count_ = 0;       // GUARDED_BY(mutex_)
};

}  // namespace discrec::recorder
