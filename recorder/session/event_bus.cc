#include "recorder/session/event_bus.h"

#include <algorithm>

namespace discrec::recorder {

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
  }
  return "event";
}

std::optional<Event> EventSubscription::next(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  cv_.wait_for(lock, timeout, [&] { return closed_ || !queue_.empty(); });
  if (queue_.empty()) return std::nullopt;
  Event e = std::move(queue_.front());
  queue_.pop_front();
  e.dropped = dropped_;
  dropped_ = 0;
  return e;
}

void EventSubscription::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  cv_.notify_all();
}

bool EventSubscription::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

void EventSubscription::push(const Event& event) {
  if (!drive_filter_.empty() && event.drive_id != drive_filter_) return;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    if (queue_.size() >= capacity_) {
      queue_.pop_front();
      ++dropped_;
    }
    queue_.push_back(event);
  }
  cv_.notify_one();
}

std::shared_ptr<EventSubscription> EventBus::subscribe(const std::string& drive_filter, size_t capacity) {
  auto sub = std::make_shared<EventSubscription>(std::max<size_t>(capacity, 1), drive_filter);
  std::lock_guard lock(mutex_);
  subscribers_.push_back(sub);
  return sub;
}

void EventBus::publish(Event event) {
  if (event.time == WallTime{}) event.time = std::chrono::system_clock::now();
  std::vector<std::shared_ptr<EventSubscription>> live;
  {
    std::lock_guard lock(mutex_);
    std::erase_if(subscribers_, [](const auto& w) { return w.expired(); });
    for (auto& w : subscribers_)
      if (auto s = w.lock()) live.push_back(std::move(s));
  }
  for (auto& s : live) s->push(event);
}

size_t EventBus::subscriber_count() const {
  std::lock_guard lock(mutex_);
  size_t n = 0;
  for (auto& w : subscribers_) n += !w.expired();
  return n;
}

void EventBus::close_all() {
  std::vector<std::shared_ptr<EventSubscription>> live;
  {
    std::lock_guard lock(mutex_);
    for (auto& w : subscribers_)
      if (auto s = w.lock()) live.push_back(std::move(s));
  }
  for (auto& s : live) s->close();
}

}  // namespace discrec::recorder
