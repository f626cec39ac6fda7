// DriveSnapshot: what every read of a drive answers from (GetDrive,
// ListDrives, GetRecording, ListRecordings, the Watch streams). The drive's
// command thread publishes a new one after each change; once published it
// never changes, so a read takes the current one and needs no lock that a
// drive command holds, and never touches the drive.
//
// A recording's figures (bytes, ring fill, slack) change continuously; the
// snapshot holds the recording's objects themselves (Recording, the
// writer's statistics, the extent listing), whose readers are thread-safe,
// and keeps them alive, so a read sees them live.
//
// Thread-safety: immutable once published; the functions are pure.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "device/drive.h"
#include "recorder/core/block_target.h"
#include "recorder/core/prepare.h"
#include "recorder/core/recording.h"
#include "recorder/core/streaming_writer.h"
#include "recorder/session/checksum_target.h"
#include "recorder/session/disc_state.h"
#include "recorder/session/extent_journal.h"
#include "recorder/session/types.h"
#include "recorder/ts_source.h"

namespace discrec::recorder {

// How a recording ended, written by its source thread, read by anyone.
struct RecordingEnd {
  mutable std::mutex mutex;
  std::string error;                 // GUARDED_BY(mutex)
  // Why the source ended when it did: "stopped on request" or "the source
  // ended"; empty after an error.
  std::string reason;                // GUARDED_BY(mutex)
  std::optional<WallTime> time;      // GUARDED_BY(mutex)
  std::atomic<bool> source_done{false};
  std::atomic<bool> stop_requested{false};
};

// The open disc's writer and what it writes through, released together
// (in reverse order) when the last holder lets go.
struct DiscWriting {
  std::unique_ptr<DriveBlockTarget> target;
  std::unique_ptr<ChecksumTarget> checksums;
  std::unique_ptr<StreamingWriter> writer;
  std::unique_ptr<ExtentJournal> extents;
  WriteModeInfo write_mode;  // the target's: streaming or plain, and why
  // The crash journal's last confirmation (DiscJournal): when (steady clock,
  // ns since its epoch) and the writer's blocks_written then. Reads compute
  // the journal's lag from them.
  std::atomic<int64_t> journal_confirmed_ns{0};
  std::atomic<uint64_t> journal_confirmed_blocks{0};
};

struct RecordingView {
  std::string id;
  StartRecordingParams params;  // source_url redacted, no upload fd
  WallTime start_time;
  std::shared_ptr<Recording> recording;
  std::shared_ptr<const RecordingEnd> end;
  std::shared_ptr<TsSource> source;  // while it runs; live sources only
  bool paced_source = false;
  bool ring_locked = true;
  std::string disc_path;
  std::vector<std::string> disc_parts;
};

struct DriveSnapshot {
  std::string id;
  std::string uri;
  bool drive_open = false;
  std::string open_error;
  std::optional<device::DriveCapabilities> caps;
  std::string probe_error;          // the last probe's failure
  DiscState state = DiscState::kNoMedium;
  std::string activity;             // what a busy drive is doing, for "busy ..."
  std::string blocked_reason;       // kBlocked: why, and what to do
  WriteMode write_policy = WriteMode::kStreamingPreferred;
  // The last prepare (speed, OPC, write mode), until the disc leaves.
  std::optional<PreparedDrive> prepared;
  std::string writer_scheduling;
  bool writer_running = false;
  std::optional<uint32_t> data_start, data_limit;  // the open disc's layout
  std::optional<uint32_t> continue_lba;            // kOpen: where the next writer starts
  std::optional<DiscVolumeInfo> volume;             // a rewritable disc's volume, read when it came
  std::shared_ptr<const DiscWriting> writing;      // kRecording (and after, until the disc leaves)
  std::vector<std::shared_ptr<const RecordingView>> recordings;  // this disc's, by id
  std::shared_ptr<const std::vector<RecordingInfo>> recovered;   // from the journal
  std::shared_ptr<const std::vector<RecordingInfo>> history;     // discs that left, newest first
};

// "disc full: 23.1 MB written, the disc holds 23.1 MB" when `writer` stopped
// at the end of the disc; empty otherwise.
std::string disc_full_message(const StreamingWriter& writer);

// Ready-for-reading forms, computed from a snapshot and the live objects it holds.
DriveInfo drive_info(const DriveSnapshot& snapshot);
std::optional<DriveInfo::Space> disc_space(const DriveSnapshot& snapshot);
RecordingInfo recording_info(const DriveSnapshot& snapshot, const RecordingView& view, const Clock& clock);
uint32_t active_recordings(const DriveSnapshot& snapshot);
// This disc's, the recovered ones, then the history.
std::vector<RecordingInfo> recording_infos(const DriveSnapshot& snapshot, const Clock& clock);
// This disc's only (those this daemon started on it, running or ended).
std::vector<RecordingInfo> disc_recording_infos(const DriveSnapshot& snapshot, const Clock& clock);
Result<RecordingInfo> find_recording(const DriveSnapshot& snapshot, const std::string& id, const Clock& clock);

// A recording's shed ranges as the API lists them, in stream order: the
// writer's sheds (a GOP each) and what its full ring turned away. Start
// times count from `origin` (0 for all when it is not known).
std::vector<ShedRangeInfo> shed_range_infos(const std::vector<ShedRange>& shed,
                                            const std::vector<OverflowRange>& overflows, TimePoint origin);

}  // namespace discrec::recorder
