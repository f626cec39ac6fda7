// Opening the Windows transport: win:// URIs, adapter limits through the
// seam, and the real CreateFile path under wine.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "device/transport.h"
#include "device/transport_windows.h"
#include "tests/windows/fake_device_io.h"

namespace discrec::device {
namespace {

using windows::testing::Call;
using windows::testing::FakeDeviceIo;
using windows::testing::le32;

constexpr uint32_t kQueryProperty = 0x002D1400;
constexpr uint32_t kErrorInvalidFunction = 1;
windows::NativeHandle const kMeta = reinterpret_cast<windows::NativeHandle>(0x1110);

TEST(WinTransport, AdapterLimitsQuery) {
  FakeDeviceIo io;
  io.respond([](const Call& c, void* out, uint32_t* returned) {
    // STORAGE_ADAPTER_DESCRIPTOR: Version, Size, MaximumTransferLength 8,
    // MaximumPhysicalPages 12, AlignmentMask 16.
    auto* p = static_cast<uint8_t*>(out);
    std::memset(p, 0, c.out_size);
    p[8] = 0x00; p[9] = 0x00; p[10] = 0x02; p[11] = 0x00;  // 128 KiB
    p[16] = 0x03;
    *returned = c.out_size;
    return 0u;
  });
  auto limits = query_adapter_limits(io, kMeta);
  ASSERT_EQ(io.calls.size(), 1u);
  EXPECT_EQ(io.calls[0].code, kQueryProperty);
  std::vector<uint8_t> query_head;
  le32(query_head, 1);  // StorageAdapterProperty
  le32(query_head, 0);  // PropertyStandardQuery
  EXPECT_TRUE(std::equal(query_head.begin(), query_head.end(), io.calls[0].in.begin()));
  EXPECT_EQ(limits.max_transfer_length, 0x20000u);
  EXPECT_EQ(limits.alignment_mask, 3u);

  FakeDeviceIo failing;
  failing.respond_error(kErrorInvalidFunction);
  uint32_t e = 0;
  auto none = query_adapter_limits(failing, kMeta, &e);
  EXPECT_EQ(e, kErrorInvalidFunction);
  EXPECT_EQ(none.max_transfer_length, 0u);
  EXPECT_EQ(none.alignment_mask, 0u);
}

TEST(WinUri, ParsesDevicesAndOptions) {
  auto a = parse_win_uri("win://CdRom0");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->device_path, "\\\\.\\CdRom0");
  EXPECT_EQ(a->streaming_path, WinStreamingPath::kStreamingHandle);
  auto b = parse_win_uri("win://E:?streaming=spti");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->device_path, "\\\\.\\E:");
  EXPECT_EQ(b->streaming_path, WinStreamingPath::kPassThrough);
  for (const char* bad : {"win://", "win://CdRom", "win://CdRomX", "win://EE:", "win://E", "win://E:?x=1",
                          "win://\\\\.\\PhysicalDrive0", "sg:///dev/sr0"}) {
    auto r = parse_win_uri(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument) << bad;
  }
}

// The real CreateFile path (under wine: no such device).
TEST(WinUri, OpeningAMissingDriveIsAClearError) {
  auto r = open_transport("win://CdRom97");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().code() == ErrorCode::kNotFound || r.error().code() == ErrorCode::kUnavailable)
      << r.error().to_string();
  EXPECT_NE(r.error().message().find("CdRom97"), std::string::npos) << r.error().to_string();
}

TEST(WinUri, SgIsRefusedClearlyOnWindows) {
  auto sg = open_transport("sg:///dev/sr0");
  ASSERT_FALSE(sg.ok());
  EXPECT_EQ(sg.error().code(), ErrorCode::kUnsupported);
}

}  // namespace
}  // namespace discrec::device
