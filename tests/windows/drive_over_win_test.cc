// The real Drive over the Windows transport: the CDBs Drive builds must be
// the ones the transport recognises, so its commands reach the documented
// Cdrom.sys I/O controls (not pass-through), and the answers parse.
#include <gtest/gtest.h>

#include <vector>

#include "device/drive.h"
#include "device/transport_windows.h"
#include "tests/windows/fake_device_io.h"

namespace discrec::device {
namespace {

using windows::testing::Call;
using windows::testing::FakeDeviceIo;
using windows::testing::get_le32;

windows::NativeHandle const kMeta = reinterpret_cast<windows::NativeHandle>(0x1110);
windows::NativeHandle const kStream = reinterpret_cast<windows::NativeHandle>(0x2220);

struct DriveFixture {
  std::shared_ptr<FakeDeviceIo> io = std::make_shared<FakeDeviceIo>();
  std::unique_ptr<Drive> drive;
  DriveFixture() {
    WinTransportConfig c;
    c.name = "win://CdRom0";
    c.metadata = kMeta;
    c.streaming = kStream;
    drive = std::make_unique<Drive>(make_win_transport(io, c));
  }
};

TEST(DriveOverWin, SetStreamingIsCdromSetStreaming) {
  DriveFixture f;
  StreamingPerformance p;
  p.end_lba = 0x0023053F;
  p.read_size_kb = 5540;
  p.write_size_kb = 3324;
  ASSERT_TRUE(f.drive->set_streaming(p).ok());
  ASSERT_EQ(f.io->calls.size(), 1u);
  const Call& c = f.io->calls[0];
  EXPECT_EQ(c.code, 0x00024060u);
  ASSERT_EQ(c.in.size(), 36u);
  EXPECT_EQ(get_le32(&c.in[0]), 1u);  // CdromSetStreaming
  EXPECT_EQ(get_le32(&c.in[4]), 5540u);
  EXPECT_EQ(get_le32(&c.in[8]), 1000u);
  EXPECT_EQ(get_le32(&c.in[12]), 3324u);
  EXPECT_EQ(get_le32(&c.in[16]), 1000u);
  EXPECT_EQ(get_le32(&c.in[24]), 0x0023053Fu);
}

TEST(DriveOverWin, WriteSpeedsComeFromGetPerformanceIoctl) {
  DriveFixture f;
  std::vector<uint8_t> answer = {0, 0, 0, 20, 0, 0, 0, 0,  // header: 4 + one 16-byte descriptor
                                 0x02, 0, 0, 0, 0x00, 0x23, 0x05, 0x3F,
                                 0, 0, 0x15, 0xA4, 0, 0, 0x0C, 0xFC};
  f.io->respond_bytes(answer);
  auto speeds = f.drive->get_write_speeds();
  ASSERT_TRUE(speeds.ok()) << speeds.error().to_string();
  const Call& c = f.io->calls.at(0);
  EXPECT_EQ(c.code, 0x00024070u);
  EXPECT_EQ(c.in, (std::vector<uint8_t>{2, 0, 0, 0}));
  ASSERT_EQ(speeds->size(), 1u);
  EXPECT_EQ((*speeds)[0].write_kbps, 3324u);
  EXPECT_EQ((*speeds)[0].read_kbps, 5540u);
  EXPECT_EQ((*speeds)[0].end_lba, 0x0023053Fu);
  EXPECT_TRUE((*speeds)[0].exact);
}

TEST(DriveOverWin, NominalPerformanceIsPerformanceRequest) {
  DriveFixture f;
  auto perf = f.drive->get_performance(true);
  const Call& c = f.io->calls.at(0);
  EXPECT_EQ(c.code, 0x00024070u);
  ASSERT_EQ(c.in.size(), 20u);
  EXPECT_EQ(get_le32(&c.in[0]), 1u);  // CdromPerformanceRequest
  EXPECT_EQ(get_le32(&c.in[4]), 2u);  // CdromWritePerformance
  EXPECT_EQ(get_le32(&c.in[8]), 1u);  // CdromNominalPerformance
  EXPECT_EQ(get_le32(&c.in[12]), 1u);
}

TEST(DriveOverWin, OpcIsSendOpcInformationIoctl) {
  DriveFixture f;
  ASSERT_TRUE(f.drive->send_opc().ok());
  EXPECT_EQ(f.io->calls.at(0).code, 0x0002C06Cu);
}

TEST(DriveOverWin, StreamingWritesUseTheStreamingHandleOthersPassThrough) {
  DriveFixture f;
  std::vector<uint8_t> block(32 * 2048, 0x11);
  ASSERT_TRUE(f.drive->write12(4096, block, /*streaming=*/true).ok());
  ASSERT_EQ(f.io->calls.size(), 2u);
  EXPECT_EQ(f.io->calls[0].code, 0x00024068u);
  EXPECT_EQ(f.io->calls[1].kind, Call::kWrite);
  EXPECT_EQ(f.io->calls[1].handle, kStream);
  EXPECT_EQ(f.io->calls[1].offset, 4096ull * 2048);
  ASSERT_TRUE(f.drive->write12(0, std::span(block).first(2048), /*streaming=*/false).ok());
  EXPECT_EQ(f.io->calls.back().code, 0x0004D014u);
  EXPECT_EQ(f.io->calls.back().handle, kMeta);
}

}  // namespace
}  // namespace discrec::device
