// Time, injected. The emulated drive's timing model and the recorder's
// deadline scheduler read time only through a Clock, so tests run in
// simulated time, deterministically and fast; the daemon uses real time.
//
// Thread-safety: SteadyClock is thread-safe. SimulatedClock is thread-safe
// (atomic), but simulated time is only deterministic when one thread drives
// it (the test's event loop).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace discrec {

// Nanoseconds on a monotonic time line. The epoch is the clock's own.
using Nanos = std::chrono::nanoseconds;
using TimePoint = std::chrono::time_point<std::chrono::steady_clock, Nanos>;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
  // Blocks (real clock) or advances time (simulated clock) until `t`.
  virtual void sleep_until(TimePoint t) = 0;
  void sleep_for(Nanos d) { sleep_until(now() + d); }
};

class SteadyClock final : public Clock {
 public:
  TimePoint now() const override;
  void sleep_until(TimePoint t) override;
  // A process-wide instance for code that has no clock injected.
  static SteadyClock& instance();
};

// Time only moves when someone sleeps or calls advance(). Sleeping never
// blocks: it jumps the clock forward (never backward).
class SimulatedClock final : public Clock {
 public:
  explicit SimulatedClock(TimePoint start = TimePoint{}) : now_ns_(start.time_since_epoch().count()) {}
  TimePoint now() const override { return TimePoint{Nanos{now_ns_.load(std::memory_order_acquire)}}; }
  void sleep_until(TimePoint t) override;
  void advance(Nanos d) { sleep_until(now() + d); }

 private:
  std::atomic<int64_t> now_ns_;
};

}  // namespace discrec
