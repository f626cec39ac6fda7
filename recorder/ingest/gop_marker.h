// GopMarker: cuts the muxer's MPEG-TS byte stream into TsSink::write_packets
// calls of whole 188-byte packets, starting a new call with gop_start = true
// exactly at the TS packet where a random-access PES begins: the marked PID,
// payload_unit_start_indicator = 1 and random_access_indicator = 1 (which
// FFmpeg's mpegts muxer sets for key frames).
//
// Marking from the bytes themselves (not from which AVPacket was written)
// stays exact whatever the muxer buffers or interleaves. For audio-only
// recordings every PES is random-access, so marks are thinned to one per
// `min_mark_interval` of PTS.
//
// Thread-safety: thread-bound (the ingest thread).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "base/result.h"
#include "recorder/ts_sink.h"

namespace discrec::recorder::ingest {

// The PTS (90 kHz) in the PES header that starts in this TS packet, if any.
std::optional<int64_t> pes_start_pts(std::span<const uint8_t, kTsPacketSize> packet);
// True if `packet` starts a PES on `pid` with random_access_indicator set.
bool is_random_access_start(std::span<const uint8_t, kTsPacketSize> packet, int pid);

class GopMarker {
 public:
  // min_mark_interval: 0 for video (mark every key frame), in 90 kHz ticks.
  GopMarker(TsSink& sink, int mark_pid, int64_t min_mark_interval)
      : sink_(sink), mark_pid_(mark_pid), min_interval_(min_mark_interval) {}

  // Consumes muxer output of any size; a partial packet is carried over.
  // Returns the sink's error, or kInternal if the bytes lose TS sync.
  Status consume(const uint8_t* data, size_t size);
  // Passes a flush on to the sink (see TsSink::flush()).
  void flush_sink() { sink_.flush(); }

  uint64_t ts_packets() const { return ts_packets_; }
  uint64_t gop_starts() const { return gop_starts_; }
  size_t carried_bytes() const { return carry_len_; }

 private:
  bool marks(std::span<const uint8_t, kTsPacketSize> packet);
  Status emit(const uint8_t* data, size_t packets);
  Status consume_whole(const uint8_t* data, size_t packets);

  TsSink& sink_;
  int mark_pid_;
  int64_t min_interval_;
  std::optional<int64_t> last_mark_pts_;
  bool next_is_gop_ = false;  // the next emitted run starts at a mark
  std::array<uint8_t, kTsPacketSize> carry_{};
  size_t carry_len_ = 0;
  uint64_t ts_packets_ = 0;
  uint64_t gop_starts_ = 0;
};

}  // namespace discrec::recorder::ingest
