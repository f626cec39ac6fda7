// DriveSession: a rewritable disc that already holds a UDF volume (BD-RE,
// DVD-RAM, DVD+RW): recordings added into its free space, recordings deleted
// from it. The volume is changed copy-on-write (udf/volume_update.h): a power
// cut leaves the old volume or the new one, never neither.
#include <algorithm>

#include "recorder/session/drive_session.h"
#include "recorder/session/drive_session_entry.h"
#include "recorder/udf/drive_sector_source.h"
#include "recorder/udf/multisession.h"

namespace discrec::recorder {
namespace {

// A recording needs at least this much of a run (in units) to be worth
// starting: below it, the disc is full.
constexpr uint32_t kMinimumRecordableUnits = 64;

const std::string kRecordingPrefix = "/" + std::string(udf::kRecordingDirectory) + "/";

bool is_recording_file(const udf::ParsedFile& f) {
  return !f.directory && f.path.rfind(kRecordingPrefix, 0) == 0 &&
         f.path.find('/', kRecordingPrefix.size()) == std::string::npos;
}

}  // namespace

Result<udf::ParsedVolume> DriveSession::read_disc_volume() {
  udf::DriveSectorSource source(*drive_, 0);
  return udf::read_volume(source);
}

void DriveSession::note_recording_ids(const udf::ParsedVolume& volume) {
  disc_ids_.clear();
  for (const auto& f : volume.files) {
    if (!is_recording_file(f)) continue;
    // "<start>_<id>_<title>.ts" or "<start>_<id>.ts" (recording_file_name).
    const std::string name = f.path.substr(kRecordingPrefix.size());
    const size_t first = name.find('_');
    if (first == std::string::npos) continue;
    const size_t end = name.find_first_of("_.", first + 1);
    if (end != std::string::npos && end > first + 1) disc_ids_.insert(name.substr(first + 1, end - first - 1));
  }
}

void DriveSession::note_session_ids(const device::DriveCapabilities& caps) {
  auto sessions = drive_->read_sessions(caps);
  if (!sessions.ok()) return;
  udf::DriveSectorSource source(*drive_, 0);
  if (auto volume = udf::read_volume_at(source, sessions->last_closed_session_start); volume.ok())
    note_recording_ids(*volume);
}

void DriveSession::refresh_disc_volume() {
  if (!caps_ || caps_->sequential()) return;
  udf::DriveSectorSource source(*drive_, 0);
  if (auto volume = udf::read_volume(source); volume.ok())
    disc_volume_ = summarize_volume(*volume, source.sector_count(), std::max<uint32_t>(caps_->ecc_unit_blocks, 1));
}

DiscVolumeInfo DriveSession::summarize_volume(const udf::ParsedVolume& volume, uint32_t sectors, uint32_t unit) {
  DiscVolumeInfo info;
  info.label = volume.label;
  note_recording_ids(volume);
  for (const auto& f : volume.files) {
    info.files += !f.directory;
    info.recordings += is_recording_file(f);
  }
  if (Status updatable = udf::check_updatable(volume, sectors); !updatable.ok()) {
    info.not_appendable = updatable.error().message();
    return info;
  }
  const auto runs = udf::free_runs(volume, unit);
  info.free_blocks = udf::total_sectors(runs);
  uint64_t largest = 0;
  for (const auto& r : runs) largest = std::max<uint64_t>(largest, r.sectors);
  const uint32_t reserve = udf::update_reserve_sectors(volume, largest, options_.max_recordings_per_drive, unit);
  info.recordable_blocks = largest > reserve ? (largest - reserve) / unit * unit : 0;
  return info;
}

Result<journal::AppendBase> DriveSession::plan_append(udf::VolumeLayout& layout) {
  const std::string disc = "the " + caps_->medium_name() + " in drive " + spec_.id;
  auto volume = read_disc_volume();
  if (!volume.ok())
    return Error(ErrorCode::kFailedPrecondition, disc + " holds data but no UDF volume discrec can read (" +
                                                     volume.error().message() +
                                                     "); format it (with force) to record over it");
  udf::DriveSectorSource sized(*drive_, 0);
  const uint32_t unit = layout.write_unit_sectors;
  disc_volume_ = summarize_volume(*volume, sized.sector_count(), unit);
  if (!disc_volume_->not_appendable.empty())
    return Error(ErrorCode::kFailedPrecondition, disc + " holds a UDF volume recordings cannot be added to: " +
                                                     disc_volume_->not_appendable +
                                                     "; format it (with force) to record over it");
  if (disc_volume_->recordable_blocks < uint64_t{kMinimumRecordableUnits} * unit)
    return Error(ErrorCode::kResourceExhausted,
                 disc + " is full (" + std::to_string(disc_volume_->free_blocks) +
                     " blocks free, none of its free runs holds a recording); delete recordings from it "
                     "(discrec delete) or insert another disc");
  const auto runs = udf::free_runs(*volume, unit);
  const auto largest = std::max_element(runs.begin(), runs.end(), [](const udf::SectorRun& a, const udf::SectorRun& b) {
    return a.sectors < b.sectors;
  });
  layout.data_start = largest->lba;
  layout.data_limit = static_cast<uint32_t>(largest->lba + disc_volume_->recordable_blocks);
  journal::AppendBase base;
  base.volume_label = volume->label;
  base.files = disc_volume_->files;
  return base;
}

Result<journal::AppendBase> DriveSession::plan_session(udf::VolumeLayout& layout) {
  const std::string disc = "the " + caps_->medium_name() + " in drive " + spec_.id;
  ASSIGN_OR_RETURN(auto sessions, drive_->read_sessions(*caps_));
  if (!sessions.next_session_start)
    return Error(ErrorCode::kFailedPrecondition, disc + " is closed: it takes no more sessions");
  if (sessions.open_session_in_use)
    return Error(ErrorCode::kFailedPrecondition,
                 disc + " has an open session that discrec's journal does not know of; it takes no more recordings");
  udf::DriveSectorSource source(*drive_, 0);
  auto previous = udf::read_volume_at(source, sessions.last_closed_session_start);
  if (!previous.ok())
    return Error(ErrorCode::kFailedPrecondition, disc + ": its last session holds no UDF volume discrec can read (" +
                                                     previous.error().message() + ")");
  udf::SessionRequest request;
  request.session_start = *sessions.next_session_start;
  request.free_blocks = sessions.free_blocks;
  request.write_unit_sectors = layout.write_unit_sectors;
  auto plan = udf::plan_next_session(*previous, request);
  if (!plan.ok()) return std::move(plan).error().with_context(disc + ": planning its next session");
  const uint32_t max_files = layout.max_files;
  layout = plan->layout;
  layout.max_files = std::max(layout.max_files, max_files);
  journal::AppendBase base;
  base.volume_label = previous->label;
  base.files = static_cast<uint32_t>(plan->spec.files.size());
  base.session_start = layout.session_start;
  base.previous_session_start = sessions.last_closed_session_start;
  base.partition_start = layout.partition_start;
  return base;
}

Result<udf::VolumeSpec> DriveSession::earlier_sessions() {
  udf::DriveSectorSource source(*drive_, 0);
  auto previous = udf::read_volume_at(source, appending_->previous_session_start);
  if (!previous.ok()) return std::move(previous).error().with_context("reading the earlier sessions' volume");
  if (previous->label != appending_->volume_label)
    return Error(ErrorCode::kFailedPrecondition, "the disc in drive " + spec_.id + " holds the volume \"" +
                                                     previous->label + "\", not \"" + appending_->volume_label +
                                                     "\" the session was begun on");
  udf::VolumeSpec spec;
  ASSIGN_OR_RETURN(spec.files, udf::recordings_from(*previous));
  spec.label = previous->label;
  spec.volume_set = previous->volume_set;
  spec.created = previous->volume_created;
  return spec;
}

Status DriveSession::wipe_anchors() {
  const uint32_t block_size = caps_ ? caps_->block_size : 2048;
  const uint32_t unit = caps_ ? std::max<uint32_t>(caps_->ecc_unit_blocks, 1) : 16;
  udf::DriveSectorSource sized(*drive_, 0);
  const uint32_t sectors = sized.sector_count();
  if (sectors <= udf::kAnchorLba + unit) return {};
  DriveBlockTarget target(*drive_);
  const std::vector<uint8_t> zeros(size_t{unit} * block_size, 0);
  for (uint64_t lba : {uint64_t{udf::kAnchorLba}, uint64_t{sectors} - 257, uint64_t{sectors} - 1}) {
    const uint32_t at = static_cast<uint32_t>(lba / unit * unit);
    if (at + unit > sectors) continue;
    RETURN_IF_ERROR(write_reliable(target, clock_, at, zeros));
  }
  return drive_->synchronize_cache();
}

Status DriveSession::write_update(const udf::VolumeUpdate& update) {
  // Each step durable before the next: the switch (commit) only once what it
  // points at is on the disc; the copies only once the switch is.
  RETURN_IF_ERROR(write_sector_runs(update.prepare, /*resume=*/false));
  RETURN_IF_ERROR(write_sector_runs({update.commit}, /*resume=*/false));
  return write_sector_runs(update.complete, /*resume=*/false);
}

Status DriveSession::update_file_system(const udf::VolumeSpec& spec, const ProgressCallback& progress) {
  progress({0.2, "reading the disc's file system"});
  udf::DriveSectorSource source(*drive_, 0);
  auto live = udf::read_volume(source);
  if (!live.ok()) return std::move(live).error().with_context("reading the volume to add the recordings to");
  if (live->label != appending_->volume_label)
    return Error(ErrorCode::kFailedPrecondition, "the disc in drive " + spec_.id + " holds the volume \"" +
                                                     live->label + "\", not \"" + appending_->volume_label +
                                                     "\" the recordings were added to");
  udf::VolumeChange change;
  change.add = spec.files;
  change.when = spec.finalized;
  change.lost_extents = spec.lost_extents;
  change.long_files = spec.long_files;
  // A finalize that a crash cut after its switch finds its files listed
  // already: they are listed anew, from the journal.
  for (const auto& f : spec.files) {
    const auto names = udf::file_part_names(f, spec);
    const bool listed = std::any_of(live->files.begin(), live->files.end(), [&](const udf::ParsedFile& p) {
      return is_recording_file(p) && std::find(names.begin(), names.end(), p.path.substr(kRecordingPrefix.size())) != names.end();
    });
    if (listed) change.remove.push_back(f.name);
  }
  ASSIGN_OR_RETURN(auto update, udf::plan_update(source, *live, change, caps_->ecc_unit_blocks));
  progress({0.4, "writing the UDF file system"});
  return write_update(update);
}

Result<DiscOperationResult> DriveSession::delete_recording(const std::string& what, CallDeadline deadline) {
  if (what.empty() || what.find('/') != std::string::npos || what.size() > 255)
    return Error(ErrorCode::kInvalidArgument, "name a recording (its id, or its file name in /DISCREC)");
  return run<DiscOperationResult>(DiscRequest::kDelete, "delete a recording", deadline,
                                  [this, what](const ProgressCallback&) -> Result<DiscOperationResult> {
    on_commands_.assert_on();
    return delete_now(what);
  });
}

Result<DiscOperationResult> DriveSession::delete_now(const std::string& what) {
  RETURN_IF_ERROR(require_drive());
  ASSIGN_OR_RETURN(auto caps, probe());
  if (caps.sequential())
    return Error(ErrorCode::kFailedPrecondition, "the " + caps.medium_name() + " in drive " + spec_.id +
                                                     " is write-once: nothing on it can be deleted");
  udf::DriveSectorSource source(*drive_, 0);
  auto live = udf::read_volume(source);
  if (!live.ok()) return std::move(live).error().with_context("reading the disc's volume");
  // By file name, or by the recording id every discrec file name carries
  // ("<start>_<id>_<title>.ts", "<start>_<id>.ts", and their parts).
  std::vector<std::string> names;
  uint64_t bytes = 0;
  for (const auto& f : live->files) {
    if (!is_recording_file(f)) continue;
    const std::string name = f.path.substr(kRecordingPrefix.size());
    const bool by_name = name == what || (what.ends_with(".ts") && name.starts_with(what.substr(0, what.size() - 3) + ".part"));
    const bool by_id = name.find("_" + what + "_") != std::string::npos || name.find("_" + what + ".") != std::string::npos;
    if (!by_name && !by_id) continue;
    if (f.implementation != udf::kImplementationId)
      return Error(ErrorCode::kPermissionDenied, "/" + std::string(udf::kRecordingDirectory) + "/" + name +
                                                     " was not written by discrec; discrec deletes only its own recordings");
    names.push_back(name);
    bytes += f.size;
  }
  if (names.empty())
    return Error(ErrorCode::kNotFound, "no recording \"" + what + "\" on the disc in drive " + spec_.id);
  udf::VolumeChange change;
  change.remove = names;
  change.when = std::chrono::system_clock::now();
  ASSIGN_OR_RETURN(auto update, udf::plan_update(source, *live, change, caps.ecc_unit_blocks));
  if (!writing_) writing_ = std::make_shared<DiscWriting>();
  if (!writing_->target) writing_->target = std::make_unique<DriveBlockTarget>(*drive_);
  RETURN_IF_ERROR(write_update(update));
  catalog_deleted(names);
  DiscOperationResult result;
  result.files = update.removed;
  result.bytes = bytes;
  result.image_path = image_path();
  refresh_disc_volume();
  result.summary = "deleted " + std::to_string(update.removed) + " file(s), " + std::to_string(bytes) +
                   " bytes; the disc's volume now lists " + std::to_string(update.files) + " recording file(s)";
  publish(EventKind::kDiscSpace, "", result.summary);
  settle(DiscState::kFinalized);
  return result;
}

}  // namespace discrec::recorder
