// EventBus: drive and recording events fanned out to any number of
// watchers. Publishing never blocks on a watcher: each subscription is a
// bounded queue; when it is full the oldest event is dropped and counted.
//
// Thread-safety: thread-safe. publish() takes the bus mutex briefly and each
// subscription's mutex briefly; it is never called from a writer thread's
// hot path (the writer publishes snapshots, the session turns them into events).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "recorder/session/types.h"

namespace discrec::recorder {

enum class EventKind {
  kMediumInserted,
  kMediumRemoved,
  kDriveError,
  kRecordingState,
  kDiscFinalized,
  kRecovery,
  kLoadShed,
  kLostExtent,
  kDiscSpace,  // the disc being recorded is filling up, or full
};
const char* event_kind_name(EventKind kind);

struct Event {
  EventKind kind = EventKind::kDriveError;
  WallTime time;
  std::string drive_id;
  std::string recording_id;
  std::string message;
  uint64_t dropped = 0;  // events this subscriber missed before this one
};

class EventSubscription {
 public:
  explicit EventSubscription(size_t capacity, std::string drive_filter)
      : capacity_(capacity), drive_filter_(std::move(drive_filter)) {}

  // Waits up to `timeout` for the next event. nullopt on timeout or close.
  std::optional<Event> next(std::chrono::milliseconds timeout);
  void close();
  bool closed() const;

 private:
  friend class EventBus;
  void push(const Event& event);

  const size_t capacity_;
  const std::string drive_filter_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Event> queue_;  // GUARDED_BY(mutex_)
  uint64_t dropped_ = 0;     // GUARDED_BY(mutex_)
  bool closed_ = false;      // GUARDED_BY(mutex_)
};

class EventBus {
 public:
  // drive_filter empty = all drives.
  std::shared_ptr<EventSubscription> subscribe(const std::string& drive_filter, size_t capacity = 256);
  void publish(Event event);
  size_t subscriber_count() const;
  void close_all();

 private:
  mutable std::mutex mutex_;
  std::vector<std::weak_ptr<EventSubscription>> subscribers_;  // GUARDED_BY(mutex_)
};

}  // namespace discrec::recorder
