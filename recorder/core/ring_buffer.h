// Single-producer single-consumer rings for the real-time path: two
// monotonically increasing indices over a fixed region someone allocated once
// (PipeWire's spa_ringbuffer idea). The producer only stores the write index,
// the consumer only stores the read index; both are atomics, so the fill
// level can be read from any thread at any time.
//
// ByteRing carries the bytes; ChunkRing (an SpscRing<Chunk>) carries, beside
// it, what each pushed run of bytes is: stream, arrival, deadline, GOP start,
// byte range. Push bytes first, then the chunk: a consumer that sees a chunk
// (acquire) also sees its bytes.
//
// No allocation, lock or system call happens after create().
//
// Thread-safety: one producer thread calls the producer methods, one
// consumer thread calls the consumer methods; fill()/capacity()/locked()
// are safe from any thread.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <span>
#include <type_traits>

#include "device/clock.h"
#include "device/result.h"
#include "recorder/core/locked_memory.h"

namespace discrec::recorder {

// Separate cache lines for the two sides so they do not false-share.
inline constexpr size_t kCacheLine = 64;

// Rounds up to a power of two (>= 2), so index -> offset is a mask.
size_t ring_capacity_for(size_t requested);

class ByteRing {
 public:
  // Capacity is `requested` rounded up to a power of two.
  static Result<ByteRing> create(size_t requested);

  ByteRing(ByteRing&& other) noexcept;
  ByteRing& operator=(ByteRing&&) = delete;
  ByteRing(const ByteRing&) = delete;

  size_t capacity() const { return capacity_; }
  bool locked() const { return memory_.locked(); }
  // Frees the region for good once neither side will touch it again; the
  // indices (fill level, positions) stay readable.
  void release_memory() { memory_ = LockedMemory(); }
  // Unconsumed bytes. Any thread; exact for the two sides, a recent value
  // for everybody else.
  size_t fill() const {
    // Read index first: the write index loaded after it can only be ahead,
    // so an observer racing both sides never sees a negative fill (found by
    // the TSan stress test's observer thread), and the cap keeps it within
    // the region when both sides moved in between.
    const uint64_t r = read_.load(std::memory_order_acquire);
    const uint64_t w = write_.load(std::memory_order_acquire);
    return static_cast<size_t>(std::min<uint64_t>(w - r, capacity_));
  }

  // --- producer ---
  // All or nothing: false when `bytes` does not fit.
  bool try_write(std::span<const uint8_t> bytes) {
    const uint64_t w = write_.load(std::memory_order_relaxed);
    if (capacity_ - (w - cached_read_) < bytes.size()) {
      cached_read_ = read_.load(std::memory_order_acquire);
      if (capacity_ - (w - cached_read_) < bytes.size()) return false;
    }
    copy_in(w, bytes);
    write_.store(w + bytes.size(), std::memory_order_release);
    return true;
  }
  // Position the next written byte will have (bytes ever written).
  uint64_t write_position() const { return write_.load(std::memory_order_relaxed); }

  // --- consumer ---
  uint64_t read_position() const { return read_.load(std::memory_order_relaxed); }
  // Copies out.size() bytes starting `offset` bytes after the read position.
  // REQUIRES: offset + out.size() <= fill().
  void peek(size_t offset, std::span<uint8_t> out) const {
    copy_out(read_.load(std::memory_order_relaxed) + offset, out);
  }
  // The next `n` unconsumed bytes in place, when they do not wrap around the
  // end of the region; empty otherwise. Valid until consume() releases them.
  // REQUIRES: n <= fill().
  std::span<const uint8_t> contiguous(size_t n) const {
    const size_t offset = static_cast<size_t>(read_.load(std::memory_order_relaxed) & mask_);
    if (offset + n > capacity_) return {};
    return {memory_.data() + offset, n};
  }
  // Bytes from the read position to the end of the region: how much can be
  // handed out in place before the ring wraps.
  size_t bytes_to_end() const {
    return capacity_ - static_cast<size_t>(read_.load(std::memory_order_relaxed) & mask_);
  }
  // Releases `n` bytes to the producer. REQUIRES: n <= fill().
  void consume(size_t n) {
    read_.store(read_.load(std::memory_order_relaxed) + n, std::memory_order_release);
  }

 private:
  ByteRing(LockedMemory memory, size_t capacity);
  // Inline for the common case (no wrap): small chunks pay for a call
  // otherwise.
  void copy_in(uint64_t pos, std::span<const uint8_t> bytes) {
    const size_t offset = static_cast<size_t>(pos & mask_);
    if (offset + bytes.size() <= capacity_) {
      std::memcpy(memory_.data() + offset, bytes.data(), bytes.size());
    } else {
      copy_in_wrapped(offset, bytes);
    }
  }
  void copy_in_wrapped(size_t offset, std::span<const uint8_t> bytes);
  void copy_out(uint64_t pos, std::span<uint8_t> out) const;

  LockedMemory memory_;
  size_t capacity_ = 0;
  size_t mask_ = 0;
  alignas(kCacheLine) std::atomic<uint64_t> write_{0};
  uint64_t cached_read_ = 0;  // producer's last view of read_
  alignas(kCacheLine) std::atomic<uint64_t> read_{0};
};

// A fixed-capacity SPSC ring of trivially copyable records.
template <typename T>
class SpscRing {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  static Result<SpscRing> create(size_t requested) {
    const size_t capacity = ring_capacity_for(requested);
    ASSIGN_OR_RETURN(LockedMemory memory, LockedMemory::allocate(capacity * sizeof(T)));
    return SpscRing(std::move(memory), capacity);
  }
  SpscRing(SpscRing&& other) noexcept
      : memory_(std::move(other.memory_)), slots_(other.slots_), capacity_(other.capacity_),
        mask_(other.mask_) {
    write_.store(other.write_.load());
    read_.store(other.read_.load());
    cached_read_ = other.cached_read_;
  }
  SpscRing& operator=(SpscRing&&) = delete;

  size_t capacity() const { return capacity_; }
  bool locked() const { return memory_.locked(); }
  // As ByteRing::release_memory().
  void release_memory() {
    memory_ = LockedMemory();
    slots_ = nullptr;
  }
  size_t size() const {
    const uint64_t r = read_.load(std::memory_order_acquire);  // first: see fill()
    const uint64_t w = write_.load(std::memory_order_acquire);
    return static_cast<size_t>(std::min<uint64_t>(w - r, capacity_));
  }

  // --- producer ---
  bool free_slot() {
    const uint64_t w = write_.load(std::memory_order_relaxed);
    if (w - cached_read_ < capacity_) return true;
    cached_read_ = read_.load(std::memory_order_acquire);
    return w - cached_read_ < capacity_;
  }
  bool try_push(const T& value) {
    if (!free_slot()) return false;
    const uint64_t w = write_.load(std::memory_order_relaxed);
    slots_[w & mask_] = value;
    write_.store(w + 1, std::memory_order_release);
    return true;
  }

  // --- consumer ---
  // Number of records visible to the consumer.
  size_t available() const {
    return static_cast<size_t>(write_.load(std::memory_order_acquire) -
                               read_.load(std::memory_order_relaxed));
  }
  // The i-th unconsumed record. REQUIRES: i < available().
  const T& at(size_t i) const { return slots_[(read_.load(std::memory_order_relaxed) + i) & mask_]; }
  T& at_mutable(size_t i) { return slots_[(read_.load(std::memory_order_relaxed) + i) & mask_]; }
  void pop(size_t n = 1) {
    read_.store(read_.load(std::memory_order_relaxed) + n, std::memory_order_release);
  }

 private:
  SpscRing(LockedMemory memory, size_t capacity)
      : memory_(std::move(memory)), slots_(new (memory_.data()) T[capacity]), capacity_(capacity),
        mask_(capacity - 1) {}

  LockedMemory memory_;
  T* slots_ = nullptr;
  size_t capacity_ = 0;
  size_t mask_ = 0;
  alignas(kCacheLine) std::atomic<uint64_t> write_{0};
  uint64_t cached_read_ = 0;
  alignas(kCacheLine) std::atomic<uint64_t> read_{0};
};

// What one push into a recording's ring was.
// 32 bytes, two to a cache line: the records are what the producer's and
// the writer's cores hand each other for every push.
struct Chunk {
  uint64_t input_begin = 0;    // byte range in the recording's input stream
  uint32_t size = 0;           // bytes; the range is [input_begin, input_begin + size)
  uint32_t stream_id : 31 = 0;
  uint32_t gop_start : 1 = 0;  // the first byte begins a random-access point
  TimePoint arrival{};
  TimePoint deadline{};        // arrival + the recording's latency budget
  uint64_t input_end() const { return input_begin + size; }
};
static_assert(sizeof(Chunk) == 32);

using ChunkRing = SpscRing<Chunk>;

}  // namespace discrec::recorder
