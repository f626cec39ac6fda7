// The Windows transport against a fake Cdrom.sys: which CDB becomes which
// I/O control, on which handle, with which exact input bytes (MMC.md §15).
#include "device/transport_windows.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "device/transport.h"
#include "tests/windows/fake_device_io.h"

namespace discrec::device {
namespace {

using windows::testing::Call;
using windows::testing::FakeDeviceIo;
using windows::testing::get_le32;
using windows::testing::get_le64;
using windows::testing::le16;
using windows::testing::le32;

// Codes written out from MMC.md §15.1, not taken from the headers.
constexpr uint32_t kGetConfiguration = 0x00024058;
constexpr uint32_t kSetSpeed = 0x00024060;
constexpr uint32_t kEnableStreaming = 0x00024068;
constexpr uint32_t kSendOpc = 0x0002C06C;
constexpr uint32_t kGetPerformance = 0x00024070;
constexpr uint32_t kPassThroughDirect = 0x0004D014;
constexpr uint32_t kErrorInvalidFunction = 1;
constexpr uint32_t kErrorNotReady = 21;
constexpr uint32_t kErrorInvalidParameter = 87;
constexpr uint32_t kErrorSemTimeout = 121;

windows::NativeHandle const kMeta = reinterpret_cast<windows::NativeHandle>(0x1110);
windows::NativeHandle const kStream = reinterpret_cast<windows::NativeHandle>(0x2220);

struct Fixture {
  std::shared_ptr<FakeDeviceIo> io = std::make_shared<FakeDeviceIo>();
  std::unique_ptr<Transport> transport;
  explicit Fixture(WinStreamingPath path = WinStreamingPath::kStreamingHandle, WinAdapterLimits limits = {}) {
    WinTransportConfig c;
    c.name = "win://CdRom0";
    c.metadata = kMeta;
    c.streaming = kStream;
    c.streaming_path = path;
    c.limits = limits;
    transport = make_win_transport(io, c);
  }
  Result<CommandResult> run(std::vector<uint8_t> cdb, DataDirection dir = DataDirection::kNone,
                            std::span<uint8_t> data = {}) {
    cdb_ = std::move(cdb);
    CommandRequest r;
    r.cdb = cdb_;
    r.direction = dir;
    r.data = data;
    r.timeout = std::chrono::milliseconds(2500);
    return transport->execute(r);
  }
  std::vector<uint8_t> cdb_;
};

std::vector<uint8_t> zeros(size_t n) { return std::vector<uint8_t>(n, 0); }

TEST(WinTransport, GetConfigurationBecomesIoctlWithExactInput) {
  Fixture f;
  std::vector<uint8_t> data(64, 0xEE);
  std::vector<uint8_t> answer = {0, 0, 0, 12, 0, 0, 0, 0x1A, 0x01, 0x07, 0x0B, 0x04, 0x1F, 0, 0, 0};
  f.io->respond_bytes(answer);
  // RT=2 (one feature), starting feature 0x0107, allocation length 0x20.
  auto r = f.run({0x46, 0x02, 0x01, 0x07, 0, 0, 0, 0x00, 0x20, 0}, DataDirection::kIn, data);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(f.io->calls.size(), 1u);
  const Call& c = f.io->calls[0];
  EXPECT_EQ(c.handle, kMeta);
  EXPECT_EQ(c.code, kGetConfiguration);
  std::vector<uint8_t> expected;
  le32(expected, 0x0107);  // Feature
  le32(expected, 2);       // RequestType = SCSI_GET_CONFIGURATION_REQUEST_TYPE_ONE
  auto reserved = zeros(16);  // Reserved[2] pointers (x64)
  expected.insert(expected.end(), reserved.begin(), reserved.end());
  EXPECT_EQ(c.in, expected);
  EXPECT_EQ(c.out_size, 0x20u);  // the allocation length, not the whole buffer
  EXPECT_TRUE(r->good());
  EXPECT_EQ(r->residual, 64u - answer.size());
  EXPECT_TRUE(std::equal(answer.begin(), answer.end(), data.begin()));
}

TEST(WinTransport, GetConfigurationRefusedIsUnsupportedError) {
  Fixture f;
  std::vector<uint8_t> data(32);
  f.io->respond_error(kErrorInvalidFunction);
  auto r = f.run({0x46, 0x01, 0, 0, 0, 0, 0, 0, 32, 0}, DataDirection::kIn, data);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kUnsupported);
  EXPECT_EQ(r.error().command(), "GET CONFIGURATION");
  EXPECT_NE(r.error().message().find("ERROR_INVALID_FUNCTION"), std::string::npos) << r.error().message();
}

TEST(WinTransport, SendOpcBecomesSimpleOpcInfo) {
  Fixture f;
  auto r = f.run({0x54, 0x01, 0x02, 0, 0, 0, 0, 0, 0, 0});  // DoOpc, Exclude1
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(f.io->calls.size(), 1u);
  EXPECT_EQ(f.io->calls[0].handle, kMeta);
  EXPECT_EQ(f.io->calls[0].code, kSendOpc);
  EXPECT_EQ(f.io->calls[0].in, (std::vector<uint8_t>{1, 0, 0, 0, 0, 1, 0, 0}));
  EXPECT_EQ(f.io->calls[0].out_size, 0u);
}

TEST(WinTransport, SendOpcWithParameterDataGoesThroughPassThrough) {
  Fixture f;
  std::vector<uint8_t> table(8);
  auto r = f.run({0x54, 0x00, 0, 0, 0, 0, 0, 0, 8, 0}, DataDirection::kOut, table);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(f.io->calls.at(0).code, kPassThroughDirect);
}

std::vector<uint8_t> performance_descriptor() {
  std::vector<uint8_t> pd(28, 0);
  pd[0] = 0x08 | 0x02;  // WRC=01b (CAV), Exact
  auto put = [&](size_t o, uint32_t v) {
    pd[o] = v >> 24; pd[o + 1] = v >> 16; pd[o + 2] = v >> 8; pd[o + 3] = v;
  };
  put(4, 0x10);        // Start LBA
  put(8, 0x0023053F);  // End LBA
  put(12, 11080);      // Read Size kB
  put(16, 1000);       // Read Time ms
  put(20, 5540);       // Write Size kB
  put(24, 2000);       // Write Time ms
  return pd;
}

std::vector<uint8_t> set_streaming_cdb() { return {0xB6, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 28, 0}; }

TEST(WinTransport, SetStreamingBecomesCdromSetStreaming) {
  Fixture f;
  auto pd = performance_descriptor();
  auto r = f.run(set_streaming_cdb(), DataDirection::kOut, pd);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(f.io->calls.size(), 1u);
  EXPECT_EQ(f.io->calls[0].code, kSetSpeed);
  EXPECT_EQ(f.io->calls[0].handle, kMeta);
  std::vector<uint8_t> e;
  le32(e, 1);           // RequestType CdromSetStreaming
  le32(e, 11080);       // ReadSize
  le32(e, 1000);        // ReadTime
  le32(e, 5540);        // WriteSize
  le32(e, 2000);        // WriteTime
  le32(e, 0x10);        // StartLba
  le32(e, 0x0023053F);  // EndLba
  le32(e, 1);           // RotationControl CdromCAVRotation
  e.insert(e.end(), {0 /*RestoreDefaults*/, 1 /*SetExact*/, 0 /*RandomAccess*/, 0 /*Persistent*/});
  EXPECT_EQ(f.io->calls[0].in, e);
}

TEST(WinTransport, SetStreamingFallsBackToCdromSetSpeed) {
  Fixture f;
  auto pd = performance_descriptor();
  f.io->respond_error(kErrorInvalidFunction);
  auto r = f.run(set_streaming_cdb(), DataDirection::kOut, pd);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(f.io->calls.size(), 2u);
  EXPECT_EQ(f.io->calls[1].code, kSetSpeed);
  std::vector<uint8_t> e;
  le32(e, 0);      // CdromSetSpeed
  le16(e, 11080);  // 11080 kB per 1000 ms
  le16(e, 2770);   // 5540 kB per 2000 ms
  le32(e, 1);      // CAV
  EXPECT_EQ(f.io->calls[1].in, e);
}

TEST(WinTransport, SetStreamingOtherErrorsDoNotFallBack) {
  Fixture f;
  auto pd = performance_descriptor();
  f.io->respond_error(kErrorNotReady);
  auto r = f.run(set_streaming_cdb(), DataDirection::kOut, pd);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(f.io->calls.size(), 1u);
}

TEST(WinTransport, SetStreamingFallbackFailureNamesBothAttempts) {
  Fixture f;
  auto pd = performance_descriptor();
  f.io->respond_error(kErrorInvalidFunction);
  f.io->respond_error(kErrorInvalidParameter);
  auto r = f.run(set_streaming_cdb(), DataDirection::kOut, pd);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message().find("CdromSetStreaming refused"), std::string::npos) << r.error().message();
}

TEST(WinTransport, SetCdSpeedBecomesCdromSetSpeed) {
  Fixture f;
  auto r = f.run({0xBB, 0x00, 0xFF, 0xFF, 0x0C, 0xFC, 0, 0, 0, 0, 0, 0});
  ASSERT_TRUE(r.ok());
  std::vector<uint8_t> e;
  le32(e, 0);
  le16(e, 0xFFFF);
  le16(e, 0x0CFC);
  le32(e, 0);
  EXPECT_EQ(f.io->calls.at(0).code, kSetSpeed);
  EXPECT_EQ(f.io->calls.at(0).in, e);
}

TEST(WinTransport, GetPerformanceNominalWrite) {
  Fixture f;
  std::vector<uint8_t> data(100);
  // Tolerance 10b, Write, Except 00b; Starting LBA 0x1234; 2 descriptors; Type 00h.
  auto r = f.run({0xAC, 0x14, 0, 0, 0x12, 0x34, 0, 0, 0, 2, 0x00, 0}, DataDirection::kIn, data);
  ASSERT_TRUE(r.ok());
  const Call& c = f.io->calls.at(0);
  EXPECT_EQ(c.code, kGetPerformance);
  std::vector<uint8_t> e;
  le32(e, 1);  // CdromPerformanceRequest
  le32(e, 2);  // CdromWritePerformance
  le32(e, 1);  // CdromNominalPerformance
  le32(e, 1);  // Cdrom10Nominal20Exceptions
  le32(e, 0x1234);
  EXPECT_EQ(c.in, e);
  EXPECT_EQ(c.out_size, 8u + 2 * 16);
}

TEST(WinTransport, GetPerformanceExceptionsUseSixByteDescriptors) {
  Fixture f;
  std::vector<uint8_t> data(100);
  auto r = f.run({0xAC, 0x12, 0, 0, 0, 0, 0, 0, 0, 3, 0x00, 0}, DataDirection::kIn, data);
  ASSERT_TRUE(r.ok());
  const Call& c = f.io->calls.at(0);
  EXPECT_EQ(get_le32(&c.in[4]), 1u);  // read performance
  EXPECT_EQ(get_le32(&c.in[8]), 3u);  // exceptions only
  EXPECT_EQ(c.out_size, 8u + 3 * 6);
}

TEST(WinTransport, GetPerformanceWriteSpeedRequest) {
  Fixture f;
  std::vector<uint8_t> data(8 + 16 * 4);
  std::vector<uint8_t> answer(8 + 16, 0);
  answer[3] = 20;
  f.io->respond_bytes(answer);
  auto r = f.run({0xAC, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0x03, 0}, DataDirection::kIn, data);
  ASSERT_TRUE(r.ok());
  const Call& c = f.io->calls.at(0);
  EXPECT_EQ(c.code, kGetPerformance);
  EXPECT_EQ(c.in, (std::vector<uint8_t>{2, 0, 0, 0}));  // CDROM_WRITE_SPEED_REQUEST, 4 bytes
  EXPECT_EQ(c.out_size, data.size());                  // 8 descriptors do not fit: the buffer bounds it
  EXPECT_EQ(r->residual, data.size() - answer.size());
}

TEST(WinTransport, GetPerformanceOtherTolerancePassesThrough) {
  Fixture f;
  std::vector<uint8_t> data(40);
  auto r = f.run({0xAC, 0x00, 0, 0, 0, 0, 0, 0, 0, 2, 0x00, 0}, DataDirection::kIn, data);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(f.io->calls.at(0).code, kPassThroughDirect);
}

std::vector<uint8_t> rw12(uint8_t op, uint32_t lba, uint32_t blocks, bool streaming) {
  return {op, 0, uint8_t(lba >> 24), uint8_t(lba >> 16), uint8_t(lba >> 8), uint8_t(lba),
          uint8_t(blocks >> 24), uint8_t(blocks >> 16), uint8_t(blocks >> 8), uint8_t(blocks),
          uint8_t(streaming ? 0x80 : 0), 0};
}

TEST(WinTransport, StreamingWriteEnablesStreamingOnceOnTheSecondHandle) {
  Fixture f;
  std::vector<uint8_t> data(16 * 2048, 0x5A);
  ASSERT_TRUE(f.run(rw12(0xAA, 0x100, 16, true), DataDirection::kOut, data).ok());
  ASSERT_TRUE(f.run(rw12(0xAA, 0x110, 16, true), DataDirection::kOut, data).ok());
  ASSERT_EQ(f.io->calls.size(), 3u);
  EXPECT_EQ(f.io->calls[0].kind, Call::kControl);
  EXPECT_EQ(f.io->calls[0].handle, kStream);
  EXPECT_EQ(f.io->calls[0].code, kEnableStreaming);
  EXPECT_EQ(f.io->calls[0].in, (std::vector<uint8_t>{3, 0, 0, 0}));  // EnableForWriteOnly
  for (int i = 1; i <= 2; ++i) {
    EXPECT_EQ(f.io->calls[i].kind, Call::kWrite);
    EXPECT_EQ(f.io->calls[i].handle, kStream);
    EXPECT_EQ(f.io->calls[i].in.size(), data.size());
    EXPECT_EQ(f.io->calls[i].data, data.data());
  }
  EXPECT_EQ(f.io->calls[1].offset, 0x100ull * 2048);
  EXPECT_EQ(f.io->calls[2].offset, 0x110ull * 2048);
  // Metadata commands still use the first handle.
  ASSERT_TRUE(f.run({0, 0, 0, 0, 0, 0}).ok());
  EXPECT_EQ(f.io->calls.back().handle, kMeta);
}

TEST(WinTransport, StreamingReadAfterWritesSwitchesToReadWrite) {
  Fixture f;
  std::vector<uint8_t> data(2048);
  ASSERT_TRUE(f.run(rw12(0xAA, 0, 1, true), DataDirection::kOut, data).ok());
  ASSERT_TRUE(f.run(rw12(0xA8, 0, 1, true), DataDirection::kIn, data).ok());
  ASSERT_EQ(f.io->calls.size(), 4u);
  EXPECT_EQ(f.io->calls[2].code, kEnableStreaming);
  EXPECT_EQ(f.io->calls[2].in, (std::vector<uint8_t>{4, 0, 0, 0}));  // EnableForReadWrite
  EXPECT_EQ(f.io->calls[3].kind, Call::kRead);
  EXPECT_EQ(f.io->calls[3].handle, kStream);
}

TEST(WinTransport, StreamingRefusedIsUnsupportedAndWritesNothing) {
  Fixture f;
  std::vector<uint8_t> data(2048);
  f.io->respond_error(kErrorInvalidFunction);
  auto r = f.run(rw12(0xAA, 0, 1, true), DataDirection::kOut, data);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kUnsupported);
  EXPECT_NE(r.error().message().find("0x0107"), std::string::npos);
  EXPECT_EQ(f.io->calls.size(), 1u);
}

TEST(WinTransport, StreamingWriteFileErrorNamesLba) {
  Fixture f;
  std::vector<uint8_t> data(2048);
  f.io->respond_bytes({});           // enable streaming
  f.io->respond_error(kErrorNotReady);  // WriteFile
  auto r = f.run(rw12(0xAA, 77, 1, true), DataDirection::kOut, data);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(r.error().command(), "WRITE(12)");
  EXPECT_NE(r.error().message().find("LBA 77"), std::string::npos);
}

TEST(WinTransport, StreamingLengthMismatchIsRejected) {
  Fixture f;
  std::vector<uint8_t> data(2048);
  auto r = f.run(rw12(0xAA, 0, 2, true), DataDirection::kOut, data);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(f.io->calls.empty());
}

TEST(WinTransport, NonStreamingWriteGoesThroughPassThroughOnMetadataHandle) {
  Fixture f;
  std::vector<uint8_t> data(2048);
  ASSERT_TRUE(f.run(rw12(0xAA, 0, 1, false), DataDirection::kOut, data).ok());
  ASSERT_EQ(f.io->calls.size(), 1u);
  EXPECT_EQ(f.io->calls[0].code, kPassThroughDirect);
  EXPECT_EQ(f.io->calls[0].handle, kMeta);
}

TEST(WinTransport, SptiOptionSendsStreamingCdbUnchangedOnStreamingHandle) {
  Fixture f(WinStreamingPath::kPassThrough);
  std::vector<uint8_t> data(2048);
  auto cdb = rw12(0xAA, 9, 1, true);
  ASSERT_TRUE(f.run(cdb, DataDirection::kOut, data).ok());
  ASSERT_EQ(f.io->calls.size(), 1u);
  EXPECT_EQ(f.io->calls[0].code, kPassThroughDirect);
  EXPECT_EQ(f.io->calls[0].handle, kStream);
  EXPECT_TRUE(std::equal(cdb.begin(), cdb.end(), f.io->calls[0].in.begin() + 36));
}

// SCSI_PASS_THROUGH_DIRECT on x64 (MMC.md §15.7): Length 0, ScsiStatus 2,
// CdbLength 6, SenseInfoLength 7, DataIn 8, DataTransferLength 12,
// TimeOutValue 16, DataBuffer 24, SenseInfoOffset 32, Cdb 36; size 56.
TEST(WinTransport, PassThroughLayoutAndSense) {
  Fixture f;
  f.io->respond([](const Call& c, void* out, uint32_t* returned) {
    auto* p = static_cast<uint8_t*>(out);
    uint32_t sense_offset = get_le32(&c.in[32]);
    p[2] = 0x02;  // CHECK CONDITION
    p[7] = 18;    // sense bytes returned
    const uint8_t sense[18] = {0x70, 0, 0x02, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x3A, 0x00};
    std::memcpy(p + sense_offset, sense, sizeof sense);
    *returned = static_cast<uint32_t>(c.in.size());
    return 0u;
  });
  auto r = f.run({0x00, 0, 0, 0, 0, 0});  // TEST UNIT READY
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  const Call& c = f.io->calls.at(0);
  EXPECT_EQ(c.code, kPassThroughDirect);
  EXPECT_EQ(c.out_size, c.in.size());  // the same wrapper in and out
  EXPECT_EQ(c.in[0] | c.in[1] << 8, 56);
  EXPECT_EQ(c.in[6], 6);                        // CdbLength
  EXPECT_GE(c.in[7], 18);                       // SenseInfoLength
  EXPECT_EQ(c.in[8], 2);                        // SCSI_IOCTL_DATA_UNSPECIFIED
  EXPECT_EQ(get_le32(&c.in[12]), 0u);           // DataTransferLength
  EXPECT_EQ(get_le32(&c.in[16]), 3u);           // 2500 ms -> 3 s
  EXPECT_EQ(get_le64(&c.in[24]), 0u);           // DataBuffer
  uint32_t sense_offset = get_le32(&c.in[32]);
  EXPECT_GE(sense_offset, 56u);
  EXPECT_LE(sense_offset + c.in[7], c.in.size());
  EXPECT_EQ(c.in[36], 0x00);
  EXPECT_EQ(r->status, kStatusCheckCondition);
  ASSERT_EQ(r->sense_length, 18u);
  EXPECT_EQ(r->sense[2], 0x02);
  EXPECT_EQ(r->sense[12], 0x3A);
}

TEST(WinTransport, PassThroughDataInResidualAndDirection) {
  Fixture f;
  alignas(16) uint8_t buffer[96] = {};
  f.io->respond([&](const Call& c, void* out, uint32_t*) {
    auto* p = static_cast<uint8_t*>(out);
    EXPECT_EQ(c.in[8], 1);  // SCSI_IOCTL_DATA_IN
    EXPECT_EQ(get_le32(&c.in[12]), 96u);
    auto* data = reinterpret_cast<uint8_t*>(get_le64(&c.in[24]));
    EXPECT_EQ(data, buffer);  // aligned: no bounce
    std::memset(data, 0xAB, 36);
    p[12] = 36; p[13] = p[14] = p[15] = 0;  // DataTransferLength out
    return 0u;
  });
  auto r = f.run({0x12, 0, 0, 0, 96, 0}, DataDirection::kIn, std::span<uint8_t>(buffer, 96));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, kStatusGood);
  EXPECT_EQ(r->sense_length, 0u);
  EXPECT_EQ(r->residual, 60u);
  EXPECT_EQ(buffer[35], 0xAB);
  EXPECT_EQ(buffer[36], 0x00);
}

TEST(WinTransport, PassThroughBouncesMisalignedBuffers) {
  WinAdapterLimits limits;
  limits.alignment_mask = 0x1FF;
  Fixture f(WinStreamingPath::kStreamingHandle, limits);
  alignas(512) uint8_t storage[2048 + 512] = {};
  uint8_t* caller = storage + 1;
  for (int i = 0; i < 2048; ++i) caller[i] = static_cast<uint8_t>(i);
  uint8_t* seen = nullptr;
  f.io->respond([&](const Call& c, void*, uint32_t*) {
    seen = reinterpret_cast<uint8_t*>(get_le64(&c.in[24]));
    EXPECT_EQ(c.in[8], 0);  // SCSI_IOCTL_DATA_OUT
    EXPECT_EQ(std::memcmp(seen, caller, 2048), 0);  // caller's bytes copied in
    return 0u;
  });
  ASSERT_TRUE(f.run(rw12(0xAA, 0, 1, false), DataDirection::kOut, std::span<uint8_t>(caller, 2048)).ok());
  ASSERT_NE(seen, nullptr);
  EXPECT_NE(seen, caller);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(seen) & 0x1FF, 0u);
}

TEST(WinTransport, PassThroughAboveMaximumTransferLengthIsRefused) {
  WinAdapterLimits limits;
  limits.max_transfer_length = 65536;
  Fixture f(WinStreamingPath::kStreamingHandle, limits);
  std::vector<uint8_t> data(65536 + 2048);
  auto r = f.run(rw12(0xAA, 0, 33, false), DataDirection::kOut, data);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(f.io->calls.empty());
}

TEST(WinTransport, PassThroughTimeoutIsTimeoutError) {
  Fixture f;
  f.io->respond_error(kErrorSemTimeout);
  auto r = f.run({0x00, 0, 0, 0, 0, 0});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kTimeout);
  EXPECT_EQ(r.error().command(), "SCSI_PASS_THROUGH_DIRECT");
}

TEST(WinTransport, BadCdbLengthIsRejectedBeforeTheKernel) {
  Fixture f;
  auto r = f.run({0x00, 0, 0});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(f.io->calls.empty());
}

TEST(WinTransport, ClosesBothHandles) {
  auto io = std::make_shared<FakeDeviceIo>();
  {
    Fixture f;
    io = f.io;
  }
  EXPECT_EQ(io->closed, (std::vector<windows::NativeHandle>{kStream, kMeta}));
}

}  // namespace
}  // namespace discrec::device
