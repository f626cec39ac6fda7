#include "recorder/session/drive_snapshot.h"

#include <algorithm>
#include <cstdio>

#include "recorder/core/prepare.h"

namespace discrec::recorder {
namespace {

std::string sense_text(const LostExtent& lost) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%X/%02X/%02X ", lost.sense.key, lost.sense.asc, lost.sense.ascq);
  return buf + lost.message;
}

bool ended(const RecordingView& view) {
  return view.end->source_done.load(std::memory_order_acquire) && view.recording->finished();
}

}  // namespace

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

uint32_t active_recordings(const DriveSnapshot& snapshot) {
  uint32_t n = 0;
  for (const auto& view : snapshot.recordings) n += !ended(*view);
  return n;
}

std::optional<DriveInfo::Space> disc_space(const DriveSnapshot& snapshot) {
  // A finalized disc keeps its (stopped) writer until it leaves the drive;
  // what the drive says of it is true again then.
  if (!snapshot.data_start || !snapshot.data_limit) return std::nullopt;
  if (snapshot.state != DiscState::kRecording && snapshot.state != DiscState::kOpen) return std::nullopt;
  const StreamingWriter* writer = snapshot.writing ? snapshot.writing->writer.get() : nullptr;
  // A disc kept open across a restart is open before its next writer exists.
  if (!writer && !snapshot.continue_lba) return std::nullopt;
  const DriveStats stats = writer ? writer->stats() : DriveStats{};
  const uint32_t next = writer ? stats.next_lba : *snapshot.continue_lba;
  const uint32_t block_size = snapshot.caps ? snapshot.caps->block_size : 2048;
  DriveInfo::Space space;
  space.next_writable_address = next;
  space.data_limit = *snapshot.data_limit;
  space.used_blocks = next > *snapshot.data_start ? next - *snapshot.data_start : 0;
  space.free_blocks = *snapshot.data_limit > next ? *snapshot.data_limit - next : 0;
  space.full = writer && !disc_full_message(*writer).empty();
  // Declared bitrates are what admission booked; a source sending more (or
  // one that declared nothing) fills the disc at what it measures.
  uint64_t measured = 0;
  const WallTime now = std::chrono::system_clock::now();
  for (const auto& view : snapshot.recordings) {
    if (ended(*view)) continue;
    double seconds = std::chrono::duration<double>(now - view->start_time).count();
    if (seconds >= 1.0)
      measured += static_cast<uint64_t>(8.0 * static_cast<double>(view->recording->stats().bytes_in) / seconds);
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

DriveInfo drive_info(const DriveSnapshot& snapshot) {
  DriveInfo info;
  info.id = snapshot.id;
  info.uri = snapshot.uri;
  info.disc_state = disc_state_name(snapshot.state);
  if (!snapshot.drive_open) {
    info.not_ready_reason = "cannot open drive: " + snapshot.open_error;
    return info;
  }
  info.capabilities = snapshot.caps;
  if (snapshot.prepared)
    info.prepared = DriveInfo::Prepared{snapshot.prepared->opc_done, snapshot.prepared->requested_kbps,
                                        snapshot.prepared->effective_kbps};
  const StreamingWriter* writer = snapshot.writing ? snapshot.writing->writer.get() : nullptr;
  if (writer) {
    auto stats = writer->stats();
    info.guaranteed_bytes_per_second = stats.guaranteed_bytes_per_second;
    info.admitted_bytes_per_second = stats.admitted_bitrate_bps / 8;
    info.writer = stats;
    const int64_t confirmed = snapshot.writing->journal_confirmed_ns.load(std::memory_order_acquire);
    if (snapshot.writer_running && confirmed != 0) {
      const uint64_t blocks = snapshot.writing->journal_confirmed_blocks.load(std::memory_order_relaxed);
      const uint32_t block_size = snapshot.caps ? snapshot.caps->block_size : 2048;
      DriveInfo::Journal journal;
      journal.since_confirmed =
          std::max(Nanos(0), Nanos(std::chrono::steady_clock::now().time_since_epoch().count() - confirmed));
      journal.unconfirmed_bytes = stats.blocks_written > blocks ? (stats.blocks_written - blocks) * block_size : 0;
      info.journal = journal;
    }
  } else {
    info.guaranteed_bytes_per_second = snapshot.prepared ? snapshot.prepared->guaranteed_bytes_per_second : 0;
  }
  info.active_recordings = active_recordings(snapshot);
  if (snapshot.writer_running) info.writer_scheduling = snapshot.writer_scheduling;
  info.space = disc_space(snapshot);
  info.volume = snapshot.volume;
  info.write_mode.policy = snapshot.write_policy;
  std::string refused;
  if (snapshot.writing) {
    info.write_mode = snapshot.writing->write_mode;
  } else if (snapshot.prepared) {
    info.write_mode.choice = snapshot.prepared->mode;
  } else if (snapshot.caps && snapshot.caps->has_medium()) {
    auto chosen = choose_write_mode(snapshot.write_policy, *snapshot.caps);
    if (chosen.ok()) info.write_mode.choice = std::move(chosen).value();
    else refused = chosen.error().message();
  }
  if (!snapshot.activity.empty()) {
    info.not_ready_reason = "busy " + snapshot.activity;
  } else if (!snapshot.probe_error.empty()) {
    info.not_ready_reason = snapshot.probe_error;
  } else if (snapshot.state == DiscState::kBlocked) {
    info.not_ready_reason = snapshot.blocked_reason;
  } else if (snapshot.state == DiscState::kNoMedium) {
    info.not_ready_reason = "no disc in the drive";
  } else if (snapshot.state == DiscState::kFinalized && snapshot.volume && snapshot.volume->not_appendable.empty()) {
    // A rewritable disc's volume takes more recordings: ready.
  } else if (snapshot.state == DiscState::kFinalized && snapshot.volume) {
    info.not_ready_reason = "the disc holds a UDF volume recordings cannot be added to (" +
                            snapshot.volume->not_appendable + "); format it to record over it";
  } else if (snapshot.state == DiscState::kFinalized) {
    info.not_ready_reason = "the disc is finalized (or holds a file system); insert a blank disc or format it";
  } else if (!refused.empty()) {
    info.not_ready_reason = refused;
  }
  return info;
}

RecordingInfo recording_info(const DriveSnapshot& snapshot, const RecordingView& view, const Clock& clock) {
  RecordingInfo info;
  info.drive_id = snapshot.id;
  info.id = view.id;
  info.title = view.params.title;
  info.source_url = view.params.source_url;
  info.priority = view.params.priority;
  info.expected_bitrate_bps = view.params.expected_bitrate_bps;
  info.latency_budget = view.params.latency_budget;
  info.start_time = view.start_time;
  info.disc_path = view.disc_path;
  info.disc_parts = view.disc_parts;
  if (snapshot.writing) info.write_mode = snapshot.writing->write_mode;
  bool stop_requested = view.end->stop_requested.load(std::memory_order_acquire);
  {
    std::lock_guard lock(view.end->mutex);
    info.end_time = view.end->time;
    info.error = view.end->error;
  }
  RecordingStats s = view.recording->stats();
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
  info.stats.overflow_bytes = s.overflow_bytes;
  info.stats.lost_extents = s.lost_extents;
  info.stats.lost_bytes = s.lost_bytes;
  // A file or an upload is read as fast as the drive takes it (it waits, it
  // is never shed): running ahead of its declaration is not a fault there.
  info.stats.ring_not_locked = !view.ring_locked;
  if (!view.paced_source) {
    info.stats.over_declared_rate = s.over_rate;
    info.stats.over_declared_rate_bytes = s.over_rate_bytes;
  }
  auto end = info.end_time.value_or(std::chrono::system_clock::now());
  double seconds = std::chrono::duration<double>(end - view.start_time).count();
  if (seconds > 0.05) info.stats.input_bitrate_bps = 8.0 * static_cast<double>(s.bytes_in) / seconds;

  const bool source_done = view.end->source_done.load(std::memory_order_acquire);
  if (!source_done && view.source && !view.paced_source) {
    auto last = view.source->live_last_packet();
    if (last && *last != TimePoint{} && clock.now() - *last >= std::chrono::seconds(1))
      info.source_silent_for = std::chrono::duration_cast<Nanos>(clock.now() - *last);
  }
  if (!source_done) {
    info.state = stop_requested     ? RecordingState::kStopping
                 : s.bytes_in > 0   ? RecordingState::kRecording
                                    : RecordingState::kStarting;
  } else if (!s.finished) {
    info.state = RecordingState::kStopping;
  } else {
    info.state = info.error.empty() ? RecordingState::kStopped : RecordingState::kFailed;
  }
  if (snapshot.writing && snapshot.writing->writer) {
    const StreamingWriter& writer = *snapshot.writing->writer;
    if (auto failure = writer.failure(); failure && info.error.empty() && !s.finished) {
      std::string full = disc_full_message(writer);
      info.error = full.empty() ? "the drive stopped writing: " + failure->to_string() : full;
    }
    if (snapshot.writing->extents) {
      // The most recent ones (ExtentJournal::kListed); the journal has them all.
      const auto listed = snapshot.writing->extents->listing(writer, *view.recording);
      for (const auto& l : listed.lost)
        info.lost_extents.push_back({l.lba, l.blocks, l.file_offset, uint64_t{l.blocks} * 2048, sense_text(l)});
      info.shed_ranges = shed_range_infos(listed.shed, listed.overflows, listed.origin);
      ExtentJournal::keep_listed(info.shed_ranges);
    }
    // What a full ring turned away (its bytes are in shed_bytes already).
    info.stats.shed_gops += s.overflow_gops;
  }
  TimePoint clock_now = clock.now();
  WallTime wall_now = std::chrono::system_clock::now();
  for (const auto& gap : view.recording->gaps())
    info.source_gaps.push_back(
        {wall_now - std::chrono::duration_cast<std::chrono::system_clock::duration>(clock_now - gap.start),
         gap.duration});
  return info;
}

std::vector<RecordingInfo> recording_infos(const DriveSnapshot& snapshot, const Clock& clock) {
  std::vector<RecordingInfo> out;
  if (snapshot.recovered) out = *snapshot.recovered;
  for (const auto& view : snapshot.recordings) out.push_back(recording_info(snapshot, *view, clock));
  if (snapshot.history) out.insert(out.end(), snapshot.history->begin(), snapshot.history->end());
  return out;
}

std::vector<RecordingInfo> disc_recording_infos(const DriveSnapshot& snapshot, const Clock& clock) {
  std::vector<RecordingInfo> out;
  out.reserve(snapshot.recordings.size());
  for (const auto& view : snapshot.recordings) out.push_back(recording_info(snapshot, *view, clock));
  return out;
}

Result<RecordingInfo> find_recording(const DriveSnapshot& snapshot, const std::string& id, const Clock& clock) {
  for (const auto& view : snapshot.recordings)
    if (view->id == id) return recording_info(snapshot, *view, clock);
  for (const auto* list : {snapshot.recovered.get(), snapshot.history.get()}) {
    if (list == nullptr) continue;
    for (const auto& r : *list)
      if (r.id == id) return r;
  }
  return Error(ErrorCode::kNotFound, "no recording " + id + " on drive " + snapshot.id);
}

}  // namespace discrec::recorder
