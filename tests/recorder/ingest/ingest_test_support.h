// Test support for ingest: a recording TsSink, an independent MPEG-TS
// checker, a libavformat prober, and helpers that run the ffmpeg CLI.
//
// Thread-safety: RecordingSink is thread-safe (tests read it while ingest
// runs); the rest is thread-bound.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "base/clock.h"
#include "recorder/ts_sink.h"

namespace discrec::recorder::ingest::testing {

class RecordingSink : public TsSink {
 public:
  Status write_packets(std::span<const uint8_t> packets, bool gop_start) override;
  void source_gap(TimePoint start, Nanos duration) override;
  void flush() override;

  std::vector<uint8_t> bytes() const;
  std::vector<size_t> gop_packet_indices() const;  // TS packet index of each gop_start call
  std::vector<std::pair<TimePoint, Nanos>> gaps() const;
  size_t calls() const;
  std::vector<size_t> flushes() const;  // bytes received at each flush()
  size_t bytes_size() const;
  bool all_calls_whole_packets() const;
  // Makes write_packets fail with kResourceExhausted after `n` packets.
  void fail_after_packets(size_t n);

 private:
  mutable std::mutex mu_;
  std::vector<uint8_t> bytes_;
  std::vector<size_t> gops_;
  std::vector<std::pair<TimePoint, Nanos>> gaps_;
  size_t calls_ = 0;
  std::vector<size_t> flushes_;
  bool whole_ = true;
  size_t fail_after_ = SIZE_MAX;
};

// Independent MPEG-TS parse of the ingest output.
struct TsCheck {
  size_t packets = 0;
  bool sync_ok = true;
  size_t cc_errors = 0;  // continuity counter jumps without discontinuity_indicator
  // For `pid`: TS packet indices with PUSI=1 and random_access_indicator=1,
  // and the PTS of the PES starting there.
  std::vector<size_t> random_access_indices;
  std::vector<int64_t> random_access_pts;
};
TsCheck check_ts(const std::vector<uint8_t>& ts, int pid);

struct StreamProbe {
  std::string type;   // video / audio / subtitle / data
  std::string codec;
  int width = 0, height = 0;
  size_t packets = 0;
  size_t key_packets = 0;
  bool dts_monotonic = true;
  std::vector<int64_t> key_pts_90k;  // PTS of key packets, in 90 kHz
  // Filled when probing with decode = true (first video stream only).
  size_t decoded_frames = 0;
  size_t decode_errors = 0;
  std::vector<std::pair<int, int>> sizes;  // distinct decoded resolutions, in order
};
struct MediaProbe {
  bool ok = false;
  std::string error;
  std::vector<StreamProbe> streams;
  const StreamProbe* first(const std::string& type) const;
};
MediaProbe probe_media(const std::string& path, bool decode = false);

std::filesystem::path make_temp_dir(const std::string& tag);
void write_file(const std::filesystem::path& path, const std::vector<uint8_t>& bytes);
std::vector<uint8_t> read_file(const std::filesystem::path& path);

// Runs `ffmpeg -hide_banner -loglevel error -nostdin <args>` and waits (kills
// it after `timeout_s`). Returns its exit status (or -1).
int run_ffmpeg(const std::vector<std::string>& args, int timeout_s = 60);
// Starts ffmpeg in the background; returns its pid.
pid_t spawn_ffmpeg(const std::vector<std::string>& args);
// SIGKILLs (if `kill_it`) and reaps; returns the exit status or -1.
int reap(pid_t pid, bool kill_it);
bool ffmpeg_has_encoder(const std::string& name);

int free_port(bool udp);
// True once something listens on TCP `port` / has UDP `port` bound (from
// /proc/net), within `timeout`.
bool wait_port(int port, bool udp, Nanos timeout);

}  // namespace discrec::recorder::ingest::testing
