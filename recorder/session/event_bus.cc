#include "recorder/session/event_bus.h"

#include <algorithm>
#include <ctime>

#include "base/file_io.h"

namespace discrec::recorder {

std::string disc_name(WallTime began) {
  const std::time_t t = std::chrono::system_clock::to_time_t(began);
  const std::tm utc = file_io::utc_time(t);
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &utc);
  return text;
}


const char* event_kind_name(EventKind kind) {
  switch (kind) {
    case EventKind::kMediumInserted: return "medium inserted";
    case EventKind::kMediumRemoved: return "medium removed";
    case EventKind::kDriveError: return "drive error";
    case EventKind::kRecordingState: return "recording state";
    case EventKind::kDiscFinalized: return "disc finalized";
    case EventKind::kRecovery: return "recovery";
    case EventKind::kLoadShed: return "load shed";
    case EventKind::kLostExtent: return "lost extent";
    case EventKind::kDiscSpace: return "disc space";
    case EventKind::kDriveOpened: return "drive opened";
  }
  return "event";
}

std::optional<Event> EventSubscription::next(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  MutexLock lock(mutex_);
  while (!closed_ && queue_.empty()) {
    if (cv_.wait_until(mutex_, deadline) == std::cv_status::timeout) break;
  }
  if (queue_.empty()) return std::nullopt;
  Event e = std::move(queue_.front());
  queue_.pop_front();
  e.dropped = dropped_;
  dropped_ = 0;
  return e;
}

void EventSubscription::close() {
  {
    MutexLock lock(mutex_);
    closed_ = true;
  }
  cv_.notify_all();
}

bool EventSubscription::closed() const {
  MutexLock lock(mutex_);
  return closed_;
}

void EventSubscription::push(const Event& event) {
  if (!drive_filter_.empty() && event.drive_id != drive_filter_) return;
  {
    MutexLock lock(mutex_);
    if (closed_) return;
    if (queue_.size() >= capacity_) {
      queue_.pop_front();
      ++dropped_;
    }
    queue_.push_back(event);
  }
  cv_.notify_one();
}

std::shared_ptr<EventSubscription> EventBus::subscribe(const std::string& drive_filter, size_t capacity,
                                                       uint64_t* last_sequence) {
  auto sub = std::make_shared<EventSubscription>(std::max<size_t>(capacity, 1), drive_filter);
  MutexLock lock(mutex_);
  subscribers_.push_back(sub);
  if (last_sequence != nullptr) *last_sequence = last_sequence_;
  return sub;
}

void EventBus::publish(Event event) {
  const WallTime now = std::chrono::system_clock::now();
  if (event.time == WallTime{}) event.time = now;
  // Numbered, recorded and delivered under one lock: every subscriber sees
  // the numbers in order, and subscribe() can say where its queue begins.
  // Each push only takes a subscription's lock briefly; none waits.
  MutexLock lock(mutex_);
  event.sequence = ++last_sequence_;
  event.dropped = 0;
  if (limits_.max_events > 0) {
    history_.push_back(event);
    trim_history_locked(now);
  }
  std::erase_if(subscribers_, [](const auto& w) { return w.expired(); });
  for (auto& w : subscribers_)
    if (auto s = w.lock()) s->push(event);
}

void EventBus::trim_history_locked(WallTime now) const {
  const WallTime oldest = now - std::chrono::duration_cast<WallTime::duration>(limits_.max_age);
  while (!history_.empty() && (history_.size() > limits_.max_events || history_.front().time < oldest))
    history_.pop_front();
}

std::vector<Event> EventBus::history(const EventHistoryQuery& query, uint64_t up_to, size_t max) const {
  std::vector<Event> page;
  MutexLock lock(mutex_);
  trim_history_locked(std::chrono::system_clock::now());
  // The history holds consecutive numbers: find the first wanted by index.
  const uint64_t first_kept = history_.empty() ? last_sequence_ + 1 : history_.front().sequence;
  const uint64_t wanted = query.after_sequence + 1;
  uint64_t lost = 0;
  size_t i = 0;
  if (wanted < first_kept) {
    // Events the caller had not seen fell out. Counted only for a replay by
    // sequence number: one by time cannot know how many it would have wanted.
    if (query.after_sequence > 0) lost = std::min(first_kept, up_to + 1) - wanted;
  } else {
    i = static_cast<size_t>(wanted - first_kept);
  }
  for (; i < history_.size() && page.size() < max; ++i) {
    const Event& e = history_[i];
    if (e.sequence > up_to) break;
    if (!query.drive_filter.empty() && e.drive_id != query.drive_filter) continue;
    if (query.since && e.time < *query.since) continue;
    page.push_back(e);
  }
  if (!page.empty()) page.front().dropped = lost;
  return page;
}

void EventBus::set_history_limits(EventHistoryLimits limits) {
  MutexLock lock(mutex_);
  limits_ = limits;
  if (limits_.max_events == 0) history_.clear();
  trim_history_locked(std::chrono::system_clock::now());
}

uint64_t EventBus::last_sequence() const {
  MutexLock lock(mutex_);
  return last_sequence_;
}

size_t EventBus::subscriber_count() const {
  MutexLock lock(mutex_);
  size_t n = 0;
  for (auto& w : subscribers_) n += !w.expired();
  return n;
}

void EventBus::close_all() {
  std::vector<std::shared_ptr<EventSubscription>> live;
  {
    MutexLock lock(mutex_);
    for (auto& w : subscribers_)
      if (auto s = w.lock()) live.push_back(std::move(s));
  }
  for (auto& s : live) s->close();
}

}  // namespace discrec::recorder
