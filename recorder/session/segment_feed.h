// How one source feeds a recording that spans discs (drive_pool.h).
//
// A pooled recording is a chain of parts, each an ordinary recording on one
// drive's disc (its ring, its writer, its journal, its file). The pool runs
// the one real source; its packets go through a SegmentSwitch into the
// SegmentFeed of the current part. The part's session sees its feed as the
// part's TsSource (make_source()): run() lasts until the pool moves on
// (finish(): the part ends like a file that ended, and its ring drains to
// its disc) or the session stops the part.
//
// The switch to the next part happens at a GOP start, so no GOP is split
// between discs, and the next part begins with the stream's PAT and PMT
// (the last ones seen, repeated) before its key frame: each part plays on
// its own.
//
// Thread-safety: thread-safe. The pool's source thread writes; the part's
// source thread runs the FeedSource; stop() and finish() from any thread.
#pragma once

#include <array>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "recorder/ts_sink.h"
#include "recorder/ts_source.h"

namespace discrec::recorder {

// Made shared (std::make_shared): the part's source keeps it alive.
class SegmentFeed : public std::enable_shared_from_this<SegmentFeed> {
 public:
  // `paced`: the pool's source is a file or pipe, so the part's session
  // makes it wait for the drive (PacedSink) instead of shedding.
  // `live_last_packet`: the pool source's, for the part's silence figures.
  SegmentFeed(bool paced, std::function<std::optional<TimePoint>()> live_last_packet);
  SegmentFeed(const SegmentFeed&) = delete;
  SegmentFeed& operator=(const SegmentFeed&) = delete;

  bool paced() const { return paced_; }

  // --- the pool's side ---
  // Into the part's sink. kUnavailable before the part started,
  // kAborted once it was stopped or finished; otherwise the sink's answer.
  Status write_packets(std::span<const uint8_t> packets, bool gop_start);
  void source_gap(TimePoint start, Nanos duration);
  void flush();
  // No more packets: the part's source returns `why` (OK: the recording
  // went on in the next part; an error: the pool's source failed).
  void finish(Status why);
  // The part's session stopped it (a client, a finalize with force, the
  // daemon stopping): the pool learns here that the part takes no more.
  bool stopped() const;

  // --- the session's side ---
  // The part's TsSource, pushing into `sink` (the part's ring or pacing).
  // Made once per feed.
  std::unique_ptr<TsSource> make_source(TsSink& sink);

 private:
  class Source;
  friend class Source;

  const bool paced_;
  const std::function<std::optional<TimePoint>()> live_last_packet_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  // Held while a write reaches it, so the part's source cannot return (and
  // its sink go away) under a write.
  TsSink* sink_ = nullptr;
  bool stopped_ = false;
  std::optional<Status> finished_;
};

// The pool's sink: forwards to the current part and moves to the next one,
// armed ahead of time, at the next GOP start.
class SegmentSwitch final : public TsSink {
 public:
  explicit SegmentSwitch(std::shared_ptr<SegmentFeed> first);

  // The part to go on in, taken at the first GOP start at which the
  // current part is due (set_due); with none set, at the next GOP start. A
  // part already armed is replaced (its feed is finished unused).
  void arm(std::shared_ptr<SegmentFeed> next);
  // Whether the current part should end now (its disc nearly full): asked
  // on the source's thread at GOP starts only. A part due with no next part
  // armed holds the source (hold_for_next) at that GOP start, before its
  // disc overflows. Cleared at each switch.
  void set_due(std::function<bool()> due);
  bool armed() const;
  // A part that cannot take more before the next is armed (its disc filled
  // early) holds the source up to `hold` for the next part, unless told
  // none is coming (next_unavailable). Default: no wait.
  void hold_for_next(Nanos hold);
  void next_unavailable(bool none_coming);
  // Parts begun so far (1 + switches).
  uint32_t parts_begun() const;
  // Ends the current part (and an armed one) with `why`.
  void finish(const Status& why);

  Status write_packets(std::span<const uint8_t> packets, bool gop_start) override;
  void source_gap(TimePoint start, Nanos duration) override;
  void flush() override;

  // The last PAT and PMT seen (single-packet sections), as the next part's
  // first packets; empty until both were seen. For tests.
  std::vector<uint8_t> program_tables() const;

 private:
  void remember_tables(std::span<const uint8_t> packets);
  // Moves to the armed part (under mutex_).
  std::shared_ptr<SegmentFeed> switch_locked();

  mutable std::mutex mutex_;
  std::condition_variable armed_cv_;
  Nanos hold_{0};
  bool none_coming_ = false;
  std::shared_ptr<SegmentFeed> current_;
  std::shared_ptr<SegmentFeed> next_;
  std::shared_ptr<const std::function<bool()>> due_;
  uint32_t parts_ = 1;
  std::optional<uint16_t> pmt_pid_;
  std::optional<std::array<uint8_t, kTsPacketSize>> pat_;
  std::optional<std::array<uint8_t, kTsPacketSize>> pmt_;
};

}  // namespace discrec::recorder
