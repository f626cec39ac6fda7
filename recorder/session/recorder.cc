#include "recorder/session/recorder.h"

#include "recorder/session/drive_session.h"

namespace discrec::recorder {

Recorder::Recorder(RecorderOptions options, Clock& clock)
    : options_(std::move(options)), clock_(clock), ring_budget_(options_.ring_memory_bytes) {
  monitor_ = std::thread([this] { monitor_main(); });
}

Recorder::~Recorder() {
  {
    std::lock_guard lock(monitor_mutex_);
    quit_ = true;
  }
  monitor_cv_.notify_all();
  if (monitor_.joinable()) monitor_.join();
  {
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(mutex_);
      threads.swap(recovery_threads_);
    }
    for (auto& t : threads) t.join();
  }
  stop_all();
  events_.close_all();
}

// Turns what changed in each session into events, twice a second. Runs on its
// own thread so neither gRPC handlers nor writer threads do this work.
void Recorder::monitor_main() {
  std::unique_lock lock(monitor_mutex_);
  while (!quit_) {
    monitor_cv_.wait_for(lock, std::chrono::milliseconds(500), [&] { return quit_; });
    if (quit_) break;
    lock.unlock();
    std::vector<DriveSession*> sessions;
    {
      std::lock_guard s(mutex_);
      for (auto& [id, session] : sessions_) sessions.push_back(session.get());
    }
    for (auto* s : sessions) s->poll_events();
    monitor_round_ns_.store(std::chrono::steady_clock::now().time_since_epoch().count(), std::memory_order_release);
    lock.lock();
  }
}

Nanos Recorder::since_monitor_round() const {
  auto last = std::chrono::steady_clock::time_point(Nanos(monitor_round_ns_.load(std::memory_order_acquire)));
  return std::chrono::duration_cast<Nanos>(std::chrono::steady_clock::now() - last);
}

Status Recorder::add_drive(const DriveSpec& spec) {
  auto session = std::make_unique<DriveSession>(spec, options_, clock_, events_, ring_budget_);
  Status opened = session->open();
  {
    std::lock_guard lock(mutex_);
    if (sessions_.count(spec.id)) return Error(ErrorCode::kInvalidArgument, "drive " + spec.id + " is configured twice");
    sessions_[spec.id] = std::move(session);
  }
  return opened;
}

void Recorder::start_recovery() {
  std::lock_guard lock(mutex_);
  for (auto& [id, session] : sessions_) {
    DriveSession* s = session.get();
    recovery_threads_.emplace_back([s] { s->recover(); });
  }
}

std::vector<std::string> Recorder::drive_ids() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> ids;
  for (auto& [id, s] : sessions_) ids.push_back(id);
  return ids;
}

Result<DriveSession*> Recorder::session(const std::string& drive_id) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(drive_id);
  if (it != sessions_.end()) return it->second.get();
  std::string known;
  for (auto& [id, s] : sessions_) known += (known.empty() ? "" : ", ") + id;
  return Error(ErrorCode::kNotFound, "no drive named '" + drive_id + "' (configured: " + known + ")");
}

Result<DriveInfo> Recorder::get_drive(const std::string& drive_id) {
  ASSIGN_OR_RETURN(auto* s, session(drive_id));
  return s->info();
}

std::vector<DriveInfo> Recorder::list_drives() {
  std::vector<DriveInfo> out;
  for (const auto& id : drive_ids())
    if (auto s = session(id); s.ok()) out.push_back((*s)->info());
  return out;
}

Result<PrepareResult> Recorder::prepare_drive(const std::string& drive_id, uint32_t write_kbps) {
  ASSIGN_OR_RETURN(auto* s, session(drive_id));
  return s->prepare(write_kbps);
}

Result<DriveInfo> Recorder::load_medium(const std::string& drive_id) {
  ASSIGN_OR_RETURN(auto* s, session(drive_id));
  return s->load();
}

Result<DriveInfo> Recorder::eject_medium(const std::string& drive_id) {
  ASSIGN_OR_RETURN(auto* s, session(drive_id));
  return s->eject();
}

Result<DriveInfo> Recorder::format_medium(const std::string& drive_id, bool spare_areas, bool force) {
  ASSIGN_OR_RETURN(auto* s, session(drive_id));
  return s->format(spare_areas, force);
}

Result<RecordingInfo> Recorder::start_recording(const StartRecordingParams& params) {
  ASSIGN_OR_RETURN(auto* s, session(params.drive_id));
  return s->start_recording(params);
}

Result<RecordingInfo> Recorder::stop_recording(const std::string& drive_id, const std::string& recording_id) {
  ASSIGN_OR_RETURN(auto* s, session(drive_id));
  return s->stop_recording(recording_id);
}

Result<RecordingInfo> Recorder::get_recording(const std::string& drive_id, const std::string& recording_id) {
  ASSIGN_OR_RETURN(auto* s, session(drive_id));
  return s->get_recording(recording_id);
}

Result<std::vector<RecordingInfo>> Recorder::list_recordings(const std::string& drive_id) {
  if (!drive_id.empty()) {
    ASSIGN_OR_RETURN(auto* s, session(drive_id));
    return s->list_recordings();
  }
  std::vector<RecordingInfo> out;
  for (const auto& id : drive_ids())
    if (auto s = session(id); s.ok())
      for (auto& r : (*s)->list_recordings()) out.push_back(std::move(r));
  return out;
}

Result<DiscOperationResult> Recorder::finalize_disc(const std::string& drive_id, const FinalizeParams& params,
                                                    const ProgressCallback& progress) {
  ASSIGN_OR_RETURN(auto* s, session(drive_id));
  return s->finalize(params, progress);
}

Result<DiscOperationResult> Recorder::verify_disc(const std::string& drive_id, const ProgressCallback& progress) {
  ASSIGN_OR_RETURN(auto* s, session(drive_id));
  return s->verify(progress);
}

uint32_t Recorder::active_recordings() const {
  std::lock_guard lock(mutex_);
  uint32_t n = 0;
  for (auto& [id, s] : sessions_) n += s->active_recordings();
  return n;
}

void Recorder::stop_all() {
  std::vector<DriveSession*> sessions;
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, s] : sessions_) sessions.push_back(s.get());
  }
  for (auto* s : sessions) s->stop_all();
}

}  // namespace discrec::recorder
