#include "recorder/session/crc32c.h"

#include <gtest/gtest.h>

#include <random>
#include <string_view>
#include <vector>

namespace discrec::recorder {
namespace {

std::span<const uint8_t> bytes(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

TEST(Crc32cTest, MatchesTheStandardCheckValues) {
  // RFC 3720 / iSCSI check value and test vectors.
  EXPECT_EQ(crc32c(bytes("123456789")), 0xE3069283u);
  EXPECT_EQ(crc32c_portable(bytes("123456789")), 0xE3069283u);
  std::vector<uint8_t> zeros(32, 0), ones(32, 0xFF);
  EXPECT_EQ(crc32c(zeros), 0x8A9136AAu);
  EXPECT_EQ(crc32c(ones), 0x62A8AB43u);
  EXPECT_EQ(crc32c({}), 0u);
}

TEST(Crc32cTest, FastPathEqualsThePortableOneForEveryLengthAndAlignment) {
  std::mt19937 rng(7);
  std::vector<uint8_t> data(70000);
  for (auto& b : data) b = static_cast<uint8_t>(rng());
  for (size_t offset = 0; offset < 9; ++offset)
    for (size_t n : {0u, 1u, 7u, 8u, 9u, 63u, 2048u, 65536u})
      EXPECT_EQ(crc32c(std::span(data).subspan(offset, n)), crc32c_portable(std::span(data).subspan(offset, n)))
          << offset << "+" << n;
  // A single flipped bit changes the checksum.
  uint32_t before = crc32c(std::span(data).first(65536));
  data[12345] ^= 0x10;
  EXPECT_NE(crc32c(std::span(data).first(65536)), before);
}

}  // namespace
}  // namespace discrec::recorder
