#include "recorder/udf/ecma167.h"

#include <gtest/gtest.h>

#include <array>
#include <string>

namespace discrec::recorder::udf {
namespace {

using namespace std::chrono;

TEST(Ecma167, CrcItuMatchesTheStandardCheckValue) {
  const std::string check = "123456789";
  // CRC-16/XMODEM (CRC-ITU-T, initial 0): 0x31C3 is its published check value.
  EXPECT_EQ(crc_itu({reinterpret_cast<const uint8_t*>(check.data()), check.size()}), 0x31C3);
  EXPECT_EQ(crc_itu({}), 0);
}

TEST(Ecma167, TagRoundTripsAndEveryFieldIsChecked) {
  std::array<uint8_t, 512> d{};
  d[100] = 0x42;
  finish_tag(d, TagId::kPrimaryVolume, 32);
  EXPECT_EQ(get16(d, 0), 1);
  EXPECT_EQ(get16(d, 2), 3);
  EXPECT_EQ(get16(d, 10), 496);
  EXPECT_EQ(get32(d, 12), 32u);
  ASSERT_TRUE(check_tag(d, TagId::kPrimaryVolume, 32).ok());

  EXPECT_FALSE(check_tag(d, TagId::kPrimaryVolume, 33).ok()) << "location";
  EXPECT_FALSE(check_tag(d, TagId::kLogicalVolume, 32).ok()) << "identifier";
  auto body = d;
  body[200] ^= 1;
  auto st = check_tag(body, TagId::kPrimaryVolume, 32);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("CRC"), std::string::npos);
  auto sum = d;
  sum[4] ^= 1;
  st = check_tag(sum, TagId::kPrimaryVolume, 32);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("checksum"), std::string::npos);
  // A CRC length beyond the bytes we have is an error, not an over-read.
  EXPECT_FALSE(check_tag(std::span<const uint8_t>(d).first(100), TagId::kPrimaryVolume, 32).ok());
  EXPECT_FALSE(check_tag(std::span<const uint8_t>(d).first(10), TagId::kPrimaryVolume, 32).ok());
}

TEST(Ecma167, TimestampIsUtcWithMicroseconds) {
  // 2026-11-25 23:45:12.345678 UTC
  const TimePoint t = TimePoint(duration_cast<system_clock::duration>(
      sys_days(year(2026) / November / 25).time_since_epoch() + hours(23) + minutes(45) + seconds(12) +
      microseconds(345678)));
  std::array<uint8_t, 12> b{};
  put_timestamp(b, 0, t);
  EXPECT_EQ(get16(b, 0), 0x1000);
  EXPECT_EQ(get16(b, 2), 2026);
  EXPECT_EQ((std::array<int, 10>{b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11]}),
            (std::array<int, 10>{11, 25, 23, 45, 12, 34, 56, 78}));
  auto back = get_timestamp(b, 0);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, t);

  const TimePoint before_epoch = TimePoint(seconds(-1));  // 1969-12-31 23:59:59
  put_timestamp(b, 0, before_epoch);
  EXPECT_EQ(get16(b, 2), 1969);
  EXPECT_EQ(b[8], 59);
  EXPECT_EQ(*get_timestamp(b, 0), before_epoch);
}

TEST(Ecma167, TimestampOffsetsConvertAndNonsenseIsRejected) {
  std::array<uint8_t, 12> b{};
  put_timestamp(b, 0, TimePoint(hours(10)));
  put16(b, 0, 0x1000 | 60);  // the same wall clock at UTC+1 is an hour earlier
  EXPECT_EQ(*get_timestamp(b, 0), TimePoint(hours(9)));
  b[4] = 13;
  EXPECT_FALSE(get_timestamp(b, 0).ok());
  b[4] = 1;
  put16(b, 2, 30000);  // valid on disc, beyond what system_clock holds
  EXPECT_FALSE(get_timestamp(b, 0).ok());
}

TEST(Ecma167, Cs0PicksEightOrSixteenBits) {
  EXPECT_EQ(*encode_cs0("ab"), (std::vector<uint8_t>{8, 'a', 'b'}));
  EXPECT_EQ(*encode_cs0("\xc3\xa9"), (std::vector<uint8_t>{8, 0xE9}));                   // é
  EXPECT_EQ(*encode_cs0("a\xe6\x97\xa5"), (std::vector<uint8_t>{16, 0, 'a', 0x65, 0xE5}));  // a日
  for (std::string s : {"plain.ts", "\xc3\xa9t\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac"}) {
    auto enc = encode_cs0(s);
    ASSERT_TRUE(enc.ok());
    EXPECT_EQ(*decode_cs0(*enc), s);
  }
  EXPECT_FALSE(encode_cs0("\xff").ok());
  EXPECT_FALSE(encode_cs0("\xc3").ok()) << "truncated sequence";
  EXPECT_FALSE(encode_cs0("\xc0\xaf").ok()) << "overlong '/'";
  EXPECT_FALSE(encode_cs0("\xf0\x9f\x98\x80").ok()) << "outside the BMP";
  const uint8_t bad_id[] = {7, 'a'};
  EXPECT_FALSE(decode_cs0(bad_id).ok());
  const uint8_t odd[] = {16, 0, 'a', 0};
  EXPECT_FALSE(decode_cs0(odd).ok());
}

TEST(Ecma167, DstringCarriesItsLengthAndIsCutToFit) {
  std::array<uint8_t, 32> b{};
  put_dstring(b, 0, 32, "label");
  EXPECT_EQ(b[31], 6);
  EXPECT_EQ(*get_dstring(b, 0, 32), "label");
  put_dstring(b, 0, 32, std::string(40, 'x'));
  EXPECT_EQ(b[31], 31);
  EXPECT_EQ(*get_dstring(b, 0, 32), std::string(30, 'x'));
  put_dstring(b, 0, 32, "");
  EXPECT_EQ(*get_dstring(b, 0, 32), "");
  b[31] = 40;
  EXPECT_FALSE(get_dstring(b, 0, 32).ok());
}

}  // namespace
}  // namespace discrec::recorder::udf
