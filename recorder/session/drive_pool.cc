#include "recorder/session/drive_pool.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <deque>
#include <thread>

#include "base/file_io.h"
#include "recorder/ingest/source_policy.h"
#include "recorder/session/catalog.h"
#include "recorder/session/recorder.h"
#include "recorder/session/segment_feed.h"
#include "recorder/udf/volume_builder.h"

namespace discrec::recorder {
namespace {

using std::chrono::steady_clock;

// How often the pool looks at the disc being recorded; closer to the switch
// it looks more often, as a fast drive fills a disc's reserve in seconds.
constexpr auto kPoll = std::chrono::milliseconds(200);
constexpr auto kPollNearSwitch = std::chrono::milliseconds(20);

std::string part_recording_id(const std::string& id, uint32_t part) { return id + "-part" + std::to_string(part); }

bool ended_state(RecordingState s) {
  return s == RecordingState::kStopped || s == RecordingState::kFailed || s == RecordingState::kRecovered;
}

// "<title or id> <part>", cut to what a volume identifier holds.
std::string part_label(const std::string& title, const std::string& id, uint32_t part) {
  const std::string suffix = " " + std::to_string(part);
  std::string base = title.empty() ? id : title;
  for (char& c : base)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7F) c = '_';
  constexpr size_t kMax = 30;  // 32-byte d-string: a compression id and a length byte
  if (base.size() + suffix.size() > kMax) base.resize(kMax - suffix.size());
  std::string label = base + suffix;
  return udf::check_volume_label(label).ok() ? label : "DISCREC" + suffix;
}

void add_stats(RecordingStatsInfo& into, const RecordingStatsInfo& part) {
  into.bytes_in += part.bytes_in;
  into.bytes_written += part.bytes_written;
  into.missed_deadlines += part.missed_deadlines;
  into.shed_gops += part.shed_gops;
  into.shed_bytes += part.shed_bytes;
  into.overflow_bytes += part.overflow_bytes;
  into.lost_extents += part.lost_extents;
  into.lost_bytes += part.lost_bytes;
  into.over_declared_rate_bytes += part.over_declared_rate_bytes;
}

}  // namespace

// One recording across discs: the source, the switch, the parts, and the
// thread that watches the disc being recorded and hands over.
class DrivePool::Pooled {
 public:
  Pooled(DrivePool& pool, std::string id, StartRecordingParams params, ingest::CheckedSource source)
      : pool_(pool), id_(std::move(id)), params_(std::move(params)), source_(std::move(source)) {
    params_.drive_id = pool_.spec_.id;
    params_.recording_id = id_;
    params_.source_url = source_.display_url;
  }

  ~Pooled() {
    stop();
    if (coordinator_.joinable()) coordinator_.join();
    for (auto& f : finishers_)
      if (f.joinable()) f.join();
  }

  Status start(CallDeadline deadline) {
    start_time_ = std::chrono::system_clock::now();
    auto first = start_part(1, "", deadline);
    if (!first.ok() && pool_.has_changer()) {
      // No drive holds a disc to record on: the changer brings one.
      if (auto loaded = pool_.load_blank(pool_.spec_.drives, params_.expected_bitrate_bps / 8); loaded.ok())
        first = start_part(1, "", deadline);
      else
        first = Error(ErrorCode::kUnavailable, first.error().message() + "; " + loaded.error().message());
    }
    if (!first.ok()) return std::move(first).error();
    Part part1;
    {
      MutexLock lock(mutex_);
      part1 = parts_.front().copy();
      part1.feed = parts_.front().feed;
    }
    switch_ = std::make_unique<SegmentSwitch>(part1.feed);
    switch_->set_due(due_on(part1.drive_id));
    // A file or pipe whose disc is nearly full before the next part is
    // ready waits for it (it waits for the drive anyway). A live source is
    // never held: stalling its ingest would lose more than the disc can.
    if (source_.kind != ingest::SourceKind::kNetwork) switch_->hold_for_next(std::chrono::minutes(10));
    TsSourceRequest request;
    request.url = source_.open_url;
    request.file_root = source_.file_root;
    request.file_path = source_.file_path;
    request.min_reconnect_interval = pool_.options_.source_policy.min_reconnect_interval;
    if (params_.upload_fd) {
      request.input_fd = file_io::duplicate(params_.upload_fd->get());
      params_.upload_fd.reset();
      if (request.input_fd < 0) {
        abandon_part(part1);
        return Error(ErrorCode::kResourceExhausted, std::string("no file descriptor for the upload: ") + std::strerror(errno));
      }
    }
    auto made = pool_.sources_.make(request, *switch_, pool_.clock_);
    if (!made.ok()) {
      if (request.input_fd >= 0) ::close(request.input_fd);
      abandon_part(part1);
      return std::move(made).error();
    }
    source_ptr_ = std::shared_ptr<TsSource>(std::move(made).value());
    {
      MutexLock lock(mutex_);
      parts_.front().state = "recording";
      parts_.front().start = start_time_;
    }
    source_thread_ = std::thread([this] { source_main(); });
    coordinator_ = std::thread([this] { coordinator_main(); });
    announce(EventKind::kRecordingState, "recording from " + source_.display_url + " across the discs of pool " +
                                             pool_.spec_.id + ", part 1 on drive " + part1.drive_id);
    return {};
  }

  // Ends the recording: the source stops, the current part drains to its
  // disc. Waits for the source; the coordinator finishes the rest.
  void stop() {
    {
      MutexLock lock(mutex_);
      stop_requested_ = true;
    }
    cv_.notify_all();
    if (source_ptr_) source_ptr_->stop();
    if (source_thread_.joinable()) source_thread_.join();
  }

  // Waits (bounded) until the current part has drained, for a stop's answer.
  void wait_drained(std::chrono::steady_clock::duration limit) {
    const auto until = steady_clock::now() + limit;
    while (steady_clock::now() < until) {
      {
        MutexLock lock(mutex_);
        if (finished_) return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  bool active() const {
    MutexLock lock(mutex_);
    return !finished_;
  }

  RecordingInfo info() const {
    std::vector<Part> parts;
    RecordingInfo out;
    {
      MutexLock lock(mutex_);
      for (const auto& p : parts_) parts.push_back(p.copy());
      out.state = finished_ ? (error_.empty() ? RecordingState::kStopped : RecordingState::kFailed)
                            : stop_requested_ ? RecordingState::kStopping : RecordingState::kRecording;
      out.error = error_;
      if (finished_) out.end_time = end_time_;
    }
    out.drive_id = pool_.spec_.id;
    out.id = id_;
    out.title = params_.title;
    out.source_url = source_.display_url;
    out.priority = params_.priority;
    out.expected_bitrate_bps = params_.expected_bitrate_bps;
    out.start_time = start_time_;
    bool current_seen = false;
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
      auto part = pool_.recorder_.get_recording(it->drive_id, it->recording_id);
      RecordingPartInfo pi;
      pi.part = it->number;
      pi.drive_id = it->drive_id;
      pi.recording_id = it->recording_id;
      pi.state = it->state;
      pi.start = it->start;
      pi.end = it->end;
      pi.volume_label = it->label;
      pi.note = it->note;
      pi.slot = it->slot;
      if (part.ok()) {
        pi.bytes = part->stats.bytes_written;
        add_stats(out.stats, part->stats);
        if (!current_seen && it->state != "ready") {
          // The part being written: its ring and deadlines are the live ones.
          current_seen = true;
          out.latency_budget = part->latency_budget;
          out.stats.ring_capacity_bytes = part->stats.ring_capacity_bytes;
          out.stats.ring_fill_bytes = part->stats.ring_fill_bytes;
          out.stats.ring_high_water_bytes = part->stats.ring_high_water_bytes;
          out.stats.min_deadline_slack = part->stats.min_deadline_slack;
          out.stats.p99_deadline_slack = part->stats.p99_deadline_slack;
          out.stats.input_bitrate_bps = part->stats.input_bitrate_bps;
          out.stats.over_declared_rate = part->stats.over_declared_rate;
          out.stats.ring_not_locked = part->stats.ring_not_locked;
          out.write_mode = part->write_mode;
          out.source_silent_for = part->source_silent_for;
        }
        for (const auto& l : part->lost_extents) out.lost_extents.push_back(l);
        for (const auto& s : part->shed_ranges) out.shed_ranges.push_back(s);
        for (const auto& g : part->source_gaps) out.source_gaps.push_back(g);
        if (out.disc_path.empty() || it->number == 1) out.disc_path = part->disc_path;
      }
      out.parts.insert(out.parts.begin(), std::move(pi));
    }
    return out;
  }

 private:
  struct Part {
    uint32_t number = 0;
    std::string drive_id;
    std::string recording_id;
    std::shared_ptr<SegmentFeed> feed;
    std::string state = "ready";
    WallTime start;
    std::optional<WallTime> end;
    std::string label;
    std::string note;
    std::optional<uint16_t> slot;  // the changer slot its disc went back to
    Part copy() const {
      Part p;
      p.number = number;
      p.drive_id = drive_id;
      p.recording_id = recording_id;
      p.state = state;
      p.start = start;
      p.end = end;
      p.label = label;
      p.note = note;
      p.slot = slot;
      return p;
    }
  };

  void announce(EventKind kind, const std::string& message, const std::string& drive = "") {
    Event e;
    e.kind = kind;
    e.drive_id = drive.empty() ? pool_.spec_.id : drive;
    e.recording_id = id_;
    const std::string prefix = "pool " + pool_.spec_.id + ": ";
    e.message = message.rfind(prefix, 0) == 0 ? message : prefix + message;
    pool_.events_.publish(std::move(e));
  }

  // Starts part `number` on the first drive of the pool (after `after`,
  // round the pool) that takes it. Appends it to parts_.
  Result<std::string> start_part(uint32_t number, const std::string& after, CallDeadline deadline) {
    const auto& drives = pool_.spec_.drives;
    size_t first = 0;
    if (!after.empty())
      if (auto it = std::find(drives.begin(), drives.end(), after); it != drives.end())
        first = static_cast<size_t>(it - drives.begin()) + 1;
    std::string refusals;
    for (size_t i = 0; i < drives.size(); ++i) {
      const std::string& drive = drives[(first + i) % drives.size()];
      if (busy_with_our_part(drive)) continue;
      auto info = pool_.recorder_.get_drive(drive);
      if (!info.ok()) continue;
      // A disc that takes a new part: blank, or open with room (a part of
      // another recording of the pool may be on it too).
      const std::string& state = info->disc_state;
      if (state != "blank" && state != "open" && state != "recording") {
        refusals += (refusals.empty() ? "" : "; ") + drive + ": " +
                    (info->not_ready_reason.empty() ? "its disc is " + state : info->not_ready_reason);
        continue;
      }
      if (info->space && (info->space->full || info->space->free_blocks * 2048 < switch_reserve_bytes() * 2)) {
        refusals += (refusals.empty() ? "" : "; ") + drive + ": its disc is nearly full";
        continue;
      }
      auto feed = std::make_shared<SegmentFeed>(source_.kind != ingest::SourceKind::kNetwork,
                                                [this] { return live_last_packet(); });
      StartRecordingParams part = params_;
      part.drive_id = drive;
      part.recording_id = part_recording_id(id_, number);
      part.feed = feed;
      part.upload_fd.reset();
      part.expected_duration = Nanos(0);  // a pool spans discs: no one disc must hold it all
      part.catalog_recording = id_;  // the catalog files each part under the pooled recording
      part.catalog_part = number;
      part.pool = pool_.spec_.id;
      auto started = pool_.recorder_.start_recording(part, deadline);
      if (!started.ok()) {
        refusals += (refusals.empty() ? "" : "; ") + drive + ": " + started.error().message();
        continue;
      }
      Part p;
      p.number = number;
      p.drive_id = drive;
      p.recording_id = part.recording_id;
      p.feed = std::move(feed);
      MutexLock lock(mutex_);
      parts_.push_back(std::move(p));
      return drive;
    }
    return Error(ErrorCode::kUnavailable, "no drive of pool " + pool_.spec_.id + " can take part " +
                                              std::to_string(number) + " of recording " + id_ +
                                              (refusals.empty() ? "" : " (" + refusals + ")"));
  }

  // Whether `drive` holds one of this recording's parts that is not done
  // with its disc yet (being written, draining or finalizing).
  bool busy_with_our_part(const std::string& drive) const {
    MutexLock lock(mutex_);
    for (const auto& p : parts_)
      if (p.drive_id == drive && p.state != "finalized" && p.state != "verified" && p.state != "failed")
        return true;
    return false;
  }

  void abandon_part(const Part& part) {
    part.feed->finish(Error(ErrorCode::kAborted, "the recording did not start"));
    (void)pool_.recorder_.stop_recording(part.drive_id, part.recording_id);
  }

  std::optional<TimePoint> live_last_packet() const {
    auto src = source_ptr_;
    return src ? src->live_last_packet() : std::nullopt;
  }

  // Whether the disc in `drive` is so full that the source must move on
  // (asked by the switch at GOP starts): a fast drive fills a reserve
  // between two of the coordinator's looks, the disc's own figures do not lag.
  std::function<bool()> due_on(const std::string& drive) {
    return [this, drive, reserve = switch_reserve_bytes()] {
      // No figures (the writer not started yet, the drive gone): not due;
      // a disc that cannot take more fails the write, which switches too.
      auto d = pool_.recorder_.get_drive(drive);
      return d.ok() && d->space && (d->space->full || d->space->free_blocks * 2048 <= reserve);
    };
  }

  // What the disc being recorded must still hold when the source moves on:
  // the ring's data and the rest of the GOP in progress go to it.
  uint64_t switch_reserve_bytes() const {
    const uint64_t ring = params_.ring_bytes ? params_.ring_bytes : pool_.options_.default_ring_bytes;
    const uint64_t gop = std::max<uint64_t>(params_.expected_bitrate_bps / 8 * 5, 8ull << 20);  // a long GOP: 5 s
    return ring + 2 * pool_.options_.stripe_bytes + gop;
  }

  void source_main() {
    Status status = source_ptr_->run();
    const bool requested = [&] {
      MutexLock lock(mutex_);
      return stop_requested_;
    }();
    // The current part (and one made ready) end as the source did.
    switch_->finish(status.ok() || status.error().code() == ErrorCode::kAborted ? Status{} : status);
    {
      MutexLock lock(mutex_);
      source_done_ = true;
      if (!status.ok() && status.error().code() != ErrorCode::kAborted && !requested)
        error_ = status.error().to_string();
    }
    cv_.notify_all();
  }

  // Bytes per second into the recording, over the last few seconds.
  double measured_rate(uint64_t bytes_in) {
    const auto now = steady_clock::now();
    rate_samples_.push_back({now, bytes_in});
    while (rate_samples_.size() > 2 && now - rate_samples_.front().first > std::chrono::seconds(5))
      rate_samples_.pop_front();
    const auto& [t0, b0] = rate_samples_.front();
    const double seconds = std::chrono::duration<double>(now - t0).count();
    if (seconds < 0.2 || bytes_in < b0) return 0;
    return static_cast<double>(bytes_in - b0) / seconds;
  }

  void coordinator_main() {
    for (;;) {
      bool near = false;
      {
        MutexLock lock(mutex_);
        if (source_done_) break;
      }
      near = watch_current_part();
      MutexLock lock(mutex_);
      if (source_done_) break;
      cv_.wait_until(mutex_, steady_clock::now() + (near ? kPollNearSwitch : kPoll));
    }
    // The source ended: wait for every part to drain, then say how it ended.
    mark_handed_over();
    for (;;) {
      bool draining = false;
      std::vector<Part> parts;
      {
        MutexLock lock(mutex_);
        for (const auto& p : parts_) parts.push_back(p.copy());
      }
      for (const auto& p : parts) {
        if (p.state == "ready") {
          // Made ready for a hand-over that did not come: it holds nothing,
          // and its disc stays open for the next recording.
          (void)pool_.recorder_.stop_recording(p.drive_id, p.recording_id);
          MutexLock lock(mutex_);
          std::erase_if(parts_, [&](const Part& q) { return q.number == p.number; });
          continue;
        }
        if (p.state != "recording" && p.state != "draining") continue;
        auto info = pool_.recorder_.get_recording(p.drive_id, p.recording_id);
        if (info.ok() && !ended_state(info->state)) {
          draining = true;
          continue;
        }
        set_part_state(p.number, "ended", "");
      }
      if (!draining) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::string error;
    {
      MutexLock lock(mutex_);
      finished_ = true;
      end_time_ = std::chrono::system_clock::now();
      error = error_;
    }
    announce(EventKind::kRecordingState, error.empty() ? "recording ended" : "recording failed: " + error);
  }

  void set_part_state(uint32_t number, const std::string& state, const std::string& note) {
    MutexLock lock(mutex_);
    for (auto& p : parts_) {
      if (p.number != number) continue;
      p.state = state;
      if (!note.empty()) p.note = note;
      if ((state == "ended" || state == "draining") && !p.end) p.end = std::chrono::system_clock::now();
    }
  }

  // Parts the switch has moved past are draining; the one it moved to is
  // recording.
  void mark_handed_over() {
    const uint32_t begun = switch_->parts_begun();
    std::vector<uint32_t> drained;
    {
      MutexLock lock(mutex_);
      for (auto& p : parts_) {
        if (p.number < begun && p.state == "recording") {
          p.state = "draining";
          p.end = std::chrono::system_clock::now();
          drained.push_back(p.number);
        } else if (p.number == begun && p.state == "ready") {
          p.state = "recording";
          p.start = std::chrono::system_clock::now();
          current_ = p.number;
          announce_later_ = p.drive_id;
        }
      }
    }
    for (uint32_t n : drained) start_finisher(n);
    if (!announce_later_.empty()) {
      switch_->set_due(due_on(announce_later_));
      announce(EventKind::kRecordingState, "handed over to part " + std::to_string(begun) + " on drive " +
                                               announce_later_ + " at a GOP start", announce_later_);
      announce_later_.clear();
    }
  }

  // One look at the disc being recorded. Returns whether the switch is near.
  bool watch_current_part() {
    mark_handed_over();
    Part current, next;
    bool have_next = false;
    uint32_t current_number = 0;
    {
      MutexLock lock(mutex_);
      current_number = current_;
      for (const auto& p : parts_) {
        if (p.number == current_) current = p.copy();
        if (p.number == current_number + 1) {
          next = p.copy();
          have_next = true;
        }
      }
    }
    auto drive = pool_.recorder_.get_drive(current.drive_id);
    auto rec = pool_.recorder_.get_recording(current.drive_id, current.recording_id);
    if (!drive.ok() || !rec.ok() || !drive->space) return false;
    const double rate = std::max(measured_rate(rec->stats.bytes_in), params_.expected_bitrate_bps / 8.0);
    const uint64_t free_bytes = drive->space->free_blocks * 2048;
    const uint64_t reserve = switch_reserve_bytes();
    const double seconds_left = rate > 0 ? static_cast<double>(free_bytes) / rate : 1e12;
    const bool prepare = seconds_left < std::chrono::duration<double>(pool_.spec_.prepare_margin).count() ||
                         free_bytes < 3 * reserve;
    if (prepare && !have_next) {
      const std::string after = current.drive_id;
      auto started = start_part(current_number + 1, after, {});
      if (!started.ok() && pool_.has_changer()) {
        std::vector<std::string> others;
        for (const auto& d : pool_.spec_.drives)
          if (d != current.drive_id && !busy_with_our_part(d)) others.push_back(d);
        auto loaded = pool_.load_blank(others, static_cast<uint64_t>(rate));
        if (loaded.ok())
          started = start_part(current_number + 1, after, {});
        else
          started = Error(ErrorCode::kUnavailable, loaded.error().message());
        // Without blanks no part comes: a disc that fills ends the recording.
        switch_->next_unavailable(!loaded.ok() &&
                                  loaded.error().message().find("no blank disc left") != std::string::npos);
      }
      if (!started.ok()) {
        if (no_drive_announced_ != started.error().message()) {
          no_drive_announced_ = started.error().message();
          announce(EventKind::kDiscSpace, started.error().message() + "; insert a blank disc in one of its drives");
        }
        return free_bytes < 2 * reserve;
      }
      no_drive_announced_.clear();
      announce(EventKind::kRecordingState, "part " + std::to_string(current_number + 1) + " made ready on drive " +
                                               *started + " (" + std::to_string(free_bytes >> 20) + " MiB left on drive " +
                                               current.drive_id + ")", *started);
      return true;
    }
    if (have_next && !switch_->armed() && next.state == "ready") {
      // The switch itself decides at each GOP start, from the disc's own
      // figures: a fast drive fills a reserve between two of these looks.
      std::shared_ptr<SegmentFeed> feed;
      {
        MutexLock lock(mutex_);
        for (const auto& p : parts_)
          if (p.number == next.number) feed = p.feed;
      }
      switch_->arm(feed);
    }
    return free_bytes < 2 * reserve;
  }

  // A part the source moved past: once its ring has drained, its disc is
  // finalized and read back, in the background.
  void start_finisher(uint32_t number) {
    finishers_.emplace_back([this, number] { finish_part(number); });
  }

  void finish_part(uint32_t number) {
    Part part;
    {
      MutexLock lock(mutex_);
      for (const auto& p : parts_)
        if (p.number == number) part = p.copy();
    }
    pool_.finishing(part.drive_id, true);
    finish_disc(part);
    if (pool_.has_changer()) put_back(part);
    pool_.finishing(part.drive_id, false);
  }

  // The disc's index: which recording this is, which part, its time range,
  // and the labels of the other parts known so far, as JSON for programs and
  // as an M3U8 playlist (of this disc's file) for players.
  std::vector<ExtraDiscFile> index_files(uint32_t number, const std::string& label) {
    std::vector<Part> parts;
    {
      MutexLock lock(mutex_);
      for (const auto& p : parts_) parts.push_back(p.copy());
    }
    const Part* self = nullptr;
    for (const auto& p : parts)
      if (p.number == number) self = &p;
    if (!self) return {};
    auto info = pool_.recorder_.get_recording(self->drive_id, self->recording_id);
    const std::string file =
        info.ok() ? udf::recording_file_name(info->start_time, self->recording_id, params_.title) : std::string();
    const WallTime end = self->end.value_or(std::chrono::system_clock::now());
    const double seconds = std::chrono::duration<double>(end - self->start).count();
    std::string json = "{\n  \"recording\": " + json_string(id_) + ",\n  \"title\": " + json_string(params_.title) +
                       ",\n  \"pool\": " + json_string(pool_.spec_.id) + ",\n  \"part\": " + std::to_string(number) +
                       ",\n  \"label\": " + json_string(label) + ",\n  \"file\": " + json_string(file) +
                       ",\n  \"start\": " + json_string(iso_time(self->start)) + ",\n  \"end\": " +
                       json_string(iso_time(end)) + ",\n  \"parts\": [";
    std::string m3u8 = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-TARGETDURATION:" +
                       std::to_string(static_cast<int64_t>(seconds) + 1) + "\n";
    bool first = true;
    for (const auto& p : parts) {
      if (p.state == "ready") continue;
      const std::string other_label = p.number == number ? label : part_label(params_.title, id_, p.number);
      json += std::string(first ? "\n" : ",\n") + "    {\"part\": " + std::to_string(p.number) +
              ", \"label\": " + json_string(other_label) + ", \"drive\": " + json_string(p.drive_id) + "}";
      m3u8 += "# part " + std::to_string(p.number) + ": disc \"" + other_label + "\"\n";
      first = false;
    }
    json += "\n  ]\n}\n";
    char extinf[64];
    std::snprintf(extinf, sizeof extinf, "#EXTINF:%.3f,", seconds);
    m3u8 += extinf + params_.title + (params_.title.empty() ? "" : " ") + "part " + std::to_string(number) + "\n" +
            file + "\n#EXT-X-ENDLIST\n";
    return {{"index.json", json}, {"index.m3u8", m3u8}};
  }

  static std::string json_string(const std::string& text) {
    std::string out = "\"";
    for (unsigned char c : text) {
      if (c == '"' || c == '\\') out += std::string("\\") + static_cast<char>(c);
      else if (c < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
      } else out += static_cast<char>(c);
    }
    return out + "\"";
  }

  static std::string iso_time(WallTime t) {
    const std::time_t secs = std::chrono::system_clock::to_time_t(t);
    const std::tm tm = file_io::utc_time(secs);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
  }

  // The full disc goes back to its slot, and the catalog says which.
  void put_back(const Part& part) {
    auto slot = pool_.return_disc(part.drive_id);
    if (!slot.ok()) {
      announce(EventKind::kDriveError, "the disc of part " + std::to_string(part.number) + " stays in drive " +
                                           part.drive_id + ": " + slot.error().message(), part.drive_id);
      return;
    }
    pool_.catalog_slot(id_, part.number, *slot);
    MutexLock lock(mutex_);
    for (auto& p : parts_)
      if (p.number == part.number) p.slot = *slot;
  }


  void finish_disc(const Part& part) {
    const uint32_t number = part.number;
    for (;;) {
      auto info = pool_.recorder_.get_recording(part.drive_id, part.recording_id);
      if (!info.ok() || ended_state(info->state)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    const std::string label = part_label(params_.title, id_, number);
    {
      MutexLock lock(mutex_);
      for (auto& p : parts_)
        if (p.number == number) {
          p.state = "finalizing";
          p.label = label;
        }
    }
    FinalizeParams fp;
    fp.volume_label = label;
    fp.extra_files = index_files(number, label);
    auto finalized = pool_.recorder_.finalize_disc(part.drive_id, fp, {});
    if (!finalized.ok()) {
      set_part_state(number, "failed", "finalize: " + finalized.error().message());
      announce(EventKind::kDriveError, "part " + std::to_string(number) + " on drive " + part.drive_id +
                                           " could not be finalized: " + finalized.error().message(), part.drive_id);
      return;
    }
    set_part_state(number, "finalized", finalized->summary);
    if (!pool_.spec_.verify) return;
    auto verified = pool_.recorder_.verify_disc(part.drive_id, {});
    if (!verified.ok()) {
      set_part_state(number, "failed", "verify: " + verified.error().message());
      return;
    }
    set_part_state(number, verified->mismatches.empty() ? "verified" : "failed", verified->summary);
  }

  DrivePool& pool_;
  const std::string id_;
  StartRecordingParams params_;
  const ingest::CheckedSource source_;
  WallTime start_time_;
  std::unique_ptr<SegmentSwitch> switch_;
  std::shared_ptr<TsSource> source_ptr_;
  std::thread source_thread_;
  std::thread coordinator_;
  std::vector<std::thread> finishers_;  // the coordinator's alone
  std::deque<std::pair<steady_clock::time_point, uint64_t>> rate_samples_;  // the coordinator's alone
  std::string no_drive_announced_;  // the coordinator's alone
  std::string announce_later_;      // the coordinator's alone

  mutable Mutex mutex_;
  CondVar cv_;
  std::vector<Part> parts_ GUARDED_BY(mutex_);
  uint32_t current_ GUARDED_BY(mutex_) = 1;
  bool stop_requested_ GUARDED_BY(mutex_) = false;
  bool source_done_ GUARDED_BY(mutex_) = false;
  bool finished_ GUARDED_BY(mutex_) = false;
  std::string error_ GUARDED_BY(mutex_);
  WallTime end_time_ GUARDED_BY(mutex_);
};

DrivePool::DrivePool(PoolSpec spec, Recorder& recorder, const RecorderOptions& options, const TsSourceFactory& sources,
                     EventBus& events, Clock& clock)
    : spec_(std::move(spec)), recorder_(recorder), options_(options), sources_(sources), events_(events), clock_(clock) {}

DrivePool::~DrivePool() {
  stopping_ = true;
  if (recovery_.joinable()) recovery_.join();
  stop_all();
}

void DrivePool::recover_full_discs() {
  if (recovery_.joinable()) return;
  recovery_ = std::thread([this] {
    // The drives take up their discs first (their own recovery requests).
    const auto until = steady_clock::now() + std::chrono::minutes(30);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    for (;;) {
      if (stopping_ || steady_clock::now() > until) return;
      bool busy = false;
      for (const auto& d : spec_.drives)
        if (auto info = recorder_.get_drive(d); info.ok() && info->disc_state == "recovering") busy = true;
      if (!busy) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    auto parts = recorder_.catalog();
    if (!parts.ok()) return;
    std::map<std::string, uint32_t> last_part;
    for (const auto& p : *parts)
      if (p.pool == spec_.id) last_part[p.recording_id] = std::max(last_part[p.recording_id], p.part);
    for (const auto& p : *parts) {
      if (stopping_) return;
      if (p.pool != spec_.id || p.part >= last_part[p.recording_id]) continue;
      if (p.state != CatalogState::kRecording && p.state != CatalogState::kEnded &&
          p.state != CatalogState::kFinalizing && p.state != CatalogState::kFinalized)
        continue;
      finish_recovered_part(p);
    }
  });
}

void DrivePool::finish_recovered_part(const CatalogPart& part) {
  // Only the disc that holds the part: its drive lists the part's recording.
  auto held = recorder_.get_recording(part.drive_id, part.drive_recording_id);
  if (!held.ok()) return;
  auto announce = [&](EventKind kind, const std::string& message) {
    Event e;
    e.kind = kind;
    e.drive_id = part.drive_id;
    e.recording_id = part.recording_id;
    e.message = "pool " + spec_.id + ": " + message;
    events_.publish(std::move(e));
  };
  finishing(part.drive_id, true);
  // The drive's own recovery may have finished a finalize the stop cut
  // short; otherwise the pool finalizes it now.
  if (part.state != CatalogState::kFinalized) {
    FinalizeParams fp;
    fp.volume_label = part_label(part.title, part.recording_id, part.part);
    auto finalized = recorder_.finalize_disc(part.drive_id, fp, {});
    if (!finalized.ok()) {
      announce(EventKind::kDriveError, "part " + std::to_string(part.part) + " of " + part.recording_id +
                                           ", full when the daemon stopped, could not be finalized: " +
                                           finalized.error().message());
      finishing(part.drive_id, false);
      return;
    }
    announce(EventKind::kRecovery, "part " + std::to_string(part.part) + " of " + part.recording_id +
                                       ", full when the daemon stopped, finalized: " + finalized->summary);
  }
  if (spec_.verify) (void)recorder_.verify_disc(part.drive_id, {});
  if (has_changer()) {
    if (auto slot = return_disc(part.drive_id); slot.ok()) catalog_slot(part.recording_id, part.part, *slot);
  }
  finishing(part.drive_id, false);
}

Result<RecordingInfo> DrivePool::start_recording(const StartRecordingParams& params, CallDeadline deadline) {
  // The policy first, before any drive is asked: a refusal costs nothing.
  ingest::CheckedSource source;
  if (params.upload_fd) {
    source.kind = ingest::SourceKind::kPipe;
    source.display_url = ingest::redact_source_url(params.source_url);
  } else {
    ASSIGN_OR_RETURN(source, ingest::check_source(options_.source_policy, params.source_url));
    if (source.kind == ingest::SourceKind::kNetwork) RETURN_IF_ERROR(sources_.validate_network_url(source.open_url));
  }
  std::string id = params.recording_id;
  {
    MutexLock lock(mutex_);
    while (id.empty()) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "rec%03u", next_number_++);
      if (!recordings_.count(buf)) id = buf;
    }
    if (recordings_.count(id))
      return Error(ErrorCode::kFailedPrecondition, "recording " + id + " already exists on pool " + spec_.id);
  }
  auto pooled = std::make_unique<Pooled>(*this, id, params, std::move(source));
  RETURN_IF_ERROR(pooled->start(deadline));
  RecordingInfo info = pooled->info();
  MutexLock lock(mutex_);
  recordings_[id] = std::move(pooled);
  return info;
}

Result<DrivePool::Pooled*> DrivePool::find(const std::string& recording_id) const {
  MutexLock lock(mutex_);
  auto it = recordings_.find(recording_id);
  if (it == recordings_.end())
    return Error(ErrorCode::kNotFound, "no recording " + recording_id + " on pool " + spec_.id);
  return it->second.get();
}

Result<RecordingInfo> DrivePool::stop_recording(const std::string& recording_id, CallDeadline) {
  ASSIGN_OR_RETURN(Pooled * pooled, find(recording_id));
  pooled->stop();
  pooled->wait_drained(std::chrono::seconds(10));
  return pooled->info();
}

Result<RecordingInfo> DrivePool::get_recording(const std::string& recording_id) const {
  ASSIGN_OR_RETURN(Pooled * pooled, find(recording_id));
  return pooled->info();
}

std::vector<RecordingInfo> DrivePool::list_recordings() const {
  std::vector<Pooled*> all;
  {
    MutexLock lock(mutex_);
    for (auto& [id, p] : recordings_) all.push_back(p.get());
  }
  std::vector<RecordingInfo> out;
  for (auto* p : all) out.push_back(p->info());
  return out;
}

uint32_t DrivePool::active_recordings() const {
  MutexLock lock(mutex_);
  uint32_t n = 0;
  for (auto& [id, p] : recordings_) n += p->active() ? 1 : 0;
  return n;
}

// --- the changer ---

Status DrivePool::open_changer_locked() {
  if (changer_) return {};
  ASSIGN_OR_RETURN(changer_, device::Changer::open(spec_.changer_uri));
  if (!slots_from_catalog_) {
    // Slots recorded before this start stay recorded.
    slots_from_catalog_ = true;
    if (auto parts = recorder_.catalog(); parts.ok())
      for (const auto& part : *parts)
        if (part.pool == spec_.id && part.slot) used_slots_.insert(static_cast<uint16_t>(*part.slot));
  }
  return {};
}

Result<const device::ChangerElement*> DrivePool::element_of(const std::string& drive,
                                                            const device::ChangerInventory& inventory) const {
  auto it = std::find(spec_.drives.begin(), spec_.drives.end(), drive);
  const size_t index = static_cast<size_t>(it - spec_.drives.begin());
  std::vector<const device::ChangerElement*> drives;
  for (const auto& e : inventory.drives) drives.push_back(&e);
  std::sort(drives.begin(), drives.end(), [](auto* a, auto* b) { return a->address < b->address; });
  if (it == spec_.drives.end() || index >= drives.size())
    return Error(ErrorCode::kFailedPrecondition, "pool " + spec_.id + ": drive " + drive + " is not one of the " +
                                                     std::to_string(drives.size()) + " drives of its changer");
  return drives[index];
}

void DrivePool::catalog_slot(const std::string& recording_id, uint32_t part, uint16_t slot) {
  auto found = recorder_.catalog(recording_id);
  if (!found.ok()) return;
  for (auto entry : *found)
    if (entry.pool == spec_.id && entry.part == part) {
      entry.slot = slot;
      (void)recorder_.put_catalog_part(entry);
    }
}

void DrivePool::finishing(const std::string& drive, bool begun) {
  MutexLock lock(changer_mutex_);
  if (begun)
    finishing_.insert(drive);
  else
    finishing_.erase(drive);
}

Result<uint16_t> DrivePool::move_out_locked(const std::string& drive, const device::ChangerInventory& inventory) {
  ASSIGN_OR_RETURN(const device::ChangerElement* element, element_of(drive, inventory));
  if (!element->full) return Error(ErrorCode::kNotFound, "drive " + drive + " holds no disc");
  // The session lets go of the disc first (its lock, its state), then the robot takes it.
  (void)recorder_.eject_medium(drive);
  std::optional<uint16_t> slot;
  if (auto it = loaded_from_.find(drive); it != loaded_from_.end()) slot = it->second;
  if (!slot && element->source_address) slot = *element->source_address;
  auto empty_slot = [&](uint16_t address) {
    const auto* e = inventory.find(address);
    return e && e->type == device::ElementType::kStorage && !e->full;
  };
  if (!slot || !empty_slot(*slot)) {
    slot.reset();
    for (const auto& e : inventory.slots)
      if (!e.full) {
        slot = e.address;
        break;
      }
  }
  if (!slot) return Error(ErrorCode::kResourceExhausted, "pool " + spec_.id + ": no empty slot for the disc in drive " + drive);
  const uint16_t transport = inventory.first_transport().value_or(0);
  RETURN_IF_ERROR(changer_->move_medium(transport, element->address, *slot));
  loaded_from_.erase(drive);
  return *slot;
}

Result<uint16_t> DrivePool::return_disc(const std::string& drive) {
  MutexLock lock(changer_mutex_);
  RETURN_IF_ERROR(open_changer_locked());
  ASSIGN_OR_RETURN(auto inventory, changer_->read_element_status());
  ASSIGN_OR_RETURN(uint16_t slot, move_out_locked(drive, inventory));
  used_slots_.insert(slot);
  return slot;
}

void DrivePool::announce_blanks_locked(const device::ChangerInventory& inventory, uint64_t rate) {
  size_t blanks = 0;
  for (const auto& e : inventory.slots)
    if (e.full && !used_slots_.count(e.address)) ++blanks;
  if (announced_blanks_ == blanks) return;
  announced_blanks_ = blanks;
  Event e;
  e.drive_id = spec_.id;
  e.kind = EventKind::kDiscSpace;
  if (blanks == 0) {
    e.message = "pool " + spec_.id + ": no blank discs left in the changer; put blank discs in its slots";
    events_.publish(std::move(e));
    return;
  }
  if (disc_bytes_ == 0 || rate == 0) return;
  const double hours = static_cast<double>(blanks) * static_cast<double>(disc_bytes_) / static_cast<double>(rate) / 3600;
  if (hours >= std::chrono::duration<double, std::ratio<3600>>(spec_.warn_blank_hours).count()) return;
  char text[64];
  std::snprintf(text, sizeof text, "%.1f", hours);
  e.message = "pool " + spec_.id + ": the " + std::to_string(blanks) + " blank disc(s) left in the changer last about " +
              text + " h at the current rate; add blank discs";
  events_.publish(std::move(e));
}

Result<std::string> DrivePool::load_blank(const std::vector<std::string>& drives, uint64_t rate) {
  MutexLock lock(changer_mutex_);
  RETURN_IF_ERROR(open_changer_locked());
  ASSIGN_OR_RETURN(auto inventory, changer_->read_element_status());
  const uint16_t transport = inventory.first_transport().value_or(0);
  std::string why = "no drive of the pool is free to take a disc";
  for (const auto& drive : drives) {
    if (finishing_.count(drive)) continue;
    auto info = recorder_.get_drive(drive);
    if (!info.ok()) continue;
    // Only a drive done with its disc: none, or one finalized (and not ours
    // to finish); never a disc that is open or being written.
    if (info->disc_state != "no medium" && info->disc_state != "finalized" && info->disc_state != "blank") continue;
    auto element = element_of(drive, inventory);
    if (!element.ok()) {
      why = element.error().message();
      continue;
    }
    if ((*element)->full) {
      auto out = move_out_locked(drive, inventory);
      if (!out.ok()) {
        why = out.error().message();
        continue;
      }
      used_slots_.insert(*out);
      ASSIGN_OR_RETURN(inventory, changer_->read_element_status());
      ASSIGN_OR_RETURN(element, element_of(drive, inventory));
    }
    // A copy: `inventory` is read again inside the loop.
    const std::vector<device::ChangerElement> slots = inventory.slots;
    for (const device::ChangerElement& slot : slots) {
      if (!slot.full || used_slots_.count(slot.address)) continue;
      if (Status moved = changer_->move_medium(transport, slot.address, (*element)->address); !moved.ok()) {
        used_slots_.insert(slot.address);  // a slot the robot cannot take from is no use either
        why = moved.error().message();
        continue;
      }
      loaded_from_[drive] = slot.address;
      // A drive reports the new disc once (UNIT ATTENTION, medium changed)
      // before it answers about it.
      auto loaded = recorder_.load_medium(drive);
      for (int attempt = 0; attempt < 3 && !loaded.ok(); ++attempt) loaded = recorder_.load_medium(drive);
      if (loaded.ok() && loaded->disc_state == "blank") {
        if (loaded->capabilities && loaded->capabilities->free_blocks)
          disc_bytes_ = uint64_t{loaded->capabilities->free_blocks} * loaded->capabilities->block_size;
        ASSIGN_OR_RETURN(inventory, changer_->read_element_status());
        used_slots_.insert(slot.address);  // it holds this recording from now on
        announce_blanks_locked(inventory, rate);
        return drive;
      }
      // Recorded, foreign or unreadable: back to its slot, never tried again.
      used_slots_.insert(slot.address);
      why = "slot " + std::to_string(slot.address) + " holds no blank disc (" +
            (loaded.ok() ? "its disc is " + loaded->disc_state : loaded.error().message()) + ")";
      ASSIGN_OR_RETURN(inventory, changer_->read_element_status());
      if (auto back = move_out_locked(drive, inventory); !back.ok()) return std::move(back).error();
      ASSIGN_OR_RETURN(inventory, changer_->read_element_status());
      ASSIGN_OR_RETURN(element, element_of(drive, inventory));
    }
    announce_blanks_locked(inventory, rate);
    return Error(ErrorCode::kUnavailable, "pool " + spec_.id + ": no blank disc left in the changer (" + why + ")");
  }
  return Error(ErrorCode::kUnavailable, "pool " + spec_.id + ": " + why);
}

void DrivePool::stop_all() {
  std::vector<Pooled*> all;
  {
    MutexLock lock(mutex_);
    for (auto& [id, p] : recordings_) all.push_back(p.get());
  }
  for (auto* p : all) p->stop();
  for (auto* p : all) p->wait_drained(std::chrono::seconds(30));
}

}  // namespace discrec::recorder
