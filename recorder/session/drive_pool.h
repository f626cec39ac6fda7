// DrivePool: recordings that outlive one disc.
//
// A pool is a set of configured drives. A recording started on the pool
// runs one source and writes it in parts, each an ordinary recording on one
// drive's disc (segment_feed.h). While a part's disc fills, the pool makes
// the next drive ready ahead of time (the next part starts there: disc
// checked, OPC, speed set, its file system planned, its ring allocated) once
// the projected time left falls below `prepare_margin`; when the disc is
// nearly full the source moves over at the next GOP start, the earlier part's
// ring drains to its own disc, and that disc is finalized (labelled with the
// recording and part number) and read back, while recording goes on.
//
// The pool sits above the sessions and uses the Recorder's public calls only
// (start/stop/get a drive's recording, finalize, verify, drive snapshots):
// each drive's command thread keeps its rules.
//
// Thread-safety: thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/mutex.h"
#include "base/result.h"
#include "recorder/session/event_bus.h"
#include "recorder/session/types.h"
#include "recorder/ts_source.h"

namespace discrec::recorder {

class Recorder;
struct RecorderOptions;

struct PoolSpec {
  std::string id;                   // config name; shares the namespace of drive ids
  std::vector<std::string> drives;  // configured drive ids, tried in this order
  // The next part is made ready when the disc being recorded holds less
  // than this at the recording's rate.
  Nanos prepare_margin = std::chrono::minutes(10);
  // Read each full disc back after finalizing it.
  bool verify = true;
};

class DrivePool {
 public:
  DrivePool(PoolSpec spec, Recorder& recorder, const RecorderOptions& options, const TsSourceFactory& sources,
            EventBus& events, Clock& clock);
  ~DrivePool();  // stops every recording (what is on disc stays)
  DrivePool(const DrivePool&) = delete;
  DrivePool& operator=(const DrivePool&) = delete;

  const PoolSpec& spec() const { return spec_; }

  // `params.drive_id` is the pool's id. Starts part 1 on the first drive
  // that takes it. Errors: the source policy's, or every drive's refusal.
  Result<RecordingInfo> start_recording(const StartRecordingParams& params, CallDeadline deadline = {});
  Result<RecordingInfo> stop_recording(const std::string& recording_id, CallDeadline deadline = {});
  Result<RecordingInfo> get_recording(const std::string& recording_id) const;
  std::vector<RecordingInfo> list_recordings() const;
  uint32_t active_recordings() const;
  // Ends every recording; the parts' discs stay as they are (the last part's
  // open, like any recording's).
  void stop_all();

 private:
  class Pooled;
  Result<Pooled*> find(const std::string& recording_id) const;

  const PoolSpec spec_;
  Recorder& recorder_;
  const RecorderOptions& options_;
  const TsSourceFactory& sources_;
  EventBus& events_;
  Clock& clock_;
  mutable Mutex mutex_;
  std::map<std::string, std::unique_ptr<Pooled>> recordings_ GUARDED_BY(mutex_);
  uint32_t next_number_ GUARDED_BY(mutex_) = 1;
};

}  // namespace discrec::recorder
