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
// No allocation, lock or system call happens after create(). The memory is
// a RingMemory: a region of the ring's own, or granules carved from the
// daemon's RingPool, which need not be contiguous (a write or read that
// crosses a seam is split there, as one that wraps is split at the end).
//
// Thread-safety: one producer thread calls the producer methods, one
// consumer thread calls the consumer methods; fill()/capacity()/locked()
// are safe from any thread.
#pragma once

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <span>
#include <type_traits>

#include "base/clock.h"
#include "base/result.h"
#include "recorder/core/ring_pool.h"

namespace discrec::recorder {

// Separate cache lines for the two sides so they do not false-share.
inline constexpr size_t kCacheLine = 64;

// Rounds up to a power of two (>= 2), so index -> offset is a mask.
size_t ring_capacity_for(size_t requested);

class ByteRing {
 public:
  // Capacity is `requested` rounded up to a power of two; with a `pool`,
  // at least one granule, carved from it (kResourceExhausted when it has
  // not that much free), else mapped for this ring alone.
  static Result<ByteRing> create(size_t requested, RingPool* pool = nullptr);

  ByteRing(ByteRing&& other) noexcept;
  ByteRing& operator=(ByteRing&&) = delete;
  ByteRing(const ByteRing&) = delete;

  size_t capacity() const { return capacity_; }
  bool locked() const { return memory_.locked(); }
  // Frees the region for good once neither side will touch it again; the
  // indices (fill level, positions) stay readable.
  void release_memory() { memory_.reset(); }
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
  // The next `n` unconsumed bytes in place, when they neither wrap around
  // the end of the region nor cross a seam between its runs; empty
  // otherwise. Valid until consume() releases them. REQUIRES: n <= fill().
  std::span<const uint8_t> contiguous(size_t n) const {
    const size_t offset = static_cast<size_t>(read_.load(std::memory_order_relaxed) & mask_);
    if (n > memory_.contiguous_from(offset)) return {};
    return {memory_.at(offset), n};
  }
  // Bytes from the read position to the end of the region or of its run:
  // how much can be handed out in place before the ring wraps or the
  // memory has a seam.
  size_t bytes_to_end() const {
    return memory_.contiguous_from(static_cast<size_t>(read_.load(std::memory_order_relaxed) & mask_));
  }
  // Physically contiguous runs of the ring's memory (1 unless carved from a
  // fragmented pool).
  size_t memory_runs() const { return memory_.run_count(); }
  // Releases `n` bytes to the producer. REQUIRES: n <= fill().
  void consume(size_t n) {
    read_.store(read_.load(std::memory_order_relaxed) + n, std::memory_order_release);
  }

 private:
  ByteRing(RingMemory memory, size_t capacity);
  // Inline for the common case (no wrap, no seam): small chunks pay for a
  // call otherwise.
  void copy_in(uint64_t pos, std::span<const uint8_t> bytes) {
    const size_t offset = static_cast<size_t>(pos & mask_);
    if (bytes.size() <= memory_.contiguous_from(offset)) {
      std::memcpy(memory_.at(offset), bytes.data(), bytes.size());
    } else {
      copy_in_split(offset, bytes);
    }
  }
  void copy_in_split(size_t offset, std::span<const uint8_t> bytes);
  void copy_out(uint64_t pos, std::span<uint8_t> out) const;

  RingMemory memory_;
  size_t capacity_ = 0;
  size_t mask_ = 0;
  alignas(kCacheLine) std::atomic<uint64_t> write_{0};
  uint64_t cached_read_ = 0;  // producer's last view of read_
  alignas(kCacheLine) std::atomic<uint64_t> read_{0};
};

// A fixed-capacity SPSC ring of trivially copyable records.
// Records never straddle a granule seam: their size is a power of two no
// larger than a granule.
template <typename T>
class SpscRing {
  static_assert(std::is_trivially_copyable_v<T>);
  static_assert(std::has_single_bit(sizeof(T)) && sizeof(T) <= RingPool::kGranuleBytes);

 public:
  // As ByteRing::create(); with a pool, the capacity fills whole granules.
  static Result<SpscRing> create(size_t requested, RingPool* pool = nullptr) {
    size_t capacity = ring_capacity_for(requested);
    if (pool == nullptr) {
      ASSIGN_OR_RETURN(RingMemory memory, RingMemory::allocate(capacity * sizeof(T)));
      return SpscRing(std::move(memory), capacity);
    }
    capacity = std::max(capacity, RingPool::kGranuleBytes / sizeof(T));
    ASSIGN_OR_RETURN(RingMemory memory, RingMemory::carve(*pool, capacity * sizeof(T)));
    return SpscRing(std::move(memory), capacity);
  }
  // A few records in ordinary heap memory (not locked): for rings too small
  // to take a granule of a pool.
  static SpscRing create_on_heap(size_t requested) {
    const size_t capacity = ring_capacity_for(requested);
    return SpscRing(RingMemory::on_heap(capacity * sizeof(T)), capacity);
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
    memory_.reset();
    slots_ = nullptr;
  }
  size_t size() const {
    const uint64_t r = read_.load(std::memory_order_acquire);  // first: see fill()
    const uint64_t w = write_.load(std::memory_order_acquire);
    return static_cast<size_t>(std::min<uint64_t>(w - r, capacity_));
  }

  // --- producer ---
  bool free_slot() { return free_slots(1); }
  // Room for `n` more records.
  bool free_slots(size_t n) {
    const uint64_t w = write_.load(std::memory_order_relaxed);
    if (capacity_ - (w - cached_read_) >= n) return true;
    cached_read_ = read_.load(std::memory_order_acquire);
    return capacity_ - (w - cached_read_) >= n;
  }
  bool try_push(const T& value) {
    if (!free_slot()) return false;
    staged() = value;
    commit();
    return true;
  }
  // A push in two steps: the record the next commit() publishes, which the
  // producer may fill and rewrite until then (the consumer never reads past
  // the write index). REQUIRES: free_slot().
  T& staged() { return slot_at(write_.load(std::memory_order_relaxed)); }
  void commit() {
    write_.store(write_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }

  // --- consumer ---
  // Number of records visible to the consumer.
  size_t available() const {
    return static_cast<size_t>(write_.load(std::memory_order_acquire) -
                               read_.load(std::memory_order_relaxed));
  }
  // The i-th unconsumed record. REQUIRES: i < available().
  const T& at(size_t i) const { return slot_at(read_.load(std::memory_order_relaxed) + i); }
  // For walks: the index of the first unconsumed record, and a record by
  // index (one load of the read index for the whole walk).
  uint64_t read_index() const { return read_.load(std::memory_order_relaxed); }
  const T& slot(uint64_t index) const { return slot_at(index); }
  T& at_mutable(size_t i) { return slot_at(read_.load(std::memory_order_relaxed) + i); }
  void pop(size_t n = 1) {
    read_.store(read_.load(std::memory_order_relaxed) + n, std::memory_order_release);
  }

 private:
  SpscRing(RingMemory memory, size_t capacity)
      : memory_(std::move(memory)), capacity_(capacity), mask_(capacity - 1) {
    // One contiguous run (the usual case) is indexed directly.
    const size_t bytes = capacity * sizeof(T);
    for (size_t offset = 0; offset < bytes;) {
      const size_t run = memory_.contiguous_from(offset);
      new (memory_.at(offset)) T[run / sizeof(T)];
      offset += run;
    }
    if (memory_.contiguous_from(0) == bytes) slots_ = reinterpret_cast<T*>(memory_.at(0));
  }
  T& slot_at(uint64_t index) const {
    if (slots_ != nullptr) [[likely]] return slots_[index & mask_];
    return *reinterpret_cast<T*>(memory_.at(static_cast<size_t>(index & mask_) * sizeof(T)));
  }

  RingMemory memory_;
  T* slots_ = nullptr;  // when memory_ is one run
  size_t capacity_ = 0;
  size_t mask_ = 0;
  alignas(kCacheLine) std::atomic<uint64_t> write_{0};
  uint64_t cached_read_ = 0;
  alignas(kCacheLine) std::atomic<uint64_t> read_{0};
};

// What a run of pushes into a recording's ring was: one push, or several
// consecutive small pushes of one GOP that a ChunkCoalescer merged.
// 32 bytes, two to a cache line: the records are what the producer's and
// the writer's cores hand each other.
struct Chunk {
  uint64_t input_begin = 0;    // byte range in the recording's input stream
  uint32_t size = 0;           // bytes; the range is [input_begin, input_begin + size)
  uint32_t stream_id : 31 = 0;
  uint32_t gop_start : 1 = 0;  // the first byte begins a random-access point
  TimePoint arrival{};         // of the first push; the deadline is this + the latency budget
  TimePoint last_arrival{};    // of the last push
  uint64_t input_end() const { return input_begin + size; }
};
static_assert(sizeof(Chunk) == 32);

using ChunkRing = SpscRing<Chunk>;

// The producer side of a ChunkRing, merging small pushes into fewer records.
//
// Why: every record is a cache line (half of one) that crosses from the
// producer's core to the writer's and back (the producer's next lap writes
// it again). With 1316-byte pushes (7 TS packets, a UDP datagram) that
// transfer costs more than copying the push's bytes when the two cores are
// far apart (bench_ring: 0.22 of memcpy; 0.75 merged). The writer needs
// records only for GOP starts, deadlines and time ranges, so consecutive
// pushes merge while:
//  - none of them starts a GOP (a GOP start always begins a record: shedding
//    stays exact to the byte),
//  - the record is shorter than `publish_bytes` (it is published the moment
//    it reaches that), and
//  - they arrived within `max_span` of its first push (a record's deadline
//    is its first push's, so later pushes in it are judged at most that much
//    early; its time range stays exact through last_arrival).
// Cost: the writer does not see the pending record (< publish_bytes) until
// it is published: when it reaches publish_bytes, at the first push more
// than max_span after its first, when the ring is full, or at the stop.
// The writer writes whole ECC units only, so this can only delay the unit
// those bytes complete, by at most max_span and one push interval (a source
// that goes silent holds them until it speaks again or is stopped: less
// than the 64 KiB the ingest muxer buffers before each push anyway).
//
// Thread-safety: the producer's. After the producer has provably stopped
// (the Recording's stop handshake), the consumer may call publish() for it.
class ChunkCoalescer {
 public:
  // A DVD's ECC unit, half of a BD's.
  static constexpr uint32_t kDefaultPublishBytes = 32 << 10;

  ChunkCoalescer(uint32_t publish_bytes, Nanos max_span)
      : publish_bytes_(publish_bytes), max_span_(max_span) {}

  // Room in `ring` for add(): the record it may start beside the pending one.
  bool has_room(ChunkRing& ring) { return ring.free_slots(pending_ ? 2 : 1); }
  // has_room(), publishing the pending record first if only that is short.
  bool make_room(ChunkRing& ring) {
    if (has_room(ring)) return true;
    publish(ring);
    return has_room(ring);
  }
  // Records pushed bytes. REQUIRES: has_room(ring).
  void add(ChunkRing& ring, const Chunk& c) {
    if (pending_) {
      Chunk& p = ring.staged();
      if (!c.gop_start && c.size < publish_bytes_ && c.input_begin == p.input_end() &&
          c.arrival - p.arrival <= max_span_) {
        p.size += c.size;  // < 2 * publish_bytes_: both were below it
        p.last_arrival = c.arrival;
        if (p.size >= publish_bytes_) publish(ring);
        return;
      }
      publish(ring);
    }
    ring.staged() = c;
    pending_ = true;
    if (c.size >= publish_bytes_) publish(ring);
  }
  // Makes the pending record, if any, visible to the consumer.
  void publish(ChunkRing& ring) {
    if (!pending_) return;
    ring.commit();
    pending_ = false;
  }
  bool pending() const { return pending_; }

 private:
  uint32_t publish_bytes_;
  Nanos max_span_;
  bool pending_ = false;  // ring.staged() holds a record not yet committed
};

}  // namespace discrec::recorder
