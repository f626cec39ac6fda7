// Makes a small MPEG-TS in-process with libavcodec's built-in MPEG-2 video
// and MP2 audio encoders: no ffmpeg CLI, deterministic, fast enough for unit
// tests (which also run under ASan).
#pragma once

#include <string>

namespace discrec::recorder::ingest::testing {

struct SynthSpec {
  int frames = 50;  // at 25 fps
  int gop = 10;
  int width = 160, height = 120;
  bool audio = true;
};
// Writes the stream to `path`; returns "" or what failed.
std::string synthesize_ts(const std::string& path, const SynthSpec& spec);

}  // namespace discrec::recorder::ingest::testing
