// ChecksumTarget between the streaming writer and the drive: it must pass
// on what the writer asks the drive after a refused write (its position,
// its next writable address), and keep checksums of a write the drive took
// without answering, or verify would call those units mismatches.
#include "recorder/session/checksum_target.h"

#include <gtest/gtest.h>

#include <vector>

#include "recorder/session/crc32c.h"

namespace discrec::recorder {
namespace {

class ScriptedTarget final : public BlockTarget {
 public:
  Status write_blocks(uint32_t, std::span<const uint8_t>, bool) override {
    return Error(ErrorCode::kTransport, "sim", "the drive was reset");
  }
  Status flush() override { return ok_status(); }
  Result<uint32_t> next_writable_address(uint32_t) override { return 4096u; }
  Result<Position> position(uint32_t) override { return Position{0x41, 4096u}; }
  void taken_unanswered(uint32_t lba, std::span<const uint8_t>) override { taken_at = lba; }
  uint32_t taken_at = 0;
};

TEST(ChecksumTargetTest, PassesOnTheDrivesPositionAndKeepsWritesTakenWithoutAnAnswer) {
  ScriptedTarget drive;
  ChecksumTarget target(drive, 1024, 8192, 16);
  EXPECT_EQ(*target.next_writable_address(2048), 4096u);
  auto where = target.position(2048);
  ASSERT_TRUE(where.ok());
  EXPECT_EQ(where->profile, 0x41);
  EXPECT_EQ(where->next_writable_address, 4096u);

  std::vector<uint8_t> data(2 * 16 * 2048, 0x47);
  data[16 * 2048] = 0x11;
  EXPECT_FALSE(target.write_blocks(2048, data, true).ok());
  EXPECT_FALSE(target.crc_of(2048).has_value()) << "a refused write has no checksum";
  target.taken_unanswered(2048, data);
  EXPECT_EQ(drive.taken_at, 2048u);
  EXPECT_EQ(target.crc_of(2048), crc32c(std::span(data).first(16 * 2048)));
  EXPECT_EQ(target.crc_of(2064), crc32c(std::span(data).subspan(16 * 2048)));
}

}  // namespace
}  // namespace discrec::recorder
