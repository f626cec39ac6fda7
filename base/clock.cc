#include "base/clock.h"

#include <thread>

namespace discrec {

TimePoint SteadyClock::now() const {
  return std::chrono::time_point_cast<Nanos>(std::chrono::steady_clock::now());
}

void SteadyClock::sleep_until(TimePoint t) { std::this_thread::sleep_until(t); }

SteadyClock& SteadyClock::instance() {
  static SteadyClock clock;
  return clock;
}

void SimulatedClock::sleep_until(TimePoint t) {
  int64_t target = t.time_since_epoch().count();
  int64_t current = now_ns_.load(std::memory_order_acquire);
  while (current < target &&
         !now_ns_.compare_exchange_weak(current, target, std::memory_order_acq_rel)) {
  }
}

}  // namespace discrec
