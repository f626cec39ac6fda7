// Ingest: reads an already-encoded live (or file) source with libavformat and
// remuxes it, codec copy only, into MPEG-TS that it pushes into a
// recorder::TsSink in whole 188-byte packets, marking each GOP start.
//
// It never re-encodes and knows nothing of drives. On source loss it
// reconnects with backoff, keeps the output timestamps continuous and reports
// the gap to the sink (TsSink::source_gap) and in IngestStats.
//
// Sources, written as FFmpeg users write them (a client's URL is first
// checked against the SourcePolicy, see source_policy.h):
//   /path/file.ts, file:/path (opened by ingest itself: regular files only)
//   IngestOptions::input_fd: an fd trusted in-process code hands over
//   udp://host:port (unicast or multicast group), rtp://host:port, x.sdp
//   rtsp://host:port/path (client; IngestOptions::listen for a camera that pushes)
//   http://..., https://..., srt://host:port?mode=listener|caller (if FFmpeg has libsrt)
//
// Constructing the first Ingest silences FFmpeg's process-wide log
// (errors come back as Status); DISCREC_FFMPEG_LOG=1 keeps it.
//
// Thread-safety: run() is called once, from one thread (the ingest thread).
// stop() and stats() are thread-safe and may be called from any thread at any
// time while run() executes.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "recorder/ingest/source_policy.h"
#include "recorder/ts_sink.h"

namespace discrec::recorder::ingest {

// Checks a source URL before anything is opened, so the daemon can refuse a
// bad request up front. kInvalidArgument names what is wrong with the URL;
// kUnsupported says the scheme is valid but this FFmpeg build lacks it.
// It does not apply a policy (check_source does); pipe:, fd: and "-" are
// refused: an fd comes only through IngestOptions::input_fd.
Result<SourceKind> classify_source_url(std::string_view url);
Status validate_source_url(std::string_view url);

// After a source that was open is lost (read error, end of a live stream,
// no packet for read_timeout), ingest reopens it with exponential backoff.
// The first open of a source that is reconnected is retried with the same
// backoff while it does not answer (kTimeout, kUnavailable), until
// IngestOptions::open_timeout has passed since run() began; any other
// failure, and the first open of a file or pipe, is reported at once with
// the cause.
struct ReconnectPolicy {
  // kAuto: reconnect network sources; files and pipes end at their EOF.
  enum class Mode { kAuto, kAlways, kNever } mode = Mode::kAuto;
  Nanos initial_backoff = std::chrono::milliseconds(200);
  Nanos max_backoff = std::chrono::seconds(5);
  // 0 = keep trying until stop().
  int max_attempts = 0;
};

struct IngestOptions {
  std::string url;
  // A file beneath a directory (CheckedSource::file_root/file_path): opened
  // with openat2 RESOLVE_BENEATH so no symlink leads out of the directory;
  // `url` is then only its name in messages.
  std::string file_root;
  std::string file_path;
  // An open fd (a pipe's read end, say) from trusted in-process code, never
  // from a client: read as SourceKind::kPipe, `url` only names it in
  // messages. The Ingest owns it from construction and closes it.
  int input_fd = -1;
  // Opening (connect, probe, find the streams) must finish within this; for
  // the first open of a reconnected source, all its attempts together.
  Nanos open_timeout = std::chrono::seconds(10);
  // A source that delivers no packet for this long is lost.
  Nanos read_timeout = std::chrono::seconds(5);
  ReconnectPolicy reconnect;
  // Wait for an incoming connection (RTSP ANNOUNCE/RECORD from a camera,
  // http/tcp listen) instead of connecting. Listening has no open timeout.
  bool listen = false;
  // RTSP transport: "" (FFmpeg's default), "tcp" or "udp".
  std::string rtsp_transport;
  // Pace a file at the rate of its timestamps, as a live source would arrive.
  bool realtime = false;
  // Give up on a video stream that shows this much stream time without a
  // key frame (a recording must start at one).
  Nanos max_wait_for_key_frame = std::chrono::seconds(10);
  // Extra demuxer/protocol options passed to avformat_open_input.
  std::vector<std::pair<std::string, std::string>> input_options;
};

struct SourceGapRecord {
  TimePoint start;  // when the last packet before the loss arrived
  Nanos duration;   // until the first packet after reconnecting
};

struct IngestStreamInfo {
  int output_index = 0;
  int pid = 0;
  std::string type;   // "video", "audio", "subtitle", "data"
  std::string codec;  // FFmpeg codec name: h264, hevc, mpeg2video, aac, ac3, mp2...
  int width = 0, height = 0;
};

struct IngestStats {
  enum class State { kIdle, kOpening, kRunning, kReconnecting, kFinished, kFailed };
  State state = State::kIdle;
  std::vector<IngestStreamInfo> streams;
  // Extra streams left out, each with the reason ("stream #2 (subtitle,
  // mov_text): not carried in MPEG-TS"). Video/audio that MPEG-TS cannot
  // carry is an error instead.
  std::vector<std::string> skipped_streams;
  uint64_t packets_in = 0;        // demuxed packets of mapped streams
  TimePoint last_packet{};        // when data last arrived (the ingest's clock); {} before any
  uint64_t packets_out = 0;       // packets handed to the muxer
  uint64_t video_frames = 0;      // primary video stream packets handed to the muxer
  uint64_t key_frames = 0;        // ... of which key frames
  uint64_t packets_dropped = 0;   // before a key frame, non-monotonic, unstamped
  uint64_t ts_packets = 0;        // 188-byte packets delivered to the sink
  uint64_t gop_starts = 0;        // write_packets calls with gop_start = true
  uint64_t discontinuities = 0;   // output timeline re-bases: source clock jumps and reconnects
  uint64_t reconnects = 0;
  uint64_t open_attempts = 0;     // opens tried, the first and every reconnect's
  std::vector<SourceGapRecord> gaps;  // the last kMaxGapRecords
  Nanos total_gap{0};
  std::string last_error;  // why the source was last lost / failed
  static constexpr size_t kMaxGapRecords = 256;
};

// "idle", "opening", "running", "reconnecting", "finished", "failed".
const char* ingest_state_name(IngestStats::State state);

class Ingest {
 public:
  // `sink` and `clock` must outlive the Ingest. `clock` times the open and
  // read timeouts, the reconnect backoff and realtime pacing (with a
  // SimulatedClock, timeouts fire only as the test advances it).
  Ingest(IngestOptions options, TsSink& sink, Clock& clock);
  ~Ingest();
  Ingest(const Ingest&) = delete;
  Ingest& operator=(const Ingest&) = delete;

  // Blocks until end of stream (OK), stop() (kAborted, after flushing what was
  // already muxed), or an error: kInvalidArgument/kUnsupported (bad URL,
  // codec that cannot go in MPEG-TS), kUnavailable / kTimeout (cannot open and
  // no (more) reconnects), kDataLoss (input unusable, e.g. no key frame), or
  // the sink's own error. Call once.
  Status run();
  // Thread-safe; makes run() return promptly (interrupts any blocking I/O).
  void stop();
  // Thread-safe snapshot.
  IngestStats stats() const;

 private:
  class Session;
  friend class Session;

  IngestOptions options_;
  std::string display_url_;  // options_.url with credentials redacted: for messages
  TsSink& sink_;
  Clock& clock_;
  std::atomic<bool> stop_requested_{false};
  mutable std::mutex stats_mu_;
  IngestStats stats_;  // guarded by stats_mu_
};

}  // namespace discrec::recorder::ingest
