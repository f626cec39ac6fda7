// Starting recordings' rings in a burst: from the RingPool the daemon
// reserves at start-up, against a reference of the same rings mapped and
// locked (or, where mlock is refused, touched) one by one, in the same run.
//
// Two figures, each a start storm of kRings rings of kRingBytes (and their
// chunk records), then all of them stopped, repeated kRounds times:
//  - the time to start (and stop) a ring;
//  - the worst stall of a neighbour thread that meanwhile maps and unmaps a
//    small region in a loop: what a running recording's threads suffer when
//    they need the address-space lock (a thread stack, a large malloc, an
//    mprotect) while rings are being mapped, locked and unmapped (issue 17).
// The pool is locked when the process may lock it (CAP_IPC_LOCK, or a
// memlock limit above it); the line says which. An unlocked pool faults a
// ring's pages in when it is carved and gives them back when it returns,
// as unlocked rings were touched and unmapped, so its time figure is
// mostly that page work; the neighbour's stalls are the point there.
// Prints: <name>: <value> <unit>, reference <value> <unit>, ratio <r> (goal >= <g>)
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

#include "recorder/core/recording.h"
#include "recorder/core/ring_pool.h"

using namespace discrec;
using namespace discrec::recorder;

namespace {

constexpr int kRings = 16;
constexpr size_t kRingBytes = 16 << 20;
constexpr int kRounds = 6;

struct Figures {
  double us_per_start = 0;
  double neighbour_worst_us = 0;
};

// A neighbour that needs the address-space lock for writing, in a loop;
// its worst iteration.
class Neighbour {
 public:
  Neighbour()
      : thread_([this] {
          while (!stop_.load(std::memory_order_relaxed)) {
            const auto t0 = std::chrono::steady_clock::now();
            void* p = mmap(nullptr, 64 << 10, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (p != MAP_FAILED) munmap(p, 64 << 10);
            const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
            if (measuring_.load(std::memory_order_relaxed)) worst_ = std::max(worst_.load(), us);
            std::this_thread::sleep_for(std::chrono::microseconds(200));
          }
        }) {}
  ~Neighbour() {
    stop_ = true;
    thread_.join();
  }
  void measure(bool on) { measuring_ = on; }
  double take_worst() { return worst_.exchange(0); }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<bool> measuring_{false};
  std::atomic<double> worst_{0};
  std::thread thread_;
};

Figures storm(RingPool* pool, Neighbour& neighbour) {
  SimulatedClock clock;
  RecordingConfig config;
  config.bitrate_bps = 4'000'000;
  config.ring_bytes = kRingBytes;
  config.ring_pool = pool;
  double seconds = 0;
  neighbour.take_worst();
  neighbour.measure(true);
  for (int round = 0; round < kRounds; ++round) {
    const auto t0 = std::chrono::steady_clock::now();
    {
      std::vector<std::shared_ptr<Recording>> running;
      for (int i = 0; i < kRings; ++i) {
        auto r = Recording::create(static_cast<RecordingId>(i + 1), config, clock, 512 << 10, 0.1);
        if (!r.ok()) {
          std::fprintf(stderr, "starting a ring: %s\n", r.error().to_string().c_str());
          std::exit(2);
        }
        running.push_back(std::move(r).value());
      }
    }
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  neighbour.measure(false);
  return {seconds * 1e6 / (kRounds * kRings), neighbour.take_worst()};
}

}  // namespace

int main() {
  const size_t records = RingPool::carve_size(kRingBytes / 2048 * sizeof(Chunk));
  auto pool = RingPool::create(kRings * (kRingBytes + records));
  if (!pool.ok()) {
    std::fprintf(stderr, "reserving the pool: %s\n", pool.error().to_string().c_str());
    return 2;
  }
  Neighbour neighbour;
  // Warm-up: heap, page tables, the first carve.
  (void)storm(pool->get(), neighbour);
  Figures ref{}, pooled{};
  // Interleaved, so both see the same neighbours on a shared machine; the
  // best of three of each.
  for (int i = 0; i < 3; ++i) {
    Figures r = storm(nullptr, neighbour);
    Figures p = storm(pool->get(), neighbour);
    if (i == 0 || r.us_per_start < ref.us_per_start) ref.us_per_start = r.us_per_start;
    if (i == 0 || p.us_per_start < pooled.us_per_start) pooled.us_per_start = p.us_per_start;
    if (i == 0 || r.neighbour_worst_us < ref.neighbour_worst_us) ref.neighbour_worst_us = r.neighbour_worst_us;
    if (i == 0 || p.neighbour_worst_us < pooled.neighbour_worst_us) pooled.neighbour_worst_us = p.neighbour_worst_us;
  }
  const char* mode = (*pool)->locked() ? "locked pool" : "pool not lockable here";
  std::printf("ring start from the pool (%d x %zu MiB, %s): %.0f us/ring, reference %.0f us/ring, ratio %.2f (goal >= 2)\n",
              kRings, kRingBytes >> 20, mode, pooled.us_per_start, ref.us_per_start,
              ref.us_per_start / std::max(pooled.us_per_start, 1e-3));
  std::printf("neighbour's worst mmap stall during a ring start storm (%s): %.0f us, reference %.0f us, ratio %.2f (goal >= 2)\n",
              mode, pooled.neighbour_worst_us, ref.neighbour_worst_us,
              ref.neighbour_worst_us / std::max(pooled.neighbour_worst_us, 1.0));
  return 0;
}
