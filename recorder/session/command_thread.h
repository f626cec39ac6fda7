// CommandThread: the one thread that works a drive. Control calls post a
// command and wait for its result; the thread runs commands one at a time
// in order, and between commands a periodic tick (events, media changes).
// Nothing else touches the drive's session state, so it needs no lock: the
// code that runs here says so with REQUIRES(role()).
//
// A caller waits for its command to start for at most `queue_wait` (a drive
// whose previous command hangs must not hold the caller's thread: the
// command is then dropped unrun and the caller told), and then for as long
// as the command runs, relaying its progress on the caller's own thread, so
// a slow client never stalls the drive.
//
// Thread-safety: post()/call() from any thread except the command thread;
// stop() once, from the owner.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "base/clock.h"
#include "base/mutex.h"
#include "base/result.h"
#include "recorder/session/types.h"

namespace discrec::recorder {

class CommandThread {
 public:
  // `tick` runs on the thread every `tick_interval` while no command runs.
  CommandThread(std::string name, std::function<void()> tick, Nanos tick_interval);
  ~CommandThread();  // stop()
  CommandThread(const CommandThread&) = delete;
  CommandThread& operator=(const CommandThread&) = delete;

  void start();
  // Runs what is queued, then ends the thread. Later posts are refused.
  void stop();

  // Runs `command` on the thread and returns its result. `progress` (may be
  // empty) is called on this caller's thread with the command's latest
  // progress. kUnavailable if the thread is stopped; kUnavailable also if
  // the command did not start within `queue_wait` (it is then never run).
  template <typename T>
  Result<T> call(const std::string& what, std::function<Result<T>(const ProgressCallback&)> command,
                 Nanos queue_wait, const ProgressCallback& progress = {});
  // Runs `command` on the thread without waiting for it.
  Status post(std::function<void()> command);

  bool on_thread() const { return std::this_thread::get_id() == thread_id_; }

 private:
  struct Pending {
    std::function<void(const ProgressCallback&)> run;
    Mutex mutex;
    CondVar cv;
    bool started GUARDED_BY(mutex) = false;
    bool cancelled GUARDED_BY(mutex) = false;
    bool done GUARDED_BY(mutex) = false;
    std::optional<DiscProgress> progress GUARDED_BY(mutex);  // the latest, not yet relayed
  };
  Status enqueue(std::shared_ptr<Pending> pending);
  // Waits for `pending` as call() describes; false if it never started.
  bool wait(Pending& pending, Nanos queue_wait, const ProgressCallback& progress);
  void main();

  const std::string name_;
  const std::function<void()> tick_;
  const Nanos tick_interval_;
  Mutex mutex_;
  CondVar cv_;
  std::deque<std::shared_ptr<Pending>> queue_ GUARDED_BY(mutex_);
  bool stopping_ GUARDED_BY(mutex_) = false;
  std::thread thread_;  // started and joined by the owner
  std::thread::id thread_id_;
};

template <typename T>
Result<T> CommandThread::call(const std::string& what, std::function<Result<T>(const ProgressCallback&)> command,
                              Nanos queue_wait, const ProgressCallback& progress) {
  std::optional<Result<T>> result;
  auto pending = std::make_shared<Pending>();
  pending->run = [&](const ProgressCallback& report) { result.emplace(command(report)); };
  RETURN_IF_ERROR(enqueue(pending));
  if (!wait(*pending, queue_wait, progress))
    return Error(ErrorCode::kUnavailable,
                 name_ + " did not take up the request to " + what + " within " +
                     std::to_string(std::chrono::duration_cast<std::chrono::seconds>(queue_wait).count()) +
                     " s: an earlier command is still running; try again");
  return std::move(*result);
}

}  // namespace discrec::recorder
