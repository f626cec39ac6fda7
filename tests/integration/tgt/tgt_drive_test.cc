// The Drive over iSCSI against tgt, an MMC implementation nobody here wrote.
// The ctest fixture (tgt_fixture.sh) has started a private tgtd; its folder
// is in $DISCREC_TGT_DIR (uri, env, state/).
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "device/drive.h"
#include "device/mmc/cdb.h"
#include "tests/integration/tgt/tgt_fixture.h"

namespace discrec::device {
namespace {

constexpr uint32_t kBlock = 2048;
constexpr uint32_t kUnitBlocks = 16;  // one DVD ECC block = 32 KiB
constexpr uint32_t kTotalBytes = 64u << 20;

using ::discrec::test::tgt::fixture_dir;
using ::discrec::test::tgt::read_trimmed;

std::string uri() { return read_trimmed(fixture_dir() + "/uri"); }

// A fresh blank DVD+R in the (shared) tgt LU.
void insert_blank(const std::string& name) {
  const std::string cmd = ::discrec::test::tgt::swap_command(name);
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

class TgtDrive : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(fixture_dir().empty()) << "DISCREC_TGT_DIR not set (run through ctest)";
    ASSERT_FALSE(uri().empty()) << "the tgt fixture did not start";
  }
};

TEST_F(TgtDrive, ProbeBlankDvdPlusR) {
  insert_blank("probe");
  auto drive = Drive::open(uri());
  ASSERT_TRUE(drive.ok()) << drive.error().to_string();
  auto caps = (*drive)->probe();
  ASSERT_TRUE(caps.ok()) << caps.error().to_string();
  EXPECT_EQ(caps->vendor, "STGT_DVD");
  EXPECT_EQ(caps->product, "DVD101");
  EXPECT_EQ(caps->peripheral_device_type, 0x05);
  EXPECT_TRUE(caps->medium_present);
  EXPECT_TRUE(caps->ready);
  EXPECT_EQ(caps->current_profile, profile::kDvdPlusR);
  // tgt's quirk, reported truthfully: 0x0107 is listed with all five bits but
  // is not current on a blank DVD+R.
  EXPECT_TRUE(caps->rt_streaming.present);
  EXPECT_FALSE(caps->rt_streaming.current);
  EXPECT_EQ(caps->rt_streaming.version, 3);
  EXPECT_TRUE(caps->rt_streaming.stream_writing && caps->rt_streaming.write_speed_in_get_perf &&
              caps->rt_streaming.write_speed_in_mp2a && caps->rt_streaming.set_cd_speed &&
              caps->rt_streaming.read_buffer_capacity_block);
  EXPECT_FALSE(caps->can_stream_write());
  ASSERT_EQ(caps->write_speeds.size(), 1u);
  EXPECT_EQ(caps->write_speeds[0].write_kbps, 3324u);
  EXPECT_EQ(caps->write_speeds[0].end_lba, 2295103u);
  ASSERT_TRUE(caps->disc);
  EXPECT_EQ(caps->disc->status, DiscStatus::kBlank);
  ASSERT_TRUE(caps->next_writable_address);
  EXPECT_EQ(*caps->next_writable_address, 0u);
  EXPECT_EQ(caps->free_blocks, 2295104u);
  EXPECT_EQ(caps->buffer_size_bytes, 8u << 20);
  EXPECT_EQ(caps->ecc_unit_blocks, 16u);
  for (const auto& n : caps->notes) ADD_FAILURE() << "unexpected probe note: " << n;
}

TEST_F(TgtDrive, Write64MiBStreamingAtNwaCloseAndReadBack) {
  insert_blank("write64");
  auto opened = Drive::open(uri());
  ASSERT_TRUE(opened.ok()) << opened.error().to_string();
  Drive& drive = **opened;
  auto caps = drive.probe();
  ASSERT_TRUE(caps.ok()) << caps.error().to_string();
  ASSERT_TRUE(caps->next_writable_address);
  const uint32_t nwa = *caps->next_writable_address;
  ASSERT_TRUE(caps->track);
  const uint16_t track = caps->track->track_number;

  // Prepare as a recorder would. tgt has no SEND OPC (5/20/00): that is
  // "not supported", which a recorder tolerates.
  Status opc = drive.send_opc();
  if (!opc.ok()) {
    EXPECT_EQ(opc.error().code(), ErrorCode::kUnsupported) << opc.error().to_string();
  }
  auto speed = drive.set_write_speed(caps->write_speeds.at(0).write_kbps, caps->write_speeds.at(0).end_lba);
  ASSERT_TRUE(speed.ok()) << speed.error().to_string();
  EXPECT_GT(*speed, 0u);

  // 64 MiB of pseudo-random data, each block stamped with its LBA.
  std::vector<uint8_t> data(kTotalBytes);
  std::mt19937_64 rng(20261125);
  for (size_t i = 0; i < data.size(); i += 8) {
    uint64_t v = rng();
    std::memcpy(&data[i], &v, 8);
  }
  const uint32_t blocks = kTotalBytes / kBlock;
  for (uint32_t b = 0; b < blocks; ++b) std::memcpy(&data[size_t{b} * kBlock], &b, sizeof b);

  const size_t unit = size_t{kUnitBlocks} * kBlock;
  for (uint32_t b = 0; b < blocks; b += kUnitBlocks) {
    Status w = drive.write12(nwa + b, std::span(data).subspan(size_t{b} * kBlock, unit), /*streaming=*/true);
    ASSERT_TRUE(w.ok()) << "at LBA " << nwa + b << ": " << w.error().to_string();
  }
  ASSERT_TRUE(drive.synchronize_cache().ok());
  Status closed = drive.close_track_session(CloseFunction::kCloseTrack, track);
  ASSERT_TRUE(closed.ok()) << closed.error().to_string();

  // tgt turns the closed disc into DVD-ROM: complete, readable, and now
  // 0x0107 is current.
  auto disc = drive.read_disc_information();
  ASSERT_TRUE(disc.ok()) << disc.error().to_string();
  EXPECT_EQ(disc->status, DiscStatus::kComplete);
  auto capacity = drive.read_capacity();
  ASSERT_TRUE(capacity.ok()) << capacity.error().to_string();
  EXPECT_EQ(capacity->last_lba, nwa + blocks - 1);
  EXPECT_EQ(capacity->block_length, kBlock);
  auto after = drive.probe();
  ASSERT_TRUE(after.ok()) << after.error().to_string();
  EXPECT_EQ(after->current_profile, profile::kDvdRom);
  EXPECT_TRUE(after->rt_streaming.current);
  EXPECT_FALSE(after->next_writable_address);

  std::vector<uint8_t> back(unit * 2);
  for (uint32_t b = 0; b < blocks; b += 2 * kUnitBlocks) {
    Status r = drive.read12(nwa + b, back, /*streaming=*/true);
    ASSERT_TRUE(r.ok()) << "at LBA " << nwa + b << ": " << r.error().to_string();
    ASSERT_EQ(std::memcmp(back.data(), &data[size_t{b} * kBlock], back.size()), 0)
        << "data differs in LBA " << nwa + b << ".." << nwa + b + 2 * kUnitBlocks - 1;
  }

  // The closed disc refuses further writes with the readable error a
  // recorder would log.
  Status late = drive.write12(nwa + blocks, std::span(data).first(unit), true);
  ASSERT_FALSE(late.ok());
  EXPECT_TRUE(late.error().has_sense(5, 0x30, 0x05)) << late.error().to_string();
  EXPECT_EQ(late.error().command() + ": " + late.error().message(),
            "WRITE(12): ILLEGAL REQUEST 5/30/05 cannot write medium - incompatible format");
}

TEST_F(TgtDrive, HungTargetTimesOutAndTheSessionRecovers) {
  auto opened = Drive::open(uri());
  ASSERT_TRUE(opened.ok()) << opened.error().to_string();
  Drive& drive = **opened;
  pid_t tgtd = std::stoi(read_trimmed(fixture_dir() + "/state/tgtd.pid"));
  auto tur = mmc::test_unit_ready();
  CommandRequest request;
  request.cdb = tur.span();
  request.timeout = std::chrono::milliseconds(700);
  ASSERT_EQ(::kill(tgtd, SIGSTOP), 0);
  auto start = std::chrono::steady_clock::now();
  auto hung = drive.execute("TEST UNIT READY", request);
  auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(::kill(tgtd, SIGCONT), 0);
  ASSERT_FALSE(hung.ok());
  EXPECT_EQ(hung.error().code(), ErrorCode::kTimeout) << hung.error().to_string();
  EXPECT_EQ(hung.error().command(), "TEST UNIT READY");
  EXPECT_LT(waited, std::chrono::seconds(5));
  // The next command logs in again and gets an answer.
  auto inquiry = drive.inquiry();
  ASSERT_TRUE(inquiry.ok()) << inquiry.error().to_string();
  EXPECT_EQ(inquiry->vendor, "STGT_DVD");
}

}  // namespace
}  // namespace discrec::device
