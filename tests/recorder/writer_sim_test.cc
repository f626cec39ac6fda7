// The streaming writer on the emulated drive (sim://, timing on, faults
// scripted), through the real Drive code: preparation, the 90% scenario with
// latency spikes and a stall, 120% overload, medium errors. Simulated time.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "device/drive.h"
#include "recorder/core/prepare.h"
#include "recorder/core/streaming_writer.h"
#include "writer_test_support.h"

namespace discrec::recorder {
namespace {

using namespace std::chrono_literals;
using testing::TsSource;
using testing::expected_packets;
constexpr uint64_t kGopBytes = 700 * kTsPacketSize;

class WriterSimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/discrec_writer_sim_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Opens sim://<dir>/disc.img?<params>[&faults=<script>] with the test clock.
  void open(const std::string& params, const std::string& faults = "") {
    std::string uri = "sim://" + dir_ + "/disc.img?" + params;
    if (!faults.empty()) {
      std::ofstream(dir_ + "/faults.txt") << faults;
      uri += "&faults=" + dir_ + "/faults.txt";
    }
    auto drive = device::Drive::open(uri, device::TransportOptions{&clock_});
    ASSERT_TRUE(drive.ok()) << drive.error().to_string();
    drive_ = std::move(drive).value();
  }

  void start_writer(const PreparedDrive& prepared, WriterOptions options) {
    target_ = std::make_unique<DriveBlockTarget>(*drive_);
    writer_ = std::make_unique<StreamingWriter>(*target_, clock_, options);
  }

  void add(int priority, uint64_t bps) { add_source(*writer_, sources_, priority, bps, clock_.now()); }

  // Reads a recording's file back from the disc through READ(12); lost
  // extents are zeros.
  std::vector<uint8_t> read_back(const RecordingExtents& e, uint32_t block_size) {
    testing::ModelTarget view(clock_, 1, block_size);
    std::vector<uint8_t> buf;
    for (const auto& r : e.recorded) {
      buf.resize(size_t{r.blocks} * block_size);
      Status s = drive_->read12(r.lba, buf, false);
      EXPECT_TRUE(s.ok()) << s.error().to_string();
      for (uint32_t b = 0; b < r.blocks; ++b) {
        view.disc[r.lba + b].assign(buf.begin() + size_t{b} * block_size,
                                    buf.begin() + size_t{b + 1} * block_size);
      }
    }
    return testing::read_file(view, e, block_size);
  }


  uint64_t ninety_percent_with_spikes_and_a_stall(size_t stripe_bytes);

  std::string dir_;
  SimulatedClock clock_;
  std::unique_ptr<device::Drive> drive_;
  std::unique_ptr<DriveBlockTarget> target_;
  std::unique_ptr<StreamingWriter> writer_;
  std::vector<TsSource> sources_;
};

TEST_F(WriterSimTest, PrepareRunsOpcSetsSpeedAndReadsItBack) {
  open("profile=dvd+r&speed=8");
  PrepareOptions po;
  po.write_kbps = 4 * 1385;
  auto prepared = prepare_for_writing(*drive_, po);
  ASSERT_TRUE(prepared.ok()) << prepared.error().to_string();
  EXPECT_TRUE(prepared->opc_done);
  EXPECT_EQ(prepared->requested_kbps, 5540u);
  EXPECT_EQ(prepared->effective_kbps, 5540u);
  EXPECT_EQ(prepared->guaranteed_bytes_per_second, 5'540'000u);
  EXPECT_EQ(prepared->capabilities.ecc_unit_blocks, 16u);
  WriterOptions o = writer_options_for(*prepared);
  EXPECT_EQ(o.ecc_unit_blocks, 16u);
  EXPECT_EQ(o.start_lba, prepared->start_lba);
  EXPECT_GT(o.end_lba, o.start_lba);
  // OPC ran at the speed that was set, so the first streaming write does
  // not wait for a power calibration.
  DriveBlockTarget target(*drive_);
  std::vector<uint8_t> unit(32768);
  fill_ts_null_packets(unit);
  const TimePoint before = clock_.now();
  ASSERT_TRUE(target.write_blocks(o.start_lba, unit, true).ok());
  EXPECT_LT(clock_.now() - before, 100ms);
}

TEST_F(WriterSimTest, PowerCalibrationFailureIsFatal) {
  open("profile=dvd+r", "opc-fail\n");
  auto prepared = prepare_for_writing(*drive_);
  ASSERT_FALSE(prepared.ok());
  ASSERT_TRUE(prepared.error().sense().has_value());
  EXPECT_EQ(prepared.error().sense()->asc, 0x73);
  EXPECT_NE(prepared.error().message().find("power calibration failed"), std::string::npos)
      << prepared.error().to_string();
}

TEST_F(WriterSimTest, NoMediumIsRefusedWithAReason) {
  open("profile=dvd+r&medium=absent");
  auto prepared = prepare_for_writing(*drive_);
  ASSERT_FALSE(prepared.ok());
  EXPECT_EQ(prepared.error().code(), ErrorCode::kFailedPrecondition);
}

TEST(CheckStreamingCapableTest, NamesWhatIsMissing) {
  device::DriveCapabilities caps;
  caps.uri = "sim:///x";
  EXPECT_NE(check_streaming_capable(caps).error().message().find("no medium"), std::string::npos);
  caps.medium_present = true;
  caps.current_profile = device::profile::kDvdPlusR;
  EXPECT_NE(check_streaming_capable(caps).error().message().find("(0x0107)"), std::string::npos);
  caps.rt_streaming.present = true;
  EXPECT_NE(check_streaming_capable(caps).error().message().find("not current"), std::string::npos);
  caps.rt_streaming.current = true;
  Status sw = check_streaming_capable(caps);
  ASSERT_FALSE(sw.ok());
  EXPECT_EQ(sw.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(sw.error().message().find("Stream Writing (SW) is 0"), std::string::npos);
  caps.rt_streaming.stream_writing = true;
  EXPECT_TRUE(check_streaming_capable(caps).ok());
}

// Eight recordings at 90% of the drive's speed, with latency spikes and a
// 1.2 s stall behind a 1 MiB drive buffer: no miss, no shed, no loss, every
// byte on disc in order. Returns each recording's bitrate (bytes/s).
uint64_t WriterSimTest::ninety_percent_with_spikes_and_a_stall(size_t stripe_bytes) {
  // A 1 MiB drive buffer, so the 1.2 s stall reaches the rings.
  open("profile=dvd+r&speed=4&buffer=1024",
       "latency delay=300 at=3000\n"
       "stall for=1200 at=8000\n"
       "latency delay=500 at=14000\n");
  PrepareOptions po;
  po.write_kbps = 4 * 1385;
  auto prepared = prepare_for_writing(*drive_, po);
  EXPECT_TRUE(prepared.ok()) << prepared.error().to_string();
  if (!prepared.ok()) return 0;
  WriterOptions o = writer_options_for(*prepared);
  o.stripe_bytes = stripe_bytes;
  start_writer(*prepared, o);
  const uint64_t each = prepared->guaranteed_bytes_per_second * 8 * 9 / 10 / 8;
  for (int i = 0; i < 8; ++i) add(i, each);
  testing::run_until(clock_, *writer_, sources_, clock_.now() + 20s);
  testing::stop_all(clock_, *writer_, sources_);
  EXPECT_TRUE(drive_->synchronize_cache().ok());

  for (auto& s : sources_) {
    SCOPED_TRACE(s.recording->config().name);
    RecordingStats st = s.recording->stats();
    EXPECT_EQ(st.missed_deadlines, 0u);
    EXPECT_EQ(st.shed_gops, 0u);
    EXPECT_EQ(st.overflow_bytes, 0u);
    EXPECT_EQ(st.lost_extents, 0u);
    EXPECT_EQ(st.bytes_written, st.bytes_in);
    EXPECT_EQ(st.bytes_in, s.next_packet * kTsPacketSize);
    auto e = writer_->extents(s.recording->id());
    EXPECT_TRUE(e.ok());
    if (!e.ok()) continue;
    auto indexes = testing::packet_indexes(read_back(*e, o.block_size), s.tag);
    EXPECT_EQ(indexes, expected_packets(s, {})) << "every byte on disc, in order";
  }
  DriveStats d = writer_->stats();
  EXPECT_EQ(d.missed_deadlines, 0u);
  EXPECT_GT(d.slack_min_ns, 0);
  EXPECT_EQ(d.write_errors, 0u);
  return each;
}

TEST_F(WriterSimTest, EightRecordingsAtNinetyPercentWithSpikesAndAStallLoseNothing) {
  const uint64_t each = ninety_percent_with_spikes_and_a_stall(/*stripe_bytes=*/0);
  // The faults did bite: the rings held far more than one ECC unit each
  // while the drive stalled, and the worst slack dropped well below the budget.
  // (> 0.8 s of each recording's data.)
  DriveStats d = writer_->stats();
  for (auto& s : sources_) EXPECT_GT(s.recording->stats().ring_high_water, each / 8 * 8 / 10);
  EXPECT_LT(d.slack_min_ns, 1'500'000'000);
  std::printf("slack min %.3f s p99 %.3f s; ring high water %llu bytes\n", d.slack_min_ns / 1e9,
              d.slack_p99_ns / 1e9, (unsigned long long)sources_[0].recording->stats().ring_high_water);
}

// The 90% scenario again with striping: the waiting adds no miss, sheds
// nothing, and every byte still lands on disc in order.
TEST_F(WriterSimTest, StripingAtNinetyPercentWithSpikesAndAStallLosesNothing) {
  ninety_percent_with_spikes_and_a_stall(/*stripe_bytes=*/4 << 20);
}

// Four interleaved 8 Mbit/s streams on a 4x DVD+R (72%): written unit by
// unit each file is hundreds of 32 KiB extents; striped, each extent holds
// about what a stream sends in a quarter of its latency budget (~0.5 MB
// here), so a file has ~8x fewer extents, and nothing is missed.
TEST_F(WriterSimTest, StripingWritesEachRecordingInLargeExtents) {
  auto extents_per_file = [&](size_t stripe_bytes, std::vector<size_t>* counts, uint64_t* smallest_inner) {
    sources_.clear();
    writer_.reset();
    std::filesystem::remove(dir_ + "/disc.img");
    open("profile=dvd+r&speed=4");
    PrepareOptions po;
    po.write_kbps = 4 * 1385;
    auto prepared = prepare_for_writing(*drive_, po);
    ASSERT_TRUE(prepared.ok()) << prepared.error().to_string();
    WriterOptions o = writer_options_for(*prepared);
    o.stripe_bytes = stripe_bytes;
    start_writer(*prepared, o);
    for (int i = 0; i < 4; ++i) add(i, 8'000'000);
    testing::run_until(clock_, *writer_, sources_, clock_.now() + 60s);
    testing::stop_all(clock_, *writer_, sources_);
    *smallest_inner = UINT64_MAX;
    for (auto& s : sources_) {
      RecordingStats st = s.recording->stats();
      EXPECT_EQ(st.missed_deadlines, 0u);
      EXPECT_EQ(st.shed_gops, 0u);
      EXPECT_EQ(st.bytes_written, st.bytes_in);
      auto e = writer_->extents(s.recording->id());
      ASSERT_TRUE(e.ok());
      auto indexes = testing::packet_indexes(read_back(*e, o.block_size), s.tag);
      ASSERT_EQ(indexes, expected_packets(s, {}));
      counts->push_back(e->recorded.size());
      // The first and last extents may be short (start, stop).
      for (size_t i = 1; i + 1 < e->recorded.size(); ++i)
        *smallest_inner = std::min<uint64_t>(*smallest_inner, e->recorded[i].length);
    }
  };
  std::vector<size_t> unit_by_unit, striped;
  uint64_t smallest_unit = 0, smallest_striped = 0;
  extents_per_file(0, &unit_by_unit, &smallest_unit);
  extents_per_file(4 << 20, &striped, &smallest_striped);
  for (size_t i = 0; i < 4; ++i) {
    SCOPED_TRACE(i);
    EXPECT_GT(unit_by_unit[i], 300u);
    EXPECT_LT(striped[i], 160u) << "60 s at 8 Mbit/s, about 0.5 MB per extent";
    EXPECT_LT(striped[i] * 5, unit_by_unit[i]);
  }
  EXPECT_GE(smallest_striped, 256u * 1024) << "each inner extent is a stripe, not a unit";
  std::printf("extents per file: unit by unit %zu, striped %zu; smallest inner extent %llu / %llu bytes\n",
              unit_by_unit[0], striped[0], (unsigned long long)smallest_unit, (unsigned long long)smallest_striped);
}

TEST_F(WriterSimTest, OverloadShedsOnlyWholeGopsOfTheLowestPriority) {
  open("profile=dvd+r&speed=4");
  PrepareOptions po;
  po.write_kbps = 3 * 1385;  // the disc writes at 3x ...
  auto prepared = prepare_for_writing(*drive_, po);
  ASSERT_TRUE(prepared.ok()) << prepared.error().to_string();
  WriterOptions o = writer_options_for(*prepared);
  // ... but admission was told 4x, so the admitted 90% is 120% of what it does.
  o.guaranteed_bytes_per_second = prepared->guaranteed_bytes_per_second * 4 / 3;
  start_writer(*prepared, o);
  const uint64_t total = o.guaranteed_bytes_per_second * 8 * 9 / 10;
  const uint64_t small = total * 7 / 100;
  for (int i = 0; i < 7; ++i) add(10 + i, small);
  add(1, total - 7 * small);
  testing::run_until(clock_, *writer_, sources_, clock_.now() + 30s);
  testing::stop_all(clock_, *writer_, sources_);

  for (size_t i = 0; i < 7; ++i) {
    auto& s = sources_[i];
    SCOPED_TRACE(s.recording->config().name);
    RecordingStats st = s.recording->stats();
    EXPECT_EQ(st.shed_gops, 0u);
    EXPECT_EQ(st.overflow_bytes, 0u);
    EXPECT_EQ(st.bytes_written, st.bytes_in);
    auto e = writer_->extents(s.recording->id());
    ASSERT_TRUE(e.ok());
    ASSERT_EQ(testing::packet_indexes(read_back(*e, o.block_size), s.tag), expected_packets(s, {}));
  }
  auto& low = sources_[7];
  RecordingStats st = low.recording->stats();
  EXPECT_GT(st.shed_gops, 5u);
  EXPECT_EQ(st.overflow_bytes, 0u);
  EXPECT_EQ(st.bytes_written + st.shed_bytes, st.bytes_in);
  auto e = writer_->extents(low.recording->id());
  ASSERT_TRUE(e.ok());
  ASSERT_EQ(e->shed.size(), st.shed_gops);
  for (const auto& r : e->shed) {
    EXPECT_EQ(r.input_begin % kGopBytes, 0u);
    EXPECT_TRUE(r.input_end % kGopBytes == 0 || r.input_end == st.bytes_in);
    EXPECT_LE(r.input_end - r.input_begin, kGopBytes);
  }
  auto indexes = testing::packet_indexes(read_back(*e, o.block_size), low.tag);
  EXPECT_EQ(indexes, expected_packets(low, e->shed)) << "missing on disc == reported shed";
  EXPECT_EQ(low.next_packet - indexes.size(), st.shed_bytes / kTsPacketSize);
}

TEST_F(WriterSimTest, MediumErrorsAreExactLostExtents) {
  // LBAs relative to the next writable address of a blank DVD+R (0).
  open("profile=dvd+r&speed=4",
       "write-error lba=200\n"
       "write-error lba=1001-1002\n"
       "write-error lba=4000\n");
  auto prepared = prepare_for_writing(*drive_);
  ASSERT_TRUE(prepared.ok()) << prepared.error().to_string();
  ASSERT_EQ(prepared->start_lba, 0u);
  WriterOptions o = writer_options_for(*prepared);
  start_writer(*prepared, o);
  for (int i = 0; i < 3; ++i) add(i, 10'000'000);
  testing::run_until(clock_, *writer_, sources_, clock_.now() + 10s);
  testing::stop_all(clock_, *writer_, sources_);

  const std::vector<uint32_t> bad = {200, 1001, 1002, 4000};
  std::vector<LostExtent> lost;
  for (auto& s : sources_) {
    auto e = writer_->extents(s.recording->id());
    ASSERT_TRUE(e.ok());
    RecordingStats st = s.recording->stats();
    EXPECT_EQ(st.bytes_written + st.lost_bytes, st.bytes_in);
    for (const auto& l : e->lost) lost.push_back(l);
    // Everything else intact: the recorded extents read back as the input.
    std::vector<uint8_t> file = read_back(*e, o.block_size);
    for (const auto& r : e->recorded) {
      const size_t payload = static_cast<size_t>(std::min<uint64_t>(r.length, st.bytes_in - r.file_offset));
      EXPECT_TRUE(testing::matches_input(file.data() + r.file_offset, payload, r.file_offset, s.tag))
          << "recording " << s.tag << " extent at LBA " << r.lba;
    }
  }
  std::sort(lost.begin(), lost.end(), [](auto& a, auto& b) { return a.lba < b.lba; });
  // One lost extent per failing command: 200, 1001-1002 (one command), 4000.
  ASSERT_EQ(lost.size(), 3u);
  for (const auto& l : lost) {
    int inside = 0;
    for (uint32_t b : bad) inside += b >= l.lba && b < l.lba + l.blocks;
    EXPECT_GT(inside, 0) << "lost extent at " << l.lba << " has no bad block";
    EXPECT_EQ(l.lba % 16, 0u);
    EXPECT_EQ(l.blocks % 16, 0u);
    EXPECT_EQ(l.sense, (SenseCode{0x03, 0x0C, 0x00}));
  }
  EXPECT_EQ(writer_->stats().lost_extents, 3u);
  EXPECT_FALSE(writer_->failure().has_value());
}

TEST_F(WriterSimTest, HungWriteTimesOutAsALostExtentAndWritingGoesOn) {
  open("profile=dvd+r&speed=4", "hang lba=3000 count=1\n");
  auto prepared = prepare_for_writing(*drive_);
  ASSERT_TRUE(prepared.ok()) << prepared.error().to_string();
  WriterOptions o = writer_options_for(*prepared);
  target_ = std::make_unique<DriveBlockTarget>(*drive_, 1000ms);
  writer_ = std::make_unique<StreamingWriter>(*target_, clock_, o);
  for (int i = 0; i < 3; ++i) add(i, 10'000'000);
  testing::run_until(clock_, *writer_, sources_, clock_.now() + 10s);
  testing::stop_all(clock_, *writer_, sources_);
  std::vector<LostExtent> lost;
  for (auto& s : sources_) {
    auto e = writer_->extents(s.recording->id());
    ASSERT_TRUE(e.ok());
    for (const auto& l : e->lost) lost.push_back(l);
    RecordingStats st = s.recording->stats();
    EXPECT_EQ(st.bytes_written + st.lost_bytes, st.bytes_in);
    EXPECT_EQ(st.shed_gops, 0u) << "a 1 s hang fits in the rings";
    std::vector<uint8_t> file = read_back(*e, o.block_size);
    // The hung command's data is not in the file; around it every recorded
    // extent holds exactly its input range.
    uint64_t covered = 0;
    for (const auto& r : e->recorded) {
      EXPECT_TRUE(testing::matches_input(file.data() + r.file_offset, r.input_end - r.input_begin,
                                         r.input_begin, s.tag))
          << "recording " << s.tag << " extent at LBA " << r.lba;
      covered += r.input_end - r.input_begin;
    }
    for (const auto& l : e->lost) covered += l.input_end - l.input_begin;
    EXPECT_EQ(covered, st.bytes_in);
  }
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_EQ(lost[0].code, ErrorCode::kTimeout);
  // The hung command took nothing: DVD+R's write position stayed, and the
  // next command was written there.
  EXPECT_EQ(lost[0].blocks, 0u);
  EXPECT_LE(lost[0].lba, 3000u);
  EXPECT_GT(lost[0].lba + 64, 3000u);
  EXPECT_GT(lost[0].input_end, lost[0].input_begin);
  EXPECT_FALSE(writer_->failure().has_value());
}

// A hung write, and the drive then reports a unit attention to the writer's
// question of where it is (a host often resets a drive that hung): the
// writer must not guess that the drive took the whole command. It pauses,
// asks again, and goes on where the drive is; only the hung command is lost.
TEST_F(WriterSimTest, HungWriteFollowedByAUnitAttentionLosesOnlyThatCommand) {
  open("profile=dvd+r&speed=4",
       "hang lba=3000 count=1\n"
       "unit-attention opcode=0x52 at=1500\n");
  auto prepared = prepare_for_writing(*drive_);
  ASSERT_TRUE(prepared.ok()) << prepared.error().to_string();
  WriterOptions o = writer_options_for(*prepared);
  target_ = std::make_unique<DriveBlockTarget>(*drive_, 1000ms);
  writer_ = std::make_unique<StreamingWriter>(*target_, clock_, o);
  for (int i = 0; i < 3; ++i) add(i, 10'000'000);
  testing::run_until(clock_, *writer_, sources_, clock_.now() + 10s);
  testing::stop_all(clock_, *writer_, sources_);
  EXPECT_FALSE(writer_->failure().has_value()) << writer_->failure()->to_string();
  DriveStats d = writer_->stats();
  EXPECT_EQ(d.lost_extents, 1u);
  EXPECT_GE(d.pauses, 1u) << "the unit attention reached the writer";
  auto track = drive_->read_track_information(d.next_lba, device::TrackAddressType::kLba);
  ASSERT_TRUE(track.ok()) << track.error().to_string();
  EXPECT_EQ(track->next_writable_address, d.next_lba) << "the writer's next address is the drive's";
  for (auto& s : sources_) {
    RecordingStats st = s.recording->stats();
    EXPECT_EQ(st.bytes_written + st.lost_bytes, st.bytes_in);
    auto e = writer_->extents(s.recording->id());
    ASSERT_TRUE(e.ok());
    for (const auto& l : e->lost) {
      EXPECT_EQ(l.code, ErrorCode::kTimeout);
      EXPECT_EQ(l.blocks, 0u) << "the hung command took nothing";
    }
    std::vector<uint8_t> file = read_back(*e, o.block_size);
    for (const auto& r : e->recorded) {
      EXPECT_TRUE(testing::matches_input(file.data() + r.file_offset, r.input_end - r.input_begin, r.input_begin,
                                         s.tag))
          << "recording " << s.tag << " extent at LBA " << r.lba;
    }
  }
}

}  // namespace
}  // namespace discrec::recorder
