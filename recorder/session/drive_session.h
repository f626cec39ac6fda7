// DriveSession: one configured drive and the disc in it. Owns the Drive,
// the disc's writer and journal, and the recordings on that disc (each with
// its source thread).
//
// Threads (recorder/session/README.md has the picture):
//  - the drive's command thread (CommandThread) runs every control request
//    (open, load, eject, format, prepare, record, stop, finalize, verify,
//    recovery) one at a time, and between them a tick twice a second that
//    turns what changed into events and notices a medium coming or going.
//    It alone changes the session's state, through the DiscStateMachine
//    (disc_state.h: the transition table), so that state needs no lock;
//  - after each change it publishes a DriveSnapshot. Every read (info,
//    recordings) answers from the current snapshot: no read touches the
//    drive or waits for a command;
//  - the writer thread (StreamingWriter) owns the drive's time while a disc
//    records; the journal thread (DiscJournal) makes what it wrote durable;
//    each recording's source thread feeds its ring.
//
// A request on a drive busy with a long operation (loading, formatting,
// finalizing, verifying, recovering) is refused at once with kUnavailable
// naming it; others wait their turn (at most RecorderOptions::command_wait).
//
// A recording starts on a blank (or formatted random-access) disc: the
// session prepares the drive (OPC, speed, read back), plans the UDF layout,
// reserves the metadata track on write-once media and starts the writer at
// the layout's data start. Finalize stops every recording, flushes, writes
// the UDF file system with the reliable policy and closes the disc as the
// medium needs. Crash safety: see disc_journal.h and recovery.cc.
//
// Thread-safety: thread-safe.
#pragma once

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "base/clock.h"
#include "base/mutex.h"
#include "device/drive.h"
#include "recorder/core/prepare.h"
#include "recorder/core/streaming_writer.h"
#include "recorder/journal/journal_format.h"
#include "recorder/session/catalog.h"
#include "recorder/session/command_thread.h"
#include "recorder/session/disc_journal.h"
#include "recorder/session/disc_state.h"
#include "recorder/session/drive_snapshot.h"
#include "recorder/session/event_bus.h"
#include "recorder/session/recorder.h"
#include "recorder/session/ring_budget.h"
#include "recorder/session/types.h"
#include "recorder/udf/layout.h"
#include "recorder/udf/volume_builder.h"
#include "recorder/udf/volume_update.h"

namespace discrec::recorder {

class PacedSink;

class DriveSession {
 public:
  // `ring_budget`, `events`, `sources` and `catalog` (null: none) are
  // shared by every drive and outlive the session.
  DriveSession(DriveSpec spec, const RecorderOptions& options, Clock& clock, EventBus& events,
               RingBudget& ring_budget, const TsSourceFactory& sources, Catalog* catalog = nullptr);
  ~DriveSession();

  const std::string& id() const { return spec_id_; }
  // The current snapshot (never null).
  std::shared_ptr<const DriveSnapshot> snapshot() const;

  // Opens the drive. On failure the session still exists and reports why.
  Status open();
  bool opened() const { return snapshot()->drive_open; }
  // A new URI and write speed (a configuration reload), applied if no disc
  // is open in the drive. Errors: kFailedPrecondition (a disc is open; the
  // session is unchanged), kUnavailable (busy), or open()'s error.
  Status reconfigure(const DriveSpec& spec);
  // Takes up, in the background, a disc the journal says a stop or crash
  // left open (recovery.cc).
  void recover();

  DriveInfo info() const { return drive_info(*snapshot()); }
  // Control requests (see CallDeadline).
  Result<PrepareResult> prepare(uint32_t write_kbps, CallDeadline deadline = {});
  Result<DriveInfo> load(CallDeadline deadline = {});
  Result<DriveInfo> eject(CallDeadline deadline = {});
  Result<DriveInfo> format(bool spare_areas, bool force, CallDeadline deadline = {});

  Result<RecordingInfo> start_recording(const StartRecordingParams& params, CallDeadline deadline = {});
  Result<RecordingInfo> stop_recording(const std::string& recording_id, CallDeadline deadline = {});
  Result<RecordingInfo> get_recording(const std::string& recording_id) const;
  std::vector<RecordingInfo> list_recordings() const;
  std::vector<RecordingInfo> disc_recordings() const { return disc_recording_infos(*snapshot(), clock_); }

  Result<DiscOperationResult> finalize(const FinalizeParams& params, const ProgressCallback& progress,
                                       CallDeadline deadline = {});
  Result<DiscOperationResult> verify(const ProgressCallback& progress, CallDeadline deadline = {});
  // Takes recordings off a rewritable disc's volume, giving their space
  // back: `what` is a file name in /DISCREC (a recording's parts go with
  // it) or a recording id as its file names carry it. Files discrec did not
  // write are not deleted. kNotFound when nothing matches.
  Result<DiscOperationResult> delete_recording(const std::string& what, CallDeadline deadline = {});

  uint32_t active_recordings() const { return recorder::active_recordings(*snapshot()); }
  // Ends every recording (the disc stays open, its journal complete) and
  // the command thread.
  void stop_all();

 private:
  struct Entry;
  struct DiscFile;
  struct CheckedStart;

  // Runs `body` as request `request` on the command thread: the state
  // machine enters the request's busy state, `body` works and settles it
  // (settle()); if it does not, the state returns to where it began.
  template <typename T>
  Result<T> run(DiscRequest request, const std::string& what, CallDeadline deadline,
                std::function<Result<T>(const ProgressCallback&)> body, const ProgressCallback& progress = {});
  // How long a caller waits for its request to be taken up.
  Nanos queue_wait(CallDeadline deadline) const;
  // Begins `request` in the state machine and, for a long one, says in
  // reads what the drive does; returns the activity it replaced, which
  // end_request() puts back (and the state where it began if the request
  // did not settle). run() and recover() are its two users.
  Result<std::string> begin_request(DiscRequest request) REQUIRES(on_commands_);
  void end_request(std::string previous_activity) REQUIRES(on_commands_);
  // Recordings on this disc whose source or writer has not finished.
  uint32_t active_now() const REQUIRES(on_commands_);
  // The machine's refusal hint for `request` in the current state.
  std::string hint_for(DiscRequest request) const REQUIRES(on_commands_);
  // Ends the request in progress in `to` and publishes.
  void settle(DiscState to) REQUIRES(on_commands_);
  // Publishes the state as it is now.
  void publish_snapshot() REQUIRES(on_commands_);
  // Marks the drive busy with `what` in reads for the scope's lifetime.
  class Activity;

  // --- everything below runs on the command thread ---
  Status open_now() REQUIRES(on_commands_);
  void tick() REQUIRES(on_commands_);
  Status require_drive() const REQUIRES(on_commands_);
  void publish(EventKind kind, const std::string& recording_id, const std::string& message) REQUIRES(on_commands_);
  // Re-reads the drive and medium; decides the disc state when nothing
  // holds it (a new medium, or one removed, shows up here).
  Result<device::DriveCapabilities> probe() REQUIRES(on_commands_);
  // Before caps_ takes `caps`: a new medium (or none) is looked at afresh,
  // the same one keeps the state it has. probe() keeps it in probed_medium_.
  DiscState medium_state(const device::DriveCapabilities& caps) REQUIRES(on_commands_);
  Status format_if_unformatted() REQUIRES(on_commands_);
  Result<PreparedDrive> prepare_for_writing_now(const PrepareOptions& options) REQUIRES(on_commands_);
  Result<PreparedDrive> prepare_to_write(bool format_if_needed) REQUIRES(on_commands_);
  WriterOptions session_writer_options(const PreparedDrive& prepared, uint32_t start_lba, uint32_t end_lba) const REQUIRES(on_commands_);
  void writer_started() REQUIRES(on_commands_);
  // For the events that a recording started and ended: "; streaming
  // writes", or "; plain writes" and, with `why`, the reason.
  std::string write_mode_note(bool why) const REQUIRES(on_commands_);
  Status begin_writing() REQUIRES(on_commands_);
  Status writer_takes_recordings() const REQUIRES(on_commands_);
  Status check_room_for(const StartRecordingParams& params) const REQUIRES(on_commands_);
  bool recording_id_taken(const std::string& id) const REQUIRES(on_commands_);
  Result<RecordingInfo> start_recording_now(const StartRecordingParams& params, const CheckedStart& checked) REQUIRES(on_commands_);
  Result<RecordingInfo> stop_recording_now(const std::string& recording_id) REQUIRES(on_commands_);
  void source_main(Entry* entry);  // the recording's own thread
  void stop_recordings(Nanos timeout) REQUIRES(on_commands_);
  void forget_disc() REQUIRES(on_commands_);
  void retire_disc_recordings() REQUIRES(on_commands_);
  void trim_history() REQUIRES(on_commands_);
  RecordingInfo info_of(const Entry& entry) const REQUIRES(on_commands_);
  std::shared_ptr<const RecordingView> view_of(const Entry& entry) const REQUIRES(on_commands_);
  std::optional<DriveInfo::Space> space_now() const REQUIRES(on_commands_);

  // session_events.cc
  void poll_events() REQUIRES(on_commands_);
  void announce_space() REQUIRES(on_commands_);

  // finalize.cc
  Result<std::vector<DiscFile>> disc_files() REQUIRES(on_commands_);
  std::vector<DiscFile> disc_files_from(journal::JournalState state) REQUIRES(on_commands_);
  Result<DiscOperationResult> finalize_now(const FinalizeParams& params, const ProgressCallback& progress) REQUIRES(on_commands_);
  Result<DiscOperationResult> write_file_system(const std::vector<DiscFile>& files,
                                                const journal::FinalizeBegin& finalize, bool resume,
                                                const ProgressCallback& progress) REQUIRES(on_commands_);
  Status write_metadata(uint32_t lba, std::span<const uint8_t> bytes, bool resume) REQUIRES(on_commands_);
  // Writes each run in reliable WRITE(12)s of 64 KiB (write_metadata), then
  // flushes; `written` hears the fraction done after each.
  Status write_sector_runs(const std::vector<udf::SectorWrite>& writes, bool resume,
                           const std::function<void(double)>& written = {}) REQUIRES(on_commands_);
  // Writes `files` from `lba` on (whole ECC units each) and keeps their
  // entries for the volume; returns the LBA after them.
  Result<uint32_t> write_extra_files(const std::vector<ExtraDiscFile>& files, uint32_t lba) REQUIRES(on_commands_);
  std::string image_path() const REQUIRES(on_commands_);

  // disc_volume.cc: a rewritable disc that already holds a volume.
  // Reads the disc's volume (READ CAPACITY sizes it).
  Result<udf::ParsedVolume> read_disc_volume() REQUIRES(on_commands_);
  // disc_volume_ from the disc as it is now (after an update or a finalize).
  void refresh_disc_volume() REQUIRES(on_commands_);
  // disc_ids_ from the volume's file names; for an appendable write-once
  // disc, from its last session's volume.
  void note_recording_ids(const udf::ParsedVolume& volume) REQUIRES(on_commands_);
  void note_session_ids(const device::DriveCapabilities& caps) REQUIRES(on_commands_);
  // What the volume holds and what a recording may take; `unit` the disc's write unit.
  // Also notes the recording ids its file names carry (disc_ids_).
  DiscVolumeInfo summarize_volume(const udf::ParsedVolume& volume, uint32_t sectors, uint32_t unit) REQUIRES(on_commands_);
  // A recording onto a finalized rewritable disc: the data goes into its
  // longest free run (`layout` gets it), finalize updates the volume.
  Result<journal::AppendBase> plan_append(udf::VolumeLayout& layout) REQUIRES(on_commands_);
  // A recording onto a write-once disc a finalize left appendable: a new
  // session (udf/multisession.h) whose volume lists the earlier recordings.
  Result<journal::AppendBase> plan_session(udf::VolumeLayout& layout) REQUIRES(on_commands_);
  // The earlier sessions' recordings, label and volume set, for the new
  // session's volume.
  Result<udf::VolumeSpec> earlier_sessions() REQUIRES(on_commands_);
  // Finalize of an appended disc: `spec`'s files added to the live volume.
  Status update_file_system(const udf::VolumeSpec& spec, const ProgressCallback& progress) REQUIRES(on_commands_);
  Status write_update(const udf::VolumeUpdate& update) REQUIRES(on_commands_);
  // After a format: zeros over the anchors at 256, N-256 and N.
  Status wipe_anchors() REQUIRES(on_commands_);
  Result<DiscOperationResult> delete_now(const std::string& what) REQUIRES(on_commands_);

  // verify.cc
  Result<DiscOperationResult> verify_now(const ProgressCallback& progress) REQUIRES(on_commands_);
  Result<std::optional<uint32_t>> crc_for_verify(uint32_t lba) const REQUIRES(on_commands_);

  // recovery.cc
  std::string journal_path() const REQUIRES(on_commands_);
  DiscState recover_now(DiscState otherwise) REQUIRES(on_commands_);
  uint64_t take_up_recordings(const journal::JournalState& state, uint32_t* data_end) REQUIRES(on_commands_);
  void take_up_finalized_disc() REQUIRES(on_commands_);
  Result<std::string> recover_from(const journal::JournalState& state) REQUIRES(on_commands_);
  Result<std::string> continue_disc(const journal::JournalState& state, uint32_t data_end, uint64_t recovered_bytes) REQUIRES(on_commands_);
  Status check_same_disc(uint32_t lba, uint32_t crc, uint32_t unit_blocks, uint32_t block_size) REQUIRES(on_commands_);
  uint32_t next_data_lba(bool sequential, uint32_t data_end) REQUIRES(on_commands_);
  Status continue_writing() REQUIRES(on_commands_);
  void journal_recording_end(Entry& entry) REQUIRES(on_commands_);

  // session_catalog.cc: the catalog's record of each recording on the disc.
  // A put that fails is said in an event; the recording goes on.
  void catalog_started(const Entry& entry) REQUIRES(on_commands_);
  void catalog_ended(const Entry& entry) REQUIRES(on_commands_);
  // Every recording on the disc moves to `state`; a finalize's parameters
  // give the finalized ones their volume identifier and label.
  void catalog_disc(CatalogState state, const std::string& note,
                    const journal::FinalizeBegin* finalize = nullptr) REQUIRES(on_commands_);
  void catalog_verified(const Result<DiscOperationResult>& result) REQUIRES(on_commands_);
  // The recordings taken up from a journal (recovered_), in `state`: their
  // records found again by drive, disc and id, or made anew.
  void catalog_recovered(CatalogState state, const journal::FinalizeBegin* finalize) REQUIRES(on_commands_);
  // The unfinished disc begun at `started` was set aside (`discrecd
  // forget-disc` retired its journal): its parts failed.
  void catalog_forgotten(WallTime started) REQUIRES(on_commands_);
  // Marks the catalog's parts whose files `file_names` (in /DISCREC) were
  // taken off the disc as deleted.
  void catalog_deleted(const std::vector<std::string>& file_names) REQUIRES(on_commands_);
  void catalog_put(CatalogPart part) REQUIRES(on_commands_);
  // Where finalize put the recording `id` of this disc ("": nowhere).
  std::string disc_path_of(const std::string& id) const REQUIRES(on_commands_);

  const std::string spec_id_;
  const RecorderOptions options_;
  Clock& clock_;
  EventBus& events_;
  RingBudget& ring_budget_;
  const TsSourceFactory& sources_;
  Catalog* const catalog_;

  // Published state: swapped under `snapshot_mutex_`, which is held for
  // nothing else.
  mutable Mutex snapshot_mutex_;
  std::shared_ptr<const DriveSnapshot> snapshot_ GUARDED_BY(snapshot_mutex_);

  // --- owned by the command thread: only code that runs there (REQUIRES)
  // touches it, so it needs no lock ---
  ThreadRole on_commands_;
  DriveSpec spec_ GUARDED_BY(on_commands_);
  DiscStateMachine machine_ GUARDED_BY(on_commands_);
  std::string activity_ GUARDED_BY(on_commands_);
  std::shared_ptr<device::Drive> drive_ GUARDED_BY(on_commands_);
  std::string open_error_ GUARDED_BY(on_commands_);
  std::string probe_error_ GUARDED_BY(on_commands_);
  std::chrono::steady_clock::time_point next_probe_ GUARDED_BY(on_commands_){};
  DiscState probed_medium_ GUARDED_BY(on_commands_) = DiscState::kNoMedium;  // what the last probe's medium implies
  std::optional<device::DriveCapabilities> caps_ GUARDED_BY(on_commands_);
  std::optional<PreparedDrive> prepared_ GUARDED_BY(on_commands_);
  std::optional<udf::VolumeLayout> layout_ GUARDED_BY(on_commands_);
  std::shared_ptr<DiscWriting> writing_ GUARDED_BY(on_commands_);  // the open disc's writer, targets, extent hand-over
  std::unique_ptr<DiscJournal> journal_ GUARDED_BY(on_commands_);  // the open disc's journal
  std::map<std::string, std::unique_ptr<Entry>> recordings_ GUARDED_BY(on_commands_);
  uint32_t next_recording_number_ GUARDED_BY(on_commands_) = 1;
  WallTime disc_started_ GUARDED_BY(on_commands_){};
  std::optional<journal::FinalizeBegin> finalize_begun_ GUARDED_BY(on_commands_);
  std::vector<udf::FileSpec> finalize_extra_ GUARDED_BY(on_commands_);  // FinalizeParams::extra_files, on disc
  std::string writer_scheduling_ GUARDED_BY(on_commands_);
  std::string blocked_reason_ GUARDED_BY(on_commands_);
  std::vector<RecordingInfo> recovered_ GUARDED_BY(on_commands_);
  std::deque<RecordingInfo> history_ GUARDED_BY(on_commands_);  // newest first, bounded by history_count and history_age
  std::shared_ptr<const std::vector<RecordingInfo>> published_history_ GUARDED_BY(on_commands_);
  std::vector<DiscFile> recovered_files_ GUARDED_BY(on_commands_);  // without extents (the journal has them)
  // Unit checksums the journal had when the disc was taken up: (LBA, CRC) sorted by LBA.
  std::vector<std::pair<uint32_t, uint32_t>> recovered_crcs_ GUARDED_BY(on_commands_);
  // The journal of the disc: open while the disc is, the retired file once
  // it is finalized; empty without a disc.
  std::string disc_journal_path_ GUARDED_BY(on_commands_);
  std::optional<uint32_t> continue_lba_ GUARDED_BY(on_commands_);
  // The rewritable disc's volume when it came (and after each update).
  std::optional<DiscVolumeInfo> disc_volume_ GUARDED_BY(on_commands_);
  // The open disc was appended to: finalize updates the volume it held.
  std::optional<journal::AppendBase> appending_ GUARDED_BY(on_commands_);
  // Recording ids the disc's files already carry: new ones do not repeat them.
  std::set<std::string> disc_ids_ GUARDED_BY(on_commands_);
  RecordingId continue_writer_id_ GUARDED_BY(on_commands_) = 1;
  std::string announced_writer_failure_ GUARDED_BY(on_commands_);
  uint64_t announced_pauses_ GUARDED_BY(on_commands_) = 0;
  std::set<Nanos::rep> announced_space_warnings_ GUARDED_BY(on_commands_);
  bool announced_disc_full_ GUARDED_BY(on_commands_) = false;
  // The catalog's record of each recording on the disc, by its id here.
  std::map<std::string, CatalogPart> catalogued_ GUARDED_BY(on_commands_);
  std::string announced_catalog_failure_ GUARDED_BY(on_commands_);

  std::atomic<bool> shutting_down_{false};  // a verify gives up
  CommandThread commands_;                  // last: stopped first
};

}  // namespace discrec::recorder
