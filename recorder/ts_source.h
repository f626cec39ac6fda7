// Where a recording's MPEG-TS comes from, as the session sees it: something
// that runs on the recording's own thread, pushes packets into a TsSink
// until it ends or is stopped, and says whether a live source has gone
// quiet. recorder/ingest's FFmpeg remuxer is the product's implementation
// (ingest::FfmpegSources); the session's own tests use a synthetic one, so
// the session builds and is tested without FFmpeg.
//
// Thread-safety: run() on one thread; stop() and live_last_packet() from
// any thread while it runs.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/result.h"
#include "recorder/ts_sink.h"

namespace discrec::recorder {

class TsSource {
 public:
  virtual ~TsSource() = default;
  // Blocks until the source ends (OK), is stopped (kAborted) or fails.
  virtual Status run() = 0;
  // Makes run() return promptly.
  virtual void stop() = 0;
  // A live source that is connected or reconnecting: when its last packet
  // came (TimePoint{} before the first). nullopt for files, pipes and
  // sources that ended.
  virtual std::optional<TimePoint> live_last_packet() const = 0;
};

// What the session asks a factory to open; the source policy has checked it.
struct TsSourceRequest {
  std::string url;        // what to open (for files: for messages only)
  int input_fd = -1;      // an upload's pipe: the source owns and closes it
  std::string file_root;  // a file beneath a directory (see ingest::CheckedSource)
  std::string file_path;
  // A lost live source is reopened no faster than this.
  Nanos min_reconnect_interval{0};
};

class TsSourceFactory {
 public:
  virtual ~TsSourceFactory() = default;
  // Checks a network URL's form before anything is opened (kInvalidArgument
  // names what is wrong; kUnsupported: this build cannot read the scheme).
  virtual Status validate_network_url(std::string_view url) const = 0;
  // Makes (does not open yet: run() does) the source for `request`.
  virtual Result<std::unique_ptr<TsSource>> make(const TsSourceRequest& request, TsSink& sink,
                                                 Clock& clock) const = 0;
};

}  // namespace discrec::recorder
