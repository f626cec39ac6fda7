#include "recorder/session/command_thread.h"

namespace discrec::recorder {

CommandThread::CommandThread(std::string name, std::function<void()> tick, Nanos tick_interval)
    : name_(std::move(name)), tick_(std::move(tick)), tick_interval_(tick_interval) {}

CommandThread::~CommandThread() { stop(); }

void CommandThread::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { main(); });
  thread_id_ = thread_.get_id();
}

void CommandThread::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable() && !on_thread()) thread_.join();
}

Status CommandThread::enqueue(std::shared_ptr<Pending> pending) {
  {
    std::lock_guard lock(mutex_);
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
  std::unique_lock lock(pending.mutex);
  const auto give_up = std::chrono::steady_clock::now() + queue_wait;
  while (!pending.done) {
    if (!pending.started && std::chrono::steady_clock::now() >= give_up) {
      pending.cancelled = true;
      return false;
    }
    // Progress is relayed here, on the caller's thread, at most every 50 ms.
    pending.cv.wait_for(lock, std::chrono::milliseconds(50));
    if (pending.progress && progress) {
      DiscProgress p = *pending.progress;
      pending.progress.reset();
      lock.unlock();
      progress(p);
      lock.lock();
    }
  }
  if (pending.progress && progress) progress(*pending.progress);
  return true;
}

void CommandThread::main() {
  std::unique_lock lock(mutex_);
  auto next_tick = std::chrono::steady_clock::now();
  for (;;) {
    if (queue_.empty()) {
      if (stopping_) return;
      if (std::chrono::steady_clock::now() >= next_tick) {
        lock.unlock();
        if (tick_) tick_();
        lock.lock();
        next_tick = std::chrono::steady_clock::now() + tick_interval_;
        continue;
      }
      cv_.wait_until(lock, next_tick, [&] { return stopping_ || !queue_.empty(); });
      continue;
    }
    std::shared_ptr<Pending> pending = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    bool run = false;
    {
      std::lock_guard p(pending->mutex);
      run = !pending->cancelled;
      pending->started = run;
    }
    if (run) {
      Pending* raw = pending.get();
      pending->run([raw](const DiscProgress& progress) {
        {
          std::lock_guard p(raw->mutex);
          raw->progress = progress;
        }
        raw->cv.notify_all();
      });
    }
    {
      std::lock_guard p(pending->mutex);
      pending->done = true;
    }
    pending->cv.notify_all();
    lock.lock();
  }
}

}  // namespace discrec::recorder
