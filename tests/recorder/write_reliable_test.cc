// The reliable policy for data that must not be lost: no Streaming bit,
// retried with backoff on the injected clock, but not for commands the
// drive rejects outright.
#include <gtest/gtest.h>

#include <vector>

#include "recorder/core/prepare.h"

namespace discrec::recorder {
namespace {

using namespace std::chrono_literals;

class FlakyTarget final : public BlockTarget {
 public:
  Status write_blocks(uint32_t lba, std::span<const uint8_t> data, bool streaming) override {
    calls.push_back({lba, data.size(), streaming});
    if (failures_left > 0) {
      --failures_left;
      return Error::scsi("WRITE(12)", sense, "write error");
    }
    return ok_status();
  }
  Status flush() override { return ok_status(); }
  struct Call {
    uint32_t lba;
    size_t bytes;
    bool streaming;
  };
  std::vector<Call> calls;
  int failures_left = 0;
  SenseCode sense{0x03, 0x0C, 0x00};
};

TEST(WriteReliableTest, RetriesMediumErrorsWithoutStreamingAndBacksOff) {
  SimulatedClock clock;
  FlakyTarget target;
  target.failures_left = 2;
  std::vector<uint8_t> block(2048, 0xAB);
  Status s = write_reliable(target, clock, 77, block, {4, 100ms});
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  ASSERT_EQ(target.calls.size(), 3u);
  for (const auto& c : target.calls) {
    EXPECT_EQ(c.lba, 77u);
    EXPECT_FALSE(c.streaming) << "metadata goes through the drive's defect management";
  }
  EXPECT_EQ(clock.now(), TimePoint{} + 200ms);
}

// A drive that is not ready, then reset after it took the first half of
// the write: the wait is no attempt, and what the drive's address shows
// taken is not written again (a write-once disc would refuse it).
class StatefulTarget final : public BlockTarget {
 public:
  Status write_blocks(uint32_t lba, std::span<const uint8_t> data, bool) override {
    calls.push_back({lba, data.size(), false});
    if (refusals_left > 0) {
      --refusals_left;
      if (refusals_left == 0) nwa = lba + 2;  // the reset came after two blocks went over
      return Error(ErrorCode::kTransport, "iSCSI", "connection lost");
    }
    nwa = lba + static_cast<uint32_t>(data.size() / 2048);
    return ok_status();
  }
  Status flush() override { return ok_status(); }
  Result<Position> position(uint32_t) override {
    if (not_ready_polls > 0) {
      --not_ready_polls;
      return Error::scsi("TEST UNIT READY", SenseCode{0x02, 0x04, 0x01}, "becoming ready");
    }
    return Position{0x41, nwa};
  }
  struct Call {
    uint32_t lba;
    size_t bytes;
    bool streaming;
  };
  std::vector<Call> calls;
  int refusals_left = 6;
  int not_ready_polls = 10;
  uint32_t nwa = 100;
};

TEST(WriteReliableTest, WaitsOutTheDrivesStateAndDoesNotWriteTwiceWhatItTook) {
  SimulatedClock clock;
  StatefulTarget target;
  std::vector<uint8_t> data(4 * 2048, 0xAB);
  Status s = write_reliable(target, clock, 100, data, {4, 100ms});
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  ASSERT_EQ(target.calls.size(), 7u) << "six refusals are no attempts";
  EXPECT_EQ(target.calls.back().lba, 102u);
  EXPECT_EQ(target.calls.back().bytes, 2u * 2048) << "only what the drive had not taken";
  EXPECT_EQ(target.nwa, 104u);
}

TEST(WriteReliableTest, ADriveThatStaysNotReadyEndsTheWait) {
  SimulatedClock clock;
  StatefulTarget target;
  target.not_ready_polls = 1'000'000;
  std::vector<uint8_t> data(2048);
  Status s = write_reliable(target, clock, 100, data, {4, 100ms, 5s});
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.error().has_sense(0x02, 0x04, 0x01)) << s.error().to_string();
  EXPECT_LE(clock.now(), TimePoint{} + 5s + 200ms);
}

TEST(WriteReliableTest, GivesUpAfterTheAttemptsWithContext) {
  SimulatedClock clock;
  FlakyTarget target;
  target.failures_left = 100;
  std::vector<uint8_t> block(2048);
  Status s = write_reliable(target, clock, 5, block, {3, 10ms});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(target.calls.size(), 3u);
  EXPECT_TRUE(s.error().has_sense(0x03, 0x0C));
  EXPECT_NE(s.error().message().find("reliable write at LBA 5"), std::string::npos);
}

TEST(WriteReliableTest, IllegalRequestIsNotRetried) {
  SimulatedClock clock;
  FlakyTarget target;
  target.failures_left = 100;
  target.sense = {0x05, 0x21, 0x00};  // logical block address out of range
  std::vector<uint8_t> block(2048);
  Status s = write_reliable(target, clock, 5, block);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(target.calls.size(), 1u);
}

}  // namespace
}  // namespace discrec::recorder
