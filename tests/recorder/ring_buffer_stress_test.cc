// One producer thread and one consumer thread hammer a ByteRing + ChunkRing
// pair the way ingest and the writer do; every byte must come out in order,
// every chunk must describe exactly its bytes. Runs under ThreadSanitizer
// in build-tsan (label tsan).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "recorder/core/ring_buffer.h"
#include "recorder/core/seqlock.h"

namespace discrec::recorder {
namespace {

uint8_t byte_at(uint64_t pos) { return static_cast<uint8_t>((pos * 131) ^ (pos >> 9)); }

TEST(RingBufferStressTest, ProducerAndConsumerThreadsKeepEveryByteInOrder) {
  auto bytes_or = ByteRing::create(4096);
  auto chunks_or = ChunkRing::create(64);
  ASSERT_TRUE(bytes_or.ok() && chunks_or.ok());
  ByteRing& bytes = *bytes_or;
  ChunkRing& chunks = *chunks_or;
  constexpr uint64_t kTotal = 8 << 20;
  std::atomic<size_t> max_fill_seen{0};

  std::thread producer([&] {
    uint64_t pos = 0;
    uint32_t n = 0;
    std::vector<uint8_t> buf(1500);
    while (pos < kTotal) {
      const size_t size = 1 + (n * 7919) % 1500;
      for (size_t i = 0; i < size; ++i) buf[i] = byte_at(pos + i);
      if (!chunks.free_slot() || !bytes.try_write({buf.data(), size})) {
        std::this_thread::yield();
        continue;
      }
      Chunk c;
      c.input_begin = pos;
      c.size = static_cast<uint32_t>(size);
      c.gop_start = n % 10 == 0;
      ASSERT_TRUE(chunks.try_push(c));
      pos += size;
      ++n;
    }
  });
  std::thread observer([&] {  // any thread may read the fill level
    for (int i = 0; i < 20000; ++i) {
      size_t f = bytes.fill();
      EXPECT_LE(f, bytes.capacity());
      if (f > max_fill_seen.load()) max_fill_seen.store(f);
    }
  });

  uint64_t pos = 0;
  uint32_t n = 0;
  std::vector<uint8_t> out(1500);
  while (pos < kTotal) {
    if (chunks.available() == 0) {
      std::this_thread::yield();
      continue;
    }
    const Chunk c = chunks.at(0);
    ASSERT_EQ(c.input_begin, pos);
    ASSERT_EQ(c.gop_start, n % 10 == 0);
    ASSERT_EQ(bytes.read_position(), pos);
    // Read in two pieces to exercise offsets.
    const size_t half = c.size / 2;
    bytes.peek(0, {out.data(), half});
    bytes.peek(half, {out.data() + half, c.size - half});
    for (size_t i = 0; i < c.size; ++i) ASSERT_EQ(out[i], byte_at(pos + i)) << "at " << pos + i;
    bytes.consume(c.size);
    chunks.pop();
    pos += c.size;
    ++n;
  }
  producer.join();
  observer.join();
  EXPECT_EQ(bytes.fill(), 0u);
  EXPECT_EQ(chunks.size(), 0u);
}

// The same through a ChunkCoalescer: every record starts at a push, a GOP
// start only ever begins one, and the last pending record is published by
// the consumer once the producer has gone (as the writer does at a stop).
TEST(RingBufferStressTest, CoalescedRecordsDescribeExactlyThePushes) {
  auto bytes_or = ByteRing::create(8192);
  auto chunks_or = ChunkRing::create(8);
  ASSERT_TRUE(bytes_or.ok() && chunks_or.ok());
  ByteRing& bytes = *bytes_or;
  ChunkRing& chunks = *chunks_or;
  constexpr uint64_t kTotal = 8 << 20;
  constexpr uint32_t kPublish = 3000;
  auto push_size = [](uint32_t n) -> size_t { return 1 + (n * 7919) % 1500; };
  ChunkCoalescer coalescer(kPublish, std::chrono::hours(1));
  std::atomic<bool> producer_done{false};

  std::thread producer([&] {
    uint64_t pos = 0;
    std::vector<uint8_t> buf(1500);
    for (uint32_t n = 0; pos < kTotal;) {
      const size_t size = push_size(n);
      for (size_t i = 0; i < size; ++i) buf[i] = byte_at(pos + i);
      if (!coalescer.has_room(chunks) || !bytes.try_write({buf.data(), size})) {
        coalescer.publish(chunks);  // as Recording does when the ring is full
        std::this_thread::yield();
        continue;
      }
      Chunk c;
      c.input_begin = pos;
      c.size = static_cast<uint32_t>(size);
      c.gop_start = n % 10 == 0;
      coalescer.add(chunks, c);
      pos += size;
      ++n;
    }
    producer_done.store(true, std::memory_order_release);
  });

  uint64_t pos = 0;
  uint32_t n = 0;  // the push that begins at `pos`
  uint64_t records = 0;
  std::vector<uint8_t> out(2 * kPublish);
  bool adopted = false;
  while (pos < kTotal) {
    if (chunks.available() == 0) {
      if (producer_done.load(std::memory_order_acquire) && !adopted) {
        producer.join();
        coalescer.publish(chunks);
        adopted = true;
      }
      std::this_thread::yield();
      continue;
    }
    const Chunk c = chunks.at(0);
    ASSERT_EQ(c.input_begin, pos);
    ASSERT_EQ(c.gop_start, n % 10 == 0);
    ASSERT_LT(c.size, 2 * kPublish);
    // The record ends on a push boundary and holds no GOP start but its first.
    uint64_t end = pos;
    uint32_t m = n;
    do {
      end += push_size(m++);
      ASSERT_LE(end, c.input_end()) << "a record ends inside a push";
    } while (end < c.input_end() && m % 10 != 0);
    ASSERT_EQ(end, c.input_end()) << "a record runs past a GOP start";
    bytes.peek(0, {out.data(), c.size});
    for (size_t i = 0; i < c.size; ++i) ASSERT_EQ(out[i], byte_at(pos + i)) << "at " << pos + i;
    bytes.consume(c.size);
    chunks.pop();
    pos = end;
    n = m;
    ++records;
  }
  if (!adopted) producer.join();
  EXPECT_EQ(chunks.size(), 0u);
  EXPECT_LT(records, n / 2) << "small pushes were not merged";
}

struct Pair {
  uint64_t x, y;
};

TEST(RingBufferStressTest, SeqlockReadersNeverSeeATornSnapshot) {
  Seqlock<Pair> lock;
  lock.publish({0, ~uint64_t{0}});
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (uint64_t i = 1; i <= 200000; ++i) lock.publish({i, ~i});
    done.store(true);
  });
  uint64_t last = 0;
  while (!done.load()) {
    Pair p = lock.read();
    ASSERT_EQ(p.y, ~p.x);
    ASSERT_GE(p.x, last);
    last = p.x;
  }
  writer.join();
  EXPECT_EQ(lock.read().x, 200000u);
}

}  // namespace
}  // namespace discrec::recorder
