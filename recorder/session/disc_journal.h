// DiscJournal: the crash journal of one open disc, as its own unit: its
// file in the state directory, its thread, and the writer's extents on
// their way into it (ExtentJournal, which the writer hands each closed
// extent to once).
//
// Once per interval its thread makes what the drive acknowledged durable
// (SYNCHRONIZE CACHE) and then logs it, so everything logged was on the
// medium: "confirmed". From there on the journal is the disc's only complete
// list of extents; finalize and verify replay it.
//
// Thread-safety: thread-safe. start()/stop() from the drive's command
// thread; append() and sync() from it or the journal's own thread. What
// start() is given (the writer, its target, the extent hand-over) must
// outlive the syncing, which stop() ends.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/mutex.h"
#include "recorder/journal/journal_file.h"
#include "recorder/session/drive_snapshot.h"

namespace discrec::recorder {

class DiscJournal {
 public:
  // A new journal at `path` whose first record is `disc_begin`.
  static Result<std::unique_ptr<DiscJournal>> create(const std::string& path, const std::vector<uint8_t>& disc_begin,
                                                     Nanos interval);
  // The journal a stop or crash left, continued after its `valid_bytes`.
  static Result<std::unique_ptr<DiscJournal>> reopen(const std::string& path, uint64_t valid_bytes, Nanos interval);
  ~DiscJournal();  // stop()

  const std::string& path() const { return path_; }
  // Appends records at once (a recording's begin and end, finalize's).
  // A failure is also kept for take_failure().
  Status append(const std::vector<std::vector<uint8_t>>& records);
  // Starts the thread that syncs `writing` once per interval.
  void start(std::shared_ptr<DiscWriting> writing);
  // Ends the thread (a sync in progress completes).
  void stop();
  // One sync now: flush, then log what was collected before the flush.
  Status sync();
  // The last failure of an append or sync, once (for an event).
  std::optional<Error> take_failure();

 private:
  DiscJournal(std::string path, std::unique_ptr<journal::JournalFile> file, Nanos interval);
  void main();

  const std::string path_;
  const Nanos interval_;
  // One sync at a time (the thread, verify, finalize, stop): the open
  // extent must not be logged out of order.
  Mutex sync_mutex_ ACQUIRED_BEFORE(file_mutex_);
  std::shared_ptr<DiscWriting> writing_ GUARDED_BY(sync_mutex_);
  Mutex file_mutex_;
  std::unique_ptr<journal::JournalFile> file_ GUARDED_BY(file_mutex_);
  std::optional<Error> failure_ GUARDED_BY(file_mutex_);
  Mutex wake_mutex_;
  CondVar wake_;
  bool quit_ GUARDED_BY(wake_mutex_) = false;
  std::thread thread_;
};

}  // namespace discrec::recorder
