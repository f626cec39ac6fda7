// DriveSession: the disc in the drive coming and going: probing, load,
// eject, format, and forgetting a disc that left.
#include <algorithm>

#include "recorder/session/drive_session.h"
#include "recorder/session/drive_session_entry.h"
#include "recorder/udf/drive_sector_source.h"
#include "recorder/udf/volume_reader.h"

namespace discrec::recorder {

// The disc state the medium implies: a new medium (or none) is looked at
// afresh; the same one keeps the state it has.
DiscState DriveSession::medium_state(const device::DriveCapabilities& caps) {
  if (!caps.has_medium()) return DiscState::kNoMedium;
  const DiscState settled = machine_.settled();
  const bool had_medium = caps_ && caps_->medium_present;
  if (had_medium && settled != DiscState::kNoMedium) return settled;
  if (caps.disc_complete()) return DiscState::kFinalized;
  if (caps.disc_appendable() && caps.sequential()) {
    // Closed sessions, more to come: the next recording opens one, with an id
    // none of the disc's recordings has.
    note_session_ids(caps);
    return DiscState::kFinalized;
  }
  // A rewritable disc that already carries a file system is not blank:
  // recordings are added to it (disc_volume.cc), or formatting makes it
  // blank again.
  disc_volume_.reset();
  if (!caps.sequential()) {
    udf::DriveSectorSource source(*drive_, 0);
    if (source.sector_count() > udf::kAnchorLba) {
      if (auto volume = udf::read_volume(source); volume.ok()) {
        disc_volume_ = summarize_volume(*volume, source.sector_count(), std::max<uint32_t>(caps.ecc_unit_blocks, 1));
        return DiscState::kFinalized;
      }
    }
  }
  return DiscState::kBlank;
}

Result<device::DriveCapabilities> DriveSession::probe() {
  RETURN_IF_ERROR(require_drive());
  auto caps = drive_->probe();
  if (!caps.ok()) {
    probe_error_ = caps.error().to_string();
    return std::move(caps).error();
  }
  probe_error_.clear();
  const bool had_medium = caps_ && caps_->medium_present;
  const DiscState medium = medium_state(*caps);
  probed_medium_ = medium;
  // Idle, the medium decides the state; a request in progress settles it.
  const DiscState now = machine_.state();
  if ((now == DiscState::kNoMedium || now == DiscState::kBlank || now == DiscState::kFinalized) && medium != now)
    (void)machine_.apply(DiscRequest::kMediumChanged, medium);
  if (had_medium != caps->medium_present && caps_)
    publish(caps->medium_present ? EventKind::kMediumInserted : EventKind::kMediumRemoved, "",
            caps->medium_present ? caps->medium_name() : "medium removed");
  caps_ = *caps;
  return caps;
}

// Between commands: events, and a medium coming or going on an idle drive.
void DriveSession::tick() {
  poll_events();
  const DiscState s = machine_.state();
  const bool idle = s == DiscState::kNoMedium || s == DiscState::kBlank || s == DiscState::kFinalized;
  const auto now = std::chrono::steady_clock::now();
  bool changed = false;
  if (drive_ && idle && now >= next_probe_) {
    const auto before = std::make_tuple(machine_.state(), probe_error_, caps_.has_value() && caps_->medium_present);
    (void)probe();
    changed = before != std::make_tuple(machine_.state(), probe_error_, caps_.has_value() && caps_->medium_present);
    next_probe_ = now + options_.medium_poll_interval;
  }
  const size_t history = history_.size();
  trim_history();
  if (changed || history != history_.size()) publish_snapshot();
}

// Formats a rewritable disc that is not formatted yet (a new BD-RE or DVD-RAM
// must be, before anything can be written).
Status DriveSession::format_if_unformatted() {
  ASSIGN_OR_RETURN(auto caps, probe());
  if (!caps.has_medium()) return Error(ErrorCode::kFailedPrecondition, "no disc in drive " + spec_.id);
  auto needs = drive_->needs_format(caps);
  if (!needs.ok() || !*needs) return {};  // formatted (or cannot tell)
  // The same format `discrec format` makes by default: streaming writes use
  // no defect management, so spare areas would only take capacity.
  {
    Activity activity(*this, "formatting the disc");
    RETURN_IF_ERROR(status_of(drive_->format_for_recording(caps, /*spare_areas=*/false)));
  }
  if (auto probed = probe(); !probed.ok()) return std::move(probed).error();
  return {};
}

Result<DriveInfo> DriveSession::load(CallDeadline deadline) {
  RETURN_IF_ERROR(status_of(run<bool>(DiscRequest::kLoad, "load the disc", deadline, [this](const ProgressCallback&) -> Result<bool> {
    on_commands_.assert_on();
    RETURN_IF_ERROR(require_drive());
    RETURN_IF_ERROR(drive_->start_stop_unit(/*load_eject=*/true, /*start=*/true));
    const DiscState from = machine_.settled();
    if (from == DiscState::kBlocked) {
      // `discrecd forget-disc` may have discarded the journal while the
      // daemon ran, or the journal's disc may be the one in the drive now.
      blocked_reason_.clear();
      caps_.reset();
      auto probed = probe();
      settle(recover_now(probed.ok() ? probed_medium_ : DiscState::kNoMedium));
    } else if (from == DiscState::kOpen || from == DiscState::kRecording) {
      settle(from);
    } else {
      auto probed = probe();
      settle(probed.ok() ? probed_medium_ : from);
    }
    return true;
  })));
  return info();
}

bool DriveSession::recording_id_taken(const std::string& id) const {
  if (recordings_.count(id) || disc_ids_.count(id)) return true;
  return std::any_of(recovered_.begin(), recovered_.end(), [&](const RecordingInfo& r) { return r.id == id; });
}

Result<DriveInfo> DriveSession::eject(CallDeadline deadline) {
  RETURN_IF_ERROR(status_of(run<bool>(DiscRequest::kEject, "eject the disc", deadline, [this](const ProgressCallback&) -> Result<bool> {
    on_commands_.assert_on();
    RETURN_IF_ERROR(require_drive());
    const DiscState from = machine_.settled();
    RETURN_IF_ERROR(drive_->start_stop_unit(/*load_eject=*/true, /*start=*/false));
    forget_disc();
    // A journal still waiting for its disc keeps the drive blocked.
    settle(from == DiscState::kBlocked ? DiscState::kBlocked : DiscState::kNoMedium);
    return true;
  })));
  return info();
}

// The disc is gone or wiped: drop everything this session knew about it.
// The caller settles the state.
void DriveSession::forget_disc() {
  retire_disc_recordings();
  disc_volume_.reset();
  disc_ids_.clear();
}

// The recordings of the disc's last writer become history: the disc left,
// or a new writer starts on the volume they were finalized into.
// Recordings go first: their source threads end by calling the writer.
void DriveSession::retire_disc_recordings() {
  // What was recorded stays listed after the disc leaves the drive, within
  // the history's bounds.
  std::vector<RecordingInfo> ended = recovered_;
  for (auto& [id, entry] : recordings_) ended.push_back(info_of(*entry));
  for (auto& info : ended) history_.push_front(std::move(info));
  trim_history();
  published_history_.reset();
  if (journal_) journal_->stop();
  recordings_.clear();
  journal_.reset();
  writing_.reset();
  prepared_.reset();
  layout_.reset();
  finalize_begun_.reset();
  announced_space_warnings_.clear();
  announced_disc_full_ = false;
  announced_writer_failure_.clear();
  announced_pauses_ = 0;
  recovered_.clear();
  recovered_files_.clear();
  recovered_crcs_.clear();
  catalogued_.clear();
  disc_journal_path_.clear();
  continue_lba_.reset();
  appending_.reset();
}

void DriveSession::trim_history() {
  const WallTime oldest = std::chrono::system_clock::now() - options_.history_age;
  bool trimmed = false;
  while (history_.size() > options_.history_count ||
         (!history_.empty() && history_.back().end_time.value_or(history_.back().start_time) < oldest)) {
    history_.pop_back();
    trimmed = true;
  }
  if (trimmed) published_history_.reset();
}

Result<DriveInfo> DriveSession::format(bool spare_areas, bool force, CallDeadline deadline) {
  RETURN_IF_ERROR(status_of(run<bool>(DiscRequest::kFormat, "format the disc", deadline,
                            [this, spare_areas, force](const ProgressCallback&) -> Result<bool> {
    on_commands_.assert_on();
    RETURN_IF_ERROR(require_drive());
    ASSIGN_OR_RETURN(auto caps, probe());
    // A finalized rewritable disc holds recordings: formatting erases them.
    if (probed_medium_ == DiscState::kFinalized && !force)
      return Error(ErrorCode::kFailedPrecondition,
                   "the " + caps.medium_name() + " in drive " + spec_.id +
                       " holds a file system with recordings; formatting erases them (ask with force to do so)");
    RETURN_IF_ERROR(status_of(drive_->format_for_recording(caps, spare_areas)));
    // A quick format leaves the old sectors: the volume's anchors go, so no
    // reader (nor discrec after a restart) finds the erased recordings.
    RETURN_IF_ERROR(wipe_anchors());
    forget_disc();
    caps_.reset();
    auto after = probe();
    settle(after.ok() && after->medium_present ? DiscState::kBlank : DiscState::kNoMedium);
    return true;
  })));
  return info();
}

}  // namespace discrec::recorder
