// Each drive quirk's effect, seen at the transport: the emulated drive
// (sim://, INQUIRY "DISCREC" / "SIM BD WRITER" or "SIM DVD WRITER") is
// matched by a test table, and a spy between the Drive and the sim records
// every CDB that reaches it.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <string>

#include "base/clock.h"
#include "device/drive.h"
#include "tests/device/scratch_dir.h"
#include "device/mmc/cdb.h"

namespace discrec::device {
namespace {

namespace op = mmc::opcode;

class SpyTransport final : public Transport {
 public:
  SpyTransport(std::unique_ptr<Transport> inner, std::vector<std::vector<uint8_t>>* cdbs)
      : inner_(std::move(inner)), cdbs_(cdbs) {}
  Result<CommandResult> execute(const CommandRequest& r) override {
    cdbs_->emplace_back(r.cdb.begin(), r.cdb.end());
    return inner_->execute(r);
  }
  std::string describe() const override { return inner_->describe(); }

 private:
  std::unique_ptr<Transport> inner_;
  std::vector<std::vector<uint8_t>>* cdbs_;
};

class DriveQuirksApplied : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(dir_.path().empty()); }
  void TearDown() override { drive_.reset(); }  // before the directory goes
  // A fresh formatted image of `profile` behind the spy, with `table` (a
  // quirks file's text; empty: no table at all), probed.
  DriveCapabilities open(const std::string& profile, const std::string& table) {
    drive_.reset();
    const std::string image = dir_.path() + "/" + profile + ".img";
    auto t = open_transport(test::ScratchDir::sim_uri(image) + "?profile=" + profile +
                                "&timing=off" + (profile == "bd-re" ? "&formatted=nospares" : ""),
                            TransportOptions{&clock_});
    EXPECT_TRUE(t.ok()) << t.error().to_string();
    if (!t.ok()) return {};
    drive_ = std::make_unique<Drive>(std::make_unique<SpyTransport>(std::move(t).value(), &cdbs_));
    if (!table.empty()) {
      auto parsed = QuirkTable::parse(table, "test-quirks.txt");
      EXPECT_TRUE(parsed.ok()) << parsed.error().to_string();
      if (parsed.ok()) drive_->set_quirk_table(std::make_shared<const QuirkTable>(std::move(parsed).value()));
    }
    auto caps = drive_->probe();
    EXPECT_TRUE(caps.ok()) << caps.error().to_string();
    cdbs_.clear();
    return caps.ok() ? *caps : DriveCapabilities{};
  }
  std::vector<const std::vector<uint8_t>*> sent(uint8_t opcode) const {
    std::vector<const std::vector<uint8_t>*> out;
    for (const auto& c : cdbs_)
      if (c[0] == opcode) out.push_back(&c);
    return out;
  }
  Status write(uint32_t lba, uint32_t blocks, bool streaming) {
    std::vector<uint8_t> data(size_t{blocks} * 2048, static_cast<uint8_t>(lba + 1));
    return drive_->write12(lba, data, streaming);
  }

  SimulatedClock clock_;
  test::ScratchDir dir_{"discrec-quirks-"};
  std::vector<std::vector<uint8_t>> cdbs_;
  std::unique_ptr<Drive> drive_;
};

bool streaming_bit(const std::vector<uint8_t>& cdb) { return (cdb[10] & 0x80) != 0; }

TEST_F(DriveQuirksApplied, ShortStreamingWritesGoWithoutTheStreamingBit) {
  DriveCapabilities caps =
      open("bd-re", "DISCREC | SIM BD* | * | streaming-min-write=64 | a test: junk below 64 KiB\n");
  ASSERT_EQ(caps.quirks.size(), 1u);
  EXPECT_EQ(caps.quirks[0].to_string(), "streaming-min-write=64");
  EXPECT_EQ(caps.quirks[0].reason, "a test: junk below 64 KiB");
  EXPECT_EQ(caps.quirks[0].source, "test-quirks.txt:1");
  EXPECT_EQ(drive_->quirks().streaming_min_write_bytes(), 64u * 1024);

  ASSERT_TRUE(write(0, 16, /*streaming=*/true).ok());   // 32 KiB: demoted
  ASSERT_TRUE(write(32, 32, /*streaming=*/true).ok());  // 64 KiB: as asked
  ASSERT_TRUE(write(64, 16, /*streaming=*/false).ok()); // not streaming anyway: not counted
  ASSERT_TRUE(write(96, 31, /*streaming=*/true).ok());  // 62 KiB: demoted
  auto writes = sent(op::kWrite12);
  ASSERT_EQ(writes.size(), 4u);
  EXPECT_FALSE(streaming_bit(*writes[0]));
  EXPECT_TRUE(streaming_bit(*writes[1]));
  EXPECT_FALSE(streaming_bit(*writes[2]));
  EXPECT_FALSE(streaming_bit(*writes[3]));
  EXPECT_EQ(drive_->streaming_writes_demoted(), 2u);

  // The data reached the disc all the same.
  std::vector<uint8_t> back(16 * 2048);
  ASSERT_TRUE(drive_->read12(0, back, false).ok());
  EXPECT_TRUE(std::all_of(back.begin(), back.end(), [](uint8_t b) { return b == 1; }));
}

TEST_F(DriveQuirksApplied, WithoutAMatchingEntryNothingChanges) {
  DriveCapabilities caps = open("bd-re",
                                "DISCREC | SIM DVD* | * | streaming-min-write=64 no-opc | the DVD writer only\n"
                                "OTHER | * | * | no-streaming | another vendor\n");
  EXPECT_TRUE(caps.quirks.empty());
  EXPECT_TRUE(caps.rt_streaming.current);
  ASSERT_TRUE(write(0, 16, true).ok());
  ASSERT_EQ(sent(op::kWrite12).size(), 1u);
  EXPECT_TRUE(streaming_bit(*sent(op::kWrite12)[0]));
  EXPECT_EQ(drive_->streaming_writes_demoted(), 0u);
  EXPECT_TRUE(drive_->send_opc().ok());
  EXPECT_EQ(sent(op::kSendOpcInformation).size(), 1u);
}

TEST_F(DriveQuirksApplied, NoTableNoQuirks) {
  DriveCapabilities caps = open("bd-re", "");
  EXPECT_TRUE(caps.quirks.empty());
  EXPECT_TRUE(drive_->quirks().applied.empty());
  ASSERT_TRUE(write(0, 16, true).ok());
  EXPECT_TRUE(streaming_bit(*sent(op::kWrite12)[0]));
}

TEST_F(DriveQuirksApplied, NoOpcSendsNothing) {
  open("bd-re", "DISCREC | * | * | no-opc | a test: hangs on SEND OPC\n");
  Status opc = drive_->send_opc();
  ASSERT_FALSE(opc.ok());
  EXPECT_EQ(opc.error().code(), ErrorCode::kUnsupported);
  EXPECT_EQ(opc.error().command(), "SEND OPC INFORMATION");
  EXPECT_NE(opc.error().message().find("no-opc (a test: hangs on SEND OPC)"), std::string::npos)
      << opc.error().message();
  EXPECT_TRUE(cdbs_.empty());
}

TEST_F(DriveQuirksApplied, NoStreamingReportsTheFeatureNotCurrentAndSaysWhy) {
  DriveCapabilities plain = open("bd-re", "");
  ASSERT_TRUE(plain.rt_streaming.current);  // the sim has 0x0107 current with a disc
  ASSERT_TRUE(plain.can_stream_write());

  DriveCapabilities caps = open("bd-re", "DISCREC | SIM BD WRITER | 1.0 | no-streaming | a test: streams junk\n");
  EXPECT_TRUE(caps.rt_streaming.present);
  EXPECT_FALSE(caps.rt_streaming.current);
  EXPECT_FALSE(caps.can_stream_write());
  ASSERT_EQ(caps.quirks.size(), 1u);
  EXPECT_EQ(caps.quirks[0].name(), "no-streaming");
  bool noted = false;
  for (const auto& n : caps.notes) noted = noted || n.find("no-streaming (a test: streams junk)") != std::string::npos;
  EXPECT_TRUE(noted);
}

TEST_F(DriveQuirksApplied, NwaNotReportedAnswersUnknownWithoutAsking) {
  open("dvd+r", "");
  ASSERT_TRUE(write(0, 16, true).ok());
  auto nwa = drive_->next_writable_address_at(0);
  ASSERT_TRUE(nwa.ok()) << nwa.error().to_string();
  EXPECT_EQ(*nwa, std::optional<uint32_t>(16));

  open("dvd+r", "DISCREC | SIM DVD WRITER | * | nwa-not-reported | a test: NWA stays 0\n");
  nwa = drive_->next_writable_address_at(0);
  ASSERT_FALSE(nwa.ok());
  EXPECT_EQ(nwa.error().code(), ErrorCode::kUnsupported);
  EXPECT_EQ(nwa.error().command(), "READ TRACK INFORMATION");
  EXPECT_TRUE(sent(op::kReadTrackInformation).empty());
  EXPECT_TRUE(cdbs_.empty());
}

}  // namespace
}  // namespace discrec::device
