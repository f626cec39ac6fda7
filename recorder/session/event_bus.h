// EventBus: drive and recording events fanned out to any number of
// watchers, and a bounded history of them. Publishing never blocks on a
// watcher: each subscription is a bounded queue; when it is full the oldest
// event is dropped and counted.
//
// Every event gets a sequence number (1, 2, ... since the bus was made) so a
// watcher that replays the history and then follows live events can tell
// where one ends and the other begins: subscribe() returns the last number
// published before the subscription saw anything, the history up to it is
// read in pages, and the live queue starts right after it. No gap (other
// than counted drops) and no duplicate.
//
// The history is bounded by count and age (EventHistoryLimits); what falls
// out of it is gone for replays, and a replay that loses events to it is
// told how many (Event::dropped), as a slow watcher is.
//
// Thread-safety: thread-safe. publish() takes the bus mutex briefly and each
// subscription's mutex briefly (in that order, so every subscriber sees
// events in sequence order); it is never called from a writer thread's hot
// path (the writer publishes snapshots, the session turns them into events).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include "base/mutex.h"
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
  kDiscSpace,    // the disc being recorded is filling up, or full
  kDriveOpened,  // a drive that could not be opened (or got a new URI) opened
};
const char* event_kind_name(EventKind kind);

// Event::disc for a disc whose recording began at `began`.
std::string disc_name(WallTime began);

struct Event {
  EventKind kind = EventKind::kDriveError;
  WallTime time;
  std::string drive_id;
  std::string recording_id;
  // The disc being recorded in the drive, named by when its recording
  // began ("20261205T031500Z", UTC; kept across restarts by its journal);
  // empty when the event is about no open disc.
  std::string disc;
  std::string message;
  uint64_t sequence = 0;  // set by EventBus::publish: 1, 2, ...
  uint64_t dropped = 0;   // events this subscriber missed before this one
};

struct EventHistoryLimits {
  size_t max_events = 10000;
  Nanos max_age = std::chrono::hours(24);
};

// Which past events a replay wants: those with a sequence number above
// `after_sequence` and a time at or after `since` (either may be left out).
struct EventHistoryQuery {
  std::string drive_filter;  // empty = all drives
  uint64_t after_sequence = 0;
  std::optional<WallTime> since;
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
  void push(const Event& event) EXCLUDES(mutex_);

  const size_t capacity_;
  const std::string drive_filter_;
  mutable Mutex mutex_;
  CondVar cv_;
  std::deque<Event> queue_ GUARDED_BY(mutex_);
  uint64_t dropped_ GUARDED_BY(mutex_) = 0;
  bool closed_ GUARDED_BY(mutex_) = false;
};

class EventBus {
 public:
  explicit EventBus(EventHistoryLimits limits = {}) : limits_(limits) {}
  // New bounds for the history (a configuration reload); applied at once.
  void set_history_limits(EventHistoryLimits limits);

  // drive_filter empty = all drives. `last_sequence`, if given, receives the
  // sequence number of the last event published before this subscription:
  // the subscription gets every later one (see the class comment).
  std::shared_ptr<EventSubscription> subscribe(const std::string& drive_filter, size_t capacity = 256,
                                               uint64_t* last_sequence = nullptr);
  void publish(Event event);
  size_t subscriber_count() const;
  void close_all();

  // One page of the history: at most `max` events matching `query` with a
  // sequence number above query.after_sequence and at most `up_to`, oldest
  // first. If events after query.after_sequence (> 0) already fell out of
  // the history, the first returned event's `dropped` says how many (of any
  // drive: the history does not keep what it forgot). Copies only the page,
  // so a replay of a long history costs a page of memory at a time.
  std::vector<Event> history(const EventHistoryQuery& query, uint64_t up_to, size_t max) const;
  uint64_t last_sequence() const;

 private:
  void trim_history_locked(WallTime now) const REQUIRES(mutex_);

  mutable Mutex mutex_;
  EventHistoryLimits limits_ GUARDED_BY(mutex_);
  std::vector<std::weak_ptr<EventSubscription>> subscribers_ GUARDED_BY(mutex_);
  // Trimmed by age when read as well, hence mutable.
  mutable std::deque<Event> history_ GUARDED_BY(mutex_);  // oldest first
  uint64_t last_sequence_ GUARDED_BY(mutex_) = 0;
};

}  // namespace discrec::recorder
