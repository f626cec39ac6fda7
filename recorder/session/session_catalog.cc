// DriveSession: the catalog's record of each recording on the disc in the
// drive (catalog.h), put as the recording starts and ends, as its disc is
// finalized and verified, and when a restart takes the disc up again. The
// session keeps the last record of each (catalogued_), so each put is the
// whole record, and a catalog that refused one is caught up by the next.
#include <algorithm>

#include "recorder/session/drive_session.h"
#include "recorder/session/drive_session_entry.h"
#include "recorder/udf/volume_builder.h"

namespace discrec::recorder {
namespace {

// What write_file_system() writes as the volume identifier.
std::string volume_identifier(const journal::FinalizeBegin& finalize) {
  return udf::check_volume_label(finalize.volume_label).ok() ? finalize.volume_label : "DISCREC";
}

}  // namespace

void DriveSession::catalog_put(CatalogPart part) {
  if (!catalog_) return;
  // The slot is the pool code's (Recorder::put_catalog_part): kept.
  if (!part.slot) {
    if (auto stored = catalog_->find(part.recording_id, part.part)) part.slot = stored->slot;
  }
  Status put = catalog_->put(part);
  const std::string id = part.drive_recording_id;
  catalogued_[id] = std::move(part);
  if (put.ok()) {
    announced_catalog_failure_.clear();
    return;
  }
  // Said once per reason: a full state directory must not flood the log.
  std::string text = put.error().to_string();
  if (text == announced_catalog_failure_) return;
  publish(EventKind::kDriveError, id,
          "the catalog of recordings and discs was not updated: " + text);
  announced_catalog_failure_ = std::move(text);
}

void DriveSession::catalog_started(const Entry& entry) {
  if (!catalog_) return;
  const std::string disc = disc_name(disc_started_);
  // What an earlier disc left here is no longer this session's to update.
  std::erase_if(catalogued_, [&](const auto& c) { return c.second.disc != disc; });
  CatalogPart part;
  part.recording_id = entry.params.catalog_recording.empty() ? entry.id : entry.params.catalog_recording;
  part.part = std::max<uint32_t>(entry.params.catalog_part, 1);
  if (entry.params.catalog_recording.empty()) {
    // Recording ids are unique on a disc only ("rec001" comes back on the
    // next disc after a restart): a name another disc's part already has in
    // the catalog gets this disc's name, so neither replaces the other.
    auto earlier = catalog_->find(part.recording_id, part.part);
    if (earlier && (earlier->drive_id != spec_.id || earlier->disc != disc || earlier->drive_recording_id != entry.id))
      part.recording_id += "@" + disc;
  }
  part.title = entry.params.title;
  part.pool = entry.params.pool;
  part.drive_id = spec_.id;
  part.drive_recording_id = entry.id;
  part.disc = disc;
  part.start = entry.start_time;
  part.state = CatalogState::kRecording;
  catalog_put(std::move(part));
}

void DriveSession::catalog_ended(const Entry& entry) {
  auto it = catalogued_.find(entry.id);
  if (it == catalogued_.end() || it->second.state != CatalogState::kRecording) return;
  const RecordingInfo info = info_of(entry);
  CatalogPart part = it->second;
  part.state = CatalogState::kEnded;
  part.end = info.end_time.value_or(std::chrono::system_clock::now());
  part.bytes = info.stats.bytes_written;
  part.lost_extents = info.stats.lost_extents;
  part.lost_bytes = info.stats.lost_bytes;
  part.note = info.error;
  catalog_put(std::move(part));
}

void DriveSession::catalog_disc(CatalogState state, const std::string& note, const journal::FinalizeBegin* finalize) {
  std::vector<CatalogPart> parts;
  for (const auto& [id, part] : catalogued_) parts.push_back(part);
  for (CatalogPart& part : parts) {
    part.state = state;
    if (!note.empty()) part.note = note;
    if (finalize && state == CatalogState::kFinalized) {
      part.volume_id = volume_identifier(*finalize);
      part.label = finalize->volume_label;
      // A recording of which nothing reached the disc has no file on it.
      if (disc_path_of(part.drive_recording_id).empty()) {
        part.state = CatalogState::kFailed;
        part.note = "nothing of it reached the disc: the file system has no file for it";
      }
    }
    catalog_put(std::move(part));
  }
}

std::string DriveSession::disc_path_of(const std::string& id) const {
  if (auto it = recordings_.find(id); it != recordings_.end()) return it->second->disc_path;
  for (const auto& info : recovered_)
    if (info.id == id) return info.disc_path;
  return "";
}

void DriveSession::catalog_verified(const Result<DiscOperationResult>& result) {
  // An open disc's read-back says nothing about the finished one; a verify
  // the daemon's stop cut short says nothing at all.
  if (machine_.settled() != DiscState::kFinalized) return;
  if (!result.ok()) {
    if (result.error().code() == ErrorCode::kAborted) return;
    catalog_disc(CatalogState::kFailed, "verify failed: " + result.error().to_string());
    return;
  }
  std::vector<CatalogPart> parts;
  for (const auto& [id, part] : catalogued_) parts.push_back(part);
  for (CatalogPart& part : parts) {
    uint64_t mismatches = 0, blocks = 0;
    for (const auto& m : result->mismatches) {
      if (m.recording_id != part.drive_recording_id) continue;
      ++mismatches;
      blocks += m.block_count;
    }
    part.state = mismatches ? CatalogState::kFailed : CatalogState::kVerified;
    part.note = mismatches ? "verify: " + std::to_string(mismatches) + " range(s), " + std::to_string(blocks) +
                                 " block(s) do not read back as written"
                           : "";
    catalog_put(std::move(part));
  }
}

void DriveSession::catalog_forgotten(WallTime started) {
  if (!catalog_) return;
  const std::string disc = disc_name(started);
  for (CatalogPart& part : catalog_->parts()) {
    if (part.drive_id != spec_.id || part.disc != disc) continue;
    if (part.state != CatalogState::kRecording && part.state != CatalogState::kEnded &&
        part.state != CatalogState::kFinalizing)
      continue;
    part.state = CatalogState::kFailed;
    part.note = "its disc was set aside unfinished (discrecd forget-disc): never finalized, no file system";
    catalog_put(std::move(part));
  }
}

void DriveSession::catalog_recovered(CatalogState state, const journal::FinalizeBegin* finalize) {
  if (!catalog_) return;
  const std::string disc = disc_name(disc_started_);
  catalogued_.clear();
  // This disc's records from before the restart (the catalog's, not the
  // journal's, know the part and pool).
  std::map<std::string, CatalogPart> before;
  for (auto& part : catalog_->parts())
    if (part.drive_id == spec_.id && part.disc == disc) before[part.drive_recording_id] = std::move(part);
  for (const RecordingInfo& info : recovered_) {
    CatalogPart part;
    if (auto it = before.find(info.id); it != before.end()) {
      part = it->second;
    } else {
      part.recording_id = info.id;
      if (auto other = catalog_->find(info.id, 1); other && !(other->drive_id == spec_.id && other->disc == disc))
        part.recording_id += "@" + disc;
      part.drive_id = spec_.id;
      part.drive_recording_id = info.id;
      part.disc = disc;
      part.title = info.title;
      part.start = info.start_time;
    }
    part.end = info.end_time;
    part.bytes = info.stats.bytes_written;
    part.lost_extents = info.stats.lost_extents;
    part.lost_bytes = info.stats.lost_bytes;
    // A disc verified before the restart stays verified.
    if (!(state == CatalogState::kFinalized && part.state == CatalogState::kVerified)) {
      part.state = state;
      part.note = info.error;
    }
    if (finalize && state == CatalogState::kFinalized) {
      part.volume_id = volume_identifier(*finalize);
      part.label = finalize->volume_label;
    }
    catalog_put(std::move(part));
  }
}

void DriveSession::catalog_deleted(const std::vector<std::string>& file_names) {
  if (!catalog_) return;
  // A part is the file's when the name it was written under is among those
  // removed: the start second, the id and the title make it unique across
  // discs (ids repeat from disc to disc; a pool's file carries the pool
  // recording's id). Its parts (".part001.ts") go with it.
  auto removed = [&](const std::string& name) {
    const std::string stem = name.substr(0, name.size() - 3);  // without ".ts"
    return std::any_of(file_names.begin(), file_names.end(), [&](const std::string& f) {
      return f == name || f.starts_with(stem + ".part");
    });
  };
  for (CatalogPart part : catalog_->parts()) {
    if (part.state == CatalogState::kDeleted || part.state == CatalogState::kRecording) continue;
    if (!removed(udf::recording_file_name(part.start, part.drive_recording_id, part.title)) &&
        !removed(udf::recording_file_name(part.start, part.recording_id, part.title)))
      continue;
    part.state = CatalogState::kDeleted;
    part.note = "deleted from the disc in drive " + spec_.id;
    const std::string id = part.drive_recording_id;
    catalog_put(std::move(part));
    // A later finalize or verify of this disc must not bring it back.
    catalogued_.erase(id);
  }
}

}  // namespace discrec::recorder
