// The streaming writer through a drive's passing states, on the emulated
// drive (sim://, timing on) through the real Drive code, in simulated time:
// NOT READY (becoming ready, 2/04/01) for 0.3 s and for 3 s, a UNIT
// ATTENTION, a reset that drops the write in flight (before and after the
// drive took it), and a NOT READY longer than the writer's bound. None of
// these is a medium error: nothing may become a lost extent, the writer's
// next address must stay the drive's, and every byte taken in must be
// written or shed (or, once the writer gave up, counted lost).
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

class WriterDriveStatesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/discrec_writer_states_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A DVD+R at 4x (sequential: the drive has a next writable address) with
  // `faults`, prepared, and a writer with three 10 Mbit/s recordings.
  void start(const std::string& faults, Nanos max_pause = 30s) {
    std::ofstream(dir_ + "/faults.txt") << faults;
    std::string uri = "sim://" + dir_ + "/disc.img?profile=dvd+r&speed=4&faults=" + dir_ + "/faults.txt";
    auto drive = device::Drive::open(uri, device::TransportOptions{&clock_});
    ASSERT_TRUE(drive.ok()) << drive.error().to_string();
    drive_ = std::move(drive).value();
    auto prepared = prepare_for_writing(*drive_);
    ASSERT_TRUE(prepared.ok()) << prepared.error().to_string();
    options_ = writer_options_for(*prepared);
    options_.max_pause = max_pause;
    target_ = std::make_unique<DriveBlockTarget>(*drive_);
    writer_ = std::make_unique<StreamingWriter>(*target_, clock_, options_);
    for (int i = 0; i < 3; ++i) add_source(*writer_, sources_, i, 10'000'000, clock_.now());
  }

  void run_and_stop(Nanos how_long) {
    testing::run_until(clock_, *writer_, sources_, clock_.now() + how_long);
    testing::stop_all(clock_, *writer_, sources_);
  }

  // Reads a recording's file back through READ(12); lost extents are zeros.
  std::vector<uint8_t> read_back(const RecordingExtents& e) {
    testing::ModelTarget view(clock_, 1, options_.block_size);
    std::vector<uint8_t> buf;
    for (const auto& r : e.recorded) {
      buf.resize(size_t{r.blocks} * options_.block_size);
      Status s = drive_->read12(r.lba, buf, false);
      EXPECT_TRUE(s.ok()) << s.error().to_string();
      for (uint32_t b = 0; b < r.blocks; ++b) {
        view.disc[r.lba + b].assign(buf.begin() + size_t{b} * options_.block_size,
                                    buf.begin() + size_t{b + 1} * options_.block_size);
      }
    }
    return testing::read_file(view, e, options_.block_size);
  }

  uint32_t drive_nwa() {
    auto track = drive_->read_track_information(writer_->stats().next_lba, device::TrackAddressType::kLba);
    EXPECT_TRUE(track.ok()) << track.error().to_string();
    return track.ok() && track->nwa_valid ? track->next_writable_address : UINT32_MAX;
  }

  // The writer survived: no lost extent, every byte taken in is on disc or
  // in a shed GOP, the files hold exactly the input minus the shed GOPs, in
  // order, and the writer's next address is the drive's. `may_shed`: the
  // pause was longer than the rings absorb without shedding.
  void expect_nothing_lost(bool may_shed) {
    EXPECT_FALSE(writer_->failure().has_value()) << writer_->failure()->to_string();
    DriveStats d = writer_->stats();
    EXPECT_GE(d.pauses, 1u) << "the fault must have reached the writer";
    EXPECT_FALSE(d.paused);
    EXPECT_EQ(d.lost_extents, 0u);
    EXPECT_EQ(d.write_errors, 0u);
    EXPECT_EQ(drive_nwa(), d.next_lba) << "the writer's next address is the drive's";
    for (auto& s : sources_) {
      SCOPED_TRACE(s.recording->config().name);
      RecordingStats st = s.recording->stats();
      EXPECT_EQ(st.lost_extents, 0u);
      EXPECT_EQ(st.lost_bytes, 0u);
      EXPECT_EQ(st.overflow_bytes, 0u);
      EXPECT_EQ(st.bytes_in, s.next_packet * kTsPacketSize);
      EXPECT_EQ(st.bytes_written + st.shed_bytes, st.bytes_in) << "every byte written or shed";
      if (!may_shed) {
        EXPECT_EQ(st.shed_bytes, 0u);
      }
      auto e = writer_->extents(s.recording->id());
      ASSERT_TRUE(e.ok());
      EXPECT_TRUE(e->lost.empty());
      std::vector<uint8_t> file = read_back(*e);
      EXPECT_EQ(testing::packet_indexes(file, s.tag), testing::expected_packets(s, e->shed))
          << "the file is the input minus the shed GOPs, in order";
    }
  }

  std::string dir_;
  SimulatedClock clock_;
  std::unique_ptr<device::Drive> drive_;
  WriterOptions options_;
  std::unique_ptr<DriveBlockTarget> target_;
  std::unique_ptr<StreamingWriter> writer_;
  std::vector<TsSource> sources_;
};

TEST_F(WriterDriveStatesTest, NotReadyForAFractionOfASecondLosesNothing) {
  start("not-ready at=3000 for=300 ascq=1\n");
  run_and_stop(10s);
  expect_nothing_lost(false);
}

TEST_F(WriterDriveStatesTest, NotReadyForThreeSecondsLosesNothing) {
  // Longer than the 2 s latency budget: the rings (4 s each) hold it all.
  start("not-ready at=3000 for=3000 ascq=1\n");
  run_and_stop(20s);
  expect_nothing_lost(true);
  EXPECT_GT(writer_->stats().missed_deadlines, 0u) << "the pause must have been felt";
}

TEST_F(WriterDriveStatesTest, NotReadyLongerThanTheRingsHoldShedsWholeGopsAndLosesNothing) {
  // 6 s fills the rings past their shed fraction: whole GOPs of the lowest
  // priority go, counted, and nothing else; the drive's address still
  // follows the writer's exactly.
  start("not-ready at=3000 for=6000 ascq=1\n");
  run_and_stop(30s);
  expect_nothing_lost(true);
  EXPECT_GT(sources_[0].recording->stats().shed_gops, 0u);
  EXPECT_EQ(sources_[2].recording->stats().shed_gops, 0u) << "the highest priority is shed last";
}

TEST_F(WriterDriveStatesTest, UnitAttentionLosesNothing) {
  start("unit-attention at=3000\n");
  run_and_stop(10s);
  expect_nothing_lost(false);
}

TEST_F(WriterDriveStatesTest, MediumMayHaveChangedOnTheSameDiscLosesNothing) {
  start("unit-attention at=3000 asc=0x28 ascq=0\n");
  run_and_stop(10s);
  expect_nothing_lost(false);
}

TEST_F(WriterDriveStatesTest, AResetThatDropsTheWriteInFlightLosesNothing) {
  // The write is dropped before the drive ran it; the drive then reports the
  // reset (6/29/00) and is becoming ready for a second.
  start("reset opcode=0xaa at=3000 for=1000\n");
  run_and_stop(12s);
  expect_nothing_lost(false);
}

TEST_F(WriterDriveStatesTest, AResetAfterTheDriveTookTheWriteLosesNothingAndWritesItOnce) {
  // The drive ran the write, its answer was lost with the reset: the drive's
  // address says it was taken, and it is not written a second time.
  start("reset opcode=0xaa at=3000 for=500 executed=1\n");
  run_and_stop(12s);
  expect_nothing_lost(false);
}

TEST_F(WriterDriveStatesTest, AResetThatLostTheAnswerOfAMediumErrorMakesALostExtent) {
  // The drive ran the write, which hit a medium error, and the reset lost
  // that answer: its address moved past the command as after a good write.
  // Only reading it back tells; the command is a lost extent, not recorded.
  start("write-error lba=2000\n"
        "reset lba=2000 for=500 executed=1\n");
  run_and_stop(12s);
  EXPECT_FALSE(writer_->failure().has_value()) << writer_->failure()->to_string();
  DriveStats d = writer_->stats();
  EXPECT_GE(d.pauses, 1u);
  EXPECT_EQ(d.lost_extents, 1u);
  EXPECT_EQ(drive_nwa(), d.next_lba);
  for (auto& s : sources_) {
    SCOPED_TRACE(s.recording->config().name);
    RecordingStats st = s.recording->stats();
    EXPECT_EQ(st.bytes_written + st.lost_bytes, st.bytes_in);
    auto e = writer_->extents(s.recording->id());
    ASSERT_TRUE(e.ok());
    for (const auto& l : e->lost) {
      EXPECT_LE(l.lba, 2000u);
      EXPECT_GT(l.lba + l.blocks, 2000u) << "the spoiled blocks are the lost extent's";
    }
    for (const auto& r : e->recorded) EXPECT_FALSE(r.lba <= 2000 && r.lba + r.blocks > 2000) << "LBA 2000 recorded";
    read_back(*e);  // every recorded extent reads back
  }
}

TEST_F(WriterDriveStatesTest, TheSameDiscPutBackWhereTheWriterLeftItGoesOn) {
  // Taken out for a second (2/3A/00), back with 6/28/00: the drive's
  // address is where the writer was, so it is the same disc.
  start("remove at=3000 for=1000\n");
  run_and_stop(12s);
  expect_nothing_lost(false);
}

TEST_F(WriterDriveStatesTest, NotReadyLongerThanTheBoundFailsCleanlyAndCountsEverything) {
  start("not-ready at=3000 for=60000 ascq=1\n", 5s);
  for (auto& s : sources_) s.expect_ok = false;  // pushes are refused once the writer failed
  testing::run_until(clock_, *writer_, sources_, clock_.now() + 12s);
  auto failure = writer_->failure();
  ASSERT_TRUE(failure.has_value());
  EXPECT_NE(failure->message().find("has not taken a write for"), std::string::npos) << failure->to_string();
  EXPECT_TRUE(failure->has_sense(2, 0x04, 0x01)) << failure->to_string();
  testing::stop_all(clock_, *writer_, sources_);
  const uint32_t next = writer_->stats().next_lba;
  for (auto& s : sources_) {
    SCOPED_TRACE(s.recording->config().name);
    RecordingStats st = s.recording->stats();
    EXPECT_EQ(st.bytes_written + st.shed_bytes + st.lost_bytes, st.bytes_in) << "every byte counted";
    EXPECT_GT(st.bytes_written, 0u);
    auto e = writer_->extents(s.recording->id());
    ASSERT_TRUE(e.ok());
    for (const auto& l : e->lost) {
      EXPECT_EQ(l.blocks, 0u) << "nothing the drive did not write is on disc";
      EXPECT_GE(l.lba, next);
    }
    for (const auto& r : e->recorded) EXPECT_LE(r.lba + r.blocks, next);
  }
  EXPECT_EQ(writer_->stats().write_errors, 0u);
  // The drive is ready again later, and where the writer left it.
  clock_.advance(60s);
  EXPECT_EQ(drive_nwa(), next);
}

}  // namespace
}  // namespace discrec::recorder

namespace discrec::recorder {
namespace {

// A model drive that is not ready from `refuse_from` for `refuse_for`, and
// then reports `profile` and, when set, `nwa` as where it is.
class ChangingTarget final : public BlockTarget {
 public:
  ChangingTarget(SimulatedClock& clock) : clock_(clock), model(clock, 5'540'000) {}
  Status write_blocks(uint32_t lba, std::span<const uint8_t> data, bool streaming) override {
    if (refusing()) return Error::scsi("WRITE(12)", SenseCode{0x02, 0x04, 0x01}, "becoming ready");
    return model.write_blocks(lba, data, streaming);
  }
  Status flush() override { return ok_status(); }
  Result<Position> position(uint32_t) override {
    if (refusing()) return Error::scsi("TEST UNIT READY", SenseCode{0x02, 0x04, 0x01}, "becoming ready");
    return Position{profile, nwa};
  }
  bool refusing() const { return clock_.now() >= refuse_from && clock_.now() < refuse_from + refuse_for; }

  SimulatedClock& clock_;
  testing::ModelTarget model;
  TimePoint refuse_from = TimePoint{} + 3s;
  Nanos refuse_for = 500ms;
  uint16_t profile = 0x1B;
  std::optional<uint32_t> nwa;
};

WriterOptions dvd_plus_r() {
  WriterOptions o;
  o.start_lba = 1000;
  o.guaranteed_bytes_per_second = 5'540'000;
  o.profile = 0x1B;
  return o;
}

// Runs two recordings into `target` for 8 s and checks that the writer gave
// up with `why`, counted every byte, and wrote nothing after the pause
// (neither where it had got to nor where the drive now says it is).
void expect_fails_without_writing_over(ChangingTarget& target, SimulatedClock& clock, const std::string& why) {
  StreamingWriter writer(target, clock, dvd_plus_r());
  std::vector<TsSource> sources;
  for (int i = 0; i < 2; ++i) add_source(writer, sources, i, 10'000'000, clock.now());
  for (auto& s : sources) s.expect_ok = false;
  testing::run_until(clock, writer, sources, TimePoint{} + 8s);
  auto failure = writer.failure();
  ASSERT_TRUE(failure.has_value());
  EXPECT_NE(failure->message().find(why), std::string::npos) << failure->to_string();
  testing::stop_all(clock, writer, sources);
  size_t after_pause = 0;
  for (const auto& c : target.model.commands) after_pause += c.lba >= writer.stats().next_lba || c.lba < 1000;
  EXPECT_EQ(after_pause, 0u) << "nothing written after the medium changed";
  for (auto& s : sources) {
    RecordingStats st = s.recording->stats();
    EXPECT_EQ(st.bytes_written + st.shed_bytes + st.lost_bytes, st.bytes_in) << "every byte counted";
    EXPECT_GT(st.bytes_written, 0u);
  }
}

TEST(WriterMediumChangeTest, AnAddressThatMovedBackFailsTheWriterInsteadOfWritingOverIt) {
  SimulatedClock clock;
  ChangingTarget target(clock);
  target.nwa = 0;  // a blank disc where the recording's was
  expect_fails_without_writing_over(target, clock, "not writing over it");
}

TEST(WriterMediumChangeTest, AnotherProfileFailsTheWriter) {
  SimulatedClock clock;
  ChangingTarget target(clock);
  target.profile = 0x41;  // a BD-R where the DVD+R was
  expect_fails_without_writing_over(target, clock, "the medium changed");
}

TEST(WriterMediumChangeTest, TheSameDiscWhereTheWriterLeftItGoesOn) {
  SimulatedClock clock;
  ChangingTarget target(clock);
  StreamingWriter writer(target, clock, dvd_plus_r());
  std::vector<TsSource> sources;
  for (int i = 0; i < 2; ++i) add_source(writer, sources, i, 10'000'000, clock.now());
  // Random-access media: no address to compare, the writer goes on at its own.
  testing::run_until(clock, writer, sources, TimePoint{} + 8s);
  testing::stop_all(clock, writer, sources);
  EXPECT_FALSE(writer.failure().has_value());
  EXPECT_EQ(writer.stats().pauses, 1u);
  EXPECT_EQ(writer.stats().lost_extents, 0u);
  for (auto& s : sources) {
    RecordingStats st = s.recording->stats();
    EXPECT_EQ(st.bytes_written, st.bytes_in);
    auto e = writer.extents(s.recording->id());
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(testing::packet_indexes(testing::read_file(target.model, *e), s.tag), testing::expected_packets(s, {}));
  }
}

}  // namespace
}  // namespace discrec::recorder
