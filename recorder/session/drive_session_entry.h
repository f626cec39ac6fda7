// DriveSession's record of one recording: its request, the writer-side
// Recording (the ring), and the ingest thread feeding it; and the scope that
// marks the session busy. Private to the session's .cc files.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "recorder/core/recording.h"
#include "recorder/core/streaming_writer.h"
#include "recorder/ingest/ingest.h"
#include "recorder/session/drive_session.h"
#include "recorder/session/paced_sink.h"

namespace discrec::recorder {

struct DriveSession::Entry {
  ~Entry() {
    if (paced) paced->stop();
    if (ingest) ingest->stop();
    if (thread.joinable()) thread.join();
  }
  // Ingest has returned and the writer has written or lost every byte.
  bool ended() const { return ingest_done.load(std::memory_order_acquire) && recording->finished(); }

  StartRecordingParams params;
  std::string id;
  WallTime start_time;
  std::shared_ptr<Recording> recording;
  RingBudget::Reservation ring_reservation;  // given back once the rings are freed
  std::unique_ptr<PacedSink> paced;   // files and pipes: wait for the drive instead of shedding
  bool paced_source = false;          // `paced` was made (it is freed once the recording ends)
  bool ring_locked = true;            // as allocated (the ring is freed once the recording ends)
  StreamingWriter* writer = nullptr;  // outlives the entry's thread
  std::unique_ptr<ingest::Ingest> ingest;
  std::thread thread;
  std::atomic<bool> ingest_done{false};
  std::atomic<bool> stop_requested{false};
  std::string disc_path;                // set at finalize; GUARDED_BY(session mutex)
  std::vector<std::string> disc_parts;  // likewise; see RecordingInfo

  mutable std::mutex mutex;
  std::string error;                 // GUARDED_BY(mutex)
  // Why the source ended when it did (a later finalize stops nothing):
  // "stopped on request" or "the source ended"; empty after an error.
  std::string end_reason;            // GUARDED_BY(mutex)
  std::optional<WallTime> end_time;  // GUARDED_BY(mutex)

  // What poll_events() has already announced.
  uint64_t announced_lost = 0;
  uint64_t announced_shed = 0;
  bool announced_end = false;
  bool journaled_end = false;  // GUARDED_BY(session mutex)
};

// A recording's shed ranges as the API lists them, in stream order: the
// writer's sheds (a GOP each) and what its full ring turned away. Start
// times count from `origin` (0 for all when it is not known).
std::vector<ShedRangeInfo> shed_range_infos(const std::vector<ShedRange>& shed,
                                            const std::vector<OverflowRange>& overflows, TimePoint origin);

// Marks the session busy for its lifetime; constructed with mutex_ held,
// after the operation's preconditions were checked.
class DriveSession::BusyScope {
 public:
  BusyScope(DriveSession& session, const Busy& busy) : session_(session), previous_(session.busy_.load()) {
    session_.refresh_cache_locked();
    session_.busy_.store(&busy, std::memory_order_release);
  }
  ~BusyScope() { session_.busy_.store(previous_, std::memory_order_release); }
  BusyScope(const BusyScope&) = delete;
  BusyScope& operator=(const BusyScope&) = delete;

 private:
  DriveSession& session_;
  const Busy* previous_;
};

}  // namespace discrec::recorder
