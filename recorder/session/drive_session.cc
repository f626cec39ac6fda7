#include "recorder/session/drive_session.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "device/mmc/types.h"
#include "recorder/journal/journal_format.h"
#include "recorder/udf/drive_sector_source.h"
#include "recorder/udf/volume_reader.h"
#include "recorder/ingest/ingest.h"
#include "recorder/session/drive_session_entry.h"

namespace discrec::recorder {

const char* disc_state_name(DiscState state) {
  switch (state) {
    case DiscState::kNoMedium: return "no medium";
    case DiscState::kBlank: return "blank";
    case DiscState::kRecording: return "recording";
    case DiscState::kFinalized: return "finalized";
  }
  return "unknown";
}

std::string disc_full_message(const StreamingWriter& writer) {
  auto failure = writer.failure();
  if (!failure || failure->code() != ErrorCode::kResourceExhausted || failure->message().rfind("disc full", 0) != 0)
    return "";
  const auto& o = writer.options();
  const uint32_t next = writer.stats().next_lba;
  auto mb = [&](uint64_t blocks) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(blocks * o.block_size) / 1e6);
    return std::string(buf);
  };
  return "disc full: " + mb(next > o.start_lba ? next - o.start_lba : 0) + " written, the disc holds " +
         mb(o.end_lba - o.start_lba);
}

const char* recording_state_name(RecordingState state) {
  switch (state) {
    case RecordingState::kStarting: return "starting";
    case RecordingState::kRecording: return "recording";
    case RecordingState::kStopping: return "stopping";
    case RecordingState::kStopped: return "stopped";
    case RecordingState::kFailed: return "failed";
    case RecordingState::kRecovered: return "recovered";
  }
  return "unknown";
}

// Long operations, for busy_: short ones make control calls wait, long ones
// have them refused.
const DriveSession::Busy DriveSession::kPreparing{"preparing the drive for streaming (OPC, write speed)", false};
const DriveSession::Busy DriveSession::kStopping{"stopping a recording", false};
const DriveSession::Busy DriveSession::kAllocating{"allocating a recording's ring buffer", false};
const DriveSession::Busy DriveSession::kFinalizing{"finalizing the disc", true};
const DriveSession::Busy DriveSession::kVerifying{"verifying the disc", true};
const DriveSession::Busy DriveSession::kFormatting{"formatting the disc", true};
const DriveSession::Busy DriveSession::kRecovering{"taking up the disc left open before the restart (crash journal)",
                                                   true};

std::unique_lock<std::timed_mutex> DriveSession::lock_for_read() const {
  std::unique_lock lock(mutex_, std::defer_lock);
  while (!lock.try_lock_for(std::chrono::milliseconds(20)))
    if (busy_.load(std::memory_order_acquire) != nullptr) break;
  return lock;
}

Result<std::unique_lock<std::timed_mutex>> DriveSession::lock_for_control() {
  std::unique_lock lock(mutex_, std::defer_lock);
  while (!lock.try_lock_for(std::chrono::milliseconds(20))) {
    const Busy* busy = busy_.load(std::memory_order_acquire);
    if (busy != nullptr && busy->refuse_controls)
      return Error(ErrorCode::kUnavailable,
                   "drive " + spec_.id + " is busy " + busy->what + "; try again when that is done");
  }
  return lock;
}

void DriveSession::refresh_cache_locked() {
  DriveInfo info = info_locked(/*probe=*/false);
  std::vector<RecordingInfo> recordings = recovered_;
  for (auto& [id, entry] : recordings_) recordings.push_back(snapshot(*entry));
  std::lock_guard lock(cache_mutex_);
  cached_info_ = std::move(info);
  cached_recordings_ = std::move(recordings);
}

DriveInfo DriveSession::cached_info() const {
  std::lock_guard lock(cache_mutex_);
  DriveInfo info = cached_info_;
  const Busy* busy = busy_.load(std::memory_order_acquire);
  info.not_ready_reason = std::string("busy ") + (busy != nullptr ? busy->what : "with a long operation");
  return info;
}

DriveSession::DriveSession(DriveSpec spec, const RecorderOptions& options, Clock& clock, EventBus& events,
                           RingBudget& ring_budget)
    : spec_(std::move(spec)), options_(options), clock_(clock), events_(events), ring_budget_(ring_budget) {}

DriveSession::~DriveSession() { stop_all(); }

Status DriveSession::open() {
  std::lock_guard lock(mutex_);
  auto drive = device::Drive::open(spec_.uri);
  if (!drive.ok()) {
    open_error_ = drive.error().to_string();
    return std::move(drive).error();
  }
  drive_ = std::move(drive).value();
  open_error_.clear();
  auto caps = probe_locked();
  if (!caps.ok()) return std::move(caps).error();
  return {};
}

void DriveSession::recover() {
  std::lock_guard lock(mutex_);
  if (!drive_) return;
  // Without a journal (open, or retired by a finalize) there is nothing to
  // take up: the drive is never "busy recovering", so a record that comes in
  // as the daemon starts (this runs beside the server) is not refused for
  // nothing.
  std::error_code ec, ec_done;
  if (!std::filesystem::exists(journal_path(), ec) && !ec &&
      !std::filesystem::exists(journal_path() + ".done", ec_done) && !ec_done)
    return;
  BusyScope busy(*this, kRecovering);
  recover_locked();
}

Status DriveSession::require_drive() const {
  if (!drive_) return Error(ErrorCode::kUnavailable, "drive " + spec_.id + " could not be opened: " + open_error_);
  return {};
}

void DriveSession::publish(EventKind kind, const std::string& recording_id, const std::string& message) {
  Event e;
  e.kind = kind;
  e.drive_id = spec_.id;
  e.recording_id = recording_id;
  e.message = message;
  events_.publish(std::move(e));
}

// Re-reads the drive and medium. Decides the disc state when no recording
// holds it: a new medium or a removed one shows up here.
Result<device::DriveCapabilities> DriveSession::probe_locked() {
  RETURN_IF_ERROR(require_drive());
  ASSIGN_OR_RETURN(auto caps, drive_->probe());
  bool had_medium = caps_ && caps_->medium_present;
  if (disc_state_ != DiscState::kRecording) {
    if (!caps.medium_present || caps.current_profile == 0) {
      disc_state_ = DiscState::kNoMedium;
    } else if (disc_state_ == DiscState::kNoMedium || !had_medium) {
      bool complete = caps.disc && caps.disc->status == device::DiscStatus::kComplete;
      bool appendable = caps.disc && caps.disc->status == device::DiscStatus::kAppendable &&
                        device::profile_is_sequential(caps.current_profile);
      disc_state_ = (complete || appendable) ? DiscState::kFinalized : DiscState::kBlank;
      // A rewritable disc that already carries a file system is not blank:
      // recording over it would destroy it. Formatting makes it blank again.
      if (disc_state_ == DiscState::kBlank && !device::profile_is_sequential(caps.current_profile)) {
        udf::DriveSectorSource source(*drive_, 0);
        if (source.sector_count() > udf::kAnchorLba && udf::read_volume(source).ok())
          disc_state_ = DiscState::kFinalized;
      }
    }
  }
  if (had_medium != caps.medium_present && caps_)
    publish(caps.medium_present ? EventKind::kMediumInserted : EventKind::kMediumRemoved, "",
            caps.medium_present ? device::profile_name(caps.current_profile) : "medium removed");
  caps_ = caps;
  return caps;
}

DriveInfo DriveSession::info() {
  auto lock = lock_for_read();
  if (!lock.owns_lock()) return cached_info();
  return info_locked(/*probe=*/true);
}

DriveInfo DriveSession::info_locked(bool probe) {
  DriveInfo info;
  info.id = spec_.id;
  info.uri = spec_.uri;
  if (!drive_) {
    info.not_ready_reason = "cannot open drive: " + open_error_;
    return info;
  }
  // While a recording runs the writer owns the drive's time; report the
  // capabilities read before it started instead of probing again.
  if (probe && disc_state_ != DiscState::kRecording) {
    auto caps = probe_locked();
    if (!caps.ok()) info.not_ready_reason = caps.error().to_string();
  }
  info.capabilities = caps_;
  if (writer_) {
    auto stats = writer_->stats();
    info.guaranteed_bytes_per_second = stats.guaranteed_bytes_per_second;
    info.admitted_bytes_per_second = stats.admitted_bitrate_bps / 8;
  } else if (prepared_) {
    info.guaranteed_bytes_per_second = prepared_->guaranteed_bytes_per_second;
  }
  info.active_recordings = active_recordings_locked();
  if (writer_ && writer_->running()) info.writer_scheduling = writer_scheduling_;
  info.space = space_locked();
  if (info.not_ready_reason.empty() && !recovery_blocked_.empty()) info.not_ready_reason = recovery_blocked_;
  if (info.not_ready_reason.empty()) {
    if (disc_state_ == DiscState::kNoMedium) info.not_ready_reason = "no disc in the drive";
    else if (disc_state_ == DiscState::kFinalized)
      info.not_ready_reason = "the disc is finalized (or holds a file system); insert a blank disc or format it";
    else if (caps_) {
      auto capable = check_streaming_capable(*caps_);
      if (!capable.ok()) info.not_ready_reason = capable.error().message();
    }
  }
  return info;
}

std::optional<DriveInfo::Space> DriveSession::space_locked() {
  // A finalized disc keeps its (stopped) writer until it leaves the drive;
  // what the drive says of it is true again then.
  if (!layout_ || disc_state_ != DiscState::kRecording) return std::nullopt;
  // A disc kept open across a restart is open before its next writer exists.
  if (!writer_ && !continue_lba_) return std::nullopt;
  const DriveStats stats = writer_ ? writer_->stats() : DriveStats{};
  const uint32_t next = writer_ ? stats.next_lba : *continue_lba_;
  const uint32_t block_size = caps_ ? caps_->block_size : 2048;
  DriveInfo::Space space;
  space.next_writable_address = next;
  space.data_limit = layout_->data_limit;
  space.used_blocks = next > layout_->data_start ? next - layout_->data_start : 0;
  space.free_blocks = layout_->data_limit > next ? layout_->data_limit - next : 0;
  space.full = writer_ && !disc_full_message(*writer_).empty();
  // Declared bitrates are what admission booked; a source sending more (or
  // one that declared nothing) fills the disc at what it measures.
  uint64_t measured = 0;
  const WallTime now = std::chrono::system_clock::now();
  for (auto& [id, entry] : recordings_) {
    if (entry->ended()) continue;
    double seconds = std::chrono::duration<double>(now - entry->start_time).count();
    if (seconds >= 1.0)
      measured += static_cast<uint64_t>(8.0 * static_cast<double>(entry->recording->stats().bytes_in) / seconds);
  }
  space.bitrate_bps = std::max(stats.admitted_bitrate_bps, measured);
  if (space.full) {
    space.time_left = Nanos(0);
  } else if (space.bitrate_bps > 0) {
    double seconds = static_cast<double>(space.free_blocks) * block_size * 8.0 / static_cast<double>(space.bitrate_bps);
    space.time_left = std::chrono::duration_cast<Nanos>(std::chrono::duration<double>(seconds));
  }
  return space;
}

// OPC, speed and read-back take seconds on a real drive: marked busy.
Result<PreparedDrive> DriveSession::prepare_for_streaming_locked(const PrepareOptions& options) {
  BusyScope busy(*this, kPreparing);
  return prepare_for_streaming(*drive_, options);
}

Result<PrepareResult> DriveSession::prepare(uint32_t write_kbps) {
  ASSIGN_OR_RETURN(auto lock, lock_for_control());
  RETURN_IF_ERROR(require_drive());
  if (writer_) {
    // The writer runs from the first recording until finalize, whether or
    // not a recording is active now: say which.
    const uint32_t active = active_recordings_locked();
    return Error(ErrorCode::kFailedPrecondition,
                 active ? "drive " + spec_.id + " is recording (" + std::to_string(active) +
                              " active); the speed can change only between discs"
                        : "the disc in drive " + spec_.id + " is open with " + std::to_string(recordings_.size()) +
                              " recording(s) on it; the speed can change only between discs: finalize it first");
  }
  RETURN_IF_ERROR(prepare_disc_locked());
  PrepareOptions options;
  options.write_kbps = write_kbps ? write_kbps : spec_.write_kbps;
  ASSIGN_OR_RETURN(auto prepared, prepare_for_streaming_locked(options));
  prepared_ = prepared;
  caps_ = prepared.capabilities;
  PrepareResult result;
  result.opc_performed = prepared.opc_done;
  result.opc_note = prepared.opc_done ? "" : "the drive does not support SEND OPC INFORMATION (not an error)";
  result.requested_write_kbps = prepared.requested_kbps;
  result.effective_write_kbps = prepared.effective_kbps;
  lock.unlock();
  result.drive = info();
  return result;
}

namespace {

// FORMAT UNIT's descriptor for a rewritable disc: DVD+RW's 0x26; BD-RE with
// (0x30) or without (0x31, quick) spare areas; DVD-RAM's full format 0x00.
// The size is what READ FORMAT CAPACITIES offers for that type.
device::FormatDescriptor format_descriptor(const device::DriveCapabilities& caps,
                                           const device::FormatCapacities& capacities, bool spare_areas) {
  device::FormatDescriptor format;
  const bool bd = device::profile_is_bd(caps.current_profile);
  format.format_type = caps.current_profile == device::profile::kDvdPlusRw ? 0x26
                       : bd ? (spare_areas ? 0x30 : 0x31)
                            : 0x00;
  format.blocks = format.format_type == 0x26 ? 0xFFFFFFFF : capacities.current_blocks;
  for (const auto& d : capacities.formattable)
    if (d.type == format.format_type) {
      format.blocks = d.blocks;
      if (format.format_type != 0x31) format.type_parameter = d.parameter;
      break;
    }
  return format;
}

}  // namespace

// Formats a rewritable disc that is not formatted yet (a new BD-RE or DVD-RAM
// must be, before anything can be written).
Status DriveSession::prepare_disc_locked() {
  ASSIGN_OR_RETURN(auto caps, probe_locked());
  if (!caps.medium_present || caps.current_profile == 0)
    return Error(ErrorCode::kFailedPrecondition, "no disc in drive " + spec_.id);
  if (device::profile_is_sequential(caps.current_profile) || !caps.formattable) return {};
  auto capacities = drive_->read_format_capacities();
  if (!capacities.ok() || capacities->current_descriptor_type != 1) return {};  // formatted (or cannot tell)
  // The same format `discrec format` makes by default: streaming writes use
  // no defect management, so spare areas would only take capacity.
  device::FormatDescriptor format = format_descriptor(caps, *capacities, /*spare_areas=*/false);
  BusyScope busy(*this, kFormatting);
  RETURN_IF_ERROR(drive_->format_unit(format));
  ASSIGN_OR_RETURN(auto after, probe_locked());
  (void)after;
  return {};
}

Result<DriveInfo> DriveSession::load() {
  {
    ASSIGN_OR_RETURN(auto lock, lock_for_control());
    RETURN_IF_ERROR(require_drive());
    RETURN_IF_ERROR(drive_->start_stop_unit(/*load_eject=*/true, /*start=*/true));
    // A drive blocked by a journal it could not take up is looked at again:
    // `discrecd forget-disc` may have discarded the journal while the daemon
    // ran, or the journal's disc may be the one in the drive now.
    if (!recovery_blocked_.empty()) {
      recovery_blocked_.clear();
      (void)probe_locked();  // a failure shows in info() below
      BusyScope busy(*this, kRecovering);
      recover_locked();
    }
  }
  return info();
}

bool DriveSession::recording_id_taken_locked(const std::string& id) const {
  if (recordings_.count(id)) return true;
  return std::any_of(recovered_.begin(), recovered_.end(), [&](const RecordingInfo& r) { return r.id == id; });
}

Result<DriveInfo> DriveSession::eject() {
  {
    ASSIGN_OR_RETURN(auto lock, lock_for_control());
    RETURN_IF_ERROR(require_drive());
    // An open disc (also one kept open across a restart, with no writer
    // yet) has no file system: finalize it first.
    if (disc_state_ == DiscState::kRecording)
      return Error(ErrorCode::kFailedPrecondition,
                   "drive " + spec_.id + " holds an unfinalized recording; finalize the disc before ejecting");
    RETURN_IF_ERROR(drive_->start_stop_unit(/*load_eject=*/true, /*start=*/false));
    forget_disc_locked();
  }
  return info();
}

// The disc is gone or wiped: drop everything this session knew about it.
// Recordings go first: their ingest threads end by calling the writer.
void DriveSession::forget_disc_locked() {
  // What was recorded stays listed after the disc leaves the drive, within
  // the history's bounds.
  std::vector<RecordingInfo> ended = recovered_;
  for (auto& [id, entry] : recordings_) ended.push_back(snapshot(*entry));
  for (auto& info : ended) history_.push_front(std::move(info));
  trim_history_locked();
  stop_journal_locked();
  recordings_.clear();
  extent_journal_.reset();
  writer_.reset();
  checksums_.reset();
  drive_target_.reset();
  prepared_.reset();
  layout_.reset();
  finalize_begun_.reset();
  announced_space_warnings_.clear();
  announced_disc_full_ = false;
  recovered_.clear();
  recovered_files_.clear();
  recovered_crcs_.clear();
  disc_journal_path_.clear();
  continue_lba_.reset();
  disc_state_ = DiscState::kNoMedium;
}

Result<DriveInfo> DriveSession::format(bool spare_areas, bool force) {
  {
    ASSIGN_OR_RETURN(auto lock, lock_for_control());
    RETURN_IF_ERROR(require_drive());
    if (disc_state_ == DiscState::kRecording)
      return Error(ErrorCode::kFailedPrecondition,
                   "drive " + spec_.id + " holds an unfinalized recording; finalize the disc before formatting");
    ASSIGN_OR_RETURN(auto caps, probe_locked());
    // A finalized rewritable disc holds recordings: formatting erases them.
    if (disc_state_ == DiscState::kFinalized && !force)
      return Error(ErrorCode::kFailedPrecondition,
                   "the " + device::profile_name(caps.current_profile) + " in drive " + spec_.id +
                       " holds a file system with recordings; formatting erases them (ask with force to do so)");
    if (!caps.formattable || device::profile_is_sequential(caps.current_profile))
      return Error(ErrorCode::kFailedPrecondition,
                   device::profile_name(caps.current_profile) + " cannot be formatted (only BD-RE, DVD-RAM, DVD+RW)");
    ASSIGN_OR_RETURN(auto capacities, drive_->read_format_capacities());
    device::FormatDescriptor format = format_descriptor(caps, capacities, spare_areas);
    {
      BusyScope busy(*this, kFormatting);
      RETURN_IF_ERROR(drive_->format_unit(format));
    }
    forget_disc_locked();  // the state is re-derived from the medium below
    caps_.reset();
    auto after = probe_locked();
    if (after.ok() && after->medium_present) disc_state_ = DiscState::kBlank;
  }
  return info();
}

// Prepares the drive, plans the disc and starts the writer: once per disc.
Status DriveSession::begin_writing_locked() {
  if (writer_ && disc_state_ == DiscState::kRecording) return {};
  if (continue_lba_ && disc_state_ == DiscState::kRecording) return continue_writing_locked();
  if (disc_state_ == DiscState::kNoMedium) return Error(ErrorCode::kFailedPrecondition, "no disc in drive " + spec_.id);
  if (disc_state_ == DiscState::kFinalized)
    return Error(ErrorCode::kFailedPrecondition,
                 "the disc in drive " + spec_.id + " is finalized (or holds data); insert a blank disc");
  if (!recovery_blocked_.empty()) return Error(ErrorCode::kFailedPrecondition, recovery_blocked_);
  ASSIGN_OR_RETURN(auto prepared, prepare_to_write_locked(/*format_if_needed=*/true));
  const auto& caps = prepared.capabilities;
  bool sequential = device::profile_is_sequential(caps.current_profile);
  if (sequential && prepared.start_lba != 0)
    return Error(ErrorCode::kFailedPrecondition,
                 "the " + device::profile_name(caps.current_profile) + " in drive " + spec_.id +
                     " already holds data (next writable address " + std::to_string(prepared.start_lba) +
                     "); discrec records onto blank write-once discs");

  udf::LayoutRequest request;
  request.kind = sequential ? udf::MediaKind::kSequentialWriteOnce : udf::MediaKind::kRandomAccess;
  request.capacity_sectors = prepared.end_lba;
  request.write_unit_sectors = caps.ecc_unit_blocks;
  ASSIGN_OR_RETURN(auto layout, udf::plan_layout(request));

  if (sequential) {
    // Track 1 holds the file system, written at finalize; recordings stream
    // into track 2. See recorder/udf/README.md.
    auto reserved = drive_->reserve_track(layout.data_start);
    if (!reserved.ok() && !reserved.error().has_sense(5, 0x20))
      return std::move(reserved).error().with_context("reserving the file-system track");
    // 5/20/00: the drive has no RESERVE TRACK (tgt). Writing at data_start
    // then depends on the drive accepting it, which the first write shows.
  }

  WriterOptions wopts = session_writer_options(prepared, layout.data_start, layout.data_limit);
  extent_journal_.reset();  // an earlier disc's refers to the checksums replaced here
  drive_target_ = std::make_unique<DriveBlockTarget>(*drive_);
  checksums_ = std::make_unique<ChecksumTarget>(*drive_target_, layout.data_start, layout.data_limit,
                                                caps.ecc_unit_blocks, caps.block_size);
  writer_ = std::make_unique<StreamingWriter>(*checksums_, clock_, wopts);
  layout_ = layout;
  disc_started_ = std::chrono::system_clock::now();
  if (Status journal = start_journal_locked(request); !journal.ok()) {
    writer_.reset();
    checksums_.reset();
    drive_target_.reset();
    layout_.reset();
    return std::move(journal).error().with_context("starting the crash journal");
  }
  if (Status started = writer_->start(); !started.ok()) {
    stop_journal_locked();
    return started;
  }
  writer_started_locked();
  disc_state_ = DiscState::kRecording;
  return {};
}

Result<PreparedDrive> DriveSession::prepare_to_write_locked(bool format_if_needed) {
  // Crash safety is not optional: no journal, no recording.
  RETURN_IF_ERROR(journal::check_state_directory(options_.state_directory));
  if (format_if_needed) RETURN_IF_ERROR(prepare_disc_locked());
  PrepareOptions options;
  options.write_kbps = spec_.write_kbps;
  ASSIGN_OR_RETURN(auto prepared, prepare_for_streaming_locked(options));
  prepared_ = prepared;
  caps_ = prepared.capabilities;
  return prepared;
}

WriterOptions DriveSession::session_writer_options(const PreparedDrive& prepared, uint32_t start_lba,
                                                   uint32_t end_lba) const {
  WriterOptions wopts = writer_options_for(prepared);
  wopts.start_lba = start_lba;
  wopts.end_lba = end_lba;
  wopts.admission_margin = options_.admission_margin;
  wopts.max_recordings = options_.max_recordings_per_drive;
  // Sleep briefly when no whole unit is buffered: a drive outruns a single
  // stream, and a long sleep would leave it idle while the ring refills.
  wopts.idle_poll = std::chrono::milliseconds(2);
  wopts.stripe_bytes = options_.stripe_bytes;
  wopts.stripe_wait_fraction = options_.stripe_wait_fraction;
  return wopts;
}

void DriveSession::writer_started_locked() {
  writer_->set_thread_name("writer " + spec_.id);
  apply_writer_priority_locked();
}

// Asks for SCHED_FIFO for the new writer thread; says so when refused.
void DriveSession::apply_writer_priority_locked() {
  const int priority = options_.writer_realtime_priority;
  if (priority <= 0) {
    writer_scheduling_ = "normal (real-time priority not configured)";
    return;
  }
  Status rt = writer_->set_realtime_priority(priority);
  if (rt.ok()) {
    writer_scheduling_ = "SCHED_FIFO " + std::to_string(priority);
    return;
  }
  writer_scheduling_ = "normal (" + rt.error().message() + ")";
  // Not fatal: the writer keeps its deadlines on an idle machine; under load
  // it competes with everything else, which the operator should know.
  publish(EventKind::kDriveError, "",
          "warning: the writer thread of drive " + spec_.id + " runs at normal priority: " + rt.error().message() +
              " (allow it with the unit's LimitRTPRIO, or CAP_SYS_NICE)");
}

Status DriveSession::writer_takes_recordings_locked() const {
  // A recording added to a writer that will never drain it would sit in
  // STOPPING; refuse it now and say what the disc needs instead.
  if (finalize_begun_)
    return Error(ErrorCode::kFailedPrecondition,
                 "a finalize of the disc in drive " + spec_.id +
                     " began and did not complete; run `discrec finalize " + spec_.id + "` again to complete it");
  if (std::string full = disc_full_message(*writer_); !full.empty())
    return Error(ErrorCode::kResourceExhausted, "the disc in drive " + spec_.id + " is full (" + full +
                                                    "); finalize it and insert the next disc");
  if (auto failure = writer_->failure())
    return Error(ErrorCode::kFailedPrecondition, "the writer of drive " + spec_.id + " failed (" +
                                                     failure->to_string() +
                                                     "); no recording can start on this disc: finalize it to keep "
                                                     "what is recorded");
  if (!writer_->running())
    return Error(ErrorCode::kFailedPrecondition,
                 "the writer of drive " + spec_.id + " is stopped; finalize the disc to keep what is recorded");
  return {};
}

SourceFd::~SourceFd() {
  if (fd_ >= 0) ::close(fd_);
}

Result<RecordingInfo> DriveSession::start_recording(const StartRecordingParams& params) {
  // The policy first: a refusal is immediate and needs neither the drive nor
  // its lock. Only what the check returns is opened, and only its redacted
  // form is shown, journaled or published. An upload names no path: the
  // daemon made its pipe.
  ingest::CheckedSource source;
  if (params.upload_fd) {
    source.kind = ingest::SourceKind::kPipe;
    source.display_url = ingest::redact_source_url(params.source_url);
  } else {
    ASSIGN_OR_RETURN(source, ingest::check_source(options_.source_policy, params.source_url));
    if (source.kind == ingest::SourceKind::kNetwork) RETURN_IF_ERROR(ingest::validate_source_url(source.open_url));
  }
  ASSIGN_OR_RETURN(auto lock, lock_for_control());
  RETURN_IF_ERROR(require_drive());
  // A generated id is taken for good only once the recording starts, so
  // refused requests leave no holes in the numbering.
  std::string id = params.recording_id;
  const bool generated = id.empty();
  while (generated) {  // skipping numbers a client took by name
    char buf[16];
    std::snprintf(buf, sizeof buf, "rec%03u", next_recording_number_);
    id = buf;
    if (!recording_id_taken_locked(id)) break;
    ++next_recording_number_;
  }
  if (recording_id_taken_locked(id))
    return Error(ErrorCode::kFailedPrecondition, "recording " + id + " already exists on drive " + spec_.id);
  uint32_t active = 0;
  for (auto& [rid, entry] : recordings_) active += !entry->ended();
  if (active >= options_.max_recordings_per_drive)
    return Error(ErrorCode::kResourceExhausted, "drive " + spec_.id + " already records " + std::to_string(active) +
                                                    " streams (limit " +
                                                    std::to_string(options_.max_recordings_per_drive) + ")");
  RETURN_IF_ERROR(begin_writing_locked());
  RETURN_IF_ERROR(writer_takes_recordings_locked());
  // Every recording becomes a file at finalize; the layout reserved room for
  // so many. Refuse now rather than leave a disc that cannot be finalized.
  if (recordings_.size() + recovered_files_.size() >= layout_->max_files)
    return Error(ErrorCode::kResourceExhausted, "the disc in drive " + spec_.id + " holds " +
                                                    std::to_string(layout_->max_files) +
                                                    " recordings, as many as its file system has room for; "
                                                    "finalize it and insert the next disc");

  RecordingConfig config;
  config.name = id;
  config.priority = params.priority;
  config.bitrate_bps = params.expected_bitrate_bps;
  config.latency_budget = params.latency_budget.count() > 0 ? params.latency_budget : options_.default_latency_budget;
  config.ring_bytes = params.ring_bytes ? params.ring_bytes : options_.default_ring_bytes;
  config.ring_pool = ring_budget_.pool();  // reserved at start-up: nothing is mapped now
  ASSIGN_OR_RETURN(uint64_t ring_memory, Recording::ring_memory_bytes(config, writer_->max_command_bytes()));
  ASSIGN_OR_RETURN(auto reservation, ring_budget_.reserve(ring_memory, "recording " + id));
  std::shared_ptr<Recording> recording;
  {
    BusyScope allocating(*this, kAllocating);  // an unlocked pool faults the ring in
    ASSIGN_OR_RETURN(recording, writer_->add_recording(config));
  }
  {
    journal::RecordingBegin begin;
    begin.writer_id = recording->id();
    begin.id = id;
    begin.title = params.title;
    begin.source_url = source.display_url;
    begin.priority = params.priority;
    begin.start_unix_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                              std::chrono::system_clock::now().time_since_epoch()).count();
    Status logged = journal_append({journal::encode(begin)});
    if (!logged.ok()) {
      (void)writer_->stop_recording(recording->id());
      return std::move(logged).error().with_context("journaling the new recording");
    }
    extent_journal_->begin_recording(recording);
  }

  auto entry = std::make_unique<Entry>();
  entry->params = params;
  entry->params.source_url = source.display_url;
  entry->params.recording_id = id;
  entry->params.latency_budget = config.latency_budget;
  entry->id = id;
  entry->start_time = std::chrono::system_clock::now();
  entry->recording = recording;
  entry->ring_reservation = std::move(reservation);
  entry->writer = writer_.get();
  entry->ring_locked = recording->ring_locked();
  ingest::IngestOptions ingest_options;
  ingest_options.url = source.open_url;
  if (params.upload_fd) {
    // The Ingest owns what it is given: a copy of the upload's read end.
    ingest_options.input_fd = ::fcntl(params.upload_fd->get(), F_DUPFD_CLOEXEC, 0);
    if (ingest_options.input_fd < 0) {
      (void)writer_->stop_recording(recording->id());
      return Error(ErrorCode::kResourceExhausted, std::string("no file descriptor for the upload: ") + std::strerror(errno));
    }
    entry->params.upload_fd.reset();
  }
  ingest_options.file_root = source.file_root;
  ingest_options.file_path = source.file_path;
  // A lost source is reopened no faster than the policy allows.
  auto& reconnect = ingest_options.reconnect;
  reconnect.initial_backoff = std::max<Nanos>(reconnect.initial_backoff, options_.source_policy.min_reconnect_interval);
  reconnect.max_backoff = std::max<Nanos>(reconnect.max_backoff, reconnect.initial_backoff);
  TsSink* sink = recording.get();
  if (source.kind != ingest::SourceKind::kNetwork) {
    // Buffer as much as the drive writes in a quarter of the latency budget:
    // plenty to keep it streaming, and well under the backlog (half the
    // budget at the guaranteed speed) at which the writer starts shedding
    // live recordings. At least two full commands, at most a quarter ring.
    const auto& w = writer_->options();
    uint64_t by_speed = static_cast<uint64_t>(static_cast<double>(w.guaranteed_bytes_per_second) *
                                              std::chrono::duration<double>(config.latency_budget).count() / 4);
    uint64_t one_command = uint64_t{w.max_units_per_command} * w.ecc_unit_blocks * w.block_size;
    uint64_t backlog = std::max<uint64_t>(std::min<uint64_t>(by_speed, config.ring_bytes / 4), 2 * one_command);
    entry->paced = std::make_unique<PacedSink>(recording, backlog);
    entry->paced_source = true;
    sink = entry->paced.get();
  }
  entry->ingest = std::make_unique<ingest::Ingest>(ingest_options, *sink, clock_);
  Entry* raw = entry.get();
  recordings_[id] = std::move(entry);
  raw->thread = std::thread([this, raw] { ingest_main(raw); });
  if (generated) ++next_recording_number_;
  // What an operator needs to find the recording again in the log.
  publish(EventKind::kRecordingState, id,
          "recording from " + source.display_url + " (priority " + std::to_string(params.priority) +
              ", declared " + (params.expected_bitrate_bps ? std::to_string(params.expected_bitrate_bps) + " bit/s"
                                                           : std::string("no bitrate")) +
              (params.title.empty() ? "" : ", title '" + params.title + "'") + ")");
  if (!raw->ring_locked)
    publish(EventKind::kDriveError, id,
            "warning: the ring of " + id + " could not be locked in RAM (the daemon lacks CAP_IPC_LOCK, or "
            "LimitMEMLOCK is below limits.ring_memory): under memory pressure it may be paged out and miss deadlines");
  return snapshot(*raw);
}

void DriveSession::ingest_main(Entry* entry) {
  Status status = entry->ingest->run();
  {
    std::lock_guard lock(entry->mutex);
    if (!status.ok() && status.error().code() != ErrorCode::kAborted) {
      // The source failed because the writer stopped: say why, with numbers.
      std::string full = disc_full_message(*entry->writer);
      entry->error = full.empty() ? status.error().to_string() : full;
    } else {
      entry->end_reason = entry->stop_requested ? "stopped on request" : "the source ended";
    }
    entry->end_time = std::chrono::system_clock::now();
  }
  entry->ingest_done.store(true, std::memory_order_release);
  // Whatever ended the source, what is in the ring still goes to disc.
  (void)entry->writer->stop_recording(entry->recording->id());
}

Result<RecordingInfo> DriveSession::stop_recording(const std::string& recording_id) {
  ASSIGN_OR_RETURN(auto lock, lock_for_control());
  auto it = recordings_.find(recording_id);
  if (it == recordings_.end())
    return Error(ErrorCode::kNotFound, "no recording " + recording_id + " on drive " + spec_.id);
  Entry& entry = *it->second;
  entry.stop_requested = true;
  BusyScope busy(*this, kStopping);  // up to 10 s while the writer drains
  if (entry.paced) entry.paced->stop();
  if (entry.ingest) entry.ingest->stop();
  if (entry.thread.joinable()) entry.thread.join();
  // The writer drains the ring and pads the last unit; wait a bounded time
  // so the answer shows the recording stopped.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!entry.recording->finished() && !writer_->failure() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  // Give the ring back now, not at the monitor's next round: a client that
  // stops and starts in a loop must find the memory free again.
  if (entry.recording->release_buffers()) entry.ring_reservation.reset();
  return snapshot(entry);
}

Result<RecordingInfo> DriveSession::get_recording(const std::string& recording_id) {
  auto lock = lock_for_read();
  if (!lock.owns_lock()) {
    std::lock_guard cache(cache_mutex_);
    for (const auto& r : cached_recordings_)
      if (r.id == recording_id) return r;
    return Error(ErrorCode::kNotFound, "no recording " + recording_id + " on drive " + spec_.id);
  }
  auto it = recordings_.find(recording_id);
  if (it == recordings_.end()) {
    for (const auto& r : recovered_)
      if (r.id == recording_id) return r;
    for (const auto& r : history_)
      if (r.id == recording_id) return r;
    return Error(ErrorCode::kNotFound, "no recording " + recording_id + " on drive " + spec_.id);
  }
  return snapshot(*it->second);
}

std::vector<RecordingInfo> DriveSession::list_recordings() {
  auto lock = lock_for_read();
  if (!lock.owns_lock()) {
    std::lock_guard cache(cache_mutex_);
    return cached_recordings_;
  }
  std::vector<RecordingInfo> out = recovered_;
  for (auto& [id, entry] : recordings_) out.push_back(snapshot(*entry));
  trim_history_locked();
  out.insert(out.end(), history_.begin(), history_.end());
  return out;
}

void DriveSession::trim_history_locked() {
  const WallTime oldest = std::chrono::system_clock::now() - options_.history_age;
  while (history_.size() > options_.history_count ||
         (!history_.empty() && history_.back().end_time.value_or(history_.back().start_time) < oldest))
    history_.pop_back();
}

uint32_t DriveSession::active_recordings() const {
  auto lock = lock_for_read();
  if (!lock.owns_lock()) return cached_info().active_recordings;
  return active_recordings_locked();
}

uint32_t DriveSession::active_recordings_locked() const {
  uint32_t n = 0;
  for (const auto& [id, entry] : recordings_) n += !entry->ended();
  return n;
}

void DriveSession::stop_recordings_locked(Nanos timeout) {
  for (auto& [id, entry] : recordings_) {
    entry->stop_requested = true;
    if (entry->paced) entry->paced->stop();
    if (entry->ingest) entry->ingest->stop();
  }
  for (auto& [id, entry] : recordings_)
    if (entry->thread.joinable()) entry->thread.join();
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (auto& [id, entry] : recordings_)
    while (writer_ && !entry->recording->finished() && !writer_->failure() &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

void DriveSession::stop_all() {
  shutting_down_.store(true, std::memory_order_release);  // a verify gives up
  std::lock_guard lock(mutex_);
  stop_recordings_locked(std::chrono::seconds(30));
  if (writer_) writer_->stop();
  // The disc stays open; the journal holds everything written, and the next
  // start finishes the disc from it.
  stop_journal_locked();
  if (writer_) {
    (void)journal_sync_once();
    for (auto& [id, entry] : recordings_) journal_recording_end_locked(*entry);
  }
}

bool DriveSession::opened() const {
  auto lock = lock_for_read();
  return !lock.owns_lock() || drive_ != nullptr;
}

Status DriveSession::reconfigure(const DriveSpec& spec) {
  {
    ASSIGN_OR_RETURN(auto lock, lock_for_control());
    // An open disc belongs to the drive it was started in (its journal
    // names that URI): it is finished there first.
    if (disc_state_ == DiscState::kRecording || !recovery_blocked_.empty())
      return Error(ErrorCode::kFailedPrecondition,
                   "drive " + spec_.id + " holds an open disc; finalize it (or restart) to use the new settings");
    for (auto& [id, entry] : recordings_)
      if (!entry->ended())
        return Error(ErrorCode::kFailedPrecondition, "drive " + spec_.id + " is recording (" + id + ")");
    forget_disc_locked();
    drive_.reset();
    caps_.reset();
    spec_.uri = spec.uri;
    spec_.write_kbps = spec.write_kbps;
    open_error_ = "not opened yet with " + spec.uri;
  }
  return open();
}

}  // namespace discrec::recorder
