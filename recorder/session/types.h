// Value types the Recorder hands to its callers (the daemon): snapshots of
// drives, recordings and disc operations. No gRPC here; daemon/convert.cc
// maps them onto discrec.v1 messages.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "device/drive.h"
#include "recorder/core/extents.h"
#include "recorder/core/write_mode.h"

namespace discrec::recorder {

class SegmentFeed;

using WallTime = std::chrono::system_clock::time_point;

// When the caller of a control request stops waiting for its drive to take
// it up (a gRPC call's deadline); nullopt: RecorderOptions::command_wait
// alone bounds the wait. A request its drive has begun runs to the end.
using CallDeadline = std::optional<std::chrono::steady_clock::time_point>;

// A drive's write policy and what it chose for the disc (write_mode.h).
struct WriteModeInfo {
  WriteMode policy = WriteMode::kStreamingPreferred;
  // Empty without a medium, or when the policy refuses the medium (the
  // drive's not_ready_reason says why).
  std::optional<WriteModeChoice> choice;
};

// A rewritable disc that holds a UDF volume (one discrec finalized, or
// another writer's): what it holds and what a recording added to it may take.
struct DiscVolumeInfo {
  std::string label;
  uint32_t files = 0;              // regular files, anywhere in the volume
  uint32_t recordings = 0;         // of them, discrec's in /DISCREC
  uint64_t free_blocks = 0;        // every free unit of its partition
  // The longest free run, less the room its file-system update keeps: what
  // the next recording can fill (a recording is written into one run).
  uint64_t recordable_blocks = 0;
  // Why recordings cannot be added to it; empty when they can.
  std::string not_appendable;
};

struct DriveInfo {
  std::string id;
  std::string uri;
  std::optional<device::DriveCapabilities> capabilities;  // empty if the probe failed
  uint64_t guaranteed_bytes_per_second = 0;  // at the speed that took effect (0 = not prepared)
  uint64_t admitted_bytes_per_second = 0;
  uint32_t active_recordings = 0;
  std::string not_ready_reason;              // empty when the drive can record
  // How the writer thread is scheduled while a disc is being recorded:
  // "SCHED_FIFO 10", or the normal policy and why real-time was refused.
  std::string writer_scheduling;
  WriteModeInfo write_mode;
  // Set while a disc is being recorded: the probe's figures (taken before
  // the first write) are stale from then on, so these follow the writer.
  struct Space {
    uint64_t next_writable_address = 0;  // the writer's next LBA
    uint64_t free_blocks = 0;            // up to the layout's data limit
    uint64_t used_blocks = 0;            // since the layout's data start
    uint64_t data_limit = 0;             // one past the last block data may use
    // What the disc still holds at `bitrate_bps` (the admitted bitrates of
    // the recordings on it, or what they measure if more); unset when
    // nothing records.
    uint64_t bitrate_bps = 0;
    std::optional<Nanos> time_left;
    bool full = false;                   // the writer stopped at the end of the disc
  };
  std::optional<Space> space;
  // Idle with a rewritable disc that holds a volume (finalized): its files
  // and free space. Unset otherwise (`space` covers a disc being recorded).
  std::optional<DiscVolumeInfo> volume;
  // The disc state machine's state (disc_state_name: "blank", "recording",
  // "finalizing", ...).
  std::string disc_state;
  // What the last prepare of this disc did (power calibration, speed);
  // unset until the disc was prepared.
  struct Prepared {
    bool opc_performed = false;
    uint32_t requested_write_kbps = 0;  // 0 = fastest
    uint32_t effective_write_kbps = 0;  // what the drive reports took effect
  };
  std::optional<Prepared> prepared;
  // The open disc's writer, all its recordings together (counters start at
  // 0 with each writer: a disc's first recording, or a restart); unset when
  // the disc has none.
  std::optional<DriveStats> writer;
  // The open disc's crash journal: how long ago it last confirmed what the
  // drive acknowledged (SYNCHRONIZE CACHE, then logged), and how much the
  // drive has acknowledged since that a crash would still lose. Unset when
  // no writer runs.
  struct Journal {
    Nanos since_confirmed{0};
    uint64_t unconfirmed_bytes = 0;
  };
  std::optional<Journal> journal;
};

struct PrepareResult {
  DriveInfo drive;
  bool opc_performed = false;
  std::string opc_note;
  uint32_t requested_write_kbps = 0;
  uint32_t effective_write_kbps = 0;
};

enum class RecordingState { kStarting, kRecording, kStopping, kStopped, kFailed, kRecovered };
const char* recording_state_name(RecordingState state);

// A file descriptor the daemon itself opened for a recording's source (the
// read end of an upload's pipe). Closed when the last holder lets go.
class SourceFd {
 public:
  explicit SourceFd(int fd) : fd_(fd) {}
  ~SourceFd();
  SourceFd(const SourceFd&) = delete;
  SourceFd& operator=(const SourceFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

struct StartRecordingParams {
  std::string drive_id;
  std::string source_url;
  std::string title;
  std::string recording_id;  // generated when empty
  int32_t priority = 0;
  uint64_t expected_bitrate_bps = 0;
  Nanos latency_budget{0};   // 0 = default
  uint64_t ring_bytes = 0;   // 0 = default
  // How long it is expected to run (0: not said): a disc that holds less at
  // expected_bitrate_bps refuses it instead of filling up mid-programme.
  Nanos expected_duration{0};
  // Set: the source is this descriptor (source_url only names it for
  // listings); the source policy does not apply, as no client named a path.
  std::shared_ptr<SourceFd> upload_fd;
  // Set: a part of a recording that spans discs (drive_pool.h); its packets
  // come from the pool's source through this feed, which the pool checked
  // against the source policy (source_url only names it for listings).
  std::shared_ptr<SegmentFeed> feed;
  // What the catalog files it under (catalog.h): part `catalog_part` of
  // `catalog_recording` (empty: recording_id, part 1) in `pool` (empty: a
  // single-drive recording). The pool code sets them.
  std::string catalog_recording;
  uint32_t catalog_part = 1;
  std::string pool;
};

struct LostExtentInfo {
  uint64_t first_lba = 0;
  uint64_t block_count = 0;
  uint64_t byte_offset = 0;
  uint64_t byte_count = 0;
  std::string sense;
};

struct ShedRangeInfo {
  uint64_t byte_offset = 0;
  uint64_t byte_count = 0;
  uint32_t gop_count = 0;
  Nanos start{0};     // since the recording started
  Nanos duration{0};
};

struct SourceGapInfo {
  WallTime start;
  Nanos duration{0};
};

struct RecordingStatsInfo {
  uint64_t bytes_in = 0;
  uint64_t bytes_written = 0;
  uint64_t ring_capacity_bytes = 0;
  uint64_t ring_fill_bytes = 0;
  uint64_t ring_high_water_bytes = 0;
  Nanos min_deadline_slack{0};
  Nanos p99_deadline_slack{0};
  uint64_t missed_deadlines = 0;
  uint64_t shed_gops = 0;
  uint64_t shed_bytes = 0;      // shed GOPs and overflow together
  uint64_t overflow_bytes = 0;  // of shed_bytes: what the full ring turned away
  uint64_t lost_extents = 0;
  uint64_t lost_bytes = 0;
  double input_bitrate_bps = 0;
  // A live source pushing beyond its declared bitrate (plus margin) for
  // longer than its latency budget absorbs: shed before honest recordings.
  bool over_declared_rate = false;
  uint64_t over_declared_rate_bytes = 0;
  // The ring could not be locked in RAM (no CAP_IPC_LOCK, or LimitMEMLOCK
  // below limits.ring_memory): it may be paged out under memory pressure.
  bool ring_not_locked = false;
};

// One part of a recording that spans discs (drive_pool.h): an ordinary
// recording on one drive's disc.
struct RecordingPartInfo {
  uint32_t part = 0;  // 1, 2, ...
  std::string drive_id;
  std::string recording_id;  // the part's recording on that drive
  // "ready" (started ahead, nothing written yet), "recording", "draining"
  // (handed over; its ring goes to its disc), "ended" (its disc stays open),
  // "finalizing", "finalized", "verified", "failed".
  std::string state;
  uint64_t bytes = 0;        // written to its disc
  WallTime start;            // when the source moved to it
  std::optional<WallTime> end;
  std::string volume_label;  // once finalized
  std::string note;          // why it failed, or what its verify found
  std::optional<uint32_t> slot;  // the changer slot its disc went back to
};

struct RecordingInfo {
  // The drive, or for a recording that spans discs the pool.
  std::string drive_id;
  std::string id;
  std::string title;
  std::string source_url;
  RecordingState state = RecordingState::kStarting;
  int32_t priority = 0;
  uint64_t expected_bitrate_bps = 0;
  Nanos latency_budget{0};
  WallTime start_time;
  std::optional<WallTime> end_time;
  RecordingStatsInfo stats;
  // The most recent 256 of each (ExtentJournal::kListed), in stream order:
  // a recording that sheds for hours has hundreds of thousands, which the
  // statistics count and the crash journal (and so the disc) keep.
  std::vector<LostExtentInfo> lost_extents;
  std::vector<ShedRangeInfo> shed_ranges;
  std::vector<SourceGapInfo> source_gaps;
  std::string disc_path;
  // The parts of a recording written as several files, in order (disc_path
  // is the first); empty when it is one file. See udf::LongFileForm.
  std::vector<std::string> disc_parts;
  std::string error;
  // How the disc was written while the recording ran in this daemon (unset
  // for recordings taken up from a journal, and once the disc is finalized).
  std::optional<WriteModeInfo> write_mode;
  Nanos source_silent_for{0};  // a live source quiet for >= 1 s, while it lasts
  // A recording that spans discs: its parts, in order (drive_id names the
  // pool). Empty for a recording on one drive.
  std::vector<RecordingPartInfo> parts;
};

// A small file finalize writes onto the disc beside the recordings (in
// /DISCREC), after the recorded data: a pool's index of the recording.
struct ExtraDiscFile {
  std::string name;   // as udf::FileSpec names
  std::string bytes;  // at most a few KiB
};

struct FinalizeParams {
  std::string volume_label;
  // Written after the recordings' data when the disc has room; a finalize
  // resumed after a crash leaves them out (the volume is whole without).
  std::vector<ExtraDiscFile> extra_files;
  bool close_disc = true;
  bool eject = false;
  // How files show what write errors lost (see udf::LostExtentEncoding);
  // unset: the daemon's default (RecorderOptions).
  std::optional<bool> zero_fill_lost_extents;
  // Stop the drive's active recordings first; without it a finalize while
  // any recording is active is refused (kFailedPrecondition).
  bool force = false;
};

struct VerifyMismatchInfo {
  std::string recording_id;
  uint64_t first_lba = 0;
  uint64_t block_count = 0;
  uint64_t byte_offset = 0;
};

struct DiscProgress {
  double fraction = 0;
  std::string stage;
};
using ProgressCallback = std::function<void(const DiscProgress&)>;

struct DiscOperationResult {
  uint32_t files = 0;
  uint64_t bytes = 0;
  std::vector<VerifyMismatchInfo> mismatches;
  uint64_t lost_extents = 0;
  std::string image_path;
  std::string summary;
};

}  // namespace discrec::recorder
