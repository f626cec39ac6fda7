// TsOutput: FFmpeg's mpegts muxer writing through a custom AVIOContext into a
// GopMarker, which hands whole 188-byte packets to the TsSink. Codec copy
// only: streams are created from the source's codec parameters.
//
// Thread-safety: thread-bound (the ingest thread).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "recorder/ingest/gop_marker.h"
#include "recorder/ts_sink.h"

extern "C" {
struct AVCodecParameters;
struct AVFormatContext;
struct AVIOContext;
struct AVPacket;
}

namespace discrec::recorder::ingest {

// True if FFmpeg's mpegts muxer gives this codec a proper stream type.
bool mpegts_carries(int codec_id);

class TsOutput {
 public:
  // One output stream per entry of `streams`; PIDs are 0x100 + index.
  // `mark_index` is the stream whose random-access PES starts mark GOPs.
  static Result<std::unique_ptr<TsOutput>> create(TsSink& sink,
                                                  const std::vector<const AVCodecParameters*>& streams,
                                                  int mark_index);
  ~TsOutput();

  static int pid_for(int index) { return 0x100 + index; }
  // Writes one packet (timestamps already in the stream's 90 kHz time base).
  // A packet the muxer rejects as malformed is dropped (returns false in
  // `accepted`); sink and I/O errors are returned.
  Status write(AVPacket* packet, bool& accepted);
  // Hands everything muxed so far to the sink (interleaving queues and the
  // AVIO buffer); writing may continue afterwards.
  Status flush();
  // Flushes interleaving queues and the trailer; everything muxed reaches the sink.
  Status finish();

  const GopMarker& marker() const { return *marker_; }

 private:
  TsOutput() = default;
  static int write_cb(void* opaque, uint8_t* buf, int size);

  AVFormatContext* ctx_ = nullptr;
  AVIOContext* avio_ = nullptr;
  std::unique_ptr<GopMarker> marker_;
  std::optional<Error> sink_error_;
  bool finished_ = false;
};

}  // namespace discrec::recorder::ingest
