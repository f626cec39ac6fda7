// Timeline: maps source timestamps onto one continuous, strictly monotonic
// output timeline (90 kHz), so the recording's clock never jumps back when
// the source restarts, reconnects, or splices in a new clip.
//
// One offset is shared by all streams (keeps audio/video in sync). It is
// re-based when a new source segment starts (after a reconnect) or when a
// stream's timestamps jump by more than kJump (an encoder restart inside one
// connection, concatenated files). Small backward steps are dropped, since
// the muxer requires per-stream increasing DTS.
//
// Thread-safety: thread-bound (the ingest thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace discrec::recorder::ingest {

class Timeline {
 public:
  static constexpr int64_t kNoTs = INT64_MIN;
  static constexpr int64_t kHz = 90000;
  // A segment's first packet lands this far after the previous end, leaving
  // room for streams whose first packet is slightly earlier.
  static constexpr int64_t kRebaseMargin = kHz;       // 1 s
  static constexpr int64_t kJump = kHz;               // > 1 s backward = discontinuity
  static constexpr int64_t kForwardJump = 30 * kHz;   // > 30 s forward = discontinuity

  explicit Timeline(size_t streams) : last_dts_(streams, kNoTs) {}

  // The next packet starts a new source segment (its timestamps are unrelated
  // to the previous ones).
  void start_segment() { need_rebase_ = true; }

  // Maps `dts`/`pts` (90 kHz, kNoTs if unknown) of `stream` in place.
  // `continuous` says the stream should not have large forward gaps
  // (audio/video; not subtitles). Returns false if the packet must be dropped.
  bool map(size_t stream, bool continuous, int64_t& dts, int64_t& pts, int64_t duration);

  uint64_t discontinuities() const { return discontinuities_; }

 private:
  void rebase(int64_t source_dts);

  std::vector<int64_t> last_dts_;
  int64_t offset_ = 0;
  int64_t end_ = kNoTs;  // max over streams of dts + duration on the output timeline
  bool need_rebase_ = true;
  bool first_segment_ = true;
  uint64_t discontinuities_ = 0;
};

}  // namespace discrec::recorder::ingest
