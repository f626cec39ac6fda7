// DriveSession: one configured drive and the disc in it. Owns the Drive,
// the streaming writer and the recordings on that disc (each with its
// ingest thread), and runs the disc's state machine in one place:
//
//   kNoMedium ──insert──▶ kBlank ──first recording──▶ kRecording
//                                                        │ finalize
//                                                        ▼
//                                                    kFinalized ──eject──▶ kNoMedium
//
// A recording starts on a blank (or formatted random-access) disc: the
// session prepares the drive (OPC, speed, read back), plans the UDF layout,
// reserves the metadata track on write-once media and starts the writer at
// the layout's data start. Finalize stops every recording, flushes, writes
// the UDF file system with the reliable policy and closes the disc as the
// medium needs.
//
// Thread-safety: thread-safe. Control operations are serialised by
// `mutex_`; the writer thread never takes it (it only sees the writer's own
// control queue), so a slow control call never stalls a recording.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "device/clock.h"
#include "device/drive.h"
#include "recorder/core/prepare.h"
#include "recorder/core/streaming_writer.h"
#include "recorder/session/checksum_target.h"
#include "recorder/session/event_bus.h"
#include "recorder/session/recorder.h"
#include "recorder/session/types.h"
#include "recorder/udf/layout.h"

namespace discrec::recorder {

namespace ingest {
class Ingest;
}

enum class DiscState { kNoMedium, kBlank, kRecording, kFinalized };
const char* disc_state_name(DiscState state);

class DriveSession {
 public:
  DriveSession(DriveSpec spec, const RecorderOptions& options, Clock& clock, EventBus& events);
  ~DriveSession();

  // Opens the drive. On failure the session still exists and reports why.
  Status open();
  const std::string& id() const { return spec_.id; }

  DriveInfo info();
  Result<PrepareResult> prepare(uint32_t write_kbps);
  Result<DriveInfo> load();
  Result<DriveInfo> eject();
  Result<DriveInfo> format(bool spare_areas);

  Result<RecordingInfo> start_recording(const StartRecordingParams& params);
  Result<RecordingInfo> stop_recording(const std::string& recording_id);
  Result<RecordingInfo> get_recording(const std::string& recording_id);
  std::vector<RecordingInfo> list_recordings();

  Result<DiscOperationResult> finalize(const FinalizeParams& params, const ProgressCallback& progress);
  Result<DiscOperationResult> verify(const ProgressCallback& progress);

  uint32_t active_recordings() const;
  // Publishes events for what changed since the last call (lost extents,
  // shed GOPs, recordings that ended). Called by the Recorder's monitor.
  void poll_events();
  void stop_all();

 private:
  struct Entry;

  Status require_drive() const;
  Result<device::DriveCapabilities> probe_locked();
  Status prepare_disc_locked();
  Status begin_writing_locked();
  RecordingInfo snapshot(Entry& entry);
  void ingest_main(Entry* entry);
  void stop_recordings_locked(Nanos timeout);
  Result<DiscOperationResult> write_file_system_locked(const FinalizeParams& params, const ProgressCallback& progress);
  std::string image_path() const;
  void publish(EventKind kind, const std::string& recording_id, const std::string& message);

  const DriveSpec spec_;
  const RecorderOptions options_;
  Clock& clock_;
  EventBus& events_;

  mutable std::mutex mutex_;
  std::unique_ptr<device::Drive> drive_;               // GUARDED_BY(mutex_) for control use
  std::string open_error_;                             // GUARDED_BY(mutex_)
  std::optional<device::DriveCapabilities> caps_;      // GUARDED_BY(mutex_)
  DiscState disc_state_ = DiscState::kNoMedium;        // GUARDED_BY(mutex_)
  std::optional<PreparedDrive> prepared_;              // GUARDED_BY(mutex_)
  std::optional<udf::VolumeLayout> layout_;            // GUARDED_BY(mutex_)
  std::unique_ptr<DriveBlockTarget> drive_target_;     // GUARDED_BY(mutex_)
  std::unique_ptr<ChecksumTarget> checksums_;          // GUARDED_BY(mutex_)
  std::unique_ptr<StreamingWriter> writer_;            // GUARDED_BY(mutex_)
  std::map<std::string, std::unique_ptr<Entry>> recordings_;  // GUARDED_BY(mutex_)
  uint32_t next_recording_number_ = 1;                 // GUARDED_BY(mutex_)
  WallTime disc_started_{};                            // GUARDED_BY(mutex_)
};

}  // namespace discrec::recorder
