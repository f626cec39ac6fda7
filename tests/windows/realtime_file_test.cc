// File-level real-time streaming: FSCTL_MARK_HANDLE bytes and error mapping
// against the fake, and the real kernel32 path under wine.
#include "device/windows/realtime_file.h"

#include <gtest/gtest.h>
#include <windows.h>

#include <vector>

#include "tests/windows/fake_device_io.h"

namespace discrec::device::windows {
namespace {

using testing::Call;
using testing::FakeDeviceIo;
using testing::get_le32;
using testing::get_le64;

NativeHandle const kFile = reinterpret_cast<NativeHandle>(0x4440);
NativeHandle const kVolume = reinterpret_cast<NativeHandle>(0x123456789A0);

TEST(MarkRealtime, SendsMarkHandleInfoWithRealtimeFlag) {
  FakeDeviceIo io;
  ASSERT_TRUE(mark_realtime(io, kFile, kVolume, "E:\\rec.ts").ok());
  ASSERT_EQ(io.calls.size(), 1u);
  const Call& c = io.calls[0];
  EXPECT_EQ(c.handle, kFile);  // on the file, not the volume
  EXPECT_EQ(c.code, 0x000900FCu);
  // MARK_HANDLE_INFO x64 (MMC.md §15.8): UsnSourceInfo 0, VolumeHandle 8, HandleInfo 16; 24 bytes.
  ASSERT_EQ(c.in.size(), 24u);
  EXPECT_EQ(get_le32(&c.in[0]), 0u);
  EXPECT_EQ(get_le64(&c.in[8]), reinterpret_cast<uint64_t>(kVolume));
  EXPECT_EQ(get_le32(&c.in[16]), 0x20u);  // MARK_HANDLE_REALTIME
  EXPECT_EQ(c.out_size, 0u);
}

TEST(MarkRealtime, InvalidDeviceRequestIsUnsupportedWithCauses) {
  FakeDeviceIo io;
  io.respond_error(ERROR_INVALID_FUNCTION);  // STATUS_INVALID_DEVICE_REQUEST
  auto s = mark_realtime(io, kFile, kVolume, "E:\\rec.ts");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::kUnsupported);
  EXPECT_EQ(s.error().command(), "FSCTL_MARK_HANDLE");
  EXPECT_NE(s.error().message().find("0x0107"), std::string::npos);
  EXPECT_NE(s.error().message().find("buffered"), std::string::npos);
  EXPECT_NE(s.error().message().find("E:\\rec.ts"), std::string::npos);
}

TEST(MarkRealtime, MissingPrivilegeSaysWhich) {
  FakeDeviceIo io;
  io.respond_error(ERROR_PRIVILEGE_NOT_HELD);
  auto s = mark_realtime(io, kFile, kVolume, "E:\\rec.ts");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(s.error().message().find("SE_MANAGE_VOLUME_NAME"), std::string::npos);
}

TEST(RealtimeFile, WritesWholeSectorsAndClosesBothHandles) {
  auto io = std::make_shared<FakeDeviceIo>();
  alignas(4096) static uint8_t block[4096];
  {
    RealtimeFile f(io, kFile, kVolume, "E:\\rec.ts");
    ASSERT_TRUE(f.write_at(2048, std::span<const uint8_t>(block, 4096)).ok());
    ASSERT_EQ(io->calls.size(), 1u);
    EXPECT_EQ(io->calls[0].kind, Call::kWrite);
    EXPECT_EQ(io->calls[0].handle, kFile);
    EXPECT_EQ(io->calls[0].offset, 2048u);
    for (auto [offset, p, n] : {std::tuple<uint64_t, const uint8_t*, size_t>{1, block, 2048},
                                {0, block + 1, 2048},
                                {0, block, 100}}) {
      auto s = f.write_at(offset, std::span<const uint8_t>(p, n));
      ASSERT_FALSE(s.ok());
      EXPECT_EQ(s.error().code(), ErrorCode::kInvalidArgument);
    }
    EXPECT_EQ(io->calls.size(), 1u);
    RealtimeFile moved = std::move(f);
    EXPECT_TRUE(io->closed.empty());
  }
  EXPECT_EQ(io->closed, (std::vector<NativeHandle>{kFile, kVolume}));
}

// Wine's disks are not optical drives: the real path must end in a clear
// Error, never a crash or a silently unmarked file.
TEST(RealtimeFile, RealKernelOnANonOpticalVolumeIsAClearError) {
  char temp[MAX_PATH];
  ASSERT_GT(GetTempPathA(MAX_PATH, temp), 0u);
  std::string path = std::string(temp) + "discrec_realtime_test.ts";
  auto f = RealtimeFile::create(path);
  ASSERT_FALSE(f.ok()) << "a non-optical volume accepted MARK_HANDLE_REALTIME";
  EXPECT_NE(f.error().to_string().find("discrec_realtime_test.ts"), std::string::npos) << f.error().to_string();
  DeleteFileA(path.c_str());
}

}  // namespace
}  // namespace discrec::device::windows
