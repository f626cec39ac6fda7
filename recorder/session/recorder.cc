#include "recorder/session/recorder.h"

#include <filesystem>

#include "recorder/session/drive_session.h"

namespace discrec::recorder {

Recorder::Recorder(RecorderOptions options, std::shared_ptr<const TsSourceFactory> sources, Clock& clock)
    : options_(std::move(options)),
      sources_(std::move(sources)),
      clock_(clock),
      events_(options_.event_history),
      ring_budget_(options_.ring_memory_bytes) {
  open_catalog();
  monitor_ = std::thread([this] { monitor_main(); });
}

void Recorder::open_catalog() {
  if (options_.state_directory.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(options_.state_directory, ec);  // open() says what is wrong
  auto opened = Catalog::open(options_.state_directory + "/catalog");
  Event e;
  e.kind = EventKind::kDriveError;
  if (!opened.ok()) {
    // Recording goes on without it: the discs and journals are what matter.
    catalog_error_ = opened.error().to_string();
    e.message = "the catalog of recordings and discs cannot be kept: " + catalog_error_;
    catalog_note_ = e.message;
    events_.publish(std::move(e));
    return;
  }
  catalog_ = std::move(opened).value();
  if (!catalog_->repaired().empty()) {
    e.message = "the catalog " + catalog_->path() + " had a torn or damaged end (a crash while it was written): " +
                catalog_->repaired();
    catalog_note_ = e.message;
    events_.publish(std::move(e));
  }
}

Result<std::vector<CatalogPart>> Recorder::catalog(std::string_view recording_id, size_t first, size_t max) const {
  if (catalog_) return catalog_->parts(recording_id, first, max);
  if (!catalog_error_.empty())
    return Error(ErrorCode::kUnavailable, "the catalog could not be opened: " + catalog_error_);
  return Error(ErrorCode::kFailedPrecondition, "no catalog: the daemon has no state directory");
}

Status Recorder::put_catalog_part(const CatalogPart& part) {
  if (catalog_) return catalog_->put(part);
  if (!catalog_error_.empty())
    return Error(ErrorCode::kUnavailable, "the catalog could not be opened: " + catalog_error_);
  return Error(ErrorCode::kFailedPrecondition, "no catalog: the daemon has no state directory");
}

Recorder::~Recorder() {
  {
    MutexLock lock(monitor_mutex_);
    quit_ = true;
  }
  monitor_cv_.notify_all();
  if (monitor_.joinable()) monitor_.join();
  std::map<std::string, std::unique_ptr<DrivePool>> pools;
  {
    MutexLock lock(mutex_);
    pools.swap(pools_);
  }
  pools.clear();  // their recordings end before the drives stop
  stop_all();
  events_.close_all();
}

// Retries drives that could not be opened. (Each drive's events come from
// its own command thread.)
void Recorder::monitor_main() {
  for (;;) {
    {
      MutexLock lock(monitor_mutex_);
      const auto due = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
      while (!quit_ && monitor_cv_.wait_until(monitor_mutex_, due) != std::cv_status::timeout) {
      }
      if (quit_) return;
    }
    retry_drives(/*now=*/false);
    monitor_round_ns_.store(std::chrono::steady_clock::now().time_since_epoch().count(), std::memory_order_release);
  }
}

Nanos Recorder::since_monitor_round() const {
  auto last = std::chrono::steady_clock::time_point(Nanos(monitor_round_ns_.load(std::memory_order_acquire)));
  return std::chrono::duration_cast<Nanos>(std::chrono::steady_clock::now() - last);
}

Status Recorder::add_drive(const DriveSpec& spec) {
  auto session = std::make_unique<DriveSession>(spec, options_, clock_, events_, ring_budget_, *sources_,
                                                catalog_.get());
  Status opened = session->open();
  DriveSession* added = session.get();
  bool recover = false;
  {
    MutexLock lock(mutex_);
    if (sessions_.count(spec.id)) return Error(ErrorCode::kInvalidArgument, "drive " + spec.id + " is configured twice");
    sessions_[spec.id] = std::move(session);
    recover = recovery_started_ && opened.ok();
  }
  if (!opened.ok()) {
    MutexLock lock(retry_mutex_);
    note_open_failure_locked(spec.id, opened);
  } else if (recover) {
    added->recover();  // added by a reload after start_recovery(): its journal is read now
  }
  return opened;
}

// The caller (the daemon) reported the first failure; retries announce
// only a change of reason, so a drive missing for a week is one line, not
// ten thousand.
void Recorder::note_open_failure_locked(const std::string& drive_id, const Status& failure) {
  OpenRetry& retry = retries_[drive_id];
  if (retry.backoff.count() == 0) {
    retry.backoff = options_.drive_retry_initial;
    retry.last_error = failure.error().to_string();
  } else {
    retry.backoff = std::min<Nanos>(2 * retry.backoff, options_.drive_retry_max);
  }
  retry.next = std::chrono::steady_clock::now() + retry.backoff;
}

Status Recorder::retry_open_locked(DriveSession& session) {
  if (session.opened()) {
    retries_.erase(session.id());
    return {};
  }
  OpenRetry& retry = retries_[session.id()];
  ++retry.attempts;
  Status opened = session.open();
  const auto seconds = [](Nanos n) { return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(n).count()); };
  if (opened.ok()) {
    Event e;
    e.kind = EventKind::kDriveOpened;
    e.drive_id = session.id();
    e.message = "drive " + session.id() + " opened (retry " + std::to_string(retry.attempts) + ")";
    events_.publish(std::move(e));
    retries_.erase(session.id());
    MutexLock lock(mutex_);
    // Its journal could not be read at start: a disc a crash left open in
    // it is finished now, as the others were.
    if (recovery_started_) session.recover();
    return opened;
  }
  note_open_failure_locked(session.id(), opened);
  std::string text = opened.error().to_string();
  if (text != retry.last_error) {
    Event e;
    e.kind = EventKind::kDriveError;
    e.drive_id = session.id();
    e.message = "drive " + session.id() + " still cannot be opened: " + text + " (next try in " +
                seconds(retry.backoff) + " s)";
    events_.publish(std::move(e));
    retry.last_error = std::move(text);
  }
  return opened;
}

void Recorder::retry_drives(bool now) {
  std::vector<DriveSession*> due;
  {
    MutexLock retry_lock(retry_mutex_);
    if (retries_.empty()) return;
    const auto steady_now = std::chrono::steady_clock::now();
    MutexLock lock(mutex_);
    for (auto& [id, retry] : retries_) {
      auto it = sessions_.find(id);
      if (it != sessions_.end() && (now || steady_now >= retry.next)) due.push_back(it->second.get());
    }
  }
  for (auto* s : due) {
    MutexLock retry_lock(retry_mutex_);
    (void)retry_open_locked(*s);
  }
}

void Recorder::retry_failed_drives() {
  std::vector<DriveSession*> all;
  {
    MutexLock lock(mutex_);
    for (auto& [id, s] : sessions_) all.push_back(s.get());
  }
  // Also drives whose failure the monitor has not noted yet.
  for (auto* s : all) {
    if (s->opened()) continue;
    MutexLock retry_lock(retry_mutex_);
    (void)retry_open_locked(*s);
  }
}

Status Recorder::reconfigure_drive(const DriveSpec& spec) {
  ASSIGN_OR_RETURN(auto* s, session(spec.id));
  MutexLock retry_lock(retry_mutex_);
  Status status = s->reconfigure(spec);
  if (status.ok()) {
    retries_.erase(spec.id);
  } else if (status.error().code() != ErrorCode::kFailedPrecondition &&
             status.error().code() != ErrorCode::kUnavailable) {
    // Did not open with the new URI: retried like a drive that failed at start.
    retries_.erase(spec.id);
    note_open_failure_locked(spec.id, status);
  }
  return status;
}

void Recorder::start_recovery() {
  MutexLock lock(mutex_);
  recovery_started_ = true;
  for (auto& [id, session] : sessions_) session->recover();  // on each drive's command thread
  for (auto& [id, pool] : pools_) pool->recover_full_discs();  // after them, in the background
}

std::vector<std::string> Recorder::drive_ids() const {
  MutexLock lock(mutex_);
  std::vector<std::string> ids;
  for (auto& [id, s] : sessions_) ids.push_back(id);
  return ids;
}

Result<DriveSession*> Recorder::session(const std::string& drive_id) {
  MutexLock lock(mutex_);
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

Result<PrepareResult> Recorder::prepare_drive(const std::string& drive_id, uint32_t write_kbps,
                                              CallDeadline deadline) {
  ASSIGN_OR_RETURN(auto* s, session(drive_id));
  return s->prepare(write_kbps, deadline);
}

Result<DriveInfo> Recorder::load_medium(const std::string& drive_id, CallDeadline deadline) {
  ASSIGN_OR_RETURN(auto* s, session(drive_id));
  // "Load" is what an operator tries on a drive that is not there yet.
  if (!s->opened()) {
    MutexLock retry_lock(retry_mutex_);
    RETURN_IF_ERROR(retry_open_locked(*s));
  }
  return s->load(deadline);
}

Result<DriveInfo> Recorder::eject_medium(const std::string& drive_id, CallDeadline deadline) {
  ASSIGN_OR_RETURN(auto* s, session(drive_id));
  return s->eject(deadline);
}

Result<DriveInfo> Recorder::format_medium(const std::string& drive_id, bool spare_areas, bool force,
                                          CallDeadline deadline) {
  ASSIGN_OR_RETURN(auto* s, session(drive_id));
  return s->format(spare_areas, force, deadline);
}

Result<RecordingInfo> Recorder::start_recording(const StartRecordingParams& params, CallDeadline deadline) {
  if (DrivePool* p = pool(params.drive_id)) return p->start_recording(params, deadline);
  ASSIGN_OR_RETURN(auto* s, session(params.drive_id));
  return s->start_recording(params, deadline);
}

Result<RecordingInfo> Recorder::stop_recording(const std::string& drive_id, const std::string& recording_id,
                                               CallDeadline deadline) {
  if (DrivePool* p = pool(drive_id)) return p->stop_recording(recording_id, deadline);
  ASSIGN_OR_RETURN(auto* s, session(drive_id));
  return s->stop_recording(recording_id, deadline);
}

Result<RecordingInfo> Recorder::get_recording(const std::string& drive_id, const std::string& recording_id) {
  if (DrivePool* p = pool(drive_id)) return p->get_recording(recording_id);
  ASSIGN_OR_RETURN(auto* s, session(drive_id));
  return s->get_recording(recording_id);
}

Result<std::vector<RecordingInfo>> Recorder::list_recordings(const std::string& drive_id) {
  if (DrivePool* p = pool(drive_id)) return p->list_recordings();
  if (!drive_id.empty()) {
    ASSIGN_OR_RETURN(auto* s, session(drive_id));
    return s->list_recordings();
  }
  std::vector<RecordingInfo> out;
  for (const auto& id : drive_ids())
    if (auto s = session(id); s.ok())
      for (auto& r : (*s)->list_recordings()) out.push_back(std::move(r));
  for (const auto& id : pool_ids())
    if (DrivePool* p = pool(id))
      for (auto& r : p->list_recordings()) out.push_back(std::move(r));
  return out;
}

Status Recorder::add_pool(const PoolSpec& spec) {
  if (spec.drives.empty()) return Error(ErrorCode::kInvalidArgument, "pool " + spec.id + " has no drives");
  MutexLock lock(mutex_);
  if (sessions_.count(spec.id) || pools_.count(spec.id))
    return Error(ErrorCode::kInvalidArgument, "pool " + spec.id + ": the name is taken by a drive or another pool");
  for (const auto& d : spec.drives)
    if (!sessions_.count(d)) return Error(ErrorCode::kInvalidArgument, "pool " + spec.id + ": no drive named '" + d + "'");
  pools_[spec.id] = std::make_unique<DrivePool>(spec, *this, options_, *sources_, events_, clock_);
  return {};
}

std::vector<std::string> Recorder::pool_ids() const {
  MutexLock lock(mutex_);
  std::vector<std::string> ids;
  for (const auto& [id, p] : pools_) ids.push_back(id);
  return ids;
}

DrivePool* Recorder::pool(const std::string& pool_id) const {
  MutexLock lock(mutex_);
  auto it = pools_.find(pool_id);
  return it == pools_.end() ? nullptr : it->second.get();
}

std::vector<RecordingInfo> Recorder::list_disc_recordings() {
  std::vector<RecordingInfo> out;
  for (const auto& id : drive_ids())
    if (auto s = session(id); s.ok())
      for (auto& r : (*s)->disc_recordings()) out.push_back(std::move(r));
  return out;
}

Result<DiscOperationResult> Recorder::finalize_disc(const std::string& drive_id, const FinalizeParams& params,
                                                    const ProgressCallback& progress, CallDeadline deadline) {
  ASSIGN_OR_RETURN(auto* s, session(drive_id));
  return s->finalize(params, progress, deadline);
}

Result<DiscOperationResult> Recorder::verify_disc(const std::string& drive_id, const ProgressCallback& progress,
                                                  CallDeadline deadline) {
  ASSIGN_OR_RETURN(auto* s, session(drive_id));
  return s->verify(progress, deadline);
}

Result<DiscOperationResult> Recorder::delete_from_disc(const std::string& drive_id, const std::string& what,
                                                       CallDeadline deadline) {
  ASSIGN_OR_RETURN(auto* s, session(drive_id));
  return s->delete_recording(what, deadline);
}

uint32_t Recorder::active_recordings() const {
  MutexLock lock(mutex_);
  uint32_t n = 0;
  for (auto& [id, s] : sessions_) n += s->active_recordings();
  return n;
}

void Recorder::stop_all() {
  std::vector<DriveSession*> sessions;
  std::vector<DrivePool*> pools;
  {
    MutexLock lock(mutex_);
    for (auto& [id, s] : sessions_) sessions.push_back(s.get());
    for (auto& [id, p] : pools_) pools.push_back(p.get());
  }
  for (auto* p : pools) p->stop_all();  // their sources first: the parts then drain
  for (auto* s : sessions) s->stop_all();
}

}  // namespace discrec::recorder
