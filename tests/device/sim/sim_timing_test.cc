// The timing model, in simulated time: speed, buffer, defect management,
// calibration, seeks and long operations.
#include "tests/device/sim/sim_test_util.h"

namespace discrec::device::sim::testing {
namespace {

using std::chrono::duration;
using Seconds = duration<double>;

constexpr uint64_t kGiB = uint64_t{1} << 30;
constexpr double kBd4x = 4 * 4495625.0;

class TimingTest : public SimTest {
 protected:
  // Writes `bytes` from `lba` in 2 MiB commands and flushes; returns the
  // simulated time it took.
  Seconds write_and_sync(uint32_t lba, uint64_t bytes, bool streaming) {
    constexpr uint32_t kChunk = 1024;
    std::vector<uint8_t> data(size_t{kChunk} * 2048, 0x42);
    TimePoint start = clock_.now();
    for (uint64_t done = 0; done < bytes; done += data.size()) {
      auto a = out(rw12(0xAA, lba, kChunk, streaming), data);
      EXPECT_TRUE(a.good());
      if (!a.good()) break;
      lba += kChunk;
    }
    EXPECT_GOOD(sync_cache());
    return std::chrono::duration_cast<Seconds>(clock_.now() - start);
  }
};

TEST_F(TimingTest, OneGibAtBd4xStreamingTakesNominalTime) {
  open("profile=bd-re&formatted=spares&speed=4");
  ASSERT_TRUE(send_opc().good());
  Seconds took = write_and_sync(0, kGiB, true);
  double expected = kGiB / kBd4x;  // 59.7 s
  EXPECT_NEAR(took.count(), expected, expected * 0.02);
}

TEST_F(TimingTest, DefectManagementHalvesNonStreamingWrites) {
  open("profile=bd-re&formatted=spares&speed=4");
  ASSERT_TRUE(send_opc().good());
  Seconds took = write_and_sync(0, kGiB, false);
  double expected = 2 * kGiB / kBd4x;
  EXPECT_NEAR(took.count(), expected, expected * 0.02);
  // Without spare areas there is no verify-after-write to switch off.
  open("profile=bd-re&speed=4");  // same image, now formatted
  ASSERT_TRUE(format(0x31).good());
  ASSERT_TRUE(send_opc().good());
  Seconds plain = write_and_sync(0, 256 << 20, false);
  EXPECT_NEAR(plain.count(), (256 << 20) / kBd4x, 0.02 * (256 << 20) / kBd4x);
}

TEST_F(TimingTest, SpeedFollowsSetStreaming) {
  open("profile=bd-r&speed=2");
  ASSERT_TRUE(send_opc().good());
  Seconds at2x = write_and_sync(0, 64 << 20, true);
  ASSERT_TRUE(set_streaming_kbps(17982).good());
  ASSERT_TRUE(send_opc().good());
  Seconds at4x = write_and_sync(32768, 64 << 20, true);
  EXPECT_NEAR(at2x.count() / at4x.count(), 2.0, 0.05);
}

// rate_divisor slows the medium for long simulated runs: the speeds the
// drive reports and the time writes take both follow.
TEST_F(TimingTest, RateDivisorSlowsEverySpeedByItsFactor) {
  open("profile=dvd+r&speed=2.4&rate_divisor=277&buffer=64");
  ASSERT_TRUE(send_opc().good());
  EXPECT_EQ(drive_->snapshot().write_speed_kbps, 12u) << "2.4 x 1,385,000 / 277 = 12,000 B/s";
  // 1 MiB in 64 KiB commands: each completes once the 64 KiB buffer has
  // room, ~5.5 s, well inside the request's timeout.
  const TimePoint start = clock_.now();
  for (uint32_t lba = 0; lba < 512; lba += 32) ASSERT_TRUE(write12(lba, 32).good());
  ASSERT_TRUE(sync_cache().good());
  const double expected = (1 << 20) / 12000.0;  // 87 s
  EXPECT_NEAR(std::chrono::duration_cast<Seconds>(clock_.now() - start).count(), expected, expected * 0.02);
}

TEST_F(TimingTest, FirstWriteWaitsForCalibration) {
  open("profile=dvd+r&opc_ms=1200&seek_ms=0");
  TimePoint t = clock_.now();
  ASSERT_TRUE(write12(0, 16).good());
  ASSERT_TRUE(sync_cache().good());
  Nanos uncalibrated = clock_.now() - t;
  EXPECT_GE(uncalibrated, std::chrono::milliseconds(1200));
  t = clock_.now();
  ASSERT_TRUE(write12(16, 16).good());
  ASSERT_TRUE(sync_cache().good());
  EXPECT_LT(clock_.now() - t, std::chrono::milliseconds(50));
  // SEND OPC takes the calibration time itself; writes after it do not wait.
  ASSERT_TRUE(set_streaming_kbps(5540).good());  // a new speed needs a new OPC
  EXPECT_FALSE(drive_->snapshot().calibrated);
  t = clock_.now();
  ASSERT_TRUE(send_opc().good());
  EXPECT_EQ(clock_.now() - t, std::chrono::milliseconds(1200));
  EXPECT_TRUE(drive_->snapshot().calibrated);
  t = clock_.now();
  ASSERT_TRUE(write12(32, 16).good());
  ASSERT_TRUE(sync_cache().good());
  EXPECT_LT(clock_.now() - t, std::chrono::milliseconds(50));
}

TEST_F(TimingTest, BufferFillsAtHostRateAndDrainsAtMediaRate) {
  open("profile=bd-r&speed=2&buffer=4096&host_mbps=100&seek_ms=0");
  ASSERT_TRUE(send_opc().good());
  TimePoint t = clock_.now();
  ASSERT_TRUE(write12(0, 1024).good());  // 2 MiB: fits in the buffer
  EXPECT_NEAR(Seconds(clock_.now() - t).count(), 2097152 / 100e6, 1e-4);
  auto cap = in({0x5C, 0, 0, 0, 0, 0, 0, 0, 12, 0}, 12);
  uint32_t free_bytes = be32_of(cap.data, 8);
  EXPECT_LT(free_bytes, 4u << 20);
  EXPECT_GT(free_bytes, 2u << 20);
  // Keep writing: once the buffer is full, commands pace at the media rate.
  for (uint32_t lba = 1024; lba < 8192; lba += 1024) ASSERT_TRUE(write12(lba, 1024).good());
  EXPECT_LT(be32_of(in({0x5C, 0, 0, 0, 0, 0, 0, 0, 12, 0}, 12).data, 8), 64u * 1024);
  t = clock_.now();
  ASSERT_TRUE(write12(8192, 1024).good());
  EXPECT_NEAR(Seconds(clock_.now() - t).count(), 2097152 / 8991250.0, 0.005);
  // SYNCHRONIZE CACHE waits for the buffer to drain: 4 MiB at 2x.
  t = clock_.now();
  ASSERT_TRUE(sync_cache().good());
  EXPECT_NEAR(Seconds(clock_.now() - t).count(), 4194304 / 8991250.0, 0.005);
  EXPECT_EQ(be32_of(in({0x5C, 0, 0, 0, 0, 0, 0, 0, 12, 0}, 12).data, 8), 4u << 20);
}

TEST_F(TimingTest, SeeksCostTime) {
  open("profile=bd-re&formatted=nospares&seek_ms=150&blocks=2000000");
  ASSERT_TRUE(send_opc().good());
  ASSERT_TRUE(write12(0, 32).good());
  ASSERT_TRUE(sync_cache().good());
  TimePoint t = clock_.now();
  ASSERT_TRUE(write12(32, 32).good());  // sequential
  ASSERT_TRUE(sync_cache().good());
  Nanos sequential = clock_.now() - t;
  t = clock_.now();
  ASSERT_TRUE(write12(1000000, 32).good());
  ASSERT_TRUE(sync_cache().good());
  EXPECT_EQ(clock_.now() - t - sequential, std::chrono::milliseconds(150));
  t = clock_.now();
  ASSERT_TRUE(read12(0, 32).good());
  EXPECT_GE(clock_.now() - t, std::chrono::milliseconds(150));
}

TEST_F(TimingTest, TimingOffNeverAdvancesTheClock) {
  open("profile=bd-re&formatted=spares&timing=off");
  TimePoint t = clock_.now();
  ASSERT_TRUE(write12(0, 1024, false).good());
  ASSERT_TRUE(sync_cache().good());
  ASSERT_TRUE(send_opc().good());
  ASSERT_TRUE(format(0x30).good());
  ASSERT_TRUE(read12(0, 32).good());
  EXPECT_EQ(clock_.now(), t);
}

TEST_F(TimingTest, ImmediateLongOperationsReportProgress) {
  open("profile=dvd+r");
  ASSERT_TRUE(write12(0, 32).good());
  EXPECT_GOOD(sync_cache(true));
  EXPECT_SENSE(tur(), 2, 0x04, 0x08);  // the buffer is still being written
  clock_.advance(std::chrono::seconds(5));
  EXPECT_GOOD(tur());
  EXPECT_GOOD(close(5, 0, true));  // finalize, Immed
  EXPECT_SENSE(tur(), 2, 0x04, 0x08);
  EXPECT_GOOD(in({0x12, 0, 0, 0, 36, 0}, 36));  // INQUIRY still answers
  clock_.advance(std::chrono::seconds(11));
  EXPECT_GOOD(tur());
  use_image("bdre.img");
  open("profile=bd-re&blocks=1000000");
  EXPECT_GOOD(format(0x30, 0, true));
  auto first = tur();
  EXPECT_SENSE(first, 2, 0x04, 0x04);
  clock_.advance(std::chrono::seconds(1));
  auto second = tur();
  EXPECT_TRUE(second.result.sense[15] & 0x80);  // SKSV: progress indication
  EXPECT_GT(second.result.sense[16] << 8 | second.result.sense[17],
            first.result.sense[16] << 8 | first.result.sense[17]);
  clock_.advance(std::chrono::seconds(2));
  EXPECT_GOOD(tur());
  EXPECT_GOOD(write12(0, 32));
}

TEST_F(TimingTest, CommandsLongerThanTheirTimeoutTimeOut) {
  open("profile=bd-r&speed=2&buffer=1024");
  std::vector<uint8_t> data(64 << 20, 1);  // 64 MiB at 2x: about 7 s
  TimePoint t = clock_.now();
  auto r = raw(rw12(0xAA, 0, 32768, true), DataDirection::kOut, data, std::chrono::seconds(2));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kTimeout);
  EXPECT_EQ(clock_.now() - t, std::chrono::seconds(2));
}

}  // namespace
}  // namespace discrec::device::sim::testing
