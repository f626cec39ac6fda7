// RingPool and rings carved from it: exact accounting, no stranded
// capacity, rings that work across the seams of a fragmented pool, a clear
// refusal when it is exhausted, and no mapping or locking when rings start.
#include "recorder/core/ring_pool.h"

#include <gtest/gtest.h>

#include <fstream>
#include <numeric>
#include <string>
#include <vector>

#include "recorder/core/ring_buffer.h"
#include "recorder/core/streaming_writer.h"
#include "writer_test_support.h"

namespace discrec::recorder {
namespace {

constexpr size_t kG = RingPool::kGranuleBytes;

std::unique_ptr<RingPool> make_pool(size_t bytes) {
  auto pool = RingPool::create(bytes);
  EXPECT_TRUE(pool.ok()) << pool.error().to_string();
  return std::move(pool).value();
}

TEST(RingPoolTest, CarveAndReturnAccountExactly) {
  auto pool = make_pool(16 * kG);
  EXPECT_EQ(pool->capacity(), 16 * kG);
  EXPECT_EQ(pool->free_bytes(), 16 * kG);
  {
    auto a = RingMemory::carve(*pool, 3 * kG);
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a->size(), 3 * kG);
    EXPECT_EQ(a->granules(), 3u);
    EXPECT_EQ(a->run_count(), 1u);
    EXPECT_EQ(pool->used_bytes(), 3 * kG);
    auto b = RingMemory::carve(*pool, 1);  // a part of a granule takes the granule
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(pool->used_bytes(), 4 * kG);
    RingMemory moved = std::move(*b);
    EXPECT_EQ(pool->used_bytes(), 4 * kG) << "a move returns nothing";
    moved.reset();
    EXPECT_EQ(pool->used_bytes(), 3 * kG);
    moved.reset();
    EXPECT_EQ(pool->used_bytes(), 3 * kG) << "returned once";
  }
  EXPECT_EQ(pool->free_bytes(), 16 * kG);
}

TEST(RingPoolTest, ExhaustionIsAClearRefusal) {
  auto pool = make_pool(8 * kG);
  auto a = RingMemory::carve(*pool, 6 * kG);
  ASSERT_TRUE(a.ok());
  auto b = RingMemory::carve(*pool, 3 * kG);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code(), ErrorCode::kResourceExhausted);
  const std::string m = b.error().message();
  EXPECT_NE(m.find("ring memory pool has 0.1 MiB of its 0.5 MiB free, 0.2 MiB are needed"), std::string::npos) << m;
  EXPECT_EQ(pool->used_bytes(), 6 * kG) << "a refusal takes nothing";
  EXPECT_FALSE(ByteRing::create(4 * kG, pool.get()).ok());
  EXPECT_TRUE(ByteRing::create(2 * kG, pool.get()).ok());
}

// Rings ending in any order leave the free granules scattered; a ring as
// large as all of them together still fits, and works across every seam.
TEST(RingPoolTest, ScatteredFreeGranulesAreNotStranded) {
  auto pool = make_pool(16 * kG);
  std::vector<RingMemory> one_granule;
  for (int i = 0; i < 16; ++i) one_granule.push_back(std::move(RingMemory::carve(*pool, kG)).value());
  for (int i = 0; i < 16; i += 2) one_granule[i].reset();  // every other one ends
  EXPECT_EQ(pool->free_bytes(), 8 * kG);

  auto ring = ByteRing::create(8 * kG, pool.get());
  ASSERT_TRUE(ring.ok()) << ring.error().to_string();
  EXPECT_EQ(ring->capacity(), 8 * kG);
  EXPECT_EQ(ring->memory_runs(), 8u);
  EXPECT_EQ(pool->free_bytes(), 0u);

  // Laps of odd-sized pushes: every seam and the wrap are crossed at
  // different offsets; what comes out is what went in.
  std::vector<uint8_t> in(7 * 1316 + 11), out(in.size());
  uint8_t next = 0;
  for (int lap = 0; lap < 40; ++lap) {
    for (auto& b : in) b = next++;
    ASSERT_TRUE(ring->try_write(in));
    ring->peek(0, out);
    ASSERT_EQ(in, out) << "lap " << lap;
    // In place only up to the seam.
    const size_t to_seam = ring->bytes_to_end();
    EXPECT_LE(to_seam, kG);
    EXPECT_EQ(ring->contiguous(std::min(in.size(), to_seam)).size(), std::min(in.size(), to_seam));
    if (in.size() > to_seam) {
      EXPECT_TRUE(ring->contiguous(in.size()).empty());
    }
    ring->consume(in.size());
  }
  ring->release_memory();
  EXPECT_EQ(pool->free_bytes(), 8 * kG);
}

TEST(RingPoolTest, RecordsWorkAcrossSeams) {
  auto pool = make_pool(8 * kG);
  std::vector<RingMemory> held;
  for (int i = 0; i < 8; ++i) held.push_back(std::move(RingMemory::carve(*pool, kG)).value());
  held[1].reset();
  held[4].reset();
  auto ring = ChunkRing::create(2 * kG / sizeof(Chunk), pool.get());
  ASSERT_TRUE(ring.ok());
  EXPECT_EQ(ring->capacity(), 2 * kG / sizeof(Chunk));
  for (uint64_t i = 0; i < 3 * ring->capacity(); ++i) {
    ASSERT_TRUE(ring->try_push(Chunk{.input_begin = i, .size = 188}));
    ASSERT_EQ(ring->at(0).input_begin, i);
    ring->pop();
  }
}

// A single run is taken from the smallest free run that holds it, so large
// runs stay whole for large rings.
TEST(RingPoolTest, BestFitKeepsLargeRunsWhole) {
  auto pool = make_pool(10 * kG);
  auto a = std::move(RingMemory::carve(*pool, 4 * kG)).value();  // [0, 4)
  auto b = std::move(RingMemory::carve(*pool, 1 * kG)).value();  // [4, 5)
  auto c = std::move(RingMemory::carve(*pool, 4 * kG)).value();  // [5, 9); [9, 10) free
  a.reset();                                                      // [0, 4) free
  auto small = std::move(RingMemory::carve(*pool, kG)).value();
  EXPECT_EQ(small.at(0), c.at(0) + 4 * kG) << "took the 1-granule run, not a piece of the 4";
  auto large = RingMemory::carve(*pool, 4 * kG);
  ASSERT_TRUE(large.ok());
  EXPECT_EQ(large->run_count(), 1u);
}

// The writer takes a recording's bytes across the seams of a ring carved
// from scattered granules (in place up to a seam, copied across one): the
// file on disc is the stream pushed, packet for packet.
TEST(RingPoolTest, TheWriterRecordsEveryByteOfARingWithSeams) {
  using namespace std::chrono_literals;
  auto pool = make_pool(24 * kG);
  std::vector<RingMemory> held;
  for (int i = 0; i < 24; ++i) held.push_back(std::move(RingMemory::carve(*pool, kG)).value());
  for (int i = 0; i < 24; i += 2) held[i].reset();
  SimulatedClock clock;
  testing::ModelTarget target(clock, 4 * 1'385'000);
  WriterOptions o;
  o.start_lba = 1000;
  o.guaranteed_bytes_per_second = 4 * 1'385'000;
  o.max_units_per_command = 4;
  StreamingWriter writer(target, clock, o);
  RecordingConfig c;
  c.name = "seams";
  c.priority = 1;
  c.bitrate_bps = 8'000'000;
  c.ring_bytes = 8 * kG;  // half a second at 8 Mbit/s, in 8 pieces
  c.ring_pool = pool.get();
  auto rec = writer.add_recording(c);
  ASSERT_TRUE(rec.ok()) << rec.error().to_string();
  EXPECT_EQ((*rec)->stats().ring_capacity, 8 * kG);
  std::vector<testing::TsSource> sources(1);
  sources[0] = testing::TsSource{*rec, 1, 8'000'000};
  testing::run_until(clock, writer, sources, TimePoint{} + 3s);
  testing::stop_all(clock, writer, sources);
  auto extents = writer.extents((*rec)->id());
  ASSERT_TRUE(extents.ok());
  EXPECT_TRUE(extents->shed.empty());
  const auto file = testing::read_file(target, *extents);
  EXPECT_EQ(testing::packet_indexes(file, 1), testing::expected_packets(sources[0], {}));
  EXPECT_GT(sources[0].next_packet, 10'000u);
  rec->reset();
  sources.clear();
}

// /proc/self/status: the process's mapped and locked memory, in kB.
struct VmFigures {
  long long size_kb = -1;
  long long locked_kb = -1;
};
VmFigures vm_figures() {
  VmFigures f;
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmSize:", 0) == 0) f.size_kb = std::atoll(line.c_str() + 7);
    if (line.rfind("VmLck:", 0) == 0) f.locked_kb = std::atoll(line.c_str() + 6);
  }
  return f;
}

// Starting and stopping rings from the pool maps, unmaps and locks
// nothing: the process's address space is the same size before, while and
// after they run. (Rings of their own map it every time: the control case
// shows the measurement sees it.)
TEST(RingPoolTest, StartingRingsFromThePoolMapsAndLocksNothing) {
  if (vm_figures().size_kb < 0) GTEST_SKIP() << "no /proc/self/status here";
  constexpr int kRings = 12;
  constexpr size_t kBytes = 4 << 20;
  auto pool = make_pool(kRings * (kBytes + kG));
  struct Rings {
    std::vector<ByteRing> bytes;
    std::vector<ChunkRing> chunks;
  };
  auto start = [&](Rings& r, RingPool* from) {
    for (int i = 0; i < kRings; ++i) {
      auto b = ByteRing::create(kBytes, from);
      auto c = ChunkRing::create(kBytes / 2048, from);
      ASSERT_TRUE(b.ok() && c.ok());
      r.bytes.push_back(std::move(b).value());
      r.chunks.push_back(std::move(c).value());
    }
  };
  Rings rings;
  rings.bytes.reserve(kRings);
  rings.chunks.reserve(kRings);
  // The control case first: rings of their own are mapped, and the figures
  // must show it (wine's /proc/self/status, say, does not).
  const VmFigures unpooled = vm_figures();
  start(rings, nullptr);
  const long long grown_kb = vm_figures().size_kb - unpooled.size_kb;
  rings.bytes.clear();
  rings.chunks.clear();
  if (grown_kb < static_cast<long long>(kRings * (kBytes >> 10)))
    GTEST_SKIP() << "/proc/self/status does not show this process's mappings (grew " << grown_kb << " kB)";

  const VmFigures before = vm_figures();
  for (int storm = 0; storm < 3; ++storm) {
    start(rings, pool.get());
    EXPECT_EQ(pool->free_bytes(), 0u);
    const VmFigures during = vm_figures();
    EXPECT_EQ(during.size_kb, before.size_kb) << "starting rings mapped memory";
    EXPECT_EQ(during.locked_kb, before.locked_kb) << "starting rings locked memory";
    rings.bytes.clear();
    rings.chunks.clear();
    const VmFigures after = vm_figures();
    EXPECT_EQ(after.size_kb, before.size_kb) << "stopping rings unmapped memory";
    EXPECT_EQ(after.locked_kb, before.locked_kb);
    EXPECT_EQ(pool->used_bytes(), 0u);
  }
}

}  // namespace
}  // namespace discrec::recorder
