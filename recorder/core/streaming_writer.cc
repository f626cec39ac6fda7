// StreamingWriter: the writer-thread side — EDF choice, GOP shedding,
// ECC-unit commands, extents and lost extents. Control API and publishing
// are in streaming_writer_control.cc; pausing for the drive's passing states
// in streaming_writer_pause.cc.
#include "recorder/core/streaming_writer.h"

#include <algorithm>
#include <cstring>

#include "device/drive.h"

namespace discrec::recorder {

namespace {
constexpr uint8_t kNullPacketHeader[4] = {0x47, 0x1F, 0xFF, 0x10};
}  // namespace

void fill_ts_null_packets(std::span<uint8_t> out) {
  for (size_t pos = 0; pos < out.size(); pos += kTsPacketSize) {
    const size_t n = std::min(kTsPacketSize, out.size() - pos);
    std::memset(out.data() + pos, 0xFF, n);
    std::memcpy(out.data() + pos, kNullPacketHeader, std::min<size_t>(4, n));
  }
}

// Shed state machine, applied at every chunk boundary. Returns true when
// the chunk is to be discarded. Same code for planning and for doing, so
// the two always agree. A GOP is discarded whole when a shed request is
// pending at its start, or when it is the next one the producer reported
// truncated (its tail did not fit in the ring).
namespace {
struct ShedState {
  bool discarding;
  uint32_t shed_requests;
  size_t next_truncated;  // index into WriterState::truncated_gops
};
inline bool shed_step(ShedState& s, const std::vector<uint64_t>& truncated, const Chunk& c) {
  if (c.gop_start) {
    s.discarding = false;
    while (s.next_truncated < truncated.size() && truncated[s.next_truncated] < c.input_begin) {
      ++s.next_truncated;  // not reached: stale marks are dropped when collected
    }
    if (s.next_truncated < truncated.size() && truncated[s.next_truncated] == c.input_begin) {
      ++s.next_truncated;
      s.discarding = true;
    } else if (s.shed_requests > 0) {
      --s.shed_requests;
      s.discarding = true;
    }
  }
  return s.discarding;
}
}  // namespace

inline bool StreamingWriter::nothing_to_shed(const Recording& r) {
  const auto& w = r.writer_;
  return !w.discarding && w.shed_requests == 0 && w.truncated_gops.empty();
}

size_t StreamingWriter::writable_bytes(const Recording& r, size_t limit, bool* shed_behind,
                                       size_t* shed_closures) const {
  const size_t n = r.chunks_.available();
  if (n == 0) return 0;
  const auto& w = r.writer_;
  if (nothing_to_shed(r)) {
    // Fast path: everything buffered is writable.
    const uint64_t end = r.chunks_.at(n - 1).input_end();
    return static_cast<size_t>(end - r.bytes_.read_position());
  }
  ShedState s{w.discarding, w.shed_requests, 0};
  size_t total = 0;
  for (size_t i = 0; i < n && total < limit; ++i) {
    const Chunk& c = r.chunks_.at(i);
    const size_t partial = i == 0 ? w.head_partial : 0;
    const bool was_discarding = s.discarding;
    const bool discard = partial == 0 && shed_step(s, w.truncated_gops, c);
    // As discard_shed_head() closes a shed range (one pending_shed entry).
    if (partial == 0 && was_discarding && (!s.discarding || c.gop_start) && shed_closures != nullptr) {
      ++*shed_closures;
    }
    if (discard) {
      if (shed_behind != nullptr) *shed_behind = true;
      continue;
    }
    total += c.size - partial;
  }
  return total;
}

// Inline: write_command() asks at every chunk boundary, and nearly always
// nothing is being or is to be shed, when the loop in discard_shed_head()
// would keep the head chunk all the same.
inline void StreamingWriter::discard_head(Recording& r) {
  const auto& w = r.writer_;
  if (w.head_partial != 0 || nothing_to_shed(r)) return;
  discard_shed_head(r);
}

void StreamingWriter::discard_shed_head(Recording& r) {
  auto& w = r.writer_;
  while (r.chunks_.available() > 0) {
    const Chunk& c = r.chunks_.at(0);
    const bool was_discarding = w.discarding;
    ShedState s{w.discarding, w.shed_requests, 0};
    const bool discard = shed_step(s, w.truncated_gops, c);
    if (was_discarding && (!s.discarding || c.gop_start)) {
      // The previous GOP is shed whole. No room to say so: it stays open
      // (nothing consumed) until a publish made room; a command is never
      // planned across more closures than there is room for (extent_room()).
      if (!w.pending_shed.push(ShedRange(w.open_shed))) return;
      w.dirty = dirty_ = true;
    }
    w.discarding = s.discarding;
    w.shed_requests = s.shed_requests;
    w.truncated_gops.erase(w.truncated_gops.begin(),
                           w.truncated_gops.begin() + static_cast<std::ptrdiff_t>(s.next_truncated));
    if (!discard) return;
    if (c.gop_start) {
      ++w.stats.shed_gops;
      ++drive_.shed_gops;
      w.open_shed = ShedRange{r.id(), c.input_begin, c.input_begin, c.arrival, c.arrival};
    }
    w.open_shed.input_end = c.input_end();
    w.open_shed.time_end = c.last_arrival;
    w.stats.shed_bytes += c.size;
    drive_.shed_bytes += c.size;
    r.bytes_.consume(c.size);
    r.chunks_.pop();
    w.dirty = dirty_ = true;
  }
}

void StreamingWriter::update_shedding() {
  // Two classes: recordings over their declaration ("liars") and the rest.
  // A liar keeps the drive time its declaration booked (EDF, within its
  // write allowance); the rest of what it pushes is written only in time no
  // honest recording needs (service_once()), so its backlog delays nobody
  // but itself. Whenever the drive is behind (a ring past the fill
  // fraction, or the backlog), a liar with data is the victim before any
  // honest recording, whatever the priorities. Honest overload is judged on
  // honest rings alone: a liar's backlog must not make an honest recording
  // lose GOPs. A liar's own backlog below that is not shed: a file or a
  // pipe (paced by the session, never more than a quarter of its ring) is
  // read faster than declared, and its data can simply wait.
  Recording* victim = nullptr;       // honest: lowest priority, then fullest
  Recording* liar_victim = nullptr;  // the same order among liars
  bool honest_overloaded = false;
  bool liar_overloaded = false;
  uint64_t honest_backlog = 0;
  uint64_t backlog = 0;
  Nanos min_honest_budget = Nanos::max();
  Nanos min_budget = Nanos::max();
  const auto lower = [](const Recording& r, const Recording* than) {
    return than == nullptr || r.config().priority < than->config().priority ||
           (r.config().priority == than->config().priority && r.bytes_.fill() > than->bytes_.fill());
  };
  for (const auto& rp : active_) {
    Recording& r = *rp;
    const size_t fill = r.bytes_.fill();
    const bool ring_overloaded =
        static_cast<double>(fill) > options_.shed_fill_fraction * static_cast<double>(r.bytes_.capacity());
    backlog += fill;
    min_budget = std::min(min_budget, r.config().latency_budget);
    if (r.writer_.over_rate) {
      liar_overloaded = liar_overloaded || ring_overloaded;
      // One shed at a time per liar: it cannot be shed again before its
      // pending one took effect, but that must not hold back the others.
      // Truncated GOPs aside: they are shed where they are, and a liar's
      // ring that overflowed must not stop its other GOPs being shed.
      if (fill > 0 && !r.writer_.discarding && r.writer_.shed_requests == 0 && lower(r, liar_victim)) {
        liar_victim = &r;
      }
      continue;
    }
    // One shed at a time: let it take effect before judging again.
    if (!nothing_to_shed(r)) return;
    honest_backlog += fill;
    min_honest_budget = std::min(min_honest_budget, r.config().latency_budget);
    honest_overloaded = honest_overloaded || ring_overloaded;
    if (fill > 0 && lower(r, victim)) victim = &r;
  }
  // Judge by what the drive really does when that is less than it promised.
  double rate = static_cast<double>(options_.guaranteed_bytes_per_second);
  if (measured_rate_ > 0 && (rate == 0 || measured_rate_ < rate)) rate = measured_rate_;
  const auto too_slow = [&](uint64_t bytes, Nanos budget) {
    if (rate <= 0 || budget == Nanos::max()) return false;
    return static_cast<double>(bytes) / rate >
           options_.shed_backlog_fraction * std::chrono::duration<double>(budget).count();
  };
  if (!honest_overloaded) honest_overloaded = too_slow(honest_backlog, min_honest_budget);
  // Without liars (the usual case) that was the whole judgement, as before.
  if (liar_victim != nullptr &&
      (honest_overloaded || liar_overloaded || too_slow(backlog, min_budget))) {
    shed_liar(*liar_victim);
  } else if (honest_overloaded && victim != nullptr) {
    victim->writer_.shed_requests = 1;
    discard_head(*victim);
  }
}

void StreamingWriter::shed_liar(Recording& r) {
  // Every GOP that has begun in its ring, not one: a shed starts only at a
  // GOP start the writer reaches, and a liar is written slowly (its
  // allowance), so one at a time would let its ring overflow while the
  // writer works through the GOP it has begun. The last GOPs are kept, at
  // least an ECC unit of them: the data the kept GOP begun ends in needs
  // them to fill its unit, or the writer could reach the shed GOPs (and
  // free their room) only once the producer pushed more, which it may not
  // do before there is room.
  auto& w = r.writer_;
  const size_t n = r.chunks_.available();
  const size_t first = w.head_partial == 0 ? 0 : 1;  // a begun chunk cannot be shed
  size_t keep_from = n;
  size_t kept_bytes = 0;
  while (keep_from > first) {
    const Chunk& c = r.chunks_.at(--keep_from);
    kept_bytes += c.size;
    if (c.gop_start && kept_bytes >= unit_bytes_) break;
  }
  if (keep_from <= first) return;  // not a whole GOP to shed before what must be kept
  uint32_t requests = 0;
  const uint64_t keep_position = r.chunks_.at(keep_from).input_begin;
  for (size_t i = first; i < keep_from; ++i) requests += r.chunks_.at(i).gop_start;
  // Those the producer reported truncated are shed anyway, without a request.
  for (uint64_t t : w.truncated_gops) requests -= (t < keep_position && requests > 0) ? 1 : 0;
  if (requests == 0) return;
  w.shed_requests = requests;
  discard_head(r);
}

bool StreamingWriter::stripe_due(const Recording& r, size_t writable, TimePoint now) const {
  if (r.writer_.stripe_left > 0 || writable >= options_.stripe_bytes || flushable(r) || r.writer_.over_rate ||
      !nothing_to_shed(r) || 2 * r.bytes_.fill() >= r.bytes_.capacity())
    return true;
  const Nanos waited = now - r.chunks_.at(0).arrival;
  return waited >= std::chrono::duration_cast<Nanos>(options_.stripe_wait_fraction * r.config().latency_budget);
}

bool StreamingWriter::deadline_near(const Recording& r, TimePoint now) const {
  // Halfway through what the wait left of the budget: time enough for the
  // stripe in progress to end and for this recording's own.
  const Nanos margin =
      std::chrono::duration_cast<Nanos>((1.0 - options_.stripe_wait_fraction) / 2 * r.config().latency_budget);
  return r.deadline(r.chunks_.at(0)) - now <= margin;
}

bool StreamingWriter::flushable(const Recording& r) const {
  return r.writer_.stop_applied && !r.in_push_.load(std::memory_order_seq_cst);
}

void StreamingWriter::publish_last_record(Recording& r) {
  // The producer is gone for good once flushable() (the stop handshake), so
  // its coalescer's pending record is the writer's to publish.
  if (flushable(r)) r.coalescer_.publish(r.chunks_);
}

void StreamingWriter::collect_truncated_gops(Recording& r) {
  auto& w = r.writer_;
  while (r.truncated_gops_.available() > 0) {
    const uint64_t gop_begin = r.truncated_gops_.at(0);
    r.truncated_gops_.pop();
    // A GOP whose first bytes were taken already cannot be dropped whole
    // any more; it was longer than the ring, and goes to disc cut short.
    if (gop_begin >= r.bytes_.read_position() && w.truncated_gops.size() < w.truncated_gops.capacity()) {
      w.truncated_gops.push_back(gop_begin);  // reserved: no allocation here
    }
  }
}

TimePoint StreamingWriter::service_once() {
  writer_thread_.assert_on();  // by contract: one thread at a time calls it
  apply_commands();
  for (auto& r : active_) {
    // Sticky, and read until seen: one load of a flag the producer writes once.
    if (!r->writer_.over_rate && r->over_rate_.raised.load(std::memory_order_relaxed)) {
      r->writer_.over_rate = dirty_ = true;
    }
    publish_last_record(*r);
    collect_truncated_gops(*r);
    discard_head(*r);
  }
  if (!failed_) update_shedding();

  // EDF. A recording over its declaration competes only within its write
  // allowance (the drive time its declaration booked); beyond it, it is
  // written only when nobody else has a command ready (EDF among those), so
  // honest recordings get the drive as admission booked it, whatever the
  // liar pushes.
  Recording* best = nullptr;
  size_t best_payload = 0;
  TimePoint best_deadline = TimePoint::max();
  bool best_spare_time_only = true;
  TimePoint allowance_now{};  // read once, and only when a liar needs it
  bool have_allowance_now = false;
  const bool striping = options_.stripe_bytes > 0;
  const TimePoint stripe_now = striping ? clock_.now() : TimePoint{};
  Recording* stripe_owner = nullptr;  // the stripe in progress, if it can go on
  size_t stripe_owner_payload = 0;
  bool stripe_interrupted = false;    // another's deadline is near
  // Paused: nothing is written before the held command, which goes first.
  bool resumed = false;
  if (held_recording_ != nullptr && !failed_ && extent_room(*held_recording_, 0)) {
    resume_when_ready();
    resumed = held_recording_ == nullptr;
  }
  if (!failed_ && held_recording_ == nullptr && !resumed) {
    for (auto& rp : active_) {
      Recording& r = *rp;
      bool shed_behind = false;
      size_t shed_closures = 0;
      size_t writable = writable_bytes(r, max_command_bytes_, &shed_behind, &shed_closures);
      size_t payload = std::min(writable, max_command_bytes_) / unit_bytes_ * unit_bytes_;
      if (payload == 0 && writable > 0 && flushable(r)) payload = writable;  // final, padded
      if (payload == 0 && shed_behind && !flushable(r) &&
          r.bytes_.capacity() - r.bytes_.fill() < r.largest_push_.load(std::memory_order_relaxed)) {
        // Less than a unit before a GOP to be shed, and no room for the
        // producer's next push: that GOP fills the ring (it is longer than
        // the ring), nothing can come to fill the unit, and the shed, which
        // works from the head, would wait for ever. Keep the GOP instead:
        // it goes to disc cut short (its tail was dropped at the full ring).
        // Padding the unit is no way out: a file's extents but the last must
        // be whole blocks, so TS packets would lose their alignment.
        r.writer_.truncated_gops.clear();
        r.writer_.shed_requests = 0;
        writable = writable_bytes(r, max_command_bytes_);
        payload = std::min(writable, max_command_bytes_) / unit_bytes_ * unit_bytes_;
      }
      if (payload == 0) {
        r.writer_.stripe_left = 0;  // a stripe ends with the buffered data
        continue;
      }
      // Nothing closed is ever dropped: a recording whose closed extents
      // cannot be queued waits (its ring absorbs) until a publish made room.
      if (!extent_room(r, shed_closures)) continue;
      bool owns_stripe = false;
      if (striping && !r.writer_.over_rate) {
        if (!stripe_due(r, writable, stripe_now)) continue;  // waits to fill a stripe
        if (r.writer_.stripe_left > 0) {
          owns_stripe = true;
          if (payload > r.writer_.stripe_left && r.writer_.stripe_left >= unit_bytes_)
            payload = r.writer_.stripe_left / unit_bytes_ * unit_bytes_;
        } else if (deadline_near(r, stripe_now)) {
          stripe_interrupted = true;
        }
      }
      // Stop at the end of contiguous ring memory (the ring's end, or the end
      // of one of its runs of pool granules) when whole units fit before it:
      // the command then goes out in place and the next starts at the next
      // run, instead of one command per seam being copied to staging.
      const size_t to_end = r.bytes_.bytes_to_end();
      if (payload > to_end && to_end >= unit_bytes_) payload = to_end / unit_bytes_ * unit_bytes_;
      bool spare_time_only = false;
      if (r.writer_.over_rate) {
        // Within its allowance it competes like anyone; beyond, it waits.
        if (!have_allowance_now) {
          allowance_now = clock_.now();
          have_allowance_now = true;
        }
        const size_t allowed = std::min(payload, r.writer_.allowance_command_bytes);
        // A shed waits until the writer reaches the next GOP start, so the
        // GOP begun must be written first: the allowance may borrow one
        // burst for that, repaid before it writes anything else.
        spare_time_only = !r.writer_.write_allowance.would_conform(allowance_now, allowed,
                                                                   nothing_to_shed(r) ? 1 : 2);
        if (!spare_time_only) payload = allowed;
      }
      if (owns_stripe) {
        stripe_owner = &r;
        stripe_owner_payload = payload;
      }
      const TimePoint deadline = r.deadline(r.chunks_.at(0));
      if (best == nullptr || spare_time_only < best_spare_time_only ||
          (spare_time_only == best_spare_time_only && deadline < best_deadline)) {
        best = &r;
        best_payload = payload;
        best_deadline = deadline;
        best_spare_time_only = spare_time_only;
      }
    }
  }
  if (stripe_owner != nullptr && stripe_owner != best && !stripe_interrupted && !best_spare_time_only) {
    // The stripe goes on: EDF picked another whose deadline is not near.
    best = stripe_owner;
    best_payload = stripe_owner_payload;
  }
  if (striping && best != nullptr && !best->writer_.over_rate) {
    auto& w = best->writer_;
    if (w.stripe_left == 0) {
      // A new stripe: what is buffered, up to the stripe size. One stripe
      // at a time: one that was interrupted ends here (its data is due, and
      // it starts its next stripe when its turn comes).
      for (auto& other : active_) other->writer_.stripe_left = 0;
      w.stripe_left = std::min(options_.stripe_bytes, writable_bytes(*best, options_.stripe_bytes));
    }
    w.stripe_left = w.stripe_left > best_payload ? w.stripe_left - best_payload : 0;
  }
  if (best != nullptr) {
    // Spare time is not booked: only a write within the allowance uses it.
    if (!best_spare_time_only && best->writer_.over_rate) {
      (void)best->writer_.write_allowance.conforms(allowance_now, best_payload, 2);
    }
    write_command(*best, best_payload);
  }

  for (size_t i = 0; i < active_.size();) {
    Recording& r = *active_[i];
    if (failed_) {
      // Nothing will be written any more: drain so producers do not spin.
      r.writer_failed_.store(true, std::memory_order_release);
      if (r.chunks_.available() > 0 && extent_room(r, 0)) {
        // Counted lost, so every byte taken in stays accounted for.
        const Chunk& first = r.chunks_.at(0);
        const uint64_t input_begin = first.input_begin + r.writer_.head_partial;
        const TimePoint time_begin = first.arrival;
        uint64_t input_end = input_begin;
        TimePoint time_end = time_begin;
        size_t bytes = 0;
        while (r.chunks_.available() > 0) {
          const Chunk& c = r.chunks_.at(0);
          bytes += c.size - r.writer_.head_partial;
          input_end = c.input_end();
          time_end = c.last_arrival;
          r.bytes_.consume(c.size - r.writer_.head_partial);
          r.writer_.head_partial = 0;
          r.chunks_.pop();
        }
        count_lost_input(r, input_begin, input_end, time_begin, time_end, bytes, *failure_);
      }
    }
    finish_if_done(r);
    if (r.finished()) {
      finished_bytes_in_ += r.bytes_in_.load(std::memory_order_relaxed);
      active_.erase(active_.begin() + static_cast<std::ptrdiff_t>(i));
      --drive_.recordings;
      dirty_ = true;
    } else {
      ++i;
    }
  }
  publish();
  const TimePoint now = clock_.now();
  return best != nullptr || resumed ? now : now + options_.idle_poll;
}

bool StreamingWriter::extent_room(Recording& r, size_t shed_closures) {
  // One command closes at most one recorded extent and, failing, adds a
  // lost extent, and one more if the failure fails the writer (drop_held()).
  const auto& w = r.writer_;
  if (w.pending_recorded.free() >= 1 && w.pending_lost.free() >= 2 && w.pending_shed.free() >= shed_closures + 1)
    return true;
  ++drive_.journal_queue_waits;
  dirty_ = true;  // publish() tries again
  return false;
}

void StreamingWriter::write_command(Recording& r, size_t payload) {
  auto& w = r.writer_;
  // The disc's last units take what fits of a command that would cross its
  // end: recordings get every unit the disc has before it is full.
  const uint64_t room_units =
      next_lba_ < options_.end_lba ? (options_.end_lba - next_lba_) / options_.ecc_unit_blocks : 0;
  if (room_units > 0) payload = static_cast<size_t>(std::min<uint64_t>(payload, room_units * unit_bytes_));
  const size_t units = (payload + unit_bytes_ - 1) / unit_bytes_;
  const size_t command_bytes = units * unit_bytes_;
  const uint32_t blocks = static_cast<uint32_t>(units * options_.ecc_unit_blocks);
  if (uint64_t{next_lba_} + blocks > options_.end_lba) {
    fail(Error(ErrorCode::kResourceExhausted,
               "disc full: " + std::to_string(blocks) + " blocks needed at LBA " +
                   std::to_string(next_lba_) + ", the disc ends at " + std::to_string(options_.end_lba)));
    return;
  }

  // Take the payload out of the ring, applying the shed state machine at
  // chunk boundaries; when copying, release ring space as we go.
  completed_deadlines_.clear();
  // Zero-copy when the command is whole units of buffered bytes, contiguous
  // in the ring and with nothing to shed in between (the usual case): the
  // drive gets the ring's memory and the bytes are released after the write.
  std::span<const uint8_t> in_place;
  if (payload == command_bytes && nothing_to_shed(r)) {
    in_place = r.bytes_.contiguous(payload);
  }
  const bool zero_copy = !in_place.empty();
  size_t copied = 0;
  uint64_t input_begin = 0;
  uint64_t input_end = 0;
  TimePoint time_begin{}, time_end{};
  // Zero copy: records the command completes, released after the write.
  const uint64_t first_record = r.chunks_.read_index();
  size_t completed_in_place = 0;
  uint32_t partial_after = 0;
  if (zero_copy) {
    // The usual case, kept tight (it runs per chunk): nothing to shed and
    // every record the payload covers already seen by writable_bytes(), so
    // walk them by index; their deadlines are read again after the write.
    const Chunk* c = &r.chunks_.slot(first_record);
    input_begin = c->input_begin + w.head_partial;
    input_end = input_begin + payload;  // nothing shed: input is contiguous
    time_begin = c->arrival;
    size_t rest = payload;
    size_t left = c->size - w.head_partial;
    while (left <= rest) {
      rest -= left;
      ++completed_in_place;
      if (rest == 0) break;
      c = &r.chunks_.slot(first_record + completed_in_place);
      left = c->size;
    }
    if (rest > 0) partial_after = static_cast<uint32_t>(c->size - left + rest);  // ends inside c
    time_end = c->last_arrival;  // c: the last record the command touches
    copied = payload;
  }
  while (copied < payload) {
    // At a chunk boundary the shed state machine decides (discard_head()
    // applies it exactly as writable_bytes() planned).
    if (w.head_partial == 0) {
      discard_head(r);
      if (r.chunks_.available() == 0) break;  // not reached: the payload was planned
    }
    const Chunk c = r.chunks_.at(0);
    const size_t take = std::min<size_t>(c.size - w.head_partial, payload - copied);
    if (copied == 0) {
      input_begin = c.input_begin + w.head_partial;
      time_begin = c.arrival;
    }
    if (!zero_copy) {
      r.bytes_.peek(0, std::span<uint8_t>(staging_.data() + copied, take));
      r.bytes_.consume(take);
    }
    copied += take;
    w.head_partial += static_cast<uint32_t>(take);
    input_end = c.input_begin + w.head_partial;
    time_end = c.last_arrival;
    if (w.head_partial == c.size) {
      completed_deadlines_.push_back(r.deadline(c));
      w.head_partial = 0;
      r.chunks_.pop();
    }
  }
  const size_t padding = command_bytes - copied;
  if (!zero_copy) fill_ts_null_packets(std::span<uint8_t>(staging_.data() + copied, padding));

  const IssuedCommand cmd{next_lba_, blocks, command_bytes, copied, padding,
                          input_begin, input_end, time_begin, time_end};
  const TimePoint started = clock_.now();
  const Status status = target_.write_blocks(
      cmd.lba, zero_copy ? in_place : std::span<const uint8_t>(staging_.data(), command_bytes), true);
  const TimePoint done = clock_.now();
  ++drive_.commands;
  w.dirty = dirty_ = true;
  if (!status.ok() && pauses_for(status.error())) {
    // The drive's state refused it, not the medium: hold the command and
    // pause (resume_when_ready()). Its bytes leave the ring only now, for
    // staging: the ring goes on absorbing what arrives, the command keeps
    // its data until the drive has taken it.
    if (zero_copy) {
      std::memcpy(staging_.data(), in_place.data(), payload);
      for (size_t i = 0; i < completed_in_place; ++i) {
        completed_deadlines_.push_back(r.deadline(r.chunks_.slot(first_record + i)));
      }
      r.bytes_.consume(payload);
      r.chunks_.pop(completed_in_place);
      w.head_partial = partial_after;
    }
    pause_holding(r, cmd, status.error(), done);
    return;
  }
  const double took = std::chrono::duration<double>(done - started).count();
  if (took > 0) {
    // Throughput the drive delivers under load: an average of per-command
    // rates over ~10 commands, so one spike or calibration barely moves it
    // but a drive that is slower on every command soon shows.
    const double sample = static_cast<double>(command_bytes) / took;
    measured_rate_ = measured_rate_ == 0 ? sample : 0.9 * measured_rate_ + 0.1 * sample;
    drive_.measured_bytes_per_second = static_cast<uint64_t>(measured_rate_);
  }
  complete_command(r, cmd, status, done, first_record, completed_in_place);
  if (zero_copy) {
    // Released only now: the drive read the bytes in place, and the slack
    // accounting above read the records.
    r.bytes_.consume(payload);
    r.chunks_.pop(completed_in_place);
    w.head_partial = partial_after;
  }
}

void StreamingWriter::complete_command(Recording& r, const IssuedCommand& c, const Status& status, TimePoint done,
                                       uint64_t first_record, size_t in_place) {
  auto& w = r.writer_;
  const uint32_t lba = c.lba;
  const uint32_t blocks = c.blocks;
  // Blocks of the disc this command used up: all of them, unless a failed
  // command left sequential media's write position inside its range.
  uint32_t used_blocks = blocks;
  w.dirty = dirty_ = true;

  if (status.ok()) {
    consecutive_errors_ = 0;
    drive_.blocks_written += blocks;
    drive_.bytes_written += c.copied;
    w.stats.bytes_written += c.copied;
    w.stats.padding_bytes += c.padding;
    for (size_t i = 0; i < in_place; ++i) {
      record_slack(w, r.deadline(r.chunks_.slot(first_record + i)) - done);
    }
    for (TimePoint d : completed_deadlines_) record_slack(w, d - done);
    w.stats.chunks_written += in_place + completed_deadlines_.size();
    const uint64_t length = c.padding > 0 ? c.command_bytes - c.padding % kTsPacketSize : c.command_bytes;
    if (w.has_open_extent && w.open_extent.lba + w.open_extent.blocks == lba &&
        w.open_extent.padding_bytes == 0) {
      w.open_extent.blocks += blocks;
      w.open_extent.length += length;
      w.open_extent.input_end = c.input_end;
      w.open_extent.time_end = c.time_end;
      w.open_extent.padding_bytes = static_cast<uint32_t>(c.padding);
    } else {
      close_open_extent(r);
      w.open_extent = RecordedExtent{r.id(), lba, blocks, w.file_offset, c.input_begin, c.input_end,
                                     length, static_cast<uint32_t>(c.padding), c.time_begin, c.time_end};
      w.has_open_extent = true;
    }
  } else {
    const Error& e = status.error();
    auto nwa = target_.next_writable_address(lba);
    if (!nwa.ok() && pauses_for(nwa.error())) {
      // The drive cannot say where it is now (a hung write is often
      // followed by a unit attention or a reset): taking the whole command
      // as used would put the writer ahead of a sequential drive that took
      // nothing, and every later write would fail with 5/21/02. Pause, and
      // count the command once the drive answers (resume_when_ready()).
      held_failure_ = e;
      pause_holding(r, c, nwa.error(), done);
      return;
    }
    if (nwa.ok() && *nwa >= lba && *nwa < lba + blocks) {
      // The drive did not take the whole range (a timeout, typically):
      // writing goes on at its write position, and only what it took stays
      // allocated to the recording. The rest of the data is lost all the same.
      used_blocks = *nwa - lba;
    }
    close_open_extent(r);
    LostExtent lost;
    lost.recording_id = r.id();
    lost.lba = lba;
    lost.blocks = used_blocks;
    lost.file_offset = w.file_offset;
    lost.input_begin = c.input_begin;
    lost.input_end = c.input_end;
    lost.time_begin = c.time_begin;
    lost.time_end = c.time_end;
    lost.code = e.code();
    lost.sense = e.sense().value_or(SenseCode{});
    lost.message = e.to_string();
    (void)w.pending_lost.push(std::move(lost));  // room checked: extent_room()
    ++w.stats.lost_extents;
    w.stats.lost_bytes += c.copied;
    ++drive_.write_errors;
    ++drive_.lost_extents;
    if (++consecutive_errors_ >= options_.max_consecutive_write_errors) {
      Error fatal = e;
      fatal.with_context(std::to_string(consecutive_errors_) + " streaming writes failed in a row");
      fail(std::move(fatal));
    }
  }
  next_lba_ = lba + used_blocks;
  drive_.next_lba = next_lba_;
  w.file_offset += uint64_t{used_blocks} * options_.block_size;
}

inline void StreamingWriter::record_slack(Recording::WriterState& w, Nanos slack) {
  SlackHistogram::add(slack, w.slack, drive_slack_);
  if (slack < Nanos::zero()) {
    ++w.stats.missed_deadlines;
    ++drive_.missed_deadlines;
  }
}

void StreamingWriter::close_open_extent(Recording& r) {
  auto& w = r.writer_;
  if (!w.has_open_extent) return;
  (void)w.pending_recorded.push(RecordedExtent(w.open_extent));  // room checked: extent_room()
  w.has_open_extent = false;
  w.dirty = dirty_ = true;
}

void StreamingWriter::finish_if_done(Recording& r) {
  auto& w = r.writer_;
  if (r.finished() || !w.stop_applied) return;  // a failed writer still waits for stop_recording
  if (!w.finishing) {
    if (!failed_ && !(flushable(r) && r.chunks_.available() == 0 && held_recording_ != &r)) return;
    if (w.pending_shed.free() < 1 || w.pending_recorded.free() < 1) {
      publish();  // makes room if it can; finishing waits until it did
      if (w.pending_shed.free() < 1 || w.pending_recorded.free() < 1) return;
    }
    if (w.discarding) {
      (void)w.pending_shed.push(ShedRange(w.open_shed));
      w.discarding = false;
    }
    close_open_extent(r);
    w.finishing = true;
    w.dirty = dirty_ = true;
  }
  // finished() promises that extents() is complete.
  publish();
  if (!w.dirty) r.finished_.store(true, std::memory_order_release);
}

void StreamingWriter::fail(Error error) {
  drop_held(error);
  failed_ = true;
  failure_ = std::move(error);
  drive_.failed = true;
  dirty_ = true;
}

}  // namespace discrec::recorder
