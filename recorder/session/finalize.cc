// DriveSession: finalize (the UDF file system, closing the disc) and the
// files a disc's recordings become, replayed from its journal.
#include <algorithm>
#include <chrono>

#include "device/sim/sim_options.h"
#include "recorder/journal/journal_format.h"
#include "recorder/session/disc_file.h"
#include "recorder/session/drive_session.h"
#include "recorder/session/drive_session_entry.h"
#include "recorder/udf/volume_builder.h"

namespace discrec::recorder {
namespace {

constexpr uint32_t kMetadataWriteSectors = 32;  // 64 KiB per reliable WRITE(12)

}  // namespace

size_t lost_on_disc(const RecordingExtents& extents) {
  return static_cast<size_t>(
      std::count_if(extents.lost.begin(), extents.lost.end(), [](const LostExtent& l) { return l.blocks > 0; }));
}

std::string DriveSession::image_path() const {
  // The emulated drive's disc is a plain image file that ordinary tools open.
  // (sim:///C:/dir/disc.img is C:/dir/disc.img: the sim's own parser says so.)
  if (spec_.uri.rfind("sim://", 0) != 0) return "";
  auto options = device::sim::parse_sim_uri(spec_.uri);
  return options.ok() ? options->image_path : "";
}

Result<std::vector<DriveSession::DiscFile>> DriveSession::disc_files() {
  if (disc_journal_path_.empty())
    return Error(ErrorCode::kFailedPrecondition, "the disc in drive " + spec_.id + " has no journal to read its extents from");
  auto state = journal::load_journal(disc_journal_path_);
  if (!state.ok()) return std::move(state).error().with_context("reading the disc's extents from its journal");
  return disc_files_from(std::move(state).value());
}

std::vector<DriveSession::DiscFile> DriveSession::disc_files_from(journal::JournalState state) {
  // The recordings recovered from before a restart, then this session's,
  // each with the extents the journal confirmed.
  std::vector<DiscFile> files;
  auto take_extents = [&](DiscFile& f) {
    auto it = state.recordings.find(f.extents.recording_id);
    if (it == state.recordings.end()) return false;  // its begin could not be journaled: nothing recorded
    f.extents.recorded = std::move(it->second.recorded);
    f.extents.lost = std::move(it->second.lost);
    f.extents.shed = std::move(it->second.shed);
    return true;
  };
  for (const DiscFile& recovered : recovered_files_) {
    DiscFile f = recovered;
    if (take_extents(f)) files.push_back(std::move(f));
  }
  for (auto& [id, entry] : recordings_) {
    DiscFile f;
    f.id = id;
    f.title = entry->params.title;
    f.start = entry->start_time;
    {
      std::lock_guard end_lock(entry->end->mutex);
      f.end = entry->end->time.value_or(std::chrono::system_clock::now());
    }
    f.extents.recording_id = entry->recording->id();
    if (take_extents(f)) files.push_back(std::move(f));
  }
  return files;
}

Result<DiscOperationResult> DriveSession::finalize(const FinalizeParams& params, const ProgressCallback& progress,
                                                   CallDeadline deadline) {
  if (!params.volume_label.empty()) RETURN_IF_ERROR(udf::check_volume_label(params.volume_label));
  return run<DiscOperationResult>(DiscRequest::kFinalize, "finalize the disc", deadline,
                                  [this, params](const ProgressCallback& report) -> Result<DiscOperationResult> {
    on_commands_.assert_on();
    auto result = finalize_now(params, report);
    // Once its begin is journaled, a finalize that failed is completed by
    // running it again (with the same parameters): the disc takes nothing else.
    if (!result.ok() && finalize_begun_) {
      settle(DiscState::kFinalizeIncomplete);
      catalog_disc(CatalogState::kFailed, "finalize did not complete (" + result.error().to_string() +
                                              "); finalizing the disc again completes it");
    }
    return result;
  }, progress);
}

Result<DiscOperationResult> DriveSession::finalize_now(const FinalizeParams& params, const ProgressCallback& progress) {
  RETURN_IF_ERROR(require_drive());
  if (recordings_.empty() && recovered_files_.empty())
    return Error(ErrorCode::kFailedPrecondition, "nothing has been recorded on the disc in drive " + spec_.id);
  if (!params.force) {
    std::vector<std::string> live;
    for (auto& [id, entry] : recordings_)
      if (!entry->ended()) live.push_back(id);
    if (!live.empty()) {
      std::string names;
      for (const auto& id : live) names += (names.empty() ? "" : ", ") + id;
      return Error(ErrorCode::kFailedPrecondition, "drive " + spec_.id + " is recording (" + names +
                                                       "); stop those recordings first, or finalize with force");
    }
  }
  progress({0.0, "stopping recordings"});
  stop_recordings(std::chrono::seconds(60));
  if (writing_ && writing_->writer) writing_->writer->stop();
  publish_snapshot();  // readers see the recordings stopped
  progress({0.1, "flushing the drive cache"});
  if (!journal_)
    return Error(ErrorCode::kFailedPrecondition, "the crash journal of the disc in drive " + spec_.id + " is not open");
  journal_->stop();
  RETURN_IF_ERROR(journal_->sync());  // flushes the drive and logs the last extents
  for (auto& [id, entry] : recordings_) journal_recording_end(*entry);

  // A finalize that failed part-way (a write error in the file system) is
  // retried with the same parameters, so the sectors already on a write-once
  // disc are the ones it would write again, and it resumes after them.
  bool resume = finalize_begun_.has_value();
  if (!resume) {
    journal::FinalizeBegin begin;
    begin.volume_label = params.volume_label.empty() ? "DISCREC" : params.volume_label;
    begin.finalized_unix_ns = unix_ns(std::chrono::system_clock::now());
    begin.data_end = writing_ && writing_->writer ? writing_->writer->stats().next_lba : *continue_lba_;
    finalize_extra_.clear();
    if (!params.extra_files.empty() && writing_) {
      // Before the begin is journaled: a crash from here on resumes the
      // finalize without them, and their sectors lie unlisted in the data.
      auto after = write_extra_files(params.extra_files, begin.data_end);
      if (after.ok()) begin.data_end = *after;
      else finalize_extra_.clear();  // the volume goes without them
    }
    begin.close_disc = params.close_disc;
    begin.zero_fill_lost_extents = params.zero_fill_lost_extents.value_or(options_.zero_fill_lost_extents);
    RETURN_IF_ERROR(journal_->append({journal::encode(begin)}));
    finalize_begun_ = begin;
  }
  const journal::FinalizeBegin finalize = *finalize_begun_;
  catalog_disc(CatalogState::kFinalizing, "");
  ASSIGN_OR_RETURN(auto files, disc_files());
  ASSIGN_OR_RETURN(auto result, write_file_system(files, finalize, resume, progress));
  files = {};
  continue_lba_.reset();
  (void)journal_->append({journal::encode_finalized(finalize.finalized_unix_ns)});
  journal_.reset();
  if (Status retired = journal::retire_journal(journal_path()); !retired.ok())
    result.summary += "; " + retired.error().to_string();
  else
    disc_journal_path_ = journal_path() + ".done";  // verify reads the extents there
  finalize_begun_.reset();
  appending_.reset();
  settle(DiscState::kFinalized);
  refresh_disc_volume();  // a rewritable disc stays a library: what it holds and has free
  catalog_disc(CatalogState::kFinalized, "", &finalize);
  (void)probe();  // the drive's word on the closed disc, for reads
  publish(EventKind::kDiscFinalized, "", result.summary);
  if (params.eject) {
    auto ejected = drive_->start_stop_unit(true, false);
    if (!ejected.ok()) result.summary += "; eject failed: " + ejected.error().to_string();
  }
  progress({1.0, "done"});
  return result;
}

Result<uint32_t> DriveSession::write_extra_files(const std::vector<ExtraDiscFile>& files, uint32_t lba) {
  const uint32_t block_size = caps_ ? caps_->block_size : 2048;
  const uint32_t unit = caps_ ? std::max<uint32_t>(caps_->ecc_unit_blocks, 1) : 16;
  for (const auto& f : files) {
    const uint32_t sectors = static_cast<uint32_t>((f.bytes.size() + block_size - 1) / block_size);
    const uint32_t padded = std::max<uint32_t>((sectors + unit - 1) / unit * unit, unit);
    if (!layout_ || lba + padded > layout_->data_limit)
      return Error(ErrorCode::kResourceExhausted, "no room on the disc for " + f.name);
    std::vector<uint8_t> bytes(size_t{padded} * block_size, 0);
    std::copy(f.bytes.begin(), f.bytes.end(), bytes.begin());
    RETURN_IF_ERROR(write_reliable(*writing_->target, clock_, lba, bytes));
    udf::FileSpec spec;
    spec.name = f.name;
    spec.size = f.bytes.size();
    spec.created = spec.modified = std::chrono::system_clock::now();
    if (sectors > 0) spec.extents.push_back({lba, sectors, true});
    finalize_extra_.push_back(std::move(spec));
    lba += padded;
  }
  return lba;
}

// Writes one run of file-system sectors with the reliable policy. When
// resuming a finalize a crash interrupted, sequential media already hold a
// prefix of the (identical) sectors: skip what is below the track's next
// writable address.
Status DriveSession::write_metadata(uint32_t lba, std::span<const uint8_t> bytes, bool resume) {
  const uint32_t block_size = caps_ ? caps_->block_size : 2048;
  uint32_t blocks = static_cast<uint32_t>(bytes.size() / block_size);
  if (resume && caps_->sequential()) {
    auto nwa = drive_->next_writable_address_at(lba);
    if (nwa.ok()) {
      if (!*nwa || **nwa >= lba + blocks) return {};  // already there
      if (**nwa > lba) {
        const uint32_t skip = **nwa - lba;
        bytes = bytes.subspan(size_t{skip} * block_size);
        lba += skip;
      }
    }
  }
  return write_reliable(*writing_->target, clock_, lba, bytes);
}

Status DriveSession::write_sector_runs(const std::vector<udf::SectorWrite>& writes, bool resume,
                                      const std::function<void(double)>& written) {
  const uint32_t block_size = caps_ ? caps_->block_size : 2048;
  uint64_t total = 0, done = 0;
  for (const auto& w : writes) total += w.bytes.size();
  for (const auto& w : writes) {
    for (size_t off = 0; off < w.bytes.size(); off += size_t{kMetadataWriteSectors} * block_size) {
      const size_t n = std::min<size_t>(w.bytes.size() - off, size_t{kMetadataWriteSectors} * block_size);
      RETURN_IF_ERROR(write_metadata(w.lba + static_cast<uint32_t>(off / block_size),
                                     std::span(w.bytes).subspan(off, n), resume));
      done += n;
      if (written) written(static_cast<double>(done) / static_cast<double>(std::max<uint64_t>(total, 1)));
    }
  }
  return drive_->synchronize_cache();
}

Result<DiscOperationResult> DriveSession::write_file_system(const std::vector<DiscFile>& files,
                                                                   const journal::FinalizeBegin& finalize, bool resume,
                                                                   const ProgressCallback& progress) {
  const auto& layout = *layout_;
  const uint32_t block_size = caps_ ? caps_->block_size : 2048;
  udf::VolumeSpec volume;
  // Labels are checked before they reach the journal; one that a journal of
  // an older daemon carries unchecked must not make the disc unfinishable.
  volume.label = udf::check_volume_label(finalize.volume_label).ok() ? finalize.volume_label : "DISCREC";
  volume.created = disc_started_;
  volume.finalized = WallTime(std::chrono::duration_cast<WallTime::duration>(Nanos(finalize.finalized_unix_ns)));
  volume.data_end = finalize.data_end;
  volume.lost_extents = finalize.zero_fill_lost_extents ? udf::LostExtentEncoding::kZeroFilled
                                                        : udf::LostExtentEncoding::kAllocatedNotRecorded;
  DiscOperationResult result;
  for (const auto& f : files) {
    if (f.extents.recorded.empty() && f.extents.lost.empty()) continue;
    // File times are wall-clock: what a person sees when listing the disc.
    std::string name = udf::recording_file_name(f.start, f.id, f.title);
    auto file = disc_file_for(f.extents, name, f.start, f.end, block_size);
    result.bytes += file.size;
    result.lost_extents += lost_on_disc(f.extents);
    std::vector<std::string> parts;
    for (const auto& part : udf::file_part_names(file, volume))
      parts.push_back("/" + std::string(udf::kRecordingDirectory) + "/" + part);
    const std::string disc_path = parts.front();
    if (parts.size() == 1) parts.clear();
    if (auto it = recordings_.find(f.id); it != recordings_.end()) {
      it->second->disc_path = disc_path;
      it->second->disc_parts = parts;
    }
    for (auto& r : recovered_) {
      if (r.id != f.id) continue;
      r.disc_path = disc_path;
      r.disc_parts = parts;
    }
    volume.files.push_back(std::move(file));
  }
  result.files = static_cast<uint32_t>(volume.files.size());
  if (!resume)
    for (const auto& extra : finalize_extra_) volume.files.push_back(extra);

  if (appending_ && appending_->session_start != 0) {
    // A new session: its volume lists the earlier sessions' recordings first,
    // under the disc's first label and volume set.
    ASSIGN_OR_RETURN(udf::VolumeSpec earlier, earlier_sessions());
    volume.label = earlier.label;
    volume.volume_set = earlier.volume_set;
    volume.created = earlier.created;
    volume.files.insert(volume.files.begin(), earlier.files.begin(), earlier.files.end());
  } else if (appending_) {
    RETURN_IF_ERROR(update_file_system(volume, progress));
    result.image_path = image_path();
    result.summary = std::to_string(result.files) + " recording(s) added, " + std::to_string(result.bytes) +
                     " bytes, to the UDF volume \"" + appending_->volume_label + "\"" +
                     (result.lost_extents ? ", " + std::to_string(result.lost_extents) + " lost extent(s) marked unrecorded"
                                          : "");
    return result;
  }
  if (!resume && !caps_->sequential()) {
    // A rewritable disc the journal calls blank must not hold a volume: a
    // fresh one written over it would lose what it lists.
    if (auto found = read_disc_volume(); found.ok())
      return Error(ErrorCode::kFailedPrecondition,
                   "the disc in drive " + spec_.id + " holds the UDF volume \"" + found->label +
                       "\" that its journal does not know of; not writing a new volume over it");
  }
  progress({0.2, "writing the UDF file system"});
  ASSIGN_OR_RETURN(auto writes, udf::build_volume(layout, volume));
  RETURN_IF_ERROR(write_sector_runs(writes, resume, [&](double written) {
    progress({0.2 + 0.6 * written, "writing the UDF file system"});
  }));

  if (caps_->sequential()) {
    progress({0.85, "closing the disc"});
    RETURN_IF_ERROR(drive_->close_for_finalize(*caps_, finalize.close_disc));
  }
  result.image_path = image_path();
  result.summary = std::to_string(result.files) + " recording(s), " + std::to_string(result.bytes) +
                   " bytes, UDF 2.01" + (result.lost_extents ? ", " + std::to_string(result.lost_extents) +
                                                                   " lost extent(s) marked unrecorded"
                                                             : "");
  return result;
}

}  // namespace discrec::recorder
