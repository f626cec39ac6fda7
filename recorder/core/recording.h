// One recording on a drive: the TsSink ingest pushes into, its ring, and the
// writer's bookkeeping for it. Created by StreamingWriter::add_recording().
//
// Thread-safety:
//  - write_packets()/write_packets_at()/source_gap()/flush(): the ONE ingest thread
//    (the ring's producer). Never blocks, never allocates (source_gap aside).
//  - stats(), id(), config(), finished(), gaps(), release_buffers(): any
//    thread, never blocks the writer.
//  - `writer_`: the writer thread only (StreamingWriter is a friend).
#pragma once

#include <atomic>
#include <memory>
#include "base/mutex.h"
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "recorder/core/bounded_queue.h"
#include "recorder/core/declared_rate.h"
#include "recorder/core/extents.h"
#include "recorder/core/ring_buffer.h"
#include "recorder/core/seqlock.h"
#include "recorder/core/slack_histogram.h"
#include "recorder/ts_sink.h"

namespace discrec::recorder {

// The priorities a recording may have, inclusive. A closed range so that no
// client can outrank every other with INT32_MAX; which part of it a client
// may use (e.g. the top reserved to operators) is the daemon's policy, which
// passes its ceiling to check_priority().
inline constexpr int32_t kMinPriority = 0;
inline constexpr int32_t kMaxPriority = 100;

// kInvalidArgument naming the range unless kMinPriority <= priority <=
// min(max_allowed, kMaxPriority).
Status check_priority(int32_t priority, int32_t max_allowed = kMaxPriority);

struct RecordingConfig {
  std::string name;
  // Higher is more important, kMinPriority..kMaxPriority. Under overload the
  // lowest priority with data in its ring is shed first, a whole GOP at a
  // time; but a recording over its declared bitrate is shed before any
  // recording that is not, whatever their priorities.
  int32_t priority = 0;
  // Expected bitrate of the TS, bits/s; what admission control books, and
  // what the recording is held to (see Recording: over its declaration).
  // At most kMaxBitrateBps.
  uint64_t bitrate_bps = 0;
  // How long a byte may wait between arrival and being on disc.
  Nanos latency_budget = std::chrono::seconds(2);
  // Ring size in bytes; 0 = twice the latency budget at the bitrate, at
  // least 16 commands' worth.
  size_t ring_bytes = 0;
  // Chunk records; 0 = ring_bytes / 2048. The ChunkCoalescer merges pushes
  // into records of 32 KiB unless a GOP starts or the record's time span
  // (1/32 of the latency budget) ends first, so real streams average far
  // more than 2 KiB a record: a 1 Mbit/s stream with a 2 s budget fills 64
  // MiB in 512 s with ~8,200 records of the 32,768 this gives. The records
  // cost 1/64 of the ring (they were 1/12 at one per 376 bytes, which only
  // a stream of two-packet GOPs needs; it now overflows earlier, counted).
  size_t ring_chunks = 0;
  // Where the rings' memory comes from: the daemon's pool, reserved and
  // locked at start-up, so that starting a recording maps nothing. Null:
  // mapped (and locked where allowed) for this recording alone.
  RingPool* ring_pool = nullptr;
};

struct SourceGap {
  TimePoint start{};
  Nanos duration{};
};

class Recording final : public TsSink {
 public:
  // Use StreamingWriter::add_recording(). `min_ring_bytes`: the writer's
  // largest command, so a ring can always hold one. `rate_margin`: the
  // admission margin, how far above its declared bitrate the recording may
  // push before it is over its declaration.
  static Result<std::shared_ptr<Recording>> create(RecordingId id, RecordingConfig config,
                                                   Clock& clock, size_t min_ring_bytes,
                                                   double rate_margin);
  // What create() takes for `config`'s byte ring, so it can be budgeted
  // first: exactly the ring's capacity. Its records are metadata, 1/64 of
  // it by default (see ring_chunks), and not part of this booking.
  static Result<uint64_t> ring_memory_bytes(const RecordingConfig& config, size_t min_ring_bytes);

  // TsSink. Stamps arrival with the injected clock.
  Status write_packets(std::span<const uint8_t> packets, bool gop_start) override;
  void source_gap(TimePoint start, Nanos duration) override;
  // Publishes the record small pushes were being merged into (see
  // ChunkCoalescer), so the writer sees every byte pushed so far.
  void flush() override;

  // As write_packets with an explicit arrival time (simulations and tests
  // that replay a timeline).
  Status write_packets_at(std::span<const uint8_t> packets, bool gop_start, TimePoint arrival);

  RecordingId id() const { return id_; }
  const RecordingConfig& config() const { return config_; }
  // When a record's bytes must be on disc: its first push's arrival plus the
  // latency budget.
  TimePoint deadline(const Chunk& c) const { return c.arrival + config_.latency_budget; }
  RecordingStats stats() const;
  // Has pushed above its declared bitrate (x (1 + margin)) for longer than
  // its burst allowance (see DeclaredRateMeter), at any time: from then on
  // the writer sheds it before any recording that has not. Any thread.
  bool over_rate() const { return over_rate_.raised.load(std::memory_order_acquire); }
  // True when both rings' pages are locked in RAM (mlock succeeded): they
  // cannot be paged out under memory pressure. Valid until release_buffers().
  bool ring_locked() const { return bytes_.locked() && chunks_.locked(); }
  bool finished() const { return finished_.load(std::memory_order_acquire); }
  // Gives the ring's memory back once finished() (before, it does nothing and
  // returns false): neither the producer nor the writer touches it again,
  // and a finished recording must not keep hundreds of MiB locked while it
  // is still listed. Not on the writer thread: unmapping a large ring takes
  // milliseconds. Any other thread; idempotent.
  bool release_buffers();
  std::vector<SourceGap> gaps() const;
  // What the full ring turned away and take_overflows() has not taken yet
  // (all of it unless it is used); `first_index`, if given, gets the index
  // of the first (ranges are numbered from 0). The last range may still grow.
  std::vector<OverflowRange> overflows(uint64_t* first_index = nullptr) const;
  // For a consumer that keeps the ranges elsewhere (the crash journal), so
  // that they do not pile up here: appends the ranges not taken before to
  // `out` and returns the index of the first appended. Every range but the
  // last is handed out once; the last, which may still grow, every time
  // (until a new one follows it). One consumer; any thread.
  uint64_t take_overflows(std::vector<OverflowRange>& out);
  // Heap bytes held for ranges not taken yet.
  size_t bookkeeping_bytes() const;

 private:
  friend class StreamingWriter;
  Recording(RecordingId id, RecordingConfig config, Clock& clock, ByteRing bytes, ChunkRing chunks,
            SpscRing<uint64_t> truncated_gops, double rate_margin);
  void note_over_rate(size_t bytes, TimePoint arrival);

  const RecordingId id_;
  const RecordingConfig config_;
  Clock& clock_;
  ByteRing bytes_;
  ChunkRing chunks_;
  // Producer -> writer: where each GOP cut short by a ring overflow began.
  SpscRing<uint64_t> truncated_gops_;
  static constexpr size_t kMaxTruncatedGops = 64;

  // Producer side (the writer's once the stop handshake shows the producer
  // gone: it then publishes the coalescer's last record).
  // Small pushes merge into one record while they arrived within 1/32 of
  // the latency budget: a record is judged by its first push's deadline.
  static constexpr int kCoalesceSpanDivisor = 32;
  ChunkCoalescer coalescer_;
  bool overflow_dropping_ = false;  // dropping until the next GOP start
  static constexpr uint64_t kNoGop = UINT64_MAX;
  uint64_t gop_begin_ = kNoGop;     // where the GOP being pushed began in the ring
  std::atomic<uint64_t> bytes_in_{0};
  std::atomic<uint64_t> overflow_bytes_{0};
  std::atomic<uint64_t> high_water_{0};
  std::atomic<size_t> largest_push_{0};  // the writer's hint of what the producer needs free
  // Held to the declared bitrate (producer only); what it finds, for anyone.
  DeclaredRateMeter rate_meter_;
  std::atomic<uint64_t> over_rate_bytes_{0};  // accepted while over the declaration
  // Raised once by the producer, read by the writer at every service_once()
  // until seen: a line of its own, so the producer's per-push stores next
  // to it do not make each of those reads a cache miss.
  struct alignas(kCacheLine) OverRateFlag {
    std::atomic<int64_t> since_ns{0};  // stored before `raised`
    std::atomic<bool> raised{false};   // sticky
  } over_rate_;
  // Stop handshake (Dekker, seq_cst): the producer raises in_push_ then
  // checks stopping_; the writer flushes only once it sees in_push_ low
  // after stopping_ was set, so no push can land after the final flush.
  std::atomic<bool> in_push_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> writer_failed_{false};
  std::atomic<bool> finished_{false};
  Mutex release_mutex_;
  bool released_ GUARDED_BY(release_mutex_) = false;

  void note_overflow(size_t bytes, bool gop_start, TimePoint arrival, bool new_range);
  std::atomic<uint64_t> overflow_gops_{0};
  mutable Mutex overflows_mutex_;
  std::vector<OverflowRange> overflows_ GUARDED_BY(overflows_mutex_);  // from index overflows_taken_ on
  uint64_t overflows_taken_ GUARDED_BY(overflows_mutex_) = 0;
  mutable Mutex gaps_mutex_;
  std::vector<SourceGap> gaps_ GUARDED_BY(gaps_mutex_);

  Seqlock<RecordingStats> published_;

  // Writer-thread state.
  struct WriterState {
    uint32_t head_partial = 0;      // bytes of the head chunk already taken
    bool discarding = false;        // inside a GOP being shed
    bool over_rate = false;         // the producer's over_rate_, once seen (sticky)
    // Once over_rate: the drive time admission booked for it (its declared
    // rate, the same bucket as the producer's), which it keeps in EDF order;
    // anything beyond waits for time no honest recording needs.
    DeclaredRateMeter write_allowance;
    size_t allowance_command_bytes = 0;  // the largest command within the bucket (whole units)
    uint32_t shed_requests = 0;     // further GOP starts to shed
    // Bytes the stripe this recording is being written in may still take
    // (WriterOptions::stripe_bytes); 0 when no stripe is in progress.
    size_t stripe_left = 0;
    ShedRange open_shed;
    bool stop_applied = false;
    uint64_t file_offset = 0;
    bool has_open_extent = false;
    RecordedExtent open_extent;
    bool finishing = false;         // closed; finished once published
    bool dirty = true;              // stats/extents changed since the last publish
    // Closed, not handed over yet (StreamingWriter::publish()): fixed
    // capacity (WriterOptions::extent_queue), allocated by add_recording().
    BoundedQueue<RecordedExtent> pending_recorded;
    BoundedQueue<LostExtent> pending_lost;
    BoundedQueue<ShedRange> pending_shed;
    // Starts of GOPs the producer cut short, still whole in the ring, to be
    // shed when the writer reaches them; capacity reserved at creation.
    std::vector<uint64_t> truncated_gops;
    SlackHistogram slack;
    RecordingStats stats;           // the writer's counters
  } writer_;
};

}  // namespace discrec::recorder
