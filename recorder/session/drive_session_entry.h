// DriveSession's record of one recording and the helpers its .cc files
// share. Private to the session.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "recorder/core/recording.h"
#include "recorder/core/streaming_writer.h"
#include "recorder/ingest/source_policy.h"
#include "recorder/session/drive_session.h"
#include "recorder/session/paced_sink.h"

namespace discrec::recorder {

// One recording: its request, the writer-side Recording (the ring), and
// the source thread feeding it. Owned by the command thread; what readers
// see of it is a RecordingView made from it (view_of()).
struct DriveSession::Entry {
  ~Entry() {
    if (paced) paced->stop();
    if (source) source->stop();
    if (thread.joinable()) thread.join();
  }
  // The source has returned and the writer has written or lost every byte.
  bool ended() const { return end->source_done.load(std::memory_order_acquire) && recording->finished(); }

  StartRecordingParams params;
  std::string id;
  WallTime start_time;
  std::shared_ptr<Recording> recording;
  RingBudget::Reservation ring_reservation;  // given back once the rings are freed
  std::unique_ptr<PacedSink> paced;   // files and pipes: wait for the drive instead of shedding
  bool paced_source = false;          // `paced` was made (it is freed once the recording ends)
  bool ring_locked = true;            // as allocated (the ring is freed once the recording ends)
  std::shared_ptr<DiscWriting> writing;  // outlives the source thread
  std::shared_ptr<TsSource> source;
  std::thread thread;
  std::shared_ptr<RecordingEnd> end = std::make_shared<RecordingEnd>();
  std::string disc_path;                // set at finalize
  std::vector<std::string> disc_parts;  // likewise; see RecordingInfo

  // What the events have already said.
  uint64_t announced_lost = 0;
  uint64_t announced_shed = 0;
  bool announced_end = false;
  bool journaled_end = false;
};

// A recording as it goes into the file system.
struct DriveSession::DiscFile {
  std::string id;
  std::string title;
  WallTime start;
  WallTime end;
  RecordingExtents extents;  // recording_id: the writer id the journal knows it by
};

// What start_recording() checked on the caller's thread, before the
// request reaches the drive: the source policy needs neither.
struct DriveSession::CheckedStart {
  ingest::CheckedSource source;
};

// Marks the drive busy with `what` in reads while a command works (the
// first recording's OPC, a ring's allocation, a stop).
class DriveSession::Activity {
 public:
  Activity(DriveSession& session, std::string what) : session_(session) {
    session_.on_commands_.assert_on();  // made by commands only
    previous_ = session_.activity_;
    session_.activity_ = std::move(what);
    session_.publish_snapshot();
  }
  ~Activity() {
    session_.on_commands_.assert_on();
    session_.activity_ = previous_;
    session_.publish_snapshot();
  }
  Activity(const Activity&) = delete;
  Activity& operator=(const Activity&) = delete;

 private:
  DriveSession& session_;
  std::string previous_;
};

// Lost extents that take blocks on the disc. One with none (input the drive
// never took: a timed-out write, what was buffered when the writer gave up)
// is counted in the recording's statistics, but it is neither in the file
// nor on the disc, so finalize and verify do not report it.
size_t lost_on_disc(const RecordingExtents& extents);

// A command's outcome without its value.
template <typename T>
Status status_of(Result<T>&& result) {
  if (!result.ok()) return std::move(result).error();
  return {};
}

// What reads say a drive busy with a long request is doing.
const char* busy_text(DiscState busy);

template <typename T>
Result<T> DriveSession::run(DiscRequest request, const std::string& what, CallDeadline deadline,
                            std::function<Result<T>(const ProgressCallback&)> body, const ProgressCallback& progress) {
  // A long operation refuses at once: the caller should not wait minutes.
  if (auto s = snapshot(); is_busy(s->state) && refuses_controls(s->state))
    return Error(ErrorCode::kUnavailable, "drive " + spec_id_ + " is busy " + s->activity +
                                              "; try again when that is done");
  std::function<Result<T>(const ProgressCallback&)> command = [this, request, body](const ProgressCallback& report) {
    on_commands_.assert_on();
    auto previous = begin_request(request);
    if (!previous.ok()) return Result<T>(std::move(previous).error());
    Result<T> result = body(report);
    end_request(std::move(*previous));
    return result;
  };
  return commands_.call<T>(what, command, queue_wait(deadline), progress);
}

// Unix nanoseconds of a wall-clock time, as the journal keeps them.
inline int64_t unix_ns(WallTime t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

}  // namespace discrec::recorder
