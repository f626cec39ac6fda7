#include "recorder/session/command_thread.h"

namespace discrec::recorder {

CommandThread::CommandThread(std::string name, std::function<void()> tick, Nanos tick_interval)
    : name_(std::move(name)), tick_(std::move(tick)), tick_interval_(tick_interval) {}

CommandThread::~CommandThread() { stop(); }

void CommandThread::start() {
  MutexLock lock(mutex_);
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { main(); });
  thread_id_ = thread_.get_id();
}

void CommandThread::stop() {
  {
    MutexLock lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable() && !on_thread()) thread_.join();
}

Status CommandThread::enqueue(std::shared_ptr<Pending> pending) {
  {
    MutexLock lock(mutex_);
    if (stopping_ || !thread_.joinable()) return Error(ErrorCode::kUnavailable, name_ + " is shutting down");
    queue_.push_back(std::move(pending));
  }
  cv_.notify_all();
  return {};
}

Status CommandThread::post(std::function<void()> command) {
  auto pending = std::make_shared<Pending>();
  pending->run = [command = std::move(command)](const ProgressCallback&) { command(); };
  return enqueue(std::move(pending));
}

bool CommandThread::wait(Pending& pending, Nanos queue_wait, const ProgressCallback& progress) {
  const auto give_up = std::chrono::steady_clock::now() + queue_wait;
  for (;;) {
    std::optional<DiscProgress> report;
    {
      MutexLock lock(pending.mutex);
      if (!pending.done && !pending.started && std::chrono::steady_clock::now() >= give_up) {
        pending.cancelled = true;
        return false;
      }
      // Progress is relayed here, on the caller's thread, at most every 50 ms.
      if (!pending.done && !pending.progress)
        (void)pending.cv.wait_until(pending.mutex, std::chrono::steady_clock::now() + std::chrono::milliseconds(50));
      report = std::exchange(pending.progress, std::nullopt);
      if (pending.done && !report) return true;
    }
    if (report && progress) progress(*report);
  }
}

void CommandThread::main() {
  auto next_tick = std::chrono::steady_clock::now();
  for (;;) {
    std::shared_ptr<Pending> pending;
    bool tick = false;
    {
      MutexLock lock(mutex_);
      while (queue_.empty() && !stopping_ && std::chrono::steady_clock::now() < next_tick)
        (void)cv_.wait_until(mutex_, next_tick);
      if (!queue_.empty()) {
        pending = std::move(queue_.front());
        queue_.pop_front();
      } else if (stopping_) {
        return;
      } else {
        tick = true;
      }
    }
    if (tick) {
      if (tick_) tick_();
      next_tick = std::chrono::steady_clock::now() + tick_interval_;
      continue;
    }
    bool run = false;
    {
      MutexLock p(pending->mutex);
      run = !pending->cancelled;
      pending->started = run;
    }
    if (run) {
      Pending* raw = pending.get();
      pending->run([raw](const DiscProgress& progress) {
        {
          MutexLock p(raw->mutex);
          raw->progress = progress;
        }
        raw->cv.notify_all();
      });
    }
    {
      MutexLock p(pending->mutex);
      pending->done = true;
    }
    pending->cv.notify_all();
  }
}

}  // namespace discrec::recorder
