// The writer on its own thread with a real clock, ingest threads pushing,
// and a control thread adding, stopping and reading snapshots, as in the
// daemon. Runs under ThreadSanitizer in build-tsan (label tsan): any lock
// shared with, or data race against, the writer thread shows up there.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "recorder/core/streaming_writer.h"
#include "writer_test_support.h"

namespace discrec::recorder {
namespace {

using namespace std::chrono_literals;

// A drive that accepts everything at once, keeping the bytes.
class MemoryTarget final : public BlockTarget {
 public:
  Status write_blocks(uint32_t lba, std::span<const uint8_t> data, bool) override {
    std::lock_guard lock(mutex);  // only this thread and the test's final read
    for (size_t i = 0; i < data.size() / 2048; ++i) {
      disc[lba + static_cast<uint32_t>(i)].assign(data.begin() + i * 2048, data.begin() + (i + 1) * 2048);
    }
    return ok_status();
  }
  Status flush() override { return ok_status(); }
  std::mutex mutex;
  std::map<uint32_t, std::vector<uint8_t>> disc;
};

TEST(WriterThreadTest, IngestWriterAndControlThreadsTogether) {
  MemoryTarget target;
  WriterOptions o;
  o.guaranteed_bytes_per_second = 100'000'000;
  o.idle_poll = 200us;
  StreamingWriter writer(target, SteadyClock::instance(), o);
  ASSERT_TRUE(writer.start().ok());

  constexpr int kRecordings = 4;
  constexpr uint64_t kPackets = 7 * 3000;
  std::vector<std::shared_ptr<Recording>> recordings;
  for (int i = 0; i < kRecordings; ++i) {
    RecordingConfig c;
    c.name = "r" + std::to_string(i);
    c.priority = i;
    c.bitrate_bps = 20'000'000;
    c.ring_bytes = 4 << 20;
    auto r = writer.add_recording(c);
    ASSERT_TRUE(r.ok());
    recordings.push_back(*r);
  }
  std::atomic<int> producers_done{0};
  std::vector<std::thread> ingest;
  for (int i = 0; i < kRecordings; ++i) {
    ingest.emplace_back([&, i] {
      std::vector<uint8_t> buf(7 * kTsPacketSize);
      for (uint64_t p = 0; p < kPackets; p += 7) {
        for (int k = 0; k < 7; ++k) {
          testing::TsSource::make_packet(buf.data() + k * kTsPacketSize, i + 1, p + k);
        }
        // Back off while the ring is nearly full, as a live source would
        // not; here it keeps the byte count exact.
        while (recordings[i]->stats().ring_fill + buf.size() > (3u << 20)) std::this_thread::yield();
        Status s = recordings[i]->write_packets(buf, p % 700 == 0);
        ASSERT_TRUE(s.ok()) << s.error().to_string();
      }
      producers_done.fetch_add(1);
    });
  }
  // Control thread: snapshots while everything runs.
  std::thread control([&] {
    while (producers_done.load() < kRecordings) {
      DriveStats d = writer.stats();
      EXPECT_LE(d.bytes_written, d.bytes_in + 1);
      for (auto& r : recordings) {
        RecordingStats s = r->stats();
        EXPECT_LE(s.ring_fill, s.ring_capacity);
      }
      auto e = writer.extents();
      EXPECT_EQ(e.size(), static_cast<size_t>(kRecordings));
      std::this_thread::sleep_for(1ms);
    }
  });
  for (auto& t : ingest) t.join();
  control.join();
  for (auto& r : recordings) ASSERT_TRUE(writer.stop_recording(r->id()).ok());
  for (int i = 0; i < 5000; ++i) {
    bool all = true;
    for (auto& r : recordings) all = all && r->finished();
    if (all) break;
    std::this_thread::sleep_for(1ms);
  }
  writer.stop();
  std::lock_guard lock(target.mutex);
  for (int i = 0; i < kRecordings; ++i) {
    ASSERT_TRUE(recordings[i]->finished());
    RecordingStats s = recordings[i]->stats();
    EXPECT_EQ(s.bytes_in, kPackets * kTsPacketSize);
    EXPECT_EQ(s.bytes_written, s.bytes_in);
    EXPECT_EQ(s.overflow_bytes, 0u);
    auto e = writer.extents(recordings[i]->id());
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(s.shed_bytes, 0u);
    // The extents (published while running, merged at the end) describe
    // every packet in order.
    SimulatedClock unused;
    testing::ModelTarget view(unused, 1);
    view.disc = target.disc;
    auto indexes = testing::packet_indexes(testing::read_file(view, *e), i + 1);
    ASSERT_EQ(indexes.size(), kPackets);
    for (uint64_t k = 0; k < kPackets; ++k) ASSERT_EQ(indexes[k], k);
  }
}

// A slow drive and producers that push as fast as their rings allow: the
// writer sheds GOPs on its thread while ingest threads keep writing into the
// same rings. Whatever the timing, each file must be its input minus whole
// shed GOPs, and the counts must add up.
TEST(WriterThreadTest, SheddingWhileProducersPushConcurrently) {
  class SlowTarget final : public BlockTarget {
   public:
    Status write_blocks(uint32_t lba, std::span<const uint8_t> data, bool streaming) override {
      // ~16 MB/s, a quarter of what the writer was told: the producers
      // outrun it even slowed down by TSan on a loaded machine (at the full
      // 64 MB/s they sometimes did not, and nothing was shed).
      std::this_thread::sleep_for(std::chrono::microseconds(data.size() / 16));
      return inner.write_blocks(lba, data, streaming);
    }
    Status flush() override { return ok_status(); }
    MemoryTarget inner;
  } target;
  WriterOptions o;
  o.guaranteed_bytes_per_second = 64'000'000;
  o.idle_poll = 200us;
  StreamingWriter writer(target, SteadyClock::instance(), o);
  ASSERT_TRUE(writer.start().ok());
  constexpr int kRecordings = 3;
  constexpr uint64_t kPackets = 7 * 6000;
  constexpr uint64_t kGopPackets = 140;
  std::vector<std::shared_ptr<Recording>> recordings;
  for (int i = 0; i < kRecordings; ++i) {
    RecordingConfig c;
    c.name = "r" + std::to_string(i);
    c.priority = i;
    c.bitrate_bps = 100'000'000;
    c.latency_budget = 50ms;
    c.ring_bytes = 2 << 20;
    auto r = writer.add_recording(c);
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    recordings.push_back(*r);
  }
  std::vector<std::thread> ingest;
  for (int i = 0; i < kRecordings; ++i) {
    ingest.emplace_back([&, i] {
      std::vector<uint8_t> buf(7 * kTsPacketSize);
      for (uint64_t p = 0; p < kPackets; p += 7) {
        for (int k = 0; k < 7; ++k) {
          testing::TsSource::make_packet(buf.data() + k * kTsPacketSize, i + 1, p + k);
        }
        // Never overflow (that is a different path); otherwise as fast as possible.
        while (recordings[i]->stats().ring_fill + buf.size() > (3u << 19)) std::this_thread::yield();
        ASSERT_TRUE(recordings[i]->write_packets(buf, p % kGopPackets == 0).ok());
      }
    });
  }
  for (auto& t : ingest) t.join();
  for (auto& r : recordings) ASSERT_TRUE(writer.stop_recording(r->id()).ok());
  for (int i = 0; i < 10000; ++i) {
    bool all = true;
    for (auto& r : recordings) all = all && r->finished();
    if (all) break;
    std::this_thread::sleep_for(1ms);
  }
  writer.stop();
  std::lock_guard lock(target.inner.mutex);
  uint64_t shed_total = 0;
  for (int i = 0; i < kRecordings; ++i) {
    ASSERT_TRUE(recordings[i]->finished());
    RecordingStats s = recordings[i]->stats();
    EXPECT_EQ(s.overflow_bytes, 0u);
    EXPECT_EQ(s.bytes_in, kPackets * kTsPacketSize);
    EXPECT_EQ(s.bytes_written + s.shed_bytes, s.bytes_in);
    shed_total += s.shed_gops;
    auto e = writer.extents(recordings[i]->id());
    ASSERT_TRUE(e.ok());
    ASSERT_EQ(e->shed.size(), s.shed_gops);
    std::vector<uint64_t> expected;
    size_t k = 0;
    for (uint64_t p = 0; p < kPackets; ++p) {
      const uint64_t pos = p * kTsPacketSize;
      while (k < e->shed.size() && e->shed[k].input_end <= pos) ++k;
      if (k < e->shed.size() && e->shed[k].input_begin <= pos) continue;
      expected.push_back(p);
    }
    for (const auto& r : e->shed) {
      EXPECT_EQ(r.input_begin % (kGopPackets * kTsPacketSize), 0u);
      EXPECT_TRUE(r.input_end % (kGopPackets * kTsPacketSize) == 0 || r.input_end == s.bytes_in);
    }
    SimulatedClock unused;
    testing::ModelTarget view(unused, 1);
    view.disc = target.inner.disc;
    ASSERT_EQ(testing::packet_indexes(testing::read_file(view, *e), i + 1), expected);
  }
  EXPECT_GT(shed_total, 0u) << "the scenario must actually shed";
}

// A producer far over its declaration on its own thread, the writer on
// its thread sheding it, a control thread reading the over-rate stats the
// producer raises: the flag, its time and the byte count cross threads
// without a lock (TSan), and every accepted byte is accounted for.
TEST(WriterThreadTest, OverRateProducerIsFlaggedAndShedConcurrently) {
  class SlowTarget final : public BlockTarget {
   public:
    Status write_blocks(uint32_t lba, std::span<const uint8_t> data, bool streaming) override {
      std::this_thread::sleep_for(std::chrono::microseconds(data.size() / 16));  // ~16 MB/s
      return inner.write_blocks(lba, data, streaming);
    }
    Status flush() override { return ok_status(); }
    MemoryTarget inner;
  } target;
  WriterOptions o;
  o.guaranteed_bytes_per_second = 16'000'000;
  o.idle_poll = 200us;
  StreamingWriter writer(target, SteadyClock::instance(), o);
  ASSERT_TRUE(writer.start().ok());
  RecordingConfig c;
  c.name = "liar";
  c.priority = kMaxPriority;
  c.bitrate_bps = 1'000'000;
  c.latency_budget = 1s;
  c.ring_bytes = 4 << 20;
  auto liar = writer.add_recording(c);
  ASSERT_TRUE(liar.ok()) << liar.error().to_string();
  constexpr uint64_t kPackets = 7 * 8000;  // 10.5 MB, far more than 1 Mbit/s for the test's length
  std::atomic<bool> done{false};
  std::thread ingest([&] {
    std::vector<uint8_t> buf(7 * kTsPacketSize);
    for (uint64_t p = 0; p < kPackets; p += 7) {
      for (int k = 0; k < 7; ++k) testing::TsSource::make_packet(buf.data() + k * kTsPacketSize, 1, p + k);
      ASSERT_TRUE((*liar)->write_packets(buf, p % 140 == 0).ok());
      if (p % 700 == 0) std::this_thread::sleep_for(100us);
    }
    done.store(true);
  });
  std::thread control([&] {
    TimePoint since{};
    while (!done.load()) {
      RecordingStats s = (*liar)->stats();
      if (s.over_rate) {
        if (since == TimePoint{}) since = s.over_rate_since;
        EXPECT_EQ(s.over_rate_since, since) << "the first time stays";
        EXPECT_GT(s.over_rate_bytes, 0u);
      }
      (void)writer.stats().over_rate_recordings;
      std::this_thread::sleep_for(200us);
    }
  });
  ingest.join();
  control.join();
  ASSERT_TRUE(writer.stop_recording((*liar)->id()).ok());
  for (int i = 0; i < 10000 && !(*liar)->finished(); ++i) std::this_thread::sleep_for(1ms);
  writer.stop();
  ASSERT_TRUE((*liar)->finished());
  RecordingStats s = (*liar)->stats();
  EXPECT_TRUE(s.over_rate);
  EXPECT_GT(s.over_rate_bytes, 0u);
  EXPECT_EQ(s.bytes_in + s.overflow_bytes, kPackets * kTsPacketSize);
  EXPECT_EQ(s.bytes_written + s.shed_bytes + s.lost_bytes, s.bytes_in);
}

}  // namespace
}  // namespace discrec::recorder
