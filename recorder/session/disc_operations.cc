// DriveSession's snapshots, events, finalize and verify.
#include <algorithm>
#include <chrono>

#include "device/mmc/types.h"
#include "recorder/session/crc32c.h"
#include "recorder/session/disc_file.h"
#include "recorder/session/drive_session.h"
#include "recorder/session/drive_session_entry.h"
#include "recorder/udf/drive_sector_source.h"
#include "recorder/journal/journal_format.h"
#include "recorder/udf/volume_builder.h"
#include "recorder/udf/volume_reader.h"

namespace discrec::recorder {
namespace {

constexpr uint32_t kMetadataWriteSectors = 32;  // 64 KiB per reliable WRITE(12)
constexpr uint32_t kVerifyReadUnits = 16;       // units per READ(12) when verifying

std::string sense_text(const LostExtent& lost) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%X/%02X/%02X ", lost.sense.key, lost.sense.asc, lost.sense.ascq);
  return buf + lost.message;
}

// Lost extents that take blocks on the disc. One with none (input the drive
// never took: a timed-out write, what was buffered when the writer gave up)
// is counted in the recording's statistics, but it is neither in the file
// nor on the disc, so finalize and verify do not report it.
size_t lost_on_disc(const RecordingExtents& extents) {
  return static_cast<size_t>(
      std::count_if(extents.lost.begin(), extents.lost.end(), [](const LostExtent& l) { return l.blocks > 0; }));
}

}  // namespace

std::string DriveSession::image_path() const {
  // The emulated drive's disc is a plain image file that ordinary tools open.
  if (spec_.uri.rfind("sim://", 0) != 0) return "";
  std::string path = spec_.uri.substr(6);
  return path.substr(0, path.find('?'));
}

std::vector<ShedRangeInfo> shed_range_infos(const std::vector<ShedRange>& shed,
                                            const std::vector<OverflowRange>& overflows, TimePoint origin) {
  auto since = [&](TimePoint t) { return origin == TimePoint{} ? Nanos(0) : t - origin; };
  std::vector<ShedRangeInfo> out;
  for (const auto& sh : shed)
    out.push_back(
        {sh.input_begin, sh.input_end - sh.input_begin, 1, since(sh.time_begin), sh.time_end - sh.time_begin});
  for (const auto& o : overflows)
    out.push_back({o.input_position, o.bytes, o.gops, since(o.time_begin), o.time_end - o.time_begin});
  // In stream order: a GOP's head shed and the overflow that cut it arrive
  // within microseconds of each other.
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.byte_offset < b.byte_offset; });
  return out;
}

RecordingInfo DriveSession::snapshot(Entry& entry) {
  RecordingInfo info;
  info.drive_id = spec_.id;
  info.id = entry.id;
  info.title = entry.params.title;
  info.source_url = entry.params.source_url;
  info.priority = entry.params.priority;
  info.expected_bitrate_bps = entry.params.expected_bitrate_bps;
  info.latency_budget = entry.params.latency_budget;
  info.start_time = entry.start_time;
  info.disc_path = entry.disc_path;
  info.disc_parts = entry.disc_parts;
  {
    std::lock_guard lock(entry.mutex);
    info.end_time = entry.end_time;
    info.error = entry.error;
  }
  RecordingStats s = entry.recording->stats();
  info.stats.bytes_in = s.bytes_in;
  info.stats.bytes_written = s.bytes_written;
  info.stats.ring_capacity_bytes = s.ring_capacity;
  info.stats.ring_fill_bytes = s.ring_fill;
  info.stats.ring_high_water_bytes = s.ring_high_water;
  info.stats.min_deadline_slack = Nanos(s.slack_min_ns);
  info.stats.p99_deadline_slack = Nanos(s.slack_p99_ns);
  info.stats.missed_deadlines = s.missed_deadlines;
  info.stats.shed_gops = s.shed_gops;
  info.stats.shed_bytes = s.shed_bytes + s.overflow_bytes;
  info.stats.lost_bytes = s.lost_bytes;
  // A file or an upload is read as fast as the drive takes it (it waits, it
  // is never shed): running ahead of its declaration is not a fault there.
  info.stats.ring_not_locked = !entry.ring_locked;
  if (!entry.paced_source) {
    info.stats.over_declared_rate = s.over_rate;
    info.stats.over_declared_rate_bytes = s.over_rate_bytes;
  }
  auto end = info.end_time.value_or(std::chrono::system_clock::now());
  double seconds = std::chrono::duration<double>(end - entry.start_time).count();
  if (seconds > 0.05) info.stats.input_bitrate_bps = 8.0 * static_cast<double>(s.bytes_in) / seconds;

  bool ingest_done = entry.ingest_done.load(std::memory_order_acquire);
  if (!ingest_done && entry.ingest && !entry.paced_source) {
    const ingest::IngestStats in = entry.ingest->stats();
    const bool waiting = in.state == ingest::IngestStats::State::kRunning ||
                         in.state == ingest::IngestStats::State::kReconnecting;
    if (waiting && in.last_packet != TimePoint{} && clock_.now() - in.last_packet >= std::chrono::seconds(1))
      info.source_silent_for = std::chrono::duration_cast<Nanos>(clock_.now() - in.last_packet);
  }
  if (!ingest_done) {
    info.state = entry.stop_requested ? RecordingState::kStopping
                 : s.bytes_in > 0     ? RecordingState::kRecording
                                      : RecordingState::kStarting;
  } else if (!s.finished) {
    info.state = RecordingState::kStopping;
  } else {
    info.state = info.error.empty() ? RecordingState::kStopped : RecordingState::kFailed;
  }
  if (writer_) {
    if (auto failure = writer_->failure(); failure && info.error.empty() && !s.finished) {
      std::string full = disc_full_message(*writer_);
      info.error = full.empty() ? "the drive stopped writing: " + failure->to_string() : full;
    }
    if (extent_journal_) {
      // The most recent ones (ExtentJournal::kListed); the journal has them all.
      const auto listed = extent_journal_->listing(*writer_, *entry.recording);
      for (const auto& l : listed.lost)
        info.lost_extents.push_back({l.lba, l.blocks, l.file_offset, uint64_t{l.blocks} * 2048, sense_text(l)});
      info.shed_ranges = shed_range_infos(listed.shed, listed.overflows, listed.origin);
      ExtentJournal::keep_listed(info.shed_ranges);
    }
    // What a full ring turned away (its bytes are in shed_bytes already).
    info.stats.shed_gops += s.overflow_gops;
  }
  TimePoint clock_now = clock_.now();
  WallTime wall_now = std::chrono::system_clock::now();
  for (const auto& gap : entry.recording->gaps())
    info.source_gaps.push_back(
        {wall_now - std::chrono::duration_cast<std::chrono::system_clock::duration>(clock_now - gap.start),
         gap.duration});
  return info;
}

void DriveSession::poll_events() {
  std::vector<EndedRings> ended;
  {
    // Busy with a long operation: next time (the monitor serves every drive).
    auto lock = lock_for_read();
    if (!lock.owns_lock()) return;
    poll_events_locked(ended);
  }
  // Outside the lock: unmapping a large ring takes milliseconds.
  for (auto& e : ended) {
    if (e.recording->release_buffers()) e.reservation.reset();
  }
}

void DriveSession::poll_events_locked(std::vector<EndedRings>& ended) {
  for (auto& [id, entry] : recordings_) {
    RecordingStats s = entry->recording->stats();
    if (s.lost_extents > entry->announced_lost) {
      publish(EventKind::kLostExtent, id,
              std::to_string(s.lost_extents - entry->announced_lost) + " extent(s) lost to write errors (" +
                  std::to_string(s.lost_bytes) + " bytes so far)");
      entry->announced_lost = s.lost_extents;
    }
    if (s.shed_gops > entry->announced_shed) {
      publish(EventKind::kLoadShed, id,
              "drive behind: shed " + std::to_string(s.shed_gops - entry->announced_shed) + " GOP(s), " +
                  std::to_string(s.shed_bytes) + " bytes so far");
      entry->announced_shed = s.shed_gops;
    }
    if (!entry->announced_end && entry->ended()) {
      entry->announced_end = true;
      // The ingest (FFmpeg's contexts and buffers) is done with: free it, so
      // a disc with hundreds of ended recordings keeps only their records.
      if (entry->thread.joinable()) entry->thread.join();  // past its last step
      entry->ingest.reset();
      entry->paced.reset();
      ended.push_back({entry->recording, std::move(entry->ring_reservation)});
      journal_recording_end_locked(*entry);
      RecordingInfo info = snapshot(*entry);
      // The whole account in one line: the log keeps it after the disc is gone.
      std::string why = info.error;
      if (why.empty()) {
        std::lock_guard entry_lock(entry->mutex);
        why = entry->end_reason.empty() ? "stopped on request" : entry->end_reason;
      }
      publish(EventKind::kRecordingState, id,
              std::string(recording_state_name(info.state)) + ", " + std::to_string(info.stats.bytes_written) +
                  " bytes on disc, " + std::to_string(info.stats.lost_bytes) + " bytes lost in " +
                  std::to_string(s.lost_extents) + " extent(s), " + std::to_string(info.stats.shed_bytes) +
                  " bytes shed in " + std::to_string(info.stats.shed_gops) + " GOP(s): " + why);
    }
  }
  {
    std::lock_guard journal_lock(journal_mutex_);
    if (!journal_health_.ok()) {
      publish(EventKind::kDriveError, "", "crash journal: " + journal_health_.error().to_string());
      journal_health_ = {};
    }
  }
  if (auto space = space_locked()) {
    if (space->full && !announced_disc_full_) {
      announced_disc_full_ = true;
      publish(EventKind::kDiscSpace, "", disc_full_message(*writer_) + "; finalize it and insert the next disc");
    } else if (space->time_left && !space->full) {
      // Once per threshold per disc; several crossed at once (a recording
      // started on a nearly full disc) make one event, for the shortest.
      std::optional<Nanos> crossed;
      for (Nanos threshold : options_.disc_space_warnings) {
        if (*space->time_left > threshold || !announced_space_warnings_.insert(threshold.count()).second) continue;
        if (!crossed || threshold < *crossed) crossed = threshold;
      }
      if (crossed) {
        auto minutes = std::chrono::duration_cast<std::chrono::minutes>(*space->time_left).count();
        auto seconds = std::chrono::duration_cast<std::chrono::seconds>(*space->time_left).count() % 60;
        char buf[160];
        std::snprintf(buf, sizeof buf, "%lld min %02lld s of recording left at %.1f Mbit/s (%llu blocks free)",
                      static_cast<long long>(minutes), static_cast<long long>(seconds),
                      static_cast<double>(space->bitrate_bps) / 1e6,
                      static_cast<unsigned long long>(space->free_blocks));
        publish(EventKind::kDiscSpace, "", buf);
      }
    }
  }
  if (writer_) {
    // A drive that was not ready for a while (or reset) cost nothing, but
    // whoever runs it should know it happens.
    if (uint64_t pauses = writer_->stats().pauses; pauses > announced_pauses_) {
      publish(EventKind::kDriveError, "",
              "the drive refused writes for a while (not ready, unit attention or reset; " +
                  std::to_string(pauses) + " time(s) on this disc): writing paused and went on where the drive is");
      announced_pauses_ = pauses;
    }
    if (auto failure = writer_->failure()) {
      // Per session: the monitor thread serves every drive.
      std::string text = failure->to_string();
      if (text != announced_writer_failure_) publish(EventKind::kDriveError, "", text);
      announced_writer_failure_ = std::move(text);
    }
  }
}

Result<std::vector<DriveSession::DiscFile>> DriveSession::disc_files_locked() {
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
      std::lock_guard entry_lock(entry->mutex);
      f.end = entry->end_time.value_or(std::chrono::system_clock::now());
    }
    f.extents.recording_id = entry->recording->id();
    if (take_extents(f)) files.push_back(std::move(f));
  }
  return files;
}

Result<DiscOperationResult> DriveSession::finalize(const FinalizeParams& params, const ProgressCallback& progress) {
  ASSIGN_OR_RETURN(auto lock, lock_for_control());
  RETURN_IF_ERROR(require_drive());
  if (disc_state_ == DiscState::kFinalized)
    return Error(ErrorCode::kFailedPrecondition, "the disc in drive " + spec_.id + " is already finalized");
  // A disc kept open across a restart may be finalized before (or without)
  // a new recording: its recordings are the recovered ones.
  const bool continued = !writer_ && continue_lba_.has_value();
  if ((!writer_ && !continued) || (recordings_.empty() && recovered_files_.empty()))
    return Error(ErrorCode::kFailedPrecondition, "nothing has been recorded on the disc in drive " + spec_.id);
  if (!params.volume_label.empty()) RETURN_IF_ERROR(udf::check_volume_label(params.volume_label));
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
  BusyScope busy(*this, kFinalizing);
  progress({0.0, "stopping recordings"});
  stop_recordings_locked(std::chrono::seconds(60));
  if (writer_) writer_->stop();
  refresh_cache_locked();  // readers see the recordings stopped
  progress({0.1, "flushing the drive cache"});
  stop_journal_locked();
  RETURN_IF_ERROR(journal_sync_once());  // flushes the drive and logs the last extents
  for (auto& [id, entry] : recordings_) journal_recording_end_locked(*entry);

  // A finalize that failed part-way (a write error in the file system) is
  // retried with the same parameters, so the sectors already on a write-once
  // disc are the ones it would write again, and it resumes after them.
  bool resume = finalize_begun_.has_value();
  if (!resume) {
    journal::FinalizeBegin begin;
    begin.volume_label = params.volume_label.empty() ? "DISCREC" : params.volume_label;
    begin.finalized_unix_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  std::chrono::system_clock::now().time_since_epoch()).count();
    begin.data_end = writer_ ? writer_->stats().next_lba : *continue_lba_;
    begin.close_disc = params.close_disc;
    begin.zero_fill_lost_extents = params.zero_fill_lost_extents.value_or(options_.zero_fill_lost_extents);
    RETURN_IF_ERROR(journal_append({journal::encode(begin)}));
    finalize_begun_ = begin;
  }
  const journal::FinalizeBegin finalize = *finalize_begun_;
  ASSIGN_OR_RETURN(auto files, disc_files_locked());
  ASSIGN_OR_RETURN(auto result, write_file_system_locked(files, finalize, resume, progress));
  files = {};
  disc_state_ = DiscState::kFinalized;
  continue_lba_.reset();
  (void)journal_append({journal::encode_finalized(finalize.finalized_unix_ns)});
  {
    std::lock_guard journal_lock(journal_mutex_);
    journal_.reset();
  }
  if (Status retired = journal::retire_journal(journal_path()); !retired.ok())
    result.summary += "; " + retired.error().to_string();
  else
    disc_journal_path_ = journal_path() + ".done";  // verify reads the extents there
  publish(EventKind::kDiscFinalized, "", result.summary);
  if (params.eject) {
    auto ejected = drive_->start_stop_unit(true, false);
    if (!ejected.ok()) result.summary += "; eject failed: " + ejected.error().to_string();
  }
  progress({1.0, "done"});
  return result;
}

// Writes one run of file-system sectors with the reliable policy. When
// resuming a finalize a crash interrupted, sequential media already hold a
// prefix of the (identical) sectors: skip what is below the track's next
// writable address.
Status DriveSession::write_metadata_locked(uint32_t lba, std::span<const uint8_t> bytes, bool resume) {
  const uint32_t block_size = caps_ ? caps_->block_size : 2048;
  uint32_t blocks = static_cast<uint32_t>(bytes.size() / block_size);
  if (resume && device::profile_is_sequential(caps_->current_profile)) {
    auto track = drive_->read_track_information(lba, device::TrackAddressType::kLba);
    if (track.ok()) {
      if (!track->nwa_valid || track->next_writable_address >= lba + blocks) return {};  // already there
      if (track->next_writable_address > lba) {
        uint32_t skip = track->next_writable_address - lba;
        bytes = bytes.subspan(size_t{skip} * block_size);
        lba += skip;
      }
    }
  }
  return write_reliable(*drive_target_, clock_, lba, bytes);
}

Result<DiscOperationResult> DriveSession::write_file_system_locked(const std::vector<DiscFile>& files,
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

  progress({0.2, "writing the UDF file system"});
  ASSIGN_OR_RETURN(auto writes, udf::build_volume(layout, volume));
  uint64_t total = 0, done = 0;
  for (const auto& w : writes) total += w.bytes.size();
  for (const auto& w : writes) {
    for (size_t off = 0; off < w.bytes.size(); off += size_t{kMetadataWriteSectors} * block_size) {
      size_t n = std::min<size_t>(w.bytes.size() - off, size_t{kMetadataWriteSectors} * block_size);
      uint32_t lba = w.lba + static_cast<uint32_t>(off / block_size);
      RETURN_IF_ERROR(write_metadata_locked(lba, std::span(w.bytes).subspan(off, n), resume));
      done += n;
      progress({0.2 + 0.6 * static_cast<double>(done) / static_cast<double>(std::max<uint64_t>(total, 1)),
                "writing the UDF file system"});
    }
  }
  RETURN_IF_ERROR(drive_->synchronize_cache());

  if (device::profile_is_sequential(caps_->current_profile)) {
    progress({0.85, "closing the disc"});
    ASSIGN_OR_RETURN(auto disc, drive_->read_disc_information());
    if (disc.status != device::DiscStatus::kComplete) {
      uint16_t last_track = std::max<uint16_t>(disc.last_track_in_last_session, 1);
      for (uint16_t track = 1; track <= last_track; ++track) {
        auto closed = drive_->close_track_session(device::CloseFunction::kCloseTrack, track);
        // A track the drive already closed (or tgt, which closes everything on the
        // first CLOSE) answers ILLEGAL REQUEST; the session close below decides.
        if (!closed.ok() && !(closed.error().sense() && closed.error().sense()->key == 5))
          return std::move(closed).error();
      }
      device::CloseFunction close = device::CloseFunction::kCloseSession;
      if (finalize.close_disc)
        close = device::profile_is_bd(caps_->current_profile) ? device::CloseFunction::kFinalizeBdR
                                                              : device::CloseFunction::kFinalizeDvdPlusR;
      auto closed = drive_->close_track_session(close, 1);
      if (!closed.ok() && !(closed.error().sense() && closed.error().sense()->key == 5))
        return std::move(closed).error();
    }
  }
  result.image_path = image_path();
  result.summary = std::to_string(result.files) + " recording(s), " + std::to_string(result.bytes) +
                   " bytes, UDF 2.01" + (result.lost_extents ? ", " + std::to_string(result.lost_extents) +
                                                                   " lost extent(s) marked unrecorded"
                                                             : "");
  return result;
}

Result<DiscOperationResult> DriveSession::verify(const ProgressCallback& progress) {
  ASSIGN_OR_RETURN(auto lock, lock_for_control());
  RETURN_IF_ERROR(require_drive());
  for (auto& [id, entry] : recordings_)
    if (!entry->ended())
      return Error(ErrorCode::kFailedPrecondition, "recording " + id + " is still running; stop it before verify");
  if ((!writer_ || !checksums_) && recovered_files_.empty())
    return Error(ErrorCode::kFailedPrecondition,
                 "no checksums for the disc in drive " + spec_.id + ": verify compares with what was written to it");
  BusyScope busy(*this, kVerifying);
  const uint32_t unit = caps_ ? caps_->ecc_unit_blocks : 16;
  const uint32_t block_size = caps_ ? caps_->block_size : 2048;
  const bool streaming = caps_ && caps_->rt_streaming.current;
  DiscOperationResult result;
  // The extents are the journal's: what the writer closed since its last
  // sync goes there first (after a finalize the journal has it all).
  if (writer_ && disc_state_ == DiscState::kRecording) {
    if (Status synced = journal_sync_once(); !synced.ok())
      return std::move(synced).error().with_context(
          "bringing the crash journal, which lists the disc's extents, up to date");
  }
  ASSIGN_OR_RETURN(auto files, disc_files_locked());
  // Every recorded extent of every file, in LBA order: the disc is read in
  // one pass, each run of contiguous extents in large reads whatever file
  // they belong to, instead of file by file with a seek at nearly every
  // extent of interleaved recordings. Each unit is checked against the
  // checksum of what its own recording wrote there.
  struct Piece {
    uint32_t lba;
    uint32_t blocks;
    uint64_t file_offset;
    size_t file;
  };
  std::vector<Piece> pieces;
  uint64_t total_blocks = 0, done_blocks = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    result.lost_extents += lost_on_disc(files[i].extents);
    for (const auto& r : files[i].extents.recorded) {
      pieces.push_back({r.lba, r.blocks, r.file_offset, i});
      total_blocks += r.blocks;
    }
  }
  std::sort(pieces.begin(), pieces.end(), [](const Piece& a, const Piece& b) { return a.lba < b.lba; });
  std::vector<uint8_t> buffer(size_t{kVerifyReadUnits} * unit * block_size);
  for (size_t p = 0; p < pieces.size();) {
    size_t run_end_piece = p + 1;
    while (run_end_piece < pieces.size() &&
           pieces[run_end_piece].lba == pieces[run_end_piece - 1].lba + pieces[run_end_piece - 1].blocks)
      ++run_end_piece;
    const uint32_t run_end = pieces[run_end_piece - 1].lba + pieces[run_end_piece - 1].blocks;
    size_t q = p;  // the piece holding the unit being checked
    for (uint32_t lba = pieces[p].lba; lba < run_end;) {
      // Reading back a whole disc takes as long as writing it did.
      if (shutting_down_.load(std::memory_order_acquire))
        return Error(ErrorCode::kAborted, "verify of drive " + spec_.id + " stopped: the daemon is stopping");
      uint32_t n = std::min<uint32_t>(kVerifyReadUnits * unit, run_end - lba);
      auto read = drive_->read12(lba, std::span(buffer).first(size_t{n} * block_size), streaming);
      for (uint32_t u = 0; u < n; u += unit) {
        const uint32_t at = lba + u;
        while (at >= pieces[q].lba + pieces[q].blocks) ++q;
        auto expected = crc_for_verify(at);
        bool ok = read.ok() && expected.ok() && expected->has_value() &&
                  **expected == crc32c(std::span(buffer).subspan(size_t{u} * block_size,
                                                                 size_t{std::min(unit, n - u)} * block_size));
        if (ok) continue;
        const std::string& recording_id = files[pieces[q].file].id;
        uint64_t offset = pieces[q].file_offset + uint64_t{at - pieces[q].lba} * block_size;
        auto& m = result.mismatches;
        if (!m.empty() && m.back().recording_id == recording_id && m.back().first_lba + m.back().block_count == at)
          m.back().block_count += unit;
        else
          m.push_back({recording_id, at, unit, offset});
      }
      result.bytes += uint64_t{n} * block_size;
      lba += n;
      done_blocks += n;
      progress({0.9 * static_cast<double>(done_blocks) / static_cast<double>(std::max<uint64_t>(total_blocks, 1)),
                "reading back"});
    }
    p = run_end_piece;
  }
  // The file system must list every recording, as a reader would see it.
  std::string fs_note;
  if (disc_state_ == DiscState::kFinalized) {
    progress({0.95, "reading the file system"});
    udf::DriveSectorSource source(*drive_, 0);
    auto volume = udf::read_volume(source);
    if (!volume.ok()) return std::move(volume).error().with_context("the disc's UDF file system does not read back");
    for (const auto& f : volume->files) result.files += !f.directory;
    fs_note = ", UDF lists " + std::to_string(result.files) + " file(s)";
  }
  result.image_path = image_path();
  result.summary = std::to_string(result.bytes) + " bytes read back, " + std::to_string(result.mismatches.size()) +
                   " mismatch(es), " + std::to_string(result.lost_extents) + " known lost extent(s)" + fs_note;
  progress({1.0, "done"});
  return result;
}

}  // namespace discrec::recorder
