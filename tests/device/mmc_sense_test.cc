#include "device/mmc/sense.h"

#include <gtest/gtest.h>

#include "tests/device/tgt_captures.h"

namespace discrec::device::mmc {
namespace {

using testdata::from_hex;

TEST(MmcSense, FixedFormatFromTgt) {
  auto s = parse_sense(from_hex(testdata::kSenseLbaOutOfRange));
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  EXPECT_EQ(s->response_code, 0x70);
  EXPECT_FALSE(s->deferred);
  EXPECT_EQ(s->code, (SenseCode{5, 0x21, 0x00}));
  EXPECT_FALSE(s->information.has_value());
  EXPECT_EQ(describe_sense(s->code), "ILLEGAL REQUEST 5/21/00 logical block address out of range");
}

TEST(MmcSense, FixedDeferredWithInformationAndProgress) {
  // 0xF1: VALID + deferred; information 0x00001000; SKSV progress 0x8000 (50%).
  auto s = parse_sense(from_hex("f10002000010000a00000000040400808000"));
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  EXPECT_TRUE(s->deferred);
  EXPECT_EQ(s->code, (SenseCode{2, 0x04, 0x04}));
  ASSERT_TRUE(s->information);
  EXPECT_EQ(*s->information, 0x00001000u);
  ASSERT_TRUE(s->progress);
  EXPECT_EQ(*s->progress, 0x8000);
}

TEST(MmcSense, DescriptorFormat) {
  // 0x72, key 3, 0C/09; one information descriptor (type 0, len 10, VALID) with LBA 0x1234.
  auto s = parse_sense(from_hex("72030c090000000c000a800000000000000012340000"));
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  EXPECT_EQ(s->code, (SenseCode{3, 0x0C, 0x09}));
  EXPECT_FALSE(s->deferred);
  ASSERT_TRUE(s->information);
  EXPECT_EQ(*s->information, 0x1234u);
  EXPECT_EQ(describe_sense(s->code), "MEDIUM ERROR 3/0C/09 write error - loss of streaming");
  auto d = parse_sense(from_hex("7302040800000000"));
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->deferred);
  EXPECT_EQ(d->code, (SenseCode{2, 0x04, 0x08}));
}

TEST(MmcSense, DescriptorRunningPastEndIsIgnoredNotRead) {
  auto s = parse_sense(from_hex("72050000000000ff00ff"));  // claims 255 bytes of descriptors
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->code.key, 5);
  EXPECT_FALSE(s->information);
}

TEST(MmcSense, Malformed) {
  EXPECT_EQ(parse_sense({}).error().code(), ErrorCode::kMalformedResponse);
  EXPECT_EQ(parse_sense(from_hex("7000")).error().code(), ErrorCode::kMalformedResponse);
  // Fixed format with a key but additional length too short for ASC/ASCQ.
  EXPECT_EQ(parse_sense(from_hex("700003000000000221000000000000")).error().code(),
            ErrorCode::kMalformedResponse);
  EXPECT_EQ(parse_sense(from_hex("720500")).error().code(), ErrorCode::kMalformedResponse);
  EXPECT_EQ(parse_sense(from_hex("7f0500000000000a00000000210000")).error().code(),
            ErrorCode::kMalformedResponse);
}

TEST(MmcSense, Names) {
  EXPECT_STREQ(sense_key_name(0), "NO SENSE");
  EXPECT_STREQ(sense_key_name(3), "MEDIUM ERROR");
  EXPECT_STREQ(sense_key_name(5), "ILLEGAL REQUEST");
  EXPECT_STREQ(sense_key_name(6), "UNIT ATTENTION");
  EXPECT_STREQ(sense_key_name(0xD), "VOLUME OVERFLOW");
  EXPECT_STREQ(asc_ascq_name(0x3A, 0x00), "medium not present");
  EXPECT_STREQ(asc_ascq_name(0x20, 0x00), "invalid command operation code");
  EXPECT_STREQ(asc_ascq_name(0x30, 0x10), "medium not formatted");
  EXPECT_STREQ(asc_ascq_name(0x73, 0x02), "power calibration area is full");
  EXPECT_STREQ(asc_ascq_name(0x73, 0x42), "power calibration error");
  EXPECT_STREQ(asc_ascq_name(0x72, 0x05), "no more track reservations allowed");
  EXPECT_EQ(asc_ascq_name(0x7E, 0x00), nullptr);
  EXPECT_EQ(describe_sense({3, 0x0C, 0x00}), "MEDIUM ERROR 3/0C/00 write error");
  EXPECT_EQ(describe_sense({4, 0x7E, 0x01}), "HARDWARE ERROR 4/7E/01 (unlisted ASC/ASCQ)");
}

}  // namespace
}  // namespace discrec::device::mmc
