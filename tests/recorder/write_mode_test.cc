// The write policy's choice (recorder/core/write_mode.h) over each kind of
// medium a drive reports, and how the policy is named in a config.
#include "recorder/core/write_mode.h"

#include <gtest/gtest.h>

namespace discrec::recorder {
namespace {

device::DriveCapabilities medium(uint16_t profile, bool rt_current, bool sw, bool defect_management) {
  device::DriveCapabilities caps;
  caps.uri = "sim:///x.img";
  caps.medium_present = true;
  caps.current_profile = profile;
  caps.rt_streaming.present = true;
  caps.rt_streaming.current = rt_current;
  caps.rt_streaming.stream_writing = sw;
  caps.defect_management = defect_management;
  return caps;
}

TEST(WriteModeTest, NamesParseBackAndAnUnknownNameListsTheChoices) {
  for (WriteMode m : {WriteMode::kStreamingPreferred, WriteMode::kStreamingRequired, WriteMode::kPlain}) {
    auto parsed = parse_write_mode(write_mode_name(m));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, m);
  }
  auto bad = parse_write_mode("streaming");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.error().message().find("\"streaming-preferred\", \"streaming-required\" or \"plain\""),
            std::string::npos);
}

TEST(WriteModeTest, ADriveThatStreamsStreamsUnlessThePolicyIsPlain) {
  const auto caps = medium(device::profile::kBdRSrm, true, true, false);
  for (WriteMode m : {WriteMode::kStreamingPreferred, WriteMode::kStreamingRequired}) {
    auto c = choose_write_mode(m, caps);
    ASSERT_TRUE(c.ok());
    EXPECT_TRUE(c->streaming);
    EXPECT_FALSE(c->half_speed);
    EXPECT_NE(c->reason.find("0x0107"), std::string::npos);
  }
  auto plain = choose_write_mode(WriteMode::kPlain, caps);
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->streaming);
  EXPECT_FALSE(plain->half_speed);
}

TEST(WriteModeTest, WithoutStreamingPreferredFallsBackOnlyWhereThereIsNoDefectManagement) {
  // tgt's DVD+R: 0x0107 listed, not current.
  const auto dvd_r = medium(device::profile::kDvdPlusR, false, true, false);
  auto chosen = choose_write_mode(WriteMode::kStreamingPreferred, dvd_r);
  ASSERT_TRUE(chosen.ok()) << chosen.error().to_string();
  EXPECT_FALSE(chosen->streaming);
  EXPECT_FALSE(chosen->half_speed);
  EXPECT_NE(chosen->reason.find("not current"), std::string::npos) << chosen->reason;
  EXPECT_NE(chosen->reason.find("no defect management"), std::string::npos) << chosen->reason;

  // SW=0 counts as no streaming too.
  auto no_sw = choose_write_mode(WriteMode::kStreamingPreferred, medium(device::profile::kBdRSrm, true, false, false));
  ASSERT_TRUE(no_sw.ok());
  EXPECT_FALSE(no_sw->streaming);

  auto required = choose_write_mode(WriteMode::kStreamingRequired, dvd_r);
  ASSERT_FALSE(required.ok());
  EXPECT_EQ(required.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(required.error().message().find("is not current"), std::string::npos);

  // BD-RE with spare areas, and DVD-RAM (always spares, whatever 0x0024
  // says): the fallback would halve the speed, so preferred refuses and
  // names both ways out.
  for (const auto& caps : {medium(device::profile::kBdRe, false, true, true),
                           medium(device::profile::kDvdRam, false, true, false)}) {
    auto refused = choose_write_mode(WriteMode::kStreamingPreferred, caps);
    ASSERT_FALSE(refused.ok()) << caps.medium_name();
    EXPECT_NE(refused.error().message().find("format the disc without spare areas"), std::string::npos);
    EXPECT_NE(refused.error().message().find("write_mode = \"plain\""), std::string::npos);
    auto plain = choose_write_mode(WriteMode::kPlain, caps);
    ASSERT_TRUE(plain.ok());
    EXPECT_FALSE(plain->streaming);
    EXPECT_TRUE(plain->half_speed) << caps.medium_name();
  }
  // BD-RE formatted without spares falls back like a DVD+R.
  auto no_spares = choose_write_mode(WriteMode::kStreamingPreferred, medium(device::profile::kBdRe, false, true, false));
  ASSERT_TRUE(no_spares.ok());
  EXPECT_FALSE(no_spares->streaming);
  EXPECT_FALSE(no_spares->half_speed);
}

TEST(WriteModeTest, NoMediumIsNoChoice) {
  device::DriveCapabilities empty;
  empty.uri = "sim:///x.img";
  for (WriteMode m : {WriteMode::kStreamingPreferred, WriteMode::kStreamingRequired, WriteMode::kPlain}) {
    auto c = choose_write_mode(m, empty);
    ASSERT_FALSE(c.ok());
    EXPECT_NE(c.error().message().find("no medium"), std::string::npos);
  }
}

}  // namespace
}  // namespace discrec::recorder
