#include "clients/cli/units.h"

#include <gtest/gtest.h>

namespace discrec::cli {
namespace {

uint64_t rate(const char* text) {
  std::string error;
  auto q = parse_bit_rate(text, &error);
  EXPECT_TRUE(q.has_value()) << text << ": " << error;
  return q ? q->value : 0;
}

std::string rate_error(const char* text) {
  std::string error;
  EXPECT_FALSE(parse_bit_rate(text, &error).has_value()) << text;
  return error;
}

uint64_t size(const char* text, uint64_t plain_unit = 1 << 20) {
  std::string error;
  auto q = parse_size(text, plain_unit, &error);
  EXPECT_TRUE(q.has_value()) << text << ": " << error;
  return q ? q->value : 0;
}

std::string size_error(const char* text) {
  std::string error;
  EXPECT_FALSE(parse_size(text, 1 << 20, &error).has_value()) << text;
  return error;
}

TEST(BitRate, APlainNumberIsBitsPerSecond) {
  EXPECT_EQ(rate("8000000"), 8'000'000u);
  EXPECT_EQ(rate("0"), 0u);
  std::string error;
  EXPECT_FALSE(parse_bit_rate("2000000", &error)->unit_given);
}

TEST(BitRate, PrefixesAreDecimal) {
  EXPECT_EQ(rate("8M"), 8'000'000u);
  EXPECT_EQ(rate("8m"), 8'000'000u);
  EXPECT_EQ(rate("8000k"), 8'000'000u);
  EXPECT_EQ(rate("8000K"), 8'000'000u);
  EXPECT_EQ(rate("1G"), 1'000'000'000u);
  EXPECT_EQ(rate("2.5M"), 2'500'000u);
  EXPECT_EQ(rate("0.5k"), 500u);
}

TEST(BitRate, TheUnitMayBeSpelledOut) {
  EXPECT_EQ(rate("8Mbit/s"), 8'000'000u);
  EXPECT_EQ(rate("8 Mbit/s"), 8'000'000u);
  EXPECT_EQ(rate("8Mb/s"), 8'000'000u);
  EXPECT_EQ(rate("8Mbps"), 8'000'000u);
  EXPECT_EQ(rate("8000kbit/s"), 8'000'000u);
  EXPECT_EQ(rate("9600bit/s"), 9600u);
  std::string error;
  EXPECT_TRUE(parse_bit_rate("8Mbit/s", &error)->unit_given);
  EXPECT_TRUE(parse_bit_rate("8M", &error)->unit_given);
}

TEST(BitRate, FractionsRoundToAWholeBit) {
  EXPECT_EQ(rate("1.0000005k"), 1000u);
  EXPECT_EQ(rate("0.0015k"), 2u);
}

TEST(BitRate, BytesBinaryPrefixesAndNonsenseAreRefused) {
  EXPECT_NE(rate_error("1MB/s").find("B is bytes"), std::string::npos);
  EXPECT_NE(rate_error("8Mi").find("decimal prefixes"), std::string::npos);
  EXPECT_NE(rate_error("8 furlongs").find("give bit/s as 8000000, 8M"), std::string::npos);
  rate_error("");
  rate_error("M");
  rate_error("-8M");
  rate_error("8.");
  rate_error(".5M");
  rate_error("8MM");
  rate_error("8Mbit/sx");
  rate_error("1e6");
  rate_error("0x10");
}

TEST(BitRate, TooLargeIsAnErrorNotAWrap) {
  EXPECT_NE(rate_error("18446744073709551616").find("not a bit rate"), std::string::npos);
  EXPECT_NE(rate_error("99999999999G").find("too large"), std::string::npos);
  EXPECT_EQ(rate("18446744073709551615"), UINT64_MAX);
}

TEST(Size, APlainNumberCountsInTheCallersUnit) {
  EXPECT_EQ(size("64"), 64u << 20);
  EXPECT_EQ(size("64", 1), 64u);
  std::string error;
  EXPECT_FALSE(parse_size("64", 1 << 20, &error)->unit_given);
}

TEST(Size, SingleLettersAndIecUnitsAreBinary) {
  EXPECT_EQ(size("64M"), 64u << 20);
  EXPECT_EQ(size("64MiB"), 64u << 20);
  EXPECT_EQ(size("64Mi"), 64u << 20);
  EXPECT_EQ(size("64 MiB"), 64u << 20);
  EXPECT_EQ(size("65536K"), 64u << 20);
  EXPECT_EQ(size("65536KiB"), 64u << 20);
  EXPECT_EQ(size("1G"), 1u << 30);
  EXPECT_EQ(size("1.5GiB"), 3u << 29);
  EXPECT_EQ(size("2T"), uint64_t{2} << 40);
  EXPECT_EQ(size("4096B"), 4096u);
  std::string error;
  EXPECT_TRUE(parse_size("64MiB", 1 << 20, &error)->unit_given);
}

TEST(Size, SiUnitsWithBAreDecimal) {
  EXPECT_EQ(size("64MB"), 64'000'000u);
  EXPECT_EQ(size("1GB"), 1'000'000'000u);
  EXPECT_EQ(size("500KB"), 500'000u);
}

TEST(Size, BitsAndNonsenseAreRefused) {
  EXPECT_NE(size_error("64Mb").find("b is bits"), std::string::npos);
  EXPECT_NE(size_error("lots").find("give 64MiB, 64M"), std::string::npos);
  size_error("");
  size_error("64X");
  size_error("64MiBs");
  size_error("-1M");
  size_error("64 M B");
  EXPECT_NE(size_error("99999999999T").find("too large"), std::string::npos);
}

TEST(Describe, GroupsThousandsAndAddsTheReadableForm) {
  EXPECT_EQ(group_thousands(0), "0");
  EXPECT_EQ(group_thousands(999), "999");
  EXPECT_EQ(group_thousands(1000), "1,000");
  EXPECT_EQ(group_thousands(8000000), "8,000,000");
  EXPECT_EQ(describe_bit_rate(8'000'000), "8,000,000 bit/s (8 Mbit/s)");
  EXPECT_EQ(describe_bit_rate(2'500'000), "2,500,000 bit/s (2.5 Mbit/s)");
  EXPECT_EQ(describe_bit_rate(64'000), "64,000 bit/s (64 kbit/s)");
  EXPECT_EQ(describe_bit_rate(999), "999 bit/s");
  EXPECT_EQ(describe_size(64u << 20), "67,108,864 bytes (64 MiB)");
  EXPECT_EQ(describe_size(64'000'000), "64,000,000 bytes (61.04 MiB)");
  EXPECT_EQ(describe_size(1), "1 byte");
}

}  // namespace
}  // namespace discrec::cli
