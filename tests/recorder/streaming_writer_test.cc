// StreamingWriter in simulated time against a drive model: ECC units,
// padding, EDF, extents, write errors, admission, shedding basics.
#include "recorder/core/streaming_writer.h"

#include <gtest/gtest.h>

#include <map>

#include "writer_test_support.h"

namespace discrec::recorder {
namespace {

using namespace std::chrono_literals;
using testing::ModelTarget;
using testing::TsSource;

constexpr uint64_t kDvd4x = 4 * 1'385'000;  // bytes/s
constexpr size_t kUnit = 32768;

WriterOptions dvd_options() {
  WriterOptions o;
  o.block_size = 2048;
  o.ecc_unit_blocks = 16;
  o.start_lba = 1000;
  o.guaranteed_bytes_per_second = kDvd4x;
  o.max_units_per_command = 4;
  return o;
}

RecordingConfig config(std::string name, int priority, uint64_t bps, Nanos budget = 2s) {
  RecordingConfig c;
  c.name = std::move(name);
  c.priority = priority;
  c.bitrate_bps = bps;
  c.latency_budget = budget;
  return c;
}

TEST(StreamingWriterTest, WritesWholeEccUnitsAndPadsTheLastWithNullPackets) {
  SimulatedClock clock;
  ModelTarget target(clock, kDvd4x);
  StreamingWriter writer(target, clock, dvd_options());
  auto rec = writer.add_recording(config("a", 1, 8'000'000));
  ASSERT_TRUE(rec.ok()) << rec.error().to_string();
  std::vector<TsSource> sources(1);
  sources[0] = TsSource{*rec, 1, 8'000'000};
  testing::run_until(clock, writer, sources, TimePoint{} + 3s);
  testing::stop_all(clock, writer, sources);

  for (const auto& c : target.commands) {
    EXPECT_TRUE(c.streaming);
    EXPECT_EQ(c.blocks % 16, 0u) << "not whole ECC units";
    EXPECT_LE(c.blocks, 4u * 16);
  }
  // Sequential LBAs from the start, no gaps.
  uint32_t lba = 1000;
  for (const auto& c : target.commands) {
    EXPECT_EQ(c.lba, lba);
    lba += c.blocks;
  }
  auto extents = writer.extents((*rec)->id());
  ASSERT_TRUE(extents.ok());
  ASSERT_EQ(extents->recorded.size(), 1u) << "one recording alone is one contiguous extent";
  const RecordedExtent& e = extents->recorded[0];
  EXPECT_EQ(e.lba, 1000u);
  EXPECT_EQ(e.blocks, lba - 1000);
  const uint64_t pushed = sources[0].next_packet * kTsPacketSize;
  EXPECT_EQ(e.input_begin, 0u);
  EXPECT_EQ(e.input_end, pushed);
  EXPECT_EQ(e.padding_bytes, uint64_t{e.blocks} * 2048 - pushed);
  EXPECT_LT(e.padding_bytes, kUnit);
  EXPECT_EQ(e.length % kTsPacketSize, 0u);

  std::vector<uint8_t> file = testing::read_file(target, *extents);
  size_t nulls = 0;
  auto indexes = testing::packet_indexes(file, 1, &nulls);
  ASSERT_EQ(indexes.size(), sources[0].next_packet);
  for (size_t i = 0; i < indexes.size(); ++i) ASSERT_EQ(indexes[i], i);
  EXPECT_EQ(nulls, e.padding_bytes / kTsPacketSize);
  // The partial null packet at the very end is outside the file length.
  const auto& last_block = target.disc.at(e.lba + e.blocks - 1);
  EXPECT_EQ(last_block.back(), 0xFF);

  RecordingStats s = (*rec)->stats();
  EXPECT_TRUE(s.finished);
  EXPECT_EQ(s.bytes_in, pushed);
  EXPECT_EQ(s.bytes_written, pushed);
  EXPECT_EQ(s.padding_bytes, e.padding_bytes);
  EXPECT_EQ(s.missed_deadlines, 0u);
  // 1316-byte pushes merge into records of about ChunkCoalescer's publish
  // size (a GOP start begins a new one); the last one reached the writer
  // only at the stop, or the recording would not have finished.
  EXPECT_LT(s.chunks_written, sources[0].next_packet / 7 / 10);
  EXPECT_GE(s.chunks_written, pushed / (2 * ChunkCoalescer::kDefaultPublishBytes));
  EXPECT_GT(s.slack_min_ns, 0);
  EXPECT_GE(s.slack_p99_ns, s.slack_min_ns);
  EXPECT_GT(s.ring_high_water, 0u);
  DriveStats d = writer.stats();
  EXPECT_EQ(d.commands, target.commands.size());
  EXPECT_EQ(d.next_lba, lba);
  EXPECT_EQ(d.bytes_written, pushed);
  EXPECT_EQ(d.recordings, 0u);
}

// A finished recording gives its ring back (it may stay listed for a long
// time); before it has finished, nothing is released.
TEST(StreamingWriterTest, RingMemoryIsReleasedOnceFinished) {
  SimulatedClock clock;
  ModelTarget target(clock, kDvd4x);
  StreamingWriter writer(target, clock, dvd_options());
  std::vector<TsSource> sources;
  testing::add_source(writer, sources, 1, 8'000'000, TimePoint{});
  ASSERT_EQ(sources.size(), 1u);
  const std::shared_ptr<Recording> rec = sources[0].recording;
  testing::run_until(clock, writer, sources, TimePoint{} + 1s);
  EXPECT_FALSE(rec->release_buffers()) << "released while recording";
  ASSERT_TRUE(writer.stop_recording(rec->id()).ok());
  EXPECT_FALSE(rec->release_buffers()) << "released before the writer drained the ring";
  testing::stop_all(clock, writer, sources);
  ASSERT_TRUE(rec->finished());
  EXPECT_TRUE(rec->release_buffers());
  EXPECT_TRUE(rec->release_buffers()) << "idempotent";
  // Still readable, and nothing touches the freed memory (ASan/a fault would say).
  RecordingStats s = rec->stats();
  EXPECT_EQ(s.bytes_written, sources[0].next_packet * kTsPacketSize);
  EXPECT_EQ(s.ring_fill, 0u);
  std::vector<uint8_t> more(kTsPacketSize * 7);
  for (size_t i = 0; i < 7; ++i) TsSource::make_packet(more.data() + i * kTsPacketSize, 1, 99999 + i);
  EXPECT_FALSE(rec->write_packets(more, true).ok());
  writer.service_once();
}

// A writer taking up a disc after a restart numbers its recordings after
// the journal's, so the journal still tells every recording apart.
TEST(StreamingWriterTest, RecordingIdsStartAtTheFirstIdGiven) {
  SimulatedClock clock;
  ModelTarget target(clock, kDvd4x);
  WriterOptions options = dvd_options();
  options.first_recording_id = 7;
  StreamingWriter writer(target, clock, options);
  auto a = writer.add_recording(config("a", 1, 4'000'000));
  auto b = writer.add_recording(config("b", 1, 4'000'000));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ((*a)->id(), 7u);
  EXPECT_EQ((*b)->id(), 8u);
  std::vector<TsSource> sources = {TsSource{*a, 1, 4'000'000}, TsSource{*b, 2, 4'000'000}};
  testing::run_until(clock, writer, sources, TimePoint{} + 1s);
  testing::stop_all(clock, writer, sources);
  auto extents = writer.extents(7);
  ASSERT_TRUE(extents.ok());
  EXPECT_EQ(extents->recording_id, 7u);
  EXPECT_FALSE(extents->recorded.empty());
  // An earlier writer's id is not this writer's.
  EXPECT_EQ(writer.stop_recording(3).error().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(writer.stop_recording(7).ok()) << "finished already: not an error";
}

TEST(StreamingWriterTest, CoalescesBufferedUnitsIntoOneCommand) {
  SimulatedClock clock;
  ModelTarget target(clock, kDvd4x);
  StreamingWriter writer(target, clock, dvd_options());
  auto rec = writer.add_recording(config("a", 1, 8'000'000));
  ASSERT_TRUE(rec.ok());
  // 3.5 units buffered at once: one command of 3 units, the half waits.
  std::vector<uint8_t> packets(kTsPacketSize * 610);
  for (size_t i = 0; i < 610; ++i) TsSource::make_packet(packets.data() + i * kTsPacketSize, 1, i);
  ASSERT_TRUE((*rec)->write_packets(packets, true).ok());
  writer.service_once();
  writer.service_once();
  ASSERT_EQ(target.commands.size(), 1u);
  EXPECT_EQ(target.commands[0].blocks, 3u * 16);
  EXPECT_EQ((*rec)->stats().ring_fill, packets.size() - 3 * kUnit);
}

// The writer hands ring memory straight to the drive: those bytes must stay
// reserved (not reusable by the producer) until the command has completed,
// and what the drive sees must be exactly the pushed bytes.
// Small pushes merge into records the writer sees once they hold 32 KiB;
// a flush (ingest lost its source) hands on what is held back at once.
TEST(StreamingWriterTest, SmallPushesReachTheWriterMergedAndAtAFlush) {
  SimulatedClock clock;
  ModelTarget target(clock, kDvd4x);
  StreamingWriter writer(target, clock, dvd_options());
  auto rec = writer.add_recording(config("a", 1, 8'000'000));
  ASSERT_TRUE(rec.ok()) << rec.error().to_string();
  // 349 one-packet pushes: the first 175 (32900 bytes) are one published
  // record, the other 174 (32712 bytes) one record still held back.
  std::vector<uint8_t> packet(kTsPacketSize);
  for (uint32_t i = 0; i < 349; ++i) {
    TsSource::make_packet(packet.data(), 1, i);
    ASSERT_TRUE((*rec)->write_packets_at(packet, i == 0, clock.now()).ok());
  }
  auto drain = [&] {
    for (int i = 0; i < 8; ++i) writer.service_once();
  };
  drain();
  EXPECT_EQ((*rec)->stats().bytes_written, kUnit) << "the held-back record was written";
  (*rec)->flush();
  drain();
  EXPECT_EQ((*rec)->stats().bytes_written, 2 * kUnit) << "the flush did not publish the record";
  ASSERT_TRUE(writer.stop_recording((*rec)->id()).ok());
  drain();
  EXPECT_TRUE((*rec)->finished());
  EXPECT_EQ((*rec)->stats().bytes_written, 349 * kTsPacketSize);
  EXPECT_EQ((*rec)->stats().chunks_written, 2u);
}

TEST(StreamingWriterTest, InPlaceWriteKeepsRingBytesUntilTheCommandCompletes) {
  SimulatedClock clock;
  class ProbeTarget final : public BlockTarget {
   public:
    Status write_blocks(uint32_t, std::span<const uint8_t> data, bool) override {
      seen.assign(data.begin(), data.end());
      fill_during_write = recording->stats().ring_fill;
      std::vector<uint8_t> more(kTsPacketSize * 175);
      for (size_t i = 0; i < 175; ++i) TsSource::make_packet(more.data() + i * kTsPacketSize, 1, 10000 + i);
      push_during_write = recording->write_packets(more, false).ok() && recording->stats().overflow_bytes == 0;
      return ok_status();
    }
    Status flush() override { return ok_status(); }
    std::shared_ptr<Recording> recording;
    std::vector<uint8_t> seen;
    uint64_t fill_during_write = 0;
    bool push_during_write = false;
  } target;
  WriterOptions o = dvd_options();
  o.max_units_per_command = 2;
  o.shed_fill_fraction = 1.0;  // a full ring is the point here, not overload
  o.shed_backlog_fraction = 1e9;
  StreamingWriter writer(target, clock, o);
  RecordingConfig c = config("a", 1, 8'000'000);
  c.ring_bytes = 2 * kUnit;  // exactly one command
  auto rec = writer.add_recording(c);
  ASSERT_TRUE(rec.ok()) << rec.error().to_string();
  target.recording = *rec;
  // 348 packets fill the 64 KiB ring but for 112 bytes: one whole unit is
  // written, and while it is, the producer cannot get a unit's worth in.
  std::vector<uint8_t> packets(kTsPacketSize * 348);
  for (size_t i = 0; i < 348; ++i) TsSource::make_packet(packets.data() + i * kTsPacketSize, 1, i);
  ASSERT_TRUE((*rec)->write_packets(packets, true).ok());
  writer.service_once();
  ASSERT_EQ(target.seen.size(), kUnit) << "one whole unit was buffered";
  EXPECT_TRUE(std::equal(target.seen.begin(), target.seen.end(), packets.begin()));
  EXPECT_EQ(target.fill_during_write, packets.size()) << "released before the write finished";
  EXPECT_FALSE(target.push_during_write) << "the producer could overwrite bytes being written";
  EXPECT_EQ((*rec)->stats().ring_fill, packets.size() - kUnit);
}

// A command that would run past the end of ring memory stops there when
// whole units fit before it: it goes out in place, the next one starts at
// the ring's beginning, and the disc gets the bytes in order.
TEST(StreamingWriterTest, CommandsStopAtTheEndOfTheRing) {
  SimulatedClock clock;
  ModelTarget target(clock, kDvd4x);
  WriterOptions o = dvd_options();
  o.shed_fill_fraction = 1.0;
  o.shed_backlog_fraction = 1e9;
  StreamingWriter writer(target, clock, o);
  RecordingConfig c = config("a", 1, 8'000'000);
  c.ring_bytes = 4 * kUnit;
  auto rec = writer.add_recording(c);
  ASSERT_TRUE(rec.ok()) << rec.error().to_string();
  const size_t unit_packets = kUnit / kTsPacketSize + 1;  // a bit over a unit
  std::vector<uint8_t> pushed;
  auto push = [&](size_t packets) {
    std::vector<uint8_t> b(kTsPacketSize * packets);
    for (size_t i = 0; i < packets; ++i) {
      TsSource::make_packet(b.data() + i * kTsPacketSize, 1, pushed.size() / kTsPacketSize + i);
    }
    ASSERT_TRUE((*rec)->write_packets(b, pushed.empty()).ok());
    pushed.insert(pushed.end(), b.begin(), b.end());
  };
  push(3 * unit_packets);  // a little over 3 units: one command of 3
  writer.service_once();
  clock.advance(200ms);    // at its declared 8 Mbit/s, not over it (see Recording::over_rate)
  push(3 * unit_packets);  // over 3 units buffered again, wrapping the ring
  writer.service_once();
  writer.service_once();
  ASSERT_EQ(target.commands.size(), 3u);
  EXPECT_EQ(target.commands[0].blocks, 3u * 16);
  EXPECT_EQ(target.commands[1].blocks, 1u * 16) << "stops at the end of the ring";
  EXPECT_EQ(target.commands[2].blocks, 2u * 16) << "then goes on from its beginning";
  std::vector<uint8_t> on_disc;
  for (const auto& [lba, block] : target.disc) on_disc.insert(on_disc.end(), block.begin(), block.end());
  ASSERT_EQ(on_disc.size(), 6 * kUnit);
  EXPECT_TRUE(std::equal(on_disc.begin(), on_disc.end(), pushed.begin()));
}

// When the drive hangs longer than the ring can absorb, the ring overflows
// in the middle of a GOP. What does not fit is dropped up to the next key
// frame, and the head of the GOP it cut (already in the ring) is shed with
// it: the disc gets whole GOPs only, and every byte is accounted for.
TEST(StreamingWriterTest, RingOverflowDropsWholeGops) {
  SimulatedClock clock;
  ModelTarget target(clock, kDvd4x);
  target.spikes[TimePoint{} + 1s] = 3s;  // the drive hangs for 3 s
  StreamingWriter writer(target, clock, dvd_options());
  RecordingConfig c = config("a", 1, 8'000'000);
  c.ring_bytes = 512 << 10;  // half a second at 8 Mbit/s
  auto rec = writer.add_recording(c);
  ASSERT_TRUE(rec.ok()) << rec.error().to_string();
  std::vector<TsSource> sources(1);
  sources[0] = TsSource{*rec, 1, 8'000'000};
  testing::run_until(clock, writer, sources, TimePoint{} + 6s);
  testing::stop_all(clock, writer, sources);

  const RecordingStats s = (*rec)->stats();
  ASSERT_GT(s.overflow_bytes, 0u) << "the scenario must overflow the ring";
  const uint64_t pushed = sources[0].next_packet * kTsPacketSize;
  EXPECT_EQ(s.bytes_written + s.shed_bytes + s.overflow_bytes, pushed) << "every byte accounted for";

  auto extents = writer.extents((*rec)->id());
  ASSERT_TRUE(extents.ok());
  auto indexes = testing::packet_indexes(testing::read_file(target, *extents), 1);
  EXPECT_EQ(indexes.size() * kTsPacketSize, s.bytes_written);
  const uint64_t gop = sources[0].gop_packets;
  const uint64_t last_gop = (sources[0].next_packet - 1) / gop;  // ends where the source stopped
  std::map<uint64_t, uint64_t> packets_of_gop;
  for (size_t i = 0; i < indexes.size(); ++i) {
    if (i > 0) {
      ASSERT_GT(indexes[i], indexes[i - 1]) << "out of order";
    }
    ++packets_of_gop[indexes[i] / gop];
  }
  for (const auto& [g, n] : packets_of_gop) {
    if (g != last_gop) {
      EXPECT_EQ(n, gop) << "GOP " << g << " on disc in part";
    }
  }
  EXPECT_LT(packets_of_gop.size(), last_gop + 1) << "some GOPs were dropped";
  // Once the drive is back (4 s), recording goes on: the GOPs of the last
  // second (8 Mbit/s, 131,600-byte GOPs) are on disc.
  const uint64_t gop_at_5s = 5 * 1'000'000 / (gop * kTsPacketSize) + 1;
  for (uint64_t g = gop_at_5s; g < last_gop; ++g) EXPECT_EQ(packets_of_gop.count(g), 1u) << "GOP " << g << " missing";
  // Every missing GOP is counted once: shed by the writer (the cut GOP's
  // head among them) or turned away whole at the full ring, with its time.
  uint64_t overflow_gops = 0, overflow_bytes = 0;
  for (const auto& o : (*rec)->overflows()) {
    overflow_gops += o.gops;
    overflow_bytes += o.bytes;
    EXPECT_LE(o.time_begin, o.time_end);
    EXPECT_GE(o.time_begin, TimePoint{} + 1s) << "nothing overflowed before the drive hung";
  }
  EXPECT_EQ(overflow_bytes, s.overflow_bytes);
  EXPECT_EQ(s.shed_gops + overflow_gops, last_gop + 1 - packets_of_gop.size());
}

// A burst (a socket's backlog after probing) fills the ring with the tail of
// one GOP, less than an ECC unit, and the head of a GOP longer than the
// ring. That GOP is cut, but cannot be shed whole: the tail before it cannot
// fill a unit and nothing can follow into the full ring, so shedding it
// would wait for ever (it did). The cut GOP's head is written instead, and
// recording goes on with whole GOPs.
TEST(StreamingWriterTest, AGopLongerThanTheRingCutByABurstDoesNotStallTheRing) {
  SimulatedClock clock;
  ModelTarget target(clock, kDvd4x);
  StreamingWriter writer(target, clock, dvd_options());
  RecordingConfig c = config("a", 1, 8'000'000);
  c.ring_bytes = 256 << 10;
  auto rec = writer.add_recording(c);
  ASSERT_TRUE(rec.ok()) << rec.error().to_string();
  std::vector<TsSource> sources(1);
  sources[0] = TsSource{*rec, 1, 8'000'000};
  sources[0].gop_packets = 2100;                    // 394,800 bytes: longer than the ring
  sources[0].next_packet = sources[0].gop_packets - 7;  // one chunk of the previous GOP first
  sources[0].start = TimePoint{} - Nanos(static_cast<int64_t>(2093.0 * 188 * 8 / 8e6 * 1e9));
  sources[0].feed(TimePoint{} + 500ms);  // half a second arrives at once
  ASSERT_GT((*rec)->stats().overflow_bytes, 0u);
  testing::run_until(clock, writer, sources, TimePoint{} + 4s);
  testing::stop_all(clock, writer, sources);

  const RecordingStats s = (*rec)->stats();
  auto extents = writer.extents((*rec)->id());
  ASSERT_TRUE(extents.ok());
  size_t nulls = 0;
  auto indexes = testing::packet_indexes(testing::read_file(target, *extents), 1, &nulls);
  const uint64_t gop = sources[0].gop_packets;
  std::map<uint64_t, uint64_t> packets_of_gop;
  for (uint64_t i : indexes) ++packets_of_gop[i / gop];
  const uint64_t last_gop = (sources[0].next_packet - 1) / gop;
  EXPECT_EQ(packets_of_gop[0], 7u) << "the tail before the cut GOP is on disc";
  EXPECT_GT(packets_of_gop[1], 0u) << "the cut GOP's head is on disc";
  EXPECT_LT(packets_of_gop[1], gop) << "(its tail was dropped at the full ring)";
  for (uint64_t g = 3; g < last_gop; ++g) EXPECT_EQ(packets_of_gop[g], gop) << "GOP " << g << " after the burst";
  EXPECT_EQ(s.bytes_written + s.shed_bytes + s.overflow_bytes,
            (sources[0].next_packet - (gop - 7)) * kTsPacketSize);
}

TEST(StreamingWriterTest, EarliestDeadlineIsWrittenFirst) {
  SimulatedClock clock;
  ModelTarget target(clock, kDvd4x);
  StreamingWriter writer(target, clock, dvd_options());
  auto slow = writer.add_recording(config("relaxed", 5, 4'000'000, 5s));
  auto fast = writer.add_recording(config("urgent", 1, 4'000'000, 500ms));
  ASSERT_TRUE(slow.ok() && fast.ok());
  std::vector<uint8_t> unit(kTsPacketSize * 175);
  for (size_t i = 0; i < 175; ++i) TsSource::make_packet(unit.data() + i * kTsPacketSize, 0, i);
  // The relaxed one arrived first, but its deadline is later.
  ASSERT_TRUE((*slow)->write_packets_at(unit, true, clock.now()).ok());
  clock.advance(10ms);
  ASSERT_TRUE((*fast)->write_packets_at(unit, true, clock.now()).ok());
  writer.service_once();
  ASSERT_EQ(target.commands.size(), 1u);
  auto urgent = writer.extents((*fast)->id());
  ASSERT_TRUE(urgent.ok());
  ASSERT_EQ(urgent->recorded.size(), 1u);
  EXPECT_EQ(urgent->recorded[0].lba, 1000u);
}

TEST(StreamingWriterTest, WriteErrorIsALostExtentNotARetry) {
  SimulatedClock clock;
  ModelTarget target(clock, kDvd4x);
  target.bad_lbas.insert(1000 + 16 + 3);  // inside the second unit
  WriterOptions o = dvd_options();
  o.max_units_per_command = 1;
  StreamingWriter writer(target, clock, o);
  auto rec = writer.add_recording(config("a", 1, 8'000'000));
  ASSERT_TRUE(rec.ok());
  std::vector<TsSource> sources(1);
  sources[0] = TsSource{*rec, 1, 8'000'000};
  testing::run_until(clock, writer, sources, TimePoint{} + 1s);
  testing::stop_all(clock, writer, sources);

  std::set<uint32_t> seen;
  for (const auto& c : target.commands) EXPECT_TRUE(seen.insert(c.lba).second) << "LBA retried";
  auto extents = writer.extents((*rec)->id());
  ASSERT_TRUE(extents.ok());
  ASSERT_EQ(extents->lost.size(), 1u);
  const LostExtent& lost = extents->lost[0];
  EXPECT_EQ(lost.lba, 1016u);
  EXPECT_EQ(lost.blocks, 16u);
  EXPECT_EQ(lost.file_offset, kUnit);
  EXPECT_EQ(lost.input_begin, kUnit);
  EXPECT_EQ(lost.input_end, 2 * kUnit);
  EXPECT_EQ(lost.sense, (SenseCode{0x03, 0x0C, 0x00}));
  // Recorded before and after the hole.
  ASSERT_EQ(extents->recorded.size(), 2u);
  EXPECT_EQ(extents->recorded[0].lba, 1000u);
  EXPECT_EQ(extents->recorded[0].blocks, 16u);
  EXPECT_EQ(extents->recorded[1].lba, 1032u);
  EXPECT_EQ(extents->recorded[1].file_offset, 2 * kUnit);
  RecordingStats s = (*rec)->stats();
  EXPECT_EQ(s.lost_extents, 1u);
  EXPECT_EQ(s.lost_bytes, kUnit);
  EXPECT_EQ(s.bytes_written + s.lost_bytes, s.bytes_in);
  EXPECT_EQ(writer.stats().write_errors, 1u);
  EXPECT_FALSE(writer.failure().has_value());
}

TEST(StreamingWriterTest, AdmissionRefusesWhatDoesNotFit) {
  SimulatedClock clock;
  ModelTarget target(clock, kDvd4x);
  StreamingWriter writer(target, clock, dvd_options());  // 44.32 Mbit/s, 10% margin
  ASSERT_TRUE(writer.add_recording(config("a", 1, 20'000'000)).ok());
  ASSERT_TRUE(writer.add_recording(config("b", 1, 15'000'000)).ok());
  auto refused = writer.add_recording(config("c", 1, 8'000'000));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), ErrorCode::kResourceExhausted);
  EXPECT_NE(refused.error().message().find("requested 8.00 Mbit/s"), std::string::npos)
      << refused.error().message();
  EXPECT_NE(refused.error().message().find("available 5.82 Mbit/s"), std::string::npos)
      << refused.error().message();
  EXPECT_TRUE(writer.add_recording(config("d", 1, 5'000'000)).ok());
}

// The review's case at the writer: on a 431.6 Mbit/s drive, 350 Mbit/s
// then 2^64 - 350e6 bit/s (which wrapped the sum to 0 and was admitted).
TEST(StreamingWriterTest, AdmissionRefusesHostileBitratesWithoutBookingThem) {
  SimulatedClock clock;
  ModelTarget target(clock, 53'950'000);
  WriterOptions o = dvd_options();
  o.guaranteed_bytes_per_second = 53'950'000;  // 431.6 Mbit/s
  StreamingWriter writer(target, clock, o);
  ASSERT_TRUE(writer.add_recording(config("a", 1, 350'000'000)).ok());
  for (uint64_t hostile : {UINT64_MAX - 350'000'000 + 1, UINT64_MAX, kMaxBitrateBps + 1}) {
    auto refused = writer.add_recording(config("b", 1, hostile));
    ASSERT_FALSE(refused.ok()) << hostile;
    EXPECT_EQ(refused.error().code(), ErrorCode::kInvalidArgument) << hostile;
    EXPECT_NE(refused.error().message().find(std::to_string(hostile)), std::string::npos)
        << refused.error().message();
  }
  // The ring's size is computed from the bitrate and the latency budget:
  // a stranger's budget is refused, not converted past SIZE_MAX.
  auto endless = writer.add_recording(config("c", 1, 10'000'000, Nanos::max()));
  ASSERT_FALSE(endless.ok());
  EXPECT_EQ(endless.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(Recording::ring_memory_bytes(config("c", 1, UINT64_MAX), writer.max_command_bytes()).error().code(),
            ErrorCode::kInvalidArgument);
  RecordingConfig huge_ring = config("d", 1, 1'000'000);
  huge_ring.ring_bytes = SIZE_MAX;
  EXPECT_EQ(writer.add_recording(huge_ring).error().code(), ErrorCode::kInvalidArgument);
  writer.service_once();
  EXPECT_EQ(writer.stats().admitted_bitrate_bps, 350'000'000u) << "no refusal booked anything";
  // What is left is still there to admit: 431.6 / 1.1 - 350 = 42.4 Mbit/s.
  EXPECT_TRUE(writer.add_recording(config("e", 1, 42'000'000)).ok());
  EXPECT_EQ(writer.add_recording(config("f", 1, 1'000'000)).error().code(), ErrorCode::kResourceExhausted);
}

TEST(StreamingWriterTest, PriorityOutsideTheRangeIsRefused) {
  SimulatedClock clock;
  ModelTarget target(clock, kDvd4x);
  StreamingWriter writer(target, clock, dvd_options());
  for (int32_t bad : {kMinPriority - 1, kMaxPriority + 1, INT32_MAX, INT32_MIN}) {
    auto refused = writer.add_recording(config("a", bad, 1'000'000));
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_EQ(refused.error().code(), ErrorCode::kInvalidArgument) << bad;
    EXPECT_NE(refused.error().message().find("priority " + std::to_string(bad)), std::string::npos)
        << refused.error().message();
  }
  EXPECT_TRUE(writer.add_recording(config("low", kMinPriority, 1'000'000)).ok());
  EXPECT_TRUE(writer.add_recording(config("high", kMaxPriority, 1'000'000)).ok());
  writer.service_once();
  EXPECT_EQ(writer.stats().admitted_bitrate_bps, 2'000'000u);
}

TEST(StreamingWriterTest, LatencyBudgetMustCoverFillingAnEccUnit) {
  SimulatedClock clock;
  ModelTarget target(clock, kDvd4x);
  StreamingWriter writer(target, clock, dvd_options());
  // 100 kbit/s fills 32 KiB in 2.6 s: a 2 s budget cannot be met.
  auto refused = writer.add_recording(config("trickle", 1, 100'000, 2s));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(refused.error().message().find("ECC unit"), std::string::npos);
  EXPECT_TRUE(writer.add_recording(config("trickle", 1, 100'000, 10s)).ok());
  EXPECT_EQ(writer.stats().admitted_bitrate_bps, 0u);  // published once the writer runs
  writer.service_once();
  EXPECT_EQ(writer.stats().admitted_bitrate_bps, 100'000u);
}

TEST(StreamingWriterTest, FinishedRecordingsFreeTheirSlot) {
  SimulatedClock clock;
  ModelTarget target(clock, kDvd4x);
  WriterOptions o = dvd_options();
  o.max_recordings = 2;
  StreamingWriter writer(target, clock, o);
  for (int round = 0; round < 5; ++round) {
    auto a = writer.add_recording(config("a", 1, 1'000'000));
    auto b = writer.add_recording(config("b", 1, 1'000'000));
    ASSERT_TRUE(a.ok() && b.ok()) << "round " << round;
    EXPECT_EQ(writer.add_recording(config("c", 1, 1'000'000)).error().code(),
              ErrorCode::kResourceExhausted);
    ASSERT_TRUE(writer.stop_recording((*a)->id()).ok());
    ASSERT_TRUE(writer.stop_recording((*b)->id()).ok());
    for (int i = 0; i < 10 && !((*a)->finished() && (*b)->finished()); ++i) writer.service_once();
    ASSERT_TRUE((*a)->finished() && (*b)->finished());
    EXPECT_TRUE(writer.extents((*a)->id()).ok()) << "extents outlive the recording";
  }
}

TEST(StreamingWriterTest, BadInputAndPushAfterStopAreErrors) {
  SimulatedClock clock;
  ModelTarget target(clock, kDvd4x);
  StreamingWriter writer(target, clock, dvd_options());
  auto rec = writer.add_recording(config("a", 1, 8'000'000));
  ASSERT_TRUE(rec.ok());
  std::vector<uint8_t> odd(100, 0x47);
  EXPECT_EQ((*rec)->write_packets(odd, true).error().code(), ErrorCode::kInvalidArgument);
  std::vector<uint8_t> nosync(kTsPacketSize, 0);
  EXPECT_EQ((*rec)->write_packets(nosync, true).error().code(), ErrorCode::kInvalidArgument);
  std::vector<uint8_t> packet(kTsPacketSize);
  TsSource::make_packet(packet.data(), 1, 0);
  ASSERT_TRUE((*rec)->write_packets(packet, true).ok());
  ASSERT_TRUE(writer.stop_recording((*rec)->id()).ok());
  EXPECT_EQ((*rec)->write_packets(packet, false).error().code(), ErrorCode::kAborted);
  EXPECT_EQ(writer.stop_recording(999).error().code(), ErrorCode::kNotFound);
  for (int i = 0; i < 10 && !(*rec)->finished(); ++i) writer.service_once();
  ASSERT_TRUE((*rec)->finished());
  // One packet became one padded unit.
  ASSERT_EQ(target.commands.size(), 1u);
  EXPECT_EQ(target.commands[0].blocks, 16u);
}

TEST(StreamingWriterTest, DiscFullFailsTheWriterWithAClearError) {
  SimulatedClock clock;
  ModelTarget target(clock, kDvd4x);
  WriterOptions o = dvd_options();
  o.end_lba = 1000 + 32;  // two units
  o.max_units_per_command = 1;
  StreamingWriter writer(target, clock, o);
  auto rec = writer.add_recording(config("a", 1, 8'000'000));
  ASSERT_TRUE(rec.ok());
  std::vector<TsSource> sources(1);
  sources[0] = TsSource{*rec, 1, 8'000'000};
  sources[0].expect_ok = false;
  testing::run_until(clock, writer, sources, TimePoint{} + 1s);
  ASSERT_TRUE(writer.failure().has_value());
  EXPECT_EQ(writer.failure()->code(), ErrorCode::kResourceExhausted);
  EXPECT_NE(writer.failure()->message().find("disc full"), std::string::npos);
  EXPECT_EQ(target.commands.size(), 2u);
  EXPECT_TRUE(writer.stats().failed);
  std::vector<uint8_t> packet(kTsPacketSize);
  TsSource::make_packet(packet.data(), 1, 0);
  EXPECT_EQ((*rec)->write_packets(packet, true).error().code(), ErrorCode::kUnavailable);
}

// A command that would cross the end of the disc is cut to the units left:
// the disc is used to its last unit before the writer says it is full.
TEST(StreamingWriterTest, TheLastUnitsOfTheDiscAreWrittenBeforeItIsFull) {
  SimulatedClock clock;
  ModelTarget target(clock, kDvd4x);
  WriterOptions o = dvd_options();
  o.end_lba = 1000 + 6 * 16;  // six units; commands take four
  StreamingWriter writer(target, clock, o);
  auto rec = writer.add_recording(config("a", 1, 8'000'000));
  ASSERT_TRUE(rec.ok());
  std::vector<TsSource> sources(1);
  sources[0] = TsSource{*rec, 1, 8'000'000};
  sources[0].expect_ok = false;
  // 300 ms of the stream (nine units) is buffered before the first write,
  // so the second command wants four units where two are left.
  sources[0].feed(TimePoint{} + 300ms);
  testing::run_until(clock, writer, sources, TimePoint{} + 1s);
  ASSERT_TRUE(writer.failure().has_value());
  EXPECT_NE(writer.failure()->message().find("disc full"), std::string::npos);
  EXPECT_EQ(writer.stats().next_lba, o.end_lba);
  EXPECT_EQ(writer.stats().blocks_written, 6u * 16);
}

TEST(StreamingWriterTest, OverloadShedsWholeGopsOfTheLowestPriorityOnly) {
  SimulatedClock clock;
  // The drive does 75% of what is offered (2 MB/s).
  ModelTarget target(clock, 1'500'000);
  WriterOptions o = dvd_options();
  o.guaranteed_bytes_per_second = 2'000'000;  // it promised more than it does
  o.admission_margin = 0;
  StreamingWriter writer(target, clock, o);
  auto high = writer.add_recording(config("high", 10, 8'000'000));
  auto low = writer.add_recording(config("low", 1, 8'000'000));
  ASSERT_TRUE(high.ok() && low.ok());
  std::vector<TsSource> sources(2);
  sources[0] = TsSource{*high, 1, 8'000'000};
  sources[1] = TsSource{*low, 2, 8'000'000};
  testing::run_until(clock, writer, sources, TimePoint{} + 20s);
  testing::stop_all(clock, writer, sources);

  RecordingStats hs = (*high)->stats();
  RecordingStats ls = (*low)->stats();
  EXPECT_EQ(hs.shed_gops, 0u);
  EXPECT_EQ(hs.bytes_written, hs.bytes_in);
  EXPECT_GT(ls.shed_gops, 0u);
  EXPECT_EQ(ls.overflow_bytes, 0u);
  EXPECT_EQ(hs.overflow_bytes, 0u);
  EXPECT_EQ(ls.bytes_written + ls.shed_bytes, ls.bytes_in);

  auto extents = writer.extents((*low)->id());
  ASSERT_TRUE(extents.ok());
  ASSERT_EQ(extents->shed.size(), ls.shed_gops);
  const uint64_t gop_bytes = 700 * kTsPacketSize;
  for (const auto& r : extents->shed) {
    EXPECT_EQ(r.input_begin % gop_bytes, 0u) << "shed must start at a GOP start";
    EXPECT_EQ(r.input_end % gop_bytes, 0u) << "shed must end at a GOP start";
  }
  // The packets on disc are exactly those not shed, in order.
  auto file = testing::read_file(target, *extents);
  auto indexes = testing::packet_indexes(file, 2);
  std::vector<uint64_t> expected;
  size_t shed = 0;
  for (uint64_t i = 0; i < sources[1].next_packet; ++i) {
    const uint64_t pos = i * kTsPacketSize;
    while (shed < extents->shed.size() && extents->shed[shed].input_end <= pos) ++shed;
    if (shed < extents->shed.size() && extents->shed[shed].input_begin <= pos) continue;
    expected.push_back(i);
  }
  EXPECT_EQ(indexes, expected);
}

}  // namespace
}  // namespace discrec::recorder
