// The writer thread's hot path does not allocate: over a simulated run with
// interleaved recordings (every command closes an extent) and shedding, with
// a consumer draining the extents as the session's journal does, no
// service_once() call reaches operator new. Counted by a global operator new
// that counts only while the calling thread is inside service_once().
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "writer_test_support.h"

// The replacements pair malloc with free; g++ cannot see that they match.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace {
thread_local bool t_counting = false;
std::atomic<uint64_t> g_writer_allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  if (t_counting) g_writer_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace discrec::recorder {
using namespace testing;
namespace {

// A drive that takes everything at `rate` and allocates nothing itself.
class NullTarget final : public BlockTarget {
 public:
  NullTarget(SimulatedClock& clock, uint64_t rate) : clock_(clock), rate_(rate) {}
  Status write_blocks(uint32_t, std::span<const uint8_t> data, bool) override {
    clock_.advance(1ms + Nanos(static_cast<int64_t>(static_cast<double>(data.size()) * 1e9 /
                                                    static_cast<double>(rate_))));
    return ok_status();
  }
  Status flush() override { return ok_status(); }
  SimulatedClock& clock_;
  uint64_t rate_;
};

struct Counting {
  Counting() { t_counting = true; }
  ~Counting() { t_counting = false; }
};

// Runs sources and the writer to `end`; every `drain_every` service_once()
// calls the consumer drains (0: nobody does). Returns the allocations made
// inside service_once().
uint64_t run(SimulatedClock& clock, StreamingWriter& writer, std::vector<TsSource>& sources, TimePoint end,
             int drain_every, std::vector<RecordingExtents>& drained) {
  const uint64_t before = g_writer_allocations.load();
  int calls = 0;
  while (clock.now() < end) {
    for (auto& s : sources) s.feed(clock.now());
    TimePoint wake;
    {
      Counting counting;
      wake = writer.service_once();
    }
    if (drain_every > 0 && ++calls % drain_every == 0) writer.drain_extents(drained);
    TimePoint next = std::min(wake, end);
    for (auto& s : sources) next = std::min(next, s.next_arrival());
    if (next > clock.now()) clock.sleep_until(next);
  }
  return g_writer_allocations.load() - before;
}

// Blocks of the recorded extents in drained lists (the open extent each
// drain repeats is counted from the last list of its recording only).
uint64_t recorded_blocks(const std::vector<RecordingExtents>& lists) {
  uint64_t blocks = 0;
  std::map<RecordingId, const RecordingExtents*> last;
  for (const auto& e : lists) {
    last[e.recording_id] = &e;
    for (size_t i = 0; i < e.recorded.size(); ++i) {
      if (e.last_recorded_open && i + 1 == e.recorded.size()) continue;
      blocks += e.recorded[i].blocks;
    }
  }
  for (const auto& [id, e] : last) {
    if (e->last_recorded_open) blocks += e->recorded.back().blocks;
  }
  return blocks;
}

WriterOptions options(uint64_t rate) {
  WriterOptions o;
  o.guaranteed_bytes_per_second = rate;
  o.max_units_per_command = 2;
  o.extent_queue = 64;
  return o;
}

TEST(WriterAllocationTest, ServiceOnceNeverAllocatesWhileAConsumerDrains) {
  SimulatedClock clock;
  constexpr uint64_t kRate = 4'000'000;  // bytes/s
  NullTarget target(clock, kRate);
  StreamingWriter writer(target, clock, options(kRate));
  std::vector<TsSource> sources;
  for (int i = 0; i < 3; ++i) add_source(writer, sources, i, 6'000'000, clock.now());
  ASSERT_FALSE(HasFailure());
  std::vector<RecordingExtents> drained;
  // Interleaved: thousands of extents, far more than extent_queue.
  EXPECT_EQ(run(clock, writer, sources, clock.now() + 60s, 50, drained), 0u);
  // Overload for a while (the drive slows to a fifth): GOPs are shed.
  target.rate_ = kRate / 5;
  EXPECT_EQ(run(clock, writer, sources, clock.now() + 20s, 50, drained), 0u);
  target.rate_ = kRate;
  EXPECT_EQ(run(clock, writer, sources, clock.now() + 20s, 50, drained), 0u);
  const DriveStats st = writer.stats();
  EXPECT_GT(st.shed_gops, 0u);
  size_t extents = 0;
  for (const auto& e : drained) extents += e.recorded.size();
  EXPECT_GT(extents, 1000u);
  stop_all(clock, writer, sources);
  writer.drain_extents(drained);
  EXPECT_EQ(recorded_blocks(drained), writer.stats().blocks_written);
}

TEST(WriterAllocationTest, WithoutAConsumerNothingClosedIsLost) {
  SimulatedClock clock;
  constexpr uint64_t kRate = 4'000'000;
  NullTarget target(clock, kRate);
  StreamingWriter writer(target, clock, options(kRate));
  std::vector<TsSource> sources;
  for (int i = 0; i < 3; ++i) add_source(writer, sources, i, 6'000'000, clock.now());
  ASSERT_FALSE(HasFailure());
  std::vector<RecordingExtents> none;
  run(clock, writer, sources, clock.now() + 30s, 0, none);
  stop_all(clock, writer, sources);
  const DriveStats st = writer.stats();
  // The lists filled, the writer kept extents back, then grew the lists
  // itself: counted, and every extent is there.
  EXPECT_GT(st.journal_queue_full, 0u);
  EXPECT_GT(st.journal_queue_grown, 0u);
  const auto all = writer.extents();
  EXPECT_EQ(recorded_blocks(all), st.blocks_written);
}

}  // namespace
}  // namespace discrec::recorder
