// DriveSession: the command plumbing, the snapshot, and the drive-level
// requests (open, prepare, reconfigure, stop).
#include "recorder/session/drive_session.h"

#include <algorithm>
#include <chrono>

#include "recorder/session/drive_session_entry.h"

namespace discrec::recorder {
// What reads say a drive busy with a long request is doing.
const char* busy_text(DiscState busy) {
  switch (busy) {
    case DiscState::kLoading: return "loading the disc";
    case DiscState::kEjecting: return "ejecting the disc";
    case DiscState::kFormatting: return "formatting the disc";
    case DiscState::kFinalizing: return "finalizing the disc";
    case DiscState::kVerifying: return "verifying the disc";
    case DiscState::kRecovering: return "taking up the disc left open before the restart (crash journal)";
    case DiscState::kDeleting: return "deleting files from the disc";
    default: return "";
  }
}

namespace {

constexpr auto kNoBound = std::chrono::hours(24);

}  // namespace

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

DriveSession::DriveSession(DriveSpec spec, const RecorderOptions& options, Clock& clock, EventBus& events,
                           RingBudget& ring_budget, const TsSourceFactory& sources, Catalog* catalog)
    : spec_id_(spec.id),
      options_(options),
      clock_(clock),
      events_(events),
      ring_budget_(ring_budget),
      sources_(sources),
      catalog_(catalog),
      spec_(std::move(spec)),
      machine_(spec_id_),
      commands_("drive " + spec_id_,
                [this] {
                  on_commands_.assert_on();
                  tick();
                },
                options.tick_interval) {
  on_commands_.assert_on();  // the command thread starts below: until then this is the only one
  open_error_ = "not opened yet";
  publish_snapshot();
  commands_.start();
}

DriveSession::~DriveSession() { stop_all(); }

std::shared_ptr<const DriveSnapshot> DriveSession::snapshot() const {
  MutexLock lock(snapshot_mutex_);
  return snapshot_;
}

void DriveSession::publish_snapshot() {
  auto s = std::make_shared<DriveSnapshot>();
  s->id = spec_.id;
  s->uri = spec_.uri;
  s->drive_open = drive_ != nullptr;
  s->open_error = open_error_;
  s->caps = caps_;
  s->probe_error = probe_error_;
  s->state = machine_.state();
  s->activity = activity_;
  s->blocked_reason = blocked_reason_;
  s->prepared = prepared_;
  s->write_policy = spec_.write_mode;
  s->writer_scheduling = writer_scheduling_;
  s->writer_running = writing_ && writing_->writer && writing_->writer->running();
  if (layout_) {
    s->data_start = layout_->data_start;
    s->data_limit = layout_->data_limit;
  }
  s->continue_lba = continue_lba_;
  if (machine_.state() == DiscState::kFinalized) s->volume = disc_volume_;
  s->writing = writing_;
  for (const auto& [id, entry] : recordings_) s->recordings.push_back(view_of(*entry));
  s->recovered = std::make_shared<const std::vector<RecordingInfo>>(recovered_);
  if (!published_history_) published_history_ = std::make_shared<const std::vector<RecordingInfo>>(history_.begin(), history_.end());
  s->history = published_history_;
  MutexLock lock(snapshot_mutex_);
  snapshot_ = std::move(s);
}

std::shared_ptr<const RecordingView> DriveSession::view_of(const Entry& entry) const {
  auto view = std::make_shared<RecordingView>();
  view->id = entry.id;
  view->params = entry.params;
  view->params.upload_fd.reset();
  view->start_time = entry.start_time;
  view->recording = entry.recording;
  view->end = entry.end;
  view->source = entry.source;
  view->paced_source = entry.paced_source;
  view->ring_locked = entry.ring_locked;
  view->disc_path = entry.disc_path;
  view->disc_parts = entry.disc_parts;
  return view;
}

RecordingInfo DriveSession::info_of(const Entry& entry) const {
  auto s = snapshot();
  return recording_info(*s, *view_of(entry), clock_);
}

Result<std::string> DriveSession::begin_request(DiscRequest request) {
  RETURN_IF_ERROR(machine_.begin(request, hint_for(request)));
  std::string previous = activity_;
  if (refuses_controls(machine_.state())) activity_ = busy_text(machine_.state());
  publish_snapshot();
  return previous;
}

void DriveSession::end_request(std::string previous_activity) {
  if (is_busy(machine_.state())) machine_.abandon();  // it did not settle: back where it began
  activity_ = std::move(previous_activity);
  publish_snapshot();
}

uint32_t DriveSession::active_now() const {
  uint32_t n = 0;
  for (const auto& [id, entry] : recordings_) n += !entry->ended();
  return n;
}

void DriveSession::settle(DiscState to) {
  if (Status settled = machine_.settle(to); !settled.ok()) {
    // A transition the table does not have is a bug here, not the user's:
    // say so loudly and stay where the request began.
    publish(EventKind::kDriveError, "", "internal error: " + settled.error().message());
    machine_.abandon();
  }
}

std::string DriveSession::hint_for(DiscRequest request) const {
  const DiscState s = machine_.state();
  const std::string& id = spec_.id;
  const bool open = s == DiscState::kOpen || s == DiscState::kRecording || s == DiscState::kFinalizeIncomplete;
  switch (request) {
    case DiscRequest::kEject:
    case DiscRequest::kFormat:
      if (open) return "drive " + id + " holds an unfinalized recording; finalize the disc first";
      break;
    case DiscRequest::kPrepare:
      if (s == DiscState::kRecording) {
        const uint32_t active = active_now();
        return active ? "drive " + id + " is recording (" + std::to_string(active) +
                            " active); the speed can change only between discs"
                      : "the disc in drive " + id + " is open with " + std::to_string(recordings_.size()) +
                            " recording(s) on it; the speed can change only between discs: finalize it first";
      }
      if (s == DiscState::kNoMedium) return "no disc in drive " + id;
      break;
    case DiscRequest::kStartRecording:
      if (s == DiscState::kNoMedium) return "no disc in drive " + id;
      if (s == DiscState::kFinalized) return "the disc in drive " + id + " is finalized (or holds data); insert a blank disc";
      if (s == DiscState::kBlocked) return blocked_reason_;
      if (s == DiscState::kFinalizeIncomplete)
        return "a finalize of the disc in drive " + id + " began and did not complete; run `discrec finalize " + id +
               "` again to complete it";
      break;
    case DiscRequest::kFinalize:
      if (s == DiscState::kFinalized) return "the disc in drive " + id + " is already finalized";
      return "nothing has been recorded on the disc in drive " + id;
    case DiscRequest::kVerify:
      return "no checksums for the disc in drive " + id + ": verify compares with what was written to it";
    default:
      break;
  }
  if (s == DiscState::kBlocked) return blocked_reason_;
  return "";
}

Nanos DriveSession::queue_wait(CallDeadline deadline) const {
  if (!deadline) return options_.command_wait;
  const auto left = std::chrono::duration_cast<Nanos>(*deadline - std::chrono::steady_clock::now());
  return std::clamp<Nanos>(left, Nanos(0), options_.command_wait);
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
  if (disc_started_ != WallTime{}) e.disc = disc_name(disc_started_);
  e.message = message;
  events_.publish(std::move(e));
}

Status DriveSession::open() {
  return status_of(commands_.call<bool>("open the drive", [this](const ProgressCallback&) -> Result<bool> {
    on_commands_.assert_on();
    RETURN_IF_ERROR(open_now());
    return true;
  }, kNoBound));
}

Status DriveSession::open_now() {
  auto drive = options_.open_drive ? options_.open_drive(spec_.uri) : device::Drive::open(spec_.uri);
  if (!drive.ok()) {
    open_error_ = drive.error().to_string();
    publish_snapshot();
    return std::move(drive).error();
  }
  drive_ = std::shared_ptr<device::Drive>(std::move(drive).value());
  open_error_.clear();
  auto probed = probe();
  publish_snapshot();
  if (!probed.ok()) return std::move(probed).error();
  return {};
}

Result<PrepareResult> DriveSession::prepare(uint32_t write_kbps, CallDeadline deadline) {
  return run<PrepareResult>(DiscRequest::kPrepare, "prepare the drive", deadline,
                            [this, write_kbps](const ProgressCallback&) -> Result<PrepareResult> {
    on_commands_.assert_on();
    RETURN_IF_ERROR(require_drive());
    RETURN_IF_ERROR(format_if_unformatted());
    PrepareOptions options;
    options.write_kbps = write_kbps ? write_kbps : spec_.write_kbps;
    options.write_mode = spec_.write_mode;
    ASSIGN_OR_RETURN(auto prepared, prepare_for_writing_now(options));
    prepared_ = prepared;
    caps_ = prepared.capabilities;
    PrepareResult result;
    result.opc_performed = prepared.opc_done;
    result.opc_note = prepared.opc_done ? "" : "the drive does not support SEND OPC INFORMATION (not an error)";
    result.requested_write_kbps = prepared.requested_kbps;
    result.effective_write_kbps = prepared.effective_kbps;
    settle(machine_.settled());
    publish_snapshot();
    result.drive = drive_info(*snapshot());
    return result;
  });
}

// OPC, speed and read-back take seconds on a real drive: said in reads.
Result<PreparedDrive> DriveSession::prepare_for_writing_now(const PrepareOptions& options) {
  Activity activity(*this, "preparing the drive for streaming (OPC, write speed)");
  return prepare_for_writing(*drive_, options);
}

void DriveSession::stop_all() {
  shutting_down_.store(true, std::memory_order_release);  // a verify gives up
  (void)commands_.call<bool>("stop", [this](const ProgressCallback&) -> Result<bool> {
    on_commands_.assert_on();
    stop_recordings(std::chrono::seconds(30));
    if (writing_ && writing_->writer) writing_->writer->stop();
    // The disc stays open; the journal holds everything written, and the
    // next start takes it up from there.
    if (journal_) {
      journal_->stop();
      if (writing_) (void)journal_->sync();
      for (auto& [id, entry] : recordings_) journal_recording_end(*entry);
    }
    publish_snapshot();
    return true;
  }, kNoBound);
  commands_.stop();
}

Status DriveSession::reconfigure(const DriveSpec& spec) {
  return status_of(commands_.call<bool>("reconfigure the drive", [this, spec](const ProgressCallback&) -> Result<bool> {
    on_commands_.assert_on();
    const DiscState s = machine_.state();
    if (is_busy(s)) return Error(ErrorCode::kUnavailable, "drive " + spec_.id + " is busy " + disc_state_name(s));
    // An open disc belongs to the drive it was started in (its journal
    // names that URI): it is finished there first.
    if (s != DiscState::kNoMedium && s != DiscState::kBlank && s != DiscState::kFinalized)
      return Error(ErrorCode::kFailedPrecondition,
                   "drive " + spec_.id + " holds an open disc; finalize it (or restart) to use the new settings");
    for (auto& [id, entry] : recordings_)
      if (!entry->ended())
        return Error(ErrorCode::kFailedPrecondition, "drive " + spec_.id + " is recording (" + id + ")");
    forget_disc();
    (void)machine_.apply(DiscRequest::kForget, DiscState::kNoMedium);
    drive_.reset();
    caps_.reset();
    spec_.uri = spec.uri;
    spec_.write_kbps = spec.write_kbps;
    spec_.write_mode = spec.write_mode;
    open_error_ = "not opened yet with " + spec.uri;
    publish_snapshot();
    RETURN_IF_ERROR(open_now());
    return true;
  }, options_.command_wait));
}

}  // namespace discrec::recorder
