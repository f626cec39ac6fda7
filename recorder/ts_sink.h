// The one small interface between ingest (which knows FFmpeg) and the
// recorder (which does not): ingest pushes whole 188-byte MPEG-TS packets,
// marking where a GOP (key frame's PES) starts, and reports source gaps.
//
// Thread-safety: called from one ingest thread per recording.
#pragma once

#include <cstdint>
#include <span>

#include "base/clock.h"
#include "base/result.h"

namespace discrec::recorder {

inline constexpr size_t kTsPacketSize = 188;

class TsSink {
 public:
  virtual ~TsSink() = default;
  // `packets` is a whole number of TS packets. When `gop_start` is true the
  // first packet begins a random-access point (key frame PES start); the
  // recorder may shed data only from one GOP start up to the next.
  // An error (kResourceExhausted: ring full and nothing could be shed,
  // kAborted: recording stopped) tells ingest to stop.
  virtual Status write_packets(std::span<const uint8_t> packets, bool gop_start) = 0;
  // The source was lost at `start` for `duration` and is back (reconnected).
  virtual void source_gap(TimePoint start, Nanos duration) = 0;
  // Nothing more is coming for now (the source was lost): whatever the sink
  // still holds back from what was pushed goes on at once.
  virtual void flush() {}
};

}  // namespace discrec::recorder
