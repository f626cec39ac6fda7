#include "recorder/core/ring_buffer.h"

#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "recorder/core/seqlock.h"
#include "recorder/core/slack_histogram.h"

namespace discrec::recorder {
namespace {

std::vector<uint8_t> iota_bytes(size_t n, uint8_t start) {
  std::vector<uint8_t> v(n);
  std::iota(v.begin(), v.end(), start);
  return v;
}

TEST(ByteRingTest, CapacityIsRoundedToAPowerOfTwo) {
  auto ring = ByteRing::create(1000);
  ASSERT_TRUE(ring.ok());
  EXPECT_EQ(ring->capacity(), 1024u);
  EXPECT_EQ(ring->fill(), 0u);
  EXPECT_FALSE(ByteRing::create(0).ok());
}

TEST(ByteRingTest, WritesWrapAroundAndReadBackInOrder) {
  auto ring = ByteRing::create(16);
  ASSERT_TRUE(ring.ok());
  uint8_t next = 0;
  uint8_t expect = 0;
  for (int round = 0; round < 50; ++round) {
    auto in = iota_bytes(5 + round % 7, next);
    ASSERT_TRUE(ring->try_write(in));
    next = static_cast<uint8_t>(next + in.size());
    EXPECT_EQ(ring->fill(), in.size());
    std::vector<uint8_t> out(in.size());
    ring->peek(0, out);
    for (uint8_t b : out) EXPECT_EQ(b, expect++);
    ring->consume(out.size());
    EXPECT_EQ(ring->fill(), 0u);
  }
  EXPECT_EQ(ring->read_position(), ring->write_position());
}

TEST(ByteRingTest, RefusesWhatDoesNotFitAndKeepsContents) {
  auto ring = ByteRing::create(8);
  ASSERT_TRUE(ring.ok());
  ASSERT_TRUE(ring->try_write(iota_bytes(6, 1)));
  EXPECT_FALSE(ring->try_write(iota_bytes(3, 100)));  // 6 + 3 > 8: all or nothing
  EXPECT_EQ(ring->fill(), 6u);
  EXPECT_TRUE(ring->try_write(iota_bytes(2, 7)));
  EXPECT_EQ(ring->fill(), 8u);
  std::vector<uint8_t> out(8);
  ring->peek(0, out);
  EXPECT_EQ(out, iota_bytes(8, 1));
  ring->consume(3);
  std::vector<uint8_t> tail(2);
  ring->peek(3, tail);  // offset from the read position
  EXPECT_EQ(tail, (std::vector<uint8_t>{7, 8}));
}

TEST(ByteRingTest, ReportsWhetherMemoryIsLocked) {
  auto ring = ByteRing::create(1 << 16);
  ASSERT_TRUE(ring.ok());
  // Either answer is legitimate (RLIMIT_MEMLOCK); the point is it is known
  // and stable.
  EXPECT_EQ(ring->locked(), ring->locked());
  auto big = LockedMemory::allocate(3);
  ASSERT_TRUE(big.ok());
  EXPECT_GE(big->size(), 3u);
}

TEST(ChunkRingTest, PushPopInOrderUntilFull) {
  auto ring = ChunkRing::create(4);
  ASSERT_TRUE(ring.ok());
  for (uint32_t i = 0; i < 4; ++i) {
    Chunk c;
    c.input_begin = i * 10;
    c.size = 10;
    c.gop_start = i % 2 == 0;
    ASSERT_TRUE(ring->try_push(c));
  }
  EXPECT_FALSE(ring->try_push(Chunk{}));
  EXPECT_EQ(ring->size(), 4u);
  EXPECT_EQ(ring->at(2).input_begin, 20u);
  EXPECT_TRUE(ring->at(2).gop_start);
  ring->pop(2);
  EXPECT_EQ(ring->at(0).input_begin, 20u);
  EXPECT_TRUE(ring->try_push(Chunk{}));
  EXPECT_EQ(ring->available(), 3u);
}

// --- ChunkCoalescer: small pushes of one GOP become one record ---

Chunk push_at(uint64_t begin, uint32_t size, bool gop_start, TimePoint arrival) {
  Chunk c;
  c.input_begin = begin;
  c.size = size;
  c.gop_start = gop_start;
  c.arrival = c.last_arrival = arrival;
  return c;
}

TimePoint at_ms(int ms) { return TimePoint{} + std::chrono::milliseconds(ms); }

TEST(ChunkCoalescerTest, MergesSmallPushesUntilThePublishSize) {
  auto ring = ChunkRing::create(16);
  ASSERT_TRUE(ring.ok());
  ChunkCoalescer co(4096, std::chrono::seconds(1));
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(co.has_room(*ring));
    co.add(*ring, push_at(i * 1000, 1000, i == 0, at_ms(i)));
    EXPECT_EQ(ring->available(), 0u) << "published at " << (i + 1) * 1000 << " bytes, below 4096";
    EXPECT_TRUE(co.pending());
  }
  co.add(*ring, push_at(4000, 1000, false, at_ms(4)));
  ASSERT_EQ(ring->available(), 1u);
  EXPECT_FALSE(co.pending());
  const Chunk& c = ring->at(0);
  EXPECT_EQ(c.input_begin, 0u);
  EXPECT_EQ(c.size, 5000u);
  EXPECT_TRUE(c.gop_start);
  EXPECT_EQ(c.arrival, at_ms(0)) << "the deadline is the first push's";
  EXPECT_EQ(c.last_arrival, at_ms(4));
}

TEST(ChunkCoalescerTest, AGopStartAlwaysBeginsARecord) {
  auto ring = ChunkRing::create(16);
  ASSERT_TRUE(ring.ok());
  ChunkCoalescer co(1 << 20, std::chrono::seconds(1));
  co.add(*ring, push_at(0, 1316, false, at_ms(0)));
  co.add(*ring, push_at(1316, 1316, false, at_ms(1)));
  co.add(*ring, push_at(2632, 1316, true, at_ms(2)));
  ASSERT_EQ(ring->available(), 1u) << "the GOP start publishes what came before it";
  EXPECT_EQ(ring->at(0).size, 2632u);
  EXPECT_FALSE(ring->at(0).gop_start);
  co.add(*ring, push_at(3948, 1316, false, at_ms(3)));
  co.publish(*ring);
  ASSERT_EQ(ring->available(), 2u);
  EXPECT_EQ(ring->at(1).input_begin, 2632u);
  EXPECT_EQ(ring->at(1).size, 2632u);
  EXPECT_TRUE(ring->at(1).gop_start);
  co.publish(*ring);
  EXPECT_EQ(ring->available(), 2u) << "nothing pending: publish() adds nothing";
}

TEST(ChunkCoalescerTest, PushesFarApartInTimeOrInputDoNotMerge) {
  auto ring = ChunkRing::create(16);
  ASSERT_TRUE(ring.ok());
  ChunkCoalescer co(1 << 20, std::chrono::milliseconds(10));
  co.add(*ring, push_at(0, 188, false, at_ms(0)));
  co.add(*ring, push_at(188, 188, false, at_ms(10)));  // just within the span
  co.add(*ring, push_at(376, 188, false, at_ms(11)));  // 11 ms after the record's first
  co.add(*ring, push_at(1000, 188, false, at_ms(12)));  // not contiguous
  co.publish(*ring);
  ASSERT_EQ(ring->available(), 3u);
  EXPECT_EQ(ring->at(0).size, 376u);
  EXPECT_EQ(ring->at(0).last_arrival, at_ms(10));
  EXPECT_EQ(ring->at(1).input_begin, 376u);
  EXPECT_EQ(ring->at(2).input_begin, 1000u);
}

TEST(ChunkCoalescerTest, ALargePushIsPublishedAtOnceAsItsOwnRecord) {
  auto ring = ChunkRing::create(16);
  ASSERT_TRUE(ring.ok());
  ChunkCoalescer co(4096, std::chrono::seconds(1));
  co.add(*ring, push_at(0, 1000, false, at_ms(0)));
  co.add(*ring, push_at(1000, 65536, false, at_ms(1)));
  ASSERT_EQ(ring->available(), 2u);
  EXPECT_FALSE(co.pending());
  EXPECT_EQ(ring->at(0).size, 1000u);
  EXPECT_EQ(ring->at(1).size, 65536u);
}

TEST(ChunkCoalescerTest, APendingRecordHoldsASlot) {
  auto ring = ChunkRing::create(2);
  ASSERT_TRUE(ring.ok());
  ChunkCoalescer co(4096, std::chrono::seconds(1));
  co.add(*ring, push_at(0, 8192, false, at_ms(0)));  // published: one slot left
  EXPECT_TRUE(co.has_room(*ring));
  co.add(*ring, push_at(8192, 100, false, at_ms(1)));  // pending in the last slot
  EXPECT_FALSE(co.has_room(*ring)) << "a push may need the pending slot and another";
  co.publish(*ring);
  EXPECT_FALSE(co.has_room(*ring));
  ring->pop();
  EXPECT_TRUE(co.has_room(*ring));
  EXPECT_EQ(ring->at(0).size, 100u);
}

struct Sample {
  uint64_t a, b, c;
  int32_t d;
};

TEST(SeqlockTest, ReadsWhatWasPublished) {
  Seqlock<Sample> lock;
  EXPECT_EQ(lock.read().a, 0u);
  lock.publish({1, 2, 3, -4});
  Sample s = lock.read();
  EXPECT_EQ(s.a, 1u);
  EXPECT_EQ(s.c, 3u);
  EXPECT_EQ(s.d, -4);
}

TEST(SlackHistogramTest, MinimumExactAndP99FromTheLowTail) {
  SlackHistogram h;
  EXPECT_EQ(h.p99_ns(), 0);
  for (int i = 0; i < 990; ++i) h.add(std::chrono::milliseconds(500));
  for (int i = 0; i < 10; ++i) h.add(std::chrono::milliseconds(-20 - i));
  EXPECT_EQ(h.min_ns(), -29'000'000);
  // 1% of 1000 samples = 10 may be below p99; the 11th smallest is 500 ms.
  EXPECT_EQ(h.p99_ns(), 500'000'000);
  h.add(std::chrono::milliseconds(-5));
  EXPECT_LT(h.p99_ns(), 0);
}

}  // namespace
}  // namespace discrec::recorder
