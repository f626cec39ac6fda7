// Every fault kind, from the C++ API and from a script named in the URI.
#include <fstream>

#include "tests/device/sim/sim_test_util.h"

namespace discrec::device::sim::testing {
namespace {

using std::chrono::milliseconds;

class FaultsTest : public SimTest {
 protected:
  void at_ms(int64_t ms) { clock_.sleep_until(drive_->opened_at() + milliseconds(ms)); }
};

TEST_F(FaultsTest, WriteErrorConsumesTheBlocksAndReadsBackAsError) {
  open("profile=bd-r&timing=off&blocks=65536");
  ASSERT_TRUE(drive_->inject_script("write-error lba=100-131 count=1").ok());
  EXPECT_GOOD(write12(0, 96));
  auto failed = write12(96, 64);
  EXPECT_SENSE(failed, 3, 0x0C, 0x00);
  EXPECT_EQ(failed.result.sense[0] & 0x80, 0x80);  // information = first bad LBA
  EXPECT_EQ(failed.result.sense[6], 100);
  // Streaming policy: skip it and go on; the NWA is past the failed extent.
  EXPECT_EQ(nwa(), 160u);
  EXPECT_GOOD(write12(160, 32));
  EXPECT_GOOD(read12(96, 4));
  EXPECT_SENSE(read12(96, 8), 3, 0x11, 0x00);
  EXPECT_SENSE(read12(150, 1), 3, 0x11, 0x00);
  // count=1: the second pass over the range (a rewritable disc) would succeed.
}

TEST_F(FaultsTest, RepeatingWriteErrorOnRewritableMedia) {
  open("profile=bd-re&timing=off&blocks=65536&formatted=spares");
  FaultSpec f;
  f.kind = FaultKind::kWriteError;
  f.lba_first = 1000;
  f.lba_last = 1000;
  drive_->inject(f);
  EXPECT_SENSE(write12(992, 32), 3, 0x0C, 0x00);
  EXPECT_SENSE(write12(1000, 1), 3, 0x0C, 0x00);  // count 0: every time
  EXPECT_GOOD(write12(1001, 32));
  drive_->clear_faults();
  EXPECT_GOOD(write12(1000, 1));
}

TEST_F(FaultsTest, ReadError) {
  open("profile=bd-re&timing=off&blocks=65536&formatted=spares");
  ASSERT_TRUE(write12(0, 64).good());
  ASSERT_TRUE(drive_->inject_script("read-error lba=40-41").ok());
  EXPECT_GOOD(read12(0, 40));
  auto a = read12(32, 32);
  EXPECT_SENSE(a, 3, 0x11, 0x00);
  EXPECT_EQ(a.result.sense[6], 40);
  EXPECT_GOOD(read12(42, 22));
}

TEST_F(FaultsTest, LatencySpikeAtAnLba) {
  open("profile=bd-re&formatted=spares&seek_ms=0&opc_ms=0");
  ASSERT_TRUE(drive_->inject_script("latency delay=700 lba=64").ok());
  TimePoint t = clock_.now();
  ASSERT_TRUE(write12(0, 32).good());
  ASSERT_TRUE(write12(32, 32).good());
  Nanos normal = clock_.now() - t;
  t = clock_.now();
  ASSERT_TRUE(write12(64, 32).good());
  EXPECT_GE(clock_.now() - t, milliseconds(700));
  t = clock_.now();
  ASSERT_TRUE(write12(96, 32).good());
  EXPECT_LE(clock_.now() - t, normal);  // once only
}

TEST_F(FaultsTest, LatencyOnAnOpcode) {
  open("profile=bd-re&formatted=spares");
  ASSERT_TRUE(drive_->inject_script("latency delay=250 opcode=0x00 count=2").ok());
  for (int i = 0; i < 3; ++i) {
    TimePoint t = clock_.now();
    EXPECT_GOOD(tur());
    EXPECT_EQ(clock_.now() - t, i < 2 ? milliseconds(250) : milliseconds(0));
  }
}

TEST_F(FaultsTest, LatencyAtATime) {
  open("profile=bd-re&formatted=spares");
  ASSERT_TRUE(drive_->inject_script("latency delay=400 at=1000").ok());
  TimePoint t = clock_.now();
  EXPECT_GOOD(tur());
  EXPECT_EQ(clock_.now(), t);
  at_ms(1000);
  t = clock_.now();
  EXPECT_GOOD(tur());
  EXPECT_EQ(clock_.now() - t, milliseconds(400));
}

TEST_F(FaultsTest, StallAtAnLbaAndNotReadyAtAnLba) {
  open("profile=bd-r&speed=2&seek_ms=0&opc_ms=0&buffer=1024");
  ASSERT_TRUE(drive_->inject_script("stall for=2000 lba=2048").ok());
  ASSERT_TRUE(write12(0, 2048).good());
  ASSERT_TRUE(sync_cache().good());
  TimePoint t = clock_.now();
  ASSERT_TRUE(write12(2048, 512).good());
  ASSERT_TRUE(sync_cache().good());
  EXPECT_NEAR(std::chrono::duration<double>(clock_.now() - t).count(), 2.0 + 1048576 / 8991250.0, 0.01);
  ASSERT_TRUE(drive_->inject_script("not-ready for=500 lba=4096").ok());
  EXPECT_GOOD(write12(2560, 1536));
  EXPECT_SENSE(write12(4096, 32), 2, 0x04, 0x01);
  clock_.advance(milliseconds(600));
  EXPECT_GOOD(write12(4096, 32));
}

TEST_F(FaultsTest, StallStopsTheMedia) {
  open("profile=bd-r&speed=2&seek_ms=0&opc_ms=0");
  ASSERT_TRUE(drive_->inject_script("stall for=3000 at=100").ok());
  TimePoint t = clock_.now();
  for (uint32_t lba = 0; lba < 8192; lba += 1024) ASSERT_TRUE(write12(lba, 1024).good());
  ASSERT_TRUE(sync_cache().good());
  double expected = 16.0 * 1048576 / 8991250 + 3.0;
  EXPECT_NEAR(std::chrono::duration<double>(clock_.now() - t).count(), expected, 0.05);
}

TEST_F(FaultsTest, NotReadyWindow) {
  open("profile=dvd+r&timing=off");
  ASSERT_TRUE(drive_->inject_script("not-ready at=1000 for=2000").ok());
  at_ms(500);
  EXPECT_GOOD(tur());
  at_ms(1500);
  EXPECT_SENSE(tur(), 2, 0x04, 0x01);
  EXPECT_SENSE(write12(0, 16), 2, 0x04, 0x01);
  EXPECT_GOOD(in({0x12, 0, 0, 0, 36, 0}, 36));
  at_ms(3001);
  EXPECT_GOOD(tur());
  EXPECT_GOOD(write12(0, 16));
}

TEST_F(FaultsTest, MediumRemovalThenUnitAttentionOnInsert) {
  open("profile=dvd+r&timing=off");
  ASSERT_TRUE(drive_->inject_script("remove at=1000 for=2000").ok());
  at_ms(1500);
  EXPECT_SENSE(tur(), 2, 0x3A, 0x00);
  EXPECT_SENSE(write12(0, 16), 2, 0x3A, 0x00);
  auto cfg = in({0x46, 1, 0, 0, 0, 0, 0, 0, 8, 0}, 8);
  EXPECT_EQ(be16_of(cfg.data, 6), 0);  // no current profile
  at_ms(3500);
  auto cfg2 = in({0x46, 1, 0, 0, 0, 0, 0, 0, 8, 0}, 8);  // GET CONFIGURATION does not take the UA
  EXPECT_EQ(be16_of(cfg2.data, 6), 0x001B);
  EXPECT_SENSE(tur(), 6, 0x28, 0x00);
  EXPECT_GOOD(tur());  // reported once
  EXPECT_GOOD(write12(0, 16));
}

TEST_F(FaultsTest, MediumRemovalFromTheApiAndAtAnLba) {
  open("profile=bd-r&timing=off&blocks=65536");
  drive_->remove_medium();
  EXPECT_SENSE(tur(), 2, 0x3A, 0x00);
  drive_->insert_medium();
  EXPECT_SENSE(write12(0, 32), 6, 0x28, 0x00);
  EXPECT_GOOD(write12(0, 32));
  ASSERT_TRUE(drive_->inject_script("remove lba=64").ok());
  EXPECT_GOOD(write12(32, 32));
  EXPECT_SENSE(write12(64, 32), 2, 0x3A, 0x00);  // pulled out during this write
  EXPECT_SENSE(tur(), 2, 0x3A, 0x00);
  EXPECT_GOOD(none({0x1B, 0, 0, 0, 0x03, 0}));  // load it again
  EXPECT_EQ(nwa(), 64u);
}

TEST_F(FaultsTest, HungCommandEndsOnlyByItsTimeout) {
  open("profile=bd-r&timing=off");
  ASSERT_TRUE(drive_->inject_script("hang opcode=0x35").ok());
  ASSERT_TRUE(write12(0, 32).good());
  TimePoint t = clock_.now();
  auto r = raw({0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0}, DataDirection::kNone, {}, std::chrono::seconds(20));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kTimeout);
  EXPECT_EQ(clock_.now() - t, std::chrono::seconds(20));
  EXPECT_GOOD(sync_cache());  // count=1 by default
  ASSERT_TRUE(drive_->inject_script("hang lba=32").ok());
  std::vector<uint8_t> data(32 * 2048);
  t = clock_.now();
  auto w = raw(rw12(0xAA, 32, 32, true), DataDirection::kOut, data, std::chrono::seconds(5));
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().code(), ErrorCode::kTimeout);
  EXPECT_EQ(clock_.now() - t, std::chrono::seconds(5));
}

TEST_F(FaultsTest, UnitAttentionOnceThenGood) {
  open("profile=dvd+r&timing=off");
  ASSERT_TRUE(drive_->inject_script("unit-attention at=1000\nunit-attention at=2000 asc=0x28 ascq=0").ok());
  EXPECT_GOOD(write12(0, 16));
  at_ms(1000);
  EXPECT_GOOD(in({0x12, 0, 0, 0, 36, 0}, 36));  // INQUIRY never reports one
  EXPECT_SENSE(write12(16, 16), 6, 0x29, 0x00);
  EXPECT_EQ(nwa(), 16u) << "the refused write took nothing";
  EXPECT_GOOD(write12(16, 16));
  at_ms(2000);
  EXPECT_SENSE(tur(), 6, 0x28, 0x00);
  EXPECT_GOOD(tur());
  EXPECT_GOOD(write12(32, 16));
}

TEST_F(FaultsTest, ResetDropsTheCommandThenUnitAttentionAndBecomingReady) {
  open("profile=dvd+r&timing=off");
  ASSERT_TRUE(drive_->inject_script("reset opcode=0xaa at=1000 for=500").ok());
  EXPECT_GOOD(write12(0, 16));
  at_ms(1000);
  std::vector<uint8_t> data(16 * 2048, 0x5A);
  auto dropped = raw(rw12(0xAA, 16, 16, true), DataDirection::kOut, data, std::chrono::seconds(5));
  ASSERT_FALSE(dropped.ok());
  EXPECT_EQ(dropped.error().code(), ErrorCode::kTransport);
  EXPECT_SENSE(tur(), 6, 0x29, 0x00);
  EXPECT_SENSE(tur(), 2, 0x04, 0x01);
  EXPECT_SENSE(write12(16, 16), 2, 0x04, 0x01);
  at_ms(1500);
  EXPECT_GOOD(tur());
  EXPECT_EQ(nwa(), 16u) << "the dropped write never ran";
  EXPECT_GOOD(write12(16, 16));
}

TEST_F(FaultsTest, ResetAfterTheCommandRanLosesOnlyItsAnswer) {
  open("profile=dvd+r&timing=off");
  ASSERT_TRUE(drive_->inject_script("reset opcode=0xaa executed=1").ok());
  std::vector<uint8_t> data(16 * 2048, 0x5A);
  auto dropped = raw(rw12(0xAA, 0, 16, true), DataDirection::kOut, data, std::chrono::seconds(5));
  ASSERT_FALSE(dropped.ok());
  EXPECT_EQ(dropped.error().code(), ErrorCode::kTransport);
  EXPECT_SENSE(tur(), 6, 0x29, 0x00);
  EXPECT_EQ(nwa(), 16u) << "the write ran before the reset";
  EXPECT_GOOD(read12(0, 16));
}

TEST_F(FaultsTest, OpcFailure) {
  open("profile=dvd+r&timing=off");
  ASSERT_TRUE(drive_->inject_script("opc-fail").ok());
  EXPECT_SENSE(send_opc(), 3, 0x73, 0x03);
  EXPECT_SENSE(write12(0, 16), 3, 0x73, 0x03);  // the implicit calibration fails too
  EXPECT_EQ(nwa(), 0u);
  drive_->clear_faults();
  EXPECT_GOOD(send_opc());
  EXPECT_GOOD(write12(0, 16));
}

TEST_F(FaultsTest, ScriptFromTheUri) {
  std::string script = dir_.path() + "/faults.txt";
  std::ofstream(script) << "# from the URI\nwrite-error lba=16-31\nnot-ready at=0 for=100 ascq=4\n";
  open("profile=dvd+r&timing=off&faults=" + script);
  EXPECT_SENSE(tur(), 2, 0x04, 0x04);
  at_ms(200);
  EXPECT_GOOD(write12(0, 16));
  EXPECT_SENSE(write12(16, 16), 3, 0x0C, 0x00);
  std::ofstream(script) << "explode\n";
  use_image("other.img");
  auto d = SimDrive::open(uri("faults=" + script), TransportOptions{&clock_});
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace discrec::device::sim::testing
