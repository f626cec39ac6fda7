#include "recorder/core/recording.h"

#include <algorithm>

#include "recorder/core/admission.h"

namespace discrec::recorder {

namespace {
// The ring sizes `config` asks for, defaults filled in (before rounding).
// Far above any memory budget, and far from where rounding up to a power of
// two (ring_capacity_for) or converting from double would overflow: a
// stranger's latency budget or ring size is refused here, not wrapped.
constexpr uint64_t kMaxRingBytes = uint64_t{1} << 40;

Result<RecordingConfig> resolve_ring_sizes(RecordingConfig config, size_t min_ring_bytes) {
  if (config.latency_budget <= Nanos::zero()) {
    return Error(ErrorCode::kInvalidArgument, "latency budget must be positive");
  }
  RETURN_IF_ERROR(check_declared_bitrate(config.bitrate_bps));
  if (config.ring_bytes == 0) {
    const double seconds = std::chrono::duration<double>(config.latency_budget).count();
    const double bytes = 2.0 * seconds * static_cast<double>(config.bitrate_bps) / 8;
    if (!(bytes <= static_cast<double>(kMaxRingBytes))) {
      return Error(ErrorCode::kInvalidArgument,
                   "latency budget " + std::to_string(seconds) + " s at " + std::to_string(config.bitrate_bps) +
                       " bit/s needs a ring larger than " + std::to_string(kMaxRingBytes) + " bytes");
    }
    config.ring_bytes = static_cast<size_t>(bytes);
    config.ring_bytes = std::max(config.ring_bytes, 16 * min_ring_bytes);
  }
  if (config.ring_bytes > kMaxRingBytes || config.ring_chunks > kMaxRingBytes / sizeof(Chunk)) {
    return Error(ErrorCode::kInvalidArgument,
                 "ring of " + std::to_string(config.ring_bytes) + " bytes / " + std::to_string(config.ring_chunks) +
                     " records exceeds the maximum of " + std::to_string(kMaxRingBytes) + " bytes");
  }
  if (config.ring_bytes < min_ring_bytes) {
    return Error(ErrorCode::kInvalidArgument,
                 "ring of " + std::to_string(config.ring_bytes) +
                     " bytes cannot hold one write command (" + std::to_string(min_ring_bytes) + ")");
  }
  if (config.ring_chunks == 0) config.ring_chunks = std::max<size_t>(config.ring_bytes / 2048, 64);
  return config;
}
}  // namespace

Result<uint64_t> Recording::ring_memory_bytes(const RecordingConfig& requested, size_t min_ring_bytes) {
  ASSIGN_OR_RETURN(RecordingConfig config, resolve_ring_sizes(requested, min_ring_bytes));
  const uint64_t capacity = ring_capacity_for(config.ring_bytes);
  return config.ring_pool != nullptr ? std::max<uint64_t>(capacity, RingPool::kGranuleBytes) : capacity;
}

Status check_priority(int32_t priority, int32_t max_allowed) {
  const int32_t top = std::min(max_allowed, kMaxPriority);
  if (priority < kMinPriority || priority > top) {
    return Error(ErrorCode::kInvalidArgument, "priority " + std::to_string(priority) + " is outside " +
                                                  std::to_string(kMinPriority) + ".." + std::to_string(top));
  }
  return ok_status();
}

Result<std::shared_ptr<Recording>> Recording::create(RecordingId id, RecordingConfig requested,
                                                     Clock& clock, size_t min_ring_bytes,
                                                     double rate_margin) {
  ASSIGN_OR_RETURN(RecordingConfig config, resolve_ring_sizes(std::move(requested), min_ring_bytes));
  ASSIGN_OR_RETURN(ByteRing bytes, ByteRing::create(config.ring_bytes, config.ring_pool));
  ASSIGN_OR_RETURN(ChunkRing chunks, ChunkRing::create(config.ring_chunks, config.ring_pool));
  // 512 bytes: a pool's granule would be wasted on them.
  SpscRing<uint64_t> truncated = SpscRing<uint64_t>::create_on_heap(kMaxTruncatedGops);
  config.ring_bytes = bytes.capacity();
  config.ring_chunks = chunks.capacity();
  return std::shared_ptr<Recording>(new Recording(id, std::move(config), clock, std::move(bytes),
                                                  std::move(chunks), std::move(truncated), rate_margin));
}

Recording::Recording(RecordingId id, RecordingConfig config, Clock& clock, ByteRing bytes,
                     ChunkRing chunks, SpscRing<uint64_t> truncated_gops, double rate_margin)
    : id_(id), config_(std::move(config)), clock_(clock), bytes_(std::move(bytes)),
      chunks_(std::move(chunks)), truncated_gops_(std::move(truncated_gops)),
      coalescer_(ChunkCoalescer::kDefaultPublishBytes, config_.latency_budget / kCoalesceSpanDivisor),
      rate_meter_(config_.bitrate_bps, rate_margin, config_.latency_budget, bytes_.capacity()) {
  writer_.write_allowance = rate_meter_;  // nothing metered yet: a full bucket
  writer_.truncated_gops.reserve(truncated_gops_.capacity());
  writer_.stats.id = id_;
  writer_.stats.priority = config_.priority;
  writer_.stats.bitrate_bps = config_.bitrate_bps;
  writer_.stats.ring_capacity = bytes_.capacity();
  writer_.stats.ring_locked = bytes_.locked() && chunks_.locked();
  published_.publish(writer_.stats);
}

Status Recording::write_packets(std::span<const uint8_t> packets, bool gop_start) {
  return write_packets_at(packets, gop_start, clock_.now());
}

Status Recording::write_packets_at(std::span<const uint8_t> packets, bool gop_start,
                                   TimePoint arrival) {
  if (packets.empty() || packets.size() % kTsPacketSize != 0) {
    return Error(ErrorCode::kInvalidArgument,
                 "write_packets needs whole 188-byte TS packets, got " +
                     std::to_string(packets.size()) + " bytes");
  }
  for (size_t i = 0; i < packets.size(); i += kTsPacketSize) {
    if (packets[i] != 0x47) {
      return Error(ErrorCode::kInvalidArgument,
                   "TS packet at byte " + std::to_string(i) + " lacks the 0x47 sync byte");
    }
  }
  if (packets.size() > bytes_.capacity() || packets.size() > UINT32_MAX) {
    return Error(ErrorCode::kInvalidArgument,
                 "push of " + std::to_string(packets.size()) + " bytes exceeds the ring (" +
                     std::to_string(bytes_.capacity()) + " bytes)");
  }
  in_push_.store(true, std::memory_order_seq_cst);
  if (stopping_.load(std::memory_order_seq_cst)) {
    in_push_.store(false, std::memory_order_release);
    return Error(ErrorCode::kAborted, "recording " + config_.name + " is stopping");
  }
  if (writer_failed_.load(std::memory_order_acquire)) {
    in_push_.store(false, std::memory_order_release);
    return Error(ErrorCode::kUnavailable, "the drive's writer failed; see its status");
  }
  if (packets.size() > largest_push_.load(std::memory_order_relaxed))
    largest_push_.store(packets.size(), std::memory_order_relaxed);
  // Last resort when even shedding could not keep up (a hung drive): drop
  // what arrives until the next key frame, so at least the data after the
  // gap starts cleanly. Counted apart from shedding, with its time range.
  if (overflow_dropping_ && !gop_start) {
    note_overflow(packets.size(), false, arrival, false);
    in_push_.store(false, std::memory_order_release);
    return ok_status();
  }
  Chunk chunk;
  chunk.input_begin = bytes_.write_position();
  chunk.size = static_cast<uint32_t>(packets.size());
  chunk.stream_id = id_;
  chunk.arrival = arrival;
  chunk.last_arrival = arrival;
  chunk.gop_start = gop_start;
  if (!coalescer_.make_room(chunks_) || !bytes_.try_write(packets)) {
    // Whatever is buffered must reach the writer, so it can drain the ring.
    coalescer_.publish(chunks_);
    // The GOP being pushed loses its tail: have the writer drop its head too
    // (when it still can), so no GOP goes to disc cut short. A push that
    // starts a GOP cuts nothing: the previous GOP is complete.
    if (!overflow_dropping_ && !gop_start && gop_begin_ != kNoGop) (void)truncated_gops_.try_push(gop_begin_);
    gop_begin_ = kNoGop;
    note_overflow(packets.size(), gop_start, arrival, !overflow_dropping_);
    overflow_dropping_ = true;
    in_push_.store(false, std::memory_order_release);
    return ok_status();
  }
  overflow_dropping_ = false;
  if (gop_start) gop_begin_ = chunk.input_begin;
  coalescer_.add(chunks_, chunk);  // room checked above; only we fill slots
  bytes_in_.store(bytes_in_.load(std::memory_order_relaxed) + packets.size(),
                  std::memory_order_relaxed);
  // Metered on what the ring accepted: dropped pushes cost the drive nothing.
  if (!rate_meter_.conforms(arrival, packets.size())) note_over_rate(packets.size(), arrival);
  const uint64_t fill = bytes_.fill();
  if (fill > high_water_.load(std::memory_order_relaxed)) {
    high_water_.store(fill, std::memory_order_relaxed);
  }
  in_push_.store(false, std::memory_order_release);
  return ok_status();
}

void Recording::note_over_rate(size_t bytes, TimePoint arrival) {
  over_rate_bytes_.store(over_rate_bytes_.load(std::memory_order_relaxed) + bytes, std::memory_order_relaxed);
  if (!over_rate_.raised.load(std::memory_order_relaxed)) {
    over_rate_.since_ns.store(arrival.time_since_epoch().count(), std::memory_order_relaxed);
    over_rate_.raised.store(true, std::memory_order_release);
  }
}

void Recording::flush() {
  // Under the stop handshake like a push: once stopping, the writer
  // publishes the last record itself.
  in_push_.store(true, std::memory_order_seq_cst);
  if (!stopping_.load(std::memory_order_seq_cst)) coalescer_.publish(chunks_);
  in_push_.store(false, std::memory_order_release);
}

void Recording::note_overflow(size_t bytes, bool gop_start, TimePoint arrival, bool new_range) {
  overflow_bytes_.fetch_add(bytes, std::memory_order_relaxed);
  if (gop_start) overflow_gops_.fetch_add(1, std::memory_order_relaxed);
  // A lock and maybe an allocation, but only while the ring is full and
  // pushes are being dropped anyway.
  MutexLock lock(overflows_mutex_);
  if (new_range || overflows_.empty()) overflows_.push_back({bytes_.write_position(), 0, 0, arrival, arrival});
  OverflowRange& o = overflows_.back();
  o.bytes += bytes;
  o.gops += gop_start ? 1 : 0;
  o.time_end = arrival;
}

std::vector<OverflowRange> Recording::overflows(uint64_t* first_index) const {
  MutexLock lock(overflows_mutex_);
  if (first_index != nullptr) *first_index = overflows_taken_;
  return overflows_;
}

uint64_t Recording::take_overflows(std::vector<OverflowRange>& out) {
  MutexLock lock(overflows_mutex_);
  const uint64_t first = overflows_taken_;
  out.insert(out.end(), overflows_.begin(), overflows_.end());
  if (overflows_.size() > 1) {
    // The last stays: the producer may still add to it.
    const size_t taken = overflows_.size() - 1;
    overflows_.erase(overflows_.begin(), overflows_.begin() + static_cast<std::ptrdiff_t>(taken));
    overflows_taken_ += taken;
  }
  return first;
}

size_t Recording::bookkeeping_bytes() const {
  MutexLock lock(overflows_mutex_);
  return overflows_.capacity() * sizeof(OverflowRange);
}

void Recording::source_gap(TimePoint start, Nanos duration) {
  MutexLock lock(gaps_mutex_);
  gaps_.push_back({start, duration});
}

bool Recording::release_buffers() {
  if (!finished()) return false;
  MutexLock lock(release_mutex_);
  if (!released_) {
    bytes_.release_memory();
    chunks_.release_memory();
    truncated_gops_.release_memory();
    released_ = true;
  }
  return true;
}

std::vector<SourceGap> Recording::gaps() const {
  MutexLock lock(gaps_mutex_);
  return gaps_;
}

RecordingStats Recording::stats() const {
  RecordingStats s = published_.read();
  s.bytes_in = bytes_in_.load(std::memory_order_relaxed);
  s.overflow_bytes = overflow_bytes_.load(std::memory_order_relaxed);
  s.overflow_gops = overflow_gops_.load(std::memory_order_relaxed);
  s.over_rate = over_rate();  // acquire: the time below is the one stored with it
  if (s.over_rate) s.over_rate_since = TimePoint(Nanos(over_rate_.since_ns.load(std::memory_order_relaxed)));
  s.over_rate_bytes = over_rate_bytes_.load(std::memory_order_relaxed);
  s.ring_fill = bytes_.fill();
  s.ring_high_water = high_water_.load(std::memory_order_relaxed);
  s.stopping = stopping_.load(std::memory_order_relaxed);
  s.finished = finished();
  return s;
}

}  // namespace discrec::recorder
