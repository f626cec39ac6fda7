// DriveSession's events: what changed since the last tick (lost extents,
// shed GOPs, recordings that ended, disc space, drive trouble), each said
// once. Runs on the drive's command thread, so each drive keeps its own
// account of what it announced.
#include <chrono>
#include <cstdio>

#include "recorder/journal/journal_format.h"
#include "recorder/session/drive_session.h"
#include "recorder/session/drive_session_entry.h"

namespace discrec::recorder {

void DriveSession::poll_events() {
  bool ended_now = false;
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
    if (entry->announced_end || !entry->ended()) continue;
    entry->announced_end = true;
    ended_now = true;
    // The source (FFmpeg's contexts and buffers) is done with: free it, so
    // a disc with hundreds of ended recordings keeps only their records.
    if (entry->thread.joinable()) entry->thread.join();  // past its last step
    entry->source.reset();
    entry->paced.reset();
    if (entry->recording->release_buffers()) entry->ring_reservation.reset();
    journal_recording_end(*entry);
    RecordingInfo info = info_of(*entry);
    // The whole account in one line: the log keeps it after the disc is gone.
    std::string why = info.error;
    if (why.empty()) {
      std::lock_guard end_lock(entry->end->mutex);
      why = entry->end->reason.empty() ? "stopped on request" : entry->end->reason;
    }
    publish(EventKind::kRecordingState, id,
            std::string(recording_state_name(info.state)) + " (from " + info.source_url + write_mode_note(false) +
                "), " + std::to_string(info.stats.bytes_written) +
                " bytes on disc, " + std::to_string(info.stats.lost_bytes) + " bytes lost in " +
                std::to_string(s.lost_extents) + " extent(s), " + std::to_string(info.stats.shed_bytes) +
                " bytes shed in " + std::to_string(info.stats.shed_gops) + " GOP(s): " + why);
  }
  if (ended_now) publish_snapshot();  // the ended sources are let go of
  if (journal_) {
    if (auto failure = journal_->take_failure())
      publish(EventKind::kDriveError, "", "crash journal: " + failure->to_string());
  }
  announce_space();
  if (!writing_ || !writing_->writer) return;
  const StreamingWriter& writer = *writing_->writer;
  // A drive that was not ready for a while (or reset) cost nothing, but
  // whoever runs it should know it happens.
  if (uint64_t pauses = writer.stats().pauses; pauses > announced_pauses_) {
    publish(EventKind::kDriveError, "",
            "the drive refused writes for a while (not ready, unit attention or reset; " + std::to_string(pauses) +
                " time(s) on this disc): writing paused and went on where the drive is");
    announced_pauses_ = pauses;
  }
  if (auto failure = writer.failure()) {
    std::string text = failure->to_string();
    if (text != announced_writer_failure_) publish(EventKind::kDriveError, "", text);
    announced_writer_failure_ = std::move(text);
  }
}

void DriveSession::announce_space() {
  auto space = disc_space(*snapshot());
  if (!space) return;
  if (space->full && !announced_disc_full_) {
    announced_disc_full_ = true;
    publish(EventKind::kDiscSpace, "", disc_full_message(*writing_->writer) + "; finalize it and insert the next disc");
    return;
  }
  if (!space->time_left || space->full) return;
  // Once per threshold per disc; several crossed at once (a recording
  // started on a nearly full disc) make one event, for the shortest.
  std::optional<Nanos> crossed;
  for (Nanos threshold : options_.disc_space_warnings) {
    if (*space->time_left > threshold || !announced_space_warnings_.insert(threshold.count()).second) continue;
    if (!crossed || threshold < *crossed) crossed = threshold;
  }
  if (!crossed) return;
  auto minutes = std::chrono::duration_cast<std::chrono::minutes>(*space->time_left).count();
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(*space->time_left).count() % 60;
  char buf[160];
  std::snprintf(buf, sizeof buf, "%lld min %02lld s of recording left at %.1f Mbit/s (%llu blocks free)",
                static_cast<long long>(minutes), static_cast<long long>(seconds),
                static_cast<double>(space->bitrate_bps) / 1e6, static_cast<unsigned long long>(space->free_blocks));
  publish(EventKind::kDiscSpace, "", buf);
}

void DriveSession::journal_recording_end(Entry& entry) {
  catalog_ended(entry);
  if (entry.journaled_end || !journal_) return;
  entry.journaled_end = true;
  journal::RecordingEnd end;
  end.writer_id = entry.recording->id();
  {
    std::lock_guard lock(entry.end->mutex);
    end.end_unix_ns = unix_ns(entry.end->time.value_or(std::chrono::system_clock::now()));
    end.error = entry.end->error;
  }
  (void)journal_->append({journal::encode(end)});
}

}  // namespace discrec::recorder
