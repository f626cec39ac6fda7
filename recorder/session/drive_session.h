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
// Crash safety: while a disc is open, a journal in the state directory
// records the layout, each recording and every extent once a SYNCHRONIZE
// CACHE has made it durable (once a second). The writer hands each extent
// over once (ExtentJournal), so the journal is the disc's only complete
// list of extents: finalize and verify replay it, and the session's memory
// does not grow with what is recorded. After a stop or a crash,
// recover() finds that journal: by default the disc stays open (kRecording
// without a writer until the next recording starts one after what is
// already on the disc), or, as configured, it is finished from the journal
// (recovery.cc).
//
// Thread-safety: thread-safe. Control operations are serialised by
// `mutex_`; the writer thread never takes it (it only sees the writer's own
// control queue), so a slow control call never stalls a recording. The
// journal thread never takes `mutex_` either; journal appends are
// serialised by `journal_mutex_`.
//
// Long operations (verify, finalize, format, recovery; and briefly the
// first recording's OPC, a ring's allocation and a stop) hold `mutex_`
// throughout and say so in `busy_`. Meanwhile reads (info, recordings, the
// Recorder's monitor) answer from a snapshot taken when the operation began
// instead of waiting behind it for minutes (the monitor serves every drive),
// and control calls are refused with kUnavailable naming the operation, or
// wait for a short one.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <set>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "base/clock.h"
#include "device/drive.h"
#include "recorder/core/prepare.h"
#include "recorder/journal/journal_file.h"
#include "recorder/core/streaming_writer.h"
#include "recorder/session/checksum_target.h"
#include "recorder/session/event_bus.h"
#include "recorder/session/extent_journal.h"
#include "recorder/session/recorder.h"
#include "recorder/session/ring_budget.h"
#include "recorder/session/types.h"
#include "recorder/udf/layout.h"

namespace discrec::recorder {

namespace ingest {
class Ingest;
}

enum class DiscState { kNoMedium, kBlank, kRecording, kFinalized };
const char* disc_state_name(DiscState state);

// "disc full: 23.1 MB written, the disc holds 23.1 MB" when `writer` stopped
// at the end of the disc; empty otherwise.
std::string disc_full_message(const StreamingWriter& writer);

class DriveSession {
 public:
  // `ring_budget` is shared by every drive and outlives the session.
  DriveSession(DriveSpec spec, const RecorderOptions& options, Clock& clock, EventBus& events,
               RingBudget& ring_budget);
  ~DriveSession();

  // Opens the drive. On failure the session still exists and reports why.
  Status open();
  // Whether open() succeeded (a drive busy with a long operation is open).
  bool opened() const;
  // Takes a new URI and write speed (a configuration reload) and opens the
  // drive with them, if no disc is open in it: what the old one held stays
  // listed. Errors: kFailedPrecondition (a disc is open or recording; the
  // session is unchanged), kUnavailable (busy), or open()'s error.
  Status reconfigure(const DriveSpec& spec);
  // Finishes a disc the journal says a crash left open (see recovery.cc).
  // Slow (writes a file system); run after the daemon is serving.
  // Takes up a disc the journal says a stop or crash left open: keeps it
  // open to record on, or finishes it (see recovery.cc). Finishing is slow
  // (writes a file system); run after the daemon is serving.
  void recover();
  const std::string& id() const { return spec_.id; }

  DriveInfo info();
  Result<PrepareResult> prepare(uint32_t write_kbps);
  Result<DriveInfo> load();
  Result<DriveInfo> eject();
  Result<DriveInfo> format(bool spare_areas, bool force);

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
  // poll_events() under mutex_; appends the recordings that ended now.
  struct EndedRings {
    std::shared_ptr<Recording> recording;
    RingBudget::Reservation reservation;
  };
  void poll_events_locked(std::vector<EndedRings>& ended);
  Result<device::DriveCapabilities> probe_locked();
  Status prepare_disc_locked();
  Status begin_writing_locked();
  // Before the first write onto a disc (a new one, or one continued after a
  // restart): the state directory can hold a journal, an unformatted
  // rewritable disc is formatted (if asked), OPC and the write speed.
  Result<PreparedDrive> prepare_to_write_locked(bool format_if_needed);
  // The writer's options for this drive's disc, from start_lba to end_lba.
  WriterOptions session_writer_options(const PreparedDrive& prepared, uint32_t start_lba, uint32_t end_lba) const;
  // Names the writer thread that just started and asks for its priority.
  void writer_started_locked();
  void apply_writer_priority_locked();
  uint32_t active_recordings_locked() const;
  // Refuses a recording the writer could never drain (finalize begun, disc
  // full, writer failed or stopped).
  Status writer_takes_recordings_locked() const;
  // begin_writing_locked() for a disc kept open across a restart: the
  // writer starts at continue_lba_, after everything already on the disc.
  Status continue_writing_locked();
  // A recording id that a recording on this disc (or a recovered one) has.
  bool recording_id_taken_locked(const std::string& id) const;
  Result<PreparedDrive> prepare_for_streaming_locked(const PrepareOptions& options);
  void forget_disc_locked();
  void trim_history_locked();
  RecordingInfo snapshot(Entry& entry);
  void ingest_main(Entry* entry);
  void stop_recordings_locked(Nanos timeout);
  // A recording as it goes into the file system.
  struct DiscFile {
    std::string id;
    std::string title;
    WallTime start;
    WallTime end;
    RecordingExtents extents;  // recording_id: the writer id the journal knows it by
  };
  // Every recording on the disc with its extents, from the journal (the
  // only complete record of them): replayed now, so they take memory only
  // while finalize or verify needs them.
  Result<std::vector<DiscFile>> disc_files_locked();
  std::vector<DiscFile> disc_files_from(journal::JournalState state);
  Result<DiscOperationResult> write_file_system_locked(const std::vector<DiscFile>& files,
                                                       const journal::FinalizeBegin& finalize, bool resume,
                                                       const ProgressCallback& progress);
  Status write_metadata_locked(uint32_t lba, std::span<const uint8_t> bytes, bool resume);
  std::string image_path() const;

  // journal_sync.cc
  std::string journal_path() const;
  Status start_journal_locked(const udf::LayoutRequest& request);
  // Starts the thread that syncs the open journal (journal_) once per interval.
  void start_journal_thread_locked();
  void journal_main();
  Status journal_sync_once();
  void stop_journal_locked();
  Status journal_append(const std::vector<std::vector<uint8_t>>& records);
  void journal_recording_end_locked(Entry& entry);

  // recovery.cc
  void recover_locked();
  // The recordings of `state` become recovered_ and recovered_files_;
  // returns the bytes the journal confirmed and raises *data_end past them.
  uint64_t take_up_recordings_locked(const journal::JournalState& state, uint32_t* data_end);
  // A disc finalized before the restart and still in the drive (its first
  // unit reads back with the retired journal's checksum): its recordings
  // are listed and verify compares with that journal. Anything else: nothing.
  void take_up_finalized_disc_locked();
  Result<std::string> recover_from(const journal::JournalState& state);
  // The rest of recover_from() when the disc stays open.
  Result<std::string> continue_disc_locked(const journal::JournalState& state, uint32_t data_end,
                                           uint64_t recovered_bytes);
  // kFailedPrecondition, in words, unless the unit at `lba` reads back with `crc`.
  Status check_same_disc_locked(uint32_t lba, uint32_t crc, uint32_t unit_blocks, uint32_t block_size);
  // Where a writer may start after `data_end` (the end of what the journal
  // confirmed): on sequential media the data track's next writable address
  // if it is further, else `data_end` rounded up to a whole write unit.
  uint32_t next_data_lba_locked(bool sequential, uint32_t data_end);
  Result<std::optional<uint32_t>> crc_for_verify(uint32_t lba) const;
  void publish(EventKind kind, const std::string& recording_id, const std::string& message);

  // A long operation in progress (see the class comment).
  struct Busy {
    const char* what;      // "verifying the disc"
    bool refuse_controls;  // true: control calls are refused, not queued
  };
  class BusyScope;
  static const Busy kPreparing, kStopping, kAllocating, kFinalizing, kVerifying, kFormatting, kRecovering;
  // The session's lock for a read; not owned if a long operation holds it
  // (then answer from the cache).
  std::unique_lock<std::timed_mutex> lock_for_read() const;
  // The session's lock for a control call; kUnavailable while a long
  // operation that refuses controls holds it.
  Result<std::unique_lock<std::timed_mutex>> lock_for_control();
  DriveInfo info_locked(bool probe);
  // Where the writer is on the disc and what is left; nullopt without a writer.
  std::optional<DriveInfo::Space> space_locked();

  void refresh_cache_locked();
  DriveInfo cached_info() const;

  // The id never changes; uri and write_kbps are GUARDED_BY(mutex_): a
  // reload may change them while no disc is open (reconfigure()).
  DriveSpec spec_;
  const RecorderOptions options_;
  Clock& clock_;
  EventBus& events_;
  RingBudget& ring_budget_;

  mutable std::timed_mutex mutex_;
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
  std::optional<journal::FinalizeBegin> finalize_begun_;  // GUARDED_BY(mutex_): a finalize started
  std::string writer_scheduling_;                         // GUARDED_BY(mutex_): see DriveInfo
  std::vector<RecordingInfo> recovered_;               // GUARDED_BY(mutex_)
  // Recordings of discs that left the drive, newest first, bounded by
  // RecorderOptions::history_count and history_age.
  std::deque<RecordingInfo> history_;                  // GUARDED_BY(mutex_)
  // The recovered recordings' files without their extents (the journal has those).
  std::vector<DiscFile> recovered_files_;              // GUARDED_BY(mutex_)
  // Unit checksums the journal had when the disc was taken up: (LBA, CRC)
  // sorted by LBA, 8 bytes a unit.
  std::vector<std::pair<uint32_t, uint32_t>> recovered_crcs_;  // GUARDED_BY(mutex_)
  // Where the disc's journal is: journal_path() while it is open, the
  // retired file once the disc is finalized; empty without a disc.
  std::string disc_journal_path_;                      // GUARDED_BY(mutex_)
  std::string recovery_blocked_;                       // GUARDED_BY(mutex_): journal kept, why
  // A disc kept open across a restart that has no writer yet: where the
  // next writer starts, and the first id it gives (the journal's recordings
  // keep theirs).
  std::optional<uint32_t> continue_lba_;               // GUARDED_BY(mutex_)
  RecordingId continue_writer_id_ = 1;                 // GUARDED_BY(mutex_)
  std::string announced_writer_failure_;               // GUARDED_BY(mutex_): last drive error event
  uint64_t announced_pauses_ = 0;                      // GUARDED_BY(mutex_): the writer's pauses told
  // The RecorderOptions::disc_space_warnings this disc has had, and
  // whether its "disc full" went out.
  std::set<Nanos::rep> announced_space_warnings_;      // GUARDED_BY(mutex_)
  bool announced_disc_full_ = false;                   // GUARDED_BY(mutex_)
  std::atomic<const Busy*> busy_{nullptr};          // set and cleared under mutex_
  std::atomic<bool> shutting_down_{false};             // stop_all(): verify gives up
  // What reads answer with while busy_: taken when the operation began.
  mutable std::mutex cache_mutex_;
  DriveInfo cached_info_;                              // GUARDED_BY(cache_mutex_)
  std::vector<RecordingInfo> cached_recordings_;       // GUARDED_BY(cache_mutex_)

  // The journal of the open disc. The file is used by the journal thread
  // and by control calls, under journal_mutex_.
  std::mutex journal_mutex_;
  std::unique_ptr<journal::JournalFile> journal_;      // GUARDED_BY(journal_mutex_)
  // The writer's extents on their way into the journal (thread-safe
  // itself). Made with the writer under mutex_; the journal thread uses it
  // while it runs, and it is replaced or dropped only when that thread is
  // stopped.
  std::unique_ptr<ExtentJournal> extent_journal_;
  // One journal sync at a time (the journal thread, verify, finalize, stop):
  // the open extent must not be logged out of order.
  std::mutex journal_sync_mutex_;
  Status journal_health_;                              // GUARDED_BY(journal_mutex_)
  std::thread journal_thread_;
  std::mutex journal_wake_mutex_;
  std::condition_variable journal_wake_;
  bool journal_quit_ = false;                          // GUARDED_BY(journal_wake_mutex_)
};

}  // namespace discrec::recorder
