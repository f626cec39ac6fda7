// StreamingWriter: construction, the control-side API (posting commands,
// reading published extents) and publishing; the scheduling itself is in
// streaming_writer.cc.
#include "recorder/core/streaming_writer.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#if defined(_WIN32)
#include <windows.h>
// windows.h first: winpthreads' pthread_gethandle returns its HANDLE.
#include <pthread.h>
#else
#include <pthread.h>
#include <sched.h>
#endif

namespace discrec::recorder {

StreamingWriter::StreamingWriter(BlockTarget& target, Clock& clock, WriterOptions options)
    : target_(target), clock_(clock), options_(options),
      unit_bytes_(size_t{options.block_size} * options.ecc_unit_blocks),
      max_command_bytes_(unit_bytes_ * std::max<uint32_t>(options.max_units_per_command, 1)),
      admission_(options.guaranteed_bytes_per_second, options.admission_margin),
      next_id_(std::max<RecordingId>(options.first_recording_id, 1)),
      next_lba_(options.start_lba),
      measured_rate_(static_cast<double>(options.guaranteed_bytes_per_second)) {
  commands_.reserve(16);
  applying_.reserve(16);
  active_.reserve(options_.max_recordings);
  staging_.resize(max_command_bytes_);
  // Worst case: every chunk is one TS packet.
  completed_deadlines_.reserve(max_command_bytes_ / kTsPacketSize + 2);
  drive_.guaranteed_bytes_per_second = options_.guaranteed_bytes_per_second;
  drive_.next_lba = next_lba_;
  drive_stats_.publish(drive_);
}

StreamingWriter::~StreamingWriter() { stop(); }

Result<std::shared_ptr<Recording>> StreamingWriter::add_recording(RecordingConfig config) {
  MutexLock lock(control_mutex_);
  // Drop finished recordings so their rings are freed once ingest lets go;
  // their extents stay available through extents().
  std::erase_if(all_, [](const auto& entry) { return entry.second->finished(); });
  if (all_.size() >= options_.max_recordings) {
    return Error(ErrorCode::kResourceExhausted,
                 "the drive already has " + std::to_string(all_.size()) + " recordings");
  }
  // Malformed requests are refused as such before anything is computed
  // from them (a refusal for capacity would read as "try later").
  RETURN_IF_ERROR(check_declared_bitrate(config.bitrate_bps));
  // Whole ECC units only: a stream must fill one well within its budget, or
  // its chunks would wait past their deadline for the rest of the unit.
  {
    const double unit_fill_s = static_cast<double>(unit_bytes_) * 8 / static_cast<double>(config.bitrate_bps);
    const double budget_s = std::chrono::duration<double>(config.latency_budget).count();
    if (budget_s < 2 * unit_fill_s) {
      return Error(ErrorCode::kInvalidArgument,
                   "latency budget " + std::to_string(budget_s) + " s is too short for " +
                       std::to_string(config.bitrate_bps) + " bit/s: filling one " +
                       std::to_string(unit_bytes_) + "-byte ECC unit takes " +
                       std::to_string(unit_fill_s) + " s; allow at least twice that");
    }
  }
  RETURN_IF_ERROR(check_priority(config.priority));
  RETURN_IF_ERROR(admission_.admit(config.bitrate_bps));
  const RecordingId id = next_id_;
  auto created = Recording::create(id, config, clock_, max_command_bytes_, options_.admission_margin);
  if (!created.ok()) {
    admission_.release(config.bitrate_bps);
    return std::move(created).error();
  }
  ++next_id_;
  std::shared_ptr<Recording> recording = std::move(created).value();
  // The writer's queues of closed extents, allocated here, before the
  // writer sees the recording (the command hands them over).
  auto& w = recording->writer_;
  w.pending_recorded.set_capacity(std::max<size_t>(options_.extent_queue, 4));
  w.pending_lost.set_capacity(std::max<size_t>(options_.extent_queue, 4));
  w.pending_shed.set_capacity(std::max<size_t>(options_.extent_queue, 4));
  all_[id] = recording;
  {
    MutexLock published(published_mutex_);
    PublishedExtents& e = published_[id];
    e.closed.recording_id = id;
    make_room(e);
  }
  commands_.push_back({Command::kAdd, recording});
  return recording;
}

Status StreamingWriter::stop_recording(RecordingId id) {
  MutexLock lock(control_mutex_);
  auto it = all_.find(id);
  if (it == all_.end()) {
    // Finished (and stopped) already; ids below first_recording_id were an
    // earlier writer's.
    if (id >= options_.first_recording_id && id > 0 && id < next_id_) return ok_status();
    return Error(ErrorCode::kNotFound, "no recording " + std::to_string(id) + " on this drive");
  }
  Recording& r = *it->second;
  if (r.stopping_.exchange(true, std::memory_order_seq_cst)) return ok_status();
  admission_.release(r.config().bitrate_bps);
  commands_.push_back({Command::kStop, it->second});
  return ok_status();
}

namespace {
RecordingExtents with_open(const RecordingExtents& closed, const std::optional<RecordedExtent>& open) {
  RecordingExtents out = closed;
  if (open) {
    out.recorded.push_back(*open);
    out.last_recorded_open = true;
  }
  return out;
}

// Moves what `to` has room for from `from`; all of it if `grow`. Whether
// `from` is empty now.
template <typename T>
bool hand_over(BoundedQueue<T>& from, std::vector<T>& to, bool grow = false) {
  while (!from.empty() && (grow || to.size() < to.capacity())) {
    to.push_back(std::move(from.front()));
    from.pop();
  }
  return from.empty();
}

template <typename T>
size_t heap_bytes(const std::vector<T>& v) {
  return v.capacity() * sizeof(T);
}
}  // namespace

void StreamingWriter::make_room(PublishedExtents& e) const {
  const size_t room = std::max<size_t>(options_.extent_queue, 4);
  RecordingExtents& c = e.closed;
  if (c.recorded.capacity() - c.recorded.size() < room) c.recorded.reserve(c.recorded.size() + 2 * room);
  if (c.lost.capacity() - c.lost.size() < room) c.lost.reserve(c.lost.size() + 2 * room);
  if (c.shed.capacity() - c.shed.size() < room) c.shed.reserve(c.shed.size() + 2 * room);
}

std::vector<RecordingExtents> StreamingWriter::extents() const {
  MutexLock lock(published_mutex_);
  std::vector<RecordingExtents> out;
  for (auto& [id, e] : published_) {
    out.push_back(with_open(e.closed, e.open));
    make_room(e);
  }
  return out;
}

Result<RecordingExtents> StreamingWriter::extents(RecordingId id) const {
  MutexLock lock(published_mutex_);
  auto it = published_.find(id);
  if (it == published_.end()) {
    return Error(ErrorCode::kNotFound, "no recording " + std::to_string(id) + " on this drive");
  }
  make_room(it->second);
  return with_open(it->second.closed, it->second.open);
}

void StreamingWriter::drain_extents(std::vector<RecordingExtents>& out) {
  MutexLock lock(published_mutex_);
  for (auto& [id, e] : published_) {
    RecordingExtents& c = e.closed;
    make_room(e);
    if (c.recorded.empty() && c.lost.empty() && c.shed.empty() && !e.open) continue;
    // Copied, then cleared: the writer's lists keep their capacity.
    out.push_back(with_open(c, e.open));
    c.first_recorded += c.recorded.size();
    c.first_lost += c.lost.size();
    c.first_shed += c.shed.size();
    c.recorded.clear();
    c.lost.clear();
    c.shed.clear();
  }
}

size_t StreamingWriter::bookkeeping_bytes() const {
  MutexLock lock(published_mutex_);
  // A std::map node: the value and about four pointers' worth of tree links.
  size_t bytes = published_.size() * (sizeof(PublishedExtents) + 4 * sizeof(void*));
  for (const auto& [id, e] : published_) {
    bytes += heap_bytes(e.closed.recorded) + heap_bytes(e.closed.lost) + heap_bytes(e.closed.shed);
    for (const auto& l : e.closed.lost) bytes += l.message.capacity() > 15 ? l.message.capacity() + 1 : 0;
  }
  return bytes;
}

std::optional<Error> StreamingWriter::failure() const {
  MutexLock lock(published_mutex_);
  return published_failure_;
}

void StreamingWriter::apply_commands() {
  {
    if (!control_mutex_.try_lock()) return;  // never waits for a control thread
    MutexLock lock(control_mutex_, std::adopt_lock);
    if (commands_.empty()) return;
    applying_.swap(commands_);
  }
  for (Command& c : applying_) {
    if (c.kind == Command::kAdd) {
      auto& w = c.recording->writer_;
      w.allowance_command_bytes =
          std::max(unit_bytes_, w.write_allowance.burst_bytes() / unit_bytes_ * unit_bytes_);
      active_.push_back(std::move(c.recording));
      if (failed_) active_.back()->writer_failed_.store(true, std::memory_order_release);
      ++drive_.recordings;
    } else {
      c.recording->writer_.stop_applied = true;
    }
  }
  applying_.clear();
  dirty_ = true;
}

void StreamingWriter::publish() {
  if (!dirty_) return;
  drive_.slack_min_ns = drive_slack_.min_ns();
  drive_.slack_p99_ns = drive_slack_.p99_ns();
  drive_.admitted_bitrate_bps = 0;
  drive_.over_rate_recordings = 0;
  uint64_t bytes_in = 0;
  uint64_t fill = 0;
  for (auto& rp : active_) {
    Recording& r = *rp;
    auto& w = r.writer_;
    if (w.dirty) {
      w.stats.slack_min_ns = w.slack.min_ns();
      w.stats.slack_p99_ns = w.slack.p99_ns();
      r.published_.publish(w.stats);
    }
    bytes_in += r.bytes_in_.load(std::memory_order_relaxed);
    fill += r.bytes_.fill();
    if (!w.stop_applied) drive_.admitted_bitrate_bps += r.config().bitrate_bps;
    drive_.over_rate_recordings += w.over_rate ? 1 : 0;
  }
  drive_.bytes_in = finished_bytes_in_ + bytes_in;
  drive_.ring_fill = fill;
  drive_.ring_high_water = std::max(drive_.ring_high_water, fill);
  drive_stats_.publish(drive_);

  if (!published_mutex_.try_lock()) return;  // next time; the dirty flags stay set
  MutexLock lock(published_mutex_, std::adopt_lock);
  bool still_dirty = false;
  for (auto& rp : active_) {
    Recording& r = *rp;
    auto& w = r.writer_;
    if (!w.dirty) continue;
    auto found = published_.find(r.id());  // made by add_recording()
    if (found == published_.end()) continue;
    PublishedExtents& out = found->second;
    // Within the lists' capacity: the readers make room (make_room()).
    // What does not fit waits in the writer's queues for the next publish;
    // only when those are half full (no reader made room for extent_queue
    // extents) or the recording is finishing does the writer grow the lists
    // itself, rather than wait.
    const bool recorded_done = hand_over(w.pending_recorded, out.closed.recorded);
    const bool lost_done = hand_over(w.pending_lost, out.closed.lost);
    const bool shed_done = hand_over(w.pending_shed, out.closed.shed);
    const bool kept = !recorded_done || !lost_done || !shed_done;
    if (w.has_open_extent) {
      out.open = w.open_extent;
    } else {
      out.open.reset();
    }
    if (kept) {
      ++drive_.journal_queue_full;
      // A finishing recording is finished only once all is handed over.
      if (w.finishing || 2 * w.pending_recorded.size() >= w.pending_recorded.capacity() ||
          2 * w.pending_lost.size() >= w.pending_lost.capacity() ||
          2 * w.pending_shed.size() >= w.pending_shed.capacity()) {
        ++drive_.journal_queue_grown;
        hand_over(w.pending_recorded, out.closed.recorded, true);
        hand_over(w.pending_lost, out.closed.lost, true);
        hand_over(w.pending_shed, out.closed.shed, true);
      } else {
        still_dirty = true;
        continue;  // w.dirty stays set: the rest goes next time
      }
    }
    w.dirty = false;
  }
  if (failure_) published_failure_ = failure_;
  dirty_ = still_dirty;
}

Status StreamingWriter::start() {
  if (thread_.joinable()) return Error(ErrorCode::kFailedPrecondition, "writer already running");
  quit_.store(false);
  thread_ = std::thread([this] { run(); });
  return ok_status();
}

void StreamingWriter::stop() {
  quit_.store(true);
  if (thread_.joinable()) thread_.join();
}

Status StreamingWriter::set_realtime_priority(int priority) {
  if (!thread_.joinable()) return Error(ErrorCode::kFailedPrecondition, "the writer is not running");
  if (priority < 1 || priority > 99)
    return Error(ErrorCode::kInvalidArgument, "real-time priority " + std::to_string(priority) + " is not in 1..99");
#if defined(_WIN32)
  // Windows has no real-time policy for one thread of a normal-class
  // process; TIME_CRITICAL is the highest it offers (any 1..99 maps to it).
  // The drive's own real-time behaviour comes from MARK_HANDLE_REALTIME.
  if (!::SetThreadPriority(pthread_gethandle(thread_.native_handle()), THREAD_PRIORITY_TIME_CRITICAL))
    return Error(ErrorCode::kPermissionDenied,
                 "SetThreadPriority(TIME_CRITICAL): Win32 error " + std::to_string(::GetLastError()));
  return ok_status();
#else
  sched_param param{};
  param.sched_priority = priority;
  if (int rc = pthread_setschedparam(thread_.native_handle(), SCHED_FIFO, &param); rc != 0) {
    return Error(rc == EPERM ? ErrorCode::kPermissionDenied : ErrorCode::kInvalidArgument,
                 std::string("SCHED_FIFO priority ") + std::to_string(priority) + ": " + std::strerror(rc));
  }
  return ok_status();
#endif
}

void StreamingWriter::set_thread_name(const std::string& name) {
#if defined(__linux__)
  if (thread_.joinable()) (void)pthread_setname_np(thread_.native_handle(), name.substr(0, 15).c_str());
#else
  (void)name;
#endif
}

void StreamingWriter::run() {
  while (!quit_.load(std::memory_order_acquire)) {
    const TimePoint next = service_once();
    if (next > clock_.now()) clock_.sleep_until(next);
  }
}

}  // namespace discrec::recorder
