// Taking up a disc that a stop or a crash (or power cut) left open, from
// the journal.
//
// At open(), a journal without a "finalized" record means the disc in its
// drive was being recorded (or finalized) when the daemon went away. If the
// same disc is still in the drive, the session re-plans the same layout and
// lists every recording the journal confirmed. Then, by default
// (RecorderOptions::finalize_after_restart unset), the disc stays open: the
// journal is kept and appended to, and the next recording starts a writer
// after everything already on the disc, so a restart (an upgrade, a config
// change) does not end the disc. Otherwise, and always for a finalize the
// stop interrupted, it writes the file system for every confirmed extent
// (identical bytes if a finalize was interrupted: it resumes where the
// drive stopped), closes the disc and reports what was recovered. A
// different or missing disc keeps the journal and blocks recording until
// the disc comes back or a person discards the journal
// (`discrecd forget-disc`), then `load`.
#include <algorithm>
#include <chrono>
#include <filesystem>

#include "recorder/journal/journal_format.h"
#include "recorder/session/crc32c.h"
#include "recorder/session/drive_session.h"
#include "recorder/session/drive_session_entry.h"

namespace discrec::recorder {
namespace {

WallTime wall(int64_t unix_ns) {
  return WallTime(std::chrono::duration_cast<WallTime::duration>(std::chrono::nanoseconds(unix_ns)));
}

// (LBA, CRC) of every unit the journal has a checksum for, by LBA; a unit
// logged twice has the later one.
std::vector<std::pair<uint32_t, uint32_t>> sorted_unit_crcs(const journal::UnitCrcLog& log) {
  std::vector<std::pair<uint32_t, uint32_t>> crcs;
  crcs.reserve(log.size());
  for (const auto& run : log.runs())
    for (size_t i = 0; i < run.crcs.size(); ++i)
      crcs.emplace_back(run.first_lba + static_cast<uint32_t>(i) * run.unit_blocks, run.crcs[i]);
  std::stable_sort(crcs.begin(), crcs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  // Of equal LBAs the last logged is last: keep it.
  size_t kept = 0;
  for (size_t i = 0; i < crcs.size(); ++i) {
    if (i + 1 < crcs.size() && crcs[i + 1].first == crcs[i].first) continue;
    crcs[kept++] = crcs[i];
  }
  crcs.resize(kept);
  return crcs;
}

}  // namespace

Result<std::optional<uint32_t>> DriveSession::crc_for_verify(uint32_t lba) const {
  if (writing_ && writing_->checksums) {
    if (auto crc = writing_->checksums->crc_of(lba)) return std::optional<uint32_t>(*crc);
  }
  auto it = std::lower_bound(recovered_crcs_.begin(), recovered_crcs_.end(), std::make_pair(lba, uint32_t{0}));
  if (it != recovered_crcs_.end() && it->first == lba) return std::optional<uint32_t>(it->second);
  return std::optional<uint32_t>();
}

uint64_t DriveSession::take_up_recordings(const journal::JournalState& state, uint32_t* data_end) {
  const uint32_t block_size = state.disc->block_size;
  recovered_files_.clear();
  recovered_.clear();
  uint64_t recovered_bytes = 0;
  for (const auto& [writer_id, rec] : state.recordings) {
    DiscFile f;
    f.id = rec.begin.id;
    f.title = rec.begin.title;
    f.start = wall(rec.begin.start_unix_ns);
    f.extents.recording_id = writer_id;
    int64_t last_arrival = 0;
    for (const auto& e : rec.recorded) {
      recovered_bytes += e.length;
      *data_end = std::max(*data_end, e.lba + e.blocks);
      last_arrival = std::max<int64_t>(last_arrival, e.time_end.time_since_epoch().count());
    }
    for (const auto& e : rec.lost) *data_end = std::max(*data_end, e.lba + e.blocks);
    f.end = rec.end ? wall(rec.end->end_unix_ns) : f.start;
    if (!rec.end && !rec.recorded.empty()) {
      // No end record: the recording was cut by the crash. Its end is the
      // arrival of the last confirmed byte, measured from its first.
      auto span = rec.recorded.back().time_end - rec.recorded.front().time_begin;
      f.end = f.start + std::chrono::duration_cast<WallTime::duration>(span);
    }
    RecordingInfo info;
    info.drive_id = spec_.id;
    info.id = f.id;
    info.title = f.title;
    info.source_url = ingest::redact_source_url(rec.begin.source_url);  // journals from before the policy
    info.priority = rec.begin.priority;
    info.state = RecordingState::kRecovered;
    info.start_time = f.start;
    info.end_time = f.end;
    // An extent's length counts its padding's whole null packets, not the
    // part of a packet that rounds it to the unit (see complete_command()).
    for (const auto& e : rec.recorded)
      info.stats.bytes_written += e.length + e.padding_bytes % kTsPacketSize - e.padding_bytes;
    info.stats.bytes_in = info.stats.bytes_written;
    info.stats.lost_extents = rec.lost.size();
    for (const auto& l : rec.lost) {
      info.lost_extents.push_back({l.lba, l.blocks, l.file_offset, uint64_t{l.blocks} * block_size, l.message});
      info.stats.lost_bytes += uint64_t{l.blocks} * block_size;
    }
    // The writer's sheds and what the full ring turned away; arrival times
    // are not comparable across the restart.
    info.shed_ranges = shed_range_infos(rec.shed, rec.overflows, TimePoint{});
    for (const auto& sh : info.shed_ranges) {
      info.stats.shed_bytes += sh.byte_count;
      info.stats.shed_gops += sh.gop_count;
    }
    // Listed as a running recording's are: the most recent (counted in full above).
    ExtentJournal::keep_listed(info.lost_extents);
    ExtentJournal::keep_listed(info.shed_ranges);
    info.error = rec.end ? rec.end->error
                         : "recovered after a crash: recorded up to the last confirmed extent";
    recovered_.push_back(std::move(info));
    recovered_files_.push_back(std::move(f));
    next_recording_number_++;
  }
  return recovered_bytes;
}

void DriveSession::take_up_finalized_disc() {
  auto state = journal::load_journal(journal_path() + ".done");
  if (state.ok() && !state->finalized && state->disc) catalog_forgotten(wall(state->disc->started_unix_ns));
  if (!state.ok() || !state->finalized || !state->disc || state->unit_crcs.size() == 0) return;
  const auto& disc = *state->disc;
  if (!caps_ || !caps_->medium_present || caps_->current_profile != disc.profile) return;
  auto crcs = sorted_unit_crcs(state->unit_crcs);
  if (!check_same_disc(crcs.front().first, crcs.front().second, disc.unit_blocks, disc.block_size).ok()) return;
  uint32_t data_end = disc.data_start;
  (void)take_up_recordings(*state, &data_end);
  recovered_crcs_ = std::move(crcs);
  disc_journal_path_ = journal_path() + ".done";
  disc_started_ = wall(disc.started_unix_ns);
  catalog_recovered(CatalogState::kFinalized, state->finalize ? &*state->finalize : nullptr);
}

std::string DriveSession::journal_path() const { return options_.state_directory + "/journal-" + spec_.id + ".bin"; }

void DriveSession::recover() {
  (void)commands_.post([this] {
    on_commands_.assert_on();
    // Without a journal (open, or retired by a finalize) there is nothing to
    // take up: the drive is never "busy recovering", so a record that comes
    // in as the daemon starts is not refused for nothing.
    std::error_code ec, ec_done;
    if (!drive_ || (!std::filesystem::exists(journal_path(), ec) && !ec &&
                    !std::filesystem::exists(journal_path() + ".done", ec_done) && !ec_done))
      return;
    auto previous = begin_request(DiscRequest::kRecover);
    if (!previous.ok()) return;
    settle(recover_now(machine_.settled()));
    end_request(std::move(*previous));
  });
}

// Returns the state the disc is in now; `otherwise` if there was nothing
// to take up.
DiscState DriveSession::recover_now(DiscState otherwise) {
  auto state = journal::load_journal(journal_path());
  if (!state.ok()) {
    if (state.error().code() == ErrorCode::kNotFound) {
      take_up_finalized_disc();
      return otherwise;
    }
    blocked_reason_ = "the crash journal cannot be read (" + state.error().to_string() +
                      "); it is kept for inspection; run `discrecd forget-disc` to discard it";
    publish(EventKind::kRecovery, "", blocked_reason_);
    return DiscState::kBlocked;
  }
  if (state->finalized || !state->disc) {
    (void)journal::retire_journal(journal_path());
    return otherwise;
  }
  auto recovered = recover_from(*state);
  if (!recovered.ok()) {
    blocked_reason_ = "an unfinished disc from before a restart could not be recovered: " +
                      recovered.error().to_string() +
                      ". The journal is kept: insert that disc and restart, or run `discrecd forget-disc`";
    publish(EventKind::kRecovery, "", blocked_reason_);
    return DiscState::kBlocked;
  }
  publish(EventKind::kRecovery, "", *recovered);
  return continue_lba_ ? DiscState::kOpen : DiscState::kFinalized;
}

Status DriveSession::check_same_disc(uint32_t lba, uint32_t crc, uint32_t unit_blocks, uint32_t block_size) {
  std::vector<uint8_t> unit(size_t{unit_blocks} * block_size);
  // A blank or shorter disc refuses the read (5/21/00, LBA out of range):
  // that too means another disc, and is said so.
  if (Status read = drive_->read12(lba, unit, /*streaming=*/false); !read.ok())
    return Error(ErrorCode::kFailedPrecondition, "the disc in drive " + spec_.id +
                                                     " is not the one the journal describes: reading LBA " +
                                                     std::to_string(lba) + " failed (" + read.error().to_string() +
                                                     ")");
  if (crc32c(unit) != crc)
    return Error(ErrorCode::kFailedPrecondition, "the disc in drive " + spec_.id +
                                                     " is not the one the journal describes (LBA " +
                                                     std::to_string(lba) + " differs)");
  return {};
}

uint32_t DriveSession::next_data_lba(bool sequential, uint32_t data_end) {
  if (sequential) {
    // Data the drive accepted after the last journal sync lies before its
    // next writable address; a write-once disc takes nothing anywhere else.
    auto nwa = drive_->next_writable_address_at(layout_->data_start);
    if (nwa.ok() && *nwa) return std::max(data_end, **nwa);
    return data_end;
  }
  // Random access: whole units from the data start, as the writer lays them.
  const uint32_t unit = std::max<uint32_t>(layout_->write_unit_sectors, 1);
  const uint32_t from_start = data_end > layout_->data_start ? data_end - layout_->data_start : 0;
  return layout_->data_start + (from_start + unit - 1) / unit * unit;
}

Result<std::string> DriveSession::recover_from(const journal::JournalState& state) {
  const auto& disc = *state.disc;
  if (!caps_ || !caps_->medium_present)
    return Error(ErrorCode::kFailedPrecondition, "no disc in drive " + spec_.id + " (the journal expects a " +
                                                     device::profile_name(disc.profile) + ")");
  if (caps_->current_profile != disc.profile)
    return Error(ErrorCode::kFailedPrecondition, "drive " + spec_.id + " holds a " +
                                                     caps_->medium_name() +
                                                     ", the journal's disc is a " + device::profile_name(disc.profile));
  // The same disc: the first confirmed unit reads back with its checksum.
  const uint32_t block_size = disc.block_size;
  auto crcs = sorted_unit_crcs(state.unit_crcs);
  if (!crcs.empty()) {
    auto [lba, crc] = crcs.front();
    RETURN_IF_ERROR(check_same_disc(lba, crc, disc.unit_blocks, block_size));
  }
  udf::LayoutRequest request;
  request.kind = disc.sequential ? udf::MediaKind::kSequentialWriteOnce : udf::MediaKind::kRandomAccess;
  request.capacity_sectors = disc.capacity_sectors;
  request.write_unit_sectors = disc.unit_blocks;
  ASSIGN_OR_RETURN(auto layout, udf::plan_layout(request));
  // The disc keeps the metadata area it was prepared with, even when this
  // version plans another (an upgrade with a disc open): finalize then builds
  // into that area or says it does not fit.
  const uint32_t unit = disc.unit_blocks;
  if (disc.data_start <= udf::kPartitionStart || disc.data_start % unit != 0 || disc.data_limit % unit != 0 ||
      disc.data_limit <= disc.data_start || disc.data_limit > disc.capacity_sectors)
    return Error(ErrorCode::kMalformedResponse, "the journal's layout (data " + std::to_string(disc.data_start) +
                                                    ".." + std::to_string(disc.data_limit) + " of " +
                                                    std::to_string(disc.capacity_sectors) + " sectors) is impossible");
  layout.data_start = disc.data_start;
  layout.data_limit = disc.data_limit;
  if (state.append && state.append->session_start != 0) {  // a later session of a write-once disc
    layout.session_start = state.append->session_start;
    layout.partition_start = state.append->partition_start;
  }

  ASSIGN_OR_RETURN(journal_, DiscJournal::reopen(journal_path(), state.valid_bytes, options_.journal_interval));
  disc_journal_path_ = journal_path();
  layout_ = layout;
  appending_ = state.append;  // the disc held a volume: finalize updates it
  disc_started_ = wall(disc.started_unix_ns);
  writing_ = std::make_shared<DiscWriting>();  // finalize writes through its target
  writing_->target = std::make_unique<DriveBlockTarget>(*drive_);

  // What the journal confirmed becomes the files (their extents stay in
  // the journal); recording ids continue.
  uint32_t data_end = layout.data_start;
  const uint64_t recovered_bytes = take_up_recordings(state, &data_end);
  recovered_crcs_ = std::move(crcs);
  // An interrupted finalize is completed whatever the policy: the disc is
  // part-closed already.
  if (!state.finalize && !options_.finalize_after_restart)
    return continue_disc(state, data_end, recovered_bytes);

  // An interrupted finalize is replayed with its own parameters, so the
  // sectors it already wrote are the same ones.
  journal::FinalizeBegin finalize;
  bool resume = state.finalize.has_value();
  if (resume) {
    finalize = *state.finalize;
  } else {
    finalize.volume_label = "DISCREC";
    finalize.finalized_unix_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::system_clock::now().time_since_epoch()).count();
    finalize.close_disc = true;
    finalize.zero_fill_lost_extents = options_.zero_fill_lost_extents;
    // Sequential media: the closing unit goes where the drive will write
    // next (data it accepted after the last journal sync lies before it).
    finalize.data_end = disc.sequential ? next_data_lba(true, data_end) : data_end;
    RETURN_IF_ERROR(journal_->append({journal::encode(finalize)}));
  }
  // Resuming also guards a fresh recovery on sequential media: the drive
  // may already hold part of the metadata from an earlier attempt.
  ASSIGN_OR_RETURN(auto result, write_file_system(disc_files_from(state), finalize, /*resume=*/true,
                                                         [](const DiscProgress&) {}));
  (void)journal_->append({journal::encode_finalized(finalize.finalized_unix_ns)});
  journal_.reset();
  RETURN_IF_ERROR(journal::retire_journal(journal_path()));
  disc_journal_path_ = journal_path() + ".done";  // verify reads the extents there
  appending_.reset();
  catalog_recovered(CatalogState::kFinalized, &finalize);
  if (auto caps = probe(); caps.ok()) caps_ = *caps;
  refresh_disc_volume();
  std::string summary = "recovered " + std::to_string(recovered_.size()) + " recording(s), " +
                        std::to_string(recovered_bytes) + " bytes confirmed before the crash, and finalized the disc (" +
                        result.summary + ")";
  if (state.torn_tail) summary += "; the journal's torn tail was dropped (" + state.tail_problem + ")";
  return summary;
}

Result<std::string> DriveSession::continue_disc(const journal::JournalState& state, uint32_t data_end,
                                                       uint64_t recovered_bytes) {
  const auto& disc = *state.disc;
  // A recording the crash cut off gets the end it is listed with now, so a
  // later restart (or a crash of the continued disc) shows the same.
  std::vector<std::vector<uint8_t>> ends;
  RecordingId last_writer_id = 0;
  size_t i = 0;
  for (const auto& [writer_id, rec] : state.recordings) {
    last_writer_id = std::max(last_writer_id, writer_id);
    const DiscFile& f = recovered_files_[i];
    const RecordingInfo& info = recovered_[i];
    ++i;
    if (rec.end) continue;
    journal::RecordingEnd end;
    end.writer_id = writer_id;
    end.end_unix_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(f.end.time_since_epoch()).count();
    end.error = info.error;
    ends.push_back(journal::encode(end));
  }
  if (!ends.empty()) RETURN_IF_ERROR(journal_->append(ends));
  continue_writer_id_ = last_writer_id + 1;
  continue_lba_ = next_data_lba(disc.sequential, data_end);
  catalog_recovered(CatalogState::kEnded, nullptr);
  std::string summary = "kept the disc open after the restart: " + std::to_string(recovered_.size()) +
                        " recording(s), " + std::to_string(recovered_bytes) +
                        " bytes confirmed; new recordings go onto it from LBA " + std::to_string(*continue_lba_) +
                        "; finalize it when it is done";
  if (state.torn_tail) summary += "; the journal's torn tail was dropped (" + state.tail_problem + ")";
  return summary;
}

Status DriveSession::continue_writing() {
  ASSIGN_OR_RETURN(auto prepared, prepare_to_write(/*format_if_needed=*/false));
  const auto& caps = prepared.capabilities;
  if (caps.ecc_unit_blocks != layout_->write_unit_sectors)
    return Error(ErrorCode::kFailedPrecondition,
                 "the disc in drive " + spec_.id + " is not the one the journal describes: its write unit is " +
                     std::to_string(caps.ecc_unit_blocks) + " blocks, the journal's " +
                     std::to_string(layout_->write_unit_sectors));
  // A tray can be opened by hand while the daemon runs: the disc is checked
  // again before anything is written onto it.
  if (!recovered_crcs_.empty()) {
    const auto& [lba, crc] = recovered_crcs_.front();
    RETURN_IF_ERROR(check_same_disc(lba, crc, caps.ecc_unit_blocks, caps.block_size));
  }
  // Read again: on sequential media the drive, not the journal, knows where
  // it can write.
  const bool sequential = layout_->kind == udf::MediaKind::kSequentialWriteOnce;
  const uint32_t start = sequential ? next_data_lba(true, *continue_lba_) : *continue_lba_;

  WriterOptions wopts = session_writer_options(prepared, start, layout_->data_limit);
  wopts.first_recording_id = continue_writer_id_;
  if (!journal_)
    return Error(ErrorCode::kFailedPrecondition,
                 "the crash journal of the disc in drive " + spec_.id + " is no longer open");
  auto writing = std::make_shared<DiscWriting>();
  writing->target = writing_ && writing_->target ? std::move(writing_->target)
                                                 : std::make_unique<DriveBlockTarget>(*drive_);
  writing->target->set_streaming(prepared.mode.streaming);
  writing->write_mode = WriteModeInfo{prepared.write_mode, prepared.mode};
  // Units before `start` were checksummed by the writer before the restart
  // (recovered_crcs_); this table covers the new writer's.
  writing->checksums = std::make_unique<ChecksumTarget>(*writing->target, start, layout_->data_limit,
                                                        caps.ecc_unit_blocks, caps.block_size);
  writing->writer = std::make_unique<StreamingWriter>(*writing->checksums, clock_, wopts);
  writing->extents = std::make_unique<ExtentJournal>(*writing->checksums);
  (void)journal_->take_failure();
  RETURN_IF_ERROR(writing->writer->start());
  writing_ = std::move(writing);
  writer_started();
  journal_->start(writing_);
  continue_lba_.reset();
  return {};
}

}  // namespace discrec::recorder
