// Small test streams made once per test process with the ffmpeg CLI
// (lavfi testsrc + sine), and the checks every ingest test applies to the
// recorded MPEG-TS.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "recorder/ingest/ingest.h"
#include "tests/recorder/ingest/ingest_test_support.h"

namespace discrec::recorder::ingest::testing {

// Path of a generated stream, made on first use. Names:
//   h264_aac.ts      H.264 (B-frames, GOP 12) + AAC, 3 s, 320x240
//   hevc_ac3.ts      H.265 + AC-3, 2 s
//   mpeg2_multi.ts   MPEG-2 video + MP2 + AAC + AC-3 audio tracks, 2 s
//   h264_subs.mp4    H.264 + AAC + a mov_text subtitle (MPEG-TS cannot carry it)
//   vp9.webm         VP9 + Opus (VP9 cannot go in MPEG-TS)
//   small_640.ts     H.264 640x360 2 s, used for the resolution change
// Returns "" (and the test should fail) if ffmpeg cannot make it.
std::string test_stream(const std::string& name);

struct IngestRun {
  Status status;
  IngestStats stats;
  std::vector<uint8_t> ts;
  std::vector<size_t> gops;
};
IngestRun ingest(IngestOptions options);

// Writes run.ts next to the generated streams and checks it against the
// input: same streams and codecs, same video frame and key frame counts,
// monotonic DTS, valid continuity counters, all video frames decode, and GOP
// marks exactly at the key frames' PES starts. Returns a description of
// every failure ("" if none). With exact_counts = false (live transports
// that may lose the start or the end), each stream must hold at least
// `min_fraction` of the input's packets and no more than the input.
std::string compare_with_input(const std::string& input_path, const IngestRun& run, bool exact_counts = true,
                               double min_fraction = 0.7);

}  // namespace discrec::recorder::ingest::testing
