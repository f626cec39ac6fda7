// Recorder: the whole recording service behind the daemon, without gRPC.
//
// It owns one DriveSession per configured drive (the Drive, its streaming
// writer and recordings, finalize/verify, the journal) and an EventBus. The
// daemon's gRPC handlers are thin: they convert proto <-> these types and
// call these methods; progress is read from published snapshots, so a slow
// RPC client never blocks a writer thread.
//
// Thread-safety: thread-safe. Methods may be called from any gRPC thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <thread>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/mutex.h"
#include "device/drive.h"
#include "base/result.h"
#include "recorder/ingest/source_policy.h"
#include "recorder/session/drive_pool.h"
#include "recorder/session/catalog.h"
#include "recorder/session/event_bus.h"
#include "recorder/session/ring_budget.h"
#include "recorder/session/types.h"
#include "recorder/ts_source.h"

namespace discrec::recorder {

class DriveSession;

struct RecorderOptions {
  // The crash journals and the catalog (<state_directory>/catalog) live
  // here; empty (some tests): no catalog.
  std::string state_directory;
  double admission_margin = 0.10;
  uint32_t max_recordings_per_drive = 8;
  uint64_t default_ring_bytes = 64ull << 20;
  // Memory all recordings' rings may take together (0: no limit).
  uint64_t ring_memory_bytes = 1ull << 30;
  Nanos default_latency_budget = std::chrono::seconds(2);
  // How often confirmed extents are flushed (SYNCHRONIZE CACHE) and
  // journaled: the most a crash can lose.
  Nanos journal_interval = std::chrono::seconds(1);
  // Finalize (also after a crash) points what write errors lost at zeroed
  // sectors instead of "allocated but not recorded" extents, unless the
  // request says otherwise. See udf::LostExtentEncoding.
  bool zero_fill_lost_extents = false;
  // Each recording's data goes to disc in stripes of up to this many bytes,
  // waiting up to this fraction of its latency budget to fill one (see
  // WriterOptions::stripe_bytes); 0: unit by unit.
  size_t stripe_bytes = 4u << 20;
  double stripe_wait_fraction = 0.25;
  // Each writer thread asks for SCHED_FIFO at this priority (0: it does
  // not): a writer that misses its turn misses deadlines, and a polling
  // loop at normal priority competes with every ingest and gRPC thread.
  int writer_realtime_priority = 0;
  // A disc that a stop or crash left open, found in its drive at the next
  // start: false keeps it open to record on (recovery.cc), true writes its
  // file system and closes it.
  bool finalize_after_restart = false;
  // Ended recordings of discs no longer in a drive stay listed: at most this
  // many per drive, for at most this long.
  uint32_t history_count = 1000;
  Nanos history_age = std::chrono::hours(24 * 7);
  // Events are kept for replay (WatchEvents with a `since`): at most this
  // many, for at most this long (EventBus).
  EventHistoryLimits event_history;
  // A kDiscSpace event when the disc being recorded holds less than each of
  // these at the current bitrate: once per threshold per disc.
  std::vector<Nanos> disc_space_warnings = {std::chrono::minutes(30), std::chrono::minutes(10),
                                            std::chrono::minutes(2)};
  // What clients may record from; checked before a recording starts.
  ingest::SourcePolicy source_policy;
  // A drive that cannot be opened is tried again by the monitor after this,
  // then twice as long each time up to drive_retry_max (and at once by
  // retry_failed_drives() and load_medium()).
  Nanos drive_retry_initial = std::chrono::seconds(5);
  Nanos drive_retry_max = std::chrono::minutes(5);
  // Each drive's command thread looks for events this often between
  // commands, and probes an idle drive for a medium coming or going at
  // medium_poll_interval.
  Nanos tick_interval = std::chrono::milliseconds(500);
  Nanos medium_poll_interval = std::chrono::seconds(2);
  // A control call waits at most this long for its drive to take it up (a
  // drive whose previous command hangs must not hold the caller).
  Nanos command_wait = std::chrono::seconds(60);
  // How a drive URI is opened; empty: device::Drive::open. Tests give
  // emulated drives their own clocks here.
  std::function<Result<std::unique_ptr<device::Drive>>(const std::string& uri)> open_drive;
};

struct DriveSpec {
  std::string id;   // config name, e.g. "bd0"
  std::string uri;  // device URI
  uint32_t write_kbps = 0;
  WriteMode write_mode = WriteMode::kStreamingPreferred;
};

class Recorder {
 public:
  // `sources` makes each recording's TsSource (the daemon's: FFmpeg ingest).
  Recorder(RecorderOptions options, std::shared_ptr<const TsSourceFactory> sources,
           Clock& clock = SteadyClock::instance());
  ~Recorder();  // stops every recording cleanly
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // Opens the configured drives. A drive that cannot be opened is kept and
  // reported (not_ready_reason) so the daemon still starts; recovery from the
  // journal runs here for discs left open by a crash.
  Status add_drive(const DriveSpec& spec);
  std::vector<std::string> drive_ids() const;
  // A pool of drives added before (DrivePool): recordings started on its
  // id span its drives' discs. Its id may not name a drive. Errors:
  // kInvalidArgument (no drives, an unknown drive, a taken id).
  Status add_pool(const PoolSpec& spec);
  std::vector<std::string> pool_ids() const;
  // Tries at once to open every drive that is not open (a SIGHUP). Each
  // result goes out as an event (kDriveOpened, or kDriveError when the
  // reason it fails changed), never once per attempt.
  void retry_failed_drives();
  // A new URI or write speed for a configured drive, from a reload: applied
  // if no disc is open in it. Errors: kNotFound, kFailedPrecondition (it
  // holds an open disc: nothing changed), or why the drive does not open
  // with it (then it is retried like a drive that failed at start).
  Status reconfigure_drive(const DriveSpec& spec);
  // Finishes, in the background, discs that a crash left open (one thread
  // per drive). Call once the daemon serves, so clients see the progress.
  void start_recovery();

  Result<DriveInfo> get_drive(const std::string& drive_id);
  std::vector<DriveInfo> list_drives();
  Result<PrepareResult> prepare_drive(const std::string& drive_id, uint32_t write_kbps, CallDeadline deadline = {});
  Result<DriveInfo> load_medium(const std::string& drive_id, CallDeadline deadline = {});
  Result<DriveInfo> eject_medium(const std::string& drive_id, CallDeadline deadline = {});
  Result<DriveInfo> format_medium(const std::string& drive_id, bool spare_areas, bool force,
                                  CallDeadline deadline = {});

  // Recordings: `drive_id` names a drive, or a pool (a recording that spans
  // its drives' discs).
  Result<RecordingInfo> start_recording(const StartRecordingParams& params, CallDeadline deadline = {});
  Result<RecordingInfo> stop_recording(const std::string& drive_id, const std::string& recording_id,
                                       CallDeadline deadline = {});
  Result<RecordingInfo> get_recording(const std::string& drive_id, const std::string& recording_id);
  // drive_id empty = all drives.
  Result<std::vector<RecordingInfo>> list_recordings(const std::string& drive_id);
  // Every drive's recordings of the disc in it (running or ended), without
  // recovered ones and the history: the cheap read for frequent pollers
  // (metrics), whose cost does not grow with the history.
  std::vector<RecordingInfo> list_disc_recordings();

  // Long operations report progress through the callback (called on the
  // caller's thread); returning false from it does not cancel, it only stops
  // reporting.
  Result<DiscOperationResult> finalize_disc(const std::string& drive_id, const FinalizeParams& params,
                                            const ProgressCallback& progress, CallDeadline deadline = {});
  Result<DiscOperationResult> verify_disc(const std::string& drive_id, const ProgressCallback& progress,
                                          CallDeadline deadline = {});
  // Deletes a recording (its id, or its file name in /DISCREC) from the
  // rewritable disc in the drive, giving its space back (DriveSession::delete_recording).
  Result<DiscOperationResult> delete_from_disc(const std::string& drive_id, const std::string& what,
                                               CallDeadline deadline = {});

  // Which part of which recording is on which disc (catalog.h): the parts
  // of `recording_id`, every recording's when it is empty, sorted; at most
  // `max` from the `first` (a page). kFailedPrecondition without a state
  // directory, kUnavailable when the catalog could not be opened (why: the
  // event at start, and the error).
  Result<std::vector<CatalogPart>> catalog(std::string_view recording_id = {}, size_t first = 0,
                                           size_t max = SIZE_MAX) const;
  // A part as the pool code knows it (the slot its disc went back to, ...);
  // the same errors, or Catalog::put()'s.
  Status put_catalog_part(const CatalogPart& part);
  // What opening the catalog found wrong (it could not be opened, or a torn
  // end was cut off); "" when nothing was. Also an event, before anyone
  // watched: for the daemon's log at start.
  const std::string& catalog_open_note() const { return catalog_note_; }

  EventBus& events() { return events_; }
  // The rings' memory: its pool (reserved at construction) and budget.
  const RingBudget& ring_budget() const { return ring_budget_; }
  uint32_t active_recordings() const;

  // Ends every recording (nothing already written is lost); used on SIGTERM.
  void stop_all();

  // How long ago the monitor last went round every drive. The monitor waits
  // for no drive that is busy with a long operation, so a growing value
  // means a session is wedged (a lock held without reason): the daemon then
  // stops feeding its watchdog and lets the service manager restart it (the
  // journal keeps every disc).
  Nanos since_monitor_round() const;

 private:
  Result<DriveSession*> session(const std::string& drive_id);
  DrivePool* pool(const std::string& pool_id) const;
  void open_catalog();
  void monitor_main();
  // Opens the drives that failed and are due (all of them with `now`).
  void retry_drives(bool now);
  // Under retry_mutex_: one open attempt of a drive that is not open.
  Status retry_open_locked(DriveSession& session) REQUIRES(retry_mutex_);
  void note_open_failure_locked(const std::string& drive_id, const Status& failure) REQUIRES(retry_mutex_);

  RecorderOptions options_;
  std::shared_ptr<const TsSourceFactory> sources_;
  Clock& clock_;
  EventBus events_;
  RingBudget ring_budget_;  // every drive's; outlives the sessions
  std::unique_ptr<Catalog> catalog_;  // null without one; outlives the sessions
  std::string catalog_error_;         // why it could not be opened
  std::string catalog_note_;
  mutable Mutex mutex_;
  std::map<std::string, std::unique_ptr<DriveSession>> sessions_ GUARDED_BY(mutex_);
  // Above the sessions; destroyed first (their recordings stop before the
  // drives' do).
  std::map<std::string, std::unique_ptr<DrivePool>> pools_ GUARDED_BY(mutex_);

  Mutex monitor_mutex_;
  CondVar monitor_cv_;
  bool quit_ GUARDED_BY(monitor_mutex_) = false;
  std::atomic<int64_t> monitor_round_ns_{std::chrono::steady_clock::now().time_since_epoch().count()};
  std::thread monitor_;
  bool recovery_started_ GUARDED_BY(mutex_) = false;

  // Drives that could not be opened, and when to try again. Held across an
  // attempt, so the monitor and a Load never open one drive twice at once.
  struct OpenRetry {
    Nanos backoff{0};
    std::chrono::steady_clock::time_point next;
    std::string last_error;  // as last announced
    uint32_t attempts = 0;
  };
  Mutex retry_mutex_ ACQUIRED_BEFORE(mutex_);
  std::map<std::string, OpenRetry> retries_ GUARDED_BY(retry_mutex_);
};

}  // namespace discrec::recorder
